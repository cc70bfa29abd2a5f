"""acctstore.c and mailstore.c against a real PostgreSQL, through
tests/io/acctstore_check: accounts load with their secrets decrypted (a row
that does not decrypt is skipped and named), statuses and logins are
recorded, a password warmd changed survives a re-import of the unchanged
account line (warmctl import and warmd's SIGHUP) but not an edited one, and
listing pages and actions land in mails without duplicates."""

import json
import signal
import subprocess
import types

import pytest

import harness
from test_import import Env, counts
from test_daemon import Warmd
from test_import_session import COOKIES


def check(env, *args, ok=True):
    """Run acctstore_check; returns (JSON lines, stderr)."""
    argv = [harness.program("tests/io/acctstore_check"), "-c", env.pg.conninfo(),
            "-k", str(env.key)] + list(args)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    assert lines and "ok" in lines[-1], r.stdout + r.stderr
    assert lines[-1]["ok"] == (1 if ok else 0), r.stdout + r.stderr
    assert r.returncode == (0 if ok else 1), r.stderr
    return lines[:-1], r.stderr


def load(env, *emails, active=False):
    out, err = check(env, "load", *((["-a"] if active else []) + list(emails)))
    return {a["email"]: a for a in out}, err


def ids(env):
    return dict(l.split("|") for l in env.pg.psql(
        "SELECT email, id FROM accounts").split("\n"))


def row(env, email, cols):
    out = env.pg.psql("SELECT row_to_json(a) FROM (SELECT %s FROM accounts WHERE email = '%s') a"
                      % (cols, email))
    return json.loads(out)


@pytest.fixture
def env(pg, tmp_path):
    e = Env(pg, tmp_path)
    e.write(["a@mail.ru;PwA\"{},'\\;socks5://pu:ProxyPw1@10.0.0.1:1080",
             "b@mail.ru;PwB;;имя кота;Барсик;Mozilla/5.0 test",
             "c@mail.ru;PwC;",
             "d@mail.ru;PwD;"])
    r = e.import_()
    assert r.returncode == 0, r.stderr
    return e


def test_load_decrypts_and_skips_what_does_not(env, tmp_path):
    f = tmp_path / "cookies.txt"
    f.write_text(COOKIES.replace("user0001@", "c@"))
    assert env.run("import-session", "c@mail.ru", str(f)).returncode == 0
    assert env.run("set-auth", "c@mail.ru", "cookies,web").returncode == 0
    accts, err = load(env)
    assert sorted(accts) == ["a@mail.ru", "b@mail.ru", "c@mail.ru", "d@mail.ru"]
    a, b, c = accts["a@mail.ru"], accts["b@mail.ru"], accts["c@mail.ru"]
    assert a["password"] == "PwA\"{},'\\"
    assert a["proxy_uri"] == "socks5://pu:ProxyPw1@10.0.0.1:1080"
    assert a["question"] is None and a["answer"] is None and a["cookies"] is None
    assert a["auth_methods"] is None and a["status"] == "active"
    assert (b["question"], b["answer"], b["user_agent"]) == ("имя кота", "Барсик",
                                                            "Mozilla/5.0 test")
    assert a["user_agent"].startswith("Mozilla/5.0 (")
    assert c["auth_methods"] == "cookies,web"
    assert "\tMpop\t1700000000:" in c["cookies"] and c["cookies"].count("\n") == 3
    assert a["id"] == ids(env)["a@mail.ru"]

    # A blob copied from another row is bound to that row's id: d is skipped
    # and named, the others still load.
    env.pg.psql("UPDATE accounts SET password = (SELECT password FROM accounts"
                " WHERE email = 'c@mail.ru') WHERE email = 'd@mail.ru'")
    accts, err = load(env)
    assert sorted(accts) == ["a@mail.ru", "b@mail.ru", "c@mail.ru"]
    assert "account d@mail.ru: stored secrets do not decrypt" in err
    # So is one whose answer or session is damaged.
    env.pg.psql("UPDATE accounts SET recovery_answer = '\\x01deadbeef' WHERE email = 'b@mail.ru'")
    env.pg.psql("UPDATE accounts SET imported_session = (SELECT imported_session FROM accounts"
                " WHERE email = 'c@mail.ru') WHERE email = 'a@mail.ru'")
    accts, err = load(env)
    assert sorted(accts) == ["c@mail.ru"]
    for e in ("a", "b", "d"):
        assert "account %s@mail.ru: stored secrets do not decrypt" % e in err
    for s in ("PwA", "PwB", "PwC", "PwD", "Барсик", "ProxyPw1"):
        assert s not in err

    # By email (case does not matter), and only the active ones.
    env.pg.psql("UPDATE accounts SET imported_session = NULL WHERE email = 'a@mail.ru'")
    env.write(["a@mail.ru;PwA2;", "b@mail.ru;PwB2;", "c@mail.ru;PwC;", "d@mail.ru;PwD2;"])
    assert env.import_().returncode == 0
    accts, _ = load(env, "B@Mail.RU", "c@mail.ru", "nobody@mail.ru")
    assert sorted(accts) == ["b@mail.ru", "c@mail.ru"]
    assert accts["b@mail.ru"]["password"] == "PwB2"
    check(env, "set-status", ids(env)["c@mail.ru"], "suspended", "captcha")
    accts, _ = load(env, active=True)
    assert sorted(accts) == ["a@mail.ru", "b@mail.ru", "d@mail.ru"]
    accts, _ = load(env, "c@mail.ru", active=True)
    assert accts == {}


