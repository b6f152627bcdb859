#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser test (tests/browser).
#
# Playwright's own browser download cannot be used (no internet beyond package registries), so
# the test drives the distribution's Chromium. As root this installs it with apt-get; otherwise it
# explains what to do. LOYALTYSIM_SKIP_BROWSER_TESTS=1 opts out (the browser test is then skipped,
# and says so). LOYALTYSIM_CHROMIUM points at another Chromium binary.
set -euo pipefail

chromium="${LOYALTYSIM_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$chromium" ]; then
    exit 0
fi
if [ "${LOYALTYSIM_SKIP_BROWSER_TESTS:-}" = "1" ]; then
    echo "==> LOYALTYSIM_SKIP_BROWSER_TESTS=1: no Chromium at $chromium; the browser test will be skipped"
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$chromium" = /usr/bin/chromium ]; then
    echo "==> Installing Debian's chromium for the browser test: apt-get install -y chromium"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq chromium >/dev/null; then
        echo "==> apt-get install failed; refreshing the package lists (apt-get update) and retrying"
        apt-get update -qq
        apt-get install -y -qq chromium >/dev/null
    fi
    if [ -x "$chromium" ]; then
        exit 0
    fi
    echo "error: 'apt-get install -y chromium' finished but $chromium does not exist" >&2
    exit 1
fi
cat >&2 <<MSG
error: the browser test needs Chromium at $chromium, and this script cannot install it
       (it installs Debian's package only when run as root on a machine with apt-get).
       Do one of:
         sudo apt-get install -y chromium           (Debian, Ubuntu)
         export LOYALTYSIM_CHROMIUM=/path/to/chromium
         export LOYALTYSIM_SKIP_BROWSER_TESTS=1     (skip the browser test, on purpose)
MSG
exit 1
