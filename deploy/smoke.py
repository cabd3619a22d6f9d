#!/usr/bin/env python3
"""The docker-compose stack as plain processes on this machine, checked as a user would see it.

Run through deploy/smoke.sh, which installs what it needs. It reads docker-compose.yml as
docker-compose renders it (interpolated from an env file made from .env.example), and starts each
mpipe service with that service's own command and environment and deploy/config.yaml (the file
compose mounts), against a real Kafka broker and PostgreSQL (the embedded ones), with the compose
host names mapped to local ports; Debian's prometheus with deploy/prometheus/prometheus.yml and
alerts.yml (targets rewritten to the local ports, nothing else changed); Debian's
prometheus-alertmanager with deploy/alertmanager/alertmanager.yml. Then it checks, a line each:
every Prometheus target is up; every PromQL expression of the Grafana dashboard returns a series
(events the panels need are made for them); every SQL query of its PostgreSQL panels returns rows
as grafana_reader; and stopping the sink fires the sink-down alert, which Alertmanager delivers to a
webhook this script runs, and starting it again resolves it. Every difference it needed between the
compose file and the processes is printed, so drift shows. Exit code 0 only when every check holds.
"""

import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIRROR = os.path.join(ROOT, "testdata", "hedera-mirror")
START = time.time()
processes = []
differences = []
failures = []


def say(line):
    print(f"[smoke {time.time() - START:6.1f}s] {line}", flush=True)


