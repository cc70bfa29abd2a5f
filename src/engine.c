/*
 * The jobs engine.  One struct work per leased account, through these
 * phases:
 *
 *   LOAD     the account row is being read (one statement per claim)
 *   CAPS     daily caps are being reserved
 *   RUN      its session runs the jobs, one action per job
 *   CLOSE    outcome writes are settling, then the lease is given back
 *
 * A job's outcome is written as soon as its action ends, fenced by the
 * worker id; the lease is given back only after every outcome write has
 * been answered, because the pool's connections do not keep order between
 * statements and a release overtaking a "done" would requeue the job.
 */
#include <arpa/inet.h>
#include <sys/queue.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "account.h"
#include "acctstore.h"
#include "alert.h"
#include "action.h"
#include "backoff.h"
#include "breaker.h"
#include "caps.h"
#include "config.h"
#include "engine.h"
#include "health.h"
#include "jobq.h"
#include "log.h"
#include "loop.h"
#include "outcome.h"
#include "pg.h"
#include "rng.h"
#include "secret.h"
#include "sendid.h"
#include "session.h"
#include "steps.h"
#include "xmalloc.h"

enum work_phase { W_LOAD, W_CAPS, W_RUN, W_CLOSE };

/* A session environment and the config it reads; freed when unused. */
struct envref {
	struct sess_env		*env;
	struct config		*cfg;	/* owned when retired, else NULL */
	size_t			 users;
	LIST_ENTRY(envref)	 entry;
};

/* A scenario job's steps in flight (see steps.h). */
struct chain {
	int			 left;		/* steps not reported yet */
	int			 broken;	/* the rest are skipped */
	enum act_status		 bad;		/* the first that failed */
	unsigned		 defer_ms;	/* bad is ACT_DEFERRED */
	char			*reason;
	json_t			*result;
};

struct work {
	TAILQ_ENTRY(work)	 entry;
	enum work_phase		 phase;
	char			 account_id[37];
	char			 day[11];
	struct job		*jobs;
	size_t			 njobs;
	struct chain		*chains;	/* per job; NULL until RUN */
	struct account		*acct;		/* until the session owns it */
	struct session		*sess;
	struct caps_req		*caps;
	struct envref		*env;
	int			 reserved[ACT_NKINDS];
	unsigned		 writes;	/* outcome writes unanswered */
	int			 lost;		/* lease lost: stop, write nothing new */
	int			 h_transient;	/* a job failed for a passing reason */
	int			 h_send_failed;	/* letters or replies refused */
	int			 releasing;
	uint64_t		 claimed_ms;
};

/* One job outcome on its way to the row, kept for a retry. */
struct finish {
	TAILQ_ENTRY(finish)	 entry;		/* waiting for the next batch */
	struct work		*w;
	char			 job_id[24];
	struct jobq_outcome	 o;		/* strings owned */
	int			 tries;
	struct event		*retry;
};

TAILQ_HEAD(worklist, work);
TAILQ_HEAD(finishlist, finish);

/* Outcomes written by one statement at most. */
#define FINISH_BATCH	500

static struct {
	const struct config	*cfg;
	struct pg_pool		*pg;
	struct rds		*redis;
	struct curlev		*curl;
	struct secret_key	 key;
	char			 worker[256];
	struct worklist		 works;
	size_t			 nworks;
	struct envref		*cur;
	LIST_HEAD(, envref)	 retired;
	struct event		*poll, *renew, *reap, *again, *flush;
	struct finishlist	 finishing;	/* outcomes for the next batch */
	struct store_req	*claim_req, *load_req, *renew_req, *reap_req;
	int			 claim_wanted;	/* claim again when this one ends */
	int			 draining;
	int			 started;
	uint64_t		 last_renew_ok;
	uint64_t		 renew_sent;
	struct engine_stats	 st;
	struct rng		 rng;
	struct breakers		*breakers;	/* outlive reloads */
	int			 crash_after_send;	/* test hook */
} E;

static void	claim(void);
static void	work_close(struct work *);
static void	work_settle(struct work *);

/* ---- environments ------------------------------------------------------- */

/* Sessions are freed at the end of the loop iteration that ended them. */
static void
env_reap(void *arg)
{
	struct envref	*r = arg;

	if (r->users > 0 || !E.started)
		return;
	if (sess_env_active(r->env) > 0) {
		loop_defer(env_reap, r);
		return;
	}
	LIST_REMOVE(r, entry);
	sess_env_free(r->env);
	config_free(r->cfg);
	free(r);
}

static void
env_unref(struct envref *r)
{
	if (--r->users > 0 || r == E.cur)
		return;
	loop_defer(env_reap, r);
}

