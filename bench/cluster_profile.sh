#!/usr/bin/env bash
# cluster_profile.sh - where a PUT's time goes over PostgreSQL: the congested-cell load of
# bench/cluster.sh (16 connections, cell_put.lua) through N instances, with pg_stat_statements on
# and pg_stat_activity sampled every 10 ms: the statements a PUT costs and their time, and what the
# sessions were doing (running a statement, waiting for the write lock, or idle inside a
# transaction while their instance works between statements).
# usage: bench/cluster_profile.sh [BUILD_DIR] [INSTANCES] [SECONDS]
set -euo pipefail
build=${1:-build/release}
n=${2:-1}
seconds=${3:-10}
# shellcheck source=bench/pg_common.sh
source "$(dirname "$0")/pg_common.sh"
uri=$(bash "$root/scripts/pg_cluster.sh" start "$work/pg" | tail -n 1)
runuser -u postgres -- tee -a "$(readlink -f "$work/pg")/data/postgresql.conf" >/dev/null <<<"shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.track_planning = on"
uri=$(bash "$root/scripts/pg_cluster.sh" restart "$work/pg" | tail -n 1)
psql -X -q "$uri" -c 'CREATE EXTENSION pg_stat_statements'
ports=()
for k in $(seq 1 "$n"); do
  p=$(free_port)
  "$build/deconflictd" --listen "127.0.0.1:$p" --db "$uri" --key-file "$work/server.key" --operator-key-file "$work/op.key" \
    --quiet --rate-writes 1e8/1e8 --connections-per-address 0 2>"$work/server-$k.log" &
  servers+=($!)
  healthy "$p" || true
  ports+=("$p")
done
key=$(curl -sf -X POST -H "Authorization: Bearer $(cat "$work/op.key")" -H "Content-Type: application/json" \
  "127.0.0.1:${ports[0]}/v1/parties" -d '{"name":"cell"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
psql -X -q "$uri" -c 'SELECT pg_stat_statements_reset()' >/dev/null
i=0
loads=()
for p in "${ports[@]}"; do
  DC_KEY=$key DC_PROC=$i wrk -t1 -c$((16 / n)) -d"${seconds}s" -s "$here/wrk/cell_put.lua" "http://127.0.0.1:$p" >"$work/wrk-$i.out" &
  loads+=($!)
  i=$((i + 1))
done
# what the database's sessions are doing, 100 times a second, while the load runs
python3 - "$uri" "$seconds" >"$work/activity.txt" <<'PY' &
import collections, subprocess, sys, time
uri, seconds = sys.argv[1], float(sys.argv[2])
q = ("SELECT state || ' ' || coalesce(wait_event_type || ':' || wait_event, '-') FROM pg_stat_activity"
     " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
     " AND query NOT LIKE 'LISTEN%'")
p = subprocess.Popen(["psql", "-X", "-At", uri], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
seen, samples, end = collections.Counter(), 0, time.time() + seconds - 1
while time.time() < end:
    p.stdin.write(q + "; SELECT '--';\n"); p.stdin.flush()
    while (line := p.stdout.readline().strip()) != "--":
        seen[line] += 1
    samples += 1
    time.sleep(0.01)
print(f"{samples} samples of pg_stat_activity: sessions in each state, on average")
for what, count in seen.most_common():
    print(f"  {count / samples:6.2f}  {what}")
PY
loads+=($!)
for p in "${loads[@]}"; do wait "$p"; done
cat "$work"/wrk-*.out | grep -E "^  (p50|statuses)"
cat "$work/activity.txt"
psql -X "$uri" -c "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, plans, round(total_plan_time::numeric, 1) AS plan_total_ms,
  left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS statement
  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  ORDER BY total_exec_time DESC LIMIT 25"
psql -X -At "$uri" -c "SELECT 'statements: ' || sum(calls) || ' calls, ' || round(sum(total_exec_time)::numeric) || ' ms executing; intents: ' ||
  (SELECT count(*) FROM objects) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
