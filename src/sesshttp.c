/*
 * The per-account HTTP handle.  curl 7.88.1 pools connections per multi
 * handle and matches a cached CONNECT tunnel on the proxy's host and port
 * but not its credentials (c-anchors 4.5), so two accounts behind one
 * rotating gateway could get each other's exit.  Each account therefore
 * gets a CURLSH that owns its connection cache: a connection opened for
 * one account is only ever reused by that account.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "curlev.h"
#include "log.h"
#include "mailru.h"
#include "proxy.h"
#include "sesshttp.h"
#include "xmalloc.h"

struct shttp {
	const struct shttp_conf	*conf;
	CURL			*easy;
	CURLSH			*share;
	int			 has_proxy;
	int			 busy;
	struct mailru_req	*req;		/* kept: curl borrows its strings */
	struct curl_slist	*headers;
	char			*buf;
	size_t			 len, cap;
	int			 too_big;
	char			 errbuf[CURL_ERROR_SIZE];
	shttp_cb		*cb;
	void			*arg;
	unsigned		 requests;
};

static struct curl_slist *
slist_from(char **items, size_t n)
{
	struct curl_slist	*l = NULL, *t;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if ((t = curl_slist_append(l, items[i])) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

int
shttp_conf_init(struct shttp_conf *c, const struct config *cfg,
    struct curlev *curl)
{
	memset(c, 0, sizeof(*c));
	c->curl = curl;
	c->ca_file = cfg->http.ca_file != NULL ? xstrdup(cfg->http.ca_file) :
	    NULL;
	c->connect_timeout_ms = (long)cfg->http.connect_timeout_ms;
	c->timeout_ms = (long)cfg->http.timeout_ms;
	c->max_body = cfg->http.max_body;
	if ((cfg->http.nresolve > 0 && (c->resolve = slist_from(
	    cfg->http.resolve, cfg->http.nresolve)) == NULL) ||
	    (cfg->http.nconnect_to > 0 && (c->connect_to = slist_from(
	    cfg->http.connect_to, cfg->http.nconnect_to)) == NULL)) {
		shttp_conf_clear(c);
		return -1;
	}
	return 0;
}

void
shttp_conf_clear(struct shttp_conf *c)
{
	free(c->ca_file);
	curl_slist_free_all(c->resolve);
	curl_slist_free_all(c->connect_to);
	memset(c, 0, sizeof(*c));
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct shttp	*h = arg;
	size_t		 n = size * nmemb, want;

	if (h->len + n > h->conf->max_body) {
		h->too_big = 1;
		return 0;	/* CURLE_WRITE_ERROR ends the transfer */
	}
	if (h->len + n + 1 > h->cap) {
		want = h->cap == 0 ? 4096 : h->cap;
		while (want < h->len + n + 1)
			want *= 2;
		h->buf = xreallocarray(h->buf, want, 1);
		h->cap = want;
	}
	memcpy(h->buf + h->len, ptr, n);
	h->len += n;
	h->buf[h->len] = '\0';
	return n;
}

struct shttp *
shttp_new(const struct shttp_conf *conf, const char *user_agent,
    const struct proxy *proxy)
{
	struct shttp	*h;
	char		*url;

	h = xcalloc(1, sizeof(*h));
	h->conf = conf;
	if ((h->share = curl_share_init()) == NULL ||
	    curl_share_setopt(h->share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    (h->easy = curl_easy_init()) == NULL) {
		shttp_free(h);
		return NULL;
	}
	curl_easy_setopt(h->easy, CURLOPT_SHARE, h->share);
	curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->easy, CURLOPT_COOKIEFILE, "");
	curl_easy_setopt(h->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->easy, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    conf->connect_timeout_ms);
	curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, conf->timeout_ms);
	/* h2 would multiplex; one connection per host is what a browser tab
	 * of one account looks like on HTTP/1.1 and keeps matching simple. */
	curl_easy_setopt(h->easy, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	if (conf->ca_file != NULL) {
		curl_easy_setopt(h->easy, CURLOPT_CAINFO, conf->ca_file);
		curl_easy_setopt(h->easy, CURLOPT_PROXY_CAINFO, conf->ca_file);
	}
	if (conf->resolve != NULL)
		curl_easy_setopt(h->easy, CURLOPT_RESOLVE, conf->resolve);
	if (conf->connect_to != NULL)
		curl_easy_setopt(h->easy, CURLOPT_CONNECT_TO, conf->connect_to);
	if (proxy != NULL) {
		url = proxy_url_for_curl(proxy);
		curl_easy_setopt(h->easy, CURLOPT_PROXY, url);
		free(url);
		if (proxy->user != NULL) {
			curl_easy_setopt(h->easy, CURLOPT_PROXYUSERNAME,
			    proxy->user);
			curl_easy_setopt(h->easy, CURLOPT_PROXYPASSWORD,
			    proxy->pass);
		}
		/* Even plain-http URLs go through CONNECT: the proxy then
		 * sees no request of ours, only a tunnel. */
		if (strncmp(proxy->scheme, "http", 4) == 0)
			curl_easy_setopt(h->easy, CURLOPT_HTTPPROXYTUNNEL, 1L);
		h->has_proxy = 1;
	} else
		curl_easy_setopt(h->easy, CURLOPT_PROXY, "");
	return h;
}

static int
proxy_failure(struct shttp *h, CURLcode rc)
{
	long	 cc = 0;

	if (!h->has_proxy)
		return 0;
	curl_easy_getinfo(h->easy, CURLINFO_HTTP_CONNECTCODE, &cc);
	if (cc >= 300)
		return 1;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_PROXY:
	case CURLE_COULDNT_CONNECT:	/* the proxy dials the server */
		return 1;
	default:
		return 0;
	}
}

static void
on_done(void *arg, CURL *easy, CURLcode rc)
{
	struct shttp		*h = arg;
	struct shttp_resp	 r;
	char			*loc = NULL;
	shttp_cb		*cb = h->cb;

	memset(&r, 0, sizeof(r));
	h->busy = 0;
	r.rc = rc;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.code);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &loc);
		if (r.code < 300 || r.code >= 400)
			loc = NULL;
	} else {
		r.error = h->errbuf[0] != '\0' ? h->errbuf :
		    curl_easy_strerror(rc);
		r.proxy_failed = proxy_failure(h, rc);
		r.too_big = h->too_big;
	}
	r.location = loc;
	r.body = h->buf != NULL ? h->buf : "";
	r.len = h->len;
	h->cb = NULL;
	cb(h->arg, &r);
}

