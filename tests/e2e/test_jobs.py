"""The jobs engine end to end: warmd processes claim jobs inserted with
SQL, run them as sessions against mailsim, and every outcome is checked in
the jobs table and on mailsim's inspection port."""

import json
import signal
import time

import pytest

import harness
from jobslib import JobsEnv


@pytest.fixture
def ms(mailsim_factory):
    return mailsim_factory(generate=6, seed=7)


@pytest.fixture(autouse=True)
def stop_daemons():
    """A failing test must not leave warmd processes behind."""
    yield
    while JobsEnv.live:
        JobsEnv.live.pop().stop_all()


def metrics(port):
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return r.read().decode()


def test_jobs_run_in_one_session_per_account(pg, redis, ms, tmp_path):
    port = harness.free_port()
    e = JobsEnv(pg, redis, ms, tmp_path, conf={"admin": {"listen": "127.0.0.1:%d" % port}})
    a = e.accounts[0]["email"]
    b = e.accounts[1]["email"]
    e.insert([{"email": a, "task": "list_spam"},
              {"email": a, "task": "not_spam", "payload": {"select": "listed"}},
              {"email": a, "task": "list_inbox"},
              {"email": b, "task": "list_inbox"}])
    e.warmd()
    e.wait_final(4, timeout=60)
    jobs = e.jobs()
    assert [j["status"] for j in jobs] == ["done"] * 4, jobs
    assert all(j["attempts"] == 1 and j["lease_owner"] is None for j in jobs), jobs
    # the operator's columns: what was really used
    assert all(j["proxy"] == "direct" or j["proxy"] is None for j in jobs), jobs
    assert all(j["ip"] == "127.0.0.1" for j in jobs), jobs
    assert jobs[1]["result"]["via"] == "unspam", jobs[1]
    # one login per account: its jobs shared a session
    logins = ms.get("/logins", account=a)
    assert len([l for l in logins if l.get("outcome") in ("ok", "success")]) == 1, logins
    # the listing filled mails, the rescue is recorded on the letter
    rows = e.mails(a)
    assert any(r["last_action"] == "not_spam" for r in rows), rows
    m = metrics(port)
    assert 'warmd_jobs_outcomes_total{outcome="done"} 4' in m, m
    assert "warmd_jobs_claimed_total 4" in m and "warmd_jobs_listening 1" in m, m
    assert 'warmd_sessions{state="action"} 0' in m, m
    e.stop_all()
    assert all(d.proc.returncode == 0 for d in e.daemons)
    # leases were given back on the way out
    assert e.sql("SELECT count(*) FROM account_leases WHERE owner IS NOT NULL") == "0"


def ok_logins(ms, account=None):
    logins = ms.get("/logins", account=account) if account else ms.get("/logins")
    logins = logins if isinstance(logins, list) else logins.get("logins", [])
    return [l for l in logins if l.get("outcome") in ("ok", "success")]


def test_picked_up_at_once_on_notify(pg, redis, ms, tmp_path):
    """A job inserted by hand is noticed through NOTIFY, not the poll (1 h)."""
    e = JobsEnv(pg, redis, ms, tmp_path, jobs={"poll_interval": "1h", "lease": "3h"})
    d = e.warmd()
    d.wait_log("listening for new jobs", timeout=20)
    time.sleep(0.5)
    a = e.accounts[0]["email"]
    t0 = time.monotonic()
    e.insert([{"email": a, "task": "list_inbox"}])
    harness.wait_for(lambda: e.counts().get("new", 0) == 0, timeout=5, interval=0.02,
                     what="job claimed")
    took = time.monotonic() - t0
    assert took < 1.5, took
    e.wait_final(1, timeout=30)
    assert e.jobs()[0]["status"] == "done"
    e.stop_all()


