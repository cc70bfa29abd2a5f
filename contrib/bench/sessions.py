#!/usr/bin/env python3
"""warmd's session layer against the bare curl-multi ceiling, on mailsim.

For every N in --accounts and every L in --latency-ms: start the bundled
mail.ru emulator with N generated mailboxes (a fault rule `* * latency_ms=L`
when L > 0), then run the same per-account work —  mobile login, list Spam,
not spam + mark read + flag the first letter there — twice, each time on a
fresh emulator:

  bare    contrib/bench/bare (curl multi + epoll, nothing else), and
  warmd   the command of --warmd-cmd (default tests/io/sessdrive), warmd's
          session layer with its private PostgreSQL and Redis.

Both run with concurrency N (bounded by RLIMIT_NOFILE).  Measured for each
program: wall seconds, CPU seconds (utime + stime from wait4()), peak RSS
(ru_maxrss from wait4(), cross-checked with VmHWM polled from /proc), and
from mailsim's own counters what was really done (requests, connections,
logins, not-spam reports, marks).  A baseline run with one account gives
the memory a program needs before any session, so RSS per concurrent
session is (peak - baseline) / concurrency.

Prints a table, then one JSON line with every figure and the warmd/bare
ratios.  Standard library only; uses tests/e2e/harness.py for the servers.

    contrib/bench/sessions.py --builddir BUILDDIR [--srcdir SRCDIR]
        [--accounts 1000,5000,10000] [--latency-ms 0,100] [--skip-warmd]

Not a test: `make check` never runs it.  See contrib/bench/README.md.
"""

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SRCDIR = os.path.normpath(os.path.join(HERE, "..", ".."))

ACTIONS = ('[{"kind":"list_spam"},{"kind":"not_spam","select":"listed","limit":1},'
           '{"kind":"mark_read","select":"listed","limit":1},'
           '{"kind":"flag","select":"listed","limit":1}]')
DEFAULT_WARMD_CMD = "{builddir}/tests/io/sessdrive -c {conf} -a {actions} -n {n}"
PLACEHOLDERS = ("builddir", "srcdir", "conf", "actions", "n", "accounts_file",
                "ca_file", "connect_to", "workdir")

