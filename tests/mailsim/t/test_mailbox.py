"""Mailbox API (§3, §4): listings, ids, marks, moves, spam reports, search,
send and reply, password change, redirector clicks, envelopes."""
import re
import time
import urllib.parse

import pytest

from conftest import Client, Mobile


def fresh(ms, email, body="hello", subject="Hello", sender="friend@example.org", folder=0,
          **kw):
    d = {"to": email, "from": sender, "from_name": "Friend", "subject": subject, "text": body,
         "html": "<p>%s</p>" % body, "folder": folder}
    d.update(kw)
    return ms.control("/control/inject", d)["id"]


@pytest.fixture(scope="module")
def web(ms):
    c = Client(ms)
    c.web_login("alice@mail.ru", "alicepw1")
    return c


def test_envelope_and_folders(ms, web):
    j = web.api("folders")
    assert set(j) >= {"status", "htmlencoded", "email", "body"}
    assert j["status"] == 200 and j["email"] == "alice@mail.ru" and j["htmlencoded"] is False
    f = {x["id"]: x for x in j["body"]}
    assert f["0"]["type"] == "inbox" and f["950"]["type"] == "spam"
    assert f["500000"]["type"] == "sent" and f["500001"]["type"] == "drafts"
    assert f["500002"]["type"] == "trash" and f["0"]["parent"] == "-1"
    assert f["0"]["name"] == "Входящие"


def test_htmlencoded_default_escapes(ms, web):
    fresh(ms, "alice@mail.ru", subject="<b>x</b>")
    j = web.get("e.mail.ru", "/api/v1/messages/status?folder=0&token=" +
                urllib.parse.quote(web.token)).json()
    assert j["htmlencoded"] is True
    assert any("&lt;b&gt;" in m["subject"] for m in j["body"]["messages"])


def test_ids_and_threads(ms, web):
    mid = fresh(ms, "alice@mail.ru", subject="ids")
    assert re.match(r"^\d{20}$", mid) and abs(int(mid[:10]) - time.time()) < 100
    j = web.api("threads/status/smart", {"folder": "0", "offset": 0, "limit": 50,
                                          "last_modified": 1, "filters": "{}",
                                          "sort": '{"type":"date","order":"desc"}'})
    ths = j["body"]["threads"]
    t = [x for x in ths if x["last"] == mid][0]
    assert t["id"] == "0:%s:0" % mid and t["folder"] == "0" and t["length"] == 1
    dates = [x["date"] for x in ths]
    assert dates == sorted(dates, reverse=True)
    assert isinstance(j["last_modified"], int)
    assert j["body"]["messages_total"] >= len(ths)
    assert {"unread", "flagged", "reply", "forward", "attach"} <= set(t["flags"])
    assert t["correspondents"]["from"][0]["email"] == "friend@example.org"


def test_paging_and_not_modified(ms):
    c = Client(ms)
    c.web_login("carol@mail.ru", "carolpw1")
    for i in range(7):
        fresh(ms, "carol@mail.ru", subject="page %d" % i, date=1700000000 + i)
    a = c.api("threads/status/smart", {"folder": 0, "offset": 0, "limit": 4})
    b = c.api("threads/status/smart", {"folder": 0, "offset": 4, "limit": 4})
    ids = [t["id"] for t in a["body"]["threads"]] + [t["id"] for t in b["body"]["threads"]]
    assert len(a["body"]["threads"]) == 4 and len(ids) == len(set(ids))
    lm = a["last_modified"]
    nm = c.api("threads/status/smart", {"folder": 0, "last_modified": lm})
    assert nm["status"] == 304 and nm["last_modified"] == lm
    fresh(ms, "carol@mail.ru", subject="newer")
    assert c.api("threads/status/smart", {"folder": 0, "last_modified": lm})["status"] == 200
    ms_ = c.api("messages/status", {"folder": 0, "limit": 3, "offset": 0,
                                    "sort": '{"type":"id","order":"desc"}'})
    assert len(ms_["body"]["messages"]) == 3


