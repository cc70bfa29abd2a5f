"""The three scenarios end to end: campaigns in the config are planned
into jobs, run against mailsim, and checked on mailsim's inspection data
(what was unspammed, read, flagged, sent, and to whom)."""

import json
import os
import time

import pytest

import harness
from jobslib import JobsEnv
from scenlib import (ScenEnv, TEMPLATES, account_ids, draw, moscow_today, now_s,
                     past_slot_seed)

INBOX, SPAM = 0, 950
SUBJ = "Скидка 20% на всё — только сегодня"


@pytest.fixture(autouse=True)
def stop_daemons():
    yield
    while JobsEnv.live:
        JobsEnv.live.pop().stop_all()


def seed_mailing(e, accounts, when):
    """The operator's letter to every account: odd ones in Spam; plus a
    decoy in Spam (other subject) and the same subject three days earlier
    in Spam, which a rescue for today must not touch.  -> {email: (id,
    folder)} of the operator's letters."""
    out = {}
    for i, a in enumerate(accounts):
        f = SPAM if i % 2 else INBOX
        r = e.inject(a["email"], SUBJ, folder=f, date=when)
        out[a["email"]] = (r["id"], f)
        e.inject(a["email"], "Выиграйте iPhone", folder=SPAM, date=when)
        e.inject(a["email"], SUBJ, folder=SPAM, date=when - 3 * 86400)
    return out


def test_rescue_unspams_exactly_the_matching_letters(pg, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=12, seed=3)
    e = ScenEnv(pg, redis, ms, tmp_path, campaigns={"r1": {
        "kind": "rescue", "subject": "СКИДКА 20%", "date": moscow_today(),
        "mark_read": "yes", "flag": "yes", "holdout": "25%", "seed": "42"}})
    when = now_s() - 60
    letters = seed_mailing(e, e.accounts, when)
    d = e.warmd()
    jobs = e.wait_campaign("r1", expect=len(e.accounts))
    assert len(jobs) == len(e.accounts), jobs
    assert all(j["status"] == "done" and j["task"] == "rescue" for j in jobs), jobs
    holdout = {j["email"] for j in jobs if j["result"]["observe"]}
    assert 0 < len(holdout) < len(jobs), holdout
    for j in jobs:
        mid, folder = letters[j["email"]]
        r = j["result"]
        assert r["placement"] == ("spam" if folder == SPAM else "inbox"), j
        assert (r["inbox"], r["spam"]) == ((0, 1) if folder == SPAM else (1, 0)), j
        reports = [x for x in e.reports(j["email"]) if x["kind"] == "unspam"]
        box = {m["id"]: m for m in e.mailbox(j["email"])}
        if j["email"] in holdout:
            # observes only: nothing moved, read or flagged
            assert reports == [] and "steps" not in r, (j, reports)
            assert box[mid]["folder"] == str(folder) and box[mid]["flags"]["unread"], box[mid]
            continue
        # exactly the operator's letter of today was reported not-spam
        assert [x["message"] for x in reports] == ([mid] if folder == SPAM else []), reports
        assert box[mid]["folder"] == "0", box[mid]
        assert box[mid]["flags"]["flagged"] and not box[mid]["flags"]["unread"], box[mid]
        decoys = [m for m in box.values() if m["id"] != mid and m["folder"] == "950"]
        assert len(decoys) >= 2, box     # the decoy and the older letter stay in Spam
        assert r["steps"]["not_spam"]["status"] == "ok", r
    # the campaign is over, and the table says how it went
    harness.wait_for(lambda: e.campaign("r1")["status"] == "done", timeout=20,
                     what="campaign done")
    c = e.campaign("r1")
    assert c["source"] == "config" and c["origin"].endswith(":%d" % conf_line(e, "r1")), c
    # the planner comes back every second: still one job per account
    time.sleep(2.5)
    assert len(e.campaign_jobs("r1")) == len(e.accounts)
    rows = e.sql("SELECT count(*) FROM mails WHERE folder = 'inbox' AND flagged"
                 " AND status = 'read' AND subject = '%s'" % SUBJ)
    assert int(rows) == len(e.accounts) - len(holdout)
    d.stop()


def conf_line(e, name):
    for i, l in enumerate(e.conf.read_text().splitlines(), 1):
        if l.strip() == "[campaign %s]" % name:
            return i
    raise AssertionError("no section")


