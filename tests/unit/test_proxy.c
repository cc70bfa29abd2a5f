/*
 * Unit tests for proxy.c: every accepted form, every rejection reason, the
 * canonical, redacted and curl forms, and that reasons never carry
 * credentials.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

struct good {
	const char	*in;
	const char	*dflt;
	const char	*scheme;
	const char	*host;
	unsigned	 port;
	const char	*user;
	const char	*pass;
	const char	*canon;
};

static const struct good goods[] = {
	/* URI forms. */
	{ "http://1.2.3.4:8080", NULL, "http", "1.2.3.4", 8080, NULL, NULL,
	  "http://1.2.3.4:8080" },
	{ "HTTP://Proxy.Example.COM:3128/", NULL, "http", "proxy.example.com",
	  3128, NULL, NULL, "http://proxy.example.com:3128" },
	{ "https://u:p@h.example:443", NULL, "https", "h.example", 443, "u",
	  "p", "https://u:p@h.example:443" },
	{ "socks5://bob:s3cret@10.0.0.1:1080", NULL, "socks5", "10.0.0.1",
	  1080, "bob", "s3cret", "socks5://bob:s3cret@10.0.0.1:1080" },
	{ "SOCKS5H://bob:pw@[2001:DB8:0::1]:1080", NULL, "socks5h",
	  "2001:db8::1", 1080, "bob", "pw",
	  "socks5h://bob:pw@[2001:db8::1]:1080" },
	{ "socks://a:b@h.example:1", NULL, "socks5h", "h.example", 1, "a",
	  "b", "socks5h://a:b@h.example:1" },
	{ "http://us%40er:p%3Aa%25ss@h.example:80", NULL, "http", "h.example",
	  80, "us@er", "p:a%ss", "http://us%40er:p%3Aa%25ss@h.example:80" },
	{ "http://user:p@ss@h.example:80", NULL, "http", "h.example", 80,
	  "user", "p@ss", "http://user:p%40ss@h.example:80" },
	{ "http://user:a:b@h.example:80", NULL, "http", "h.example", 80,
	  "user", "a:b", "http://user:a%3Ab@h.example:80" },
	{ "http://user@h.example:80", NULL, "http", "h.example", 80, "user",
	  "", "http://user@h.example:80" },
	{ "http://user:@h.example:80", NULL, "http", "h.example", 80, "user",
	  "", "http://user@h.example:80" },
	{ "  http://h.example:00080\t", NULL, "http", "h.example", 80, NULL,
	  NULL, "http://h.example:80" },
	{ "http://[::1]:65535", NULL, "http", "::1", 65535, NULL, NULL,
	  "http://[::1]:65535" },
	{ "http://my_proxy-1.example.:8080", NULL, "http",
	  "my_proxy-1.example.", 8080, NULL, NULL,
	  "http://my_proxy-1.example.:8080" },
	/* Sellers' forms. */
	{ "1.2.3.4:8080", NULL, "http", "1.2.3.4", 8080, NULL, NULL,
	  "http://1.2.3.4:8080" },
	{ "1.2.3.4:8080", "socks5h", "socks5h", "1.2.3.4", 8080, NULL, NULL,
	  "socks5h://1.2.3.4:8080" },
	{ "1.2.3.4:8080", "SOCKS", "socks5h", "1.2.3.4", 8080, NULL, NULL,
	  "socks5h://1.2.3.4:8080" },
	{ "Host.Example:8080:usr:pwd", NULL, "http", "host.example", 8080,
	  "usr", "pwd", "http://usr:pwd@host.example:8080" },
	{ "1.2.3.4:8080:usr:p:w:d", NULL, "http", "1.2.3.4", 8080, "usr",
	  "p:w:d", "http://usr:p%3Aw%3Ad@1.2.3.4:8080" },
	{ "1.2.3.4:8080:usr:", NULL, "http", "1.2.3.4", 8080, "usr", "",
	  "http://usr@1.2.3.4:8080" },
	{ "[::1]:8080:usr:pwd", "socks5", "socks5", "::1", 8080, "usr", "pwd",
	  "socks5://usr:pwd@[::1]:8080" },
	{ "[::1]:8080", NULL, "http", "::1", 8080, NULL, NULL,
	  "http://[::1]:8080" },
	{ "usr:pwd@1.2.3.4:8080", NULL, "http", "1.2.3.4", 8080, "usr", "pwd",
	  "http://usr:pwd@1.2.3.4:8080" },
	{ "usr:p%41@1.2.3.4:8080", NULL, "http", "1.2.3.4", 8080, "usr",
	  "p%41", "http://usr:p%2541@1.2.3.4:8080" },
	{ "usr:p@ss@1.2.3.4:8080", NULL, "http", "1.2.3.4", 8080, "usr",
	  "p@ss", "http://usr:p%40ss@1.2.3.4:8080" },
	{ "usr:a:b@1.2.3.4:8080", NULL, "http", "1.2.3.4", 8080, "usr",
	  "a:b", "http://usr:a%3Ab@1.2.3.4:8080" },
	{ "1.2.3.4:8080:me@example.com:pw", NULL, "http", "1.2.3.4", 8080,
	  "me@example.com", "pw", "http://me%40example.com:pw@1.2.3.4:8080" },
	{ "1.2.3.4:8080:usr:p@ss", NULL, "http", "1.2.3.4", 8080, "usr",
	  "p@ss", "http://usr:p%40ss@1.2.3.4:8080" },
	{ "1.2.3.4:8080:bob:x://y", NULL, "http", "1.2.3.4", 8080, "bob",
	  "x://y", "http://bob:x%3A%2F%2Fy@1.2.3.4:8080" },
	{ "usr:pa ss@h.example:1", NULL, "http", "h.example", 1, "usr",
	  "pa ss", "http://usr:pa%20ss@h.example:1" },
};

