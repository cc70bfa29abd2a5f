"""Web login (§1.1-§1.5, §2): act cookie, credential POST outcomes, Mpop,
the sdc dance, CSRF token rotation and the 403 envelopes."""
import email.utils
import os
import re
import subprocess
import time
import urllib.parse

from conftest import Client


def test_prelogin_sets_act_and_redirects(ms, client):
    r = client.get("e.mail.ru", "/inbox/")
    assert r.status == 302
    loc = urllib.parse.urlsplit(r.location)
    assert loc.hostname == "account.mail.ru" and loc.path == "/login"
    q = urllib.parse.parse_qs(loc.query)
    assert q["allow_external"] == ["1"] and "/inbox/" in q["page"][0]
    sc = [c for c in r.cookies() if c.startswith("act=")][0]
    assert re.match(r"act=[0-9a-f]{32};", sc)
    assert "Domain=.mail.ru" in sc and "Path=/" in sc and "Secure" in sc
    assert "HttpOnly" in sc and "SameSite=None" in sc
    assert client.cookie("act").domain == ".mail.ru"


def test_full_web_login_cookies(ms, client):
    client.get("e.mail.ru", "/inbox/")
    act = client.cookie("act").value
    page = ms.url("e.mail.ru", "/inbox/")
    r = client.post("auth.mail.ru", "/cgi-bin/auth", {
        "Login": "alice@mail.ru", "Password": "alicepw1", "act_token": act,
        "page": page, "saveauth": "1"})
    assert r.status == 302
    assert r.location.startswith(page) and "authid=" in r.location and "from=login" in r.location
    mpop = [c for c in r.cookies() if c.startswith("Mpop=")][0]
    assert re.match(r"Mpop=\d{10}:[0-9a-f]+:alice@mail\.ru:;", mpop)
    assert "Domain=.mail.ru" in mpop and "Path=/" in mpop
    exp = re.search(r"Expires=([^;]+)", mpop).group(1)
    days = (email.utils.parsedate_to_datetime(exp).timestamp() - time.time()) / 86400
    assert 89 < days < 91
    ssdc = [c for c in r.cookies() if c.startswith("ssdc=")][0]
    assert "Domain=.auth.mail.ru" in ssdc
    c = client.cookie("Mpop")
    assert c.domain == ".mail.ru" and c.path == "/" and c.expires is not None
    # landing: e.mail.ru has no sdcs yet -> sdc dance
    r2 = client.request("GET", r.location)
    assert r2.status == 302 and r2.headers["X-Mru-Sota-Response"] == "1"
    assert r2.location.startswith(ms.url("auth.mail.ru", "/sdc?from="))
    r3 = client.request("GET", r2.location)
    assert r3.status == 302 and re.search(r"/sdc\?token=[0-9a-f]{32}$", r3.location)
    assert b"Redirect..." in r3.body
    r4 = client.request("GET", r3.location)
    assert r4.status == 302 and r4.location == r.location
    sdcs = [c for c in r4.cookies() if c.startswith("sdcs=")][0]
    assert re.match(r"sdcs=[A-Za-z0-9]{16};", sdcs) and "Domain=.e.mail.ru" in sdcs
    assert client.cookie("sdcs").domain == ".e.mail.ru"
    r5 = client.request("GET", r4.location)
    assert r5.status == 200 and b"<script>" in r5.body


def test_replay_reference_1_3_with_curl(ms, tmp_path):
    """§1.3 step by step with curl and a cookie jar, like the 2021 recording."""
    jar = str(tmp_path / "jar")
    base = ["curl", "-s", "-c", jar, "-b", jar, "-D", "-", "-o", os.devnull] + ms.resolve_args()

    def curl(*a):
        out = subprocess.run(base + list(a), check=True, capture_output=True, text=True).stdout
        code = int(out.split()[1])
        loc = re.search(r"^Location: (\S+)", out, re.M | re.I)
        return code, loc.group(1) if loc else None, out

    inbox = ms.url("e.mail.ru", "/messages/inbox")
    code, loc, _ = curl(inbox)
    assert code == 302 and "account.mail.ru" in loc
    act = [l.split("\t")[6] for l in open(jar) if "\tact\t" in l][0].strip()
    code, loc, hdr = curl(ms.url("auth.mail.ru", "/cgi-bin/auth?from=navi"),
                          "-H", "Origin: https://account.mail.ru",
                          "--data-urlencode", "username=bob@bk.ru",
                          "--data-urlencode", "Login=bob@bk.ru",
                          "--data-urlencode", "password=bobpw123",
                          "--data-urlencode", "Password=bobpw123",
                          "--data-urlencode", "saveauth=1",
                          "--data-urlencode", "new_auth_form=1",
                          "--data-urlencode", "act_token=" + act,
                          "--data-urlencode", "page=" + inbox)
    assert code == 302 and loc.startswith(inbox) and "Mpop=" in hdr
    code, loc, hdr = curl(loc)                      # step 2
    assert code == 302 and "auth.mail.ru" in loc and "/sdc?from=" in loc
    assert "X-Mru-Sota-Response: 1" in hdr
    code, loc, _ = curl(loc)                        # step 3
    assert code == 302 and "e.mail.ru" in loc and "/sdc?token=" in loc
    code, loc, hdr = curl(loc)                      # step 4
    assert code == 302 and "sdcs=" in hdr and "Domain=.e.mail.ru" in hdr
    code, loc, _ = curl(loc)                        # step 5
    assert code == 200
    # token: GET /api/v1/tokens with Mpop+sdcs only
    out = subprocess.run(["curl", "-s", "-b", jar] + ms.resolve_args() +
                         [ms.url("e.mail.ru", "/api/v1/tokens?email=bob@bk.ru&x-email=bob@bk.ru")],
                         check=True, capture_output=True, text=True).stdout
    assert '"status":200' in out and '"token"' in out