static struct envref *
env_new(const struct config *cfg, char *why, size_t len)
{
	struct envref	*r = xcalloc(1, sizeof(*r));

	r->env = sess_env_new(cfg, E.curl, E.redis, &E.key, E.breakers, why,
	    len);
	if (r->env == NULL) {
		free(r);
		return NULL;
	}
	r->users = 1;		/* the engine's own reference while current */
	return r;
}

/* The caps as the current config sets them. */
static struct caps_ctx
caps_now(void)
{
	struct caps_ctx	c = { E.redis, E.pg, E.cfg->redis.key_prefix,
	    E.cfg->warmd.time_zone, E.cfg->jobs.daily_cap };

	return c;
}

/* ---- circuit breakers ------------------------------------------------------ */

static struct brk_conf
brk_conf_of(const struct config *cfg)
{
	struct brk_conf	c;

	c.failures = (unsigned)cfg->breaker.failures;
	c.cooldown_ms = cfg->breaker.cooldown_ms;
	c.max_cooldown_ms = cfg->breaker.max_cooldown_ms;
	c.probe_timeout_ms = cfg->breaker.probe_timeout_ms;
	return c;
}

static void
route_opened(void *arg, enum brk_kind kind, const char *name,
    unsigned failures, const char *error, uint64_t cooldown_ms)
{
	(void)arg;
	log_warn("jobs: %s %s: circuit open after %u failures (last: %s);"
	    " its accounts wait %llu s", breaker_kind_name(kind), name,
	    failures, error, (unsigned long long)(cooldown_ms / 1000));
	alert_raise(ALERT_CIRCUIT, "%s circuit opened: %s after %u failures"
	    " in a row (last: %s); its accounts wait, a probe in %llu s",
	    kind == BRK_PROXY ? "Proxy" : "Provider host", name, failures,
	    error, (unsigned long long)(cooldown_ms / 1000));
}


/* ---- outcomes ------------------------------------------------------------- */

static void
write_answered(struct work *w)
{
	if (--w->writes == 0 && w->phase == W_CLOSE)
		work_close(w);
}

static void
store_answered(void *arg, int ok)
{
	(void)ok;
	write_answered(arg);
}

static void	finish_send(struct finish *f);

static void
finish_free(struct finish *f)
{
	if (f->retry != NULL)
		event_free(f->retry);
	free((char *)f->o.result);
	free((char *)f->o.error);
	free((char *)f->o.proxy);
	free((char *)f->o.ip);
	free(f);
}

static void
finish_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish_send(arg);
}

static void
finish_answered(void *arg, enum jobq_written how)
{
	struct finish	*f = arg;
	struct work	*w = f->w;

	switch (how) {
	case JOBQ_WRITTEN:
		switch (f->o.end) {
		case JOBQ_DONE: E.st.done++; break;
		case JOBQ_FAILED: E.st.failed++; break;
		case JOBQ_RETRY: E.st.retried++; break;
		case JOBQ_RELEASE: E.st.released++; break;
		case JOBQ_NEXT_DAY: E.st.deferred++; break;
		case JOBQ_DEFER: E.st.route_waits++; break;
		}
		break;
	case JOBQ_FENCED:
		/* A retry after an unknown outcome may land here too. */
		if (f->tries == 0) {
			E.st.fenced++;
			log_warn("jobs: job %s: not ours any more; outcome"
			    " dropped", f->job_id);
		}
		break;
	case JOBQ_NOT_WRITTEN:
		/*
		 * The database is away.  Keep trying while the lease may
		 * still hold; once it has lapsed the reaper requeues the
		 * job and the fence would refuse us anyway.
		 */
		if (!w->lost && f->tries < 20 && !E.draining) {
			f->tries++;
			if (f->retry == NULL)
				f->retry = evtimer_new(loop_base(),
				    finish_retry, f);
			loop_timer_ms(f->retry, 500u * (unsigned)f->tries);
			return;
		}
		break;
	}
	finish_free(f);
	write_answered(w);
}

/*
 * Every outcome of a loop iteration goes out in one statement, written
 * when the iteration's events are done (a zero timer).
 */
static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct jobq_item	 items[FINISH_BATCH];
	struct finish		*f;
	size_t			 n = 0;

	(void)fd;
	(void)what;
	(void)arg;
	while (n < FINISH_BATCH && (f = TAILQ_FIRST(&E.finishing)) != NULL) {
		TAILQ_REMOVE(&E.finishing, f, entry);
		items[n].job_id = f->job_id;
		items[n].o = &f->o;
		items[n].arg = f;
		n++;
	}
	if (!TAILQ_EMPTY(&E.finishing))
		loop_timer_ms(E.flush, 0);
	if (n > 0 && jobq_finish_many(E.pg, E.worker, items, n,
	    finish_answered) == NULL)
		for (size_t i = 0; i < n; i++)
			finish_answered(items[i].arg, JOBQ_NOT_WRITTEN);
}

