/*
 * HTTPS front: one listener for every mail.ru host, dispatched on the Host
 * header. Holds the request wrapper, the JSON envelope, cookies, fault
 * application on the way out, per-connection bookkeeping and the counters.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "defined.h"
#include "mailsim.h"

uint64_t counters[C__COUNT];

static const char *counter_names[C__COUNT] = {
	"http_requests", "http_connections", "login_web", "login_mobile",
	"login_ok", "login_fail", "o2_refresh", "api_calls",
	"api_denied_user", "api_denied_token", "api_denied_nosdc", "sdc",
	"marks", "moves", "spam_reports", "unspam_reports", "sends",
	"delivered_inbox", "delivered_spam", "outbound", "clicks",
	"smtp_sessions", "smtp_messages", "smtp_rejected",
	"password_changes", "fault_latency", "fault_5xx", "fault_429",
	"fault_reset", "fault_trunc", "fault_badjson", "fault_slow"
};

/* One TCP connection: which accounts' credentials were seen on it. */
struct conn {
	uint64_t		 serial;
	struct evhttp_connection *evcon;
	json_t			*info;
	char			 key[32];
};

/* A reply held back by a latency or slow-body fault. */
struct deferred {
	struct deferred	*next, *prev;
	struct hreq	*h;
	int		 code;
	size_t		 off;
	int		 started;
};

static struct evhttp	*https_srv, *inspect_srv;
static struct map	*live_conns;
static json_t		*closed_conns;
static uint64_t		 conn_serial;
static struct deferred	*deferred_head;

json_t *
counters_json(void)
{
	json_t *o = json_object();
	int i;

	for (i = 0; i < C__COUNT; i++)
		json_object_set_new(o, counter_names[i],
		    json_integer((json_int_t)counters[i]));
	return (o);
}

void
counters_reset(void)
{
	memset(counters, 0, sizeof(counters));
}

/* URL helpers */

char *
url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), o = 0;
	char *r = xcalloc(n * 3 + 1, 1);

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			r[o++] = (char)c;
		else {
			r[o++] = '%';
			r[o++] = hex[c >> 4];
			r[o++] = hex[c & 15];
		}
	}
	r[o] = '\0';
	return (r);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Decode %XX (and '+' as space when plus is set). */
char *
url_decode(const char *s, size_t n, int plus)
{
	char *r = xcalloc(n + 1, 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			r[o++] = (char)(hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2]));
			i += 2;
		} else if (s[i] == '+' && plus)
			r[o++] = ' ';
		else
			r[o++] = s[i];
	}
	r[o] = '\0';
	return (r);
}

static void
kv_add(struct kvlist *l, char *k, char *v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			abort();
	}
	l->v[l->n].k = k;
	l->v[l->n].v = v;
	l->n++;
}

/* Parse a=b&c=d (query strings and form bodies). */
void
kv_parse(struct kvlist *l, const char *s, size_t n)
{
	size_t i = 0, j, eq;

	while (i < n) {
		for (j = i; j < n && s[j] != '&'; j++)
			;
		if (j > i) {
			for (eq = i; eq < j && s[eq] != '='; eq++)
				;
			kv_add(l, url_decode(s + i, eq - i, 1),
			    eq < j ? url_decode(s + eq + 1, j - eq - 1, 1) :
			    xstrdup(""));
		}
		i = j + 1;
	}
}

/* Parse a Cookie header: "a=b; c=d". */
static void
cookies_parse(struct kvlist *l, const char *s)
{
	const char *p = s, *e, *eq;

	while (*p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, ';');
		if (e == NULL)
			e = p + strlen(p);
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq != NULL) {
			char *k = xcalloc((size_t)(eq - p) + 1, 1);
			char *v = xcalloc((size_t)(e - eq), 1);

			memcpy(k, p, (size_t)(eq - p));
			memcpy(v, eq + 1, (size_t)(e - eq - 1));
			kv_add(l, k, v);
		}
		p = e;
	}
}

void
kv_free(struct kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].k);
		free(l->v[i].v);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Last value of a key, or NULL. */
const char *
kv_get(const struct kvlist *l, const char *k)
{
	size_t i;

	for (i = l->n; i > 0; i--)
		if (strcmp(l->v[i - 1].k, k) == 0)
			return (l->v[i - 1].v);
	return (NULL);
}

