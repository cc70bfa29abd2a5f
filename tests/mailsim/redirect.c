/*
 * The link redirectors checklink.mail.ru/proxy?url= and click.mail.ru/redir?u=.
 * Links in letters are rewritten through them, and each click is logged
 * before the 302 to the target.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defined.h"
#include "mailsim.h"

/* Rewrite href="http..." attributes to go through the redirector. */
char *
redirect_rewrite(const char *html, struct account *a, struct msg *m)
{
	size_t cap = strlen(html) * 2 + 64, o = 0, n;
	char *r = xcalloc(cap, 1), *url, *eu, *ee, *add;
	const char *p = html, *q, *end;
	char quote;

	while ((q = strcasestr(p, "href=")) != NULL) {
		quote = q[5];
		if ((quote != '"' && quote != '\'') ||
		    strncasecmp(q + 6, "http", 4) != 0 ||
		    (end = strchr(q + 6, quote)) == NULL) {
			n = (size_t)(q + 5 - p);
			goto copy;
		}
		url = xcalloc((size_t)(end - q - 6) + 1, 1);
		memcpy(url, q + 6, (size_t)(end - q - 6));
		eu = url_encode(url);
		ee = url_encode(a->email);
		add = xasprintf("href=%c%s%s&amp;uidl=%s&amp;email=%s%c", quote,
		    DEF_REWRITE_PREFIX, eu, m->id, ee, quote);
		n = (size_t)(q - p);
		while (o + n + strlen(add) + 1 >= cap) {
			cap *= 2;
			r = realloc(r, cap);
			if (r == NULL)
				abort();
		}
		memcpy(r + o, p, n);
		o += n;
		memcpy(r + o, add, strlen(add));
		o += strlen(add);
		free(add);
		free(ee);
		free(eu);
		free(url);
		p = end + 1;
		continue;
copy:
		while (o + n + 1 >= cap) {
			cap *= 2;
			r = realloc(r, cap);
			if (r == NULL)
				abort();
		}
		memcpy(r + o, p, n);
		o += n;
		p += n;
	}
	n = strlen(p);
	while (o + n + 1 >= cap) {
		cap *= 2;
		r = realloc(r, cap);
		if (r == NULL)
			abort();
	}
	memcpy(r + o, p, n + 1);
	return (r);
}

/* GET checklink.mail.ru/proxy?url= or click.mail.ru/redir?u=. */
void
redirect_click(struct hreq *h)
{
	const char *url = hreq_param(h, "url"), *acct = hreq_param(h, "email");
	const char *msg = hreq_param(h, "uidl");
	struct account *a;

	if (url == NULL)
		url = hreq_param(h, "u");
	if ((strcmp(h->path, "/proxy") != 0 && strcmp(h->path, "/redir") != 0)
	    || url == NULL || strncasecmp(url, "http", 4) != 0) {
		hreq_html(h, 400, "<html><body>bad link</body></html>");
		return;
	}
	a = store_find_account(acct);
	COUNT(C_CLICKS);
	store_log(LOG_CLICKS, json_pack("{s:I,s:s,s:s?,s:s?,s:s,s:s,s:i}",
	    "time", (json_int_t)now_sec(), "host", h->host, "account",
	    a != NULL ? a->email : acct, "message", msg, "url", url, "ip",
	    h->ip, "port", h->port));
	hreq_redirect(h, url);
}
