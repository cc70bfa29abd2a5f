/*
 * libFuzzer target for mailru_cookies.c.  Input lines become a curl
 * cookie list; what serialises must parse back with no rejects and be a
 * fixed point, and nothing that passes may carry a control character.
 * The same bytes also go through the browser-file parser and lookups.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "mailru.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)
#define NOW		1700000000

struct acc {
	char	*buf;
	size_t	 len;
	int	 n;
};

static int
check_line(void *arg, const char *line)
{
	struct acc	*a = arg;
	const char	*p;
	size_t		 n = strlen(line), tabs = 0;

	for (p = line; *p != '\0'; p++) {
		CHECK((unsigned char)*p >= 0x20 || *p == '\t');
		tabs += *p == '\t';
	}
	CHECK(tabs == 6);
	a->buf = realloc(a->buf, a->len + n + 2);
	CHECK(a->buf != NULL);
	memcpy(a->buf + a->len, line, n);
	a->len += n;
	a->buf[a->len++] = '\n';
	a->buf[a->len] = '\0';
	a->n++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct curl_slist	*l = NULL;
	struct acc		 a = { NULL, 0, 0 };
	char			*text, *p, *nl, *blob, *v;
	size_t			 bad, first;
	int			 n;

	if (size > 16384)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (p = text; p != NULL && *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		l = curl_slist_append(l, p);
	}
	blob = mailru_cookies_serialize(l, NOW);
	n = mailru_cookies_parse(blob, check_line, &a, &bad);
	CHECK(bad == 0);
	CHECK(strcmp(a.buf != NULL ? a.buf : "", blob) == 0);
	v = mailru_cookie_get(blob, "e.mail.ru", "act");
	free(v);
	v = mailru_cookie_get_list(l, "auth.mail.ru", "Mpop");
	free(v);
	free(a.buf);
	free(blob);
	curl_slist_free_all(l);
	CHECK(n >= 0);

	memcpy(text, data, size);
	a.buf = NULL;
	a.len = 0;
	a.n = 0;
	n = mailru_cookies_file_parse(text, size, NOW, check_line, &a, &bad,
	    &first);
	CHECK(n == a.n);
	CHECK((bad == 0) == (first == 0));
	if (a.buf != NULL) {
		/* accepted file lines are canonical blob lines */
		struct acc	b = { NULL, 0, 0 };

		CHECK(mailru_cookies_parse(a.buf, check_line, &b, &bad) ==
		    a.n && bad == 0);
		CHECK(strcmp(a.buf, b.buf) == 0);
		free(b.buf);
	}
	free(a.buf);
	free(text);
	return 0;
}
