#!/usr/bin/env bash
# The bulk copy of one large table, 15 -> 17, by `upshift-agent copy-table` next to the usual ways of doing it:
# pgbench_accounts (pgbench -i -s SCALE; scale 70 is about 1 GB) on a PostgreSQL 15 source, copied into the same
# table (created from the source's pre-data schema, so no index slows any method down) on an empty PostgreSQL 17
# target, each method on an emptied target, checkpointed before it starts (after one untimed warm-up copy):
#   copy_table -pN         upshift-agent copy-table --parallel N for each N of PARALLEL (default: 1, the machine's
#                          core count and 4; ctid ranges, binary COPY; peak RSS measured). The ratios are against
#                          -p(core count): source and target share this machine's cores, so more ranges only queue.
#   pg_dump | pg_restore   pg_dump -Fc -t pgbench_accounts | pg_restore --data-only (the 17 programs)
#   pgcopydb               pgcopydb 0.10 copy table-data --table-jobs 4, the table split in about 4 parts on its
#                          primary key (apt package; its wall time includes the VACUUM ANALYZE it runs after COPY)
#   COPY TO /dev/null      the source's read limit: COPY pgbench_accounts TO '/dev/null' through psql
#   COPY FROM files        the target's write limit: the table's rows, dumped once as 4 binary files beforehand,
#                          loaded by 4 COPY FROM sessions at once (no source, no network: what any copy pays on
#                          the target, WAL included)
# The methods take turns, REPS rounds (default 3); the table gives each one's median wall time, and MB/s is the
# source table's size (pg_relation_size) over it. Run as root; the servers run as postgres.
#
#   bench/copy_table.sh [SCALE]        (default: 70; BUILD=.build/release holds upshift-agent; KEEP=1 leaves the
#                                       servers and each method's output in WORK=/tmp/upshift-copy-bench)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
SCALE="${1:-70}"
PG_ROOT="${UPSHIFT_PG_ROOT:-/opt/upshift/pg}"
OLD="$PG_ROOT/15/bin" NEW="$PG_ROOT/17/bin"
BUILD="${BUILD:-$here/.build/release}"
WORK="${WORK:-/tmp/upshift-copy-bench}"
REPS="${REPS:-3}"
SOURCE_PORT=5425 TARGET_PORT=5426

as_pg() { runuser -u postgres -- "$@"; }
now() { date +%s.%N; }
sql() { as_pg env PGOPTIONS="-c client_min_messages=warning" "$NEW/psql" -X -q -At -h "$WORK/sock" -p "$1" -U postgres -d postgres -c "$2"; }

"$BUILD/upshift-agent" copy-table --help >/dev/null 2>&1 \
  || { echo "no upshift-agent with copy-table in $BUILD: swift build -c release --product upshift-agent" >&2; exit 2; }
command -v pgcopydb >/dev/null || apt-get install -y pgcopydb >/dev/null 2>&1 || echo "pgcopydb could not be installed" >&2

