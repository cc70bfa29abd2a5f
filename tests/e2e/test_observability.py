"""The monitoring kit in contrib/ (issue 8, item 6): the Prometheus rules
pass `promtool check rules` and their unit tests; a real Prometheus
(Debian's package) scrapes a running warmd with a rescue campaign, reports
the target up and gives the series back, and evaluates the rules without
an error; every metric the Grafana dashboard and the rules name is in that
scrape."""

import json
import os
import re
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest

import harness
from jobslib import JobsEnv
from scenlib import ScenEnv, moscow_today, now_s

PROMDIR = os.path.join(harness.srcdir(), "contrib", "prometheus")
RULES = os.path.join(PROMDIR, "warmd-rules.yml")
RULES_TEST = os.path.join(PROMDIR, "warmd-rules.test.yml")
EXAMPLE = os.path.join(PROMDIR, "prometheus.yml.example")
DASHBOARD = os.path.join(harness.srcdir(), "contrib", "grafana", "warmd.json")

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
NO_PROMTOOL = "promtool not installed (Debian package prometheus; CI installs it)"
NO_PROMETHEUS = "prometheus not installed (Debian package prometheus; CI installs it)"

NAME = "obs.rescue"
SUBJ = "Скидка 20% на всё"
INBOX, SPAM = 0, 950
WARMD_NAME = re.compile(r"\bwarmd_[a-zA-Z0-9_]+\b")
RECORDED = re.compile(r"\bwarmd:[a-zA-Z0-9_:]+")


@pytest.fixture(autouse=True)
def stop_daemons():
    yield
    while JobsEnv.live:
        JobsEnv.live.pop().stop_all()


def run(argv, cwd=None):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)


def rule_exprs():
    """{rule name: expr} of warmd-rules.yml, read without a YAML library:
    the file keeps each rule's `- record:`/`- alert:` line before its
    `expr:`, which is one line or a `|` block."""
    out, name, lines = {}, None, open(RULES).read().splitlines()
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        m = re.match(r"- (record|alert): (\S+)$", s)
        if m:
            name = m.group(2)
        elif s.startswith("expr:"):
            body = s[len("expr:"):].strip()
            if body == "|":
                ind = len(lines[i + 1]) - len(lines[i + 1].lstrip())
                block = []
                while i + 1 < len(lines) and (not lines[i + 1].strip() or
                                              len(lines[i + 1]) - len(lines[i + 1].lstrip()) >= ind):
                    i += 1
                    block.append(lines[i].strip())
                body = " ".join(block)
            assert name and name not in out, (name, body)
            out[name] = body
        i += 1
    return out


def dashboard_exprs():
    """Every PromQL of the dashboard: panel targets and variable queries."""
    d = json.load(open(DASHBOARD))
    out = []

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))
    for p in panels(d["panels"]):
        for t in p.get("targets", []):
            out.append(("panel %r" % p["title"], t["expr"]))
    for v in d["templating"]["list"]:
        if v["type"] == "query":
            out.append(("variable %s" % v["name"], v["query"]["query"]))
    return out


def test_rules_check_and_unit_tests(tmp_path):
    if PROMTOOL is None:
        pytest.skip(NO_PROMTOOL)
    r = run([PROMTOOL, "check", "rules", RULES])
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    r = run([PROMTOOL, "test", "rules", RULES_TEST], cwd=PROMDIR)
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr
    # the example configuration, pointed at the rules of the tree
    conf = tmp_path / "prometheus.yml"
    conf.write_text(open(EXAMPLE).read().replace("/etc/prometheus/warmd-rules.yml", RULES))
    r = run([PROMTOOL, "check", "config", str(conf)])
    assert r.returncode == 0, r.stdout + r.stderr
    # what each alert covers is there
    names = set(rule_exprs())
    for a in ("WarmdDown", "WarmdAbsent", "WarmdPostgresDown", "WarmdRedisDown",
              "WarmdConfigReloadFailed", "WarmdQueueLag", "WarmdQueueStalled",
              "WarmdJobsFailing", "WarmdJobsRetrying", "WarmdLeasesLost",
              "WarmdAccountsFailingRising", "WarmdCampaignInboxRatioLow",
              "WarmdFiguresStale", "WarmdPlannerErrors"):
        assert a in names, a


