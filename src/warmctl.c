/*
 * warmctl: the operator's command line.  One function per subcommand in the
 * table below; global options come before the subcommand, its own after.
 * Database work is blocking here (a short-lived tool) except the account
 * sync, which is the daemon's asynchronous code run on a private loop so
 * that both apply exactly the same diff.
 *
 * Exit status: 0 success, 1 failure (or rejected account lines), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <libpq-fe.h>

#include "acctfile.h"
#include "acctsync.h"
#include "config.h"
#include "ctl.h"
#include "errlist.h"
#include "log.h"
#include "loop.h"
#include "mailru.h"
#include "pg.h"
#include "proxy.h"
#include "schema.h"
#include "secret.h"
#include "xmalloc.h"

#ifndef WARMD_CONFIG_FILE
#define WARMD_CONFIG_FILE	"/etc/warmd/warmd.conf"
#endif

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION		"0.1"
#endif

struct command {
	const char	*name;
	const char	*args;
	const char	*help;
	int		(*fn)(struct ctl *, int, char **);
};

static int	cmd_migrate(struct ctl *, int, char **);
static int	cmd_keygen(struct ctl *, int, char **);
static int	cmd_import(struct ctl *, int, char **);
static int	cmd_check_config(struct ctl *, int, char **);
static int	cmd_import_session(struct ctl *, int, char **);
static int	cmd_set_auth(struct ctl *, int, char **);
static int	cmd_version(struct ctl *, int, char **);
static int	cmd_help(struct ctl *, int, char **);

static const struct command commands[] = {
	{ "migrate", "[--check]",
	    "apply pending database migrations (--check: only compare)",
	    cmd_migrate },
	{ "keygen", "FILE", "create a new secret key file (mode 0400)",
	    cmd_keygen },
	{ "import", "", "load the account files and sync them to the database",
	    cmd_import },
	{ "check-config", "", "check the config and account files (no database)",
	    cmd_check_config },
	{ "accounts", "[--status active|error|suspended] [--json]",
	    "list accounts with health and reason (secrets never shown)",
	    cmd_accounts },
	{ "resume", "EMAIL...|--all-reason TEXT",
	    "put paused or failed accounts back to work", cmd_resume },
	{ "import-session", "EMAIL FILE|-",
	    "store a browser's cookie export as the account's session",
	    cmd_import_session },
	{ "set-auth", "EMAIL LIST|default",
	    "login strategies of an account, e.g. mobile,web,cookies",
	    cmd_set_auth },
	{ "report", "CAMPAIGN [--json|--csv] [--day D]",
	    "a campaign's placement, actions and failures", cmd_report },
	{ "status", "[--json]", "accounts, queue, sessions and throughput",
	    cmd_status },
	{ "rescue", "--subject T|--body T --date D ...",
	    "start an ad hoc rescue campaign", cmd_rescue },
	{ "engage", "... --percent P --template F",
	    "start an ad hoc engage campaign (replies)", cmd_engage },
	{ "campaigns", "", "list campaigns with their job counts",
	    cmd_campaigns },
	{ "cancel", "NAME", "cancel a campaign and its queued jobs",
	    cmd_cancel },
	{ "alert-test", "", "send one Telegram alert with the configured bot",
	    cmd_alert_test },
	{ "validate", "[--json|--csv] [--no-smtp] [--dns H:P] [FILE|-]",
	    "check addresses: syntax, MX, SMTP RCPT", cmd_validate },
	{ "preflight", "[--dkim SEL[,SEL]] [--dns H:P] [--json] DOMAIN",
	    "sending domain: MX, SPF, DKIM, DMARC verdicts", cmd_preflight },
	{ "version", "", "print the version", cmd_version },
	{ "help", "", "this text", cmd_help },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: warmctl [-v] [-c config] [--sql-dir dir] "
	    "[--db conninfo] command [args]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-14s %-36s %s\n", commands[i].name,
		    commands[i].args, commands[i].help);
}

static void
print_errors(const struct errlist *el, const char *what)
{
	for (size_t i = 0; i < el->count; i++)
		fprintf(stderr, "warmctl: %s%s\n", what, el->msgs[i]);
}

/* Load the config once; 0, or -1 after printing every problem. */
int
need_config(struct ctl *c)
{
	struct errlist	errs = { 0 };

	if (c->cfg != NULL)
		return 0;
	if ((c->cfg = config_load(c->config_path, &errs)) == NULL) {
		print_errors(&errs, "");
		fprintf(stderr, "warmctl: %s: configuration is not valid\n",
		    c->config_path);
		errlist_clear(&errs);
		return -1;
	}
	return 0;
}

