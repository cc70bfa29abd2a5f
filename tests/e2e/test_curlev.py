"""curlev against a real server: a private nginx on loopback with TLS from a
throwaway CA, driven by tests/io/curlload.

The main case proves 5,000 HTTPS transfers really run at the same time from
one event loop over 50 multi handles: every connection is up before the
first transfer ends, and nginx itself counts 5,000 open connections.  The
body is served slowly (limit_rate) so each transfer outlasts the time it
takes to open all of them.  The small cases cover placement over multis,
errors reaching the callback, chained requests on one handle and the
closing of idle multis."""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

N_BIG = 5000
# Each transfer lasts ~(SLOW_SIZE - SLOW_RATE) / SLOW_RATE = 30 s.  Opening
# 5,000 TLS connections takes 5 s on an idle 2-core machine and 9-14 s while
# other builds share it; the margin is for that and for sanitizer builds.
# The aggregate rate stays low (5,000 x 2 KB/s) so nginx is not the limit.
SLOW_SIZE = 62 * 1024
SLOW_RATE = 2 * 1024
# File descriptors for the 5,000-transfer case: client and nginx each.
NOFILE_NEEDED = N_BIG + 1000


def _raise_nofile():
    """Soft RLIMIT_NOFILE up to the hard one; nginx and curlload inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_certs(d):
    """A CA and a server certificate for localhost/127.0.0.1 (P-256: cheap
    handshakes, so 5,000 of them fit in the time budget)."""
    ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    _openssl("genpkey", *ec, "-out", "ca.key", cwd=d)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=warmd test CA",
             "-days", "2", "-out", "ca.pem",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("genpkey", *ec, "-out", "server.key", cwd=d)
    _openssl("req", "-new", "-key", "server.key", "-subj", "/CN=localhost",
             "-out", "server.csr", cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "server.ext",
             "-out", "server.pem", cwd=d)
    return os.path.join(d, "ca.pem")


class Nginx:
    """nginx in the foreground with everything under one temp dir: an HTTPS
    port serving /slow/ (rate-limited) and /fast/, and a plain-HTTP
    stub_status port on loopback."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="warmd-nginx-")
        self.port = harness.free_port()
        self.status_port = harness.free_port()
        self.proc = None
        self.cacert = None

    def _write_config(self):
        d = self.dir
        for sub in ("www/slow", "www/fast", "tmp"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        with open(os.path.join(d, "www/slow/body"), "wb") as f:
            f.write(os.urandom(SLOW_SIZE))
        with open(os.path.join(d, "www/fast/small"), "wb") as f:
            f.write(b"hello\n")
        tmp = os.path.join(d, "tmp")
        # As root the worker would switch to nobody and lose the 0700 temp dir.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = f"""{user}worker_processes 1;
worker_rlimit_nofile 20000;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 16384; multi_accept on; }}
http {{
    access_log off;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 10000;
    server {{
        # The default backlog (511) would drop SYNs from a burst of 5,000.
        listen 127.0.0.1:{self.port} ssl backlog=4096;
        server_name localhost;
        ssl_certificate {d}/server.pem;
        ssl_certificate_key {d}/server.key;
        root {d}/www;
        location /slow/ {{ limit_rate {SLOW_RATE}; }}
        location /fast/ {{ }}
    }}
    server {{
        listen 127.0.0.1:{self.status_port};
        location = /status {{ stub_status; }}
    }}
}}
"""
        path = os.path.join(d, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        return path

    def start(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.access(nginx, os.X_OK):
            pytest.fail("nginx is not installed (Debian package: nginx)")
        self.cacert = make_certs(self.dir)
        conf = self._write_config()
        self._out = open(os.path.join(self.dir, "nginx.out"), "wb")
        self.proc = subprocess.Popen(
            [nginx, "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log"),
             "-g", "daemon off;"],
            stdout=self._out, stderr=self._out, stdin=subprocess.DEVNULL)
        harness.wait_for(lambda: self.proc.poll() is not None or self.status() is not None,
                         10, what="nginx")
        if self.proc.poll() is not None:
            pytest.fail("nginx exited: " + self.log())
        return self

    def status(self):
        """stub_status as a dict (active, accepts, handled, requests), or None."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/status" % self.status_port,
                                        timeout=2) as r:
                lines = r.read().decode().split("\n")
        except OSError:
            return None
        acc, hnd, req = (int(x) for x in lines[2].split())
        return {"active": int(lines[0].split(":")[1]), "accepts": acc,
                "handled": hnd, "requests": req}

    def url(self, path):
        return "https://localhost:%d%s" % (self.port, path)

    def resolve(self):
        # Skips the resolver thread curl would start per transfer.
        return "localhost:%d:127.0.0.1" % self.port

    def log(self):
        out = ""
        for name in ("nginx.out", "error.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    out += f.read()[-4000:]
            except OSError:
                pass
        return out

    def destroy(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self._out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def nginx():
    _raise_nofile()
    n = Nginx().start()
    yield n
    n.destroy()


def curlload(nginx, path, *args, timeout=60, url=None):
    """Run curlload with libevent's debug checks and return its JSON summary."""
    argv = [harness.program("tests/io/curlload"), "--event-debug",
            "--url", url or nginx.url(path), "--cacert", nginx.cacert,
            "--resolve", nginx.resolve()] + [str(a) for a in args]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    assert r.returncode == 0, "curlload failed (%d): %s" % (r.returncode, r.stderr[-2000:])
    lines = r.stdout.strip().splitlines()
    assert lines, "curlload printed nothing: " + r.stderr[-2000:]
    return json.loads(lines[-1])


def test_5000_transfers_really_overlap(nginx):
    """5,000 HTTPS transfers, one connection each, all in flight at once."""
    if _raise_nofile() < NOFILE_NEEDED:
        pytest.skip("RLIMIT_NOFILE hard limit below %d" % NOFILE_NEEDED)
    before = nginx.status()
    argv = [harness.program("tests/io/curlload"), "--url", nginx.url("/slow/body"),
            "--cacert", nginx.cacert, "--resolve", nginx.resolve(),
            "-n", str(N_BIG), "--per-multi", "100", "--fresh", "--timeout-ms", "100000"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    # nginx's own count of open connections, sampled while the client runs.
    peak = {"active": 0}

    def sample():
        while proc.poll() is None:
            st = nginx.status()
            if st is not None and st["active"] > peak["active"]:
                peak["active"] = st["active"]
            time.sleep(0.25)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        out, err = proc.communicate(timeout=110)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("curlload timed out: " + err[-2000:])
    t.join(5)
    assert proc.returncode == 0, err[-2000:]
    res = json.loads(out.strip().splitlines()[-1])
    print("curlload:", json.dumps(res))
    print("nginx peak active connections:", peak["active"])

    assert res["n"] == N_BIG
    assert res["ok"] == N_BIG, res["first_error"]
    assert res["failed"] == 0
    assert res["multis"] == N_BIG // 100
    assert res["bytes"] == N_BIG * SLOW_SIZE
    # Every transfer held its connection at the same moment ...
    assert res["peak_concurrent"] == N_BIG
    # ... because the last connection came up before the first transfer ended.
    assert res["max_start_ms"] < res["min_end_ms"], res
    # The server saw them too (+1: the status request itself).
    assert peak["active"] >= N_BIG, peak
    after = nginx.status()
    assert after["accepts"] - before["accepts"] >= N_BIG


def test_transfers_spread_over_multis(nginx):
    """200 transfers at 10 per multi open 20 multis, and all succeed."""
    res = curlload(nginx, "/fast/small", "-n", 200, "--per-multi", 10, "--fresh")
    assert res["ok"] == 200 and res["failed"] == 0, res
    assert res["multis"] == 20, res


def test_error_reaches_callback(nginx):
    """A refused connection is reported through the completion callback."""
    port = harness.free_port()
    res = curlload(nginx, None, "-n", 20, "--per-multi", 10,
                   url="https://127.0.0.1:%d/x" % port)
    assert res["ok"] == 0 and res["failed"] == 20, res
    assert res["unfinished"] == 0
    assert res["first_rc"] == 7, res  # CURLE_COULDNT_CONNECT


def test_readded_handle_reuses_connection(nginx):
    """Re-adding the just-completed handle from its callback works, and the
    next request goes out on the connection kept in the same multi."""
    res = curlload(nginx, "/fast/small", "-n", 50, "--per-multi", 10, "--chain", 3)
    assert res["ok"] == 50 and res["failed"] == 0, res
    assert res["requests"] == 200, res
    # CURLINFO_NUM_CONNECTS == 0 on every chained request.
    assert res["reused"] == 150, res


def test_idle_multis_closed(nginx):
    """Extra multis left idle are closed lazily; one stays."""
    res = curlload(nginx, "/fast/small", "-n", 200, "--per-multi", 10,
                   "--idle-close-ms", 200, "--linger-ms", 1000)
    assert res["ok"] == 200, res
    assert res["multis"] == 20 and res["multis_end"] == 1, res


def test_free_from_callback(nginx):
    """curlev_free inside a completion callback drops the rest without
    further callbacks and without crashing."""
    res = curlload(nginx, "/fast/small", "-n", 100, "--per-multi", 10, "--chain", 2,
                   "--abort-after", 50)
    assert res["requests"] == 50, res
    assert res["ok"] + res["failed"] + res["unfinished"] == 100, res
