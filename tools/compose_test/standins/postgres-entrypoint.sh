#!/bin/sh
# Like the official image's entrypoint: on an empty data directory, create the cluster, the
# superuser POSTGRES_USER with POSTGRES_PASSWORD and the database POSTGRES_DB; then run the
# server as the postgres user. Local socket connections are trusted, network ones need
# the password.
set -eu
bin=$(echo /usr/lib/postgresql/*/bin)
export PATH="$bin:$PATH"
if [ "${1:-}" != postgres ]; then exec "$@"; fi
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}
chown postgres:postgres "$PGDATA" && chmod 0700 "$PGDATA"
as_postgres() { setpriv --reuid postgres --regid postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password_file=$(mktemp) && printf '%s\n' "$POSTGRES_PASSWORD" > "$password_file"
  chown postgres "$password_file"
  as_postgres initdb --username="$user" --pwfile="$password_file" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  rm -f "$password_file"
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  as_postgres pg_ctl -w -o "-c listen_addresses=''" start >/dev/null
  if [ "$database" != postgres ]; then
    as_postgres psql -v ON_ERROR_STOP=1 --username "$user" --dbname postgres \
      -c "CREATE DATABASE \"$database\"" >/dev/null
  fi
  as_postgres pg_ctl -w -m fast stop >/dev/null
fi
shift
exec setpriv --reuid postgres --regid postgres --init-groups postgres -c listen_addresses='*' "$@"
