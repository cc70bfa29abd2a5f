#!/usr/bin/python3
"""Scale figures for tests/mailsim/README.md ("Scale"). A measurement, not a
test: nothing here asserts a speed.

usage: /usr/bin/python3 tests/mailsim/bench.py [--builddir DIR] [--mailsim BIN]
           [--curlload BIN] [--mailboxes 10000,20000] [--conns 5000]
           [--latency-ms 30000] [--wrk-conns 400] [--wrk-secs 10]

Run from the top of the source tree; DIR is the build tree (default: the
current directory), holding tests/mailsim/mailsim and tests/io/curlload
(`make tests/mailsim/mailsim tests/io/curlload`).  Needs wrk for the
throughput part (falls back to curlload --chain without it) and ss(8).

What it measures, all against mailsim processes on 127.0.0.1:
 1. memory per mailbox: VmRSS of `--generate 1` against `--generate N` for
    each N, before and after every mailbox was touched once through the
    inspection port (GET /account populates the seed letters, D5);
 2. concurrent TLS connections: with the largest N still running, a fault
    rule adds --latency-ms to ip.mailsim.test/json and curlload opens
    --conns TLS connections, one request each; ss(8) samples the server's
    established connections while they wait; RSS at the peak gives KiB per
    connection;
 3. requests per CPU-second: wrk keep-alive load on the IP echo and on the aj
    folders API (access_token), mailsim's utime+stime from /proc/PID/stat
    before and after.
The last stdout line is one JSON object with every figure.
"""
import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TCK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print(*a, flush=True)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / TCK


class Mailsim:
    def __init__(self, binary, certs, tmp, n):
        self.ready = os.path.join(tmp, "ready-%d.json" % n)
        self.errf = open(os.path.join(tmp, "mailsim-%d.err" % n), "w")
        self.p = subprocess.Popen(
            [binary, "--cert", certs + "/server.crt", "--key", certs + "/server.key",
             "--generate", str(n), "--ready-file", self.ready],
            stdout=subprocess.DEVNULL, stderr=self.errf)
        t = time.time()
        while not os.path.exists(self.ready):
            if self.p.poll() is not None:
                sys.exit("mailsim exited with %d at start" % self.p.returncode)
            if time.time() - t > 60:
                self.stop()
                sys.exit("mailsim not ready after 60 s")
            time.sleep(0.02)
        with open(self.ready) as f:
            r = json.load(f)
        self.pid, self.https, self.inspect = self.p.pid, r["https"], r["inspect"]
        self.ins = http.client.HTTPConnection("127.0.0.1", self.inspect, timeout=30)

    def get(self, path):
        self.ins.request("GET", path)
        return json.loads(self.ins.getresponse().read())

    def post(self, path, obj):
        self.ins.request("POST", path, json.dumps(obj),
                         {"Content-Type": "application/json"})
        return json.loads(self.ins.getresponse().read())

    def settle_rss(self):
        time.sleep(0.3)
        return rss_kb(self.pid)

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()


def memory(args, certs, tmp):
    """RSS of 1 mailbox vs N, idle and after each mailbox was touched."""
    ms = Mailsim(args.mailsim, certs, tmp, 1)
    base = ms.settle_rss()
    ms.get("/account?email=user00001@mail.ru")
    base_pop = ms.settle_rss()
    rc = ms.stop()
    log("generate 1: rss %d KiB idle, %d KiB touched (exit %d)" % (base, base_pop, rc))
    res = {"base_rss_kib": base, "base_touched_rss_kib": base_pop, "sizes": []}
    keep = None
    sizes = sorted(args.mailboxes)
    serve = args.serve_mailboxes if args.serve_mailboxes in sizes else sizes[-1]
    for n in sizes:
        ms = Mailsim(args.mailsim, certs, tmp, n)
        idle = ms.settle_rss()
        t = time.time()
        for i in range(1, n + 1):
            a = ms.get("/account?email=user%05d@mail.ru" % i)
        touch_s = time.time() - t
        c = ms.get("/counters")
        touched = ms.settle_rss()
        e = {"mailboxes": n, "idle_rss_kib": idle, "touched_rss_kib": touched,
             "idle_kib_per_mailbox": round((idle - base) / (n - 1), 3),
             "touched_kib_per_mailbox": round((touched - base_pop) / (n - 1), 3),
             "touch_s": round(touch_s, 2),
             "letters_last_mailbox": sum(f["total"] for f in a["folders"].values())
             if isinstance(a.get("folders"), dict) else None}
        res["sizes"].append(e)
        log("generate %d: rss %d KiB idle (%.2f KiB/mailbox), %d KiB after touching "
            "every mailbox in %.1fs (%.2f KiB/mailbox)" %
            (n, idle, e["idle_kib_per_mailbox"], touched, touch_s,
             e["touched_kib_per_mailbox"]))
        if n == serve:
            keep = ms
        else:
            ms.stop()
    res["counters_after_touch"] = c
    return res, keep


