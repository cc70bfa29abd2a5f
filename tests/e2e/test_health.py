"""Account health against real parts: the score's formula in PostgreSQL
(sql/007_health.sql) on known observations, then a daemon whose mailboxes
mailsim makes sick -- a login that keeps being rate limited is paused,
tried once more after its cooldown, paused for good when it fails again,
and put back to work by `warmctl resume`; a captcha suspends an account
that never comes back by itself."""

import json
import time

import pytest

import harness
from botlib import alerts_conf
from jobslib import JobsEnv

# Defaults of [health] as health_apply() receives them.
CONF = {"half_life_s": 21600, "login": 20, "transient": 4, "send": 10, "spam": 8,
        "relief": 10, "pause_below": 40, "cooldown_s": 21600}


@pytest.fixture(autouse=True)
def stop_daemons():
    yield
    while JobsEnv.live:
        JobsEnv.live.pop().stop_all()


def apply(e, obs, conf=CONF):
    out = e.sql("SELECT row_to_json(x) FROM health_apply('%s'::jsonb, '%s'::jsonb) x"
                % (json.dumps(obs), json.dumps(conf)))
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def health(e, aid):
    out = e.sql("SELECT row_to_json(h) FROM account_health h WHERE account_id = '%s'" % aid)
    return json.loads(out) if out.strip() else None


def test_score_formula(pg, redis, mailsim, tmp_path):
    e = JobsEnv(pg, redis, mailsim, tmp_path, accounts=mailsim.accounts()[:3])
    a, b, c = (e.account_row(x["email"])["id"] for x in e.accounts)
    # (rel=1e-3 everywhere: the penalties decay during the test itself)
    assert apply(e, [{"a": a, "lf": 1}]) == []
    assert health(e, a)["score"] == pytest.approx(80, rel=1e-3)
    # A session that worked forgives a tenth.
    apply(e, [{"a": a, "ok": 1}])
    assert health(e, a)["login"] == pytest.approx(18, rel=1e-3)
    # Half a half-life later, penalties are down by 1/sqrt(2).
    e.sql("UPDATE account_health SET updated_at = now() - interval '3 hours'"
          " WHERE account_id = '%s'" % a)
    apply(e, [{"a": a, "tr": 1}])
    h = health(e, a)
    assert h["login"] == pytest.approx(18 / 2 ** 0.5, rel=1e-3)
    assert h["transient"] == pytest.approx(4, rel=1e-3)
    assert h["score"] == pytest.approx(100 - 18 / 2 ** 0.5 - 4, rel=1e-3)
    assert (h["sessions_ok"], h["login_failures"], h["transient_sessions"]) == (1, 1, 1)
    # A warm-up letter in Spam counts against its sender, found by the job.
    jid = e.sql("INSERT INTO jobs (account_id, task, plan_key) VALUES ('%s', 'warm_receive',"
                " 'recv:2026-11-23:%s:0') RETURNING id" % (c, b)).splitlines()[0]
    apply(e, [{"j": int(jid), "sp": 1}, {"j": int(jid), "sp": 1}])
    assert health(e, b)["spam"] == pytest.approx(16, rel=1e-3)
    assert health(e, c) is None
    # Three refused letters and two login failures in one batch: below 40.
    paused = apply(e, [{"a": c, "sf": 3}, {"a": c, "lf": 2}])
    assert len(paused) == 1 and paused[0]["email"] == e.accounts[2]["email"]
    assert paused[0]["reason"] == "auto-paused: login failures (health 30 < 40)", paused
    assert paused[0]["final"] is False
    row = e.account_row(e.accounts[2]["email"])
    assert (row["status"], row["status_reason"]) == ("suspended", paused[0]["reason"])
    h = health(e, c)
    assert h["pauses"] == 1 and h["paused_until"] and not h["probation"]
    # Paused accounts are not paused twice; pause_below 0 never pauses.
    assert apply(e, [{"a": c, "lf": 1}]) == []
    assert apply(e, [{"a": a, "lf": 5}], dict(CONF, pause_below=0)) == []
    assert e.account_row(e.accounts[0]["email"])["status"] == "active"
    # The cooldown over: active again, on probation.
    e.sql("UPDATE account_health SET paused_until = now() WHERE account_id = '%s'" % c)
    out = e.sql("SELECT email FROM health_resume()")
    assert out.strip() == e.accounts[2]["email"]
    assert e.account_row(e.accounts[2]["email"])["status"] == "active"
    assert health(e, c)["probation"] is True
    # On probation a success clears it ...
    apply(e, [{"a": c, "ok": 1}])
    assert health(e, c)["probation"] is False


