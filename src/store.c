/*
 * Pending acctstore/mailstore calls: queue a statement with the call as
 * the pg callback's argument, run the call's result handler, free it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pg.h"
#include "store.h"
#include "xmalloc.h"

static void
store_free(struct store_req *r)
{
	if (r->release != NULL)
		r->release(r);
	free(r);
}

static void
store_pg_cb(void *arg, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct store_req	*r = arg;

	r->pg = NULL;
	r->on_result(r, st, res, errmsg);
	store_free(r);
}

struct store_req *
store_start(struct pg_pool *pool, struct store_req *r, const char *sql,
    int nparams, const char *const *params)
{
	if ((r->pg = pg_query(pool, sql, nparams, params, store_pg_cb,
	    r)) == NULL) {
		store_free(r);
		return NULL;
	}
	return r;
}

void
store_cancel(struct store_req *r)
{
	if (r == NULL)
		return;
	/* After pg_cancel the pool never calls back: r is ours to free. */
	pg_cancel(r->pg);
	store_free(r);
}

const char *
store_strerror(enum pg_status st, const char *errmsg, char *buf, size_t len)
{
	const char	*what;

	switch (st) {
	case PG_OK:
		what = "unexpected result";
		break;
	case PG_ERROR:
		what = "refused";
		break;
	case PG_UNKNOWN:
		what = "connection lost, outcome unknown";
		break;
	default:
		what = "database unavailable";
		break;
	}
	/*
	 * The first line only: a DETAIL line may quote the failing row, and
	 * that row can hold a proxy's credentials.
	 */
	snprintf(buf, len, "%s%s%.*s", what, errmsg != NULL ? ": " : "",
	    errmsg != NULL ? (int)strcspn(errmsg, "\n") : 0,
	    errmsg != NULL ? errmsg : "");
	return buf;
}

static void
write_result(struct store_req *r, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	char	 buf[256];
	long	 rows = -1;
	int	 ok;

	if (st == PG_OK)
		rows = strtol(PQcmdTuples((PGresult *)res), NULL, 10);
	ok = st == PG_OK && rows >= r->min_rows;
	if (st != PG_OK)
		log_warn("account %s: %s: %s", r->account_id, r->what,
		    store_strerror(st, errmsg, buf, sizeof(buf)));
	else if (!ok)
		log_warn("account %s: %s: no such account", r->account_id,
		    r->what);
	if (r->done != NULL)
		r->done(r->arg, ok);
}

struct store_req *
store_write(struct pg_pool *pool, const char *what, const char *account_id,
    int min_rows, const char *sql, int nparams, const char *const *params,
    store_done_cb *done, void *arg)
{
	struct store_req	*r = xcalloc(1, sizeof(*r));

	r->on_result = write_result;
	r->done = done;
	r->arg = arg;
	r->what = what;
	r->min_rows = min_rows;
	snprintf(r->account_id, sizeof(r->account_id), "%s",
	    account_id != NULL ? account_id : "");
	return store_start(pool, r, sql, nparams, params);
}
