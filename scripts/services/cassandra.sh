#!/usr/bin/env bash
# A real single-node Cassandra (org.apache.cassandra:cassandra-all from Maven Central) for Kora's
# tests, listening on 127.0.0.1:9042, run as its own JVM in the background.
#   cassandra.sh ensure   fetch jars if missing, start with a fresh data dir unless 9042 already answers
#   cassandra.sh start    start again on the existing data dir (restart tests); waits for CQL
#   cassandra.sh stop     stop the node this script started (SIGTERM, then SIGKILL) and wait for exit
#   cassandra.sh kill     SIGKILL the node this script started (crash tests)
#   cassandra.sh status   exit 0 when CQL answers on 127.0.0.1:9042
#   cassandra.sh reset    stop and delete the data dir
# Everything lives under ${KORA_SERVICES_DIR:-$HOME/.cache/kora-services}/cassandra:
#   lib/ (jars), conf/ (generated cassandra.yaml, logback.xml), data/, logs/system.log,
#   logs/stdout.log, cassandra.pid
set -euo pipefail
# shellcheck source=common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATES="$HERE/cassandra"
CASS_DIR="$SERVICES_DIR/cassandra"
CASS_LIB="$CASS_DIR/lib"
CASS_CONF="$CASS_DIR/conf"
CASS_DATA="$CASS_DIR/data"
CASS_LOGS="$CASS_DIR/logs"
CASS_PIDFILE="$CASS_DIR/cassandra.pid"
CASS_HOST=127.0.0.1
CASS_PORT=9042
CASS_STORAGE_PORT=7000
CASS_WAIT_SECS="${KORA_CASSANDRA_WAIT_SECS:-120}"
CASS_HEAP="${KORA_CASSANDRA_HEAP:-1g}"

# ---------------------------------------------------------------- jars and java

# The pom's checksum marks a complete download, so an edited pom fetches again.
jars_stamp() { sha256sum "$TEMPLATES/pom.xml" | cut -c1-16; }

jars_present() { [ -f "$CASS_LIB/.complete-$(jars_stamp)" ]; }

ensure_mvn() {
  command -v mvn >/dev/null 2>&1 && return 0
  apt_install maven
}

fetch_jars() {
  jars_present && return 0
  ensure_mvn
  log "fetching Cassandra jars from Maven Central into $CASS_LIB"
  local tmp="$CASS_LIB.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  mvn -q -B -Dstyle.color=never -f "$TEMPLATES/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >&2 \
    || die "mvn dependency:copy-dependencies for $TEMPLATES/pom.xml failed"
  compgen -G "$tmp/cassandra-all-*.jar" >/dev/null || die "cassandra-all jar missing after download"
  touch "$tmp/.complete-$(jars_stamp)"
  rm -rf "$CASS_LIB"
  mv "$tmp" "$CASS_LIB"
  log "fetched $(find "$CASS_LIB" -name '*.jar' | wc -l) jars"
}

java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $2; exit }'
}

# Cassandra 5.0 runs on Java 11 or 17 only; prefer an explicit choice, then JAVA_HOME, PATH, /usr/lib/jvm.
find_java() {
  local c m
  for c in "${KORA_CASSANDRA_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" \
           /usr/lib/jvm/*17*/bin/java /usr/lib/jvm/*11*/bin/java; do
    if [ -z "$c" ] || [ ! -x "$c" ]; then continue; fi
    m="$(java_major "$c")"
    if [ "$m" = 17 ] || [ "$m" = 11 ]; then echo "$c"; return 0; fi
  done
  return 1
}

ensure_java() {
  find_java >/dev/null && return 0
  apt_install openjdk-17-jre-headless
  find_java >/dev/null || die "no Java 17 (or 11) found for Cassandra (set KORA_CASSANDRA_JAVA)"
}

# ---------------------------------------------------------------- config and process

write_config() {
  mkdir -p "$CASS_CONF" "$CASS_LOGS"
  sed "s#@DATA_DIR@#$CASS_DATA#g" "$TEMPLATES/cassandra.yaml.template" >"$CASS_CONF/cassandra.yaml"
  sed "s#@LOG_DIR@#$CASS_LOGS#g" "$TEMPLATES/logback.xml.template" >"$CASS_CONF/logback.xml"
}

