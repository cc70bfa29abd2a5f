/*
 * Seeded randomness and small allocation helpers. Everything random in
 * mailsim (ids, cookies, spam draws, faults) comes from --seed so that a run
 * can be repeated.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailsim.h"

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

void
rnd_seed(uint64_t seed)
{
	rnd_state = seed ^ 0x9e3779b97f4a7c15ULL;
}

/* splitmix64 finaliser: a good 64-bit mixing function. */
uint64_t
rnd_mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

uint64_t
rnd_next(void)
{
	rnd_state += 0x9e3779b97f4a7c15ULL;
	return (rnd_mix(rnd_state));
}

/* Hash of a string mixed with a salt; used for order-independent draws. */
uint64_t
rnd_hash(const char *s, uint64_t salt)
{
	uint64_t h = 1469598103934665603ULL ^ rnd_mix(salt);

	for (; s != NULL && *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (rnd_mix(h));
}

/* Map 64 random bits to [0, 1). */
double
rnd_unit(uint64_t v)
{
	return ((double)(v >> 11) / 9007199254740992.0);
}

/* Fill buf with n hex digits and a NUL. */
void
rnd_hex(char *buf, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	uint64_t r = 0;

	for (i = 0; i < n; i++) {
		if (i % 16 == 0)
			r = rnd_next();
		buf[i] = hex[r & 15];
		r >>= 4;
	}
	buf[n] = '\0';
}

void
rnd_alnum(char *buf, size_t n)
{
	static const char al[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = al[rnd_next() % (sizeof(al) - 1)];
	buf[n] = '\0';
}

int64_t
now_sec(void)
{
	return ((int64_t)time(NULL));
}

double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
oom(void)
{
	fprintf(stderr, "mailsim: out of memory\n");
	abort();
}

char *
xstrdup(const char *s)
{
	char *r;

	if (s == NULL)
		return (NULL);
	if ((r = strdup(s)) == NULL)
		oom();
	return (r);
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz);

	if (p == NULL)
		oom();
	return (p);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return (s);
}
