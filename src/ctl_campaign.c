/*
 * Campaigns from the command line: warmctl rescue and warmctl engage
 * insert an ad hoc campaign (source 'cli') for the daemon's planner to
 * pick up, warmctl campaigns lists them all, warmctl cancel stops one.
 *
 * The options are handed to the config's own campaign parser (campcfg.c)
 * as the keys of one [campaign] section, so a CLI campaign is checked
 * exactly like a config one and gets the same canonical params; only the
 * messages are reworded to name the options.  A relative --date (today,
 * yesterday) is fixed to the day it means now in the campaign's zone: an
 * ad hoc campaign is about letters already received.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "campcfg.h"
#include "config.h"
#include "ctl.h"
#include "xmalloc.h"

#define DEFAULT_TIME_ZONE	"Europe/Moscow"
/* The section name while parsing when --name is not given. */
#define PLACEHOLDER_NAME	"warmctl"

/* An option and the campaign key it sets. */
struct adhoc_opt {
	const char	*option;	/* without "--" */
	const char	*key;
	int		 flag;		/* no argument: key = value */
	const char	*value;
};

static const struct adhoc_opt adhoc_opts[] = {
	{ "subject", "subject", 0, NULL },
	{ "body", "body", 0, NULL },
	{ "date", "date", 0, NULL },
	{ "time-zone", "time_zone", 0, NULL },
	{ "seed", "seed", 0, NULL },
	{ "holdout", "holdout", 0, NULL },
	{ "percent", "percent", 0, NULL },
	{ "template", "reply_template", 0, NULL },
	{ "hours", "hours", 0, NULL },
	{ "weekdays", "weekdays", 0, NULL },
	{ "max-attempts", "max_attempts", 0, NULL },
	{ "mark-read", "mark_read", 1, "yes" },
	{ "flag", "flag", 1, "yes" },
	{ "no-not-spam", "not_spam", 1, "no" },
};

#define NADHOC	(sizeof(adhoc_opts) / sizeof(adhoc_opts[0]))

struct adhoc {
	const char	*kind;		/* "rescue" or "engage" */
	const char	*name;		/* --name, or NULL */
	char		*val[NADHOC];	/* as given; --template lists joined */
	int		 bad;		/* problems printed so far */
};

