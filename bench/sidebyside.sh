#!/usr/bin/env bash
# The write window of the documented in-place procedure run by a tight shell script, next to `upshift run` on
# a fresh identical fleet (examples/local-fleet.sh: a 15 primary loaded with pagila and pgbench, two streaming
# standbys, 15 -> 17, pg_upgrade --link), for each pgbench scale and each `verify:` mode asked for.
#
# The script's window runs from `pg_ctl stop` of the primary to the first write committed on the new one:
# stop the primary, stop the standbys once they hold its shutdown checkpoint, pg_upgrade --link --jobs 2,
# rsync --archive --delete --hard-links --size-only --no-inc-recursive to both standbys at once (the old pg_wal
# left out), make them standbys of the new primary, start the primary, write; the standbys start after the
# window. Its new cluster is initdb'd before the window, as Upshift's init-new step does. Upshift's window is
# the probe's write downtime (report JSON; the probe writes every 10 ms here), which also counts up to one
# probe interval before the fence.
# Each fleet is checkpointed and synced to disk before either side starts.
#
# The machine's disk makes single runs noisy (pg_upgrade alone varies by 0.7 s here), so each side runs REPS
# times (default 3), alternating, each on a fresh fleet; the table gives the medians and their ratio, then each
# side's phases (medians). Every run's report JSON is kept in OUT (default /tmp/upshift-sidebyside-results).
#
#   bench/sidebyside.sh [SCALE...]        (default: 10 100; VERIFY="structural fenced" sets the modes, VERIFY=""
#                                          runs the script alone; SCRIPT_PG_UPGRADE_FLAGS adds flags to the
#                                          script's pg_upgrade, e.g. --sync-method=syncfs as Upshift runs it)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FLEET="${FLEET:-/tmp/upshift-sidebyside}"
export FLEET
PG_ROOT="${UPSHIFT_PG_ROOT:-/opt/upshift/pg}"
OLD="$PG_ROOT/15/bin" NEW="$PG_ROOT/17/bin"
BUILD="${BUILD:-$here/.build/debug}"
export BUILD
REPS="${REPS:-3}"
OUT="${OUT:-/tmp/upshift-sidebyside-results}"
rm -rf "$OUT" && mkdir -p "$OUT"
PRIMARY_PORT=5415 STANDBY_PORT=5416 STANDBY2_PORT=5417
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(10 100)
read -r -a modes <<<"${VERIFY-structural fenced}"

as_pg() { runuser -u postgres -- "$@"; }
now() { date +%s.%N; }
# A fresh fleet, settled: its load checkpointed and on disk, so neither side's window pays for the other's writes.
up() {
  PGBENCH_SCALE=$1 "$here/examples/local-fleet.sh" up >/dev/null 2>&1
  as_pg "$OLD/psql" -h "$FLEET/sock" -p $PRIMARY_PORT -U postgres -qAtc checkpoint >/dev/null
  sync
}

# The documented procedure on the fleet local-fleet.sh built; prints the window in seconds.
scripted() {
  # Outside the window: the agents are not used, and the new primary is initdb'd like the old one.
  pkill -TERM -f "^$FLEET/bin/upshift-agent " 2>/dev/null || true
  as_pg "$NEW/initdb" -D "$FLEET/db1/17" -U postgres --encoding UTF8 --locale C.UTF-8 >/dev/null 2>&1
  grep -E '^(port|listen_addresses|unix_socket_directories|wal_level|max_wal_senders|hot_standby) ' "$FLEET/db1/15/postgresql.conf" \
    | as_pg tee -a "$FLEET/db1/17/postgresql.conf" >/dev/null
  echo "host replication postgres 127.0.0.1/32 trust" | as_pg tee -a "$FLEET/db1/17/pg_hba.conf" >/dev/null
  work="$FLEET/script-work" && as_pg mkdir -p "$work"
  sock="$FLEET/sock"

  start=$(now)
  phase() { printf '%s=%s ' "$1" "$(echo "$(now) - $start" | bc)" >>"$OUT/script-phases"; }
  as_pg "$OLD/pg_ctl" -D "$FLEET/db1/15" -m fast -w stop >/dev/null
  checkpoint=$(as_pg "$OLD/pg_controldata" "$FLEET/db1/15" | sed -n 's/^Latest checkpoint location: *//p')
  for n in 2 3; do
    port_var=$([ $n = 2 ] && echo STANDBY_PORT || echo STANDBY2_PORT)
    until [ "$(as_pg "$OLD/psql" -h "$sock" -p "${!port_var}" -U postgres -Atc \
      "select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '$checkpoint') > 0")" = t ]; do sleep 0.02; done
    as_pg "$OLD/pg_ctl" -D "$FLEET/db$n/15" -m fast -w stop >/dev/null
  done
  phase stopped
  # shellcheck disable=SC2086 # SCRIPT_PG_UPGRADE_FLAGS is split on purpose
  (cd "$work" && as_pg "$NEW/pg_upgrade" -b "$OLD" -B "$NEW" -d "$FLEET/db1/15" -D "$FLEET/db1/17" --link --jobs 2 \
    -U postgres --socketdir "$work" -p 50432 -P 50433 ${SCRIPT_PG_UPGRADE_FLAGS:-} >/dev/null)
  phase upgraded
  for n in 2 3; do
    as_pg rsync --archive --delete --hard-links --size-only --no-inc-recursive --exclude /15/pg_wal \
      "$FLEET/db1/15" "$FLEET/db1/17" "$FLEET/db$n/" &
  done
  wait
  phase synced
  for n in 2 3; do
    port_var=$([ $n = 2 ] && echo STANDBY_PORT || echo STANDBY2_PORT)
    printf "port = %s\ncluster_name = 'db%s'\nprimary_conninfo = 'host=127.0.0.1 port=%s user=postgres'\n" \
      "${!port_var}" "$n" "$PRIMARY_PORT" | as_pg tee -a "$FLEET/db$n/17/postgresql.auto.conf" >/dev/null
    as_pg touch "$FLEET/db$n/17/standby.signal"
  done
  as_pg "$NEW/pg_ctl" -D "$FLEET/db1/17" -l "$FLEET/db1/17.log" -w start >/dev/null
  until as_pg "$NEW/psql" -h "$sock" -p $PRIMARY_PORT -U postgres -qc "insert into pgbench_history (tid, bid, aid, delta, mtime) values (1, 1, 1, 0, now())" 2>/dev/null; do
    sleep 0.01
  done
  end=$(now)
  phase written && echo >>"$OUT/script-phases"
  for n in 2 3; do as_pg "$NEW/pg_ctl" -D "$FLEET/db$n/17" -l "$FLEET/db$n/17.log" -w start >/dev/null; done
  streaming=$(as_pg "$NEW/psql" -h "$sock" -p $PRIMARY_PORT -U postgres -Atc "select count(*) from pg_stat_replication")
  [ "$streaming" -ge 1 ] || echo "warning: the scripted standbys do not stream" >&2
  echo "$end - $start" | bc
}

