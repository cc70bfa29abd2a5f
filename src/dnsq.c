/*
 * c-ares on the libevent loop (see dnsq.h).  The socket-state callback
 * only (re)arms one event per resolver socket; a single timer follows
 * ares_timeout(); answers are delivered from an activated event, never
 * from inside c-ares or dnsq_lookup.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>
#include <event2/event.h>

#include "dnsq.h"
#include "loop.h"
#include "xmalloc.h"

#define DNSQ_BUCKETS	1024
#define DNSQ_MAX_MX	8
/* Domains resolved at once (each has one query in flight at a time): a
 * burst of thousands of UDP queries overflows a small server's socket
 * buffer and turns into timeouts. */
#define DNSQ_MAX_ACTIVE	64

struct sockev {
	ares_socket_t	 fd;
	struct event	*ev;
	struct sockev	*next;
};

struct waiter {
	void		(*cb)(const struct dnsq_result *, void *);
	void		*arg;
	struct waiter	*next;
};

struct dentry {
	struct dnsq		*q;
	char			*domain;
	int			 done;
	struct dnsq_result	 res;
	struct waiter		*waiters;
	struct dentry		*next;		/* hash chain */
	struct dentry		*rnext;		/* ready list */
	struct dentry		*qnext;		/* waiting to start */
	/* MX walk */
	char			*mx[DNSQ_MAX_MX];
	int			 nmx, imx;
	const char		*host;		/* name being resolved */
	int			 aaaa;		/* second query of host */
	int			 temp;		/* a host lookup failed softly */
};

#define DNSQ_MAX_TXT	16

/* One TXT question: answered into txt[], delivered from its own event. */
struct txtq {
	struct dnsq	*q;
	void		(*cb)(enum dnsq_status, const char *const *, size_t,
			    const char *, void *);
	void		*arg;
	struct event	*ev;
	enum dnsq_status status;
	char		*txt[DNSQ_MAX_TXT];
	size_t		 n;
	char		 detail[200];
	struct txtq	*next;
};

struct dnsq {
	ares_channel	 ch;
	struct event	*timer;
	struct event	*fire;
	struct sockev	*socks;
	struct dentry	*tab[DNSQ_BUCKETS];
	struct dentry	*ready;
	struct dentry	*qhead, **qtail;	/* not started yet */
	struct txtq	*txts;			/* TXT questions pending */
	int		 nactive;
	int		 destroying;
	char		 server[128];
};

static void	resolve_host(struct dentry *);
static void	rearm(struct dnsq *);

const char *
dnsq_strstatus(enum dnsq_status s)
{
	switch (s) {
	case DNSQ_OK:		return "ok";
	case DNSQ_NXDOMAIN:	return "nxdomain";
	case DNSQ_NOMX:		return "no-mx";
	case DNSQ_TEMP:		return "temporary";
	}
	return "?";
}

static unsigned
hash(const char *s)
{
	unsigned	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % DNSQ_BUCKETS;
}

static void
sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dnsq	*q = arg;

	ares_process_fd(q->ch, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	rearm(q);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dnsq	*q = arg;

	(void)fd;
	(void)what;
	ares_process_fd(q->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm(q);
}

static void
rearm(struct dnsq *q)
{
	struct timeval	 tv, *tvp;

	if (q->destroying)
		return;
	tvp = ares_timeout(q->ch, NULL, &tv);
	if (tvp != NULL)
		evtimer_add(q->timer, tvp);
	else
		evtimer_del(q->timer);
}

static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dnsq	 *q = data;
	struct sockev	**pp, *s;

	for (pp = &q->socks; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->fd == fd)
			break;
	s = *pp;
	if (s != NULL) {
		event_free(s->ev);
		if (!readable && !writable) {
			*pp = s->next;
			free(s);
			return;
		}
	} else {
		if (!readable && !writable)
			return;
		s = xcalloc(1, sizeof(*s));
		s->fd = fd;
		s->next = q->socks;
		q->socks = s;
	}
	s->ev = event_new(loop_base(), fd, EV_PERSIST |
	    (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0), sock_cb, q);
	event_add(s->ev, NULL);
}

