#!/usr/bin/env bash
# pg_cluster.sh - a throwaway PostgreSQL 15 + PostGIS cluster on loopback, for tests, benches and make cluster
#
#   pg_cluster.sh start DIR [PORT]        initdb DIR/data (or start what is there), listen on 127.0.0.1:PORT
#                                         (a free one when not given); prints the URI last, writes DIR/uri
#   pg_cluster.sh stop DIR [--keep]       pg_ctl stop -m fast, then remove DIR (unless --keep)
#   pg_cluster.sh restart DIR             stop and start again on the same port, the data kept
#   pg_cluster.sh kill DIR                SIGKILL the postmaster and its backends, as a crash would
#   pg_cluster.sh standby PRIMARY STANDBY [PORT]
#                                         pg_basebackup -R of PRIMARY into a hot standby, started; writes
#                                         STANDBY/failover_uri, a multi-host URI that follows a promotion
#   pg_cluster.sh promote DIR             pg_ctl promote -w
#   pg_cluster.sh status DIR              exit 0 when DIR's cluster runs
#
# initdb refuses to run as root: as root, DIR is given to the postgres user and every PostgreSQL
# command runs as it (runuser); otherwise they run as the caller. The superuser is named postgres
# either way, so the URI is postgresql://postgres@127.0.0.1:PORT/deconflict wherever it runs.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MARK=.pg_cluster # what says a directory is ours to remove

die() {
  echo "pg_cluster: $*" >&2
  exit 1
}
usage() {
  sed -n '3,13s/^# \{0,1\}//p' "$SELF" >&2
  exit 2
}

