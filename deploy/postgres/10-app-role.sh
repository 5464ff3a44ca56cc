#!/usr/bin/env bash
# Runs once, when the postgres container initialises its data directory: creates the
# application's role (not a superuser, owns nothing). The owner role (POSTGRES_USER) runs the
# migrations and then `manage.py grant_app_role`, which gives this role its privileges.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_role="${APP_DB_ROLE:-servicedesk_app}" -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT CONNECT ON DATABASE :"DBNAME" TO :"app_role";
SQL
