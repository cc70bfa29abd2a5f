"""Circuit breakers per proxy and per provider host against real parts: a
tinyproxy killed under warmd (and started again on the same port), and
mailsim answering 503 to every API call for a while.  While a route is
open its accounts wait and their jobs keep their attempts; /status,
/metrics and a Telegram stand-in show it; when the route is back the
jobs run and the circuit closes."""

import json
import time

import pytest

import harness
from botlib import alerts_conf
from jobslib import JobsEnv
from promlib import get, parse, val

BREAKER = {"failures": "3", "cooldown": "2s", "max_cooldown": "4s", "probe_timeout": "10s"}


@pytest.fixture(autouse=True)
def stop_daemons():
    yield
    while JobsEnv.live:
        JobsEnv.live.pop().stop_all()


def circuits(port):
    try:
        return json.loads(get(port, "/status"))["circuits"]
    except OSError:             # not listening yet
        return {"routes": []}


def routes(port, kind):
    return [r for r in circuits(port)["routes"] if r["kind"] == kind]


def open_route(port, kind):
    r = [x for x in routes(port, kind) if x["state"] != "closed"]
    return r[0] if r else None


def test_proxy_circuit_opens_on_a_killed_proxy_and_closes_when_back(
        pg, redis, mailsim, tinyproxy_factory, tmp_path, bot):
    tp = tinyproxy_factory(user="proxyuser", password="proxypass")
    accts = mailsim.accounts()[:6]
    port = harness.free_port()
    conf = dict(alerts_conf(bot), admin={"listen": "127.0.0.1:%d" % port}, breaker=BREAKER)
    e = JobsEnv(pg, redis, mailsim, tmp_path, accounts=accts, conf=conf,
                proxies={a["email"]: tp.url(with_credentials=True) for a in accts})
    tp.stop()
    e.insert([{"email": a["email"], "task": "list_inbox", "max_attempts": 3} for a in accts])
    d = e.warmd()
    harness.wait_for(lambda: open_route(port, "proxy"), timeout=30, what="proxy circuit open")
    r = open_route(port, "proxy")
    shown = "http://proxyuser:***@127.0.0.1:%d" % tp.port
    assert r["name"] == shown, r                # the password redacted
    assert r["failures"] >= 3 and r["last_error"], r
    m = parse(get(port, "/metrics"))
    assert val(m, "warmd_circuit_opened_total", kind="proxy") == 1
    assert val(m, "warmd_circuit_open", kind="proxy", route=shown, state=r["state"]) == 1

    # Three cooldowns with failed probes: without the breaker every job
    # would have used its 3 attempts (retry_max is 1 s) and failed.
    time.sleep(7)
    jobs = e.jobs()
    assert all(j["status"] in ("new", "running") for j in jobs), jobs
    assert max(j["attempts"] for j in jobs) <= 1, jobs
    assert any("circuit open" in (j["error"] or "") for j in jobs), jobs
    r = open_route(port, "proxy")
    assert r and r["probes_failed"] >= 1, r
    for a in accts:
        assert e.account_row(a["email"])["status"] == "active"
    harness.wait_for(lambda: any("Proxy circuit opened" in t for t in bot.texts()),
                     timeout=15, what="alert")
    alert = [t for t in bot.texts() if "Proxy circuit opened" in t]
    assert len(alert) == 1 and shown in alert[0], bot.texts()

    # The proxy is back where the accounts expect it: the next probe
    # closes the circuit and every job runs.
    tp.start(port=tp.port)
    e.wait_final(len(accts), timeout=60)
    assert e.counts() == {"done": len(accts)}, e.counts()
    harness.wait_for(lambda: not routes(port, "proxy"), timeout=10, what="circuit closed")
    m = parse(get(port, "/metrics"))
    assert val(m, "warmd_circuits", kind="proxy", state="open") == 0
    assert val(m, "warmd_circuit_opened_total", kind="proxy") == 1
    st = json.loads(get(port, "/status"))
    assert st["jobs"]["outcomes"]["route_wait"] >= 3, st["jobs"]
    text = d.log_text() + "".join(bot.texts()) + json.dumps(st)
    assert "proxypass" not in text
    d.stop()
    assert d.proc.returncode == 0


def test_host_circuit_opens_on_5xx_and_closes_when_served(pg, redis, mailsim, tmp_path, bot):
    accts = mailsim.accounts()[:4]
    port = harness.free_port()
    conf = dict(alerts_conf(bot), admin={"listen": "127.0.0.1:%d" % port}, breaker=BREAKER)
    e = JobsEnv(pg, redis, mailsim, tmp_path, accounts=accts, conf=conf)
    # Log in first, so that only the mail API is refused afterwards.
    e.insert([{"email": a["email"], "task": "login"} for a in accts])
    d = e.warmd()
    e.wait_final(len(accts), timeout=60)
    assert e.counts() == {"done": len(accts)}, e.counts()
    # Every path of the mail API's host, logins included: a login that
    # worked in between would count as the host working.
    mailsim.post("/faults", {"rules": [{"host": "aj-https.mail.ru", "path": "/", "p_5xx": 1}]})
    e.insert([{"email": a["email"], "task": "list_spam", "max_attempts": 3} for a in accts])
    harness.wait_for(lambda: open_route(port, "host"), timeout=30, what="host circuit open")
    r = open_route(port, "host")
    assert r["name"] == "aj-https.mail.ru" and "HTTP 503" in r["last_error"], r
    time.sleep(6)
    new = e.jobs("j.task = 'list_spam'")
    assert all(j["status"] in ("new", "running") for j in new), new
    assert max(j["attempts"] for j in new) <= 1, new
    harness.wait_for(lambda: any("Provider host circuit opened" in t for t in bot.texts()),
                     timeout=15, what="alert")
    assert r["name"] in [t for t in bot.texts() if "Provider host" in t][0]
    mailsim.post("/faults", {"rules": []})
    e.wait_final(2 * len(accts), timeout=60)
    assert e.counts() == {"done": 2 * len(accts)}, e.counts()
    harness.wait_for(lambda: not routes(port, "host"), timeout=10, what="circuit closed")
    d.stop()
    assert d.proc.returncode == 0
