#!/usr/bin/env bash
# End-to-end benchmark of `scitrial classify` against the reference classifier, timed in the
# same run on the same file, and peak memory on a large input.
#
#   bench/classify.sh            # 30,000 exams for the comparison, 1,000,000 for memory
#   N=10000 BIG=100000 bench/classify.sh
#
# Needs node and tools/isncsci-reference/node_modules (`npm ci` there), and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-30000}
BIG=${BIG:-1000000}
RUNS=${RUNS:-5}

cargo build --release -q -p scitrial
bin=target/release/scitrial
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

disagreements=$(node -e '
  const a = require(process.argv[1]), b = require(process.argv[2]);
  let n = a.length === b.length ? 0 : Infinity;
  a.forEach((r, i) => { for (const k in r) if (String(r[k]) !== b[i][k]) n++; });
  console.log(n);' "$work/reference.json" "$work/ours.json")

# The same exams as other programs write them (bench/vary_json.py, Python's json module): one
# compact array, pretty-printed, objects that differ from one to the next (keys in any order,
# optional keys in some only, grades as numbers, CRLF), and those as JSON Lines. The reference
# reads the array; its time above is the yardstick for each.
layouts=""
for layout in compact pretty varied lines; do
  python3 bench/vary_json.py "$layout" 7 < "$work/exams.json" > "$work/$layout.json"
  t=$(best sh -c "$bin classify '$work/$layout.json' > /dev/null")
  layouts="$layouts $layout=$t"
done

rss_kb=$($bin generate-exams --count "$BIG" --seed 8 | /usr/bin/time -f %M "$bin" classify - 2>&1 >/dev/null | tail -1)

awk -v n="$N" -v size="$size" -v ours="$ours" -v ref="$reference" -v dis="$disagreements" \
    -v big="$BIG" -v rss="$rss_kb" -v layouts="$layouts" 'BEGIN {
  printf "input: %d exams, %.1f MB of JSON\n", n, size / 1e6
  printf "scitrial classify:  %.3f s  (%.0f exams/s, %.0f MB/s)\n", ours, n / ours, size / 1e6 / ours
  printf "reference (node):   %.3f s  (%.0f exams/s)\n", ref, n / ref
  printf "ratio:              %.1fx faster\n", ref / ours
  printf "disagreements:      %s fields\n", dis
  n_layouts = split(layouts, parts, " ")
  for (i = 1; i <= n_layouts; i++) {
    split(parts[i], kv, "=")
    printf "  %-8s layout:  %.3f s  (%.1fx the reference)\n", kv[1], kv[2], ref / kv[2]
  }
  printf "peak RSS, %d exams from a pipe: %.1f MB\n", big, rss / 1024
}'
