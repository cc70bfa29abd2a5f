/*
 * Redis client; see redis.h.
 *
 * hiredis 0.14 owns the context: it frees it after a failed connect (calling
 * only the connect callback) and after the disconnect callback, and calls
 * every pending reply callback with a NULL reply on the way.  So r->ac is
 * cleared the moment we learn a context is going, every hiredis callback
 * first checks that the context is still the current one, and a new
 * connection always gets a new context.
 *
 * "Up" means the handshake (AUTH, SELECT, PING) has been answered, not just
 * that TCP connected: a listener that accepts and never answers is down.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "backoff.h"
#include "log.h"
#include "loop.h"
#include "redis.h"
#include "xmalloc.h"

#define RDS_STILL_DOWN_MS	60000

enum rds_state {
	RS_DOWN,		/* waiting for the reconnect timer */
	RS_CONNECTING,		/* context created, handshake not answered */
	RS_UP,
};

struct rds_req {
	TAILQ_ENTRY(rds_req)	 entry;
	struct rds		*r;
	redisAsyncContext	*ac;		/* the context it was sent on */
	rds_cb			*cb;
	void			*arg;
	uint64_t		 sent_ms;
	int			 handshake;	/* ours, not a caller's */
	int			 last;		/* final handshake step */
	const char		*what;		/* handshake step, for logs */
	int			 done;
};

struct rds {
	struct event_base	*base;
	char			*path;		/* unix socket, or NULL */
	char			*host;		/* IP literal */
	int			 port;
	char			*password;
	int			 db;
	struct rds_opts		 opts;
	redisAsyncContext	*ac;		/* current context, NULL when down */
	enum rds_state		 state;
	struct event		 tmo;		/* connect or oldest-reply deadline */
	struct event		 retry;
	TAILQ_HEAD(, rds_req)	 pending;	/* sent on ac, in reply order */
	unsigned		 attempts;
	int			 down_logged;
	uint64_t		 down_since_ms;
	uint64_t		 down_logged_ms;
	int			 freeing;
	rds_state_cb		*state_cb;
	void			*state_arg;
};

static void	rds_connect(struct rds *);

/* Deadline: connect while connecting, the oldest pending reply when up. */
static void
rds_arm(struct rds *r)
{
	struct rds_req	*head;
	uint64_t	 now = loop_now_ms(), due;

	if (r->state != RS_UP)
		return;
	evtimer_del(&r->tmo);
	if ((head = TAILQ_FIRST(&r->pending)) == NULL)
		return;
	due = head->sent_ms + r->opts.command_timeout_ms;
	loop_timer_ms(&r->tmo, due > now ? due - now : 0);
}

static void
rds_schedule(struct rds *r)
{
	if (r->freeing)
		return;
	evtimer_del(&r->retry);
	loop_timer_ms(&r->retry, backoff_ms(r->opts.reconnect_min_ms,
	    r->opts.reconnect_max_ms, r->attempts++));
}

static void
rds_log_down(struct rds *r, const char *reason)
{
	uint64_t	now = loop_now_ms();

	if (!r->down_logged) {
		r->down_logged = 1;
		r->down_since_ms = r->down_logged_ms = now;
		log_warn("redis down: %s", reason);
	} else if (now - r->down_logged_ms >= RDS_STILL_DOWN_MS) {
		r->down_logged_ms = now;
		log_warn("redis still down after %llus: %s",
		    (unsigned long long)((now - r->down_since_ms) / 1000),
		    reason);
	}
}

/*
 * ac is going away (hiredis frees it, or the caller is about to).  Forget
 * it, say so once, and plan the next attempt.  Replies still pending on it
 * arrive as NULL and are matched by req->ac, not r->ac.
 */
static void
rds_lost(struct rds *r, const redisAsyncContext *ac, const char *reason)
{
	int	was_up;

	if (ac == NULL || ac != r->ac)
		return;
	was_up = r->state == RS_UP;
	r->ac = NULL;
	r->state = RS_DOWN;
	evtimer_del(&r->tmo);
	if (r->freeing)
		return;
	rds_schedule(r);
	if (was_up) {
		r->down_logged = 0;
		rds_log_down(r, reason);
		if (r->state_cb != NULL)
			r->state_cb(r->state_arg, 0);
	} else {
		log_debug("redis connect failed: %s", reason);
		rds_log_down(r, reason);
	}
}

/* Close a context we still own (outside its connect callback). */
static void
rds_drop(struct rds *r, const char *reason)
{
	redisAsyncContext	*ac = r->ac;

	rds_lost(r, ac, reason);
	/*
	 * Free, not Disconnect: Disconnect waits for pending replies, which
	 * a hung server never sends.  Inside a reply callback hiredis defers
	 * the free until the callback returns.
	 */
	if (ac != NULL)
		redisAsyncFree(ac);
}

