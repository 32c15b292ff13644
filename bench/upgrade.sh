#!/usr/bin/env bash
# Upgrade benchmark on the local fleet (a primary and two streaming standbys, 15 → 17, pg_upgrade --link):
# for each pgbench scale, builds the fleet three times (standbys by rsync; by rsync with PgBouncer in front;
# by pg_basebackup), runs `upshift run` with the probe on, and prints one table: the write downtime clients
# saw (probe), failed transactions, the journal's write window, read downtime, the standbys' ready time,
# and every step's wall time.
#
#   bench/upgrade.sh [SCALE...]        (default: 10 100)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
FLEET="${FLEET:-/tmp/upshift-bench}"
export FLEET
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(10 100)
reports=()
for scale in "${scales[@]}"; do
  for variant in rsync rsync+pgbouncer basebackup; do
    method=${variant%%+*}
    bouncer=$([ "$variant" = rsync+pgbouncer ] && echo 1 || true)
    PGBENCH_SCALE=$scale STANDBYS=$method PGBOUNCER=$bouncer "$here/examples/local-fleet.sh" up >/dev/null 2>&1
    "$here/.build/debug/upshift" run "$FLEET/plan/upgrade.yaml" --yes --run-dir "$FLEET/runs/bench" >/dev/null || true
    out="/tmp/upshift-bench-$scale-$variant.json"
    "$here/.build/debug/upshift" report "$FLEET/runs/bench" --format json > "$out"
    reports+=("$scale" "$variant" "$out")
  done
done
"$here/examples/local-fleet.sh" down >/dev/null 2>&1 || true
python3 "$here/bench/table.py" "${reports[@]}"
