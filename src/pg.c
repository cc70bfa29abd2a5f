/*
 * Asynchronous PostgreSQL pool; see pg.h.
 *
 * Each connection is a small state machine driven by one socket event and
 * one timer.  The socket event is re-registered on every step because libpq
 * may swap the socket during connect (several hosts, SSL retries).  The
 * timer is the connect deadline while connecting (libpq ignores
 * connect_timeout in PQconnectPoll), the reply guard while a statement is on
 * the wire and the reconnect delay while down.
 *
 * Queries are sent only from the deferred pump, at the end of a loop
 * iteration, never from inside a callback: a callback may queue, cancel or
 * even free the pool without meeting a half-updated connection.  The pool
 * and its connections are freed deferred for the same reason; requests are
 * freed as soon as nothing points at them any more.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <libpq-fe.h>

#include "backoff.h"
#include "log.h"
#include "loop.h"
#include "pg.h"
#include "xmalloc.h"

#define PG_STILL_DOWN_MS	60000	/* at most one "still down" line a minute */
#define PG_GUARD_SLACK_MS	5000	/* reply guard beyond statement_timeout */
#define PG_CHANNEL_MAX		63	/* NAMEDATALEN - 1 */

enum pg_cstate {
	PC_DOWN,		/* waiting for the reconnect timer */
	PC_CONNECTING,		/* PQconnectPoll in progress */
	PC_IDLE,		/* ready for a statement */
	PC_BUSY,		/* a statement is on the wire */
};

enum pg_kind {
	PK_USER,		/* from pg_query */
	PK_SETUP,		/* session settings right after connect */
	PK_LISTEN,		/* LISTEN batch on the listening connection */
};

struct pg_req {
	TAILQ_ENTRY(pg_req)	 entry;
	struct pg_pool		*pool;
	enum pg_kind		 kind;
	char			*sql;
	int			 nparams;
	char			**params;
	pg_cb			*cb;
	void			*arg;
	uint64_t		 queued_ms;
	int			 queued;	/* on pool->queue */
	int			 done;		/* callback running or ran */
};
TAILQ_HEAD(pg_reqq, pg_req);

struct pg_listener {
	STAILQ_ENTRY(pg_listener) entry;
	char			 channel[PG_CHANNEL_MAX + 1];
	pg_notify_cb		*cb;
	void			*arg;
	int			 listened;	/* LISTEN confirmed on the current connection */
	int			 sending;	/* in the LISTEN batch on the wire */
};

struct pg_conn {
	struct pg_pool		*pool;
	PGconn			*pgc;
	enum pg_cstate		 state;
	int			 is_listen;
	int			 ev_set;	/* ev has been assigned */
	struct event		 ev;
	struct event		 tmo;
	int			 flushing;	/* PQflush said 1: want write too */
	struct pg_req		*inflight;
	PGresult		*keep;		/* result to deliver */
	int			 keep_err;	/* keep is an error: later results dropped */
	unsigned		 attempts;	/* failed connects since the last success */
	int			 joined;	/* session set up: counted in nup, handed work */
	int			 ever_up;	/* some session was set up before */
	char			 name[16];	/* log prefix */
};

struct pg_pool {
	struct event_base	*base;
	char			*conninfo;
	char			*appname;
	struct pg_opts		 opts;
	struct pg_conn		*conns;
	int			 nconns;
	struct pg_conn		*lconn;		/* listening connection, created on first pg_listen */
	struct pg_reqq		 queue;
	int			 npending;	/* queued + in flight user requests */
	struct event		 qtimer;	/* queue timeout of the oldest queued request */
	STAILQ_HEAD(, pg_listener) listeners;
	int			 pump_scheduled;
	int			 closing;
	int			 nup;		/* query connections idle or busy */
	int			 up;
	int			 down_logged;
	uint64_t		 down_since_ms;
	uint64_t		 down_logged_ms;
	pg_state_cb		*state_cb;
	void			*state_arg;
};

static void	conn_connect(struct pg_conn *);
static void	conn_lost(struct pg_conn *, const char *);
static void	conn_io(evutil_socket_t, short, void *);
static void	pool_kick(struct pg_pool *);

