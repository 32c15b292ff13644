#!/usr/bin/env bash
# The blue/green cutover as clients see it: examples/logical-fleet.sh (pagila and pgbench tables on 15, an empty
# 17, PgBouncer in front, a pgbench writer through it) run REPS times; per run the probe's write downtime through
# PgBouncer, its failed transactions, the writer's errors, and the write window's steps (cutover, switch) from the
# report. Medians at the end.
#
#   bench/logical.sh [PGBENCH_SCALE]            REPS=3 BUILD=.build/release WRITER_RATE=50 VERIFY=fenced|online
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
SCALE="${1:-10}" REPS="${REPS:-3}"
export BUILD="${BUILD:-$here/.build/release}" PGBENCH_SCALE="$SCALE" FLEET="${FLEET:-/tmp/upshift-logical-bench}"
[ -x "$BUILD/upshift" ] || { echo "no $BUILD/upshift: swift build -c release first" >&2; exit 1; }
results=()
for rep in $(seq "$REPS"); do
  "$here/examples/logical-fleet.sh" up >/dev/null 2>&1
  "$here/examples/logical-fleet.sh" run > "/tmp/upshift-logical-bench-$rep.out" 2>&1 || { echo "run $rep failed: /tmp/upshift-logical-bench-$rep.out" >&2; exit 1; }
  errors=$(grep -cE 'ERROR|aborted' "$FLEET/pgbench.out" || true)
  line=$("$BUILD/upshift" report "$FLEET/runs/blue-green" --format json | python3 -c '
import json, sys
from datetime import datetime
r = json.load(sys.stdin)
def secs(step):
    s = [x for x in r["steps"] if x["id"] == step][0]
    f = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
    return (f(s["finished_at"]) - f(s["started_at"])).total_seconds()
d = r["downtime"]
print(d["write_ms"] / 1000, d["failed_transactions"], secs("cutover"), secs("switch"), secs("data"), r["result"])
')
  echo "run $rep: write downtime, failed transactions, cutover s, switch s, data s, result = $line; writer errors $errors"
  results+=("$line $errors")
  "$here/examples/logical-fleet.sh" down >/dev/null 2>&1
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
med = lambda i: statistics.median(float(r[i]) for r in rows)
print(f"\nscale '"$SCALE"', {len(rows)} runs, medians: write downtime through PgBouncer {med(0):.2f} s, "
      f"failed transactions {max(int(r[1]) for r in rows)} (max), cutover step {med(2):.2f} s, switch step {med(3):.2f} s, "
      f"data step {med(4):.1f} s, writer errors {max(int(r[6]) for r in rows)} (max)")
'
