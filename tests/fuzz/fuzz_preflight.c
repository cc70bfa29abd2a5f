/*
 * libFuzzer target for preflight.c: the input split at NUL bytes into up
 * to 8 TXT strings (as a resolver hands them over) goes through every
 * check.  Each must give one of the three verdicts and a NUL-terminated,
 * non-empty reason, whatever the records hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preflight.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

static void
sane(const struct pf_check *c)
{
	CHECK(c->verdict == PF_OK || c->verdict == PF_WARN ||
	    c->verdict == PF_FAIL);
	CHECK(memchr(c->reason, '\0', sizeof(c->reason)) != NULL);
	CHECK(c->reason[0] != '\0');
	CHECK(preflight_strverdict(c->verdict) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*txt[8];
	char		*buf;
	size_t		 n = 0, i = 0;
	struct pf_check	 c;

	if (size > 8192)
		return 0;
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	while (n < 8 && i <= size) {
		txt[n++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	memset(&c, 0, sizeof(c));
	preflight_spf(txt, n, &c);
	sane(&c);
	memset(&c, 0, sizeof(c));
	preflight_dkim(txt, n, &c);
	sane(&c);
	memset(&c, 0, sizeof(c));
	preflight_dmarc(txt, n, &c);
	sane(&c);
	memset(&c, 0, sizeof(c));
	preflight_mx(txt, n, size & 1, &c);
	sane(&c);
	free(buf);
	return 0;
}
