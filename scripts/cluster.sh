#!/usr/bin/env bash
# cluster.sh - make cluster: PostgreSQL + PostGIS, three deconflictd over it behind HAProxy, the scenarios loaded
#
#   cluster.sh start [BUILD]     stop what a previous start left, then start PostgreSQL (build/cluster/pg),
#                                deconflictd on 127.0.0.1:8181-8183 and HAProxy on 127.0.0.1:8080, and load
#                                the published scenarios through HAProxy as make demo does
#   cluster.sh instance PORT [BUILD]
#                                start the instance of PORT again (after killing it, to watch HAProxy
#                                take it back)
#   cluster.sh stop              stop HAProxy, the instances and PostgreSQL; the database goes with it
#
# Everything lives in build/cluster: the PostgreSQL cluster, server.key (the signing key every instance
# is given), operator.key, keys.json, haproxy.cfg, the pid files and the logs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
var="$root/build/cluster"
front=8080
stats=8404
instances=(8181 8182 8183)

say() { printf '%s\n' "$*"; }
die() {
  echo "cluster: $*" >&2
  exit 1
}

# stop_pid FILE: SIGTERM to the process of FILE, wait until it has gone, remove FILE
stop_pid() {
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$1"
}

# port_taken PORT: something listens on 127.0.0.1:PORT (connections of a killed instance left in
# TIME_WAIT do not count: a server binds over them, as deconflictd and HAProxy do)
port_taken() {
  python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)' "$1"
}

# healthy PORT SECONDS: /v1/health answers 200 on PORT within SECONDS
healthy() {
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt "$deadline" ]; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/v1/health")" = 200 ]; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

stop_all() {
  local p
  stop_pid "$var/haproxy.pid"
  for p in "${instances[@]}"; do stop_pid "$var/deconflictd-$p.pid"; done
  bash "$root/scripts/pg_cluster.sh" stop "$var/pg"
  # the signing key and the parties' keys belong to the database just removed; the operator's key
  # file is kept, as make demo keeps its own
  rm -f "$var/server.key" "$var/keys.json"
}

# start_instance PORT BUILD: one deconflictd on PORT over the cluster's database, in a session of
# its own so that it outlives make
start_instance() {
  local port=$1 build=$2
  [ -f "$var/pg/uri" ] || die "no PostgreSQL running in $var/pg: make cluster first"
  stop_pid "$var/deconflictd-$port.pid"
  port_taken "$port" && die "127.0.0.1:$port is taken by another program"
  # --connections-per-address 0: behind HAProxy every client is 127.0.0.1, and HAProxy bounds them
  setsid "$build/deconflictd" --listen "127.0.0.1:$port" --db "$(cat "$var/pg/uri")" \
    --key-file "$var/server.key" --operator-key-file "$var/operator.key" \
    --web "$root/web/dist" --connections-per-address 0 \
    </dev/null >"$var/deconflictd-$port.log" 2>&1 &
  echo $! >"$var/deconflictd-$port.pid"
  healthy "$port" 60 || {
    tail -n 20 "$var/deconflictd-$port.log" >&2
    die "deconflictd on 127.0.0.1:$port did not start (log above, $var/deconflictd-$port.log)"
  }
}