static const char *
conninfo(struct ctl *c)
{
	if (c->conninfo != NULL)
		return c->conninfo;
	if (need_config(c) == -1)
		return NULL;
	return c->cfg->database.conninfo;
}

/* A blocking connection; NULL after printing why. */
PGconn *
db_connect(struct ctl *c)
{
	const char	*keys[] = { "application_name", "dbname", NULL };
	const char	*vals[] = { "warmctl", NULL, NULL };
	PGconn		*conn;

	if ((vals[1] = conninfo(c)) == NULL)
		return NULL;
	/* expand_dbname: the value is a whole conninfo string. */
	conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		/* libpq names host and port here, not the password. */
		fprintf(stderr, "warmctl: cannot connect to PostgreSQL: %s",
		    PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

static void
print_applied(void *arg, int version, const char *name)
{
	(void)arg;
	printf("applied %03d_%s\n", version, name);
	fflush(stdout);
}

static int
cmd_migrate(struct ctl *c, int argc, char **argv)
{
	const char	*dir = schema_sqldir(c->sqldir);
	PGconn		*conn;
	char		 err[1024];
	int		 n, latest, check = 0;

	if (argc == 2 && strcmp(argv[1], "--check") == 0)
		check = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: warmctl migrate [--check]\n");
		return EXIT_USAGE;
	}
	if ((latest = schema_latest(dir, err, sizeof(err))) == -1) {
		fprintf(stderr, "warmctl: %s\n", err);
		return 1;
	}
	if ((conn = db_connect(c)) == NULL)
		return 1;
	if (check) {
		/* The same verdict warmd reaches before it starts. */
		n = schema_check(conn, dir, err, sizeof(err));
		PQfinish(conn);
		printf("%s\n", err);
		return n == 0 ? 0 : 1;
	}
	n = schema_migrate(conn, dir, print_applied, NULL, err, sizeof(err));
	PQfinish(conn);
	if (n == -1) {
		fprintf(stderr, "warmctl: migration failed: %s\n", err);
		return 1;
	}
	if (n == 0)
		printf("database schema is up to date (version %d), nothing "
		    "to apply\n", latest);
	else
		printf("%d migration(s) applied, database schema is at "
		    "version %d\n", n, latest);
	return 0;
}

static int
cmd_keygen(struct ctl *c, int argc, char **argv)
{
	char	err[512];

	(void)c;
	if (argc != 2) {
		fprintf(stderr, "usage: warmctl keygen FILE\n");
		return EXIT_USAGE;
	}
	if (secret_keygen(argv[1], err, sizeof(err)) == -1) {
		fprintf(stderr, "warmctl: %s\n", err);
		return 1;
	}
	/* Belt and braces: the key must never be readable by others. */
	if (chmod(argv[1], 0400) == -1) {
		fprintf(stderr, "warmctl: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("new key written to %s (mode 0400); keep a copy: without it "
	    "the stored passwords cannot be read\n", argv[1]);
	return 0;
}

/*
 * Read every account file of the config into list.  Rejected lines go to
 * errs and duplicates to warns; -1 only if a file could not be read.
 */
static int
load_accounts(struct ctl *c, struct acct_list *list, struct errlist *errs,
    struct errlist *warns)
{
	int	rv = 0;

	for (size_t i = 0; i < c->cfg->accounts.nfiles; i++)
		if (acctfile_load(list, c->cfg->accounts.files[i],
		    c->cfg->accounts.default_proxy_scheme, errs, warns) < 0)
			rv = -1;
	return rv;
}

static int
cmd_check_config(struct ctl *c, int argc, char **argv)
{
	struct errlist		 errs = { 0 }, warns = { 0 };
	struct acct_list	 list = { 0 };
	struct secret_key	 key;
	char			 err[512], **uas = NULL;
	size_t			 nuas = 0;
	int			 bad = 0;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: warmctl check-config\n");
		return EXIT_USAGE;
	}
	if (need_config(c) == -1)
		return 1;
	if (load_accounts(c, &list, &errs, &warns) == -1 || errs.count > 0)
		bad = 1;
	print_errors(&errs, "");
	print_errors(&warns, "warning: ");
	if (secret_key_load(c->cfg->accounts.key_file, &key, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "warmctl: %s\n", err);
		bad = 1;
	} else
		secret_key_wipe(&key);
	if (c->cfg->accounts.user_agents != NULL) {
		if (acctsync_load_user_agents(c->cfg->accounts.user_agents,
		    &uas, &nuas, err, sizeof(err)) == -1) {
			fprintf(stderr, "warmctl: %s\n", err);
			bad = 1;
		}
		for (size_t i = 0; i < nuas; i++)
			free(uas[i]);
		free(uas);
	}
	printf("%zu accounts in %zu file(s), %zu line(s) rejected, "
	    "%zu warning(s)\n", list.n, c->cfg->accounts.nfiles, errs.count,
	    warns.count);
	printf("configuration file %s test %s\n", c->config_path,
	    bad ? "failed" : "is successful");
	acctlist_free(&list);
	errlist_clear(&errs);
	errlist_clear(&warns);
	return bad;
}

struct import_result {
	int			 done;
	int			 ok;
	struct acctsync_counts	 counts;
};

static void
import_done(void *arg, int ok, const struct acctsync_counts *counts,
    const char *errmsg)
{
	struct import_result	*r = arg;

	r->done = 1;
	r->ok = ok;
	if (ok)
		r->counts = *counts;
	else
		fprintf(stderr, "warmctl: account sync failed: %s\n", errmsg);
	loop_stop();
}

/* Run the daemon's sync on a loop of our own; 0 when applied. */
static int
sync_accounts(struct ctl *c, const struct acct_list *list,
    const struct secret_key *key, char **uas, size_t nuas,
    struct import_result *r)
{
	struct pg_opts	 opts = { 0 };
	struct pg_pool	*pool;

	if (loop_init() == -1) {
		fprintf(stderr, "warmctl: cannot create the event loop\n");
		return -1;
	}
	opts.conninfo = conninfo(c);
	opts.size = 1;
	opts.connect_timeout_ms = c->cfg->database.connect_timeout_ms;
	opts.statement_timeout_ms = c->cfg->database.statement_timeout_ms;
	/* One try is enough for a tool; the operator re-runs it. */
	opts.queue_timeout_ms = c->cfg->database.connect_timeout_ms + 1000;
	opts.reconnect_min_ms = c->cfg->database.reconnect_min_ms;
	opts.reconnect_max_ms = c->cfg->database.reconnect_max_ms;
	opts.application_name = "warmctl";
	if ((pool = pg_pool_new(loop_base(), &opts)) == NULL) {
		fprintf(stderr, "warmctl: cannot create the database pool\n");
		loop_free();
		return -1;
	}
	acctsync_start(pool, list, key, (const char *const *)uas, nuas,
	    import_done, r);
	while (!r->done)
		if (loop_run() == -1)
			break;
	pg_pool_free(pool);
	loop_free();
	return r->done && r->ok ? 0 : -1;
}

/* Refuse to write into a schema this warmctl does not know; 0 if current. */
static int
import_schema_ok(struct ctl *c)
{
	PGconn	*conn;
	char	 msg[512];
	int	 rc;

	if ((conn = db_connect(c)) == NULL)
		return -1;
	rc = schema_check(conn, schema_sqldir(c->sqldir), msg, sizeof(msg));
	PQfinish(conn);
	if (rc != 0)
		fprintf(stderr, "warmctl: %s\n", msg);
	return rc;
}

static int
cmd_import(struct ctl *c, int argc, char **argv)
{
	struct errlist		 errs = { 0 }, warns = { 0 };
	struct acct_list	 list = { 0 };
	struct secret_key	 key;
	struct import_result	 r = { 0 };
	char			 err[512], **uas = NULL;
	size_t			 nuas = 0;
	int			 rv = 1;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: warmctl import\n");
		return EXIT_USAGE;
	}
	if (need_config(c) == -1)
		return 1;
	if (secret_key_load(c->cfg->accounts.key_file, &key, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "warmctl: %s\n", err);
		return 1;
	}
	if (c->cfg->accounts.user_agents != NULL &&
	    acctsync_load_user_agents(c->cfg->accounts.user_agents, &uas,
	    &nuas, err, sizeof(err)) == -1) {
		fprintf(stderr, "warmctl: %s\n", err);
		goto out;
	}
	if (load_accounts(c, &list, &errs, &warns) == -1) {
		print_errors(&errs, "");
		/* A missing file would look like all its accounts removed. */
		fprintf(stderr, "warmctl: an account file could not be read, "
		    "nothing imported\n");
		goto out;
	}
	print_errors(&errs, "");
	print_errors(&warns, "warning: ");
	printf("%zu accounts read, %zu line(s) rejected, %zu warning(s)\n",
	    list.n, errs.count, warns.count);
	fflush(stdout);
	if (import_schema_ok(c) == -1)
		goto out;
	if (sync_accounts(c, &list, &key, uas, nuas, &r) == -1)
		goto out;
	printf("added %zu, changed %zu, removed %zu, reactivated %zu, "
	    "unchanged %zu\n", r.counts.added, r.counts.changed,
	    r.counts.removed, r.counts.reactivated, r.counts.unchanged);
	rv = errs.count > 0 ? 1 : 0;
out:
	secret_key_wipe(&key);
	for (size_t i = 0; i < nuas; i++)
		free(uas[i]);
	free(uas);
	acctlist_free(&list);
	errlist_clear(&errs);
	errlist_clear(&warns);
	return rv;
}

