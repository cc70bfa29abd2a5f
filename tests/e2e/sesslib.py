"""Shared set-up for the session tests: a database with the schema, Redis,
mailsim, a key, a config pointing warmd's HTTP at mailsim (connect_to), an
account file imported with warmctl, and `sessdrive` to run sessions and read
back every outcome as JSON."""

import json
import os
import subprocess

import harness


class SessEnv:
    def __init__(self, pg, redis, mailsim, tmp_path, accounts=None, config_extra="",
                 auth="mobile", proxies=None, ipecho=True, timeouts=("5s", "20s")):
        """accounts: list of mailsim account dicts to import (default: all);
        proxies: {email: proxy uri} for the account file's proxy field."""
        self.pg = pg
        self.redis = redis
        self.mailsim = mailsim
        self.dir = tmp_path
        self.key = tmp_path / "secret.key"
        self.accounts_file = tmp_path / "accounts.txt"
        self.conf = tmp_path / "warmd.conf"
        self.accounts = accounts if accounts is not None else mailsim.accounts()
        proxies = proxies or {}
        lines = []
        for a in self.accounts:
            f = [a["email"], a["password"], proxies.get(a["email"], "")]
            if a.get("answer"):
                f += [a.get("question") or "", a["answer"]]
            lines.append(";".join(f))
        self.accounts_file.write_text("\n".join(lines) + "\n")
        r = self.ctl("keygen", str(self.key))
        assert r.returncode == 0, r.stderr
        self.timeouts = timeouts
        self.write_config(auth=auth, ipecho=ipecho, extra=config_extra)
        r = self.ctl("--db", pg.conninfo(), "migrate")
        assert r.returncode == 0, r.stderr
        r = self.ctl("import")
        assert r.returncode == 0, r.stdout + r.stderr

    def write_config(self, auth="mobile", ipecho=True, extra=""):
        self.conf.write_text(
            "[warmd]\nlog_level = debug\n"
            "[database]\nconninfo = %s\n"
            "[redis]\naddress = %s\n"
            "[accounts]\nfiles = %s\nkey_file = %s\n"
            "[http]\nca_file = %s\nconnect_to = %s\nconnect_timeout = %s\ntimeout = %s\n"
            "[session]\nauth = %s\npace_min = 0\npace_max = 0\n%s\n%s"
            % (self.pg.conninfo(), self.redis.address(), self.accounts_file, self.key,
               self.mailsim.ca_file, self.mailsim.connect_to(), self.timeouts[0],
               self.timeouts[1], auth,
               "ipecho_url = https://ip.mailsim.test/json" if ipecho else "", extra))

    def ctl(self, *args, input=None):
        argv = [harness.program("src/warmctl"), "-c", str(self.conf),
                "--sql-dir", os.path.join(harness.srcdir(), "sql")] + list(args)
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=120, input=input)

    def drive(self, actions, emails=None, plan=None, n=None, timeout=300, check=True):
        """Run sessdrive; returns Run with .actions, .sessions, .summary."""
        argv = [harness.program("tests/io/sessdrive"), "-c", str(self.conf),
                "-a", json.dumps(actions)]
        for e in emails or []:
            argv += ["-e", e]
        if plan is not None:
            p = self.dir / "plan.jsonl"
            p.write_text("".join(json.dumps(x) + "\n" for x in plan))
            argv += ["-p", str(p)]
        if n is not None:
            argv += ["-n", str(n)]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
        run = Run(r)
        if check:
            assert r.returncode == 0, r.stderr[-4000:]
        return run

    def account_row(self, email):
        out = self.pg.psql("SELECT row_to_json(a) FROM (SELECT id, status, status_reason,"
                           " last_login_at, consecutive_failures, host(exit_ip) AS exit_ip"
                           " FROM accounts WHERE email = '%s') a" % email.replace("'", "''"))
        return json.loads(out) if out.strip() else None

    def mails(self, email):
        out = self.pg.psql(
            "SELECT row_to_json(x) FROM (SELECT m.mail_id, m.message_id, m.folder,"
            " m.status, m.flagged, m.subject, m.sender, m.body IS NOT NULL AS has_body,"
            " m.last_action, jsonb_array_length(m.actions) AS nactions FROM mails m"
            " JOIN accounts a ON a.id = m.account_id WHERE a.email = '%s'"
            " ORDER BY m.id) x"
            % email.replace("'", "''"))
        return [json.loads(l) for l in out.splitlines() if l.strip()]


class Run:
    def __init__(self, proc):
        self.proc = proc
        self.stderr = proc.stderr
        self.lines = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
        self.actions = [l for l in self.lines if l["type"] == "action"]
        self.sessions = {l["email"]: l for l in self.lines if l["type"] == "session"}
        s = [l for l in self.lines if l["type"] == "summary"]
        self.summary = s[0] if s else None

    def of(self, email):
        return [a for a in self.actions if a["email"] == email]

    def one(self, email, kind):
        m = [a for a in self.of(email) if a.get("kind") == kind]
        assert len(m) == 1, (email, kind, self.of(email))
        return m[0]