struct bad {
	const char	*in;
	const char	*dflt;
	const char	*why;
};

static const struct bad bads[] = {
	{ "ftp://h.example:21", NULL, "unsupported scheme \"ftp\"" },
	{ "SOCKS4://h.example:1080", NULL, "unsupported scheme \"SOCKS4\"" },
	{ "htpp://u:secretpw@h.example:1", NULL, "unsupported scheme" },
	{ "h.example:80", "ftp", "unsupported scheme \"ftp\"" },
	{ "h.example", NULL, "missing port" },
	{ "h.example:", NULL, "missing port" },
	{ "http://h.example", NULL, "missing port" },
	{ "http://[::1]", NULL, "missing port" },
	{ "http://u:secretpw@h.example", NULL, "missing port" },
	{ "usr:secretpw@h.example", NULL, "missing port" },
	{ "h.example:0", NULL, "port out of range" },
	{ "h.example:65536", NULL, "port out of range" },
	{ "h.example:99999999999999999999999", NULL, "port out of range" },
	{ "h.example:80a", NULL, "malformed port" },
	{ "h.example:-1", NULL, "malformed port" },
	{ "", NULL, "empty proxy" },
	{ "   ", NULL, "empty proxy" },
	{ ":8080", NULL, "missing host" },
	{ "http://:8080", NULL, "missing host" },
	{ "http://u:secretpw@:8080", NULL, "missing host" },
	{ "::1:8080", NULL, "IPv6 addresses need [brackets]" },
	{ "2001:db8::1:8080", NULL, "IPv6 addresses need [brackets]" },
	{ "2001:db8::1:8080:usr:secretpw", NULL, "malformed" },
	{ "http://::1:8080", NULL, "IPv6 addresses need [brackets]" },
	{ "http://[::g]:8080", NULL, "malformed IPv6 address" },
	{ "http://[1.2.3.4]:8080", NULL, "malformed IPv6 address" },
	{ "http://[::1:8080", NULL, "malformed IPv6 address" },
	{ "http://[::1]x:8080", NULL, "malformed proxy" },
	{ "http://1.2.3.256:80", NULL, "malformed IPv4 address" },
	{ "http://1.2.3:80", NULL, "malformed IPv4 address" },
	{ "http://01.2.3.4:80", NULL, "malformed IPv4 address" },
	{ "http://h..example:80", NULL, "malformed host" },
	{ "http://-h.example:80", NULL, "malformed host" },
	{ "http://h.ex%41mple:80", NULL, "malformed host" },
	{ "http://h.example:80/path", NULL, "malformed proxy" },
	{ "http://h.example:80?q", NULL, "malformed proxy" },
	{ "http://h.example:80#f", NULL, "malformed proxy" },
	{ "http://u:secret%zz@h.example:80", NULL,
	  "malformed percent-encoding" },
	{ "http://u:secret%4@h.example:80", NULL,
	  "malformed percent-encoding" },
	{ "http://u:secret%00@h.example:80", NULL, "NUL byte" },
	{ "http://:secretpw@h.example:80", NULL, "empty proxy user" },
	{ "h.example:80::secretpw", NULL, "empty proxy user" },
	{ ":secretpw@h.example:80", NULL, "empty proxy user" },
	{ "h.example:80:usr", NULL, "missing proxy password" },
	{ "h.exa\nmple:80", NULL, "control character" },
	{ "http://", NULL, "missing host" },
	{ "http:///", NULL, "missing host" },
};

