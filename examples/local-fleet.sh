#!/usr/bin/env bash
# A local fleet on this machine, upgraded live by Upshift: a PostgreSQL 15 primary loaded with the pagila
# sample database, a streaming standby made from it with pg_basebackup, one upshift-agent per host on
# loopback over mutual TLS, and `upshift run` taking the fleet to PostgreSQL 17 in place.
#
#   examples/local-fleet.sh [up|run|down]      (default: up, then run)
#
# STANDBYS=rsync|basebackup picks how the standby is upgraded (default rsync); PGBENCH_SCALE=N adds
# pgbench tables at that scale (bench/inplace.sh uses it).
#
# Everything lives under $FLEET (default /tmp/upshift-fleet), owned by the postgres user.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FLEET="${FLEET:-/tmp/upshift-fleet}"
PG_ROOT="${UPSHIFT_PG_ROOT:-/opt/upshift/pg}"
OLD="$PG_ROOT/15/bin"
PAGILA="${PAGILA:-$here/../shared/testdata/pagila}"
BUILD="${BUILD:-$here/.build/debug}"
PRIMARY_PORT=54315 STANDBY_PORT=54316 AGENT1=7711 AGENT2=7712

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

down() {
  # The agents run under runuser; stop the agents themselves (SIGTERM: graceful shutdown).
  pkill -TERM -f "^$FLEET/bin/upshift-agent " 2>/dev/null || true
  for _ in $(seq 50); do pgrep -f "^$FLEET/bin/upshift-agent " >/dev/null || break; sleep 0.1; done
  for d in "$FLEET"/db1/15 "$FLEET"/db2/15; do
    [ -f "$d/postmaster.pid" ] && as_pg "$OLD/pg_ctl" -D "$d" -m fast stop >/dev/null 2>&1 || true
  done
  for d in "$FLEET"/db1/17 "$FLEET"/db2/17; do
    [ -f "$d/postmaster.pid" ] && as_pg "$PG_ROOT/17/bin/pg_ctl" -D "$d" -m fast stop >/dev/null 2>&1 || true
  done
  rm -rf "$FLEET"
}

up() {
  [ -x "$OLD/postgres" ] || { echo "no PostgreSQL 15 at $OLD: run scripts/bootstrap.sh as root" >&2; exit 1; }
  [ -x "$BUILD/upshift" ] || (cd "$here" && swift build)
  down
  mkdir -p "$FLEET" && chown postgres:postgres "$FLEET" 2>/dev/null || true
  as_pg mkdir -p "$FLEET/db1" "$FLEET/db2" "$FLEET/sock" "$FLEET/bin"
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
  if [ -n "${PGBENCH_SCALE:-}" ]; then
    say "pgbench tables at scale $PGBENCH_SCALE"
    as_pg "$OLD/pgbench" -i -q -s "$PGBENCH_SCALE" -h "$FLEET/sock" -p $PRIMARY_PORT -U postgres postgres 2>&1 | tail -1
  fi

  say "standby db2: pg_basebackup of db1, streaming, on port $STANDBY_PORT"
  as_pg "$OLD/pg_basebackup" -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -D "$FLEET/db2/15" -R -X stream -c fast >/dev/null
  as_pg sed -i "s/^port = $PRIMARY_PORT/port = $STANDBY_PORT/" "$FLEET/db2/15/postgresql.conf"
  as_pg "$OLD/pg_ctl" -D "$FLEET/db2/15" -l "$FLEET/db2/15.log" -w start >/dev/null

  say "certificates and agents (mutual TLS on 127.0.0.1:$AGENT1 and :$AGENT2)"
  "$BUILD/upshift" certs init "$FLEET/tls" --agent db1=127.0.0.1 --agent db2=127.0.0.1
  for n in 1 2; do
    # Each agent's folder is what an operator copies to that host, owned by the user the agent runs as.
    cp -r "$FLEET/tls/agents/db$n" "$FLEET/db$n/tls"
    chown -R postgres:postgres "$FLEET/db$n/tls" 2>/dev/null || true
    port_var="AGENT$n"
    as_pg "$FLEET/bin/upshift-agent" --listen "127.0.0.1:${!port_var}" --tls-dir "$FLEET/db$n/tls" \
      --state-dir "$FLEET/db$n/agent-state" >"$FLEET/agent-db$n.out" 2>"$FLEET/agent-db$n.log" &
  done
  for n in 1 2; do
    for _ in $(seq 50); do grep -q listening "$FLEET/agent-db$n.out" 2>/dev/null && break; sleep 0.1; done
    cat "$FLEET/agent-db$n.out"
  done

  mkdir -p "$FLEET/plan/Hooks"
  cp "$here/Hooks/row_counts.lua" "$here/Hooks/notify.lua" "$FLEET/plan/Hooks/"
  for plan in fleet-upgrade fleet-runbook; do
    sed -e "s|@FLEET@|$FLEET|g" -e "s|@AGENT1@|$AGENT1|; s|@AGENT2@|$AGENT2|" -e "s|@PG_ROOT@|$PG_ROOT|g" \
        -e "s|@PRIMARY_PORT@|$PRIMARY_PORT|; s|@STANDBY_PORT@|$STANDBY_PORT|" -e "s|@STANDBYS@|${STANDBYS:-rsync}|" \
        "$here/examples/$plan.yaml.in" > "$FLEET/plan/${plan#fleet-}.yaml"
  done
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
  as_pg "$PG_ROOT/17/bin/psql" -h "$FLEET/sock" -p $STANDBY_PORT -U postgres -Atc \
    "select 'db2: ' || current_setting('server_version') || ', standby ' || pg_is_in_recovery() || ', ' || status from pg_stat_wal_receiver"
  say "report"
  "$BUILD/upshift" report "$FLEET/runs/upgrade" --format md
}

case "${1:-all}" in
  up) up ;;
  run) run ;;
  down) down ;;
  all) up; run ;;
  *) echo "usage: $0 [up|run|down]" >&2; exit 2 ;;
esac
