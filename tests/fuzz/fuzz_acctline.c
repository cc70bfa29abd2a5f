/*
 * libFuzzer target for acctfile_parse_line.  Checks that an accepted line
 * yields a lower-case email with exactly one '@', a non-empty password, no
 * field holding ';' or surrounding blanks, and a proxy already in
 * canonical form; and that a rejection always carries a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acctfile.h"
#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

/* semi: the field may hold ';' (only the user agent, the last field, may). */
static void
check_field(const char *f, int required, int semi)
{
	size_t	 n;

	if (f == NULL) {
		CHECK(!required);
		return;
	}
	n = strlen(f);
	CHECK(n > 0);
	CHECK(semi || strchr(f, ';') == NULL);
	CHECK(f[0] != ' ' && f[0] != '\t');
	CHECK(f[n - 1] != ' ' && f[n - 1] != '\t');
	CHECK(strchr(f, '\n') == NULL && strchr(f, '\r') == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acct_entry	 e;
	struct proxy		 p;
	const char		*why = NULL, *c, *at;
	char			*s;
	int			 rc;

	if (size > 8192)
		return 0;
	rc = acctfile_parse_line((const char *)data, size, "socks5h", &e,
	    &why);
	if (rc == 0)
		return 0;
	if (rc == -1) {
		CHECK(why != NULL && why[0] != '\0');
		return 0;
	}
	CHECK(rc == 1);
	check_field(e.email, 1, 0);
	check_field(e.password, 1, 0);
	check_field(e.proxy, 0, 0);
	check_field(e.question, 0, 0);
	check_field(e.answer, 0, 0);
	check_field(e.user_agent, 0, 1);
	CHECK(e.source == NULL);

	CHECK((at = strchr(e.email, '@')) != NULL);
	CHECK(strchr(at + 1, '@') == NULL);
	CHECK(at != e.email && at[1] != '\0');
	CHECK(strchr(at, '.') != NULL);
	for (c = e.email; *c != '\0'; c++)
		CHECK(!(*c >= 'A' && *c <= 'Z') && *c > ' ' && *c < 0x7f);

	if (e.proxy != NULL) {
		CHECK(proxy_parse(e.proxy, "http", &p, &why) == 0);
		s = proxy_format(&p);
		CHECK(strcmp(s, e.proxy) == 0);
		free(s);
		proxy_clear(&p);
	}
	acctfile_entry_clear(&e);
	return 0;
}
