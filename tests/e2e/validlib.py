"""Servers for warmctl validate's tests and benchmark: a private dnsmasq
on a loopback port serving only what the test gives it, and the SMTP
stand-in (smtpstub.py)."""

import os
import shutil
import subprocess
import sys
import tempfile
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
                with open(self.logpath) as f:
                    if "cleared cache" in f.read():
                        return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                return self
        raise RuntimeError("dnsmasq did not start: %s" % harness._tail(self.logpath))

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
