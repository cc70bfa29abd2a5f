/*
 * A pending call of acctstore.c or mailstore.c: one statement on the pg
 * pool plus the caller's callback.  The calls hand out this handle rather
 * than the bare struct pg_req so that cancelling one (a session being
 * freed, the daemon stopping) also frees the state the call carries --
 * pg_cancel alone would leak it.
 *
 * Contract shared by every call: the callback runs later, from the loop,
 * exactly once unless the call is cancelled first.  A call returns NULL
 * when nothing was queued -- the pool is closing, or a secret could not be
 * encrypted -- and then its callback never runs.  The handle is valid
 * until the callback has returned or store_cancel.
 */
#ifndef WARMD_STORE_H
#define WARMD_STORE_H

#include <libpq-fe.h>

#include "pg.h"

struct store_req;

/* Completion of a write: ok = 1 when applied, 0 when not (or not surely). */
typedef void	store_done_cb(void *arg, int ok);

/* Forget a pending call's callback and free its state; NULL is fine. */
void		store_cancel(struct store_req *r);

/* ---- for acctstore.c and mailstore.c only ------------------------------ */

/* Handle a result; the store frees r once it returns. */
typedef void	store_result_fn(struct store_req *r, enum pg_status st,
		    const PGresult *res, const char *errmsg);

/*
 * The common head of every call.  A call that needs more state embeds it
 * as its first member and sets release to free the rest.
 */
struct store_req {
	struct pg_req	*pg;
	store_result_fn	*on_result;
	void		(*release)(struct store_req *);
	store_done_cb	*done;
	void		*arg;
	const char	*what;		/* static text for logs: "set status" */
	char		 account_id[37];
	int		 min_rows;	/* rows a successful write touches */
};

/*
 * Queue sql for r (malloc'd, at least a struct store_req); r, or NULL
 * with r freed when the pool is closing.
 */
struct store_req *store_start(struct pg_pool *pool, struct store_req *r,
		    const char *sql, int nparams, const char *const *params);

/*
 * A write that reports to done: ok when it ran and touched at least
 * min_rows rows; failures are logged with the account id and what.
 */
struct store_req *store_write(struct pg_pool *pool, const char *what,
		    const char *account_id, int min_rows, const char *sql,
		    int nparams, const char *const *params, store_done_cb *done,
		    void *arg);

/* One-line reason for a failed statement (the server's first line). */
const char	*store_strerror(enum pg_status st, const char *errmsg,
		    char *buf, size_t len);

#endif