/* FNV-1a 64, as campcfg derives a config campaign's seed from its name. */
static uint64_t
fnv1a64(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The value given for key, or NULL. */
static const char *
adhoc_value(const struct adhoc *a, const char *key)
{
	for (size_t i = 0; i < NADHOC; i++)
		if (strcmp(adhoc_opts[i].key, key) == 0)
			return a->val[i];
	return NULL;
}

/*
 * campcfg's error callback.  Its messages read "warmctl: campaign
 * NAME.KEY: text"; they are printed as "warmctl: --OPTION: text".  Lines
 * of a template's own errors ("path:line: text") pass unchanged.
 */
static void
adhoc_error(void *arg, unsigned fileidx, unsigned line, const char *msg)
{
	struct adhoc	*a = arg;
	const char	*p = msg, *name, *colon;
	size_t		 n;

	(void)fileidx;
	(void)line;
	a->bad++;
	name = a->name != NULL ? a->name : PLACEHOLDER_NAME;
	n = strlen(name);
	if (strncmp(p, "warmctl: ", 9) == 0)
		p += 9;
	if (strncmp(p, "[campaign]: ", 12) == 0) {
		fprintf(stderr, "warmctl: --name: %s\n", p + 12);
		return;
	}
	if (strncmp(p, "campaign ", 9) != 0 || strncmp(p + 9, name, n) != 0 ||
	    (p[9 + n] != '.' && p[9 + n] != ':')) {
		/* A template's error, or the name itself rejected. */
		fprintf(stderr, "warmctl: %s\n", p);
		return;
	}
	p += 9 + n;
	if (*p == ':') {
		fprintf(stderr, "warmctl: %s%s\n", a->kind, p);
		return;
	}
	p++;
	if ((colon = strstr(p, ": ")) == NULL) {
		fprintf(stderr, "warmctl: %s: %s\n", a->kind, p);
		return;
	}
	for (size_t i = 0; i < NADHOC; i++)
		if (strlen(adhoc_opts[i].key) == (size_t)(colon - p) &&
		    strncmp(adhoc_opts[i].key, p, (size_t)(colon - p)) == 0) {
			fprintf(stderr, "warmctl: --%s: %s\n",
			    adhoc_opts[i].option, colon + 2);
			return;
		}
	fprintf(stderr, "warmctl: %s: %s\n", a->kind, p);
}

/* Whether s has a control character (a value is one line of text). */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* The time zone default: the config's [warmd] time_zone, else Moscow. */
static const char *
default_time_zone(struct ctl *c)
{
	/* With --db and no config file there is no config to ask. */
	if (c->conninfo != NULL && access(c->config_path, F_OK) == -1 &&
	    errno == ENOENT)
		return DEFAULT_TIME_ZONE;
	if (need_config(c) == -1)
		return NULL;
	return c->cfg->warmd.time_zone != NULL ? c->cfg->warmd.time_zone :
	    DEFAULT_TIME_ZONE;
}

/* "today" or "yesterday" in time zone tz, as YYYY-MM-DD into buf. */
static void
relative_day(const char *v, const char *tz, char *buf, size_t len)
{
	char		*old;
	struct tm	 tm;
	time_t		 now;

	old = getenv("TZ") != NULL ? xstrdup(getenv("TZ")) : NULL;
	setenv("TZ", tz, 1);
	tzset();
	now = time(NULL);
	localtime_r(&now, &tm);
	if (strcmp(v, "yesterday") == 0) {
		/* Noon, so a DST change cannot skip or repeat a day. */
		tm.tm_mday--;
		tm.tm_hour = 12;
		tm.tm_isdst = -1;
		mktime(&tm);
	}
	strftime(buf, len, "%Y-%m-%d", &tm);
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
}

/*
 * Check the options as a [campaign] section; the canonical params (the
 * seed, when --seed was given, into *seed), or NULL after printing every
 * problem.
 */
static json_t *
adhoc_params(struct ctl *c, struct adhoc *a, long long *seed)
{
	struct camp_parse	*cp;
	struct camp_set		*set;
	json_t			*params = NULL;
	const char		*tz, *date;
	char			*cwd, day[16];

	if ((tz = default_time_zone(c)) == NULL)
		return NULL;
	for (size_t i = 0; i < NADHOC; i++)
		if (a->val[i] != NULL && has_control(a->val[i])) {
			fprintf(stderr, "warmctl: --%s: must be one line of "
			    "text without control characters\n",
			    adhoc_opts[i].option);
			a->bad++;
		}
	if (a->bad)
		return NULL;
	if ((cwd = getcwd(NULL, 0)) == NULL) {
		fprintf(stderr, "warmctl: current directory: %s\n",
		    strerror(errno));
		return NULL;
	}
	cp = camp_parse_new(adhoc_error, a);
	/* Line 0: messages carry no line number, there is no file. */
	if (camp_parse_section(cp, 0, "warmctl", cwd, 0, a->name != NULL ?
	    a->name : PLACEHOLDER_NAME) == 0) {
		camp_parse_key(cp, 0, "kind", a->kind);
		for (size_t i = 0; i < NADHOC; i++)
			if (a->val[i] != NULL)
				camp_parse_key(cp, 0, adhoc_opts[i].key,
				    a->val[i]);
	}
	set = camp_parse_finish(cp, tz);
	if (set->n == 1 && a->bad == 0) {
		params = json_incref(set->defs[0].params);
		*seed = set->defs[0].seed;
	}
	camp_set_free(set);
	camp_parse_free(cp);
	free(cwd);
	if (params == NULL) {
		if (a->bad == 0)
			fprintf(stderr, "warmctl: %s: the options do not make "
			    "a valid campaign\n", a->kind);
		return NULL;
	}
	date = json_string_value(json_object_get(params, "date"));
	if (date != NULL && (strcmp(date, "today") == 0 ||
	    strcmp(date, "yesterday") == 0)) {
		relative_day(date, json_string_value(json_object_get(params,
		    "time_zone")), day, sizeof(day));
		json_object_set_new(params, "date", json_string(day));
	}
	return params;
}

static void
adhoc_usage(const char *kind)
{
	if (strcmp(kind, "engage") == 0)
		fprintf(stderr, "usage: warmctl engage --subject TEXT|--body "
		    "TEXT --date YYYY-MM-DD|today|yesterday\n"
		    "           --percent PCT --template FILE[,FILE] "
		    "[--no-not-spam] [--mark-read] [--flag]\n"
		    "           [--holdout PCT] [--name NAME] [--time-zone TZ] "
		    "[--seed N]\n"
		    "           [--hours HH:MM-HH:MM] [--weekdays mon-fri] "
		    "[--max-attempts N]\n");
	else
		fprintf(stderr, "usage: warmctl rescue --subject TEXT|--body "
		    "TEXT --date YYYY-MM-DD|today|yesterday\n"
		    "           [--mark-read] [--flag] [--holdout PCT] "
		    "[--name NAME] [--time-zone TZ] [--seed N]\n"
		    "           [--hours HH:MM-HH:MM] [--weekdays mon-fri] "
		    "[--max-attempts N]\n");
}

/* The options into a; 0, or EXIT_USAGE after printing the usage. */
static int
adhoc_options(struct adhoc *a, int argc, char **argv)
{
	struct option	 longopts[NADHOC + 2];
	char		*prev;
	int		 ch;
	size_t		 i;

	for (i = 0; i < NADHOC; i++) {
		longopts[i].name = adhoc_opts[i].option;
		longopts[i].has_arg = adhoc_opts[i].flag ? no_argument :
		    required_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 0x100 + (int)i;
	}
	longopts[i++] = (struct option){ "name", required_argument, NULL,
	    'n' };
	longopts[i] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'n') {
			a->name = optarg;
			continue;
		}
		if (ch < 0x100 || ch >= 0x100 + (int)NADHOC) {
			adhoc_usage(a->kind);
			return EXIT_USAGE;
		}
		i = (size_t)(ch - 0x100);
		prev = a->val[i];
		if (adhoc_opts[i].flag)
			a->val[i] = xstrdup(adhoc_opts[i].value);
		else if (prev != NULL && strcmp(adhoc_opts[i].key,
		    "reply_template") == 0)
			/* --template a --template b = --template a,b */
			a->val[i] = xasprintf("%s,%s", prev, optarg);
		else if (prev != NULL) {
			fprintf(stderr, "warmctl: --%s given twice\n",
			    adhoc_opts[i].option);
			a->bad++;
			continue;
		} else
			a->val[i] = xstrdup(optarg);
		free(prev);
	}
	if (optind != argc) {
		fprintf(stderr, "warmctl: %s: unexpected argument %s\n",
		    a->kind, argv[optind]);
		adhoc_usage(a->kind);
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * Insert the campaign; 0, or -1 after printing why (a taken name
 * included: nothing is ever overwritten).
 */
static int
insert_campaign(PGconn *conn, const char *kind, const char *name,
    const char *params, const char *seed)
{
	const char	*vals[4] = { name, kind, params, seed };
	PGresult	*res;
	int		 rv = -1;

	res = PQexecParams(conn, "INSERT INTO campaigns (name, kind, params,"
	    " seed, source, origin) VALUES ($1, $2, $3::jsonb, $4::bigint,"
	    " 'cli', 'warmctl') ON CONFLICT (name) DO NOTHING RETURNING id",
	    4, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "warmctl: %s", PQresultErrorMessage(res));
	else if (PQntuples(res) == 0)
		fprintf(stderr, "warmctl: a campaign named %s already exists "
		    "(choose another --name, or see warmctl report %s)\n",
		    name, name);
	else
		rv = 0;
	PQclear(res);
	return rv;
}

static int
cmd_adhoc(struct ctl *c, const char *kind, int argc, char **argv)
{
	struct adhoc	 a = { .kind = kind };
	json_t		*params = NULL;
	PGconn		*conn = NULL;
	char		*text = NULL, *name = NULL, seed[32];
	long long	 n = 0;
	int		 rv;

	if ((rv = adhoc_options(&a, argc, argv)) != 0)
		goto out;
	rv = 1;
	if (a.bad || (params = adhoc_params(c, &a, &n)) == NULL)
		goto out;
	text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_REAL_PRECISION(17));
	/* Default name: kind, day, and a hash of everything else. */
	name = a.name != NULL ? xstrdup(a.name) : xasprintf("%s-%s-%08x",
	    kind, json_string_value(json_object_get(params, "date")),
	    (unsigned)(fnv1a64(text) >> 32));
	/* campcfg seeded from the name it saw: the final one decides. */
	if (adhoc_value(&a, "seed") == NULL)
		n = (long long)(fnv1a64(name) & 0x7fffffffffffffffULL);
	snprintf(seed, sizeof(seed), "%lld", n);
	if ((conn = db_connect_current(c)) == NULL ||
	    insert_campaign(conn, kind, name, text, seed) == -1)
		goto out;
	printf("campaign %s created (%s, seed %s)\n", name, kind, seed);
	printf("the running warmd picks it up within a planner tick; follow "
	    "it with: warmctl report %s\n", name);
	rv = 0;
out:
	if (conn != NULL)
		PQfinish(conn);
	for (size_t i = 0; i < NADHOC; i++)
		free(a.val[i]);
	json_decref(params);
	free(text);
	free(name);
	return rv;
}