# mailsim counters reported per run (absolute: every run has its own mailsim)
COUNTERS = ("http_requests", "http_connections", "login_mobile", "login_ok", "api_calls",
            "unspam_reports", "marks", "api_denied_token")

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
    postmaster: PostgreSQL backends come and go during a run)."""
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


def vm_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(argv, logpath, timeout, sample=0.05, env=None):
    """Run argv to completion; its own CPU (wait4), peak RSS (ru_maxrss and
    VmHWM polled every sample s) and wall time.  stderr goes to logpath,
    stdout to logpath + ".out"; its last JSON line is the summary."""
    outpath = logpath + ".out"
    with open(logpath, "ab") as log, open(outpath, "wb") as out:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=log, stdin=subprocess.DEVNULL, env=env)
        hwm = 0
        killed = False
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid != 0:
                break
            hwm = max(hwm, vm_hwm_kib(p.pid))
            if time.monotonic() - t0 > timeout:
                p.kill()
                killed = True
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(sample)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    summary = None
    with open(outpath, errors="replace") as f:
        lines = f.read().strip().splitlines()
    for line in reversed(lines):
        try:
            summary = json.loads(line)
            break
        except ValueError:
            continue
    return {"rc": p.returncode, "killed": killed, "wall_s": round(wall, 3),
            "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
            "user_s": round(ru.ru_utime, 3), "sys_s": round(ru.ru_stime, 3),
            "peak_rss_kib": max(ru.ru_maxrss, hwm), "vmhwm_polled_kib": hwm,
            "summary": summary}


# ---- the bare client ---------------------------------------------------------

def find_bare(args, work):
    if args.bare:
        return args.bare
    built = os.path.join(args.builddir, "contrib", "bench", "bare")
    if os.access(built, os.X_OK):
        return built
    out = os.path.join(work, "bare")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libcurl", "jansson"],
                           check=True, stdout=subprocess.PIPE, text=True).stdout.split()
    cc = os.environ.get("CC", "cc")
    say("compiling bare: %s -O2 bare.c" % cc)
    subprocess.run([cc, "-std=gnu11", "-O2", "-g", "-o", out,
                    os.path.join(args.srcdir, "contrib", "bench", "bare.c")] + flags, check=True)
    return out


def run_bare(args, bare, ms, acct_file, conc, work, tag):
    argv = [bare, "--accounts", acct_file, "-n", str(conc), "--connect-to", ms.connect_to(),
            "--cacert", ms.ca_file, "--timeout-ms", str(args.request_timeout * 1000)]
    return measure(argv, os.path.join(work, "bare-%s.log" % tag), args.timeout)


# ---- the warmd side ---------------------------------------------------------

class WarmdSide:
    """PostgreSQL + Redis for the whole benchmark, one database per run."""

    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.pg = self.redis = None
        self.key = os.path.join(work, "secret.key")
        self.warmctl = os.path.join(args.builddir, "src", "warmctl")
        self.ndb = 0

    def start(self):
        say("starting a private PostgreSQL and Redis")
        self.pg = harness.Postgres().init().start()
        self.redis = harness.Redis().start()
        if not os.path.exists(self.key):
            self._ctl(["keygen", self.key])

    def _ctl(self, argv, conf=None):
        a = [self.warmctl] + (["-c", conf, "--sql-dir", os.path.join(self.args.srcdir, "sql")]
                              if conf else []) + argv
        r = subprocess.run(a, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=1800)
        if r.returncode != 0:
            raise RuntimeError("%s: exit %d: %s" % (" ".join(a), r.returncode, r.stdout[-2000:]))
        return r.stdout

    def prepare(self, ms, acct_file, n, tag):
        """A fresh database with the accounts imported, Redis emptied; the
        config file's path."""
        self.ndb += 1
        db = "bench_%d" % self.ndb
        self.pg.createdb(db)
        self.redis.command("FLUSHALL")
        conf = os.path.join(self.work, "warmd-%s.conf" % tag)
        with open(conf, "w") as f:
            f.write("[warmd]\nlog_level = warn\nmax_sessions = %d\ngrace_period = 5s\n"
                    % max(1, min(n, 100000)))
            f.write("[database]\nconninfo = %s\n" % self.pg.conninfo(db))
            f.write("[redis]\naddress = %s\n" % self.redis.address())
            f.write("[accounts]\nfiles = %s\nkey_file = %s\n" % (acct_file, self.key))
            f.write("[admin]\nlisten = off\n")
            f.write("[http]\nca_file = %s\nconnect_to = %s\n" % (ms.ca_file, ms.connect_to()))
            f.write("connect_timeout = %ds\ntimeout = %ds\n"
                    % (self.args.request_timeout, self.args.request_timeout))
            f.write("[session]\nauth = mobile\nipecho_url = https://ip.mailsim.test/json\n"
                    "pace_min = 0\npace_max = 0\n")
        self._ctl(["migrate"], conf)
        self._ctl(["import"], conf)
        return conf

    def command(self, conf, n, acct_file, ms):
        values = {"builddir": self.args.builddir, "srcdir": self.args.srcdir, "conf": conf,
                  "actions": ACTIONS, "n": str(n), "accounts_file": acct_file,
                  "ca_file": ms.ca_file, "connect_to": ms.connect_to(), "workdir": self.work}
        cmd = self.args.warmd_cmd
        for k in PLACEHOLDERS:
            cmd = cmd.replace("{%s}" % k, shlex.quote(values[k]))
        return shlex.split(cmd)

    def pg_cpu(self):
        try:
            with open(os.path.join(self.pg.data, "postmaster.pid")) as f:
                return tree_cpu_s(int(f.readline()))
        except (OSError, ValueError):
            return 0.0

    def redis_cpu(self):
        return proc_cpu_s(self.redis.proc.pid)

    def destroy(self):
        if self.redis:
            self.redis.destroy()
        if self.pg:
            self.pg.destroy()


def warmd_program(args):
    """The program --warmd-cmd runs, or None (with the reason) when missing."""
    first = shlex.split(args.warmd_cmd.replace("{builddir}", shlex.quote(args.builddir))
                        .replace("{srcdir}", shlex.quote(args.srcdir)))[0]
    path = first if os.sep in first else shutil.which(first)
    if path is None or not os.access(path, os.X_OK):
        return None, first
    return path, first


# ---- one run ---------------------------------------------------------------

def start_mailsim(certs, n, latency, seed):
    faults = "* * latency_ms=%d" % latency if latency > 0 else None
    ms = harness.Mailsim(certs, generate=n, faults=faults, seed=seed)
    return ms.start(timeout=120)


def counters(ms):
    c = ms.get("/counters")
    return {k: c.get(k, 0) for k in COUNTERS}