/* A parameter from the form body, else from the query. */
const char *
hreq_param(struct hreq *h, const char *k)
{
	const char *v = kv_get(&h->form, k);

	return (v != NULL ? v : kv_get(&h->query, k));
}

const char *
hreq_cookie(struct hreq *h, const char *k)
{
	return (kv_get(&h->cookies, k));
}

const char *
hreq_header(struct hreq *h, const char *k)
{
	return (evhttp_find_header(evhttp_request_get_input_headers(h->req),
	    k));
}

void
hreq_header_out(struct hreq *h, const char *k, const char *v)
{
	evhttp_add_header(evhttp_request_get_output_headers(h->req), k, v);
}

/*
 * Set-Cookie with the attributes mail.ru uses. max_age > 0 gives Expires
 * and Max-Age, 0 a session cookie, < 0 deletes the cookie.
 */
void
hreq_set_cookie(struct hreq *h, const char *name, const char *value,
    const char *domain, long max_age)
{
	char exp[64] = "", *c;
	time_t t;
	struct tm tm;

	if (max_age != 0) {
		t = max_age > 0 ? time(NULL) + max_age : 0;
		gmtime_r(&t, &tm);
		strftime(exp, sizeof(exp), "; Expires=%a, %d %b %Y %H:%M:%S GMT",
		    &tm);
		snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp),
		    "; Max-Age=%ld", max_age > 0 ? max_age : 0);
	}
	c = xasprintf("%s=%s; Domain=%s; Path=/%s; Secure; HttpOnly; "
	    "SameSite=None", name, max_age < 0 ? "" : value, domain, exp);
	hreq_header_out(h, "Set-Cookie", c);
	free(c);
}

char *
hreq_full_url(struct hreq *h)
{
	return (xasprintf("https://%s%s%s", h->host, h->hostport, h->uri));
}

/* Connections */

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg;

	(void)evcon;
	map_del(live_conns, c->key);
	json_object_set_new(c->info, "closed", json_integer(now_sec()));
	if (json_object_size(json_object_get(c->info, "accounts")) > 0) {
		if (json_array_size(closed_conns) >= DEF_LOG_MAX)
			json_array_clear(closed_conns);
		json_array_append(closed_conns, c->info);
	}
	json_decref(c->info);
	free(c);
}

static struct conn *
conn_get(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct conn *c;
	char key[32], *addr = NULL, peer[96];
	ev_uint16_t port = 0;
	int one = 1;

	if (evcon == NULL)
		return (NULL);
	snprintf(key, sizeof(key), "%p", (void *)evcon);
	if ((c = map_get(live_conns, key)) != NULL)
		return (c);
	/*
	 * evhttp writes headers and body as two TLS records; with Nagle on,
	 * the body waits for the client's delayed ACK (~40 ms a reply).
	 */
	(void)setsockopt(bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)),
	    IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->serial = ++conn_serial;
	c->evcon = evcon;
	memcpy(c->key, key, sizeof(key));
	evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(peer, sizeof(peer), "%s:%u", addr ? addr : "?", port);
	c->info = json_pack("{s:I,s:s,s:I,s:n,s:i,s:{}}", "id",
	    (json_int_t)c->serial, "peer", peer, "opened",
	    (json_int_t)now_sec(), "closed", "requests", 0, "accounts");
	map_put(live_conns, key, c);
	evhttp_connection_set_closecb(evcon, conn_closed, c);
	COUNT(C_HTTP_CONNECTIONS);
	return (c);
}

/* Record that credentials of an account were used on this connection. */
void
hreq_conn_account(struct hreq *h, struct account *a, const char *via)
{
	json_t *accts, *l;
	size_t i;

	if (h->conn == NULL || a == NULL)
		return;
	accts = json_object_get(h->conn->info, "accounts");
	if ((l = json_object_get(accts, a->email)) == NULL) {
		l = json_array();
		json_object_set_new(accts, a->email, l);
	}
	for (i = 0; i < json_array_size(l); i++)
		if (strcmp(json_string_value(json_array_get(l, i)), via) == 0)
			return;
	json_array_append_new(l, json_string(via));
}

static void
conns_add(const char *k, void *v, void *arg)
{
	(void)k;
	json_array_append(arg, ((struct conn *)v)->info);
}

