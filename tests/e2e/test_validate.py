"""warmctl validate against real parts: a private dnsmasq whose MX records
point at mailsim's SMTP ingress (127.0.0.1), a catch-all stand-in
(127.0.0.2), a greylisting stand-in (127.0.0.3) and nothing at all
(127.0.0.4), all on mailsim's SMTP port, which --smtp-port names."""

import csv
import io
import json
import os
import subprocess
import time

import pytest

import harness
import validlib

CLASSES = ("valid", "invalid_syntax", "no_such_domain", "no_mx", "mailbox_unknown",
           "temporary", "catch_all", "unverified")


@pytest.fixture(scope="module")
def net(mailsim_certs):
    ms = harness.Mailsim(mailsim_certs, generate=400,
                         args=["--domains", "mail.test,other.test"]).start()
    stubs = []
    dns = None
    try:
        stubs.append(validlib.SmtpStub("127.0.0.2", ms.smtp_port, "accept").start())
        stubs.append(validlib.SmtpStub("127.0.0.3", ms.smtp_port, "tempfail").start())
        dns = validlib.Dnsmasq([
            "--mx-host=mail.test,mx1.mail.test,10",
            "--mx-host=mail.test,mx2.mail.test,20",
            "--host-record=mx1.mail.test,127.0.0.1",
            "--host-record=mx2.mail.test,127.0.0.9",
            # no MX: the domain's own A record (RFC 5321 5.1)
            "--host-record=other.test,127.0.0.1",
            "--mx-host=catchall.test,mx.catchall.test,10",
            "--host-record=mx.catchall.test,127.0.0.2",
            "--mx-host=grey.test,mx.grey.test,10",
            "--host-record=mx.grey.test,127.0.0.3",
            "--mx-host=dead.test,mx.dead.test,10",
            "--host-record=mx.dead.test,127.0.0.4",
            "--txt-record=nomx.test,v=spf1 -all",
            "--mx-host=nullmx.test,.,0",
            # IDN: пример.test
            "--mx-host=xn--e1afmkfd.test,mx1.mail.test,10",
        ]).start()
        yield ms, dns
    finally:
        if dns is not None:
            dns.destroy()
        for s in stubs:
            s.stop()
        ms.stop()
        ms.destroy()


def validate(ms, dns, text, *args, dns_server=None):
    argv = [harness.program("src/warmctl"), "validate",
            "--dns", dns_server or dns.server, "--smtp-port", str(ms.smtp_port),
            "--timeout", "5000", "--helo", "validator.test",
            "--mail-from", "probe@validator.test"] + list(args)
    return subprocess.run(argv, input=text, capture_output=True, text=True, timeout=120)


def mixed_input():
    """About 1,000 lines with every class, and what each should be."""
    lines, want = [], []

    def add(addr, cls):
        lines.append(addr)
        want.append(cls)

    for i in range(300):
        add("user%05d@mail.test" % (i + 1), "valid")
    for i in range(150):
        add("nobody%d@mail.test" % i, "mailbox_unknown")
    for i in range(50):
        add("user%05d@other.test" % i, "mailbox_unknown")
    for i in range(20):
        add("someone%d@пример.test" % i, "mailbox_unknown")
    for i in range(100):
        add("anyone%d@catchall.test" % i, "catch_all")
    for i in range(100):
        add("later%d@grey.test" % i, "temporary")
    for i in range(50):
        add("x%d@dead.test" % i, "unverified")
    for i in range(40):
        add("y%d@nomx.test" % i, "no_mx")
    for i in range(10):
        add("z%d@nullmx.test" % i, "no_mx")
    for i in range(100):
        add("w%d@nowhere%d.test" % (i, i % 7), "no_such_domain")
    bad = ["plainaddress", "a..b@mail.test", "@mail.test", "user@", "user@mail",
           "user@-mail.test", "user@mail..test", "us er@mail.test", "ü@mail.test",
           "user@[127.0.0.1]", "x" * 65 + "@mail.test", "user@" + "a" * 64 + ".test"]
    for i in range(80):
        add(bad[i % len(bad)], "invalid_syntax")
    return lines, want


