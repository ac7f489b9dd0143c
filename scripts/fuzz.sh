#!/usr/bin/env bash
# fuzz.sh - run libFuzzer campaigns: each target of build/fuzz for FUZZ_SECONDS (default 600), one
# after the other, new corpus entries kept in build/fuzz/corpus/<target>, each campaign's output in
# build/fuzz/logs/<target>.log (its final stats are what docs/RELIABILITY.md records).
# Usage: scripts/fuzz.sh [target...]   (default: every target; see DC_FUZZ_TARGETS in CMakeLists.txt)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_FUZZ:-build/fuzz}
seconds=${FUZZ_SECONDS:-600}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(sed -n 's/^set(DC_FUZZ_TARGETS \(.*\))$/\1/p' CMakeLists.txt))
fi
# The longest input worth trying: a time or a query is short, a request body is not.
max_len() {
  case "$1" in
    coord | time) echo 256 ;;
    area) echo 512 ;;
    csv) echo 8192 ;;
    *) echo 32768 ;;
  esac
}
status=0
mkdir -p "$build/logs"
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  seeds=(fuzz/corpus/"$t")
  [ -d "fuzz/regressions/$t" ] && seeds+=(fuzz/regressions/"$t")
  echo "fuzz: $t for ${seconds}s (log $build/logs/$t.log)" >&2
  # A crash, a leak or an input slower than 30 s stops the campaign and leaves its reproducer in
  # $build/crashes.
  mkdir -p "$build/crashes"
  "$build/fuzz_$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" "${dict[@]}" \
    "$build/corpus/$t" "${seeds[@]}" >"$build/logs/$t.log" 2>&1
  rc=$?
  tail -n 12 "$build/logs/$t.log" | grep -E '^(Done|stat::|#[0-9]+ +DONE)' >&2
  if [ $rc -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $rc), see $build/logs/$t.log" >&2
    status=1
  fi
done
exit $status