write_haproxy_cfg() {
  local p i=0
  {
    cat <<EOF
# haproxy.cfg - written by scripts/cluster.sh (make cluster); regenerated on each start
global
    pidfile $var/haproxy.pid
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    # a party's event stream (/v1/alerts/stream, /v1/tracks/stream) stays open for as long as
    # it watches: an hour of quiet before either side is dropped, not the seconds a request needs
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    timeout http-request 10s
    timeout queue 5s
    # a request that never reached an instance (refused connection) or that an instance dropped
    # without a byte of answer (killed mid-request) goes to another instance: a write by id (PUT,
    # DELETE) is idempotent; a repeated POST is what a client's own retry would send
    retries 3
    retry-on conn-failure empty-response
    option redispatch

frontend deconflict
    bind 127.0.0.1:$front
    default_backend instances

backend instances
    balance roundrobin
    # /v1/health answers 503 while its instance cannot reach PostgreSQL: taken out of rotation
    # after two failed checks a second apart, back after one good one
    option httpchk GET /v1/health
    http-check expect status 200
    default-server inter 1s fall 2 rise 1
EOF
    for p in "${instances[@]}"; do
      i=$((i + 1))
      printf '    server i%s 127.0.0.1:%s check\n' "$i" "$p"
    done
    cat <<EOF

listen stats
    bind 127.0.0.1:$stats
    stats enable
    stats uri /
    stats refresh 2s
EOF
  } >"$var/haproxy.cfg"
}

cmd_start() {
  local build=${1:-$root/build/release} p uri
  [ -x "$build/deconflictd" ] || die "no $build/deconflictd: make build first"
  command -v haproxy >/dev/null || die "no haproxy: bash scripts/deps.sh"
  mkdir -p "$var"
  stop_all
  for p in "$front" "$stats" "${instances[@]}"; do
    if port_taken "$p"; then
      die "127.0.0.1:$p is taken (make demo-stop stops the demo's server; make cluster-stop a cluster)"
    fi
  done
  uri=$(bash "$root/scripts/pg_cluster.sh" start "$var/pg" | tail -n 1)
  # one after the other: the first creates the signing key and the operator key, the others read them
  for p in "${instances[@]}"; do start_instance "$p" "$build"; done
  write_haproxy_cfg
  haproxy -c -q -f "$var/haproxy.cfg" || die "haproxy refuses $var/haproxy.cfg"
  haproxy -D -f "$var/haproxy.cfg" || die "haproxy did not start"
  healthy "$front" 30 || die "HAProxy on 127.0.0.1:$front does not reach an instance"
  say "Deconflict cluster: PostgreSQL $uri (data in $var/pg),"
  say "three deconflictd on 127.0.0.1:${instances[0]}-${instances[2]} behind HAProxy on 127.0.0.1:$front"
  DEMO_VAR=$var DEMO_PORT=$front DEMO_STORE=$uri python3 "$root/scripts/demo.py" "$build"
  say ""
  say "The cluster"
  say "   HAProxy:      http://127.0.0.1:$front/  (stats: http://127.0.0.1:$stats/; config $var/haproxy.cfg)"
  for p in "${instances[@]}"; do
    say "   instance:     http://127.0.0.1:$p/  pid $(cat "$var/deconflictd-$p.pid"), log $var/deconflictd-$p.log"
  done
  say "   PostgreSQL:   $uri  (psql \"$uri\"; log $var/pg/postgresql.log)"
  say "   signing key:  $var/server.key  (the same file for every instance)"
  say "   kill one:     kill -9 \$(cat $var/deconflictd-${instances[1]}.pid)  and watch the stats page mark it DOWN;"
  say "                 bash scripts/cluster.sh instance ${instances[1]}  starts it again"
  say "   stop:         make cluster-stop"
}

action=${1:-}
[ $# -gt 0 ] && shift
case $action in
start) cmd_start "$@" ;;
instance)
  [ -n "${1:-}" ] || die "usage: cluster.sh instance PORT [BUILD]"
  case " ${instances[*]} " in *" $1 "*) ;; *) die "no instance of port $1 (${instances[*]})" ;; esac
  start_instance "$1" "${2:-$root/build/release}"
  say "deconflictd on 127.0.0.1:$1 again (pid $(cat "$var/deconflictd-$1.pid"))"
  ;;
stop)
  stop_all
  say "cluster stopped: HAProxy, the instances, PostgreSQL (logs kept in $var)"
  ;;
*)
  sed -n '3,11s/^# \{0,1\}//p' "$0" >&2
  exit 2
  ;;
esac
