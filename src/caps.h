/*
 * Daily caps per account and task: how many jobs of a kind one mailbox may
 * start in a day of the configured time zone.  Counted in Redis (one
 * counter per account, task and day, kept two days); when Redis is away,
 * counted from the jobs table instead, so a Redis outage never lifts the
 * caps.
 */
#ifndef WARMD_CAPS_H
#define WARMD_CAPS_H

#include "action.h"

struct pg_pool;
struct rds;
struct caps_req;

/* How many of each kind may start; kinds without a cap get all they asked for. */
typedef void	caps_cb(void *arg, const int allowed[ACT_NKINDS]);

struct caps_ctx {
	struct rds	*redis;		/* may be NULL */
	struct pg_pool	*pg;
	const char	*prefix;	/* Redis key prefix */
	const char	*time_zone;
	const int	*cap;		/* per kind, 0 = none */
};

/* Reserve want[k] starts of each kind for account on day (YYYY-MM-DD); cb runs later from the loop, exactly once unless cancelled. */
struct caps_req *caps_reserve(const struct caps_ctx *c, const char *account_id,
		    const char *day, const int want[ACT_NKINDS], caps_cb *cb,
		    void *arg);
/* Forget a pending reservation's callback; NULL is fine. */
void		 caps_cancel(struct caps_req *r);
/* Return n reserved starts of kind that did not happen (fire and forget). */
void		 caps_give_back(const struct caps_ctx *c, const char *account_id,
		    const char *day, enum act_kind kind, int n);
/* Whether any kind has a cap. */
int		 caps_any(const struct caps_ctx *c);

#endif