def test_dashboard_is_wellformed():
    d = json.load(open(DASHBOARD))
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)), ids
    ds = [v for v in d["templating"]["list"] if v["type"] == "datasource"]
    assert ds and ds[0]["query"] == "prometheus", d["templating"]
    for p in d["panels"]:
        if p["type"] == "row":
            continue
        assert p["datasource"]["uid"] == "${%s}" % ds[0]["name"], p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] == "${%s}" % ds[0]["name"], p["title"]
            assert t["expr"].count("(") == t["expr"].count(")"), t["expr"]
    titles = " ".join(p["title"] for p in d["panels"]).lower()
    for w in ("sessions by state", "queue depth", "outcomes", "finished", "accounts by status",
              "placement", "inbox ratio", "planner", "postgresql", "redis", "config generation"):
        assert w in titles, w
    # every name the exprs use is recorded or exported (checked against a
    # scrape below); recording rules used in exprs are defined
    rules = rule_exprs()
    for where, e in list(rules.items()) + dashboard_exprs():
        for n in RECORDED.findall(e):
            assert n in rules, (where, n)
        assert WARMD_NAME.findall(e) or RECORDED.findall(e) or "up{" in e, (where, e)


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def exported(text):
    """Metric names in a Prometheus text exposition."""
    out = set()
    for l in text.splitlines():
        if l.startswith("# TYPE "):
            out.add(l.split()[2])
        elif l and not l.startswith("#"):
            out.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", l).group(0))
    return out