static void
fire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dnsq	*q = arg;
	struct dentry	*e;
	struct waiter	*w;

	(void)fd;
	(void)what;
	while ((e = q->ready) != NULL) {
		q->ready = e->rnext;
		e->rnext = NULL;
		while ((w = e->waiters) != NULL) {
			e->waiters = w->next;
			w->cb(&e->res, w->arg);
			free(w);
		}
	}
}

static void
make_ready(struct dentry *e)
{
	struct dentry	**pp;

	for (pp = &e->q->ready; *pp != NULL; pp = &(*pp)->rnext)
		if (*pp == e)
			return;
	*pp = e;
	event_active(e->q->fire, EV_TIMEOUT, 0);
}

static void	start_waiting(struct dnsq *);

static void
finish(struct dentry *e, enum dnsq_status st, const char *fmt, const char *a)
{
	e->done = 1;
	e->q->nactive--;
	e->res.status = st;
	if (fmt != NULL)
		snprintf(e->res.detail, sizeof(e->res.detail), fmt, a);
	for (int i = 0; i < e->nmx; i++) {
		free(e->mx[i]);
		e->mx[i] = NULL;
	}
	make_ready(e);
	start_waiting(e->q);
}

static int
is_soft(int status)
{
	return status != ARES_ENOTFOUND && status != ARES_ENODATA;
}

static const char *
aerr(struct dnsq *q, int status)
{
	static char	buf[200];

	if (status == ARES_ECONNREFUSED || status == ARES_ETIMEOUT)
		snprintf(buf, sizeof(buf), "DNS server %s unreachable: %s",
		    q->server[0] ? q->server : "(resolv.conf)",
		    ares_strerror(status));
	else
		snprintf(buf, sizeof(buf), "DNS: %s", ares_strerror(status));
	return buf;
}

/* The host walk: the next MX host, or the end. */
static void
next_host(struct dentry *e)
{
	if (e->res.naddrs < DNSQ_MAX_ADDRS && e->imx < e->nmx) {
		e->host = e->mx[e->imx++];
		e->aaaa = 0;
		resolve_host(e);
		return;
	}
	if (e->res.naddrs > 0)
		finish(e, DNSQ_OK, NULL, NULL);
	else if (e->temp) {
		char	why[sizeof(e->res.detail)];

		memcpy(why, e->res.detail, sizeof(why));
		finish(e, DNSQ_TEMP, "%s", why);
	}
	else if (e->res.implicit)
		finish(e, DNSQ_NOMX, "no MX and no A/AAAA for %s", e->domain);
	else
		finish(e, DNSQ_NOMX, "MX host %s does not resolve", e->res.mx);
}

static void
addr_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dentry		*e = arg;
	struct ares_addrttl	 a4[DNSQ_MAX_ADDRS];
	struct ares_addr6ttl	 a6[DNSQ_MAX_ADDRS];
	int			 n = DNSQ_MAX_ADDRS, i;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || e->q->destroying)
		return;
	if (status == ARES_SUCCESS && !e->aaaa &&
	    ares_parse_a_reply(abuf, alen, NULL, a4, &n) == ARES_SUCCESS) {
		for (i = 0; i < n && e->res.naddrs < DNSQ_MAX_ADDRS; i++) {
			struct sockaddr_in *sin = (struct sockaddr_in *)
			    &e->res.addrs[e->res.naddrs];

			snprintf(e->res.host[e->res.naddrs++],
			    sizeof(e->res.host[0]), "%s", e->host);
			sin->sin_family = AF_INET;
			sin->sin_addr = a4[i].ipaddr;
		}
	} else if (status == ARES_SUCCESS && e->aaaa &&
	    ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n) == ARES_SUCCESS) {
		for (i = 0; i < n && e->res.naddrs < DNSQ_MAX_ADDRS; i++) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)
			    &e->res.addrs[e->res.naddrs];

			snprintf(e->res.host[e->res.naddrs++],
			    sizeof(e->res.host[0]), "%s", e->host);
			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, &a6[i].ip6addr,
			    sizeof(sin6->sin6_addr));
		}
	} else if (status != ARES_SUCCESS && is_soft(status)) {
		e->temp = 1;
		snprintf(e->res.detail, sizeof(e->res.detail), "%s",
		    aerr(e->q, status));
	}
	if (!e->aaaa) {
		e->aaaa = 1;
		resolve_host(e);
		return;
	}
	next_host(e);
}