def test_real_thread_ids(ms, web):
    root = "<root-%d@example.org>" % time.time_ns()
    fresh(ms, "alice@mail.ru", subject="conv", message_id=root, date=1700000100)
    m2 = fresh(ms, "alice@mail.ru", subject="Re: conv", in_reply_to=root, references=root,
               date=1700000200)
    ths = web.api("threads/status/smart", {"folder": 0, "limit": 200})["body"]["threads"]
    t = [x for x in ths if x["last"] == m2][0]
    assert re.match(r"^1:[0-9a-f]{16}:0$", t["id"]) and t["length"] == 2
    th = web.api("threads/thread", {"id": t["id"], "quotes_version": 1, "offset": 0})
    assert [m["id"] for m in th["body"]["messages"]][0] == m2
    assert len(th["body"]["messages"]) == 2
    mt = web.api("m/threads/status/smart",
                 {"folders": [{"folder": 0, "offset": 0, "limit": 200}], "last_modified": 1})
    fc = mt["body"]["folders_content"][0]
    assert fc["id"] == "0"
    mt_t = [x for x in fc["threads"] if x["id"] == t["id"]][0]
    assert mt_t["messages_count"] == 2 and mt_t["message_id_last"] == m2
    assert mt_t["base_message"]["id"] == m2


def test_message_read_links_and_mark_read(ms, web):
    mid = fresh(ms, "alice@mail.ru", subject="links",
                html='<a href="https://example.org/a?b=1">x</a> <a href=\'http://e.org/\'>y</a>')
    j = web.api("messages/message", {"id": mid, "folder_id": 0, "read": 0, "mark_read": "false",
                                     "quotes_version": 1})
    b = j["body"]
    assert b["flags"]["unread"] is True and b["body"]["text"] == "hello"
    assert "https://checklink.mail.ru/proxy?url=https%3A%2F%2Fexample.org%2Fa%3Fb%3D1" in b["body"]["html"]
    assert "uidl=" + mid in b["body"]["html"]
    st = web.api("messages/message", {"id": mid})
    assert ms.get("/mailbox?email=alice@mail.ru&folder=0")["messages"]
    again = web.api("messages/message", {"id": mid, "read": 0})
    assert again["body"]["flags"]["unread"] is False   # the read without read=0 marked it
    assert st["status"] == 200


def test_redirector_click(ms, web):
    mid = fresh(ms, "alice@mail.ru", html='<a href="https://target.example/x">t</a>')
    html = web.api("messages/message", {"id": mid, "read": 0})["body"]["body"]["html"]
    url = re.search(r'href="([^"]+)"', html).group(1).replace("&amp;", "&")
    parts = urllib.parse.urlsplit(url)
    r = web.get(parts.hostname, parts.path + "?" + parts.query)
    assert r.status == 302 and r.location == "https://target.example/x"
    clicks = ms.get("/clicks?account=alice@mail.ru")
    assert clicks[-1]["message"] == mid and clicks[-1]["url"] == "https://target.example/x"
    r = web.get("click.mail.ru", "/redir?u=" + urllib.parse.quote("https://t2.example/") +
                "&c=swm&r=http&o=mail&v=3&s=x")
    assert r.status == 302 and r.location == "https://t2.example/"


def test_marks(ms, web):
    mid = fresh(ms, "alice@mail.ru", subject="marks")
    r = web.api("messages/marks", {"marks": [{"name": "unread", "unset": [mid], "folder": 0}]},
                post=True)
    assert r["status"] == 200 and r["body"]["count"] == 1
    r = web.api("messages/marks", {"marks": [{"name": "flagged", "set": [mid], "folder": "0"}]},
                post=True)
    m = web.api("messages/message", {"id": mid, "read": 0})["body"]["flags"]
    assert m["unread"] is False and m["flagged"] is True
    tid = "0:%s:0" % mid
    web.api("threads/marks", {"marks": [{"name": "unread", "set": [tid], "folder": 0}],
                              "message_id_last": {tid: mid}}, post=True)
    assert web.api("messages/message", {"id": mid, "read": 0})["body"]["flags"]["unread"] is True


