"""Real servers for the end-to-end tests: a private PostgreSQL cluster, a
redis-server, the mail.ru emulator (mailsim) and the proxies in front of it
(tinyproxy, microsocks), each in its own temporary directory on loopback,
always torn down.  Tests start them through the fixtures in conftest.py."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

PG_BINDIRS = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin"]


def builddir():
    """Where the built programs are (automake runs tests from the build dir)."""
    return os.environ.get("WARMD_BUILDDIR", os.getcwd())


def srcdir():
    """The source tree (differs from builddir in VPATH builds)."""
    return os.environ.get("WARMD_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def program(name):
    """Path of a built program: src/warmd, src/warmctl, tests/mailsim/mailsim..."""
    return os.path.join(builddir(), name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError("timed out waiting for " + what)


def _pg_bin(name):
    for d in PG_BINDIRS:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    p = shutil.which(name)
    if p is None:
        raise RuntimeError("PostgreSQL program %s not found" % name)
    return p


class Postgres:
    """A throwaway cluster: initdb into a temp dir, unix socket there, fsync off."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="warmd-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sock = self.dir
        self.port = free_port()
        self.log = os.path.join(self.dir, "pg.log")
        self.user = "warmd"
        self.dbname = "warmd"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            # initdb refuses to run as root: the cluster belongs to nobody-ish 'postgres'.
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, argv, **kw):
        if self._as_root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, **kw)

    def init(self):
        self._run([_pg_bin("initdb"), "-D", self.data, "-A", "trust", "-U", self.user,
                   "--no-sync", "-E", "UTF8", "--locale=C"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
            f.write("listen_addresses = '127.0.0.1'\nport = %d\n" % self.port)
            f.write("unix_socket_directories = '%s'\n" % self.sock)
            f.write("max_connections = 300\nlog_min_messages = warning\n")
        return self

    def start(self):
        self._run([_pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "60", "start"])
        return self

    def stop(self, mode="fast"):
        self._run([_pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"])

    def restart(self):
        self._run([_pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-m", "fast", "-w", "restart"])

    def createdb(self, name=None):
        name = name or self.dbname
        self._run([_pg_bin("createdb"), "-h", self.sock, "-p", str(self.port), "-U", self.user, name])
        return name

    def conninfo(self, dbname=None):
        return "host=%s port=%d user=%s dbname=%s" % (self.sock, self.port, self.user, dbname or self.dbname)

    def psql(self, sql, dbname=None):
        """Run SQL with psql and return stdout (tuples only, unaligned, '|' separated)."""
        r = subprocess.run([_pg_bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", self.sock, "-p", str(self.port), "-U", self.user,
                            "-d", dbname or self.dbname, "-c", sql],
                           check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return r.stdout.strip()

    def destroy(self):
        try:
            self.stop("immediate")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """redis-server on a free loopback port, no persistence."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="warmd-redis-")
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir,
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, 10, what="redis")
        return self

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args):
        """Send one command, return the raw reply bytes (enough for tests)."""
        msg = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            msg += b"$%d\r\n%s\r\n" % (len(a), a)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(msg)
            time.sleep(0.05)
            return s.recv(65536)

    def address(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    """A program under test with its stderr captured to a file, for log_contains()."""

    def __init__(self, argv, logpath, env=None):
        self.argv = argv
        self.logpath = logpath
        self.env = env
        self.proc = None
        self._log = None

    def start(self):
        self._log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self._log, stderr=self._log,
                                     env=self.env, stdin=subprocess.DEVNULL)
        return self

    def signal(self, sig):
        self.proc.send_signal(sig)

    def log_text(self):
        with open(self.logpath, "r", errors="replace") as f:
            return f.read()

    def wait_log(self, needle, timeout=10.0, start=0):
        return wait_for(lambda: needle in self.log_text()[start:], timeout,
                        what="log line %r" % needle)

    def wait(self, timeout=30):
        return self.proc.wait(timeout)

    def stop(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None
        return self.proc.returncode if self.proc else None


# ---- the mail.ru emulator and the proxies in front of it -------------------

def _port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _terminate(proc, timeout=10):
    """SIGTERM, then SIGKILL after timeout; returns the exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _tail(path, n=4000):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()[-n:]
    except OSError:
        return ""


def mailsim_certs(outdir=None):
    """A test CA and a server certificate for every host mailsim serves, made
    with tests/mailsim/gen-certs.sh; returns the directory (ca.crt,
    server.crt, server.key)."""
    outdir = outdir or tempfile.mkdtemp(prefix="warmd-certs-")
    subprocess.run(["sh", os.path.join(srcdir(), "tests", "mailsim", "gen-certs.sh"), outdir],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return outdir


class MailsimError(Exception):
    """A reply of the inspection port other than 200."""

    def __init__(self, status, body):
        Exception.__init__(self, "mailsim inspection: HTTP %d: %s" % (status, body))
        self.status = status
        self.body = body


class Mailsim:
    """The bundled mail.ru emulator ($WARMD_BUILDDIR/tests/mailsim/mailsim),
    every listener on 127.0.0.1 port 0, ports read from its ready file.

    Exactly one of generate (N deterministic mailboxes, D6) or accounts (a
    file in the operator's format) is given.  overrides and faults are file
    paths or text (text is written to the work dir).  Clients reach every
    emulated host with curl's --connect-to ::127.0.0.1:https_port and
    --cacert ca_file, or connect_to()/curl_args()."""

    def __init__(self, certs, generate=None, accounts=None, overrides=None, faults=None,
                 seed=None, args=(), binary=None):
        if (generate is None) == (accounts is None):
            raise ValueError("give exactly one of generate= and accounts=")
        self.certs = certs
        self.ca_file = os.path.join(certs, "ca.crt")
        self.dir = tempfile.mkdtemp(prefix="warmd-mailsim-")
        self.logpath = os.path.join(self.dir, "mailsim.log")
        self.ready_file = os.path.join(self.dir, "ready.json")
        self.binary = binary or program("tests/mailsim/mailsim")
        self.generate = generate
        self.accounts_file = self._file("accounts.txt", accounts)
        self.overrides_file = self._file("overrides.txt", overrides)
        self.faults_file = self._file("faults.txt", faults)
        self.seed = seed
        self.extra_args = list(args)
        self.proc = None
        self.https_port = self.inspect_port = self.smtp_port = self.pid = None
        self.naccounts = None
        self._log = None

    def _file(self, name, v):
        """v is a path to an existing file, or the file's text."""
        if v is None:
            return None
        if "\n" not in v and os.path.exists(v):
            return v
        p = os.path.join(self.dir, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(v if v.endswith("\n") else v + "\n")
        return p

    def argv(self):
        a = [self.binary, "--cert", os.path.join(self.certs, "server.crt"),
             "--key", os.path.join(self.certs, "server.key"),
             "--listen", "127.0.0.1:0", "--inspect", "127.0.0.1:0",
             "--smtp", "127.0.0.1:0", "--ready-file", self.ready_file]
        if self.generate is not None:
            a += ["--generate", str(self.generate)]
        else:
            a += ["--accounts", self.accounts_file]
        if self.overrides_file:
            a += ["--overrides", self.overrides_file]
        if self.faults_file:
            a += ["--faults", self.faults_file]
        if self.seed is not None:
            a += ["--seed", str(self.seed)]
        return a + self.extra_args

    def start(self, timeout=60):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError("%s not built (make tests/mailsim/mailsim)" % self.binary)
        self._log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self._log, stderr=self._log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.ready_file):
            if self.proc.poll() is not None:
                raise RuntimeError("mailsim exited with %d: %s"
                                   % (self.proc.returncode, _tail(self.logpath)))
            if time.monotonic() > deadline:
                _terminate(self.proc)
                raise RuntimeError("mailsim not ready after %ds: %s"
                                   % (timeout, _tail(self.logpath)))
            time.sleep(0.02)
        with open(self.ready_file) as f:
            ready = json.load(f)
        self.https_port = ready["https"]
        self.inspect_port = ready["inspect"]
        self.smtp_port = ready.get("smtp")
        self.pid = ready.get("pid")
        self.naccounts = ready.get("accounts")
        return self

    # -- how clients reach it
    def connect_to(self):
        """The --connect-to / CURLOPT_CONNECT_TO entry sending every host here."""
        return "::127.0.0.1:%d" % self.https_port

    def curl_args(self):
        return ["--connect-to", self.connect_to(), "--cacert", self.ca_file]

    # -- the inspection port (plain HTTP, JSON)
    def request(self, method, path, obj=None, query=None, timeout=30):
        """(status, parsed JSON) of one call to the inspection port."""
        url = "http://127.0.0.1:%d%s" % (self.inspect_port, path)
        if query:
            url += ("&" if "?" in path else "?") + urllib.parse.urlencode(query)
        data = None
        headers = {}
        if obj is not None or method == "POST":
            data = json.dumps(obj if obj is not None else {}).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode(errors="replace")

    def get(self, path, **query):
        """GET path?query; the parsed JSON, MailsimError unless HTTP 200."""
        status, body = self.request("GET", path, query=query)
        if status != 200:
            raise MailsimError(status, body)
        return body

    def post(self, path, obj):
        """POST obj as JSON; the parsed JSON, MailsimError unless HTTP 200."""
        status, body = self.request("POST", path, obj)
        if status != 200:
            raise MailsimError(status, body)
        return body

    def accounts(self):
        """Every mailbox's credentials from GET /accounts (D6 for --generate):
        a list of {"email", "password", "outcome"} in mailsim's order."""
        out = []
        while True:
            page = self.get("/accounts", offset=len(out), limit=5000)
            out += page["accounts"]
            if not page["accounts"] or len(out) >= page["total"]:
                return out

    def write_accounts(self, path):
        """The credentials as an account file (email;password lines)."""
        with open(path, "w") as f:
            for a in self.accounts():
                f.write("%s;%s\n" % (a["email"], a["password"]))
        return path

    def connections(self):
        """GET /connections: {"live": [...], "closed": [...]}, one entry a
        TCP connection with peer, requests and accounts seen on it."""
        return self.get("/connections")

    def log_text(self):
        return _tail(self.logpath, 1 << 20)

    def stop(self, timeout=10):
        """SIGTERM; asserts a clean exit (0), as mailsim's own tests do."""
        if self.proc is None:
            return None
        rc = _terminate(self.proc, timeout)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        assert rc == 0, "mailsim exited with %r: %s" % (rc, _tail(self.logpath))
        return rc

    def destroy(self):
        """Stop without asserting (cleanup paths) and remove the work dir."""
        if self.proc is not None:
            _terminate(self.proc)
            self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        shutil.rmtree(self.dir, ignore_errors=True)


class _Proxy:
    """A proxy program in the foreground on a free loopback port."""

    binary = None
    package = None

    def __init__(self, user=None, password=None):
        if (user is None) != (password is None):
            raise ValueError("give both user and password, or neither")
        self.user = user
        self.password = password
        self.dir = tempfile.mkdtemp(prefix="warmd-%s-" % os.path.basename(self.binary))
        self.logpath = os.path.join(self.dir, "out.log")
        self.port = None
        self.proc = None
        self._out = None

    def _argv(self):
        raise NotImplementedError

    def start(self, timeout=10, attempts=3, port=None):
        """Start on a free port, or on port (a restart where clients
        already point)."""
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError("%s is not installed (Debian package: %s)"
                               % (self.binary, self.package))
        for attempt in range(attempts):
            # free_port() can race with another program taking the port:
            # then the proxy exits at once and a new port is tried.
            self.port = port or free_port()
            self._out = open(self.logpath, "ab")
            self.proc = subprocess.Popen(self._argv(), stdout=self._out, stderr=self._out,
                                         stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if _port_open(self.port):
                    return self
                time.sleep(0.02)
            _terminate(self.proc)
            self._out.close()
            self._out = None
        raise RuntimeError("%s did not start: %s" % (self.binary, self.log_text()))

    def address(self):
        return "127.0.0.1:%d" % self.port

    def log_text(self):
        return _tail(self.logpath, 1 << 20)

    def stop(self, timeout=10):
        rc = _terminate(self.proc, timeout)
        self.proc = None
        if self._out:
            self._out.close()
            self._out = None
        return rc

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Tinyproxy(_Proxy):
    """tinyproxy 1.11 (-d: foreground) as an HTTP CONNECT proxy on loopback.

    No ConnectPort line, so CONNECT to any port is allowed (tinyproxy.conf(5):
    "If no ConnectPort line is found, then all ports are allowed").  With
    user/password, BasicAuth: a CONNECT without them, or with wrong ones, is
    answered 407.  tinyproxy keeps running as root with only a warning, so
    no User/Group lines are written (they would also need the log file to be
    writable by that user).  One thread per client: max_clients bounds the
    concurrent tunnels."""

    binary = "/usr/bin/tinyproxy"
    package = "tinyproxy"

    def __init__(self, user=None, password=None, max_clients=2000, log_level="Info",
                 extra_conf=""):
        _Proxy.__init__(self, user, password)
        self.max_clients = max_clients
        self.log_level = log_level
        self.extra_conf = extra_conf
        self.conf = os.path.join(self.dir, "tinyproxy.conf")
        self.tp_log = os.path.join(self.dir, "tinyproxy.log")
        self.pid_file = os.path.join(self.dir, "tinyproxy.pid")

    def _argv(self):
        with open(self.conf, "w") as f:
            f.write("Listen 127.0.0.1\nPort %d\nTimeout 600\nMaxClients %d\n"
                    "Allow 127.0.0.1\nLogLevel %s\nLogFile \"%s\"\nPidFile \"%s\"\n"
                    "DisableViaHeader Yes\n"
                    % (self.port, self.max_clients, self.log_level, self.tp_log,
                       self.pid_file))
            if self.user is not None:
                f.write("BasicAuth %s %s\n" % (self.user, self.password))
            f.write(self.extra_conf)
        return [self.binary, "-d", "-c", self.conf]

    def url(self, with_credentials=False):
        """http://127.0.0.1:PORT, with user:pass@ when asked."""
        if with_credentials and self.user is not None:
            return "http://%s:%s@127.0.0.1:%d" % (urllib.parse.quote(self.user, safe=""),
                                                  urllib.parse.quote(self.password, safe=""),
                                                  self.port)
        return "http://127.0.0.1:%d" % self.port

    def log_text(self):
        return _tail(self.logpath, 1 << 20) + _tail(self.tp_log, 1 << 20)


class Microsocks(_Proxy):
    """microsocks, a SOCKS5 proxy, on loopback; with user/password it demands
    RFC 1929 username/password authentication."""

    binary = "/usr/bin/microsocks"
    package = "microsocks"

    def _argv(self):
        a = [self.binary, "-i", "127.0.0.1", "-p", str(self.port)]
        if self.user is not None:
            a += ["-u", self.user, "-P", self.password]
        return a

    def url(self, with_credentials=False, scheme="socks5h"):
        if with_credentials and self.user is not None:
            return "%s://%s:%s@127.0.0.1:%d" % (scheme, urllib.parse.quote(self.user, safe=""),
                                                urllib.parse.quote(self.password, safe=""),
                                                self.port)
        return "%s://127.0.0.1:%d" % (scheme, self.port)