def outcome_location(ms, email):
    c = Client(ms)
    r = c.web_login(email, "pw123456", expect_success=False)
    return c, r


def test_wrong_password_fail(ms):
    c = Client(ms)
    r = c.web_login("alice@mail.ru", "nope", expect_success=False)
    assert r.status == 302 and "fail=" in r.location and "account.mail.ru" in r.location and "/login?" in r.location
    assert not [x for x in r.cookies() if x.startswith("Mpop=")]
    r = c.web_login("nobody@mail.ru", "x", expect_success=False)
    assert "fail=" in r.location


def test_act_token_must_match(ms, client):
    client.get("e.mail.ru", "/inbox/")
    r = client.post("auth.mail.ru", "/cgi-bin/auth", {
        "Login": "alice@mail.ru", "Password": "alicepw1", "act_token": "0" * 32})
    assert r.status == 302 and "fail=" in r.location
    logins = ms.get("/logins?account=alice@mail.ru")
    assert any(l["outcome"] == "act_mismatch" for l in logins)


def test_image_captcha(ms):
    c, r = outcome_location(ms, "captcha@mail.ru")
    assert "user/login?login" in r.location
    j = c.get("account.mail.ru", "/api/v1/user/copper").json()
    assert j["status"] == 200 and "captcha" in str(j["body"])
    bad = c.post("account.mail.ru", "/api/v1/user/copper",
                 {"fields": '{"captcha":"wrong"}'}).json()
    assert bad["body"]["OK"] is False
    ok = c.post("account.mail.ru", "/api/v1/user/copper",
                {"fields": '{"captcha":"mailsim"}'}).json()
    assert ok["body"]["OK"] is True and "authid=" in ok["body"]["url"]
    assert c.cookie("Mpop") is not None


def test_recaptcha(ms):
    c, r = outcome_location(ms, "recaptcha@mail.ru")
    assert "recaptcha" in r.location and "fail" not in r.location


def test_twofa_secstep(ms):
    c, r = outcome_location(ms, "twofa@mail.ru")
    assert "cgi-bin/secstep" in r.location
    j = c.get("account.mail.ru", "/api/v1/user/copper").json()
    assert "captcha" not in str(j["body"]).replace("c.mail.ru", "")
    r = c.post("auth.mail.ru", "/cgi-bin/secstep", {"Login": "twofa@mail.ru", "AuthCode": "000000"})
    assert "secstep" in r.location
    r = c.post("auth.mail.ru", "/cgi-bin/secstep", {"Login": "twofa@mail.ru", "AuthCode": "123456"})
    assert r.status == 302 and "authid=" in r.location
    final, _ = c.follow(r)
    assert final.status == 200


def test_secret_question(ms):
    c, r = outcome_location(ms, "question@mail.ru")
    assert "/login/question?chal=" in r.location and "recovery" not in r.location
    page = c.request("GET", r.location)
    assert "Кличка собаки?" in page.body.decode()
    chal = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)["chal"][0]
    j = c.get("account.mail.ru", "/api/v1/user/question", {"chal": chal}).json()
    assert j["body"]["question"] == "Кличка собаки?"
    r = c.post("auth.mail.ru", "/cgi-bin/question", {"chal": chal, "answer": "Бобик"})
    assert "fail=1" in r.location
    r = c.post("auth.mail.ru", "/cgi-bin/question", {"chal": chal, "answer": "Шарик"})
    assert "authid=" in r.location
    final, _ = c.follow(r)
    assert final.status == 200


def test_locked_banned_ratelimit(ms):
    _, r = outcome_location(ms, "locked@mail.ru")
    assert "recovery" in r.location
    _, r = outcome_location(ms, "banned@mail.ru")
    assert "errno=25" in r.location
    _, r = outcome_location(ms, "ratelimit@mail.ru")
    assert r.status == 429 and r.json()["status"] == 429


