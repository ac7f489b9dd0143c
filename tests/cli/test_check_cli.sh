#!/usr/bin/env bash
# test_check_cli.sh - `deconflict check`: the conflicts of a scenario, --json, exit status and input errors
set -u
cli=${DC_CLI:?DC_CLI must name the deconflict binary}
src=${DC_SOURCE_DIR:?}
scenario="$src/tests/data/scenarios/check-basic.geojson"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() {
  if [ "$2" == "$3" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"; fi
}

"$cli" check "$scenario" >"$tmp/out" 2>&1; rc=$?
check "a refusal exits 1" "1" "$rc"
check "zone blocks the route" "1" "$(grep -A1 'east submits intent east-strike-1: REFUSED' "$tmp/out" | grep -c 'told east: refused because of a zone of north (zone)')"
check "equal priority blocks" "1" "$(grep -A1 'coalition submits intent coalition-tanker: REFUSED' "$tmp/out" | grep -c 'refused because of an intent of east (equal_priority)')"
check "summary" "3 accepted, 2 refused, 0 failed" "$(tail -1 "$tmp/out")"

"$cli" check --json "$scenario" >"$tmp/json"
check "json refused" '["east-strike-1","coalition-tanker"]' "$(python3 -c 'import json,sys; print(json.dumps([s["path"].split("/")[-1] for s in json.load(open(sys.argv[1]))["steps"] if s["status"]==409],separators=(",",":")))' "$tmp/json")"
check "json notices say why" "zone" "$(python3 -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["steps"] if s["status"]==409][0]["response"]["notices"][0]["reason"])' "$tmp/json")"

# Bad input: the JSON pointer of the offending member, exit 2, nothing else.
sed 's/"altitude_upper": 6000/"altitude_uper": 6000/' "$scenario" >"$tmp/typo.geojson"
"$cli" check "$tmp/typo.geojson" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown property exits 2" "2" "$rc"
check "unknown property named" "1" "$(grep -c '/features/4/properties/altitude_uper: unknown property' "$tmp/err")"
sed 's/"2015-11-24T07:20:00Z"\]/"2015-11-24T06:20:00Z"]/' "$scenario" >"$tmp/time.geojson"
"$cli" check "$tmp/time.geojson" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "time going backwards exits 2" "2" "$rc"
check "time error names the waypoint" "1" "$(grep -c 'waypoint 2 is not later than waypoint 1' "$tmp/err")"
echo '{"type": "FeatureCollection", "features": [' >"$tmp/broken.geojson"
"$cli" check "$tmp/broken.geojson" >/dev/null 2>"$tmp/err"; rc=$?
check "malformed JSON exits 2" "2" "$rc"
check "malformed JSON says where" "1" "$(grep -c 'malformed JSON at line' "$tmp/err")"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
