#define _GNU_SOURCE	/* tdestroy */
/*
 * Entries live in a glibc binary tree (tsearch): a few thousand proxies,
 * looked up once per session start and end, need nothing faster, and an
 * entry is dropped as soon as nothing refers to it.
 */
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "proxycap.h"
#include "xmalloc.h"

struct pcap_entry {
	char				*key;
	int				 active;
	uint64_t			 fail_since;	/* 0: working */
	TAILQ_HEAD(, pcap_waiter)	 waiters;
};

struct proxycap {
	void		*root;
	int		 limit;
	uint64_t	 active, waiting;
};

static int
cmp(const void *a, const void *b)
{
	return strcmp(((const struct pcap_entry *)a)->key,
	    ((const struct pcap_entry *)b)->key);
}

struct proxycap *
proxycap_new(int limit)
{
	struct proxycap	*pc = xcalloc(1, sizeof(*pc));

	pc->limit = limit > 0 ? limit : 1;
	return pc;
}

static void
entry_free(void *p)
{
	struct pcap_entry	*e = p;

	explicit_bzero(e->key, strlen(e->key));
	free(e->key);
	free(e);
}

void
proxycap_free(struct proxycap *pc)
{
	if (pc == NULL)
		return;
	tdestroy(pc->root, entry_free);
	free(pc);
}

static struct pcap_entry *
find(struct proxycap *pc, const char *key, int create)
{
	struct pcap_entry	 probe, *e, **found;

	probe.key = (char *)(uintptr_t)key;
	if ((found = tfind(&probe, &pc->root, cmp)) != NULL)
		return *found;
	if (!create)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	TAILQ_INIT(&e->waiters);
	tsearch(e, &pc->root, cmp);
	return e;
}

/* Drop an entry nobody uses and that remembers nothing. */
static void
maybe_drop(struct proxycap *pc, struct pcap_entry *e)
{
	if (e->active == 0 && e->fail_since == 0 &&
	    TAILQ_EMPTY(&e->waiters)) {
		tdelete(e, &pc->root, cmp);
		entry_free(e);
	}
}

static void
wake(void *arg)
{
	struct pcap_waiter	*w = arg;

	w->cb(w->arg);
}

/* Hand free slots to waiters; their callbacks run after this iteration. */
static void
admit(struct proxycap *pc, struct pcap_entry *e)
{
	struct pcap_waiter	*w;

	while (e->active < pc->limit && (w = TAILQ_FIRST(&e->waiters)) !=
	    NULL) {
		TAILQ_REMOVE(&e->waiters, w, link);
		w->e = NULL;
		e->active++;
		pc->active++;
		pc->waiting--;
		loop_defer(wake, w);
	}
}

int
proxycap_acquire(struct proxycap *pc, const char *key, struct pcap_waiter *w)
{
	struct pcap_entry	*e = find(pc, key, 1);

	if (e->active < pc->limit && TAILQ_EMPTY(&e->waiters)) {
		e->active++;
		pc->active++;
		return 1;
	}
	w->e = e;
	TAILQ_INSERT_TAIL(&e->waiters, w, link);
	pc->waiting++;
	return 0;
}

void
proxycap_cancel(struct proxycap *pc, struct pcap_waiter *w)
{
	struct pcap_entry	*e = w->e;

	if (e == NULL)
		return;
	TAILQ_REMOVE(&e->waiters, w, link);
	w->e = NULL;
	pc->waiting--;
	maybe_drop(pc, e);
}

void
proxycap_release(struct proxycap *pc, const char *key)
{
	struct pcap_entry	*e = find(pc, key, 0);

	if (e == NULL || e->active == 0)
		return;
	e->active--;
	pc->active--;
	admit(pc, e);
	maybe_drop(pc, e);
}

void
proxycap_set_limit(struct proxycap *pc, int limit)
{
	pc->limit = limit > 0 ? limit : 1;
	/* Waiters are admitted as slots are released. */
}

void
proxycap_failed(struct proxycap *pc, const char *key, uint64_t now_ms)
{
	struct pcap_entry	*e = find(pc, key, 1);

	if (e->fail_since == 0)
		e->fail_since = now_ms != 0 ? now_ms : 1;
}

void
proxycap_worked(struct proxycap *pc, const char *key)
{
	struct pcap_entry	*e = find(pc, key, 0);

	if (e == NULL)
		return;
	e->fail_since = 0;
	maybe_drop(pc, e);
}

uint64_t
proxycap_failing_for(struct proxycap *pc, const char *key, uint64_t now_ms)
{
	struct pcap_entry	*e = find(pc, key, 0);

	if (e == NULL || e->fail_since == 0 || now_ms < e->fail_since)
		return 0;
	return now_ms - e->fail_since;
}

void
proxycap_counts(const struct proxycap *pc, uint64_t *active,
    uint64_t *waiting)
{
	*active = pc->active;
	*waiting = pc->waiting;
}
