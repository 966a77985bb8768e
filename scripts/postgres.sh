#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on ${PGHOST:-127.0.0.1}:${PGPORT:-5432} for the witness tests (and later the
# outbox): checks with pg_isready, starts the machine's Debian cluster when it is installed but stopped, and exits 1
# saying so when none can be had. It never creates or drops databases; tests use their own schemas.
set -euo pipefail
host="${PGHOST:-127.0.0.1}"
port="${PGPORT:-5432}"
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }
if ! command -v pg_isready >/dev/null; then
  echo "postgres: pg_isready not found (install postgresql-client, or point WITNESS_PG_URL at a server)" >&2
  exit 1
fi
if ready; then echo "postgres: answering on $host:$port"; exit 0; fi
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do ready && { echo "postgres: started on $host:$port"; exit 0; }; sleep 1; done
fi
echo "postgres: nothing answers on $host:$port and no local cluster could be started" >&2
exit 1
