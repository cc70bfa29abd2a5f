/*
 * Unit tests for mailru_cookies.c: serialising curl's cookie list (expired
 * and malformed lines dropped, canonical form), reading a blob back, the
 * cookie lookup by host, and a browser's Netscape cookie file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "mailru.h"

#define NOW	1700000000
#define SLB	"\xef\xbb\xbf# c\r\n\r\n.mail.ru\tTRUE\t/\tTRUE\t0\ta\tb"

struct sink {
	char	*lines[16];
	size_t	 n;
	size_t	 stop_after;
};

static int
collect(void *arg, const char *line)
{
	struct sink	*s = arg;

	if (s->n < 16)
		s->lines[s->n++] = strdup(line);
	return s->stop_after != 0 && s->n >= s->stop_after;
}

static void
sink_free(struct sink *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->lines[i]);
	memset(s, 0, sizeof(*s));
}

static struct curl_slist *
jar(void)
{
	struct curl_slist	*l = NULL;

	l = curl_slist_append(l, "#HttpOnly_.mail.ru\tTRUE\t/\tTRUE\t"
	    "1800000000\tMpop\t1700000000:0a1b:user@mail.ru:");
	l = curl_slist_append(l, ".e.mail.ru\tTRUE\t/\tTRUE\t0\tsdcs\tS1");
	l = curl_slist_append(l, ".mail.ru\tTRUE\t/\tTRUE\t0\tact\tA1");
	l = curl_slist_append(l, ".auth.mail.ru\tTRUE\t/\tTRUE\t0\tact\tA2");
	/* expired */
	l = curl_slist_append(l, ".mail.ru\tTRUE\t/\tTRUE\t1600000000\tt\tx");
	/* malformed: 6 fields, bad flag, bad path, header injection */
	l = curl_slist_append(l, ".mail.ru\tTRUE\t/\tTRUE\t0\tonly6");
	l = curl_slist_append(l, ".mail.ru\tYES\t/\tTRUE\t0\tn\tv");
	l = curl_slist_append(l, ".mail.ru\tTRUE\tnoslash\tTRUE\t0\tn\tv");
	l = curl_slist_append(l, ".mail.ru\tTRUE\t/\tTRUE\t0\tn\tv\r\nX: y");
	l = curl_slist_append(l, "ALL");
	l = curl_slist_append(l, ".mail.ru\tTRUE\t/\tTRUE\t0\t\tv");
	l = curl_slist_append(l, ".mail.ru\tTRUE\t/\tTRUE\t0\tn\tv\textra");
	/* an empty value is a valid cookie */
	l = curl_slist_append(l, "e.mail.ru\tFALSE\t/api\tFALSE\t0\tempty\t");
	return l;
}

static void
t_serialize(void **state)
{
	struct curl_slist	*l = jar();
	char			*blob;

	(void)state;
	blob = mailru_cookies_serialize(l, NOW);
	assert_string_equal(blob,
	    "#HttpOnly_.mail.ru\tTRUE\t/\tTRUE\t1800000000\tMpop\t"
	    "1700000000:0a1b:user@mail.ru:\n"
	    ".e.mail.ru\tTRUE\t/\tTRUE\t0\tsdcs\tS1\n"
	    ".mail.ru\tTRUE\t/\tTRUE\t0\tact\tA1\n"
	    ".auth.mail.ru\tTRUE\t/\tTRUE\t0\tact\tA2\n"
	    "e.mail.ru\tFALSE\t/api\tFALSE\t0\tempty\t\n");
	free(blob);
	/* the same jar later: Mpop has expired too */
	blob = mailru_cookies_serialize(l, 1900000000);
	assert_null(strstr(blob, "Mpop"));
	free(blob);
	blob = mailru_cookies_serialize(NULL, NOW);
	assert_string_equal(blob, "");
	free(blob);
	curl_slist_free_all(l);
}

