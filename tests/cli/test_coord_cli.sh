#!/usr/bin/env bash
# test_coord_cli.sh - `deconflict coord`: one-shot, --to, stdin batch with line-numbered errors and exit status
set -u
cli=${DC_CLI:?DC_CLI must name the deconflict binary}
passed=0 failed=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); printf 'FAIL %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3"; fi
}

out=$("$cli" coord 38SMB 44140 84706)
check "one-shot detects MGRS" "notation  mgrs (the centre of a 1 m square)" "$(grep '^notation' <<<"$out")"
check "one-shot prints DD" "dd        33.3000013, 44.3999995" "$(grep '^dd' <<<"$out")"
check "--to dms" "33°18'00.00\"N 044°24'00.00\"E" "$("$cli" coord --to dms 33.3 44.4)"
check "--to mgrs2" "38SMB4484" "$("$cli" coord --to mgrs2 33.3N 44.4E)"
check "--to utm" "38N 444141 3684706" "$("$cli" coord --to utm 'N33 18 E44 24')"

"$cli" coord 120 33 >/dev/null 2>/tmp/dc_cli_err.$$; rc=$?
check "ambiguous exit status" "1" "$rc"
check "ambiguous message" "AMBIGUOUS: first number 120 exceeds 90, so it cannot be a latitude: is longitude first? add N/S/E/W (column 1)" "$(head -1 /tmp/dc_cli_err.$$)"

printf '33.3 44.4\n33 61 N 44 E\n38SMB4484\n' | "$cli" coord --to dd >/tmp/dc_cli_out.$$ 2>/tmp/dc_cli_err.$$; rc=$?
check "batch exit status with one bad line" "1" "$rc"
check "batch output keeps one line per input" "$(printf '33.3000000, 44.4000000\n\n33.2981574, 44.4038735')" "$(cat /tmp/dc_cli_out.$$)"
check "batch error names the line" "line 2: RANGE: minutes must be below 60 (column 4)" "$(cat /tmp/dc_cli_err.$$)"

printf '33.3 44.4\n36.37N 37.52E\n' | "$cli" coord --to mgrs >/dev/null 2>&1; rc=$?
check "batch all good exits 0" "0" "$rc"

"$cli" coord --help | grep -q "MGRS" ; check "help explains MGRS" "0" "$?"
"$cli" coord --to bogus 1 2 >/dev/null 2>&1; check "unknown format is a usage error" "2" "$?"

rm -f /tmp/dc_cli_out.$$ /tmp/dc_cli_err.$$
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
