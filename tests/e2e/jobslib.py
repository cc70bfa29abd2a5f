"""Shared set-up for the jobs engine tests: SessEnv's database, Redis,
mailsim, key, config and imported accounts, plus warmd processes started
on them, jobs inserted with SQL as any producer would, and the queue read
back."""

import json
import os
import subprocess
import time

import harness
from sesslib import SessEnv

FINAL = ("done", "failed", "cancelled")


class JobsEnv(SessEnv):
    JOBS = {"poll_interval": "500ms", "reap_interval": "1s", "retry_min": "200ms",
            "retry_max": "1s"}

    live = []       # every env of the running test, stopped at teardown

    def __init__(self, *a, jobs=None, conf=None, **kw):
        """jobs: [jobs] keys overriding JOBS; conf: {section: {key: value}}
        set in the config whatever SessEnv wrote."""
        self.jobs_conf = dict(self.JOBS, **(jobs or {}))
        self.overrides = conf or {}
        self.daemons = []
        JobsEnv.live.append(self)
        super().__init__(*a, **kw)

    def write_config(self, auth="mobile", ipecho=True, extra=""):
        extra = (extra or "") + "\n[admin]\nlisten = off\n[jobs]\n" + "".join(
            "%s = %s\n" % kv for kv in self.jobs_conf.items())
        super().write_config(auth=auth, ipecho=ipecho, extra=extra)
        self.set_conf(getattr(self, "overrides", {}))

    def set_conf(self, conf):
        """Set keys in the written config, replacing any earlier value."""
        lines = self.conf.read_text().splitlines()
        for sect, kv in conf.items():
            for k, v in kv.items():
                cur, done = None, False
                for i, l in enumerate(lines):
                    t = l.strip()
                    if t.startswith("["):
                        cur = t.strip("[]")
                    elif cur == sect and t.split("=")[0].strip() == k:
                        lines[i] = "%s = %s" % (k, v)
                        done = True
                if not done:
                    lines += ["[%s]" % sect, "%s = %s" % (k, v)]
        self.conf.write_text("\n".join(lines) + "\n")

    def warmd(self, name="w", env=None):
        e = dict(os.environ)
        e["WARMD_SQLDIR"] = os.path.join(harness.srcdir(), "sql")
        e.update(env or {})
        d = harness.Daemon([harness.program("src/warmd"), "-c", str(self.conf)],
                           str(self.dir / ("%s-%d.log" % (name, len(self.daemons)))),
                           env=e).start()
        self.daemons.append(d)
        return d

    def stop_all(self):
        for d in self.daemons:
            d.stop()

    def sql(self, q):
        if len(q) < 100000:
            return self.pg.psql(q)
        # Too long for an argument: through stdin.
        pg = self.pg
        r = subprocess.run([harness._pg_bin("psql"), "-X", "-q", "-A", "-t", "-v",
                            "ON_ERROR_STOP=1", "-h", pg.sock, "-p", str(pg.port), "-U",
                            pg.user, "-d", pg.dbname, "-f", "-"], input=q, check=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return r.stdout.strip()

    def insert(self, jobs):
        """jobs: dicts with email, task and optional payload, key, max_attempts,
        run_after_s (seconds from now), deadline_s.  One INSERT, like a producer."""
        rows = [{"email": j["email"], "task": j["task"],
                 "payload": j.get("payload", {}), "key": j.get("key"),
                 "max_attempts": j.get("max_attempts", 5),
                 "after": j.get("run_after_s", 0), "deadline": j.get("deadline_s")}
                for j in jobs]
        doc = json.dumps(rows).replace("'", "''")
        self.sql(
            "INSERT INTO jobs (account_id, task, payload, idempotency_key, max_attempts,"
            " run_after, deadline)"
            " SELECT a.id, r.task, r.payload, r.key, r.max_attempts,"
            "  now() + r.after * interval '1 second',"
            "  now() + r.deadline * interval '1 second'"
            " FROM jsonb_to_recordset('%s'::jsonb) AS r(email text, task text, payload jsonb,"
            "  key text, max_attempts int, after float8, deadline float8)"
            " JOIN accounts a ON a.email = lower(r.email)" % doc)

    def jobs(self, where="true"):
        out = self.sql(
            "SELECT row_to_json(x) FROM (SELECT j.id, a.email, j.task, j.status, j.attempts,"
            " j.error, j.result, j.worker_id, j.lease_owner, j.proxy, host(j.ip) AS ip,"
            " j.effect_at IS NOT NULL AS effect"
            " FROM jobs j JOIN accounts a ON a.id = j.account_id WHERE %s ORDER BY j.id) x"
            % where)
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def counts(self):
        out = self.sql("SELECT status, count(*) FROM jobs GROUP BY status")
        c = {}
        for l in out.splitlines():
            if "|" in l:
                k, v = l.split("|")
                c[k.strip()] = int(v)
        return c

    def wait_final(self, total, timeout=120):
        def ok():
            c = self.counts()
            return sum(c.get(s, 0) for s in FINAL) >= total
        try:
            harness.wait_for(ok, timeout=timeout, interval=0.25, what="jobs finished")
        except Exception:
            raise AssertionError("jobs not finished: %s\n%s" % (
                self.counts(), "\n".join(d.log_text()[-3000:] for d in self.daemons)))
