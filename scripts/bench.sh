#!/usr/bin/env bash
# bench.sh - run the benchmarks and print their figures (docs/PERFORMANCE.md records them)
set -euo pipefail
build=${1:-build/release}
echo "== strategic deconfliction (bench/strategic.c)"
"$build/bench/bench_strategic"
echo
echo "== HTTP API (bench/api.sh)"
bash bench/api.sh "$build" "${API_SECONDS:-10}"