def sample_established(port, pid, stop, out):
    """Sample the server side's established TCP connections and RSS."""
    peak, peak_rss, n = 0, 0, 0
    while not stop.is_set():
        r = subprocess.run(["ss", "-Htn", "state", "established", "sport", "=", ":%d" % port],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        est = len([l for l in r.stdout.splitlines() if l.strip()])
        rss = rss_kb(pid)
        n += 1
        if est > peak:
            peak = est
        if est >= peak and rss > peak_rss:
            peak_rss = rss
        stop.wait(0.5)
    out.update(peak_established=peak, rss_at_peak_kib=peak_rss, samples=n)


def concurrency(args, ms, certs):
    """--conns TLS connections open at once, each waiting on a slow reply."""
    ms.post("/faults", {"rules": [{"host": "ip.mailsim.test", "path": "/json",
                                   "latency_ms": args.latency_ms}]})
    c0 = ms.get("/counters")
    rss0, cpu0 = rss_kb(ms.pid), cpu_s(ms.pid)
    stop, samp = threading.Event(), {}
    th = threading.Thread(target=sample_established, args=(ms.https, ms.pid, stop, samp))
    th.start()
    t = time.time()
    r = subprocess.run([args.curlload, "--url", "https://ip.mailsim.test:%d/json" % ms.https,
                        "--cacert", certs + "/ca.crt",
                        "--resolve", "ip.mailsim.test:%d:127.0.0.1" % ms.https,
                        "-n", str(args.conns), "--per-multi", "100",
                        "--timeout-ms", str(args.latency_ms + 90000)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=args.latency_ms / 1000 + 180)
    wall = time.time() - t
    stop.set()
    th.join()
    cpu1 = cpu_s(ms.pid)
    ms.post("/faults", {"rules": []})
    c1 = ms.get("/counters")
    try:
        cl = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        sys.exit("curlload failed (rc %d): %s" % (r.returncode, r.stderr[-2000:]))
    res = {"conns": args.conns, "latency_ms": args.latency_ms, "curlload": cl,
           "server_peak_established": samp["peak_established"],
           "rss_before_kib": rss0, "rss_at_peak_kib": samp["rss_at_peak_kib"],
           "kib_per_connection": round((samp["rss_at_peak_kib"] - rss0) /
                                       max(samp["peak_established"], 1), 1),
           "mailsim_cpu_s": round(cpu1 - cpu0, 2),
           "cpu_ms_per_connection": round((cpu1 - cpu0) * 1000 / args.conns, 3),
           "wall_s": round(wall, 1), "ss_samples": samp["samples"],
           "counters_before": c0, "counters_after": c1}
    log("concurrent TLS: %d requested, curlload ok %d failed %d peak_concurrent %d "
        "(all connected by %.1fs, first reply at %.1fs); server side peak %d established "
        "(ss, %d samples); rss %d -> %d KiB = %.1f KiB per connection; mailsim cpu %.2fs "
        "= %.3f ms per connection (handshake + 1 request)" %
        (args.conns, cl["ok"], cl["failed"], cl["peak_concurrent"], cl["max_start_ms"] / 1e3,
         cl["min_end_ms"] / 1e3, samp["peak_established"], samp["samples"], rss0,
         samp["rss_at_peak_kib"], res["kib_per_connection"], cpu1 - cpu0,
         res["cpu_ms_per_connection"]))
    return res


def aj_token(ms, certs):
    a = ms.get("/account?email=user00001@mail.ru")
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "--cacert", certs + "/ca.crt",
         "--resolve", "aj-https.mail.ru:%d:127.0.0.1" % ms.https,
         "-d", "Login=user00001@mail.ru&Password=%s&oauth2=1&mob_json=1" % a["password"],
         "https://aj-https.mail.ru:%d/cgi-bin/auth" % ms.https],
        stdout=subprocess.PIPE, check=True, text=True).stdout
    return json.loads(out)["oauth"]["access_token"]


WRK_RE = re.compile(r"(\d+) requests in ([\d.]+)(m?s)")