def test_three_processes_each_job_once(pg, redis, mailsim_factory, tmp_path):
    """1,000 accounts x 5 jobs shared by 3 processes: every job done once, by
    one session per account (mailsim saw one login per account)."""
    ms = mailsim_factory(generate=1000, seed=11)
    e = JobsEnv(pg, redis, ms, tmp_path, timeouts=("2m", "5m"),
                jobs={"claim_batch": "50"})
    jobs = []
    for acc in e.accounts:
        a = acc["email"]
        jobs += [{"email": a, "task": "list_spam"},
                 {"email": a, "task": "not_spam", "payload": {"select": "listed"}},
                 {"email": a, "task": "list_inbox"},
                 {"email": a, "task": "flag", "payload": {"select": "listed", "limit": 1}},
                 {"email": a, "task": "mark_read", "payload": {"select": "listed", "limit": 1}}]
    e.insert(jobs)
    for _ in range(3):
        e.warmd()
    e.wait_final(5000, timeout=600)
    c = e.counts()
    assert c == {"done": 5000}, c
    rows = e.sql("SELECT count(*), count(DISTINCT worker_id), max(attempts) FROM jobs")
    n, workers, attempts = rows.split("|")
    assert n == "5000" and int(attempts) == 1, rows
    assert int(workers) == 3, "all three processes took work: %s" % rows
    # each account's jobs ran in one session of one process
    split = e.sql("SELECT count(*) FROM (SELECT account_id FROM jobs GROUP BY account_id"
                  " HAVING count(DISTINCT worker_id) > 1) x")
    assert split == "0"
    per = {}
    for l in ok_logins(ms):
        per[l["account"]] = per.get(l["account"], 0) + 1
    assert len(per) == 1000 and set(per.values()) == {1}, \
        [k for k, v in per.items() if v != 1][:10]
    # rescued letters are out of Spam in mailsim, and recorded in mails
    assert e.sql("SELECT count(*) FROM mails WHERE last_action = 'not_spam'") != "0"
    e.stop_all()
    assert [d.proc.returncode for d in e.daemons] == [0, 0, 0]
    assert e.sql("SELECT count(*) FROM account_leases WHERE owner IS NOT NULL") == "0"


def sent_subjects(ms):
    sent = ms.get("/sent")
    sent = sent if isinstance(sent, list) else sent.get("sent", sent.get("letters", []))
    out = []
    for x in sent:
        s = x.get("subject")
        if s is None:
            s = (x.get("headers") or {}).get("Subject")
        out.append(s)
    return out


SLOW = {"session": {"pace_min": "300ms", "pace_max": "700ms"}}


def test_kill_9_loses_nothing_and_sends_nothing_twice(pg, redis, mailsim_factory, tmp_path):
    """Three workers and one that dies right after a letter left (test hook);
    then one of the three is killed with SIGKILL mid-run.  Every job ends done
    once, and every letter exists once in mailsim."""
    ms = mailsim_factory(generate=120, seed=5)
    e = JobsEnv(pg, redis, ms, tmp_path, timeouts=("1m", "2m"),
                jobs={"lease": "5s", "claim_batch": "10"}, conf=SLOW)
    emails = [a["email"] for a in e.accounts]
    jobs = []
    for i, a in enumerate(emails):
        peer = emails[(i + 1) % len(emails)]
        jobs += [{"email": a, "task": "list_inbox"},
                 {"email": a, "task": "send", "payload": {
                     "to": peer, "subject": "kill9 %d" % i, "text": "hello %d" % i}},
                 {"email": a, "task": "list_spam"}]
    e.insert(jobs)
    hooked = e.warmd("hook", env={"WARMD_TEST_CRASH_AFTER_SEND": "1"})
    hooked.wait(timeout=60)
    assert hooked.proc.returncode == -9
    workers = [e.warmd() for _ in range(3)]
    harness.wait_for(lambda: e.counts().get("done", 0) >= len(jobs) // 3, timeout=120,
                     what="a third done")
    workers[0].proc.kill()
    workers[0].proc.wait()
    e.wait_final(len(jobs), timeout=300)
    c = e.counts()
    assert c == {"done": len(jobs)}, c
    subjects = sent_subjects(ms)
    kill9 = sorted(s for s in subjects if s and s.startswith("kill9 "))
    assert kill9 == sorted("kill9 %d" % i for i in range(len(emails))), \
        [s for s in set(kill9) if kill9.count(s) > 1]
    # the letter sent just before the crash was found in Sent, not resent
    found = e.sql("SELECT count(*) FROM jobs WHERE result->>'found_in_sent' = 'true'")
    assert int(found) >= 1
    assert e.sql("SELECT count(*) FROM jobs WHERE task = 'send' AND result->>'token' IS NULL") == "0"
    for w in workers[1:]:
        w.stop()
        assert w.proc.returncode == 0


