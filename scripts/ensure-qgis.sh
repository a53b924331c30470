#!/usr/bin/env bash
# Make Debian 12's QGIS (3.22: python3-qgis and qgis-providers, which holds the OGC API -
# Features provider) available to the QGIS client test (tests/clients/test_qgis.py), which
# runs it headless under /usr/bin/python3 with QT_QPA_PLATFORM=offscreen. Installs these two
# packages and what they depend on, without recommends (measured on Debian 12: 174
# packages, 3 of them library upgrades, about 1.3 GB and 3 minutes); it stops before
# installing anything when the plan would install, upgrade or remove a PostgreSQL or libpq
# package, so the database server is never touched. `apt-get update` only when a package
# is not found.
set -euo pipefail

packages=(python3-qgis qgis-providers)

installed() {
    local status
    for pkg in "${packages[@]}"; do
        status=$(dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null) || return 1
        [ "$status" = "install ok installed" ] || return 1
    done
}

qgis_version() {
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 -c \
        'from qgis.core import Qgis; print("QGIS", Qgis.version())' 2>/dev/null
}

if installed; then
    qgis_version
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! plan=$(apt-get -s install --no-install-recommends "${packages[@]}" 2>&1); then
    apt-get update
    plan=$(apt-get -s install --no-install-recommends "${packages[@]}")
fi
if grep -Eq '^(Inst|Remv|Purg) (postgresql|libpq)' <<<"$plan" || grep -q '^Remv ' <<<"$plan"; then
    echo "ensure-qgis: installing ${packages[*]} would change PostgreSQL, libpq or remove packages:" >&2
    grep -E '^(Inst (postgresql|libpq)|Remv|Purg)' <<<"$plan" >&2
    echo "ensure-qgis: install them by hand when the database may restart, then rerun" >&2
    exit 1
fi
upgrades=$(grep -E '^Inst \S+ \[' <<<"$plan" || true)
if [ -n "$upgrades" ]; then
    echo "ensure-qgis: the install upgrades these libraries (not PostgreSQL's):"
    echo "$upgrades"
fi
echo "ensure-qgis: installing ${packages[*]} ($(grep -c '^Inst ' <<<"$plan") packages)"
# another apt run (a parallel ensure script) holds the lock for a while: wait for it
apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "${packages[@]}"
qgis_version