def test_engage_replies_in_thread_to_the_seeded_sample(pg, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=20, seed=4)
    tpl = os.path.join(TEMPLATES, "engage-ru.tpl")
    e = ScenEnv(pg, redis, ms, tmp_path, campaigns={"e1": {
        "kind": "engage", "subject": "скидка 20%", "date": moscow_today(),
        "percent": "30%", "reply_template": tpl, "seed": "7"}})
    when = now_s() - 60
    letters = seed_mailing(e, e.accounts, when)
    ids = account_ids(e)
    want = {m for m, i in ids.items() if draw(7, "engage", "", i) * 100 < 30}
    assert 0 < len(want) < len(ids)
    d = e.warmd()
    jobs = e.wait_campaign("e1", expect=len(want))
    assert {j["email"] for j in jobs} == want, jobs
    assert all(j["status"] == "done" and j["task"] == "engage" for j in jobs), jobs
    for j in jobs:
        mid, folder = letters[j["email"]]
        orig = {m["id"]: m for m in e.mailbox(j["email"])}[mid]
        sent = [s for s in e.sent(j["email"]) if s["account"] == j["email"]]
        assert len(sent) == 1, sent
        h = sent[0]["headers"]
        # threaded: answers the operator's letter, to its sender
        assert h["In-Reply-To"] == orig["message_id"], (h, orig)
        assert orig["message_id"] in h["References"], h
        assert h["To"] == "news@shop.example" and h["Subject"] == "Re: " + SUBJ, h
        # rendered: no template syntax left, the deferred subject filled
        text = sent[0]["text"]
        assert "{" not in text and "}" not in text and "|" not in text, text
        assert j["result"]["steps"]["reply"]["status"] == "ok", j
        # a letter found in Spam was rescued before the reply
        assert orig["folder"] == "0", orig
        assert orig["flags"]["reply"] and not orig["flags"]["unread"], orig
    # a second campaign with the same seed picks the same accounts
    e.campaigns["e2"] = dict(e.campaigns["e1"], date=moscow_today(-1))
    e.reload(d)
    jobs2 = e.wait_campaign("e2", expect=len(want))
    assert {j["email"] for j in jobs2} == want
    # nothing of e1 ran again
    assert len(e.campaign_jobs("e1")) == len(want)
    assert sum(len([s for s in e.sent(m) if s["account"] == m]) for m in want) == len(want)
    d.stop()


def msk_window(before_min, after_min):
    """Working hours from before_min minutes ago to after_min from now, in
    Moscow time, or skip when that crosses midnight."""
    import datetime
    from scenlib import MSK
    now = datetime.datetime.now(MSK)
    mins = now.hour * 60 + now.minute
    if mins - before_min < 0 or mins + after_min >= 24 * 60:
        pytest.skip("too close to midnight in Moscow")
    f = lambda m: "%02d:%02d" % divmod(m, 60)
    return "%s-%s" % (f(mins - before_min), f(mins + after_min + 1)), mins - before_min


def warm_keys(seed, hours, **kw):
    k = {"kind": "warmup", "join_probability": "70%", "recipients": "3",
         "letters_start": "2", "letters_increase": "1", "letters_max": "5",
         "start_date": moscow_today(), "min_gap": "1s", "reply_delay": "1s-3s",
         "open_probability": "1", "flag_probability": "0.5",
         "reply_probability": "0.5", "seed": str(seed), "hours": hours,
         "letter_template": os.path.join(TEMPLATES, "warmup-ru.tpl") + ", " +
         os.path.join(TEMPLATES, "warmup-en.tpl"),
         "reply_template": os.path.join(TEMPLATES, "reply-ru.tpl")}
    k.update(kw)
    return k