json_t *
conns_json(void)
{
	json_t *live = json_array();

	map_each(live_conns, conns_add, live);
	return (json_pack("{s:o,s:O}", "live", live, "closed", closed_conns));
}

/* Replies */

static void
hreq_free(struct hreq *h)
{
	if (h->timer != NULL)
		event_free(h->timer);
	if (h->slowbuf != NULL)
		evbuffer_free(h->slowbuf);
	kv_free(&h->query);
	kv_free(&h->form);
	kv_free(&h->cookies);
	free(h->path);
	free(h->uri);
	free(h);
}

static void
deferred_unlink(struct deferred *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		deferred_head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
}

static void
deferred_done(struct deferred *d)
{
	deferred_unlink(d);
	hreq_free(d->h);
	free(d);
}

/* Timer: send a delayed reply whole, or the next slice of a slow one. */
static void
deferred_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct deferred *d = arg;
	struct hreq *h = d->h;
	struct evbuffer *chunk;
	size_t left = evbuffer_get_length(h->slowbuf);
	struct timeval tv;

	(void)fd;
	(void)ev;
	if (!h->fault.slow) {
		evhttp_send_reply(h->req, d->code, NULL, h->slowbuf);
		deferred_done(d);
		return;
	}
	if (!d->started) {
		evhttp_send_reply_start(h->req, d->code, NULL);
		d->started = 1;
	}
	if (left == 0) {
		evhttp_send_reply_end(h->req);
		deferred_done(d);
		return;
	}
	chunk = evbuffer_new();
	evbuffer_remove_buffer(h->slowbuf, chunk, left < 64 ? left : 64);
	evhttp_send_reply_chunk(h->req, chunk);
	evbuffer_free(chunk);
	tv.tv_sec = h->fault.slow_ms / 1000;
	tv.tv_usec = (h->fault.slow_ms % 1000) * 1000;
	evtimer_add(h->timer, &tv);
}

static void
defer(struct hreq *h, int code, unsigned ms)
{
	struct deferred *d = xcalloc(1, sizeof(*d));
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	d->h = h;
	d->code = code;
	d->next = deferred_head;
	if (deferred_head != NULL)
		deferred_head->prev = d;
	deferred_head = d;
	h->timer = evtimer_new(ms_base, deferred_cb, d);
	evtimer_add(h->timer, &tv);
}

/* Send a reply through the faults picked for this request; frees h. */
void
hreq_reply(struct hreq *h, int code, const char *ctype, const char *body,
    size_t len)
{
	struct evbuffer *b = evbuffer_new();
	int isjson = ctype != NULL && strstr(ctype, "json") != NULL;

	if (ctype != NULL)
		hreq_header_out(h, "Content-Type", ctype);
	if (isjson && h->fault.badjson) {
		COUNT(C_FAULT_BADJSON);
		body = DEF_BAD_JSON;
		len = strlen(body);
	} else if (h->fault.trunc && len > 1) {
		COUNT(C_FAULT_TRUNC);
		len /= 2;
	}
	evbuffer_add(b, body, len);
	if (h->fault.latency_ms > 0 || h->fault.slow) {
		h->slowbuf = b;
		if (h->fault.latency_ms > 0)
			COUNT(C_FAULT_LATENCY);
		if (h->fault.slow)
			COUNT(C_FAULT_SLOW);
		defer(h, code, h->fault.latency_ms);
		return;
	}
	evhttp_send_reply(h->req, code, NULL, b);
	evbuffer_free(b);
	hreq_free(h);
}

void
hreq_html(struct hreq *h, int code, const char *html)
{
	hreq_reply(h, code, "text/html; charset=utf-8", html, strlen(html));
}

void
hreq_json(struct hreq *h, int code, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	hreq_reply(h, code, "application/json; charset=utf-8", s, strlen(s));
	free(s);
}

