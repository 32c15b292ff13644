#!/usr/bin/env bash
# Blue/green on this machine: a PostgreSQL 15 source loaded with the pagila sample database and pgbench tables, an
# empty PostgreSQL 17 target, PgBouncer in front (clients and the probe connect through it), one upshift-agent per
# server on loopback over mutual TLS, and `upshift run` moving the database to 17 over logical replication while a
# pgbench writer keeps writing through PgBouncer: rental ids become bigint on the way, the append-only `events` table
# is copied by the bulk-copy hook (most of it after `data`, the tail inside the window), the cutover pauses PgBouncer,
# the switch repoints it at the target, and the reverse path keeps the source current for `upshift rollback`.
#
#   examples/logical-fleet.sh [up|run|rollback|finish|down]      (default: up, then run)
#
# PGBENCH_SCALE=N sizes the pgbench tables (default 1); WRITER_RATE=N the writer's transactions per second
# (default 50); VERIFY=online compares the tables after the switch instead of inside the window (default fenced). Everything lives under $FLEET (default /tmp/upshift-logical), owned by the postgres user.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FLEET="${FLEET:-/tmp/upshift-logical}"
PG_ROOT="${UPSHIFT_PG_ROOT:-/opt/upshift/pg}"
OLD="$PG_ROOT/15/bin" NEW="$PG_ROOT/17/bin"
PAGILA="${PAGILA:-$here/examples/pagila}"
BUILD="${BUILD:-$here/.build/debug}"
SOURCE_PORT=5435 TARGET_PORT=5436 BOUNCER_PORT=5438 AGENT1=7731 AGENT2=7732
RUN_DIR="$FLEET/runs/blue-green"

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

down() {
  pkill -TERM -f "^$FLEET/bin/upshift-agent " 2>/dev/null || true
  pkill -TERM -f "pgbench.*-p $BOUNCER_PORT" 2>/dev/null || true
  for _ in $(seq 50); do pgrep -f "^$FLEET/bin/upshift-agent " >/dev/null || break; sleep 0.1; done
  if [ -f "$FLEET/pgbouncer/pgbouncer.pid" ]; then kill "$(cat "$FLEET/pgbouncer/pgbouncer.pid")" 2>/dev/null || true; fi
  [ -f "$FLEET/old1/15/postmaster.pid" ] && as_pg "$OLD/pg_ctl" -D "$FLEET/old1/15" -m fast stop >/dev/null 2>&1 || true
  [ -f "$FLEET/new1/17/postmaster.pid" ] && as_pg "$NEW/pg_ctl" -D "$FLEET/new1/17" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$FLEET"
}

server() { # NAME BINDIR VERSION PORT
  as_pg "$2/initdb" -D "$FLEET/$1/$3" -U postgres --encoding UTF8 --locale C.UTF-8 --no-sync >/dev/null
  as_pg tee -a "$FLEET/$1/$3/postgresql.conf" >/dev/null <<CONF
port = $4
listen_addresses = '127.0.0.1'
unix_socket_directories = '$FLEET/sock'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
CONF
  echo "host replication postgres 127.0.0.1/32 trust" | as_pg tee -a "$FLEET/$1/$3/pg_hba.conf" >/dev/null
  as_pg "$2/pg_ctl" -D "$FLEET/$1/$3" -l "$FLEET/$1/$3.log" -w start >/dev/null
}

