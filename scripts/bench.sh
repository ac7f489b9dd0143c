#!/usr/bin/env bash
# bench.sh - run the benchmarks and print their figures (docs/PERFORMANCE.md records them)
set -euo pipefail
build=${1:-build/release}
echo "== strategic deconfliction (bench/strategic.c)"
"$build/bench/bench_strategic"
echo
echo "== separation (bench/separation.c)"
"$build/bench/bench_separation"
echo
echo "== sensor association (bench/sensor.c)"
"$build/bench/bench_sensor"
echo
echo "== ingest against Natural Earth borders (bench/ingest.c)"
"$build/bench/bench_ingest" build/borders/world.geojson
echo
echo "== HTTP API (bench/api.sh)"
bash bench/api.sh "$build" "${API_SECONDS:-10}"
echo
echo "== several instances over PostgreSQL against one over SQLite (bench/cluster.sh)"
bash bench/cluster.sh "$build" "${API_SECONDS:-10}" 1
