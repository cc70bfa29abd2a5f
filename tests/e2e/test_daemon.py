"""warmd as a daemon against a real PostgreSQL and Redis: start-up checks,
account import, SIGHUP diffs, bad reloads, graceful stop, server outages,
log reopening, /status and /metrics, and the systemd notifications."""

import json
import os
import random
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

import harness


def status(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=5) as r:
        return json.load(r)


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return r.read().decode()


def try_status(port):
    try:
        return status(port)
    except OSError:
        return None


PASSWORD_TAG = "Sekr3t"


def good_lines(n, start=1, tag=PASSWORD_TAG):
    out = []
    for i in range(start, start + n):
        proxy = "" if i % 4 else "10.9.%d.%d:3128:pu%d:pp%s%d" % (i // 250, i % 250, i, tag, i)
        out.append("box%05d@mail.ru;%s-%05d;%s" % (i, tag, i, proxy))
    return out


BAD_KINDS = [
    "no-at-sign.mail.ru;%s-bad1" % PASSWORD_TAG,          # malformed email
    "missing-password@mail.ru",                            # missing field
    "bad@mail.ru;%s-bad2;ftp://h:21" % PASSWORD_TAG,      # unsupported scheme
    "bad2@mail.ru;%s-bad3;host-without-port" % PASSWORD_TAG,  # malformed proxy
    "bad3@mail.ru;%s-bad4;h:99999" % PASSWORD_TAG,        # port out of range
]


def account_file_1000_20bad():
    """1,000 lines: 980 good, 20 bad of different kinds at known line numbers."""
    lines = good_lines(980)
    bad_at = []
    rnd = random.Random(42)
    positions = sorted(rnd.sample(range(1, 1000), 20))
    for k, pos in enumerate(positions):
        lines.insert(pos - 1, BAD_KINDS[k % len(BAD_KINDS)].replace("bad", "bad%d" % k, 1))
        bad_at.append(pos)
    assert len(lines) == 1000
    return lines, bad_at


class Warmd:
    def __init__(self, pg, redis, tmp):
        self.pg, self.redis, self.tmp = pg, redis, str(tmp)
        self.port = harness.free_port()
        self.acct = os.path.join(self.tmp, "accounts.txt")
        self.key = os.path.join(self.tmp, "secret.key")
        self.conf = os.path.join(self.tmp, "warmd.conf")
        self.logfile = os.path.join(self.tmp, "warmd.stderr")
        self.proc = None
        open(self.acct, "w").close()
        subprocess.run([harness.program("src/warmctl"), "keygen", self.key], check=True,
                       stdout=subprocess.DEVNULL)

    def write_conf(self, extra="", redis_addr=None):
        with open(self.conf, "w") as f:
            f.write("[warmd]\nlog_level = info\ngrace_period = 3s\n")
            f.write("[database]\nconninfo = %s\nreconnect_max = 1s\n" % self.pg.conninfo())
            f.write("[redis]\naddress = %s\n" % (redis_addr or self.redis.address()))
            f.write("[accounts]\nfiles = %s\nkey_file = %s\n" % (self.acct, self.key))
            f.write("[admin]\nlisten = 127.0.0.1:%d\n" % self.port)
            f.write(extra)

    def write_accounts(self, lines):
        with open(self.acct, "w") as f:
            f.write("\n".join(lines) + "\n")

    def migrate(self):
        subprocess.run([harness.program("src/warmctl"), "-c", self.conf, "migrate"],
                       check=True, stdout=subprocess.PIPE)

    def start(self, env=None):
        self.proc = harness.Daemon([harness.program("src/warmd"), "-c", self.conf],
                                   self.logfile, env=env).start()
        return self

    def wait_synced(self, n=1, timeout=60):
        def ok():
            st = try_status(self.port)
            return st if st and st["accounts"]["syncs_ok"] >= n and \
                st["accounts"]["by_status"] is not None else None
        return harness.wait_for(ok, timeout, what="account sync #%d" % n)

    def log(self):
        return self.proc.log_text()


@pytest.fixture
def wd(pg, redis, tmp_path):
    w = Warmd(pg, redis, tmp_path)
    w.write_conf()
    w.migrate()
    yield w
    if w.proc:
        w.proc.stop()


def test_refuses_to_start_on_old_schema(pg, redis, tmp_path):
    w = Warmd(pg, redis, tmp_path)
    w.write_conf()
    w.write_accounts(good_lines(3))
    r = subprocess.run([harness.program("src/warmd"), "-c", w.conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    assert r.returncode != 0
    assert "warmctl migrate" in r.stdout


def test_check_mode_reports_errors_with_lines(wd):
    lines, bad_at = account_file_1000_20bad()
    wd.write_accounts(lines)
    r = subprocess.run([harness.program("src/warmd"), "-t", "-c", wd.conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode != 0
    for n in bad_at:
        assert "%s:%d:" % (wd.acct, n) in r.stdout
    assert PASSWORD_TAG not in r.stdout
    wd.write_accounts(good_lines(5))
    r = subprocess.run([harness.program("src/warmd"), "-t", "-c", wd.conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    assert "test is successful" in r.stdout
    with open(wd.conf, "a") as f:
        f.write("no_such_key = 1\n")
    r = subprocess.run([harness.program("src/warmd"), "-t", "-c", wd.conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode != 0
    nlines = sum(1 for _ in open(wd.conf))
    assert "%s:%d:" % (wd.conf, nlines) in r.stdout and "no_such_key" in r.stdout


def test_import_980_of_1000_and_no_password_anywhere(wd):
    lines, bad_at = account_file_1000_20bad()
    wd.write_accounts(lines)
    wd.start()
    st = wd.wait_synced()
    assert st["accounts"]["files"] == {"loaded": 980, "rejected": 20, "duplicates": 0}
    assert st["accounts"]["sync"]["added"] == 980
    assert st["accounts"]["by_status"]["active"] == 980
    assert wd.pg.psql("select count(*) from accounts") == "980"
    log = wd.log()
    rejected = [l for l in log.splitlines() if "account line rejected" in l]
    assert len(rejected) == 20
    for n in bad_at:
        assert any("%s:%d:" % (wd.acct, n) in l for l in rejected), n
    assert PASSWORD_TAG not in log
    # Stored encrypted: the bytes of no password appear in the table.
    dump = wd.pg.psql("select encode(password, 'escape') || coalesce(proxy_uri, '') from accounts")
    assert "%s-00001" % PASSWORD_TAG not in dump
    body = metrics(wd.port)
    assert 'warmd_accounts{status="active"} 980' in body
    assert 'warmd_account_lines{result="rejected"} 20' in body


def test_sighup_applies_exactly_the_diff(wd):
    base = good_lines(100)
    wd.write_accounts(base)
    wd.start()
    wd.wait_synced(1)
    wd.pg.psql("update accounts set status = 'suspended', status_reason = 'operator: paused' "
               "where email = 'box00050@mail.ru'")
    edited = list(base)
    for i in range(5):          # 5 changed: new passwords
        edited[i] = edited[i].replace("%s-" % PASSWORD_TAG, "%s-changed-" % PASSWORD_TAG)
    removed = edited[10:15]     # 5 removed
    del edited[10:15]
    edited += good_lines(5, start=500)  # 5 added
    wd.write_accounts(edited)
    wd.proc.signal(signal.SIGHUP)
    st = wd.wait_synced(2)
    sync = st["accounts"]["sync"]
    assert (sync["added"], sync["changed"], sync["removed"], sync["reactivated"]) == (5, 5, 5, 0)
    assert st["config"]["generation"] == 2
    assert st["last_reload"]["result"] == "ok"
    assert wd.pg.psql("select count(*) from accounts") == "105"
    emails = ",".join("'%s'" % l.split(";")[0] for l in removed)
    assert wd.pg.psql("select count(*) from accounts where email in (%s) and status = 'suspended' "
                      "and status_reason = 'removed from list'" % emails) == "5"
    assert wd.pg.psql("select status from accounts where email = 'box00050@mail.ru'") == "suspended"
    # The removed ones come back: reactivated, the hand-suspended one stays.
    wd.write_accounts(edited + removed)
    wd.proc.signal(signal.SIGHUP)
    st = wd.wait_synced(3)
    assert st["accounts"]["sync"]["reactivated"] == 5
    assert wd.pg.psql("select count(*) from accounts where status = 'active'") == "104"
    assert PASSWORD_TAG not in wd.log()


def test_bad_reload_keeps_the_old_config(wd):
    wd.write_accounts(good_lines(10))
    wd.start()
    wd.wait_synced(1)
    with open(wd.conf, "a") as f:
        f.write("[warmd]\n")
        f.write("grace_period = forever\n")
    wd.proc.signal(signal.SIGHUP)
    st = harness.wait_for(lambda: (lambda s: s if s and s["last_reload"]["result"] == "failed"
                                   else None)(try_status(wd.port)), 20, what="failed reload")
    assert st["config"]["generation"] == 1
    assert st["state"] == "running"
    assert any("grace_period" in e and wd.conf in e for e in st["last_reload"]["errors"])
    assert "reload failed" in wd.log()
    # A fixed file reloads fine afterwards.
    wd.write_conf()
    wd.proc.signal(signal.SIGHUP)
    st = harness.wait_for(lambda: (lambda s: s if s and s["last_reload"]["result"] == "ok"
                                   else None)(try_status(wd.port)), 20, what="good reload")
    assert st["config"]["generation"] == 2


def test_restart_only_key_is_named_in_the_log(wd):
    wd.write_accounts(good_lines(3))
    wd.start()
    wd.wait_synced(1)
    wd.write_conf(extra="")
    with open(wd.conf) as f:
        text = f.read()
    with open(wd.conf, "w") as f:
        f.write(text.replace("[database]\n", "[database]\npool_size = 7\n"))
    wd.proc.signal(signal.SIGHUP)
    wd.proc.wait_log("requires a restart", 20)
    assert "pool_size" in wd.log()


def test_graceful_stop_exits_zero(wd):
    wd.write_accounts(good_lines(3))
    wd.start()
    wd.wait_synced(1)
    wd.proc.signal(signal.SIGTERM)
    assert wd.proc.wait(20) == 0
    assert "stopping" in wd.log()


def test_second_term_exits_at_once(wd, tmp_path):
    # A sync held up by a locked table keeps work in flight during the drain.
    wd.write_accounts(good_lines(3))
    wd.start()
    wd.wait_synced(1)
    locker = subprocess.Popen(
        [harness._pg_bin("psql"), "-h", wd.pg.sock, "-p", str(wd.pg.port), "-U", wd.pg.user, "-d", wd.pg.dbname,
         "-c", "begin; lock table accounts; select pg_sleep(30);"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        wd.write_accounts(good_lines(4))
        wd.proc.signal(signal.SIGHUP)
        time.sleep(1)
        t0 = time.monotonic()
        wd.proc.signal(signal.SIGTERM)
        time.sleep(0.5)
        assert wd.proc.proc.poll() is None, "first TERM must wait for in-flight work"
        wd.proc.signal(signal.SIGTERM)
        wd.proc.wait(10)
        assert time.monotonic() - t0 < 2.5
        assert "second stop signal" in wd.log()
    finally:
        locker.kill()
        locker.wait()


def test_postgres_down_5s_no_crash(pg_private, redis, tmp_path):
    w = Warmd(pg_private, redis, tmp_path)
    w.write_conf()
    w.migrate()
    w.write_accounts(good_lines(20))
    w.start()
    try:
        w.wait_synced(1)
        pg_private.stop()
        harness.wait_for(lambda: (try_status(w.port) or {}).get("postgres", {}).get("up") is False,
                         15, what="postgres down in /status")
        time.sleep(5)
        assert w.proc.proc.poll() is None
        pg_private.start()
        harness.wait_for(lambda: (try_status(w.port) or {}).get("postgres", {}).get("up"),
                         30, what="postgres back up")
        # The pool works again: a reload syncs through it.
        w.write_accounts(good_lines(21))
        w.proc.signal(signal.SIGHUP)
        st = w.wait_synced(2)
        assert st["accounts"]["sync"]["added"] == 1
    finally:
        w.proc.stop()


def test_redis_down_keeps_running_and_says_so_once(wd):
    wd.write_accounts(good_lines(3))
    wd.start()
    wd.wait_synced(1)
    harness.wait_for(lambda: (try_status(wd.port) or {}).get("redis", {}).get("up"), 10,
                     what="redis up")
    wd.redis.stop()
    harness.wait_for(lambda: (try_status(wd.port) or {}).get("redis", {}).get("up") is False,
                     15, what="redis down in /status")
    time.sleep(4)
    assert wd.proc.proc.poll() is None
    st = status(wd.port)
    assert st["state"] == "running"
    down_lines = [l for l in wd.log().splitlines() if "redis" in l.lower() and "down" in l.lower()]
    assert 1 <= len(down_lines) <= 2, down_lines
    wd.redis.start()
    harness.wait_for(lambda: (try_status(wd.port) or {}).get("redis", {}).get("up"), 30,
                     what="redis back")


def test_usr1_reopens_the_log_file(wd):
    logfile = os.path.join(wd.tmp, "warmd.log")
    wd.write_conf(extra="")
    with open(wd.conf) as f:
        text = f.read()
    with open(wd.conf, "w") as f:
        f.write(text.replace("[warmd]\n", "[warmd]\nlog_file = %s\n" % logfile))
    wd.write_accounts(good_lines(3))
    wd.start()
    wd.wait_synced(1)
    os.rename(logfile, logfile + ".1")
    wd.proc.signal(signal.SIGUSR1)
    harness.wait_for(lambda: os.path.exists(logfile), 10, what="new log file")
    wd.proc.signal(signal.SIGHUP)
    harness.wait_for(lambda: "reload" in open(logfile).read(), 10, what="reload in new log")


def test_sd_notify_ready_reloading_stopping(wd, tmp_path):
    sockpath = os.path.join(str(tmp_path), "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sockpath)
    s.settimeout(30)
    env = dict(os.environ, NOTIFY_SOCKET=sockpath)
    wd.write_accounts(good_lines(3))
    wd.start(env=env)
    got = []

    def until(word):
        while not any(word in g for g in got):
            got.append(s.recv(4096).decode())

    until("READY=1")
    wd.wait_synced(1)
    wd.proc.signal(signal.SIGHUP)
    until("RELOADING=1")
    wd.proc.signal(signal.SIGTERM)
    until("STOPPING=1")
    assert wd.proc.wait(20) == 0
    s.close()
