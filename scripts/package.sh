#!/usr/bin/env bash
# Builds the Debian package: upshift and upshift-agent (release build, Swift runtime linked in), the agent's
# systemd unit and configuration file, man pages and shell completions.
#
#   scripts/package.sh [OUTPUT_DIR]   (default: dist/; BUILD=DIR packages binaries built already, e.g. .build/debug;
#                                      COMPRESS=gzip for a quicker, larger package than xz)
# The programs are installed stripped (their symbols and debug information stay in the build folder).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/dist}"
version="${VERSION:-0.1.0}"
arch="$(dpkg --print-architecture)"
cd "$here"

if [ -z "${BUILD:-}" ]; then
  started=$(date +%s)
  swift build -c release --static-swift-stdlib
  BUILD="$(swift build -c release --static-swift-stdlib --show-bin-path)"
  echo "[package] release build: $(( $(date +%s) - started )) s"
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/upshift_${version}_${arch}"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/upshift" "$root/usr/share/man/man1" \
           "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
           "$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/upshift"
install -m 0755 --strip "$BUILD/upshift" "$BUILD/upshift-agent" "$root/usr/bin/"
install -m 0644 packaging/upshift-agent.service "$root/lib/systemd/system/"
install -m 0644 packaging/agent.yaml "$root/etc/upshift/agent.yaml"
install -m 0644 README.md "$root/usr/share/doc/upshift/"

# Man pages from the ArgumentParser commands (one page per subcommand), read from the built programs.
manuals="$stage/man"
for tool in upshift upshift-agent; do python3 scripts/manpages.py "$BUILD/$tool" "$manuals" >/dev/null; done
gzip -9n "$manuals"/*.1
install -m 0644 "$manuals"/*.1.gz "$root/usr/share/man/man1/"

for tool in upshift upshift-agent; do
  "$BUILD/$tool" --generate-completion-script bash >"$root/usr/share/bash-completion/completions/$tool"
  "$BUILD/$tool" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_$tool"
  "$BUILD/$tool" --generate-completion-script fish >"$root/usr/share/fish/vendor_completions.d/$tool.fish"
done

cat >"$root/DEBIAN/control" <<CONTROL
Package: upshift
Version: $version
Architecture: $arch
Maintainer: Upshift <upshift@localhost>
Depends: libpq5, liblua5.4-0, rsync, postgresql-common | postgresql
Section: database
Priority: optional
Description: declarative PostgreSQL major-version upgrades for a fleet
 upshift (the coordinator) drives a YAML plan across database hosts over mutual TLS;
 upshift-agent (a systemd service, as postgres) does each host's work: pg_upgrade,
 standby sync, verification, hooks.
CONTROL
echo "/etc/upshift/agent.yaml" >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
POSTINST
chmod 0755 "$root/DEBIAN/postinst"

mkdir -p "$out"
dpkg-deb --root-owner-group -Z"${COMPRESS:-xz}" --build "$root" "$out/upshift_${version}_${arch}.deb" >/dev/null
echo "[package] $out/upshift_${version}_${arch}.deb ($(du -k "$out/upshift_${version}_${arch}.deb" | cut -f1) KiB)"
for tool in upshift upshift-agent; do echo "[package] $tool: $(du -k "$root/usr/bin/$tool" | cut -f1) KiB stripped"; done