def test_set_status_and_login(env):
    i = ids(env)["a@mail.ru"]
    cols = "status, status_reason, last_error, consecutive_failures, last_login_at, exit_ip"
    check(env, "set-status", i, "error", "wrong password")
    check(env, "set-status", i, "error", "wrong password again")
    r = row(env, "a@mail.ru", cols)
    assert (r["status"], r["status_reason"], r["last_error"], r["consecutive_failures"]) == \
        ("error", "wrong password again", "wrong password again", 2)
    # Active: a clean slate, but the last error stays for the record.
    check(env, "set-status", i, "active")
    r = row(env, "a@mail.ru", cols)
    assert (r["status"], r["status_reason"], r["last_error"], r["consecutive_failures"]) == \
        ("active", None, "wrong password again", 0)
    check(env, "set-status", i, "suspended", "captcha")
    r = row(env, "a@mail.ru", cols)
    assert (r["status"], r["status_reason"], r["consecutive_failures"]) == \
        ("suspended", "captcha", 1)
    # Refused by the table, or no such row: not ok, and said why.
    _, err = check(env, "set-status", i, "bogus", "x", ok=False)
    assert "set status: refused" in err and "check constraint" in err
    _, err = check(env, "set-status", "00000000-0000-4000-8000-000000000000", "error",
                   ok=False)
    assert "no such account" in err

    check(env, "login-ok", i, "203.0.113.7")
    r = row(env, "a@mail.ru", cols)
    assert r["exit_ip"] == "203.0.113.7" and r["last_login_at"] is not None
    assert r["consecutive_failures"] == 0
    check(env, "login-ok", i)
    assert row(env, "a@mail.ru", "exit_ip")["exit_ip"] == "203.0.113.7"
    # A broken echo reply costs the address, not the login record.
    env.pg.psql("UPDATE accounts SET last_login_at = NULL")
    check(env, "login-ok", i, "not an ip'); DROP TABLE accounts; --")
    r = row(env, "a@mail.ru", cols)
    assert r["exit_ip"] == "203.0.113.7" and r["last_login_at"] is not None
    check(env, "login-ok", i, "2001:db8::1")
    assert row(env, "a@mail.ru", "exit_ip")["exit_ip"] == "2001:db8::1"


def test_set_password_survives_reimport_of_the_same_line(env):
    i = ids(env)["c@mail.ru"]
    before = row(env, "c@mail.ru", "password_fp, password_changed_at")
    assert before["password_changed_at"] is None
    check(env, "set-password", i, "Changed-By-Warmd-1")
    after = row(env, "c@mail.ru", "password_fp, password_changed_at, encode(password, 'hex')"
                " AS pw")
    assert after["password_fp"] == before["password_fp"]
    assert after["password_changed_at"] is not None
    assert env.unseal(after["pw"], i) == "Changed-By-Warmd-1"
    assert load(env, "c@mail.ru")[0]["c@mail.ru"]["password"] == "Changed-By-Warmd-1"

    # The file still says PwC: a re-import sees no change and keeps ours.
    r = env.import_()
    assert r.returncode == 0, r.stderr
    assert counts(r.stdout)["unchanged"] == 4
    assert load(env, "c@mail.ru")[0]["c@mail.ru"]["password"] == "Changed-By-Warmd-1"

    # The operator edits the line: the file wins.
    env.write(["a@mail.ru;PwA\"{},'\\;socks5://pu:ProxyPw1@10.0.0.1:1080",
               "b@mail.ru;PwB;;имя кота;Барсик;Mozilla/5.0 test",
               "c@mail.ru;PwC-new;", "d@mail.ru;PwD;"])
    r = env.import_()
    assert counts(r.stdout)["changed"] == 1
    assert load(env, "c@mail.ru")[0]["c@mail.ru"]["password"] == "PwC-new"
    _, err = check(env, "set-password", "00000000-0000-4000-8000-000000000000", "x", ok=False)
    assert "no such account" in err


