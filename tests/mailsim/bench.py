#!/usr/bin/python3
"""Scale figures for README.md (a measurement, not a test).

usage: bench.py MAILSIM_BINARY [N_MAILBOXES] [N_CONNS]
Measures: RSS per idle and per populated mailbox, HTTPS requests per
CPU-second of mailsim (keep-alive, aj API with an access token), and holding
N_CONNS concurrent TLS connections that each complete a request."""
import http.client
import json
import os
import resource
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def start(binary, certs, tmp, n):
    ready = os.path.join(tmp, "ready-%d.json" % n)
    p = subprocess.Popen([binary, "--cert", certs + "/server.crt", "--key", certs + "/server.key",
                          "--generate", str(n), "--ready-file", ready],
                         stdout=subprocess.DEVNULL)
    while not os.path.exists(ready):
        time.sleep(0.05)
    with open(ready) as f:
        return p, json.load(f)


def stop(p):
    p.send_signal(signal.SIGTERM)
    return p.wait(timeout=30)


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    nconn = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = tempfile.mkdtemp()
    certs = os.path.join(tmp, "certs")
    subprocess.run(["sh", os.path.join(HERE, "gen-certs.sh"), certs], check=True,
                   stdout=subprocess.DEVNULL)
    ctx = ssl.create_default_context(cafile=certs + "/ca.crt")

    p1, _ = start(binary, certs, tmp, 1)
    time.sleep(0.2)
    base = rss_kb(p1.pid)
    stop(p1)
    p, r = start(binary, certs, tmp, n)
    time.sleep(0.2)
    idle = rss_kb(p.pid)
    ins = http.client.HTTPConnection("127.0.0.1", r["inspect"])
    t = time.time()
    for i in range(1, n + 1):
        ins.request("GET", "/account?email=user%05d@mail.ru" % i)
        ins.getresponse().read()
    populated = rss_kb(p.pid)
    print("mailboxes: %d" % n)
    print("rss base (1 mailbox): %.1f MiB" % (base / 1024))
    print("rss idle mailboxes:   %.0f bytes/mailbox" % ((idle - base) * 1024 / (n - 1)))
    print("rss populated (3 letters each): %.0f bytes/mailbox (populate %.1fs)" %
          ((populated - base) * 1024 / (n - 1), time.time() - t))

    # requests per CPU-second: 8 keep-alive clients on the aj API
    ins.request("GET", "/account?email=user00001@mail.ru")
    pw = json.loads(ins.getresponse().read())["password"]
    c = http.client.HTTPSConnection("aj-https.mail.ru", r["https"], context=ctx)
    c.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", r["https"])),
                             server_hostname="aj-https.mail.ru")
    c.request("POST", "/cgi-bin/auth", "Login=user00001@mail.ru&Password=%s&oauth2=1&mob_json=1"
              % pw, {"Content-Type": "application/x-www-form-urlencoded"})
    tok = json.loads(c.getresponse().read())["oauth"]["access_token"]
    per = 1500
    done = []

    def worker():
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", r["https"])),
                            server_hostname="aj-https.mail.ru")
        cc = http.client.HTTPSConnection("aj-https.mail.ru", r["https"], context=ctx)
        cc.sock = s
        k = 0
        for _ in range(per):
            cc.request("GET", "/api/v1/messages/status?folder=0&limit=10&access_token=" + tok)
            cc.getresponse().read()
            k += 1
        done.append(k)
    cpu0, t0 = cpu_s(p.pid), time.time()
    th = [threading.Thread(target=worker) for _ in range(8)]
    [x.start() for x in th]
    [x.join() for x in th]
    cpu1, t1 = cpu_s(p.pid), time.time()
    total = sum(done)
    print("api requests: %d in %.2fs wall, mailsim cpu %.2fs -> %.0f req per cpu-second "
          "(wall rate %.0f/s, client-bound)" % (total, t1 - t0, cpu1 - cpu0,
                                                total / max(cpu1 - cpu0, 1e-9), total / (t1 - t0)))

    # concurrent TLS connections
    socks = []
    t = time.time()
    for i in range(nconn):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", r["https"])),
                            server_hostname="ip.mailsim.test")
        socks.append(s)
    hs = time.time() - t
    rss_conn = rss_kb(p.pid)
    for s in socks:
        s.sendall(b"GET /json HTTP/1.1\r\nHost: ip.mailsim.test\r\n\r\n")
    ok = 0
    for s in socks:
        if b"200 OK" in s.recv(4096):
            ok += 1
    ins.request("GET", "/connections")
    live = len(json.loads(ins.getresponse().read())["live"])
    print("concurrent TLS connections: %d opened in %.1fs, %d answered, %d live in mailsim, "
          "rss +%.0f KiB per connection" % (nconn, hs, ok, live,
                                            (rss_conn - populated) / nconn))
    for s in socks:
        s.close()
    rc = stop(p)
    print("clean exit: rc=%d" % rc)


if __name__ == "__main__":
    main()