def test_postgres_restart_mid_run(pg_private, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=100, seed=6)
    e = JobsEnv(pg_private, redis, ms, tmp_path, timeouts=("1m", "2m"),
                jobs={"lease": "20s", "claim_batch": "20"},
                conf=dict(SLOW, database={"reconnect_max": "1s"}))
    jobs = []
    for a in e.accounts:
        jobs += [{"email": a["email"], "task": t} for t in ("list_inbox", "list_spam", "list_inbox")]
    e.insert(jobs)
    d = e.warmd()
    harness.wait_for(lambda: e.counts().get("done", 0) >= 60, timeout=120, what="some done")
    pg_private.restart()
    e.wait_final(len(jobs), timeout=300)
    assert e.counts() == {"done": len(jobs)}, e.counts()
    assert d.proc.poll() is None, "warmd died across the restart"
    d.stop()
    assert d.proc.returncode == 0


def test_transient_faults_retry_then_permanent_fail(pg, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=20, seed=8)
    e = JobsEnv(pg, redis, ms, tmp_path, jobs={"claim_batch": "5"})
    emails = [a["email"] for a in e.accounts]
    ms.post("/faults", {"rules": [{"host": "aj-https.mail.ru", "path": "/api/v1/",
                                   "p_5xx": 0.15, "p_429": 0.1, "p_reset": 0.05}]})
    e.insert([{"email": a, "task": t, "max_attempts": 30}
              for a in emails for t in ("list_inbox", "list_spam")])
    # permanent: a payload that cannot work, a letter that does not exist
    e.insert([{"email": emails[0], "task": "flag", "payload": {"ids": "nope"}},
              {"email": emails[1], "task": "not_spam",
               "payload": {"ids": ["0:17000000009999999999:950"]}}])
    d = e.warmd()
    e.wait_final(42, timeout=240)
    jobs = e.jobs()
    lists = [j for j in jobs if j["task"].startswith("list_")]
    assert all(j["status"] == "done" for j in lists), [j for j in lists if j["status"] != "done"]
    assert sum(j["attempts"] for j in lists) > len(lists), "faults caused retries"
    bad = {j["task"]: j for j in jobs if j["task"] in ("flag", "not_spam")}
    assert bad["flag"]["status"] == "failed" and "payload.ids" in bad["flag"]["error"], bad
    assert bad["not_spam"]["status"] == "failed" and bad["not_spam"]["error"], bad
    # a job out of attempts fails and says so
    ms.post("/faults", {"rules": [{"host": "aj-https.mail.ru", "path": "/api/v1/", "p_5xx": 1}]})
    e.insert([{"email": emails[2], "task": "list_inbox", "max_attempts": 2}])
    e.wait_final(43, timeout=60)
    last = e.jobs("j.max_attempts = 2")[0]
    assert last["status"] == "failed" and last["error"].startswith("attempts exhausted (2)"), last
    ms.post("/faults", {"rules": []})
    d.stop()


