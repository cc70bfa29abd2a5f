"""Under valgrind, no invalid access and no leak: warmd's whole life
(start, account sync, reload, bad reload, graceful stop), and the session
layer doing every mailbox method through sessdrive.  Skipped in the
sanitizer build, whose binaries valgrind cannot run."""

import json
import os
import shutil
import signal
import subprocess

import pytest

import harness
from sesslib import Run, SessEnv
from test_daemon import Warmd, good_lines, try_status


def sanitized(path):
    """True for a binary built with --enable-sanitizers."""
    out = subprocess.run(["nm", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return "__asan_init" in out or "__ubsan_handle" in out


VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect"]


def valgrind_warmd(conf, tmp_path, env=None):
    """warmd -c conf under valgrind, started; (harness.Daemon, valgrind's log)."""
    vlog = str(tmp_path / "valgrind.log")
    e = dict(os.environ, WARMD_SQLDIR=os.path.join(harness.srcdir(), "sql"), **(env or {}))
    argv = VALGRIND + ["--log-file=" + vlog, harness.program("src/warmd"), "-c", str(conf)]
    return harness.Daemon(argv, str(tmp_path / "warmd.log"), env=e).start(), vlog


def assert_clean(rc, vlog):
    """The process exited 0 and valgrind found nothing."""
    report = open(vlog).read()
    assert rc == 0, report[-3000:]
    assert "ERROR SUMMARY: 0 errors" in report, report[-3000:]


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_lifecycle_is_clean_under_valgrind(pg, redis, tmp_path):
    binary = harness.program("src/warmd")
    if os.environ.get("WARMD_SANITIZERS") or sanitized(binary):
        pytest.skip("sanitizer build")
    w = Warmd(pg, redis, tmp_path)
    w.write_conf()
    w.migrate()
    w.write_accounts(good_lines(50))
    vlog = os.path.join(str(tmp_path), "valgrind.log")
    argv = VALGRIND + ["--log-file=" + vlog, binary, "-c", w.conf]
    w.proc = harness.Daemon(argv, w.logfile).start()
    try:
        w.wait_synced(1, timeout=120)
        w.write_accounts(good_lines(52))
        w.proc.signal(signal.SIGHUP)
        w.wait_synced(2, timeout=120)
        with open(w.conf, "a") as f:
            f.write("bogus = 1\n")
        w.proc.signal(signal.SIGHUP)
        harness.wait_for(lambda: (try_status(w.port) or {}).get("last_reload", {})
                         .get("result") == "failed", 60, what="failed reload")
        w.proc.signal(signal.SIGTERM)
        rc = w.proc.wait(120)
    finally:
        w.proc.stop()
    assert_clean(rc, vlog)


def valgrind_drive(e, tmp_path, name, plan, timeout=1200):
    """sessdrive under valgrind over a plan; returns (sesslib.Run, report)."""
    vlog = os.path.join(str(tmp_path), "valgrind-%s.log" % name)
    p = tmp_path / ("plan-%s.jsonl" % name)
    p.write_text("".join(json.dumps(x) + "\n" for x in plan))
    argv = VALGRIND + ["--num-callers=40",
            "--log-file=" + vlog, harness.program("tests/io/sessdrive"),
            "-c", str(e.conf), "-p", str(p)]
    for x in plan:
        argv += ["-e", x["email"]]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    report = open(vlog).read()
    assert r.returncode == 0, "exit %d\n%s\n%s" % (r.returncode, r.stderr[-3000:],
                                                  report[-6000:])
    assert "ERROR SUMMARY: 0 errors" in report, report[-6000:]
    assert "definitely lost:" not in report or "definitely lost: 0 bytes" in report, report
    assert "indirectly lost:" not in report or "indirectly lost: 0 bytes" in report, report
    return Run(r), report


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_sessions_are_clean_under_valgrind(pg, redis, mailsim_factory, tmp_path):
    """Every mailbox method on a few accounts, both login flavours, a login
    that fails and a changed password: sessdrive against mailsim with the
    real PostgreSQL and Redis, no invalid access and no leak."""
    binary = harness.program("tests/io/sessdrive")
    if os.environ.get("WARMD_SANITIZERS") or sanitized(binary):
        pytest.skip("sanitizer build")
    ms = mailsim_factory(generate=5, seed=7)
    accts = ms.accounts()
    good, wrong = accts[:3], accts[3]
    ms.post("/control/account", {"email": wrong["email"], "outcome": "wrong_password"})
    slow = ("[redis]\nconnect_timeout = 60s\ncommand_timeout = 60s\n"
            "[database]\nconnect_timeout = 60s\nstatement_timeout = 300s\n")
    e = SessEnv(pg, redis, ms, tmp_path, accounts=accts, auth="mobile",
                timeouts=("120s", "600s"), config_extra=slow)
    period = {"mode": "period", "from": 0, "to": 4102444800}
    subject = "Привет из valgrind"
    plan = []
    for i, a in enumerate(good):
        peer = good[(i + 1) % len(good)]["email"]
        plan.append({"email": a["email"], "actions": [
            {"kind": "login"},
            {"kind": "list_spam", **period},
            {"kind": "not_spam", "select": "listed", "match": "WINNER"},
            {"kind": "list_inbox", **period},
            {"kind": "mark_read", "select": "listed", "match": "Добро", "limit": 1},
            {"kind": "flag", "select": "listed", "match": "Добро"},
            {"kind": "click_link", "select": "listed", "match": "Новости",
             "anchor": "читать"},
            {"kind": "to_spam", "select": "listed", "match": "Новости"},
            {"kind": "send", "to": peer, "subject": subject, "text": "Тело письма",
             "send_id": "%032x" % (0xabc0 + i)},
        ]})
    plan.append({"email": wrong["email"], "actions": [{"kind": "list_inbox"}]})
    run, _ = valgrind_drive(e, tmp_path, "mobile", plan)
    bad = [(x["email"], x["kind"], x["status"], x.get("reason"))
           for x in run.actions if x["email"] != wrong["email"] and x["status"] != "ok"]
    assert not bad, bad
    assert not run.sessions[wrong["email"]]["ok"], run.sessions[wrong["email"]]
    assert run.one(wrong["email"], "list_inbox")["status"] == "account"

    # web logins (nothing cached), replies in the threads just received,
    # flags off, and a password change
    redis.command("FLUSHALL")
    e.write_config(auth="web", extra=slow)
    plan = [{"email": a["email"], "actions": [
        {"kind": "list_inbox", **period},
        {"kind": "reply", "select": "listed", "match": subject, "text": "Спасибо!"},
        {"kind": "flag", "select": "listed", "match": "Добро", "on": False},
    ]} for a in good]
    plan[0]["actions"].append({"kind": "change_password"})
    run, _ = valgrind_drive(e, tmp_path, "web", plan)
    bad = [(x["email"], x["kind"], x["status"], x.get("reason"))
           for x in run.actions if x["status"] != "ok"]
    assert not bad, bad
    for a in good:
        assert run.sessions[a["email"]]["login"] == "web", run.sessions[a["email"]]


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_jobs_engine_is_clean_under_valgrind(pg, redis, mailsim_factory, tmp_path):
    """warmd claiming and running jobs (every outcome kind), a SIGHUP that
    retires the session settings mid-run, and a graceful stop."""
    from jobslib import JobsEnv
    binary = harness.program("src/warmd")
    if os.environ.get("WARMD_SANITIZERS") or sanitized(binary):
        pytest.skip("sanitizer build")
    ms = mailsim_factory(generate=4, seed=9)
    e = JobsEnv(pg, redis, ms, tmp_path, timeouts=("60s", "300s"),
                jobs={"daily_caps": "send:1"},
                conf={"session": {"pace_min": "200ms", "pace_max": "200ms"},
                      "database": {"statement_timeout": "300s"}})
    a, b = e.accounts[0]["email"], e.accounts[1]["email"]
    jobs = [{"email": a, "task": "list_spam"},
            {"email": a, "task": "not_spam", "payload": {"select": "listed"}},
            {"email": a, "task": "send", "payload": {"to": b, "subject": "v1", "text": "x"}},
            {"email": a, "task": "send", "payload": {"to": b, "subject": "v2", "text": "x"}},
            {"email": a, "task": "flag", "payload": {"ids": "bad"}},
            {"email": b, "task": "list_inbox"}, {"email": b, "task": "mark_read",
                                                  "payload": {"select": "listed", "limit": 1}}]
    e.insert(jobs)
    d, vlog = valgrind_warmd(e.conf, tmp_path)
    try:
        harness.wait_for(lambda: e.counts().get("done", 0) >= 1, timeout=300, what="work")
        d.signal(signal.SIGHUP)
        d.wait_log("reload complete", timeout=120)
        harness.wait_for(lambda: e.counts().get("running", 0) == 0 and
                         e.counts().get("done", 0) >= 5, timeout=300, what="jobs ended")
        d.signal(signal.SIGTERM)
        rc = d.wait(300)
    finally:
        d.stop()
    c = e.counts()
    assert c.get("failed") == 1 and c.get("new") == 1 and c.get("done") == 5, c
    assert_clean(rc, vlog)


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_campaigns_are_clean_under_valgrind(pg, redis, mailsim_factory, tmp_path):
    """The planner and the scenario chains: rescue with a holdout, engage
    with a template, a warm-up day, a reload that edits one campaign and
    removes another mid-run, and a graceful stop."""
    from scenlib import ScenEnv, TEMPLATES, moscow_today, now_s
    from botlib import BotAPI
    binary = harness.program("src/warmd")
    if os.environ.get("WARMD_SANITIZERS") or sanitized(binary):
        pytest.skip("sanitizer build")
    ms = mailsim_factory(generate=4, seed=12)
    bot = BotAPI()
    tpl = lambda n: os.path.join(TEMPLATES, n)
    e = ScenEnv(pg, redis, ms, tmp_path, timeouts=("60s", "300s"), campaigns={
        "r": {"kind": "rescue", "subject": "скидка", "date": moscow_today(),
              "holdout": "30%", "mark_read": "yes"},
        "e": {"kind": "engage", "subject": "скидка", "date": moscow_today(),
              "percent": "60%", "reply_template": tpl("engage-ru.tpl")},
        "w": {"kind": "warmup", "join_probability": "100%", "recipients": "2",
              "letters_start": "1", "min_gap": "1s", "reply_delay": "1s-2s",
              "reply_probability": "100%", "flag_probability": "50%",
              "letter_template": tpl("warmup-ru.tpl"), "reply_template": tpl("reply-ru.tpl")}},
        conf={"database": {"statement_timeout": "300s"},
              "alerts": {"telegram_token": "1:x", "telegram_chat_id": "1",
                         "telegram_url": bot.url, "window": "2s"}})
    ms.post("/control/account", {"email": e.accounts[0]["email"], "password": "other"})
    for a in e.accounts:
        e.inject(a["email"], "Скидка 20%", folder=950, date=now_s() - 60)
    d, vlog = valgrind_warmd(e.conf, tmp_path)
    try:
        harness.wait_for(lambda: len(e.campaign_jobs("r", "j.status = 'done'")) >= 1,
                         timeout=300, what="work")
        e.campaigns["r"]["flag"] = "yes"
        del e.campaigns["w"]
        e.write_campaigns()
        d.signal(signal.SIGHUP)
        d.wait_log("reload complete", timeout=120)
        harness.wait_for(lambda: e.campaign("w")["status"] == "cancelled" and
                         e.counts().get("running", 0) == 0 and
                         len(e.campaign_jobs("r", "j.status = 'done'")) == len(e.accounts) - 1,
                         timeout=300, what="campaigns settled")
        harness.wait_for(lambda: len(bot.messages) >= 1, timeout=120, what="an alert")
        d.signal(signal.SIGTERM)
        rc = d.wait(300)
    finally:
        d.stop()
        bot.close()
    assert_clean(rc, vlog)


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_safety_net_is_clean_under_valgrind(pg, redis, mailsim_factory, tinyproxy_factory,
                                            tmp_path, bot):
    """A proxy circuit that opens, probes and closes; an account paused by
    its health, let out after its cooldown and paused for good; the daily
    summary; a graceful stop."""
    from jobslib import JobsEnv
    binary = harness.program("src/warmd")
    if os.environ.get("WARMD_SANITIZERS") or sanitized(binary):
        pytest.skip("sanitizer build")
    ms = mailsim_factory(generate=3, seed=14)
    tp = tinyproxy_factory()
    accts = ms.accounts()
    hour, minute = map(int, pg.psql(
        "SELECT to_char(now() AT TIME ZONE 'Europe/Moscow', 'HH24 MI')").split())
    summary = minute < 50               # not across an hour's end

    e = JobsEnv(pg, redis, ms, tmp_path, accounts=accts, timeouts=("60s", "300s"),
                proxies={accts[0]["email"]: tp.url()},
                jobs={"retry_min": "300ms", "retry_max": "300ms"},
                conf={"database": {"statement_timeout": "300s"},
                      "breaker": {"failures": "2", "cooldown": "2s", "max_cooldown": "4s"},
                      "health": {"login_failure": "50", "cooldown": "2s"},
                      "alerts": {"telegram_token": "1:x", "telegram_chat_id": "1",
                                 "telegram_url": bot.url, "window": "2s",
                                 "summary_hour": str(hour if summary else -1)}})
    ms.post("/control/account", {"email": accts[1]["email"], "outcome": "ratelimit"})
    tp.stop()
    e.insert([{"email": a["email"], "task": "list_inbox", "max_attempts": 50} for a in accts])
    d, vlog = valgrind_warmd(e.conf, tmp_path, {"WARMD_TEST_SUMMARY_EVERY_MS": "1000"})
    try:
        d.wait_log("circuit open after", timeout=300)
        harness.wait_for(lambda: "failed again" in (
            e.account_row(accts[1]["email"])["status_reason"] or ""), timeout=300,
            what="paused for good")
        tp.start(port=tp.port)
        harness.wait_for(lambda: e.jobs("a.email = '%s'" % accts[0]["email"])[0]["status"]
                         == "done", timeout=300, what="proxy back")
        if summary:
            harness.wait_for(lambda: any("Daily summary" in t for t in bot.texts()),
                             timeout=120, what="summary")
        d.signal(signal.SIGTERM)
        rc = d.wait(300)
    finally:
        d.stop()
    assert_clean(rc, vlog)
