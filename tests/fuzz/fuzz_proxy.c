/*
 * libFuzzer target for proxy.c.  Checks that a parsed proxy has sane
 * fields, that its canonical form parses back to the same fields and is a
 * fixed point, and that the redacted and curl forms hide what they must.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_fields(const struct proxy *p)
{
	const char	*c;

	CHECK(proxy_scheme_canon(p->scheme) != NULL);
	CHECK(strcmp(proxy_scheme_canon(p->scheme), p->scheme) == 0);
	CHECK(p->host != NULL && p->host[0] != '\0');
	for (c = p->host; *c != '\0'; c++)
		CHECK(!(*c >= 'A' && *c <= 'Z') && *c != '[' && *c != ']');
	CHECK(p->port >= 1 && p->port <= 65535);
	CHECK((p->user == NULL) == (p->pass == NULL));
	if (p->user != NULL)
		CHECK(p->user[0] != '\0');
}

static void
check_same(const struct proxy *a, const struct proxy *b, int creds)
{
	CHECK(streq(a->scheme, b->scheme));
	CHECK(streq(a->host, b->host));
	CHECK(a->port == b->port);
	if (creds) {
		CHECK(streq(a->user, b->user));
		CHECK(streq(a->pass, b->pass));
	}
}

static void
one(const char *in, const char *dflt)
{
	struct proxy	 p, q;
	const char	*why = NULL;
	char		*s, *s2;

	if (proxy_parse(in, dflt, &p, &why) != 0) {
		CHECK(why != NULL && why[0] != '\0');
		CHECK(p.scheme == NULL && p.host == NULL && p.user == NULL &&
		    p.pass == NULL);
		return;
	}
	check_fields(&p);

	s = proxy_format(&p);
	CHECK(proxy_parse(s, "https", &q, &why) == 0);
	check_same(&p, &q, 1);
	s2 = proxy_format(&q);
	CHECK(strcmp(s, s2) == 0);
	free(s2);
	free(s);
	proxy_clear(&q);

	s = proxy_redacted(&p);
	CHECK(proxy_parse(s, "https", &q, &why) == 0);
	check_same(&p, &q, 0);
	CHECK(streq(p.user, q.user));
	if (p.user != NULL)
		CHECK(strcmp(q.pass, "***") == 0);
	free(s);
	proxy_clear(&q);

	s = proxy_url_for_curl(&p);
	CHECK(proxy_parse(s, "https", &q, &why) == 0);
	check_same(&p, &q, 0);
	CHECK(q.user == NULL);
	free(s);
	proxy_clear(&q);

	proxy_clear(&p);
	CHECK(p.scheme == NULL && p.host == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*in;

	if (size > 4096)
		return 0;
	in = malloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\0';
	one(in, NULL);
	one(in, "socks5h");
	free(in);
	return 0;
}