def test_set_password_survives_sighup(pg, redis, tmp_path):
    w = Warmd(pg, redis, tmp_path)
    w.write_conf()
    w.migrate()
    w.write_accounts(["x@mail.ru;PwX;", "y@mail.ru;PwY;"])
    w.start()
    try:
        # warmd starts on the new schema and syncs.
        w.wait_synced(1)
        env = types.SimpleNamespace(pg=pg, key=w.key)
        i = ids(env)["x@mail.ru"]
        check(env, "set-password", i, "NewX")
        w.proc.signal(signal.SIGHUP)
        w.wait_synced(2)
        assert load(env, "x@mail.ru")[0]["x@mail.ru"]["password"] == "NewX"
        w.write_accounts(["x@mail.ru;PwX-edited;", "y@mail.ru;PwY;"])
        w.proc.signal(signal.SIGHUP)
        w.wait_synced(3)
        assert load(env, "x@mail.ru")[0]["x@mail.ru"]["password"] == "PwX-edited"
        assert "NewX" not in w.log() and "PwX" not in w.log()
    finally:
        assert w.proc.stop() == 0


def mails(env):
    out = env.pg.psql("SELECT row_to_json(m) FROM (SELECT message_id, mail_id, folder, status,"
                      " flagged, subject, sender, extract(epoch FROM received_at)::bigint AS"
                      " received, body, actions, last_action, acted_at IS NOT NULL AS acted,"
                      " job_id, updated_at FROM mails ORDER BY message_id) m")
    return {m["message_id"]: m for m in (json.loads(l) for l in out.split("\n") if l)}


PAGE = {
    "threads": [
        {"id": "1:0123456789abcdef:950", "last": "17000000010000000001", "subject": "Привет",
         "from_email": "boss@example.com", "date": 1700000001, "unread": True},
        {"id": "0:17000000020000000002:950", "subject": "no last",
         "from_email": "x@example.com", "date": 1700000002, "flagged": True},
    ],
    "msgs": [
        {"id": "17000000030000000003", "thread_id": "1:fedcba9876543210:950",
         "subject": "quote \" and \\ and '", "from_email": "y@example.com",
         "date": 1700000003, "unread": True},
        {"id": "17000000040000000004", "subject": "single", "date": 0},
        # The same letter twice on one page: one row, the later entry wins.
        {"id": "17000000030000000003", "thread_id": "1:fedcba9876543210:950",
         "subject": "quote \" and \\ and '", "from_email": "y@example.com",
         "date": 1700000003, "unread": False},
        {"subject": "no id: skipped"},
    ],
}


def job(env, account_id):
    return env.pg.psql("INSERT INTO jobs (account_id, task) VALUES ('%s', 'list_spam')"
                       " RETURNING id" % account_id).split("\n")[0]


def test_mailstore_upsert_twice(env, tmp_path):
    i = ids(env)["a@mail.ru"]
    j = job(env, i)
    page = tmp_path / "page.json"
    page.write_text(json.dumps(PAGE))
    check(env, "upsert", i, j, "spam", str(page))
    m = mails(env)
    assert sorted(m) == ["17000000010000000001", "17000000020000000002",
                         "17000000030000000003", "17000000040000000004"]
    t1 = m["17000000010000000001"]
    assert (t1["mail_id"], t1["folder"], t1["status"], t1["flagged"], t1["subject"],
            t1["sender"], t1["received"], t1["job_id"]) == \
        ("1:0123456789abcdef:950", "spam", "new", False, "Привет", "boss@example.com",
         1700000001, int(j))
    # No "last": the letter id inside a single-message thread id.
    t2 = m["17000000020000000002"]
    assert (t2["mail_id"], t2["status"], t2["flagged"]) == \
        ("0:17000000020000000002:950", "read", True)
    m3 = m["17000000030000000003"]
    assert (m3["mail_id"], m3["status"], m3["subject"]) == \
        ("1:fedcba9876543210:950", "read", "quote \" and \\ and '")
    m4 = m["17000000040000000004"]
    # No thread id given: the single-message thread of the listed folder.
    assert (m4["mail_id"], m4["received"], m4["sender"]) == \
        ("0:17000000040000000004:950", None, None)
    assert all(x["actions"] == [] and x["body"] is None for x in m.values())

    # The same page again changes nothing, not even updated_at.
    check(env, "upsert", i, "-", "spam", str(page))
    assert mails(env) == m

    # An action, then the letters move to the inbox, read and flagged.
    check(env, "action", i, "17000000030000000003", "-", "open", j,
          "body=Текст письма")
    moved = json.loads(json.dumps(PAGE).replace(":950", ":0"))
    for t in moved["threads"]:
        t["unread"], t["flagged"] = False, True
    moved["msgs"] = moved["msgs"][:2]
    moved["msgs"][0]["flagged"] = True
    moved["threads"][0]["subject"] = "changed subject"
    page.write_text(json.dumps(moved))
    check(env, "upsert", i, "-", "inbox", str(page))
    m2 = mails(env)
    assert len(m2) == 4
    assert env.pg.psql("SELECT count(*) FROM mails") == "4"
    t1 = m2["17000000010000000001"]
    assert (t1["folder"], t1["status"], t1["flagged"], t1["mail_id"], t1["subject"],
            t1["job_id"]) == ("inbox", "read", True, "1:0123456789abcdef:0", "Привет", int(j))
    m3 = m2["17000000030000000003"]
    assert (m3["folder"], m3["status"], m3["flagged"], m3["body"], m3["last_action"]) == \
        ("inbox", "new", True, "Текст письма", "open")
    assert len(m3["actions"]) == 1
    # The thread without "last" is the same row, under its new thread id.
    t2 = m2["17000000020000000002"]
    assert (t2["mail_id"], t2["folder"]) == ("0:17000000020000000002:0", "inbox")

    # An empty page is fine; a folder the table does not know is refused.
    page.write_text("{}")
    check(env, "upsert", i, "-", "inbox", str(page))
    page.write_text(json.dumps(PAGE))
    _, err = check(env, "upsert", i, "-", "drafts", str(page), ok=False)
    assert "store listing: refused" in err


