/*
 * The queue's statements.  Each is one round trip: data-modifying CTEs
 * keep a claim -- lease the accounts, mark their jobs running -- atomic
 * without a transaction block, which a pipelined async pool would make
 * fragile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "jobq.h"
#include "log.h"
#include "pg.h"
#include "xmalloc.h"

/*
 * The claim, in four steps:
 *   win     the oldest due jobs of free, active accounts -- a window a few
 *           times the batch, so rows locked by a concurrent claimer can be
 *           skipped without coming back empty-handed;
 *   pick    their accounts' lease rows, FOR UPDATE SKIP LOCKED: two
 *           processes never wait on each other, and the lease condition is
 *           rechecked on the locked row's newest version, so an account
 *           leased by a claim that committed meanwhile is dropped;
 *   leased  the lease written;
 *   claimed up to per_account due jobs of each leased account, oldest
 *           first, made running with the same owner and expiry.  A send,
 *           reply, engage or warm_receive gets effect_at: from now on its
 *           letter may leave, and the previous value says whether an
 *           earlier attempt may have sent it.
 * The outer join returns one row even when nothing was claimed, carrying
 * the window's size (is there backlog behind the locks?) and today's date
 * in the configured zone, both from the database clock.
 */
static const char claim_sql[] =
    "WITH win AS ("
    " SELECT j.account_id FROM jobs j"
    " JOIN accounts a ON a.id = j.account_id"
    " JOIN account_leases l ON l.account_id = j.account_id"
    " WHERE j.status = 'new' AND j.run_after <= now()"
    "  AND (j.deadline IS NULL OR j.deadline > now())"
    "  AND a.status = 'active' AND (l.until IS NULL OR l.until <= now())"
    " ORDER BY j.run_after LIMIT $3::int),"
    " pick AS ("
    " SELECT l.account_id FROM account_leases l"
    " WHERE l.account_id IN (SELECT account_id FROM win)"
    "  AND (l.until IS NULL OR l.until <= now())"
    " LIMIT $2::int FOR UPDATE SKIP LOCKED),"
    " leased AS ("
    " UPDATE account_leases l SET owner = $1::text,"
    "  until = now() + $4::bigint * interval '1 millisecond',"
    "  claimed_at = now()"
    " FROM pick WHERE l.account_id = pick.account_id"
    " RETURNING l.account_id, l.until),"
    " ranked AS ("
    " SELECT j.id, j.effect_at, leased.until, row_number() OVER"
    "  (PARTITION BY j.account_id ORDER BY j.run_after, j.id) AS rn"
    " FROM jobs j JOIN leased ON leased.account_id = j.account_id"
    " WHERE j.status = 'new' AND j.run_after <= now()"
    "  AND (j.deadline IS NULL OR j.deadline > now())),"
    " claimed AS ("
    " UPDATE jobs j SET status = 'running', worker_id = $1::text,"
    "  lease_owner = $1::text, lease_until = r.until,"
    "  attempts = j.attempts + 1,"
    "  effect_at = CASE WHEN j.task IN ('send', 'reply', 'engage',"
    "   'warm_receive') THEN now()"
    "   ELSE j.effect_at END"
    " FROM ranked r WHERE j.id = r.id AND r.rn <= $5::int"
    "  AND j.status = 'new'"
    " RETURNING j.id, j.account_id, j.task, j.payload, j.attempts,"
    "  j.max_attempts, j.idempotency_key, r.effect_at IS NOT NULL AS seen,"
    "  r.rn)"
    " SELECT (SELECT count(*) FROM win),"
    "  to_char(now() AT TIME ZONE $6::text, 'YYYY-MM-DD'), c.*"
    " FROM (SELECT 1) AS one LEFT JOIN claimed c ON true";

enum {
	C_BACKLOG, C_DAY, C_ID, C_ACCOUNT, C_TASK, C_PAYLOAD, C_ATTEMPTS,
	C_MAX, C_KEY, C_SEEN, C_RANK, C_NCOLS
};

/*
 * One statement for every ending, so the fence (lease_owner, status) and
 * the last_update trigger apply to all of them.  x computes the new
 * status once: a retry past max_attempts or past the deadline fails with
 * the reason saying so.  A release or a defer (to the next day, or while
 * a route's circuit is open) gives the attempt back: it was counted at
 * the claim but never really ran.
 */
