#!/usr/bin/env python3
"""warmd's demo on the embedded default.

Starts, in one temporary directory: a private PostgreSQL cluster, a
redis-server and the mail.ru emulator serving the same 1,000 mailboxes;
writes an account file in the operator's format with a few deliberately bad
lines; creates the secret key; applies the schema; runs warmd; shows its
/status; edits the account file and reloads with SIGHUP; stops everything.
Nothing is left running, whatever happens."""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness  # noqa: E402


def say(msg):
    print("== " + msg, flush=True)


def start_mailsim(work, srcdir, accounts_file):
    """The bundled mail.ru emulator, serving the same mailboxes as the account file."""
    binary = harness.program("tests/mailsim/mailsim")
    if not os.access(binary, os.X_OK):
        return None, None
    certs = os.path.join(work, "certs")
    subprocess.run(["sh", os.path.join(srcdir, "tests/mailsim/gen-certs.sh"), certs],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = os.path.join(work, "mailsim.ready")
    proc = harness.Daemon([binary, "--cert", os.path.join(certs, "server.crt"),
                           "--key", os.path.join(certs, "server.key"),
                           "--listen", "127.0.0.1:0", "--inspect", "127.0.0.1:0",
                           "--smtp", "127.0.0.1:0", "--accounts", accounts_file,
                           "--seed", "7", "--ready-file", ready],
                          os.path.join(work, "mailsim.log")).start()
    harness.wait_for(lambda: os.path.exists(ready), 30, what="mailsim ready")
    with open(ready) as f:
        return proc, json.load(f)


def get_status(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=5) as r:
        return json.load(r)


def account_lines(n, seed=7):
    rnd = random.Random(seed)
    lines = ["# demo mailboxes: email;password;proxy;question;answer;user_agent"]
    for i in range(1, n + 1):
        pw = "pw-%06d-%d" % (i, rnd.randrange(10**6))
        proxy = "" if i % 3 else "127.0.0.1:%d:user%d:secret%d" % (20000 + i % 50, i, i)
        lines.append("user%05d@mail.ru;%s;%s" % (i, pw, proxy))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    os.environ["WARMD_BUILDDIR"] = args.builddir
    os.environ["WARMD_SQLDIR"] = os.path.join(args.srcdir, "sql")
    work = tempfile.mkdtemp(prefix="warmd-demo-")
    pg = redis = warmd = mailsim = None
    try:
        say("starting a private PostgreSQL and Redis in %s" % work)
        pg = harness.Postgres().init().start()
        pg.createdb()
        redis = harness.Redis().start()

        acct = os.path.join(work, "accounts.txt")
        lines = account_lines(args.accounts)
        # Three bad lines of different kinds, to show how they are reported.
        lines[10] = "not-an-email;secret"
        lines[20] = "user99998@mail.ru"
        lines[30] = "user99999@mail.ru;secret;ftp://proxy.example:21"
        with open(acct, "w") as f:
            f.write("\n".join(lines) + "\n")
        good = os.path.join(work, "mailboxes.txt")
        with open(good, "w") as f:
            f.write("\n".join(l for i, l in enumerate(lines) if i not in (10, 20, 30)) + "\n")
        mailsim, ports = start_mailsim(work, args.srcdir, good)
        if mailsim:
            with urllib.request.urlopen("http://127.0.0.1:%d/health" % ports["inspect"],
                                        timeout=5) as r:
                say("mail.ru emulator up: %d mailboxes, HTTPS on %d, SMTP on %d (%s)"
                    % (ports["accounts"], ports["https"], ports["smtp"], r.read().decode().strip()))
        key = os.path.join(work, "secret.key")
        admin_port = harness.free_port()
        conf = os.path.join(work, "warmd.conf")
        with open(conf, "w") as f:
            f.write("[warmd]\nlog_level = info\ngrace_period = 5s\n")
            f.write("[database]\nconninfo = %s\n" % pg.conninfo())
            f.write("[redis]\naddress = %s\n" % redis.address())
            f.write("[accounts]\nfiles = %s\nkey_file = %s\n" % (acct, key))
            f.write("[admin]\nlisten = 127.0.0.1:%d\n" % admin_port)
        warmctl = harness.program("src/warmctl")
        subprocess.run([warmctl, "keygen", key], check=True)
        say("warmctl migrate")
        subprocess.run([warmctl, "-c", conf, "migrate"], check=True)
        say("warmd -t (config check, like nginx -t)")
        subprocess.run([harness.program("src/warmd"), "-t", "-c", conf])

        say("starting warmd")
        warmd = harness.Daemon([harness.program("src/warmd"), "-c", conf],
                               os.path.join(work, "warmd.log")).start()
        harness.wait_for(lambda: _synced(admin_port, 1), 60, what="first account sync")
        st = get_status(admin_port)
        print(json.dumps({k: st[k] for k in ("state", "config", "postgres", "redis", "accounts")},
                         indent=2))

        say("editing the account file (5 added, 5 removed) and sending SIGHUP")
        with open(acct, "a") as f:
            for i in range(5):
                f.write("new%02d@mail.ru;newpass%d;\n" % (i, i))
        with open(acct) as f:
            cur = f.read().splitlines()
        cur = [l for l in cur if not l.startswith(("user00100@", "user00101@", "user00102@",
                                                    "user00103@", "user00104@"))]
        with open(acct, "w") as f:
            f.write("\n".join(cur) + "\n")
        warmd.signal(signal.SIGHUP)
        harness.wait_for(lambda: _synced(admin_port, 2), 60, what="reload sync")
        st = get_status(admin_port)
        print(json.dumps({"config": st["config"], "last_reload": st["last_reload"],
                          "sync": st["accounts"]["sync"],
                          "by_status": st["accounts"]["by_status"]}, indent=2))

        say("stopping warmd (SIGTERM: graceful)")
        rc = warmd.stop()
        say("warmd exited with %s; its log:" % rc)
        for line in warmd.log_text().splitlines()[-12:]:
            print("   " + line)
        say("summary: %d account lines, %d active accounts, reload generation %d; "
            "nothing left running" % (len(lines) - 1, st["accounts"]["by_status"]["active"],
                                      st["config"]["generation"]))
        return 0 if rc == 0 else 1
    finally:
        if warmd:
            warmd.stop()
        if mailsim:
            mailsim.stop()
        if redis:
            redis.destroy()
        if pg:
            pg.destroy()
        if not args.keep:
            subprocess.run(["rm", "-rf", work])


def _synced(port, n):
    try:
        st = get_status(port)
    except OSError:
        return False
    a = st["accounts"]
    return a["sync"]["result"] == "ok" and a["by_status"] is not None and \
        st["last_reload"]["ok_total"] + 1 >= n and _sync_count(st) >= n


def _sync_count(st):
    return st.get("accounts", {}).get("syncs_ok", 0)


if __name__ == "__main__":
    sys.exit(main())
