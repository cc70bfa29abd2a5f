"""`warmctl import-session` and `warmctl set-auth` on a real PostgreSQL:
a browser's cookie export is stored sealed with the account's id (checked by
decrypting it here), a bad line is named by file:line and nothing is stored,
a file that holds no mail.ru login is refused; auth methods are validated
by warmctl and by the table's CHECK."""

import json
import os
import shutil
import subprocess

import pytest

import harness
from test_import import Env

MPOP = "1700000000:0a1b2c3d4e5f60718293a4b5c6d7e8f9:user0001@mail.ru:"
T_VALUE = "tCookieValueZ9x8"
SDCS = "SdcsS3cretValue01"

COOKIES = "\n".join([
    "# Netscape HTTP Cookie File",
    "# exported by a browser extension",
    "",
    "#HttpOnly_.mail.ru\tTRUE\t/\tTRUE\t4102444800\tMpop\t" + MPOP,
    ".mail.ru\tTRUE\t/\tFALSE\t4102444800.5\tt\t" + T_VALUE,
    ".e.mail.ru\tTRUE\t/\tTRUE\t0\tsdcs\t" + SDCS,
    # expired: dropped without being an error
    ".mail.ru\tTRUE\t/\tFALSE\t1000000000\told\tGoneValue",
]) + "\r\n"

# The canonical blob warmctl seals (see mailru_cookies_serialize).
BLOB = "".join([
    "#HttpOnly_.mail.ru\tTRUE\t/\tTRUE\t4102444800\tMpop\t%s\n" % MPOP,
    ".mail.ru\tTRUE\t/\tFALSE\t4102444800\tt\t%s\n" % T_VALUE,
    ".e.mail.ru\tTRUE\t/\tTRUE\t0\tsdcs\t%s\n" % SDCS,
])

SECRETS = [MPOP, T_VALUE, SDCS, "0a1b2c3d4e5f6071"]


@pytest.fixture
def env(pg, tmp_path):
    e = Env(pg, tmp_path)
    e.write(["user0001@mail.ru;Pw1;", "user0002@mail.ru;Pw2;"])
    r = e.import_()
    assert r.returncode == 0, r.stderr
    return e


def session(env, email="user0001@mail.ru"):
    out = env.pg.psql("SELECT row_to_json(a) FROM (SELECT id, encode(imported_session, 'hex')"
                      " AS blob, imported_session_at IS NOT NULL AS at, auth_methods"
                      " FROM accounts WHERE email = '%s') a" % email)
    return json.loads(out)


def no_secrets(text):
    for s in SECRETS:
        assert s not in text, "a cookie value leaked"