# Java 17 module flags from Cassandra's jvm17-server.options, plus quick single-node start-up.
jvm_opts() {
  local m
  for m in java.base/jdk.internal.misc java.base/jdk.internal.ref java.base/sun.nio.ch \
           java.management.rmi/com.sun.jmx.remote.internal.rmi java.rmi/sun.rmi.registry \
           java.rmi/sun.rmi.server java.sql/java.sql java.base/java.lang.ref jdk.unsupported/sun.misc; do
    echo "--add-exports=$m=ALL-UNNAMED"
  done
  for m in java.base/java.lang.module java.base/jdk.internal.loader java.base/jdk.internal.ref \
           java.base/jdk.internal.reflect java.base/jdk.internal.math java.base/jdk.internal.module \
           java.base/jdk.internal.util.jar jdk.management/com.sun.management.internal java.base/sun.nio.ch \
           java.base/java.io java.base/java.nio java.base/java.util.concurrent java.base/java.util \
           java.base/java.util.concurrent.atomic java.base/java.lang java.base/java.math \
           java.base/java.lang.reflect java.base/java.net; do
    echo "--add-opens=$m=ALL-UNNAMED"
  done
  cat <<EOF
-Xms$CASS_HEAP
-Xmx$CASS_HEAP
-Xss256k
-XX:+UseG1GC
-XX:+HeapDumpOnOutOfMemoryError
-XX:HeapDumpPath=$CASS_LOGS
-Djava.net.preferIPv4Stack=true
-Djdk.attach.allowAttachSelf=true
-Dcassandra-foreground=yes
-Dcassandra.config=file://$CASS_CONF/cassandra.yaml
-Dcassandra.storagedir=$CASS_DATA
-Dcassandra.logdir=$CASS_LOGS
-Dlogback.configurationFile=file://$CASS_CONF/logback.xml
-Dcassandra.ring_delay_ms=100
-Dcassandra.skip_wait_for_gossip_to_settle=0
EOF
  if [ -n "${KORA_CASSANDRA_JMX_PORT:-}" ]; then echo "-Dcassandra.jmx.local.port=$KORA_CASSANDRA_JMX_PORT"; fi
  local o
  for o in ${KORA_CASSANDRA_EXTRA_OPTS:-}; do echo "$o"; done
}

# Class-data-sharing archive of Cassandra's classes: the first run records it when the node exits
# (cassandra.sh stop), later runs map it, which saves about a third of the start-up CPU time.
# Keyed by java build and jar set; KORA_CASSANDRA_CDS=0 turns it off.
cds_archive() {
  local key
  key="$( { readlink -f "$1"; "$1" -version 2>&1; jars_stamp; } | sha256sum | cut -c1-16)"
  echo "$CASS_DIR/cds/cassandra-$key.jsa"
}

