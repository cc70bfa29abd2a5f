"""Mobile aj login and API (§7.1, §10.1-§10.3, §10.6) and o2 tokens."""
import json
import urllib.parse

from conftest import Client, Mobile


def test_mobile_login_success_shape(ms):
    m = Mobile(ms)
    j = m.login("mob@mail.ru", "mobpass1")
    assert j["status"] == "ok" and set(j) == {"status", "oauth"}
    o = j["oauth"]
    assert len(o["access_token"]) == 32 and len(o["refresh_token"]) == 32
    assert isinstance(o["expires_in"], int) and o["expires_in"] > 0


def test_mobile_flags_in_query(ms):
    c = Client(ms)
    q = urllib.parse.urlencode({"mp": "android", "udid": "x", "oauth2": 1, "mob_json": 1,
                                "simple": 1})
    r = c.request("POST", ms.url("alt-aj-https.mail.ru", "/cgi-bin/auth?" + q),
                  {"Login": "mob@mail.ru", "Password": "mobpass1"})
    assert r.json()["status"] == "ok"


def test_token_in_query_and_body(ms):
    m = Mobile(ms)
    m.login("mob@mail.ru", "mobpass1")
    a = m.api("folders", in_body=False)
    assert a["status"] == 200 and a["email"] == "mob@mail.ru"
    ids = [f["id"] for f in a["body"]]
    assert ids == ["0", "950", "500000", "500001", "500002"]
    b = m.api("messages/marks", {"marks": []}, post=True, in_body=True)
    assert b["status"] == 200
    b = m.api("messages/marks", {"marks": []}, post=True, in_body=False)
    assert b["status"] == 200


def test_invalid_and_expired_token_then_refresh(ms):
    m = Mobile(ms)
    m.login("mob@mail.ru", "mobpass1")
    good = m.access
    m.access = "0" * 32
    assert m.api("folders") == {"status": 403, "email": "", "htmlencoded": True, "body": "token"}
    m.access = good
    ms.control("/control/expire", {"email": "mob@mail.ru"})
    assert m.api("folders")["body"] == "token"
    r = m.do_refresh()
    assert r.status == 200
    j = r.json()
    assert j["access_token"] != good and j["expires_in"] > 0
    m.access = j["access_token"]
    assert m.api("folders")["status"] == 200
    # the refresh token is kept and still works
    assert m.do_refresh().status == 200


def test_refresh_errors(ms):
    m = Mobile(ms)
    m.refresh = "f" * 32
    r = m.do_refresh()
    assert r.status == 400 and r.json()["error_code"] == 6 and "error_description" in r.json()


def test_o2_password_grant(ms):
    c = Client(ms)
    r = c.post("o2.mail.ru", "/token", {"client_id": "cloud-android", "grant_type": "password",
                                        "username": "mob@mail.ru", "password": "mobpass1"})
    assert r.status == 200 and r.json()["access_token"]
    r = c.post("o2.mail.ru", "/token", {"client_id": "cloud-android", "grant_type": "password",
                                        "username": "mob@mail.ru", "password": "bad"})
    assert r.status == 400 and r.json()["error_description"] == "invalid username or password"
    r = c.post("o2.mail.ru", "/token", {"grant_type": "password", "username": "banned@mail.ru",
                                        "password": "pw123456"})
    assert r.json()["error_description"] == "user is blocked"


def test_mobile_outcomes(ms):
    def out(email, pw="pw123456"):
        return Mobile(ms).login(email, pw)
    assert out("mob@mail.ru", "wrong")["status"] == "fail"
    assert "captcha" in json.dumps(out("captcha@mail.ru"))
    j = out("recaptcha@mail.ru")
    assert j["status"] == "recaptcha" and "recaptcha" in json.dumps(j).lower()
    j = out("twofa@mail.ru")
    assert j["status"] == "secstep" and "secstep" in j["url"]
    j = out("locked@mail.ru")
    assert j["status"] == "recovery" and "recovery" in j["url"]
    j = out("banned@mail.ru")
    assert j["status"] == "blocked" and j["errno"] == 25
    j = out("ratelimit@mail.ru")
    assert j["status"] == 449


def test_mobile_secret_question(ms):
    m = Mobile(ms)
    j = m.login("question@mail.ru", "pw123456")
    assert j["status"] == "question" and j["question"] == "Кличка собаки?"
    bad = m.login("question@mail.ru", "pw123456", challenge=j["challenge"], answer="нет")
    assert bad["status"] == "fail"
    j = m.login("question@mail.ru", "pw123456")
    ok = m.login("question@mail.ru", "pw123456", challenge=j["challenge"], answer="шарик")
    assert ok["status"] == "ok" and m.api("folders")["status"] == 200


def test_aj_web_style_login_locations(ms):
    """§10.4: aj cgi-bin/auth with only Login and Password answers with Location."""
    def loc(email, pw="pw123456"):
        c = Client(ms)
        r = c.post("aj-https.mail.ru", "/cgi-bin/auth", {"Login": email, "Password": pw})
        return r
    r = loc("mob@mail.ru", "mobpass1")
    assert r.status == 302 and "inbox" in r.location
    assert "fail" in loc("mob@mail.ru", "x").location
    assert "user/login?login" in loc("captcha@mail.ru").location
    assert "recaptcha" in loc("recaptcha@mail.ru").location
    assert "recovery" in loc("locked@mail.ru").location


def test_web_token_not_accepted_on_aj(ms):
    c = Client(ms)
    c.web_login("carol@mail.ru", "carolpw1")
    r = c.get("aj-https.mail.ru", "/api/v1/folders")
    assert r.json()["body"] == "token"