static const char *
errfirstline(const char *msg, char *buf, size_t len)
{
	size_t	n;

	/* libpq messages end in a newline and may span lines: keep the first. */
	if (msg == NULL || *msg == '\0')
		return "unknown error";
	n = strcspn(msg, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	return buf;
}

static void
notice_processor(void *arg, const char *msg)
{
	struct pg_conn	*conn = arg;
	char		 buf[512];

	/*
	 * A server shutting down sends FATAL to every idle session; the pool
	 * logs the loss itself, once, so these go to debug.
	 */
	log_msg(strncmp(msg, "FATAL:", 6) == 0 ? LL_DEBUG : LL_INFO,
	    conn->name, "server: %s", errfirstline(msg, buf, sizeof(buf)));
}

/* Requests. */

static void
req_free(struct pg_req *req)
{
	for (int i = 0; i < req->nparams; i++)
		free(req->params[i]);
	free(req->params);
	free(req->sql);
	free(req);
}

static void
req_finish(struct pg_req *req, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	if (req->kind == PK_USER)
		req->pool->npending--;
	req->done = 1;
	if (req->cb != NULL)
		req->cb(req->arg, st, res, errmsg);
	req_free(req);
}

static void
queue_arm(struct pg_pool *pool)
{
	struct pg_req	*head = TAILQ_FIRST(&pool->queue);
	uint64_t	 due, now = loop_now_ms();

	if (head == NULL || pool->opts.queue_timeout_ms == 0) {
		evtimer_del(&pool->qtimer);
		return;
	}
	due = head->queued_ms + pool->opts.queue_timeout_ms;
	loop_timer_ms(&pool->qtimer, due > now ? due - now : 0);
}

static void
queue_unlink(struct pg_req *req)
{
	TAILQ_REMOVE(&req->pool->queue, req, entry);
	req->queued = 0;
}

static void
queue_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pg_pool	*pool = arg;
	struct pg_req	*req;
	uint64_t	 now = loop_now_ms();

	(void)fd;
	(void)what;
	/*
	 * The queue is in arrival order, so expired requests are at its head.
	 * Re-read the head after each callback: it may have queued or
	 * cancelled others, or freed the pool.
	 */
	while (!pool->closing && (req = TAILQ_FIRST(&pool->queue)) != NULL &&
	    req->queued_ms + pool->opts.queue_timeout_ms <= now) {
		queue_unlink(req);
		req_finish(req, PG_UNAVAILABLE, NULL,
		    pool->up ? "no free connection within the queue timeout" :
		    "database unavailable");
	}
	if (!pool->closing)
		queue_arm(pool);
}

/* Pool state and logging. */

static void
pool_set_state(struct pg_pool *pool, const char *reason)
{
	uint64_t	now = loop_now_ms();
	int		up = pool->nup > 0;

	if (up && !pool->up) {
		pool->up = 1;
		if (pool->down_logged)
			log_info("postgresql up (%d/%d connections, down %llus)",
			    pool->nup, pool->nconns, (unsigned long long)
			    ((now - pool->down_since_ms) / 1000));
		else
			log_info("postgresql up (%d/%d connections)", pool->nup,
			    pool->nconns);
		pool->down_logged = 0;
		if (pool->state_cb != NULL)
			pool->state_cb(pool->state_arg, 1);
	} else if (!up && pool->up) {
		pool->up = 0;
		pool->down_logged = 1;
		pool->down_since_ms = pool->down_logged_ms = now;
		log_warn("postgresql down: %s", reason);
		if (pool->state_cb != NULL)
			pool->state_cb(pool->state_arg, 0);
	}
}

/* A connect attempt failed: say so once per outage, then once a minute. */
static void
pool_connect_failed(struct pg_pool *pool, const char *reason)
{
	uint64_t	now = loop_now_ms();

	if (pool->up)
		return;
	if (!pool->down_logged) {
		pool->down_logged = 1;
		pool->down_since_ms = pool->down_logged_ms = now;
		log_warn("postgresql down: %s", reason);
	} else if (now - pool->down_logged_ms >= PG_STILL_DOWN_MS) {
		pool->down_logged_ms = now;
		log_warn("postgresql still down after %llus: %s",
		    (unsigned long long)((now - pool->down_since_ms) / 1000),
		    reason);
	}
}