def test_auto_pause_cooldown_and_resume(pg, redis, mailsim, tmp_path, bot):
    sick, well = mailsim.accounts()[:2]
    conf = dict(alerts_conf(bot), health={"login_failure": "30", "cooldown": "3s"})
    e = JobsEnv(pg, redis, mailsim, tmp_path, accounts=[sick, well], conf=conf,
                jobs={"retry_min": "300ms", "retry_max": "300ms"})
    mailsim.post("/control/account", {"email": sick["email"], "outcome": "ratelimit"})
    e.insert([{"email": a["email"], "task": "list_inbox", "max_attempts": 50}
              for a in (sick, well)])
    d = e.warmd()
    harness.wait_for(lambda: e.account_row(sick["email"])["status"] == "suspended",
                     timeout=60, what="sick account paused")
    row = e.account_row(sick["email"])
    # 100 - 30 - 30 - 30 = 10 after three rate-limited logins
    assert row["status_reason"] == "auto-paused: login failures (health 10 < 40)", row
    out = e.ctl("accounts", "--status", "suspended")
    assert out.returncode == 0, out.stderr
    line = [l for l in out.stdout.splitlines() if sick["email"] in l][0]
    assert "auto-paused: login failures" in line and "tried again at" in line, line
    assert well["email"] not in out.stdout
    # The job waits, uncounted by the pause; the healthy account is done.
    job = e.jobs("a.email = '%s'" % sick["email"])[0]
    assert job["status"] in ("new", "running") and job["attempts"] <= 3, job
    harness.wait_for(lambda: e.jobs("a.email = '%s'" % well["email"])[0]["status"] == "done",
                     timeout=30, what="healthy account's job")

    # After the cooldown it is tried once; still rate limited: paused for
    # good, and says so.
    d.wait_log("cooldown over, tried once more", timeout=30)
    harness.wait_for(lambda: "failed again" in (e.account_row(sick["email"])["status_reason"]
                                                or ""), timeout=30, what="paused for good")
    time.sleep(4)                               # longer than the cooldown
    row = e.account_row(sick["email"])
    assert row["status"] == "suspended" and "failed again after its cooldown" in \
        row["status_reason"], row
    out = e.ctl("accounts", "--status", "suspended", "--json")
    acct = [a for a in json.loads(out.stdout) if a["email"] == sick["email"]][0]
    assert acct["paused_until"] is None and acct["health"] < 40, acct
    harness.wait_for(lambda: sum("auto-paused" in t for t in bot.texts()) >= 1, timeout=15,
                     what="alert")
    assert any(sick["email"] in t and "auto-paused" in t for t in bot.texts()), bot.texts()

    # A person fixes the mailbox and lets it out by its reason.
    mailsim.post("/control/account", {"email": sick["email"], "outcome": "success"})
    out = e.ctl("resume", "--all-reason", "AUTO-PAUSED")
    assert out.returncode == 0, out.stderr
    assert "%s: resumed (was: auto-paused" % sick["email"] in out.stdout, out.stdout
    harness.wait_for(lambda: e.jobs("a.email = '%s'" % sick["email"])[0]["status"] == "done",
                     timeout=30, what="resumed account's job")
    out = e.ctl("accounts", "--json")
    acct = [a for a in json.loads(out.stdout) if a["email"] == sick["email"]][0]
    assert acct["status"] == "active" and acct["health"] >= 99, acct
    # Nothing left to resume: exit 1 and says so.
    out = e.ctl("resume", "--all-reason", "auto-paused")
    assert out.returncode == 1 and "no account to resume" in out.stderr
    assert e.ctl("resume").returncode == 2
    d.stop()
    assert d.proc.returncode == 0


def test_challenge_never_resumes_by_itself(pg, redis, mailsim, tmp_path):
    acct = mailsim.accounts()[0]
    e = JobsEnv(pg, redis, mailsim, tmp_path, accounts=[acct],
                conf={"health": {"cooldown": "1s"}})
    mailsim.post("/control/account", {"email": acct["email"], "outcome": "captcha"})
    e.insert([{"email": acct["email"], "task": "list_inbox"}])
    d = e.warmd()
    harness.wait_for(lambda: e.account_row(acct["email"])["status"] == "suspended",
                     timeout=30, what="captcha")
    reason = e.account_row(acct["email"])["status_reason"]
    assert "captcha" in reason.lower() and not reason.startswith("auto-paused"), reason
    time.sleep(20)              # the resume pass runs every 200 ms here
    assert e.account_row(acct["email"])["status"] == "suspended"
    h = health(e, e.account_row(acct["email"])["id"])
    assert h["challenges"] == 1 and h["paused_until"] is None, h
    mailsim.post("/control/account", {"email": acct["email"], "outcome": "success"})
    out = e.ctl("resume", acct["email"].upper())
    assert out.returncode == 0 and "1 account(s) back to work" in out.stdout, out
    e.wait_final(1, timeout=30)
    assert e.counts() == {"done": 1}
    d.stop()
