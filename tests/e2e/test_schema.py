"""Migrations: `warmctl migrate` on a real PostgreSQL — creates the schema,
is idempotent, is safe when run twice at once, rolls back a failing file, and
the version check warmd runs at start-up sees an old schema."""

import os
import shutil
import subprocess

import harness

TABLES = ["account_health", "account_leases", "accounts", "campaigns", "daily_summaries", "jobs",
          "mails", "schema_migrations"]


def sqldir():
    return os.path.join(harness.srcdir(), "sql")


def versions():
    return sorted(int(f.split("_", 1)[0]) for f in os.listdir(sqldir())
                  if f.endswith(".sql") and f[:1].isdigit())


def warmctl(pg, *args, sql=None, env=None):
    argv = [harness.program("src/warmctl"), "--db", pg.conninfo(),
            "--sql-dir", sql or sqldir()] + list(args)
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60, env=env)


def test_migrate_creates_schema(pg):
    r = warmctl(pg, "migrate")
    assert r.returncode == 0, r.stderr
    for v in versions():
        assert "applied %03d_" % v in r.stdout
    tables = pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                     " ORDER BY 1").split("\n")
    assert tables == TABLES
    assert pg.psql("SELECT string_agg(version::text, ',' ORDER BY version)"
                   " FROM schema_migrations") == ",".join(str(v) for v in versions())
    # The partial indexes the job claim and the idempotency rely on.
    idx = pg.psql("SELECT indexname || ':' || indexdef FROM pg_indexes"
                  " WHERE tablename = 'jobs'")
    assert "jobs_claim_idx" in idx and "WHERE (status = 'new'::text)" in idx
    assert "jobs_idempotency_key_live" in idx and "UNIQUE" in idx


def test_second_run_is_a_noop(pg):
    assert warmctl(pg, "migrate").returncode == 0
    before = pg.psql("SELECT string_agg(version || applied_at::text, ',')"
                     " FROM schema_migrations")
    r = warmctl(pg, "migrate")
    assert r.returncode == 0, r.stderr
    assert "applied" not in r.stdout.replace("nothing to apply", "")
    assert "nothing to apply" in r.stdout
    assert r.stderr == ""
    assert pg.psql("SELECT string_agg(version || applied_at::text, ',')"
                   " FROM schema_migrations") == before


def test_concurrent_migrations_apply_once(pg):
    argv = [harness.program("src/warmctl"), "--db", pg.conninfo(),
            "--sql-dir", sqldir(), "migrate"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    stdout = "".join(o for o, _ in outs)
    for v in versions():
        assert stdout.count("applied %03d_" % v) == 1, stdout
    assert pg.psql("SELECT count(*) FROM schema_migrations") == str(len(versions()))


def test_old_schema_is_detected(pg, tmp_path):
    newer = tmp_path / "sql"
    shutil.copytree(sqldir(), newer)
    latest = max(versions())
    (newer / ("%03d_extra.sql" % (latest + 1))).write_text(
        "CREATE TABLE extra (id int);\n")

    assert warmctl(pg, "migrate").returncode == 0
    assert warmctl(pg, "migrate", "--check").returncode == 0

    r = warmctl(pg, "migrate", "--check", sql=str(newer))
    assert r.returncode == 1
    assert ("database schema is at version %d, this warmd needs %d: run `warmctl migrate`"
            % (latest, latest + 1)) in r.stdout

    # The same check guards the import.
    conf = tmp_path / "warmd.conf"
    acc = tmp_path / "accounts.txt"
    acc.write_text("a@mail.ru;pw;\n")
    key = tmp_path / "key"
    assert subprocess.run([harness.program("src/warmctl"), "keygen", str(key)]).returncode == 0
    conf.write_text("[database]\nconninfo = %s\n[accounts]\nfiles = %s\nkey_file = %s\n"
                    % (pg.conninfo(), acc, key))
    r = subprocess.run([harness.program("src/warmctl"), "-c", str(conf), "--sql-dir",
                        str(newer), "import"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 1
    assert "run `warmctl migrate`" in r.stderr
    assert pg.psql("SELECT count(*) FROM accounts") == "0"

    # The directory can also come from the environment.
    env = dict(os.environ, WARMD_SQLDIR=str(newer))
    r = subprocess.run([harness.program("src/warmctl"), "--db", pg.conninfo(),
                        "migrate"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert "applied %03d_extra" % (latest + 1) in r.stdout
    assert warmctl(pg, "migrate", "--check", sql=str(newer)).returncode == 0

    # A database newer than the binary is refused too.
    r = warmctl(pg, "migrate", "--check")
    assert r.returncode == 1 and "newer than this warmd" in r.stdout


def test_failing_migration_rolls_back(pg, tmp_path):
    bad = tmp_path / "sql"
    shutil.copytree(sqldir(), bad)
    latest = max(versions())
    (bad / ("%03d_broken.sql" % (latest + 1))).write_text(
        "CREATE TABLE half_done (id int);\nSELECT no_such_function();\n")
    r = warmctl(pg, "migrate", sql=str(bad))
    assert r.returncode == 1
    assert "%03d_broken.sql" % (latest + 1) in r.stderr
    assert "no_such_function" in r.stderr
    # Everything before it stays applied; nothing of it does.
    assert pg.psql("SELECT max(version) FROM schema_migrations") == str(latest)
    assert pg.psql("SELECT to_regclass('half_done') IS NULL") == "t"


def test_jobs_insert_notifies(pg):
    assert warmctl(pg, "migrate").returncode == 0
    pg.psql("INSERT INTO accounts (id, email, password, password_fp, user_agent)"
            " VALUES (gen_random_uuid(), 'n@mail.ru', '\\x01', 'fp', 'ua')")
    out = subprocess.run(
        [harness._pg_bin("psql"), "-X", "-h", pg.sock, "-p", str(pg.port), "-U", pg.user,
         "-d", pg.dbname, "-c", "LISTEN warmd_jobs",
         "-c", "INSERT INTO jobs (account_id, task) SELECT id, 'list_spam' FROM accounts",
         "-c", "SELECT 1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30).stdout
    assert 'notification "warmd_jobs"' in out
    # last_update follows every change, by trigger.
    pg.psql("UPDATE jobs SET last_update = '2000-01-01', status = 'running'")
    assert pg.psql("SELECT last_update > now() - interval '1 minute' FROM jobs") == "t"
    # The idempotency key is unique among live jobs only.
    pg.psql("INSERT INTO jobs (account_id, task, idempotency_key)"
            " SELECT id, 'flag', 'k1' FROM accounts")
    assert pg.psql("INSERT INTO jobs (account_id, task, idempotency_key)"
                   " SELECT id, 'flag', 'k1' FROM accounts ON CONFLICT DO NOTHING"
                   " RETURNING id") == ""
    pg.psql("UPDATE jobs SET status = 'done' WHERE idempotency_key = 'k1'")
    assert pg.psql("INSERT INTO jobs (account_id, task, idempotency_key)"
                   " SELECT id, 'flag', 'k1' FROM accounts ON CONFLICT DO NOTHING"
                   " RETURNING 1") == "1"