/* Browser exports are small; a bound keeps a wrong file from eating memory. */
#define COOKIE_FILE_MAX	(16 * 1024 * 1024)

char *
email_key(const char *s)
{
	char	*d = xstrdup(s);

	for (char *p = d; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

static void
wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

/*
 * The whole of path ("-" = stdin), NUL-terminated, length in *lenp; NULL
 * after printing why.  The caller wipes it: it holds live cookies.
 */
static char *
read_secret_file(const char *path, const char *name, size_t *lenp)
{
	FILE	*fp;
	char	*buf;
	size_t	 len = 0, n;

	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "warmctl: %s: %s\n", name, strerror(errno));
		return NULL;
	}
	/* One buffer, never reallocated: no stray copies of the cookies. */
	buf = xmalloc(COOKIE_FILE_MAX + 1);
	while ((n = fread(buf + len, 1, COOKIE_FILE_MAX + 1 - len, fp)) > 0)
		if ((len += n) > COOKIE_FILE_MAX)
			break;
	if (ferror(fp) || len > COOKIE_FILE_MAX) {
		fprintf(stderr, "warmctl: %s: %s\n", name, ferror(fp) ?
		    "read error" : "larger than 16 MB, not a cookie export");
		if (fp != stdin)
			fclose(fp);
		wipe_free(buf, len);
		return NULL;
	}
	if (fp != stdin)
		fclose(fp);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* The cookies kept from a file, as one blob (see mailru_cookies_serialize). */
struct cookie_blob {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 count;
	int	 full;
};

static int
add_cookie(void *arg, const char *line)
{
	struct cookie_blob	*b = arg;
	size_t			 n = strlen(line);

	/* A canonical line is never longer than its input: cap suffices. */
	if (b->len + n + 2 > b->cap) {
		b->full = 1;
		return -1;
	}
	memcpy(b->s + b->len, line, n);
	b->len += n;
	b->s[b->len++] = '\n';
	b->s[b->len] = '\0';
	b->count++;
	return 0;
}

/*
 * Check that blob is a mail.ru login of email: an Mpop cookie for the
 * mailbox host, whose third field is the mailbox it logs into.  0, or -1
 * after printing why (never the cookie itself).
 */
static int
check_mpop(const char *blob, const char *name, const char *email)
{
	char	*mpop, *p, *who, *end;
	size_t	 mlen;
	int	 rv = 0;

	if ((mpop = mailru_cookie_get(blob, "e.mail.ru", "Mpop")) == NULL) {
		fprintf(stderr, "warmctl: %s: no valid Mpop cookie for "
		    ".mail.ru (expired cookies are dropped): export the "
		    "cookies of a browser logged in to e.mail.ru; nothing "
		    "imported\n", name);
		return -1;
	}
	mlen = strlen(mpop);
	/* Mpop=<time>:<hex>:<email>: -- a session of another mailbox? */
	if ((p = strchr(mpop, ':')) != NULL && (p = strchr(p + 1, ':')) !=
	    NULL) {
		who = p + 1;
		if ((end = strchr(who, ':')) != NULL)
			*end = '\0';
		if (strchr(who, '@') != NULL && strcasecmp(who, email) != 0) {
			fprintf(stderr, "warmctl: %s: the session is %s's, not "
			    "%s; nothing imported\n", name, who, email);
			rv = -1;
		}
	}
	wipe_free(mpop, mlen);
	return rv;
}

/* Connect and check the schema has the columns we write; NULL after printing why. */
PGconn *
db_connect_current(struct ctl *c)
{
	PGconn	*conn;
	char	 msg[512];

	if ((conn = db_connect(c)) == NULL)
		return NULL;
	if (schema_check(conn, schema_sqldir(c->sqldir), msg,
	    sizeof(msg)) != 0) {
		fprintf(stderr, "warmctl: %s\n", msg);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* The id of the account email (lower-cased); NULL after printing why. */
static char *
account_id(PGconn *conn, const char *email)
{
	const char	*params[1] = { email };
	PGresult	*res;
	char		*id = NULL;

	res = PQexecParams(conn, "SELECT id FROM accounts WHERE email = $1",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "warmctl: %s", PQresultErrorMessage(res));
	else if (PQntuples(res) == 0)
		fprintf(stderr, "warmctl: no account %s (import the account "
		    "files first)\n", email);
	else
		id = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return id;
}

static int
cmd_import_session(struct ctl *c, int argc, char **argv)
{
	struct cookie_blob	 b = { 0 };
	struct secret_key	 key;
	const char		*name, *params[2];
	PGconn			*conn = NULL;
	PGresult		*res;
	unsigned char		*sealed = NULL;
	char			*text, *email, *id = NULL, *hex = NULL;
	char			 err[512];
	size_t			 len, nbad, first_bad, slen;
	int			 rv = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: warmctl import-session EMAIL FILE|-\n");
		return EXIT_USAGE;
	}
	name = strcmp(argv[2], "-") == 0 ? "(stdin)" : argv[2];
	if (need_config(c) == -1)
		return 1;
	if (secret_key_load(c->cfg->accounts.key_file, &key, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "warmctl: %s\n", err);
		return 1;
	}
	email = email_key(argv[1]);
	if ((text = read_secret_file(argv[2], name, &len)) == NULL)
		goto out;
	b.cap = len + 2;
	b.s = xmalloc(b.cap);
	b.s[0] = '\0';
	mailru_cookies_file_parse(text, len, time(NULL), add_cookie, &b,
	    &nbad, &first_bad);
	wipe_free(text, len);
	/* All or nothing: a half-read export is a session that half works. */
	if (nbad > 0) {
		fprintf(stderr, "warmctl: %s:%zu: not a Netscape cookie line "
		    "(%zu bad line(s)); nothing imported\n", name, first_bad,
		    nbad);
		goto out;
	}
	if (b.full) {
		fprintf(stderr, "warmctl: %s: cookies longer than the file; "
		    "nothing imported\n", name);
		goto out;
	}
	if (b.count == 0) {
		fprintf(stderr, "warmctl: %s: no unexpired cookies; nothing "
		    "imported\n", name);
		goto out;
	}
	if (check_mpop(b.s, name, email) == -1)
		goto out;
	if ((conn = db_connect_current(c)) == NULL ||
	    (id = account_id(conn, email)) == NULL)
		goto out;
	/* Sealed like the password: the account id is the associated data. */
	if ((sealed = secret_seal(&key, id, strlen(id), b.s, b.len,
	    &slen)) == NULL) {
		fprintf(stderr, "warmctl: cannot encrypt the session\n");
		goto out;
	}
	hex = secret_to_pg_bytea_hex(sealed, slen);
	params[0] = id;
	params[1] = hex;
	res = PQexecParams(conn, "UPDATE accounts SET imported_session ="
	    " $2::bytea, imported_session_at = now() WHERE id = $1::uuid",
	    2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK ||
	    strcmp(PQcmdTuples(res), "1") != 0)
		fprintf(stderr, "warmctl: storing the session failed: %s",
		    PQresultStatus(res) != PGRES_COMMAND_OK ?
		    PQresultErrorMessage(res) : "the account is gone\n");
	else {
		printf("imported %d cookie(s) for %s\n", b.count, email);
		rv = 0;
	}
	PQclear(res);
out:
	if (conn != NULL)
		PQfinish(conn);
	secret_key_wipe(&key);
	wipe_free(b.s, b.cap);
	free(sealed);
	free(hex);
	free(id);
	free(email);
	return rv;
}

static const char *const auth_methods[] = { "mobile", "web", "cookies" };

#define NAUTH	(sizeof(auth_methods) / sizeof(auth_methods[0]))

/*
 * "mobile, web" → "mobile,web": known names, each at most once, spaces
 * around them ignored; NULL after printing why.
 */
static char *
auth_list(const char *list)
{
	char		*copy = xstrdup(list), *tok, *p, *save = NULL;
	char		*out = xstrdup("");
	int		 seen[NAUTH] = { 0 };
	size_t		 i;

	for (tok = copy; tok != NULL; tok = p) {
		if ((p = strchr(tok, ',')) != NULL)
			*p++ = '\0';
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok); e > tok &&
		    (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		for (i = 0; i < NAUTH; i++)
			if (strcmp(tok, auth_methods[i]) == 0)
				break;
		if (i == NAUTH || seen[i]++) {
			fprintf(stderr, "warmctl: %s: %s \"%s\"; expected a "
			    "comma-separated list of mobile, web, cookies, "
			    "or default\n", list, i == NAUTH ?
			    "unknown method" : "repeated method", tok);
			free(out);
			out = NULL;
			break;
		}
		save = out;
		out = xasprintf("%s%s%s", save, *save != '\0' ? "," : "", tok);
		free(save);
	}
	free(copy);
	return out;
}

static int
cmd_set_auth(struct ctl *c, int argc, char **argv)
{
	const char	*params[2];
	PGconn		*conn;
	PGresult	*res;
	char		*email, *methods = NULL;
	int		 rv = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: warmctl set-auth EMAIL "
		    "LIST|default\n");
		return EXIT_USAGE;
	}
	if (strcmp(argv[2], "default") != 0 &&
	    (methods = auth_list(argv[2])) == NULL)
		return 1;
	email = email_key(argv[1]);
	if ((conn = db_connect_current(c)) == NULL)
		goto out;
	params[0] = email;
	params[1] = methods;
	res = PQexecParams(conn, "UPDATE accounts SET auth_methods = $2"
	    " WHERE email = $1 RETURNING imported_session IS NOT NULL",
	    2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "warmctl: %s", PQresultErrorMessage(res));
	else if (PQntuples(res) == 0)
		fprintf(stderr, "warmctl: no account %s (import the account "
		    "files first)\n", email);
	else {
		if (methods == NULL)
			printf("%s: auth methods cleared, the config's order "
			    "applies\n", email);
		else
			printf("%s: auth methods set to %s\n", email, methods);
		if (methods != NULL && strstr(methods, "cookies") != NULL &&
		    strcmp(PQgetvalue(res, 0, 0), "t") != 0)
			fprintf(stderr, "warmctl: warning: %s has no imported "
			    "session yet (warmctl import-session)\n", email);
		rv = 0;
	}
	PQclear(res);
	PQfinish(conn);
out:
	free(methods);
	free(email);
	return rv;
}

static int
cmd_version(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	printf("warmctl (warmd) %s\n", PACKAGE_VERSION);
	return 0;
}

static int
cmd_help(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "sql-dir", required_argument, NULL, 'S' },
		{ "db", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl	 c = { .config_path = WARMD_CONFIG_FILE };
	int		 ch, rv;

	log_init("warmctl");
	/* "+": stop at the subcommand, whose options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c.config_path = optarg;
			break;
		case 'S':
			c.sqldir = optarg;
			break;
		case 'D':
			c.conninfo = optarg;
			break;
		case 'v':
			c.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return cmd_version(&c, 0, NULL);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Quiet by default: the commands print their own results. */
	log_set_level(c.verbose >= 2 ? LL_DEBUG : c.verbose == 1 ? LL_INFO :
	    LL_WARN);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		rv = commands[i].fn(&c, argc, argv);
		config_free(c.cfg);
		return rv;
	}
	fprintf(stderr, "warmctl: unknown command %s\n", argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}
