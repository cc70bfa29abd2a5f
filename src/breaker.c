#define _GNU_SOURCE	/* tdestroy */
/*
 * Routes live in a glibc binary tree for lookup (one per request) and in a
 * list for /status.  A route that works and remembers nothing is dropped
 * at once, so the registry holds only the sick ones: thousands of healthy
 * proxies cost nothing.
 */
#include <sys/queue.h>

#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"
#include "xmalloc.h"

struct route {
	enum brk_kind		 kind;
	char			*name;
	enum brk_state		 state;
	unsigned		 failures;	/* consecutive */
	uint64_t		 opened_at;	/* this open period began */
	uint64_t		 first_opened;	/* the route went bad */
	uint64_t		 cooldown;	/* of this open period */
	uint64_t		 probe_at;	/* 0: no probe in flight */
	unsigned		 probes_failed;
	char			*last_error;
	TAILQ_ENTRY(route)	 link;
};

struct breakers {
	struct brk_conf		 conf;
	brk_opened_fn		*on_open;
	void			*arg;
	void			*root;
	TAILQ_HEAD(, route)	 routes;
	uint64_t		 opened[BRK_NKINDS];
};

static int
cmp(const void *a, const void *b)
{
	const struct route	*x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct breakers *
breakers_new(const struct brk_conf *c, brk_opened_fn *on_open, void *arg)
{
	struct breakers	*b = xcalloc(1, sizeof(*b));

	b->conf = *c;
	b->on_open = on_open;
	b->arg = arg;
	TAILQ_INIT(&b->routes);
	return b;
}

static void
route_free(void *p)
{
	struct route	*r = p;

	free(r->name);
	free(r->last_error);
	free(r);
}

void
breakers_free(struct breakers *b)
{
	if (b == NULL)
		return;
	tdestroy(b->root, route_free);
	free(b);
}

void
breakers_configure(struct breakers *b, const struct brk_conf *c)
{
	b->conf = *c;
}

static struct route *
find(struct breakers *b, enum brk_kind kind, const char *name, int create)
{
	struct route	 probe, *r, **found;

	probe.kind = kind;
	probe.name = (char *)(uintptr_t)name;
	if ((found = tfind(&probe, &b->root, cmp)) != NULL)
		return *found;
	if (!create)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->kind = kind;
	r->name = xstrdup(name);
	tsearch(r, &b->root, cmp);
	TAILQ_INSERT_TAIL(&b->routes, r, link);
	return r;
}

static void
drop(struct breakers *b, struct route *r)
{
	TAILQ_REMOVE(&b->routes, r, link);
	tdelete(r, &b->root, cmp);
	route_free(r);
}

static uint64_t
wait_of(const struct breakers *b, const struct route *r, uint64_t now)
{
	uint64_t	 end;

	switch (r->state) {
	case BRK_OPEN:
		end = r->opened_at + r->cooldown;
		return now < end ? end - now : 0;
	case BRK_HALF_OPEN:
		/* A probe that never reports (its session was stopped) must
		 * not hold the route shut for ever. */
		if (r->probe_at == 0)
			return 0;
		end = r->probe_at + b->conf.probe_timeout_ms;
		return now < end ? end - now : 0;
	default:
		return 0;
	}
}

uint64_t
breaker_wait(struct breakers *b, enum brk_kind kind, const char *name,
    uint64_t now_ms)
{
	struct route	*r;

	if (b == NULL || name == NULL ||
	    (r = find(b, kind, name, 0)) == NULL)
		return 0;
	return wait_of(b, r, now_ms);
}

void
breaker_admit(struct breakers *b, enum brk_kind kind, const char *name,
    uint64_t now_ms)
{
	struct route	*r;

	if (b == NULL || name == NULL ||
	    (r = find(b, kind, name, 0)) == NULL || r->state == BRK_CLOSED)
		return;
	/* The cooldown is over: this request is the one probe. */
	r->state = BRK_HALF_OPEN;
	r->probe_at = now_ms != 0 ? now_ms : 1;
}

static void
open_route(struct breakers *b, struct route *r, uint64_t cooldown,
    uint64_t now)
{
	r->state = BRK_OPEN;
	r->opened_at = now;
	r->cooldown = cooldown;
	r->probe_at = 0;
}

int
breaker_report(struct breakers *b, enum brk_kind kind, const char *name,
    const char *error, uint64_t now_ms)
{
	struct route	*r;
	uint64_t	 next;

	if (b == NULL || name == NULL)
		return 0;
	if (error == NULL) {
		if ((r = find(b, kind, name, 0)) != NULL)
			drop(b, r);
		return 0;
	}
	if (b->conf.failures == 0)
		return 0;
	r = find(b, kind, name, 1);
	free(r->last_error);
	r->last_error = xstrdup(error);
	r->failures++;
	switch (r->state) {
	case BRK_CLOSED:
		if (r->failures < b->conf.failures)
			return 0;
		r->first_opened = now_ms;
		r->probes_failed = 0;
		open_route(b, r, b->conf.cooldown_ms, now_ms);
		b->opened[kind]++;
		if (b->on_open != NULL)
			b->on_open(b->arg, kind, name, r->failures, error,
			    r->cooldown);
		return 1;
	case BRK_HALF_OPEN:
		/* The probe failed (or a request let through before the route
		 * opened did): wait twice as long. */
		r->probes_failed++;
		next = r->cooldown * 2;
		if (next > b->conf.max_cooldown_ms)
			next = b->conf.max_cooldown_ms;
		if (next < b->conf.cooldown_ms)
			next = b->conf.cooldown_ms;
		open_route(b, r, next, now_ms);
		return 0;
	default:
		/* Requests that left before the route opened. */
		return 0;
	}
}

void
breakers_each(struct breakers *b, uint64_t now_ms,
    void (*fn)(void *arg, const struct brk_view *v), void *arg)
{
	struct route	*r;
	struct brk_view	 v;

	if (b == NULL)
		return;
	TAILQ_FOREACH(r, &b->routes, link) {
		memset(&v, 0, sizeof(v));
		v.kind = r->kind;
		v.name = r->name;
		v.state = r->state;
		v.failures = r->failures;
		v.wait_ms = wait_of(b, r, now_ms);
		if (r->state != BRK_CLOSED && now_ms > r->first_opened)
			v.open_for_ms = now_ms - r->first_opened;
		v.probes_failed = r->probes_failed;
		v.last_error = r->last_error;
		fn(arg, &v);
	}
}

void
breakers_counts(const struct breakers *b, uint64_t n[BRK_NKINDS][BRK_NSTATES],
    uint64_t opened[BRK_NKINDS])
{
	const struct route	*r;

	memset(n, 0, sizeof(uint64_t) * BRK_NKINDS * BRK_NSTATES);
	memset(opened, 0, sizeof(uint64_t) * BRK_NKINDS);
	if (b == NULL)
		return;
	TAILQ_FOREACH(r, &b->routes, link)
		n[r->kind][r->state]++;
	memcpy(opened, b->opened, sizeof(b->opened));
}

const char *
breaker_kind_name(enum brk_kind k)
{
	return k == BRK_PROXY ? "proxy" : "host";
}

const char *
breaker_state_name(enum brk_state s)
{
	static const char *const names[BRK_NSTATES] = {
		"closed", "open", "half_open"
	};

	return (unsigned)s < BRK_NSTATES ? names[s] : "?";
}