static void
resolve_host(struct dentry *e)
{
	ares_query(e->q->ch, e->host, ns_c_in, e->aaaa ? ns_t_aaaa : ns_t_a,
	    addr_cb, e);
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct ares_mx_reply *x = *(const struct ares_mx_reply *const *)a;
	const struct ares_mx_reply *y = *(const struct ares_mx_reply *const *)b;

	return (int)x->priority - (int)y->priority;
}

static void
mx_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dentry		*e = arg;
	struct ares_mx_reply	*mx = NULL, *m, *v[DNSQ_MAX_MX];
	int			 n = 0;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || e->q->destroying)
		return;
	if (status == ARES_ENOTFOUND) {
		finish(e, DNSQ_NXDOMAIN, "%s does not exist", e->domain);
		return;
	}
	if (status == ARES_SUCCESS &&
	    (status = ares_parse_mx_reply(abuf, alen, &mx)) == ARES_SUCCESS) {
		for (m = mx; m != NULL && n < DNSQ_MAX_MX; m = m->next)
			v[n++] = m;
		qsort(v, (size_t)n, sizeof(v[0]), mx_cmp);
		if (n >= 1 && (v[0]->host[0] == '\0' ||
		    strcmp(v[0]->host, ".") == 0)) {
			ares_free_data(mx);
			finish(e, DNSQ_NOMX, "null MX for %s (RFC 7505)",
			    e->domain);
			return;
		}
		for (int i = 0; i < n; i++)
			e->mx[i] = xstrdup(v[i]->host);
		e->nmx = n;
		snprintf(e->res.mx, sizeof(e->res.mx), "%s", v[0]->host);
		ares_free_data(mx);
		next_host(e);
		return;
	}
	if (status == ARES_ENODATA) {
		/* RFC 5321 5.1: no MX, the domain itself is the host. */
		e->res.implicit = 1;
		e->mx[0] = xstrdup(e->domain);
		e->nmx = 1;
		snprintf(e->res.mx, sizeof(e->res.mx), "%s", e->domain);
		next_host(e);
		return;
	}
	finish(e, DNSQ_TEMP, "%s", aerr(e->q, status));
}

static void
start_waiting(struct dnsq *q)
{
	struct dentry	*e;

	while (q->nactive < DNSQ_MAX_ACTIVE && (e = q->qhead) != NULL) {
		q->qhead = e->qnext;
		if (q->qhead == NULL)
			q->qtail = &q->qhead;
		q->nactive++;
		ares_query(q->ch, e->domain, ns_c_in, ns_t_mx, mx_cb, e);
	}
	rearm(q);
}

struct dnsq *
dnsq_new(const char *server, int timeout_ms, int tries, char *errbuf,
    size_t errlen)
{
	struct dnsq		*q;
	struct ares_options	 o;
	int			 rc;
	static int		 lib_init;

	if (!lib_init) {
		if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != 0) {
			snprintf(errbuf, errlen, "c-ares: %s",
			    ares_strerror(rc));
			return NULL;
		}
		lib_init = 1;
	}
	q = xcalloc(1, sizeof(*q));
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state_cb;
	o.sock_state_cb_data = q;
	o.timeout = timeout_ms;
	o.tries = tries;
	rc = ares_init_options(&q->ch, &o, ARES_OPT_SOCK_STATE_CB |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(errbuf, errlen, "c-ares: %s", ares_strerror(rc));
		free(q);
		return NULL;
	}
	if (server != NULL) {
		snprintf(q->server, sizeof(q->server), "%s", server);
		rc = ares_set_servers_ports_csv(q->ch, server);
		if (rc != ARES_SUCCESS) {
			snprintf(errbuf, errlen, "bad DNS server %s: %s",
			    server, ares_strerror(rc));
			ares_destroy(q->ch);
			free(q);
			return NULL;
		}
	}
	q->qtail = &q->qhead;
	q->timer = evtimer_new(loop_base(), timer_cb, q);
	q->fire = event_new(loop_base(), -1, 0, fire_cb, q);
	return q;
}

