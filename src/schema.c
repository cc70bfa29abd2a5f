/*
 * Migration runner.  Each pending file runs in its own transaction together
 * with the INSERT of its schema_migrations row, so a file is either wholly
 * applied and recorded or not at all.  Every transaction first takes one
 * transaction-level advisory lock and then re-reads schema_migrations: two
 * `warmctl migrate` started together serialise, and the second finds the
 * work done.  The SQL files are trusted text from the package, run as they
 * are; nothing from outside is ever spliced into a statement.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "schema.h"
#include "xmalloc.h"

#ifndef WARMD_SQLDIR
#define WARMD_SQLDIR "/usr/local/share/warmd/sql"
#endif

/* "warmdsch" in ASCII: an arbitrary key that other software will not pick. */
#define SCHEMA_LOCK_KEY	"8602282577416643432"

/* Versions are small; a bound keeps a stray "99999999999_x.sql" out. */
#define SCHEMA_MAX_VERSION	99999

#define SCHEMA_MAX_FILE	(4 * 1024 * 1024)

struct migration {
	int	 version;
	char	*name;		/* "init" of 001_init.sql */
	char	*path;
};

struct migration_set {
	struct migration	*m;
	size_t			 n;
};

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static void
seterr(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* libpq error messages end in a newline that would split our one-liners. */
static const char *
pgerr(const PGconn *conn, const PGresult *res)
{
	static char	 buf[512];
	const char	*s;
	size_t		 n;

	s = res != NULL ? PQresultErrorMessage(res) : NULL;
	if (s == NULL || *s == '\0')
		s = PQerrorMessage(conn);
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

const char *
schema_sqldir(const char *override)
{
	const char	*env;

	if (override != NULL && *override != '\0')
		return override;
	if ((env = getenv("WARMD_SQLDIR")) != NULL && *env != '\0')
		return env;
	return WARMD_SQLDIR;
}

/*
 * Parse "NNN_name.sql"; 0 and fills version/name, -1 for any other file
 * (editor backups, READMEs), which the runner ignores.
 */
static int
parse_filename(const char *fn, int *version, char **name)
{
	const char	*p = fn, *us;
	size_t		 len = strlen(fn);
	long		 v = 0;

	if (len < 7 || strcmp(fn + len - 4, ".sql") != 0)
		return -1;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p - '0');
		if (v > SCHEMA_MAX_VERSION)
			return -1;
		p++;
	}
	if (p == fn || *p != '_' || v < 1)
		return -1;
	us = p;
	for (p = us + 1; p < fn + len - 4; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return -1;
	if (p == us + 1)
		return -1;
	*version = (int)v;
	*name = xstrndup(us + 1, (size_t)(fn + len - 4 - (us + 1)));
	return 0;
}

static int
migration_cmp(const void *a, const void *b)
{
	const struct migration	*x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

static void
set_free(struct migration_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->m[i].name);
		free(set->m[i].path);
	}
	free(set->m);
	set->m = NULL;
	set->n = 0;
}

/* Read the directory, sorted by version; -1 and err on I/O or duplicates. */
static int
set_load(struct migration_set *set, const char *dir, char *err, size_t errlen)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 cap = 0;
	int		 version;
	char		*name;

	set->m = NULL;
	set->n = 0;
	if ((d = opendir(dir)) == NULL) {
		seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (parse_filename(de->d_name, &version, &name) == -1)
			continue;
		if (set->n == cap) {
			cap = cap ? cap * 2 : 16;
			set->m = xreallocarray(set->m, cap, sizeof(*set->m));
		}
		set->m[set->n].version = version;
		set->m[set->n].name = name;
		set->m[set->n].path = xasprintf("%s/%s", dir, de->d_name);
		set->n++;
	}
	closedir(d);
	if (set->n == 0) {
		seterr(err, errlen, "%s: no migration files (NNN_name.sql)",
		    dir);
		return -1;
	}
	qsort(set->m, set->n, sizeof(*set->m), migration_cmp);
	for (size_t i = 1; i < set->n; i++) {
		if (set->m[i].version == set->m[i - 1].version) {
			seterr(err, errlen, "%s: two migrations numbered %d "
			    "(%s, %s)", dir, set->m[i].version,
			    set->m[i - 1].name, set->m[i].name);
			set_free(set);
			return -1;
		}
	}
	return 0;
}

