#!/usr/bin/env bash
# A local fleet on this machine, upgraded live by Upshift: a PostgreSQL 15 primary loaded with the pagila
# sample database, pgbench tables and the objects an upgrade must carry (sequences, foreign keys, an
# extension, a partitioned table, a materialized view, a large object, an unlogged table), two streaming
# standbys made from it with pg_basebackup, one upshift-agent per host on loopback over mutual TLS, and
# `upshift run` taking the fleet to PostgreSQL 17 in place while a probe measures what clients saw.
#
#   examples/local-fleet.sh [up|run|down]      (default: up, then run)
#
# STANDBYS=rsync|basebackup picks how the standbys are upgraded (default rsync); PGBENCH_SCALE=N sets the
# pgbench scale (default 1); PGBOUNCER=1 puts a PgBouncer in front of the primary, probes writes through it
# and pauses it across the write window (Hooks/pgbouncer.lua); VERIFY=fenced|structural picks the plan's
# proof (default fenced). bench/upgrade.sh and bench/sidebyside.sh use them.
#
# Everything lives under $FLEET (default /tmp/upshift-fleet), owned by the postgres user.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FLEET="${FLEET:-/tmp/upshift-fleet}"
PG_ROOT="${UPSHIFT_PG_ROOT:-/opt/upshift/pg}"
OLD="$PG_ROOT/15/bin"
PAGILA="${PAGILA:-$here/examples/pagila}"
BUILD="${BUILD:-$here/.build/debug}"
# Below the ephemeral port range (32768-60999 here): a probe that reconnects to a stopped server every few ms can be
# handed that very port as its own source port (TCP connects to itself) and hold it when the server starts again.
PRIMARY_PORT=5415 STANDBY_PORT=5416 STANDBY2_PORT=5417 BOUNCER_PORT=5420 AGENT1=7711 AGENT2=7712 AGENT3=7713

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

down() {
  # The agents run under runuser; stop the agents themselves (SIGTERM: graceful shutdown).
  pkill -TERM -f "^$FLEET/bin/upshift-agent " 2>/dev/null || true
  for _ in $(seq 50); do pgrep -f "^$FLEET/bin/upshift-agent " >/dev/null || break; sleep 0.1; done
  if [ -f "$FLEET/pgbouncer/pgbouncer.pid" ]; then kill "$(cat "$FLEET/pgbouncer/pgbouncer.pid")" 2>/dev/null || true; fi
  for d in "$FLEET"/db1/15 "$FLEET"/db2/15 "$FLEET"/db3/15; do
    [ -f "$d/postmaster.pid" ] && as_pg "$OLD/pg_ctl" -D "$d" -m fast stop >/dev/null 2>&1 || true
  done
  for d in "$FLEET"/db1/17 "$FLEET"/db2/17 "$FLEET"/db3/17; do
    [ -f "$d/postmaster.pid" ] && as_pg "$PG_ROOT/17/bin/pg_ctl" -D "$d" -m fast stop >/dev/null 2>&1 || true
  done
  rm -rf "$FLEET"
}