static void
rds_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct rds	*r = arg;
	char		 buf[64];

	(void)fd;
	(void)what;
	if (r->state == RS_CONNECTING)
		snprintf(buf, sizeof(buf), "connect timeout after %u ms",
		    r->opts.connect_timeout_ms);
	else
		snprintf(buf, sizeof(buf), "no reply within %u ms",
		    r->opts.command_timeout_ms);
	rds_drop(r, buf);
}

static void
rds_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rds_connect(arg);
}

static void
rds_went_up(struct rds *r)
{
	r->state = RS_UP;
	r->attempts = 0;
	evtimer_del(&r->tmo);
	if (r->down_logged)
		log_info("redis up (down %llus)", (unsigned long long)
		    ((loop_now_ms() - r->down_since_ms) / 1000));
	else
		log_info("redis up");
	r->down_logged = 0;
	rds_arm(r);
	if (r->state_cb != NULL)
		r->state_cb(r->state_arg, 1);
}

static void
rds_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rds_req	*req = priv;
	struct rds	*r = req->r;
	redisReply	*rep = reply;
	char		 buf[160];

	TAILQ_REMOVE(&r->pending, req, entry);
	req->done = 1;
	if (ac == r->ac)
		rds_arm(r);
	if (req->handshake) {
		if (ac != r->ac || r->freeing)
			;	/* the context is already written off */
		else if (rep == NULL)
			rds_lost(r, ac, "connection closed during handshake");
		else if (rep->type == REDIS_REPLY_ERROR) {
			/* Never echo the command: AUTH carries the password. */
			snprintf(buf, sizeof(buf), "%s failed: %.*s", req->what,
			    (int)(rep->len > 100 ? 100 : rep->len), rep->str);
			rds_drop(r, buf);
		} else if (req->last)
			rds_went_up(r);
	} else {
		if (rep == NULL && ac == r->ac)
			rds_lost(r, ac, ac->err ? ac->errstr : "connection lost");
		if (req->cb != NULL)
			req->cb(req->arg, rep);
	}
	free(req);
}

static void
rds_on_connect(const redisAsyncContext *ac, int status)
{
	struct rds	*r = ac->data;
	char		 buf[160];

	if (status == REDIS_OK)
		return;		/* up only once the handshake answers */
	/* hiredis frees ac after this; in 0.14 we must not touch it. */
	snprintf(buf, sizeof(buf), "connect: %s", ac->errstr);
	rds_lost(r, ac, buf);
}

static void
rds_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rds	*r = ac->data;
	char		 buf[160];

	if (status == REDIS_OK)
		snprintf(buf, sizeof(buf), "disconnected");
	else
		snprintf(buf, sizeof(buf), "disconnected: %s", ac->errstr);
	rds_lost(r, ac, buf);
}

static struct rds_req *
rds_send(struct rds *r, rds_cb *cb, void *arg, int argc, const char **argv,
    const size_t *argvlen)
{
	struct rds_req	*req = xcalloc(1, sizeof(*req));

	req->r = r;
	req->ac = r->ac;
	req->cb = cb;
	req->arg = arg;
	req->sent_ms = loop_now_ms();
	if (redisAsyncCommandArgv(r->ac, rds_reply, req, argc, argv,
	    argvlen) != REDIS_OK) {
		free(req);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&r->pending, req, entry);
	return req;
}

static int
rds_handshake(struct rds *r, const char *what, int argc, const char **argv,
    int last)
{
	struct rds_req	*req;

	if ((req = rds_send(r, NULL, NULL, argc, argv, NULL)) == NULL)
		return -1;
	req->handshake = 1;
	req->what = what;
	req->last = last;
	return 0;
}

static void
rds_connect(struct rds *r)
{
	redisAsyncContext	*ac;
	const char		*argv[2];
	char			 db[16], buf[160];

	if (r->path != NULL)
		ac = redisAsyncConnectUnix(r->path);
	else
		ac = redisAsyncConnect(r->host, r->port);
	if (ac == NULL) {
		r->ac = NULL;
		rds_log_down(r, "out of memory");
		rds_schedule(r);
		return;
	}
	if (ac->err) {
		snprintf(buf, sizeof(buf), "connect: %s", ac->errstr);
		redisAsyncFree(ac);
		log_debug("redis connect failed: %s", buf);
		rds_log_down(r, buf);
		rds_schedule(r);
		return;
	}
	ac->data = r;
	r->ac = ac;
	r->state = RS_CONNECTING;
	if (redisLibeventAttach(ac, r->base) != REDIS_OK ||
	    redisAsyncSetConnectCallback(ac, rds_on_connect) != REDIS_OK ||
	    redisAsyncSetDisconnectCallback(ac, rds_on_disconnect) != REDIS_OK) {
		rds_drop(r, "cannot attach to the event loop");
		return;
	}
	/* hiredis buffers these until the socket connects. */
	if (r->password != NULL) {
		argv[0] = "AUTH";
		argv[1] = r->password;
		if (rds_handshake(r, "AUTH", 2, argv, 0) < 0)
			goto fail;
	}
	if (r->db != 0) {
		snprintf(db, sizeof(db), "%d", r->db);
		argv[0] = "SELECT";
		argv[1] = db;
		if (rds_handshake(r, "SELECT", 2, argv, 0) < 0)
			goto fail;
	}
	argv[0] = "PING";
	if (rds_handshake(r, "PING", 1, argv, 1) < 0)
		goto fail;
	loop_timer_ms(&r->tmo, r->opts.connect_timeout_ms);
	return;
fail:
	rds_drop(r, "cannot queue the handshake");
}

