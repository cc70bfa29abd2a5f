"""Telegram alerts against a local Bot API stand-in (plain HTTP on
loopback, run by the test): warmctl alert-test, alerts raised by the
daemon for accounts that stop working and for campaigns that finish,
folding within the window, retry after Telegram failures, and no secret
in any message or log."""

import signal
import time

import pytest

import harness
from botlib import CHAT, TOKEN, alerts_conf
from jobslib import JobsEnv
from scenlib import ScenEnv, moscow_today


@pytest.fixture(autouse=True)
def stop_daemons():
    yield
    while JobsEnv.live:
        JobsEnv.live.pop().stop_all()


def test_alert_test_sends_one_message(pg, redis, mailsim, tmp_path, bot):
    e = JobsEnv(pg, redis, mailsim, tmp_path, conf=alerts_conf(bot))
    r = e.ctl("alert-test")
    assert r.returncode == 0, r.stderr
    assert len(bot.messages) == 1
    path, form = bot.messages[0]
    assert path == "/bot%s/sendMessage" % TOKEN
    assert form["chat_id"] == [CHAT] and "alert test" in form["text"][0]
    assert TOKEN not in r.stdout + r.stderr
    # a refusal is reported with Telegram's reason and a non-zero status
    bot.fail = [400]
    r = e.ctl("alert-test")
    assert r.returncode == 1 and "HTTP 400: busy" in r.stderr and TOKEN not in r.stderr


def test_alerts_off_and_half_configured(pg, redis, mailsim, tmp_path, bot):
    e = JobsEnv(pg, redis, mailsim, tmp_path)
    r = e.ctl("alert-test")
    assert r.returncode == 1 and "alerts are off" in r.stderr
    e.set_conf({"alerts": {"telegram_token": TOKEN}})
    r = e.ctl("check-config")
    assert r.returncode != 0 and "alerts.telegram_token: needs alerts.telegram_chat_id" \
        in r.stdout + r.stderr, r.stdout + r.stderr


def test_daemon_alerts_fold_retry_and_hold_no_secret(pg, redis, mailsim_factory, tmp_path,
                                                     bot):
    ms = mailsim_factory(generate=6, seed=21)
    bot.fail = [500, 429]
    e = ScenEnv(pg, redis, ms, tmp_path, conf=alerts_conf(bot),
                campaigns={"r": {"kind": "rescue", "subject": "скидка",
                                 "date": moscow_today()}})
    bad = [a["email"] for a in e.accounts[:3]]
    for m in bad:
        ms.post("/control/account", {"email": m, "password": "changed-elsewhere"})
    d = e.warmd()
    e.wait_campaign("r", expect=len(e.accounts), timeout=60)
    # first message after a 500 and a 429 (retry_after 1 s); the two
    # other accounts fold into one message when the 3 s window ends
    harness.wait_for(lambda: any("2 more" in t for t in bot.texts()), timeout=30,
                     what="folded message")
    harness.wait_for(lambda: any("campaigns" in t and "is done" in t for t in bot.texts()),
                     timeout=30, what="campaign alert")
    texts = bot.texts()
    acct = [t for t in texts if ": accounts: " in t]
    assert len(acct) == 2, texts
    assert any(b in acct[0] for b in bad) and "error" in acct[0], acct
    assert "2 more in the last 3 s" in acct[1], acct
    done = [t for t in texts if "is done" in t][0]
    assert "r (rescue) is done: Inbox" in done, done
    assert len(bot.requests) == len(bot.messages) + 2      # the 500 and the 429
    # no password, token or cookie anywhere
    passwords = [a["password"] for a in e.accounts]
    for t in texts:
        assert TOKEN not in t and not any(p in t for p in passwords), t
    log = d.log_text()
    assert TOKEN not in log and "retry in" in log, log[-2000:]
    d.stop()


def test_queue_lag_alert(pg, redis, mailsim, tmp_path, bot):
    conf = alerts_conf(bot, window="1h")
    conf["alerts"]["queue_lag"] = "10s"
    conf["warmd"] = {"max_sessions": "1"}
    conf["session"] = {"pace_min": "3s", "pace_max": "3s"}
    e = JobsEnv(pg, redis, mailsim, tmp_path, conf=conf)
    a, b = e.accounts[0]["email"], e.accounts[1]["email"]
    # one session at a time: b's job, due 30 s ago, waits behind a's three
    e.insert([{"email": a, "task": "list_inbox", "run_after_s": -40} for _ in range(3)] +
             [{"email": b, "task": "list_inbox", "run_after_s": -30}])
    e.warmd()
    harness.wait_for(lambda: any(": queue: " in t for t in bot.texts()), timeout=30,
                     what="queue alert")
    t = [t for t in bot.texts() if ": queue: " in t][0]
    assert "the oldest job due has waited" in t and "(limit 10 s)" in t, t
    e.wait_final(4, timeout=60)
    # one message for the whole window, however many refreshes saw the lag
    time.sleep(6)
    assert len([t for t in bot.texts() if ": queue: " in t]) == 1, bot.texts()


def test_daily_summary_once_for_the_fleet(pg, redis, mailsim, tmp_path, bot):
    """At summary_hour (in time_zone) one message with the day's figures,
    however many processes share the database."""
    hour, minute = map(int, pg.psql(
        "SELECT to_char(now() AT TIME ZONE 'Europe/Moscow', 'HH24 MI')").split())
    if minute >= 58:
        pytest.skip("the Moscow hour is about to change")
    conf = alerts_conf(bot)
    conf["alerts"]["summary_hour"] = str((hour + 1) % 24)     # not yet
    conf["warmd"] = {"time_zone": "Europe/Moscow"}
    e = JobsEnv(pg, redis, mailsim, tmp_path, conf=conf)
    e.insert([{"email": a["email"], "task": "list_inbox"} for a in e.accounts[:3]])
    e.sql("UPDATE accounts SET status = 'error', status_reason = 'wrong password'"
          " WHERE email = '%s'" % e.accounts[-1]["email"])
    env = {"WARMD_TEST_SUMMARY_EVERY_MS": "300"}
    d1, d2 = e.warmd("a", env=env), e.warmd("b", env=env)
    e.wait_final(3, timeout=60)
    time.sleep(1)
    assert not any("Daily summary" in t for t in bot.texts())
    # The hour comes (by a reload here): one of the two sends it.
    e.set_conf({"alerts": {"summary_hour": str(hour)}})
    for d in (d1, d2):
        d.signal(signal.SIGHUP)
    harness.wait_for(lambda: any("Daily summary" in t for t in bot.texts()), timeout=20,
                     what="summary")
    time.sleep(2)                       # both processes have looked several times
    texts = [t for t in bot.texts() if "Daily summary" in t]
    assert len(texts) == 1, texts
    n = len(e.accounts)
    assert "accounts %d active, 0 suspended" % (n - 1) in texts[0], texts[0]
    assert "1 in error" in texts[0] and "3 done, 0 failed" in texts[0], texts[0]
    day = pg.psql("SELECT (now() AT TIME ZONE 'Europe/Moscow')::date")
    assert texts[0].startswith("Daily summary %s" % day) or \
        ("Daily summary %s" % day) in texts[0], texts[0]
    d1.stop()
    d2.stop()
