/*
 * One account's HTTP identity: a single curl easy handle reused for every
 * request of the session, with its own connection pool (a per-account
 * CURLSH holding CURL_LOCK_DATA_CONNECT), its own cookie store, its own
 * proxy and its user agent.  Accounts never share a TCP/TLS connection or
 * a proxy tunnel.  Redirects are never followed here: callers see every
 * Location and decide.
 */
#ifndef WARMD_SESSHTTP_H
#define WARMD_SESSHTTP_H

#include <stddef.h>

#include <curl/curl.h>

struct config;
struct curlev;
struct proxy;
struct mailru_req;
struct shttp;

/* What every handle of a process shares: built once per config. */
struct shttp_conf {
	struct curlev		*curl;
	char			*ca_file;
	struct curl_slist	*resolve;
	struct curl_slist	*connect_to;
	long			 connect_timeout_ms;
	long			 timeout_ms;
	size_t			 max_body;
};

/* A finished request. */
struct shttp_resp {
	CURLcode	 rc;
	long		 code;		/* HTTP status, 0 when none */
	const char	*body;		/* NUL-terminated, may contain NULs */
	size_t		 len;
	const char	*location;	/* absolute redirect target or NULL */
	const char	*error;		/* curl's message when rc != CURLE_OK */
	int		 proxy_failed;	/* the proxy, not the server, failed */
	int		 too_big;	/* body exceeded max_body */
	int		 route_open;	/* never sent: a circuit breaker refused it */
};

typedef void shttp_cb(void *arg, const struct shttp_resp *r);

/* Fill c from cfg (curl must outlive it); 0, or -1 on a bad entry. */
int	shttp_conf_init(struct shttp_conf *c, const struct config *cfg,
	    struct curlev *curl);
/* Release what shttp_conf_init allocated. */
void	shttp_conf_clear(struct shttp_conf *c);

/* A handle for one account; proxy may be NULL (direct).  NULL on failure. */
struct shttp *shttp_new(const struct shttp_conf *conf, const char *user_agent,
	    const struct proxy *proxy);
/*
 * Start req (owned from now on); cb runs once, from the loop, unless
 * shttp_cancel or shttp_free comes first.  -1 if a request is in flight.
 */
int	shttp_start(struct shttp *h, struct mailru_req *req, shttp_cb *cb,
	    void *arg);
/* Abort the request in flight, if any, without calling its callback. */
void	shttp_cancel(struct shttp *h);
/* 1 while a request is in flight. */
int	shttp_busy(const struct shttp *h);
/* Cancel, close the account's connections, free. */
void	shttp_free(struct shttp *h);

/* Current cookies as a blob (see mailru_cookies_serialize). */
char	*shttp_cookies_save(struct shttp *h);
/* Add the cookies of a blob; returns how many were taken. */
int	shttp_cookies_load(struct shttp *h, const char *blob);
/* Drop every cookie. */
void	shttp_cookies_clear(struct shttp *h);
/* Value of cookie name as host would receive it, or NULL. */
char	*shttp_cookie_get(struct shttp *h, const char *host, const char *name);
/* Requests started on this handle. */
unsigned shttp_requests(const struct shttp *h);

#endif