/* The write was counted once in job_end; retries do not count again. */
static void
finish_send(struct finish *f)
{
	if (TAILQ_EMPTY(&E.finishing))
		loop_timer_ms(E.flush, 0);
	TAILQ_INSERT_TAIL(&E.finishing, f, entry);
}

/* Queue the outcome of job j; error and result are copied. */
static void
job_end(struct work *w, struct job *j, enum jobq_end end, const char *error,
    const char *result, const char *proxy, const char *ip, unsigned defer_ms)
{
	struct finish	*f = xcalloc(1, sizeof(*f));
	struct in6_addr	 a6;
	struct in_addr	 a4;
	int		 k = act_kind_parse(j->task);
	struct rng	 r;

	f->w = w;
	snprintf(f->job_id, sizeof(f->job_id), "%s", j->id);
	f->o.end = end;
	f->o.error = error != NULL ? xstrdup(error) : NULL;
	f->o.result = result != NULL ? xstrdup(result) : NULL;
	f->o.proxy = proxy != NULL ? xstrdup(proxy) : NULL;
	/* inet refuses anything else, and would fail the whole write. */
	if (ip != NULL && (inet_pton(AF_INET, ip, &a4) == 1 ||
	    inet_pton(AF_INET6, ip, &a6) == 1))
		f->o.ip = xstrdup(ip);
	f->o.time_zone = E.cfg->warmd.time_zone;
	if (end == JOBQ_RETRY) {
		rng_seed(&r, rng_next(&E.rng), j->id);
		f->o.delay_ms = backoff_seeded_ms(E.cfg->jobs.retry_min_ms,
		    E.cfg->jobs.retry_max_ms,
		    (unsigned)(j->attempts > 0 ? j->attempts - 1 : 0), &r);
	} else if (end == JOBQ_DEFER) {
		/*
		 * A tenth past the route's wait, so its probe goes first,
		 * then up to a tenth more, so the accounts of a route do not
		 * all come back in the same second.
		 */
		defer_ms += defer_ms / 10;
		rng_seed(&r, rng_next(&E.rng), j->id);
		f->o.delay_ms = defer_ms + (unsigned)rng_range(&r, 0,
		    defer_ms / 10);
	}
	/* A reserved start that did not happen goes back to today's cap. */
	if (end != JOBQ_DONE && k >= 0 && w->reserved[k] > 0) {
		w->reserved[k]--;
		struct caps_ctx	cc = caps_now();

		caps_give_back(&cc, w->account_id, w->day, (enum act_kind)k,
		    1);
	}
	w->writes++;
	finish_send(f);
}

static enum jobq_end
end_of(enum act_status st)
{
	switch (st) {
	case ACT_OK:
		return JOBQ_DONE;
	case ACT_TRANSIENT:
		return JOBQ_RETRY;
	case ACT_PERMANENT:
		return JOBQ_FAILED;
	case ACT_DEFERRED:
		return JOBQ_DEFER;
	case ACT_ACCOUNT:
	case ACT_CANCELLED:
	default:
		/*
		 * Not the job's fault: it waits, uncounted, for the account
		 * to be cleared (or for the next process to take it).
		 */
		return JOBQ_RELEASE;
	}
}

/* ---- the session's callbacks -------------------------------------------- */

/* What an action's end says of its account's health (see health.h). */
static void
tally(struct work *w, const struct action *a, const struct act_result *r)
{
	int	failed = r->status == ACT_TRANSIENT || r->status == ACT_PERMANENT;

	if (r->status == ACT_TRANSIENT)
		w->h_transient = 1;
	if (failed && (a->kind == ACT_SEND || a->kind == ACT_REPLY))
		w->h_send_failed++;
}

/* A warm-up letter found in Spam counts against its sender. */
static void
tally_placement(const struct job *j, json_t *result)
{
	struct health_obs	o = { 0 };

	if (strcmp(j->task, "warm_receive") != 0 || !json_is_string(
	    json_object_get(result, "placement")) || strcmp(json_string_value(
	    json_object_get(result, "placement")), "spam") != 0)
		return;
	o.job_id = j->id;
	o.spam = 1;
	health_note(&o);
}

/* One step of a scenario job ended; the last one ends the job. */
static void
chain_step(struct work *w, struct job *j, const struct action *a,
    const struct act_result *r)
{
	struct chain	*c = &w->chains[j - w->jobs];
	char		*result;

	steps_record(c->result, a, r);
	tally(w, a, r);
	if (r->status != ACT_OK && r->status != ACT_SKIPPED && !c->broken) {
		c->broken = 1;
		c->bad = r->status;
		c->defer_ms = r->defer_ms;
		c->reason = xasprintf("%s: %s", act_kind_name(a->kind),
		    r->reason != NULL ? r->reason : act_status_name(r->status));
	}
	if (--c->left > 0)
		return;
	if (!c->broken)
		tally_placement(j, c->result);
	result = json_dumps(c->result, JSON_COMPACT);
	job_end(w, j, end_of(c->broken ? c->bad : ACT_OK), c->reason, result,
	    r->proxy, r->exit_ip, c->defer_ms);
	free(result);
}