up() {
  [ -x "$OLD/postgres" ] && [ -x "$NEW/postgres" ] || { echo "no PostgreSQL 15/17 under $PG_ROOT: run scripts/bootstrap.sh as root" >&2; exit 1; }
  [ -x "$BUILD/upshift" ] || (cd "$here" && swift build)
  down
  mkdir -p "$FLEET" && chown postgres:postgres "$FLEET" 2>/dev/null || true
  as_pg mkdir -p "$FLEET/old1" "$FLEET/new1" "$FLEET/sock" "$FLEET/bin" "$FLEET/pgbouncer"
  cp "$BUILD/upshift-agent" "$FLEET/bin/" && chmod 755 "$FLEET/bin/upshift-agent"

  say "source old1: PostgreSQL 15 on port $SOURCE_PORT (wal_level logical), pagila and pgbench tables"
  server old1 "$OLD" 15 $SOURCE_PORT
  as_pg "$OLD/psql" -h "$FLEET/sock" -p $SOURCE_PORT -U postgres -qc "create database pagila"
  as_pg "$OLD/psql" -h "$FLEET/sock" -p $SOURCE_PORT -U postgres -d pagila -q -v ON_ERROR_STOP=1 \
    -f "$PAGILA/pagila-schema.sql" -f "$PAGILA/pagila-data.sql" >/dev/null
  as_pg "$OLD/psql" -h "$FLEET/sock" -p $SOURCE_PORT -U postgres -d pagila -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
create sequence invoice_numbers;                 -- no column owns it: the cutover still carries it
select nextval('invoice_numbers') from generate_series(1, 25);
create table receipts (id serial primary key, scan oid not null);
-- The big append-only table, left out of replication and copied by Hooks/bulk_copy.lua (Retool's pattern).
create table events (id bigserial primary key, at timestamptz not null default now(), kind text not null, payload jsonb);
insert into events (kind, payload) select 'k' || g % 11, jsonb_build_object('n', g) from generate_series(1, 200000) g;
insert into receipts (scan) select lo_from_bytea(0, convert_to('receipt ' || g, 'UTF8')) from generate_series(1, 3) g;
SQL
  as_pg "$OLD/pgbench" -i -q -s "${PGBENCH_SCALE:-1}" -h "$FLEET/sock" -p $SOURCE_PORT -U postgres pagila 2>&1 | tail -1

  say "target new1: PostgreSQL 17 on port $TARGET_PORT, empty"
  server new1 "$NEW" 17 $TARGET_PORT

  say "PgBouncer on port $BOUNCER_PORT in front of the source (transaction pooling)"
  echo '"postgres" ""' | as_pg tee "$FLEET/pgbouncer/userlist.txt" >/dev/null
  as_pg tee "$FLEET/pgbouncer/pgbouncer.ini" >/dev/null <<CONF
[databases]
pagila = host=127.0.0.1 port=$SOURCE_PORT dbname=pagila
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $FLEET/pgbouncer/userlist.txt
admin_users = postgres
pool_mode = transaction
server_login_retry = 1
query_wait_timeout = 600
logfile = $FLEET/pgbouncer/pgbouncer.log
pidfile = $FLEET/pgbouncer/pgbouncer.pid
CONF
  as_pg /usr/sbin/pgbouncer -d "$FLEET/pgbouncer/pgbouncer.ini"

  say "certificates and agents (mutual TLS on 127.0.0.1:$AGENT1 and :$AGENT2)"
  "$BUILD/upshift" certs init "$FLEET/tls" --agent old1=127.0.0.1 --agent new1=127.0.0.1
  n=0
  for host in old1 new1; do
    n=$((n + 1)); port_var="AGENT$n"
    cp -r "$FLEET/tls/agents/$host" "$FLEET/$host/tls"
    chown -R postgres:postgres "$FLEET/$host/tls" 2>/dev/null || true
    as_pg "$FLEET/bin/upshift-agent" --listen "127.0.0.1:${!port_var}" --tls-dir "$FLEET/$host/tls" \
      --state-dir "$FLEET/$host/agent-state" >"$FLEET/agent-$host.out" 2>"$FLEET/agent-$host.log" &
  done
  for host in old1 new1; do
    for _ in $(seq 50); do grep -q listening "$FLEET/agent-$host.out" 2>/dev/null && break; sleep 0.1; done
    cat "$FLEET/agent-$host.out"
  done

  mkdir -p "$FLEET/plan/Hooks"
  cp "$here/Hooks/bulk_copy.lua" "$here/Hooks/pgbouncer.lua" "$FLEET/plan/Hooks/"
  sed -e "s|@FLEET@|$FLEET|g; s|@PG_ROOT@|$PG_ROOT|g; s|@AGENT1@|$AGENT1|; s|@AGENT2@|$AGENT2|" \
      -e "s|@SOURCE_PORT@|$SOURCE_PORT|g; s|@TARGET_PORT@|$TARGET_PORT|g; s|@BOUNCER_PORT@|$BOUNCER_PORT|g" \
      -e "s|@LOGICAL_VERIFY@|${VERIFY:-fenced}|" \
      "$here/examples/logical-upgrade.yaml.in" > "$FLEET/plan/blue-green.yaml"
  ln -sfn "$FLEET/tls" "$FLEET/plan/tls"
}

run() {
  plan="$FLEET/plan/blue-green.yaml"
  say "upshift check and plan"
  "$BUILD/upshift" check "$plan"
  "$BUILD/upshift" plan "$plan"
  say "a pgbench writer through PgBouncer, ${WRITER_RATE:-50} transactions a second, for the whole move (half append to events)"
  echo "insert into events (kind, payload) values ('checkout', '{\"cart\": 1}');" >"$FLEET/events.sql"
  "$OLD/pgbench" -n -M simple -c 2 -R "${WRITER_RATE:-50}" -T 3600 -b tpcb-like -f "$FLEET/events.sql" \
    -h 127.0.0.1 -p $BOUNCER_PORT -U postgres pagila >"$FLEET/pgbench.out" 2>&1 &
  writer=$!
  say "upshift run: pagila moves to PostgreSQL 17, live"
  status=0
  "$BUILD/upshift" run "$plan" --yes --run-dir "$RUN_DIR" || status=$?
  sleep 2
  kill -TERM $writer 2>/dev/null || true
  wait $writer 2>/dev/null || true
  say "the writer's errors (none expected: PgBouncer held its transactions across the cutover)"
  grep -E 'ERROR|aborted' "$FLEET/pgbench.out" || echo "none"
  say "clients now reach"
  as_pg "$NEW/psql" -h 127.0.0.1 -p $BOUNCER_PORT -U postgres -d pagila -Atc \
    "select version(); select 'rental_id is ' || format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'rental'::regclass and attname = 'rental_id'"
  say "report"
  "$BUILD/upshift" report "$RUN_DIR" --format md
  "$BUILD/upshift" report "$RUN_DIR" --format html -o "$RUN_DIR/report.html"
  echo "HTML report: $RUN_DIR/report.html"
  echo "Back to the source: $0 rollback    Keep the target and drop the reverse path: $0 finish"
  return $status
}

case "${1:-all}" in
  up) up ;;
  run) run ;;
  rollback) "$BUILD/upshift" rollback "$RUN_DIR" ;;
  finish) "$BUILD/upshift" finish "$RUN_DIR" ;;
  down) down ;;
  all) up; run ;;
  *) echo "usage: $0 [up|run|rollback|finish|down]" >&2; exit 2 ;;
esac