# as_pg CMD...: a PostgreSQL command as the cluster's owner
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# given_dir DIR: DIR made absolute; abs_dir DIR: the same with symbolic links resolved, the
# directory the cluster is really in (see prepare)
given_dir() {
  [ -n "${1:-}" ] || usage
  case $1 in
  /*) printf '%s\n' "${1%/}" ;;
  *) printf '%s/%s\n' "$CALLER_DIR" "${1%/}" ;;
  esac
}
abs_dir() {
  readlink -m "$(given_dir "${1:-}")"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# alive PID: a process that has not exited (a zombie waiting for its reaper has)
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${state#Z}" = "$state" ]
}

running() {
  [ -f "$1/data/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

# prepare DIR: create it, mark it ours, hand it to postgres when we are root, and print the
# directory to use. When postgres cannot pass through DIR's parents (a checkout under /root), the
# cluster goes to a directory of its own under /tmp and DIR becomes a link to it, so that DIR/uri
# is where the caller looks either way.
prepare() {
  local dir=$1 real
  mkdir -p "$(dirname "$dir")"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "no postgres user: install postgresql-15 (scripts/deps.sh)"
    if ! as_pg test -x "$(dirname "$dir")"; then
      [ ! -e "$dir" ] || rmdir "$dir" 2>/dev/null || die "$dir: not empty, and postgres cannot reach it"
      real=$(mktemp -d "${TMPDIR:-/tmp}/dc-pg-XXXXXX")
      chmod 755 "$real"
      ln -s "$real" "$dir"
      dir=$real
    fi
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    as_pg test -w "$dir" || die "$dir: the postgres user cannot write there"
  else
    mkdir -p "$dir"
  fi
  touch "$dir/$MARK"
  printf '%s\n' "$dir"
}

# settings DIR PORT: appended to postgresql.conf, where the last occurrence of a setting wins, so
# a standby copied from a primary gets its own port and socket by the same call.
settings() {
  local dir=$1 port=$2 sock="$1/run"
  # a Unix socket path is limited to 107 bytes; past it the cluster is reached over TCP only
  if [ $((${#sock} + 18)) -gt 107 ]; then sock=""; else as_pg mkdir -p "$sock"; fi
  as_pg tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# scripts/pg_cluster.sh: a loopback cluster sized for tests (one server per test, a few instances
# each with a pool) - durability as in production: fsync and synchronous commit stay on, so a test
# that kills PostgreSQL sees what a real crash would leave.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
max_connections = 300
shared_buffers = 128MB
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
  printf '%s\n' "$port" >"$dir/port"
  printf 'postgresql://postgres@127.0.0.1:%s/deconflict\n' "$port" >"$dir/uri"
}

# trust, and only on loopback and the socket inside DIR: a throwaway cluster that exists for the
# length of a test run, listening on 127.0.0.1 only, holding nothing but test data. A password
# would only be one more secret to pass around; nothing off this machine can connect.
write_hba() {
  as_pg tee "$1/data/pg_hba.conf" >/dev/null <<'EOF'
# scripts/pg_cluster.sh: trust on loopback and the local socket only (a throwaway test cluster)
local   all           all                  trust
host    all           all    127.0.0.1/32  trust
local   replication   all                  trust
host    replication   all    127.0.0.1/32  trust
EOF
}

pg_start() {
  local dir=$1
  if ! as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 120 start >/dev/null; then
    tail -n 20 "$dir/postgresql.log" >&2 || true
    return 1
  fi
}

psql_at() {
  local port=$1 db=$2
  shift 2
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "postgresql://postgres@127.0.0.1:$port/$db" "$@"
}

cmd_start() {
  local dir port try
  dir=$(abs_dir "${1:-}")
  port=${2:-}
  running "$dir" && die "$dir: a cluster is already running there (port $(cat "$dir/port" 2>/dev/null || echo '?'))"
  if [ -f "$dir/data/PG_VERSION" ]; then
    # what a previous start left (stopped, or killed): start it again as it was
    [ -z "$port" ] || [ "$port" = "$(cat "$dir/port")" ] || die "$dir: its cluster listens on $(cat "$dir/port"), not $port"
    pg_start "$dir" || die "$dir: the cluster did not start (log above)"
    cat "$dir/uri"
    return
  fi
  dir=$(prepare "$dir")
  as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C --data-checksums >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "$dir: initdb failed"; }
  write_hba "$dir"
  # a port found free may be taken before the postmaster binds it: try another, unless one was asked for
  for try in 1 2 3 4 5; do
    settings "$dir" "${port:-$(free_port)}"
    pg_start "$dir" && break
    if [ -n "$port" ] || [ "$try" -eq 5 ]; then die "$dir: the cluster did not start (log above)"; fi
    echo "pg_cluster: port $(cat "$dir/port") taken, trying another" >&2
  done
  port=$(cat "$dir/port")
  # in template1, so that every database created afterwards (one per test server) has them
  psql_at "$port" template1 -c 'CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS btree_gist;'
  psql_at "$port" postgres -c 'CREATE DATABASE deconflict'
  cat "$dir/uri"
}

cmd_stop() {
  local dir given keep=0
  given=$(given_dir "${1:-}")
  dir=$(abs_dir "${1:-}")
  [ "${2:-}" = "--keep" ] && keep=1
  [ -d "$dir" ] || return 0
  if running "$dir"; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 120 stop >/dev/null
  fi
  [ "$keep" -eq 1 ] && return 0
  # only a directory this script made: a mistyped DIR is never removed
  [ -f "$dir/$MARK" ] || die "$dir: not made by pg_cluster.sh (no $MARK); left as it is"
  rm -rf "$dir"
  if [ -L "$given" ]; then rm -f "$given"; fi
}

cmd_restart() {
  local dir
  dir=$(abs_dir "${1:-}")
  [ -f "$dir/data/PG_VERSION" ] || die "$dir: no cluster there"
  if running "$dir"; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 120 stop >/dev/null
  fi
  pg_start "$dir" || die "$dir: the cluster did not start again (log above)"
  cat "$dir/uri"
}

# the postmaster first, then its backends: a crash of the database host. Waits until they are
# reaped (kill -0 fails): a start right after must find neither a process holding the shared
# memory nor a zombie, which the postmaster's lock file check takes for a live postmaster.
cmd_kill() {
  local dir pid children p
  dir=$(abs_dir "${1:-}")
  [ -f "$dir/data/postmaster.pid" ] || die "$dir: no postmaster.pid (not running)"
  pid=$(head -n 1 "$dir/data/postmaster.pid")
  alive "$pid" || die "$dir: postmaster $pid is not running"
  children=$(pgrep -P "$pid" || true)
  kill -9 "$pid"
  for p in $children; do kill -9 "$p" 2>/dev/null || true; done
  for _ in $(seq 1 300); do
    p=0
    for q in $pid $children; do kill -0 "$q" 2>/dev/null && p=1; done
    [ "$p" -eq 0 ] && return 0
    sleep 0.1
  done
  die "$dir: processes not reaped 30 s after SIGKILL"
}

cmd_standby() {
  local primary dir port pport
  primary=$(abs_dir "${1:-}")
  dir=$(abs_dir "${2:-}")
  port=${3:-}
  running "$primary" || die "$primary: no running primary"
  [ -f "$dir/data/PG_VERSION" ] && die "$dir: holds a cluster already"
  pport=$(cat "$primary/port")
  dir=$(prepare "$dir")
  # -R writes standby.signal and primary_conninfo; -X stream keeps the WAL of the copy's own span
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$pport" -U postgres -D "$dir/data" -R -X stream -c fast ||
    die "$dir: pg_basebackup from port $pport failed"
  [ -n "$port" ] || port=$(free_port)
  settings "$dir" "$port"
  pg_start "$dir" || die "$dir: the standby did not start (log above)"
  printf 'postgresql://postgres@127.0.0.1:%s,127.0.0.1:%s/deconflict?target_session_attrs=read-write\n' \
    "$pport" "$port" >"$dir/failover_uri"
  cat "$dir/uri"
}

cmd_promote() {
  local dir
  dir=$(abs_dir "${1:-}")
  running "$dir" || die "$dir: not running"
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -w -t 120 promote >/dev/null
}

cmd_status() {
  local dir
  dir=$(abs_dir "${1:-}")
  running "$dir"
}

[ -x "$PGBIN/pg_ctl" ] || die "no $PGBIN/pg_ctl: install postgresql-15 (scripts/deps.sh)"
action=${1:-}
[ $# -gt 0 ] && shift
# PostgreSQL's commands, run as postgres, may not enter the caller's working directory
CALLER_DIR=$PWD
SELF=$(readlink -f "$0")
cd /
case $action in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
restart) cmd_restart "$@" ;;
kill) cmd_kill "$@" ;;
standby) cmd_standby "$@" ;;
promote) cmd_promote "$@" ;;
status) cmd_status "$@" ;;
*) usage ;;
esac
