#!/usr/bin/env bash
# soak.sh - the fleet case of bench/api.sh (4,000 aircraft of a party nobody admits, over North Africa and
# Europe, reporting as fast as the server takes them) for MINUTES with a short retention: the live store
# must level off while the archive grows, memory stay flat, and small requests' latency hold while the
# archiver runs. Not part of `make test` (ten minutes of both cores); figures in docs/PERFORMANCE.md.
# usage: bench/soak.sh BUILD_DIR [MINUTES] [RETAIN] [ARCHIVE_PERIOD] [ARCHIVE_BATCH]
set -euo pipefail
build=${1:-build/release}
minutes=${2:-10}
retain=${3:-1m}
period=${4:-5m}
batch=${5:-1000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "soak: fleet case for $minutes min, --retain all=$retain, a segment every $period ($(nproc) cores shared by client and server)"
"$build/deconflictd" --listen "127.0.0.1:$port" --db "$work/db" --operator-key-file "$work/op.key" --quiet \
  --borders "${BORDERS:-build/borders/world.geojson}" --new-aircraft-per-minute 1000000 \
  --retain "all=$retain" --archive-period "$period" --archive-batch "$batch" \
  --rate-reports 1e8/1e8 2>"$work/log" &
server=$!
for _ in $(seq 100); do curl -sf "127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
key=$(curl -sf -X POST -H "Authorization: Bearer $(cat "$work/op.key")" -H "Content-Type: application/json" \
        "127.0.0.1:$port/v1/parties" -d '{"name":"fleet"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
python3 "$here/soak_probe.py" "$port" "$key" "$(cat "$work/op.key")" "$work/db" "$server" "$minutes" &
probe=$!
DC_KEY=$key DC_LAT0=30 DC_LON0=0 DC_STEP_S=5 wrk -t2 -c2 -d"${minutes}m" --timeout 10s -s "$here/wrk/tracks.lua" \
  "http://127.0.0.1:$port" | grep -E "^  p50|Non-2xx|timeout" || true
wait $probe
kill -TERM $server; wait $server || true
grep -E "archive:" "$work/log" | tail -3 || true
start=$(date +%s.%N)
"$build/deconflict" audit verify --db "$work/db" | tail -1
printf 'audit verify over archive and store: %s s\n' "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
"$build/deconflict" store stats --db "$work/db"
