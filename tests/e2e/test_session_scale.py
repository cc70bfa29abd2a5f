"""2,000 account sessions at once in one process against mailsim: each logs
in, lists Spam and rescues what it finds.  mailsim holds every list reply
for a second, so all sessions are in flight together; the checks are that
every one of them finished and that mailsim counted exactly one login and
one not-spam report per mailbox."""

import pytest

from sesslib import SessEnv

N = 2000


def test_2000_sessions(pg, redis, mailsim_factory, tmp_path):
    ms = mailsim_factory(generate=N, seed=2,
                         faults="aj-https.mail.ru /api/v1/m/threads latency_ms=1000")
    e = SessEnv(pg, redis, ms, tmp_path, auth="mobile", ipecho=False,
                # 2,000 TLS handshakes at once take seconds of CPU,
                # longer under the sanitizers: no connect deadline
                # should turn that into failures.
                timeouts=("2m", "5m"))
    run = e.drive([{"kind": "list_spam"}, {"kind": "not_spam", "select": "listed"}],
                  n=N, timeout=540)
    assert run.summary["sessions"] == N
    assert run.summary["ok"] == N, [s for s in run.sessions.values() if not s["ok"]][:5]
    assert run.summary["actions_ok"] == 2 * N
    # the list replies were held together: most sessions were in flight at once
    assert run.summary["peak_in_flight"] >= N * 9 // 10, run.summary
    c = ms.get("/counters")
    counters = c.get("counters", c)
    logins = sum(v for k, v in counters.items() if "login" in k and "ok" in k)
    assert logins == N, counters
    assert sum(a["unspam_reports"] for a in
               (ms.get("/account", email=x["email"]) for x in e.accounts[:50])) == 50