def test_mailstore_action(env, tmp_path):
    i = ids(env)["b@mail.ru"]
    j = job(env, i)
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"threads": PAGE["threads"][:1]}))
    check(env, "upsert", i, j, "spam", str(page))
    mid = "17000000010000000001"

    j2 = job(env, i)
    check(env, "action", i, mid, "-", "not_spam", j2, "folder=inbox")
    check(env, "action", i, mid, "-", "flag", "-", "flagged=1", "read=1")
    m = mails(env)[mid]
    assert (m["folder"], m["flagged"], m["status"], m["last_action"], m["acted"]) == \
        ("inbox", True, "read", "flag", True)
    assert m["mail_id"] == "1:0123456789abcdef:950"   # kept: no new id given
    assert m["subject"] == "Привет" and m["job_id"] == int(j)
    assert [(a["action"], a["job_id"]) for a in m["actions"]] == \
        [("not_spam", int(j2)), ("flag", None)]
    assert all(a["at"] for a in m["actions"])
    check(env, "action", i, mid, "1:0123456789abcdef:0", "mark_unread", "-", "read=0")
    m = mails(env)[mid]
    assert (m["status"], m["flagged"], m["folder"], m["mail_id"], len(m["actions"])) == \
        ("new", True, "inbox", "1:0123456789abcdef:0", 3)

    # A letter acted on by id without a listing gets a row of its own.
    check(env, "action", i, "17000000090000000009", "-", "reply", j2, "folder=sent")
    m = mails(env)["17000000090000000009"]
    assert (m["mail_id"], m["folder"], m["status"], m["flagged"], m["last_action"],
            m["job_id"]) == ("17000000090000000009", "sent", "new", False, "reply", int(j2))
    check(env, "action", i, "17000000080000000008", "0:17000000080000000008:0", "open", "-")
    m = mails(env)["17000000080000000008"]
    assert (m["mail_id"], m["folder"]) == ("0:17000000080000000008:0", "other")
    # Then listed: the listing fills in what the action did not know.
    page.write_text(json.dumps({"msgs": [{"id": "17000000080000000008", "subject": "late",
                                          "from_email": "z@example.com",
                                          "date": 1700000008}]}))
    check(env, "upsert", i, "-", "inbox", str(page))
    m = mails(env)["17000000080000000008"]
    assert (m["subject"], m["sender"], m["received"], m["folder"], len(m["actions"])) == \
        ("late", "z@example.com", 1700000008, "inbox", 1)
    _, err = check(env, "action", i, mid, "-", "x", "-", "folder=nowhere", ok=False)
    assert "store action: refused" in err
    assert len(mails(env)[mid]["actions"]) == 3


def test_cancel(env):
    i = ids(env)["d@mail.ru"]
    out, err = check(env, "cancel", i)
    assert {"cancelled_on_wire": 1} in out, err
    # The cancelled UPDATE was on the wire: it still ran, silently.
    r = row(env, "d@mail.ru", "status, status_reason")
    assert (r["status"], r["status_reason"]) == ("error", "on the wire")
    assert "cancelled callback ran" not in err
    # The queued ones never ran.
    assert load(env, "d@mail.ru")[0]["d@mail.ru"]["password"] == "PwD"
    assert env.pg.psql("SELECT count(*) FROM mails") == "0"