/* Connections. */

static void
conn_watch(struct pg_conn *conn, short what)
{
	if (conn->ev_set)
		event_del(&conn->ev);
	event_assign(&conn->ev, conn->pool->base, PQsocket(conn->pgc),
	    what | EV_PERSIST, conn_io, conn);
	conn->ev_set = 1;
	event_add(&conn->ev, NULL);
}

static void
conn_unwatch(struct pg_conn *conn)
{
	if (conn->ev_set)
		event_del(&conn->ev);
	conn->ev_set = 0;
}

/* Drop the libpq connection and schedule the next attempt. */
static void
conn_close(struct pg_conn *conn)
{
	/* The event must go before PQfinish closes the socket under it. */
	conn_unwatch(conn);
	evtimer_del(&conn->tmo);
	if (conn->pgc != NULL)
		PQfinish(conn->pgc);
	conn->pgc = NULL;
	conn->flushing = 0;
	PQclear(conn->keep);
	conn->keep = NULL;
	conn->keep_err = 0;
	conn->joined = 0;
	conn->state = PC_DOWN;
	if (!conn->pool->closing)
		loop_timer_ms(&conn->tmo,
		    backoff_ms(conn->pool->opts.reconnect_min_ms,
		    conn->pool->opts.reconnect_max_ms, conn->attempts++));
}

static void
conn_connect_failed(struct pg_conn *conn, const char *why)
{
	struct pg_pool	*pool = conn->pool;
	char		 buf[512];
	const char	*reason;

	reason = errfirstline(why, buf, sizeof(buf));
	log_debug("[%s] connect failed: %s", conn->name, reason);
	conn_close(conn);
	pool_connect_failed(pool, reason);
}

static void
listeners_reset(struct pg_pool *pool)
{
	struct pg_listener	*l;

	STAILQ_FOREACH(l, &pool->listeners, entry)
		l->listened = l->sending = 0;
}

/*
 * The connection is gone.  A statement on the wire may or may not have run;
 * its caller learns exactly that.  Queued requests were never sent and stay
 * queued for the next connection.
 */
static void
conn_lost(struct pg_conn *conn, const char *why)
{
	struct pg_pool	*pool = conn->pool;
	struct pg_req	*req = conn->inflight;
	char		 buf[512];
	const char	*reason;
	int		 was_ready = conn->joined;

	reason = errfirstline(why, buf, sizeof(buf));
	conn->inflight = NULL;
	log_debug("[%s] connection lost: %s", conn->name, reason);
	conn_close(conn);
	if (conn->is_listen) {
		listeners_reset(pool);
		if (was_ready && pool->up)
			log_info("postgresql listening connection lost: %s",
			    reason);
	} else if (was_ready) {
		pool->nup--;
		pool_set_state(pool, reason);
	}
	/* Even if a state callback above freed the pool: it is owed an answer. */
	if (req != NULL)
		req_finish(req, PG_UNKNOWN, NULL,
		    "connection lost, outcome unknown");
	if (!pool->closing)
		pool_kick(pool);
}

static void
conn_guard(struct pg_conn *conn)
{
	unsigned	st = conn->pool->opts.statement_timeout_ms;

	/* keepalives catch a dead peer; this catches a live one that hangs. */
	evtimer_del(&conn->tmo);
	if (st > 0)
		loop_timer_ms(&conn->tmo, st + PG_GUARD_SLACK_MS);
}

