"""`warmctl import`: account files → accounts table on a real PostgreSQL.
Bad lines are reported by file:line with their reason while the good ones
load; secrets are stored only encrypted (checked by decrypting them here with
the key file); a re-import applies exactly the diff of the files."""

import json
import os
import random
import re
import subprocess

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import harness

# One bad line of each kind, with the reason warmctl must give for it.
BAD_LINES = [
    ("nobody.mail.ru;Pw1;", "malformed email: missing '@'"),
    ("a b@mail.ru;Pw1;", "malformed email: contains a space"),
    ("nopass@mail.ru", "missing password"),
    ("emptypass@mail.ru;;", "empty password"),
    ("port@mail.ru;Pw1;1.2.3.4:99999", "malformed proxy: port out of range"),
    ("nodot@localhost;Pw1;", "malformed email: domain has no dot"),
    ("two@@mail.ru;Pw1;", "malformed email: more than one '@'"),
    ("socks4@mail.ru;Pw1;socks4://1.2.3.4:1080", 'unsupported scheme "socks4"'),
    (";Pw1;", "missing email"),
    ("ftp@mail.ru;Pw1;ftp://1.2.3.4:21", 'unsupported scheme "ftp"'),
    ("noport@mail.ru;Pw1;http://1.2.3.4", "malformed proxy: missing port"),
    ("path@mail.ru;Pw1;http://1.2.3.4:8080/path", "path, query or fragment"),
    ("half@mail.ru;Pw1;host.com:8080:user", "missing proxy password"),
    ("привет@mail.ru;Pw1;", "malformed email: non-ASCII character"),
    (".dot@mail.ru;Pw1;", "malformed email: misplaced '.' in local part"),
    ("nodomain@;Pw1;", "malformed email: empty domain"),
    ("@mail.ru;Pw1;", "malformed email: empty local part"),
    ("nouser@mail.ru;Pw1;http://:pass@1.2.3.4:80", "malformed proxy: empty proxy user"),
    ("pct@mail.ru;Pw1;http://u:p%zz@1.2.3.4:80", "malformed percent-encoding"),
    ("ipv4@mail.ru;Pw1;1.2.3.999:80", "malformed IPv4 address"),
]

# Characters that must survive the array literals of the sync statement.
PW_CHARS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789\"\\{},'$!"


