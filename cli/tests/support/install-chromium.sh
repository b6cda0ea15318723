#!/usr/bin/env bash
# Installs Debian's Chromium for the Explorer browser test when it is missing.
# Only Debian's package (apt), never a downloaded browser build. Needs root (CI runs as root);
# otherwise it says what is missing and exits 1, and the test reports that.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install-chromium: /usr/bin/chromium is missing and this is not root;" \
         "install Debian's chromium package (apt-get install chromium)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends chromium >&2
test -x /usr/bin/chromium