def test_every_class_over_a_thousand(net):
    ms, dns = net
    lines, want = mixed_input()
    # Blank lines and comments are skipped; line numbers stay true.
    text = "# addresses\n\n" + "\n".join(lines) + "\n"
    r = validate(ms, dns, text, "--json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert len(out) == len(lines) >= 1000
    got = {}
    for row, w in zip(out, want):
        assert row["result"] == w, row
        got[w] = got.get(w, 0) + 1
    assert set(got) == set(CLASSES)
    assert out[0]["line"] == 3 and out[0]["address"] == "user00001@mail.test"
    assert out[0]["mx"] == "mx1.mail.test"
    assert "Greylisted" in next(o for o in out if o["result"] == "temporary")["detail"]
    assert "5.1.1" in next(o for o in out if o["result"] == "mailbox_unknown")["detail"]
    assert "null MX" in next(o for o in out if "nullmx" in o["address"])["detail"]
    # Bad lines are named on stderr with their line numbers.
    first_bad = lines.index("plainaddress") + 3
    assert "line %d: no @: plainaddress" % first_bad in r.stderr
    assert "%d addresses:" % len(lines) in r.stderr


def test_all_valid_exit_zero_and_formats(net):
    ms, dns = net
    text = "".join("user%05d@mail.test\n" % i for i in range(350, 400)) + "User00001@MAIL.TEST\n"
    r = validate(ms, dns, text)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = r.stdout.splitlines()
    assert rows[0].split()[:3] == ["LINE", "ADDRESS", "RESULT"]
    assert len(rows) == 52 and all(" valid " in row for row in rows[1:])
    r = validate(ms, dns, text, "--csv")
    assert r.returncode == 0
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["line", "address", "result", "detail"]
    assert rows[-1][:3] == ["51", "User00001@MAIL.TEST", "valid"]


def test_format_mx_mode(net):
    ms, dns = net
    text = "a@mail.test\nb@other.test\nc@nomx.test\n"
    r = validate(ms, dns, text, "--no-smtp", "--json")
    out = json.loads(r.stdout)
    assert [o["result"] for o in out] == ["unverified", "unverified", "no_mx"]
    assert "format+MX ok" in out[0]["detail"]
    assert r.returncode == 1
    r = validate(ms, dns, "a@mail.test\nb@dead.test\n", "--no-smtp")
    assert r.returncode == 0, r.stdout


def test_per_domain_cap_and_delay(net):
    ms, dns = net
    text = "".join("user%05d@mail.test\n" % (i + 1) for i in range(40))
    t0 = time.monotonic()
    r = validate(ms, dns, text, "--batch", "5", "--per-domain", "1", "--delay", "100",
                 "--json")
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert [o["result"] for o in json.loads(r.stdout)] == ["valid"] * 40
    # 8 connections, one at a time, started 100 ms apart: 0.7 s at least.
    assert took >= 0.7
    t0 = time.monotonic()
    r = validate(ms, dns, text, "--batch", "5", "--per-domain", "8")
    assert r.returncode == 0 and time.monotonic() - t0 < took


def test_unreachable_dns_server(net):
    ms, dns = net
    port = harness.free_port()
    r = validate(ms, dns, "a@mail.test\nnot-an-address\n", "--json",
                 dns_server="127.0.0.1:%d" % port)
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out[0]["result"] == "temporary"
    assert "DNS server 127.0.0.1:%d unreachable" % port in out[0]["detail"]
    assert "warmctl validate: DNS server 127.0.0.1:%d unreachable" % port in r.stderr
    assert out[1]["result"] == "invalid_syntax"
    assert "line 2: no @: not-an-address" in r.stderr


def test_bad_usage(net):
    ms, dns = net
    r = subprocess.run([harness.program("src/warmctl"), "validate", "/nonexistent/list"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "/nonexistent/list" in r.stderr
    r = validate(ms, dns, "", "--smtp-port", "0")
    assert r.returncode == 2 and "--smtp-port" in r.stderr
    r = validate(ms, dns, "a@b.test\n", dns_server="not a server")
    assert r.returncode == 2 and "bad DNS server" in r.stderr
    r = validate(ms, dns, "")
    assert r.returncode == 1 and "0 addresses" in r.stderr
