"""Servers for warmctl validate's tests and benchmark: a private dnsmasq
on a loopback port serving only what the test gives it, the SMTP
stand-in (smtpstub.py) and hosts that fail before RCPT (Unwelcoming)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import harness


class Dnsmasq:
    """dnsmasq on 127.0.0.1:port, no upstream, authoritative-ish for .test
    (--local: unknown names there are NXDOMAIN).  records: extra options
    such as --mx-host=D,HOST,PREF, --host-record=NAME,IP,
    --txt-record=NAME,TEXT."""

    def __init__(self, records):
        self.records = list(records)
        self.dir = tempfile.mkdtemp(prefix="warmd-dnsmasq-")
        self.logpath = os.path.join(self.dir, "dnsmasq.log")
        self.proc = None
        self.port = None

    def start(self, attempts=3):
        binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        for _ in range(attempts):
            self.port = harness.free_port()
            argv = [binary, "--keep-in-foreground", "--conf-file=/dev/null",
                    "--port=%d" % self.port, "--listen-address=127.0.0.1",
                    "--bind-interfaces", "--no-resolv", "--no-hosts",
                    "--no-negcache", "--local=/test/", "--pid-file=",
                    "--log-facility=-", "--cache-size=0"] + self.records
            if os.getuid() == 0:
                argv.append("--user=root")
            log = open(self.logpath, "ab")
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
            log.close()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self._answers():
                    return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                return self
        raise RuntimeError("dnsmasq did not start: %s" % harness._tail(self.logpath))

    def _answers(self):
        """Whether a query is answered (with cache-size=0 dnsmasq logs no
        line that says it is serving)."""
        q = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
             b"\x05ready\x04test\x00\x00\x01\x00\x01")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(q, ("127.0.0.1", self.port))
                return s.recv(512)[:2] == q[:2]
            except OSError:
                return False

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc is not None:
            harness._terminate(self.proc)
            self.proc = None

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class SmtpStub:
    """tests/e2e/smtpstub.py on host:port (0: any free port)."""

    def __init__(self, host="127.0.0.1", port=0, mode="accept", latency_ms=0):
        self.host, self.port, self.mode, self.latency_ms = host, port, mode, latency_ms
        self.proc = None

    def start(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtpstub.py")
        self.proc = subprocess.Popen(
            [sys.executable, script, "--host", self.host, "--port", str(self.port),
             "--mode", self.mode, "--latency-ms", str(self.latency_ms)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError("smtpstub did not start on %s:%d" % (self.host, self.port))
        self.port = int(line.split()[1])
        return self

    def stop(self):
        if self.proc is not None:
            harness._terminate(self.proc)
            self.proc.stdout.close()
            self.proc = None


class Unwelcoming:
    """An MX that fails at the connection level, in a thread of the test:
    "421" greets 421 and closes, "close" closes before any greeting,
    "silent" accepts and never says a word (the client times out).
    accepted counts the connections."""

    def __init__(self, host, port, mode):
        self.host, self.port, self.mode = host, port, mode
        self.accepted = 0
        self.sock = None
        self.held = []
        self.thread = None

    def start(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, self.port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:     # closed by stop()
                return
            self.accepted += 1
            if self.mode == "silent":
                self.held.append(c)
                continue
            if self.mode == "421":
                try:
                    c.sendall(b"421 4.3.2 Service not available, closing channel\r\n")
                except OSError:
                    pass
            c.close()

    def stop(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.thread.join(5)
            self.sock = None
        for c in self.held:
            c.close()
        self.held = []
