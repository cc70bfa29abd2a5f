/*
 * /status and /metrics.  Both are rendered from daemon_state at request
 * time; nothing here blocks or queries the database (the database-wide
 * figures are figures.c's last snapshot).
 */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "campaign.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "figures.h"
#include "loop.h"
#include "pg.h"
#include "redis.h"
#include "session.h"
#include "alert.h"
#include "breaker.h"
#include "health.h"
#include "status.h"

static const char *
state_name(enum daemon_state s)
{
	switch (s) {
	case DAEMON_STARTING:	return "starting";
	case DAEMON_RUNNING:	return "running";
	case DAEMON_DRAINING:	return "draining";
	}
	return "unknown";
}

static double
uptime_s(void)
{
	return (double)(loop_now_ms() - daemon_state.started_ms) / 1000.0;
}

static json_t *
reload_json(void)
{
	const struct reload_result	*r = &daemon_state.reload;
	json_t				*o, *errs;

	o = json_object();
	json_object_set_new(o, "result", r->ok < 0 ? json_string("none") :
	    json_string(r->ok ? "ok" : "failed"));
	json_object_set_new(o, "at", r->ok < 0 ? json_null() : json_integer(r->at));
	errs = json_array();
	for (size_t i = 0; i < r->errors.count; i++)
		json_array_append_new(errs, json_string(r->errors.msgs[i]));
	json_object_set_new(o, "errors", errs);
	json_object_set_new(o, "ok_total", json_integer(r->total_ok));
	json_object_set_new(o, "failed_total", json_integer(r->total_failed));
	return o;
}

static json_t *
accounts_json(void)
{
	const struct acct_stats	*a = &daemon_state.accounts;
	json_t			*o, *files, *sync, *by;

	files = json_pack("{s:I, s:I, s:I}", "loaded", (json_int_t)a->loaded,
	    "rejected", (json_int_t)a->rejected, "duplicates",
	    (json_int_t)a->duplicates);
	sync = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}",
	    "result", a->sync_ok < 0 ? "none" : a->sync_ok ? "ok" : "failed",
	    "added", (json_int_t)a->added, "changed", (json_int_t)a->changed,
	    "removed", (json_int_t)a->removed,
	    "reactivated", (json_int_t)a->reactivated,
	    "unchanged", (json_int_t)a->unchanged);
	json_object_set_new(sync, "at", a->sync_ok < 0 ? json_null() :
	    json_integer(a->sync_at));
	by = a->counted ? json_pack("{s:I, s:I, s:I}", "active",
	    (json_int_t)a->active, "error", (json_int_t)a->error, "suspended",
	    (json_int_t)a->suspended) : json_null();
	o = json_object();
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "sync", sync);
	json_object_set_new(o, "by_status", by);
	json_object_set_new(o, "syncs_ok", json_integer(a->syncs_ok));
	json_object_set_new(o, "syncs_failed", json_integer(a->syncs_failed));
	return o;
}

static json_t *
jobs_json(void)
{
	struct engine_stats	 st;
	uint64_t		 counts[SESS_NSTATES];
	json_t			*o, *by;

	engine_stats(&st);
	session_counts(counts);
	by = json_object();
	for (int i = 0; i < SESS_NSTATES; i++)
		json_object_set_new(by, session_state_name((enum sess_state)i),
		    json_integer((json_int_t)counts[i]));
	o = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I}",
	    "worker_id", engine_worker_id(), "listening", st.listening,
	    "accounts_held", (json_int_t)st.working,
	    "claims", (json_int_t)st.claims,
	    "accounts_claimed", (json_int_t)st.accounts,
	    "jobs_claimed", (json_int_t)st.jobs);
	json_object_set_new(o, "outcomes", json_pack("{s:I, s:I, s:I, s:I,"
	    " s:I, s:I, s:I}", "done", (json_int_t)st.done, "failed",
	    (json_int_t)st.failed, "retried", (json_int_t)st.retried,
	    "released", (json_int_t)st.released, "deferred",
	    (json_int_t)st.deferred, "fenced", (json_int_t)st.fenced,
	    "route_wait", (json_int_t)st.route_waits));
	json_object_set_new(o, "leases_lost", json_integer(
	    (json_int_t)st.lost_leases));
	json_object_set_new(o, "reaped", json_pack("{s:I, s:I, s:I}",
	    "requeued", (json_int_t)st.requeued, "exhausted",
	    (json_int_t)st.exhausted, "expired", (json_int_t)st.expired));
	json_object_set_new(o, "sessions_by_state", by);
	return o;
}

