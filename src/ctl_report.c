/*
 * warmctl report CAMPAIGN and warmctl status: read-only views of the
 * database for the operator.
 *
 * Each command first gathers its figures into one JSON document with
 * parameterised queries, then prints that document as a table (default),
 * as JSON (--json) or as CSV sections (--csv), so the three forms can
 * never disagree.  CSV: every section starts with a header line; the
 * first field of every line, header or row, is the section's name, and
 * an empty line separates sections (layout in README.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "campaign.h"
#include "ctl.h"
#include "xmalloc.h"

/* The tasks whose done result says where the letter was found. */
#define SCENARIO_TASKS	CAMPAIGN_SCENARIO_TASKS

/* Failure lines shown in the table form; --json and --csv list all. */
#define TABLE_MAX_LINES	20

#define JSON_FLAGS	(JSON_INDENT(2) | JSON_REAL_PRECISION(10) | \
			    JSON_PRESERVE_ORDER)

/* Rows of a query, or NULL after printing the server's error. */
static PGresult *
query(PGconn *conn, const char *sql, int n, const char *const *params)
{
	PGresult	*res;

	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "warmctl: %s", PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

static json_int_t
col_int(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 :
	    (json_int_t)strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* A text column as a JSON string, or null. */
static json_t *
col_str(PGresult *res, int row, int col)
{
	json_t	*s;

	if (PQgetisnull(res, row, col))
		return json_null();
	/* The database is UTF-8; json_string fails only on broken text. */
	if ((s = json_string(PQgetvalue(res, row, col))) == NULL)
		s = json_null();
	return s;
}

static json_int_t
jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* A string member, or def when it is absent or not a string. */
static const char *
jstr(const json_t *o, const char *key, const char *def)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : def;
}

/* 100 * inbox / (inbox + spam), one decimal; null when nothing found. */
static json_t *
rate_json(json_int_t inbox, json_int_t spam)
{
	json_int_t	n = inbox + spam;

	if (n <= 0)
		return json_null();
	return json_real((double)((inbox * 1000 + n / 2) / n) / 10.0);
}

/* "83.3%" or "n/a" for a rate member. */
static const char *
rate_str(const json_t *o, char *buf, size_t len)
{
	const json_t	*r = json_object_get(o, "rate");

	if (!json_is_number(r))
		return "n/a";
	snprintf(buf, len, "%.1f%%", json_number_value(r));
	return buf;
}

/* {"inbox": n, "spam": n, "none": n, "rate": x|null} */
static json_t *
place_new(json_int_t inbox, json_int_t spam, json_int_t none)
{
	return json_pack("{sI sI sI so}", "inbox", inbox, "spam", spam,
	    "none", none, "rate", rate_json(inbox, spam));
}

static void
place_add(json_t *o, json_int_t inbox, json_int_t spam, json_int_t none)
{
	inbox += jint(o, "inbox");
	spam += jint(o, "spam");
	none += jint(o, "none");
	json_object_set_new(o, "inbox", json_integer(inbox));
	json_object_set_new(o, "spam", json_integer(spam));
	json_object_set_new(o, "none", json_integer(none));
	json_object_set_new(o, "rate", rate_json(inbox, spam));
}

/* Control characters (a multi-line error text) as spaces, for tables. */
static char *
one_line(const char *s)
{
	char	*d = xstrdup(s);

	for (char *p = d; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return d;
}

/* ---- CSV ------------------------------------------------------------- */

/* One field, quoted when it holds a comma, a quote or a line break. */
static void
csv_field(const char *s, int first)
{
	if (!first)
		putchar(',');
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/*
 * A CSV line from a JSON value per field: strings as they are, numbers
 * printed, null and absent members empty.
 */
static void
csv_values(const char *section, json_t *const *v, size_t n)
{
	char	buf[64];

	csv_field(section, 1);
	for (size_t i = 0; i < n; i++) {
		if (json_is_string(v[i]))
			csv_field(json_string_value(v[i]), 0);
		else if (json_is_integer(v[i])) {
			snprintf(buf, sizeof(buf), "%lld",
			    (long long)json_integer_value(v[i]));
			csv_field(buf, 0);
		} else if (json_is_real(v[i])) {
			snprintf(buf, sizeof(buf), "%.1f", json_real_value(v[i]));
			csv_field(buf, 0);
		} else if (json_is_boolean(v[i]))
			csv_field(json_is_true(v[i]) ? "true" : "false", 0);
		else
			csv_field(NULL, 0);
	}
	putchar('\n');
}

/* The header line of a section: its name, then the column names. */
static void
csv_header(const char *section, const char *const *cols, int blank)
{
	if (blank)
		putchar('\n');
	csv_field(section, 1);
	for (size_t i = 0; cols[i] != NULL; i++)
		csv_field(cols[i], 0);
	putchar('\n');
}

/*
 * Every element of the array arr as a row of the columns cols (member
 * names of the element), after the section's header line.
 */
static void
csv_section(const char *section, const char *const *cols, json_t *arr)
{
	json_t	*el, *v[16];
	size_t	 i, n;

	csv_header(section, cols, 1);
	for (n = 0; cols[n] != NULL; n++)
		;
	json_array_foreach(arr, i, el) {
		for (size_t k = 0; k < n && k < 16; k++)
			v[k] = json_object_get(el, cols[k]);
		csv_values(section, v, n);
	}
}

/* ---- warmctl report -------------------------------------------------- */

struct report {
	PGconn		*conn;
	const char	*params[2];	/* campaign id, day (or NULL) */
	json_t		*doc;
};

/* The campaign row into doc.campaign; 0, or -1 after printing why. */
static int
report_campaign(struct report *r, const char *name)
{
	const char	*params[1] = { name };
	PGresult	*res;
	json_t		*c, *p;

	res = query(r->conn, "SELECT id, name, kind, status, source, origin,"
	    " seed, to_char(created_at, 'YYYY-MM-DD HH24:MI:SSOF'), reason,"
	    " params::text, CASE WHEN jsonb_typeof(params->'holdout') ="
	    " 'number' THEN (params->>'holdout')::numeric > 0 ELSE false END"
	    " FROM campaigns WHERE name = $1", 1, params);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		fprintf(stderr, "warmctl: no campaign %s (warmctl campaigns "
		    "lists them)\n", name);
		PQclear(res);
		return -1;
	}
	r->params[0] = xstrdup(PQgetvalue(res, 0, 0));
	if ((p = json_loads(PQgetvalue(res, 0, 9), 0, NULL)) == NULL)
		p = json_object();
	c = json_object();
	json_object_set_new(c, "name", col_str(res, 0, 1));
	json_object_set_new(c, "kind", col_str(res, 0, 2));
	json_object_set_new(c, "status", col_str(res, 0, 3));
	json_object_set_new(c, "source", col_str(res, 0, 4));
	json_object_set_new(c, "origin", col_str(res, 0, 5));
	json_object_set_new(c, "seed", json_integer(col_int(res, 0, 6)));
	json_object_set_new(c, "created_at", col_str(res, 0, 7));
	json_object_set_new(c, "reason", col_str(res, 0, 8));
	json_object_set_new(c, "params", p);
	json_object_set_new(r->doc, "campaign", c);
	json_object_set_new(r->doc, "day", r->params[1] != NULL ?
	    json_string(r->params[1]) : json_null());
	json_object_set_new(r->doc, "has_holdout",
	    json_boolean(strcmp(PQgetvalue(res, 0, 10), "t") == 0));
	PQclear(res);
	return 0;
}

/* doc.placement (per day: warmed, holdout, all) and doc.placement_total. */
static int
report_placement(struct report *r)
{
	PGresult	*res;
	json_t		*days, *day = NULL, *total;
	const char	*prev = NULL;

	res = query(r->conn, "SELECT to_char(plan_day, 'YYYY-MM-DD'),"
	    " coalesce(payload->>'observe', '') = 'true',"
	    " count(*) FILTER (WHERE result->>'placement' = 'inbox'),"
	    " count(*) FILTER (WHERE result->>'placement' = 'spam'),"
	    " count(*) FILTER (WHERE result->>'placement' = 'none')"
	    " FROM jobs WHERE campaign_id = $1 AND status = 'done'"
	    " AND task IN " SCENARIO_TASKS
	    " AND ($2::date IS NULL OR plan_day = $2::date)"
	    " GROUP BY plan_day, 2 ORDER BY plan_day NULLS LAST, 2",
	    2, r->params);
	if (res == NULL)
		return -1;
	days = json_array();
	total = json_pack("{so so so}", "warmed", place_new(0, 0, 0),
	    "holdout", place_new(0, 0, 0), "all", place_new(0, 0, 0));
	for (int i = 0; i < PQntuples(res); i++) {
		const char	*d = PQgetisnull(res, i, 0) ? NULL :
				    PQgetvalue(res, i, 0);
		const char	*group = strcmp(PQgetvalue(res, i, 1), "t") ==
				    0 ? "holdout" : "warmed";
		json_int_t	 in = col_int(res, i, 2), sp = col_int(res, i, 3);
		json_int_t	 no = col_int(res, i, 4);

		/* Rows come sorted by day: a new day starts a new entry. */
		if (day == NULL || (d == NULL) != (prev == NULL) ||
		    (d != NULL && strcmp(d, prev) != 0)) {
			day = json_pack("{so so so so}", "day", d != NULL ?
			    json_string(d) : json_null(), "warmed",
			    place_new(0, 0, 0), "holdout", place_new(0, 0, 0),
			    "all", place_new(0, 0, 0));
			json_array_append_new(days, day);
			prev = d;
		}
		place_add(json_object_get(day, group), in, sp, no);
		place_add(json_object_get(day, "all"), in, sp, no);
		place_add(json_object_get(total, group), in, sp, no);
		place_add(json_object_get(total, "all"), in, sp, no);
	}
	PQclear(res);
	json_object_set_new(r->doc, "placement", days);
	json_object_set_new(r->doc, "placement_total", total);
	return 0;
}

/* doc.jobs: the campaign's jobs by task and status. */
static int
report_jobs(struct report *r)
{
	PGresult	*res;
	json_t		*arr = json_array();

	res = query(r->conn, "SELECT task,"
	    " count(*) FILTER (WHERE status = 'done'),"
	    " count(*) FILTER (WHERE status = 'failed'),"
	    " count(*) FILTER (WHERE status IN ('new', 'running')),"
	    " count(*) FILTER (WHERE status = 'cancelled')"
	    " FROM jobs WHERE campaign_id = $1"
	    " AND ($2::date IS NULL OR plan_day = $2::date)"
	    " GROUP BY task ORDER BY task", 2, r->params);
	if (res == NULL) {
		json_decref(arr);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, json_pack("{so sI sI sI sI}",
		    "task", col_str(res, i, 0), "done", col_int(res, i, 1),
		    "failed", col_int(res, i, 2), "pending", col_int(res, i, 3),
		    "cancelled", col_int(res, i, 4)));
	PQclear(res);
	json_object_set_new(r->doc, "jobs", arr);
	return 0;
}

/*
 * doc.steps: the actions inside scenario results.  "ok" is done (its
 * count summed as letters), "skipped" is neither, anything else failed.
 */
static int
report_steps(struct report *r)
{
	PGresult	*res;
	json_t		*arr = json_array();

	res = query(r->conn, "SELECT s.key,"
	    " count(*) FILTER (WHERE s.value->>'status' = 'ok'),"
	    " coalesce(sum(CASE WHEN s.value->>'status' = 'ok' AND"
	    "  jsonb_typeof(s.value->'count') = 'number'"
	    "  THEN (s.value->>'count')::numeric END), 0)::bigint,"
	    " count(*) FILTER (WHERE coalesce(s.value->>'status', '')"
	    "  NOT IN ('ok', 'skipped'))"
	    " FROM jobs j, jsonb_each(CASE WHEN jsonb_typeof(j.result->'steps')"
	    "  = 'object' THEN j.result->'steps' ELSE '{}'::jsonb END) s"
	    " WHERE j.campaign_id = $1 AND j.status IN ('done', 'failed')"
	    " AND j.task IN " SCENARIO_TASKS
	    " AND ($2::date IS NULL OR j.plan_day = $2::date)"
	    " GROUP BY s.key ORDER BY s.key", 2, r->params);
	if (res == NULL) {
		json_decref(arr);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, json_pack("{so sI sI sI}",
		    "step", col_str(res, i, 0), "done", col_int(res, i, 1),
		    "letters", col_int(res, i, 2), "failed", col_int(res, i, 3)));
	PQclear(res);
	json_object_set_new(r->doc, "steps", arr);
	return 0;
}

/* doc.warmup: letters sent per day and where their recipients found them. */
static int
report_warmup(struct report *r)
{
	PGresult	*res;
	json_t		*arr = json_array(), *total, *o;

	res = query(r->conn, "SELECT to_char(plan_day, 'YYYY-MM-DD'),"
	    " count(*) FILTER (WHERE task = 'send' AND status = 'done'),"
	    " count(*) FILTER (WHERE task = 'send' AND status = 'failed'),"
	    " count(*) FILTER (WHERE task = 'warm_receive' AND status = 'done'"
	    "  AND result->>'placement' = 'inbox'),"
	    " count(*) FILTER (WHERE task = 'warm_receive' AND status = 'done'"
	    "  AND result->>'placement' = 'spam'),"
	    " count(*) FILTER (WHERE task = 'warm_receive' AND status = 'done'"
	    "  AND result->>'placement' = 'none')"
	    " FROM jobs WHERE campaign_id = $1"
	    " AND task IN ('send', 'warm_receive')"
	    " AND ($2::date IS NULL OR plan_day = $2::date)"
	    " GROUP BY plan_day ORDER BY plan_day NULLS LAST", 2, r->params);
	if (res == NULL) {
		json_decref(arr);
		return -1;
	}
	total = json_pack("{ss sI sI}", "day", "total", "sent", (json_int_t)0,
	    "send_failed", (json_int_t)0);
	place_add(total, 0, 0, 0);
	for (int i = 0; i < PQntuples(res); i++) {
		o = json_pack("{so sI sI}", "day", col_str(res, i, 0),
		    "sent", col_int(res, i, 1), "send_failed",
		    col_int(res, i, 2));
		place_add(o, col_int(res, i, 3), col_int(res, i, 4),
		    col_int(res, i, 5));
		place_add(total, col_int(res, i, 3), col_int(res, i, 4),
		    col_int(res, i, 5));
		json_object_set_new(total, "sent", json_integer(
		    jint(total, "sent") + jint(o, "sent")));
		json_object_set_new(total, "send_failed", json_integer(
		    jint(total, "send_failed") + jint(o, "send_failed")));
		json_array_append_new(arr, o);
	}
	PQclear(res);
	json_object_set_new(r->doc, "warmup", arr);
	json_object_set_new(r->doc, "warmup_total", total);
	return 0;
}

/*
 * The campaign's jobs that failed, and those that never ran because
 * their account stopped working (wrong password, a challenge, a ban):
 * the engine leaves such jobs queued and the planner then cancels them,
 * so without the account's own reason they would not show as failures.
 * Wraps select (over f: account_id, email, task, error) in the CTE.
 */
static char *
failed_sql(const char *select)
{
	return xasprintf("WITH f AS (SELECT j.account_id, a.email, j.task,"
	    " CASE WHEN j.status = 'failed' THEN coalesce(j.error, '')"
	    "  ELSE 'account ' || a.status ||"
	    "  coalesce(': ' || a.status_reason, '') END AS error"
	    " FROM jobs j JOIN accounts a ON a.id = j.account_id"
	    " WHERE j.campaign_id = $1 AND ($2::date IS NULL OR"
	    " j.plan_day = $2::date) AND (j.status = 'failed' OR"
	    " j.status IN ('new', 'cancelled') AND a.status <> 'active'))"
	    " %s", select);
}

/*
 * doc.failures: failed jobs (and those of accounts that stopped working)
 * grouped by error text, and the accounts behind them, most frequent
 * error first.
 */
static int
report_failures(struct report *r)
{
	PGresult	*res;
	json_t		*f, *reasons, *accounts;
	json_int_t	 njobs = 0;
	char		*sql;

	res = query(r->conn, sql = failed_sql("SELECT error, count(*),"
	    " count(DISTINCT account_id) FROM f GROUP BY 1 ORDER BY 2 DESC, 1"),
	    2, r->params);
	free(sql);
	if (res == NULL)
		return -1;
	reasons = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		json_array_append_new(reasons, json_pack("{so sI sI}",
		    "error", col_str(res, i, 0), "jobs", col_int(res, i, 1),
		    "accounts", col_int(res, i, 2)));
		njobs += col_int(res, i, 1);
	}
	PQclear(res);
	f = json_pack("{sI so}", "jobs", njobs, "reasons", reasons);
	json_object_set_new(r->doc, "failures", f);

	res = query(r->conn, sql = failed_sql("SELECT count(DISTINCT"
	    " account_id) FROM f"), 2, r->params);
	free(sql);
	if (res == NULL)
		return -1;
	json_object_set_new(f, "accounts_failed",
	    json_integer(col_int(res, 0, 0)));
	PQclear(res);

	res = query(r->conn, sql = failed_sql("SELECT email, task, error,"
	    " count(*) FROM f GROUP BY 1, 2, 3"
	    " ORDER BY sum(count(*)) OVER (PARTITION BY error) DESC, 3, 1, 2"),
	    2, r->params);
	free(sql);
	if (res == NULL)
		return -1;
	accounts = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(accounts, json_pack("{so so so sI}",
		    "email", col_str(res, i, 0), "task", col_str(res, i, 1),
		    "error", col_str(res, i, 2), "jobs", col_int(res, i, 3)));
	json_object_set_new(f, "accounts", accounts);
	PQclear(res);
	return 0;
}

/* A number member of params for display ("10"), or NULL. */
static char *
param_num(const json_t *params, const char *key)
{
	const json_t	*v = json_object_get(params, key);

	if (!json_is_number(v))
		return NULL;
	return xasprintf("%g", json_number_value(v));
}

/* The same as a JSON string, or null. */
static json_t *
num_or_null(const json_t *params, const char *key)
{
	char	*s = param_num(params, key);
	json_t	*v = s != NULL ? json_string(s) : json_null();

	free(s);
	return v;
}

static void
table_header(const json_t *doc)
{
	const json_t	*c = json_object_get(doc, "campaign");
	const json_t	*p = json_object_get(c, "params");
	const json_t	*m = json_object_get(p, "match");
	const char	*kind = jstr(c, "kind", "?");
	char		*num;

	printf("campaign  %s (%s, %s)\n", jstr(c, "name", "?"), kind,
	    jstr(c, "status", "?"));
	printf("source    %s (%s)\n", jstr(c, "source", "?"),
	    jstr(c, "origin", "-"));
	printf("seed      %lld\n", (long long)jint(c, "seed"));
	printf("created   %s\n", jstr(c, "created_at", "?"));
	if (json_object_get(m, "subject") != NULL)
		printf("match     subject \"%s\"\n", jstr(m, "subject", ""));
	else if (json_object_get(m, "body") != NULL)
		printf("match     body \"%s\"\n", jstr(m, "body", ""));
	if (json_object_get(p, "date") != NULL)
		printf("date      %s (%s)\n", jstr(p, "date", "?"),
		    jstr(p, "time_zone", "?"));
	if (strcmp(kind, "warmup") == 0)
		printf("days      %s .. %s (%s)\n", jstr(p, "start_date",
		    "start"), jstr(p, "end_date", "open end"),
		    jstr(p, "time_zone", "?"));
	if ((num = param_num(p, "percent")) != NULL)
		printf("percent   %s%% of the active accounts reply\n", num);
	free(num);
	num = param_num(p, "holdout");
	printf("holdout   %s%%\n", num != NULL ? num : "0");
	free(num);
	if (json_is_string(json_object_get(c, "reason")))
		printf("reason    %s\n", jstr(c, "reason", ""));
	if (json_is_string(json_object_get(doc, "day")))
		printf("day       %s only\n", jstr(doc, "day", ""));
}

static void
table_place_cells(const json_t *o)
{
	char	buf[16];

	printf(" %6lld %5lld %5lld %6s", (long long)jint(o, "inbox"),
	    (long long)jint(o, "spam"), (long long)jint(o, "none"),
	    rate_str(o, buf, sizeof(buf)));
}

static void
table_place_row(const char *day, const json_t *o, int holdout)
{
	printf("%-11s |", day);
	if (holdout) {
		table_place_cells(json_object_get(o, "warmed"));
		printf("  |");
		table_place_cells(json_object_get(o, "holdout"));
	} else
		table_place_cells(json_object_get(o, "all"));
	putchar('\n');
}

static void
table_placement(const json_t *doc)
{
	int	 holdout = json_is_true(json_object_get(doc, "has_holdout"));
	json_t	*days = json_object_get(doc, "placement"), *d;
	size_t	 i;

	printf("\nplacement (done scenario jobs; rate = inbox / (inbox + "
	    "spam))\n");
	if (holdout)
		printf("%-11s | %-25s  | %s\n", "", "warmed:", "holdout:");
	printf("%-11s | %6s %5s %5s %6s", "day", "inbox", "spam", "none",
	    "rate");
	if (holdout)
		printf("  | %6s %5s %5s %6s", "inbox", "spam", "none", "rate");
	putchar('\n');
	json_array_foreach(days, i, d)
		table_place_row(jstr(d, "day", "-"), d, holdout);
	table_place_row("total", json_object_get(doc, "placement_total"),
	    holdout);
}

static void
table_actions(const json_t *doc)
{
	json_t	*arr, *o;
	size_t	 i;

	printf("\njobs by task       %6s %6s %7s %9s\n", "done", "failed",
	    "pending", "cancelled");
	arr = json_object_get(doc, "jobs");
	if (json_array_size(arr) == 0)
		printf("  (none)\n");
	json_array_foreach(arr, i, o)
		printf("  %-16s %6lld %6lld %7lld %9lld\n", jstr(o, "task", "?"),
		    (long long)jint(o, "done"), (long long)jint(o, "failed"),
		    (long long)jint(o, "pending"),
		    (long long)jint(o, "cancelled"));
	arr = json_object_get(doc, "steps");
	if (json_array_size(arr) == 0)
		return;
	printf("\nsteps              %6s %6s %7s\n", "done", "failed",
	    "letters");
	json_array_foreach(arr, i, o)
		printf("  %-16s %6lld %6lld %7lld\n", jstr(o, "step", "?"),
		    (long long)jint(o, "done"), (long long)jint(o, "failed"),
		    (long long)jint(o, "letters"));
}

static void
table_warmup_row(const json_t *o)
{
	char	buf[16];

	printf("  %-11s %6lld %6lld  | %6lld %5lld %5lld %6s\n",
	    jstr(o, "day", "-"), (long long)jint(o, "sent"),
	    (long long)jint(o, "send_failed"), (long long)jint(o, "inbox"),
	    (long long)jint(o, "spam"), (long long)jint(o, "none"),
	    rate_str(o, buf, sizeof(buf)));
}

static void
table_warmup(const json_t *doc)
{
	json_t	*arr = json_object_get(doc, "warmup"), *o;
	size_t	 i;

	if (json_array_size(arr) == 0 && strcmp(jstr(json_object_get(doc,
	    "campaign"), "kind", ""), "warmup") != 0)
		return;
	printf("\n%-13s %6s %6s  | %s\n", "warm-up", "sent", "failed",
	    "received by the recipients:");
	printf("  %-11s %6s %6s  | %6s %5s %5s %6s\n", "day", "", "", "inbox",
	    "spam", "none", "rate");
	json_array_foreach(arr, i, o)
		table_warmup_row(o);
	table_warmup_row(json_object_get(doc, "warmup_total"));
}

static void
table_failures(const json_t *doc, const char *name)
{
	json_t	*f = json_object_get(doc, "failures"), *arr, *o;
	size_t	 i;
	char	*s;

	printf("\nfailures: %lld job(s) of %lld account(s)\n",
	    (long long)jint(f, "jobs"), (long long)jint(f, "accounts_failed"));
	arr = json_object_get(f, "reasons");
	if (json_array_size(arr) == 0)
		return;
	printf("  %5s %8s  %s\n", "jobs", "accounts", "reason");
	json_array_foreach(arr, i, o) {
		if (i == TABLE_MAX_LINES)
			break;
		s = one_line(jstr(o, "error", ""));
		printf("  %5lld %8lld  %s\n", (long long)jint(o, "jobs"),
		    (long long)jint(o, "accounts"), *s != '\0' ? s :
		    "(no error text)");
		free(s);
	}
	if (json_array_size(arr) > TABLE_MAX_LINES)
		printf("  ... %zu more reason(s)\n",
		    json_array_size(arr) - TABLE_MAX_LINES);
	arr = json_object_get(f, "accounts");
	printf("\n  %-32s %-12s %4s  %s\n", "email", "task", "jobs", "error");
	json_array_foreach(arr, i, o) {
		if (i == TABLE_MAX_LINES)
			break;
		s = one_line(jstr(o, "error", ""));
		printf("  %-32s %-12s %4lld  %s\n", jstr(o, "email", "?"),
		    jstr(o, "task", "?"), (long long)jint(o, "jobs"), s);
		free(s);
	}
	if (json_array_size(arr) > TABLE_MAX_LINES)
		printf("  ... %zu more line(s): warmctl report %s --json or "
		    "--csv lists them all\n", json_array_size(arr) -
		    TABLE_MAX_LINES, name);
}

static void
report_table(const json_t *doc, const char *name)
{
	table_header(doc);
	table_placement(doc);
	table_actions(doc);
	table_warmup(doc);
	table_failures(doc, name);
}

static void
report_csv(json_t *doc)
{
	static const char *const camp_cols[] = { "name", "kind", "status",
	    "source", "origin", "seed", "created_at", "reason", NULL };
	static const char *const param_cols[] = { "time_zone", "holdout",
	    "match_subject", "match_body", "date", "percent", "day", NULL };
	static const char *const place_cols[] = { "day", "group", "inbox",
	    "spam", "none", "rate", NULL };
	static const char *const jobs_cols[] = { "task", "done", "failed",
	    "pending", "cancelled", NULL };
	static const char *const steps_cols[] = { "step", "done", "failed",
	    "letters", NULL };
	static const char *const warm_cols[] = { "day", "sent", "send_failed",
	    "inbox", "spam", "none", "rate", NULL };
	static const char *const reason_cols[] = { "error", "jobs",
	    "accounts", NULL };
	static const char *const fail_cols[] = { "email", "task", "error",
	    "jobs", NULL };
	static const char *const groups[] = { "warmed", "holdout", "all" };
	json_t	*c = json_object_get(doc, "campaign");
	json_t	*p = json_object_get(c, "params");
	json_t	*m = json_object_get(p, "match");
	json_t	*v[16], *arr, *d, *tmp;
	size_t	 i, k;

	csv_header("campaign", camp_cols, 0);
	for (k = 0; camp_cols[k] != NULL; k++)
		v[k] = json_object_get(c, camp_cols[k]);
	csv_values("campaign", v, k);

	/* Percentages as written ("12.5"), not as JSON reals. */
	csv_header("params", param_cols, 1);
	tmp = json_pack("{so so}", "holdout", num_or_null(p, "holdout"),
	    "percent", num_or_null(p, "percent"));
	v[0] = json_object_get(p, "time_zone");
	v[1] = json_object_get(tmp, "holdout");
	v[2] = json_object_get(m, "subject");
	v[3] = json_object_get(m, "body");
	v[4] = json_object_get(p, "date");
	v[5] = json_object_get(tmp, "percent");
	v[6] = json_object_get(doc, "day");
	csv_values("params", v, 7);
	json_decref(tmp);

	csv_header("placement", place_cols, 1);
	tmp = json_string("total");
	arr = json_object_get(doc, "placement");
	for (i = 0; i <= json_array_size(arr); i++) {
		d = i < json_array_size(arr) ? json_array_get(arr, i) :
		    json_object_get(doc, "placement_total");
		for (k = 0; k < 3; k++) {
			json_t	*o = json_object_get(d, groups[k]);
			json_t	*g = json_string(groups[k]);

			v[0] = i < json_array_size(arr) ?
			    json_object_get(d, "day") : tmp;
			v[1] = g;
			v[2] = json_object_get(o, "inbox");
			v[3] = json_object_get(o, "spam");
			v[4] = json_object_get(o, "none");
			v[5] = json_object_get(o, "rate");
			csv_values("placement", v, 6);
			json_decref(g);
		}
	}
	json_decref(tmp);

	csv_section("jobs", jobs_cols, json_object_get(doc, "jobs"));
	csv_section("steps", steps_cols, json_object_get(doc, "steps"));
	arr = json_deep_copy(json_object_get(doc, "warmup"));
	json_array_append(arr, json_object_get(doc, "warmup_total"));
	csv_section("warmup", warm_cols, arr);
	json_decref(arr);
	d = json_object_get(doc, "failures");
	csv_section("reasons", reason_cols, json_object_get(d, "reasons"));
	csv_section("failures", fail_cols, json_object_get(d, "accounts"));
}

/* 0 when s is a calendar date written YYYY-MM-DD. */
static int
check_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	y, m, d, n = 0;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) !=
	    3 || n != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789-") != 10)
		return -1;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	return 0;
}

