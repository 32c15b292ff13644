#!/usr/bin/env bash
# Builds the Debian package: upshift and upshift-agent (release build, Swift runtime linked in), the agent's
# systemd unit and configuration file, man pages and shell completions.
#
#   scripts/package.sh [OUTPUT_DIR]   (default: dist/; BUILD=DIR packages binaries built already, e.g. .build/debug;
#                                      COMPRESS=gzip for a quicker, larger package than xz)
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
configuration=release
case "$BUILD" in *debug*) configuration=debug ;; esac

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/upshift_${version}_${arch}"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/upshift" "$root/usr/share/man/man1" \
           "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
           "$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/upshift"
install -m 0755 "$BUILD/upshift" "$BUILD/upshift-agent" "$root/usr/bin/"
install -m 0644 packaging/upshift-agent.service "$root/lib/systemd/system/"
install -m 0644 packaging/agent.yaml "$root/etc/upshift/agent.yaml"
install -m 0644 README.md "$root/usr/share/doc/upshift/"

# Man pages from the ArgumentParser commands (one page per subcommand). MANUALS=skip leaves them out: the
# plugin needs SwiftPM's lock on .build, which a running `swift test` holds.
if [ "${MANUALS:-}" != skip ]; then
  manuals="$stage/man"
  mkdir -p "$manuals"
  swift package --allow-writing-to-directory "$manuals" generate-manual --multi-page --configuration "$configuration" \
    --authors "Upshift" --output-directory "$manuals" >/dev/null
  rm -f "$manuals"/*.help.1
  find "$manuals" -name '*.1' -exec gzip -9nf {} \;
  find "$manuals" -name '*.1.gz' -exec install -m 0644 {} "$root/usr/share/man/man1/" \;
fi

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
for tool in upshift upshift-agent; do echo "[package] $tool: $(du -k "$BUILD/$tool" | cut -f1) KiB"; done