/* Put req on the wire.  Returns 0, or -1 if the connection was lost. */
static int
conn_send(struct pg_conn *conn, struct pg_req *req)
{
	int	ok, f;

	conn->inflight = req;
	conn->state = PC_BUSY;
	if (req->kind == PK_LISTEN)
		ok = PQsendQuery(conn->pgc, req->sql);
	else
		ok = PQsendQueryParams(conn->pgc, req->sql, req->nparams, NULL,
		    (const char *const *)req->params, NULL, NULL, 0);
	if (!ok) {
		/* Part of it may have left: the outcome is unknown. */
		conn_lost(conn, PQerrorMessage(conn->pgc));
		return -1;
	}
	conn_guard(conn);
	if ((f = PQflush(conn->pgc)) < 0) {
		conn_lost(conn, PQerrorMessage(conn->pgc));
		return -1;
	}
	/* Keep reading while writing, or both sides' buffers may fill. */
	conn->flushing = f == 1;
	conn_watch(conn, f == 1 ? EV_READ | EV_WRITE : EV_READ);
	return 0;
}

static void setup_done(void *, enum pg_status, const PGresult *, const char *);

static struct pg_req *
req_new(struct pg_pool *pool, enum pg_kind kind, const char *sql,
    int nparams, const char *const *params)
{
	struct pg_req	*req = xcalloc(1, sizeof(*req));

	req->pool = pool;
	req->kind = kind;
	req->sql = xstrdup(sql);
	req->nparams = nparams;
	if (nparams > 0) {
		req->params = xcalloc(nparams, sizeof(*req->params));
		/* A NULL parameter is SQL NULL: xstrdup keeps it NULL. */
		for (int i = 0; i < nparams; i++)
			req->params[i] = xstrdup(params[i]);
	}
	req->queued_ms = loop_now_ms();
	return req;
}

static void
conn_connected(struct pg_conn *conn)
{
	struct pg_pool	*pool = conn->pool;
	struct pg_req	*req;
	char		 st[32];
	const char	*p[1];

	evtimer_del(&conn->tmo);
	if (PQsetnonblocking(conn->pgc, 1) != 0) {
		conn_connect_failed(conn, PQerrorMessage(conn->pgc));
		return;
	}
	PQsetNoticeProcessor(conn->pgc, notice_processor, conn);
	log_debug("[%s] connected", conn->name);
	conn->state = PC_IDLE;
	conn_watch(conn, EV_READ);

	/* A server-side limit: a statement never holds a connection forever. */
	snprintf(st, sizeof(st), "%u", pool->opts.statement_timeout_ms);
	p[0] = st;
	req = req_new(pool, PK_SETUP,
	    "SELECT pg_catalog.set_config('statement_timeout', $1, false)",
	    1, p);
	req->cb = setup_done;
	req->arg = conn;
	conn_send(conn, req);
}

static void
conn_poll(struct pg_conn *conn)
{
	switch (PQconnectPoll(conn->pgc)) {
	case PGRES_POLLING_READING:
		conn_watch(conn, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		conn_watch(conn, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		conn_connected(conn);
		break;
	case PGRES_POLLING_FAILED:
	default:
		conn_connect_failed(conn, PQerrorMessage(conn->pgc));
		break;
	}
}

static void
conn_connect(struct pg_conn *conn)
{
	struct pg_pool	*pool = conn->pool;
	const char	*kw[12], *val[12];
	int		 n = 0;

	/* Defaults first: the configured conninfo may override them. */
	kw[n] = "keepalives"; val[n++] = "1";
	kw[n] = "keepalives_idle"; val[n++] = "30";
	kw[n] = "keepalives_interval"; val[n++] = "10";
	kw[n] = "keepalives_count"; val[n++] = "3";
	kw[n] = "fallback_application_name"; val[n++] = "warmd";
	kw[n] = "dbname"; val[n++] = pool->conninfo;
	if (pool->appname != NULL) {
		kw[n] = "application_name"; val[n++] = pool->appname;
	}
	kw[n] = NULL; val[n] = NULL;

	conn->state = PC_CONNECTING;
	if ((conn->pgc = PQconnectStartParams(kw, val, 1)) == NULL) {
		conn_connect_failed(conn, "out of memory");
		return;
	}
	if (PQstatus(conn->pgc) == CONNECTION_BAD) {
		conn_connect_failed(conn, PQerrorMessage(conn->pgc));
		return;
	}
	/* libpq ignores connect_timeout here: our own deadline. */
	evtimer_del(&conn->tmo);
	loop_timer_ms(&conn->tmo, pool->opts.connect_timeout_ms);
	/* As if PQconnectPoll had said WRITING. */
	conn_watch(conn, EV_WRITE);
}

static void
conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pg_conn	*conn = arg;
	char		 buf[64];

	(void)fd;
	(void)what;
	switch (conn->state) {
	case PC_DOWN:
		conn_connect(conn);
		break;
	case PC_CONNECTING:
		snprintf(buf, sizeof(buf), "connect timeout after %u ms",
		    conn->pool->opts.connect_timeout_ms);
		conn_connect_failed(conn, buf);
		break;
	case PC_BUSY:
		conn_lost(conn, "no reply within statement_timeout");
		break;
	case PC_IDLE:
		break;
	}
}

static int
res_is_error(const PGresult *res)
{
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
	case PGRES_SINGLE_TUPLE:
		return 0;
	default:
		return 1;
	}
}

