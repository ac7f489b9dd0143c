#!/bin/sh
# code_shape.sh - the layering rules of docs/ARCHITECTURE.md, checked: no file in src/ over 900
# lines, no function over 120, no SQL or transaction in src/api/, SQLite named only in src/store/,
# no include crossing between src/api/ and src/cli/. Prints each breach; exit 1 if any.
set -u
cd "$(dirname "$0")/.." || exit 2
fail=0
breach() { echo "$1"; fail=1; }

for f in $(git ls-files 'src/*.c' 'src/*.h'); do
    n=$(wc -l < "$f")
    [ "$n" -gt 900 ] && breach "$f: $n lines (at most 900)"
    # A function body runs from a '{' alone in column 0 to the next '}' in column 0 (the project's
    # clang-format puts a function's braces there and nothing else's); its length counts the
    # signature's first line too.
    awk -v f="$f" '
        /^[A-Za-z_].*\(/ && !/;[ \t]*$/ { sig = FNR; name = $0 }
        /^\{[ \t]*$/ { start = sig ? sig : FNR }
        /^\}/ && start { len = FNR - start + 1;
            if (len > 120) { sub(/\(.*/, "", name); printf "%s:%d: function %s is %d lines (at most 120)\n", f, start, name, len; bad = 1 }
            start = 0; sig = 0 }
        END { exit bad }' "$f" || fail=1
done

for f in $(git ls-files 'src/api/*'); do
    grep -nE '\b(SELECT|INSERT|UPDATE|DELETE FROM|CREATE TABLE)\b' "$f" | grep -v '^\s*/\?\*' |
        sed "s|^|$f: SQL in src/api: |" | grep . && fail=1
    grep -nE 'dc_store_(begin|commit|rollback|begin_unsynced)\b' "$f" |
        sed "s|^|$f: a transaction in src/api: |" | grep . && fail=1
done
git grep -n -i 'sqlite3' -- src ':!src/store' | sed 's|^|SQLite outside src/store: |' | grep . && fail=1
git grep -n '#include "\.\./cli/' -- src/api | sed 's|^|src/api includes src/cli: |' | grep . && fail=1
git grep -n '#include "\.\./api/' -- src/cli | sed 's|^|src/cli includes src/api: |' | grep . && fail=1
exit $fail