up() {
  [ -x "$OLD/postgres" ] || { echo "no PostgreSQL 15 at $OLD: run scripts/bootstrap.sh as root" >&2; exit 1; }
  [ -x "$BUILD/upshift" ] || (cd "$here" && swift build)
  down
  mkdir -p "$FLEET" && chown postgres:postgres "$FLEET" 2>/dev/null || true
  as_pg mkdir -p "$FLEET/db1" "$FLEET/db2" "$FLEET/db3" "$FLEET/sock" "$FLEET/bin"
  cp "$BUILD/upshift-agent" "$FLEET/bin/" && chmod 755 "$FLEET/bin/upshift-agent"

  say "primary db1: PostgreSQL 15 on port $PRIMARY_PORT, pagila loaded"
  as_pg "$OLD/initdb" -D "$FLEET/db1/15" -U postgres --encoding UTF8 --locale C.UTF-8 --no-sync >/dev/null
  as_pg tee -a "$FLEET/db1/15/postgresql.conf" >/dev/null <<CONF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$FLEET/sock'
wal_level = replica
max_wal_senders = 10
hot_standby = on
CONF
  echo "host replication postgres 127.0.0.1/32 trust" | as_pg tee -a "$FLEET/db1/15/pg_hba.conf" >/dev/null
  as_pg "$OLD/pg_ctl" -D "$FLEET/db1/15" -l "$FLEET/db1/15.log" -w start >/dev/null
  as_pg "$OLD/psql" -h "$FLEET/sock" -p $PRIMARY_PORT -U postgres -qc "create database pagila"
  as_pg "$OLD/psql" -h "$FLEET/sock" -p $PRIMARY_PORT -U postgres -d pagila -q -v ON_ERROR_STOP=1 \
    -f "$PAGILA/pagila-schema.sql" -f "$PAGILA/pagila-data.sql" >/dev/null
  say "the objects an upgrade must carry: an extension, a large object, an unlogged table"
  as_pg "$OLD/psql" -h "$FLEET/sock" -p $PRIMARY_PORT -U postgres -d pagila -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
create extension hstore;
create table customer_tags (customer_id int primary key references customer(customer_id), tags hstore not null);
insert into customer_tags select customer_id, hstore('tier', (customer_id % 3)::text) from customer;
create unlogged table session_cache (k text primary key, v text);
insert into session_cache select 'session-' || g, 'cached' from generate_series(1, 200) g;
create table receipts (id serial primary key, scan oid not null);
insert into receipts (scan) select lo_from_bytea(0, convert_to('receipt ' || g, 'UTF8')) from generate_series(1, 3) g;
SQL
  say "pgbench tables at scale ${PGBENCH_SCALE:-1}"
  as_pg "$OLD/pgbench" -i -q -s "${PGBENCH_SCALE:-1}" -h "$FLEET/sock" -p $PRIMARY_PORT -U postgres postgres 2>&1 | tail -1

  for n in 2 3; do
    port_var=$([ $n = 2 ] && echo STANDBY_PORT || echo STANDBY2_PORT)
    say "standby db$n: pg_basebackup of db1, streaming, on port ${!port_var}"
    as_pg "$OLD/pg_basebackup" -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -D "$FLEET/db$n/15" -R -X stream -c fast >/dev/null
    as_pg sed -i "s/^port = $PRIMARY_PORT/port = ${!port_var}/" "$FLEET/db$n/15/postgresql.conf"
    echo "cluster_name = 'db$n'" | as_pg tee -a "$FLEET/db$n/15/postgresql.conf" >/dev/null
    as_pg "$OLD/pg_ctl" -D "$FLEET/db$n/15" -l "$FLEET/db$n/15.log" -w start >/dev/null
  done

  if [ -n "${PGBOUNCER:-}" ]; then
    say "PgBouncer on port $BOUNCER_PORT in front of db1 (transaction pooling)"
    as_pg mkdir -p "$FLEET/pgbouncer"
    echo '"postgres" ""' | as_pg tee "$FLEET/pgbouncer/userlist.txt" >/dev/null
    as_pg tee "$FLEET/pgbouncer/pgbouncer.ini" >/dev/null <<CONF
[databases]
* = host=127.0.0.1 port=$PRIMARY_PORT
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
  fi

  say "certificates and agents (mutual TLS on 127.0.0.1:$AGENT1, :$AGENT2 and :$AGENT3)"
  "$BUILD/upshift" certs init "$FLEET/tls" --agent db1=127.0.0.1 --agent db2=127.0.0.1 --agent db3=127.0.0.1
  for n in 1 2 3; do
    # Each agent's folder is what an operator copies to that host, owned by the user the agent runs as.
    cp -r "$FLEET/tls/agents/db$n" "$FLEET/db$n/tls"
    chown -R postgres:postgres "$FLEET/db$n/tls" 2>/dev/null || true
    port_var="AGENT$n"
    as_pg "$FLEET/bin/upshift-agent" --listen "127.0.0.1:${!port_var}" --tls-dir "$FLEET/db$n/tls" \
      --state-dir "$FLEET/db$n/agent-state" >"$FLEET/agent-db$n.out" 2>"$FLEET/agent-db$n.log" &
  done
  for n in 1 2 3; do
    for _ in $(seq 50); do grep -q listening "$FLEET/agent-db$n.out" 2>/dev/null && break; sleep 0.1; done
    cat "$FLEET/agent-db$n.out"
  done

  mkdir -p "$FLEET/plan/Hooks"
  cp "$here/Hooks/row_counts.lua" "$here/Hooks/notify.lua" "$here/Hooks/pgbouncer.lua" "$FLEET/plan/Hooks/"
  for plan in fleet-upgrade fleet-runbook; do
    sed -e "s|@FLEET@|$FLEET|g" -e "s|@AGENT1@|$AGENT1|; s|@AGENT2@|$AGENT2|; s|@AGENT3@|$AGENT3|" -e "s|@PG_ROOT@|$PG_ROOT|g" \
        -e "s|@PRIMARY_PORT@|$PRIMARY_PORT|; s|@STANDBY_PORT@|$STANDBY_PORT|; s|@STANDBY2_PORT@|$STANDBY2_PORT|" \
        -e "s|@STANDBYS@|${STANDBYS:-rsync}|; s|@VERIFY@|${VERIFY:-fenced}|" "$here/examples/$plan.yaml.in" > "$FLEET/plan/${plan#fleet-}.yaml"
  done
  if [ -n "${PGBOUNCER:-}" ]; then
    # Clients reach db1 through PgBouncer: probe writes there, and hold them in PgBouncer across the window.
    admin="host=127.0.0.1 port=$BOUNCER_PORT dbname=pgbouncer user=postgres"
    cat >> "$FLEET/plan/upgrade.yaml" <<YAML
  - at: before:stop-primary
    run: Hooks/pgbouncer.lua
    on: primary
    with: { admin: "$admin", action: PAUSE }
  - at: after:verify
    run: Hooks/pgbouncer.lua
    on: primary
    with: { admin: "$admin", action: RESUME }
  - at: after:rollback
    run: Hooks/pgbouncer.lua
    on: primary
    with: { admin: "$admin", action: RESUME }
probe:
  write: "host=127.0.0.1 port=$BOUNCER_PORT dbname=postgres user=postgres"
YAML
  fi
  ln -sfn "$FLEET/tls" "$FLEET/plan/tls"
}

