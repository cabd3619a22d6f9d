#!/usr/bin/env bash
# Checks the deployment files without a Docker engine: the compose file, the Prometheus config,
# the alert rules and their unit tests, the Grafana provisioning and dashboards, the files the
# Dockerfile copies from deploy/, and (when the CLI is built) deploy/config.yaml as the services
# load it. Run from anywhere: deploy/check.sh
# Installs docker-compose and promtool (Debian packages) when they are missing, as .ci/run does.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "check: cannot install $* (no apt-get)" >&2
    return 1
  fi
}

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  command -v docker-compose >/dev/null 2>&1 || apt_install docker-compose
  compose=(docker-compose)
fi
command -v promtool >/dev/null 2>&1 || apt_install prometheus
command -v amtool >/dev/null 2>&1 || apt_install prometheus-alertmanager
command -v python3 >/dev/null 2>&1 || apt_install python3
python3 -c 'import yaml' 2>/dev/null || apt_install python3-yaml

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== compose: ${compose[*]} config (with .env.example)"
"${compose[@]}" --env-file .env.example -f docker-compose.yml config -q
"${compose[@]}" --env-file .env.example -f docker-compose.yml config > "$work/compose.yml"
python3 - "$work/compose.yml" <<'EOF'
import sys, yaml
services = yaml.safe_load(open(sys.argv[1]))["services"]
problems = []
sink = services["sink"]
# --scale sink=N: no container name, no fixed host port
if "container_name" in sink:
    problems.append("sink: container_name prevents --scale")
for p in sink.get("ports", []):
    if isinstance(p, dict):
        published = str(p.get("published") or "")
    else:  # [ip:][host:]container[/proto]
        published = str(p).rsplit(":", 1)[0].rsplit(":", 1)[-1] if ":" in str(p) else ""
    if published and "-" not in published:
        problems.append(f"sink: fixed host port {published} prevents --scale")
for name in ("collector", "sink", "exporter"):
    s = services[name]
    if "healthcheck" not in s:
        problems.append(f"{name}: no healthcheck")
    env = s.get("environment", {})
    if env.get(f"PIPELINE_{name.upper()}_HTTP_HOST") != "0.0.0.0":
        problems.append(f"{name}: PIPELINE_{name.upper()}_HTTP_HOST is not 0.0.0.0")
for p in problems:
    print("compose:", p)
sys.exit(1 if problems else 0)
EOF

echo "== alertmanager: amtool check-config"
amtool check-config deploy/alertmanager/alertmanager.yml
echo "== prometheus: promtool check config / check rules / test rules"
promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/alerts.test.yml

echo "== grafana: provisioning and dashboards"
python3 - "$work/dashboard-exprs.yml" <<'EOF'
import glob, json, sys, yaml
problems = []
uids = {}
for f in glob.glob("deploy/grafana/provisioning/datasources/*.yml"):
    for ds in yaml.safe_load(open(f))["datasources"]:
        uids[ds["uid"]] = ds["type"]
exprs = []
dashboards = sorted(glob.glob("deploy/grafana/dashboards/*.json"))
if not dashboards:
    problems.append("no dashboard in deploy/grafana/dashboards")
seen_uids = set()
for f in dashboards:
    try:
        d = json.load(open(f))
    except ValueError as e:
        problems.append(f"{f}: not JSON: {e}")
        continue
    if not d.get("uid") or d["uid"] in seen_uids:
        problems.append(f"{f}: missing or repeated uid")
    seen_uids.add(d.get("uid"))
    ids = set()
    for p in d.get("panels", []):
        if p.get("id") in ids:
            problems.append(f"{f}: panel id {p.get('id')} repeated")
        ids.add(p.get("id"))
        for t in [p] + p.get("targets", []):
            ds = t.get("datasource")
            if isinstance(ds, dict) and ds.get("uid") not in uids:
                problems.append(f"{f}: panel '{p.get('title')}' uses datasource uid {ds.get('uid')}, not provisioned")
            elif isinstance(ds, dict) and uids[ds["uid"]] != ds.get("type"):
                problems.append(f"{f}: panel '{p.get('title')}': datasource {ds['uid']} is {uids[ds['uid']]}, not {ds.get('type')}")
        for t in p.get("targets", []):
            if "expr" in t:
                exprs.append(t["expr"])
    print(f"{f}: {len(d.get('panels', []))} panels, {len(exprs)} PromQL expressions so far")
# Every PromQL expression goes through promtool's parser as a recording rule.
rules = {"groups": [{"name": "dashboards", "rules": [
    {"record": f"dashboard:expr_{i}", "expr": e} for i, e in enumerate(exprs)]}]}
yaml.safe_dump(rules, open(sys.argv[1], "w"))
for p in problems:
    print("grafana:", p)
sys.exit(1 if problems else 0)
EOF
promtool check rules "$work/dashboard-exprs.yml"

echo "== Dockerfile: every file it copies from deploy/ is let into the build context"
# .dockerignore leaves out deploy/ and lets back in only the files named with '!'
for f in $(sed -n 's|^COPY \(deploy/[^ ]*\) .*|\1|p' Dockerfile); do
  grep -qx "!$f" .dockerignore || { echo "dockerignore: $f is copied by the Dockerfile but ignored"; exit 1; }
done

echo "== scripts: bash -n"
# one file each: bash -n reads its first argument as the script, the rest as its arguments
for f in deploy/healthcheck.sh deploy/run.sh deploy/postgres/initdb/*.sh; do
  bash -n "$f"
done

echo "== deploy/config.yaml as the collector, sink and exporter load it"
jar=cli/target/mpipe-cli.jar
if [ -f "$jar" ] && [ -d cli/target/lib ]; then
  java -cp "$jar:cli/target/lib/*" deploy/CheckConfig.java deploy/config.yaml
else
  echo "skipped: $jar is not built (mvn -B -DskipTests package -pl cli -am)"
fi
echo "check: ok"
