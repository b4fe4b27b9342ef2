#!/bin/sh
# First start of the database only (docker-entrypoint-initdb.d): the login role the services run as.
# It owns nothing and cannot bypass row-level security; each service's migrations (run as the
# owner, `kinerja`) grant it the data privileges it needs on that service's schema.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$SERVICE_DB_PASSWORD" <<'SQL'
CREATE ROLE kinerja_service LOGIN PASSWORD :'password' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE kinerja TO kinerja_service;
SQL
