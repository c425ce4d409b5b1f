#!/usr/bin/env bash
# Benchmark of `scitrial export odm` and `scitrial export sdtm` on a synthetic Phase II study
# (`scitrial export synthetic`: each participant screened with an ISNCSCI exam, enrolled,
# randomised, and a baseline vital-signs form saved and corrected once), on SQLite: wall time,
# participants per second and peak memory (GNU time's maximum resident set), at N and at N/10
# participants (flat memory shows as the same peak at both sizes). The reference, in the same
# run on the same file: sqlite3 reading the rows the exports read (participants, visits, saved
# forms, the forms' audit rows) and writing them as text.
#
#   bench/export.sh              # 10,000 participants
#   N=2000 bench/export.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}

cargo build --release -q -p scitrial
bin=$PWD/target/release/scitrial
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Seconds and peak kilobytes of a command, as "seconds kb".
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null
  cat "$work/time"
}

report() {
  local n=$1 db="sqlite:$work/$1.db"
  local t0 t1
  t0=$(date +%s%N)
  $bin export synthetic --database-url "$db" --participants "$n" > /dev/null
  t1=$(date +%s%N)
  local seeded odm odm_size sdtm reference
  seeded=$(awk -v ns=$(( t1 - t0 )) 'BEGIN { printf "%.1f", ns / 1e9 }')
  odm=$(measure "$bin" export odm --database-url "$db" --study XS228-P2 --output "$work/$n.xml")
  odm_size=$(stat -c %s "$work/$n.xml")
  sdtm=$(measure "$bin" export sdtm --database-url "$db" --study XS228-P2 --output "$work/sdtm$n")
  reference=$(measure sqlite3 "$work/$n.db" \
    "SELECT * FROM participants; SELECT * FROM visits; SELECT * FROM form_entries; \
     SELECT * FROM audit WHERE entity = 'form';")
  rm -rf "$work/$n.xml" "$work/sdtm$n"
  echo "$n $seeded $odm $odm_size $sdtm $reference"
}

small=$(report $(( N / 10 )))
large=$(report "$N")
for line in "$small" "$large"; do
  # shellcheck disable=SC2086
  set -- $line
  awk -v n="$1" -v seeded="$2" -v ot="$3" -v om="$4" -v size="$5" -v st="$6" -v sm="$7" \
      -v rt="$8" -v rm="$9" 'BEGIN {
    printf "%d participants (seeded in %s s)\n", n, seeded
    printf "  export odm:  %6.2f s, %8.0f participants/s, peak %6.1f MB, file %.0f MB\n", ot, n / (ot > 0 ? ot : 0.01), om / 1024, size / 1048576
    printf "  export sdtm: %6.2f s, %8.0f participants/s, peak %6.1f MB\n", st, n / (st > 0 ? st : 0.01), sm / 1024
    printf "  reference (sqlite3 reading the same rows as text): %6.2f s, peak %6.1f MB\n", rt, rm / 1024
  }'
done
