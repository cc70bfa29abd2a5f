/*
 * Reconnect and retry delays: exponential growth from a minimum to a cap,
 * with "equal jitter" (a random point in the upper half) so that many
 * clients losing the same server do not all come back at the same instant.
 */
#ifndef WARMD_BACKOFF_H
#define WARMD_BACKOFF_H

struct rng;

/* Delay before attempt number attempts (0 = first retry), in [d/2, d] ms. */
unsigned	backoff_ms(unsigned min_ms, unsigned max_ms, unsigned attempts);
/* The same delay with the jitter drawn from r, so a run can be replayed. */
unsigned	backoff_seeded_ms(unsigned min_ms, unsigned max_ms,
		    unsigned attempts, struct rng *r);

#endif
