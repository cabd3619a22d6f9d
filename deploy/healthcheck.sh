#!/usr/bin/env bash
# Container health check of a pipeline service: exits 0 when GET /health on 127.0.0.1:$HEALTH_PORT
# answers HTTP 200 (the service is UP), 1 otherwise (503 DOWN, no answer, nothing listening).
# The JRE image has no curl; bash's /dev/tcp is enough for one request.
port="${HEALTH_PORT:-9400}"
path="${HEALTH_PATH:-/health}"
if ! { exec 3<>"/dev/tcp/127.0.0.1/${port}"; } 2>/dev/null; then
  echo "health: nothing listens on port ${port}"
  exit 1
fi
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "${path}" "${port}" >&3
if ! IFS= read -r -t 5 status <&3; then
  echo "health: no answer from port ${port}"
  exit 1
fi
body="$(timeout 5 cat <&3 2>/dev/null | tail -c 400)"
exec 3<&-
status="${status%$'\r'}"
case "${status}" in
  "HTTP/1."[01]" 200"*) echo "${body##*$'\n'}"; exit 0 ;;
  *) echo "health: ${path} on port ${port}: ${status} ${body##*$'\n'}"; exit 1 ;;
esac
