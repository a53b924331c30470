#!/usr/bin/env bash
# Make sure Debian's headless Chromium is installed for the browser tests of the
# map pages. Only Debian's package: nothing downloads a browser of its own.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
echo "ensure-chromium: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium; then
    apt-get update
    apt-get install -y --no-install-recommends chromium
fi
/usr/bin/chromium --version
