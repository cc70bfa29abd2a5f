"""warmctl validate against real parts: a private dnsmasq whose MX records
point at mailsim's SMTP ingress (127.0.0.1), a catch-all stand-in
(127.0.0.2), a greylisting stand-in (127.0.0.3) and nothing at all
(127.0.0.4), all on mailsim's SMTP port, which --smtp-port names.  The MX
fallback tests give mail.test (mailsim's only domain with mailboxes) other
MX sets on a dnsmasq of their own, with hosts that fail before RCPT on
127.0.0.5 and up."""

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


@pytest.fixture
def mx_dns():
    """Start a private dnsmasq with these records; stopped after the test."""
    started = []

    def start(*records):
        d = validlib.Dnsmasq(records).start()
        started.append(d)
        return d

    yield start
    for d in started:
        d.destroy()


@pytest.fixture
def unwelcoming(net):
    """Start an Unwelcoming MX on host, mailsim's SMTP port."""
    ms, _ = net
    started = []

    def start(host, mode):
        u = validlib.Unwelcoming(host, ms.smtp_port, mode).start()
        started.append(u)
        return u

    yield start
    for u in started:
        u.stop()


def two_mx(domain, first, second):
    """MX 10 at first, MX 20 at second."""
    return ["--mx-host=%s,mx1.%s,10" % (domain, domain),
            "--mx-host=%s,mx2.%s,20" % (domain, domain),
            "--host-record=mx1.%s,%s" % (domain, first),
            "--host-record=mx2.%s,%s" % (domain, second)]


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


def test_fallback_to_second_mx(net, mx_dns):
    ms, _ = net
    dns = mx_dns(*(two_mx("mail.test", "127.0.0.5", "127.0.0.1") +   # nothing, mailsim
                   two_mx("dead2.test", "127.0.0.5", "127.0.0.10") +  # nothing, nothing
                   # An answered RCPT is final, even when the backup would
                   # accept anything (127.0.0.2): greylisted ...
                   two_mx("grey.test", "127.0.0.3", "127.0.0.2") +
                   # ... or unknown.
                   two_mx("strict.test", "127.0.0.1", "127.0.0.2") +
                   # Five dead MX hosts, then mailsim: never reached.
                   ["--mx-host=cap.test,mx%d.cap.test,%d" % (i, 10 * i) for i in range(6)] +
                   ["--host-record=mx%d.cap.test,127.0.0.%d" % (i, 12 + i) for i in range(5)] +
                   ["--host-record=mx5.cap.test,127.0.0.1"]))
    lines, want = [], []
    for i in range(30):
        lines.append("user%05d@mail.test" % (i + 1))
        want.append("valid")
    for i in range(10):
        lines.append("nobody%d@mail.test" % i)
        want.append("mailbox_unknown")
    for i in range(5):
        lines.append("x%d@dead2.test" % i)
        want.append("unverified")
    for i in range(3):
        lines.append("g%d@grey.test" % i)
        want.append("temporary")
    for i in range(3):
        lines.append("s%d@strict.test" % i)
        want.append("mailbox_unknown")
    lines.append("user00001@cap.test")
    want.append("unverified")
    r = validate(ms, dns, "\n".join(lines) + "\n", "--json", "--batch", "5")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert [o["result"] for o in out] == want, r.stdout
    # mx names the host that answered.
    assert {o["mx"] for o in out[:40]} == {"mx2.mail.test"}
    assert "Greylisted" in out[45]["detail"] and out[45]["mx"] == "mx1.grey.test"
    assert "5.1.1" in out[48]["detail"] and out[48]["mx"] == "mx1.strict.test"
    dead = out[40]
    assert dead["mx"] == "mx1.dead2.test"
    assert "2 MX addresses failed, last mx2.dead2.test:%d" % ms.smtp_port \
        in dead["detail"]
    assert "5 MX addresses failed, last mx4.cap.test:%d" % ms.smtp_port \
        in out[-1]["detail"]
    # A domain with one dead MX keeps its old detail.
    r = validate(ms, net[1], "a@dead.test\n", "--json")
    out = json.loads(r.stdout)
    assert out[0]["result"] == "unverified"
    assert out[0]["detail"].startswith("SMTP mx.dead.test:%d: " % ms.smtp_port)


def test_fallback_past_421_and_early_close(net, mx_dns, unwelcoming):
    ms, _ = net
    busy = unwelcoming("127.0.0.6", "421")
    closer = unwelcoming("127.0.0.7", "close")
    busy_only = unwelcoming("127.0.0.11", "421")
    dns = mx_dns("--mx-host=mail.test,mx1.mail.test,10",
                 "--mx-host=mail.test,mx2.mail.test,15",
                 "--mx-host=mail.test,mx3.mail.test,20",
                 "--host-record=mx1.mail.test,127.0.0.6",
                 "--host-record=mx2.mail.test,127.0.0.7",
                 "--host-record=mx3.mail.test,127.0.0.1",
                 "--mx-host=busy.test,mx.busy.test,10",
                 "--host-record=mx.busy.test,127.0.0.11")
    text = "".join("user%05d@mail.test\n" % (i + 1) for i in range(15))
    text += "".join("nobody%d@mail.test\n" % i for i in range(5)) + "b@busy.test\n"
    r = validate(ms, dns, text, "--json", "--batch", "5", "--per-domain", "1")
    out = json.loads(r.stdout)
    assert [o["result"] for o in out] == ["valid"] * 15 + ["mailbox_unknown"] * 5 + \
        ["temporary"], r.stdout
    # 4 batches: each greeted 421 by the best MX (a refusal of this
    # session, not a dead host), then the host that closed the first
    # connection is tried last and mailsim answers.
    assert busy.accepted == 4 and closer.accepted == 1
    # The only MX greets 421: temporary, as before.
    assert out[-1]["detail"].startswith("SMTP mx.busy.test:%d: 421 4.3.2" % ms.smtp_port), \
        out[-1]
    assert busy_only.accepted == 1


def test_fallback_past_silent_primary_once(net, mx_dns, unwelcoming):
    ms, _ = net
    silent = unwelcoming("127.0.0.8", "silent")
    dns = mx_dns(*two_mx("mail.test", "127.0.0.8", "127.0.0.1"))
    text = "".join("user%05d@mail.test\n" % (i + 1) for i in range(25))
    t0 = time.monotonic()
    r = validate(ms, dns, text, "--batch", "5", "--per-domain", "1", "--timeout", "1000")
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    # One timeout, not five: later batches try the silent host last.
    assert silent.accepted == 1 and took < 4, took


def test_fallback_keeps_delay(net, mx_dns):
    ms, _ = net
    dns = mx_dns(*two_mx("mail.test", "127.0.0.5", "127.0.0.1"))
    text = "".join("user%05d@mail.test\n" % (i + 1) for i in range(15))
    t0 = time.monotonic()
    r = validate(ms, dns, text, "--batch", "5", "--per-domain", "1", "--delay", "200")
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    # Connections 200 ms apart: the dead MX, then mailsim for each of the
    # 3 batches.
    assert took >= 0.6
