#!/bin/sh
# The end-to-end suite (real PostgreSQL, Redis, proxies, mailsim), as TAP.
srcdir=${WARMD_SRCDIR:-${srcdir:-.}}
exec "${PYTHON:-/usr/bin/python3}" "$srcdir/tests/pytest_tap.py" "$srcdir/tests/e2e" ${PYTEST_ARGS:-}
