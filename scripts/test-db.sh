#!/usr/bin/env bash
# Start a local PostgreSQL with PostGIS for the tests and print the URI to use as
# ZONING_TEST_PG.  Debian's packages: postgresql, postgis.  Idempotent.
set -euo pipefail
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
    pg_ctlcluster "$ver" main start
fi
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='zoning'\"" | grep -q 1 ||
    su postgres -c "psql -qc \"CREATE ROLE zoning LOGIN SUPERUSER PASSWORD 'zoning'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='zoning_test'\"" | grep -q 1 ||
    su postgres -c "createdb -O zoning zoning_test"
su postgres -c "psql -q -d zoning_test -c 'SET client_min_messages=warning; CREATE EXTENSION IF NOT EXISTS postgis'" >/dev/null
echo "postgresql://zoning:zoning@127.0.0.1:5432/zoning_test"