/* Accept "a.b.c.d:port", "[v6]:port" or "/path"; never a host name. */
static int
rds_parse_address(struct rds *r, const char *addr)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	const char	*colon, *end;
	char		 host[INET6_ADDRSTRLEN + 1];
	size_t		 n;
	long		 port;
	char		*ep;

	if (addr[0] == '/') {
		r->path = xstrdup(addr);
		return 0;
	}
	if (addr[0] == '[') {
		if ((end = strchr(addr, ']')) == NULL || end[1] != ':')
			return -1;
		n = (size_t)(end - addr - 1);
		colon = end + 1;
		addr++;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL)
			return -1;
		n = (size_t)(colon - addr);
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, addr, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &a4) != 1 &&
	    inet_pton(AF_INET6, host, &a6) != 1)
		return -1;
	errno = 0;
	port = strtol(colon + 1, &ep, 10);
	if (errno != 0 || *ep != '\0' || ep == colon + 1 || port < 1 ||
	    port > 65535)
		return -1;
	r->host = xstrdup(host);
	r->port = (int)port;
	return 0;
}

struct rds *
rds_new(struct event_base *base, const struct rds_opts *opts)
{
	struct rds	*r;

	if (opts->address == NULL) {
		log_error("redis: no address");
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	if (rds_parse_address(r, opts->address) < 0) {
		/* Host names would resolve with a blocking getaddrinfo. */
		log_error("redis: address must be IP:port, [IPv6]:port or a "
		    "unix socket path: %s", opts->address);
		free(r);
		return NULL;
	}
	r->base = base;
	r->opts = *opts;
	r->opts.address = NULL;
	r->opts.password = NULL;
	if (opts->password != NULL && *opts->password != '\0')
		r->password = xstrdup(opts->password);
	r->db = opts->db;
	if (r->opts.connect_timeout_ms == 0)
		r->opts.connect_timeout_ms = 2000;
	if (r->opts.command_timeout_ms == 0)
		r->opts.command_timeout_ms = 2000;
	if (r->opts.reconnect_min_ms == 0)
		r->opts.reconnect_min_ms = 100;
	if (r->opts.reconnect_max_ms < r->opts.reconnect_min_ms)
		r->opts.reconnect_max_ms = r->opts.reconnect_min_ms;
	TAILQ_INIT(&r->pending);
	evtimer_assign(&r->tmo, base, rds_timeout, r);
	evtimer_assign(&r->retry, base, rds_retry, r);
	rds_connect(r);
	return r;
}

struct rds_req *
rds_command(struct rds *r, rds_cb *cb, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct rds_req	*req;
	int		 was_empty;

	/* Down means "take the slower path now", not "wait for Redis". */
	if (r->state != RS_UP || r->ac == NULL || r->freeing || argc < 1)
		return NULL;
	was_empty = TAILQ_EMPTY(&r->pending);
	if ((req = rds_send(r, cb, arg, argc, argv, argvlen)) == NULL)
		return NULL;
	if (was_empty)
		rds_arm(r);
	return req;
}

void
rds_cancel(struct rds_req *req)
{
	/* The reply still comes and frees req; only the callback goes. */
	if (req != NULL && !req->done)
		req->cb = NULL;
}

int
rds_is_up(const struct rds *r)
{
	return r->state == RS_UP;
}

void
rds_set_state_cb(struct rds *r, rds_state_cb *cb, void *arg)
{
	r->state_cb = cb;
	r->state_arg = arg;
}

static void
rds_teardown(void *arg)
{
	struct rds	*r = arg;

	free(r->path);
	free(r->host);
	if (r->password != NULL) {
		explicit_bzero(r->password, strlen(r->password));
		free(r->password);
	}
	free(r);
}

void
rds_free(struct rds *r)
{
	redisAsyncContext	*ac;

	if (r == NULL || r->freeing)
		return;
	r->freeing = 1;
	evtimer_del(&r->tmo);
	evtimer_del(&r->retry);
	ac = r->ac;
	r->ac = NULL;
	r->state = RS_DOWN;
	/* Pending callbacks run with NULL now, or when the current one returns. */
	if (ac != NULL)
		redisAsyncFree(ac);
	/* A hiredis callback further up the stack may still reach r. */
	loop_defer(rds_teardown, r);
}
