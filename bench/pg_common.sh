# pg_common.sh - what the PostgreSQL benchmarks share (sourced by bench/cluster.sh and
# bench/cluster_profile.sh): a work directory removed on exit with the servers and the throwaway
# PostgreSQL cluster in it, a free loopback port, waiting for an instance's health.
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
root=$(cd "$here/.." && pwd)
work=$(mktemp -d)
servers=()
cleanup() {
  local p
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash "$root/scripts/pg_cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# healthy PORT: 0 once the instance answers /v1/health with 200 (30 s at most)
healthy() {
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/v1/health")" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}
