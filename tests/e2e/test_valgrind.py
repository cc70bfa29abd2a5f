"""warmd's whole life under valgrind: start, account sync, reload, bad
reload, graceful stop; no invalid access and no leak.  Skipped in the
sanitizer build, whose binaries valgrind cannot run."""

import os
import shutil
import signal
import subprocess

import pytest

import harness
from test_daemon import Warmd, good_lines, try_status


def sanitized(path):
    """True for a binary built with --enable-sanitizers."""
    out = subprocess.run(["nm", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return "__asan_init" in out or "__ubsan_handle" in out


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_lifecycle_is_clean_under_valgrind(pg, redis, tmp_path):
    binary = harness.program("src/warmd")
    if os.environ.get("WARMD_SANITIZERS") or sanitized(binary):
        pytest.skip("sanitizer build")
    w = Warmd(pg, redis, tmp_path)
    w.write_conf()
    w.migrate()
    w.write_accounts(good_lines(50))
    vlog = os.path.join(str(tmp_path), "valgrind.log")
    argv = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
            "--log-file=" + vlog, binary, "-c", w.conf]
    w.proc = harness.Daemon(argv, w.logfile).start()
    try:
        w.wait_synced(1, timeout=120)
        w.write_accounts(good_lines(52))
        w.proc.signal(signal.SIGHUP)
        w.wait_synced(2, timeout=120)
        with open(w.conf, "a") as f:
            f.write("bogus = 1\n")
        w.proc.signal(signal.SIGHUP)
        harness.wait_for(lambda: (try_status(w.port) or {}).get("last_reload", {})
                         .get("result") == "failed", 60, what="failed reload")
        w.proc.signal(signal.SIGTERM)
        rc = w.proc.wait(120)
    finally:
        w.proc.stop()
    report = open(vlog).read()
    assert rc == 0, report[-3000:]
    assert "ERROR SUMMARY: 0 errors" in report, report[-3000:]
