/*
 * warmctl alert-test: one message through the configured Telegram bot,
 * the same request the daemon makes, sent blocking -- a CLI may wait.
 * Says what Telegram answered; never prints the token (it is in the URL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "alert.h"
#include "config.h"
#include "ctl.h"
#include "xmalloc.h"

struct reply {
	char	*buf;
	size_t	 len;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct reply	*r = arg;
	size_t		 n = size * nmemb;

	if (r->len + n > 65536)
		return n;
	r->buf = xreallocarray(r->buf, r->len + n + 1, 1);
	memcpy(r->buf + r->len, ptr, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

int
cmd_alert_test(struct ctl *c, int argc, char **argv)
{
	struct reply	 r = { NULL, 0 };
	char		 host[256], *url, *body, *text;
	CURL		*easy;
	CURLcode	 rc;
	long		 code = 0;
	json_t		*j;
	int		 ok;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: warmctl alert-test\n");
		return EXIT_USAGE;
	}
	if (need_config(c) == -1)
		return 1;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	text = xasprintf("warmd %s: %s: alert test from warmctl on %s",
	    c->cfg->warmd.worker_name != NULL ? c->cfg->warmd.worker_name : "",
	    alert_kind_name(ALERT_TEST), host);
	if (alert_request(c->cfg, text, &url, &body) == -1) {
		fprintf(stderr, "warmctl: alerts are off: set [alerts]"
		    " telegram_token and telegram_chat_id in %s\n",
		    c->cfg->path);
		free(text);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_ALL);
	easy = curl_easy_init();
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(easy);
	if (rc == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(easy);
	free(url);
	free(body);
	ok = rc == CURLE_OK && code == 200;
	if (ok)
		printf("sent to chat %s: %s\n", c->cfg->alerts.telegram_chat_id,
		    text);
	else if (rc != CURLE_OK)
		fprintf(stderr, "warmctl: Telegram unreachable: %s\n",
		    curl_easy_strerror(rc));
	else {
		j = r.buf != NULL ? json_loads(r.buf, 0, NULL) : NULL;
		fprintf(stderr, "warmctl: Telegram refused the message: HTTP"
		    " %ld: %s\n", code, json_string_value(json_object_get(j,
		    "description")) != NULL ? json_string_value(
		    json_object_get(j, "description")) : "no description");
		json_decref(j);
	}
	free(r.buf);
	free(text);
	curl_global_cleanup();
	return ok ? 0 : 1;
}