static void
on_action(void *arg, struct session *s, size_t idx, struct action *a,
    struct act_result *r)
{
	struct work	*w = arg;
	struct job	*j = a->udata;
	char		*result = NULL;

	(void)s;
	(void)idx;
	if (E.crash_after_send && r->status == ACT_OK &&
	    (a->kind == ACT_SEND || a->kind == ACT_REPLY)) {
		/*
		 * Test hook (WARMD_TEST_CRASH_AFTER_SEND): die between the
		 * provider's acceptance and the database update, the window
		 * the Sent lookup exists for.
		 */
		log_warn("test hook: dying after job %s's letter left", j->id);
		raise(SIGKILL);
	}
	w->writes += (unsigned)outcome_action(E.pg, &E.key, w->account_id,
	    j->id, a, r, store_answered, w);
	if (w->chains != NULL && w->chains[j - w->jobs].left > 0) {
		chain_step(w, j, a, r);
		return;
	}
	tally(w, a, r);
	if (r->data != NULL && (r->status == ACT_OK ||
	    json_object_size(r->data) > 0))
		result = json_dumps(r->data, JSON_COMPACT);
	job_end(w, j, end_of(r->status), r->reason, result, r->proxy,
	    r->exit_ip, r->defer_ms);
	free(result);
}

/* The session's observation; a stopped one says nothing. */
static void
note_health(struct work *w, const struct sess_outcome *o)
{
	struct health_obs	h = { 0 };

	if (w->lost || o->stopped)
		return;
	h.account_id = w->account_id;
	h.login_failed = o->login_failed;
	h.transient = w->h_transient && !o->login_failed;
	h.send_failed = w->h_send_failed;
	h.challenge = o->account_status != NULL &&
	    strcmp(o->account_status, "suspended") == 0;
	h.ok = o->ok && o->login != NULL && !w->h_transient;
	if (h.ok || h.login_failed || h.transient || h.send_failed ||
	    h.challenge)
		health_note(&h);
}

static void
on_finished(void *arg, struct session *s, const struct sess_outcome *o)
{
	struct work	*w = arg;

	w->sess = NULL;
	w->writes += (unsigned)outcome_session(E.pg, w->account_id, o,
	    store_answered, w);
	note_health(w, o);
	if (o->account_status != NULL)
		alert_raise(ALERT_ACCOUNT, "%s is %s: %s",
		    session_account(s)->email, o->account_status,
		    o->account_reason != NULL ? o->account_reason : "no reason");
	if (!o->ok && o->error != NULL)
		log_info("jobs: account %s: %s", w->account_id, o->error);
	work_settle(w);
}

/* ---- a work's life ---------------------------------------------------------- */

static void
released(void *arg, int ok)
{
	struct work	*w = arg;

	(void)ok;
	TAILQ_REMOVE(&E.works, w, entry);
	E.nworks--;
	for (size_t i = 0; i < w->njobs; i++) {
		job_clear(&w->jobs[i]);
		if (w->chains != NULL) {
			free(w->chains[i].reason);
			json_decref(w->chains[i].result);
		}
	}
	free(w->chains);
	free(w->jobs);
	account_free(w->acct);
	if (w->env != NULL)
		env_unref(w->env);
	free(w);
	/* A slot is free. */
	if (!E.draining)
		loop_timer_ms(E.again, 0);
}

/* Every write answered: give the account back. */
static void
work_close(struct work *w)
{
	if (w->releasing)
		return;
	w->releasing = 1;
	w->phase = W_CLOSE;
	if (jobq_release(E.pg, E.worker, w->account_id, released, w) == NULL)
		released(w, 0);
}

/* No session (any more): close once every outcome write is answered. */
static void
work_settle(struct work *w)
{
	w->phase = W_CLOSE;
	if (w->writes == 0)
		work_close(w);
}

/* Release the jobs that never became actions, then close. */
static void
work_give_up(struct work *w, const char *why)
{
	for (size_t i = 0; i < w->njobs; i++)
		job_end(w, &w->jobs[i], JOBQ_RELEASE, why, NULL, NULL, NULL,
		    0);
	work_settle(w);
}

