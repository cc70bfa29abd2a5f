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


def test_jobs_run_in_one_session_per_account(pg, redis, ms, tmp_path):
    e = JobsEnv(pg, redis, ms, tmp_path)
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
    e.stop_all()
    assert all(d.proc.returncode == 0 for d in e.daemons)
    # leases were given back on the way out
    assert e.sql("SELECT count(*) FROM account_leases WHERE owner IS NOT NULL") == "0"