int
cmd_report(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'C' },
		{ "day", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct report	 r = { 0 };
	int		 ch, format = 0, rv = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
		case 'C':
			if (format != 0 && format != ch) {
				fprintf(stderr, "warmctl: report: --json and "
				    "--csv exclude each other\n");
				return EXIT_USAGE;
			}
			format = ch;
			break;
		case 'd':
			if (check_date(optarg) == -1) {
				fprintf(stderr, "warmctl: report: --day %s: "
				    "not a date YYYY-MM-DD\n", optarg);
				return 1;
			}
			r.params[1] = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: warmctl report CAMPAIGN [--json|--csv] "
		    "[--day YYYY-MM-DD]\n");
		return EXIT_USAGE;
	}
	if ((r.conn = db_connect_current(c)) == NULL)
		return 1;
	r.doc = json_object();
	if (report_campaign(&r, argv[optind]) == -1 ||
	    report_placement(&r) == -1 || report_jobs(&r) == -1 ||
	    report_steps(&r) == -1 || report_warmup(&r) == -1 ||
	    report_failures(&r) == -1)
		goto out;
	if (format == 'j') {
		json_dumpf(r.doc, stdout, JSON_FLAGS);
		putchar('\n');
	} else if (format == 'C')
		report_csv(r.doc);
	else
		report_table(r.doc, argv[optind]);
	rv = fflush(stdout) == 0 ? 0 : 1;
