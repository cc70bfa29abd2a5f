#!/bin/sh
# The main job end to end on the embedded default: builds warmd, then runs
# contrib/demo.py, which starts a private PostgreSQL, Redis and the mail.ru
# emulator (1,000 mailboxes) in a temporary directory, sends a mailing
# through the emulator's SMTP, runs rescue, engage 15% and a day of warm-up
# with warmd, sends a second mailing, prints warmctl report for each
# campaign and a summary (inbox rate before and after), and stops
# everything.  Extra arguments go to demo.py (--keep, --mailboxes N).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh contrib/setup-debian.sh || exit 1
build="$top/_demo/build"
if [ ! -x "$build/src/warmd" ] || [ -n "$(find src tests/mailsim -newer "$build/src/warmd" -name '*.[ch]' 2>/dev/null | head -1)" ]; then
	echo "== building warmd (log: $build/build.log)"
	[ -x configure ] || autoreconf -fi >/dev/null 2>&1
	mkdir -p "$build"
	(cd "$build" && { [ -f Makefile ] || "$top/configure" -q; } &&
	    make -j2 all check_PROGRAMS= >build.log 2>&1) ||
	    { tail -30 "$build/build.log"; exit 1; }
fi
exec /usr/bin/python3 "$top/contrib/demo.py" --builddir "$build" --srcdir "$top" "$@"
