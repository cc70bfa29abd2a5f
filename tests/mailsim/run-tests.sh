#!/bin/sh
# mailsim's own test suite. Under `make check` (run from the build directory,
# with srcdir set) it reports TAP through tests/pytest_tap.py; run by hand it
# works from any directory. MAILSIM names the binary to test.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
builddir=${WARMD_BUILDDIR:-$(pwd)}
if [ -z "${MAILSIM:-}" ]; then
	for cand in "$builddir/tests/mailsim/mailsim" "$here/mailsim"; do
		if [ -x "$cand" ]; then MAILSIM=$cand; break; fi
	done
fi
if [ -z "${MAILSIM:-}" ]; then
	echo "1..1"
	echo "not ok 1 - mailsim binary not found (set MAILSIM)"
	exit 0
fi
export MAILSIM
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
py=${MAILSIM_PYTHON:-/usr/bin/python3}
if [ -f "$top/tests/pytest_tap.py" ]; then
	exec "$py" "$top/tests/pytest_tap.py" "$here/t" ${PYTEST_ARGS:-}
fi
exec "$py" -m pytest -q -p no:cacheprovider "$here/t" ${PYTEST_ARGS:-}
