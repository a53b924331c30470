#!/usr/bin/env bash
# Make sure the local PostgreSQL server runs and has the PostGIS extension
# package. Installs only postgresql-<major>-postgis-3 from Debian's archive;
# it never touches the server packages themselves.
set -euo pipefail

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}

major=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1 || true)
if [ -z "$major" ]; then
    echo "ensure-postgis: no PostgreSQL cluster under /etc/postgresql; install PostgreSQL first" >&2
    exit 1
fi

if ! pg_isready -q -h "$host" -p "$port"; then
    echo "ensure-postgis: starting PostgreSQL $major"
    pg_ctlcluster --skip-systemctl-redirect "$major" main start
    for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && break; sleep 1; done
fi

if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    pkg="postgresql-$major-postgis-3"
    echo "ensure-postgis: installing $pkg"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "$pkg"; then
        apt-get update
        apt-get install -y --no-install-recommends "$pkg"
    fi
fi

pg_isready -h "$host" -p "$port"
