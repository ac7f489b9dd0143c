#!/usr/bin/env bash
# api.sh - PUT and GET throughput and latency of deconflictd with wrk, at 1,000 and 100,000 stored
# intents; position reports per second over HTTP.
# usage: bench/api.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=${1:-build/release}
seconds=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
failures=0
# the benchmark measures throughput, not the fair-use buckets: a build that has them gets buckets
# no single load party reaches (the buckets are still asked on every write)
unlimited=()
if grep -q -- --rate-writes <<<"$("$build/deconflictd" --help 2>&1 || true)"; then
  unlimited=(--rate-writes 1e8/1e8 --rate-messages 1e8/1e8 --rate-reports 1e8/1e8)
fi
# wrk's figures and status counts; a response the script did not intend (its "UNINTENDED" line)
# makes the whole run fail, so that error responses are never counted as throughput
measure() {
  local out
  out=$(wrk "$@")
  grep -E "^  (p50|statuses|UNINTENDED)" <<<"$out"
  if grep -q "UNINTENDED" <<<"$out"; then failures=$((failures + 1)); fi
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "api benchmark: wrk -t2 -c16 -d${seconds}s against deconflictd on 127.0.0.1:$port ($(nproc) cores, client and server share them)"
for n in 1000 100000; do
  rm -f "$work"/db*
  start=$(date +%s.%N)
  key=$("$build/bench/bench_seed" "$work/db" "$n")
  printf 'stored intents: %d (seeded in %s s)\n' "$n" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
  "$build/deconflictd" --listen "127.0.0.1:$port" --db "$work/db" --operator-key-file "$work/op.key" --quiet "${unlimited[@]}" 2>"$work/log" &
  server=$!
  for _ in $(seq 50); do curl -sf "127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
  echo " GET /v1/intents/{id}:"
  DC_KEY=$key DC_INTENTS=$n measure -t2 -c16 -d"${seconds}s" -s "$here/wrk/get.lua" "http://127.0.0.1:$port"
  load=$(curl -sf -X POST -H "Authorization: Bearer $(cat "$work/op.key")" -H "Content-Type: application/json" "127.0.0.1:$port/v1/parties" \
         -d '{"name":"load"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  echo " PUT /v1/intents/{id} by another party (new intents among the stored ones: conflicts decided, notices and audit written):"
  DC_KEY=$load measure -t2 -c16 -d"${seconds}s" -s "$here/wrk/put.lua" "http://127.0.0.1:$port"
  kill -TERM $server; wait $server || true
done
# Position reports: two fleets of 2,000 aircraft (one per wrk thread), 1,000 reports a batch, against
# every Natural Earth 10m country, each aircraft reporting every 5 s as in bench/ingest.c. "russia"
# flies over Russia (its own airspace: alerts only near its borders); "fleet" is nobody's and flies
# over North Africa and Europe, where every aircraft over land is an incursion raising or repeating
# an alert (each alert is stored for its recipients and audited); last, "fleet" reporting every
# 10 s, so that twice as many reports raise an alert (repetitions come every 30 s).
for scenario in "russia 52 45 5" "fleet 30 0 5" "fleet 30 0 10"; do
  read -r name lat0 lon0 step <<<"$scenario"
  echo "position reports over HTTP as party $name from ${lat0} N ${lon0} E, every ${step} s, batches of 1,000, zones: every Natural Earth 10m country:"
  rm -f "$work"/db*
  "$build/deconflictd" --listen "127.0.0.1:$port" --db "$work/db" --operator-key-file "$work/op.key" --quiet "${unlimited[@]}" \
    --borders "${BORDERS:-build/borders/world.geojson}" --new-aircraft-per-minute 1000000 2>"$work/log" &
  server=$!
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
  key=$(curl -sf -X POST -H "Authorization: Bearer $(cat "$work/op.key")" -H "Content-Type: application/json" "127.0.0.1:$port/v1/parties" \
          -d "{\"name\":\"$name\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  DC_KEY=$key DC_LAT0=$lat0 DC_LON0=$lon0 DC_STEP_S=$step measure -t2 -c2 -d"${seconds}s" -s "$here/wrk/tracks.lua" \
    "http://127.0.0.1:$port"
  kill -TERM $server; wait $server || true
done
if [ "$failures" -gt 0 ]; then
  echo "api benchmark: $failures run(s) had responses they did not intend (see UNINTENDED above)" >&2
  exit 1
fi
