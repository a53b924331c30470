#!/usr/bin/env bash
# Make Debian 12's own GDAL command-line tools (gdal-bin 3.6, what an office on Debian
# bookworm has) available to the client tests, without installing or upgrading any
# system package: gdal-bin is downloaded from Debian's archive and unpacked with
# `dpkg -x` into .cache/gdal36/ (or $GDAL36_DIR). Its programs link the system's
# libgdal32, which the PostGIS package already brings (scripts/ensure-postgis.sh); the
# PostgreSQL server packages are never touched. The tests find the tools at
# .cache/gdal36/usr/bin (tests/clients/test_gdal_clients.py).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${GDAL36_DIR:-$root/.cache/gdal36}
ogrinfo="$dest/usr/bin/ogrinfo"

if [ -x "$ogrinfo" ] && "$ogrinfo" --version | grep -q '^GDAL 3\.6\.'; then
    "$ogrinfo" --version
    exit 0
fi

# gdal-bin must be the same build as the installed libgdal32 it links against
if ! version=$(dpkg-query -W -f '${Version}' libgdal32 2>/dev/null) || [ -z "$version" ]; then
    # libgdal32 is a library only; install it only where that upgrades nothing
    export DEBIAN_FRONTEND=noninteractive
    plan=$(apt-get -s install --no-install-recommends --no-upgrade libgdal32)
    if grep -q '^Inst .* \[' <<<"$plan" || grep -q '^Remv ' <<<"$plan"; then
        echo "ensure-gdal36: installing libgdal32 would upgrade or remove packages:" >&2
        grep -E '^(Inst .* \[|Remv )' <<<"$plan" >&2
        echo "ensure-gdal36: install libgdal32 (Debian 12's GDAL 3.6) by hand, then rerun" >&2
        exit 1
    fi
    echo "ensure-gdal36: installing libgdal32"
    apt-get install -y --no-install-recommends --no-upgrade libgdal32
    version=$(dpkg-query -W -f '${Version}' libgdal32)
fi
case "$version" in
3.6.*) ;;
*)
    echo "ensure-gdal36: the system's libgdal32 is $version, not Debian 12's GDAL 3.6" >&2
    exit 1
    ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
chown _apt "$work" 2>/dev/null || true # apt downloads as its own user where it can
echo "ensure-gdal36: fetching gdal-bin $version into $dest"
if ! (cd "$work" && apt-get download "gdal-bin=$version"); then
    apt-get update
    (cd "$work" && apt-get download "gdal-bin=$version")
fi
rm -rf "$dest"
mkdir -p "$dest"
dpkg -x "$work"/gdal-bin_*.deb "$dest"
"$ogrinfo" --version
