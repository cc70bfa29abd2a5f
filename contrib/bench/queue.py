#!/usr/bin/env python3
"""Throughput of warmd's jobs engine: P warmd processes draining one queue.

Starts a private PostgreSQL, Redis and the bundled mail.ru emulator
(mailsim --generate N), imports the N mailboxes with warmctl, and runs:

  phase 0  one `login` job per account, drained by one warmd, so that every
           account has a cached session in Redis (not measured);
  then, for every P in --procs:
           the jobs table emptied (TRUNCATE) and VACUUM ANALYZEd, J `login`
           jobs inserted in ONE statement, spread evenly over the accounts
           (J/N each), P warmd processes started on the same database, and
           the queue polled every 0.2 s until all J are done; then SIGTERM.

`login` is the trivial task (restore the cached session and validate it;
no mailbox work), so what is measured is the queue: claims with FOR UPDATE
SKIP LOCKED and account leases, one finishing UPDATE per job, renewals.

Measured per P: wall seconds from the start of the processes until the
last job is done, jobs/s, CPU seconds of the PostgreSQL server (postmaster
and every backend, autovacuum included; the benchmark's own polling
connection is measured separately and left out), DB CPU ms per 1,000 jobs,
CPU seconds of the warmd processes (wait4), and of mailsim and Redis.
Checked: every job done, none failed, attempts = 1 for all (the number
with more is reported, not fatal).

Prints a table, then one JSON line (also written to -o).  Standard library
only; uses tests/e2e/harness.py for the servers.

    contrib/bench/queue.py --builddir BUILDDIR [--accounts 10000]
        [--jobs 100000] [--procs 1,3,8] [--timeout 1800] [-o result.json]

Not a test: `make check` never runs it.  See contrib/bench/README.md.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SRCDIR = os.path.normpath(os.path.join(HERE, "..", ".."))
POLL_S = 0.2
MARK = "@@warmd-bench-end@@"
COUNTERS = ("http_requests", "http_connections", "login_mobile", "login_ok", "api_calls")

harness = None  # tests/e2e/harness.py, imported once the source dir is known


def say(msg):
    print("== " + msg, file=sys.stderr, flush=True)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def proc_cpu_s(pid, children=True):
    """utime+stime (and, with children, cutime+cstime) of a live process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields[0] is field 3 (state): utime is field 14, cstime field 17
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid):
    """CPU of a process, its reaped children and its live children (for the
    postmaster: backends come and go during a run)."""
    total = proc_cpu_s(pid)
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            total += proc_cpu_s(int(d), children=False)
    return total


def system_busy_s():
    """CPU seconds spent busy by the whole machine (every core), from
    /proc/stat: to see how much went to programs outside the benchmark."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    # guest time is already inside user
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Psql:
    """One long-lived psql connection (a poll every 0.2 s through a fresh
    psql would start a backend each time, and that CPU would be counted as
    the queue's).  query() returns the output lines (unaligned, tuples only,
    '|' separated)."""

    def __init__(self, pg, dbname):
        argv = [harness._pg_bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", pg.sock, "-p", str(pg.port), "-U", pg.user, "-d", dbname]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.query("SET client_min_messages = warning")
        self.backend = int(self.query("SELECT pg_backend_pid()")[0])

    def query(self, sql):
        self.proc.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo " + MARK + "\n")
        self.proc.stdin.flush()
        out = []
        while True:
            line = self.proc.stdout.readline()
            if line == "":
                raise RuntimeError("psql exited (%s) on: %s" % (self.proc.poll(), sql))
            line = line.rstrip("\n")
            if line == MARK:
                return out
            out.append(line)

    def one(self, sql):
        return int(self.query(sql)[0])

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)


class Warmd:
    """A warmd process whose CPU comes from wait4() when it exits."""

    def __init__(self, args, conf, logpath):
        env = dict(os.environ)
        env["WARMD_SQLDIR"] = os.path.join(args.srcdir, "sql")
        self.logpath = logpath
        self.log = open(logpath, "ab")
        # Its own session: a ^C or a signal to the benchmark's process
        # group is not a second stop signal to warmd (which would make it
        # drop in-flight work); stop_all() stops it.
        self.proc = subprocess.Popen([os.path.join(args.builddir, "src", "warmd"), "-c", conf],
                                     stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL, env=env,
                                     start_new_session=True)
        self.rc = None
        self.cpu_s = None
        self.killed = False
        self.is_ready = False

    def text(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def ready(self):
        """Has it logged "ready" (start-up done: schema, accounts, clients)?"""
        if not self.is_ready:
            self.is_ready = "] info: ready\n" in self.text()
        return self.is_ready

    def alive(self):
        return self.rc is None and self.proc.poll() is None

    def reap(self, timeout):
        """Wait up to timeout s for the exit, SIGKILL after; record CPU."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() > deadline:
                self.proc.kill()
                self.killed = True
                pid, status, ru = os.wait4(self.proc.pid, 0)
                break
            time.sleep(0.05)
        self.rc = os.waitstatus_to_exitcode(status)
        self.proc.returncode = self.rc
        self.cpu_s = ru.ru_utime + ru.ru_stime
        self.log.close()
        return self.rc


