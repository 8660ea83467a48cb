#!/usr/bin/env bash
# Install Debian's PostgreSQL, start its cluster, create a role and a database for the registry tests, and print
# the URL to export as SALESLENS_TEST_POSTGRES_URL (the only line on stdout; progress goes to stderr):
#
#     export SALESLENS_TEST_POSTGRES_URL="$(.ci/postgres.sh)"
#
# Idempotent: a second call finds the package, the running cluster, the role and the database and prints the URL.
# Runs as root (CI) or with sudo. Role, password, database and port can be changed through the variables below.
set -euo pipefail
ROLE="${SALESLENS_PG_ROLE:-saleslens}"
PASSWORD="${SALESLENS_PG_PASSWORD:-saleslens-test}"
DATABASE="${SALESLENS_PG_DATABASE:-saleslens_test}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
say() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
    say "installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq postgresql >&2
fi

# The newest installed version's cluster (Debian creates "main" on install; create it when a container skipped it).
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main"' | grep -q .; then
    say "creating cluster $VERSION/main"
    $SUDO pg_createcluster "$VERSION" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    say "starting cluster $VERSION/main"
    $SUDO pg_ctlcluster "$VERSION" main start >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')"

psql_admin() { $SUDO -u postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -qAt "$@"; }
[ -n "$SUDO" ] || psql_admin() { su postgres -s /bin/sh -c "psql -p $PORT -v ON_ERROR_STOP=1 -qAt $(printf '%q ' "$@")"; }

for _ in $(seq 1 30); do  # the cluster accepts connections a moment after it starts
    psql_admin -c "select 1" >/dev/null 2>&1 && break
    sleep 1
done
if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$ROLE'")" != "1" ]; then
    say "creating role $ROLE"
    psql_admin -c "create role \"$ROLE\" login password '$PASSWORD'" >&2
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$DATABASE'")" != "1" ]; then
    say "creating database $DATABASE"
    psql_admin -c "create database \"$DATABASE\" owner \"$ROLE\"" >&2
fi
echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
