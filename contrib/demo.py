#!/usr/bin/env python3
"""warmd's main job, end to end, on the embedded default.

In one temporary directory: a private PostgreSQL cluster and redis-server,
the bundled mail.ru emulator (mailsim) with 1,000 mailboxes and its SMTP
ingress, an account file in the operator's format, and warmd.  Then the
operator's story:

  1. mailing #1 goes out through SMTP; mailsim files part of it in Spam;
  2. rescue: every mailbox finds the letter, reports it "not spam", reads
     and flags it (10% hold out and only watch);
  3. engage: 15% of the mailboxes reply to it;
  4. a day of peer warm-up, its working hours compressed into a few
     minutes by the config, so the day's letters run now;
  5. mailing #2 from the same sender, and a rescue of it with a holdout:
     the inbox rate after;
  6. warmctl report for every campaign, a short summary, and everything
     stopped (warmd's exit status checked) and removed.

Campaigns are files dropped into the config's campaign_dir, each applied
with SIGHUP.  Python 3 standard library only; the servers come from the
build tree (--builddir) and Debian's PostgreSQL and Redis packages.
Nothing is left running, whatever happens (Ctrl-C included)."""

import argparse
import datetime
import json
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zoneinfo
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

SENDER = "news@flora-shop.example"
SENDER_NAME = "Цветочная лавка «Флора»"
SENDER_SPAM_BASE = 0.45     # mailsim's base spam probability of the sender's domain
MAILINGS = [
    ("Осенняя распродажа: −30% на букеты и комнатные растения", "autumn-sale"),
    ("Новая коллекция: зимние композиции и подарок к заказу", "winter-collection"),
]
STALE_PASSWORDS = 4         # mailboxes whose owners changed the password
ZONES = ["Europe/Moscow", "Asia/Yekaterinburg"]   # the second one near midnight in Moscow


class DemoError(Exception):
    pass


class Interrupted(BaseException):
    pass


def say(msg):
    print("== " + msg, flush=True)


def info(msg):
    print("   " + msg, flush=True)


