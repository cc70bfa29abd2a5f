"""Fixtures owning real servers for the end-to-end tests."""

import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


@pytest.fixture(scope="session")
def pg_cluster():
    """One private PostgreSQL cluster for the whole run."""
    pg = harness.Postgres().init().start()
    yield pg
    pg.destroy()


@pytest.fixture
def pg(pg_cluster, request):
    """A fresh database in the shared cluster for one test."""
    name = "t_%s" % abs(hash(request.node.nodeid))
    pg_cluster.createdb(name)
    pg_cluster.dbname = name
    yield pg_cluster


@pytest.fixture
def pg_private():
    """A cluster of the test's own, for tests that stop or restart the server."""
    pg = harness.Postgres().init().start()
    pg.createdb()
    yield pg
    pg.destroy()


@pytest.fixture
def redis():
    r = harness.Redis().start()
    yield r
    r.destroy()


# ---- mail.ru emulator and proxies ------------------------------------------

@pytest.fixture(scope="session")
def mailsim_certs():
    """Directory with ca.crt, server.crt and server.key for mailsim, made
    once per run with tests/mailsim/gen-certs.sh."""
    d = harness.mailsim_certs()
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def mailsim_factory(mailsim_certs):
    """start(**kw) -> a running harness.Mailsim; kw as harness.Mailsim
    (generate=N or accounts=FILE_OR_TEXT, overrides=, faults=, seed=, args=).
    Every mailsim started is stopped at teardown, asserting exit code 0."""
    started = []

    def start(**kw):
        m = harness.Mailsim(mailsim_certs, **kw)
        try:
            m.start()
        except Exception:
            m.destroy()
            raise
        started.append(m)
        return m

    yield start
    errors = []
    for m in started:
        try:
            m.stop()
        except AssertionError as e:
            errors.append(str(e))
        finally:
            m.destroy()
    assert not errors, errors


@pytest.fixture
def mailsim(mailsim_factory, request):
    """One running mailsim; parametrize indirectly with a dict of
    harness.Mailsim keywords, default {"generate": 10, "seed": 1}."""
    kw = getattr(request, "param", None) or {"generate": 10, "seed": 1}
    return mailsim_factory(**kw)


def _proxy_factory(cls):
    started = []

    def start(**kw):
        p = cls(**kw)
        started.append(p)
        try:
            return p.start()
        except Exception:
            p.destroy()
            started.remove(p)
            raise

    return start, started


@pytest.fixture
def tinyproxy_factory():
    """start(user=None, password=None, max_clients=2000, log_level="Info",
    extra_conf="") -> a running harness.Tinyproxy; all stopped at teardown."""
    start, started = _proxy_factory(harness.Tinyproxy)
    yield start
    for p in started:
        p.destroy()


@pytest.fixture
def tinyproxy(tinyproxy_factory, request):
    """tinyproxy with BasicAuth; parametrize indirectly with a dict of
    harness.Tinyproxy keywords, default user "proxyuser", password "proxypass"
    ({"user": None, "password": None} for no authentication)."""
    kw = getattr(request, "param", None) or {"user": "proxyuser", "password": "proxypass"}
    return tinyproxy_factory(**kw)


@pytest.fixture
def microsocks_factory():
    """start(user=None, password=None) -> a running harness.Microsocks; all
    stopped at teardown."""
    start, started = _proxy_factory(harness.Microsocks)
    yield start
    for p in started:
        p.destroy()


@pytest.fixture
def microsocks(microsocks_factory, request):
    """microsocks with username/password authentication; parametrize
    indirectly like tinyproxy."""
    kw = getattr(request, "param", None) or {"user": "socksuser", "password": "sockspass"}
    return microsocks_factory(**kw)


@pytest.fixture
def bot():
    """A local Telegram Bot API stand-in (botlib.BotAPI), closed at teardown."""
    from botlib import BotAPI
    b = BotAPI()
    yield b
    b.close()
