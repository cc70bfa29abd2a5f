/* Reconnect and retry delays; see backoff.h. */
#include <stdint.h>
#include <stdlib.h>

#include "backoff.h"

unsigned
backoff_ms(unsigned min_ms, unsigned max_ms, unsigned attempts)
{
	uint64_t	d = min_ms;

	for (unsigned i = 0; i < attempts && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	return (unsigned)(d / 2 + arc4random_uniform((uint32_t)(d / 2 + 1)));
}
