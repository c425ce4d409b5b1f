#!/usr/bin/env bash
# Benchmark of `scitrial analysis` (issue #18: under 2 s for 1,000 participants) on a synthetic
# Phase II study made by `scitrial export synthetic --follow-up` (each participant screened
# with an ISNCSCI exam, enrolled, randomised, the kit dispensed, and followed up to week 24:
# an ISNCSCI exam at weeks 2, 4, 12 and 24, SCIM III and WISCI II at baseline and weeks 12 and
# 24; some withdraw after week 4, some miss the week-24 visit, a few come to it late; the
# active arm recovers a little more), on SQLite: the wall time, the CPU time and peak memory (GNU time's
# maximum resident set) of a pooled run and of an unblinded (by-arm) run, each loading,
# deriving, fitting every model (the primary ANCOVA, the secondary analyses, the per-protocol
# analysis and the multiple imputation) and writing every file (ADSL and ADISN as CSV and XPT,
# results.json, the figures in two languages and the two reports). The reference, in the same
# run on the same file: sqlite3 reading the rows the analysis reads (participants,
# allocations, visits, saved forms) and writing them as text.
#
#   bench/analysis.sh            # 1,000 participants
#   N=5000 bench/analysis.sh
#   PROFILE=debug bench/analysis.sh   # the debug build (target/debug), not built here
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
LIMIT=${LIMIT:-2.0}

if [ "${PROFILE:-release}" = release ]; then
  cargo build --release -q -p scitrial
fi
bin=$PWD/target/${PROFILE:-release}/scitrial
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Seconds, peak kilobytes and CPU seconds (user + system) of a command, as "seconds kb cpu".
measure() {
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" > /dev/null
  awk '{ printf "%s %s %.2f", $1, $2, $3 + $4 }' "$work/time"
}

db="sqlite:$work/trial.db"
t0=$(date +%s%N)
$bin export synthetic --database-url "$db" --participants "$N" --follow-up > /dev/null
t1=$(date +%s%N)
seeded=$(awk -v ns=$(( t1 - t0 )) 'BEGIN { printf "%.1f", ns / 1e9 }')
pooled=$(measure "$bin" analysis --database-url "$db" --study XS228-P2 --output "$work/pooled")
unblinded=$(measure "$bin" analysis --database-url "$db" --study XS228-P2 --output "$work/dsmb" --unblinded)
rows=$(( $(wc -l < "$work/dsmb/adsl.csv") - 1 ))
# Every model fitted: the primary analysis by arm has its estimate.
grep -q '"estimate"' "$work/dsmb/results.json" || { echo "the primary analysis was not fitted"; exit 1; }
reference=$(measure sqlite3 "$work/trial.db" \
  "SELECT * FROM participants; SELECT * FROM allocations; SELECT * FROM visits; \
   SELECT * FROM form_entries;")
# shellcheck disable=SC2086
set -- $pooled $unblinded $reference
awk -v n="$N" -v rows="$rows" -v seeded="$seeded" -v pt="$1" -v pm="$2" -v pc="$3" \
    -v ut="$4" -v um="$5" -v uc="$6" -v rt="$7" -v rm="$8" -v rc="$9" -v limit="$LIMIT" 'BEGIN {
  printf "%d participants (seeded with their follow-up in %s s), %d ADSL records\n", n, seeded, rows
  printf "  scitrial analysis (pooled):      %6.2f s (CPU %5.2f s), peak %6.1f MB\n", pt, pc, pm / 1024
  printf "  scitrial analysis (--unblinded): %6.2f s (CPU %5.2f s), peak %6.1f MB\n", ut, uc, um / 1024
  printf "  reference (sqlite3 reading the same rows as text): %6.2f s (CPU %5.2f s), peak %6.1f MB\n", rt, rc, rm / 1024
  worst = pt > ut ? pt : ut
  printf "  %s: the slower run took %.2f s (limit %.1f s)\n", worst < limit ? "PASS" : "FAIL", worst, limit
  exit worst < limit ? 0 : 1
}'