def throughput(args, ms, certs, name, host, path, hs_ms):
    url = "https://127.0.0.1:%d%s" % (ms.https, path)
    cpu0, t = cpu_s(ms.pid), time.time()
    if args.wrk:
        # wrk does not verify the certificate; mailsim dispatches on Host.
        r = subprocess.run([args.wrk, "-t1", "-c%d" % args.wrk_conns, "-d%ds" % args.wrk_secs,
                            "--timeout", "10s", "-H", "Host: " + host, url],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=args.wrk_secs + 60)
        m = WRK_RE.search(r.stdout)
        if m is None:
            sys.exit("wrk failed: " + r.stdout)
        reqs = int(m.group(1))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
        errs = re.search(r"Socket errors: (.*)", r.stdout)
        tool = "wrk -t1 -c%d -d%ds" % (args.wrk_conns, args.wrk_secs)
        bad = int(non2xx.group(1)) if non2xx else 0
        errs = errs.group(1) if errs else ""
    else:
        chain = 200
        r = subprocess.run([args.curlload, "--url", "https://%s:%d%s" % (host, ms.https, path),
                            "--cacert", certs + "/ca.crt",
                            "--resolve", "%s:%d:127.0.0.1" % (host, ms.https),
                            "-n", str(args.wrk_conns), "--chain", str(chain)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=600)
        cl = json.loads(r.stdout.strip().splitlines()[-1])
        reqs, bad, errs = cl["requests"], cl["failed"], ""
        tool = "curlload -n %d --chain %d" % (args.wrk_conns, chain)
    wall = time.time() - t
    cpu = cpu_s(ms.pid) - cpu0
    # the window includes one TLS handshake per client connection
    cpu_req = max(cpu - args.wrk_conns * hs_ms / 1000, 1e-9)
    res = {"endpoint": name, "tool": tool, "requests": reqs, "bad": bad,
           "req_per_cpu_s_without_handshakes": round(reqs / cpu_req),
           "socket_errors": errs, "wall_s": round(wall, 2), "mailsim_cpu_s": round(cpu, 2),
           "req_per_cpu_s": round(reqs / max(cpu, 1e-9)), "req_per_wall_s": round(reqs / wall)}
    log("%s: %s: %d requests (%d non-2xx%s) in %.1fs wall, mailsim cpu %.2fs -> "
        "%.0f requests per mailsim CPU-second (%.0f without the %d handshakes; wall rate "
        "%.0f/s, client and server share the 2 cores)" %
        (name, tool, reqs, bad, ", socket errors " + errs if errs else "", wall, cpu,
         res["req_per_cpu_s"], res["req_per_cpu_s_without_handshakes"], args.wrk_conns,
         res["req_per_wall_s"]))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=".")
    ap.add_argument("--mailsim")
    ap.add_argument("--curlload")
    ap.add_argument("--wrk", default=shutil.which("wrk"))
    ap.add_argument("--mailboxes", default="10000,20000",
                    help="comma-separated --generate sizes (default 10000,20000)")
    ap.add_argument("--serve-mailboxes", type=int, default=10000,
                    help="which size stays up for the connection and request parts")
    ap.add_argument("--conns", type=int, default=5000)
    ap.add_argument("--latency-ms", type=int, default=30000)
    ap.add_argument("--wrk-conns", type=int, default=400)
    ap.add_argument("--wrk-secs", type=int, default=10)
    args = ap.parse_args()
    args.mailsim = args.mailsim or os.path.join(args.builddir, "tests/mailsim/mailsim")
    args.curlload = args.curlload or os.path.join(args.builddir, "tests/io/curlload")
    args.mailboxes = [int(x) for x in args.mailboxes.split(",")]
    for b in (args.mailsim, args.curlload):
        if not os.access(b, os.X_OK):
            sys.exit("%s: not built (make tests/mailsim/mailsim tests/io/curlload, "
                     "or pass --mailsim/--curlload)" % b)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))   # inherited by both sides
    if hard < args.conns + 100:
        sys.exit("RLIMIT_NOFILE hard limit %d is too low for %d connections" % (hard, args.conns))

    tmp = tempfile.mkdtemp(prefix="mailsim-bench-")
    certs = os.path.join(tmp, "certs")
    subprocess.run(["sh", os.path.join(HERE, "gen-certs.sh"), certs], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "nproc": os.cpu_count(),
           "uname": " ".join(os.uname()[i] for i in (0, 2, 4)),
           "nofile": hard, "mailsim": args.mailsim}
    log("mailsim scale benchmark %s, %d CPUs, %s, RLIMIT_NOFILE %d" %
        (out["date"], out["nproc"], out["uname"], hard))

    out["memory"], ms = memory(args, certs, tmp)
    try:
        log("serving %d mailboxes (pid %d, https %d) for the connection and request parts" %
            (ms.get("/health")["accounts"], ms.pid, ms.https))
        out["concurrency"] = concurrency(args, ms, certs)
        tok = aj_token(ms, certs)
        hs = out["concurrency"]["cpu_ms_per_connection"]
        out["throughput"] = [
            throughput(args, ms, certs, "ip-echo GET ip.mailsim.test/", "ip.mailsim.test",
                       "/", hs),
            throughput(args, ms, certs, "aj GET /api/v1/folders?access_token",
                       "aj-https.mail.ru", "/api/v1/folders?access_token=" + tok, hs),
        ]
        out["rss_end_kib"] = rss_kb(ms.pid)
    finally:
        out["mailsim_exit"] = ms.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    log("mailsim exit code %d" % out["mailsim_exit"])
    for k in ("counters_before", "counters_after"):
        out.get("concurrency", {}).pop(k, None)
    print(json.dumps(out, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
