"""Fixtures owning real servers for the end-to-end tests."""

import os
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
