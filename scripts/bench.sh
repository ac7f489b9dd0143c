#!/usr/bin/env bash
# bench.sh - run every benchmark built under bench/ and print its figures
set -euo pipefail
build=${1:-build/release}
found=0
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  found=1
  echo "== $(basename "$b")"
  "$b"
done
[ "$found" -eq 1 ] || { echo "bench.sh: no benchmarks built in $build/bench" >&2; exit 1; }
