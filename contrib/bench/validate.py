#!/usr/bin/env python3
"""Throughput of `warmctl validate`: addresses/s with 0 ms and 100 ms of
added SMTP latency, side by side in one run.

Starts a private dnsmasq (tests/e2e/validlib.py) serving D domains
bench0.test … bench{D-1}.test, each with an MX pointing at 127.0.0.1, and
for each latency an SMTP stand-in (tests/e2e/smtpstub.py, mode "list":
local parts starting with "user" are accepted, the rest get 550) that
delays every reply by that many ms.  N addresses, spread evenly over the
domains, half of them mailboxes that exist, are validated by one warmctl
run per latency; the wall time of the whole run (DNS, SMTP, output)
gives addresses/s.  Every result is checked (valid / mailbox_unknown).

    contrib/bench/validate.py --builddir BUILDDIR [--addresses 5000]
        [--domains 50] [--latencies 0,100] [--per-domain 2] [--batch 20]
        [-o result.json]

Not a test: `make check` never runs it.  See contrib/bench/README.md.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))

import validlib  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.environ.get("WARMD_BUILDDIR", "."))
    ap.add_argument("--addresses", type=int, default=5000)
    ap.add_argument("--domains", type=int, default=50)
    ap.add_argument("--latencies", default="0,100")
    ap.add_argument("--per-domain", type=int, default=2)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("-o", dest="output")
    a = ap.parse_args()
    os.environ.setdefault("WARMD_BUILDDIR", os.path.abspath(a.builddir))
    warmctl = os.path.join(a.builddir, "src", "warmctl")
    latencies = [int(x) for x in a.latencies.split(",")]

    records = []
    for d in range(a.domains):
        records += ["--mx-host=bench%d.test,mx.bench%d.test,10" % (d, d),
                    "--host-record=mx.bench%d.test,127.0.0.1" % d]
    addrs = []
    for i in range(a.addresses):
        local = ("user%d" if i % 2 == 0 else "nobody%d") % i
        addrs.append("%s@bench%d.test" % (local, i % a.domains))
    text = "\n".join(addrs) + "\n"

    dns = validlib.Dnsmasq(records).start()
    rows = []
    try:
        for lat in latencies:
            stub = validlib.SmtpStub("127.0.0.1", 0, "list", lat).start()
            try:
                argv = [warmctl, "validate", "--json", "--dns", dns.server,
                        "--smtp-port", str(stub.port), "--per-domain", str(a.per_domain),
                        "--batch", str(a.batch), "--timeout", "60000"]
                t0 = time.monotonic()
                r = subprocess.run(argv, input=text, capture_output=True, text=True)
                wall = time.monotonic() - t0
            finally:
                stub.stop()
            out = json.loads(r.stdout)
            want = ["valid" if x.startswith("user") else "mailbox_unknown" for x in addrs]
            got = [o["result"] for o in out]
            if got != want:
                bad = [(x, g) for x, g, w in zip(addrs, got, want) if g != w][:5]
                sys.exit("unexpected results at %d ms: %s\n%s" % (lat, bad, r.stderr))
            rows.append({"latency_ms": lat, "addresses": len(addrs), "domains": a.domains,
                         "per_domain": a.per_domain, "batch": a.batch,
                         "seconds": round(wall, 3),
                         "addresses_per_s": round(len(addrs) / wall, 1)})
    finally:
        dns.destroy()

    print("%-12s %10s %8s %10s %6s %9s %14s" % ("latency", "addresses", "domains",
                                               "per-domain", "batch", "seconds",
                                               "addresses/s"))
    for r in rows:
        print("%-12s %10d %8d %10d %6d %9.2f %14.1f" % (
            "%d ms" % r["latency_ms"], r["addresses"], r["domains"], r["per_domain"],
            r["batch"], r["seconds"], r["addresses_per_s"]))
    line = json.dumps({"bench": "validate", "runs": rows})
    print(line)
    if a.output:
        with open(a.output, "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
