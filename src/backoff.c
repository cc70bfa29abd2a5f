/* Reconnect and retry delays; see backoff.h. */
#include <stdint.h>
#include <stdlib.h>

#include "backoff.h"
#include "rng.h"

/* min doubled attempts times, capped at max. */
static uint64_t
ceiling(unsigned min_ms, unsigned max_ms, unsigned attempts)
{
	uint64_t	d = min_ms;

	for (unsigned i = 0; i < attempts && d < max_ms; i++)
		d *= 2;
	return d > max_ms ? max_ms : d;
}

unsigned
backoff_ms(unsigned min_ms, unsigned max_ms, unsigned attempts)
{
	uint64_t	d = ceiling(min_ms, max_ms, attempts);

	return (unsigned)(d / 2 + arc4random_uniform((uint32_t)(d / 2 + 1)));
}

unsigned
backoff_seeded_ms(unsigned min_ms, unsigned max_ms, unsigned attempts,
    struct rng *r)
{
	uint64_t	d = ceiling(min_ms, max_ms, attempts);

	return (unsigned)(d / 2 + rng_range(r, 0, d / 2));
}
