"""Inspection port, per-connection account tracking, fault injection, pages
and the command line."""
import http.client
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.parse

import pytest

from conftest import Client, Mobile, start_mailsim, stop_mailsim, mailsim_binary


def test_health_counters_accounts(ms):
    Client(ms).get("ip.mailsim.test", "/")
    h = ms.get("/health")
    assert h["ok"] is True and h["accounts"] >= 40
    c = ms.get("/counters")
    assert c["http_requests"] > 0 and "spam_reports" in c
    a = ms.get("/accounts?limit=3")
    assert a["total"] == h["accounts"] and len(a["accounts"]) == 3
    acc = ms.get("/account?email=alice@mail.ru")
    assert acc["proxy"] == "http://127.0.0.1:3128" and acc["answer"] == "синий"
    assert acc["user_agent"] == "Mozilla/5.0" and acc["question"] == "Любимый цвет?"
    assert ms.inspect("/account?email=nobody@x")[0] == 404


def test_control_outcome_at_runtime(ms):
    ms.control("/control/account", {"email": "dave@mail.ru", "outcome": "banned"})
    r = Client(ms).web_login("dave@mail.ru", "davepw12", expect_success=False)
    assert "errno=25" in r.location
    ms.control("/control/account", {"email": "dave@mail.ru", "outcome": "success"})
    st, d = ms.inspect("/control/account", {"email": "dave@mail.ru", "outcome": "weird"})
    assert st == 400


def _conn(ms, host):
    ctx = ssl.create_default_context(cafile=ms.cafile)
    return http.client.HTTPSConnection(host, ms.https, context=ctx, timeout=10)