def stop_all(procs, timeout=60):
    for w in procs:
        if w.proc.returncode is None:
            try:
                w.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    for w in procs:
        if w.rc is None:
            w.reap(timeout)


def log_lines(procs, levels=("warn", "error")):
    """Lines of the warmd logs at the given levels, with the process index
    (log.c's format: "TIME warmd[PID] LEVEL: text")."""
    out = []
    for i, w in enumerate(procs):
        for line in w.text().splitlines():
            if any(("] %s: " % lv) in line for lv in levels):
                out.append("w%d: %s" % (i, line))
    return out


class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.pg = self.redis = self.ms = self.db = None
        self.key = os.path.join(work, "secret.key")
        self.conf = os.path.join(work, "warmd.conf")
        self.warmctl = os.path.join(args.builddir, "src", "warmctl")
        self.nrun = 0

    def ctl(self, argv):
        a = [self.warmctl, "-c", self.conf, "--sql-dir", os.path.join(self.args.srcdir, "sql")]
        r = subprocess.run(a + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=1800)
        if r.returncode != 0:
            raise RuntimeError("%s: exit %d: %s" % (" ".join(a + argv), r.returncode,
                                                    r.stdout[-2000:]))
        return r.stdout

    def start(self):
        a = self.args
        say("starting mailsim with %d generated accounts" % a.accounts)
        certs = harness.mailsim_certs(os.path.join(self.work, "certs"))
        self.ms = harness.Mailsim(certs, generate=a.accounts, seed=a.seed).start(timeout=300)
        acct_file = self.ms.write_accounts(os.path.join(self.work, "accounts.txt"))
        say("starting a private PostgreSQL and Redis")
        self.pg = harness.Postgres().init()
        if a.pg_stats:
            with open(os.path.join(self.pg.data, "postgresql.conf"), "a") as f:
                f.write("shared_preload_libraries = 'pg_stat_statements'\n"
                        "pg_stat_statements.track = all\n")
        self.pg.start()
        self.pg.createdb("warmd")
        self.redis = harness.Redis().start()
        subprocess.run([self.warmctl, "keygen", self.key], check=True,
                       stdout=subprocess.DEVNULL)
        with open(self.conf, "w") as f:
            f.write("[warmd]\nlog_level = info\nmax_sessions = %d\ngrace_period = 10s\n"
                    % a.max_sessions)
            f.write("[database]\nconninfo = %s\n" % self.pg.conninfo("warmd"))
            f.write("[redis]\naddress = %s\n" % self.redis.address())
            f.write("[accounts]\nfiles = %s\nkey_file = %s\n" % (acct_file, self.key))
            f.write("[admin]\nlisten = off\n")
            f.write("[http]\nca_file = %s\nconnect_to = %s\n"
                    "connect_timeout = 60s\ntimeout = 120s\n"
                    % (self.ms.ca_file, self.ms.connect_to()))
            # No proxies (direct sessions are bounded by max_sessions
            # alone), no ipecho_url, no pauses.
            f.write("[session]\nauth = mobile\npace_min = 0\npace_max = 0\n")
            f.write("[jobs]\n%s" % "".join("%s\n" % x for x in a.jobs_conf))
        say("warmctl migrate, import")
        self.ctl(["migrate"])
        self.ctl(["import"])
        self.db = Psql(self.pg, "warmd")
        if a.pg_stats:
            self.db.query("CREATE EXTENSION pg_stat_statements")
        n = self.db.one("SELECT count(*) FROM accounts WHERE status = 'active'")
        if n != a.accounts:
            raise RuntimeError("%d active accounts imported, expected %d" % (n, a.accounts))

    def pg_cpu(self):
        """The server's CPU less the benchmark's own polling backend."""
        with open(os.path.join(self.pg.data, "postmaster.pid")) as f:
            pm = int(f.readline())
        return tree_cpu_s(pm) - proc_cpu_s(self.db.backend, children=False)

    def poller_cpu(self):
        return proc_cpu_s(self.db.backend, children=False)

    def counters(self):
        c = self.ms.get("/counters")
        return {k: c.get(k, 0) for k in COUNTERS}

    def reset_queue(self):
        held = self.db.one("SELECT count(*) FROM account_leases WHERE owner IS NOT NULL"
                           " OR until > now()")
        self.db.query("TRUNCATE jobs CASCADE")
        self.db.query("UPDATE account_leases SET owner = NULL, until = NULL,"
                      " claimed_at = NULL WHERE owner IS NOT NULL OR until IS NOT NULL")
        self.db.query("VACUUM ANALYZE jobs")
        self.db.query("VACUUM ANALYZE account_leases")
        return held

    def insert(self, njobs):
        """njobs login jobs, account k of N getting jobs k, k+N, k+2N...;
        one statement, so one NOTIFY and one run_after for all."""
        self.db.query(
            "INSERT INTO jobs (account_id, task)"
            " SELECT a.id, 'login' FROM generate_series(0, %d) AS g(i)"
            " JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM accounts"
            "  WHERE status = 'active') a ON a.k = g.i %% %d"
            % (njobs - 1, self.args.accounts))
        got = self.db.one("SELECT count(*) FROM jobs")
        if got != njobs:
            raise RuntimeError("inserted %d jobs, expected %d" % (got, njobs))
        # Statistics as a queue that has been running would have them.
        self.db.query("ANALYZE jobs")

    def status_counts(self):
        c = {}
        for line in self.db.query("SELECT status, count(*) FROM jobs GROUP BY status"):
            k, v = line.split("|")
            c[k] = int(v)
        return c

    def drain(self, nprocs, njobs, tag):
        """Start nprocs warmd on the queue as it is; poll until njobs are
        done (or --timeout); stop them; every figure of the run."""
        a = self.args
        self.nrun += 1
        procs = []
        pg0 = self.pg_cpu()
        poll0 = self.poller_cpu()
        rd0 = proc_cpu_s(self.redis.proc.pid, children=False)
        ms0 = proc_cpu_s(self.ms.proc.pid, children=False)
        if a.pg_stats:
            self.db.query("SELECT pg_stat_statements_reset()")
        c0 = self.counters()
        busy0 = system_busy_s()
        t0 = time.monotonic()
        try:
            for i in range(nprocs):
                procs.append(Warmd(a, self.conf,
                                   os.path.join(self.work, "warmd-%s-%d.log" % (tag, i))))
            return self._drain(procs, njobs, t0, pg0, poll0, rd0, ms0, c0, busy0)
        finally:
            stop_all([w for w in procs if w.rc is None], timeout=15)

    def _drain(self, procs, njobs, t0, pg0, poll0, rd0, ms0, c0, busy0):
        a = self.args
        nprocs = len(procs)
        done = 0
        t_ready = t_first = None
        timed_out = False
        samples = []
        while True:
            time.sleep(POLL_S)
            now = time.monotonic() - t0
            done = self.db.one("SELECT count(*) FROM jobs WHERE status = 'done'")
            if done and t_first is None:
                t_first = now
            if t_ready is None and all(w.ready() for w in procs):
                t_ready = now
            if not samples or now - samples[-1][0] >= 1.0 or done >= njobs:
                samples.append((round(now, 2), done))
            if done >= njobs:
                break
            dead = [i for i, w in enumerate(procs) if not w.alive()]
            if dead:
                say("warmd %s exited early" % dead)
                break
            if now > a.timeout:
                timed_out = True
                say("timed out after %ds with %d of %d done" % (a.timeout, done, njobs))
                break
        wall = time.monotonic() - t0
        pg1 = self.pg_cpu()
        rd1 = proc_cpu_s(self.redis.proc.pid, children=False)
        ms1 = proc_cpu_s(self.ms.proc.pid, children=False)
        busy1 = system_busy_s()
        c1 = self.counters()
        ts = time.monotonic()
        stop_all(procs)
        stop_s = time.monotonic() - ts
        counts = self.status_counts()
        retried = self.db.one("SELECT count(*) FROM jobs WHERE attempts > 1")
        not_one = self.db.one("SELECT count(*) FROM jobs WHERE attempts <> 1")
        errors = self.db.query("SELECT error, count(*) FROM jobs WHERE error IS NOT NULL"
                               " GROUP BY error ORDER BY 2 DESC LIMIT 5")
        held = self.db.one("SELECT count(*) FROM account_leases WHERE owner IS NOT NULL")
        per_worker = self.db.query("SELECT worker_id, count(*) FROM jobs WHERE status = 'done'"
                                   " GROUP BY worker_id ORDER BY worker_id")
        warmd_cpu = sum(w.cpu_s for w in procs)
        poller = self.poller_cpu() - poll0
        # warmd's CPU from wait4() includes its stop, not in busy1 - busy0:
        # a small underestimate of the others, never an overestimate.
        others = ((busy1 - busy0) - (pg1 - pg0) - poller - warmd_cpu
                  - (rd1 - rd0) - (ms1 - ms0))
        top = self.top_statements() if a.pg_stats else None
        warns = log_lines(procs)
        sess_errors = [l for l in log_lines(procs, ("info",)) if "info: jobs: account " in l]
        pg_cpu = pg1 - pg0
        r = {"procs": nprocs, "jobs": njobs, "accounts": a.accounts, "done": done,
             "wall_s": round(wall, 3), "jobs_per_s": round(done / wall, 1) if wall else None,
             "ready_s": None if t_ready is None else round(t_ready, 2),
             "first_done_s": None if t_first is None else round(t_first, 2),
             "stop_s": round(stop_s, 3),
             "pg_cpu_s": round(pg_cpu, 3),
             "pg_cpu_ms_per_1k": round(pg_cpu * 1e6 / done, 1) if done else None,
             "poller_cpu_s": round(poller, 3),
             "machine_busy_s": round(busy1 - busy0, 3), "other_cpu_s": round(others, 3),
             "warmd_cpu_s": round(warmd_cpu, 3),
             "warmd_cpu_ms_per_1k": round(warmd_cpu * 1e6 / done, 1) if done else None,
             "warmd_cpu_each_s": [round(w.cpu_s, 3) for w in procs],
             "redis_cpu_s": round(rd1 - rd0, 3), "mailsim_cpu_s": round(ms1 - ms0, 3),
             "mailsim": {k: c1[k] - c0[k] for k in COUNTERS},
             "status": counts, "attempts_gt_1": retried, "attempts_ne_1": not_one,
             "errors": errors, "leases_held_after_stop": held,
             "done_per_worker": [int(x.split("|")[1]) for x in per_worker],
             "exit_codes": [w.rc for w in procs], "killed": [w.killed for w in procs],
             "timed_out": timed_out, "progress": samples,
             "pg_statements": top,
             "log_warning_count": len(warns), "log_warnings": warns[:40],
             "session_error_count": len(sess_errors), "session_errors": sess_errors[:20]}
        return r

    def top_statements(self, n=8):
        """pg_stat_statements' heaviest statements of the run (execution
        time, which is not CPU but close to it with fsync off and the data
        in memory), the benchmark's own left out."""
        out = []
        for line in self.db.query(
                "SELECT calls, round(total_exec_time::numeric, 1),"
                " round(mean_exec_time::numeric, 3), rows,"
                " regexp_replace(left(query, 120), '\\s+', ' ', 'g')"
                " FROM pg_stat_statements WHERE userid = (SELECT oid FROM pg_roles"
                "  WHERE rolname = current_user)"
                " AND query NOT LIKE '%%pg_stat_statements%%'"
                " AND query !~ '^SELECT count[(][*][)] FROM jobs WHERE status = '"
                " ORDER BY total_exec_time DESC LIMIT %d" % n):
            calls, total, mean, rows, q = line.split("|", 4)
            out.append({"calls": int(calls), "total_ms": float(total), "mean_ms": float(mean),
                        "rows": int(rows), "query": q})
        return out

    def destroy(self):
        if self.db:
            try:
                self.db.close()
            except Exception:  # noqa: BLE001 - cleanup
                pass
        if self.redis:
            self.redis.destroy()
        if self.pg:
            self.pg.destroy()
        if self.ms:
            self.ms.destroy()


