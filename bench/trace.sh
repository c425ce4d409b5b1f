#!/usr/bin/env bash
# The cell product's trace benchmark (issue 17: "answered in under 100 ms over 100,000
# units"), in a release build, on SQLite and on PostgreSQL: 100 lots of 1,000 units registered
# through the store, 400 shipments, 1,000 administrations to 200 participants; each lot traced
# forward and each participant back, beside a single-row primary-key read of a unit on the same
# database in the same run (the reference). Prints the test's figures, then each database's
# slowest lot trace against the bound. RUNS (default 1) repeats the whole benchmark.
#
#   bench/trace.sh
#   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test RUNS=3 bench/trace.sh
#
# Without TEST_DATABASE_URL only SQLite is measured. Run it on an idle machine: the figures
# are wall-clock times.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-1}
BOUND_MS=${BOUND_MS:-100}
cargo test --release -q -p store --test store --no-run >/dev/null 2>&1 \
  || cargo test --release -p store --test store --no-run
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for run in $(seq "$RUNS"); do
  echo "run $run of $RUNS ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)):"
  cargo test --release -q -p store --test store -- --ignored --nocapture --exact \
    product_bench::trace_benchmark 2>&1 | tee "$out" | grep -E '^(Sqlite|Postgres):' | fold -s -w 100 | sed 's/^/  /'
  grep -q 'test result: ok' "$out" || { echo "the benchmark failed:"; cat "$out"; exit 1; }
  grep -oE '^(Sqlite|Postgres):.*units forward: median [0-9.]+ ms p95 [0-9.]+ ms max [0-9.]+ ms' "$out" \
    | sed -E 's/^(Sqlite|Postgres):.*median ([0-9.]+) ms p95 ([0-9.]+) ms max ([0-9.]+) ms/\1 \2 \3 \4/' \
    | while read -r db median p95 max; do
        verdict=$(awk -v m="$max" -v b="$BOUND_MS" 'BEGIN { print (m < b) ? "within" : "OVER" }')
        printf '  %-8s lot forward: median %s ms, p95 %s ms, max %s ms: %s the %s ms bound\n' \
          "$db" "$median" "$p95" "$max" "$verdict" "$BOUND_MS"
      done
done
