#!/usr/bin/env bash
# demo.sh - what a newcomer should see first: one coordinate in every notation, and a refusal
set -euo pipefail
build=${1:-build/release}
cli="$build/deconflict"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

echo "Deconflict demo - coordinates that cannot be misread"
echo "(the server, scenarios and map arrive with their issues; see README.md)"

say deconflict coord "36.37, 37.52"
"$cli" coord "36.37, 37.52"
say deconflict coord 37SCA6723226005
"$cli" coord 37SCA6723226005
say deconflict coord "35°53'56\"N 36°01'32\"E" --to mgrs
"$cli" coord --to mgrs "35°53'56\"N 36°01'32\"E"
say deconflict coord 120.5 33.3 "   # which number is the latitude?"
"$cli" coord 120.5 33.3 || true
say deconflict coord 38S 444141 3684706 "   # southern hemisphere, or band S?"
"$cli" coord 38S 444141 3684706 || true
say deconflict coord 37SCA67232260051
"$cli" coord 37SCA67232260051 || true
printf '\nNext: deconflict coord --help, README.md, ../shared/DESIGN.md\n'