def test_daily_cap_defers_to_next_day(pg, redis, ms, tmp_path):
    e = JobsEnv(pg, redis, ms, tmp_path, jobs={"daily_caps": "send:2"})
    a, b = e.accounts[0]["email"], e.accounts[1]["email"]
    e.insert([{"email": a, "task": "send",
               "payload": {"to": b, "subject": "cap %d" % i, "text": "x"}} for i in range(4)])
    e.warmd()
    harness.wait_for(lambda: e.counts().get("done", 0) == 2 and e.counts().get("running", 0) == 0,
                     timeout=60, what="two sent")
    time.sleep(1)
    jobs = e.jobs()
    assert [j["status"] for j in jobs].count("done") == 2, jobs
    waiting = [j for j in jobs if j["status"] == "new"]
    assert len(waiting) == 2 and all(j["error"] == "daily cap reached" and j["attempts"] == 0
                                     for j in waiting), waiting
    # they wait for the next midnight of the configured zone
    assert e.sql("SELECT count(*) FROM jobs WHERE status = 'new' AND run_after >"
                 " date_trunc('day', now() AT TIME ZONE 'Europe/Moscow')"
                 " AT TIME ZONE 'Europe/Moscow' + interval '23 hours'") == "2"
    assert len([s for s in sent_subjects(ms) if s and s.startswith("cap ")]) == 2
    # the counter lives in Redis under the configured prefix
    keys = redis.command("KEYS", "warmd:cap:*")
    assert keys, keys
    e.stop_all()


def test_daily_cap_counts_in_postgresql_without_redis(pg, redis, ms, tmp_path):
    """Redis unreachable: the cap is counted from today's jobs instead,
    in two sessions one after the other."""
    e = JobsEnv(pg, redis, ms, tmp_path, jobs={"daily_caps": "send:2"},
                conf={"redis": {"address": "127.0.0.1:%d" % harness.free_port(),
                                "connect_timeout": "200ms"}})
    a, b = e.accounts[0]["email"], e.accounts[1]["email"]
    e.insert([{"email": a, "task": "send",
               "payload": {"to": b, "subject": "pgcap %d" % i, "text": "x"}} for i in range(1)])
    e.warmd()
    harness.wait_for(lambda: e.counts().get("done", 0) == 1, timeout=60, what="first sent")
    e.insert([{"email": a, "task": "send",
               "payload": {"to": b, "subject": "pgcap %d" % i, "text": "x"}} for i in range(1, 4)])
    harness.wait_for(lambda: e.counts().get("done", 0) == 2 and e.counts().get("running", 0) == 0
                     and e.counts().get("new", 0) == 2, timeout=60, what="cap reached")
    time.sleep(1)
    assert e.counts() == {"done": 2, "new": 2}, e.counts()
    assert len([s for s in sent_subjects(ms) if s and s.startswith("pgcap ")]) == 2
    assert all(j["error"] == "daily cap reached" for j in e.jobs("j.status = 'new'"))
    assert "redis" in e.daemons[0].log_text()
    e.stop_all()


def test_stop_gives_leases_back_and_fence_holds(pg, redis, ms, tmp_path):
    e = JobsEnv(pg, redis, ms, tmp_path,
                conf={"session": {"pace_min": "1500ms", "pace_max": "1500ms"},
                      "warmd": {"grace_period": "0"}})
    a = e.accounts[0]["email"]
    e.insert([{"email": a, "task": "list_inbox"} for _ in range(5)])
    d = e.warmd()
    harness.wait_for(lambda: e.counts().get("done", 0) >= 1, timeout=30, what="one done")
    # another owner takes the last job: our outcome must not overwrite it
    last = e.sql("SELECT max(id) FROM jobs")
    e.sql("UPDATE jobs SET lease_owner = 'thief:1:1' WHERE id = %s" % last)
    d.signal(signal.SIGTERM)
    d.wait(timeout=20)
    assert d.proc.returncode == 0
    jobs = e.jobs()
    mine = [j for j in jobs if str(j["id"]) != last]
    assert all(j["status"] in ("done", "new") and j["lease_owner"] is None for j in mine), mine
    # the unfinished ones went back as they were: attempt not counted
    assert all(j["attempts"] == 0 for j in mine if j["status"] == "new"), mine
    stolen = [j for j in jobs if str(j["id"]) == last][0]
    assert stolen["status"] == "running" and stolen["lease_owner"] == "thief:1:1", stolen
    assert e.sql("SELECT count(*) FROM account_leases WHERE owner IS NOT NULL") == "0"
    # the thief's lease lapses: the reaper requeues it and the next run finishes all
    e.sql("UPDATE jobs SET lease_until = now() - interval '1 second' WHERE id = %s" % last)
    e.set_conf({"session": {"pace_min": "0", "pace_max": "0"}})
    e.warmd()
    e.wait_final(5, timeout=60)
    assert e.counts() == {"done": 5}
    stolen = e.jobs("j.id = %s" % last)[0]
    assert "thief" not in (stolen["lease_owner"] or "") and stolen["attempts"] == 2, stolen
    e.stop_all()