def test_warmup_day_follows_the_plan(pg, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=10, seed=5)
    hours, _ = msk_window(121, 1)
    e = ScenEnv(pg, redis, ms, tmp_path, jobs={"daily_caps": "send:50"})
    ids = account_ids(e)
    today = moscow_today()
    seed = past_slot_seed(ids, today, also=lambda s: 2 <= sum(
        draw(s, "join", today, i) < 0.7 for i in ids.values()) < 10)
    joined = {m for m, i in ids.items() if draw(seed, "join", today, i) < 0.7}
    e.campaigns["w1"] = warm_keys(seed, hours)
    e.write_campaigns()
    d = e.warmd()
    harness.wait_for(lambda: len(e.campaign_jobs("w1")) > 0, timeout=30, what="plan")
    jobs = e.wait_campaign("w1", timeout=120)
    sends = [j for j in jobs if j["task"] == "send"]
    recvs = [j for j in jobs if j["task"] == "warm_receive"]
    assert {j["email"] for j in sends} == joined
    assert len(recvs) == len(sends) and all(j["status"] == "done" for j in jobs), \
        [(j["email"], j["task"], j["status"], j["error"]) for j in jobs if j["status"] != "done"]
    by_sender = {}
    for j in sends:
        by_sender.setdefault(j["email"], []).append(j)
    for m, js in by_sender.items():
        # start volume 2 on day 0, no variance: two letters each
        assert len(js) == 2, js
        out = [s for s in e.sent(m) if s["account"] == m and not s["headers"]["In-Reply-To"]]
        rcpts = {s["headers"]["To"] for s in out}
        assert len(out) == 2 and m not in rcpts and len(rcpts) == 2, out
        assert all(r in ids for r in rcpts), rcpts
        for s in out:
            assert "{" not in s["text"] and s["headers"]["Subject"], s
    replies = 0
    for j in recvs:
        r = j["result"]
        assert r["placement"] in ("inbox", "spam"), j
        assert r["steps"]["mark_read"]["status"] == "ok", j
        if r["placement"] == "spam":
            assert r["steps"]["not_spam"]["count"] == 1, j
        if "reply" in r["steps"]:
            replies += 1
            mine = [s for s in e.sent(j["email"]) if s["account"] == j["email"]
                    and s["headers"]["In-Reply-To"]]
            assert mine, j
    # the recipients' letters are read, flagged as planned, and in Inbox
    for j in recvs:
        box = e.mailbox(j["email"])
        mine = [m for m in box if j["result"]["letters"][0]["message_id"] == m["id"]]
        assert mine and mine[0]["folder"] == "0" and not mine[0]["flags"]["unread"], mine
        assert mine[0]["flags"]["flagged"] == ("flag" in j["result"]["steps"]), (j, mine)
    assert 0 < replies < len(recvs)
    d.stop()


def test_reload_mid_run_edits_without_repeating_or_losing_work(pg, redis, mailsim_factory,
                                                               tmp_path):
    ms = mailsim_factory(generate=30, seed=6)
    e = ScenEnv(pg, redis, ms, tmp_path, campaigns={"r2": {
        "kind": "rescue", "subject": "скидка 20%", "date": moscow_today(), "seed": "5"}},
        conf={"warmd": {"max_sessions": "2"},
              "session": {"pace_min": "150ms", "pace_max": "150ms"}})
    letters = seed_mailing(e, e.accounts, now_s() - 60)
    d = e.warmd()
    harness.wait_for(lambda: 3 <= len(e.campaign_jobs("r2", "j.status = 'done'")),
                     timeout=60, what="a few rescues done")
    e.campaigns["r2"]["flag"] = "yes"
    e.reload(d)
    jobs = e.wait_campaign("r2", expect=len(e.accounts), timeout=180)
    # one job per account, all done: the edit neither repeated nor lost one
    assert sorted(j["email"] for j in jobs) == sorted(a["email"] for a in e.accounts)
    assert all(j["status"] == "done" for j in jobs), jobs
    flagged = {j["email"] for j in jobs if "flag" in j["result"].get("steps", {})}
    # the edit applied from then on, not to what was already done
    assert 0 < len(flagged) < len(jobs), flagged
    for j in jobs:
        mid, folder = letters[j["email"]]
        box = {m["id"]: m for m in e.mailbox(j["email"])}
        assert box[mid]["flags"]["flagged"] == (j["email"] in flagged), (j, box[mid])
        unspam = [x for x in e.reports(j["email"]) if x["kind"] == "unspam"]
        assert len(unspam) == (1 if folder == SPAM else 0), unspam
    assert "reload complete" in d.log_text()
    d.stop()


