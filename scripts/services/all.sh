#!/usr/bin/env bash
# All test servers for Kora's tests.
#   all.sh ensure         ensure PostgreSQL, MariaDB and Cassandra run; remembers which ones it
#                         had to start itself (in $SERVICES_DIR/started-by-all)
#   all.sh stop-started   stop exactly those, in reverse order, and forget them
#   all.sh status         one line per service; exit 1 if any is down
# KORA_SERVICES="postgres mariadb cassandra" selects a subset (same order).
# Idempotent: a second ensure starts nothing and keeps the earlier record.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

SERVICES="${KORA_SERVICES:-postgres mariadb cassandra}"
STARTED_FILE="$SERVICES_DIR/started-by-all"
LOCK_FILE="$SERVICES_DIR/all.lock"

svc() { "$HERE/$1.sh" "${@:2}" 9>&-; }  # fd 9 is the lock: servers must not inherit it

svc_known() {
  case "$1" in postgres|mariadb|cassandra) return 0 ;; *) return 1 ;; esac
}

was_started_by_us() { [ -f "$STARTED_FILE" ] && grep -qx "$1" "$STARTED_FILE"; }

record_started() { was_started_by_us "$1" || echo "$1" >>"$STARTED_FILE"; }

# Serialise concurrent ensure/stop-started runs.
take_lock() {
  mkdir -p "$SERVICES_DIR"
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "another all.sh run holds $LOCK_FILE for more than 300 s"
}

all_ensure() {
  local s
  take_lock
  for s in $SERVICES; do
    svc_known "$s" || die "unknown service '$s' in KORA_SERVICES"
    if svc "$s" status >/dev/null 2>&1; then
      svc "$s" ensure   # already running: only checks login and test database
    else
      # Recorded before starting, so stop-started also cleans up after a failed start.
      record_started "$s"
      svc "$s" ensure
    fi
  done
  if [ -s "$STARTED_FILE" ]; then
    log "all services ready; started by this script: $(tr '\n' ' ' <"$STARTED_FILE")"
  else
    log "all services ready; none had to be started"
  fi
}

all_stop_started() {
  local s rc=0
  take_lock
  if [ ! -s "$STARTED_FILE" ]; then log "nothing to stop: no service was started by all.sh ensure"; return 0; fi
  for s in $(tac "$STARTED_FILE"); do
    svc "$s" stop || { log "stopping $s failed"; rc=1; }
  done
  rm -f "$STARTED_FILE"
  return "$rc"
}

all_status() {
  local s rc=0
  for s in $SERVICES; do
    svc "$s" status || rc=1
  done
  return "$rc"
}

main() {
  case "${1:-}" in
    ensure) all_ensure ;;
    stop-started) all_stop_started ;;
    status) all_status ;;
    *) usage_die "ensure|stop-started|status" ;;
  esac
}

main "$@"