def one_run(side, args, certs, n, latency, conc, work, runner):
    """Start mailsim, let runner(ms, acct_file, tag) do the work, collect."""
    tag = "%s-%d-%d" % (side, n, latency)
    ms = start_mailsim(certs, n, latency, args.seed)
    try:
        acct_file = ms.write_accounts(os.path.join(work, "accounts-%d.txt" % n))
        ms_cpu0 = proc_cpu_s(ms.proc.pid, children=False)
        r = runner(ms, acct_file, tag)
        r["mailsim_cpu_s"] = round(proc_cpu_s(ms.proc.pid, children=False) - ms_cpu0, 3)
        r["mailsim"] = counters(ms)
        ms.stop()
    finally:
        ms.destroy()
    r.update({"side": side, "accounts": n, "latency_ms": latency, "concurrency": conc})
    return r


def derived(r):
    """Per-1,000-account CPU and per-session RSS, filled in place."""
    n = r["accounts"]
    r["cpu_s_per_1k"] = round(r["cpu_s"] * 1000.0 / n, 3)
    base = r.get("baseline_rss_kib") or 0
    r["rss_per_session_kib"] = round(max(0, r["peak_rss_kib"] - base) / max(1, r["concurrency"]),
                                     2)
    return r


def ratio(a, b):
    return round(a / b, 3) if b else None


def table(runs):
    hdr = ("side", "N", "lat", "conc", "ok", "fail", "reqs", "conns", "wall s", "CPU s",
           "CPU/1k", "peakMiB", "KiB/sess", "ms CPU")
    rows = [hdr]
    for r in runs:
        s = r.get("summary") or {}
        ok = s.get("ok", "?")
        failed = s.get("failed", "?")
        rows.append((r["side"], r["accounts"], r["latency_ms"], r["concurrency"], ok, failed,
                     r["mailsim"]["http_requests"], r["mailsim"]["http_connections"],
                     "%.2f" % r["wall_s"], "%.2f" % r["cpu_s"], "%.3f" % r["cpu_s_per_1k"],
                     "%.1f" % (r["peak_rss_kib"] / 1024.0), "%.1f" % r["rss_per_session_kib"],
                     "%.2f" % r["mailsim_cpu_s"]))
    w = [max(len(str(x[i])) for x in rows) for i in range(len(hdr))]
    for row in rows:
        print("  ".join(str(v).rjust(w[i]) for i, v in enumerate(row)))