class Prometheus:
    """A prometheus server of the test's own: temp config and TSDB, loopback."""

    def __init__(self, tmp, target):
        self.dir = tmp / "prometheus"
        self.dir.mkdir()
        self.port = harness.free_port()
        conf = self.dir / "prometheus.yml"
        conf.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "  evaluation_interval: 1s\n"
            "rule_files:\n  - %s\n"
            "scrape_configs:\n  - job_name: warmd\n    static_configs:\n"
            "      - targets: ['%s']\n" % (json.dumps(RULES), target))
        self.daemon = harness.Daemon(
            [PROMETHEUS, "--config.file=%s" % conf,
             "--storage.tsdb.path=%s" % (self.dir / "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            str(self.dir / "prometheus.log"))

    def start(self):
        self.daemon.start()
        harness.wait_for(lambda: self.ready(), timeout=30, interval=0.2,
                         what="prometheus ready")
        return self

    def ready(self):
        assert self.daemon.proc.poll() is None, self.daemon.log_text()[-3000:]
        try:
            return get("http://127.0.0.1:%d/-/ready" % self.port, timeout=1) != ""
        except OSError:
            return False

    def api(self, path, **q):
        url = "http://127.0.0.1:%d/api/v1/%s" % (self.port, path)
        if q:
            url += "?" + urllib.parse.urlencode(q)
        r = json.loads(get(url))
        assert r["status"] == "success", r
        return r["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def stop(self):
        return self.daemon.stop()


def wait(pred, what, state, timeout=60):
    """harness.wait_for, failing with state(): what Prometheus or warmd
    said then."""
    try:
        return harness.wait_for(pred, timeout=timeout, interval=0.5, what=what)
    except TimeoutError:
        raise AssertionError("timed out waiting for %s: %s" % (what, state()))


@pytest.fixture
def prometheus_factory(tmp_path):
    started = []

    def make(target):
        p = Prometheus(tmp_path, target)
        started.append(p)
        return p.start()
    yield make
    for p in started:
        p.stop()


def test_prometheus_scrapes_warmd(pg, redis, mailsim_factory, prometheus_factory, tmp_path):
    if PROMETHEUS is None:
        pytest.skip(NO_PROMETHEUS)
    ms = mailsim_factory(generate=12, seed=11)
    port = harness.free_port()
    e = ScenEnv(pg, redis, ms, tmp_path, campaigns={NAME: {
        "kind": "rescue", "subject": "скидка 20%", "date": moscow_today(),
        "holdout": "50%", "seed": "7"}},
        conf={"admin": {"listen": "127.0.0.1:%d" % port},
              "warmd": {"max_sessions": "2"},
              "session": {"pace_min": "100ms", "pace_max": "100ms"}})
    when = now_s() - 60
    for i, a in enumerate(e.accounts):
        e.inject(a["email"], SUBJ, folder=SPAM if i % 2 else INBOX, date=when)
    d = e.warmd()
    d.wait_log("admin HTTP on", timeout=20)
    prom = prometheus_factory("127.0.0.1:%d" % port)

    # (b) the target is up, without a scrape error
    def target_up():
        ts = prom.api("targets")["activeTargets"]
        return (len(ts) == 1 and ts[0]["health"] == "up" and not ts[0]["lastError"]
                and ts[0]["labels"]["job"] == "warmd" and ts[0])
    wait(target_up, "prometheus target up", lambda: (prom.api("targets"),
                                                    prom.daemon.log_text()[-3000:]))

    # the campaign runs to its end; the scrape then has every family
    jobs = e.wait_campaign(NAME, expect=len(e.accounts))
    assert all(j["status"] == "done" for j in jobs), jobs
    want = set()
    for _, ex in list(rule_exprs().items()) + dashboard_exprs():
        want |= set(WARMD_NAME.findall(ex))
    assert len(want) > 20, want

    def scrape_has_all():
        names = exported(get("http://127.0.0.1:%d/metrics" % port))
        return want <= names and names
    try:
        names = harness.wait_for(scrape_has_all, timeout=60, interval=0.5,
                                 what="every family in the scrape")
    except TimeoutError:
        names = exported(get("http://127.0.0.1:%d/metrics" % port))
    # (c) every name the dashboard and the rules use is exported
    assert not want - names, sorted(want - names)

    # (b) the series come back through PromQL, as warmd serves them
    def queried():      # the groups with a ratio (holdout is drawn: maybe none)
        raw = get("http://127.0.0.1:%d/metrics" % port)
        want = set(re.findall(r'^warmd_campaign_inbox_ratio\{campaign="%s",group="(\w+)"\}'
                              % re.escape(NAME), raw, re.M))
        r = prom.query('warmd_campaign_inbox_ratio{job="warmd", campaign="%s"}' % NAME)
        return "warmed" in want and {s["metric"]["group"] for s in r} == want and r
    wait(queried, "inbox ratio in prometheus", lambda: (
        prom.query("warmd_campaign_inbox_ratio"), prom.api("targets"),
        [l for l in get("http://127.0.0.1:%d/metrics" % port).splitlines()
         if l.startswith("warmd_campaign")]))
    r = prom.query('warmd_jobs_claims_total{job="warmd"}')
    assert len(r) == 1 and float(r[0]["value"][1]) > 0, r
    # every rescue is placed once the figures after the last one are scraped
    q = 'warmd_campaign_placement{campaign="%s"}' % NAME
    r = wait(lambda: (lambda r: len(r) == 6 and sum(float(s["value"][1]) for s in r) ==
                      len(e.accounts) and r)(prom.query(q)),
             "placement in prometheus", lambda: prom.query(q))
    assert {(s["metric"]["group"], s["metric"]["placement"]) for s in r} == {
        (g, p) for g in ("warmed", "holdout") for p in ("inbox", "spam", "none")}, r
    assert {m["metric"]["status"] for m in prom.query("warmd_accounts")} == \
        {"active", "error", "suspended"}
    r = prom.query('warmd_accounts{status="active"}')
    assert float(r[0]["value"][1]) == len(e.accounts), r
    r = prom.query('up{job="warmd"}')
    assert len(r) == 1 and r[0]["value"][1] == "1", r

    # the rules load into the real server and evaluate without an error;
    # with everything healthy no alert fires
    def evaluated():
        groups = prom.api("rules")["groups"]
        rules = [x for g in groups for x in g["rules"]]
        return (len(rules) == len(rule_exprs()) and
                all(x["health"] == "ok" for x in rules) and rules)
    wait(evaluated, "rules evaluated", lambda: [
        (x["name"], x["health"], x.get("lastError"))
        for g in prom.api("rules")["groups"] for x in g["rules"] if x["health"] != "ok"])
    r = wait(lambda: prom.query('warmd:accounts:max{status="active"}'), "a recorded series",
             lambda: prom.api("rules"))
    assert len(r) == 1 and float(r[0]["value"][1]) == len(e.accounts), r
    firing = [a for a in prom.api("alerts")["alerts"] if a["state"] == "firing"]
    assert not firing, firing
    d.stop()