out:
	json_decref(r.doc);
	free((char *)r.params[0]);
	PQfinish(r.conn);
	return rv;
}

/* ---- warmctl status -------------------------------------------------- */

/* Top reasons shown per account status. */
#define STATUS_REASONS	"10"

static int
status_accounts(PGconn *conn, json_t *doc)
{
	PGresult	*res;
	json_t		*a, *reasons, *list;
	json_int_t	 total = 0;

	if ((res = query(conn, "SELECT s, count(a.id) FROM unnest(ARRAY"
	    "['active', 'error', 'suspended']) s LEFT JOIN accounts a ON"
	    " a.status = s GROUP BY s ORDER BY s", 0, NULL)) == NULL)
		return -1;
	a = json_object();
	for (int i = 0; i < PQntuples(res); i++) {
		json_object_set_new(a, PQgetvalue(res, i, 0),
		    json_integer(col_int(res, i, 1)));
		total += col_int(res, i, 1);
	}
	PQclear(res);
	json_object_set_new(a, "total", json_integer(total));
	json_object_set_new(doc, "accounts", a);
	if ((res = query(conn, "SELECT status, reason, n FROM (SELECT status,"
	    " coalesce(status_reason, '') AS reason, count(*) AS n,"
	    " row_number() OVER (PARTITION BY status ORDER BY count(*) DESC,"
	    " coalesce(status_reason, '')) AS k FROM accounts"
	    " WHERE status IN ('error', 'suspended') GROUP BY 1, 2) x"
	    " WHERE k <= " STATUS_REASONS " ORDER BY status, k", 0,
	    NULL)) == NULL)
		return -1;
	reasons = json_pack("{s[] s[]}", "error", "suspended");
	for (int i = 0; i < PQntuples(res); i++) {
		list = json_object_get(reasons, PQgetvalue(res, i, 0));
		json_array_append_new(list, json_pack("{so sI}", "reason",
		    col_str(res, i, 1), "count", col_int(res, i, 2)));
	}
	PQclear(res);
	json_object_set_new(a, "reasons", reasons);
	return 0;
}