/* Expand scenario job j into acts; how many were added (0: job ended). */
static size_t
chain_start(struct work *w, struct job *j, struct action *acts, char *why,
    size_t len)
{
	struct chain	*c = &w->chains[j - w->jobs];
	char		 send_id[33], token[13];
	int		 n;

	if ((n = steps_expand(j->task, j->payload, acts, why, len)) <= 0) {
		job_end(w, j, JOBQ_FAILED, why, NULL, NULL, NULL, 0);
		return 0;
	}
	c->left = n;
	c->result = json_pack("{s:b}", "observe", json_is_true(
	    json_object_get(j->payload, "observe")));
	for (int i = 0; i < n; i++) {
		acts[i].udata = j;
		acts[i].skip = &c->broken;
		if (acts[i].kind != ACT_REPLY)
			continue;
		sendid_make(j->idem_key, j->id, send_id, token);
		json_object_set_new(acts[i].params, "send_id",
		    json_string(send_id));
		acts[i].token = xstrdup(token);
		acts[i].check_sent = j->effect_seen;
	}
	return (size_t)n;
}

static void
work_start(struct work *w, const int allowed[ACT_NKINDS])
{
	static const struct sess_owner owner_tmpl = { on_action, on_finished,
	    NULL };
	struct sess_owner	 owner = owner_tmpl;
	struct action		*acts = xcalloc(w->njobs * STEPS_MAX + 1,
				    sizeof(*acts));
	int			 left[ACT_NKINDS];
	size_t			 n = 0;
	char			 why[256], send_id[33], token[13];

	memcpy(left, allowed, sizeof(left));
	w->chains = xcalloc(w->njobs, sizeof(*w->chains));
	for (size_t i = 0; i < w->njobs; i++) {
		struct job	*j = &w->jobs[i];
		struct action	*a = &acts[n];
		int		 k = act_kind_parse(j->task);

		if (k >= 0 && E.cfg->jobs.daily_cap[k] > 0 && left[k]-- <= 0) {
			job_end(w, j, JOBQ_NEXT_DAY, "daily cap reached",
			    NULL, NULL, NULL, 0);
			continue;
		}
		if (steps_is_scenario(j->task)) {
			n += chain_start(w, j, a, why, sizeof(why));
			continue;
		}
		if (action_init(a, j->task, j->payload, why, sizeof(why)) ==
		    -1) {
			job_end(w, j, JOBQ_FAILED, why, NULL, NULL, NULL, 0);
			continue;
		}
		if (a->kind == ACT_SEND || a->kind == ACT_REPLY) {
			sendid_make(j->idem_key, j->id, send_id, token);
			if (json_object_get(a->params, "send_id") == NULL)
				json_object_set_new(a->params, "send_id",
				    json_string(send_id));
			a->token = xstrdup(token);
			a->check_sent = j->effect_seen;
		}
		a->udata = j;
		n++;
	}
	if (n == 0) {
		free(acts);
		work_settle(w);
		return;
	}
	owner.arg = w;
	w->phase = W_RUN;
	w->env = E.cur;
	E.cur->users++;
	w->sess = session_start(E.cur->env, w->acct, acts, n, &owner);
	w->acct = NULL;		/* the session's now */
}

static void
caps_done(void *arg, const int allowed[ACT_NKINDS])
{
	struct work	*w = arg;

	w->caps = NULL;
	for (int k = 0; k < ACT_NKINDS; k++)
		w->reserved[k] = E.cfg->jobs.daily_cap[k] > 0 ? allowed[k] : 0;
	if (w->lost || E.draining) {
		work_give_up(w, "stopped before the session began");
		return;
	}
	work_start(w, allowed);
}

static void
work_loaded(struct work *w)
{
	int		 want[ACT_NKINDS] = { 0 };
	struct caps_ctx	 cc = caps_now();

	if (w->lost || E.draining) {
		work_give_up(w, "stopped before the session began");
		return;
	}
	if (w->acct == NULL) {
		/* Unreadable secrets: say so on the account, keep the jobs. */
		w->writes++;
		if (acctstore_set_status(E.pg, w->account_id, "error",
		    "stored secrets do not decrypt with the current key",
		    store_answered, w) == NULL)
			w->writes--;
		work_give_up(w, "account secrets do not decrypt");
		return;
	}
	if (strcmp(w->acct->status, "active") != 0) {
		work_give_up(w, "account is not active");
		return;
	}
	if (!caps_any(&cc)) {
		for (int k = 0; k < ACT_NKINDS; k++)
			want[k] = 1 << 30;
		work_start(w, want);
		return;
	}
	for (size_t i = 0; i < w->njobs; i++) {
		int k = act_kind_parse(w->jobs[i].task);

		if (k >= 0)
			want[k]++;
	}
	w->phase = W_CAPS;
	w->caps = caps_reserve(&cc, w->account_id, w->day, want, caps_done, w);
}

/* The claim's accounts, read with their secrets. */
struct batch {
	struct work	**works;
	size_t		  n;
};

