#!/usr/bin/env bash
# Kora's one test command (CI runs exactly this): ensures the database servers the driver tests need
# are installed and running on loopback, and Debian's chromium and chromedriver for the console's browser
# test, runs every module's tests with Maven, and stops the servers it started. Extra arguments go to Maven, e.g. scripts/test.sh -pl kora-tree.
#   KORA_SERVICES="postgres mariadb cassandra"  which servers to ensure (default: all three)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { echo "[test] $*" >&2; }

command -v java >/dev/null || { log "java not found: install a JDK 17+"; exit 1; }
command -v mvn >/dev/null || { log "mvn not found: install Maven 3.8+ (apt-get install maven)"; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null \
  || { log "node/npm not found: the interop test needs Node.js 18+ and npm (apt-get install nodejs npm)"; exit 1; }

started_services=0
cleanup() {
  if [ "$started_services" = 1 ]; then
    scripts/services/all.sh stop-started || log "stopping the servers this run started failed"
  fi
}
trap cleanup EXIT

start=$SECONDS
log "ensuring test servers: ${KORA_SERVICES:-postgres mariadb cassandra}"
started_services=1
scripts/services/all.sh ensure
scripts/services/chromium.sh ensure
log "servers ready after $((SECONDS - start)) s; running mvn verify"
mvn -B -ntp verify "$@"
log "all tests passed in $((SECONDS - start)) s"
