#!/bin/sh
# Run once by the postgres image when its data volume is empty (compose.yaml): the bot's two roles
# and its database, as docs/audit.md#postgresql-two-roles sets them up by hand.
set -eu
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v owner_password="$APBOT_OWNER_PASSWORD" -v app_password="$APBOT_APP_PASSWORD" <<'SQL'
CREATE ROLE apbot_owner LOGIN PASSWORD :'owner_password';
-- Not a member of apbot_owner: it may not switch the audit log's triggers off.
CREATE ROLE apbot_app LOGIN PASSWORD :'app_password';
CREATE DATABASE apsafeguard OWNER apbot_owner;
\c apsafeguard
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