def test_working_hours_hold_jobs_and_removal_cancels_them(pg, redis, mailsim_factory,
                                                          tmp_path):
    import datetime
    from scenlib import MSK
    now = datetime.datetime.now(MSK)
    mins = now.hour * 60 + now.minute
    if mins + 180 >= 24 * 60:
        pytest.skip("no working hours left today in Moscow for this test")
    start = mins + 120
    hours = "%02d:%02d-%02d:%02d" % (start // 60, start % 60, (start + 60) // 60,
                                     (start + 60) % 60)
    ms = mailsim_factory(generate=8, seed=8)
    e = ScenEnv(pg, redis, ms, tmp_path, campaigns={
        "w2": warm_keys(3, hours, join_probability="100%"),
        "r3": {"kind": "rescue", "subject": "скидка", "date": moscow_today(),
               "hours": hours}})
    d = e.warmd()
    harness.wait_for(lambda: len(e.campaign_jobs("w2")) > 0 and
                     len(e.campaign_jobs("r3")) == len(e.accounts),
                     timeout=30, what="plans")
    time.sleep(3)
    # planned for the window, nothing ran before it
    opens = e.sql("SELECT count(*) FROM jobs WHERE run_after < now() + interval '110 minutes'")
    assert opens == "0", e.sql("SELECT task, run_after FROM jobs ORDER BY run_after LIMIT 5")
    assert all(j["status"] == "new" and j["attempts"] == 0 for j in e.jobs()), e.jobs()
    assert ms.get("/sent") == [] and ms.get("/logins") == []
    # w2 leaves the config: it is cancelled with its pending jobs; r3 stays
    del e.campaigns["w2"]
    e.reload(d)
    harness.wait_for(lambda: e.campaign("w2")["status"] == "cancelled", timeout=20,
                     what="w2 cancelled")
    w2 = e.campaign_jobs("w2")
    assert w2 and all(j["status"] == "cancelled" and
                      j["error"] == "campaign removed from the config" for j in w2), w2
    assert e.campaign("w2")["reason"] == "removed from the config"
    assert all(j["status"] == "new" for j in e.campaign_jobs("r3"))
    # back in the config: the same jobs come back, none added twice
    e.campaigns["w2"] = warm_keys(3, hours, join_probability="100%")
    e.reload(d)
    harness.wait_for(lambda: all(j["status"] == "new" for j in e.campaign_jobs("w2")),
                     timeout=20, what="w2 back")
    assert len(e.campaign_jobs("w2")) == len(w2)
    d.stop()


def test_daily_cap_holds_warmup_sends(pg, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=6, seed=9)
    hours, _ = msk_window(121, 1)
    e = ScenEnv(pg, redis, ms, tmp_path, jobs={"daily_caps": "send:1"})
    ids = account_ids(e)
    today = moscow_today()
    seed = past_slot_seed(ids, today)
    e.campaigns["w3"] = warm_keys(seed, hours, join_probability="100%",
                                  reply_probability="0")
    del e.campaigns["w3"]["reply_template"]
    e.write_campaigns()
    d = e.warmd()
    harness.wait_for(lambda: len(e.campaign_jobs("w3", "j.task = 'send'")) == 2 * len(ids) and
                     len(e.campaign_jobs("w3", "j.task = 'send' AND j.status = 'done'")) ==
                     len(ids), timeout=120, what="one send each")
    time.sleep(2)
    for m in ids:
        mine = [s for s in e.sent(m) if s["account"] == m]
        assert len(mine) == 1, mine
    held = e.campaign_jobs("w3", "j.task = 'send' AND j.status = 'new'")
    assert len(held) == len(ids), held
    later = e.sql("SELECT count(*) FROM jobs WHERE task = 'send' AND status = 'new'"
                  " AND run_after >= date_trunc('day', now() AT TIME ZONE 'Europe/Moscow')"
                  " AT TIME ZONE 'Europe/Moscow' + interval '1 day'")
    assert int(later) == len(ids)
    d.stop()


