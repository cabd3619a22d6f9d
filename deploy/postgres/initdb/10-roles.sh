#!/usr/bin/env bash
# Run by the postgres image when it initialises an empty data volume (never again after that):
# the roles of least privilege. POSTGRES_USER (metrics) owns the schema and runs the migrations
# (the migrate service); the migrations grant mpipe_writer what the sink needs and mpipe_reader
# SELECT (migrations/V4__roles.sql). The logins: mpipe_sink (a writer), mpipe_exporter and
# grafana_reader (readers).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v db="$POSTGRES_DB" -v sink_password="$MPIPE_SINK_DB_PASSWORD" \
     -v exporter_password="$MPIPE_EXPORTER_DB_PASSWORD" -v reader_password="$GRAFANA_DB_PASSWORD" <<'SQL'
CREATE ROLE mpipe_writer NOLOGIN;
CREATE ROLE mpipe_reader NOLOGIN;
CREATE ROLE mpipe_sink LOGIN PASSWORD :'sink_password' IN ROLE mpipe_writer;
CREATE ROLE mpipe_exporter LOGIN PASSWORD :'exporter_password' IN ROLE mpipe_reader;
CREATE ROLE grafana_reader LOGIN PASSWORD :'reader_password' IN ROLE mpipe_reader;
GRANT CONNECT ON DATABASE :"db" TO mpipe_writer, mpipe_reader;
ALTER ROLE mpipe_exporter SET statement_timeout = '10s';
ALTER ROLE grafana_reader SET statement_timeout = '30s';
SQL