def problems(r):
    """What went wrong in a run, as notes."""
    out = []
    tag = "P=%d" % r["procs"]
    if r["timed_out"]:
        out.append("%s: timed out with %d of %d done" % (tag, r["done"], r["jobs"]))
    elif r["done"] < r["jobs"]:
        out.append("%s: only %d of %d done" % (tag, r["done"], r["jobs"]))
    other = {k: v for k, v in r["status"].items() if k != "done"}
    if other:
        out.append("%s: jobs not done: %s" % (tag, other))
    if r["attempts_gt_1"]:
        out.append("%s: %d jobs with attempts > 1" % (tag, r["attempts_gt_1"]))
    if r["errors"]:
        out.append("%s: job errors: %s" % (tag, r["errors"]))
    if any(rc != 0 for rc in r["exit_codes"]):
        out.append("%s: warmd exit codes %s%s" % (tag, r["exit_codes"],
                                                  " (killed)" if any(r["killed"]) else ""))
    if r["other_cpu_s"] > max(1.0, 0.05 * r["wall_s"] * (os.cpu_count() or 1)):
        out.append("%s: %.1f CPU s went to other programs on this machine during the run"
                   % (tag, r["other_cpu_s"]))
    if r["leases_held_after_stop"]:
        out.append("%s: %d leases still held after stop" % (tag, r["leases_held_after_stop"]))
    if r["log_warning_count"]:
        out.append("%s: %d warn/error log lines, first: %s"
                   % (tag, r["log_warning_count"], r["log_warnings"][0]))
    if r["session_error_count"]:
        out.append("%s: %d sessions ended in error, first: %s"
                   % (tag, r["session_error_count"], r["session_errors"][0]))
    return out


