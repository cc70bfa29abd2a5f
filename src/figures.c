/*
 * Database-wide figures for /metrics and /status.  One read-only statement
 * builds the whole snapshot as one JSON document, so every figure is as of
 * the same moment; the reply replaces the snapshot only when it parses, and
 * a failed refresh leaves the last good one in place (its age shows it).
 *
 * The definitions are those of `warmctl status` (queue, finished, campaigns
 * by status) and `warmctl report` (a campaign's jobs and placement) in
 * ctl_report.c, so the daemon and the CLI never disagree.
 */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "campaign.h"
#include "alert.h"
#include "figures.h"
#include "log.h"
#include "loop.h"
#include "pg.h"

/*
 * Campaigns with per-campaign series: the live ones, and those done within
 * the last day (updated_at: the planner's last write, when it closed the
 * campaign).  This bounds the label cardinality of warmd_campaign_* to the
 * campaigns an operator is watching, however many the table keeps.
 */
#define LIVE_CAMPAIGN \
	"(c.status IN ('new', 'running', 'paused') OR c.status = 'done'" \
	" AND c.updated_at > now() - interval '1 day')"

/* One done scenario job's placement, counted in one group. */
#define PLACED(grp, where) \
	"count(*) FILTER (WHERE j.scenario AND " grp " AND j.placement = '" \
	where "')"
#define GROUP(grp) \
	"json_build_object('inbox', " PLACED(grp, "inbox") ", 'spam', " \
	PLACED(grp, "spam") ", 'none', " PLACED(grp, "none") ")"
#define JOBS_IN(st) \
	"count(j.status) FILTER (WHERE j.status = '" st "')"

static const char FIGURES_SQL[] =
    "SELECT json_build_object("
    /* warmctl status: queue */
    " 'queue', (SELECT coalesce(json_agg(q ORDER BY q.task), '[]') FROM"
    "  (SELECT task,"
    "   count(*) FILTER (WHERE status = 'new' AND run_after <= now()) AS due,"
    "   count(*) FILTER (WHERE status = 'new' AND run_after > now())"
    "    AS scheduled,"
    "   count(*) FILTER (WHERE status = 'running') AS running"
    "   FROM jobs WHERE status IN ('new', 'running') GROUP BY task) q),"
    /* how long the oldest job that may run now has waited */
    " 'lag', (SELECT coalesce(extract(epoch FROM now() - min(j.run_after)),"
    "  0)::float8 FROM jobs j JOIN accounts a ON a.id = j.account_id"
    "  WHERE j.status = 'new' AND j.run_after <= now()"
    "  AND a.status = 'active'),"
    /* warmctl status: throughput, last minute */
    " 'finished', (SELECT json_build_object("
    "   'done', count(*) FILTER (WHERE status = 'done'),"
    "   'failed', count(*) FILTER (WHERE status = 'failed'))"
    "  FROM jobs WHERE status IN ('done', 'failed')"
    "  AND finished_at > now() - interval '1 minute'),"
    /* warmctl status: campaigns */
    " 'by_status', (SELECT json_object_agg(s, n ORDER BY k) FROM"
    "  (SELECT s, k, count(c.id) AS n FROM unnest(ARRAY['new', 'running',"
    "   'paused', 'done', 'failed', 'cancelled']) WITH ORDINALITY AS x(s, k)"
    "   LEFT JOIN campaigns c ON c.status = s GROUP BY s, k) y),"
    /* warmctl report: jobs by status, placement of done scenario jobs */
    " 'live', (SELECT coalesce(json_agg(l.o ORDER BY l.name), '[]') FROM"
    "  (SELECT c.name, json_build_object('name', c.name, 'status', c.status,"
    "   'jobs', json_build_object('new', " JOBS_IN("new") ","
    "    'running', " JOBS_IN("running") ", 'done', " JOBS_IN("done") ","
    "    'failed', " JOBS_IN("failed") ","
    "    'cancelled', " JOBS_IN("cancelled") "),"
    "   'placement', json_build_object("
    "    'warmed', " GROUP("NOT j.observe") ","
    "    'holdout', " GROUP("j.observe") ")) AS o"
    "   FROM campaigns c LEFT JOIN"
    "    (SELECT campaign_id, status,"
    "     status = 'done' AND task IN " CAMPAIGN_SCENARIO_TASKS " AS scenario,"
    "     coalesce(payload->>'observe', '') = 'true' AS observe,"
    "     result->>'placement' AS placement FROM jobs) j"
    "    ON j.campaign_id = c.id"
    "   WHERE " LIVE_CAMPAIGN " GROUP BY c.id) l)"
    ")::text";

static json_t		*snap;		/* the last good document */
static uint64_t		 snap_ms;	/* loop time it arrived */
static json_t		*seen_tasks;	/* every task the queue has shown */
static struct pg_req	*req;
static int		 failing;	/* the last refresh failed (logged once) */
static unsigned		 lag_alert_ms;	/* [alerts] queue_lag; 0: off */

