#!/usr/bin/env bash
# Sets this machine up (scripts/bootstrap.sh, as root) and runs the whole test suite against real
# PostgreSQL 15, 17 and 18 servers, real agents over mutual TLS, and real rsync.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build --build-tests
swift test --skip-build "$@"