def table(runs):
    hdr = ("procs", "jobs", "wall s", "jobs/s", "PG CPU s", "PG ms/1k jobs", "warmd CPU s",
           "warmd ms/1k", "mailsim CPU s", "other CPU s", "logins")
    rows = [hdr]
    for r in runs:
        rows.append((r["procs"], r["done"], "%.2f" % r["wall_s"], "%.0f" % r["jobs_per_s"],
                     "%.2f" % r["pg_cpu_s"], "%.1f" % (r["pg_cpu_ms_per_1k"] or 0),
                     "%.2f" % r["warmd_cpu_s"], "%.1f" % (r["warmd_cpu_ms_per_1k"] or 0),
                     "%.2f" % r["mailsim_cpu_s"], "%.2f" % r["other_cpu_s"],
                     r["mailsim"]["login_ok"]))
    w = [max(len(str(x[i])) for x in rows) for i in range(len(hdr))]
    for row in rows:
        print("  ".join(str(v).rjust(w[i]) for i, v in enumerate(row)))


def main():
    global harness
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--builddir", default=os.environ.get("WARMD_BUILDDIR", "."),
                    help="configured and built tree (src/warmd, src/warmctl, "
                    "tests/mailsim/mailsim)")
    ap.add_argument("--srcdir", default=os.environ.get("WARMD_SRCDIR", DEFAULT_SRCDIR))
    ap.add_argument("--accounts", type=int, default=10000, help="N mailboxes (mailsim --generate)")
    ap.add_argument("--jobs", type=int, default=100000, help="J login jobs per run")
    ap.add_argument("--procs", default="1,3,8", help="P values (warmd processes), comma-separated")
    ap.add_argument("--max-sessions", type=int, default=2000, help="[warmd] max_sessions")
    ap.add_argument("--jobs-conf", action="append", default=[], metavar="KEY=VALUE",
                    help="extra [jobs] setting, e.g. claim_batch=500 (repeatable)")
    ap.add_argument("--pg-stats", action="store_true",
                    help="load pg_stat_statements and report each run's heaviest statements")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=1800,
                    help="seconds for one run (and for phase 0) to finish")
    ap.add_argument("-o", "--output", help="also write the final JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = ap.parse_args()
    args.builddir = os.path.abspath(args.builddir)
    args.srcdir = os.path.abspath(args.srcdir)
    args.jobs_conf = [x.replace("=", " = ", 1) for x in args.jobs_conf]
    if not os.access(os.path.join(args.builddir, "src", "warmd"), os.X_OK):
        ap.error("%s/src/warmd not built; give --builddir" % args.builddir)
    os.environ["WARMD_BUILDDIR"] = args.builddir
    os.environ["WARMD_SRCDIR"] = args.srcdir
    sys.path.insert(0, os.path.join(args.srcdir, "tests", "e2e"))
    import harness as h  # noqa: E402
    harness = h

    procs = [int(x) for x in args.procs.split(",") if x]

    def terminated(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGHUP, terminated)
    hard = raise_nofile()
    work = tempfile.mkdtemp(prefix="warmd-queue-")
    b = Bench(args, work)
    runs, notes = [], []
    warmup = None
    try:
        b.start()
        say("phase 0: one login job per account, one warmd (not measured)")
        b.reset_queue()
        b.insert(args.accounts)
        warmup = b.drain(1, args.accounts, "warmup")
        notes += ["warm-up " + p for p in problems(warmup)]
        say("warm-up: %d done in %.1f s, %d logins"
            % (warmup["done"], warmup["wall_s"], warmup["mailsim"]["login_ok"]))
        for p in procs:
            held = b.reset_queue()
            if held:
                notes.append("before P=%d: %d leases were still held (cleared)" % (p, held))
            b.insert(args.jobs)
            say("P=%d: %d jobs over %d accounts" % (p, args.jobs, args.accounts))
            r = b.drain(p, args.jobs, "p%d" % p)
            runs.append(r)
            for n in problems(r):
                notes.append(n)
                say(n)
            say("P=%d: %d done in %.2f s (%.0f jobs/s), PG CPU %.2f s, warmd CPU %.2f s"
                % (p, r["done"], r["wall_s"], r["jobs_per_s"], r["pg_cpu_s"],
                   r["warmd_cpu_s"]))
    except (Exception, KeyboardInterrupt) as e:  # noqa: BLE001 - reported with the rest
        notes.append("aborted: %s" % (e or type(e).__name__))
        say(notes[-1])
    finally:
        b.destroy()
        if args.keep:
            say("work directory kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    if runs:
        table(runs)
    for r in runs:
        for st in r.get("pg_statements") or []:
            print("P=%d  %7d calls  %9.1f ms  %7.3f ms/call  %s"
                  % (r["procs"], st["calls"], st["total_ms"], st["mean_ms"], st["query"][:90]))
    for n in notes:
        print("note: " + n)
    result = {"cpus": os.cpu_count(), "nofile_hard": hard, "accounts": args.accounts,
              "jobs": args.jobs, "max_sessions": args.max_sessions,
              "jobs_conf": args.jobs_conf, "warmup": warmup, "runs": runs, "notes": notes}
    line = json.dumps(result, sort_keys=True)
    if args.output:
        with open(args.output, "w") as f:
            f.write(line + "\n")
    print(line)
    bad = [r for r in runs if r["done"] < r["jobs"] or r["status"].get("failed")]
    return 1 if bad or not runs or len(runs) < len(procs) else 0


if __name__ == "__main__":
    sys.exit(main())
