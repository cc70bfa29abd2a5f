/*
 * Asynchronous PostgreSQL pool on the event loop: a few nonblocking libpq
 * connections, a FIFO of queries with callbacks, parameters only, reconnect
 * with backoff, and a dedicated LISTEN connection.  A query that was on the
 * wire when its connection died reports PG_UNKNOWN: the caller must treat it
 * as possibly applied.
 */
#ifndef WARMD_PG_H
#define WARMD_PG_H

#include <libpq-fe.h>

struct event_base;
struct pg_pool;
struct pg_req;

enum pg_status {
	PG_OK = 0,		/* the statement ran; res holds its result */
	PG_ERROR,		/* the server refused it (SQL error): not applied */
	PG_UNKNOWN,		/* connection lost while in flight: may have been applied */
	PG_UNAVAILABLE,		/* never sent: no connection within the queue timeout, or pool closing */
};

struct pg_opts {
	const char	*conninfo;	/* libpq conninfo; use a unix socket or hostaddr= to keep connect nonblocking */
	int		 size;		/* number of query connections */
	unsigned	 connect_timeout_ms;
	unsigned	 statement_timeout_ms;	/* sent as the session's statement_timeout */
	unsigned	 queue_timeout_ms;	/* how long a query may wait for a connection */
	unsigned	 reconnect_min_ms;
	unsigned	 reconnect_max_ms;
	const char	*application_name;
};

/*
 * Result callback: res is valid only during the call (the pool clears it).
 * It may call pg_query, pg_cancel and pg_pool_free.
 */
typedef void pg_cb(void *arg, enum pg_status st, const PGresult *res,
    const char *errmsg);
/* Called for each NOTIFY on a channel registered with pg_listen. */
typedef void pg_notify_cb(void *arg, const char *channel, const char *payload);
/* Called when the pool goes from no connection up to at least one, and back. */
typedef void pg_state_cb(void *arg, int up);

/* Create a pool and start connecting; never blocks. */
struct pg_pool *pg_pool_new(struct event_base *base, const struct pg_opts *opts);
/* Queue a parameterised statement (text params, NULL = SQL NULL); NULL if the pool is closing. */
struct pg_req *pg_query(struct pg_pool *pool, const char *sql, int nparams,
    const char *const *params, pg_cb *cb, void *arg);
/*
 * Forget the callback of a pending query: a queued one is dropped, one on the
 * wire still runs.  req must not be used once its callback has run or it has
 * been cancelled.
 */
void	pg_cancel(struct pg_req *req);
/*
 * Subscribe to a channel ([a-z0-9_]{1,63}, else -1) on the dedicated listening
 * connection.  Each time the LISTEN takes effect -- first time and after every
 * reconnect -- cb gets payload NULL: notifications may have been missed, poll.
 */
int	pg_listen(struct pg_pool *pool, const char *channel, pg_notify_cb *cb,
	    void *arg);
/* Register a callback for up/down transitions. */
void	pg_set_state_cb(struct pg_pool *pool, pg_state_cb *cb, void *arg);
/* Number of query connections currently ready. */
int	pg_connections_up(const struct pg_pool *pool);
/* Number of queries waiting or in flight. */
int	pg_pending(const struct pg_pool *pool);
/* Fail queued queries with PG_UNAVAILABLE, in-flight ones with PG_UNKNOWN, close all, free. */
void	pg_pool_free(struct pg_pool *pool);

#endif
