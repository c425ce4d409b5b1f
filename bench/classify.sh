#!/usr/bin/env bash
# End-to-end benchmark of `scitrial classify` against the reference classifier, timed in the
# same run on the same file, and peak memory on a large input.
#
#   bench/classify.sh            # 30,000 exams for the comparison, 1,000,000 for memory
#   N=10000 BIG=100000 bench/classify.sh
#   PROFILE=debug N=300 BIG=1000 RUNS=1 bench/classify.sh   # checks the script, not a figure
#
# Needs node and tools/isncsci-reference/node_modules (`npm ci` there), and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-30000}
BIG=${BIG:-1000000}
RUNS=${RUNS:-5}
PROFILE=${PROFILE:-release}

case "$PROFILE" in
  release) cargo build --release -q --bin scitrial; bin=target/release/scitrial ;;
  debug) cargo build -q --bin scitrial; bin=target/debug/scitrial ;;
  *) echo "PROFILE must be release or debug" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -d tools/isncsci-reference/node_modules ] || (cd tools/isncsci-reference && npm ci --no-audit --no-fund -q)

$bin generate-exams --count "$N" --seed 7 > "$work/exams.json"
size=$(stat -c %s "$work/exams.json")

# Best wall-clock time of $RUNS runs, in seconds.
best() {
  local best=""
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@"
    t1=$(date +%s%N)
    local t=$(( t1 - t0 ))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  awk -v ns="$best" 'BEGIN { printf "%.4f", ns / 1e9 }'
}

ours=$(best sh -c "$bin classify '$work/exams.json' > '$work/ours.json'")
reference=$(RUNS=$(( RUNS < 3 ? RUNS : 3 )) best sh -c "node tools/isncsci-reference/classify.js < '$work/exams.json' > '$work/reference.json'")

# Fields of our results that differ from the reference's (ids aside: the reference has none).
disagree() {
  node -e '
    const a = require(process.argv[1]), b = require(process.argv[2]);
    if (!Array.isArray(b) || a.length !== b.length) { console.log("all"); process.exit(0); }
    let n = 0;
    a.forEach((r, i) => { for (const k in r) if (String(r[k]) !== b[i][k]) n++; });
    console.log(n);' "$work/reference.json" "$1"
}
disagreements=$(disagree "$work/ours.json")

# The same exams as other programs write them (bench/vary_json.py, with Python's json module):
# one layout at a time (compact, pretty-printed, keys shuffled per object, optional keys in some
# objects only, grades as numbers and ids as numbers or strings, CRLF line ends), then all of
# them mixed object by object as an array and as JSON Lines. The reference reads the plain
# array; its time above is the yardstick for each. Every layout must give the same results.
layouts=""
for layout in compact pretty shuffled optional numbers crlf varied lines; do
  python3 bench/vary_json.py "$layout" 7 < "$work/exams.json" > "$work/$layout.json"
  t=$(best sh -c "$bin classify '$work/$layout.json' > '$work/$layout-results.json'")
  differ=$(disagree "$work/$layout-results.json")
  if [ "$differ" != 0 ]; then
    echo "the $layout layout: $differ fields differ from the reference" >&2
    exit 1
  fi
  layouts="$layouts $layout=$t"
done

rss_kb=$($bin generate-exams --count "$BIG" --seed 8 | /usr/bin/time -f %M "$bin" classify - 2>&1 >/dev/null | tail -1)

awk -v n="$N" -v size="$size" -v ours="$ours" -v ref="$reference" -v dis="$disagreements" \
    -v big="$BIG" -v rss="$rss_kb" -v layouts="$layouts" -v profile="$PROFILE" 'BEGIN {
  printf "input: %d exams, %.1f MB of JSON (%s build)\n", n, size / 1e6, profile
  printf "scitrial classify:  %.3f s  (%.0f exams/s, %.0f MB/s)\n", ours, n / ours, size / 1e6 / ours
  printf "reference (node):   %.3f s  (%.0f exams/s)\n", ref, n / ref
  printf "ratio:              %.1fx faster\n", ref / ours
  printf "disagreements:      %s fields\n", dis
  n_layouts = split(layouts, parts, " ")
  for (i = 1; i <= n_layouts; i++) {
    split(parts[i], kv, "=")
    printf "  %-8s layout:  %.3f s  (%.1fx the reference, %.3f s)\n", kv[1], kv[2], ref / kv[2], ref
  }
  printf "peak RSS, %d exams from a pipe: %.1f MB\n", big, rss / 1024
}'
