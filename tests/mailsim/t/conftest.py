"""Fixtures for mailsim's own tests: certificates, a running mailsim and
small HTTP clients. Nothing is built here; the binary comes from $MAILSIM."""
import http.client
import http.cookiejar
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
MAILRU_HOSTS = ("mail.ru", "mailsim.test")

_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, *args, **kw):
    # every emulated host lives on loopback, like curl --resolve
    if isinstance(host, str) and host.endswith(MAILRU_HOSTS):
        host = "127.0.0.1"
    return _real_getaddrinfo(host, *args, **kw)


socket.getaddrinfo = _getaddrinfo


def mailsim_binary():
    b = os.environ.get("MAILSIM")
    if b:
        return b
    for cand in (os.path.join(os.environ.get("BUILDDIR", "."), "tests/mailsim/mailsim"),
                 os.path.join(SRCDIR, "mailsim")):
        if os.path.exists(cand):
            return cand
    pytest.exit("mailsim binary not found: set MAILSIM", returncode=2)


ACCOUNTS = (
    "\ufeff# operator's file: email;password;proxy;question;answer;user_agent\r\n"
    "alice@mail.ru;alicepw1;http://127.0.0.1:3128;Любимый цвет?;синий;Mozilla/5.0\r\n"
    "\r\n"
    "bob@bk.ru;bobpw123;\r\n"
    "carol@mail.ru;carolpw1;socks5://127.0.0.1:1080\n"
    "dave@mail.ru;davepw12;\n"
    "erin@mail.ru;erinpw12;\n"
    "frank@mail.ru;frankpw1;\n"
    "captcha@mail.ru;pw123456;\n"
    "recaptcha@mail.ru;pw123456;\n"
    "twofa@mail.ru;pw123456;\n"
    "question@mail.ru;pw123456;;Кличка собаки?;Шарик\n"
    "locked@mail.ru;pw123456;\n"
    "banned@mail.ru;pw123456;\n"
    "ratelimit@mail.ru;pw123456;\n"
    "expiring@mail.ru;pw123456;\n"
    "pwchange@mail.ru;oldpass1;\n"
    "mob@mail.ru;mobpass1;\n"
    "grace@mail.ru;gracepw1;\n"
    "smtp1@mail.ru;pw123456;\n"
    "smtp2@mail.ru;pw123456;\n"
    "rep@mail.ru;pw123456;\n"
    "conn1@mail.ru;pw123456;\n"
    "conn2@mail.ru;pw123456;\n"
    "force@mail.ru;pw123456;\n"
    "pages@mail.ru;pw123456;\n"
)
for i in range(1, 21):
    ACCOUNTS += "spam%02d@mail.ru;pw123456;\n" % i

OVERRIDES = (
    "# per-account overrides\n"
    "captcha@mail.ru;outcome=captcha\n"
    "recaptcha@mail.ru;outcome=recaptcha\n"
    "twofa@mail.ru;outcome=twofa\n"
    "question@mail.ru;outcome=question\n"
    "locked@mail.ru;outcome=locked\n"
    "banned@mail.ru;outcome=banned\n"
    "ratelimit@mail.ru;outcome=ratelimit\n"
    "expiring@mail.ru;expire_after=3\n"
    "@spammy.test;spam=1.0\n"
    "@clean.test;spam=0.0\n"
    "@coin.test;spam=0.5\n"
)


class Mailsim:
    def __init__(self, proc, ready, certs):
        self.proc = proc
        self.https = ready["https"]
        self.inspect_port = ready["inspect"]
        self.smtp = ready["smtp"]
        self.cafile = os.path.join(certs, "ca.crt")
        self.certs = certs

    def url(self, host, path):
        return "https://%s:%d%s" % (host, self.https, path)

    def resolve_args(self):
        hosts = ["e.mail.ru", "account.mail.ru", "auth.mail.ru", "aj-https.mail.ru",
                 "alt-aj-https.mail.ru", "o2.mail.ru", "portal.mail.ru",
                 "checklink.mail.ru", "click.mail.ru", "ip.mailsim.test"]
        args = ["--cacert", self.cafile]
        for h in hosts:
            args += ["--resolve", "%s:%d:127.0.0.1" % (h, self.https)]
        return args

    def inspect(self, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.inspect_port, timeout=10)
        if body is None:
            c.request("GET", path)
        else:
            c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        data = json.loads(r.read())
        c.close()
        return r.status, data

    def get(self, path):
        st, d = self.inspect(path)
        assert st == 200, d
        return d

    def control(self, path, body):
        st, d = self.inspect(path, body)
        assert st == 200, d
        return d


def start_mailsim(tmp, args, certs):
    ready = os.path.join(tmp, "ready.json")
    cmd = [mailsim_binary(), "--cert", os.path.join(certs, "server.crt"),
           "--key", os.path.join(certs, "server.key"), "--listen", "127.0.0.1:0",
           "--inspect", "127.0.0.1:0", "--smtp", "127.0.0.1:0",
           "--ready-file", ready] + args
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while not os.path.exists(ready):
        if proc.poll() is not None:
            raise RuntimeError("mailsim exited: %s" % proc.stderr.read())
        if time.time() > deadline:
            proc.kill()
            raise RuntimeError("mailsim did not become ready")
        time.sleep(0.02)
    with open(ready) as f:
        return proc, json.load(f)


def stop_mailsim(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
    return proc.returncode


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("certs"))
    subprocess.run(["sh", os.path.join(SRCDIR, "gen-certs.sh"), d], check=True,
                   stdout=subprocess.DEVNULL)
    return d