static void
batch_loaded(void *arg, int ok, struct account **accts, size_t n,
    const char *err)
{
	struct batch	*b = arg;

	E.load_req = NULL;
	if (!ok)
		log_warn("jobs: cannot load claimed accounts: %s",
		    err != NULL ? err : "?");
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < b->n; k++)
			if (b->works[k]->acct == NULL &&
			    strcmp(b->works[k]->account_id, accts[i]->id) == 0) {
				b->works[k]->acct = accts[i];
				accts[i] = NULL;
				break;
			}
	for (size_t i = 0; i < n; i++)
		account_free(accts[i]);
	free(accts);
	for (size_t k = 0; k < b->n; k++) {
		if (!ok)
			work_give_up(b->works[k], "accounts could not be loaded");
		else
			work_loaded(b->works[k]);
	}
	free(b->works);
	free(b);
	claim();
}

/* ---- claiming ---------------------------------------------------------------- */

static void
claimed(void *arg, int ok, struct jobq_claim *c, const char *err)
{
	struct batch	*b;
	const char	**ids;
	size_t		  i, j;
	int		  want = (int)(intptr_t)arg;

	E.claim_req = NULL;
	E.st.claims++;
	if (!ok) {
		log_warn("jobs: claim failed: %s", err);
		return;		/* the poll comes back */
	}
	b = xcalloc(1, sizeof(*b));
	b->works = xcalloc(c->n + 1, sizeof(*b->works));
	for (i = 0; i < c->n; i = j) {
		struct work *w = xcalloc(1, sizeof(*w));

		for (j = i; j < c->n && strcmp(c->jobs[j].account_id,
		    c->jobs[i].account_id) == 0; j++)
			;
		snprintf(w->account_id, sizeof(w->account_id), "%s",
		    c->jobs[i].account_id);
		snprintf(w->day, sizeof(w->day), "%s", c->day);
		w->njobs = j - i;
		w->jobs = xcalloc(w->njobs, sizeof(*w->jobs));
		memcpy(w->jobs, &c->jobs[i], w->njobs * sizeof(*w->jobs));
		memset(&c->jobs[i], 0, w->njobs * sizeof(*w->jobs));
		w->claimed_ms = loop_now_ms();
		w->phase = W_LOAD;
		TAILQ_INSERT_TAIL(&E.works, w, entry);
		E.nworks++;
		b->works[b->n++] = w;
		E.st.jobs += w->njobs;
	}
	E.st.accounts += b->n;
	if (b->n == 0) {
		free(b->works);
		free(b);
		/* Others hold the window's locks, yet work waits: look again soon. */
		if (c->backlog > 0 && !E.draining)
			loop_timer_ms(E.again, 10 + rng_range(&E.rng, 0, 40));
		jobq_claim_free(c);
		return;
	}
	log_debug("jobs: claimed %zu jobs of %zu accounts (asked %d)", c->n,
	    b->n, want);
	jobq_claim_free(c);
	ids = xcalloc(b->n, sizeof(*ids));
	for (i = 0; i < b->n; i++)
		ids[i] = b->works[i]->account_id;
	E.load_req = acctstore_load_ids(E.pg, &E.key, ids, b->n, batch_loaded,
	    b);
	free(ids);
	if (E.load_req == NULL)
		batch_loaded(b, 0, NULL, 0, "database unavailable");
}

static void
claim(void)
{
	struct jobq_claim_opts	o;
	int			room;

	if (!E.started || E.draining || E.claim_req != NULL ||
	    E.load_req != NULL)
		return;
	room = E.cfg->warmd.max_sessions - (int)E.nworks;
	if (room <= 0)
		return;
	/*
	 * Back-pressure: the outcomes of the sessions already running wait
	 * behind the pool's queue, and a claim would only lengthen it (and
	 * the time leases are held).  Claim again once it has drained.
	 */
	if (pg_pending(E.pg) > E.cfg->jobs.claim_batch) {
		E.st.claims_deferred++;
		loop_timer_ms(E.again, 100);
		return;
	}
	o.worker = E.worker;
	o.accounts = room < E.cfg->jobs.claim_batch ? room :
	    E.cfg->jobs.claim_batch;
	o.per_account = E.cfg->jobs.jobs_per_session;
	o.lease_ms = E.cfg->jobs.lease_ms;
	o.time_zone = E.cfg->warmd.time_zone;
	E.claim_req = jobq_claim(E.pg, &o, claimed, (void *)(intptr_t)o.accounts);
}

static void
on_again(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	claim();
}

static void
on_notify(void *arg, const char *channel, const char *payload)
{
	(void)arg;
	(void)channel;
	/* NULL: (re)subscribed, notifications may have been missed. */
	if (payload == NULL) {
		E.st.listening = 1;
		log_info("jobs: listening for new jobs");
	}
	if (!E.draining)
		loop_timer_ms(E.again, 0);
}