class Account:
    def __init__(self, rng, n):
        self.email = "user%04d@mail.ru" % n
        self.password = "Pw" + "".join(rng.choice(PW_CHARS) for _ in range(14))
        self.proxy_in = None
        self.proxy = None
        self.question = self.answer = self.ua = None
        kind = n % 5
        if kind == 1:
            self.proxy_in = "10.0.%d.%d:8080" % (n // 250, n % 250)
            self.proxy = "http://" + self.proxy_in
        elif kind == 2:
            secret = "ProxySecret%04d" % n
            self.proxy_in = "socks5://pu%d:%s@proxy%d.example.com:1080" % (n, secret, n)
            self.proxy = self.proxy_in
        if n % 3 == 0:
            self.question = "имя животного %d" % n
            self.answer = "кошка-%d-%s" % (n, rng.choice(["x", "y", "z"]))
        if n % 7 == 0:
            # No ";" in it: the account-file format splits on it.
            self.ua = "Mozilla/5.0 (X11 Linux x86_64 test %d) Gecko/20100101 Firefox/128.0" % n

    def line(self):
        f = [self.email, self.password, self.proxy_in or ""]
        if self.question or self.ua:
            f += [self.question or "", self.answer or "", self.ua or ""]
        return ";".join(f)

    def secrets(self, proxy=True):
        s = [self.password]
        if self.answer:
            s.append(self.answer)
        if proxy and self.proxy and "ProxySecret" in self.proxy:
            s.append(self.proxy.split(":")[2].split("@")[0])
        return s


class Env:
    def __init__(self, pg, tmp_path):
        self.pg = pg
        self.dir = tmp_path
        self.key = tmp_path / "secret.key"
        self.files = [tmp_path / "accounts.txt", tmp_path / "more.txt"]
        self.conf = tmp_path / "warmd.conf"
        r = self.run("keygen", str(self.key))
        assert r.returncode == 0, r.stderr
        self.conf.write_text(
            "[database]\nconninfo = %s\n[accounts]\nfiles = %s\nkey_file = %s\n"
            % (pg.conninfo(), ", ".join(str(f) for f in self.files), self.key))
        for f in self.files:
            f.write_text("")
        r = self.run("--db", pg.conninfo(), "migrate")
        assert r.returncode == 0, r.stderr

    def run(self, *args):
        argv = [harness.program("src/warmctl"), "-c", str(self.conf),
                "--sql-dir", os.path.join(harness.srcdir(), "sql")] + list(args)
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=120)

    def write(self, lines, which=0):
        self.files[which].write_text("\n".join(lines) + "\n")

    def import_(self):
        return self.run("import")

    def rows(self):
        out = self.pg.psql(
            "SELECT row_to_json(a) FROM (SELECT id, email, encode(password, 'hex')"
            " AS password, password_fp, recovery_question, encode(recovery_answer, 'hex')"
            " AS recovery_answer, user_agent, proxy_uri, status, status_reason,"
            " source, consecutive_failures, updated_at FROM accounts) a")
        return {r["email"]: r for r in (json.loads(l) for l in out.split("\n") if l)}

    def unseal(self, hexblob, account_id):
        key = bytes.fromhex(self.key.read_text().strip())
        blob = bytes.fromhex(hexblob)
        assert blob[0] == 1, "blob version"
        return AESGCM(key).decrypt(blob[1:13], blob[13:], account_id.encode()).decode()


def counts(stdout):
    m = re.search(r"added (\d+), changed (\d+), removed (\d+), reactivated (\d+), "
                  r"unchanged (\d+)", stdout)
    assert m, stdout
    return dict(zip(["added", "changed", "removed", "reactivated", "unchanged"],
                    (int(x) for x in m.groups())))


def no_secrets_in(text, accounts, proxy=True):
    """Fail if a password or answer (and, unless proxy=False, a proxy
    password) of accounts occurs in text."""
    for a in accounts:
        for s in a.secrets(proxy):
            if s in text:
                # Not an assert: pytest would diff megabytes of text.
                pytest.fail("a secret of %s leaked" % a.email)


@pytest.fixture
def env(pg, tmp_path):
    return Env(pg, tmp_path)


