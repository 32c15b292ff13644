#!/usr/bin/env bash
# Fault matrix on the local fleet (a 15 primary, two rsync standbys, 15 -> 17 in place, link mode): for every
# step of the plan, kill a process at the step's start and again inside it, carry the run on, and classify
# how it ended:
#   coordinator: SIGKILL `upshift run`, then `upshift resume RUN`;
#   agent:       SIGKILL the agent of the step's first host, start it again on the same state directory
#                (as systemd would), and let the coordinator carry on.
# A run is "done" when it ended done with the new version everywhere and the primary's data identical,
# "rolled back" when it ended rolled_back with the old version and the data identical, and "half" otherwise.
#
#   bench/faults.sh [coordinator|agent]...      (default: both; STEPS="verify statistics" for some steps only)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FLEET="${FLEET:-/tmp/upshift-faults}"
export FLEET
B="${BUILD:-$here/.build/debug}"
export BUILD="$B"
PG="${UPSHIFT_PG_ROOT:-/opt/upshift/pg}"
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(coordinator agent)
steps=(preflight init-new before:stop-primary/row_counts stop-primary stop-standbys pg-upgrade sync-standbys start-primary
       start-standbys verify after:verify/notify verify-standbys statistics)
# STEPS="a b" limits the matrix to those steps.
[ -z "${STEPS:-}" ] || read -r -a steps <<<"$STEPS"
sock="$FLEET/sock"
psql_at() { runuser -u postgres -- "$PG/$1/bin/psql" -X -At -h "$sock" -p 5415 -U postgres -d postgres -c "$2" 2>/dev/null; }
checksum="select count(*), sum(hashtextextended(a::text, 0)::numeric) from pgbench_accounts a"
journal_has() { grep -q "\"kind\":\"$1\".*\"step\":\"$2\"" "$FLEET/runs/fault/journal.jsonl" 2>/dev/null \
                || grep -q "\"step\":\"$2\".*\"kind\":\"$1\"" "$FLEET/runs/fault/journal.jsonl" 2>/dev/null; }

rows=()
for kind in "${kinds[@]}"; do
  for step in "${steps[@]}"; do
    for point in start inside; do
      "$here/examples/local-fleet.sh" up >/dev/null 2>&1
      before="$(psql_at 15 "$checksum")"
      rm -rf "$FLEET/runs/fault"
      "$B/upshift" run "$FLEET/plan/upgrade.yaml" --yes --run-dir "$FLEET/runs/fault" >"$FLEET/run.out" 2>&1 &
      coordinator=$!
      hit=no
      for _ in $(seq 1200); do
        if journal_has step.started "$step"; then hit=yes; break; fi
        kill -0 "$coordinator" 2>/dev/null || break
        sleep 0.05
      done
      [ "$point" = inside ] && sleep 0.3
      if [ "$hit" = yes ] && [ "$kind" = coordinator ]; then
        kill -KILL "$coordinator" 2>/dev/null || true
        wait "$coordinator" 2>/dev/null || true
        "$B/upshift" resume "$FLEET/runs/fault" >>"$FLEET/run.out" 2>&1 || true
      elif [ "$hit" = yes ]; then
        host="$(grep "\"step\":\"$step\"" "$FLEET/runs/fault/journal.jsonl" | grep -o '"host":"db[0-9]"' | head -1 | cut -d'"' -f4)"
        n="${host#db}"; port=$((7710 + n))
        pkill -KILL -f "^$FLEET/bin/upshift-agent --listen 127.0.0.1:$port " || true
        sleep 1
        runuser -u postgres -- "$FLEET/bin/upshift-agent" --listen "127.0.0.1:$port" --tls-dir "$FLEET/db$n/tls" \
          --state-dir "$FLEET/db$n/agent-state" >>"$FLEET/agent-db$n.out" 2>>"$FLEET/agent-db$n.log" &
        wait "$coordinator" 2>/dev/null || true
      else
        wait "$coordinator" 2>/dev/null || true
      fi
      result="$("$B/upshift" report "$FLEET/runs/fault" --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])' 2>/dev/null || echo none)"
      major="$(psql_at 17 'show server_version_num' || psql_at 15 'show server_version_num' || echo 0)"
      after="$(psql_at 17 "$checksum" || psql_at 15 "$checksum" || echo none)"
      verdict=half
      if [ "$result" = done ] && [ "${major:0:2}" = 17 ] && [ "$after" = "$before" ]; then verdict=done; fi
      if [ "$result" = rolled_back ] && [ "${major:0:2}" = 15 ] && [ "$after" = "$before" ]; then verdict=rolled_back; fi
      [ "$hit" = yes ] || verdict="not reached ($verdict)"
      printf '%-12s %-34s %-7s %-12s %s\n' "$kind" "$step" "$point" "$result" "$verdict"
      rows+=("$kind|$verdict")
    done
  done
done
"$here/examples/local-fleet.sh" down >/dev/null 2>&1 || true
echo
printf '| fault | runs | ended done | ended rolled back | ended half |\n|---|---|---|---|---|\n'
for kind in "${kinds[@]}"; do
  total=0 done_=0 back=0 half=0
  for row in "${rows[@]}"; do
    [ "${row%%|*}" = "$kind" ] || continue
    total=$((total + 1))
    case "${row#*|}" in done) done_=$((done_ + 1));; rolled_back) back=$((back + 1));; *) half=$((half + 1));; esac
  done
  printf '| SIGKILL %s at each step start and inside it | %d | %d | %d | %d |\n' "$kind" "$total" "$done_" "$back" "$half"
done
