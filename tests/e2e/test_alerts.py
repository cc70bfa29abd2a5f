"""Telegram alerts against a local Bot API stand-in (plain HTTP on
loopback, run by the test): warmctl alert-test, alerts raised by the
daemon for accounts that stop working and for campaigns that finish,
folding within the window, retry after Telegram failures, and no secret
in any message or log."""

import time

import pytest

import harness
from botlib import BotAPI, CHAT, TOKEN, alerts_conf
from jobslib import JobsEnv
from scenlib import ScenEnv, moscow_today


@pytest.fixture
def bot():
    b = BotAPI()
    yield b
    b.close()


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