down() {
  for v in 15 17; do
    [ -f "$WORK/$v/postmaster.pid" ] && as_pg "$PG_ROOT/$v/bin/pg_ctl" -D "$WORK/$v" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
down
[ -n "${KEEP:-}" ] || trap down EXIT
mkdir -p "$WORK/sock" && chown -R postgres: "$WORK"
for v in 15 17; do
  port=$([ $v = 15 ] && echo $SOURCE_PORT || echo $TARGET_PORT)
  as_pg "$PG_ROOT/$v/bin/initdb" -D "$WORK/$v" -U postgres --auth trust --encoding UTF8 --locale C >/dev/null
  printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = ''\nmax_wal_size = 8GB\ncheckpoint_timeout = 30min\n" \
    $port "$WORK/sock" | as_pg tee -a "$WORK/$v/postgresql.conf" >/dev/null
  as_pg "$PG_ROOT/$v/bin/pg_ctl" -D "$WORK/$v" -l "$WORK/$v.log" -w start >/dev/null
done
SOURCE="host=$WORK/sock port=$SOURCE_PORT user=postgres dbname=postgres"
TARGET="host=$WORK/sock port=$TARGET_PORT user=postgres dbname=postgres"

echo "loading pgbench scale $SCALE on 15..." >&2
as_pg "$OLD/pgbench" -i -q -s "$SCALE" -h "$WORK/sock" -p $SOURCE_PORT -U postgres postgres >/dev/null 2>&1
sql $SOURCE_PORT "vacuum analyze pgbench_accounts" && sql $SOURCE_PORT "checkpoint"
as_pg "$NEW/pg_dump" --section=pre-data -t pgbench_accounts -d "$SOURCE" | as_pg "$NEW/psql" -X -q -d "$TARGET" >/dev/null
rows=$(sql $SOURCE_PORT "select count(*) from pgbench_accounts")
bytes=$(sql $SOURCE_PORT "select pg_relation_size('pgbench_accounts')")
sync

# Empties the target (and copy_table's ledger) and settles both servers before a method runs.
reset_target() {
  sql $TARGET_PORT "truncate pgbench_accounts; drop schema if exists upshift_copy cascade" && sql $TARGET_PORT "checkpoint"
  sql $SOURCE_PORT "checkpoint"
  sync
}
# Checks the target got every row, once.
check_target() {
  local got
  got=$(sql $TARGET_PORT "select count(*) from pgbench_accounts")
  [ "$got" = "$rows" ] || echo "warning: $1 left $got rows on the target, not $rows" >&2
}

declare -A times rss
CORES=$(nproc)
PARALLEL="${PARALLEL:-$(printf '%s\n' 1 "$CORES" 4 | awk '!seen[$0]++' | tr '\n' ' ')}"
methods=()
for n in $PARALLEL; do methods+=("copy_table -p$n"); done
methods+=("pg_dump | pg_restore")
if command -v pgcopydb >/dev/null; then methods+=(pgcopydb); else echo "pgcopydb is not installed: skipped" >&2; fi
methods+=("COPY TO /dev/null" "COPY FROM files")
out() { echo "$WORK/${1//[^A-Za-z0-9]/_}.out"; } # where method NAME's output goes
timed() { # NAME COMMAND...: runs COMMAND; adds its seconds to NAME's (or "failed")
  local name=$1 start
  shift
  start=$(now)
  if "$@" >"$(out "$name")" 2>&1; then
    times[$name]+="$(printf '%.2f' "$(echo "$(now) - $start" | bc)") "
  else
    echo "$name failed (exit $?): $(tail -3 "$(out "$name")" | tr '\n' ' ')" >&2
    times[$name]+="failed "
  fi
}

copy_table() { # PARALLEL: the agent under /usr/bin/time -v, for its CPU time and peak RSS
  /usr/bin/time -v -o "$WORK/time-$1" "$BUILD/upshift-agent" copy-table --source "$SOURCE" --target "$TARGET" \
    --table public.pgbench_accounts --parallel "$1"
}
dump_restore() {
  as_pg "$NEW/pg_dump" -Fc -t pgbench_accounts -d "$SOURCE" | as_pg "$NEW/pg_restore" --data-only -d "$TARGET"
}
pgcopydb_copy() {
  printf '[include-only-table]\npublic.pgbench_accounts\n' >"$WORK/filters.ini"
  rm -rf "$WORK/pgcopydb" && chown postgres: "$WORK/filters.ini"
  as_pg env PATH="$NEW:/usr/bin:/bin" PGCOPYDB_SPLIT_TABLES_LARGER_THAN="$((bytes / 4 / 1048576 + 1))MB" \
    pgcopydb copy table-data --source "$SOURCE" --target "$TARGET" --dir "$WORK/pgcopydb" --table-jobs 4 --filters "$WORK/filters.ini"
}
copy_to_null() {
  sql $SOURCE_PORT "copy pgbench_accounts to '/dev/null'"
}
for i in 0 1 2 3; do # the target write limit's input, made once
  sql $SOURCE_PORT "copy (select * from pgbench_accounts where aid % 4 = $i) to '$WORK/rows-$i.bin' (format binary)"
done
copy_from_files() {
  local pids=() i status=0
  for i in 0 1 2 3; do sql $TARGET_PORT "copy pgbench_accounts from '$WORK/rows-$i.bin' (format binary)" & pids+=($!); done
  for i in "${pids[@]}"; do wait "$i" || status=1; done
  return $status
}
# Runs one method on an emptied target and checks what arrived.
run() {
  reset_target
  case $1 in
    "copy_table -p"*) local n=${1#copy_table -p}
      timed "$1" copy_table "$n"
      peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time-$n")
      [ "${peak:-0}" -gt "${rss[$1]:-0}" ] && rss[$1]=$peak ;;
    "pg_dump | pg_restore") timed "$1" dump_restore ;;
    pgcopydb) timed "$1" pgcopydb_copy ;;
    "COPY TO /dev/null") timed "$1" copy_to_null; return ;;
    "COPY FROM files") timed "$1" copy_from_files ;;
  esac
  check_target "$1"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# Untimed: the target's first copy creates its WAL segments; later ones recycle them. No method pays for that.
reset_target && copy_table 4 >/dev/null
for rep in $(seq "$REPS"); do
  echo "round $rep of $REPS..." >&2
  for name in "${methods[@]}"; do run "$name"; done
done

printf '\npgbench_accounts, scale %s: %s rows, %.0f MB (15 -> 17, %s cores), median of %s runs each\n' \
  "$SCALE" "$rows" "$(echo "$bytes / 1000000" | bc -l)" "$(nproc)" "$REPS"
for n in $PARALLEL; do
  printf '  copy_table -p%s (last run): %s; agent CPU %s s user + %s s system\n' $n "$(grep -h rows "$(out "copy_table -p$n")")" \
    "$(sed -n 's/.*User time (seconds): //p' "$WORK/time-$n")" "$(sed -n 's/.*System time (seconds): //p' "$WORK/time-$n")"
done
grep -ho 'Table .* COPY processes will be used.*\|Table .* will not be split.*' "$(out pgcopydb)" 2>/dev/null | sed 's/^/  pgcopydb: /' || true
printf '%-22s %9s %9s %9s %12s   %s\n' method seconds MB/s "vs -p$CORES" "peak RSS MB" "all runs (s)"
reference=$(echo "${times["copy_table -p$CORES"]:-}" | sed 's/failed//g' | median)
for name in "${methods[@]}"; do
  all=${times[$name]}
  if [[ $all == *failed* ]]; then printf '%-22s %9s   %s\n' "$name" failed "$all"; continue; fi
  s=$(echo "$all" | median)
  ratio=$([ -n "$reference" ] && printf '%.2fx' "$(echo "$s / $reference" | bc -l)" || echo -)
  memory=$([ -n "${rss[$name]:-}" ] && printf '%.1f' "$(echo "${rss[$name]} / 1024" | bc -l)" || echo -)
  printf '%-22s %9.2f %9.1f %9s %12s   %s\n' "$name" "$s" "$(echo "$bytes / 1000000 / $s" | bc -l)" "$ratio" "$memory" "$all"
done
