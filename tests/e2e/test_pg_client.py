"""The PostgreSQL pool (src/pg.c) against a real server, through tests/io/pgload.

pgload keeps a steady stream of SELECTs and INSERTs going, optionally keeps a
`SELECT pg_sleep(2)` on the wire and LISTENs on a channel; it prints one
summary line a second and a final JSON line with the counts by status."""

import json
import os
import signal
import time

import harness
from harness import wait_for


def env():
    e = dict(os.environ)
    e.pop("JOURNAL_STREAM", None)   # keep the timestamped log format
    e.pop("PGLOAD_CONNINFO", None)
    return e


def start_pgload(pg, tmp_path, *args):
    argv = [harness.program("tests/io/pgload"), "-c", pg.conninfo(),
            "-n", "4", "-r", "100", "-q", "1000", "-m", "100", "-M", "1000",
            "-o", str(tmp_path / "ok.txt")] + list(args)
    d = harness.Daemon(argv, str(tmp_path / "pgload.log"), env=env()).start()
    d.wait_log("running:", timeout=15)
    return d


def final(d):
    lines = [l for l in d.log_text().splitlines() if l.startswith("{")]
    assert lines, "no final JSON line:\n" + d.log_text()
    return json.loads(lines[-1])


def summaries(d, start=0):
    """The per-second summary lines, as dicts of ints."""
    out = []
    for line in d.log_text()[start:].splitlines():
        if line.startswith("t="):
            out.append({k: float(v) for k, v in (f.split("=") for f in line.split())})
    return out


def ok_keys(tmp_path):
    with open(tmp_path / "ok.txt") as f:
        return [l.strip() for l in f if l.strip()]


def assert_nothing_lost(pg, tmp_path):
    """Every INSERT reported OK is in the table."""
    reported = set(ok_keys(tmp_path))
    assert reported, "no INSERT was reported OK"
    present = set(pg.psql("SELECT k FROM pgload_items").split("\n"))
    missing = reported - present
    assert not missing, "%d INSERTs reported OK are missing, e.g. %s" % (
        len(missing), sorted(missing)[:5])


def stop(d):
    rc = d.stop(timeout=20)
    assert rc == 0, d.log_text()
    return final(d)


def test_queries_succeed(pg, tmp_path):
    d = start_pgload(pg, tmp_path, "-d", "2")
    assert d.wait(30) == 0, d.log_text()
    d.stop()
    r = final(d)
    assert r["ok"] >= 300, r
    assert r["error"] == 0 and r["unknown"] == 0 and r["unavailable"] == 0, r
    assert r["wrong"] == 0 and r["reconnects"] == 0, r
    assert r["insert_ok"] == len(ok_keys(tmp_path))
    assert_nothing_lost(pg, tmp_path)
    # The conninfo is not secret here, but the pool must never print it.
    assert pg.conninfo() not in d.log_text()


def test_restart_reports_unknown_and_loses_nothing(pg_private, tmp_path):
    pg = pg_private
    # A pg_sleep(2) is always in flight, so the restart always catches one.
    d = start_pgload(pg, tmp_path, "-d", "0", "-s", "2")
    wait_for(lambda: any(s["ok"] > 100 for s in summaries(d)), 10, what="first results")
    mark = len(d.log_text())
    pg.restart()
    d.wait_log("postgresql up", timeout=15, start=mark)
    after = len(d.log_text())
    wait_for(lambda: len(summaries(d, after)) >= 2, 10, what="summaries after restart")
    s = summaries(d, after)
    assert s[-1]["ok"] > s[0]["ok"], "no progress after the restart"
    assert d.proc.poll() is None, "pgload died"
    r = stop(d)
    assert r["unknown"] >= 1, r
    assert r["reconnects"] >= 1 and r["downs"] >= 1, r
    assert r["wrong"] == 0, r
    log = d.log_text()[mark:]
    assert "sleep statement outcome unknown" in log
    assert log.count("postgresql down") == 1, log
    assert_nothing_lost(pg, tmp_path)


def test_stopped_for_5s_logs_down_once_up_once(pg_private, tmp_path):
    pg = pg_private
    d = start_pgload(pg, tmp_path, "-d", "0")
    wait_for(lambda: any(s["ok"] > 50 for s in summaries(d)), 10, what="first results")
    mark = len(d.log_text())
    pg.stop()
    d.wait_log("postgresql down", timeout=10, start=mark)
    time.sleep(5)
    assert d.proc.poll() is None, "pgload died while PostgreSQL was down"
    during = summaries(d, mark)
    assert during and during[-1]["up"] == 0
    pg.start()
    d.wait_log("postgresql up", timeout=15, start=mark)
    after = len(d.log_text())
    wait_for(lambda: len(summaries(d, after)) >= 2, 10, what="summaries after start")
    s = summaries(d, after)
    assert s[-1]["ok"] > s[0]["ok"], "no progress after the start"
    r = stop(d)
    log = d.log_text()[mark:]
    assert log.count("postgresql down") == 1, log
    assert log.count("postgresql up") == 1, log
    assert "still down" not in log       # once a minute at most; this was 5 s
    # Queued statements timed out as unavailable rather than piling up.
    assert r["unavailable"] > 0, r
    assert r["wrong"] == 0 and r["reconnects"] >= 1, r
    assert_nothing_lost(pg, tmp_path)


def test_listen_notify_and_repoll_after_restart(pg_private, tmp_path):
    pg = pg_private
    d = start_pgload(pg, tmp_path, "-d", "0", "-r", "20", "-l", "warmd_jobs")
    d.wait_log("poll now: channel warmd_jobs", timeout=10)
    pg.psql("NOTIFY warmd_jobs, 'first'")
    d.wait_log("notify: channel warmd_jobs payload first", timeout=10)
    pg.psql("NOTIFY other_channel, 'not for us'")

    mark = len(d.log_text())
    pg.restart()
    # Re-LISTEN, then "you may have missed notifications: poll now".
    d.wait_log("poll now: channel warmd_jobs", timeout=15, start=mark)
    pg.psql("NOTIFY warmd_jobs, 'second'")
    d.wait_log("notify: channel warmd_jobs payload second", timeout=10, start=mark)
    r = stop(d)
    assert r["notifies"] == 2, r
    assert r["polls"] == 2, r
    assert "not for us" not in d.log_text()


def test_listen_rejects_unsafe_channel(pg, tmp_path):
    argv = [harness.program("tests/io/pgload"), "-c", pg.conninfo(), "-d", "1",
            "-l", 'x"; DROP TABLE y; --']
    d = harness.Daemon(argv, str(tmp_path / "pgload.log"), env=env()).start()
    assert d.wait(15) == 1
    d.stop()
    assert "refusing to LISTEN" in d.log_text()


def test_cancel_and_free_from_callback(pg, tmp_path):
    # -K 3: every third SELECT is cancelled, half while queued, half from
    # inside another statement's callback; a cancelled callback that still
    # ran counts as wrong.  -F: the pool is freed from inside a callback
    # with statements still queued and in flight.
    d = start_pgload(pg, tmp_path, "-d", "2", "-r", "400", "-K", "3", "-F")
    assert d.wait(30) == 0, d.log_text()
    d.stop()
    r = final(d)
    assert r["cancelled"] > 50 and r["wrong"] == 0, r
    assert "freeing the pool from a callback" in d.log_text()
    assert_nothing_lost(pg, tmp_path)