/* An error that ended the session says nothing about whether it committed. */
static int
res_session_ended(PGconn *pgc, const PGresult *res)
{
	const char	*sev;

	if (PQstatus(pgc) == CONNECTION_BAD)
		return 1;
	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	return sev != NULL && (strcmp(sev, "FATAL") == 0 ||
	    strcmp(sev, "PANIC") == 0);
}

static void
listen_dispatch(struct pg_conn *conn)
{
	struct pg_pool		*pool = conn->pool;
	struct pg_listener	*l;
	PGnotify		*n;

	while (!pool->closing && conn->pgc != NULL &&
	    (n = PQnotifies(conn->pgc)) != NULL) {
		STAILQ_FOREACH(l, &pool->listeners, entry) {
			if (strcmp(l->channel, n->relname) != 0)
				continue;
			l->cb(l->arg, n->relname, n->extra);
			if (pool->closing)
				break;
		}
		PQfreemem(n);
	}
}

/* Deliver the finished statement and hand the connection back. */
static void
conn_complete(struct pg_conn *conn)
{
	struct pg_pool	*pool = conn->pool;
	struct pg_req	*req = conn->inflight;
	PGresult	*res = conn->keep;
	enum pg_status	 st;
	const char	*err = NULL;

	conn->inflight = NULL;
	conn->keep = NULL;
	conn->state = PC_IDLE;
	evtimer_del(&conn->tmo);
	if (res == NULL) {
		/* Cannot happen for one statement; do not call it success. */
		st = PG_ERROR;
		err = "no result";
	} else if (conn->keep_err) {
		st = PG_ERROR;
		err = PQresultErrorMessage(res);
	} else
		st = PG_OK;
	conn->keep_err = 0;
	req_finish(req, st, res, err);
	PQclear(res);
	if (!pool->closing)
		pool_kick(pool);
}

static void
conn_read_results(struct pg_conn *conn)
{
	PGresult	*res;

	while (conn->inflight != NULL && !PQisBusy(conn->pgc)) {
		if ((res = PQgetResult(conn->pgc)) == NULL) {
			conn_complete(conn);
			return;
		}
		switch (PQresultStatus(res)) {
		case PGRES_COPY_IN:
		case PGRES_COPY_OUT:
		case PGRES_COPY_BOTH:
			/* There is no way back from COPY here but to hang up. */
			PQclear(res);
			conn_lost(conn, "COPY is not supported");
			return;
		default:
			break;
		}
		if (res_is_error(res) && res_session_ended(conn->pgc, res)) {
			PQclear(res);
			conn_lost(conn, PQerrorMessage(conn->pgc));
			return;
		}
		if (conn->keep_err)
			PQclear(res);
		else {
			/* The last result wins, unless one was an error. */
			PQclear(conn->keep);
			conn->keep = res;
			conn->keep_err = res_is_error(res);
		}
	}
}

