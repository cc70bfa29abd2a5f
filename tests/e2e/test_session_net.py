"""Network identity of sessions: every request of an account goes through its
own proxy (tinyproxy with BasicAuth for HTTP CONNECT, microsocks with a user
and password for SOCKS5), proxy credentials never show, a dead or refusing
proxy is a transient failure that leaves the account alone, and no TCP
connection ever carries two accounts."""

import harness
from sesslib import SessEnv

ACTIONS = [{"kind": "list_spam"}, {"kind": "not_spam", "select": "listed"},
           {"kind": "list_inbox"}]


def test_proxies(pg, redis, mailsim_factory, tinyproxy, microsocks, tmp_path):
    ms = mailsim_factory(generate=6, seed=11)
    accts = ms.accounts()
    dead = harness.free_port()
    px = {
        accts[0]["email"]: "http://proxyuser:proxypass@127.0.0.1:%d" % tinyproxy.port,
        accts[1]["email"]: "127.0.0.1:%d:proxyuser:proxypass" % tinyproxy.port,
        accts[2]["email"]: "socks5h://socksuser:sockspass@127.0.0.1:%d" % microsocks.port,
        accts[3]["email"]: "socks5://socksuser:sockspass@127.0.0.1:%d" % microsocks.port,
        accts[4]["email"]: "http://127.0.0.1:%d" % dead,
        accts[5]["email"]: "socks5h://socksuser:WRONGpass@127.0.0.1:%d" % microsocks.port,
    }
    e = SessEnv(pg, redis, ms, tmp_path, auth="mobile", accounts=accts, proxies=px)
    run = e.drive(ACTIONS)
    for a in accts[:4]:
        s = run.sessions[a["email"]]
        assert s["ok"], s
        assert s["ip"] == "127.0.0.1"
        assert "***" in s["proxy"] and "pass" not in s["proxy"], s["proxy"]
        assert all(x["status"] == "ok" for x in run.of(a["email"]))
        assert all(x["proxy"] == s["proxy"] for x in run.of(a["email"]))
    # tinyproxy tunnelled both of its accounts to mailsim
    log = open(tinyproxy.tp_log).read()
    assert log.count("CONNECT 127.0.0.1:%d" % ms.https_port) >= 2, log[-2000:]
    for a in accts[4:]:
        s = run.sessions[a["email"]]
        assert not s["ok"] and s["transient"] and s["account_status"] is None, s
        assert "proxy" in s["error"], s
        assert all(x["status"] == "transient" for x in run.of(a["email"]))
        assert e.account_row(a["email"])["status"] == "active"
        assert not ms.get("/logins", account=a["email"])
    # the exit IP was stored with the account
    assert e.account_row(accts[0]["email"])["exit_ip"] == "127.0.0.1"
    everything = run.proc.stdout + run.stderr
    for secret in ("proxypass", "sockspass", "WRONGpass") + tuple(a["password"] for a in accts):
        assert secret not in everything, secret


def test_one_account_per_connection(pg, redis, mailsim_factory, tinyproxy, tmp_path):
    """Twenty accounts, half direct and half behind one shared gateway with
    the same credentials: mailsim's per-connection view never shows two
    accounts' credentials on one TCP connection."""
    ms = mailsim_factory(generate=20, seed=5)
    accts = ms.accounts()
    gw = "http://proxyuser:proxypass@127.0.0.1:%d" % tinyproxy.port
    px = {a["email"]: gw for a in accts[10:]}
    e = SessEnv(pg, redis, ms, tmp_path, auth="web", accounts=accts, proxies=px,
                config_extra="per_proxy_limit = 10")
    run = e.drive(ACTIONS)
    assert run.summary["ok"] == 20, run.stderr[-3000:]
    conns = ms.connections()
    seen = conns["live"] + conns["closed"]
    with_accounts = [c for c in seen if c["accounts"]]
    assert len(with_accounts) >= 20
    mixed = [c for c in with_accounts if len(c["accounts"]) > 1]
    assert not mixed, mixed
    # and each account's requests really reused its own connections
    assert sum(c["requests"] for c in with_accounts) > len(with_accounts)


def test_per_proxy_cap(pg, redis, mailsim_factory, tinyproxy, tmp_path):
    """With per_proxy_limit = 2, at most two sessions use the gateway at
    once: mailsim never sees more than two live connections from it."""
    ms = mailsim_factory(generate=8, seed=5,
                         faults="ip.mailsim.test / latency_ms=300")
    accts = ms.accounts()
    gw = "http://proxyuser:proxypass@127.0.0.1:%d" % tinyproxy.port
    e = SessEnv(pg, redis, ms, tmp_path, auth="mobile", accounts=accts,
                proxies={a["email"]: gw for a in accts},
                config_extra="per_proxy_limit = 2")
    run = e.drive([{"kind": "login"}])
    assert run.summary["ok"] == 8
    # sessions of one proxy run two at a time: 4 waves of 300 ms echoes
    assert run.summary["wall_ms"] >= 4 * 300, run.summary