def wait_for(pred, timeout, what, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise DemoError("timed out after %ds waiting for %s" % (timeout, what))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_json(port, path, obj=None, timeout=30):
    data = json.dumps(obj).encode() if obj is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


class Proc:
    """A server in its own session (Ctrl-C reaches only this script, which
    stops the servers in order), its output in a log file."""

    def __init__(self, name, argv, log, env=None):
        self.name, self.log = name, log
        with open(log, "ab") as out:
            self.p = subprocess.Popen(argv, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                                      env=env, start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def stop(self, timeout=30):
        """SIGTERM, then SIGKILL to its process group; the exit status."""
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        try:                     # anything it may have started
            os.killpg(self.p.pid, signal.SIGKILL)
        except OSError:
            pass
        return self.p.returncode


class Postgres:
    """A throwaway cluster (initdb, fsync off, unix socket in its directory);
    as root it runs as the postgres user, as initdb demands."""

    BINDIRS = ["/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]

    def __init__(self, work):
        self.dir = os.path.join(work, "pg")
        os.mkdir(self.dir)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.root = os.geteuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.started = False

    @classmethod
    def bin(cls, name):
        for d in cls.BINDIRS:
            if os.access(os.path.join(d, name), os.X_OK):
                return os.path.join(d, name)
        p = shutil.which(name)
        if p is None:
            raise DemoError("PostgreSQL's %s not found (apt-get install postgresql)" % name)
        return p

    def run(self, argv, **kw):
        if self.root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, **kw)

    def start(self):
        self.run([self.bin("initdb"), "-D", self.data, "-A", "trust", "-U", "warmd",
                  "--no-sync", "-E", "UTF8", "--locale=C"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "listen_addresses = ''\nport = %d\nunix_socket_directories = '%s'\n"
                    "max_connections = 100\nlog_min_messages = warning\n"
                    % (self.port, self.dir))
        self.started = True
        self.run([self.bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "pg.log"),
                  "-w", "-t", "60", "start"])
        self.run([self.bin("createdb"), "-h", self.dir, "-p", str(self.port), "-U", "warmd",
                  "warmd"])
        return self

    def conninfo(self):
        return "host=%s port=%d user=warmd dbname=warmd" % (self.dir, self.port)

    def sql(self, q):
        r = subprocess.run([self.bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", self.dir, "-p", str(self.port), "-U", "warmd", "-d", "warmd",
                            "-c", q], check=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        return r.stdout.strip()

    def rows(self, q):
        return [l.split("|") for l in self.sql(q).splitlines() if l]

    def stop(self):
        if self.started:
            self.started = False
            try:
                self.run([self.bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"],
                         timeout=60)
            except (subprocess.SubprocessError, OSError):
                self.run([self.bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w",
                          "stop"], timeout=60)


class Demo:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.bd = args.builddir
        self.sd = args.srcdir
        self.pg = self.redis = self.mailsim = self.warmd = None
        self.t0 = time.monotonic()
        self.campaigns = []          # (name, kind) in order
        self.mailing = []            # per mailing: {"subject", "inbox", "spam"}
        self.generation = 0

    def prog(self, name):
        p = os.path.join(self.bd, name)
        if not os.access(p, os.X_OK):
            raise DemoError("%s is not built (make all in %s)" % (p, self.bd))
        return p

    def ctl(self, *args, check=True):
        r = subprocess.run([self.prog("src/warmctl"), "-c", self.conf, "--sql-dir",
                            os.path.join(self.sd, "sql")] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if check and r.returncode != 0:
            raise DemoError("warmctl %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stdout))
        return r.stdout

    def elapsed(self):
        return time.monotonic() - self.t0

    # ---- 1. the servers, the account file, warmd ----------------------

    def start_servers(self):
        say("private PostgreSQL, Redis and the mail.ru emulator in %s" % self.work)
        self.pg = Postgres(self.work).start()
        rdir = os.path.join(self.work, "redis")
        os.mkdir(rdir)
        rport = free_port()
        self.redis = Proc("redis", ["redis-server", "--port", str(rport), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no", "--dir", rdir],
                          os.path.join(rdir, "redis.log"))
        self.redis_addr = "127.0.0.1:%d" % rport
        wait_for(lambda: self._redis_up(rport), 20, "redis-server")

        certs = os.path.join(self.work, "certs")
        subprocess.run(["sh", os.path.join(self.sd, "tests/mailsim/gen-certs.sh"), certs],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ca = os.path.join(certs, "ca.crt")
        ready = os.path.join(self.work, "mailsim.ready")
        self.mailsim = Proc("mailsim", [
            self.prog("tests/mailsim/mailsim"), "--cert", os.path.join(certs, "server.crt"),
            "--key", os.path.join(certs, "server.key"), "--listen", "127.0.0.1:0",
            "--inspect", "127.0.0.1:0", "--smtp", "127.0.0.1:0",
            "--generate", str(self.args.mailboxes), "--seed", str(self.args.seed),
            "--ready-file", ready], os.path.join(self.work, "mailsim.log"))
        wait_for(lambda: os.path.exists(ready) or not self.mailsim.alive(), 30, "mailsim")
        if not self.mailsim.alive():
            raise DemoError("mailsim exited:\n" + tail(os.path.join(self.work, "mailsim.log")))
        with open(ready) as f:
            self.ms = json.load(f)
        info("PostgreSQL %s, Redis %s, mailsim: %d mailboxes, HTTPS :%d, SMTP :%d, "
             "inspection :%d" % (self.pg.run([self.pg.bin("postgres"), "-V"]).stdout.split()[2],
                                 self.redis_addr, self.ms["accounts"], self.ms["https"],
                                 self.ms["smtp"], self.ms["inspect"]))

    @staticmethod
    def _redis_up(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def ms_get(self, path):
        return http_json(self.ms["inspect"], path)

    def ms_post(self, path, obj):
        return http_json(self.ms["inspect"], path, obj)

    def write_accounts(self):
        """The operator's file: email;password;proxy;question;answer, from
        mailsim's credentials; a few owners have changed their password
        since the list was bought."""
        accts = []
        while len(accts) < self.ms["accounts"]:
            page = self.ms_get("/accounts?offset=%d&limit=1000" % len(accts))
            if not page["accounts"]:
                break
            accts += page["accounts"]
        self.acct_file = os.path.join(self.work, "accounts.txt")
        with open(self.acct_file, "w") as f:
            f.write("# mailboxes bought 2026-11: email;password;proxy;question;answer\n")
            for a in accts:
                num = a["email"].split("@")[0][4:]        # userNNNNN (mailsim D6)
                f.write("%s;%s;;Девичья фамилия матери?;answer%s\n"
                        % (a["email"], a["password"], num))
        self.stale = [a["email"] for a in accts[7::max(1, len(accts) // STALE_PASSWORDS)]]
        self.stale = self.stale[:STALE_PASSWORDS]
        for e in self.stale:
            self.ms_post("/control/account", {"email": e, "password": "changed-by-owner"})
        self.naccounts = len(accts)
        say("account file %s: %d mailboxes in the operator's format" % (self.acct_file, len(accts)))
        with open(self.acct_file) as f:
            for line in f.readlines()[:3]:
                p = line.rstrip("\n").split(";")
                if not line.startswith("#"):
                    p[1] = p[1][:3] + "*" * (len(p[1]) - 3)   # never shown
                info(";".join(p))
        info("... (%d of them have had their password changed by the owner since)"
             % len(self.stale))

    def choose_zone(self):
        """Moscow time, unless it is too close to midnight there for a
        compressed working day: then a zone two hours east."""
        for z in ZONES:
            now = datetime.datetime.now(zoneinfo.ZoneInfo(z))
            m = now.hour * 60 + now.minute
            if 5 <= m <= 24 * 60 - 10:
                return z
        return ZONES[-1]

    def write_config(self):
        self.zone = self.choose_zone()
        self.key = os.path.join(self.work, "secret.key")
        self.camp_dir = os.path.join(self.work, "campaigns.d")
        os.mkdir(self.camp_dir)
        self.admin = free_port()
        self.conf = os.path.join(self.work, "warmd.conf")
        conf = {
            "warmd": {"log_level": "info", "grace_period": "10s", "time_zone": self.zone,
                      "max_sessions": "1000", "plan_interval": "2s",
                      "campaign_dir": self.camp_dir},
            "database": {"conninfo": self.pg.conninfo(), "pool_size": "8"},
            "redis": {"address": self.redis_addr},
            "accounts": {"files": self.acct_file, "key_file": self.key},
            "admin": {"listen": "127.0.0.1:%d" % self.admin},
            # mail.ru's hosts are the emulator, with its test CA
            "http": {"ca_file": self.ca, "connect_to": "::127.0.0.1:%d" % self.ms["https"],
                     "connect_timeout": "5s", "timeout": "20s"},
            # demo pace: people pause seconds between clicks, here 50-300 ms
            "session": {"auth": "mobile,web", "pace_min": "50ms", "pace_max": "300ms"},
            "jobs": {"poll_interval": "300ms", "reap_interval": "2s", "retry_min": "1s",
                     "retry_max": "5s", "lease": "30s"},
        }
        with open(self.conf, "w") as f:
            f.write("; warmd.conf written by contrib/demo.py (see conf/warmd.conf.example)\n")
            for sect, kv in conf.items():
                f.write("\n[%s]\n" % sect)
                for k, v in kv.items():
                    f.write("%s = %s\n" % (k, v))
        say("config %s (time zone %s, campaigns from %s)" % (self.conf, self.zone, self.camp_dir))
        subprocess.run([self.prog("src/warmctl"), "keygen", self.key], check=True,
                       stdout=subprocess.DEVNULL)
        say("warmctl keygen, migrate, import")
        self.ctl("migrate")
        out = self.ctl("import")
        for line in out.strip().splitlines()[-3:]:
            info(line)

    def start_warmd(self):
        r = subprocess.run([self.prog("src/warmd"), "-t", "-c", self.conf],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise DemoError("warmd -t:\n" + r.stdout)
        say("warmd -t: configuration OK; starting warmd")
        env = dict(os.environ, WARMD_SQLDIR=os.path.join(self.sd, "sql"))
        self.warmd_log = os.path.join(self.work, "warmd.log")
        self.warmd = Proc("warmd", [self.prog("src/warmd"), "-c", self.conf], self.warmd_log,
                          env=env)
        st = wait_for(self._status_ok, 60, "warmd's first account sync")
        self.generation = st["config"]["generation"]
        a = st["accounts"]["by_status"]
        info("/status: %s, config generation %d, accounts %d active, PostgreSQL %s, Redis %s"
             % (st["state"], self.generation, a["active"],
                "up" if st["postgres"]["up"] else "down", "up" if st["redis"]["up"] else "down"))

    def status(self):
        return http_json(self.admin, "/status", timeout=5)

    def _status_ok(self):
        if not self.warmd.alive():
            raise DemoError("warmd exited with %s:\n%s" % (self.warmd.p.returncode,
                                                           tail(self.warmd_log)))
        try:
            st = self.status()
        except OSError:
            return None
        a = st["accounts"]
        return st if a["sync"]["result"] == "ok" and a["by_status"] else None

    # ---- 2. the mailings --------------------------------------------------

    def send_mailing(self, n):
        subject = MAILINGS[n][0]
        accts = []
        while len(accts) < self.naccounts:
            page = self.ms_get("/accounts?offset=%d&limit=1000" % len(accts))
            if not page["accounts"]:
                break
            accts += [a["email"] for a in page["accounts"]]
        say("mailing #%d: \"%s\" from %s to %d mailboxes through mailsim's SMTP ingress"
            % (n + 1, subject, SENDER, len(accts)))
        t = time.monotonic()
        with smtplib.SMTP("127.0.0.1", self.ms["smtp"], timeout=30) as smtp:
            for to in accts:
                smtp.send_message(self.letter(n, to), SENDER, [to])
        got = self.placement(subject)
        self.mailing.append(dict(got, subject=subject))
        info("%d letters in %.1fs; mailsim filed %d in Inbox, %d in Spam: inbox rate %.1f%%"
             % (len(accts), time.monotonic() - t, got["inbox"], got["spam"],
                100.0 * got["inbox"] / max(1, got["inbox"] + got["spam"])))
        if n == 1:
            info("(mailsim's reputation of %s: %s)" % (SENDER, self.reputation()))

    def letter(self, n, to):
        name = to.split("@")[0]
        m = EmailMessage()
        m["From"] = formataddr((SENDER_NAME, SENDER))
        m["To"] = to
        m["Subject"] = MAILINGS[n][0]
        m["Date"] = formatdate(localtime=True)
        m["Message-ID"] = make_msgid(domain="flora-shop.example")
        m["List-Unsubscribe"] = "<https://flora-shop.example/unsubscribe?u=%s>" % name
        if n == 0:
            body = ("Здравствуйте, %s!\n\nОсень — время уюта. До воскресенья дарим скидку 30%% "
                    "на букеты, сухоцветы и комнатные растения: монстеры, фикусы и "
                    "орхидеи.\n\nДоставим в день заказа по всему городу.\n\n"
                    "Выбрать букет: https://flora-shop.example/sale\n\n"
                    "С любовью к цветам,\nкоманда «Флоры»\n" % name)
        else:
            body = ("Здравствуйте, %s!\n\nВ магазине новая коллекция: зимние композиции с "
                    "хвоей, шишками и ягодами остролиста. К каждому заказу на этой неделе — "
                    "открытка ручной работы в подарок.\n\n"
                    "Посмотреть коллекцию: https://flora-shop.example/winter\n\n"
                    "С любовью к цветам,\nкоманда «Флоры»\n" % name)
        m.set_content(body)
        m.add_alternative("<html><body>%s</body></html>" % "".join(
            "<p>%s</p>" % p.replace("\n", "<br>") for p in body.split("\n\n")), subtype="html")
        return m

    def placement(self, subject):
        """Where mailsim's spam rule filed one mailing (its decision log)."""
        out = {"inbox": 0, "spam": 0}
        for d in self.ms_get("/spam"):
            if d.get("from") == SENDER and d.get("subject") == subject:
                out[d["folder"]] += 1
        return out

    def reputation(self):
        rep = self.ms_get("/reputation")
        for k in ("senders", "reputation"):
            if isinstance(rep, dict) and isinstance(rep.get(k), dict) and SENDER in rep[k]:
                r = rep[k][SENDER]
                if isinstance(r, dict) and "unspam" in r and "adjust" in r:
                    return ("%d \"not spam\" and %d spam reports since mailing #1 moved its "
                            "spam probability by %+.2f (0.15 a report), from %.2f to %.2f"
                            % (r["unspam"], r.get("spam", 0), r["adjust"], SENDER_SPAM_BASE,
                               min(1.0, max(0.0, SENDER_SPAM_BASE + r["adjust"]))))
                return json.dumps(r, ensure_ascii=False)
        return json.dumps(rep, ensure_ascii=False)[:200]

    # ---- 3. campaigns -----------------------------------------------------

    def today(self):
        return datetime.datetime.now(zoneinfo.ZoneInfo(self.zone)).date().isoformat()

    def add_campaign(self, fname, name, keys, note):
        path = os.path.join(self.camp_dir, fname)
        text = "[campaign %s]\n" % name + "".join("%s = %s\n" % kv for kv in keys.items())
        with open(path, "w") as f:
            f.write(text)
        say("campaign %s: %s" % (name, note))
        for line in text.strip().splitlines():
            info("  " + line)
        gen = self.generation
        self.warmd.signal(signal.SIGHUP)
        st = wait_for(lambda: (lambda s: s if s and s["config"]["generation"] > gen else None)(
            self._status_ok()), 30, "the reload")
        if st["last_reload"]["result"] != "ok":
            raise DemoError("reload failed: %s" % st["last_reload"])
        self.generation = st["config"]["generation"]
        info("SIGHUP: config generation %d, %s dropped into campaign_dir" % (self.generation, fname))
        self.campaigns.append((name, keys["kind"]))

    def campaign_progress(self, name):
        r = self.pg.rows(
            "SELECT c.status, c.planned_at IS NOT NULL,"
            " count(j.id) FILTER (WHERE j.status = 'done'),"
            " count(j.id) FILTER (WHERE j.status = 'failed'),"
            " count(j.id) FILTER (WHERE j.status IN ('new', 'running')),"
            " count(j.id) FILTER (WHERE j.status = 'cancelled'),"
            " count(j.id) FILTER (WHERE j.status IN ('new', 'running')"
            "  AND j.run_after > now())"
            " FROM campaigns c LEFT JOIN jobs j ON j.campaign_id = c.id"
            " WHERE c.name = '%s' GROUP BY c.status, c.planned_at" % name)
        if not r:
            return None
        s = r[0]
        return {"status": s[0], "planned": s[1] == "t", "done": int(s[2]), "failed": int(s[3]),
                "pending": int(s[4]), "cancelled": int(s[5]), "later": int(s[6])}

    def wait_campaign(self, name, timeout, detail=None, kind="rescue"):
        """Until planned and none of its jobs is pending (and a dated
        rescue or engage closed by the planner); a progress line every
        few seconds."""
        t0 = time.monotonic()
        last, last_t, finished_at = None, 0.0, None
        while True:
            if not self.warmd.alive():
                raise DemoError("warmd exited with %s:\n%s" % (self.warmd.p.returncode,
                                                               tail(self.warmd_log)))
            p = self.campaign_progress(name)
            now = time.monotonic()
            if p and p["planned"]:
                text = "%s: %d done, %d failed, %d pending" % (
                    name, p["done"], p["failed"], p["pending"])
                if p["later"]:
                    text += " (%d scheduled later)" % p["later"]
                if p["cancelled"]:
                    text += ", %d cancelled" % p["cancelled"]
                if detail:
                    text += detail()
                finished = p["pending"] == 0 and p["done"] + p["failed"] > 0
                if text != last and (finished or now - last_t >= 8):
                    info("%4.0fs  %s" % (now - t0, text))
                    last, last_t = text, now
                if finished:
                    finished_at = finished_at or now
                    # a dated rescue or engage is closed by the planner's next pass
                    if kind == "warmup" or p["status"] != "running" or now - finished_at > 10:
                        return p
            if now - t0 > timeout:
                raise DemoError("campaign %s not finished after %ds: %s" % (name, timeout, p))
            time.sleep(0.5)

    def rescue(self, n, holdout):
        subject = MAILINGS[n][0]
        name = "rescue-" + MAILINGS[n][1]
        self.add_campaign("%d0-%s.conf" % (len(self.campaigns) + 1, name), name, {
            "kind": "rescue", "subject": subject.split(":")[0], "date": self.today(),
            "mark_read": "yes", "flag": "yes", "holdout": "%d%%" % holdout,
            "seed": "2026"},
            "every mailbox finds mailing #%d, reports it \"not spam\" if it is in Spam, reads "
            "and flags it; %d%% hold out and only record where it landed" % (n + 1, holdout))
        return self.wait_campaign(name, 300)

    def engage(self):
        name = "engage-" + MAILINGS[0][1]
        self.add_campaign("%d0-%s.conf" % (len(self.campaigns) + 1, name), name, {
            "kind": "engage", "subject": MAILINGS[0][0].split(":")[0], "date": self.today(),
            "percent": "15%", "seed": "2026",
            "reply_template": os.path.join(self.sd, "conf/templates/engage-ru.tpl")},
            "15% of the mailboxes reply to mailing #1 in its thread (conf/templates/engage-ru.tpl)")
        p = self.wait_campaign(name, 300)
        self.show_sent("one of the replies", "engage", True)
        return p

    def warmup(self):
        """A working day compressed into a few minutes: hours from the
        last minute to 1.5-2.5 minutes from now, in the campaign's zone, so
        the planner spreads the day's letters over that window (min_gap
        30s >= the longest reply_delay keeps every recipient's turn inside
        it)."""
        now = datetime.datetime.now(zoneinfo.ZoneInfo(self.zone))
        m = now.hour * 60 + now.minute
        lo, hi = max(0, m - 1), min(24 * 60, m + (2 if now.second < 30 else 3))
        hours = "%02d:%02d-%02d:%02d" % (lo // 60, lo % 60, hi // 60, hi % 60)
        name = "warmup-day1"
        tpl = os.path.join(self.sd, "conf/templates")
        self.add_campaign("%d0-%s.conf" % (len(self.campaigns) + 1, name), name, {
            "kind": "warmup", "join_probability": "50%", "recipients": "3",
            "letters_start": "2",
            "start_date": self.today(), "end_date": self.today(), "hours": hours,
            "min_gap": "30s", "reply_delay": "5s-30s", "open_probability": "1",
            "flag_probability": "0.3", "reply_probability": "50%", "seed": "2026",
            "letter_template": "%s/warmup-ru.tpl, %s/warmup-en.tpl" % (tpl, tpl),
            "reply_template": "%s/reply-ru.tpl" % tpl},
            "half of the mailboxes write 2 letters each to 3 others, who find, rescue, open, "
            "flag and answer them; working hours %s (%s) compress the day into minutes"
            % (hours, self.zone))

        def detail():
            r = self.pg.rows(
                "SELECT count(*) FILTER (WHERE task = 'send' AND status = 'done'),"
                " count(*) FILTER (WHERE task = 'warm_receive' AND status = 'done'),"
                " count(*) FILTER (WHERE task = 'warm_receive' AND status = 'done'"
                "  AND result->'steps' ? 'reply')"
                " FROM jobs WHERE campaign_id = (SELECT id FROM campaigns WHERE name = '%s')"
                % name)[0]
            return " | letters sent %s, found %s, answered %s" % tuple(r)
        p = self.wait_campaign(name, 600, detail, kind="warmup")
        self.show_sent("a warm-up letter", "send", False)
        self.show_sent("and an answer to one", "warm_receive", True)
        return p

    def show_sent(self, label, task, replies):
        """One letter warmd sent for a campaign, as mailsim received it."""
        rows = self.pg.rows(
            "SELECT a.email FROM jobs j JOIN accounts a ON a.id = j.account_id"
            " WHERE j.campaign_id = (SELECT id FROM campaigns WHERE name = '%s')"
            " AND j.task = '%s' AND j.status = 'done'%s ORDER BY j.id LIMIT 1"
            % (self.campaigns[-1][0], task,
               " AND j.result->'steps' ? 'reply'" if task == "warm_receive" else ""))
        if not rows:
            return
        for m in self.ms_get("/sent?account=" + urllib.request.quote(rows[0][0])):
            h = m.get("headers", {})
            if m.get("account") != rows[0][0] or bool(h.get("In-Reply-To")) != replies:
                continue
            info("%s, as mailsim received it:" % label)
            info("  From: %s   To: %s" % (h.get("From"), h.get("To")))
            info("  Subject: %s" % h.get("Subject"))
            body = (m.get("text") or "").split("\n-- \n")[0].strip().splitlines()
            for line in body[:8]:
                info("  | " + line)
            return

    # ---- 4. reports and the summary ----------------------------------------

    def report(self, name):
        say("warmctl report %s" % name)
        print(self.ctl("report", name).rstrip(), flush=True)
        return json.loads(self.ctl("report", name, "--json"))

    def summary(self, reps):
        def step(rep, name, what="done"):
            for x in rep.get("steps", []):
                if x["step"] == name:
                    return x[what]
            return 0

        def rate(p):
            n = p["inbox"] + p["spam"]
            return "%5.1f%%" % (100.0 * p["inbox"] / n) if n else "  n/a "

        r1 = reps["rescue-" + MAILINGS[0][1]]
        r2 = reps["rescue-" + MAILINGS[1][1]]
        en = reps["engage-" + MAILINGS[0][1]]
        wu = reps["warmup-day1"]
        m1, m2 = self.mailing
        t1, t2 = r1["placement_total"], r2["placement_total"]
        w = wu.get("warmup_total", {})
        writers = self.pg.sql("SELECT count(DISTINCT account_id) FROM jobs WHERE task = 'send'"
                              " AND campaign_id = (SELECT id FROM campaigns"
                              " WHERE name = 'warmup-day1')")
        bad = self.pg.rows("SELECT coalesce(status_reason, status), count(*) FROM accounts"
                           " WHERE status <> 'active' GROUP BY 1 ORDER BY 2 DESC")
        jobs = dict(self.pg.rows("SELECT status, count(*) FROM jobs GROUP BY 1"))
        why = self.pg.rows("SELECT j.error, a.status = 'active', count(*) FROM jobs j"
                           " JOIN accounts a ON a.id = j.account_id"
                           " WHERE j.status = 'cancelled' GROUP BY 1, 2")
        cancelled = "; ".join("%s %s" % (n, "of the failed accounts" if act != "t"
                                         else e) for e, act, n in why)
        nbad = sum(int(n) for _, n in bad)
        return [
            "inbox rate               mailing #1  mailing #2",
            "  mailsim's filter           %s      %s   (%d and %d of %d letters in Inbox)" % (
                rate(m1), rate(m2), m1["inbox"], m2["inbox"], m1["inbox"] + m1["spam"]),
            "  warmd's rescue, warmed     %s      %s" % (rate(t1["warmed"]), rate(t2["warmed"])),
            "  warmd's rescue, holdout    %s      %s   (holdout: recorded, never touched)" % (
                rate(t1["holdout"]), rate(t2["holdout"])),
            "rescue #1     %d letters reported \"not spam\", %d read and flagged; %d mailboxes "
            "held out" % (step(r1, "not_spam", "letters"), step(r1, "flag"),
                          sum(t1["holdout"][k] for k in ("inbox", "spam", "none"))),
            "engage 15%%    %d replies in the thread to %s" % (step(en, "reply"), SENDER),
            "warm-up day   %d mailboxes wrote %d letters; recipients found %d (%d in Spam, "
            "rescued), flagged %d, answered %d" % (
                int(writers), w.get("sent", 0), w.get("inbox", 0) + w.get("spam", 0),
                w.get("spam", 0), step(wu, "flag"), step(wu, "reply")),
            "rescue #2     %d letters reported \"not spam\", %d read and flagged" % (
                step(r2, "not_spam", "letters"), step(r2, "flag")),
            "accounts      %d of %d failed%s" % (
                nbad, self.naccounts,
                (" (" + ", ".join("%s: %s" % (r, n) for r, n in bad) + ")") if bad else ""),
            "jobs          %s done, %s failed, %s cancelled%s" % (
                jobs.get("done", 0), jobs.get("failed", 0), jobs.get("cancelled", 0),
                (" (" + cancelled + ")") if cancelled else ""),
        ]

    # ---- the whole story ------------------------------------------------------

    def check(self):
        """Everything needed, before anything starts."""
        for name in ("src/warmd", "src/warmctl", "tests/mailsim/mailsim"):
            self.prog(name)
        for name in ("redis-server", "openssl"):
            if shutil.which(name) is None:
                raise DemoError("%s not found (contrib/setup-debian.sh installs it)" % name)
        Postgres.bin("initdb")

    def run(self):
        self.check()
        self.start_servers()
        self.write_accounts()
        self.write_config()
        self.start_warmd()
        self.ms_post("/control/domain", {"domain": SENDER.split("@")[1],
                                         "spam": SENDER_SPAM_BASE})
        info("mailsim: the sender's domain %s gets a base spam probability of %.2f"
             % (SENDER.split("@")[1], SENDER_SPAM_BASE))
        self.send_mailing(0)
        self.rescue(0, holdout=10)
        self.engage()
        self.warmup()
        self.send_mailing(1)
        self.rescue(1, holdout=10)
        reps = {}
        for name, _ in self.campaigns:
            reps[name] = self.report(name)
        lines = self.summary(reps)
        say("warmctl status")
        print(self.ctl("status").rstrip(), flush=True)
        say("stopping warmd (SIGTERM)")
        rc = self.warmd.stop(60)
        self.warmd = None
        info("warmd exited with status %s" % rc)
        if rc != 0:
            raise DemoError("warmd exited with %s:\n%s" % (rc, tail(self.warmd_log)))
        errs = self.stop_servers()
        if errs:
            raise DemoError("; ".join(errs))
        say("summary: %d mailboxes, %s" % (self.naccounts, self.fmt_elapsed()))
        for l in lines:
            print("   " + l)
        info("stopped       warmd (exit 0), mailsim, Redis, PostgreSQL; %s"
             % ("kept " + self.work if self.args.keep else "temporary directory removed"))
        return 0

    def fmt_elapsed(self):
        s = int(self.elapsed() + 0.5)
        return "%d min %02d s" % (s // 60, s % 60)

    def stop_servers(self):
        """Stop whatever runs, in order; safe to call twice."""
        errs = []
        if self.warmd:
            rc = self.warmd.stop(30)
            self.warmd = None
            if rc not in (0, None):
                errs.append("warmd exit %s" % rc)
        if self.mailsim:
            rc = self.mailsim.stop(10)
            self.mailsim = None
            if rc != 0:
                errs.append("mailsim exit %s" % rc)
        if self.redis:
            self.redis.stop(10)
            self.redis = None
        if self.pg:
            try:
                self.pg.stop()
            except Exception as e:        # noqa: BLE001 -- keep cleaning up
                errs.append("PostgreSQL: %s" % e)
            self.pg = None
        return errs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", required=True, help="the build tree (src/warmd, ...)")
    ap.add_argument("--srcdir", required=True, help="the source tree (sql/, conf/, tests/)")
    ap.add_argument("--mailboxes", "--accounts", type=int, default=1000,
                    help="mailboxes in the emulator and the account file (default 1000)")
    ap.add_argument("--seed", type=int, default=7, help="mailsim's seed (default 7)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory (logs, config, account file)")
    args = ap.parse_args()
    args.builddir = os.path.abspath(args.builddir)
    args.srcdir = os.path.abspath(args.srcdir)

    def interrupted(sig, frame):
        raise Interrupted(signal.Signals(sig).name)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, interrupted)
    # Ctrl-C too, even when started with SIGINT ignored (a background job)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    work = tempfile.mkdtemp(prefix="warmd-demo-")
    os.chmod(work, 0o755)           # PostgreSQL runs as postgres when we are root
    demo = Demo(args, work)
    rc = 1
    try:
        rc = demo.run()
    except (KeyboardInterrupt, Interrupted) as e:
        print("\n== interrupted (%s): stopping everything" % (str(e) or "Ctrl-C"), flush=True)
        rc = 130
    except (DemoError, subprocess.CalledProcessError, OSError) as e:
        msg = str(e)
        if isinstance(e, subprocess.CalledProcessError) and e.stdout:
            msg += "\n" + str(e.stdout)[-2000:]
        print("== demo failed: %s" % msg, file=sys.stderr, flush=True)
        if demo.warmd:
            print("== last lines of warmd's log:\n" + tail(demo.warmd_log, 20), file=sys.stderr)
        rc = 1
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)           # no interruption mid-cleanup
        errs = demo.stop_servers()
        for e in errs:
            print("== cleanup: %s" % e, file=sys.stderr)
        if args.keep:
            print("== kept %s (config, account file, logs)" % work, flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
            if rc == 1:
                print("== temporary directory removed; --keep keeps it with the logs",
                      file=sys.stderr)
        if errs and rc == 0:
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