static void
conn_io(evutil_socket_t fd, short what, void *arg)
{
	struct pg_conn	*conn = arg;
	struct pg_pool	*pool = conn->pool;
	int		 f;

	(void)fd;
	if (conn->state == PC_CONNECTING) {
		conn_poll(conn);
		return;
	}
	if (what & EV_READ) {
		if (!PQconsumeInput(conn->pgc)) {
			conn_lost(conn, PQerrorMessage(conn->pgc));
			return;
		}
	}
	if (conn->flushing) {
		if ((f = PQflush(conn->pgc)) < 0) {
			conn_lost(conn, PQerrorMessage(conn->pgc));
			return;
		}
		if (f == 0) {
			conn->flushing = 0;
			conn_watch(conn, EV_READ);
		}
	}
	if (PQstatus(conn->pgc) == CONNECTION_BAD) {
		conn_lost(conn, PQerrorMessage(conn->pgc));
		return;
	}
	/* Notifications first: a callback below may free the pool. */
	if (conn->is_listen)
		listen_dispatch(conn);
	else {
		PGnotify	*n;

		while ((n = PQnotifies(conn->pgc)) != NULL)
			PQfreemem(n);
	}
	if (pool->closing)
		return;
	conn_read_results(conn);
}

/* Session settings applied; the connection joins the pool. */
static void
setup_done(void *arg, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct pg_conn	*conn = arg;
	struct pg_pool	*pool = conn->pool;
	char		 buf[512];

	(void)res;
	if (st == PG_UNKNOWN)
		return;		/* conn_lost has already dealt with it */
	if (st != PG_OK) {
		/* conn_complete touches only res and the pool after this. */
		log_error("[%s] session setup failed: %s", conn->name,
		    errfirstline(errmsg, buf, sizeof(buf)));
		conn_connect_failed(conn, "session setup failed");
		return;
	}
	conn->attempts = 0;
	conn->joined = 1;
	if (conn->is_listen) {
		if (conn->ever_up)
			log_info("postgresql listening connection restored");
		conn->ever_up = 1;
		return;
	}
	conn->ever_up = 1;
	pool->nup++;
	pool_set_state(pool, NULL);
}

/* Listening. */

static void
listen_done(void *arg, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct pg_pool		*pool = arg;
	struct pg_listener	*l;
	char			 buf[512];

	(void)res;
	if (st != PG_OK) {
		/* An error is not retried until the next connection. */
		STAILQ_FOREACH(l, &pool->listeners, entry)
			if (l->sending) {
				l->sending = 0;
				l->listened = st == PG_ERROR ? -1 : 0;
			}
		if (st == PG_ERROR)
			log_error("postgresql LISTEN failed: %s",
			    errfirstline(errmsg, buf, sizeof(buf)));
		return;
	}
	STAILQ_FOREACH(l, &pool->listeners, entry)
		if (l->sending) {
			l->sending = 0;
			l->listened = 1;
		}
	/*
	 * Notifications sent while we were not listening are gone: tell every
	 * new subscriber to poll.  The list may grow inside a callback.
	 */
	STAILQ_FOREACH(l, &pool->listeners, entry) {
		if (l->listened != 1)
			continue;
		l->listened = 2;
		l->cb(l->arg, l->channel, NULL);
		if (pool->closing)
			return;
	}
}

static void
listen_pump(struct pg_pool *pool)
{
	struct pg_conn		*conn = pool->lconn;
	struct pg_listener	*l;
	struct pg_req		*req;
	char			*sql = NULL, *s;

	if (conn == NULL || conn->state != PC_IDLE || !conn->joined)
		return;
	STAILQ_FOREACH(l, &pool->listeners, entry) {
		if (l->listened || l->sending)
			continue;
		/* Channel names are [a-z0-9_]: quoting is all they need. */
		s = xasprintf("%sLISTEN \"%s\";", sql ? sql : "", l->channel);
		free(sql);
		sql = s;
		l->sending = 1;
	}
	if (sql == NULL)
		return;
	req = req_new(pool, PK_LISTEN, sql, 0, NULL);
	free(sql);
	req->cb = listen_done;
	req->arg = pool;
	conn_send(conn, req);
}

/* Dispatch. */