static char *
read_file(const char *path, char *err, size_t errlen)
{
	FILE		*fp;
	struct stat	 st;
	char		*buf;
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == -1 || st.st_size > SCHEMA_MAX_FILE) {
		seterr(err, errlen, "%s: unreadable or too large", path);
		fclose(fp);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	n = fread(buf, 1, (size_t)st.st_size, fp);
	if (ferror(fp) || n != (size_t)st.st_size) {
		seterr(err, errlen, "%s: read error", path);
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		seterr(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Run a statement without parameters that returns no rows; 0 or -1. */
static int
exec_cmd(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult	*res;
	int		 rv = 0;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		seterr(err, errlen, "%s", pgerr(conn, res));
		rv = -1;
	}
	PQclear(res);
	return rv;
}

static void
rollback(PGconn *conn)
{
	PGresult	*res;

	if (PQtransactionStatus(conn) == PQTRANS_IDLE)
		return;
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);
}

/*
 * Open a transaction that holds the migration lock and in which
 * schema_migrations exists.  The CREATE must come after the lock: two
 * concurrent CREATE TABLE IF NOT EXISTS can both miss the table and one then
 * fails on the catalog's unique index.
 */
static int
begin_locked(PGconn *conn, char *err, size_t errlen)
{
	const char	*params[1] = { SCHEMA_LOCK_KEY };
	PGresult	*res;

	if (exec_cmd(conn, "BEGIN", err, errlen) == -1)
		return -1;
	/* Keep "already exists, skipping" notices off the operator's terminal. */
	if (exec_cmd(conn, "SET LOCAL client_min_messages = warning",
	    err, errlen) == -1)
		goto fail;
	res = PQexecParams(conn, "SELECT pg_advisory_xact_lock($1::bigint)",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		seterr(err, errlen, "taking the migration lock: %s",
		    pgerr(conn, res));
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (exec_cmd(conn, create_table_sql, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	rollback(conn);
	return -1;
}

/* 1 if version is recorded, 0 if not, -1 on error. */
static int
is_applied(PGconn *conn, int version, char *err, size_t errlen)
{
	char		 vbuf[16];
	const char	*params[1] = { vbuf };
	PGresult	*res;
	int		 rv;

	snprintf(vbuf, sizeof(vbuf), "%d", version);
	res = PQexecParams(conn,
	    "SELECT 1 FROM schema_migrations WHERE version = $1::integer",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		seterr(err, errlen, "%s", pgerr(conn, res));
		rv = -1;
	} else
		rv = PQntuples(res) > 0;
	PQclear(res);
	return rv;
}

/* 1 applied now, 0 found already applied, -1 failed (rolled back). */
static int
apply_one(PGconn *conn, const struct migration *m, char *err, size_t errlen)
{
	char		 vbuf[16], e[512];
	const char	*params[2] = { vbuf, m->name };
	PGresult	*res;
	char		*sql;
	int		 applied;

	if (begin_locked(conn, err, errlen) == -1)
		return -1;
	if ((applied = is_applied(conn, m->version, err, errlen)) != 0) {
		rollback(conn);
		return applied == 1 ? 0 : -1;
	}
	if ((sql = read_file(m->path, err, errlen)) == NULL) {
		rollback(conn);
		return -1;
	}
	/* Simple query protocol: a file holds many statements. */
	if (exec_cmd(conn, sql, e, sizeof(e)) == -1) {
		seterr(err, errlen, "%s: %s", m->path, e);
		free(sql);
		rollback(conn);
		return -1;
	}
	free(sql);
	snprintf(vbuf, sizeof(vbuf), "%d", m->version);
	res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name)"
	    " VALUES ($1::integer, $2)", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		seterr(err, errlen, "%s: recording it: %s", m->path,
		    pgerr(conn, res));
		PQclear(res);
		rollback(conn);
		return -1;
	}
	PQclear(res);
	if (exec_cmd(conn, "COMMIT", e, sizeof(e)) == -1) {
		seterr(err, errlen, "%s: commit: %s", m->path, e);
		rollback(conn);
		return -1;
	}
	return 1;
}

int
schema_migrate(PGconn *conn, const char *sqldir, schema_applied_cb *cb,
    void *arg, char *err, size_t errlen)
{
	struct migration_set	 set;
	int			 count = 0, r;

	if (set_load(&set, sqldir, err, errlen) == -1)
		return -1;
	for (size_t i = 0; i < set.n; i++) {
		if ((r = apply_one(conn, &set.m[i], err, errlen)) == -1) {
			set_free(&set);
			return -1;
		}
		if (r == 1) {
			count++;
			if (cb != NULL)
				cb(arg, set.m[i].version, set.m[i].name);
		}
	}
	set_free(&set);
	return count;
}

int
schema_latest(const char *sqldir, char *err, size_t errlen)
{
	struct migration_set	 set;
	int			 v;

	if (set_load(&set, sqldir, err, errlen) == -1)
		return -1;
	v = set.m[set.n - 1].version;
	set_free(&set);
	return v;
}

int
schema_check(PGconn *conn, const char *sqldir, char *msg, size_t len)
{
	struct migration_set	 set;
	PGresult		*res = NULL;
	int			 need, have = 0, npending = 0, rv = -1;
	int			 first_pending = 0;
	char			 e[512];

	if (set_load(&set, sqldir, e, sizeof(e)) == -1) {
		seterr(msg, len, "cannot check the database schema: %s", e);
		return -1;
	}
	need = set.m[set.n - 1].version;

	res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		seterr(msg, len, "cannot check the database schema: %s",
		    pgerr(conn, res));
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		res = PQexec(conn, "SELECT version FROM schema_migrations"
		    " ORDER BY version");
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			seterr(msg, len, "cannot check the database schema: "
			    "%s", pgerr(conn, res));
			goto out;
		}
	} else {
		PQclear(res);
		res = NULL;
	}

	/* Both lists are sorted: walk them together to find the gaps. */
	for (size_t i = 0, j = 0; i < set.n; i++) {
		int	v = -1;

		while (res != NULL && j < (size_t)PQntuples(res) &&
		    (v = atoi(PQgetvalue(res, (int)j, 0))) < set.m[i].version)
			j++;
		if (res == NULL || j >= (size_t)PQntuples(res) ||
		    v != set.m[i].version) {
			if (npending++ == 0)
				first_pending = set.m[i].version;
		}
	}
	if (res != NULL && PQntuples(res) > 0)
		have = atoi(PQgetvalue(res, PQntuples(res) - 1, 0));

	if (npending > 0 && first_pending < have)
		seterr(msg, len, "database schema is at version %d but lacks "
		    "migration %d, this warmd needs %d: run `warmctl migrate`",
		    have, first_pending, need);
	else if (npending > 0)
		seterr(msg, len, "database schema is at version %d, this "
		    "warmd needs %d: run `warmctl migrate`", have, need);
	else if (have > need)
		seterr(msg, len, "database schema is at version %d, newer "
		    "than this warmd's %d: upgrade warmd", have, need);
	else {
		seterr(msg, len, "database schema is at version %d", have);
		rv = 0;
	}
out:
	PQclear(res);
	set_free(&set);
	return rv;
}
