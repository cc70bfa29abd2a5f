"""The database figures on /metrics and /status (src/figures.c): a rescue
campaign with a holdout runs against mailsim, and what the daemon reports
is checked against the jobs table."""

import json
import time

import pytest

import harness
from jobslib import JobsEnv
from promlib import get, parse, val
from scenlib import ScenEnv, moscow_today, now_s

INBOX, SPAM = 0, 950
SUBJ = "Скидка 20% на всё"
NAME = "fig.rescue-1"                   # a dot and a dash, as names allow
ODD = 'odd"na\\me\nx'                   # only by SQL: quote, backslash, newline
SCENARIO = "('rescue', 'engage', 'warm_receive', 'find')"


@pytest.fixture(autouse=True)
def stop_daemons():
    yield
    while JobsEnv.live:
        JobsEnv.live.pop().stop_all()


def expected(e, name):
    """The campaign's figures computed from the jobs table, as warmctl
    report defines them."""
    cid = "(SELECT id FROM campaigns WHERE name = '%s')" % name
    jobs = dict.fromkeys(("new", "running", "done", "failed", "cancelled"), 0)
    for l in e.sql("SELECT status, count(*) FROM jobs WHERE campaign_id = %s"
                   " GROUP BY 1" % cid).splitlines():
        s, n = l.split("|")
        jobs[s] = int(n)
    place = {g: {p: 0 for p in ("inbox", "spam", "none")} for g in ("warmed", "holdout")}
    for l in e.sql("SELECT CASE WHEN coalesce(payload->>'observe', '') = 'true'"
                   " THEN 'holdout' ELSE 'warmed' END, result->>'placement', count(*)"
                   " FROM jobs WHERE campaign_id = %s AND status = 'done'"
                   " AND task IN %s GROUP BY 1, 2" % (cid, SCENARIO)).splitlines():
        g, p, n = l.split("|")
        if p in place[g]:
            place[g][p] = int(n)
    return jobs, place