/* The planner's counters and figures.c's campaigns. */
static json_t *
campaigns_json(void)
{
	struct campaign_stats	 st;
	json_t			*o;

	campaign_stats(&st);
	o = figures_campaigns_json();
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_pack("{s:n, s:n}", "by_status", "live");
	}
	json_object_set_new(o, "planner", json_pack("{s:I, s:I, s:I, s:I,"
	    " s:I}", "plans", (json_int_t)st.ticks, "jobs_planned",
	    (json_int_t)st.planned, "jobs_cancelled", (json_int_t)st.cancelled,
	    "errors", (json_int_t)st.errors, "live", (json_int_t)st.live));
	return o;
}

static void
route_json(void *arg, const struct brk_view *v)
{
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:i, s:f, s:f,"
	    " s:i, s:s?}", "kind", breaker_kind_name(v->kind), "name", v->name,
	    "state", breaker_state_name(v->state), "failures", (int)v->failures,
	    "retry_in_s", (double)v->wait_ms / 1000.0, "open_for_s",
	    (double)v->open_for_ms / 1000.0, "probes_failed",
	    (int)v->probes_failed, "last_error", v->last_error));
}

/* Routes with failures or an open circuit; counts by kind and state. */
static json_t *
breakers_json(void)
{
	struct breakers	*b = engine_breakers();
	uint64_t	 n[BRK_NKINDS][BRK_NSTATES], opened[BRK_NKINDS];
	json_t		*o = json_object(), *routes = json_array(), *k;

	breakers_counts(b, n, opened);
	for (int i = 0; i < BRK_NKINDS; i++) {
		k = json_pack("{s:I, s:I, s:I}", "open",
		    (json_int_t)n[i][BRK_OPEN], "half_open",
		    (json_int_t)n[i][BRK_HALF_OPEN], "opened_total",
		    (json_int_t)opened[i]);
		json_object_set_new(o, breaker_kind_name((enum brk_kind)i), k);
	}
	breakers_each(b, loop_now_ms(), route_json, routes);
	json_object_set_new(o, "routes", routes);
	return o;
}