static void
refreshed(void *arg, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	json_t		*doc = NULL, *q, *el;
	json_error_t	 jerr;
	size_t		 i;
	double		 lag;

	(void)arg;
	req = NULL;
	if (st == PG_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		doc = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
		if (doc == NULL)
			errmsg = jerr.text;
	}
	if (doc == NULL || !json_is_array(json_object_get(doc, "queue")) ||
	    !json_is_array(json_object_get(doc, "live"))) {
		if (!failing)
			log_warn("figures: refresh failed (%s); /metrics serves "
			    "the last snapshot", errmsg != NULL ? errmsg :
			    "unexpected reply");
		failing = 1;
		json_decref(doc);
		return;
	}
	if (failing)
		log_info("figures: refreshed again");
	failing = 0;
	/* A task that drained stays in the output, at zero. */
	if (seen_tasks == NULL)
		seen_tasks = json_object();
	q = json_object_get(doc, "queue");
	json_array_foreach(q, i, el)
		if (json_is_string(json_object_get(el, "task")))
			json_object_set_new(seen_tasks, json_string_value(
			    json_object_get(el, "task")), json_true());
	json_decref(snap);
	snap = doc;
	snap_ms = loop_now_ms();
	lag = json_number_value(json_object_get(doc, "lag"));
	if (lag_alert_ms > 0 && lag * 1000.0 > (double)lag_alert_ms)
		alert_raise(ALERT_QUEUE, "the oldest job due has waited %.0f s"
		    " (limit %u s)", lag, lag_alert_ms / 1000);
}

void
figures_lag_alert(unsigned ms)
{
	lag_alert_ms = ms;
}

void
figures_refresh(struct pg_pool *pg)
{
	if (pg == NULL || req != NULL)
		return;
	req = pg_query(pg, FIGURES_SQL, 0, NULL, refreshed, NULL);
}

void
figures_shutdown(void)
{
	if (req != NULL)
		pg_cancel(req);
	req = NULL;
	json_decref(snap);
	json_decref(seen_tasks);
	snap = seen_tasks = NULL;
	failing = 0;
}

double
figures_age_s(void)
{
	if (snap == NULL)
		return -1;
	return (double)(loop_now_ms() - snap_ms) / 1000.0;
}

void
figures_label(struct evbuffer *out, const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			evbuffer_add(out, "\\\\", 2);
			break;
		case '"':
			evbuffer_add(out, "\\\"", 2);
			break;
		case '\n':
			evbuffer_add(out, "\\n", 2);
			break;
		default:
			evbuffer_add(out, p, 1);
		}
	}
}

static json_int_t
jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* inbox / (inbox + spam), or -1 when nothing was found. */
static double
inbox_ratio(const json_t *group)
{
	json_int_t	in = jint(group, "inbox"), n = in + jint(group, "spam");

	return n > 0 ? (double)in / (double)n : -1;
}

/* The queue row of task in the snapshot, or NULL. */
static const json_t *
queue_row(const char *task)
{
	const json_t	*el;
	const char	*t;
	size_t		 i;

	json_array_foreach(json_object_get(snap, "queue"), i, el) {
		t = json_string_value(json_object_get(el, "task"));
		if (t != NULL && strcmp(t, task) == 0)
			return el;
	}
	return NULL;
}

