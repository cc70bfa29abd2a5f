/*
 * The event loop.  libevent 2.1 has no prepare/check watchers, so the loop
 * runs EVLOOP_ONCE iterations and drains the deferred queue between them,
 * as PgBouncer does with its just-freed lists.
 */
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "loop.h"
#include "xmalloc.h"

struct deferred {
	void		(*fn)(void *);
	void		 *arg;
	struct deferred	 *next;
};

static struct event_base	*base;
static struct deferred		*dq_head, **dq_tail = &dq_head;
static int			 stopping;
static uint64_t			 now_ms;

static void
clock_refresh(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
loop_init(void)
{
	struct event_config	*cfg;

	if ((cfg = event_config_new()) == NULL)
		return -1;
	/* Precise timers: pacing gaps and deadlines are short. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base == NULL)
		return -1;
	clock_refresh();
	return 0;
}

struct event_base *
loop_base(void)
{
	return base;
}

void
loop_defer(void (*fn)(void *), void *arg)
{
	struct deferred	*d = xmalloc(sizeof(*d));

	d->fn = fn;
	d->arg = arg;
	d->next = NULL;
	*dq_tail = d;
	dq_tail = &d->next;
}

static void
drain_deferred(void)
{
	struct deferred	*d;

	/* Work deferred by deferred work runs in this same drain. */
	while ((d = dq_head) != NULL) {
		dq_head = d->next;
		if (dq_head == NULL)
			dq_tail = &dq_head;
		d->fn(d->arg);
		free(d);
	}
}

int
loop_run(void)
{
	stopping = 0;
	while (!stopping) {
		/* Deferred work may have armed events; run it before blocking. */
		drain_deferred();
		if (stopping)
			break;
		if (event_base_loop(base, EVLOOP_ONCE) < 0) {
			log_error("event loop failed");
			return -1;
		}
		drain_deferred();
	}
	return 0;
}

void
loop_stop(void)
{
	stopping = 1;
	if (base != NULL)
		event_base_loopbreak(base);
}

uint64_t
loop_now_ms(void)
{
	/*
	 * Not cached per iteration: callbacks run after the loop has blocked,
	 * so a value cached before the wait would be late by the wait itself.
	 * clock_gettime is a vDSO call.
	 */
	clock_refresh();
	return now_ms;
}

void
loop_timer_ms(struct event *ev, uint64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

void
loop_free(void)
{
	drain_deferred();
	if (base != NULL)
		event_base_free(base);
	base = NULL;
}
