#!/usr/bin/env bash
# The image's entry point: bin/pipeline <command> [options] inside the container. JVM options as
# bin/pipeline takes them: PIPELINE_JAVA_OPTS replaces the default (G1), JAVA_TOOL_OPTIONS adds to
# either (-Xmx512m). See "JVM options" in docs/operations.md.
#
# Before a service starts (collector, sink, exporter), the credentials docker-compose.yml passes
# in the environment become the files the config names (so they are in no config file and no
# image layer): MPIPE_HTTP_USER and MPIPE_HTTP_PASSWORD a users file of one bcrypt line for
# <service>.http.auth.basic-users-file (MPIPE_HTTP_USERS_FILE), and MPIPE_PEER_TOKEN the token
# exporter instances show each other (MPIPE_PEER_TOKEN_FILE). MPIPE_HOME is where the jars are.
set -euo pipefail
home="${MPIPE_HOME:-/app}"
run() {
  set -f # the options split at spaces, and are never file patterns (-Xlog:gc*)
  # shellcheck disable=SC2086
  java ${PIPELINE_JAVA_OPTS:--XX:+UseG1GC} -XX:+ExitOnOutOfMemoryError \
      -cp "$home/mpipe-cli.jar:$home/lib/*" io.mpipe.cli.Pipeline "$@"
}
case "${1:-}" in
  collector|sink|exporter)
    secrets="${MPIPE_SECRETS_DIR:-${TMPDIR:-/tmp}/mpipe-secrets}"
    mkdir -p "$secrets" && chmod 700 "$secrets"
    if [[ -n "${MPIPE_HTTP_PASSWORD:-}" ]]; then
      printf '%s\n' "$MPIPE_HTTP_PASSWORD" | run hash-password "${MPIPE_HTTP_USER:-prometheus}" > "$secrets/http-users"
      export MPIPE_HTTP_USERS_FILE="$secrets/http-users"
    fi
    if [[ -n "${MPIPE_PEER_TOKEN:-}" ]]; then
      (umask 077 && printf '%s\n' "$MPIPE_PEER_TOKEN" > "$secrets/peer-token")
      export MPIPE_PEER_TOKEN_FILE="$secrets/peer-token"
    fi
    unset MPIPE_HTTP_PASSWORD MPIPE_PEER_TOKEN
    ;;
esac
set -f
# shellcheck disable=SC2086
exec java ${PIPELINE_JAVA_OPTS:--XX:+UseG1GC} -XX:+ExitOnOutOfMemoryError \
    -cp "$home/mpipe-cli.jar:$home/lib/*" io.mpipe.cli.Pipeline "$@"