run() {
  plan="$FLEET/plan/upgrade.yaml"
  say "upshift check: the plan, offline"
  "$BUILD/upshift" check "$plan"
  say "upshift plan: the steps, per host"
  "$BUILD/upshift" plan "$plan"
  say "upshift preflight: read-only checks through the agents"
  "$BUILD/upshift" preflight "$plan"
  say "upshift run: PostgreSQL 15 -> 17, live"
  "$BUILD/upshift" run "$plan" --yes --run-dir "$FLEET/runs/upgrade"
  say "the fleet now"
  as_pg "$PG_ROOT/17/bin/psql" -h "$FLEET/sock" -p $PRIMARY_PORT -U postgres -d pagila -Atc \
    "select 'db1: ' || version(); select 'rentals: ' || count(*) from rental"
  for port in $STANDBY_PORT $STANDBY2_PORT; do
    as_pg "$PG_ROOT/17/bin/psql" -h "$FLEET/sock" -p $port -U postgres -Atc \
      "select current_setting('cluster_name') || ': ' || current_setting('server_version') || ', standby ' || pg_is_in_recovery() || ', ' || status from pg_stat_wal_receiver"
  done
  say "report"
  "$BUILD/upshift" report "$FLEET/runs/upgrade" --format md
  "$BUILD/upshift" report "$FLEET/runs/upgrade" --format html -o "$FLEET/runs/upgrade/report.html"
  echo "HTML report with the timeline: $FLEET/runs/upgrade/report.html"
}

case "${1:-all}" in
  up) up ;;
  run) run ;;
  down) down ;;
  all) up; run ;;
  *) echo "usage: $0 [up|run|down]" >&2; exit 2 ;;
esac
