/*
 * libFuzzer target for mailru_html.c.  The first line is the anchor text,
 * the rest the HTML of a letter; the found link, the input itself and the
 * page token go through the other helpers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "mailru.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* libxml2 keeps global state; set it up once, not per input */
	xmlInitParser();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*html, *nl;
	char		*anchor, *url = NULL, *u, *t, *all;
	size_t		 hlen;

	if (size > 65536)
		return 0;
	nl = memchr(data, '\n', size);
	if (nl == NULL)
		return 0;
	anchor = strndup((const char *)data, (size_t)(nl - (const char *)data));
	html = nl + 1;
	hlen = size - (size_t)(html - (const char *)data);
	if (mailru_find_link(html, hlen, anchor, &url) == 0) {
		CHECK(url != NULL && url[0] != '\0');
		u = mailru_unwrap_redirect(url);
		CHECK(u == NULL || u[0] != '\0');
		free(u);
	} else
		CHECK(url == NULL);
	free(url);
	t = mailru_html_token(html, hlen);
	if (t != NULL)
		CHECK(strchr(t, '"') == NULL && strlen(t) > 0);
	free(t);
	all = strndup((const char *)data, size);
	free(mailru_unwrap_redirect(all));
	free(all);
	free(anchor);
	return 0;
}
