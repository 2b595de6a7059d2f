#!/usr/bin/env bash
# MariaDB for Kora's tests: 127.0.0.1:3306, root with an empty password over TCP, database kora_test.
#   mariadb.sh ensure   install (Debian package) / initialise / start if needed, fix root auth, create db
#   mariadb.sh stop     really stop the server process (fault tests)
#   mariadb.sh start    start it again and wait until it accepts connections
#   mariadb.sh status   exit 0 when it accepts connections
set -euo pipefail
# shellcheck source=common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

MY_HOST=127.0.0.1
MY_PORT=3306
MY_WAIT_SECS=60
MY_DAEMON=/usr/sbin/mariadbd
MY_OUT="$SERVICES_DIR/mariadb/mariadbd.out"

use_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

# mysqladmin ping answers 0 whenever the server runs, even if the login is refused.
my_ready() {
  if command -v mysqladmin >/dev/null 2>&1; then
    mysqladmin --no-defaults --protocol=tcp -h "$MY_HOST" -P "$MY_PORT" -uroot --connect-timeout=2 ping >/dev/null 2>&1
  else
    tcp_open "$MY_HOST" "$MY_PORT"
  fi
}

# SQL over TCP as root with an empty password (what the tests use).
my_tcp_sql() {
  mysql --no-defaults --protocol=tcp -h "$MY_HOST" -P "$MY_PORT" -uroot --connect-timeout=5 -N -B -e "$1"
}

# SQL over the local socket as OS user root (unix_socket auth on a fresh Debian install).
my_socket_sql() {
  as_root mysql -uroot --connect-timeout=5 -N -B -e "$1"
}

my_can_login() { my_tcp_sql 'select 1' >/dev/null 2>&1; }

my_installed() { [ -x "$MY_DAEMON" ] && command -v mysql >/dev/null 2>&1; }

my_install() {
  my_installed && return 0
  apt_install mariadb-server
  my_installed || die "MariaDB is still not installed after apt-get install mariadb-server"
}

my_pidfile() {
  local f
  f="$(my_print_defaults --mysqld 2>/dev/null | sed -n 's/^--pid-file=//p' | tail -n 1)"
  echo "${f:-/run/mysqld/mysqld.pid}"
}

# start-stop-daemon match: the server named by the configured pid file (mariadbd writes it), so a
# mariadbd of another root (e.g. a chroot sharing the PID space) is never taken for ours.
my_match() {
  echo --pidfile; my_pidfile
  echo --exec; echo "$MY_DAEMON"
}

my_process_running() {
  local m
  mapfile -t m < <(my_match)
  start-stop-daemon --status "${m[@]}" >/dev/null 2>&1
}

my_datadir() {
  local d
  d="$(my_print_defaults --mysqld 2>/dev/null | sed -n 's/^--datadir=//p' | tail -n 1)"
  echo "${d:-/var/lib/mysql}"
}

# Runtime dir for socket/pid and a data dir with system tables (mariadb-install-db if empty).
my_prepare() {
  as_root install -d -o mysql -g mysql -m 0755 /run/mysqld
  local datadir
  datadir="$(my_datadir)"
  if [ ! -d "$datadir/mysql" ]; then
    log "initialising MariaDB data directory $datadir"
    as_root install -d -o mysql -g mysql -m 0750 "$datadir"
    as_root mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db >&2 \
      || die "mariadb-install-db failed for $datadir"
  fi
}

my_launch() {
  if use_systemd; then
    ( close_extra_fds; as_root systemctl start mariadb ) || die "systemctl start mariadb failed (see journalctl -u mariadb)"
  else
    mkdir -p "$(dirname "$MY_OUT")"
    local m
    mapfile -t m < <(my_match)
    ( close_extra_fds
      as_root start-stop-daemon --start --oknodo --background --output "$MY_OUT" \
        "${m[@]}" -- --user=mysql ) \
      || die "start-stop-daemon could not start $MY_DAEMON"
  fi
}

my_wait_ready() {
  if ! wait_until "$MY_WAIT_SECS" "MariaDB on $MY_HOST:$MY_PORT" my_ready; then
    [ -f "$MY_OUT" ] && { log "last lines of $MY_OUT:"; tail -n 20 "$MY_OUT" >&2; }
    die "MariaDB did not accept connections on $MY_HOST:$MY_PORT within ${MY_WAIT_SECS}s (see also the server's error log, e.g. /var/log/mysql/error.log)"
  fi
}

my_start() {
  if my_ready; then log "MariaDB already accepts connections on $MY_HOST:$MY_PORT"; return 0; fi
  my_installed || die "MariaDB is not installed (run: $0 ensure)"
  my_prepare
  if my_process_running; then
    log "mariadbd is running but not ready yet; waiting"
  else
    log "starting MariaDB"
    my_launch
  fi
  my_wait_ready
  log "MariaDB is up on $MY_HOST:$MY_PORT"
}

my_stop() {
  if use_systemd && systemctl is-active --quiet mariadb 2>/dev/null; then
    log "stopping MariaDB (systemctl)"
    as_root systemctl stop mariadb || die "systemctl stop mariadb failed"
  fi
  if my_process_running; then
    local m
    mapfile -t m < <(my_match)
    log "stopping MariaDB (SIGTERM to $MY_DAEMON, waiting up to 60 s)"
    as_root start-stop-daemon --stop --oknodo "${m[@]}" --retry TERM/60/KILL/5 >/dev/null \
      || die "could not stop $MY_DAEMON"
  else
    log "mariadbd is not running"
  fi
  wait_while 10 "MariaDB to stop" my_ready || die "something still answers on $MY_HOST:$MY_PORT after stop"
  log "MariaDB stopped"
}

# Lets root log in over TCP with an empty password (fresh Debian: root@localhost uses unix_socket).
my_ensure_login() {
  my_can_login && return 0
  log "allowing root with an empty password over TCP (keeping unix_socket for root@localhost)"
  my_socket_sql "
    ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
    CREATE USER IF NOT EXISTS 'root'@'::1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'::1' WITH GRANT OPTION;
    FLUSH PRIVILEGES;" \
    || die "cannot log in as root over the MariaDB socket to fix root's authentication"
  my_can_login || die "mysql -h $MY_HOST -uroot still fails: $(my_tcp_sql 'select 1' 2>&1 | head -n 3)"
}

my_ensure_db() {
  my_tcp_sql "CREATE DATABASE IF NOT EXISTS \`$TEST_DB\`" || die "creating database $TEST_DB failed"
}

my_ensure() {
  if ! my_ready; then
    my_install
    my_start
  fi
  my_ensure_login
  my_ensure_db
  log "MariaDB ready: mysql://root@$MY_HOST:$MY_PORT/$TEST_DB"
}

main() {
  case "${1:-}" in
    ensure) my_ensure ;;
    start) my_start ;;
    stop) my_stop ;;
    status) if my_ready; then log "MariaDB is up"; else log "MariaDB is down"; exit 1; fi ;;
    *) usage_die "ensure|start|stop|status" ;;
  esac
}

main "$@"