static int
status_queue(PGconn *conn, json_t *doc)
{
	PGresult	*res;
	json_t		*arr = json_array();
	json_int_t	 due = 0, later = 0, running = 0;

	if ((res = query(conn, "SELECT task,"
	    " count(*) FILTER (WHERE status = 'new' AND run_after <= now()),"
	    " count(*) FILTER (WHERE status = 'new' AND run_after > now()),"
	    " count(*) FILTER (WHERE status = 'running')"
	    " FROM jobs WHERE status IN ('new', 'running')"
	    " GROUP BY task ORDER BY task", 0, NULL)) == NULL) {
		json_decref(arr);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		json_array_append_new(arr, json_pack("{so sI sI sI}", "task",
		    col_str(res, i, 0), "due", col_int(res, i, 1), "later",
		    col_int(res, i, 2), "running", col_int(res, i, 3)));
		due += col_int(res, i, 1);
		later += col_int(res, i, 2);
		running += col_int(res, i, 3);
	}
	PQclear(res);
	json_object_set_new(doc, "queue", arr);
	json_object_set_new(doc, "queue_total", json_pack("{sI sI sI}",
	    "due", due, "later", later, "running", running));
	return 0;
}

static int
status_sessions(PGconn *conn, json_t *doc)
{
	PGresult	*res;
	json_t		*arr = json_array();
	json_int_t	 total = 0;

	if ((res = query(conn, "SELECT coalesce(owner, ''), count(*)"
	    " FROM account_leases WHERE until > now()"
	    " GROUP BY 1 ORDER BY 1", 0, NULL)) == NULL) {
		json_decref(arr);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		json_array_append_new(arr, json_pack("{so sI}", "owner",
		    col_str(res, i, 0), "sessions", col_int(res, i, 1)));
		total += col_int(res, i, 1);
	}
	PQclear(res);
	json_object_set_new(doc, "sessions", json_pack("{sI so}", "running",
	    total, "owners", arr));
	return 0;
}

