"""The Redis client (src/redis.c) against a real redis-server and a blackhole,
through tests/io/rdsload.

rdsload keeps SET/GET/INCR going, counts commands refused while Redis is down,
NULL replies and error replies, prints a summary line a second and a final
JSON line."""

import datetime
import json
import os
import socket

import pytest

import harness
from harness import wait_for


def env(password=None):
    e = dict(os.environ)
    e.pop("JOURNAL_STREAM", None)
    e.pop("RDSLOAD_ADDRESS", None)
    e.pop("RDSLOAD_PASSWORD", None)
    if password is not None:
        e["RDSLOAD_PASSWORD"] = password
    return e


def start_rdsload(tmp_path, address, *args, password=None, wait_up=True):
    argv = [harness.program("tests/io/rdsload"), "-a", address, "-d", "0",
            "-r", "200", "-m", "100", "-M", "500"] + list(args)
    d = harness.Daemon(argv, str(tmp_path / "rdsload.log"), env=env(password)).start()
    if wait_up:
        d.wait_log("redis up", timeout=10)
    return d


def final(d):
    lines = [l for l in d.log_text().splitlines() if l.startswith("{")]
    assert lines, "no final JSON line:\n" + d.log_text()
    return json.loads(lines[-1])


def summaries(d, start=0):
    out = []
    for line in d.log_text()[start:].splitlines():
        if line.startswith("t="):
            out.append({k: float(v) for k, v in (f.split("=") for f in line.split())})
    return out


def log_time(line):
    return datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%f")


def line_with(d, needle):
    for line in d.log_text().splitlines():
        if needle in line:
            return line
    raise AssertionError("no line with %r" % needle)


def stop(d):
    rc = d.stop(timeout=20)
    assert rc == 0, d.log_text()
    return final(d)


def test_commands_succeed(redis, tmp_path):
    d = start_rdsload(tmp_path, redis.address())
    wait_for(lambda: any(s["ok"] > 300 for s in summaries(d)), 10, what="results")
    r = stop(d)
    assert r["ok"] > 300 and r["error"] == 0 and r["wrong"] == 0, r
    assert r["down"] == 0 and r["null"] == 0, r


def test_stop_start_refuses_while_down_and_resumes(redis, tmp_path):
    d = start_rdsload(tmp_path, redis.address())
    wait_for(lambda: any(s["ok"] > 100 for s in summaries(d)), 10, what="results")
    for outage in range(2):
        mark = len(d.log_text())
        redis.stop()
        d.wait_log("redis down", timeout=5, start=mark)
        # Refused, not queued: the down counter grows while Redis is away.
        wait_for(lambda: len(summaries(d, mark)) >= 3, 10, what="summaries while down")
        s = summaries(d, mark)
        assert s[-1]["down"] > s[0]["down"] and s[-1]["up"] == 0, s
        assert s[-1]["outstanding"] == 0, s
        assert d.proc.poll() is None, "rdsload died while Redis was down"
        redis.start()
        d.wait_log("redis up", timeout=10, start=mark)
        after = len(d.log_text())
        wait_for(lambda: len(summaries(d, after)) >= 2, 10, what="summaries after start")
        s = summaries(d, after)
        assert s[-1]["ok"] > s[0]["ok"], "no progress after Redis came back"
        log = d.log_text()[mark:]
        assert log.count("redis down") == 1, log
        assert log.count("redis up") == 1, log
    r = stop(d)
    assert r["reconnects"] == 2 and r["downs"] == 2, r
    assert r["wrong"] == 0 and r["down"] > 0, r


@pytest.fixture
def blackhole():
    """A socket that completes the TCP handshake (backlog) and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    yield "127.0.0.1:%d" % s.getsockname()[1]
    s.close()


def test_connect_timeout_against_blackhole(blackhole, tmp_path):
    secret = "blackhole-secret-123"
    d = start_rdsload(tmp_path, blackhole, "-C", "500", password=secret, wait_up=False)
    d.wait_log("redis down: connect timeout", timeout=5)
    started = log_time(line_with(d, "running:"))
    down = log_time(line_with(d, "redis down"))
    took = (down - started).total_seconds()
    assert 0.4 <= took <= 1.0, "reported down after %.3fs, timeout 500ms" % took
    # Keep retrying quietly: still down, one line, commands refused.
    wait_for(lambda: len(summaries(d)) >= 3, 10, what="summaries")
    r = stop(d)
    log = d.log_text()
    assert "redis up" not in log
    assert log.count("redis down") == 1, log
    assert r["ok"] == 0 and r["down"] > 0 and r["wrong"] == 0, r
    assert secret not in log


def test_auth(redis, tmp_path):
    secret = "s3cret-for-test"
    assert redis.command("CONFIG", "SET", "requirepass", secret).startswith(b"+OK")
    d = start_rdsload(tmp_path, redis.address(), "-n", "2", password=secret)
    wait_for(lambda: any(s["ok"] > 50 for s in summaries(d)), 10, what="results")
    r = stop(d)
    assert r["wrong"] == 0 and r["error"] == 0, r
    assert secret not in d.log_text()

    (tmp_path / "rdsload.log").unlink()
    d = start_rdsload(tmp_path, redis.address(), password="wrong-password", wait_up=False)
    d.wait_log("redis down: AUTH failed", timeout=5)
    r = stop(d)
    assert r["ok"] == 0 and r["down"] > 0, r
    assert "wrong-password" not in d.log_text()


@pytest.mark.parametrize("address", ["localhost:6379", "redis.example:6379", "127.0.0.1", "1.2.3.4:0"])
def test_rejects_host_names_and_bad_addresses(address, tmp_path):
    argv = [harness.program("tests/io/rdsload"), "-a", address, "-d", "1"]
    d = harness.Daemon(argv, str(tmp_path / "rdsload.log"), env=env()).start()
    assert d.wait(10) == 1
    d.stop()
    assert "address must be IP:port" in d.log_text()


def test_reply_timeout_on_hung_server(redis, tmp_path):
    """A server that stops answering is dropped after the reply deadline."""
    import signal
    d = start_rdsload(tmp_path, redis.address(), "-t", "300")
    wait_for(lambda: any(s["ok"] > 100 for s in summaries(d)), 10, what="results")
    mark = len(d.log_text())
    redis.proc.send_signal(signal.SIGSTOP)
    try:
        d.wait_log("redis down: no reply within 300 ms", timeout=5, start=mark)
    finally:
        redis.proc.send_signal(signal.SIGCONT)
    d.wait_log("redis up", timeout=10, start=mark)
    r = stop(d)
    assert r["null"] > 0 and r["wrong"] == 0 and r["reconnects"] == 1, r


def test_free_from_callback(redis, tmp_path):
    d = start_rdsload(tmp_path, redis.address(), "-d", "1", "-F")
    assert d.wait(20) == 0, d.log_text()
    d.stop()
    r = final(d)
    assert "freeing the client from a callback" in d.log_text()
    assert r["wrong"] == 0 and r["ok"] > 0, r