def main():
    global harness
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--builddir", default=os.environ.get("WARMD_BUILDDIR", "."),
                    help="configured build tree (tests/mailsim/mailsim, src/warmctl)")
    ap.add_argument("--srcdir", default=os.environ.get("WARMD_SRCDIR", DEFAULT_SRCDIR))
    ap.add_argument("--accounts", default="1000,5000,10000", help="N values, comma-separated")
    ap.add_argument("--latency-ms", default="0,100", help="mailsim latency values")
    ap.add_argument("--bare", help="bare binary (default: BUILDDIR/contrib/bench/bare, "
                    "else compiled with cc into the work dir)")
    ap.add_argument("--warmd-cmd", default=DEFAULT_WARMD_CMD,
                    help="warmd side command template; placeholders {%s}"
                    % "}, {".join(PLACEHOLDERS))
    ap.add_argument("--skip-warmd", action="store_true")
    ap.add_argument("--skip-bare", action="store_true")
    ap.add_argument("--max-concurrency", type=int, default=0,
                    help="cap on concurrency (default: N, bounded by RLIMIT_NOFILE)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per program run")
    ap.add_argument("--request-timeout", type=int, default=120, help="seconds per request")
    ap.add_argument("-o", "--output", help="also write the final JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    args.builddir = os.path.abspath(args.builddir)
    args.srcdir = os.path.abspath(args.srcdir)
    os.environ["WARMD_BUILDDIR"] = args.builddir
    os.environ["WARMD_SRCDIR"] = args.srcdir
    sys.path.insert(0, os.path.join(args.srcdir, "tests", "e2e"))
    import harness as h  # noqa: E402
    harness = h

    ns = [int(x) for x in args.accounts.split(",") if x]
    lats = [int(x) for x in args.latency_ms.split(",") if x]
    hard = raise_nofile()
    # One socket a session, plus room for the program's own files, the
    # database and Redis connections.
    cap = max(1, hard - 256)
    if args.max_concurrency > 0:
        cap = min(cap, args.max_concurrency)

    work = tempfile.mkdtemp(prefix="warmd-bench-")
    certs = harness.mailsim_certs(os.path.join(work, "certs"))
    runs, notes = [], []
    wside = None
    try:
        bare = None if args.skip_bare else find_bare(args, work)
        wprog = None
        if not args.skip_warmd:
            wprog, wname = warmd_program(args)
            if wprog is None:
                msg = ("warmd side skipped: %s does not exist (build it, or give --warmd-cmd)"
                       % wname)
                say(msg)
                notes.append(msg)
            else:
                wside = WarmdSide(args, work)
                wside.start()

        baselines = {}

        def bare_runner(conc):
            return lambda ms, acct, tag: run_bare(args, bare, ms, acct, conc, work, tag)

        def warmd_runner(conc, n):
            def run(ms, acct, tag):
                conf = wside.prepare(ms, acct, n, tag)
                pg0, rd0 = wside.pg_cpu(), wside.redis_cpu()
                r = measure(wside.command(conf, conc, acct, ms),
                            os.path.join(work, "warmd-%s.log" % tag), args.timeout)
                r["pg_cpu_s"] = round(wside.pg_cpu() - pg0, 3)
                r["redis_cpu_s"] = round(wside.redis_cpu() - rd0, 3)
                return r
            return run

        sides = (["bare"] if bare else []) + (["warmd"] if wside else [])
        for side in sides:
            say("%s: baseline with 1 account" % side)
            try:
                r = one_run(side, args, certs, 1, 0, 1, work,
                            bare_runner(1) if side == "bare" else warmd_runner(1, 1))
                baselines[side] = r["peak_rss_kib"]
            except Exception as e:  # noqa: BLE001 - reported, the rest goes on
                notes.append("%s baseline failed: %s" % (side, e))
                say(notes[-1])

        for n in ns:
            conc = min(n, cap)
            for lat in lats:
                for side in sides:
                    say("%s: %d accounts, latency %d ms, concurrency %d" % (side, n, lat, conc))
                    runner = bare_runner(conc) if side == "bare" else warmd_runner(conc, n)
                    try:
                        r = one_run(side, args, certs, n, lat, conc, work, runner)
                    except Exception as e:  # noqa: BLE001
                        notes.append("%s N=%d L=%d failed: %s" % (side, n, lat, e))
                        say(notes[-1])
                        continue
                    r["baseline_rss_kib"] = baselines.get(side)
                    runs.append(derived(r))
                    if r["rc"] != 0:
                        notes.append("%s N=%d L=%d exited %d%s" % (
                            side, n, lat, r["rc"], " (killed at --timeout)" if r["killed"] else ""))
                        say(notes[-1])
    finally:
        if wside:
            wside.destroy()
        if args.keep:
            say("work directory kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    ratios = []
    for n in ns:
        for lat in lats:
            b = [r for r in runs if r["side"] == "bare" and r["accounts"] == n
                 and r["latency_ms"] == lat]
            w = [r for r in runs if r["side"] == "warmd" and r["accounts"] == n
                 and r["latency_ms"] == lat]
            if b and w:
                b, w = b[0], w[0]
                ratios.append({"accounts": n, "latency_ms": lat,
                               "cpu_per_1k": ratio(w["cpu_s_per_1k"], b["cpu_s_per_1k"]),
                               "wall": ratio(w["wall_s"], b["wall_s"]),
                               "peak_rss": ratio(w["peak_rss_kib"], b["peak_rss_kib"]),
                               "rss_per_session": ratio(w["rss_per_session_kib"],
                                                        b["rss_per_session_kib"])})
    if runs:
        table(runs)
    for r in ratios:
        print("warmd/bare N=%d L=%dms: CPU per 1k %sx, wall %sx, peak RSS %sx, "
              "RSS per session %sx" % (r["accounts"], r["latency_ms"], r["cpu_per_1k"],
                                       r["wall"], r["peak_rss"], r["rss_per_session"]))
    for note in notes:
        print("note: " + note)
    result = {"nofile_hard": hard, "cpus": os.cpu_count(), "baseline_rss_kib": baselines,
              "runs": runs, "ratios": ratios, "notes": notes}
    line = json.dumps(result, sort_keys=True)
    if args.output:
        with open(args.output, "w") as f:
            f.write(line + "\n")
    print(line)
    failed = [r for r in runs if r["rc"] != 0]
    return 1 if failed or not runs else 0


if __name__ == "__main__":
    sys.exit(main())
