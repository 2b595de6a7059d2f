# Shared helpers for scripts/services/*.sh (sourced, not executed).
# shellcheck shell=bash disable=SC2034 # variables are used by the scripts that source this

SERVICES_DIR="${KORA_SERVICES_DIR:-${HOME:-/root}/.cache/kora-services}"
TEST_DB="${KORA_TEST_DB:-kora_test}"

log() { echo "[services] $*" >&2; }
die() { echo "[services] ERROR: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root (directly when we are root, else through sudo).
as_root() {
  if is_root; then "$@"; else sudo -n "$@"; fi
}

# Run a command as another OS user (as root via runuser, else sudo -u).
as_user() {
  local user="$1"; shift
  if is_root; then runuser -u "$user" -- "$@"; else sudo -n -u "$user" -- "$@"; fi
}

# True when something accepts TCP connections on host:port.
tcp_open() {
  local host="$1" port="$2"
  timeout 2 bash -c ": >/dev/tcp/$host/$port" 2>/dev/null
}

# apt_install PKG... : install Debian packages, refreshing the package lists once if needed.
apt_install() {
  log "installing Debian packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get install -y -q "$@" >&2; then
    log "apt-get install failed; running apt-get update and retrying"
    as_root apt-get update -q >&2 || die "apt-get update failed"
    as_root apt-get install -y -q "$@" >&2 || die "apt-get install -y $* failed"
  fi
}

# wait_until SECONDS DESCRIPTION CMD... : poll CMD every 0.5 s until it succeeds or time runs out.
wait_until() {
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs))
  while ! "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "timed out after ${secs}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

# wait_while SECONDS DESCRIPTION CMD... : poll until CMD fails (e.g. a port closes).
wait_while() {
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs))
  while "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "timed out after ${secs}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

# Closes every file descriptor above 2 in the current (sub)shell, so that a server started from it
# holds no pipe or lock of its caller (a CI harness waiting for its pipe to close would otherwise
# wait for the server). Use in a subshell: ( close_extra_fds; exec server ... ) &
close_extra_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd/"*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

usage_die() { die "usage: $0 $1"; }