def test_import_1000_lines(env):
    rng = random.Random(1)
    accounts = [Account(rng, n) for n in range(1, 981)]
    lines = [a.line() for a in accounts]
    bad_at = sorted(rng.sample(range(1, 1001), len(BAD_LINES)))
    for lineno, (text, _) in zip(bad_at, BAD_LINES):
        lines.insert(lineno - 1, text)
    assert len(lines) == 1000
    env.write(lines)
    # Duplicates across files and in one file, in any case: the first wins.
    env.write(["USER0100@mail.ru;Other1;", accounts[0].email + ";Other2;",
               "user0100@MAIL.ru;Other3;"], which=1)

    r = env.import_()
    assert r.returncode == 1, r.stderr      # lines were rejected
    assert counts(r.stdout) == {"added": 980, "changed": 0, "removed": 0,
                                "reactivated": 0, "unchanged": 0}

    f1, f2 = str(env.files[0]), str(env.files[1])
    errors = [l for l in r.stderr.splitlines() if l.startswith("warmctl: " + f1 + ":")]
    assert len(errors) == 20, r.stderr
    for lineno, (_, reason), err in zip(bad_at, BAD_LINES, errors):
        assert err.startswith("warmctl: %s:%d: " % (f1, lineno)), err
        assert reason in err, err
    warnings = [l for l in r.stderr.splitlines() if "warning:" in l]
    assert len(warnings) == 3, r.stderr
    line100 = lines.index(accounts[99].line()) + 1
    assert "%s:1" % f2 in warnings[0] and "%s:%d" % (f1, line100) in warnings[0]
    line1 = lines.index(accounts[0].line()) + 1
    assert "%s:2" % f2 in warnings[1] and "%s:%d" % (f1, line1) in warnings[1]
    assert "%s:3" % f2 in warnings[2] and "%s:%d" % (f1, line100) in warnings[2]
    no_secrets_in(r.stdout + r.stderr, accounts)
    assert "Other" not in r.stdout + r.stderr

    rows = env.rows()
    assert len(rows) == 980
    assert env.pg.psql("SELECT count(*) FROM accounts WHERE status = 'active'") == "980"
    # Only the encrypted columns hold the secrets, and only encrypted.  Proxy
    # credentials are part of proxy_uri by design (never printed, see below).
    no_secrets_in(json.dumps(rows, ensure_ascii=False), accounts, proxy=False)
    for a in accounts:
        row = rows[a.email]
        for s in a.secrets(proxy=False):
            assert s.encode().hex() not in row["password"]
        assert env.unseal(row["password"], row["id"]) == a.password
        if a.answer:
            assert env.unseal(row["recovery_answer"], row["id"]) == a.answer
            assert row["recovery_question"] == a.question
        else:
            assert row["recovery_answer"] is None
        assert row["proxy_uri"] == a.proxy
        assert row["source"] == "%s:%d" % (f1, lines.index(a.line()) + 1)
        if a.ua:
            assert row["user_agent"] == a.ua
        else:
            assert row["user_agent"].startswith("Mozilla/5.0 (")
    # Built-in agents are spread over the accounts, not all the same.
    assert len({r["user_agent"] for r in rows.values()}) > 5

    # A second run changes nothing, not even updated_at; the agents stay.
    r = env.import_()
    assert counts(r.stdout)["unchanged"] == 980
    assert env.rows() == rows

    # The listing hides proxy passwords and never shows account passwords.
    r = env.run("accounts")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 981
    assert "socks5://pu2:***@proxy2.example.com:1080" in r.stdout
    no_secrets_in(r.stdout + r.stderr, accounts)