def test_login_log_has_ua_ip_outcome(ms):
    Client(ms, ua="UA-check/1.0").web_login("locked@mail.ru", "pw123456", expect_success=False)
    l = [x for x in ms.get("/logins?account=locked@mail.ru") if x["user_agent"] == "UA-check/1.0"]
    assert l and l[-1]["outcome"] == "locked" and l[-1]["ip"] == "127.0.0.1" and l[-1]["port"] > 0


def test_token_rotation_and_grace(ms):
    c = Client(ms)
    c.web_login("grace@mail.ru", "gracepw1")
    t1 = c.token
    assert re.match(r"^[0-9a-f]{32}:[A-Za-z0-9_-]+$", t1)
    assert c.api("tokens", token=False)["body"]["token"] == t1
    t2 = c.refresh_token()
    assert t2 != t1
    # old token still accepted during the grace period
    assert c.api("messages/marks", {"marks": []}, post=True)["status"] == 200
    c.token = t1
    assert c.api("messages/marks", {"marks": []}, post=True)["status"] == 200
    time.sleep(2.3)
    r = c.api("messages/marks", {"marks": []}, post=True)
    assert r == {"status": 403, "htmlencoded": True, "email": "grace@mail.ru", "body": "token"}
    c.token = t2
    assert c.api("messages/marks", {"marks": []}, post=True)["status"] == 200


def test_post_without_token_is_403_token(ms):
    c = Client(ms)
    c.web_login("dave@mail.ru", "davepw12")
    c.token = ""
    assert c.api("threads/move", {"ids": [], "folder": 0}, post=True)["body"] == "token"


def test_nosdc_and_user(ms):
    c = Client(ms)
    r = c.get("e.mail.ru", "/api/v1/folders")
    assert r.status == 200
    assert r.json() == {"status": 403, "htmlencoded": True, "email": None, "body": "user"}
    c.web_login("erin@mail.ru", "erinpw12")
    for ck in list(c.jar):
        if ck.name == "sdcs":
            c.jar.clear(ck.domain, ck.path, ck.name)
    j = c.api("folders")
    assert j["status"] == 403 and j["body"] == "nosdc" and j["email"] == "erin@mail.ru"
    # the fix: the sdc dance on the API URL itself (§10.10)
    api_url = ms.url("e.mail.ru", "/api/v1/tokens?email=erin@mail.ru")
    r = c.get("auth.mail.ru", "/sdc?from=" + urllib.parse.quote(api_url, safe=""))
    r2 = c.request("GET", r.location)
    assert r2.location == api_url
    assert c.request("GET", api_url).json()["status"] == 200


def test_forced_failures(ms):
    c = Client(ms)
    c.web_login("force@mail.ru", "pw123456")
    ms.control("/control/account", {"email": "force@mail.ru", "force": "token"})
    assert c.api("messages/marks", {"marks": []}, post=True)["body"] == "token"
    c.refresh_token()
    assert c.api("messages/marks", {"marks": []}, post=True)["status"] == 200
    ms.control("/control/account", {"email": "force@mail.ru", "force": "nosdc"})
    assert c.api("folders")["body"] == "nosdc"
    ms.control("/control/account", {"email": "force@mail.ru", "force": "user"})
    assert c.api("folders")["body"] == "user"
    assert c.api("folders")["body"] == "user"   # the session stays dead


def test_session_expiry_after_n_requests(ms):
    c = Client(ms)
    c.web_login("expiring@mail.ru", "pw123456")   # user/short is request 1
    assert c.api("folders")["status"] == 200
    assert c.api("folders")["status"] == 200
    j = c.api("folders")
    assert j["status"] == 403 and j["body"] == "user"


def test_navidata_and_mac_check_and_logout(ms):
    c = Client(ms)
    j = c.get("portal.mail.ru", "/NaviData?mac=1").json()
    assert j["status"] == "noauth" and j["data"]["list"] == []
    c.web_login("frank@mail.ru", "frankpw1")
    j = c.get("portal.mail.ru", "/NaviData?mac=1&gamescnt=1&Socials=1").json()
    assert j["status"] == "ok" and j["data"]["email"] == "frank@mail.ru"
    assert isinstance(j["data"]["mail_cnt"], int)
    assert c.get("auth.mail.ru", "/cgi-bin/auth?mac=1&Login=frank@mail.ru").json()["status"] == "ok"
    r = c.get("auth.mail.ru", "/cgi-bin/logout?next=1&lang=ru_RU&page=" +
              urllib.parse.quote(ms.url("e.mail.ru", "/")))
    assert r.status == 302
    assert c.get("portal.mail.ru", "/NaviData?mac=1").json()["status"] == "noauth"


def test_pushauth_info(ms, client):
    j = client.post("auth.mail.ru", "/api/v1/pushauth/info",
                    {"login": "twofa@mail.ru", "htmlencoded": "false"}).json()
    assert j["body"]["exists"] is True and j["body"]["twostep"] is True


def test_password_restore(ms, client):
    j = client.post("account.mail.ru", "/api/v1/user/password/restore",
                    {"email": "nobody@mail.ru", "htmlencoded": "false"}).json()
    assert j["body"] == "not_exists"