/* A count over minutes as a rate per minute, one decimal. */
static json_t *
per_minute(json_int_t n, int minutes)
{
	return json_real((double)((n * 10 + minutes / 2) / minutes) / 10.0);
}

static int
status_throughput(PGconn *conn, json_t *doc)
{
	PGresult	*res;
	json_t		*t;

	if ((res = query(conn, "SELECT"
	    " count(*) FILTER (WHERE status = 'done'"
	    "  AND finished_at > now() - interval '1 minute'),"
	    " count(*) FILTER (WHERE status = 'failed'"
	    "  AND finished_at > now() - interval '1 minute'),"
	    " count(*) FILTER (WHERE status = 'done'),"
	    " count(*) FILTER (WHERE status = 'failed')"
	    " FROM jobs WHERE status IN ('done', 'failed')"
	    " AND finished_at > now() - interval '15 minutes'", 0,
	    NULL)) == NULL)
		return -1;
	t = json_object();
	json_object_set_new(t, "1m", json_pack("{sI sI so so}", "done",
	    col_int(res, 0, 0), "failed", col_int(res, 0, 1),
	    "done_per_min", per_minute(col_int(res, 0, 0), 1),
	    "failed_per_min", per_minute(col_int(res, 0, 1), 1)));
	json_object_set_new(t, "15m", json_pack("{sI sI so so}", "done",
	    col_int(res, 0, 2), "failed", col_int(res, 0, 3),
	    "done_per_min", per_minute(col_int(res, 0, 2), 15),
	    "failed_per_min", per_minute(col_int(res, 0, 3), 15)));
	PQclear(res);
	json_object_set_new(doc, "throughput", t);
	return 0;
}

