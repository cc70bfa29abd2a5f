/*
 * Observations are small and many (one per session): they are gathered
 * over a loop turn and handed to health_apply() as one JSON array, one
 * statement per turn at most, like the jobs' outcomes.  The formula lives
 * in SQL so that every process and `warmctl accounts` read the same score,
 * and the decay and the pause are decided under the row's lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "alert.h"
#include "config.h"
#include "health.h"
#include "log.h"
#include "loop.h"
#include "pg.h"

/* Statements with observations per loop turn, at most. */
#define HEALTH_BATCH	1000
/* A batch the database did not take is tried this many times. */
#define HEALTH_TRIES	5
/* Paused accounts whose cooldown is over are looked for this often. */
#define RESUME_EVERY_MS	15000

static const char apply_sql[] =
    "SELECT account_id, email, reason, final"
    " FROM health_apply($1::jsonb, $2::jsonb)";
static const char resume_sql[] =
    "SELECT account_id, email, reason FROM health_resume()";

static struct {
	const struct config	*cfg;
	struct pg_pool		*pg;
	json_t			*queued;	/* observations not sent yet */
	json_t			*sent;		/* on the wire */
	int			 tries;
	struct pg_req		*apply_req, *resume_req;
	struct event		*flush, *resume;
	struct health_stats	 st;
} H;

static void	flush(evutil_socket_t, short, void *);

static json_t *
conf_json(void)
{
	const struct config	*c = H.cfg;

	return json_pack("{s:f, s:i, s:i, s:i, s:i, s:i, s:i, s:I}",
	    "half_life_s", c->health.half_life_ms / 1000.0,
	    "login", c->health.login_failure, "transient", c->health.transient,
	    "send", c->health.send_failure, "spam", c->health.spam,
	    "relief", c->health.relief, "pause_below", c->health.pause_below,
	    "cooldown_s", (json_int_t)(c->health.cooldown_ms / 1000));
}

static void
applied(void *arg, enum pg_status st, const PGresult *res, const char *err)
{
	(void)arg;
	H.apply_req = NULL;
	if (st != PG_OK) {
		H.st.errors++;
		if (++H.tries < HEALTH_TRIES) {
			/* Back in front of what came since, for the next turn. */
			json_array_extend(H.sent, H.queued);
			json_decref(H.queued);
			H.queued = H.sent;
			H.sent = NULL;
			log_warn("health: observations not written (%s); trying"
			    " again", err != NULL ? err : "database error");
			loop_timer_ms(H.flush, 1000);
			return;
		}
		log_error("health: %zu observations dropped after %d tries: %s",
		    json_array_size(H.sent), H.tries, err != NULL ? err :
		    "database error");
	}
	json_decref(H.sent);
	H.sent = NULL;
	H.tries = 0;
	for (int i = 0; st == PG_OK && i < PQntuples(res); i++) {
		const char *email = PQgetvalue(res, i, 1);
		const char *why = PQgetvalue(res, i, 2);
		int final = strcmp(PQgetvalue(res, i, 3), "t") == 0;

		H.st.paused++;
		log_warn("account %s: %s%s", email, why, final ?
		    "; it waits for warmctl resume" : "");
		alert_raise(ALERT_ACCOUNT, "%s is suspended: %s%s", email, why,
		    final ? " (waits for warmctl resume)" :
		    " (tried again after the cooldown)");
	}
	if (json_array_size(H.queued) > 0)
		loop_timer_ms(H.flush, 0);
}

static void
flush(evutil_socket_t fd, short what, void *arg)
{
	json_t		*conf;
	char		*obs, *cs;
	const char	*params[2];

	(void)fd;
	(void)what;
	(void)arg;
	if (H.apply_req != NULL || H.pg == NULL ||
	    json_array_size(H.queued) == 0)
		return;
	H.sent = H.queued;
	H.queued = json_array();
	/* The rest waits for the next turn (taken off the end: no shifts). */
	for (size_t i = HEALTH_BATCH; i < json_array_size(H.sent); i++)
		json_array_append(H.queued, json_array_get(H.sent, i));
	while (json_array_size(H.sent) > HEALTH_BATCH)
		json_array_remove(H.sent, json_array_size(H.sent) - 1);
	conf = conf_json();
	obs = json_dumps(H.sent, JSON_COMPACT);
	cs = json_dumps(conf, JSON_COMPACT);
	params[0] = obs;
	params[1] = cs;
	H.apply_req = pg_query(H.pg, apply_sql, 2, params, applied, NULL);
	free(obs);
	free(cs);
	json_decref(conf);
	if (H.apply_req == NULL) {
		/* The pool is closing: nothing more will be written. */
		json_decref(H.sent);
		H.sent = NULL;
	}
}

void
health_note(const struct health_obs *o)
{
	json_t	*v;

	if (H.queued == NULL)
		return;
	v = json_object();
	if (o->account_id != NULL)
		json_object_set_new(v, "a", json_string(o->account_id));
	else if (o->job_id != NULL)
		json_object_set_new(v, "j", json_integer(strtoll(o->job_id,
		    NULL, 10)));
	else {
		json_decref(v);
		return;
	}
#define SET(k, f)	if (o->f != 0) json_object_set_new(v, k, json_integer(o->f))
	SET("ok", ok);
	SET("lf", login_failed);
	SET("tr", transient);
	SET("sf", send_failed);
	SET("sp", spam);
	SET("ch", challenge);
#undef SET
	json_array_append_new(H.queued, v);
	H.st.noted++;
	if (H.apply_req == NULL && H.sent == NULL)
		loop_timer_ms(H.flush, 0);
}

static void
resumed(void *arg, enum pg_status st, const PGresult *res, const char *err)
{
	(void)arg;
	H.resume_req = NULL;
	if (st != PG_OK) {
		log_warn("health: cannot look for paused accounts to resume: %s",
		    err != NULL ? err : "database error");
		return;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		H.st.resumed++;
		log_info("account %s: cooldown over, tried once more (was: %s)",
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	}
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (H.resume_req == NULL && H.pg != NULL)
		H.resume_req = pg_query(H.pg, resume_sql, 0, NULL, resumed,
		    NULL);
}

void
health_configure(const struct config *cfg, struct pg_pool *pg)
{
	struct timeval	 tv;
	unsigned	 ms = RESUME_EVERY_MS;

	H.cfg = cfg;
	H.pg = pg;
	if (H.queued == NULL) {
		H.queued = json_array();
		H.flush = evtimer_new(loop_base(), flush, NULL);
		H.resume = event_new(loop_base(), -1, EV_PERSIST, on_resume,
		    NULL);
	}
	/* A cooldown shorter than the period is honoured to a tenth. */
	if (cfg->health.cooldown_ms > 0 && cfg->health.cooldown_ms / 10 < ms)
		ms = cfg->health.cooldown_ms / 10 > 200 ?
		    cfg->health.cooldown_ms / 10 : 200;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(H.resume, &tv);
}

size_t
health_pending(void)
{
	return json_array_size(H.queued) + json_array_size(H.sent);
}

void
health_stats(struct health_stats *st)
{
	*st = H.st;
}

void
health_shutdown(void)
{
	if (H.apply_req != NULL)
		pg_cancel(H.apply_req);
	if (H.resume_req != NULL)
		pg_cancel(H.resume_req);
	if (H.flush != NULL)
		event_free(H.flush);
	if (H.resume != NULL)
		event_free(H.resume);
	json_decref(H.queued);
	json_decref(H.sent);
	memset(&H, 0, sizeof(H));
}