static void
pool_pump(void *arg)
{
	struct pg_pool	*pool = arg;
	struct pg_req	*req;
	int		 progress = 1;

	pool->pump_scheduled = 0;
	if (pool->closing)
		return;
	while (progress && !TAILQ_EMPTY(&pool->queue)) {
		progress = 0;
		for (int i = 0; i < pool->nconns; i++) {
			struct pg_conn	*conn = &pool->conns[i];

			if (conn->state != PC_IDLE || !conn->joined ||
			    (req = TAILQ_FIRST(&pool->queue)) == NULL)
				continue;
			if (PQstatus(conn->pgc) != CONNECTION_OK) {
				/* Dead but not noticed yet: req stays queued. */
				conn_lost(conn, PQerrorMessage(conn->pgc));
				if (pool->closing)
					return;
				continue;
			}
			queue_unlink(req);
			/* A send failure fails req and may free the pool. */
			if (conn_send(conn, req) < 0 && pool->closing)
				return;
			progress = 1;
		}
	}
	queue_arm(pool);
	listen_pump(pool);
}

static void
pool_kick(struct pg_pool *pool)
{
	if (pool->pump_scheduled || pool->closing)
		return;
	pool->pump_scheduled = 1;
	loop_defer(pool_pump, pool);
}

static void
conn_init(struct pg_pool *pool, struct pg_conn *conn, const char *name)
{
	conn->pool = pool;
	conn->state = PC_DOWN;
	snprintf(conn->name, sizeof(conn->name), "%s", name);
	evtimer_assign(&conn->tmo, pool->base, conn_timer, conn);
}

struct pg_pool *
pg_pool_new(struct event_base *base, const struct pg_opts *opts)
{
	struct pg_pool	*pool;
	char		 name[16];

	if (opts->conninfo == NULL || opts->size < 1 || opts->size > 1000) {
		log_error("postgresql: bad pool options");
		return NULL;
	}
	pool = xcalloc(1, sizeof(*pool));
	pool->base = base;
	pool->opts = *opts;
	pool->conninfo = xstrdup(opts->conninfo);
	pool->appname = xstrdup(opts->application_name);
	pool->opts.conninfo = NULL;	/* may hold a password: only ours */
	pool->opts.application_name = NULL;
	if (pool->opts.connect_timeout_ms == 0)
		pool->opts.connect_timeout_ms = 5000;
	if (pool->opts.reconnect_min_ms == 0)
		pool->opts.reconnect_min_ms = 100;
	if (pool->opts.reconnect_max_ms < pool->opts.reconnect_min_ms)
		pool->opts.reconnect_max_ms = pool->opts.reconnect_min_ms;
	TAILQ_INIT(&pool->queue);
	STAILQ_INIT(&pool->listeners);
	evtimer_assign(&pool->qtimer, base, queue_timeout, pool);
	pool->nconns = opts->size;
	pool->conns = xcalloc(pool->nconns, sizeof(*pool->conns));
	for (int i = 0; i < pool->nconns; i++) {
		snprintf(name, sizeof(name), "pg %d", i);
		conn_init(pool, &pool->conns[i], name);
		conn_connect(&pool->conns[i]);
	}
	return pool;
}

struct pg_req *
pg_query(struct pg_pool *pool, const char *sql, int nparams,
    const char *const *params, pg_cb *cb, void *arg)
{
	struct pg_req	*req;

	if (pool->closing || sql == NULL || nparams < 0 || nparams > 65535 ||
	    (nparams > 0 && params == NULL))
		return NULL;
	req = req_new(pool, PK_USER, sql, nparams, params);
	req->cb = cb;
	req->arg = arg;
	req->queued = 1;
	TAILQ_INSERT_TAIL(&pool->queue, req, entry);
	pool->npending++;
	if (TAILQ_FIRST(&pool->queue) == req)
		queue_arm(pool);
	pool_kick(pool);
	return req;
}

void
pg_cancel(struct pg_req *req)
{
	if (req == NULL || req->done)
		return;
	req->cb = NULL;
	if (req->queued) {
		/* Never sent: drop it now. */
		struct pg_pool	*pool = req->pool;
		int		 head = TAILQ_FIRST(&pool->queue) == req;

		queue_unlink(req);
		pool->npending--;
		req_free(req);
		if (head && !pool->closing)
			queue_arm(pool);
	}
	/* On the wire: conn_complete frees it without calling back. */
}

