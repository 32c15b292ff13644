#!/usr/bin/env bash
# What a CHECKPOINT taken while clients still write (init-new does one on the old primary) saves the clean stop
# inside the write window: a PostgreSQL 15 server (shared_buffers 512MB, checkpoints only on demand) under pgbench
# for LOAD_SECONDS (default 20), then stopped with -m fast, directly or right after a CHECKPOINT; REPS rounds each
# (default 3), each on a fresh pgbench load. Prints each stop's wall time, the checkpoint's, and the buffers the
# shutdown checkpoint wrote (log_checkpoints).
#
#   bench/shutdown_checkpoint.sh [SCALE]        (default: 20; run as root, the server runs as postgres)
set -euo pipefail
SCALE="${1:-20}" LOAD_SECONDS="${LOAD_SECONDS:-20}" REPS="${REPS:-3}"
BIN="${UPSHIFT_PG_ROOT:-/opt/upshift/pg}/15/bin"
WORK="${WORK:-/tmp/upshift-shutdown-bench}"
PORT=5499
as_pg() { runuser -u postgres -- "$@"; }
now() { date +%s.%N; }
psql_() { as_pg "$BIN/psql" -X -q -h "$WORK" -p $PORT -U postgres -d postgres "$@"; }
down() { [ -f "$WORK/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
down
trap down EXIT
mkdir -p "$WORK" && chown postgres: "$WORK"
as_pg "$BIN/initdb" -D "$WORK/data" -U postgres --auth trust >/dev/null
printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = ''\nshared_buffers = 512MB\nmax_wal_size = 8GB\ncheckpoint_timeout = 30min\nlog_checkpoints = on\n" \
  $PORT "$WORK" | as_pg tee -a "$WORK/data/postgresql.conf" >/dev/null
start() { as_pg "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w start >/dev/null; }
start
as_pg "$BIN/pgbench" -h "$WORK" -p $PORT -U postgres -i -q -s "$SCALE" postgres >/dev/null 2>&1
printf '%-22s %12s %10s %20s\n' stop "checkpoint s" "stop s" "shutdown ckpt wrote"
for rep in $(seq "$REPS"); do
  for mode in direct after-checkpoint; do
    psql_ -c checkpoint
    as_pg "$BIN/pgbench" -h "$WORK" -p $PORT -U postgres -T "$LOAD_SECONDS" -c 4 -j 2 postgres >/dev/null 2>&1
    began=$(now)
    [ $mode = after-checkpoint ] && psql_ -c checkpoint
    stopping=$(now)
    as_pg "$BIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null
    ended=$(now)
    wrote=$(grep "checkpoint complete" "$WORK/server.log" | tail -1 | sed -n 's/.*wrote \([0-9]*\) buffers.*/\1 buffers/p')
    printf '%-22s %12.2f %10.2f %20s\n' "$mode" "$(echo "$stopping - $began" | bc)" "$(echo "$ended - $stopping" | bc)" "$wrote"
    start
  done
done
