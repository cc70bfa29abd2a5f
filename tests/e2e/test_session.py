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


# outcome override -> (account status, reason) after a login attempt
OUTCOMES = [
    ("wrong_password", "error", "wrong password"),
    ("captcha", "suspended", "captcha"),
    ("recaptcha", "suspended", "recaptcha"),
    ("twofa", "suspended", "two-factor"),
    ("locked", "suspended", "locked"),
    ("banned", "suspended", "banned"),
]


@pytest.mark.parametrize("auth", ["mobile", "web"])
def test_auth_outcomes(pg, redis, mailsim_factory, tmp_path, auth):
    ms = mailsim_factory(generate=len(OUTCOMES) + 3, seed=3)
    accts = ms.accounts()
    for a, (outcome, _, _) in zip(accts, OUTCOMES):
        ms.post("/control/account", {"email": a["email"], "outcome": outcome})
    q_ok, q_none, limited = accts[len(OUTCOMES)], accts[len(OUTCOMES) + 1], accts[-1]
    ms.post("/control/account", {"email": q_ok["email"], "outcome": "question"})
    ms.post("/control/account", {"email": q_none["email"], "outcome": "question"})
    ms.post("/control/account", {"email": limited["email"], "outcome": "ratelimit"})
    # q_none is imported without its recovery answer
    imported = [dict(a, **{k: ms.get("/account", email=a["email"])[k]
                           for k in ("question", "answer")}) for a in accts]
    imported[len(OUTCOMES) + 1]["answer"] = None
    e = env_for(pg, redis, ms, tmp_path, auth=auth, accounts=imported)
    run = e.drive([{"kind": "list_inbox"}])
    for a, (outcome, status, reason) in zip(accts, OUTCOMES):
        s = run.sessions[a["email"]]
        assert not s["ok"] and s["account_status"] == status and s["reason"] == reason, s
        row = e.account_row(a["email"])
        assert row["status"] == status and row["status_reason"] == reason, row
        act = run.one(a["email"], "list_inbox")
        assert act["status"] == "account", act
    s = run.sessions[q_ok["email"]]
    assert s["ok"] and s["login"] == auth, s
    s = run.sessions[q_none["email"]]
    assert s["account_status"] == "suspended" and "secret question" in s["reason"], s
    s = run.sessions[limited["email"]]
    assert not s["ok"] and s["account_status"] is None and s["transient"], s
    assert run.one(limited["email"], "list_inbox")["status"] == "transient"
    assert e.account_row(limited["email"])["status"] == "active"
    # nobody is retried in a loop: one attempt per account (two for the question)
    for a in accts:
        logins = ms.get("/logins", account=a["email"])
        logins = logins if isinstance(logins, list) else logins.get("logins", [])
        assert 1 <= len(logins) <= 2, (a["email"], logins)


@pytest.mark.parametrize("auth,force,logins", [
    ("web", "token", 1), ("web", "nosdc", 1), ("web", "user", 2),
    ("mobile", "token", 1),
])
def test_403_repairs(pg, redis, ms, tmp_path, auth, force, logins):
    e = env_for(pg, redis, ms, tmp_path, auth=auth)
    me = e.accounts[0]["email"]
    run = e.drive([{"kind": "login"}], emails=[me])
    assert run.sessions[me]["ok"]
    ms.post("/control/account", {"email": me, "force": force})
    run = e.drive([{"kind": "list_inbox"}, {"kind": "list_spam"}], emails=[me])
    assert run.sessions[me]["ok"], run.sessions[me]
    assert run.one(me, "list_inbox")["status"] == "ok"
    assert run.one(me, "list_spam")["status"] == "ok"
    got = ms.get("/logins", account=me)
    got = got if isinstance(got, list) else got.get("logins", [])
    assert len(got) == logins, got


def test_expired_session_logs_in_once_not_in_a_loop(pg, redis, ms, tmp_path):
    """A mailbox whose every session dies at once cannot make warmd loop."""
    e = env_for(pg, redis, ms, tmp_path, auth="web")
    me = e.accounts[0]["email"]
    ms.post("/control/account", {"email": me, "expire_after": 1})
    run = e.drive([{"kind": "list_inbox"}, {"kind": "list_spam"}, {"kind": "list_inbox"}],
                  emails=[me])
    got = ms.get("/logins", account=me)
    got = got if isinstance(got, list) else got.get("logins", [])
    # at most one fresh login per action, whatever the provider does
    assert 1 <= len(got) <= 1 + 3, got
    for a in run.of(me):
        assert a["status"] == "ok" or "again" in a["reason"], a


def test_cyrillic_rescue(pg, redis, ms, tmp_path):
    e = env_for(pg, redis, ms, tmp_path, auth="mobile")
    me = e.accounts[3]["email"]
    ms.post("/control/inject", {"to": me, "from": "sender@warm.example",
                                "from_name": "Отправитель", "folder": 950,
                                "subject": "Счёт за ноябрь — оплата",
                                "text": "Здравствуйте, ваш счёт готов."})
    run = e.drive([{"kind": "list_spam"},
                   {"kind": "not_spam", "select": "listed", "match": "Счёт за ноябрь"}],
                  emails=[me])
    assert run.one(me, "not_spam")["data"]["count"] == 1
    moved = [m for m in letters(ms, me) if m["subject"] == "Счёт за ноябрь — оплата"]
    assert moved[0]["folder"] == "0"
    rows = [r for r in e.mails(me) if r["subject"] == "Счёт за ноябрь — оплата"]
    assert rows and rows[0]["folder"] == "inbox" and rows[0]["sender"] == "sender@warm.example"
    # the other spam letter was left alone
    assert [m for m in letters(ms, me) if m["subject"] == "You are a WINNER"][0]["folder"] == "950"


def test_bad_payload_is_refused_before_any_request(pg, redis, ms, tmp_path):
    e = env_for(pg, redis, ms, tmp_path, auth="mobile")
    me = e.accounts[0]["email"]
    run = e.drive([{"kind": "flag", "ids": ["not an id; DROP"]},
                   {"kind": "list_spam", "mode": "period", "from": "yesterday"},
                   {"kind": "send", "to": "x@mail.ru"}], emails=[me])
    reasons = [a["reason"] for a in run.of(me)]
    assert reasons == ["payload.ids: holds something that is not a mail.ru id",
                       "payload.from: must be unix seconds or an RFC 3339 time",
                       "payload.subject: is required"], reasons