static int
channel_ok(const char *ch)
{
	size_t	n = 0;

	for (; ch[n] != '\0'; n++)
		if (!(islower((unsigned char)ch[n]) ||
		    isdigit((unsigned char)ch[n]) || ch[n] == '_'))
			return 0;
	return n > 0 && n <= PG_CHANNEL_MAX;
}

int
pg_listen(struct pg_pool *pool, const char *channel, pg_notify_cb *cb,
    void *arg)
{
	struct pg_listener	*l;

	if (pool->closing || cb == NULL || channel == NULL ||
	    !channel_ok(channel)) {
		log_error("postgresql: refusing to LISTEN on a channel not "
		    "matching [a-z0-9_]{1,63}");
		return -1;
	}
	l = xcalloc(1, sizeof(*l));
	snprintf(l->channel, sizeof(l->channel), "%s", channel);
	l->cb = cb;
	l->arg = arg;
	STAILQ_INSERT_TAIL(&pool->listeners, l, entry);
	if (pool->lconn == NULL) {
		pool->lconn = xcalloc(1, sizeof(*pool->lconn));
		conn_init(pool, pool->lconn, "pg listen");
		pool->lconn->is_listen = 1;
		conn_connect(pool->lconn);
	} else
		pool_kick(pool);
	return 0;
}

void
pg_set_state_cb(struct pg_pool *pool, pg_state_cb *cb, void *arg)
{
	pool->state_cb = cb;
	pool->state_arg = arg;
}

int
pg_connections_up(const struct pg_pool *pool)
{
	return pool->nup;
}

int
pg_pending(const struct pg_pool *pool)
{
	return pool->npending;
}

static void
conn_teardown(struct pg_conn *conn)
{
	conn_unwatch(conn);
	evtimer_del(&conn->tmo);
	if (conn->pgc != NULL)
		PQfinish(conn->pgc);
	conn->pgc = NULL;
	PQclear(conn->keep);
	conn->keep = NULL;
}

static void
pool_teardown(void *arg)
{
	struct pg_pool		*pool = arg;
	struct pg_listener	*l;

	for (int i = 0; i < pool->nconns; i++)
		conn_teardown(&pool->conns[i]);
	if (pool->lconn != NULL) {
		conn_teardown(pool->lconn);
		free(pool->lconn);
	}
	while ((l = STAILQ_FIRST(&pool->listeners)) != NULL) {
		STAILQ_REMOVE_HEAD(&pool->listeners, entry);
		free(l);
	}
	free(pool->conns);
	free(pool->conninfo);
	free(pool->appname);
	free(pool);
}

static void
conn_abandon(struct pg_conn *conn)
{
	struct pg_req	*req = conn->inflight;

	conn->inflight = NULL;
	/* Stop all I/O now; the PGconn itself goes with the pool. */
	conn_unwatch(conn);
	evtimer_del(&conn->tmo);
	if (conn->joined && !conn->is_listen)
		conn->pool->nup--;
	conn->joined = 0;
	conn->state = PC_DOWN;
	if (req != NULL) {
		if (req->kind == PK_USER)
			req_finish(req, PG_UNKNOWN, NULL,
			    "pool closing, outcome unknown");
		else
			req_free(req);
	}
}

void
pg_pool_free(struct pg_pool *pool)
{
	struct pg_req	*req;

	if (pool == NULL || pool->closing)
		return;
	pool->closing = 1;
	evtimer_del(&pool->qtimer);
	/* Callbacks below may call pg_query (refused) or pg_cancel. */
	for (int i = 0; i < pool->nconns; i++)
		conn_abandon(&pool->conns[i]);
	if (pool->lconn != NULL)
		conn_abandon(pool->lconn);
	while ((req = TAILQ_FIRST(&pool->queue)) != NULL) {
		queue_unlink(req);
		req_finish(req, PG_UNAVAILABLE, NULL, "pool closing");
	}
	/* Callers up the stack may still hold the pool or a connection. */
	loop_defer(pool_teardown, pool);
}