static char *
html_escape(const char *s)
{
	size_t n = 0, o = 0;
	const char *p;
	char *r;

	for (p = s; *p != '\0'; p++)
		n += strchr("<>&\"'", *p) != NULL ? 6 : 1;
	r = xcalloc(n + 1, 1);
	for (p = s; *p != '\0'; p++) {
		const char *e = NULL;

		switch (*p) {
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '&': e = "&amp;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		}
		if (e != NULL) {
			memcpy(r + o, e, strlen(e));
			o += strlen(e);
		} else
			r[o++] = *p;
	}
	return (r);
}

/* htmlencoded=true (the default) HTML-escapes every string of the body. */
static json_t *
json_escape(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	char *e;

	if (json_is_string(j)) {
		e = html_escape(json_string_value(j));
		json_string_set(j, e);
		free(e);
	} else if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			json_escape(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			json_escape(v);
	}
	return (j);
}

static void
envelope_send(struct hreq *h, int status, json_t *body, json_t *email,
    int forcehtml, long long lastmod)
{
	const char *he = hreq_param(h, "htmlencoded");
	int enc = forcehtml || he == NULL || !(strcmp(he, "false") == 0 ||
	    strcmp(he, "0") == 0);
	json_t *o;
	char st[16];

	if (enc && status == 200)
		json_escape(body);
	o = json_pack("{s:i,s:b,s:o,s:o}", "status", status, "htmlencoded",
	    enc, "email", email, "body", body);
	if (lastmod >= 0)
		json_object_set_new(o, "last_modified",
		    json_integer(lastmod));
	snprintf(st, sizeof(st), "%d", status);
	hreq_header_out(h, "X-Mru-Json-Status", st);
	hreq_json(h, 200, o);
}

/* HTTP 200 with the mail.ru envelope around body (stolen). */
void
hreq_envelope(struct hreq *h, int status, json_t *body)
{
	envelope_send(h, status, body, h->acct != NULL ?
	    json_string(h->acct->email) : json_null(), 0, -1);
}

void
hreq_envelope_lm(struct hreq *h, int status, json_t *body, long long lm)
{
	envelope_send(h, status, body, h->acct != NULL ?
	    json_string(h->acct->email) : json_null(), 0, lm);
}

/*
 * Error envelope. aj hosts echo an empty email; web "user" has null;
 * web "token"/"nosdc" carry the address.
 */
void
hreq_error(struct hreq *h, int status, const char *body)
{
	json_t *email;

	if (h->aj)
		email = json_string("");
	else if (h->acct != NULL && strcmp(body, "user") != 0)
		email = json_string(h->acct->email);
	else
		email = json_null();
	envelope_send(h, status, json_string(body), email, 1, -1);
}

/*
 * A client that reached us as host:port (curl --resolve) keeps that port
 * on redirects to our other hosts, so following Location stays here.
 */
void
hreq_redirect(struct hreq *h, const char *loc)
{
	const char *hs = loc + 8, *he;
	char *fixed = NULL;
	size_t hl;

	if (h->hostport[0] != '\0' && strncmp(loc, "https://", 8) == 0) {
		he = hs + strcspn(hs, "/?#");
		hl = (size_t)(he - hs);
		if (memchr(hs, ':', hl) == NULL && ((hl > 8 &&
		    strncmp(he - 8, ".mail.ru", 8) == 0) || (hl ==
		    strlen(DEF_IPECHO_HOST) && strncmp(hs, DEF_IPECHO_HOST,
		    hl) == 0)))
			fixed = xasprintf("https://%.*s%s%s", (int)hl, hs,
			    h->hostport, he);
	}
	hreq_header_out(h, "Location", fixed != NULL ? fixed : loc);
	free(fixed);
	hreq_html(h, 302, "<html><body>Redirect...</body></html>");
}

/* Dispatch */

static void
ipecho(struct hreq *h)
{
	char buf[160];

	if (strcmp(h->path, "/json") == 0 ||
	    kv_get(&h->query, "format") != NULL) {
		hreq_json(h, 200, json_pack("{s:s,s:i}", "ip", h->ip, "port",
		    h->port));
		return;
	}
	snprintf(buf, sizeof(buf), "%s\n", h->ip);
	hreq_reply(h, 200, "text/plain", buf, strlen(buf));
}

static void
reset_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct deferred *d = arg;
	char key[32];
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct linger lg = { 1, 0 };

	(void)fd;
	(void)ev;
	evcon = evhttp_request_get_connection(d->h->req);
	if (evcon != NULL) {
		snprintf(key, sizeof(key), "%p", (void *)evcon);
		if (map_get(live_conns, key) != NULL) {
			bev = evhttp_connection_get_bufferevent(evcon);
			if (bev != NULL && bufferevent_getfd(bev) >= 0)
				setsockopt(bufferevent_getfd(bev), SOL_SOCKET,
				    SO_LINGER, &lg, sizeof(lg));
			/* frees the request too */
			evhttp_connection_free(evcon);
		}
	}
	deferred_done(d);
}

