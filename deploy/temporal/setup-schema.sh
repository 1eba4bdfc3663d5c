#!/bin/sh
# Creates Temporal's two databases on PostgreSQL and brings their schemas to the version the
# server needs; safe to run at every start (a database that exists is kept, a schema already at
# its version is left alone). Run by the compose stack's `temporal-schema` job and by
# `npm run cluster` (scripts/lib/temporalServer.ts), with the same variables the server's
# configuration reads (deploy/temporal/config/production.yaml). The schemas are the ones built
# into the SQL tool of the pinned server version.
set -eu

SQL_TOOL=${SQL_TOOL:-temporal-sql-tool}

sql() {
  "$SQL_TOOL" --plugin postgres12 --endpoint "${POSTGRES_SEEDS:-127.0.0.1}" --port "${DB_PORT:-5432}" \
    --user "${POSTGRES_USER:-temporal}" --password "${POSTGRES_PWD:-temporal}" "$@"
}

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  database=${pair%%:*}
  schema=postgresql/v12/${pair#*:}
  # "already exists" is the only failure expected here; any other shows again in the next step.
  sql --database "$database" create-database >/dev/null 2>&1 || true
  sql --database "$database" setup-schema --version 0.0
  sql --database "$database" update-schema --schema-name "$schema"
  echo "temporal schema: $database at the latest $schema version"
done
