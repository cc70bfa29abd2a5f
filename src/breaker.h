/*
 * Circuit breakers per route: a proxy, or a provider host.  After
 * `failures` consecutive failed requests over a route it opens: nothing
 * goes that way for `cooldown`, so the accounts behind a dead proxy wait
 * instead of burning their jobs' attempts.  Then it half-opens and lets
 * exactly one request through as a probe: a success closes it, a failure
 * opens it again for twice as long (up to max_cooldown).
 *
 * Pure bookkeeping on a clock the caller passes (monotonic ms), so the
 * rules can be tested without a loop.  Names are shown in /status, logs
 * and alerts, so callers pass redacted proxies, never credentials.
 */
#ifndef WARMD_BREAKER_H
#define WARMD_BREAKER_H

#include <stdint.h>

enum brk_kind {
	BRK_PROXY = 0,
	BRK_HOST,
	BRK_NKINDS
};

enum brk_state {
	BRK_CLOSED = 0,
	BRK_OPEN,
	BRK_HALF_OPEN,
	BRK_NSTATES
};

struct brk_conf {
	unsigned	 failures;	/* consecutive failures that open; 0: never */
	uint64_t	 cooldown_ms;	/* first open period */
	uint64_t	 max_cooldown_ms;	/* longest, after failed probes */
	uint64_t	 probe_timeout_ms;	/* a probe silent this long is lost */
};

/* One route that is not plainly closed, for /status. */
struct brk_view {
	enum brk_kind	 kind;
	const char	*name;
	enum brk_state	 state;
	unsigned	 failures;	/* consecutive */
	uint64_t	 wait_ms;	/* until the next probe may go */
	uint64_t	 open_for_ms;	/* since it first opened */
	unsigned	 probes_failed;
	const char	*last_error;
};

struct breakers;

/* Called when a closed route opens (not when a failed probe reopens it). */
typedef void	brk_opened_fn(void *arg, enum brk_kind kind, const char *name,
		    unsigned failures, const char *error, uint64_t cooldown_ms);

/* A registry with conf c; on_open may be NULL. */
struct breakers *breakers_new(const struct brk_conf *c, brk_opened_fn *on_open,
	    void *arg);
/* Free the registry and every route. */
void	 breakers_free(struct breakers *b);
/* New settings (reload); routes keep their state, later periods use c. */
void	 breakers_configure(struct breakers *b, const struct brk_conf *c);
/* ms before a request may go over the route (0: now); changes nothing. */
uint64_t breaker_wait(struct breakers *b, enum brk_kind kind, const char *name,
	    uint64_t now_ms);
/* A request goes over the route now (call after breaker_wait said 0): takes the probe of a half-open route. */
void	 breaker_admit(struct breakers *b, enum brk_kind kind, const char *name,
	    uint64_t now_ms);
/* A request over the route ended; error NULL means it worked.  1 when this failure opened the route. */
int	 breaker_report(struct breakers *b, enum brk_kind kind, const char *name,
	    const char *error, uint64_t now_ms);
/* Call fn for every route that is open, half-open or has failures. */
void	 breakers_each(struct breakers *b, uint64_t now_ms,
	    void (*fn)(void *arg, const struct brk_view *v), void *arg);
/* Routes per kind and state; routes that ever opened per kind. */
void	 breakers_counts(const struct breakers *b,
	    uint64_t n[BRK_NKINDS][BRK_NSTATES], uint64_t opened[BRK_NKINDS]);
/* "proxy" or "host". */
const char *breaker_kind_name(enum brk_kind k);
/* "closed", "open" or "half_open". */
const char *breaker_state_name(enum brk_state s);

#endif