down() {
  "$here/examples/local-fleet.sh" down >/dev/null 2>&1 || true
  for d in "$FLEET"/db1/17 "$FLEET"/db2/17 "$FLEET"/db3/17; do
    [ -f "$d/postmaster.pid" ] && as_pg "$NEW/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$FLEET"
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print ""; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

for scale in "${scales[@]}"; do
  for rep in $(seq "$REPS"); do
    up "$scale"
    scripted >>"$OUT/script-$scale"
    down
    for mode in "${modes[@]}"; do
      VERIFY=$mode up "$scale"
      printf 'probe:\n  interval_ms: 10\n' >> "$FLEET/plan/upgrade.yaml"
      "$BUILD/upshift" run "$FLEET/plan/upgrade.yaml" --yes --run-dir "$FLEET/runs/bench" >/dev/null || true
      "$BUILD/upshift" report "$FLEET/runs/bench" --format json >"$OUT/$mode-$scale-$rep.json" || true
      down
    done
  done
  sed -i "s/^/$scale /" "$OUT/script-phases"; cat "$OUT/script-phases" >>"$OUT/script-phases-all"; : >"$OUT/script-phases"
done

# The write downtime (s) of each upshift run of MODE at SCALE, and the wall time of each step inside its window.
figures() {
  python3 - "$OUT" "$1" "$2" <<'PY'
import glob, json, sys
out, mode, scale = sys.argv[1:]
for path in sorted(glob.glob(f"{out}/{mode}-{scale}-*.json")):
    report = json.load(open(path))
    ms = (report.get("downtime") or {}).get("write_ms")
    if ms is None: print("failed"); continue
    steps = {}
    for step in report["steps"]:
        if step.get("duration_ms") is not None: steps[step["id"]] = max(steps.get(step["id"], 0), step["duration_ms"])
    window = ["stop-primary", "stop-standbys", "pg-upgrade", "sync-standbys", "start-primary", "start-standbys", "verify"]
    print(ms / 1000, " ".join(f"{s}={steps[s] / 1000}" for s in window if s in steps))
PY
}

printf '| scale | documented procedure (script, median of %s) | verify | upshift write downtime (probe, median of %s) | ratio |\n|---|---|---|---|---|\n' "$REPS" "$REPS"
for scale in "${scales[@]}"; do
  script=$(median <"$OUT/script-$scale")
  for mode in "${modes[@]}"; do
    ours=$(figures "$mode" "$scale" | awk '$1 != "failed" {print $1}' | median)
    failed=$(figures "$mode" "$scale" | grep -c failed || true)
    if [ -n "$ours" ]; then
      printf '| %s | %.2f s | %s | %.2f s%s | %.2fx |\n' "$scale" "$script" "$mode" "$ours" \
        "$([ "$failed" -gt 0 ] && echo " ($failed runs failed)")" "$(echo "$ours / $script" | bc -l)"
    else
      printf '| %s | %.2f s | %s | (no figure: every run failed) | - |\n' "$scale" "$script" "$mode"
    fi
  done
done

echo
echo "Each run (seconds): the script's window, and its phases since the primary's stop (stopped = primary and"
echo "standbys down, upgraded = pg_upgrade done, synced = both rsyncs done, written = first write on the new primary):"
for scale in "${scales[@]}"; do echo "  scale $scale: script $(tr '\n' ' ' <"$OUT/script-$scale")"; done
sed 's/^/  /' "$OUT/script-phases-all"
echo "upshift: write downtime, then the wall time of each step inside the window:"
for scale in "${scales[@]}"; do
  for mode in "${modes[@]}"; do figures "$mode" "$scale" | sed "s/^/  scale $scale $mode: /"; done
done