def test_deadline_and_idempotency_key(pg, redis, ms, tmp_path):
    e = JobsEnv(pg, redis, ms, tmp_path)
    a = e.accounts[0]["email"]
    e.insert([{"email": a, "task": "list_inbox", "deadline_s": -1},
              {"email": a, "task": "send", "key": "promo-1",
               "payload": {"to": e.accounts[1]["email"], "subject": "once", "text": "x"}}])
    # a second live job with the same key is refused by the partial unique index
    with pytest.raises(Exception):
        e.insert([{"email": a, "task": "send", "key": "promo-1",
                   "payload": {"to": e.accounts[1]["email"], "subject": "twice", "text": "x"}}])
    e.warmd()
    e.wait_final(2, timeout=60)
    jobs = e.jobs()
    assert jobs[0]["status"] == "failed" and jobs[0]["error"] == "deadline passed before it could run", jobs
    assert jobs[1]["status"] == "done" and jobs[1]["effect"], jobs
    # the send id derives from the key: the same on every attempt
    assert len(jobs[1]["result"]["send_id"]) == 32 and jobs[1]["result"]["token"].startswith("wm")
    assert sent_subjects(ms).count("once") == 1
    # once done, the key is free again
    e.insert([{"email": a, "task": "list_inbox", "key": "promo-1"}])
    e.stop_all()


def test_reload_mid_run_drops_no_work(pg, redis, ms, tmp_path):
    """SIGHUP while sessions run: they finish on the old settings, new ones
    start on the new, nothing is lost or repeated."""
    e = JobsEnv(pg, redis, ms, tmp_path,
                conf={"session": {"pace_min": "400ms", "pace_max": "400ms"}})
    emails = [a["email"] for a in e.accounts]
    e.insert([{"email": a, "task": "list_inbox"} for a in emails for _ in range(4)])
    d = e.warmd()
    harness.wait_for(lambda: e.counts().get("done", 0) >= 2, timeout=30, what="work under way")
    e.set_conf({"session": {"pace_min": "0", "pace_max": "0"}})
    d.signal(signal.SIGHUP)
    d.wait_log("reload complete", timeout=10)
    e.insert([{"email": a, "task": "list_spam"} for a in emails])
    e.wait_final(5 * len(emails), timeout=60)
    assert e.counts() == {"done": 5 * len(emails)}, e.counts()
    assert e.sql("SELECT max(attempts) FROM jobs") == "1"
    d.stop()
    assert d.proc.returncode == 0


def test_dead_proxy_retried_then_marks_account(pg, redis, ms, tmp_path):
    """A proxy that refuses connections is a transient error, retried with
    backoff; once it has been dead longer than proxy_dead_after the account
    is marked with the reason and its job waits for the operator."""
    dead = "http://127.0.0.1:%d" % harness.free_port()
    acct = ms.accounts()[0]
    e = JobsEnv(pg, redis, ms, tmp_path, accounts=[acct], proxies={acct["email"]: dead},
                conf={"session": {"proxy_dead_after": "2s"}})
    e.insert([{"email": acct["email"], "task": "list_inbox", "max_attempts": 50}])
    e.warmd()
    harness.wait_for(lambda: (e.account_row(acct["email"]) or {}).get("status") == "error",
                     timeout=60, what="account marked")
    row = e.account_row(acct["email"])
    assert "proxy" in row["status_reason"] and "dead" in row["status_reason"], row
    assert "@" not in row["status_reason"]
    job = e.jobs()[0]
    # attempts that failed transiently stay counted; the last one, which
    # marked the account, was given back: so >= 1 means it was retried first
    assert job["status"] == "new" and job["attempts"] >= 1, job
    assert job["error"] and "proxy" in job["error"], job
    e.stop_all()
