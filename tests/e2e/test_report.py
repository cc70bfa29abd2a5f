"""The operator's campaign commands on known data: `warmctl report` (table,
--json, --csv), `warmctl status`, ad hoc `warmctl rescue|engage` (the exact
canonical params read back from the table, bad options refused), `warmctl
campaigns` and `warmctl cancel`.  Every figure is recomputed here from the
rows the test inserts by hand; no daemon runs."""

import csv
import datetime
import io
import json
import os
import re
import subprocess
import zoneinfo

import pytest

import harness

SCENARIO = ("rescue", "engage", "warm_receive", "find")
CONFIG_TZ = "Asia/Tokyo"


class Env:
    def __init__(self, pg, tmp_path, naccounts=12):
        self.pg = pg
        self.dir = tmp_path
        self.key = tmp_path / "secret.key"
        self.accounts_file = tmp_path / "accounts.txt"
        self.conf = tmp_path / "warmd.conf"
        r = self.run("keygen", str(self.key))
        assert r.returncode == 0, r.stderr
        self.conf.write_text(
            "[warmd]\ntime_zone = %s\n[database]\nconninfo = %s\n"
            "[accounts]\nfiles = %s\nkey_file = %s\n"
            % (CONFIG_TZ, pg.conninfo(), self.accounts_file, self.key))
        self.emails = ["user%02d@mail.ru" % i for i in range(1, naccounts + 1)]
        self.accounts_file.write_text(
            "".join("%s;Pw%02dsecret;\n" % (e, i) for i, e in enumerate(self.emails)))
        r = self.run("migrate")
        assert r.returncode == 0, r.stderr
        r = self.run("import")
        assert r.returncode == 0, r.stderr
        assert "added %d" % naccounts in r.stdout, r.stdout
        self.nkey = 0

    def run(self, *args, cwd=None):
        argv = [harness.program("src/warmctl"), "-c", str(self.conf),
                "--sql-dir", os.path.join(harness.srcdir(), "sql")] + list(args)
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60, cwd=cwd)

    def sql(self, q):
        return self.pg.psql(q)

    def campaign(self, name, kind, params, status="running", source="config",
                 origin="/etc/warmd/warmd.conf:12", seed=42):
        return int(self.sql(
            "INSERT INTO campaigns (name, kind, params, seed, status, source, origin)"
            " VALUES (%s, %s, %s::jsonb, %d, %s, %s, %s) RETURNING id"
            % (lit(name), lit(kind), lit(json.dumps(params)), seed, lit(status),
               lit(source), lit(origin))).splitlines()[0])

    def jobs(self, rows):
        """Insert job dicts: campaign, email, task, status, day, observe,
        result, error, run_after / finished_at (SQL expressions)."""
        values = []
        for j in rows:
            self.nkey += 1
            payload = {"observe": True} if j.get("observe") else {}
            finished = j.get("finished_at")
            if finished is None:
                finished = "now()" if j["status"] in ("done", "failed", "cancelled") else "NULL"
            values.append(
                "(%s, (SELECT id FROM accounts WHERE email = %s), %s, %s::jsonb, %s,"
                " %s, %s::jsonb, %s, %s::date, %s, %s)"
                % ("NULL" if j.get("campaign") is None else j["campaign"],
                   lit(j["email"]), lit(j["task"]), lit(json.dumps(payload)),
                   lit(j["status"]),
                   "NULL" if j.get("error") is None else lit(j["error"]),
                   "NULL" if j.get("result") is None else lit(json.dumps(j["result"])),
                   lit("k%d" % self.nkey), "NULL" if j.get("day") is None else lit(j["day"]),
                   j.get("run_after", "now()"), finished))
        self.sql("INSERT INTO jobs (campaign_id, account_id, task, payload, status,"
                 " error, result, plan_key, plan_day, run_after,"
                 " finished_at) VALUES " + ",".join(values))

    def count_campaigns(self):
        return int(self.sql("SELECT count(*) FROM campaigns"))


def lit(s):
    return "'" + str(s).replace("'", "''") + "'"


