#!/usr/bin/env bash
# Sets this machine up (scripts/bootstrap.sh, as root) and runs the whole test suite against real
# PostgreSQL 15, 17 and 18 servers, real agents over mutual TLS, and real rsync.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build --build-tests
# The shipped build (scripts/package.sh) must compile too: the optimizer sees code a debug build never does.
swift build -c release --static-swift-stdlib

# A user's clone has nothing beside it. Where a folder sits next to this checkout (CI keeps the project's
# shared material there), the suite runs with it covered by an empty file system, in a mount namespace of
# its own, so a test that reads from outside the repository fails here rather than on a user's machine.
beside="$(cd .. && pwd)/shared"
if [ -d "$beside" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  echo "[test] $beside is hidden from the suite"
  exec unshare --mount --propagation private -- bash -c 'mount -t tmpfs -o ro,size=4k none "$0" && exec swift test --skip-build "$@"' \
    "$beside" "$@"
fi
swift test --skip-build "$@"
