#!/usr/bin/env bash
# In-place upgrade benchmark on the local fleet (primary + one streaming standby, 15 → 17, link mode):
# for each pgbench scale and standby method, builds the fleet, runs the upgrade, and prints every step's
# time and the write-downtime window (stop-primary start → verify end, from the run's journal).
#
#   bench/inplace.sh [SCALE...]        (default: 10 100)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FLEET="${FLEET:-/tmp/upshift-bench}"
export FLEET
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(10 100)
printf '%-6s %-11s %-30s %9s\n' scale standbys step seconds
for scale in "${scales[@]}"; do
  for method in rsync basebackup; do
    PGBENCH_SCALE=$scale STANDBYS=$method "$here/examples/local-fleet.sh" up >/dev/null 2>&1
    "$here/.build/debug/upshift" run "$FLEET/plan/upgrade.yaml" --yes --run-dir "$FLEET/runs/bench" >/dev/null
    "$here/.build/debug/upshift" report "$FLEET/runs/bench" --format json | python3 -c '
import json, sys, datetime
scale, method = sys.argv[1], sys.argv[2]
report = json.load(sys.stdin)
def t(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
steps = [s for s in report["steps"] if s.get("started_at") and s.get("finished_at")]
for s in steps:
    print(f"{scale:<6} {method:<11} {s[\"id\"] + \" (\" + s[\"host\"] + \")\":<30} {(t(s[\"finished_at\"]) - t(s[\"started_at\"])).total_seconds():9.2f}")
stop = min(t(s["started_at"]) for s in steps if s["id"] == "stop-primary")
resume = max(t(s["finished_at"]) for s in steps if s["id"] == "verify")
standby = [s for s in steps if s["id"] in ("sync-standbys", "basebackup-standbys")]
print(f"{scale:<6} {method:<11} {\"WRITE DOWNTIME\":<30} {(resume - stop).total_seconds():9.2f}")
print(f"{scale:<6} {method:<11} {\"standby upgrade (\" + standby[0][\"id\"] + \")\":<30} {sum((t(s[\"finished_at\"]) - t(s[\"started_at\"])).total_seconds() for s in standby):9.2f}")
' "$scale" "$method"
  done
done
"$here/examples/local-fleet.sh" down >/dev/null 2>&1 || true