def fnv1a64(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def rate(inbox, spam):
    n = inbox + spam
    return None if n == 0 else (inbox * 1000 + n // 2) // n / 10.0


def rate_text(r):
    return "n/a" if r is None else "%.1f%%" % r


@pytest.fixture
def env(pg, tmp_path):
    return Env(pg, tmp_path)


# ---- the data of the report test --------------------------------------------

def result(placement, steps=None, observe=False):
    r = {"placement": placement, "inbox": int(placement == "inbox"),
         "spam": int(placement == "spam"), "observe": observe}
    if steps is not None:
        r["steps"] = steps
    return r


def ok(n=1):
    return {"status": "ok", "count": n}


def rescue_rows(cid, emails):
    """Two days of a rescue campaign with a holdout; failures with reasons."""
    e = emails
    rows = []
    d1, d2 = "2026-11-20", "2026-11-21"
    # Day 1, warmed: 3 inbox, 2 spam (rescued), 1 not found.
    for i in range(3):
        rows.append(dict(email=e[i], task="rescue", status="done", day=d1,
                         result=result("inbox", {"not_spam": {"status": "skipped"},
                                                 "mark_read": ok(1),
                                                 "flag": {"status": "skipped"}})))
    for i in range(3, 5):
        rows.append(dict(email=e[i], task="rescue", status="done", day=d1,
                         result=result("spam", {"not_spam": ok(2), "mark_read": ok(2),
                                                "flag": {"status": "skipped"}})))
    rows.append(dict(email=e[5], task="rescue", status="done", day=d1,
                     result=result("none", {})))
    # Day 1, holdout: 1 inbox, 1 spam, observing only.
    rows.append(dict(email=e[6], task="rescue", status="done", day=d1, observe=True,
                     result=result("inbox", observe=True)))
    rows.append(dict(email=e[7], task="rescue", status="done", day=d1, observe=True,
                     result=result("spam", observe=True)))
    # Day 1: two failures with the same reason, one with a failed step.
    rows.append(dict(email=e[8], task="rescue", status="failed", day=d1,
                     error="login: bad password",
                     result={"steps": {"not_spam": {"status": "permanent",
                                                    "reason": "folder gone"}}}))
    rows.append(dict(email=e[9], task="rescue", status="failed", day=d1,
                     error="login: bad password"))
    # Day 2, warmed: 2 inbox, a transient mark_read step; holdout: 1 none.
    rows.append(dict(email=e[0], task="rescue", status="done", day=d2,
                     result=result("inbox", {"mark_read": {"status": "transient",
                                                           "reason": "503"}})))
    rows.append(dict(email=e[1], task="rescue", status="done", day=d2,
                     result=result("inbox", {"mark_read": ok(3)})))
    rows.append(dict(email=e[6], task="rescue", status="done", day=d2, observe=True,
                     result=result("none", observe=True)))
    # Day 2: queued, running, cancelled, and one failure.
    rows.append(dict(email=e[2], task="rescue", status="new", day=d2))
    rows.append(dict(email=e[3], task="rescue", status="new", day=d2))
    rows.append(dict(email=e[4], task="rescue", status="running", day=d2))
    rows.append(dict(email=e[5], task="rescue", status="cancelled", day=d2))
    rows.append(dict(email=e[10], task="rescue", status="failed", day=d2,
                     error="deadline passed"))
    # A login job of the campaign (not a scenario task).
    rows.append(dict(email=e[11], task="login", status="done", day=d2))
    for r in rows:
        r["campaign"] = cid
    return rows


def warmup_rows(cid, emails):
    e = emails
    d1, d2 = "2026-11-20", "2026-11-21"
    rows = []
    for i in range(3):
        rows.append(dict(email=e[i], task="send", status="done", day=d1))
    rows.append(dict(email=e[3], task="send", status="failed", day=d1, error="smtp: 550 spam"))
    rows.append(dict(email=e[4], task="send", status="done", day=d2))
    rows.append(dict(email=e[5], task="warm_receive", status="done", day=d1,
                     result=result("inbox", {"reply": ok(1), "flag": ok(1)})))
    rows.append(dict(email=e[6], task="warm_receive", status="done", day=d1,
                     result=result("spam", {"not_spam": ok(1)})))
    rows.append(dict(email=e[7], task="warm_receive", status="done", day=d1,
                     result=result("inbox", {})))
    rows.append(dict(email=e[8], task="warm_receive", status="done", day=d2,
                     result=result("none", {})))
    for r in rows:
        r["campaign"] = cid
    return rows


def expect(rows, day=None):
    """The report's figures, computed from the rows alone."""
    rows = [r for r in rows if day is None or r.get("day") == day]
    place = {}
    for r in rows:
        if r["task"] in SCENARIO and r["status"] == "done":
            g = "holdout" if r.get("observe") else "warmed"
            for gg in (g, "all"):
                c = place.setdefault(r["day"], {}).setdefault(gg, {"inbox": 0, "spam": 0, "none": 0})
                c[r["result"]["placement"]] += 1
    jobs = {}
    for r in rows:
        j = jobs.setdefault(r["task"], {"done": 0, "failed": 0, "pending": 0, "cancelled": 0})
        st = "pending" if r["status"] in ("new", "running") else r["status"]
        j[st] += 1
    steps = {}
    for r in rows:
        if r["task"] not in SCENARIO or r["status"] not in ("done", "failed"):
            continue
        for k, v in ((r.get("result") or {}).get("steps") or {}).items():
            s = steps.setdefault(k, {"done": 0, "failed": 0, "letters": 0})
            if v.get("status") == "ok":
                s["done"] += 1
                s["letters"] += v.get("count", 0)
            elif v.get("status") != "skipped":
                s["failed"] += 1
    warm = {}
    for r in rows:
        if r["task"] not in ("send", "warm_receive"):
            continue
        w = warm.setdefault(r["day"], {"sent": 0, "send_failed": 0, "inbox": 0, "spam": 0,
                                       "none": 0})
        if r["task"] == "send" and r["status"] == "done":
            w["sent"] += 1
        elif r["task"] == "send" and r["status"] == "failed":
            w["send_failed"] += 1
        elif r["status"] == "done":
            w[r["result"]["placement"]] += 1
    reasons, accts = {}, {}
    for r in rows:
        if r["status"] == "failed":
            x = reasons.setdefault(r.get("error") or "", [0, set()])
            x[0] += 1
            x[1].add(r["email"])
            k = (r["email"], r["task"], r.get("error") or "")
            accts[k] = accts.get(k, 0) + 1
    return place, jobs, steps, warm, reasons, accts


def check_json(doc, rows, day=None):
    place, jobs, steps, warm, reasons, accts = expect(rows, day)
    zero = {"inbox": 0, "spam": 0, "none": 0}
    assert [d["day"] for d in doc["placement"]] == sorted(place)
    for d in doc["placement"]:
        for g in ("warmed", "holdout", "all"):
            c = place[d["day"]].get(g, zero)
            assert {k: d[g][k] for k in ("inbox", "spam", "none")} == c, (d, g)
            assert d[g]["rate"] == rate(c["inbox"], c["spam"])
    for g in ("warmed", "holdout", "all"):
        tot = {k: sum(place[d].get(g, zero)[k] for d in place) for k in zero}
        got = doc["placement_total"][g]
        assert {k: got[k] for k in zero} == tot
        assert got["rate"] == rate(tot["inbox"], tot["spam"])
    assert {j["task"]: {k: j[k] for k in ("done", "failed", "pending", "cancelled")}
            for j in doc["jobs"]} == jobs
    assert {s["step"]: {k: s[k] for k in ("done", "failed", "letters")}
            for s in doc["steps"]} == steps
    assert {w["day"]: {k: w[k] for k in ("sent", "send_failed", "inbox", "spam", "none")}
            for w in doc["warmup"]} == warm
    f = doc["failures"]
    assert f["jobs"] == sum(v[0] for v in reasons.values())
    assert {r["error"]: (r["jobs"], r["accounts"]) for r in f["reasons"]} == \
        {k: (v[0], len(v[1])) for k, v in reasons.items()}
    assert [r["jobs"] for r in f["reasons"]] == sorted((r["jobs"] for r in f["reasons"]),
                                                       reverse=True)
    assert {(a["email"], a["task"], a["error"]): a["jobs"] for a in f["accounts"]} == accts
    assert f["accounts_failed"] == len({k[0] for k in accts})


def csv_sections(text):
    """{section: [header, rows...]}; sections are separated by empty lines and
    every line starts with its section's name."""
    out = {}
    for block in text.strip("\n").split("\n\n"):
        lines = list(csv.reader(io.StringIO(block)))
        name = lines[0][0]
        assert all(l[0] == name for l in lines), block
        assert name not in out
        out[name] = [l[1:] for l in lines]
    return out


def test_report_all_formats(env):
    cid = env.campaign("rescue-nov", "rescue", {
        "time_zone": "Europe/Moscow", "holdout": 20, "hours": None,
        "weekdays": [1, 2, 3, 4, 5, 6, 7], "max_attempts": 5,
        "match": {"subject": "Your order, \"42\""}, "date": "2026-11-20",
        "mark_read": True, "flag": False})
    other = env.campaign("other", "rescue", {"holdout": 0}, status="done")
    rows = rescue_rows(cid, env.emails)
    env.jobs(rows)
    # Noise: another campaign's and campaign-less jobs must not count.
    env.jobs([dict(campaign=other, email=env.emails[0], task="rescue", status="done",
                   day="2026-11-20", result=result("spam")),
              dict(campaign=other, email=env.emails[1], task="rescue", status="failed",
                   day="2026-11-20", error="other error"),
              dict(email=env.emails[2], task="list_inbox", status="failed", error="x")])

    # --json
    r = env.run("report", "rescue-nov", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    c = doc["campaign"]
    assert (c["name"], c["kind"], c["status"], c["source"], c["origin"], c["seed"]) == \
        ("rescue-nov", "rescue", "running", "config", "/etc/warmd/warmd.conf:12", 42)
    assert c["params"]["holdout"] == 20 and doc["has_holdout"] is True
    assert doc["day"] is None
    check_json(doc, rows)
    # The figures worked out by hand once, so expect() is checked too.
    d1 = doc["placement"][0]
    assert d1["day"] == "2026-11-20"
    assert d1["warmed"] == {"inbox": 3, "spam": 2, "none": 1, "rate": 60.0}
    assert d1["holdout"] == {"inbox": 1, "spam": 1, "none": 0, "rate": 50.0}
    assert doc["placement"][1]["holdout"] == {"inbox": 0, "spam": 0, "none": 1, "rate": None}
    assert doc["placement_total"]["warmed"]["rate"] == 71.4    # 5 / 7
    steps = {s["step"]: s for s in doc["steps"]}
    assert steps["not_spam"] == {"step": "not_spam", "done": 2, "letters": 4, "failed": 1}
    assert steps["mark_read"] == {"step": "mark_read", "done": 6, "letters": 10, "failed": 1}
    assert steps["flag"]["done"] == 0 and steps["flag"]["failed"] == 0
    jobs = {j["task"]: j for j in doc["jobs"]}
    assert jobs["rescue"] == {"task": "rescue", "done": 11, "failed": 3, "pending": 3,
                              "cancelled": 1}
    assert doc["failures"]["reasons"][0] == {"error": "login: bad password", "jobs": 2,
                                            "accounts": 2}

    # --day narrows every section.
    r = env.run("report", "rescue-nov", "--json", "--day", "2026-11-21")
    assert r.returncode == 0, r.stderr
    doc21 = json.loads(r.stdout)
    assert doc21["day"] == "2026-11-21"
    check_json(doc21, rows, day="2026-11-21")

    # --csv: the same figures.
    r = env.run("report", "rescue-nov", "--csv")
    assert r.returncode == 0, r.stderr
    sec = csv_sections(r.stdout)
    assert set(sec) == {"campaign", "params", "placement", "jobs", "steps", "warmup",
                        "reasons", "failures"}
    camp = dict(zip(sec["campaign"][0], sec["campaign"][1]))
    assert camp["name"] == "rescue-nov" and camp["seed"] == "42"
    par = dict(zip(sec["params"][0], sec["params"][1]))
    assert par["match_subject"] == 'Your order, "42"' and par["holdout"] == "20"
    assert par["date"] == "2026-11-20" and par["day"] == ""
    assert sec["placement"][0] == ["day", "group", "inbox", "spam", "none", "rate"]
    got = {(l[0], l[1]): l[2:] for l in sec["placement"][1:]}
    for d in doc["placement"] + [dict(doc["placement_total"], day="total")]:
        for g in ("warmed", "holdout", "all"):
            x = d[g]
            assert got[(d["day"], g)] == [str(x["inbox"]), str(x["spam"]), str(x["none"]),
                                          "" if x["rate"] is None else "%.1f" % x["rate"]]
    assert len(got) == 3 * (len(doc["placement"]) + 1)
    assert sec["jobs"][0] == ["task", "done", "failed", "pending", "cancelled"]
    assert {l[0]: [int(x) for x in l[1:]] for l in sec["jobs"][1:]} == \
        {j["task"]: [j["done"], j["failed"], j["pending"], j["cancelled"]] for j in doc["jobs"]}
    assert {l[0]: [int(x) for x in l[1:]] for l in sec["steps"][1:]} == \
        {s["step"]: [s["done"], s["failed"], s["letters"]] for s in doc["steps"]}
    assert sec["warmup"][1:] == [["total", "0", "0", "0", "0", "0", ""]]
    assert {l[0]: (int(l[1]), int(l[2])) for l in sec["reasons"][1:]} == \
        {x["error"]: (x["jobs"], x["accounts"]) for x in doc["failures"]["reasons"]}
    assert {(l[0], l[1], l[2]): int(l[3]) for l in sec["failures"][1:]} == \
        {(a["email"], a["task"], a["error"]): a["jobs"] for a in doc["failures"]["accounts"]}

    # The table: key lines.
    r = env.run("report", "rescue-nov")
    assert r.returncode == 0, r.stderr
    t = r.stdout
    assert "campaign  rescue-nov (rescue, running)" in t
    assert "source    config (/etc/warmd/warmd.conf:12)" in t
    assert "seed      42" in t
    assert 'match     subject "Your order, "42""' in t
    assert "date      2026-11-20 (Europe/Moscow)" in t
    assert "holdout   20%" in t
    assert re.search(r"^\s+\| warmed:\s+\| holdout:$", t, re.M), t
    assert re.search(r"^day\s+\|\s+inbox\s+spam\s+none\s+rate\s+\|\s+inbox\s+spam\s+none\s+rate$",
                     t, re.M), t
    assert re.search(r"^2026-11-20\s+\|\s+3\s+2\s+1\s+60\.0%\s+\|\s+1\s+1\s+0\s+50\.0%$", t,
                     re.M), t
    assert re.search(r"^2026-11-21\s+\|\s+2\s+0\s+0\s+100\.0%\s+\|\s+0\s+0\s+1\s+n/a$", t,
                     re.M), t
    assert re.search(r"^total\s+\|\s+5\s+2\s+1\s+71\.4%\s+\|\s+1\s+1\s+1\s+50\.0%$", t, re.M), t
    assert re.search(r"^\s+rescue\s+11\s+3\s+3\s+1$", t, re.M), t
    assert re.search(r"^\s+not_spam\s+2\s+1\s+4$", t, re.M), t
    assert "failures: 3 job(s) of 3 account(s)" in t
    assert re.search(r"^\s+2\s+2\s+login: bad password$", t, re.M), t
    assert re.search(r"^\s+user11@mail.ru\s+rescue\s+1\s+deadline passed$", t, re.M), t
    assert "warm-up" not in t      # not a warm-up campaign, no send jobs

    # Errors: unknown campaign, bad day, both formats.
    r = env.run("report", "nope")
    assert r.returncode == 1 and "no campaign nope" in r.stderr
    r = env.run("report", "rescue-nov", "--day", "2026-13-01")
    assert r.returncode == 1 and "--day" in r.stderr
    r = env.run("report", "rescue-nov", "--json", "--csv")
    assert r.returncode == 2


def test_report_warmup_and_long_failures(env):
    cid = env.campaign("warm", "warmup", {"time_zone": "UTC", "holdout": 0,
                                          "start_date": "2026-11-20", "end_date": None})
    rows = warmup_rows(cid, env.emails)
    # 24 failure lines (12 accounts x 2 errors): the table shows 20.
    for i, e in enumerate(env.emails):
        for err in ("proxy: connect refused", "session: 403 captcha"):
            rows.append(dict(campaign=cid, email=e, task="warm_receive", status="failed",
                             day="2026-11-21", error=err))
    env.jobs(rows)
    r = env.run("report", "warm", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["has_holdout"] is False
    check_json(doc, rows)
    w = {x["day"]: x for x in doc["warmup"]}
    assert (w["2026-11-20"]["sent"], w["2026-11-20"]["send_failed"]) == (3, 1)
    assert (w["2026-11-20"]["inbox"], w["2026-11-20"]["spam"], w["2026-11-20"]["rate"]) == \
        (2, 1, 66.7)
    assert doc["warmup_total"]["sent"] == 4 and doc["warmup_total"]["none"] == 1
    assert len(doc["failures"]["accounts"]) == 25

    r = env.run("report", "warm")
    assert r.returncode == 0, r.stderr
    t = r.stdout
    # No holdout: one group of columns.
    assert re.search(r"^2026-11-20\s+\|\s+2\s+1\s+0\s+66\.7%$", t, re.M), t
    assert re.search(r"^\s+2026-11-20\s+3\s+1\s+\|\s+2\s+1\s+0\s+66\.7%$", t, re.M), t
    assert re.search(r"^\s+total\s+4\s+1\s+\|\s+2\s+1\s+1\s+66\.7%$", t, re.M), t
    lines = [l for l in t.splitlines() if re.match(r"^\s+user\d+@mail.ru\s", l)]
    assert len(lines) == 20
    assert "... 5 more line(s)" in t
    # The most frequent errors come first; the single smtp failure last.
    assert "smtp" not in "".join(lines)

    r = env.run("report", "warm", "--csv")
    sec = csv_sections(r.stdout)
    assert len(sec["failures"]) == 1 + 25
    assert sec["warmup"][-1][0] == "total"


def test_status(env):
    e = env.emails
    env.sql("UPDATE accounts SET status = 'error', status_reason = 'login failed'"
            " WHERE email IN ('user01@mail.ru', 'user02@mail.ru')")
    env.sql("UPDATE accounts SET status = 'error', status_reason = 'proxy dead'"
            " WHERE email = 'user03@mail.ru'")
    env.sql("UPDATE accounts SET status = 'suspended', status_reason = 'blocked by mail.ru'"
            " WHERE email = 'user04@mail.ru'")
    env.sql("UPDATE account_leases SET owner = 'hostA:1:1', until = now() + interval '1 minute'"
            " WHERE account_id IN (SELECT id FROM accounts WHERE email IN"
            " ('user05@mail.ru', 'user06@mail.ru'))")
    env.sql("UPDATE account_leases SET owner = 'hostB:2:2', until = now() + interval '1 minute'"
            " WHERE account_id = (SELECT id FROM accounts WHERE email = 'user07@mail.ru')")
    env.sql("UPDATE account_leases SET owner = 'hostC:3:3', until = now() - interval '1 minute'"
            " WHERE account_id = (SELECT id FROM accounts WHERE email = 'user08@mail.ru')")
    ago = lambda s: "now() - interval '%d seconds'" % s
    rows = []
    rows += [dict(email=e[0], task="send", status="new", run_after=ago(60))] * 3
    rows += [dict(email=e[1], task="send", status="new", run_after="now() + interval '1 hour'")] * 2
    rows += [dict(email=e[2], task="rescue", status="new", run_after=ago(1))]
    rows += [dict(email=e[3], task="rescue", status="running")] * 2
    rows += [dict(email=e[4], task="rescue", status="done", finished_at=ago(20))] * 3
    rows += [dict(email=e[4], task="rescue", status="done", finished_at=ago(300))] * 6
    rows += [dict(email=e[4], task="rescue", status="done", finished_at=ago(1200))] * 5
    rows += [dict(email=e[5], task="send", status="failed", finished_at=ago(10))]
    rows += [dict(email=e[5], task="send", status="failed", finished_at=ago(600))] * 2
    rows += [dict(email=e[5], task="send", status="cancelled", finished_at=ago(5))]
    env.jobs(rows)
    for name, st in (("a", "running"), ("b", "running"), ("c", "done"), ("d", "cancelled")):
        env.campaign(name, "rescue", {}, status=st)

    r = env.run("status", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    a = doc["accounts"]
    assert (a["total"], a["active"], a["error"], a["suspended"]) == (12, 8, 3, 1)
    assert a["reasons"]["error"] == [{"reason": "login failed", "count": 2},
                                     {"reason": "proxy dead", "count": 1}]
    assert a["reasons"]["suspended"] == [{"reason": "blocked by mail.ru", "count": 1}]
    assert doc["queue"] == [{"task": "rescue", "due": 1, "later": 0, "running": 2},
                            {"task": "send", "due": 3, "later": 2, "running": 0}]
    assert doc["queue_total"] == {"due": 4, "later": 2, "running": 2}
    assert doc["sessions"] == {"running": 3, "owners": [
        {"owner": "hostA:1:1", "sessions": 2}, {"owner": "hostB:2:2", "sessions": 1}]}
    t = doc["throughput"]
    assert t["1m"] == {"done": 3, "failed": 1, "done_per_min": 3.0, "failed_per_min": 1.0}
    assert t["15m"] == {"done": 9, "failed": 3, "done_per_min": 0.6, "failed_per_min": 0.2}
    assert doc["campaigns"] == {"new": 0, "running": 2, "paused": 0, "done": 1, "failed": 0,
                                "cancelled": 1}

    r = env.run("status")
    assert r.returncode == 0, r.stderr
    s = r.stdout
    assert "accounts    12: 8 active, 3 error, 1 suspended" in s
    assert re.search(r"^\s+error\s+2\s+login failed$", s, re.M), s
    assert re.search(r"^\s+suspended\s+1\s+blocked by mail.ru$", s, re.M), s
    assert re.search(r"^\s+send\s+3\s+2\s+0$", s, re.M), s
    assert re.search(r"^\s+total\s+4\s+2\s+2$", s, re.M), s
    assert "sessions    3 running" in s
    assert re.search(r"^\s+hostA:1:1\s+2$", s, re.M), s
    assert re.search(r"^\s+last 1m\s+3\.0\s+1\.0\s+\(3 done, 1 failed\)$", s, re.M), s
    assert re.search(r"^\s+last 15m\s+0\.6\s+0\.2\s+\(9 done, 3 failed\)$", s, re.M), s
    assert "campaigns   2 running, 1 done, 1 cancelled" in s


# ---- ad hoc campaigns ---------------------------------------------------------

def campaign_row(env, name):
    out = env.sql("SELECT row_to_json(c) FROM (SELECT name, kind, params, seed, status,"
                  " source, origin, reason FROM campaigns WHERE name = %s) c" % lit(name))
    return json.loads(out) if out else None


def created_name(stdout):
    m = re.search(r"^campaign (\S+) created", stdout, re.M)
    assert m, stdout
    assert "picks it up within a planner tick" in stdout
    return m.group(1)


def test_rescue_canonical_params(env):
    r = env.run("rescue", "--subject", "Заказ №42, оплата", "--date", "2026-11-20",
                "--mark-read", "--holdout", "10")
    assert r.returncode == 0, r.stderr
    name = created_name(r.stdout)
    assert re.fullmatch(r"rescue-2026-11-20-[0-9a-f]{8}", name), name
    row = campaign_row(env, name)
    assert row["params"] == {
        "time_zone": CONFIG_TZ, "holdout": 10, "hours": None,
        "weekdays": [1, 2, 3, 4, 5, 6, 7], "max_attempts": 5,
        "match": {"subject": "Заказ №42, оплата"}, "date": "2026-11-20",
        "mark_read": True, "flag": False}
    assert type(row["params"]["holdout"]) is int
    assert (row["kind"], row["status"], row["source"], row["origin"]) == \
        ("rescue", "new", "cli", "warmctl")
    assert row["seed"] == fnv1a64(name) & 0x7FFFFFFFFFFFFFFF
    # The same options give the same name: it is taken now.
    r = env.run("rescue", "--subject", "Заказ №42, оплата", "--date", "2026-11-20",
                "--mark-read", "--holdout", "10")
    assert r.returncode == 1 and "already exists" in r.stderr, r.stderr

    # Every option; "yesterday" becomes the date in the campaign's zone.
    r = env.run("rescue", "--body", "promo code", "--date", "yesterday", "--flag",
                "--name", "my-rescue", "--seed", "7", "--time-zone", "America/New_York",
                "--hours", "09:00-21:00", "--weekdays", "mon-fri", "--max-attempts", "3",
                "--holdout", "12.5%")
    assert r.returncode == 0, r.stderr
    assert created_name(r.stdout) == "my-rescue"
    row = campaign_row(env, "my-rescue")
    y = (datetime.datetime.now(zoneinfo.ZoneInfo("America/New_York")).date()
         - datetime.timedelta(days=1)).isoformat()
    assert row["params"] == {
        "time_zone": "America/New_York", "holdout": 12.5, "hours": [540, 1260],
        "weekdays": [1, 2, 3, 4, 5], "max_attempts": 3, "match": {"body": "promo code"},
        "date": y, "mark_read": False, "flag": True}
    assert row["seed"] == 7

    # Without a config file (--db only) the zone is Europe/Moscow.
    argv = [harness.program("src/warmctl"), "-c", str(env.dir / "none.conf"),
            "--db", env.pg.conninfo(), "--sql-dir", os.path.join(harness.srcdir(), "sql"),
            "rescue", "--subject", "x", "--date", "today", "--name", "noconf"]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
    row = campaign_row(env, "noconf")
    assert row["params"]["time_zone"] == "Europe/Moscow"
    assert row["params"]["date"] == \
        datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Moscow")).date().isoformat()


def test_engage_canonical_params(env, tmp_path):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "a.tpl").write_text("[body]\n{Thanks|Thank you}!\n")
    (tmp_path / "tpl" / "b.tpl").write_text("[subject]\nRe\n[body]\nOK, {{sender_name}}\n")
    r = env.run("engage", "--subject", "Hello", "--date", "2026-11-20", "--percent", "25",
                "--template", "tpl/a.tpl,tpl/b.tpl", "--no-not-spam", "--name", "eng",
                cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    row = campaign_row(env, "eng")
    assert row["params"] == {
        "time_zone": CONFIG_TZ, "holdout": 0, "hours": None,
        "weekdays": [1, 2, 3, 4, 5, 6, 7], "max_attempts": 5, "match": {"subject": "Hello"},
        "date": "2026-11-20", "mark_read": False, "flag": False, "percent": 25,
        "not_spam": False,
        "reply_templates": [str(tmp_path / "tpl" / "a.tpl"), str(tmp_path / "tpl" / "b.tpl")]}
    assert row["kind"] == "engage"
    # --template twice is the same as a list; not_spam defaults to true.
    r = env.run("engage", "--body", "hi", "--date", "2026-11-20", "--percent", "0.5",
                "--template", str(tmp_path / "tpl" / "a.tpl"), "--template",
                str(tmp_path / "tpl" / "b.tpl"), "--name", "eng2")
    assert r.returncode == 0, r.stderr
    p = campaign_row(env, "eng2")["params"]
    assert p["percent"] == 0.5 and p["not_spam"] is True
    assert len(p["reply_templates"]) == 2
    assert all(os.path.isabs(x) for x in p["reply_templates"])


def test_adhoc_bad_options(env, tmp_path):
    (tmp_path / "nobody.tpl").write_text("[subject]\nonly a subject\n")
    (tmp_path / "broken.tpl").write_text("[body]\n{unclosed\n")
    ok_rescue = ["--subject", "x", "--date", "2026-11-20"]
    ok_engage = ok_rescue + ["--percent", "10", "--template", str(tmp_path / "nobody.tpl")]
    cases = [
        (["rescue", "--subject", "x"], "--date"),
        (["rescue", "--date", "2026-11-20"], "subject or body"),
        (["rescue", "--subject", "x", "--body", "y", "--date", "2026-11-20"], "not both"),
        (["rescue"] + ok_rescue + ["--holdout", "150"], "--holdout"),
        (["rescue"] + ok_rescue + ["--holdout", "-5"], "--holdout"),
        (["rescue", "--subject", "x", "--date", "2026-02-30"], "--date"),
        (["rescue", "--subject", "x", "--date", "tomorrow"], "--date"),
        (["rescue"] + ok_rescue + ["--time-zone", "Mars/Olympus"], "--time-zone"),
        (["rescue"] + ok_rescue + ["--percent", "10"], "--percent"),
        (["rescue"] + ok_rescue + ["--hours", "21:00-09:00"], "--hours"),
        (["rescue"] + ok_rescue + ["--weekdays", "funday"], "--weekdays"),
        (["rescue"] + ok_rescue + ["--max-attempts", "0"], "--max-attempts"),
        (["rescue"] + ok_rescue + ["--seed", "-1"], "--seed"),
        (["rescue"] + ok_rescue + ["--name", "bad name!"], "--name: name \"bad name!\""),
        (["rescue", "--subject", "x" * 201, "--date", "2026-11-20"], "--subject"),
        (["rescue", "--subject", "", "--date", "2026-11-20"], "--subject"),
        (["rescue", "--subject", "a\nb", "--date", "2026-11-20"], "--subject"),
        (["engage"] + ok_rescue + ["--percent", "10"], "--template"),
        (["engage"] + ok_rescue + ["--template", str(tmp_path / "nobody.tpl")], "--percent"),
        (ok_engage[:0] + ["engage"] + ok_rescue + ["--percent", "0", "--template",
                                                  str(tmp_path / "nobody.tpl")], "--percent"),
        (["engage"] + ok_engage, "[body]"),
        (["engage"] + ok_rescue + ["--percent", "10", "--template",
                                   str(tmp_path / "missing.tpl")], "missing.tpl"),
        (["engage"] + ok_rescue + ["--percent", "10", "--template",
                                   str(tmp_path / "broken.tpl")], "broken.tpl"),
    ]
    for argv, needle in cases:
        r = env.run(*argv)
        assert r.returncode == 1, (argv, r.returncode, r.stdout, r.stderr)
        assert needle in r.stderr, (argv, r.stderr)
        assert r.stdout == "", (argv, r.stdout)
    assert env.count_campaigns() == 0
    # Not an option at all: usage.
    r = env.run("rescue", "--frobnicate")
    assert r.returncode == 2
    assert env.count_campaigns() == 0


def test_campaigns_list_and_cancel(env):
    cid = env.campaign("to-cancel", "rescue", {"holdout": 0}, status="running",
                       source="cli", origin="warmctl")
    keep = env.campaign("keep", "engage", {"holdout": 0}, status="running")
    e = env.emails
    env.jobs([dict(campaign=cid, email=e[0], task="rescue", status="new", day="2026-11-20"),
              dict(campaign=cid, email=e[1], task="rescue", status="new", day="2026-11-20"),
              dict(campaign=cid, email=e[2], task="rescue", status="new", day="2026-11-21"),
              dict(campaign=cid, email=e[3], task="rescue", status="running", day="2026-11-20"),
              dict(campaign=cid, email=e[4], task="rescue", status="done", day="2026-11-20",
                   result=result("inbox")),
              dict(campaign=cid, email=e[5], task="rescue", status="failed", day="2026-11-20",
                   error="boom"),
              dict(campaign=keep, email=e[0], task="engage", status="new", day="2026-11-20"),
              dict(email=e[1], task="send", status="new")])

    r = env.run("campaigns")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "STATUS", "SOURCE", "CREATED", "DONE",
                                "FAILED", "PENDING"]
    f = lines[1].split()
    assert f[:4] == ["to-cancel", "rescue", "running", "cli"] and f[-3:] == ["1", "1", "4"]
    f = lines[2].split()
    assert f[:4] == ["keep", "engage", "running", "config"] and f[-3:] == ["0", "0", "1"]

    r = env.run("cancel", "to-cancel")
    assert r.returncode == 0, r.stderr
    assert "3 queued job(s) cancelled" in r.stdout
    row = campaign_row(env, "to-cancel")
    assert (row["status"], row["reason"]) == ("cancelled", "cancelled by operator")
    st = env.sql("SELECT string_agg(status, ',' ORDER BY id) FROM jobs WHERE campaign_id = %d"
                 % cid)
    assert st == "cancelled,cancelled,cancelled,running,done,failed"
    assert env.sql("SELECT count(*) FROM jobs WHERE status = 'new'") == "2"
    assert campaign_row(env, "keep")["status"] == "running"

    r = env.run("cancel", "to-cancel")
    assert r.returncode == 1 and "already cancelled" in r.stderr
    r = env.run("cancel", "nope")
    assert r.returncode == 1 and "no campaign nope" in r.stderr
    r = env.run("report", "to-cancel", "--json")
    assert json.loads(r.stdout)["jobs"] == [
        {"task": "rescue", "done": 1, "failed": 1, "pending": 1, "cancelled": 3}]
