#define _GNU_SOURCE	/* vasprintf */
/*
 * One message in flight at a time: alerts are few, and Telegram limits a
 * bot to about one message a second per chat anyway.  The queue is capped
 * (the oldest go first) so an alert storm while Telegram is unreachable
 * cannot grow without bound.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "alert.h"
#include "backoff.h"
#include "config.h"
#include "curlev.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define QUEUE_MAX	100
#define TRIES_MAX	12
#define REPLY_MAX	(64 * 1024)

struct msg {
	TAILQ_ENTRY(msg)	 entry;
	char			*text;
	unsigned		 tries;
};

static const char *const kind_names[ALERT_NKINDS] = {
	[ALERT_ACCOUNT] = "accounts",
	[ALERT_DATABASE] = "database",
	[ALERT_CAMPAIGN] = "campaigns",
	[ALERT_QUEUE] = "queue",
	[ALERT_CIRCUIT] = "circuits",
	[ALERT_SUMMARY] = "summary",
	[ALERT_TEST] = "test",
};

static struct {
	const struct config	*cfg;
	struct curlev		*curl;
	CURL			*easy;
	TAILQ_HEAD(, msg)	 queue;
	size_t			 nqueue;
	struct msg		*cur;		/* in flight */
	char			*body;		/* of the request in flight */
	char			*reply;
	size_t			 nreply;
	struct event		*retry;
	int			 waiting;	/* retry timer armed */
	/* the window of each kind */
	struct event		*window[ALERT_NKINDS];
	int			 open[ALERT_NKINDS];
	unsigned		 folded[ALERT_NKINDS];
	char			*last[ALERT_NKINDS];
	struct alert_stats	 st;
	int			 inited;
} A;

static void	send_next(void);

const char *
alert_kind_name(enum alert_kind k)
{
	return (unsigned)k < ALERT_NKINDS ? kind_names[k] : "?";
}

int
alert_request(const struct config *cfg, const char *text, char **url,
    char **body)
{
	char	*chat, *msg;

	if (cfg->alerts.telegram_token == NULL ||
	    cfg->alerts.telegram_chat_id == NULL)
		return -1;
	*url = xasprintf("%s/bot%s/sendMessage", cfg->alerts.telegram_url,
	    cfg->alerts.telegram_token);
	/* libcurl >= 7.82 ignores the handle of curl_easy_escape. */
	chat = curl_easy_escape(NULL, cfg->alerts.telegram_chat_id, 0);
	msg = curl_easy_escape(NULL, text, 0);
	*body = xasprintf("chat_id=%s&text=%s&disable_web_page_preview=true",
	    chat != NULL ? chat : "", msg != NULL ? msg : "");
	curl_free(chat);
	curl_free(msg);
	return 0;
}

/* ---- the queue ------------------------------------------------------------ */

static void
msg_free(struct msg *m)
{
	free(m->text);
	free(m);
}

static void
enqueue(char *text)
{
	struct msg	*m;

	if (A.nqueue >= QUEUE_MAX && (m = TAILQ_FIRST(&A.queue)) != NULL) {
		TAILQ_REMOVE(&A.queue, m, entry);
		A.nqueue--;
		A.st.dropped++;
		msg_free(m);
	}
	m = xcalloc(1, sizeof(*m));
	m->text = text;
	TAILQ_INSERT_TAIL(&A.queue, m, entry);
	A.nqueue++;
	send_next();
}

/* ---- sending ---------------------------------------------------------------- */

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	size_t	 n = size * nmemb;

	(void)arg;
	if (A.nreply + n > REPLY_MAX)
		return n;	/* keep the start; the rest is not needed */
	A.reply = xreallocarray(A.reply, A.nreply + n + 1, 1);
	memcpy(A.reply + A.nreply, ptr, n);
	A.nreply += n;
	A.reply[A.nreply] = '\0';
	return n;
}

static void
retry_later(unsigned ms)
{
	A.waiting = 1;
	loop_timer_ms(A.retry, ms);
}

/* Telegram's own words on a refusal ("Bad Request: chat not found"). */
static const char *
description(json_t *j)
{
	const char	*d = json_string_value(json_object_get(j, "description"));

	return d != NULL ? d : "no description";
}

