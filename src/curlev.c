/*
 * libcurl multi <-> libevent glue: curl's hiperfifo pattern over a set of
 * multi handles sharing the one event base.
 *
 * curl's callbacks only (re)arm libevent events: the socket callback one
 * persistent event per socket, the timer callback one evtimer per multi.
 * libevent then calls curl_multi_socket_action(), and completions are read
 * with curl_multi_info_read() after it has returned, so owners' callbacks
 * run outside curl and may add, re-add or remove handles.
 *
 * Transfers are packed onto the lowest multi with room (per_multi each).
 * Every easy handle has a record here, found by a small pointer hash and,
 * while in flight, through CURLOPT_PRIVATE; it remembers the multi the
 * handle used last, so a session's next request lands where its kept-alive
 * connection is cached.  Extra multis idle longer than curl keeps a
 * connection alive are closed by a lazy janitor timer.
 */
#include <sys/queue.h>
#include <sys/time.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "curlev.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define CURLEV_PER_MULTI	100
/* curl drops idle connections after 118 s (CURLOPT_MAXAGE_CONN). */
#define CURLEV_IDLE_CLOSE_MS	120000
#define CURLEV_HASH_MIN		256

struct curlev_multi;

/* One socket curl asked us to watch; handed back by curl as socketp. */
struct curlev_sock {
	struct curlev_multi	*m;
	curl_socket_t		 fd;
	int			 what;		/* CURL_POLL_* armed now */
	struct event		*ev;
	LIST_ENTRY(curlev_sock)	 link;
};

struct curlev_multi {
	struct curlev		*cl;
	CURLM			*multi;
	struct event		*timer;
	unsigned		 slot;
	uint64_t		 serial;	/* tells a reopened slot apart */
	int			 n;		/* transfers in flight here */
	uint64_t		 idle_since;	/* loop_now_ms() when n fell to 0 */
	LIST_HEAD(, curlev_sock) socks;
};

/* Per easy handle.  CURLOPT_PRIVATE points here while it is in flight. */
struct curlev_xfer {
	CURL			*easy;
	curlev_done_cb		*cb;
	void			*arg;
	struct curlev_multi	*m;		/* non-NULL while in flight */
	unsigned		 home_slot;	/* multi used last ... */
	uint64_t		 home_serial;	/* ... if it still exists */
	struct curlev_xfer	*hnext;
};

struct curlev {
	struct event_base	 *base;
	struct curlev_opts	  opts;
	struct curlev_multi	**slots;
	unsigned		  nslots;
	unsigned		  room_hint;	/* no open slot below has room */
	int			  nmultis;
	uint64_t		  next_serial;
	struct curlev_xfer	**htab;
	size_t			  hsize;
	size_t			  hcount;
	struct event		 *janitor;
	int			  busy;		/* inside a dispatch */
	int			  dying;	/* curlev_free called while busy */
	struct curlev_stats	  st;
};

static void	multi_action(struct curlev_multi *, curl_socket_t, int);
static void	curlev_destroy(struct curlev *);

/* ---- easy handle records ------------------------------------------- */