def test_moves_are_not_reports(ms):
    c = Client(ms)
    c.web_login("dave@mail.ru", "davepw12")
    before = ms.get("/account?email=dave@mail.ru")
    mid = fresh(ms, "dave@mail.ru", subject="move me")
    tid = "0:%s:0" % mid
    r = c.api("threads/move", {"ids": [tid], "msg_ids": [{"id": tid, "folder": "0"}],
                               "folder": "950", "message_id_last": {tid: mid}}, post=True)
    assert r["status"] == 200 and r["body"]["count"] == 1
    after = ms.get("/account?email=dave@mail.ru")
    assert after["moves"] == before["moves"] + 1
    assert after["spam_reports"] == before["spam_reports"]
    r = c.api("messages/move", {"ids": [mid], "folder": 500002}, post=True)
    assert r["body"]["count"] == 1
    m = [x for x in ms.get("/mailbox?email=dave@mail.ru&folder=500002")["messages"]
         if x["id"] == mid]
    assert m and m[0]["thread_id"] == "0:%s:500002" % mid
    assert c.api("messages/move", {"ids": [mid], "folder": "abc"}, post=True)["status"] == 400
    assert ms.get("/moves?account=dave@mail.ru")[-1]["to_folder"] == 500002
    # permanent removal only from Trash
    mid2 = fresh(ms, "dave@mail.ru")
    r = c.api("messages/remove", {"ids": [mid2]}, post=True)
    assert r["status"] == 400 and r["body"]["error"] == "denied"
    assert c.api("messages/remove", {"ids": [mid]}, post=True)["status"] == 200
    assert c.api("folders/clear", {"ids": ["500002"]}, post=True)["status"] == 200


def test_spam_unspam_reports_web_and_aj(ms):
    c = Client(ms)
    c.web_login("frank@mail.ru", "frankpw1")
    mid = fresh(ms, "frank@mail.ru", sender="promo@shop.example", folder=950)
    r = c.api("messages/services/unspam", {"ids": [mid]}, post=True)
    assert r["status"] == 200
    acc = ms.get("/account?email=frank@mail.ru")
    assert acc["unspam_reports"] == 1 and acc["moves"] == 0
    assert [x for x in ms.get("/mailbox?email=frank@mail.ru&folder=0")["messages"]
            if x["id"] == mid]
    rep = ms.get("/reports?account=frank@mail.ru")[-1]
    assert rep["kind"] == "unspam" and rep["sender"] == "promo@shop.example"
    m = Mobile(ms)
    assert m.login("frank@mail.ru", "frankpw1")["status"] == "ok"
    tid = "0:%s:0" % mid
    r = m.api("m/threads/services/spam",
              {"ids": [{"id": tid, "folder": "0", "message_id_last": mid}], "verified": 1},
              post=True)
    assert r["status"] == 200 and r["body"]["count"] == 1
    acc = ms.get("/account?email=frank@mail.ru")
    assert acc["spam_reports"] == 1 and acc["folders"]["950"]["total"] >= 1
    r = m.api("m/threads/services/unspam", {"ids": [{"id": "0:%s:950" % mid}]}, post=True)
    assert ms.get("/account?email=frank@mail.ru")["unspam_reports"] == 2


def test_search_cyrillic(ms, web):
    fresh(ms, "alice@mail.ru", subject="Отчёт ПО ПРОДАЖАМ", body="квартальный")
    fresh(ms, "alice@mail.ru", subject="Spam thing", body="привет", folder=950)
    j = web.api("k8s/messages/search", {"query": "по продажам", "in_excluded_folders": "false",
                                         "offset": 0, "limit": 10, "with_threads": "true"})
    assert [m["subject"] for m in j["body"]["messages"]] == ["Отчёт ПО ПРОДАЖАМ"]
    assert web.api("k8s/messages/search", {"query": "КВАРТАЛЬНЫЙ"})["body"]["total"] == 1
    assert web.api("k8s/messages/search", {"query": "spam thing"})["body"]["total"] == 0
    assert web.api("k8s/messages/search", {"query": "spam thing",
                                            "in_excluded_folders": "true"})["body"]["total"] == 1