void
dnsq_lookup(struct dnsq *q, const char *domain,
    void (*cb)(const struct dnsq_result *, void *), void *arg)
{
	unsigned	 h = hash(domain);
	struct dentry	*e;
	struct waiter	*w, **wp;

	for (e = q->tab[h]; e != NULL; e = e->next)
		if (strcmp(e->domain, domain) == 0)
			break;
	w = xcalloc(1, sizeof(*w));
	w->cb = cb;
	w->arg = arg;
	if (e != NULL) {
		for (wp = &e->waiters; *wp != NULL; wp = &(*wp)->next)
			;
		*wp = w;
		if (e->done)
			make_ready(e);
		return;
	}
	e = xcalloc(1, sizeof(*e));
	e->q = q;
	e->domain = xstrdup(domain);
	e->waiters = w;
	e->next = q->tab[h];
	q->tab[h] = e;
	*q->qtail = e;
	q->qtail = &e->qnext;
	start_waiting(q);
}

static void
txt_free(struct txtq *t)
{
	struct txtq	**pp;

	for (pp = &t->q->txts; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	for (size_t i = 0; i < t->n; i++)
		free(t->txt[i]);
	event_free(t->ev);
	free(t);
}

static void
txt_fire(evutil_socket_t fd, short what, void *arg)
{
	struct txtq	*t = arg;

	(void)fd;
	(void)what;
	t->cb(t->status, (const char *const *)t->txt, t->n, t->detail,
	    t->arg);
	txt_free(t);
}

/* Append one character string of a record; start begins a new record. */
static void
txt_add(struct txtq *t, const unsigned char *s, size_t len, int start)
{
	char	*p;
	size_t	 old;

	if (start) {
		if (t->n == DNSQ_MAX_TXT)
			return;
		t->txt[t->n++] = xstrdup("");
	} else if (t->n == 0)
		return;
	old = strlen(t->txt[t->n - 1]);
	p = xreallocarray(t->txt[t->n - 1], old + len + 1, 1);
	memcpy(p + old, s, len);
	p[old + len] = '\0';
	t->txt[t->n - 1] = p;
}

static void
txt_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct txtq		*t = arg;
	struct ares_txt_ext	*txt = NULL, *r;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || t->q->destroying)
		return;
	t->status = DNSQ_OK;
	if (status == ARES_SUCCESS &&
	    (status = ares_parse_txt_reply_ext(abuf, alen, &txt)) ==
	    ARES_SUCCESS) {
		for (r = txt; r != NULL; r = r->next)
			txt_add(t, r->txt, r->length, r->record_start);
		ares_free_data(txt);
	} else if (status == ARES_ENOTFOUND) {
		t->status = DNSQ_NXDOMAIN;
		snprintf(t->detail, sizeof(t->detail), "does not exist");
	} else if (status != ARES_ENODATA) {
		t->status = DNSQ_TEMP;
		snprintf(t->detail, sizeof(t->detail), "%s",
		    aerr(t->q, status));
	}
	event_active(t->ev, EV_TIMEOUT, 0);
}

void
dnsq_txt(struct dnsq *q, const char *name,
    void (*cb)(enum dnsq_status, const char *const *, size_t, const char *,
    void *), void *arg)
{
	struct txtq	*t;

	t = xcalloc(1, sizeof(*t));
	t->q = q;
	t->cb = cb;
	t->arg = arg;
	t->ev = event_new(loop_base(), -1, 0, txt_fire, t);
	t->next = q->txts;
	q->txts = t;
	ares_query(q->ch, name, ns_c_in, ns_t_txt, txt_cb, t);
	rearm(q);
}

void
dnsq_free(struct dnsq *q)
{
	struct sockev	*s;
	struct dentry	*e;
	struct waiter	*w;

	if (q == NULL)
		return;
	q->destroying = 1;
	ares_destroy(q->ch);
	while ((s = q->socks) != NULL) {
		q->socks = s->next;
		event_free(s->ev);
		free(s);
	}
	while (q->txts != NULL)
		txt_free(q->txts);
	event_free(q->timer);
	event_free(q->fire);
	for (int i = 0; i < DNSQ_BUCKETS; i++) {
		while ((e = q->tab[i]) != NULL) {
			q->tab[i] = e->next;
			while ((w = e->waiters) != NULL) {
				e->waiters = w->next;
				free(w);
			}
			for (int j = 0; j < e->nmx; j++)
				free(e->mx[j]);
			free(e->domain);
			free(e);
		}
	}
	free(q);
}