/* ---- leases ------------------------------------------------------------------- */

static void
lose(struct work *w, const char *why)
{
	if (w->lost)
		return;
	w->lost = 1;
	E.st.lost_leases++;
	log_warn("jobs: account %s: %s; stopping its session", w->account_id,
	    why);
	if (w->sess != NULL)
		session_abort(w->sess);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
renewed(void *arg, int ok, char **ids, size_t n)
{
	struct work	*w;
	uint64_t	 sent = E.renew_sent;

	(void)arg;
	E.renew_req = NULL;
	if (!ok) {
		/*
		 * Fence ourselves: past two thirds of the lease without a
		 * renewal, another process may soon take these accounts.
		 */
		if (loop_now_ms() - E.last_renew_ok > E.cfg->jobs.lease_ms *
		    2 / 3)
			TAILQ_FOREACH(w, &E.works, entry)
				lose(w, "leases could not be renewed in time");
		return;
	}
	E.last_renew_ok = sent;
	qsort(ids, n, sizeof(*ids), cmp_str);
	TAILQ_FOREACH(w, &E.works, entry) {
		const char *key = w->account_id;

		if (w->claimed_ms >= sent || w->releasing)
			continue;
		if (bsearch(&key, ids, n, sizeof(*ids), cmp_str) == NULL)
			lose(w, "lease lost");
	}
}

static void
on_renew(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (E.renew_req != NULL)
		return;
	if (E.nworks == 0) {
		E.last_renew_ok = loop_now_ms();
		return;
	}
	E.renew_sent = loop_now_ms();
	E.renew_req = jobq_renew(E.pg, E.worker, E.cfg->jobs.lease_ms, renewed,
	    NULL);
	if (E.renew_req == NULL)
		renewed(NULL, 0, NULL, 0);
}

static void
reaped(void *arg, int ok, const struct jobq_reaped *r)
{
	(void)arg;
	E.reap_req = NULL;
	if (!ok)
		return;
	E.st.requeued += (uint64_t)r->requeued;
	E.st.exhausted += (uint64_t)r->exhausted;
	E.st.expired += (uint64_t)r->expired;
	if (r->requeued + r->exhausted + r->expired > 0)
		log_info("jobs: reaper: %ld requeued from expired leases, %ld"
		    " failed (attempts or deadline), %ld expired in the queue",
		    r->requeued, r->exhausted, r->expired);
	if (r->requeued > 0 && !E.draining)
		loop_timer_ms(E.again, 0);
}

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (E.reap_req == NULL)
		E.reap_req = jobq_reap(E.pg, reaped, NULL);
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	claim();
}

/* ---- public --------------------------------------------------------------------- */

static void
arm_timers(void)
{
	struct timeval	tv;

#define TV(ms)	(tv.tv_sec = (ms) / 1000, tv.tv_usec = ((ms) % 1000) * 1000, &tv)
	event_add(E.poll, TV(E.cfg->jobs.poll_interval_ms));
	event_add(E.renew, TV(E.cfg->jobs.lease_ms / 3));
	event_add(E.reap, TV(E.cfg->jobs.reap_interval_ms));
#undef TV
}

int
engine_start(const struct config *cfg, struct pg_pool *pg, struct rds *redis,
    struct curlev *curl, char *why, size_t len)
{
	struct event_base	*base = loop_base();
	struct brk_conf		 bc;
	char			 host[128];
	const char		*hook;