def check(name, ok, detail=""):
    say(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
    if not ok:
        failures.append(name)


def differ(what):
    differences.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_pair():
    while True:
        p = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", p + 1))
            return p
        except OSError:
            continue


def get(url, timeout=10, auth=None):
    req = urllib.request.Request(url)
    if auth:
        import base64
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode()


def wait(what, predicate, seconds, every=2.0):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - anything that is not yet ready
            last = e
        time.sleep(every)
    raise TimeoutError(f"{what}: not within {seconds} s (last: {last})")


def start(name, cmd, env, log_dir, cwd=ROOT):
    log = open(os.path.join(log_dir, name + ".log"), "wb")
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    processes.append((name, p))
    return p


def stop(name):
    for n, p in processes:
        if n == name and p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def stop_all():
    for name, p in reversed(processes):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for name, p in reversed(processes):
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


class Mirror(http.server.BaseHTTPRequestHandler):
    """A Hedera mirror node stub serving the repository's recorded responses."""

    transactions_served = False
    files = {
        "/api/v1/network/supply": "response_network_supply_no-params.json",
        "/api/v1/network/exchangerate": "example_network_exchangerate.json",
        "/api/v1/network/nodes": "response_network_nodes_no-params.json",
        "/api/v1/network/stake": "example_network_stake.json",
        "/api/v1/network/fees": "response_network_fees_no-params.json",
    }

    def do_GET(self):  # noqa: N802 - the stdlib's name
        url = urllib.parse.urlparse(self.path)
        q = url.query
        body = None
        if url.path in self.files:
            body = open(os.path.join(MIRROR, self.files[url.path]), "rb").read()
        elif url.path == "/api/v1/blocks":
            body = b'{"blocks":[],"links":{"next":null}}' if "block.number=lt" in q else open(
                os.path.join(MIRROR, "response_blocks_limit2_paginated.json"), "rb").read()
        elif url.path.startswith("/api/v1/accounts/"):
            body = open(os.path.join(MIRROR, "response_accounts_id_no-params.json"), "rb").read()
        elif url.path == "/api/v1/transactions":
            # the recorded page once, stamped a second from now (the account source counts what is
            # newer than its first poll), with no next page; nothing newer after it
            if Mirror.transactions_served or "timestamp=lt:" in q:
                body = b'{"transactions":[],"links":{"next":null}}'
            else:
                Mirror.transactions_served = True
                page = json.load(open(os.path.join(MIRROR, "response_transactions_limit2_paginated.json")))
                now = time.time()
                for i, t in enumerate(page["transactions"]):
                    t["consensus_timestamp"] = f"{now + 1 + i * 0.001:.9f}"
                page["links"]["next"] = None
                body = json.dumps(page).encode()
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Webhook(http.server.BaseHTTPRequestHandler):
    """Alertmanager's webhook receiver: keeps every notification."""

    received = []

    def do_POST(self):  # noqa: N802
        n = int(self.headers.get("Content-Length", "0"))
        Webhook.received.append(json.loads(self.rfile.read(n)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def serve(handler):
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return s


def env_file(work, webhook_url):
    """.env.example with every placeholder password replaced (the services refuse them)."""
    out = []
    for line in open(os.path.join(ROOT, ".env.example")):
        m = re.match(r"^([A-Z0-9_]+)=(.*)$", line.strip())
        if m and m.group(2).startswith("change-me"):
            line = f"{m.group(1)}=smoke-{m.group(1).lower()}-{secrets.token_hex(12)}\n"
        out.append(line)
    out.append(f"ALERT_WEBHOOK_URL={webhook_url}\n")
    # the Hedera panels need the Hedera sources: on, against the stub's network and account
    out.append("HEDERA_ENABLED=true\nHEDERA_NETWORK=testnet\nHEDERA_ACCOUNT_ID=0.0.8\n")
    path = os.path.join(work, ".env")
    with open(path, "w") as f:
        f.writelines(out)
    differ(".env: .env.example's placeholder passwords replaced by random ones (the services refuse them);"
           " HEDERA_ENABLED=true, HEDERA_NETWORK=testnet, HEDERA_ACCOUNT_ID=0.0.8 (the account of the stub's"
           " recorded responses), ALERT_WEBHOOK_URL this script's receiver")
    return path


def rendered(env_path):
    """docker-compose.yml as compose renders it: anchors merged, variables interpolated."""
    compose = shutil.which("docker-compose")
    cmd = [compose] if compose else ["docker", "compose"]
    text = subprocess.run(cmd + ["--env-file", env_path, "-f", os.path.join(ROOT, "docker-compose.yml"), "config"],
                          check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return yaml.safe_load(text)["services"]


def service_env(svc, name, ports, work):
    """A service's environment from the compose file, with the compose host names mapped to local ports."""
    env = {k: str(v) for k, v in (svc.get("environment") or {}).items()}
    mapped = {}
    for k, v in list(env.items()):
        w = v.replace("kafka:9092", f"127.0.0.1:{ports['kafka']}")
        w = w.replace("jdbc:postgresql://postgres:5432/", f"jdbc:postgresql://127.0.0.1:{ports['postgres']}/")
        if k.endswith("_HTTP_HOST") and v == "0.0.0.0":
            w = "127.0.0.1"
        if w != v:
            mapped[k] = (v, w)
            env[k] = w
    for k, (v, w) in mapped.items():
        differ(f"{name}: {k} {v} -> {w}")
    base = {k: os.environ[k] for k in ("PATH", "HOME", "JAVA_HOME", "LANG") if k in os.environ}
    base.update(env)
    base["MPIPE_HOME"] = os.path.join(ROOT, "cli", "target")
    base["MPIPE_SECRETS_DIR"] = os.path.join(work, "secrets", name)
    base["PIPELINE_EXPORTER_STATE_DIR"] = os.path.join(work, "exporter-state")
    differ("every service: MPIPE_HOME=cli/target (the image's /app), MPIPE_SECRETS_DIR and the exporter's"
           " state directory under this run's work directory (the container's /tmp)")
    return base


def command(svc, name):
    cmd = list(svc["command"])
    out = []
    for a in cmd:
        if a == "/etc/mpipe/config.yaml":
            a = os.path.join(ROOT, "deploy", "config.yaml")
        out.append(a)
    if out != cmd:
        differ(f"{name}: --config /etc/mpipe/config.yaml -> deploy/config.yaml (the file compose mounts there)")
    return [os.path.join(ROOT, "deploy", "run.sh")] + out


def prometheus_config(work, ports, password):
    cfg = yaml.safe_load(open(os.path.join(ROOT, "deploy", "prometheus", "prometheus.yml")))
    local = {"collector:9401": f"127.0.0.1:{ports['collector']}", "localhost:9090": f"127.0.0.1:{ports['prometheus']}"}
    for job in cfg["scrape_configs"]:
        for sc in job.get("static_configs", []):
            sc["targets"] = [local.get(t, t) for t in sc["targets"]]
        if "dns_sd_configs" in job:
            names = job.pop("dns_sd_configs")
            job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[n['names'][0]]}" for n in names]}]
            differ(f"prometheus: job {job['job_name']}: DNS discovery of the compose replicas -> the one local"
                   f" process, 127.0.0.1:{ports[names[0]['names'][0]]}")
        auth = job.get("basic_auth")
        if auth and auth.get("password_file") == "/prometheus/http_password":
            auth["password_file"] = os.path.join(work, "http_password")
    for section, service in (("remote_write", "collector"), ("remote_read", "exporter")):
        for entry in cfg.get(section, []):
            entry["url"] = re.sub(r"^http://" + service + r":\d+", f"http://127.0.0.1:{ports[service]}", entry["url"])
            auth = entry.get("basic_auth")
            if auth and auth.get("password_file") == "/prometheus/http_password":
                auth["password_file"] = os.path.join(work, "http_password")
    differ("prometheus: targets collector:9401, localhost:9090 and alertmanager:9093, the remote_write URL"
           " (collector) and the remote_read URL (exporter) -> local ports; basic_auth password_file"
           " /prometheus/http_password -> a file written as the container writes it")
    for am in cfg.get("alerting", {}).get("alertmanagers", []):
        for sc in am.get("static_configs", []):
            sc["targets"] = [f"127.0.0.1:{ports['alertmanager']}" if t == "alertmanager:9093" else t
                             for t in sc["targets"]]
    with open(os.path.join(work, "http_password"), "w") as f:
        f.write(password)
    os.chmod(os.path.join(work, "http_password"), 0o600)
    shutil.copy(os.path.join(ROOT, "deploy", "prometheus", "alerts.yml"), os.path.join(work, "alerts.yml"))
    path = os.path.join(work, "prometheus.yml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    return path


def alertmanager_config(work, webhook_url):
    """deploy/alertmanager/alertmanager.yml with the webhook URL written in, as the compose entrypoint does."""
    text = open(os.path.join(ROOT, "deploy", "alertmanager", "alertmanager.yml")).read()
    path = os.path.join(work, "alertmanager.yml")
    with open(path, "w") as f:
        f.write(text.replace("http://alert-webhook.invalid/ALERT_WEBHOOK_URL", webhook_url))
    return path


def dashboard():
    d = json.load(open(os.path.join(ROOT, "deploy", "grafana", "dashboards", "pipeline.json")))
    exprs, sqls = [], []

    def walk(n, title=None):
        if isinstance(n, dict):
            t = n.get("title", title)
            if "rawSql" in n:
                sqls.append((t, n["rawSql"]))
            elif isinstance(n.get("expr"), str):
                exprs.append((t, n["expr"]))
            for v in n.values():
                walk(v, t)
        elif isinstance(n, list):
            for v in n:
                walk(v, title)
    walk(d)
    return exprs, sqls


def grafana_sql(sql):
    """Grafana's PostgreSQL macros as Grafana expands them over the last 6 hours at a 1 m interval."""
    sql = re.sub(r"\$__timeGroupAlias\((\w+),\s*\$__interval\)",
                 r"""to_timestamp(floor(extract(epoch from \1)/60)*60) AS "time\"""", sql)
    sql = re.sub(r"\$__timeFilter\((\w+)\)", r"\1 BETWEEN now() - interval '6 hours' AND now()", sql)
    return sql


def main():
    work = tempfile.mkdtemp(prefix="mpipe-smoke-")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    say(f"work and logs in {work}")
    mirror = serve(Mirror)
    hook = serve(Webhook)
    webhook_url = f"http://127.0.0.1:{hook.server_address[1]}/alerts"
    env_path = env_file(work, webhook_url)
    services = rendered(env_path)
    dotenv = dict(re.findall(r"^([A-Z0-9_]+)=(.*)$", open(env_path).read(), re.M))
    ports = {"kafka": free_pair(), "postgres": free_port(), "prometheus": free_port(), "alertmanager": free_port(),
             "collector": 9401, "sink": 9402, "exporter": 9400}
    differ(f"kafka: the embedded broker (KRaft, PLAINTEXT) on 127.0.0.1:{ports['kafka']} for kafka:9092; its"
           " SASL_PLAINTEXT listener for the host, and so the kafka-users service, are not run")
    differ(f"postgres: the embedded PostgreSQL on 127.0.0.1:{ports['postgres']} for postgres:5432; the image's"
           " entrypoint is done by hand: POSTGRES_USER made a superuser owning POSTGRES_DB, then"
           " deploy/postgres/initdb/* run with the service's environment")
    differ("collector: PIPELINE_COLLECTOR_HEDERA_BASE_URL -> a local mirror-node stub serving testdata/hedera-mirror")
    differ("grafana: not run (no Docker); its dashboard's PromQL runs on Prometheus and its SQL as grafana_reader")

    jar = os.path.join(ROOT, "cli", "target", "mpipe-cli.jar")
    if not os.path.exists(jar):
        say("building the CLI (mvn package -pl cli -am)")
        subprocess.run(["mvn", "-B", "-q", "-DskipTests", "-Dmaven.test.skip=true", "package", "-pl", "cli", "-am"],
                       check=True, cwd=ROOT)
    cp = jar + ":" + os.path.join(ROOT, "cli", "target", "lib", "*")
    servers = start("servers", ["java", "-cp", cp, "io.mpipe.embedded.Servers", str(ports["kafka"]),
                                str(ports["postgres"]), os.path.join(work, "servers")], dict(os.environ), logs)
    def servers_ready():
        if servers.poll() is not None:
            raise SystemExit(f"the broker and the database did not start; see {logs}/servers.log")
        return "servers: ready" in open(os.path.join(logs, "servers.log")).read()
    wait("Kafka and PostgreSQL", servers_ready, 120)
    say("Kafka and PostgreSQL up")

    pg = services["postgres"]["environment"]
    psql = ["psql", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(ports["postgres"]), "-U", "postgres",
            "-d", "postgres", "-q", "-c"]
    subprocess.run(psql + [f"CREATE ROLE {pg['POSTGRES_USER']} SUPERUSER LOGIN PASSWORD '{pg['POSTGRES_PASSWORD']}'"],
                   check=True)
    subprocess.run(psql + [f"CREATE DATABASE {pg['POSTGRES_DB']} OWNER {pg['POSTGRES_USER']}"], check=True)
    init_env = dict(os.environ)
    init_env.update({k: str(v) for k, v in pg.items()})
    init_env.update({"PGHOST": "127.0.0.1", "PGPORT": str(ports["postgres"]), "PGPASSWORD": pg["POSTGRES_PASSWORD"]})
    initdb = os.path.join(ROOT, "deploy", "postgres", "initdb")
    for script in sorted(os.listdir(initdb)):
        subprocess.run(["bash", os.path.join(initdb, script)], env=init_env, check=True)
    say("PostgreSQL initialised as the postgres image would")

    migrate = start("migrate", command(services["migrate"], "migrate"),
                    service_env(services["migrate"], "migrate", ports, work), logs)
    check("migrate: the schema owner migrates", migrate.wait(120) == 0, f"exit {migrate.returncode}")
    for name in ("collector", "sink", "exporter"):
        env = service_env(services[name], name, ports, work)
        if name == "collector":
            env["PIPELINE_COLLECTOR_HEDERA_BASE_URL"] = f"http://127.0.0.1:{mirror.server_address[1]}"
        start(name, command(services[name], name), env, logs)
    http_user, http_password = "prometheus", dotenv["MPIPE_HTTP_PASSWORD"]
    for name in ("collector", "sink", "exporter"):
        wait(f"{name} /health", lambda n=name: json.loads(get(f"http://127.0.0.1:{ports[n]}/health"))["status"] == "UP",
             120)
    say("collector, sink and exporter healthy")

    start("alertmanager", ["prometheus-alertmanager", "--config.file=" + alertmanager_config(work, webhook_url),
                           "--storage.path=" + os.path.join(work, "alertmanager"),
                           f"--web.listen-address=127.0.0.1:{ports['alertmanager']}", "--cluster.listen-address="],
          dict(os.environ), logs)
    differ("alertmanager: --cluster.listen-address= (no gossip port); config with ALERT_WEBHOOK_URL written in,"
           " as the container's entrypoint writes it")
    start("prometheus", ["prometheus", "--config.file=" + prometheus_config(work, ports, http_password),
                         "--storage.tsdb.path=" + os.path.join(work, "prometheus"),
                         f"--web.listen-address=127.0.0.1:{ports['prometheus']}"], dict(os.environ), logs)
    prom = f"http://127.0.0.1:{ports['prometheus']}"

    # events some panels need: a dead letter, a sample past retention, a query of the API
    kafka = f"127.0.0.1:{ports['kafka']}"
    old = int((time.time() - 30 * 86400) * 1000)
    records = (f"smoke_bad|not a metric at all\n"
               f'smoke_old|{{"name":"smoke_old","timestamp":{old},"value":1}}\n').encode()
    subprocess.run(["kcat", "-b", kafka, "-t", "metrics", "-P", "-K", "|"], input=records, check=True)
    wait("a query of the exporter's API", lambda: get(f"http://127.0.0.1:{ports['exporter']}/api/v1/metrics"
         "?name=synthetic_level_0", auth=f"{http_user}:{http_password}"), 60)

    def targets():
        t = json.loads(get(prom + "/api/v1/targets"))["data"]["activeTargets"]
        return len(t) >= 4 and all(x["health"] == "up" for x in t) and t
    try:
        up = wait("every target up", targets, 120)
        check("prometheus: every target up", True, ", ".join(sorted(f"{x['labels']['job']}" for x in up)))
    except TimeoutError as e:
        check("prometheus: every target up", False, str(e))

    exprs, sqls = dashboard()
    pending = dict(enumerate(exprs))
    deadline = time.time() + 240
    while pending and time.time() < deadline:
        for i, (title, expr) in list(pending.items()):
            try:
                r = json.loads(get(prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})))
                if r["data"]["result"]:
                    del pending[i]
            except Exception:  # noqa: BLE001 - asked again until the deadline
                pass
        if pending:
            time.sleep(5)
    check(f"grafana: all {len(exprs)} PromQL expressions of the dashboard return a series", not pending,
          "; ".join(f"{t}: {e}" for t, e in pending.values()))

    reader = ["psql", "-h", "127.0.0.1", "-p", str(ports["postgres"]), "-U", "grafana_reader", "-d", "metrics",
              "-At", "-v", "ON_ERROR_STOP=1", "-c"]
    reader_env = dict(os.environ, PGPASSWORD=dotenv["GRAFANA_DB_PASSWORD"])
    for title, sql in sqls:
        def rows(s=sql):
            out = subprocess.run(reader + [f"SELECT count(*) FROM ({grafana_sql(s)}) q"], env=reader_env,
                                 capture_output=True, text=True, check=True).stdout.strip()
            return int(out) > 0 and out
        try:
            n = wait(f"SQL of {title}", rows, 120, every=5)
            check(f"grafana: SQL panel '{title}' returns rows as grafana_reader", True, f"{n} rows")
        except (TimeoutError, subprocess.CalledProcessError) as e:
            check(f"grafana: SQL panel '{title}' returns rows as grafana_reader", False, str(e))

    # Prometheus's remote write reaches PostgreSQL: the up series of the jobs it writes
    owner = ["psql", "-h", "127.0.0.1", "-p", str(ports["postgres"]), "-U", "grafana_reader", "-d", "metrics",
             "-At", "-v", "ON_ERROR_STOP=1", "-c",
             "SELECT count(DISTINCT labels->>'job') FROM metrics WHERE name = 'up' AND ts > now() - interval '1 hour'"]

    def written():
        out = subprocess.run(owner, env=reader_env, capture_output=True, text=True, check=True).stdout.strip()
        return int(out) >= 3 and out
    try:
        n = wait("Prometheus's remote write in PostgreSQL", written, 120, every=5)
        check("prometheus: remote write stores its scrapes in PostgreSQL through the pipeline", True,
              f"up of {n} jobs")
    except (TimeoutError, subprocess.CalledProcessError) as e:
        check("prometheus: remote write stores its scrapes in PostgreSQL through the pipeline", False, str(e))

    rules = yaml.safe_load(open(os.path.join(ROOT, "deploy", "prometheus", "alerts.yml")))
    sink_alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"] if r.get("alert", "").startswith("Sink")
                   and ("sink_up" in r["expr"])}
    longest_for = max(int(re.match(r"(\d+)m", r.get("for", "0m")).group(1)) for r in sink_alerts.values()) * 60
    Webhook.received.clear()
    stopped = time.time()
    stop("sink")
    say("sink stopped (SIGTERM)")

    def delivered(status):
        for n in Webhook.received:
            for a in n.get("alerts", []):
                if a["labels"].get("alertname") in sink_alerts and a["status"] == status:
                    return a["labels"]["alertname"]
        return None
    try:
        name = wait("the sink-down alert delivered", lambda: delivered("firing"), longest_for + 60, every=2)
        check("alertmanager: stopping the sink fires the sink-down alert and delivers it to the webhook", True,
              f"{name} after {time.time() - stopped:.0f} s (the rule's for: {longest_for} s)")
    except TimeoutError as e:
        check("alertmanager: stopping the sink fires the sink-down alert and delivers it to the webhook", False, str(e))
    restarted = time.time()
    start("sink", command(services["sink"], "sink"), service_env(services["sink"], "sink", ports, work), logs)
    try:
        name = wait("the sink-down alert resolved", lambda: delivered("resolved"), 180, every=2)
        check("alertmanager: starting the sink again resolves it", True,
              f"{name} resolved {time.time() - restarted:.0f} s after the start")
    except TimeoutError as e:
        check("alertmanager: starting the sink again resolves it", False, str(e))

    print("\ndifferences between docker-compose.yml and these processes:")
    for d in dict.fromkeys(differences):
        print("  - " + d)
    print(f"\nsmoke: {'FAILED: ' + ', '.join(failures) if failures else 'every check holds'}"
          f" ({time.time() - START:.0f} s{'; logs in ' + logs if failures else ''})")
    if not failures:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    code = 1
    try:
        code = main()
    finally:
        stop_all()
    sys.exit(code)
