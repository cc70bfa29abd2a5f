/*
 * libFuzzer target for addrcheck.c.  A parsed address has a non-empty
 * local part and a lowercase ASCII LDH domain within the limits, and
 * "local@domain" parses back to the same fields (a fixed point).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrcheck.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr	 a, b;
	const char	*why;
	char		*in, again[ADDR_MAX_LOCAL + ADDR_MAX_DOMAIN + 2];
	unsigned	 cp[64];

	if (size > 4096)
		return 0;
	in = malloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\0';
	if (addrcheck_parse(in, &a, &why) != 0) {
		CHECK(why != NULL && why[0] != '\0');
		CHECK(a.local[0] == '\0' && a.domain[0] == '\0');
	} else {
		CHECK(why == NULL);
		CHECK(a.local[0] != '\0' && strlen(a.local) <= ADDR_MAX_LOCAL);
		CHECK(strlen(a.domain) <= ADDR_MAX_DOMAIN);
		for (const char *p = a.domain; *p != '\0'; p++)
			CHECK((*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.');
		snprintf(again, sizeof(again), "%s@%s", a.local, a.domain);
		CHECK(addrcheck_parse(again, &b, &why) == 0);
		CHECK(strcmp(a.local, b.local) == 0);
		CHECK(strcmp(a.domain, b.domain) == 0);
		CHECK(b.idn == 0);
	}
	/* Punycode never overruns whatever code points it is given. */
	{
		size_t	n = size / 4 < 64 ? size / 4 : 64;
		char	out[64];

		for (size_t i = 0; i < n; i++)
			memcpy(&cp[i], data + 4 * i, 4);
		if (addrcheck_punycode(cp, n, out, sizeof(out)) == 0)
			CHECK(strlen(out) < sizeof(out));
	}
	free(in);
	return 0;
}
