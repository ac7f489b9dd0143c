#!/usr/bin/env bash
# cluster.sh - deconflictd over PostgreSQL with 1, 2 and 3 instances, and one over SQLite: PUT/s
# and p99 in one congested cell of ~1 km² (every intent in a 10 s slot of its own, so none
# conflicts, 16 wrk connections spread over the instances), GET/s of those intents, position
# reports/s (batches of 1,000); best of ROUNDS, as a table (issue 15; docs/PERFORMANCE.md).
# usage: bench/cluster.sh [BUILD_DIR] [SECONDS] [ROUNDS]
#
# PostgreSQL is a throwaway cluster of scripts/pg_cluster.sh (fsync and synchronous_commit on),
# a fresh database for each configuration and round; SQLite a fresh file. One wrk process a
# instance (-t1), its share of the 16 connections; the p99 shown is the worst instance's.
set -euo pipefail
build=${1:-build/release}
seconds=${2:-10}
rounds=${3:-2}
# shellcheck source=bench/pg_common.sh
source "$(dirname "$0")/pg_common.sh"
command -v wrk >/dev/null || { echo "cluster bench: no wrk (scripts/deps.sh installs it)" >&2; exit 1; }
# throughput, not the fair-use buckets; one client address holds all the connections
unlimited=(--rate-writes 1e8/1e8 --rate-messages 1e8/1e8 --rate-reports 1e8/1e8
  --new-aircraft-per-minute 1000000 --new-aircraft-alert 1000000 --connections-per-address 0)

uri=$(bash "$root/scripts/pg_cluster.sh" start "$work/pg" | tail -n 1)
admin="${uri%/*}/postgres"
results="$work/results.tsv"
failures=0
echo "cluster benchmark: $build, ${seconds} s a measurement, best of $rounds; $(nproc) cores (clients, instances and"
echo "PostgreSQL $(psql -X -At "$admin" -c 'SHOW server_version') share them), load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

