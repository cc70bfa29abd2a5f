"""The three scenarios end to end: campaigns in the config are planned
into jobs, run against mailsim, and checked on mailsim's inspection data
(what was unspammed, read, flagged, sent, and to whom)."""

import json
import os
import time

import pytest

import harness
from jobslib import JobsEnv
from scenlib import ScenEnv, TEMPLATES, account_ids, draw, moscow_today, now_s

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
    # A seed whose second slots all fall in the past part of the window,
    # so the whole day can run now (slot = 61 min, jitter < 0.9 of it).
    seed = next(s for s in range(1, 500)
                if all(draw(s, "slot", today, i, 1) < 0.9 for i in ids.values())
                and 2 <= sum(draw(s, "join", today, i) < 0.7 for i in ids.values()) < 10)
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
