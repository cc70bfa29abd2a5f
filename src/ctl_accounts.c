/*
 * warmctl accounts and warmctl resume: the accounts as people look at
 * them (status, why, health score, when an automatic pause ends) and the
 * way back to work for the ones a person has looked at.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "ctl.h"
#include "proxy.h"
#include "xmalloc.h"

/*
 * The score decayed to now (health_now), and when an automatic pause
 * ends; accounts never observed have no health row and show 100.
 */
static const char list_sql[] =
    "SELECT a.email, a.status, a.status_reason, a.proxy_uri,"
    " CASE WHEN h.account_id IS NULL THEN 100"
    "  ELSE round(health_now(h, $2::float8)) END AS health,"
    " to_char(h.paused_until AT TIME ZONE $3::text, 'YYYY-MM-DD HH24:MI')"
    " FROM accounts a LEFT JOIN account_health h ON h.account_id = a.id"
    " WHERE $1::text IS NULL OR a.status = $1 ORDER BY a.email";

/*
 * Back to work: the status and its reason cleared, the penalties
 * forgiven (a person vouched for the account) and the pause forgotten.
 * By address, or every account whose reason contains the text.  The
 * notification wakes the daemons, whose claims skip inactive accounts.
 */
static const char resume_sql[] =
    "WITH o AS (SELECT id, status_reason AS was FROM accounts"
    "  WHERE status <> 'active' AND (email IN"
    "  (SELECT jsonb_array_elements_text($1::jsonb)) OR"
    "  ($2::text IS NOT NULL AND strpos(lower(status_reason),"
    "  lower($2::text)) > 0)) FOR UPDATE),"
    " a AS (UPDATE accounts SET status = 'active', status_reason = NULL,"
    "  consecutive_failures = 0 FROM o WHERE accounts.id = o.id"
    "  RETURNING accounts.id, accounts.email, o.was),"
    " h AS (UPDATE account_health SET login = 0, transient = 0, send = 0,"
    "  spam = 0, score = 100, updated_at = now(), paused_until = NULL,"
    "  probation = false WHERE account_id IN (SELECT id FROM a)),"
    " n AS (SELECT pg_notify('warmd_jobs', 'resume'))"
    " SELECT a.email, a.was FROM a, n ORDER BY a.email";

/* A stored proxy URI with its password hidden; malloc'd. */
static char *
proxy_for_display(const char *uri)
{
	struct proxy	 p;
	const char	*why;
	char		*s;

	if (proxy_parse(uri, NULL, &p, &why) == -1)
		return xstrdup("(unparsable proxy)");
	s = proxy_redacted(&p);
	proxy_clear(&p);
	return s;
}

static const char *
val(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void
print_rows(const PGresult *res, int as_json)
{
	json_t	*arr = json_array();
	char	*s;

	if (!as_json)
		printf("%-40s %-10s %6s %-30s %s\n", "EMAIL", "STATUS", "HEALTH",
		    "PROXY", "REASON");
	for (int i = 0; i < PQntuples(res); i++) {
		char		*proxy = NULL;
		const char	*until = val(res, i, 5), *reason = val(res, i, 2);

		if (val(res, i, 3) != NULL)
			proxy = proxy_for_display(val(res, i, 3));
		if (as_json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s?,"
			    " s:s?, s:i, s:s?}", "email", val(res, i, 0),
			    "status", val(res, i, 1), "reason", reason,
			    "proxy", proxy, "health", atoi(val(res, i, 4)),
			    "paused_until", strcmp(val(res, i, 1), "active") ==
			    0 ? NULL : until));
		else
			printf("%-40s %-10s %6s %-30s %s%s%s\n", val(res, i, 0),
			    val(res, i, 1), val(res, i, 4),
			    proxy != NULL ? proxy : "-",
			    reason != NULL ? reason : "-",
			    until != NULL && reason != NULL ? "; tried again at " :
			    "", until != NULL && reason != NULL ? until : "");
		free(proxy);
	}
	if (as_json) {
		s = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	}
	json_decref(arr);
}

int
cmd_accounts(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*status = NULL, *params[3];
	char		 hl[32];
	PGconn		*conn;
	PGresult	*res;
	int		 ch, as_json = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+s:j", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			status = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc || (status != NULL &&
	    strcmp(status, "active") != 0 && strcmp(status, "error") != 0 &&
	    strcmp(status, "suspended") != 0)) {
		fprintf(stderr, "usage: warmctl accounts "
		    "[--status active|error|suspended] [--json]\n");
		return EXIT_USAGE;
	}
	if (need_config(c) == -1 || (conn = db_connect_current(c)) == NULL)
		return 1;
	snprintf(hl, sizeof(hl), "%.3f", c->cfg->health.half_life_ms / 1000.0);
	params[0] = status;
	params[1] = hl;
	params[2] = c->cfg->warmd.time_zone;
	res = PQexecParams(conn, list_sql, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "warmctl: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		return 1;
	}
	print_rows(res, as_json);
	PQclear(res);
	PQfinish(conn);
	return 0;
}

/* The addresses as a JSON array, as accounts.email holds them; NULL after saying which is not UTF-8. */
static char *
email_list(char **emails, int n)
{
	json_t	*arr = json_array(), *v;
	char	*s;

	for (int i = 0; i < n; i++) {
		s = email_key(emails[i]);
		v = json_string(s);
		free(s);
		if (v == NULL) {
			fprintf(stderr, "warmctl: resume: argument %d is not"
			    " valid UTF-8\n", i + 1);
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, v);
	}
	s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

int
cmd_resume(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all-reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*reason = NULL, *params[2];
	char		*arr;
	PGconn		*conn;
	PGresult	*res;
	int		 ch, n, rv;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+r:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			reason = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if ((reason == NULL) == (optind == argc) ||
	    (reason != NULL && *reason == '\0')) {
		fprintf(stderr, "usage: warmctl resume EMAIL... | warmctl resume"
		    " --all-reason TEXT\n");
		return EXIT_USAGE;
	}
	if ((arr = email_list(argv + optind, argc - optind)) == NULL)
		return EXIT_USAGE;
	if ((conn = db_connect_current(c)) == NULL) {
		free(arr);
		return 1;
	}
	params[0] = arr;
	params[1] = reason;
	res = PQexecParams(conn, resume_sql, 2, NULL, params, NULL, NULL, 0);
	free(arr);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "warmctl: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		return 1;
	}
	n = PQntuples(res);
	for (int i = 0; i < n; i++)
		printf("%s: resumed (was: %s)\n", PQgetvalue(res, i, 0),
		    PQgetisnull(res, i, 1) ? "no reason" :
		    PQgetvalue(res, i, 1));
	if (n == 0)
		fprintf(stderr, "warmctl: no account to resume%s\n",
		    reason != NULL ? " with that reason" :
		    " (unknown, or already active)");
	else
		printf("%d account(s) back to work\n", n);
	rv = n > 0 ? 0 : 1;
	PQclear(res);
	PQfinish(conn);
	return rv;
}