static size_t
xfer_bucket(const struct curlev *cl, const CURL *easy)
{
	uint64_t	h = (uint64_t)(uintptr_t)easy;

	/* Heap pointers share their low bits; mix before masking. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (cl->hsize - 1);
}

static struct curlev_xfer *
xfer_find(const struct curlev *cl, const CURL *easy)
{
	struct curlev_xfer	*x;

	for (x = cl->htab[xfer_bucket(cl, easy)]; x != NULL; x = x->hnext)
		if (x->easy == easy)
			return x;
	return NULL;
}

static void
xfer_grow(struct curlev *cl)
{
	struct curlev_xfer	**old = cl->htab, *x, *next;
	size_t			  oldsize = cl->hsize, i, b;

	cl->hsize = oldsize * 2;
	cl->htab = xcalloc(cl->hsize, sizeof(*cl->htab));
	for (i = 0; i < oldsize; i++) {
		for (x = old[i]; x != NULL; x = next) {
			next = x->hnext;
			b = xfer_bucket(cl, x->easy);
			x->hnext = cl->htab[b];
			cl->htab[b] = x;
		}
	}
	free(old);
}

static struct curlev_xfer *
xfer_new(struct curlev *cl, CURL *easy)
{
	struct curlev_xfer	*x;
	size_t			 b;

	if (cl->hcount >= cl->hsize)
		xfer_grow(cl);
	x = xcalloc(1, sizeof(*x));
	x->easy = easy;
	b = xfer_bucket(cl, easy);
	x->hnext = cl->htab[b];
	cl->htab[b] = x;
	cl->hcount++;
	return x;
}

static void
xfer_delete(struct curlev *cl, struct curlev_xfer *x)
{
	struct curlev_xfer	**pp;

	for (pp = &cl->htab[xfer_bucket(cl, x->easy)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == x) {
			*pp = x->hnext;
			cl->hcount--;
			free(x);
			return;
		}
	}
}

/* ---- multi handles -------------------------------------------------- */

static void
janitor_arm(struct curlev *cl, uint64_t delay_ms)
{
	if (evtimer_pending(cl->janitor, NULL))
		return;
	loop_timer_ms(cl->janitor, delay_ms);
}

static void
sock_free(struct curlev_sock *s)
{
	LIST_REMOVE(s, link);
	/* event_free deletes it, also from this iteration's active queue. */
	event_free(s->ev);
	free(s);
}

static void
sock_fire(evutil_socket_t fd, short events, void *arg)
{
	struct curlev_sock	*s = arg;
	struct curlev_multi	*m = s->m;
	int			 mask = 0;

	/* s may be freed inside the action: only m is used from here. */
	if (events & EV_READ)
		mask |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		mask |= CURL_CSELECT_OUT;
	multi_action(m, fd, mask);
}

static void
timer_fire(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	multi_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

/*
 * CURLMOPT_SOCKETFUNCTION.  Called from inside curl, also for internal
 * handles and during cleanup, so it only arms events; easy is not ours to
 * look at.
 */
static int
multi_sock_cb(CURL *easy, curl_socket_t fd, int what, void *clientp,
    void *socketp)
{
	struct curlev_multi	*m = clientp;
	struct curlev_sock	*s = socketp;
	short			 kind = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_free(s);
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->m = m;
		s->fd = fd;
		s->what = CURL_POLL_NONE;
		if ((s->ev = event_new(m->cl->base, fd, 0, sock_fire,
		    s)) == NULL) {
			free(s);
			log_error("curlev: event_new failed for fd %d", fd);
			return -1;
		}
		LIST_INSERT_HEAD(&m->socks, s, link);
		curl_multi_assign(m->multi, fd, s);
	} else if (s->what == what)
		return 0;

	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	/* event_assign on a pending event is undefined. */
	event_del(s->ev);
	s->what = what;
	if (what == CURL_POLL_NONE)
		return 0;
	event_assign(s->ev, m->cl->base, fd, kind, sock_fire, s);
	if (event_add(s->ev, NULL) == -1) {
		log_error("curlev: event_add failed for fd %d", fd);
		return -1;
	}
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION.  Only arms the multi's one timer: calling curl
 * from here, even for a 0 ms timeout, would recurse into it.
 */
static int
multi_timer_cb(CURLM *multi, long timeout_ms, void *clientp)
{
	struct curlev_multi	*m = clientp;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(m->timer);
		return 0;
	}
	loop_timer_ms(m->timer, (uint64_t)timeout_ms);
	return 0;
}

static struct curlev_multi *
multi_open(struct curlev *cl)
{
	struct curlev_multi	*m;
	const struct curlev_opts *o = &cl->opts;
	unsigned		 slot;

	m = xcalloc(1, sizeof(*m));
	m->cl = cl;
	LIST_INIT(&m->socks);
	if ((m->multi = curl_multi_init()) == NULL) {
		free(m);
		log_error("curlev: curl_multi_init failed");
		return NULL;
	}
	if ((m->timer = evtimer_new(cl->base, timer_fire, m)) == NULL) {
		curl_multi_cleanup(m->multi);
		free(m);
		log_error("curlev: evtimer_new failed");
		return NULL;
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, multi_sock_cb);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	/* One connection per transfer: no account shares another's. */
	curl_multi_setopt(m->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	/*
	 * Sessions leave the multi between requests; curl's default cache
	 * size follows the handles currently added and would close their
	 * kept-alive connections while they wait.
	 */
	curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, o->max_connects);
	if (o->max_total_connections > 0)
		curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
		    o->max_total_connections);

	for (slot = 0; slot < cl->nslots; slot++)
		if (cl->slots[slot] == NULL)
			break;
	if (slot == cl->nslots) {
		cl->nslots = cl->nslots ? cl->nslots * 2 : 8;
		cl->slots = xreallocarray(cl->slots, cl->nslots,
		    sizeof(*cl->slots));
		memset(cl->slots + slot, 0,
		    (cl->nslots - slot) * sizeof(*cl->slots));
	}
	cl->slots[slot] = m;
	m->slot = slot;
	m->serial = ++cl->next_serial;
	m->idle_since = loop_now_ms();
	if (slot < cl->room_hint)
		cl->room_hint = slot;
	cl->nmultis++;
	log_debug("curlev: opened multi %u (%d open)", slot, cl->nmultis);
	return m;
}

