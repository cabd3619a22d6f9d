#!/usr/bin/env bash
# The docker-compose stack as users run it, as plain processes on this machine (no Docker engine
# needed), checked as a user would see it: see deploy/smoke.py for what it starts and checks.
# Installs what it uses when missing (Debian packages): python3-yaml, docker-compose (to render the
# compose file), prometheus, prometheus-alertmanager, postgresql-client (psql), kcat. Builds the CLI
# when it is not built. Exit code 0 only when every check holds. Takes about five minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "smoke: cannot install $* (no apt-get)" >&2
    return 1
  fi
}

need=()
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
command -v kcat >/dev/null 2>&1 || need+=(kcat)
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
exec python3 deploy/smoke.py