cds_opts() {
  [ "${KORA_CASSANDRA_CDS:-1}" = 1 ] || return 0
  local jsa
  jsa="$(cds_archive "$1")"
  mkdir -p "$(dirname "$jsa")"
  if [ -s "$jsa" ]; then
    echo "-XX:SharedArchiveFile=$jsa"
  else
    rm -f "$CASS_DIR"/cds/*.jsa*
    echo "-XX:ArchiveClassesAtExit=$jsa.tmp"
    echo "-Xlog:cds=off"
  fi
}

# After a clean exit, a recorded archive becomes usable.
cds_commit() {
  local tmp
  for tmp in "$CASS_DIR"/cds/*.jsa.tmp; do
    [ -s "$tmp" ] || { rm -f "$tmp"; continue; }
    mv -f "$tmp" "${tmp%.tmp}"
    log "recorded class-data-sharing archive ${tmp%.tmp} for faster starts"
  done
}

read_pid() { if [ -f "$CASS_PIDFILE" ]; then cat "$CASS_PIDFILE" 2>/dev/null || true; fi; }

# True when PID exists and is no zombie.
pid_alive() {
  [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# True when the PID file names a live CassandraDaemon (not a reused PID).
our_node_running() {
  local pid
  pid="$(read_pid)"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'org.apache.cassandra.service.CassandraDaemon' || return 1
  pid_alive "$pid"
}

# A real CQL round trip: OPTIONS (v4) must be answered by a SUPPORTED response frame (0x84 .. 0x06).
cql_ping() {
  # shellcheck disable=SC2016 # $hdr is expanded by the inner bash
  timeout 3 bash -c '
    exec 3<>/dev/tcp/'"$CASS_HOST"'/'"$CASS_PORT"' || exit 1
    printf "\x04\x00\x00\x00\x05\x00\x00\x00\x00" >&3
    hdr="$(head -c 5 <&3 | od -An -tx1 | tr -d " \n")"
    [ "${hdr:0:2}" = 84 ] && [ "${hdr:8:2}" = 06 ]' 2>/dev/null
}

show_log_tail() {
  local f
  for f in "$CASS_LOGS/system.log" "$CASS_LOGS/stdout.log"; do
    [ -s "$f" ] || continue
    log "last lines of $f:"
    tail -n 15 "$f" | cut -c1-300 | sed 's/^/    /' >&2
  done
}

launch() {
  local java opts=()
  java="$(find_java)"
  mapfile -t opts < <(jvm_opts; cds_opts "$java")
  mkdir -p "$CASS_LOGS" "$CASS_DATA"/{data,commitlog,saved_caches,hints,cdc_raw}
  echo "=== $(date -Is) starting Cassandra with $java" >>"$CASS_LOGS/stdout.log"
  # setsid: own session, so the caller's terminal/job signals don't reach the node.
  # exec in the background subshell, so that $! is the JVM's own PID.
  ( close_extra_fds
    exec setsid "$java" "${opts[@]}" -cp "$CASS_LIB/*" org.apache.cassandra.service.CassandraDaemon \
      </dev/null >>"$CASS_LOGS/stdout.log" 2>&1 ) &
  local pid=$!
  echo "$pid" >"$CASS_PIDFILE"
  # The background subshell becomes the JVM by exec; wait for that (or its early death) before
  # checking on it by PID.
  local tries=50
  while [ "$tries" -gt 0 ] && ! our_node_running && pid_alive "$pid"; do
    sleep 0.2
    tries=$((tries - 1))
  done
  log "started Cassandra (pid $pid), waiting up to ${CASS_WAIT_SECS}s for CQL on $CASS_HOST:$CASS_PORT"
}

wait_for_cql() {
  local start=$SECONDS deadline=$((SECONDS + CASS_WAIT_SECS))
  until cql_ping; do
    if ! our_node_running; then
      show_log_tail
      die "Cassandra exited before CQL came up on $CASS_HOST:$CASS_PORT (logs in $CASS_LOGS)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      show_log_tail
      die "Cassandra did not answer CQL on $CASS_HOST:$CASS_PORT within ${CASS_WAIT_SECS}s (pid $(read_pid) still running; logs in $CASS_LOGS)"
    fi
    sleep 0.5
  done
  log "Cassandra answers CQL on $CASS_HOST:$CASS_PORT (after $((SECONDS - start))s)"
}

# ---------------------------------------------------------------- commands

cass_start() {
  if cql_ping; then
    log "Cassandra already answers CQL on $CASS_HOST:$CASS_PORT"; return 0
  fi
  if our_node_running; then
    log "Cassandra (pid $(read_pid)) is running but CQL is not up yet"
  else
    tcp_open "$CASS_HOST" "$CASS_PORT" && die "port $CASS_PORT is taken by something that does not speak CQL"
    tcp_open "$CASS_HOST" "$CASS_STORAGE_PORT" && die "port $CASS_STORAGE_PORT is taken (another Cassandra?)"
    ensure_java
    fetch_jars
    write_config
    launch
  fi
  wait_for_cql
}

cass_ensure() {
  if cql_ping; then
    log "Cassandra already answers CQL on $CASS_HOST:$CASS_PORT"; return 0
  fi
  if ! our_node_running; then
    # Never delete the data of a node that still runs (ours from an older PID file, or another one).
    tcp_open "$CASS_HOST" "$CASS_STORAGE_PORT" \
      && die "port $CASS_STORAGE_PORT is in use (another Cassandra?) but CQL does not answer on $CASS_PORT; not starting"
    log "fresh data dir $CASS_DATA"
    rm -rf "$CASS_DATA"
  fi
  cass_start
}

# cass_stop [SIGNAL]: TERM (graceful, default) or KILL (crash); waits for the process to exit.
cass_stop() {
  local sig="${1:-TERM}" pid
  if ! our_node_running; then
    rm -f "$CASS_PIDFILE"
    cql_ping && die "CQL on $CASS_HOST:$CASS_PORT is served by a process this script did not start; not stopping it"
    log "Cassandra is not running"; return 0
  fi
  pid="$(read_pid)"
  log "stopping Cassandra (pid $pid, SIG$sig)"
  kill "-$sig" "$pid" 2>/dev/null || true
  if ! wait_while 60 "Cassandra (pid $pid) to exit" our_node_running; then
    log "Cassandra did not exit after SIG$sig; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_while 15 "Cassandra (pid $pid) to exit after SIGKILL" our_node_running || die "cannot stop Cassandra pid $pid"
  fi
  wait_while 15 "port $CASS_PORT to close" tcp_open "$CASS_HOST" "$CASS_PORT" || die "port $CASS_PORT still open after stop"
  rm -f "$CASS_PIDFILE"
  if [ "$sig" = TERM ]; then cds_commit; else rm -f "$CASS_DIR"/cds/*.jsa.tmp; fi
  log "Cassandra stopped"
}

cass_status() {
  if cql_ping; then
    if our_node_running; then log "Cassandra is up (pid $(read_pid))"; else log "Cassandra is up (not started by this script)"; fi
  else
    if our_node_running; then log "Cassandra (pid $(read_pid)) is running but CQL does not answer"; else log "Cassandra is down"; fi
    return 1
  fi
}

main() {
  case "${1:-}" in
    ensure) cass_ensure ;;
    start) cass_start ;;
    stop) cass_stop TERM ;;
    kill) cass_stop KILL ;;
    status) cass_status ;;
    reset) cass_stop TERM; rm -rf "$CASS_DATA"; log "deleted $CASS_DATA" ;;
    fetch) ensure_java; fetch_jars ;;
    *) usage_die "ensure|start|stop|kill|status|reset|fetch" ;;
  esac
}

main "$@"