def test_send_internal_external_and_no_dedup(ms, web):
    sent_before = ms.get("/account?email=alice@mail.ru")["folders"]["500000"]["total"]
    args = {"id": "A" * 32, "source": {"draft": "", "reply": "", "forward": "", "schedule": ""},
            "subject": "Привет", "body": {"html": "<p>тест</p>", "text": "тест"},
            "from": "Alice <alice@mail.ru>",
            "correspondents": {"to": "Bob <bob@bk.ru>, ext@gmail.example", "cc": "", "bcc": ""},
            "priority": 3, "send_date": "", "folder_id": "", "attaches": {"list": []}}
    r1 = web.api("k8s/messages/send", args, post=True)
    r2 = web.api("k8s/messages/send", args, post=True)   # same client id: two letters
    assert r1["status"] == 200 and r2["status"] == 200
    assert r1["body"]["message_id"] != r2["body"]["message_id"]
    acc = ms.get("/account?email=alice@mail.ru")
    assert acc["folders"]["500000"]["total"] == sent_before + 2
    sent = ms.get("/sent?account=alice@mail.ru")[-1]
    assert sent["headers"]["Subject"] == "Привет" and sent["client_id"] == "A" * 32
    res = {x["to"]: x["result"] for x in sent["recipients"]}
    assert res["ext@gmail.example"] == "outbound" and res["bob@bk.ru"] in ("inbox", "spam")
    out = [x for x in ms.get("/outbound") if x["to"] == "ext@gmail.example"]
    assert len(out) == 2
    bob = ms.get("/mailbox?email=bob@bk.ru")["messages"]
    assert len([m for m in bob if m["subject"] == "Привет"]) == 2


def test_send_requires_recipient(ms, web):
    r = web.api("messages/send", {"subject": "x", "body": "y"}, post=True)
    assert r["status"] == 400


def test_reply_builds_headers(ms):
    m = Mobile(ms)
    m.login("carol@mail.ru", "carolpw1")
    root = "<orig-%d@example.org>" % time.time_ns()
    mid = fresh(ms, "carol@mail.ru", subject="Вопрос", sender="asker@mail.ru", message_id=root)
    r = m.api("messages/send", {"source": {"reply": mid}, "send_date": 0,
                                "correspondents": {"to": "asker@mail.ru"},
                                "subject": "Re: Вопрос", "body": {"text": "Ответ"}}, post=True)
    assert r["status"] == 200
    sent = ms.get("/sent?account=carol@mail.ru")[-1]["headers"]
    assert sent["In-Reply-To"] == root and sent["References"] == root
    assert sent["Subject"] == "Re: Вопрос"
    orig = m.api("messages/message", {"id": mid, "read": 0})["body"]
    assert orig["flags"]["reply"] is True
    # the reply joins the original's conversation in Sent
    s = [x for x in ms.get("/mailbox?email=carol@mail.ru&folder=500000")["messages"]
         if x["id"] == r["body"]["message_id"]][0]
    assert s["in_reply_to"] == root
    # empty subject gets "Re: " from the server
    r = m.api("messages/send", {"source": {"reply": mid}, "correspondents": {"to": "x@ext.example"},
                                "body": {"text": "2"}}, post=True)
    assert ms.get("/sent?account=carol@mail.ru")[-1]["headers"]["Subject"] == "Re: Вопрос"
    bad = m.api("messages/send", {"source": {"reply": "1" * 20},
                                  "correspondents": {"to": "x@ext.example"}}, post=True)
    assert bad["status"] == 400


def test_draft(ms, web):
    r = web.api("messages/send", {"sending": "false", "subject": "draft", "body": "d",
                                  "correspondents": {"to": ""}}, post=True)
    assert r["status"] == 200
    assert ms.get("/account?email=alice@mail.ru")["folders"]["500001"]["total"] >= 1


