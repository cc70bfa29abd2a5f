"""warmctl preflight against a private dnsmasq: a well set up sending
domain, a bad one (no SPF, p=none DMARC, a missing and a revoked DKIM
selector, several SPF records), null MX, and an unreachable DNS server."""

import json
import subprocess

import pytest

import harness
import validlib

# A 2048-bit RSA key, served as two strings of one TXT record (joined).
KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzRGgvYhEBpbOENnZ1BFwYB4YWTuhCGE3v14uvVRTgwQZCT8sdtMA4fMfQGSEV2TJYV5YGkjZ8M79BYV/djEWJCQCvesSRtRHjSTK5PK/Xfc5TF759SeaH6NlPcOXPazxyT4bxJfILypzJsoexavUWCkRmENZZqgW73Bq9J0ykXRQOatZ11WjcJrNLm3GGLPpw/qQxjC2gCKpQUxCuIcGi+0xu0+P0QL4FiosIWOk5vphZUxjFXHCKqIp6oVnY2VHC6tDdL0xbLhmJkOU7X+/3bNpAxmvdKocJAXLUCDeVSp2r+9V8CRAkkw+wsdnkHIFTTZywrotpSa0QpRHRENmxQIDAQAB"


@pytest.fixture(scope="module")
def dns():
    d = validlib.Dnsmasq([
        "--mx-host=good.test,mx1.good.test,10",
        "--mx-host=good.test,mx2.good.test,20",
        "--host-record=mx1.good.test,127.0.0.1",
        "--host-record=mx2.good.test,127.0.0.1",
        "--txt-record=good.test,google-site-verification=abc",
        "--txt-record=good.test,v=spf1 ip4:192.0.2.0/24 mx -all",
        '--txt-record=s1._domainkey.good.test,"v=DKIM1; k=rsa; p=%s","%s"'
        % (KEY[:200], KEY[200:]),
        "--txt-record=_dmarc.good.test,v=DMARC1; p=reject; "
        "rua=mailto:dmarc@good.test",
        # bad: only an A record, no SPF, p=none without rua, s1 revoked
        "--host-record=bad.test,127.0.0.1",
        "--txt-record=s1._domainkey.bad.test,v=DKIM1; k=rsa; p=",
        "--txt-record=_dmarc.bad.test,v=DMARC1; p=none",
        # two SPF records, +all, null MX
        "--mx-host=multi.test,.,0",
        "--txt-record=multi.test,v=spf1 -all",
        "--txt-record=multi.test,v=spf1 +all",
    ]).start()
    try:
        yield d
    finally:
        d.destroy()


def preflight(server, *args):
    argv = [harness.program("src/warmctl"), "preflight", "--dns", server] + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def checks(r):
    out = json.loads(r.stdout)
    return out, {c["check"]: c for c in out["checks"]}


def test_good_domain(dns):
    r = preflight(dns.server, "--dkim", "s1", "--json", "good.test")
    assert r.returncode == 0, r.stdout + r.stderr
    out, c = checks(r)
    assert out["ok"] is True and out["domain"] == "good.test"
    assert [x["check"] for x in out["checks"]] == ["mx", "spf", "dkim s1", "dmarc"]
    assert all(x["verdict"] == "ok" for x in out["checks"]), out
    assert "mx1.good.test" in c["mx"]["reason"]
    assert c["dkim s1"]["name"] == "s1._domainkey.good.test"
    assert c["dmarc"]["name"] == "_dmarc.good.test"
    # the table says the same
    r = preflight(dns.server, "--dkim", "s1", "good.test")
    assert r.returncode == 0
    assert "preflight good.test" in r.stdout
    assert all(" ok " in line for line in r.stdout.splitlines()[1:])


def test_bad_domain(dns):
    r = preflight(dns.server, "--dkim", "s1,s2", "--json", "bad.test")
    assert r.returncode == 1, r.stdout + r.stderr
    out, c = checks(r)
    assert out["ok"] is False
    assert c["mx"]["verdict"] == "warn" and "A/AAAA" in c["mx"]["reason"]
    assert c["spf"]["verdict"] == "fail" and "no SPF" in c["spf"]["reason"]
    assert c["dkim s1"]["verdict"] == "fail" and "revoked" in c["dkim s1"]["reason"]
    assert c["dkim s2"]["verdict"] == "fail" and "no DKIM" in c["dkim s2"]["reason"]
    assert c["dmarc"]["verdict"] == "warn"
    assert "p=none" in c["dmarc"]["reason"] and "rua" in c["dmarc"]["reason"]


def test_multiple_spf_and_null_mx(dns):
    r = preflight(dns.server, "multi.test")
    assert r.returncode == 1
    lines = {l.split()[0]: l for l in r.stdout.splitlines()[1:]}
    assert "fail" in lines["mx"] and "null MX" in lines["mx"]
    assert "fail" in lines["spf"] and "multiple SPF records" in lines["spf"]
    assert "fail" in lines["dmarc"] and "no DMARC" in lines["dmarc"]


def test_unknown_domain(dns):
    r = preflight(dns.server, "--json", "nowhere.test")
    assert r.returncode == 1
    out, c = checks(r)
    assert c["mx"]["verdict"] == "fail" and "does not exist" in c["mx"]["reason"]


def test_unreachable_dns_server(dns):
    port = harness.free_port()
    r = preflight("127.0.0.1:%d" % port, "--json", "good.test")
    assert r.returncode == 1
    out, c = checks(r)
    assert all(x["verdict"] == "error" for x in out["checks"])
    msg = "DNS server 127.0.0.1:%d unreachable" % port
    assert msg in c["spf"]["reason"]
    assert "warmctl preflight: " + msg in r.stderr


def test_bad_usage(dns):
    prog = harness.program("src/warmctl")
    r = subprocess.run([prog, "preflight"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage: warmctl preflight" in r.stderr
    r = preflight("not a server", "good.test")
    assert r.returncode == 2 and "bad DNS server" in r.stderr
