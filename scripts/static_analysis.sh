#!/usr/bin/env bash
# static_analysis.sh - the habits that keep src/ as it is (issue 14): cppcheck's warning,
# performance and portability checks with zero findings (false ones are listed, with why, in
# tests/static/cppcheck-suppressions.txt or marked inline), and none of the functions that have
# no bound or no error report: strcpy, strcat, sprintf, vsprintf, atoi, atol, gets, strtok.
# usage: scripts/static_analysis.sh [SOURCE_DIR]
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src"
status=0
banned='\b(strcpy|strcat|sprintf|vsprintf|atoi|atol|atoll|gets|strtok)[[:space:]]*\('
if hits=$(grep -rnE "$banned" src include --include='*.c' --include='*.h'); then
  echo "FAIL functions without a bound or an error report (use snprintf, dc_copy_text, strtol, strtok_r):"
  echo "$hits"
  status=1
else
  echo "PASS no banned function in src and include"
fi
if ! command -v cppcheck >/dev/null; then
  echo "FAIL cppcheck is not installed (scripts/deps.sh installs it)"
  exit 1
fi
out=$(cppcheck --enable=warning,performance,portability --std=c11 --quiet --inline-suppr \
        --library=tests/static/jansson.cfg --suppressions-list=tests/static/cppcheck-suppressions.txt \
        --suppress=missingIncludeSystem -I include --error-exitcode=3 \
        --template='{file}:{line}: {severity}: {message} [{id}]' src 2>&1) || cpp=$?
if [ "${cpp:-0}" -ne 0 ] || [ -n "$out" ]; then
  echo "FAIL cppcheck:"
  echo "$out"
  status=1
else
  echo "PASS cppcheck: no finding in src"
fi
exit $status