static int
status_campaigns(PGconn *conn, json_t *doc)
{
	PGresult	*res;
	json_t		*o = json_object();

	if ((res = query(conn, "SELECT s, count(c.id) FROM unnest(ARRAY"
	    "['new', 'running', 'paused', 'done', 'failed', 'cancelled'])"
	    " WITH ORDINALITY AS x(s, k) LEFT JOIN campaigns c ON"
	    " c.status = s GROUP BY s, k ORDER BY k", 0, NULL)) == NULL) {
		json_decref(o);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++)
		json_object_set_new(o, PQgetvalue(res, i, 0),
		    json_integer(col_int(res, i, 1)));
	PQclear(res);
	json_object_set_new(doc, "campaigns", o);
	return 0;
}

static void
status_table(const json_t *doc)
{
	const json_t	*a = json_object_get(doc, "accounts");
	const json_t	*t, *o, *v;
	const char	*key;
	size_t		 i;
	char		*s;
	int		 n;

	printf("database time %s\n\n", jstr(doc, "now", "?"));
	printf("accounts    %lld: %lld active, %lld error, %lld suspended\n",
	    (long long)jint(a, "total"), (long long)jint(a, "active"),
	    (long long)jint(a, "error"), (long long)jint(a, "suspended"));
	json_object_foreach((json_t *)json_object_get(a, "reasons"), key, v) {
		json_array_foreach(v, i, o) {
			s = one_line(jstr(o, "reason", ""));
			printf("  %-10s %6lld  %s\n", key,
			    (long long)jint(o, "count"), *s != '\0' ? s :
			    "(no reason)");
			free(s);
		}
	}

	printf("\n%-18s %6s %8s %8s\n", "queue", "due", "later", "running");
	json_array_foreach(json_object_get(doc, "queue"), i, o)
		printf("  %-16s %6lld %8lld %8lld\n", jstr(o, "task", "?"),
		    (long long)jint(o, "due"), (long long)jint(o, "later"),
		    (long long)jint(o, "running"));
	o = json_object_get(doc, "queue_total");
	printf("  %-16s %6lld %8lld %8lld\n", "total",
	    (long long)jint(o, "due"), (long long)jint(o, "later"),
	    (long long)jint(o, "running"));

	o = json_object_get(doc, "sessions");
	printf("\nsessions    %lld running\n", (long long)jint(o, "running"));
	json_array_foreach(json_object_get(o, "owners"), i, v)
		printf("  %-40s %6lld\n", jstr(v, "owner", "?"),
		    (long long)jint(v, "sessions"));

	t = json_object_get(doc, "throughput");
	printf("\n%-13s %10s %10s  (jobs per minute)\n", "finished", "done",
	    "failed");
	for (n = 0; n < 2; n++) {
		o = json_object_get(t, n == 0 ? "1m" : "15m");
		printf("  last %-6s %10.1f %10.1f  (%lld done, %lld failed)\n",
		    n == 0 ? "1m" : "15m",
		    json_number_value(json_object_get(o, "done_per_min")),
		    json_number_value(json_object_get(o, "failed_per_min")),
		    (long long)jint(o, "done"), (long long)jint(o, "failed"));
	}

	printf("\ncampaigns  ");
	n = 0;
	json_object_foreach((json_t *)json_object_get(doc, "campaigns"), key,
	    v) {
		if (json_integer_value(v) == 0)
			continue;
		printf("%s %lld %s", n++ ? "," : "",
		    (long long)json_integer_value(v), key);
	}
	printf("%s\n", n == 0 ? " none" : "");
}