/* Close a multi with no transfer in flight. */
static void
multi_close(struct curlev_multi *m)
{
	struct curlev		*cl = m->cl;
	struct curlev_sock	*s;

	/* Closes its cached connections; their sockets are removed here. */
	curl_multi_cleanup(m->multi);
	while ((s = LIST_FIRST(&m->socks)) != NULL)
		sock_free(s);
	event_free(m->timer);
	cl->slots[m->slot] = NULL;
	cl->nmultis--;
	log_debug("curlev: closed multi %u (%d open)", m->slot, cl->nmultis);
	free(m);
}

static void
janitor_fire(evutil_socket_t fd, short events, void *arg)
{
	struct curlev		*cl = arg;
	struct curlev_multi	*m;
	uint64_t		 now = loop_now_ms(), idle, next = 0;
	unsigned		 i;

	(void)fd;
	(void)events;
	/* From the top down: placement fills low slots first, keep those. */
	for (i = cl->nslots; i-- > 0;) {
		if ((m = cl->slots[i]) == NULL || m->n > 0)
			continue;
		idle = now - m->idle_since;
		if (idle >= (uint64_t)cl->opts.idle_close_ms) {
			if (cl->nmultis > 1)
				multi_close(m);
		} else if (next == 0 ||
		    (uint64_t)cl->opts.idle_close_ms - idle < next)
			next = (uint64_t)cl->opts.idle_close_ms - idle;
	}
	if (next > 0)
		janitor_arm(cl, next);
}

static int
multi_has_room(const struct curlev *cl, const struct curlev_multi *m)
{
	return m != NULL && m->n < cl->opts.per_multi;
}

static struct curlev_multi *
multi_pick(struct curlev *cl, const struct curlev_xfer *x)
{
	struct curlev_multi	*m;
	unsigned		 i;

	if (x->home_serial != 0 && x->home_slot < cl->nslots) {
		m = cl->slots[x->home_slot];
		if (m != NULL && m->serial == x->home_serial &&
		    multi_has_room(cl, m))
			return m;
	}
	for (i = cl->room_hint; i < cl->nslots; i++) {
		if (multi_has_room(cl, cl->slots[i])) {
			cl->room_hint = i;
			return cl->slots[i];
		}
	}
	cl->room_hint = cl->nslots;
	return multi_open(cl);
}

/* Take an in-flight handle out of its multi; no callback. */
static void
xfer_detach(struct curlev *cl, struct curlev_xfer *x)
{
	struct curlev_multi	*m = x->m;
	CURLMcode		 mc;

	if ((mc = curl_multi_remove_handle(m->multi, x->easy)) != CURLM_OK)
		log_warn("curlev: curl_multi_remove_handle: %s",
		    curl_multi_strerror(mc));
	x->m = NULL;
	x->home_slot = m->slot;
	x->home_serial = m->serial;
	cl->st.running--;
	if (m->slot < cl->room_hint)
		cl->room_hint = m->slot;
	if (--m->n == 0) {
		m->idle_since = loop_now_ms();
		janitor_arm(cl, (uint64_t)cl->opts.idle_close_ms);
	}
}