def test_import_session_ok(env, tmp_path):
    f = tmp_path / "cookies.txt"
    f.write_text(COOKIES)
    r = env.run("import-session", "User0001@Mail.ru", str(f))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "imported 3 cookie(s) for user0001@mail.ru"
    no_secrets(r.stdout + r.stderr)

    row = session(env)
    assert row["blob"] and row["at"]
    raw = bytes.fromhex(row["blob"])
    for s in SECRETS:
        assert s.encode() not in raw
    assert env.unseal(row["blob"], row["id"]) == BLOB
    # Bound to its row: the other account's id does not open it.
    other = session(env, "user0002@mail.ru")
    assert other["blob"] is None and not other["at"]
    with pytest.raises(Exception):
        env.unseal(row["blob"], other["id"])

    # A second import, from stdin, replaces the first.
    argv = [harness.program("src/warmctl"), "-c", str(env.conf), "--sql-dir",
            str(harness.srcdir()) + "/sql", "import-session", "user0001@mail.ru", "-"]
    lines = COOKIES.replace(T_VALUE, "second").replace("\tsdcs\t", "\tsdcs2\t")
    r = subprocess.run(argv, input=lines, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "imported 3 cookie(s)" in r.stdout
    blob = env.unseal(session(env)["blob"], row["id"])
    assert "\tt\tsecond\n" in blob and "\tsdcs2\t" in blob and T_VALUE not in blob


def test_bad_line_names_file_and_line(env, tmp_path):
    f = tmp_path / "cookies.txt"
    lines = COOKIES.split("\n")
    lines.insert(4, ".mail.ru\tTRUE\t/\tmaybe\t4102444800\tx\ty")    # line 5
    lines.insert(6, "not a cookie line")
    f.write_text("\n".join(lines))
    r = env.run("import-session", "user0001@mail.ru", str(f))
    assert r.returncode == 1
    assert "%s:5: not a Netscape cookie line (2 bad line(s)); nothing imported" % f \
        in r.stderr, r.stderr
    no_secrets(r.stdout + r.stderr)
    assert session(env)["blob"] is None


def test_unknown_email_and_missing_file(env, tmp_path):
    f = tmp_path / "cookies.txt"
    f.write_text(COOKIES.replace("user0001@", "nobody@"))
    r = env.run("import-session", "nobody@mail.ru", str(f))
    assert r.returncode == 1
    assert "no account nobody@mail.ru" in r.stderr
    r = env.run("import-session", "user0001@mail.ru", str(tmp_path / "absent.txt"))
    assert r.returncode == 1 and "absent.txt: No such file" in r.stderr
    r = env.run("import-session", "user0001@mail.ru")
    assert r.returncode == 2
    assert env.pg.psql("SELECT count(*) FROM accounts WHERE imported_session IS NOT NULL") == "0"


def test_refuses_a_file_without_a_mailru_login(env, tmp_path):
    f = tmp_path / "cookies.txt"
    # Only tracking cookies; and an Mpop for another site.
    f.write_text(".mail.ru\tTRUE\t/\tFALSE\t4102444800\tt\t%s\n"
                 ".example.com\tTRUE\t/\tTRUE\t4102444800\tMpop\t%s\n" % (T_VALUE, MPOP))
    r = env.run("import-session", "user0001@mail.ru", str(f))
    assert r.returncode == 1
    assert "no valid Mpop cookie for .mail.ru" in r.stderr
    no_secrets(r.stdout + r.stderr)
    # An expired Mpop is no login either.
    f.write_text(COOKIES.replace("4102444800\tMpop", "1000000000\tMpop"))
    r = env.run("import-session", "user0001@mail.ru", str(f))
    assert r.returncode == 1 and "no valid Mpop cookie" in r.stderr
    # Nothing but comments.
    f.write_text("# Netscape HTTP Cookie File\n\n")
    r = env.run("import-session", "user0001@mail.ru", str(f))
    assert r.returncode == 1 and "no unexpired cookies" in r.stderr
    # Another mailbox's session must not be mixed into this one.
    f.write_text(COOKIES)
    r = env.run("import-session", "user0002@mail.ru", str(f))
    assert r.returncode == 1
    assert "the session is user0001@mail.ru's, not user0002@mail.ru" in r.stderr
    no_secrets(r.stdout + r.stderr)
    assert env.pg.psql("SELECT count(*) FROM accounts WHERE imported_session IS NOT NULL") == "0"


def test_set_auth(env, tmp_path):
    r = env.run("set-auth", "user0001@mail.ru", "cookies, mobile")
    assert r.returncode == 0, r.stderr
    assert "auth methods set to cookies,mobile" in r.stdout
    # cookies without an imported session works but warns.
    assert "has no imported session" in r.stderr
    assert session(env)["auth_methods"] == "cookies,mobile"

    f = tmp_path / "cookies.txt"
    f.write_text(COOKIES)
    assert env.run("import-session", "user0001@mail.ru", str(f)).returncode == 0
    r = env.run("set-auth", "user0001@mail.ru", "web,cookies,mobile")
    assert r.returncode == 0 and r.stderr == ""
    assert session(env)["auth_methods"] == "web,cookies,mobile"

    for bad, why in [("imap", 'unknown method "imap"'), ("web,web", 'repeated method "web"'),
                     ("", 'unknown method ""'), ("mobile,", 'unknown method ""'),
                     ("Mobile", 'unknown method "Mobile"')]:
        r = env.run("set-auth", "user0001@mail.ru", bad)
        assert r.returncode == 1, bad
        assert why in r.stderr, r.stderr
    assert session(env)["auth_methods"] == "web,cookies,mobile"

    r = env.run("set-auth", "user0001@mail.ru", "default")
    assert r.returncode == 0, r.stderr
    assert "cleared" in r.stdout
    assert session(env)["auth_methods"] is None

    r = env.run("set-auth", "nobody@mail.ru", "web")
    assert r.returncode == 1 and "no account nobody@mail.ru" in r.stderr

    # The table refuses what warmctl would: a hand-written UPDATE too.
    with pytest.raises(subprocess.CalledProcessError):
        env.pg.psql("UPDATE accounts SET auth_methods = 'web;mobile'")
    env.pg.psql("UPDATE accounts SET auth_methods = 'mobile,web,cookies'")


def test_migration_004(env):
    # Env ran `warmctl migrate`; the check warmd runs agrees.
    r = env.run("--db", env.pg.conninfo(), "migrate", "--check")
    assert r.returncode == 0, r.stdout + r.stderr
    # 004 and every later migration are applied
    assert int(env.pg.psql("SELECT max(version) FROM schema_migrations")) >= 4
    assert env.pg.psql("SELECT count(*) FROM schema_migrations WHERE version = 4") == "1"
    cols = env.pg.psql("SELECT column_name || ':' || data_type FROM information_schema.columns"
                       " WHERE table_name = 'accounts' AND column_name IN ('auth_methods',"
                       " 'imported_session', 'imported_session_at', 'exit_ip',"
                       " 'password_changed_at') ORDER BY 1").split("\n")
    assert cols == ["auth_methods:text", "exit_ip:inet", "imported_session:bytea",
                    "imported_session_at:timestamp with time zone",
                    "password_changed_at:timestamp with time zone"]


def test_commands_refuse_an_old_schema(pg, tmp_path):
    # Migrated up to 003 only: a clear message, not "column does not exist".
    old = tmp_path / "sql"
    old.mkdir()
    for v in ("001_init", "002_jobs", "003_mails"):
        shutil.copy("%s/sql/%s.sql" % (harness.srcdir(), v), old)
    r = subprocess.run([harness.program("src/warmctl"), "--db", pg.conninfo(),
                        "--sql-dir", str(old), "migrate"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    key = tmp_path / "secret.key"
    conf = tmp_path / "warmd.conf"
    assert subprocess.run([harness.program("src/warmctl"), "keygen", str(key)],
                          stdout=subprocess.DEVNULL).returncode == 0
    conf.write_text("[database]\nconninfo = %s\n[accounts]\nfiles = %s\nkey_file = %s\n"
                    % (pg.conninfo(), tmp_path / "accounts.txt", key))
    (tmp_path / "accounts.txt").write_text("")
    f = tmp_path / "cookies.txt"
    f.write_text(COOKIES)
    base = [harness.program("src/warmctl"), "-c", str(conf), "--sql-dir",
            "%s/sql" % harness.srcdir()]
    for args in (["import-session", "user0001@mail.ru", str(f)],
                 ["set-auth", "user0001@mail.ru", "web"]):
        r = subprocess.run(base + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        assert r.returncode == 1, args
        latest = max(int(n[:3]) for n in os.listdir("%s/sql" % harness.srcdir())
                     if n.endswith(".sql") and n[:3].isdigit())
        want = ("database schema is at version 3, this warmd needs %d:"
                " run `warmctl migrate`" % latest)
        assert want in r.stderr, r.stderr