int
cmd_status(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	PGconn		*conn;
	PGresult	*res;
	json_t		*doc;
	int		 ch, json = 0, rv = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'j')
			return EXIT_USAGE;
		json = 1;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: warmctl status [--json]\n");
		return EXIT_USAGE;
	}
	if ((conn = db_connect_current(c)) == NULL)
		return 1;
	doc = json_object();
	/* One snapshot: every figure as of the same moment. */
	res = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "warmctl: %s", PQresultErrorMessage(res));
		PQclear(res);
		goto out;
	}
	PQclear(res);
	if ((res = query(conn, "SELECT to_char(now(),"
	    " 'YYYY-MM-DD HH24:MI:SSOF')", 0, NULL)) == NULL)
		goto out;
	json_object_set_new(doc, "now", col_str(res, 0, 0));
	PQclear(res);
	if (status_accounts(conn, doc) == -1 ||
	    status_queue(conn, doc) == -1 ||
	    status_sessions(conn, doc) == -1 ||
	    status_throughput(conn, doc) == -1 ||
	    status_campaigns(conn, doc) == -1)
		goto out;
	if (json) {
		json_dumpf(doc, stdout, JSON_FLAGS);
		putchar('\n');
	} else
		status_table(doc);
	rv = fflush(stdout) == 0 ? 0 : 1;
out:
	json_decref(doc);
	PQfinish(conn);
	return rv;
}