static const char finish_sql[] =
    "UPDATE jobs j SET status = x.st,"
    " error = x.err,"
    " result = COALESCE($4::jsonb, j.result),"
    " finished_at = CASE WHEN x.st IN ('done', 'failed') THEN now() END,"
    " run_after = CASE $3::text"
    "  WHEN 'retry' THEN now() + $6::bigint * interval '1 millisecond'"
    "  WHEN 'defer' THEN now() + $6::bigint * interval '1 millisecond'"
    "  WHEN 'next_day' THEN (date_trunc('day', now() AT TIME ZONE $9::text)"
    "   + interval '1 day') AT TIME ZONE $9::text"
    "  ELSE j.run_after END,"
    " attempts = CASE WHEN $3::text IN ('release', 'next_day', 'defer')"
    "  THEN greatest(j.attempts - 1, 0) ELSE j.attempts END,"
    " lease_owner = NULL, lease_until = NULL,"
    " proxy = COALESCE($7::text, j.proxy),"
    " ip = COALESCE($8::inet, j.ip)"
    " FROM (SELECT id, CASE"
    "   WHEN $3::text = 'done' THEN 'done'"
    "   WHEN $3::text = 'failed' THEN 'failed'"
    "   WHEN $3::text <> 'retry' THEN 'new'"
    "   WHEN attempts >= max_attempts THEN 'failed'"
    "   WHEN deadline IS NOT NULL AND deadline <="
    "    now() + $6::bigint * interval '1 millisecond' THEN 'failed'"
    "   ELSE 'new' END AS st,"
    "  CASE"
    "   WHEN $3::text <> 'retry' THEN $5::text"
    "   WHEN attempts >= max_attempts THEN"
    "    'attempts exhausted (' || attempts || '): ' || $5::text"
    "   WHEN deadline IS NOT NULL AND deadline <="
    "    now() + $6::bigint * interval '1 millisecond' THEN"
    "    'deadline passed: ' || $5::text"
    "   ELSE $5::text END AS err"
    "  FROM jobs WHERE id = $1::bigint) AS x"
    " WHERE j.id = x.id AND j.lease_owner = $2::text"
    " AND j.status = 'running'";

/*
 * Only unexpired leases are renewed: once a lease has lapsed the reaper
 * may have handed its jobs to someone else, and the worker must stop.
 * Only the account's row is touched: rewriting every running job's
 * lease_until each time cost more than the rest of the queue together
 * with thousands of accounts held (contrib/bench/queue.py); the reaper
 * reads the account lease instead, and jobs.lease_until keeps the expiry
 * given at the claim.
 */
static const char renew_sql[] =
    "UPDATE account_leases SET until = now() + $2::bigint *"
    " interval '1 millisecond'"
    " WHERE owner = $1::text AND until > now()"
    " RETURNING account_id";

/*
 * Two statements rather than one with "$2 IS NULL OR account_id = $2":
 * that form cannot use an index, and the per-account release runs at the
 * end of every session.
 */
static const char release_one_sql[] =
    "WITH j AS ("
    " UPDATE jobs SET status = 'new', lease_owner = NULL,"
    "  lease_until = NULL, attempts = greatest(attempts - 1, 0)"
    " WHERE account_id = $2::uuid AND lease_owner = $1::text"
    "  AND status = 'running'"
    " RETURNING 1)"
    " UPDATE account_leases SET owner = NULL, until = NULL"
    " WHERE account_id = $2::uuid AND owner = $1::text";

static const char release_all_sql[] =
    "WITH j AS ("
    " UPDATE jobs SET status = 'new', lease_owner = NULL,"
    "  lease_until = NULL, attempts = greatest(attempts - 1, 0)"
    " WHERE lease_owner = $1::text AND status = 'running'"
    " RETURNING 1)"
    " UPDATE account_leases SET owner = NULL, until = NULL"
    " WHERE owner = $1::text";

/*
 * A running job whose account lease is no longer its worker's (expired,
 * or taken by another) belongs to a process that died or lost the
 * database.  Its attempt was counted when it was claimed, so it
 * goes back as it is -- or fails when that was its last attempt or its
 * deadline passed.  Concurrent reapers on several hosts are harmless: the
 * second one's rows no longer match once the first committed.
 */