void
figures_metric(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* Start a series, name{campaign="..."; the caller adds the rest. */
static void
campaign_series(struct evbuffer *out, const char *name, const json_t *c)
{
	const char	*s = json_string_value(json_object_get(c, "name"));

	evbuffer_add_printf(out, "%s{campaign=\"", name);
	figures_label(out, s != NULL ? s : "");
	evbuffer_add(out, "\"", 1);
}

static void
queue_metrics(struct evbuffer *out)
{
	static const char *const states[] = { "due", "scheduled", "running" };
	const json_t	*row, *fin = json_object_get(snap, "finished");
	const char	*task;
	json_t		*v;

	figures_metric(out, "warmd_queue_jobs", "gauge", "Jobs in the queue by task"
	    " and state: due (new, may run now), scheduled (new, later),"
	    " running.");
	json_object_foreach(seen_tasks, task, v) {
		row = queue_row(task);
		for (size_t i = 0; i < 3; i++) {
			evbuffer_add_printf(out, "warmd_queue_jobs{task=\"");
			figures_label(out, task);
			evbuffer_add_printf(out, "\",state=\"%s\"} %lld\n",
			    states[i], (long long)jint(row, states[i]));
		}
	}
	figures_metric(out, "warmd_jobs_finished_last_minute", "gauge",
	    "Jobs finished in the last 60 s (any process), by status.");
	evbuffer_add_printf(out, "warmd_jobs_finished_last_minute{status="
	    "\"done\"} %lld\n", (long long)jint(fin, "done"));
	evbuffer_add_printf(out, "warmd_jobs_finished_last_minute{status="
	    "\"failed\"} %lld\n", (long long)jint(fin, "failed"));
}

static void
campaign_metrics(struct evbuffer *out)
{
	static const char *const jstates[] = { "new", "running", "done",
	    "failed", "cancelled" };
	static const char *const groups[] = { "warmed", "holdout" };
	static const char *const places[] = { "inbox", "spam", "none" };
	const json_t	*live = json_object_get(snap, "live"), *c, *g;
	const char	*key;
	json_t		*v;
	size_t		 i;
	double		 r;

	figures_metric(out, "warmd_campaigns", "gauge", "Campaigns by status.");
	json_object_foreach(json_object_get(snap, "by_status"), key, v)
		evbuffer_add_printf(out, "warmd_campaigns{status=\"%s\"} %lld\n",
		    key, (long long)json_integer_value(v));
	figures_metric(out, "warmd_campaign_jobs", "gauge",
	    "Jobs of each live campaign"
	    " (or done within a day) by status.");
	json_array_foreach(live, i, c)
		for (size_t k = 0; k < 5; k++) {
			campaign_series(out, "warmd_campaign_jobs", c);
			evbuffer_add_printf(out, ",status=\"%s\"} %lld\n",
			    jstates[k], (long long)jint(json_object_get(c,
			    "jobs"), jstates[k]));
		}
	figures_metric(out, "warmd_campaign_placement", "gauge", "Done scenario jobs"
	    " of each live campaign by group (warmed, holdout) and where the"
	    " letter was found.");
	json_array_foreach(live, i, c)
		for (size_t k = 0; k < 2; k++) {
			g = json_object_get(json_object_get(c, "placement"),
			    groups[k]);
			for (size_t p = 0; p < 3; p++) {
				campaign_series(out, "warmd_campaign_placement",
				    c);
				evbuffer_add_printf(out, ",group=\"%s\","
				    "placement=\"%s\"} %lld\n", groups[k],
				    places[p], (long long)jint(g, places[p]));
			}
		}
	figures_metric(out, "warmd_campaign_inbox_ratio", "gauge", "inbox / (inbox +"
	    " spam) of each live campaign by group; absent while both are 0.");
	json_array_foreach(live, i, c)
		for (size_t k = 0; k < 2; k++) {
			g = json_object_get(json_object_get(c, "placement"),
			    groups[k]);
			if ((r = inbox_ratio(g)) < 0)
				continue;
			campaign_series(out, "warmd_campaign_inbox_ratio", c);
			evbuffer_add_printf(out, ",group=\"%s\"} %.6g\n",
			    groups[k], r);
		}
}

void
figures_render_metrics(struct evbuffer *out)
{
	if (snap == NULL)
		return;
	queue_metrics(out);
	figures_metric(out, "warmd_queue_lag_seconds", "gauge", "How long the oldest"
	    " job of an active account that may run now has waited.");
	evbuffer_add_printf(out, "warmd_queue_lag_seconds %.3f\n",
	    json_number_value(json_object_get(snap, "lag")));
	campaign_metrics(out);
	figures_metric(out, "warmd_figures_age_seconds", "gauge", "Age of the database"
	    " figures above (warmd_queue_jobs, warmd_campaign*, ...).");
	evbuffer_add_printf(out, "warmd_figures_age_seconds %.3f\n",
	    figures_age_s());
}

json_t *
figures_queue_json(void)
{
	json_t		*by, *o, *v;
	const json_t	*row;
	const char	*task;
	json_int_t	 due = 0, later = 0, running = 0;

	if (snap == NULL)
		return json_null();
	by = json_object();
	json_object_foreach(seen_tasks, task, v) {
		row = queue_row(task);
		json_object_set_new(by, task, json_pack("{s:I, s:I, s:I}",
		    "due", jint(row, "due"), "scheduled", jint(row, "scheduled"),
		    "running", jint(row, "running")));
		due += jint(row, "due");
		later += jint(row, "scheduled");
		running += jint(row, "running");
	}
	o = json_pack("{s:I, s:I, s:I}", "due", due, "scheduled", later,
	    "running", running);
	json_object_set_new(o, "by_task", by);
	json_object_set(o, "finished_last_minute",
	    json_object_get(snap, "finished"));
	return o;
}

/* A live campaign for /status: the snapshot's numbers plus the ratios. */
static json_t *
campaign_json(const json_t *c)
{
	static const char *const groups[] = { "warmed", "holdout" };
	json_t	*o = json_deep_copy(c), *g;
	double	 r;

	json_object_del(o, "name");
	for (size_t k = 0; k < 2; k++) {
		g = json_object_get(json_object_get(o, "placement"), groups[k]);
		if (g == NULL)
			continue;
		r = inbox_ratio(g);
		json_object_set_new(g, "inbox_ratio", r < 0 ? json_null() :
		    json_real(r));
	}
	return o;
}

json_t *
figures_campaigns_json(void)
{
	json_t		*live, *o;
	const json_t	*c;
	size_t		 i;

	if (snap == NULL)
		return json_null();
	live = json_object();
	json_array_foreach(json_object_get(snap, "live"), i, c)
		if (json_is_string(json_object_get(c, "name")))
			json_object_set_new(live, json_string_value(
			    json_object_get(c, "name")), campaign_json(c));
	o = json_object();
	json_object_set(o, "by_status", json_object_get(snap, "by_status"));
	json_object_set_new(o, "live", live);
	return o;
}
