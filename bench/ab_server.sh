#!/usr/bin/env bash
# ab_server.sh - two deconflictd builds back to back, alternating: GET and PUT at 1,000 stored
# intents (wrk -t2 -c16, 5 s each), three rounds; for changes whose effect is smaller than this
# machine's swings.
# usage: bench/ab_server.sh DECONFLICTD_A DECONFLICTD_B [BUILD_DIR]  (bench_seed from BUILD_DIR)
set -euo pipefail
a=$1; b=$2; build=${3:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pid=
for round in 1 2 3; do
  for server in "$a" "$b"; do
    # throughput, not the fair-use buckets: a build that has them gets buckets the load never reaches
    unlimited=()
    if grep -q -- --rate-writes <<<"$("$server" --help 2>&1 || true)"; then
      unlimited=(--rate-writes 1e8/1e8 --rate-messages 1e8/1e8 --rate-reports 1e8/1e8)
    fi
    rm -f "$work"/db*
    # each build seeds its own store (their schemas and key files may differ)
    seed="$(dirname "$server")/bench/bench_seed"
    [ -x "$seed" ] || seed="$build/bench/bench_seed"
    key=$("$seed" "$work/db" 1000)
    "$server" --listen "127.0.0.1:$port" --db "$work/db" --operator-key-file "$work/op.key" --quiet "${unlimited[@]}" 2>/dev/null &
    pid=$!
    for _ in $(seq 50); do curl -sf "127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
    get=$(DC_KEY=$key DC_INTENTS=1000 wrk -t2 -c16 -d5s -s "$here/wrk/get.lua" "http://127.0.0.1:$port" | grep -oE "[0-9]+ req/s")
    load=$(curl -sf -X POST -H "Authorization: Bearer $(cat "$work/op.key")" -H "Content-Type: application/json" \
           "127.0.0.1:$port/v1/parties" -d '{"name":"load"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
    put_out=$(DC_KEY=$load wrk -t2 -c16 -d5s -s "$here/wrk/put.lua" "http://127.0.0.1:$port")
    put="$(grep -oE "[0-9]+ req/s" <<<"$put_out") ($(grep -oE "statuses: .*|Socket errors.*|Non-2xx.*" <<<"$put_out" | tr "\n" " "))"
    echo "round $round $(basename "$server"): GET $get, PUT $put"
    kill -TERM $pid; wait $pid || true
  done
done
