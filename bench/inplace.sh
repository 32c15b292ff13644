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
printf '%-6s %-11s %-34s %9s\n' scale standbys step seconds
for scale in "${scales[@]}"; do
  for method in rsync basebackup; do
    PGBENCH_SCALE=$scale STANDBYS=$method "$here/examples/local-fleet.sh" up >/dev/null 2>&1
    "$here/.build/debug/upshift" run "$FLEET/plan/upgrade.yaml" --yes --run-dir "$FLEET/runs/bench" >/dev/null
    "$here/.build/debug/upshift" report "$FLEET/runs/bench" --format json | python3 "$here/bench/step_times.py" "$scale" "$method"
  done
done
"$here/examples/local-fleet.sh" down >/dev/null 2>&1 || true