static const char reap_sql[] =
    "WITH lost AS ("
    " UPDATE jobs SET"
    "  status = CASE WHEN attempts >= max_attempts OR"
    "   (deadline IS NOT NULL AND deadline <= now()) THEN 'failed'"
    "   ELSE 'new' END,"
    "  error = CASE"
    "   WHEN attempts >= max_attempts THEN 'attempts exhausted ('"
    "    || attempts || '): worker ' || lease_owner || ' lost its lease'"
    "   WHEN deadline IS NOT NULL AND deadline <= now() THEN"
    "    'deadline passed: worker ' || lease_owner || ' lost its lease'"
    "   ELSE 'worker ' || lease_owner || ' lost its lease' END,"
    "  finished_at = CASE WHEN attempts >= max_attempts OR"
    "   (deadline IS NOT NULL AND deadline <= now()) THEN now() END,"
    "  lease_owner = NULL, lease_until = NULL"
    " WHERE status = 'running' AND lease_until < now()"
    "  AND NOT EXISTS (SELECT 1 FROM account_leases l"
    "  WHERE l.account_id = jobs.account_id AND l.owner = jobs.lease_owner"
    "  AND l.until >= now())"
    " RETURNING status),"
    " late AS ("
    " UPDATE jobs SET status = 'failed', finished_at = now(),"
    "  error = 'deadline passed before it could run'"
    " WHERE status = 'new' AND deadline IS NOT NULL AND deadline <= now()"
    " RETURNING 1)"
    " SELECT (SELECT count(*) FROM lost WHERE status = 'new'),"
    "  (SELECT count(*) FROM lost WHERE status = 'failed'),"
    "  (SELECT count(*) FROM late)";

/* ---- claim --------------------------------------------------------------- */

struct claim_req {
	struct store_req	 base;	/* first: the store frees us */
	jobq_claim_cb		*cb;
	void			*arg;
};

void
job_clear(struct job *j)
{
	free(j->task);
	free(j->idem_key);
	json_decref(j->payload);
	memset(j, 0, sizeof(*j));
}

void
jobq_claim_free(struct jobq_claim *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		job_clear(&c->jobs[i]);
	free(c->jobs);
	free(c);
}

