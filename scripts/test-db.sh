#!/usr/bin/env bash
# Start a local PostgreSQL with PostGIS for the tests and print the URI to use as
# ZONING_TEST_PG.  Debian's packages: postgresql, postgis.  Idempotent.
set -euo pipefail
# Only the URI goes to stdout (callers capture it); everything the server tools say, such
# as pg_ctlcluster's "Removed stale pid file.", goes to stderr.
exec 3>&1 1>&2
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
    pg_ctlcluster "$ver" main start 3>&-  # the server must not inherit the URI pipe
fi
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='zoning'\"" | grep -q 1 ||
    su postgres -c "psql -qc \"CREATE ROLE zoning LOGIN SUPERUSER PASSWORD 'zoning'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='zoning_test'\"" | grep -q 1 ||
    su postgres -c "createdb -O zoning zoning_test"
su postgres -c "psql -q -d zoning_test -c 'SET client_min_messages=warning; CREATE EXTENSION IF NOT EXISTS postgis'" >/dev/null
echo "postgresql://zoning:zoning@127.0.0.1:5432/zoning_test" >&3
