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
check "zone blocks the route" "1" "$(grep -c 'east-strike-1 *east *x zone-north *north *blocks *zone' "$tmp/out")"
check "equal priority blocks" "1" "$(grep -c 'coalition-tanker *coalition *x east-strike-2 *east *blocks *equal_priority' "$tmp/out")"
check "summary" "2 conflicts; 3 accepted, 2 refused" "$(tail -1 "$tmp/out")"

"$cli" check --json "$scenario" >"$tmp/json"
check "json refused" '["east-strike-1","coalition-tanker"]' "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["refused"],separators=(",",":")))' "$tmp/json")"
check "json overlap is GeoJSON" "MultiPolygon" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["conflicts"][0]["overlap"]["type"])' "$tmp/json")"

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