static void
on_done(void *arg, CURL *easy, CURLcode rc)
{
	struct msg	*m = A.cur;
	long		 code = 0;
	json_t		*j = NULL;
	unsigned	 wait;

	(void)arg;
	A.cur = NULL;
	free(A.body);
	A.body = NULL;
	if (rc == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (A.reply != NULL)
		j = json_loads(A.reply, 0, NULL);
	if (rc == CURLE_OK && code == 200) {
		A.st.sent++;
		msg_free(m);
	} else if (rc == CURLE_OK && code >= 400 && code < 500 &&
	    code != 429) {
		/* A bad token or chat: sending again cannot help. */
		log_warn("alerts: Telegram refused a message (HTTP %ld: %s);"
		    " dropped", code, description(j));
		A.st.dropped++;
		msg_free(m);
	} else if (++m->tries >= TRIES_MAX) {
		log_warn("alerts: message dropped after %u tries", m->tries);
		A.st.dropped++;
		msg_free(m);
	} else {
		/* Back at the head: order is kept. */
		TAILQ_INSERT_HEAD(&A.queue, m, entry);
		A.nqueue++;
		A.st.retries++;
		wait = backoff_ms(1000, 300000, m->tries - 1);
		if (code == 429)
			wait = 1000u * (unsigned)json_integer_value(
			    json_object_get(json_object_get(j, "parameters"),
			    "retry_after"));
		if (wait == 0)
			wait = 1000;
		if (rc != CURLE_OK)
			log_info("alerts: Telegram unreachable (%s); retry in"
			    " %u ms", curl_easy_strerror(rc), wait);
		else
			log_info("alerts: Telegram answered HTTP %ld; retry in"
			    " %u ms", code, wait);
		json_decref(j);
		free(A.reply);
		A.reply = NULL;
		A.nreply = 0;
		retry_later(wait);
		return;
	}
	json_decref(j);
	free(A.reply);
	A.reply = NULL;
	A.nreply = 0;
	send_next();
}

static void
send_next(void)
{
	struct msg	*m;
	char		*url;

	if (A.cur != NULL || A.waiting || A.cfg == NULL || A.curl == NULL ||
	    (m = TAILQ_FIRST(&A.queue)) == NULL)
		return;
	if (alert_request(A.cfg, m->text, &url, &A.body) == -1)
		return;
	TAILQ_REMOVE(&A.queue, m, entry);
	A.nqueue--;
	A.cur = m;
	if (A.easy == NULL)
		A.easy = curl_easy_init();
	curl_easy_reset(A.easy);
	curl_easy_setopt(A.easy, CURLOPT_URL, url);
	curl_easy_setopt(A.easy, CURLOPT_POSTFIELDS, A.body);
	curl_easy_setopt(A.easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(A.easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(A.easy, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(A.easy, CURLOPT_PROTOCOLS_STR, "http,https");
	free(url);
	if (curlev_add(A.curl, A.easy, on_done, NULL) == -1) {
		A.cur = NULL;
		TAILQ_INSERT_HEAD(&A.queue, m, entry);
		A.nqueue++;
		free(A.body);
		A.body = NULL;
		retry_later(1000);
	}
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	A.waiting = 0;
	send_next();
}

/* ---- windows ----------------------------------------------------------------- */

static char *
format(enum alert_kind k, const char *text)
{
	const char	*w = A.cfg->warmd.worker_name;

	return xasprintf("warmd %s: %s: %s", w != NULL ? w : "",
	    alert_kind_name(k), text);
}

static void
open_window(enum alert_kind k)
{
	A.open[k] = 1;
	loop_timer_ms(A.window[k], A.cfg->alerts.window_ms);
}

/* The window of a kind ends: what was folded goes out as one message. */
static void
on_window(evutil_socket_t fd, short what, void *arg)
{
	enum alert_kind	 k = (enum alert_kind)(intptr_t)arg;
	char		*text;

	(void)fd;
	(void)what;
	A.open[k] = 0;
	if (A.folded[k] == 0 || A.cfg == NULL)
		return;
	text = xasprintf("%u more in the last %u s; the last one: %s",
	    A.folded[k], A.cfg->alerts.window_ms / 1000, A.last[k]);
	A.folded[k] = 0;
	free(A.last[k]);
	A.last[k] = NULL;
	enqueue(format(k, text));
	free(text);
	open_window(k);
}

void
alert_raise(enum alert_kind k, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	if (!A.st.enabled || (unsigned)k >= ALERT_NKINDS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		text = NULL;
	va_end(ap);
	if (text == NULL)
		return;
	A.st.raised++;
	if (A.open[k]) {
		A.st.folded++;
		A.folded[k]++;
		free(A.last[k]);
		A.last[k] = text;
		return;
	}
	enqueue(format(k, text));
	free(text);
	open_window(k);
}

/* ---- life cycle ---------------------------------------------------------------- */

void
alert_configure(const struct config *cfg, struct curlev *curl)
{
	if (!A.inited) {
		TAILQ_INIT(&A.queue);
		A.retry = evtimer_new(loop_base(), on_retry, NULL);
		for (int k = 0; k < ALERT_NKINDS; k++)
			A.window[k] = evtimer_new(loop_base(), on_window,
			    (void *)(intptr_t)k);
		A.inited = 1;
	}
	A.cfg = cfg;
	A.curl = curl;
	A.st.enabled = cfg->alerts.telegram_token != NULL &&
	    cfg->alerts.telegram_chat_id != NULL;
	if (A.st.enabled)
		send_next();
}

void
alert_stats(struct alert_stats *st)
{
	*st = A.st;
	st->enabled = A.st.enabled;
}

void
alert_shutdown(void)
{
	struct msg	*m;

	if (!A.inited)
		return;
	if (A.easy != NULL) {
		if (A.curl != NULL)
			curlev_forget(A.curl, A.easy);
		curl_easy_cleanup(A.easy);
	}
	if (A.cur != NULL)
		msg_free(A.cur);
	while ((m = TAILQ_FIRST(&A.queue)) != NULL) {
		TAILQ_REMOVE(&A.queue, m, entry);
		msg_free(m);
	}
	event_free(A.retry);
	for (int k = 0; k < ALERT_NKINDS; k++) {
		event_free(A.window[k]);
		free(A.last[k]);
	}
	free(A.body);
	free(A.reply);
	memset(&A, 0, sizeof(A));
}
