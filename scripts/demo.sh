#!/usr/bin/env bash
# Sets this machine up (scripts/bootstrap.sh, as root), builds Upshift, starts a local fleet (PostgreSQL 15
# primary with the pagila database and a streaming standby, one agent each) and upgrades it to 17 live.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build
exec examples/local-fleet.sh "$@"
