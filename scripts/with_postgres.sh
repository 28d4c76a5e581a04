#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 on a free local port, run the given command with DATABASE_URL
# pointing at it, then stop it and delete its data, whatever the command's outcome.
# Installs Debian's postgresql if no server binaries are present. We are root in CI, and
# PostgreSQL refuses to run as root, so the server runs as the `postgres` user.
set -euo pipefail

find_bindir() {
  for v in 15 16 17 14; do
    if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then echo "/usr/lib/postgresql/$v/bin"; return 0; fi
  done
  return 1
}

if ! BINDIR=$(find_bindir); then
  if [ "$(id -u)" != 0 ]; then
    echo "with_postgres: PostgreSQL server binaries not found; run: sudo apt-get install postgresql" >&2
    exit 1
  fi
  echo "with_postgres: installing PostgreSQL from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql postgresql-contrib >/dev/null
  BINDIR=$(find_bindir)
fi

# As root the server runs as `postgres` (it refuses to run as root); otherwise as ourselves.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  as_pg() { su postgres -s /bin/sh -c "$1"; }
else
  as_pg() { sh -c "$1"; }
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
DATA=$(mktemp -d /tmp/pgtest.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres "$DATA"
chmod 700 "$DATA"

cleanup() {
  as_pg "'$BINDIR/pg_ctl' -D '$DATA/db' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap cleanup EXIT INT TERM

as_pg "'$BINDIR/initdb' -D '$DATA/db' -U postgres -A trust -E UTF8 --no-locale" >/dev/null
# Durability is pointless for a throwaway test database; turning it off keeps the run fast.
# The log settings are docs/deployment.md's (no failed statement or key values in the log:
# tests/clinic/test_postgres_log_settings.py reads this server's log, $DATA/log).
LOG_SETTINGS="-c log_min_error_statement=panic -c log_error_verbosity=terse"
as_pg "'$BINDIR/pg_ctl' -D '$DATA/db' -l '$DATA/log' -w -o \"-p $PORT -k '$DATA' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 $LOG_SETTINGS\" start" >/dev/null

"$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qc 'SELECT version()' -tA | head -1 >&2

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/clinic"
export PGTEST_PORT="$PORT"
export REQUIRE_POSTGRES=1
"$@"
