#!/bin/sh
# Runs once, when the postgres volume is first initialised: the application gets its own
# role and database next to Temporal's, and no superuser rights.
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v jiesu_password="${JIESU_DB_PASSWORD:?JIESU_DB_PASSWORD is not set}" <<'SQL'
CREATE ROLE jiesu LOGIN PASSWORD :'jiesu_password';
CREATE DATABASE jiesu OWNER jiesu;
SQL
