#!/usr/bin/env bash
# Make sure Chromium is at /usr/bin/chromium for the browser test (tests/test_book_browser.py).
# Installs the distribution's package with apt when it is missing (needs root); waits for another
# apt run to finish instead of failing on its lock.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Chromium is missing and installing it needs root: apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
[ -x "$CHROMIUM" ]
