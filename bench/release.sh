#!/usr/bin/env bash
# Release figures: a clean release build of a fresh clone of HEAD (time, the two binaries' sizes, what each
# package's objects weigh), the Debian package, and its install-to-first-`upshift check` time on this machine.
#
#   bench/release.sh            (as root: it installs the package with dpkg and removes it afterwards)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/upshift-release.XXXXXX)"
trap 'dpkg -P upshift >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git clone -q "$here" "$work/src"
cd "$work/src"

started=$(date +%s.%N)
swift build -c release --static-swift-stdlib >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
seconds=$(echo "$(date +%s.%N) - $started" | bc)
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"
printf '[release] clean release build (--static-swift-stdlib), %s cores: %.0f s\n' "$(nproc)" "$seconds"
for tool in upshift upshift-agent; do
  cp "$bin/$tool" "$work/$tool.stripped" && strip "$work/$tool.stripped"
  printf '[release] %-14s %6.1f MB unstripped, %6.1f MB stripped\n' "$tool" \
    "$(echo "$(stat -c %s "$bin/$tool") / 1048576" | bc -l)" "$(echo "$(stat -c %s "$work/$tool.stripped") / 1048576" | bc -l)"
done

# What each package's compiled objects weigh (a proxy for what it costs the build).
echo "[release] object code by package (MB, files):"
for target in "$bin"/*.build; do
  name="$(basename "$target" .build)"
  size=$(find "$target" -name '*.o' -printf '%s\n' | awk '{s+=$1} END {printf "%.1f", s/1048576}')
  files=$(find "$target" -name '*.o' | wc -l)
  [ "$files" -gt 0 ] && echo "  $name $size $files"
done | sort -k2 -n -r | head -15

BUILD="$bin" COMPRESS=xz "$work/src/scripts/package.sh" "$work/dist" | grep '\.deb'
deb="$(ls "$work"/dist/*.deb)"

# Install to the first check of a plan: install (dependencies already present here), certificates, check.
mkdir -p "$work/try"
started=$(date +%s.%N)
apt-get install -y -qq "$deb" >/dev/null 2>&1 || dpkg -i "$deb" >/dev/null
upshift certs init "$work/try/tls" --agent db1=127.0.0.1 --agent db2=127.0.0.1 >/dev/null
cat >"$work/try/plan.yaml" <<PLAN
version: 1
name: first
strategy: inplace
postgres:
  from: { version: 15, bindir: /usr/lib/postgresql/15/bin }
  to: { version: 17, bindir: /usr/lib/postgresql/17/bin }
tls: { dir: ./tls }
hosts:
  - { name: db1, agent: 127.0.0.1:7710, role: primary, port: 5432, pgdata: /var/lib/postgresql/15/main, new_pgdata: /var/lib/postgresql/17/main }
  - { name: db2, agent: 127.0.0.1:7711, role: standby, port: 5432, pgdata: /var/lib/postgresql/15/main, new_pgdata: /var/lib/postgresql/17/main }
PLAN
upshift check "$work/try/plan.yaml" >/dev/null
printf '[release] install to first upshift check: %.1f s (dpkg/apt with the dependencies already present)\n' \
  "$(echo "$(date +%s.%N) - $started" | bc)"
