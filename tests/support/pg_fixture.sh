#!/usr/bin/env bash
# pg_fixture.sh - the CTest fixture postgres_cluster: one throwaway PostgreSQL for the postgres-labelled tests
#
#   pg_fixture.sh start FIXTURE_DIR   a cluster in FIXTURE_DIR/cluster on a free loopback port; its
#                                     admin URI in FIXTURE_DIR/uri
#   pg_fixture.sh stop FIXTURE_DIR    stop it and remove it, and the URI with it
#   pg_fixture.sh run FIXTURE_DIR CMD...
#                                     CMD with DC_TEST_PG_ADMIN, the URI (tests/support/temp_store.h)
#
# Each test server makes its own database in it (tests/integration/harness.py under
# DC_TEST_BACKEND=postgres), so the tests of one run share the cluster and nothing else.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pg_cluster="$here/../../scripts/pg_cluster.sh"
action=${1:-}
fixture=${2:-}
case $action in start | stop | run) ;; *) fixture="" ;; esac
if [ -z "$fixture" ]; then
  echo "usage: pg_fixture.sh start|stop FIXTURE_DIR, or run FIXTURE_DIR CMD..." >&2
  exit 2
fi
if [ "$action" = run ]; then
  [ -f "$fixture/uri" ] || {
    echo "pg_fixture: no $fixture/uri: the fixture postgres_cluster has not started" >&2
    exit 1
  }
  shift 2
  DC_TEST_PG_ADMIN=$(cat "$fixture/uri")
  export DC_TEST_PG_ADMIN
  exec "$@"
fi

# first what a run killed before its cleanup may have left (a cluster still running, a stale
# URI): no test may read the URI of a cluster that is gone, or two clusters pile up
rm -f "$fixture/uri"
bash "$pg_cluster" stop "$fixture/cluster"
if [ "$action" = stop ]; then
  echo "postgres_cluster: stopped and removed"
  exit 0
fi
mkdir -p "$fixture"
uri=$(bash "$pg_cluster" start "$fixture/cluster" | tail -n 1)
# written whole and last: a test that finds the file finds a cluster that answers
printf '%s\n' "$uri" >"$fixture/uri.tmp"
mv "$fixture/uri.tmp" "$fixture/uri"
echo "postgres_cluster: $uri (in $fixture/cluster)"
