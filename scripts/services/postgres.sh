#!/usr/bin/env bash
# PostgreSQL for Kora's tests: 127.0.0.1:5432, user postgres without password, database kora_test.
#   postgres.sh ensure   install (Debian package) / create cluster / start if needed, fix auth, create db
#   postgres.sh stop     really stop the server (fault tests)
#   postgres.sh start    start it again and wait until it accepts connections
#   postgres.sh status   exit 0 when it accepts connections
set -euo pipefail
# shellcheck source=common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

PG_HOST=127.0.0.1
PG_PORT=5432
PG_WAIT_SECS=60

pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1; }

pg_psql() {
  PGCONNECT_TIMEOUT=5 psql -X -w -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_can_login() { pg_psql -tAc 'select 1' >/dev/null 2>&1; }

pg_installed() {
  command -v pg_ctlcluster >/dev/null 2>&1 && command -v pg_isready >/dev/null 2>&1 \
    && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

pg_install() {
  pg_installed && return 0
  apt_install postgresql
  pg_installed || die "PostgreSQL is still not installed after apt-get install postgresql"
}

# Prints "VERSION NAME" of the Debian cluster configured for port 5432 (empty if none).
pg_find_cluster() {
  pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p { print $1, $2; exit }'
}

pg_newest_version() {
  find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1
}

# Prints "VERSION NAME", creating cluster "main" of the newest installed version if none uses 5432.
pg_cluster() {
  local c
  c="$(pg_find_cluster)"
  if [ -z "$c" ]; then
    local v
    v="$(pg_newest_version)"
    [ -n "$v" ] || die "no PostgreSQL server version found under /usr/lib/postgresql"
    if pg_lsclusters -h 2>/dev/null | awk -v v="$v" '$1 == v && $2 == "main" { f=1 } END { exit !f }'; then
      die "cluster $v/main exists but not on port $PG_PORT; fix it (pg_lsclusters) or drop it"
    fi
    log "creating PostgreSQL cluster $v/main on port $PG_PORT"
    as_root pg_createcluster --port "$PG_PORT" "$v" main >&2 || die "pg_createcluster $v main failed"
    c="$v main"
  fi
  echo "$c"
}

# pg_ctl_cluster ACTION: runs pg_ctlcluster on the 5432 cluster (it goes through systemctl
# by itself when systemd is running, and directly otherwise, as in containers).
pg_ctl_cluster() {
  local action="$1" c
  c="$(pg_cluster)"
  # shellcheck disable=SC2086
  ( close_extra_fds; as_root pg_ctlcluster $c "$action" >&2 )
}

pg_cluster_running() {
  local c
  c="$(pg_find_cluster)"
  [ -n "$c" ] || return 1
  # shellcheck disable=SC2086
  pg_ctlcluster $c status >/dev/null 2>&1
}

pg_wait_ready() {
  wait_until "$PG_WAIT_SECS" "PostgreSQL on $PG_HOST:$PG_PORT (pg_isready)" pg_ready \
    || die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within ${PG_WAIT_SECS}s (see pg_lsclusters and /var/log/postgresql/)"
}

pg_start() {
  if pg_ready; then log "PostgreSQL already accepts connections on $PG_HOST:$PG_PORT"; return 0; fi
  pg_installed || die "PostgreSQL is not installed (run: $0 ensure)"
  if pg_cluster_running; then
    log "PostgreSQL cluster is running but not ready yet; waiting"
  else
    log "starting PostgreSQL cluster $(pg_cluster)"
    pg_ctl_cluster start || die "pg_ctlcluster $(pg_cluster) start failed (see /var/log/postgresql/)"
  fi
  pg_wait_ready
  log "PostgreSQL is up on $PG_HOST:$PG_PORT"
}

pg_stop() {
  if ! pg_installed || [ -z "$(pg_find_cluster)" ]; then
    pg_ready && die "something answers on $PG_HOST:$PG_PORT but it is no Debian cluster; cannot stop it"
    log "PostgreSQL is not running"; return 0
  fi
  if pg_cluster_running; then
    log "stopping PostgreSQL cluster $(pg_cluster)"
    pg_ctl_cluster stop || die "pg_ctlcluster $(pg_cluster) stop failed"
  else
    log "PostgreSQL cluster $(pg_cluster) is not running"
  fi
  wait_while 30 "PostgreSQL to stop" pg_ready || die "PostgreSQL still answers on $PG_HOST:$PG_PORT after stop"
  log "PostgreSQL stopped"
}

# Adds trust lines for user postgres over 127.0.0.1/::1 at the top of pg_hba.conf and reloads.
pg_allow_trust() {
  local hba
  hba="$(as_user postgres psql -X -w -tA -c 'show hba_file' 2>/dev/null)" \
    || die "cannot log in as postgres over $PG_HOST:$PG_PORT nor over the local socket to fix pg_hba.conf"
  [ -f "$hba" ] || die "pg_hba.conf not found at '$hba'"
  if ! grep -q 'kora-services: trust' "$hba"; then
    log "adding trust for user postgres on 127.0.0.1 to $hba"
    as_root sed -i '1i # kora-services: trust local TCP for tests\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
  fi
  as_user postgres psql -X -w -q -tA -c 'select pg_reload_conf()' >/dev/null \
    || die "reloading PostgreSQL configuration failed"
  sleep 0.5
}

pg_ensure_login() {
  pg_can_login && return 0
  pg_allow_trust
  wait_until 10 "password-less login as postgres" pg_can_login \
    || die "psql -h $PG_HOST -U postgres still fails after adding trust to pg_hba.conf: $(pg_psql -tAc 'select 1' 2>&1 | head -n 3)"
}

pg_ensure_db() {
  if [ "$(pg_psql -tAc "select 1 from pg_database where datname = '$TEST_DB'")" != "1" ]; then
    log "creating PostgreSQL database $TEST_DB"
    pg_psql -c "create database \"$TEST_DB\"" || die "creating database $TEST_DB failed"
  fi
}

pg_ensure() {
  if ! pg_ready; then
    pg_install
    pg_start
  fi
  pg_ensure_login
  pg_ensure_db
  log "PostgreSQL ready: postgresql://postgres@$PG_HOST:$PG_PORT/$TEST_DB"
}

main() {
  case "${1:-}" in
    ensure) pg_ensure ;;
    start) pg_start ;;
    stop) pg_stop ;;
    status) if pg_ready; then log "PostgreSQL is up"; else log "PostgreSQL is down"; exit 1; fi ;;
    *) usage_die "ensure|start|stop|status" ;;
  esac
}

main "$@"
