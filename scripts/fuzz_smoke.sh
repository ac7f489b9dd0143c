#!/usr/bin/env bash
# fuzz_smoke.sh - the fuzz targets' smoke run in `make test` (CTest fuzz_smoke): build them with
# clang (libFuzzer, ASan, UBSan) in their own tree, run each on its committed corpus and every
# reproducer of fuzz/regressions/, then on a few mutations of them. Any crash, leak, sanitizer
# report or broken invariant fails it. Exit 77 (skipped) when there is no clang.
# Usage: scripts/fuzz_smoke.sh BUILD_DIR
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:?usage: fuzz_smoke.sh BUILD_DIR}"
if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz_smoke: no clang, skipped (scripts/deps.sh installs it)"
  exit 77
fi
CC=clang cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDC_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
targets=($(sed -n 's/^set(DC_FUZZ_TARGETS \(.*\))$/\1/p' "$src/CMakeLists.txt"))
cmake --build "$build" -j 2 --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null
# Mutations after the corpus, about a second's worth of each target on one core.
mutations() {
  case "$1" in
    coord) echo 2000 ;;
    time | area) echo 10000 ;;
    csv | reports | submission | scenario) echo 500 ;;
    *) echo 20 ;;
  esac
}
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
start=$(date +%s)
for t in "${targets[@]}"; do
  t0=$(date +%s%N)
  # the committed corpus and the reproducers of fuzz/regressions (the bugs they found stay fixed),
  # each run once, then a few mutations of them; new units go to the scratch directory (the first
  # one named), never into the repository. A count of runs, not seconds: libFuzzer stops at
  # -max_total_time even before the corpus is all run.
  dirs=("$scratch/$t" "$src/fuzz/corpus/$t")
  [ -d "$src/fuzz/regressions/$t" ] && dirs+=("$src/fuzz/regressions/$t")
  mkdir -p "$scratch/$t"
  files=$(find "${dirs[@]}" -type f | wc -l)
  "$build/fuzz_$t" -runs=$((files + $(mutations "$t"))) -timeout=30 -max_len=32768 \
    -artifact_prefix="$scratch/$t-" "${dirs[@]}" >"$scratch/$t.log" 2>&1 ||
    { tail -n 60 "$scratch/$t.log"; echo "fuzz_smoke: $t failed; reproducer:"; ls "$scratch/$t-"* 2>/dev/null; exit 1; }
  printf 'fuzz_smoke: %-10s %s, %d ms\n' "$t" \
    "$(grep -Eo 'Done [0-9]+ runs' "$scratch/$t.log" | tail -1)" $((($(date +%s%N) - t0) / 1000000))
done
echo "fuzz_smoke: ${#targets[@]} targets in $(($(date +%s) - start)) s"
