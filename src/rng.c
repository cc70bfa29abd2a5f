#include <stddef.h>
#include <stdint.h>

#include "rng.h"

void
rng_seed(struct rng *r, uint64_t seed, const char *salt)
{
	uint64_t	 h = 1469598103934665603ULL;	/* FNV-1a offset */

	for (; salt != NULL && *salt != '\0'; salt++)
		h = (h ^ (unsigned char)*salt) * 1099511628211ULL;
	r->s = seed ^ h;
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t	 z;

	z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t	 span, lim, x;

	if (hi <= lo)
		return lo;
	span = hi - lo + 1;
	if (span == 0)
		return rng_next(r);
	/* Reject the top sliver so every value is equally likely. */
	lim = UINT64_MAX - UINT64_MAX % span;
	do
		x = rng_next(r);
	while (x >= lim);
	return lo + x % span;
}

double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}