def test_figures_follow_a_rescue_campaign(pg, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=12, seed=3)
    port = harness.free_port()
    e = ScenEnv(pg, redis, ms, tmp_path, campaigns={NAME: {
        "kind": "rescue", "subject": "скидка 20%", "date": moscow_today(),
        "holdout": "50%", "seed": "42"}},
        conf={"admin": {"listen": "127.0.0.1:%d" % port},
              "warmd": {"max_sessions": "2"},
              "session": {"pace_min": "150ms", "pace_max": "150ms"}})
    when = now_s() - 60
    for i, a in enumerate(e.accounts):
        e.inject(a["email"], SUBJ, folder=SPAM if i % 2 else INBOX, date=when)
    # a paused campaign no planner touches, with a name only SQL can give
    e.sql("INSERT INTO campaigns (name, kind, seed, status, source, origin)"
          " VALUES (E'%s', 'rescue', 1, 'paused', 'cli', 'test')"
          % ODD.replace("\\", "\\\\").replace("\n", "\\n").replace("'", "''"))
    # a job due in a few seconds, seen scheduled, then running, then gone;
    # and one for later: the queue is not empty when the campaign is over
    e.insert([{"email": e.accounts[0]["email"], "task": "list_spam",
               "run_after_s": 6},
              {"email": e.accounts[0]["email"], "task": "list_inbox",
               "run_after_s": 3600}])
    d = e.warmd()
    d.wait_log("admin HTTP on", timeout=20)

    # the first snapshot comes as the pool connects: list_spam is waiting
    m = harness.wait_for(lambda: (lambda m: val(m, "warmd_figures_age_seconds") is not None
                                  and m)(parse(get(port, "/metrics"))),
                         timeout=20, interval=0.2, what="first figures")
    assert val(m, "warmd_queue_jobs", task="list_spam", state="scheduled") == 1, m
    jobs = e.wait_campaign(NAME, expect=len(e.accounts))
    assert all(j["status"] == "done" for j in jobs), jobs
    harness.wait_for(lambda: e.campaign(NAME)["status"] == "done", timeout=20,
                     what="campaign done")
    want_jobs, want_place = expected(e, NAME)
    assert want_jobs["done"] == len(e.accounts)
    assert want_place["holdout"]["inbox"] + want_place["holdout"]["spam"] > 0, want_place
    assert want_place["warmed"]["inbox"] + want_place["warmed"]["spam"] > 0, want_place

    # the next snapshot after that says so
    def settled():
        m = parse(get(port, "/metrics"))
        return (val(m, "warmd_campaigns", status="done") == 1 and
                val(m, "warmd_campaign_jobs", campaign=NAME, status="done") ==
                len(e.accounts) and
                e.sql("SELECT status FROM jobs WHERE task = 'list_spam'") == "done" and
                all(val(m, "warmd_queue_jobs", task="list_spam", state=s) == 0
                    for s in ("due", "scheduled", "running")) and m)
    m = harness.wait_for(settled, timeout=30, interval=0.5, what="figures settled")
    for s, n in want_jobs.items():
        assert val(m, "warmd_campaign_jobs", campaign=NAME, status=s) == n, (s, n)
    for g, ps in want_place.items():
        for p, n in ps.items():
            assert val(m, "warmd_campaign_placement", campaign=NAME, group=g,
                       placement=p) == n, (g, p, n)
        r = val(m, "warmd_campaign_inbox_ratio", campaign=NAME, group=g)
        assert r == pytest.approx(ps["inbox"] / (ps["inbox"] + ps["spam"]), abs=1e-5)
    # the queue: list_spam (and the rescues, if a snapshot saw them) gone
    # to zero, the later job still waits
    for s in ("due", "scheduled", "running"):
        assert val(m, "warmd_queue_jobs", task="list_spam", state=s) == 0, s
        assert (val(m, "warmd_queue_jobs", task="rescue", state=s) or 0) == 0, s
    assert val(m, "warmd_queue_jobs", task="list_inbox", state="scheduled") == 1
    assert val(m, "warmd_queue_jobs", task="list_inbox", state="due") == 0
    fin = val(m, "warmd_jobs_finished_last_minute", status="done")
    assert fin is not None and 1 <= fin <= len(e.accounts) + 1   # list_spam just ended
    assert val(m, "warmd_jobs_finished_last_minute", status="failed") == 0
    # campaigns by status, all six present
    assert val(m, "warmd_campaigns", status="paused") == 1
    assert sum(v for (n, _), v in m.items() if n == "warmd_campaigns") == 2
    # the odd name: escaped on the wire, unescaped by the parser
    raw = get(port, "/metrics")
    assert 'campaign="odd\\"na\\\\me\\nx"' in raw, raw
    for s in ("new", "running", "done", "failed", "cancelled"):
        assert val(m, "warmd_campaign_jobs", campaign=ODD, status=s) == 0
    assert val(m, "warmd_campaign_inbox_ratio", campaign=ODD, group="warmed") is None
    # the planner's counters
    assert val(m, "warmd_campaign_plans_total") > 0
    assert val(m, "warmd_campaign_jobs_planned_total") >= len(e.accounts)
    assert val(m, "warmd_campaign_jobs_cancelled_total") == 0
    assert val(m, "warmd_campaign_plan_errors_total") == 0
    assert 0 <= val(m, "warmd_figures_age_seconds") < 15

    # /status has the same numbers
    st = json.loads(get(port, "/status"))
    c = st["campaigns"]["live"][NAME]
    assert c["status"] == "done" and c["jobs"] == want_jobs, c
    for g, ps in want_place.items():
        got = c["placement"][g]
        assert {p: got[p] for p in ps} == ps, (g, got)
        assert got["inbox_ratio"] == pytest.approx(ps["inbox"] / (ps["inbox"] + ps["spam"]))
    odd = st["campaigns"]["live"][ODD]
    assert odd["status"] == "paused" and odd["placement"]["warmed"]["inbox_ratio"] is None
    assert st["campaigns"]["by_status"] == {"new": 0, "running": 0, "paused": 1, "done": 1,
                                            "failed": 0, "cancelled": 0}
    assert st["campaigns"]["planner"]["plans"] > 0
    assert st["campaigns"]["planner"]["jobs_planned"] >= len(e.accounts)
    q = st["queue"]
    assert (q["due"], q["scheduled"], q["running"]) == (0, 1, 0), q
    assert q["by_task"]["list_spam"] == {"due": 0, "scheduled": 0, "running": 0}, q
    assert q["by_task"]["list_inbox"]["scheduled"] == 1, q
    assert set(q["finished_last_minute"]) == {"done", "failed"}, q
    assert 0 <= st["figures_age_s"] < 15
    d.stop()


def test_figures_without_campaigns(pg, redis, mailsim_factory, tmp_path):
    """No campaign, no job: the figures come, with nothing per campaign."""
    ms = mailsim_factory(generate=2, seed=5)
    port = harness.free_port()
    e = ScenEnv(pg, redis, ms, tmp_path, conf={"admin": {"listen": "127.0.0.1:%d" % port}})
    d = e.warmd()
    d.wait_log("admin HTTP on", timeout=20)
    m = harness.wait_for(lambda: (lambda m: val(m, "warmd_figures_age_seconds") is not None
                                  and m)(parse(get(port, "/metrics"))),
                         timeout=20, interval=0.3, what="first figures")
    assert sum(v for (n, _), v in m.items() if n == "warmd_campaigns") == 0
    assert not [k for k in m if k[0] == "warmd_campaign_jobs"]
    st = json.loads(get(port, "/status"))
    assert st["campaigns"]["live"] == {} and st["queue"]["due"] == 0, st
    d.stop()
