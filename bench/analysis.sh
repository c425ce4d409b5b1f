#!/usr/bin/env bash
# Benchmark of `scitrial analysis` (issue #18: under 2 s for 1,000 participants) on a synthetic
# Phase II study made by `scitrial export synthetic` (each participant screened with an ISNCSCI
# exam, enrolled, randomised, a baseline vital-signs form saved and corrected), on SQLite: the
# wall time and peak memory (GNU time's maximum resident set) of a pooled run and of an
# unblinded (by-arm) run, each writing every file (ADSL and ADISN as CSV and XPT, results.json,
# the figures in two languages and the two reports). The reference, in the same run on the same
# file: sqlite3 reading the rows the analysis reads (participants, allocations, visits, saved
# forms) and writing them as text.
#
#   bench/analysis.sh            # 1,000 participants
#   N=5000 bench/analysis.sh
#
# The synthetic participants have their screening exam and no follow-up exam yet, so the
# analyses that need a week-24 change say "not computed"; the time is that of loading,
# deriving and writing. The demo's analysis with every model fitted is timed by the
# `scitrial` analysis test (its output prints the time taken).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
LIMIT=${LIMIT:-2.0}

cargo build --release -q -p scitrial
bin=$PWD/target/release/scitrial
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Seconds and peak kilobytes of a command, as "seconds kb".
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null
  cat "$work/time"
}

db="sqlite:$work/trial.db"
t0=$(date +%s%N)
$bin export synthetic --database-url "$db" --participants "$N" > /dev/null
t1=$(date +%s%N)
seeded=$(awk -v ns=$(( t1 - t0 )) 'BEGIN { printf "%.1f", ns / 1e9 }')
pooled=$(measure "$bin" analysis --database-url "$db" --study XS228-P2 --output "$work/pooled")
unblinded=$(measure "$bin" analysis --database-url "$db" --study XS228-P2 --output "$work/dsmb" --unblinded)
rows=$(( $(wc -l < "$work/dsmb/adsl.csv") - 1 ))
reference=$(measure sqlite3 "$work/trial.db" \
  "SELECT * FROM participants; SELECT * FROM allocations; SELECT * FROM visits; \
   SELECT * FROM form_entries;")
# shellcheck disable=SC2086
set -- $pooled $unblinded $reference
awk -v n="$N" -v rows="$rows" -v seeded="$seeded" -v pt="$1" -v pm="$2" -v ut="$3" -v um="$4" \
    -v rt="$5" -v rm="$6" -v limit="$LIMIT" 'BEGIN {
  printf "%d participants (seeded in %s s), %d ADSL records\n", n, seeded, rows
  printf "  scitrial analysis (pooled):      %6.2f s, peak %6.1f MB\n", pt, pm / 1024
  printf "  scitrial analysis (--unblinded): %6.2f s, peak %6.1f MB\n", ut, um / 1024
  printf "  reference (sqlite3 reading the same rows as text): %6.2f s, peak %6.1f MB\n", rt, rm / 1024
  worst = pt > ut ? pt : ut
  printf "  %s: the slower run took %.2f s (limit %.1f s)\n", worst < limit ? "PASS" : "FAIL", worst, limit
  exit worst < limit ? 0 : 1
}'
