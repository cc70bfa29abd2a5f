/*
 * Caps: INCRBY first, then give back what went over.  Two processes never
 * reserve for one account at once (the account is leased), so the only
 * race is with give-backs of the same account's earlier session, which
 * only make the count lower.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "caps.h"
#include "log.h"
#include "loop.h"
#include "pg.h"
#include "redis.h"
#include "xmalloc.h"

#define KEEP_SECONDS	"172800"	/* a day's counter outlives the day */

/*
 * Jobs of the account done since the local midnight.  Jobs running now
 * are this session's own, not yet started.
 */
static const char done_today_sql[] =
    "SELECT task, count(*) FROM jobs"
    " WHERE account_id = $1::uuid AND status = 'done'"
    " AND finished_at >= (date_trunc('day', now() AT TIME ZONE $2::text)"
    "  AT TIME ZONE $2::text)"
    " GROUP BY task";

struct caps_req;

/* One INCRBY in flight: which request and kind its reply is for. */
struct caps_incr {
	struct caps_req	*r;
	int		 kind;
	struct rds_req	*rq;
};

struct caps_req {
	struct caps_ctx	 c;
	char		 account_id[37];
	char		 day[11];
	int		 want[ACT_NKINDS];
	int		 allowed[ACT_NKINDS];
	struct caps_incr incr[ACT_NKINDS];
	int		 waiting;	/* Redis replies outstanding */
	int		 failed;	/* one failed: count from PostgreSQL */
	struct pg_req	*pq;
	caps_cb		*cb;
	void		*arg;
};

static void
key(char *buf, size_t len, const struct caps_ctx *c, const char *account_id,
    const char *day, int k)
{
	snprintf(buf, len, "%scap:%s:%s:%s", c->prefix != NULL ? c->prefix : "",
	    day, account_id, act_kind_name((enum act_kind)k));
}

int
caps_any(const struct caps_ctx *c)
{
	for (int k = 0; k < ACT_NKINDS; k++)
		if (c->cap[k] > 0)
			return 1;
	return 0;
}

static int
clamp(long v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : (int)v;
}

static void
finish(struct caps_req *r)
{
	if (r->cb != NULL)
		r->cb(r->arg, r->allowed);
	free(r);
}

static void
deliver(void *arg)
{
	finish(arg);
}

static void
pg_done(void *arg, enum pg_status st, const PGresult *res, const char *err)
{
	struct caps_req	*r = arg;

	r->pq = NULL;
	if (st != PG_OK || PQresultStatus(res) != PGRES_TUPLES_OK) {
		/* Neither store answers: start nothing capped for now. */
		log_warn("caps: cannot count today's jobs: %s",
		    err != NULL ? err : "database unavailable");
		for (int k = 0; k < ACT_NKINDS; k++)
			if (r->c.cap[k] > 0)
				r->allowed[k] = 0;
		finish(r);
		return;
	}
	for (int k = 0; k < ACT_NKINDS; k++)
		if (r->c.cap[k] > 0)
			r->allowed[k] = clamp(r->c.cap[k], 0, r->want[k]);
	for (int i = 0; i < PQntuples(res); i++) {
		int	k = act_kind_parse(PQgetvalue(res, i, 0));
		long	done = strtol(PQgetvalue(res, i, 1), NULL, 10);

		if (k >= 0 && r->c.cap[k] > 0)
			r->allowed[k] = clamp(r->c.cap[k] - done, 0,
			    r->want[k]);
	}
	finish(r);
}

static void
from_pg(void *arg)
{
	struct caps_req	*r = arg;
	const char	*params[2] = { r->account_id, r->c.time_zone };

	r->pq = pg_query(r->c.pg, done_today_sql, 2, params, pg_done, r);
	if (r->pq == NULL)
		pg_done(r, PG_UNAVAILABLE, NULL, NULL);
}

static void
incr_done(void *arg, const redisReply *reply)
{
	struct caps_incr	*in = arg;
	struct caps_req		*r = in->r;
	int			 k = in->kind, want = r->want[k];
	char			 kbuf[256], nbuf[16];

	in->rq = NULL;
	r->waiting--;
	if (reply == NULL || reply->type != REDIS_REPLY_INTEGER)
		r->failed = 1;
	else {
		/* reply = used before + want; keep what fits under the cap. */
		r->allowed[k] = clamp(r->c.cap[k] - (reply->integer - want),
		    0, want);
		if (r->allowed[k] < want) {
			key(kbuf, sizeof(kbuf), &r->c, r->account_id, r->day,
			    k);
			snprintf(nbuf, sizeof(nbuf), "%d", want -
			    r->allowed[k]);
			{
				const char *argv[3] = { "DECRBY", kbuf, nbuf };

				(void)rds_command(r->c.redis, NULL, NULL, 3,
				    argv, NULL);
			}
		}
	}
	if (r->waiting > 0)
		return;
	if (r->failed) {
		log_debug("caps: Redis did not answer; counting from PostgreSQL");
		from_pg(r);
		return;
	}
	finish(r);
}

struct caps_req *
caps_reserve(const struct caps_ctx *c, const char *account_id,
    const char *day, const int want[ACT_NKINDS], caps_cb *cb, void *arg)
{
	struct caps_req	*r = xcalloc(1, sizeof(*r));
	char		 kbuf[256], nbuf[16];

	r->c = *c;
	snprintf(r->account_id, sizeof(r->account_id), "%s", account_id);
	snprintf(r->day, sizeof(r->day), "%s", day);
	r->cb = cb;
	r->arg = arg;
	for (int k = 0; k < ACT_NKINDS; k++) {
		r->want[k] = want[k];
		r->allowed[k] = want[k];
	}
	if (c->redis == NULL || !rds_is_up(c->redis)) {
		loop_defer(from_pg, r);
		return r;
	}
	for (int k = 0; k < ACT_NKINDS; k++) {
		if (c->cap[k] <= 0 || want[k] <= 0)
			continue;
		key(kbuf, sizeof(kbuf), c, account_id, day, k);
		snprintf(nbuf, sizeof(nbuf), "%d", want[k]);
		{
			const char *incr[3] = { "INCRBY", kbuf, nbuf };
			const char *exp[3] = { "EXPIRE", kbuf, KEEP_SECONDS };

			r->incr[k].r = r;
			r->incr[k].kind = k;
			r->incr[k].rq = rds_command(c->redis, incr_done,
			    &r->incr[k], 3, incr, NULL);
			if (r->incr[k].rq == NULL) {
				r->failed = 1;
				continue;
			}
			r->waiting++;
			(void)rds_command(c->redis, NULL, NULL, 3, exp, NULL);
		}
	}
	if (r->waiting == 0)
		/* No reply will come: decide from the loop, never inline. */
		loop_defer(r->failed ? from_pg : deliver, r);
	return r;
}

void
caps_cancel(struct caps_req *r)
{
	if (r == NULL)
		return;
	/* Callbacks still queued on the loop keep r: mute it instead. */
	r->cb = NULL;
}

void
caps_give_back(const struct caps_ctx *c, const char *account_id,
    const char *day, enum act_kind kind, int n)
{
	char		 kbuf[256], nbuf[16];
	const char	*argv[3] = { "DECRBY", kbuf, nbuf };

	if (n <= 0 || c->redis == NULL || c->cap[kind] <= 0 ||
	    !rds_is_up(c->redis))
		return;
	key(kbuf, sizeof(kbuf), c, account_id, day, (int)kind);
	snprintf(nbuf, sizeof(nbuf), "%d", n);
	(void)rds_command(c->redis, NULL, NULL, 3, argv, NULL);
}