int
cmd_rescue(struct ctl *c, int argc, char **argv)
{
	return cmd_adhoc(c, "rescue", argc, argv);
}

int
cmd_engage(struct ctl *c, int argc, char **argv)
{
	return cmd_adhoc(c, "engage", argc, argv);
}

int
cmd_campaigns(struct ctl *c, int argc, char **argv)
{
	PGconn		*conn;
	PGresult	*res;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: warmctl campaigns\n");
		return EXIT_USAGE;
	}
	if ((conn = db_connect_current(c)) == NULL)
		return 1;
	res = PQexec(conn, "SELECT c.name, c.kind, c.status, c.source,"
	    " to_char(c.created_at, 'YYYY-MM-DD HH24:MI'),"
	    " count(j.id) FILTER (WHERE j.status = 'done'),"
	    " count(j.id) FILTER (WHERE j.status = 'failed'),"
	    " count(j.id) FILTER (WHERE j.status IN ('new', 'running'))"
	    " FROM campaigns c LEFT JOIN jobs j ON j.campaign_id = c.id"
	    " GROUP BY c.id ORDER BY c.created_at, c.id");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "warmctl: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		return 1;
	}
	printf("%-36s %-7s %-9s %-6s %-16s %7s %7s %7s\n", "NAME", "KIND",
	    "STATUS", "SOURCE", "CREATED", "DONE", "FAILED", "PENDING");
	for (int i = 0; i < PQntuples(res); i++)
		printf("%-36s %-7s %-9s %-6s %-16s %7s %7s %7s\n",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		    PQgetvalue(res, i, 4), PQgetvalue(res, i, 5),
		    PQgetvalue(res, i, 6), PQgetvalue(res, i, 7));
	PQclear(res);
	PQfinish(conn);
	return 0;
}

