#!/usr/bin/env bash
# Sets this machine up (scripts/bootstrap.sh, as root), builds Upshift, starts a local fleet (PostgreSQL 15
# primary with the pagila database and a streaming standby, one agent each) and upgrades it to 17 live;
# with STRATEGY=logical, moves pagila from 15 to an empty 17 over logical replication behind PgBouncer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build
# STRATEGY=logical: the blue/green demo instead (examples/logical-fleet.sh).
if [ "${STRATEGY:-inplace}" = logical ]; then exec examples/logical-fleet.sh "$@"; fi
exec examples/local-fleet.sh "$@"