	memset(&E, 0, sizeof(E));
	TAILQ_INIT(&E.works);
	TAILQ_INIT(&E.finishing);
	LIST_INIT(&E.retired);
	E.cfg = cfg;
	E.pg = pg;
	E.redis = redis;
	E.curl = curl;
	if (secret_key_load(cfg->accounts.key_file, &E.key, why, len) < 0)
		return -1;
	bc = brk_conf_of(cfg);
	E.breakers = breakers_new(&bc, route_opened, NULL);
	if ((E.cur = env_new(cfg, why, len)) == NULL) {
		secret_key_wipe(&E.key);
		breakers_free(E.breakers);
		E.breakers = NULL;
		return -1;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* Unique across restarts: a new process is a new owner. */
	snprintf(E.worker, sizeof(E.worker), "%s:%d:%lld",
	    cfg->warmd.worker_name != NULL ? cfg->warmd.worker_name : host,
	    (int)getpid(), (long long)time(NULL));
	rng_seed(&E.rng, (uint64_t)arc4random() << 32 | arc4random(),
	    E.worker);
	hook = getenv("WARMD_TEST_CRASH_AFTER_SEND");
	E.crash_after_send = hook != NULL && *hook != '\0' && *hook != '0';
	E.poll = event_new(base, -1, EV_PERSIST, on_poll, NULL);
	E.renew = event_new(base, -1, EV_PERSIST, on_renew, NULL);
	E.reap = event_new(base, -1, EV_PERSIST, on_reap, NULL);
	E.again = evtimer_new(base, on_again, NULL);
	E.flush = evtimer_new(base, on_flush, NULL);
	arm_timers();
	E.last_renew_ok = loop_now_ms();
	if (pg_listen(pg, "warmd_jobs", on_notify, NULL) < 0)
		log_warn("jobs: cannot LISTEN; polling only");
	E.started = 1;
	log_info("jobs: worker %s (batch %d, lease %u ms, poll %u ms)",
	    E.worker, cfg->jobs.claim_batch, cfg->jobs.lease_ms,
	    cfg->jobs.poll_interval_ms);
	loop_timer_ms(E.again, 0);
	on_reap(-1, 0, NULL);
	return 0;
}

void
engine_reconfigure(struct config *ncfg, struct config *ocfg)
{
	struct envref	*old = E.cur, *nr;
	struct brk_conf	 bc = brk_conf_of(ncfg);
	char		 why[256];

	if (!E.started) {
		config_free(ocfg);
		return;
	}
	E.cfg = ncfg;
	breakers_configure(E.breakers, &bc);
	/*
	 * The current env reads the config it was built from.  When an
	 * earlier reload failed to build a new env, that is an older config
	 * the env already owns, and ocfg is read by nobody any more.
	 */
	if (old->cfg == NULL)
		old->cfg = ocfg;
	else
		config_free(ocfg);
	arm_timers();
	if ((nr = env_new(ncfg, why, sizeof(why))) == NULL) {
		log_error("jobs: new session settings refused (%s); sessions"
		    " keep the previous ones", why);
		return;
	}
	E.cur = nr;
	LIST_INSERT_HEAD(&E.retired, old, entry);
	env_unref(old);		/* drop the engine's own reference */
}

void
engine_drain(void)
{
	E.draining = 1;
	if (E.poll != NULL)
		event_del(E.poll);
	if (E.again != NULL)
		event_del(E.again);
}

size_t
engine_busy(void)
{
	return E.nworks;
}

void
engine_abort(void)
{
	struct work	*w;

	engine_drain();
	/* session_abort reports from the loop: the list does not change here. */
	TAILQ_FOREACH(w, &E.works, entry)
		if (w->sess != NULL)
			session_abort(w->sess);
		else
			w->lost = 1;	/* caps or load answer closes it */
}

struct stop_req {
	void	(*done)(void *);
	void	 *arg;
};

static void
stopped(void *arg, int ok)
{
	struct stop_req	*r = arg;

	if (ok)
		log_info("jobs: leases of %s given back", E.worker);
	r->done(r->arg);
	free(r);
}

void
engine_stop(void (*done)(void *), void *arg)
{
	struct stop_req	*r = xcalloc(1, sizeof(*r));

	engine_drain();
	r->done = done;
	r->arg = arg;
	if (!E.started || jobq_release(E.pg, E.worker, NULL, stopped, r) ==
	    NULL) {
		loop_defer(done, arg);
		free(r);
	}
}

void
engine_free(void)
{
	struct envref	*r;

	if (!E.started)
		return;
	if (E.nworks > 0) {
		/* A hard stop: sessions still hold them; the process ends. */
		log_warn("jobs: %zu accounts still held at exit; their leases"
		    " expire and the reaper requeues their jobs", E.nworks);
		return;
	}
	/* Pending statements die with the pool; their callbacks never run. */
	store_cancel(E.claim_req);
	store_cancel(E.load_req);
	store_cancel(E.renew_req);
	store_cancel(E.reap_req);
	event_free(E.poll);
	event_free(E.renew);
	event_free(E.reap);
	event_free(E.again);
	event_free(E.flush);
	if (E.cur != NULL && sess_env_active(E.cur->env) == 0) {
		sess_env_free(E.cur->env);
		config_free(E.cur->cfg);
		free(E.cur);
	}
	while ((r = LIST_FIRST(&E.retired)) != NULL) {
		LIST_REMOVE(r, entry);
		if (sess_env_active(r->env) == 0)
			sess_env_free(r->env);
		config_free(r->cfg);
		free(r);
	}
	secret_key_wipe(&E.key);
	breakers_free(E.breakers);
	E.breakers = NULL;
	E.started = 0;
}

struct breakers *
engine_breakers(void)
{
	return E.breakers;
}

const char *
engine_worker_id(void)
{
	return E.worker;
}

void
engine_stats(struct engine_stats *st)
{
	*st = E.st;
	st->working = E.nworks;
}