@pytest.fixture(scope="session")
def ms(tmp_path_factory, certs):
    tmp = str(tmp_path_factory.mktemp("mailsim"))
    acc = os.path.join(tmp, "accounts.txt")
    with open(acc, "w", encoding="utf-8", newline="") as f:
        f.write(ACCOUNTS)
    ovr = os.path.join(tmp, "overrides.txt")
    with open(ovr, "w", encoding="utf-8") as f:
        f.write(OVERRIDES)
    proc, ready = start_mailsim(tmp, ["--accounts", acc, "--overrides", ovr, "--seed", "42",
                                      "--token-grace", "2",
                                      "--domains", "mail.ru,bk.ru,inbox.ru,list.ru"], certs)
    m = Mailsim(proc, ready, certs)
    try:
        yield m
    finally:
        rc = stop_mailsim(proc)
        assert rc == 0, "mailsim did not exit cleanly: %r" % rc


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def location(self):
        return self.headers.get("Location")

    def cookies(self):
        return self.headers.get_all("Set-Cookie") or []


class Client:
    """A browser-like client: a real cookie jar with domain rules, manual
    redirects, one connection per request."""

    def __init__(self, ms, ua="Mozilla/5.0 (mailsim tests)"):
        self.ms = ms
        self.ua = ua
        self.jar = http.cookiejar.CookieJar()
        ctx = ssl.create_default_context(cafile=ms.cafile)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ctx),
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.token = ""

    def request(self, method, url, data=None, headers=None):
        if not url.startswith("https://"):
            raise ValueError(url)
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        h = {"User-Agent": self.ua}
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        h.update(headers or {})
        req = urllib.request.Request(url, data=body, headers=h, method=method)
        try:
            r = self.opener.open(req, timeout=15)
            return Resp(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Resp(e.code, e.headers, e.read())

    def get(self, host, path, params=None):
        if params:
            path += ("&" if "?" in path else "?") + urllib.parse.urlencode(params)
        return self.request("GET", self.ms.url(host, path))

    def post(self, host, path, data):
        return self.request("POST", self.ms.url(host, path), data)

    def follow(self, resp, limit=10):
        chain = []
        while resp.status in (301, 302, 303, 307) and limit > 0:
            chain.append(resp.location)
            resp = self.request("GET", resp.location)
            limit -= 1
        return resp, chain

    def cookie(self, name, domain=None):
        for c in self.jar:
            if c.name == name and (domain is None or c.domain == domain):
                return c
        return None

    def web_login(self, email, password, expect_success=True):
        r = self.get("e.mail.ru", "/inbox/")
        assert r.status == 302
        act = self.cookie("act").value
        page = self.ms.url("e.mail.ru", "/inbox/")
        r = self.post("auth.mail.ru", "/cgi-bin/auth", {
            "username": email, "Login": email, "password": password, "Password": password,
            "saveauth": "1", "new_auth_form": "1",
            "FromAccount": "opener=account&allow_external=1&twoSteps=1",
            "act_token": act, "page": page, "back": "1", "lang": "ru_RU"})
        if not expect_success:
            return r
        assert r.status == 302 and "/inbox/" in r.location, r.location
        final, chain = self.follow(r)
        assert final.status == 200, chain
        self.refresh_token()
        return final

    def refresh_token(self):
        r = self.api("user/short", {}, post=True, token=False)
        assert r["status"] == 200, r
        self.token = r["body"]["token"]
        return self.token

    def api(self, path, params=None, post=False, token=True, host="e.mail.ru"):
        p = {"email": "", "htmlencoded": "false"}
        if token:
            p["token"] = self.token
        p.update(params or {})
        for k, v in list(p.items()):
            if isinstance(v, (list, dict)):
                p[k] = json.dumps(v)
        if post:
            r = self.post(host, "/api/v1/" + path, p)
        else:
            r = self.get(host, "/api/v1/" + path, p)
        assert r.status == 200, (r.status, r.body)
        return r.json()


class Mobile:
    """The aj client: access_token in the query or the form body."""

    def __init__(self, ms, host="aj-https.mail.ru"):
        self.ms = ms
        self.c = Client(ms, ua="mobmail android 15.107.0 ru.mail.mailapp")
        self.host = host
        self.access = self.refresh = None

    def login(self, email, password, **extra):
        q = {"mp": "android", "udid": "mailru_app"}
        body = {"Login": email, "Password": password, "oauth2": "1", "mob_json": "1",
                "simple": "1", "useragent": "android", "mobile": "1"}
        body.update(extra)
        r = self.c.request("POST", self.ms.url(self.host, "/cgi-bin/auth?" +
                                               urllib.parse.urlencode(q)), body)
        assert r.status == 200
        j = r.json()
        if j.get("status") == "ok":
            self.access = j["oauth"]["access_token"]
            self.refresh = j["oauth"]["refresh_token"]
        return j

    def api(self, path, params=None, post=False, in_body=True):
        p = dict(params or {})
        for k, v in list(p.items()):
            if isinstance(v, (list, dict)):
                p[k] = json.dumps(v)
        if post and in_body:
            p["access_token"] = self.access
            r = self.c.post(self.host, "/api/v1/" + path, p)
        else:
            path2 = "/api/v1/" + path + "?access_token=" + urllib.parse.quote(self.access or "")
            r = self.c.request("POST" if post else "GET", self.ms.url(self.host, path2),
                               p if post else None) if post else self.c.get(self.host, path2, p)
        assert r.status == 200
        return r.json()

    def do_refresh(self):
        r = self.c.post("o2.mail.ru", "/token", {"grant_type": "refresh_token",
                                                 "refresh_token": self.refresh,
                                                 "client_id": "mailsim-test"})
        return r


@pytest.fixture
def client(ms):
    return Client(ms)


def password_of(ms, email):
    return ms.get("/account?email=" + email)["password"]