int
shttp_start(struct shttp *h, struct mailru_req *req, shttp_cb *cb, void *arg)
{
	struct curl_slist	*hl = NULL;
	char			 line[512];

	if (h->busy) {
		mailru_req_free(req);
		return -1;
	}
	mailru_req_free(h->req);
	curl_slist_free_all(h->headers);
	h->req = req;
	h->len = 0;
	if (h->buf != NULL)
		h->buf[0] = '\0';
	h->too_big = 0;
	h->errbuf[0] = '\0';
	curl_easy_setopt(h->easy, CURLOPT_URL, req->url);
	if (req->method == MAILRU_POST) {
		curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
		curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE,
		    (long)(req->body != NULL ? strlen(req->body) : 0));
	} else
		curl_easy_setopt(h->easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h->easy, CURLOPT_REFERER, req->referer);
	hl = curl_slist_append(hl, "Accept-Language: ru-RU,ru;q=0.9,en;q=0.8");
	if (req->origin != NULL) {
		snprintf(line, sizeof(line), "Origin: %s", req->origin);
		hl = curl_slist_append(hl, line);
	}
	if (req->request_id != NULL) {
		snprintf(line, sizeof(line), "X-Request-Id: %s",
		    req->request_id);
		hl = curl_slist_append(hl, line);
	}
	/* curl adds "Expect: 100-continue" to large POSTs; browsers never do. */
	hl = curl_slist_append(hl, "Expect:");
	h->headers = hl;
	curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, hl);
	h->cb = cb;
	h->arg = arg;
	h->busy = 1;
	h->requests++;
	if (curlev_add(h->conf->curl, h->easy, on_done, h) == -1) {
		h->busy = 0;
		h->cb = NULL;
		return -1;
	}
	return 0;
}

void
shttp_cancel(struct shttp *h)
{
	if (h->busy) {
		curlev_remove(h->conf->curl, h->easy);
		h->busy = 0;
		h->cb = NULL;
	}
}

int
shttp_busy(const struct shttp *h)
{
	return h->busy;
}

void
shttp_free(struct shttp *h)
{
	if (h == NULL)
		return;
	if (h->easy != NULL) {
		curlev_forget(h->conf->curl, h->easy);
		curl_easy_cleanup(h->easy);
	}
	/* After the handle: a share with a user attached refuses cleanup.
	 * This closes the account's cached connections. */
	if (h->share != NULL)
		curl_share_cleanup(h->share);
	mailru_req_free(h->req);
	curl_slist_free_all(h->headers);
	free(h->buf);
	free(h);
}

char *
shttp_cookies_save(struct shttp *h)
{
	struct curl_slist	*l = NULL;
	char			*blob;

	curl_easy_getinfo(h->easy, CURLINFO_COOKIELIST, &l);
	blob = mailru_cookies_serialize(l, time(NULL));
	curl_slist_free_all(l);
	return blob;
}

static int
load_one(void *arg, const char *line)
{
	struct shttp	*h = arg;

	curl_easy_setopt(h->easy, CURLOPT_COOKIELIST, line);
	return 0;
}

int
shttp_cookies_load(struct shttp *h, const char *blob)
{
	return mailru_cookies_parse(blob, load_one, h, NULL);
}

void
shttp_cookies_clear(struct shttp *h)
{
	curl_easy_setopt(h->easy, CURLOPT_COOKIELIST, "ALL");
}

char *
shttp_cookie_get(struct shttp *h, const char *host, const char *name)
{
	struct curl_slist	*l = NULL;
	char			*v;

	curl_easy_getinfo(h->easy, CURLINFO_COOKIELIST, &l);
	v = mailru_cookie_get_list(l, host, name);
	curl_slist_free_all(l);
	return v;
}

unsigned
shttp_requests(const struct shttp *h)
{
	return h->requests;
}