def _call(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    return json.loads(r.read())


def test_connections_record_accounts(ms):
    m1, m2 = Mobile(ms), Mobile(ms)
    m1.login("conn1@mail.ru", "pw123456")
    m2.login("conn2@mail.ru", "pw123456")
    a, b = _conn(ms, "aj-https.mail.ru"), _conn(ms, "aj-https.mail.ru")
    for _ in range(3):
        assert _call(a, "/api/v1/folders?access_token=" + m1.access)["status"] == 200
        assert _call(b, "/api/v1/folders?access_token=" + m2.access)["status"] == 200
    pa = "127.0.0.1:%d" % a.sock.getsockname()[1]
    pb = "127.0.0.1:%d" % b.sock.getsockname()[1]
    live = {c["peer"]: c for c in ms.get("/connections")["live"]}
    assert list(live[pa]["accounts"]) == ["conn1@mail.ru"] and live[pa]["requests"] == 3
    assert list(live[pb]["accounts"]) == ["conn2@mail.ru"]
    # a client that mixes accounts on one connection is visible
    _call(a, "/api/v1/folders?access_token=" + m2.access)
    live = {c["peer"]: c for c in ms.get("/connections")["live"]}
    assert sorted(live[pa]["accounts"]) == ["conn1@mail.ru", "conn2@mail.ru"]
    a.close()
    b.close()
    time.sleep(0.2)
    closed = [c for c in ms.get("/connections")["closed"] if c["peer"] == pa]
    assert closed and closed[-1]["closed"] is not None


def test_ipecho(ms, client):
    r = client.get("ip.mailsim.test", "/")
    assert r.status == 200 and r.body == b"127.0.0.1\n"
    j = client.get("ip.mailsim.test", "/json").json()
    assert j["ip"] == "127.0.0.1" and j["port"] > 0


def test_unknown_host(ms, client):
    assert client.get("ip.mailsim.test", "/").status == 200
    ctx = ssl.create_default_context(cafile=ms.cafile)
    c = http.client.HTTPSConnection("localhost", ms.https, context=ctx, timeout=5)
    c.request("GET", "/")
    assert c.getresponse().status == 404


def _faults(ms, rules):
    return ms.control("/faults", {"rules": rules})


@pytest.fixture
def faults(ms):
    yield lambda rules: _faults(ms, rules)
    _faults(ms, [])


def test_fault_latency_and_jitter(ms, client, faults):
    faults([{"host": "ip.mailsim.test", "path": "/", "latency_ms": 300, "jitter_ms": 100}])
    t = time.time()
    assert client.get("ip.mailsim.test", "/").status == 200
    assert 0.29 <= time.time() - t < 2
    # other hosts are untouched
    t = time.time()
    client.get("portal.mail.ru", "/NaviData")
    assert time.time() - t < 0.25


def test_fault_5xx_429(ms, client, faults):
    faults([{"host": "ip.mailsim.test", "path": "/", "p_5xx": 1.0}])
    assert client.get("ip.mailsim.test", "/").status == 503
    faults([{"host": "ip.mailsim.test", "path": "/", "p_429": 1.0}])
    assert client.get("ip.mailsim.test", "/").status == 429
    c = ms.get("/counters")
    assert c["fault_5xx"] >= 1 and c["fault_429"] >= 1


def test_fault_rate_is_partial(ms, client, faults):
    faults([{"host": "ip.mailsim.test", "path": "/", "p_5xx": 0.5}])
    codes = [client.get("ip.mailsim.test", "/").status for _ in range(40)]
    assert 5 < codes.count(503) < 35 and codes.count(200) > 5


def test_fault_reset(ms, client, faults):
    faults([{"host": "ip.mailsim.test", "path": "/", "p_reset": 1.0}])
    with pytest.raises(Exception):
        r = client.get("ip.mailsim.test", "/")
        assert r.status == 200 and r.body     # never reached with a reset
    faults([])
    assert client.get("ip.mailsim.test", "/").status == 200


def test_fault_truncated_and_bad_json(ms, client, faults):
    faults([{"host": "ip.mailsim.test", "path": "/json", "p_trunc": 1.0}])
    r = client.get("ip.mailsim.test", "/json")
    with pytest.raises(ValueError):
        json.loads(r.body)
    faults([{"host": "ip.mailsim.test", "path": "/json", "p_badjson": 1.0}])
    r = client.get("ip.mailsim.test", "/json")
    assert r.status == 200 and r.body.startswith(b'{"status":200,"body":{')
    with pytest.raises(ValueError):
        json.loads(r.body)


def test_fault_slow_body(ms, client, faults):
    faults([{"host": "portal.mail.ru", "path": "/NaviData", "p_slow": 1.0, "slow_ms": 40}])
    t = time.time()
    r = client.get("portal.mail.ru", "/NaviData?mac=1")
    assert r.json()["status"] == "noauth"
    assert time.time() - t >= 0.04


def test_fault_rules_all_or_nothing(ms, faults):
    faults([{"host": "*", "path": "/nothing", "latency_ms": 1}])
    st, d = ms.inspect("/faults", {"rules": [{"host": "*", "bogus": 1}]})
    assert st == 400
    assert ms.get("/faults")["rules"][0]["path"] == "/nothing"


def test_faults_file_and_cli(tmp_path, certs):
    f = tmp_path / "faults.conf"
    f.write_text("# host path key=value\nip.mailsim.test / p_5xx=1\n")
    proc, ready = start_mailsim(str(tmp_path), ["--generate", "3", "--faults", str(f)], certs)
    try:
        from conftest import Mailsim
        m = Mailsim(proc, ready, certs)
        assert Client(m).get("ip.mailsim.test", "/").status == 503
    finally:
        assert stop_mailsim(proc) == 0


def test_inject_reset(ms):
    st, d = ms.inspect("/control/inject", {"to": "nobody@mail.ru"})
    assert st == 404
    d = ms.control("/control/inject", {"to": "bob@bk.ru", "from": "a@spammy.test",
                                       "subject": "auto"})
    assert d["folder"] == 950
    ms.control("/control/reset", {})
    assert ms.get("/counters")["http_requests"] == 0 and ms.get("/clicks") == []


def test_pages(ms):
    c = Client(ms)
    r = c.get("account.mail.ru", "/login?page=" + urllib.parse.quote(ms.url("e.mail.ru", "/")))
    html = r.body.decode()
    assert r.status == 200 and 'action="https://auth.mail.ru/cgi-bin/auth"' in html
    assert c.cookie("act").value in html and "name=Password" in html
    c.web_login("pages@mail.ru", "pw123456")
    r = c.get("e.mail.ru", "/")
    assert r.status == 200 and b"messages/services/unspam" in r.body and b"fetch(" in r.body


def test_generate_is_deterministic(tmp_path, certs):
    pws = []
    for i in range(2):
        d = tmp_path / str(i)
        d.mkdir()
        proc, ready = start_mailsim(str(d), ["--generate", "10000", "--seed", "7"], certs)
        try:
            from conftest import Mailsim
            m = Mailsim(proc, ready, certs)
            assert ready["accounts"] == 10000
            a = m.get("/accounts?offset=9999&limit=1")["accounts"][0]
            assert a["email"] == "user10000@mail.ru"
            pws.append(m.get("/account?email=user00001@mail.ru")["password"])
            assert Mobile(m).login("user00001@mail.ru", pws[-1])["status"] == "ok"
        finally:
            assert stop_mailsim(proc) == 0
    assert pws[0] == pws[1]


def test_bad_accounts_file_reports_line(tmp_path, certs):
    f = tmp_path / "acc.txt"
    f.write_text("ok@mail.ru;pw;\nbroken line\n")
    p = subprocess.run([mailsim_binary(), "--cert", os.path.join(certs, "server.crt"),
                        "--key", os.path.join(certs, "server.key"), "--accounts", str(f)],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and "acc.txt:2" in p.stderr


def test_inspect_must_be_loopback(certs):
    p = subprocess.run([mailsim_binary(), "--cert", os.path.join(certs, "server.crt"),
                        "--key", os.path.join(certs, "server.key"), "--generate", "1",
                        "--inspect", "0.0.0.0:0"], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and "loopback" in p.stderr