def test_password_change_kills_other_sessions(ms):
    a, b = Client(ms), Client(ms)
    a.web_login("pwchange@mail.ru", "oldpass1")
    b.web_login("pwchange@mail.ru", "oldpass1")
    m = Mobile(ms)
    m.login("pwchange@mail.ru", "oldpass1")
    r = a.api("user/password", {"old": "bad", "new": "newpass1"}, post=True)
    assert r["status"] == 400
    r = a.api("user/password", {"old": "oldpass1", "new": "newpass1"}, post=True)
    assert r["status"] == 200
    assert a.api("folders")["status"] == 200
    assert b.api("folders")["body"] == "user"
    assert m.api("folders")["body"] == "token"
    assert m.do_refresh().status == 400
    assert Mobile(ms).login("pwchange@mail.ru", "oldpass1")["status"] == "fail"
    m2 = Mobile(ms)
    assert m2.login("pwchange@mail.ru", "newpass1")["status"] == "ok"
    r = m2.api("user/password", {"old": "newpass1", "new": "third123"}, post=True)
    assert r["status"] == 200 and m2.api("folders")["status"] == 200
    assert a.api("folders")["body"] == "user"


def test_unknown_endpoint_and_get_on_post(ms, web):
    assert web.api("no/such/thing")["status"] == 404
    assert web.api("messages/move", {"ids": []})["status"] == 400


def test_reference_section4_sequence(ms):
    """§4 step by step: mark read, flag, move, unspam, send, reply."""
    c = Client(ms)
    c.web_login("erin@mail.ru", "erinpw12")
    ham = fresh(ms, "erin@mail.ru", subject="Рассылка", sender="news@ham.example", folder=950)
    ths = c.api("threads/status/smart", {"folder": 950, "limit": 50})["body"]["threads"]
    t = [x for x in ths if x["last"] == ham][0]
    msg = c.api("messages/message", {"id": ham, "folder_id": 950, "read": 0,
                                     "mark_read": "false"})["body"]
    assert msg["flags"]["unread"] is True
    c.api("messages/marks", {"marks": [{"name": "unread", "unset": [ham], "folder": 950}]},
          post=True)
    c.api("threads/marks", {"marks": [{"name": "flagged", "set": [t["id"]], "folder": 950}],
                            "message_id_last": {t["id"]: ham}}, post=True)
    r = c.api("messages/services/unspam", {"ids": [ham]}, post=True)
    assert r["status"] == 200
    inbox = c.api("threads/status/smart", {"folder": 0, "limit": 50})["body"]["threads"]
    t0 = [x for x in inbox if x["last"] == ham][0]
    assert t0["id"] == "0:%s:0" % ham and t0["flags"]["flagged"] and not t0["flags"]["unread"]
    c.api("threads/move", {"ids": [t0["id"]], "folder": "500002",
                           "msg_ids": [{"id": t0["id"], "folder": "0"}]}, post=True)
    c.api("threads/move", {"ids": ["0:%s:500002" % ham], "folder": "0"}, post=True)
    r = c.api("k8s/messages/send", {"id": "x" * 32, "subject": "Новое",
                                    "body": {"text": "текст", "html": "<p>текст</p>"},
                                    "from": "erin@mail.ru",
                                    "correspondents": {"to": "frank@mail.ru"},
                                    "source": {"draft": "", "reply": "", "forward": "",
                                               "schedule": ""}}, post=True)
    assert r["status"] == 200
    r = c.api("k8s/messages/send", {"id": "x" * 32, "subject": "Re: Рассылка",
                                    "body": {"text": "спасибо"},
                                    "correspondents": {"to": "news@ham.example"},
                                    "source": {"reply": ham}}, post=True)
    assert r["status"] == 200
    acc = ms.get("/account?email=erin@mail.ru")
    assert acc["unspam_reports"] == 1 and acc["moves"] == 2
    assert ms.get("/outbound")[-1]["in_reply_to"].startswith("<")
