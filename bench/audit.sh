#!/usr/bin/env bash
# `scitrial audit verify` and `audit export` over a synthetic trail of ROWS rows (default
# 1,000,000; bench/audit_trail.py) on SQLite and on PostgreSQL, each beside the database's own
# reading of the same rows in the same run: `sqlite3` running the export's query to /dev/null,
# `psql` copying it to /dev/null; and `sha256sum` over the exported bytes. Best of RUNS
# (default 3) whole-process runs, with the peak RSS of the fastest (GNU time).
#
#   bench/audit.sh
#   ROWS=100000 PG=postgres://postgres@127.0.0.1:5432 bench/audit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
bin=${SCITRIAL_BIN:-target/release/scitrial}
[ -n "${SCITRIAL_BIN:-}" ] || cargo build --release -q -p scitrial
work=$(mktemp -d)
db=scitrial_audit_bench_$$
trap 'rm -rf "$work"; psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
query="SELECT id, chain, seq, at, user_id, username, action, entity, record_id, field, old_value, new_value, reason, prev_hash, hash FROM audit ORDER BY chain, seq"

# Prints, for the best of $RUNS runs of a command (its output to $out): seconds, rows/s and the
# peak RSS of that run. A failing run stops the benchmark.
best() {
  local out=$1; shift
  local best="" rss=""
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -o "$work/time" -f %M "$@" > "$out" 2> "$work/err" \
      || { echo; echo "failed: $*"; cat "$work/err"; exit 1; }
    t1=$(date +%s%N)
    local s=$(( t1 - t0 ))
    if [ -z "$best" ] || [ "$s" -lt "$best" ]; then best=$s; rss=$(tail -n 1 "$work/time"); fi
  done
  awk -v ns="$best" -v kb="$rss" -v rows="$ROWS" \
    'BEGIN { printf "%.3f s  %9.0f rows/s  peak RSS %.1f MB\n", ns / 1e9, rows / (ns / 1e9), kb / 1024 }'
}

run() {
  local name=$1 url=$2 reference=$3
  shift 3
  echo "$name, $ROWS rows:"
  "$bin" audit verify --database-url "$url" | grep "audit trail intact: $ROWS rows" \
    || { echo "the synthetic trail does not verify"; exit 1; }
  printf '  scitrial audit verify:              '; best /dev/null "$bin" audit verify --database-url "$url"
  printf '  scitrial audit export:              '; best "$work/audit.csv" "$bin" audit export --database-url "$url"
  printf '  reference, %s ' "$reference"; best /dev/null "$@"
  printf '  reference, sha256sum of the export (%s MB): ' "$(( $(stat -c %s "$work/audit.csv") / 1000000 ))"
  best /dev/null sha256sum "$work/audit.csv"
}

# SQLite: the store's tables (its migrations, run by opening it), then the rows.
sqlite3 "$work/trail.db" 'PRAGMA user_version = 0' >/dev/null
"$bin" audit verify --database-url "sqlite:$work/trail.db" >/dev/null 2>&1
t0=$(date +%s)
python3 bench/audit_trail.py "$ROWS" sqlite "$work/trail.db"
echo "(trail built and loaded in $(( $(date +%s) - t0 )) s)"
run SQLite "sqlite:$work/trail.db" "sqlite3, the same query:   " sqlite3 "$work/trail.db" "$query"
rm -f "$work/trail.db"

# PostgreSQL.
psql -q "$PG/postgres" -c "CREATE DATABASE $db" >/dev/null
"$bin" audit verify --database-url "$PG/$db" >/dev/null 2>&1
python3 bench/audit_trail.py "$ROWS" copy "$work"
psql -q "$PG/$db" -c "\\copy audit (id, chain, seq, at, user_id, username, action, entity, record_id, field, old_value, new_value, reason, prev_hash, hash) FROM '$work/audit.copy'" \
  -c "\\copy audit_heads (chain, seq, hash) FROM '$work/heads.copy'" \
  -c "SELECT setval(pg_get_serial_sequence('audit', 'id'), $ROWS)" -c "VACUUM ANALYZE audit" >/dev/null
rm -f "$work/audit.copy"
run PostgreSQL "$PG/$db" "psql \\copy of the same query:" psql -q "$PG/$db" -c "\\copy ($query) TO '/dev/null' (FORMAT binary)"