def test_reimport_applies_diff(env):
    rng = random.Random(2)
    accounts = [Account(rng, n) for n in range(1, 101)]
    env.write([a.line() for a in accounts])
    r = env.import_()
    assert r.returncode == 0, r.stderr
    assert counts(r.stdout)["added"] == 100
    before = env.rows()

    by = {a.email: a for a in accounts}
    # The operator suspends one by hand; another had a failed login.
    env.pg.psql("UPDATE accounts SET status = 'suspended', status_reason = 'captcha'"
                " WHERE email = 'user0010@mail.ru'")
    env.pg.psql("UPDATE accounts SET status = 'error', status_reason = 'wrong password',"
                " consecutive_failures = 3 WHERE email = 'user0020@mail.ru'")

    # Round 2: 5 added, 5 changed (3 passwords, 2 proxies), 5 removed.
    removed = ["user%04d@mail.ru" % n for n in (41, 42, 43, 44, 45)]
    pw_changed = ["user0020@mail.ru", "user0021@mail.ru", "user0022@mail.ru"]
    proxy_changed = ["user0030@mail.ru", "user0031@mail.ru"]
    for e in pw_changed:
        by[e].password = "New" + by[e].password
    for e in proxy_changed:
        by[e].proxy_in = "http://user:pa%40ss@changed.example.net:3128"
        by[e].proxy = "http://user:pa%40ss@changed.example.net:3128"
    added = [Account(rng, n) for n in range(101, 106)]
    cur = [a for a in accounts if a.email not in removed] + added
    env.write([a.line() for a in cur])
    r = env.import_()
    assert r.returncode == 0, r.stderr
    assert counts(r.stdout) == {"added": 5, "changed": 5, "removed": 5,
                                "reactivated": 0, "unchanged": 90}
    no_secrets_in(r.stdout + r.stderr, accounts + added)
    rows = env.rows()
    assert len(rows) == 105
    for e in removed:
        assert (rows[e]["status"], rows[e]["status_reason"]) == ("suspended", "removed from list")
    for a in added:
        assert rows[a.email]["status"] == "active"
        assert env.unseal(rows[a.email]["password"], rows[a.email]["id"]) == a.password
    for e in pw_changed:
        assert rows[e]["password_fp"] != before[e]["password_fp"]
        assert env.unseal(rows[e]["password"], rows[e]["id"]) == by[e].password
        assert rows[e]["id"] == before[e]["id"]
        assert rows[e]["user_agent"] == before[e]["user_agent"]
    # A new password clears the error the old one caused.
    assert (rows["user0020@mail.ru"]["status"], rows["user0020@mail.ru"]["status_reason"],
            rows["user0020@mail.ru"]["consecutive_failures"]) == ("active", None, 0)
    for e in proxy_changed:
        assert rows[e]["proxy_uri"] == by[e].proxy
        assert rows[e]["password"] == before[e]["password"]
    assert (rows["user0010@mail.ru"]["status"], rows["user0010@mail.ru"]["status_reason"]) \
        == ("suspended", "captcha")
    # Untouched accounts keep their rows as they were (lines before the cut).
    assert rows["user0005@mail.ru"] == before["user0005@mail.ru"]
    # Lines after the cut moved up: only their source follows.
    moved = rows["user0050@mail.ru"]
    assert moved["source"].endswith(":45")
    assert moved["password"] == before["user0050@mail.ru"]["password"]

    # Round 3: the removed ones come back; the hand-suspended one leaves.
    cur = [a for a in cur if a.email != "user0010@mail.ru"] + \
        [by[e] for e in removed]
    env.write([a.line() for a in cur])
    r = env.import_()
    assert r.returncode == 0, r.stderr
    assert counts(r.stdout) == {"added": 0, "changed": 0, "removed": 0,
                                "reactivated": 5, "unchanged": 99}
    rows = env.rows()
    for e in removed:
        assert (rows[e]["status"], rows[e]["status_reason"]) == ("active", None)
        assert rows[e]["id"] == before[e]["id"]
    assert (rows["user0010@mail.ru"]["status"], rows["user0010@mail.ru"]["status_reason"]) \
        == ("suspended", "captcha")

    # Round 4: back in the file, a hand-suspended account stays suspended.
    env.write([a.line() for a in cur + [by["user0010@mail.ru"]]])
    r = env.import_()
    assert counts(r.stdout) == {"added": 0, "changed": 0, "removed": 0,
                                "reactivated": 0, "unchanged": 105}
    assert env.pg.psql("SELECT status || '/' || status_reason FROM accounts"
                       " WHERE email = 'user0010@mail.ru'") == "suspended/captcha"
    r = env.run("accounts", "--status", "suspended")
    assert r.returncode == 0
    assert [l.split()[0] for l in r.stdout.splitlines()[1:]] == ["user0010@mail.ru"]


def test_unreadable_file_imports_nothing(env):
    env.write(["a@mail.ru;pw;"])
    assert env.import_().returncode == 0
    env.files[1].unlink()
    r = env.import_()
    assert r.returncode == 1
    assert "cannot read" in r.stderr
    # Not mistaken for "every account was removed".
    assert env.pg.psql("SELECT status FROM accounts") == "active"


def test_check_config(env):
    env.write(["a@mail.ru;pw;", "bad", "a@mail.ru;pw2;"])
    r = env.run("check-config")
    assert r.returncode == 1
    assert "%s:2: " % env.files[0] in r.stderr
    assert "warning: %s:3: duplicate email a@mail.ru, first at %s:1" % (
        env.files[0], env.files[0]) in r.stderr
    env.write(["a@mail.ru;pw;"])
    r = env.run("check-config")
    assert r.returncode == 0, r.stderr
    assert "test is successful" in r.stdout