/* Run one statement of the cancel transaction; NULL after printing. */
static PGresult *
cancel_step(PGconn *conn, const char *sql, const char *param,
    ExecStatusType want)
{
	const char	*params[1] = { param };
	PGresult	*res;

	res = PQexecParams(conn, sql, param != NULL ? 1 : 0, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != want) {
		fprintf(stderr, "warmctl: %s", PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

int
cmd_cancel(struct ctl *c, int argc, char **argv)
{
	PGconn		*conn;
	PGresult	*res;
	char		*id = NULL, *status = NULL, *ncancelled = NULL;
	int		 rv = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: warmctl cancel NAME\n");
		return EXIT_USAGE;
	}
	if ((conn = db_connect_current(c)) == NULL)
		return 1;
	if ((res = cancel_step(conn, "BEGIN", NULL, PGRES_COMMAND_OK)) == NULL)
		goto out;
	PQclear(res);
	/* The row lock orders us with a planner tick on the same campaign. */
	if ((res = cancel_step(conn, "SELECT id, status FROM campaigns"
	    " WHERE name = $1 FOR UPDATE", argv[1], PGRES_TUPLES_OK)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "warmctl: no campaign %s (warmctl campaigns "
		    "lists them)\n", argv[1]);
		PQclear(res);
		goto out;
	}
	id = xstrdup(PQgetvalue(res, 0, 0));
	status = xstrdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (strcmp(status, "done") == 0 || strcmp(status, "failed") == 0 ||
	    strcmp(status, "cancelled") == 0) {
		fprintf(stderr, "warmctl: campaign %s is already %s, nothing "
		    "to cancel\n", argv[1], status);
		goto out;
	}
	if ((res = cancel_step(conn, "UPDATE campaigns SET status ="
	    " 'cancelled', reason = 'cancelled by operator' WHERE id ="
	    " $1::bigint", id, PGRES_COMMAND_OK)) == NULL)
		goto out;
	PQclear(res);
	/* Running jobs finish; only the queued ones are withdrawn. */
	if ((res = cancel_step(conn, "UPDATE jobs SET status = 'cancelled',"
	    " finished_at = now(), error = 'cancelled by operator'"
	    " WHERE campaign_id = $1::bigint AND status = 'new'", id,
	    PGRES_COMMAND_OK)) == NULL)
		goto out;
	ncancelled = xstrdup(PQcmdTuples(res));
	PQclear(res);
	if ((res = cancel_step(conn, "COMMIT", NULL, PGRES_COMMAND_OK)) ==
	    NULL)
		goto out;
	PQclear(res);
	printf("campaign %s cancelled (was %s); %s queued job(s) cancelled, "
	    "running ones finish\n", argv[1], status, ncancelled);
	rv = 0;
out:
	/* Closing without COMMIT rolls back whatever was done. */
	PQfinish(conn);
	free(id);
	free(status);
	free(ncancelled);
	return rv;
}
