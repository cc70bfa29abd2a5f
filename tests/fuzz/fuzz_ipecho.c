/*
 * libFuzzer target for the IP-echo reply: the exit-IP check a session
 * makes before it logs in (session.c, ipecho_done).  The first byte picks
 * the HTTP code, the rest is the body, NUL-terminated as sesshttp.c hands
 * it over (it may hold NULs of its own).
 *
 * ipecho_done() reads the address with mailru_parse_ipecho(): it must be
 * memory-safe, answer only for HTTP 200, and return only what inet_pton()
 * accepts as an IPv4 or IPv6 address, so a reply such as "abc" or "..."
 * is never taken for one.  The same bytes also go through
 * mailru_parse_envelope().
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailru.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

static const long codes[] = { 200, 200, 200, 200, 204, 302, 403, 404, 429,
    500, 502, 0 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char		 addr[sizeof(struct in6_addr)];
	struct mailru_env	 env;
	enum mailru_status	 cls;
	char			*body, *ip;
	size_t			 len;
	long			 code;

	if (size < 1 || size > 65536)
		return 0;
	code = codes[data[0] % (sizeof(codes) / sizeof(codes[0]))];
	len = size - 1;
	body = xmalloc(len + 1);
	memcpy(body, data + 1, len);
	body[len] = '\0';

	ip = mailru_parse_ipecho(code, body, len);
	if (ip != NULL) {
		CHECK(code == 200 && len > 0);
		CHECK(ip[0] != '\0' && strlen(ip) < 64);
		CHECK(inet_pton(AF_INET, ip, addr) == 1 ||
		    inet_pton(AF_INET6, ip, addr) == 1);
	}
	free(ip);

	cls = mailru_parse_envelope((int)code, body, len, &env);
	CHECK(cls <= MAILRU_OTHER);
	mailru_env_free(&env);
	free(body);
	return 0;
}