def test_bad_campaign_is_rejected_with_its_line_and_the_old_one_runs(pg, redis, mailsim,
                                                                     tmp_path):
    e = ScenEnv(pg, redis, mailsim, tmp_path, campaigns={"r4": {
        "kind": "rescue", "subject": "скидка", "date": moscow_today()}})
    d = e.warmd()
    harness.wait_for(lambda: len(e.campaign_jobs("r4")) == len(e.accounts), timeout=30,
                     what="r4 planned")
    import subprocess
    t = subprocess.run([harness.program("src/warmd"), "-t", "-c", str(e.conf)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert t.returncode == 0, t.stderr
    assert "campaign r4 (rescue) from %s:%d" % (e.conf, conf_line(e, "r4")) in t.stderr, t.stderr
    bad_tpl = tmp_path / "bad.tpl"
    bad_tpl.write_text("[body]\nHi {{nobody}}\n")
    e.campaigns["r5"] = {"kind": "engage", "subject": "x", "date": "2026-13-40",
                         "percent": "15%", "reply_template": str(bad_tpl), "colour": "red"}
    e.reload(d)
    harness.wait_for(lambda: "reload failed" in d.log_text(), timeout=20, what="reload fails")
    log = d.log_text()
    lines = e.conf.read_text().splitlines()
    at = lambda k: conf_line(e, "r5") + [l.split("=")[0].strip()
                                         for l in lines[conf_line(e, "r5"):]].index(k) + 1
    assert "%s:%d: campaign r5.colour" % (e.conf, at("colour")) in log, log[-3000:]
    assert "%s:%d: campaign r5.date" % (e.conf, at("date")) in log, log[-3000:]
    assert "%s:2" % bad_tpl in log, log[-3000:]
    r = e.ctl("check-config")
    assert r.returncode != 0 and "colour" in r.stdout + r.stderr
    t = subprocess.run([harness.program("src/warmd"), "-t", "-c", str(e.conf)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert t.returncode == 1 and "campaign r5.colour: unknown key" in t.stderr, t.stderr
    # the running config kept going: r4 runs, r5 never reached the table
    e.wait_campaign("r4", expect=len(e.accounts))
    assert e.campaign("r5") is None
    d.stop()


def test_body_match_and_a_campaign_from_warmctl(pg, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=4, seed=10)
    e = ScenEnv(pg, redis, ms, tmp_path)
    when = now_s() - 60
    want, other = {}, {}
    for a in e.accounts:
        m = a["email"]
        want[m] = e.inject(m, "Новости недели", folder=SPAM, date=when,
                           text="Ваш ПРОМОКОД bf-2026 действует до пятницы")["id"]
        # the provider's search finds this one too (subject), the body does not match
        other[m] = e.inject(m, "промокод bf-2026?", folder=SPAM, date=when,
                            text="Ничего интересного")["id"]
    d = e.warmd()
    r = e.ctl("rescue", "--body", "промокод BF-2026", "--date", "today", "--mark-read",
              "--name", "cli-body")
    assert r.returncode == 0, r.stdout + r.stderr
    jobs = e.wait_campaign("cli-body", expect=len(e.accounts), timeout=60)
    assert e.campaign("cli-body")["source"] == "cli"
    for j in jobs:
        m = j["email"]
        assert j["status"] == "done" and j["result"]["placement"] == "spam", j
        assert [l["message_id"] for l in j["result"]["letters"]] == [want[m]], j
        unspam = [x["message"] for x in e.reports(m) if x["kind"] == "unspam"]
        assert unspam == [want[m]], unspam
        box = {x["id"]: x for x in e.mailbox(m)}
        assert box[other[m]]["folder"] == "950" and box[want[m]]["folder"] == "0"
    # the report agrees with what happened
    rep = json.loads(e.ctl("report", "cli-body", "--json").stdout)
    w = rep["placement_total"]["warmed"]
    assert (w["inbox"], w["spam"], w["none"]) == (0, len(e.accounts), 0), rep
    assert rep["failures"]["jobs"] == 0, rep
    # a mailbox whose password was changed elsewhere: its rescue cannot
    # run, and the report says which account and why
    bad = e.accounts[0]["email"]
    ms.post("/control/account", {"email": bad, "password": "changed-elsewhere"})
    redis.command("FLUSHALL")
    r = e.ctl("rescue", "--subject", "Новости недели", "--date", "today", "--name", "cli-2")
    assert r.returncode == 0, r.stdout + r.stderr
    harness.wait_for(lambda: e.account_row(bad)["status"] == "error", timeout=60,
                     what="account error")
    e.wait_campaign("cli-2", expect=len(e.accounts) - 1, timeout=60)
    rep = json.loads(e.ctl("report", "cli-2", "--json").stdout)
    f = rep["failures"]
    assert f["accounts_failed"] == 1 and f["accounts"][0]["email"] == bad, f
    assert f["accounts"][0]["error"].startswith("account error: "), f
    assert "password" in f["accounts"][0]["error"], f
    d.stop()


def test_warmup_recipients_follow_the_link(pg, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=3, seed=13)
    hours, _ = msk_window(121, 1)
    tpl = tmp_path / "link.tpl"
    tpl.write_text("[subject]\n{Фото|Фотки} с выходных\n[body]\nСмотри: "
                   "https://photos.example/album\n[html]\n<p>Смотри "
                   "<a href=\"https://photos.example/album\">{Открыть|открыть} альбом</a></p>\n")
    e = ScenEnv(pg, redis, ms, tmp_path)
    ids = account_ids(e)
    today = moscow_today()
    seed = past_slot_seed(ids, today, slot=0)
    e.campaigns["w4"] = warm_keys(seed, hours, join_probability="100%", recipients="1",
                                  letters_start="1", letters_max="1", reply_probability="0",
                                  click_probability="1", click_anchor="открыть альбом",
                                  letter_template=str(tpl))
    del e.campaigns["w4"]["reply_template"]
    e.write_campaigns()
    d = e.warmd()
    harness.wait_for(lambda: len(e.campaign_jobs("w4")) == 2 * len(ids), timeout=30,
                     what="plan")
    jobs = e.wait_campaign("w4", timeout=120)
    recv = [j for j in jobs if j["task"] == "warm_receive"]
    assert all(j["status"] == "done" for j in jobs), jobs
    clicks = ms.get("/clicks")
    clicks = clicks if isinstance(clicks, list) else clicks.get("clicks", clicks)
    for j in recv:
        assert j["result"]["steps"]["click_link"]["status"] == "ok", j
        assert any(c.get("url") == "https://photos.example/album" and
                   c.get("account") == j["email"] for c in clicks), (j["email"], clicks)
    d.stop()


def test_end_of_working_day_keeps_receives_of_sent_letters(pg, redis, mailsim_factory,
                                                          tmp_path):
    """When the working hours end, today's letters drop out of the plan;
    a letter already sent keeps its recipient's job (due the next working
    day when its delay ends after the hours), unsent ones are cancelled."""
    ms = mailsim_factory(generate=4, seed=14)
    # The hours end with the next minute: start early in a minute, so the
    # sends have most of it even on a slow (sanitizer) build.
    import datetime
    sec = datetime.datetime.now().second
    if sec > 15:
        time.sleep(61 - sec)
    hours, _ = msk_window(121, 0)
    e = ScenEnv(pg, redis, ms, tmp_path)
    ids = account_ids(e)
    today = moscow_today()
    seed = past_slot_seed(ids, today)
    e.campaigns["w5"] = warm_keys(seed, hours, join_probability="100%", recipients="1",
                                  reply_delay="3h")
    e.write_campaigns()
    end = hours.split("-")[1]
    d = e.warmd()
    harness.wait_for(lambda: len(e.campaign_jobs("w5", "j.task = 'send' AND"
                                                 " j.status = 'done'")) == 2 * len(ids),
                     timeout=60, what="sends")
    # past the end of the hours, and two planner passes later
    harness.wait_for(lambda: e.sql("SELECT to_char(now() AT TIME ZONE 'Europe/Moscow',"
                                   " 'HH24:MI') >= '%s'" % end) == "t",
                     timeout=150, interval=1, what="end of hours")
    time.sleep(3)
    recv = e.campaign_jobs("w5", "j.task = 'warm_receive'")
    assert len(recv) == 2 * len(ids), recv
    assert all(j["status"] == "new" for j in recv), recv
    later = e.sql("SELECT count(*) FROM jobs WHERE task = 'warm_receive' AND run_after >"
                  " now() + interval '6 hours'")
    assert int(later) == len(recv)
    d.stop()


def test_planning_again_does_not_lock_the_jobs(pg, redis, mailsim_factory, tmp_path):
    """A pass that changes nothing must not take the campaign's job rows:
    a claim or an outcome holding one of them would stall the planner
    (and the planner them)."""
    import subprocess
    import threading
    ms = mailsim_factory(generate=3, seed=15)
    e = ScenEnv(pg, redis, ms, tmp_path, campaigns={"r6": {
        "kind": "rescue", "subject": "скидка", "date": moscow_today(),
        "weekdays": "mon-sun", "hours": "00:00-00:01"}})
    d = e.warmd()
    harness.wait_for(lambda: len(e.campaign_jobs("r6")) == len(e.accounts), timeout=30,
                     what="planned")
    job = e.campaign_jobs("r6")[0]["id"]
    pg_ = e.pg
    holder = subprocess.Popen(
        [harness._pg_bin("psql"), "-X", "-q", "-h", pg_.sock, "-p", str(pg_.port), "-U",
         pg_.user, "-d", pg_.dbname, "-c",
         "BEGIN; SELECT 1 FROM jobs WHERE id = %s FOR UPDATE; SELECT pg_sleep(6); COMMIT;" % job],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1)
        before = e.sql("SELECT planned_at FROM campaigns WHERE name = 'r6'")
        harness.wait_for(lambda: e.sql("SELECT planned_at FROM campaigns WHERE name = 'r6'")
                         != before, timeout=4, interval=0.2, what="a pass while a job is locked")
    finally:
        holder.wait(20)
    assert holder.returncode == 0
    d.stop()