static void
t_parse(void **state)
{
	struct curl_slist	*l = jar();
	struct sink		 s = { .n = 0 };
	char			*blob, *v;
	size_t			 bad;

	(void)state;
	blob = mailru_cookies_serialize(l, NOW);
	assert_int_equal(mailru_cookies_parse(blob, collect, &s, &bad), 5);
	assert_int_equal(bad, 0);
	assert_string_equal(s.lines[2], ".mail.ru\tTRUE\t/\tTRUE\t0\tact\tA1");
	sink_free(&s);

	/* stop early */
	s.stop_after = 2;
	assert_int_equal(mailru_cookies_parse(blob, collect, &s, NULL), 2);
	sink_free(&s);

	/* a damaged blob: good lines still pass, bad ones are counted */
	assert_int_equal(mailru_cookies_parse("ALL\n.mail.ru\tTRUE\t/\tTRUE\t0"
	    "\ta\tb\n\n# c\nFLUSH", collect, &s, &bad), 1);
	assert_int_equal(bad, 3);
	sink_free(&s);
	assert_int_equal(mailru_cookies_parse(NULL, collect, &s, &bad), 0);

	/* lookups: most specific domain wins */
	v = mailru_cookie_get(blob, "auth.mail.ru", "act");
	assert_string_equal(v, "A2");
	free(v);
	v = mailru_cookie_get(blob, "account.mail.ru", "act");
	assert_string_equal(v, "A1");
	free(v);
	v = mailru_cookie_get(blob, "mail.ru", "act");
	assert_string_equal(v, "A1");
	free(v);
	v = mailru_cookie_get(blob, "e.mail.ru", "sdcs");
	assert_string_equal(v, "S1");
	free(v);
	assert_null(mailru_cookie_get(blob, "light.mail.ru", "sdcs"));
	assert_null(mailru_cookie_get(blob, "evilmail.ru", "act"));
	assert_null(mailru_cookie_get(blob, "mail.ru", "nope"));
	v = mailru_cookie_get(blob, "E.Mail.Ru", "Mpop");
	assert_string_equal(v, "1700000000:0a1b:user@mail.ru:");
	free(v);
	/* host-only cookie: not sent to subdomains */
	v = mailru_cookie_get(blob, "e.mail.ru", "empty");
	assert_string_equal(v, "");
	free(v);
	assert_null(mailru_cookie_get(blob, "x.e.mail.ru", "empty"));
	v = mailru_cookie_get_list(l, "auth.mail.ru", "act");
	assert_string_equal(v, "A2");
	free(v);
	free(blob);
	curl_slist_free_all(l);
}

static void
t_file(void **state)
{
	const char	*top = getenv("top_srcdir");
	char		 path[1024], buf[8192];
	struct sink	 s = { .n = 0 };
	size_t		 len, bad, first;
	FILE		*f;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/unit/data/mailru/"
	    "cookies_browser.txt", top != NULL ? top : ".");
	assert_non_null(f = fopen(path, "rb"));
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(mailru_cookies_file_parse(buf, len, NOW, collect, &s,
	    &bad, &first), 5);
	assert_int_equal(bad, 1);
	assert_int_equal(first, 9);
	assert_string_equal(s.lines[0], "#HttpOnly_.mail.ru\tTRUE\t/\tTRUE\t"
	    "4102444800\tMpop\t1700000000:abcdef0123456789:user@mail.ru:");
	/* flags upper-cased, fractional expiry truncated */
	assert_string_equal(s.lines[2], ".mail.ru\tTRUE\t/\tTRUE\t4102444800\t"
	    "t\tobLD1AAAAAAIAAAA");
	assert_string_equal(s.lines[3], ".mail.ru\tTRUE\t/\tTRUE\t0\tact\t"
	    "0123456789abcdef0123456789abcdef");
	/* CRLF stripped */
	assert_string_equal(s.lines[4], ".mail.ru\tTRUE\t/\tFALSE\t0\ts\t"
	    "octavius=1|fver=0");
	sink_free(&s);

	/* BOM, CRLF only, no final newline */
	assert_int_equal(mailru_cookies_file_parse(SLB, sizeof(SLB) - 1, NOW,
	    collect, &s, &bad, &first), 1);
	assert_int_equal(bad, 0);
	assert_int_equal(first, 0);
	sink_free(&s);
	/* the blob parser is strict: a fractional expiry is malformed */
	assert_int_equal(mailru_cookies_parse(".mail.ru\tTRUE\t/\tTRUE\t1.5\t"
	    "a\tb", collect, &s, &bad), 0);
	assert_int_equal(bad, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_serialize),
		cmocka_unit_test(t_parse),
		cmocka_unit_test(t_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