/* Hand each finished transfer of m to its owner. */
static void
multi_drain(struct curlev_multi *m)
{
	struct curlev		*cl = m->cl;
	struct curlev_xfer	*x;
	CURLMsg			*msg;
	CURL			*easy;
	CURLcode		 rc;
	curlev_done_cb		*cb;
	void			*arg, *priv;
	int			 left;

	while (!cl->dying &&
	    (msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		rc = msg->data.result;
		priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if ((x = priv) == NULL || x->easy != easy || x->m != m) {
			log_error("curlev: finished handle %p is not ours",
			    (void *)easy);
			curl_multi_remove_handle(m->multi, easy);
			continue;
		}
		xfer_detach(cl, x);
		cl->st.completed++;
		if (rc != CURLE_OK)
			cl->st.failed++;
		/* The callback may re-add, forget or free: x is done with. */
		cb = x->cb;
		arg = x->arg;
		cb(arg, easy, rc);
	}
}

/*
 * Let curl act on fd (or on its timeout), then dispatch what finished.
 * The socket record that brought us here may be gone afterwards.
 */
static void
multi_action(struct curlev_multi *m, curl_socket_t fd, int mask)
{
	struct curlev	*cl = m->cl;
	CURLMcode	 mc;
	int		 running;

	cl->busy++;
	mc = curl_multi_socket_action(m->multi, fd, mask, &running);
	if (mc != CURLM_OK)
		log_warn("curlev: curl_multi_socket_action: %s",
		    curl_multi_strerror(mc));
	multi_drain(m);
	if (--cl->busy == 0 && cl->dying)
		curlev_destroy(cl);
}

/* ---- API ------------------------------------------------------------ */

struct curlev *
curlev_new(struct event_base *base, const struct curlev_opts *opts)
{
	struct curlev	*cl;

	cl = xcalloc(1, sizeof(*cl));
	cl->base = base;
	if (opts != NULL)
		cl->opts = *opts;
	if (cl->opts.per_multi <= 0)
		cl->opts.per_multi = CURLEV_PER_MULTI;
	if (cl->opts.max_connects <= 0)
		cl->opts.max_connects = 2L * cl->opts.per_multi;
	if (cl->opts.idle_close_ms <= 0)
		cl->opts.idle_close_ms = CURLEV_IDLE_CLOSE_MS;
	cl->hsize = CURLEV_HASH_MIN;
	cl->htab = xcalloc(cl->hsize, sizeof(*cl->htab));
	if ((cl->janitor = evtimer_new(base, janitor_fire, cl)) == NULL) {
		free(cl->htab);
		free(cl);
		return NULL;
	}
	return cl;
}

int
curlev_add(struct curlev *cl, CURL *easy, curlev_done_cb *cb, void *arg)
{
	struct curlev_xfer	*x;
	struct curlev_multi	*m;
	CURLMcode		 mc;
	int			 created = 0;

	if (cl->dying || easy == NULL || cb == NULL)
		return -1;
	if ((x = xfer_find(cl, easy)) == NULL) {
		x = xfer_new(cl, easy);
		created = 1;
	} else if (x->m != NULL) {
		log_error("curlev: handle %p added while in flight",
		    (void *)easy);
		return -1;
	}
	if ((m = multi_pick(cl, x)) == NULL)
		goto fail;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	/* Removing a handle must never wait for the resolver thread. */
	curl_easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	if ((mc = curl_multi_add_handle(m->multi, easy)) != CURLM_OK) {
		log_error("curlev: curl_multi_add_handle: %s",
		    curl_multi_strerror(mc));
		if (m->n == 0)
			janitor_arm(cl, (uint64_t)cl->opts.idle_close_ms);
		goto fail;
	}
	x->cb = cb;
	x->arg = arg;
	x->m = m;
	m->n++;
	cl->st.running++;
	return 0;

 fail:
	if (created)
		xfer_delete(cl, x);
	return -1;
}

void
curlev_remove(struct curlev *cl, CURL *easy)
{
	struct curlev_xfer	*x;

	if ((x = xfer_find(cl, easy)) == NULL || x->m == NULL)
		return;
	xfer_detach(cl, x);
	cl->st.aborted++;
}

void
curlev_forget(struct curlev *cl, CURL *easy)
{
	struct curlev_xfer	*x;

	if ((x = xfer_find(cl, easy)) == NULL)
		return;
	if (x->m != NULL) {
		xfer_detach(cl, x);
		cl->st.aborted++;
	}
	xfer_delete(cl, x);
}

int
curlev_running(const struct curlev *cl)
{
	return (int)cl->st.running;
}

int
curlev_multis(const struct curlev *cl)
{
	return cl->nmultis;
}

void
curlev_stats(const struct curlev *cl, struct curlev_stats *st)
{
	*st = cl->st;
	st->multis = cl->nmultis;
}

static void
curlev_destroy(struct curlev *cl)
{
	unsigned	i;

	for (i = 0; i < cl->nslots; i++)
		if (cl->slots[i] != NULL)
			multi_close(cl->slots[i]);
	free(cl->slots);
	free(cl->htab);
	event_free(cl->janitor);
	free(cl);
}

void
curlev_free(struct curlev *cl)
{
	struct curlev_xfer	*x, *next;
	size_t			 i;

	if (cl == NULL || cl->dying)
		return;
	/*
	 * Take every handle out now, even when called from a callback, so
	 * the caller may clean its easy handles up as soon as we return.
	 */
	cl->dying = 1;
	for (i = 0; i < cl->hsize; i++) {
		for (x = cl->htab[i]; x != NULL; x = next) {
			next = x->hnext;
			if (x->m != NULL) {
				xfer_detach(cl, x);
				cl->st.aborted++;
			}
			free(x);
		}
		cl->htab[i] = NULL;
	}
	cl->hcount = 0;
	/* The multis themselves go when the dispatch that called us ends. */
	if (cl->busy == 0)
		curlev_destroy(cl);
}
