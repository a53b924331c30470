#!/usr/bin/env bash
# Make Debian 12's Caddy (2.6.2, what an office on Debian bookworm installs) available to
# the tests of deploy/Caddyfile, without installing it: the package's maintainer scripts
# would add a caddy user and enable and start caddy.service, which takes port 80 with
# Debian's default Caddyfile. The caddy .deb is downloaded from Debian's archive and
# unpacked with `dpkg -x` into .cache/caddy/ (or $CADDY_DIR); its binary is static (Go),
# so nothing else is needed. The tests find it at .cache/caddy/usr/bin/caddy
# (tests/deploy/test_caddy.py).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${CADDY_DIR:-$root/.cache/caddy}
caddy="$dest/usr/bin/caddy"

if [ -x "$caddy" ] && "$caddy" version | grep -q '^v\?2\.'; then
    "$caddy" version
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
chown _apt "$work" 2>/dev/null || true # apt downloads as its own user where it can
echo "ensure-caddy: fetching Debian's caddy into $dest"
if ! (cd "$work" && apt-get download caddy); then
    apt-get update
    (cd "$work" && apt-get download caddy)
fi
rm -rf "$dest"
mkdir -p "$dest"
dpkg -x "$work"/caddy_*.deb "$dest"
"$caddy" version