# measure NAME KIND SCRIPT CONNS... : one wrk a port of $ports with the connections given, at once;
# adds "config round kind total_rate worst_p50 worst_p99" to the results
measure() {
  local kind=$1 script=$2
  shift 2
  local i=0 p out rate p50 p99 line
  local -a waits=()
  for p in "${ports[@]}"; do
    DC_KEY=$key DC_PROC=$i DC_PROCS=${#ports[@]} DC_GET_MAX=$get_max DC_FLEET=$((2 * i)) DC_LAT0=-40 DC_LON0=0 \
      wrk -t"${threads[$i]}" -c"$1" -d"${seconds}s" -s "$here/wrk/$script" "http://127.0.0.1:$p" >"$work/wrk-$i.out" 2>&1 &
    waits+=($!)
    shift
    i=$((i + 1))
  done
  for p in "${waits[@]}"; do wait "$p" || true; done
  rate=0 p50=0 p99=0
  for i in $(seq 0 $((${#ports[@]} - 1))); do
    out="$work/wrk-$i.out"
    if grep -q UNINTENDED "$out" || ! grep -q "p99" "$out"; then
      echo "  $config $kind through instance $((i + 1)): responses it did not intend:" >&2
      cat "$out" >&2
      failures=$((failures + 1))
    fi
    line=$(grep -E '^  p50 ' "$out" || echo "  p50 0 ms, p99 0 ms, 0 requests, 0 req/s")
    # "  p50 A ms, p99 B ms, ... R req/s" (tracks.lua: "... R reports/s, ...")
    read -r a b c <<<"$(sed -E 's/^  p50 ([0-9.]+) ms, p99 ([0-9.]+) ms.* ([0-9.]+) (req|reports)\/s.*/\1 \2 \3/' <<<"$line")"
    rate=$(awk -v x="$rate" -v y="$c" 'BEGIN { print x + y }')
    p50=$(awk -v x="$p50" -v y="$a" 'BEGIN { print (y > x) ? y : x }')
    p99=$(awk -v x="$p99" -v y="$b" 'BEGIN { print (y > x) ? y : x }')
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$round" "$kind" "$rate" "$p50" "$p99" >>"$results"
  printf '  %-8s %8.0f /s   p50 %7.2f ms   p99 %7.2f ms (worst instance)\n' "$kind" "$rate" "$p50" "$p99"
}

run_config() { # BACKEND N ROUND
  local backend=$1 n=$2 db k p
  config="$backend x$n"
  ports=() threads=()
  if [ "$backend" = postgresql ]; then
    psql -X -q "$admin" -c "CREATE DATABASE bench_${n}_$round"
    db="${uri%/*}/bench_${n}_$round"
  else
    db="$work/sqlite-$round.db"
  fi
  echo "$config, round $round:"
  for k in $(seq 1 "$n"); do
    p=$(free_port)
    local store=(--db "$db")
    [ "$backend" = postgresql ] && store+=(--key-file "$work/server-$n-$round.key")
    "$build/deconflictd" --listen "127.0.0.1:$p" "${store[@]}" --operator-key-file "$work/op-$n-$round.key" \
      --quiet "${unlimited[@]}" 2>"$work/server-$k.log" &
    servers+=($!)
    healthy "$p" || { cat "$work/server-$k.log" >&2; exit 1; }
    ports+=("$p")
    threads+=(1)
  done
  key=$(curl -sf -X POST -H "Authorization: Bearer $(cat "$work/op-$n-$round.key")" -H "Content-Type: application/json" \
    "127.0.0.1:${ports[0]}/v1/parties" -d '{"name":"cell"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  # 16 connections over the instances: 16; 8 + 8; 6 + 5 + 5
  local -a conns=()
  for k in $(seq 0 $((n - 1))); do conns+=($((16 / n + (k < 16 % n ? 1 : 0)))); done
  get_max=10
  measure PUT cell_put.lua "${conns[@]}"
  # the GETs ask for intents each PUT run wrote: as many as the slowest wrote, less a margin for
  # requests wrk made but did not count
  get_max=$(for k in $(seq 0 $((n - 1))); do sed -nE 's/^  p50 .* ([0-9]+) requests,.*/\1/p' "$work/wrk-$k.out"; done |
    sort -n | head -n 1)
  get_max=$((get_max > 40 ? get_max - 30 : 10))
  measure GET cell_get.lua "${conns[@]}"
  # two clients an instance, each its own fleet of 1,000 aircraft over the empty South Atlantic
  for k in $(seq 0 $((n - 1))); do threads[$k]=2; done
  local -a two=()
  for k in $(seq 1 "$n"); do two+=(2); done
  measure reports tracks.lua "${two[@]}"
  for p in "${servers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${servers[@]}"; do wait "$p" 2>/dev/null || true; done
  servers=()
  [ "$backend" = postgresql ] && psql -X -q "$admin" -c "DROP DATABASE bench_${n}_$round WITH (FORCE)"
  rm -f "$work"/sqlite-*
}

# CLUSTER_SETUPS="postgresql 1,sqlite 1" runs only those
IFS=, read -r -a setups <<<"${CLUSTER_SETUPS:-postgresql 1,postgresql 2,postgresql 3,sqlite 1}"
for round in $(seq 1 "$rounds"); do
  for setup in "${setups[@]}"; do
    run_config $setup "$round"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
# the best round of each configuration and measurement (its p99 with it)
python3 - "$results" <<'EOF'
import sys
best = {}
for line in open(sys.argv[1]):
    config, rnd, kind, rate, p50, p99 = line.rstrip("\n").split("\t")
    key = (config, kind)
    if key not in best or float(rate) > best[key][0]:
        best[key] = (float(rate), float(p50), float(p99))
configs = sorted({c for c, _ in best}, key=lambda c: (c.startswith("sqlite"), c))
print("\n| store, instances | PUT/s (congested cell) | PUT p50 | PUT p99 | GET/s | GET p99 | position reports/s |")
print("|---|---|---|---|---|---|---|")
for c in configs:
    put, get, rep = best[(c, "PUT")], best[(c, "GET")], best[(c, "reports")]
    print(f"| {c} | {put[0]:,.0f} | {put[1]:.1f} ms | {put[2]:.1f} ms | {get[0]:,.0f} | {get[2]:.1f} ms | {rep[0]:,.0f} |")
EOF
if [ "$failures" -gt 0 ]; then
  echo "cluster bench: $failures measurement(s) had responses they did not intend (above)" >&2
  exit 1
fi