static void
http_dispatch(struct hreq *h)
{
	const char *host = h->host, *p = h->path;

	faults_pick(host, p, &h->fault);
	if (h->fault.reset) {
		struct deferred *d = xcalloc(1, sizeof(*d));
		struct timeval tv = { 0, 0 };

		COUNT(C_FAULT_RESET);
		d->h = h;
		d->next = deferred_head;
		if (deferred_head != NULL)
			deferred_head->prev = d;
		deferred_head = d;
		h->timer = evtimer_new(ms_base, reset_cb, d);
		evtimer_add(h->timer, &tv);
		return;
	}
	if (h->fault.err5xx) {
		COUNT(C_FAULT_5XX);
		hreq_html(h, 503, "<html><body>503 Service Unavailable"
		    "</body></html>");
		return;
	}
	if (h->fault.err429) {
		COUNT(C_FAULT_429);
		hreq_html(h, 429, "<html><body>429 Too Many Requests"
		    "</body></html>");
		return;
	}
	if (strcmp(host, "account.mail.ru") == 0)
		auth_web_account(h);
	else if (strcmp(host, "auth.mail.ru") == 0)
		auth_web_auth(h);
	else if (strcmp(host, "e.mail.ru") == 0) {
		if (strcmp(p, "/sdc") == 0)
			auth_web_sdc_host(h);
		else if (strncmp(p, "/api/v1/", 8) == 0)
			api_mail(h);
		else
			pages_mailbox(h);
	} else if (strcmp(host, "aj-https.mail.ru") == 0 ||
	    strcmp(host, "alt-aj-https.mail.ru") == 0) {
		h->aj = 1;
		if (strcmp(p, "/cgi-bin/auth") == 0)
			auth_mobile_login(h);
		else if (strncmp(p, "/api/v1/", 8) == 0)
			api_mail(h);
		else
			hreq_html(h, 404, "not found");
	} else if (strcmp(host, "o2.mail.ru") == 0)
		auth_mobile_o2(h);
	else if (strcmp(host, "portal.mail.ru") == 0)
		auth_web_navidata(h);
	else if (strcmp(host, "checklink.mail.ru") == 0 ||
	    strcmp(host, "click.mail.ru") == 0 ||
	    strcmp(host, "clicker.mail.ru") == 0)
		redirect_click(h);
	else if (strcmp(host, DEF_IPECHO_HOST) == 0)
		ipecho(h);
	else
		hreq_html(h, 404, "<html><body>unknown host</body></html>");
}

/* Build the request wrapper: host, path, query, form body, cookies, peer. */
static struct hreq *
hreq_new(struct evhttp_request *req)
{
	struct hreq *h = xcalloc(1, sizeof(*h));
	const char *uri = evhttp_request_get_uri(req), *q, *v, *ct;
	struct evkeyvalq *hdr = evhttp_request_get_input_headers(req);
	struct evkeyval *kv;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *addr = NULL, *c;
	ev_uint16_t port = 0;
	size_t i, n;

	h->req = req;
	h->method = evhttp_request_get_command(req);
	h->uri = xstrdup(uri != NULL ? uri : "/");
	if (strncmp(h->uri, "http", 4) == 0 && (c = strstr(h->uri, "://")) &&
	    (c = strchr(c + 3, '/')) != NULL)
		memmove(h->uri, c, strlen(c) + 1);
	q = strchr(h->uri, '?');
	n = q != NULL ? (size_t)(q - h->uri) : strlen(h->uri);
	h->path = url_decode(h->uri, n, 0);
	if (q != NULL)
		kv_parse(&h->query, q + 1, strlen(q + 1));
	v = evhttp_find_header(hdr, "Host");
	snprintf(h->host, sizeof(h->host), "%s", v != NULL ? v : "");
	if ((c = strchr(h->host, ':')) != NULL) {
		snprintf(h->hostport, sizeof(h->hostport), "%s", c);
		*c = '\0';
	}
	for (i = 0; h->host[i] != '\0'; i++)
		h->host[i] = (char)tolower((unsigned char)h->host[i]);
	TAILQ_FOREACH(kv, hdr, next)
		if (strcasecmp(kv->key, "Cookie") == 0)
			cookies_parse(&h->cookies, kv->value);
	ct = evhttp_find_header(hdr, "Content-Type");
	if (h->method == EVHTTP_REQ_POST && evbuffer_get_length(in) > 0 &&
	    (ct == NULL || strncasecmp(ct,
	    "application/x-www-form-urlencoded", 33) == 0)) {
		n = evbuffer_get_length(in);
		kv_parse(&h->form, (const char *)evbuffer_pullup(in, -1), n);
	}
	if (evcon != NULL) {
		evhttp_connection_get_peer(evcon, &addr, &port);
		snprintf(h->ip, sizeof(h->ip), "%s", addr ? addr : "");
		h->port = port;
	}
	return (h);
}

