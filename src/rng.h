/*
 * Small seeded random numbers (splitmix64) for choices that must replay:
 * pauses between actions, samples of accounts.  Not for secrets; those
 * use arc4random_buf.
 */
#ifndef WARMD_RNG_H
#define WARMD_RNG_H

#include <stdint.h>

struct rng {
	uint64_t	s;
};

/* Seed from a number and a string (e.g. the run's seed and an account id). */
void	 rng_seed(struct rng *r, uint64_t seed, const char *salt);
/* Next 64 random bits. */
uint64_t rng_next(struct rng *r);
/* Uniform in [lo, hi] (hi < lo reads as lo). */
uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi);
/* Uniform in [0, 1). */
double	 rng_unit(struct rng *r);

#endif
