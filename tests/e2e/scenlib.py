"""Shared set-up for the scenario tests: JobsEnv plus campaigns written
into the config (or a campaign_dir), letters injected into mailsim
mailboxes, and the campaign's jobs read back."""

import datetime
import json
import os
import signal
import time
import zoneinfo

import harness
from jobslib import JobsEnv

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
TEMPLATES = os.path.join(harness.srcdir(), "conf", "templates")


def moscow_today(offset_days=0):
    d = datetime.datetime.now(MSK).date() + datetime.timedelta(days=offset_days)
    return d.isoformat()


def campaign_text(name, keys):
    return "[campaign %s]\n%s" % (name, "".join("%s = %s\n" % kv for kv in keys.items()))


class ScenEnv(JobsEnv):
    JOBS = dict(JobsEnv.JOBS, poll_interval="300ms")

    def __init__(self, *a, campaigns=None, plan_interval="1s", **kw):
        self.campaigns = dict(campaigns or {})
        self.plan_interval = plan_interval
        super().__init__(*a, **kw)

    def write_config(self, auth="mobile", ipecho=True, extra=""):
        super().write_config(auth=auth, ipecho=ipecho, extra=extra)
        self.set_conf({"warmd": {"plan_interval": self.plan_interval}})
        self.write_campaigns()

    def write_campaigns(self):
        """Rewrite the [campaign ...] sections from self.campaigns."""
        lines = self.conf.read_text().splitlines()
        out, skip = [], False
        for l in lines:
            t = l.strip()
            if t.startswith("["):
                skip = t.startswith("[campaign ")
            if not skip:
                out.append(l)
        text = "\n".join(out) + "\n"
        for name, keys in self.campaigns.items():
            text += campaign_text(name, keys)
        self.conf.write_text(text)

    def reload(self, d):
        self.write_campaigns()
        os.kill(d.proc.pid, signal.SIGHUP)

    def inject(self, email, subject, folder=None, sender="news@shop.example",
               text="Hello", date=None, from_name="Shop"):
        body = {"to": email, "from": sender, "from_name": from_name,
                "subject": subject, "text": text}
        if folder is not None:
            body["folder"] = folder
        if date is not None:
            body["date"] = int(date)
        return self.mailsim.post("/control/inject", body)

    def campaign_jobs(self, name, where="true"):
        return self.jobs("j.campaign_id = (SELECT id FROM campaigns WHERE name = '%s')"
                         " AND %s" % (name, where))

    def campaign(self, name):
        out = self.sql("SELECT row_to_json(c) FROM campaigns c WHERE name = '%s'" % name)
        return json.loads(out) if out else None

    def wait_campaign(self, name, expect=None, timeout=120):
        """Until the campaign has jobs (at least expect) and none pending."""
        def ok():
            js = self.campaign_jobs(name)
            if not js or (expect is not None and len(js) < expect):
                return False
            return all(j["status"] in ("done", "failed", "cancelled") for j in js)
        try:
            harness.wait_for(ok, timeout=timeout, interval=0.5, what="campaign " + name)
        except Exception:
            raise AssertionError("campaign %s not finished: %s\n%s" % (
                name, [(j["email"], j["task"], j["status"], j["error"])
                       for j in self.campaign_jobs(name)
                       if j["status"] not in ("done", "failed", "cancelled")][:20],
                "\n".join(d.log_text()[-4000:] for d in self.daemons)))
        return self.campaign_jobs(name)

    def mailbox(self, email, folder=None):
        q = {"email": email}
        if folder is not None:
            q["folder"] = folder
        return self.mailsim.get("/mailbox", **q)["messages"]

    def reports(self, email=None):
        return self.mailsim.get("/reports", **({"account": email} if email else {}))

    def sent(self, email=None):
        return self.mailsim.get("/sent", **({"account": email} if email else {}))


def now_s():
    return int(time.time())


M64 = (1 << 64) - 1


def draw(seed, what, day, account_id, i=0):
    """The planner's choice stream (src/rng.c splitmix64 seeded with
    FNV-1a of "what:day:id:i"), so a test can say which accounts the seed
    picks without asking warmd."""
    h = 1469598103934665603
    for b in ("%s:%s:%s:%d" % (what, day, account_id, i)).encode():
        h = ((h ^ b) * 1099511628211) & M64
    s = (seed ^ h) & M64
    z = s = (s + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z ^= z >> 31
    return (z >> 11) * 2.0 ** -53


def account_ids(e):
    out = e.sql("SELECT email || '|' || id FROM accounts")
    return dict(l.split("|") for l in out.splitlines())


def past_slot_seed(ids, today, slot=1, also=lambda s: True):
    """A seed whose slot-th send slot of every account falls in the past
    part of a window that ended a minute from now and began two hours
    ago (slot = 61 min, jitter < 0.9 of it), so the day can run now;
    also(seed) adds a condition."""
    return next(s for s in range(1, 500)
                if all(draw(s, "slot", today, i, slot) < 0.9 for i in ids.values())
                and also(s))