static void
http_gencb(struct evhttp_request *req, void *arg)
{
	struct hreq *h;

	(void)arg;
	COUNT(C_HTTP_REQUESTS);
	h = hreq_new(req);
	h->conn = conn_get(req);
	if (h->conn != NULL)
		json_object_set_new(h->conn->info, "requests", json_integer(
		    json_integer_value(json_object_get(h->conn->info,
		    "requests")) + 1));
	http_dispatch(h);
}

static struct evconnlistener *
listen_on(struct event_base *base, const char *spec, uint16_t *port)
{
	char host[128];
	uint16_t p;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	struct evconnlistener *l;

	if (parse_hostport(spec, host, sizeof(host), &p) != 0)
		return (NULL);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		sl = sizeof(*sin6);
	} else {
		fprintf(stderr, "mailsim: bad address %s\n", spec);
		return (NULL);
	}
	l = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 4096,
	    (struct sockaddr *)&ss, (int)sl);
	if (l == NULL) {
		fprintf(stderr, "mailsim: cannot listen on %s\n", spec);
		return (NULL);
	}
	sl = sizeof(ss);
	getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss, &sl);
	*port = ntohs(ss.ss_family == AF_INET ? sin->sin_port :
	    sin6->sin6_port);
	return (l);
}

/* Start the HTTPS listener. */
int
http_start(struct event_base *base, const char *spec, void *tls,
    uint16_t *port)
{
	struct evconnlistener *l;

	live_conns = map_new();
	closed_conns = json_array();
	if ((l = listen_on(base, spec, port)) == NULL)
		return (-1);
	https_srv = evhttp_new(base);
	evhttp_set_bevcb(https_srv, tls_bevcb, tls);
	evhttp_set_gencb(https_srv, http_gencb, NULL);
	evhttp_set_timeout(https_srv, 120);
	evhttp_set_allowed_methods(https_srv, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	if (evhttp_bind_listener(https_srv, l) == NULL)
		return (-1);
	return (0);
}

/* Start the plain-HTTP inspection listener; loopback addresses only. */
int
inspect_start(struct event_base *base, const char *spec, uint16_t *port)
{
	struct evconnlistener *l;

	if (strncmp(spec, "127.", 4) != 0 && strncmp(spec, "[::1]", 5) != 0 &&
	    strncmp(spec, "localhost", 9) != 0) {
		fprintf(stderr, "mailsim: --inspect must be a loopback "
		    "address\n");
		return (-1);
	}
	if (strncmp(spec, "localhost", 9) == 0)
		spec = "127.0.0.1:0";
	if ((l = listen_on(base, spec, port)) == NULL)
		return (-1);
	inspect_srv = evhttp_new(base);
	evhttp_set_gencb(inspect_srv, inspect_handle, NULL);
	evhttp_set_timeout(inspect_srv, 60);
	if (evhttp_bind_listener(inspect_srv, l) == NULL)
		return (-1);
	return (0);
}

void
http_stop(void)
{
	struct deferred *d;

	while ((d = deferred_head) != NULL) {
		deferred_head = d->next;
		hreq_free(d->h);
		free(d);
	}
	if (https_srv != NULL)
		evhttp_free(https_srv);
	if (inspect_srv != NULL)
		evhttp_free(inspect_srv);
	https_srv = inspect_srv = NULL;
	if (live_conns != NULL) {
		/* evhttp_free ran every close callback */
		map_free(live_conns, NULL);
		live_conns = NULL;
	}
	json_decref(closed_conns);
	closed_conns = NULL;
}