void
status_render_json(struct evbuffer *out, void *arg)
{
	const struct config	*cfg = daemon_state.cfg;
	json_t			*root;
	char			*s;

	(void)arg;
	root = json_object();
	json_object_set_new(root, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(root, "pid", json_integer(getpid()));
	json_object_set_new(root, "worker", json_string(cfg->warmd.worker_name));
	json_object_set_new(root, "state", json_string(state_name(daemon_state.state)));
	json_object_set_new(root, "started_at", json_integer(daemon_state.started_at));
	json_object_set_new(root, "uptime_s", json_real(uptime_s()));
	json_object_set_new(root, "config", json_pack("{s:s, s:I}", "path",
	    cfg->path, "generation", (json_int_t)cfg->generation));
	json_object_set_new(root, "last_reload", reload_json());
	json_object_set_new(root, "postgres", json_pack("{s:b, s:i, s:i}",
	    "up", daemon_state.pg && pg_connections_up(daemon_state.pg) > 0,
	    "connections", daemon_state.pg ? pg_connections_up(daemon_state.pg) : 0,
	    "pending", daemon_state.pg ? pg_pending(daemon_state.pg) : 0));
	json_object_set_new(root, "redis", json_pack("{s:b, s:b}", "enabled",
	    daemon_state.redis != NULL, "up",
	    daemon_state.redis != NULL && rds_is_up(daemon_state.redis)));
	json_object_set_new(root, "accounts", accounts_json());
	json_object_set_new(root, "jobs", jobs_json());
	json_object_set_new(root, "queue", figures_queue_json());
	json_object_set_new(root, "campaigns", campaigns_json());
	json_object_set_new(root, "circuits", breakers_json());
	json_object_set_new(root, "figures_age_s", figures_age_s() < 0 ?
	    json_null() : json_real(figures_age_s()));
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	evbuffer_add_printf(out, "%s\n", s);
	free(s);
	json_decref(root);
}

static void
jobs_metrics(struct evbuffer *out)
{
	struct engine_stats	 st;
	uint64_t		 counts[SESS_NSTATES];
	static const char *const ends[] = { "done", "failed", "retried",
	    "released", "deferred", "fenced", "route_wait" };
	uint64_t		 ev[7];

	engine_stats(&st);
	session_counts(counts);
	figures_metric(out, "warmd_sessions", "gauge", "Account sessions by state.");
	for (int i = 0; i < SESS_NSTATES; i++)
		evbuffer_add_printf(out, "warmd_sessions{state=\"%s\"} %llu\n",
		    session_state_name((enum sess_state)i),
		    (unsigned long long)counts[i]);
	figures_metric(out, "warmd_jobs_accounts_held", "gauge",
	    "Accounts this process holds a lease on.");
	evbuffer_add_printf(out, "warmd_jobs_accounts_held %zu\n", st.working);
	figures_metric(out, "warmd_jobs_claims_total", "counter",
	    "Claim statements run.");
	evbuffer_add_printf(out, "warmd_jobs_claims_total %llu\n",
	    (unsigned long long)st.claims);
	figures_metric(out, "warmd_jobs_claims_deferred_total", "counter",
	    "Claims held back while the database queue was backed up.");
	evbuffer_add_printf(out, "warmd_jobs_claims_deferred_total %llu\n",
	    (unsigned long long)st.claims_deferred);
	figures_metric(out, "warmd_jobs_claimed_total", "counter", "Jobs claimed.");
	evbuffer_add_printf(out, "warmd_jobs_claimed_total %llu\n",
	    (unsigned long long)st.jobs);
	figures_metric(out, "warmd_jobs_outcomes_total", "counter",
	    "Job outcomes written, by kind (fenced: refused, lease lost).");
	ev[0] = st.done; ev[1] = st.failed; ev[2] = st.retried;
	ev[3] = st.released; ev[4] = st.deferred; ev[5] = st.fenced;
	ev[6] = st.route_waits;
	for (size_t i = 0; i < 7; i++)
		evbuffer_add_printf(out,
		    "warmd_jobs_outcomes_total{outcome=\"%s\"} %llu\n",
		    ends[i], (unsigned long long)ev[i]);
	figures_metric(out, "warmd_jobs_leases_lost_total", "counter",
	    "Sessions stopped because their account lease was lost.");
	evbuffer_add_printf(out, "warmd_jobs_leases_lost_total %llu\n",
	    (unsigned long long)st.lost_leases);
	figures_metric(out, "warmd_jobs_reaped_total", "counter",
	    "Jobs handled by this process's reaper, by result.");
	evbuffer_add_printf(out, "warmd_jobs_reaped_total{result=\"requeued\"}"
	    " %llu\n", (unsigned long long)st.requeued);
	evbuffer_add_printf(out, "warmd_jobs_reaped_total{result=\"exhausted\"}"
	    " %llu\n", (unsigned long long)st.exhausted);
	evbuffer_add_printf(out, "warmd_jobs_reaped_total{result=\"expired\"}"
	    " %llu\n", (unsigned long long)st.expired);
	figures_metric(out, "warmd_jobs_listening", "gauge",
	    "1 once LISTEN warmd_jobs has taken effect.");
	evbuffer_add_printf(out, "warmd_jobs_listening %d\n", st.listening);
}

static void
planner_metrics(struct evbuffer *out)
{
	struct campaign_stats	st;

	campaign_stats(&st);
	figures_metric(out, "warmd_campaign_plans_total", "counter",
	    "Campaign plans completed by this process's planner.");
	evbuffer_add_printf(out, "warmd_campaign_plans_total %llu\n",
	    (unsigned long long)st.ticks);
	figures_metric(out, "warmd_campaign_jobs_planned_total", "counter",
	    "Campaign jobs inserted or rewritten by the planner.");
	evbuffer_add_printf(out, "warmd_campaign_jobs_planned_total %llu\n",
	    (unsigned long long)st.planned);
	figures_metric(out, "warmd_campaign_jobs_cancelled_total", "counter",
	    "Pending campaign jobs cancelled by the planner.");
	evbuffer_add_printf(out, "warmd_campaign_jobs_cancelled_total %llu\n",
	    (unsigned long long)st.cancelled);
	figures_metric(out, "warmd_campaign_plan_errors_total", "counter",
	    "Planner statements that failed.");
	evbuffer_add_printf(out, "warmd_campaign_plan_errors_total %llu\n",
	    (unsigned long long)st.errors);
}

static void
route_metric(void *arg, const struct brk_view *v)
{
	struct evbuffer	*out = arg;

	if (v->state == BRK_CLOSED)
		return;
	evbuffer_add_printf(out, "warmd_circuit_open{kind=\"%s\",route=\"",
	    breaker_kind_name(v->kind));
	figures_label(out, v->name);
	evbuffer_add_printf(out, "\",state=\"%s\"} 1\n",
	    breaker_state_name(v->state));
}

/*
 * Only routes that are not closed get a series of their own: a pool of
 * thousands of proxies is mostly healthy, and their names would be
 * thousands of series saying nothing.
 */
static void
breaker_metrics(struct evbuffer *out)
{
	struct breakers	*b = engine_breakers();
	uint64_t	 n[BRK_NKINDS][BRK_NSTATES], opened[BRK_NKINDS];

	breakers_counts(b, n, opened);
	figures_metric(out, "warmd_circuits", "gauge",
	    "Proxies and provider hosts whose circuit is open or half-open.");
	for (int i = 0; i < BRK_NKINDS; i++)
		for (int st = BRK_OPEN; st < BRK_NSTATES; st++)
			evbuffer_add_printf(out, "warmd_circuits{kind=\"%s\","
			    "state=\"%s\"} %llu\n",
			    breaker_kind_name((enum brk_kind)i),
			    breaker_state_name((enum brk_state)st),
			    (unsigned long long)n[i][st]);
	figures_metric(out, "warmd_circuit_opened_total", "counter",
	    "Times a closed circuit opened.");
	for (int i = 0; i < BRK_NKINDS; i++)
		evbuffer_add_printf(out, "warmd_circuit_opened_total{kind=\"%s\"}"
		    " %llu\n", breaker_kind_name((enum brk_kind)i),
		    (unsigned long long)opened[i]);
	figures_metric(out, "warmd_circuit_open", "gauge",
	    "1 per route whose circuit is not closed.");
	breakers_each(b, loop_now_ms(), route_metric, out);
}

static void
health_metrics(struct evbuffer *out)
{
	struct health_stats	st;

	health_stats(&st);
	figures_metric(out, "warmd_health_observations_total", "counter",
	    "Session observations queued for the health scores.");
	evbuffer_add_printf(out, "warmd_health_observations_total %llu\n",
	    (unsigned long long)st.noted);
	figures_metric(out, "warmd_health_accounts_total", "counter",
	    "Accounts paused by their health, and let out after a cooldown, by this process.");
	evbuffer_add_printf(out, "warmd_health_accounts_total{event=\"paused\"}"
	    " %llu\nwarmd_health_accounts_total{event=\"resumed\"} %llu\n",
	    (unsigned long long)st.paused, (unsigned long long)st.resumed);
	figures_metric(out, "warmd_health_write_errors_total", "counter",
	    "Health batches the database did not take.");
	evbuffer_add_printf(out, "warmd_health_write_errors_total %llu\n",
	    (unsigned long long)st.errors);
}

static void
alert_metrics(struct evbuffer *out)
{
	struct alert_stats	st;

	alert_stats(&st);
	figures_metric(out, "warmd_alerts_enabled", "gauge",
	    "1 when Telegram alerts are configured.");
	evbuffer_add_printf(out, "warmd_alerts_enabled %d\n", st.enabled);
	figures_metric(out, "warmd_alerts_total", "counter",
	    "Alert events by what became of them.");
	evbuffer_add_printf(out, "warmd_alerts_total{result=\"raised\"} %llu\n"
	    "warmd_alerts_total{result=\"sent\"} %llu\n"
	    "warmd_alerts_total{result=\"folded\"} %llu\n"
	    "warmd_alerts_total{result=\"retried\"} %llu\n"
	    "warmd_alerts_total{result=\"dropped\"} %llu\n",
	    (unsigned long long)st.raised, (unsigned long long)st.sent,
	    (unsigned long long)st.folded, (unsigned long long)st.retries,
	    (unsigned long long)st.dropped);
}

void
status_render_metrics(struct evbuffer *out, void *arg)
{
	const struct acct_stats	*a = &daemon_state.accounts;
	const struct reload_result *r = &daemon_state.reload;

	(void)arg;
	figures_metric(out, "warmd_uptime_seconds", "gauge",
	    "Seconds since warmd started.");
	evbuffer_add_printf(out, "warmd_uptime_seconds %.3f\n", uptime_s());
	figures_metric(out, "warmd_config_generation", "gauge",
	    "Generation of the config in use (1 = as started).");
	evbuffer_add_printf(out, "warmd_config_generation %u\n",
	    daemon_state.cfg->generation);
	figures_metric(out, "warmd_config_reloads_total", "counter",
	    "Config reloads by result.");
	evbuffer_add_printf(out, "warmd_config_reloads_total{result=\"ok\"} %u\n",
	    r->total_ok);
	evbuffer_add_printf(out,
	    "warmd_config_reloads_total{result=\"failed\"} %u\n", r->total_failed);
	figures_metric(out, "warmd_config_last_reload_ok", "gauge",
	    "1 if the last reload succeeded, 0 if it failed (1 before any).");
	evbuffer_add_printf(out, "warmd_config_last_reload_ok %d\n", r->ok != 0);
	figures_metric(out, "warmd_postgres_up", "gauge",
	    "1 when at least one PostgreSQL connection is ready.");
	evbuffer_add_printf(out, "warmd_postgres_up %d\n",
	    daemon_state.pg && pg_connections_up(daemon_state.pg) > 0);
	figures_metric(out, "warmd_redis_up", "gauge", "1 when Redis is connected.");
	evbuffer_add_printf(out, "warmd_redis_up %d\n",
	    daemon_state.redis != NULL && rds_is_up(daemon_state.redis));
	figures_metric(out, "warmd_account_lines", "gauge",
	    "Lines of the account files by outcome of the last load.");
	evbuffer_add_printf(out, "warmd_account_lines{result=\"loaded\"} %zu\n",
	    a->loaded);
	evbuffer_add_printf(out, "warmd_account_lines{result=\"rejected\"} %zu\n",
	    a->rejected);
	evbuffer_add_printf(out, "warmd_account_lines{result=\"duplicate\"} %zu\n",
	    a->duplicates);
	figures_metric(out, "warmd_account_syncs_total", "counter",
	    "Syncs of the account files to the database by result.");
	evbuffer_add_printf(out, "warmd_account_syncs_total{result=\"ok\"} %u\n",
	    a->syncs_ok);
	evbuffer_add_printf(out, "warmd_account_syncs_total{result=\"failed\"} %u\n",
	    a->syncs_failed);
	if (a->counted) {
		figures_metric(out, "warmd_accounts", "gauge", "Accounts by status.");
		evbuffer_add_printf(out, "warmd_accounts{status=\"active\"} %ld\n",
		    a->active);
		evbuffer_add_printf(out, "warmd_accounts{status=\"error\"} %ld\n",
		    a->error);
		evbuffer_add_printf(out, "warmd_accounts{status=\"suspended\"} %ld\n",
		    a->suspended);
	}
	jobs_metrics(out);
	breaker_metrics(out);
	health_metrics(out);
	alert_metrics(out);
	planner_metrics(out);
	figures_render_metrics(out);
}