static void
test_good(void **state)
{
	struct proxy	 p, q;
	const char	*why = NULL;
	char		*s;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		if (proxy_parse(g->in, g->dflt, &p, &why) != 0)
			fail_msg("\"%s\" rejected: %s", g->in, why);
		assert_string_equal(p.scheme, g->scheme);
		assert_string_equal(p.host, g->host);
		assert_int_equal(p.port, g->port);
		if (g->user == NULL) {
			assert_null(p.user);
			assert_null(p.pass);
		} else {
			assert_string_equal(p.user, g->user);
			assert_string_equal(p.pass, g->pass);
		}
		s = proxy_format(&p);
		assert_string_equal(s, g->canon);
		/* The canonical form parses back to the same fields. */
		assert_int_equal(proxy_parse(s, "socks5", &q, &why), 0);
		assert_string_equal(q.scheme, p.scheme);
		assert_string_equal(q.host, p.host);
		assert_int_equal(q.port, p.port);
		if (p.user != NULL) {
			assert_string_equal(q.user, p.user);
			assert_string_equal(q.pass, p.pass);
		} else
			assert_null(q.user);
		free(s);
		proxy_clear(&q);
		proxy_clear(&p);
		assert_null(p.scheme);
	}
}

static void
test_bad(void **state)
{
	struct proxy	 p;
	const char	*why;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		why = NULL;
		if (proxy_parse(b->in, b->dflt, &p, &why) != -1)
			fail_msg("\"%s\" accepted", b->in);
		assert_non_null(why);
		if (strstr(why, b->why) == NULL)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", b->in, why,
			    b->why);
		/* Failure leaves nothing to free. */
		assert_null(p.scheme);
		assert_null(p.host);
		assert_null(p.user);
		assert_null(p.pass);
		assert_null(strstr(why, "secret"));
		assert_null(strstr(why, "usr"));
	}
	/* A NULL why is allowed. */
	assert_int_equal(proxy_parse("nope", NULL, &p, NULL), -1);
}

static void
test_long(void **state)
{
	struct proxy	 p;
	const char	*why;
	char		 buf[4096];

	(void)state;
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(proxy_parse(buf, NULL, &p, &why), -1);
	assert_string_equal(why, "proxy too long");

	memset(buf, 'a', 300);
	strcpy(buf + 300, ":80");
	assert_int_equal(proxy_parse(buf, NULL, &p, &why), -1);
	assert_string_equal(why, "host name too long");
}

static void
test_outputs(void **state)
{
	struct proxy	 p;
	const char	*why;
	char		*s;

	(void)state;
	assert_int_equal(proxy_parse("socks5h://us%20er:p%40ss@[fe80::1]:1080",
	    NULL, &p, &why), 0);
	s = proxy_redacted(&p);
	assert_string_equal(s, "socks5h://us%20er:***@[fe80::1]:1080");
	free(s);
	s = proxy_url_for_curl(&p);
	assert_string_equal(s, "socks5h://[fe80::1]:1080");
	free(s);
	proxy_clear(&p);

	assert_int_equal(proxy_parse("h.example:80", NULL, &p, &why), 0);
	s = proxy_redacted(&p);
	assert_string_equal(s, "http://h.example:80");
	free(s);
	s = proxy_url_for_curl(&p);
	assert_string_equal(s, "http://h.example:80");
	free(s);
	proxy_clear(&p);

	/* A password-less user still shows the mask, hiding nothing. */
	assert_int_equal(proxy_parse("http://u@h.example:80", NULL, &p, &why),
	    0);
	s = proxy_redacted(&p);
	assert_string_equal(s, "http://u:***@h.example:80");
	free(s);
	proxy_clear(&p);
	proxy_clear(&p);
}

static void
test_scheme_canon(void **state)
{
	(void)state;
	assert_string_equal(proxy_scheme_canon("HTTP"), "http");
	assert_string_equal(proxy_scheme_canon("https"), "https");
	assert_string_equal(proxy_scheme_canon("socks5"), "socks5");
	assert_string_equal(proxy_scheme_canon("Socks5h"), "socks5h");
	assert_string_equal(proxy_scheme_canon("socks"), "socks5h");
	assert_null(proxy_scheme_canon("socks4"));
	assert_null(proxy_scheme_canon(""));
	assert_null(proxy_scheme_canon(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_scheme_canon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
