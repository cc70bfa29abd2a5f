"""Real servers for the end-to-end tests: a private PostgreSQL cluster and a
redis-server, each in its own temporary directory on loopback, always torn
down.  Tests start them through the fixtures in conftest.py."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

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
