#!/usr/bin/env bash
# Debian's Chromium and its chromedriver for the browser console's end-to-end test (ConsoleTest).
#   chromium.sh ensure   install the Debian packages chromium and chromium-driver when missing
#   chromium.sh status   exit 0 when both /usr/bin/chromium and /usr/bin/chromedriver run
# The test names both binaries itself, so Selenium never downloads a browser or a driver.
set -euo pipefail
# shellcheck source=common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver

chromium_installed() {
  [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ] && "$CHROMEDRIVER" --version >/dev/null 2>&1
}

case "${1:-ensure}" in
  ensure)
    if ! chromium_installed; then
      apt_install chromium chromium-driver
      chromium_installed || die "chromium and chromedriver are still missing after apt-get install"
    fi
    log "chromium: $("$CHROMEDRIVER" --version | head -n 1)"
    ;;
  status)
    chromium_installed
    ;;
  *)
    die "usage: chromium.sh ensure|status"
    ;;
esac