static int
job_cmp(const void *a, const void *b)
{
	const struct job	*x = a, *y = b;
	int			 c = strcmp(x->account_id, y->account_id);

	return c != 0 ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

static void
claim_result(struct store_req *r, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct claim_req	*cr = (struct claim_req *)r;
	struct jobq_claim	*c;
	char			 why[256];
	int			 rows;

	if (st != PG_OK || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQnfields(res) != C_NCOLS || (rows = PQntuples(res)) < 1) {
		/*
		 * PG_UNKNOWN: the claim may have committed.  Its leases then
		 * expire unrenewed and the reaper requeues the jobs.
		 */
		cr->cb(cr->arg, 0, NULL, store_strerror(st, errmsg, why,
		    sizeof(why)));
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->backlog = strtol(PQgetvalue(res, 0, C_BACKLOG), NULL, 10);
	snprintf(c->day, sizeof(c->day), "%s", PQgetvalue(res, 0, C_DAY));
	c->jobs = xcalloc((size_t)rows, sizeof(*c->jobs));
	for (int i = 0; i < rows; i++) {
		struct job	*j = &c->jobs[c->n];
		json_error_t	 jerr;

		if (PQgetisnull(res, i, C_ID))
			continue;		/* the outer join's empty row */
		snprintf(j->id, sizeof(j->id), "%s", PQgetvalue(res, i, C_ID));
		snprintf(j->account_id, sizeof(j->account_id), "%s",
		    PQgetvalue(res, i, C_ACCOUNT));
		j->task = xstrdup(PQgetvalue(res, i, C_TASK));
		j->payload = json_loads(PQgetvalue(res, i, C_PAYLOAD),
		    JSON_DECODE_ANY, &jerr);
		j->attempts = atoi(PQgetvalue(res, i, C_ATTEMPTS));
		j->max_attempts = atoi(PQgetvalue(res, i, C_MAX));
		if (!PQgetisnull(res, i, C_KEY))
			j->idem_key = xstrdup(PQgetvalue(res, i, C_KEY));
		j->effect_seen = PQgetvalue(res, i, C_SEEN)[0] == 't';
		j->rank = atoi(PQgetvalue(res, i, C_RANK));
		c->n++;
	}
	qsort(c->jobs, c->n, sizeof(*c->jobs), job_cmp);
	cr->cb(cr->arg, 1, c, NULL);
}

struct store_req *
jobq_claim(struct pg_pool *pool, const struct jobq_claim_opts *o,
    jobq_claim_cb *cb, void *arg)
{
	struct claim_req	*cr = xcalloc(1, sizeof(*cr));
	char			 n[24], win[24], lease[24], per[24];
	const char		*params[6] = { o->worker, n, win, lease, per,
				    o->time_zone };
	long			 w;

	/*
	 * Accounts usually have several due jobs: a window of batch ×
	 * per_account rows reaches batch accounts even then; capped so
	 * one claim stays a few milliseconds.
	 */
	w = (long)o->accounts * (o->per_account < 8 ? 8 : o->per_account);
	if (w > 20000)
		w = 20000;
	snprintf(n, sizeof(n), "%d", o->accounts);
	snprintf(win, sizeof(win), "%ld", w);
	snprintf(lease, sizeof(lease), "%u", o->lease_ms);
	snprintf(per, sizeof(per), "%d", o->per_account);
	cr->base.on_result = claim_result;
	cr->base.what = "claim";
	cr->cb = cb;
	cr->arg = arg;
	return store_start(pool, &cr->base, claim_sql, 6, params);
}

/* ---- finish, release ----------------------------------------------------- */

static const char *const end_names[] = {
	[JOBQ_DONE] = "done",
	[JOBQ_FAILED] = "failed",
	[JOBQ_RETRY] = "retry",
	[JOBQ_RELEASE] = "release",
	[JOBQ_NEXT_DAY] = "next_day",
	[JOBQ_DEFER] = "defer",
};

struct finish_req {
	struct store_req	 base;
	jobq_finish_cb		*cb;
	void			*arg;
	char			 job_id[24];
};

static void
finish_result(struct store_req *r, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct finish_req	*fr = (struct finish_req *)r;
	char			 why[256];

	if (st == PG_OK && PQresultStatus(res) == PGRES_COMMAND_OK) {
		fr->cb(fr->arg, atoi(PQcmdTuples((PGresult *)res)) == 1 ?
		    JOBQ_WRITTEN : JOBQ_FENCED);
		return;
	}
	log_warn("jobs: outcome of job %s not written: %s", fr->job_id,
	    store_strerror(st, errmsg, why, sizeof(why)));
	/* A refused statement will be refused again: do not retry it. */
	fr->cb(fr->arg, st == PG_ERROR ? JOBQ_FENCED : JOBQ_NOT_WRITTEN);
}

struct store_req *
jobq_finish(struct pg_pool *pool, const char *worker, const char *job_id,
    const struct jobq_outcome *o, jobq_finish_cb *cb, void *arg)
{
	struct finish_req	*fr = xcalloc(1, sizeof(*fr));
	char			 delay[16];
	const char		*params[9];

	snprintf(delay, sizeof(delay), "%u", o->delay_ms);
	params[0] = job_id;
	params[1] = worker;
	params[2] = end_names[o->end];
	params[3] = o->result;
	params[4] = o->error;
	params[5] = delay;
	params[6] = o->proxy;
	params[7] = o->ip;
	params[8] = o->time_zone != NULL ? o->time_zone : "UTC";
	fr->base.on_result = finish_result;
	fr->base.what = "finish";
	fr->cb = cb;
	fr->arg = arg;
	snprintf(fr->job_id, sizeof(fr->job_id), "%s", job_id);
	return store_start(pool, &fr->base, finish_sql, 9, params);
}

/*
 * Many outcomes in one statement: the same rules as finish_sql, row by
 * row, from a JSON array.  One round trip and one transaction for every
 * outcome a loop iteration produced instead of one each -- the finishing
 * writes were most of the database's work (contrib/bench/queue.py).
 */
static const char finish_many_sql[] =
    "WITH x AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(id bigint,"
    "  e text, r jsonb, err text, d bigint, p text, ip inet, tz text)),"
    " y AS (SELECT x.*, CASE"
    "   WHEN x.e = 'done' THEN 'done'"
    "   WHEN x.e = 'failed' THEN 'failed'"
    "   WHEN x.e <> 'retry' THEN 'new'"
    "   WHEN j.attempts >= j.max_attempts THEN 'failed'"
    "   WHEN j.deadline IS NOT NULL AND j.deadline <="
    "    now() + x.d * interval '1 millisecond' THEN 'failed'"
    "   ELSE 'new' END AS st,"
    "  CASE"
    "   WHEN x.e <> 'retry' THEN x.err"
    "   WHEN j.attempts >= j.max_attempts THEN"
    "    'attempts exhausted (' || j.attempts || '): ' || x.err"
    "   WHEN j.deadline IS NOT NULL AND j.deadline <="
    "    now() + x.d * interval '1 millisecond' THEN"
    "    'deadline passed: ' || x.err"
    "   ELSE x.err END AS msg"
    "  FROM x JOIN jobs j ON j.id = x.id)"
    " UPDATE jobs j SET status = y.st, error = y.msg,"
    " result = COALESCE(y.r, j.result),"
    " finished_at = CASE WHEN y.st IN ('done', 'failed') THEN now() END,"
    " run_after = CASE y.e"
    "  WHEN 'retry' THEN now() + y.d * interval '1 millisecond'"
    "  WHEN 'defer' THEN now() + y.d * interval '1 millisecond'"
    "  WHEN 'next_day' THEN (date_trunc('day', now() AT TIME ZONE y.tz)"
    "   + interval '1 day') AT TIME ZONE y.tz"
    "  ELSE j.run_after END,"
    " attempts = CASE WHEN y.e IN ('release', 'next_day', 'defer')"
    "  THEN greatest(j.attempts - 1, 0) ELSE j.attempts END,"
    " lease_owner = NULL, lease_until = NULL,"
    " proxy = COALESCE(y.p, j.proxy), ip = COALESCE(y.ip, j.ip)"
    " FROM y WHERE j.id = y.id AND j.lease_owner = $1::text"
    " AND j.status = 'running'"
    " RETURNING j.id";

struct many_req {
	struct store_req	 base;
	struct pg_pool		*pool;
	char			*worker;
	struct jobq_item	*items;		/* ids copied, outcomes borrowed */
	size_t			 n;
	jobq_finish_cb		*cb;
};

static void
many_release(struct store_req *r)
{
	struct many_req	*mr = (struct many_req *)r;

	for (size_t i = 0; i < mr->n; i++)
		free((char *)mr->items[i].job_id);
	free(mr->items);
	free(mr->worker);
}

static int
cmp_id(const void *a, const void *b)
{
	long long	x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void
many_result(struct store_req *r, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct many_req	*mr = (struct many_req *)r;
	long long	*ids, id;
	size_t		 n = 0;
	char		 why[256];

	if (st == PG_OK && PQresultStatus(res) == PGRES_TUPLES_OK) {
		n = (size_t)PQntuples(res);
		ids = xcalloc(n + 1, sizeof(*ids));
		for (size_t i = 0; i < n; i++)
			ids[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
		qsort(ids, n, sizeof(*ids), cmp_id);
		for (size_t i = 0; i < mr->n; i++) {
			id = strtoll(mr->items[i].job_id, NULL, 10);
			mr->cb(mr->items[i].arg, bsearch(&id, ids, n,
			    sizeof(*ids), cmp_id) != NULL ? JOBQ_WRITTEN :
			    JOBQ_FENCED);
		}
		free(ids);
		return;
	}
	if (st == PG_ERROR) {
		/*
		 * The server refused the batch: one row must be bad.  Each
		 * goes again alone, so only that one is lost.
		 */
		log_warn("jobs: %zu outcomes refused together (%s); writing"
		    " them one by one", mr->n,
		    store_strerror(st, errmsg, why, sizeof(why)));
		for (size_t i = 0; i < mr->n; i++)
			if (jobq_finish(mr->pool, mr->worker,
			    mr->items[i].job_id, mr->items[i].o, mr->cb,
			    mr->items[i].arg) == NULL)
				mr->cb(mr->items[i].arg, JOBQ_NOT_WRITTEN);
		return;
	}
	log_warn("jobs: %zu outcomes not written: %s", mr->n,
	    store_strerror(st, errmsg, why, sizeof(why)));
	for (size_t i = 0; i < mr->n; i++)
		mr->cb(mr->items[i].arg, JOBQ_NOT_WRITTEN);
}

struct store_req *
jobq_finish_many(struct pg_pool *pool, const char *worker,
    const struct jobq_item *items, size_t n, jobq_finish_cb *cb)
{
	struct many_req	*mr = xcalloc(1, sizeof(*mr));
	json_t		*arr = json_array();
	const char	*params[2];
	char		*text;
	struct store_req *r;

	for (size_t i = 0; i < n; i++) {
		const struct jobq_outcome *o = items[i].o;
		json_t	*res = o->result != NULL ? json_loads(o->result,
		    JSON_DECODE_ANY, NULL) : NULL;

		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s?,"
		    " s:I, s:s?, s:s?, s:s}", "id", items[i].job_id, "e",
		    end_names[o->end], "r", res != NULL ? res : json_null(),
		    "err", o->error, "d", (json_int_t)o->delay_ms, "p",
		    o->proxy, "ip", o->ip, "tz", o->time_zone != NULL ?
		    o->time_zone : "UTC"));
	}
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	mr->pool = pool;
	mr->worker = xstrdup(worker);
	mr->items = xcalloc(n + 1, sizeof(*mr->items));
	for (size_t i = 0; i < n; i++) {
		mr->items[i] = items[i];
		mr->items[i].job_id = xstrdup(items[i].job_id);
	}
	mr->n = n;
	mr->cb = cb;
	mr->base.on_result = many_result;
	mr->base.release = many_release;
	mr->base.what = "finish";
	params[0] = worker;
	params[1] = text;
	r = store_start(pool, &mr->base, finish_many_sql, 2, params);
	free(text);
	return r;
}

struct store_req *
jobq_release(struct pg_pool *pool, const char *worker, const char *account_id,
    store_done_cb *done, void *arg)
{
	const char	*params[2] = { worker, account_id };

	if (account_id == NULL)
		return store_write(pool, "release leases", NULL, 0,
		    release_all_sql, 1, params, done, arg);
	return store_write(pool, "release lease", account_id, 0,
	    release_one_sql, 2, params, done, arg);
}

/* ---- renew --------------------------------------------------------------- */

struct renew_req {
	struct store_req	 base;
	jobq_renew_cb		*cb;
	void			*arg;
};

static void
renew_result(struct store_req *r, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct renew_req	*rr = (struct renew_req *)r;
	char			**ids, why[256];
	int			 n;

	if (st != PG_OK || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warn("jobs: lease renewal failed: %s",
		    store_strerror(st, errmsg, why, sizeof(why)));
		rr->cb(rr->arg, 0, NULL, 0);
		return;
	}
	n = PQntuples(res);
	ids = xcalloc((size_t)n + 1, sizeof(*ids));
	for (int i = 0; i < n; i++)
		ids[i] = PQgetvalue(res, i, 0);
	rr->cb(rr->arg, 1, ids, (size_t)n);
	free(ids);
}

struct store_req *
jobq_renew(struct pg_pool *pool, const char *worker, unsigned lease_ms,
    jobq_renew_cb *cb, void *arg)
{
	struct renew_req	*rr = xcalloc(1, sizeof(*rr));
	char			 lease[24];
	const char		*params[2] = { worker, lease };

	snprintf(lease, sizeof(lease), "%u", lease_ms);
	rr->base.on_result = renew_result;
	rr->base.what = "renew";
	rr->cb = cb;
	rr->arg = arg;
	return store_start(pool, &rr->base, renew_sql, 2, params);
}

/* ---- reap ---------------------------------------------------------------- */

struct reap_req {
	struct store_req	 base;
	jobq_reap_cb		*cb;
	void			*arg;
};

static void
reap_result(struct store_req *r, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct reap_req		*rr = (struct reap_req *)r;
	struct jobq_reaped	 out = { 0, 0, 0 };
	char			 why[256];

	if (st != PG_OK || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1 || PQnfields(res) != 3) {
		log_warn("jobs: reaper pass failed: %s",
		    store_strerror(st, errmsg, why, sizeof(why)));
		rr->cb(rr->arg, 0, &out);
		return;
	}
	out.requeued = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	out.exhausted = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	out.expired = strtol(PQgetvalue(res, 0, 2), NULL, 10);
	rr->cb(rr->arg, 1, &out);
}

struct store_req *
jobq_reap(struct pg_pool *pool, jobq_reap_cb *cb, void *arg)
{
	struct reap_req	*rr = xcalloc(1, sizeof(*rr));

	rr->base.on_result = reap_result;
	rr->base.what = "reap";
	rr->cb = cb;
	rr->arg = arg;
	return store_start(pool, &rr->base, reap_sql, 0, NULL);
}
