/*
 * Proxy URIs: parse the forms operators and proxy sellers write, and produce
 * one canonical URI per proxy, a redacted form that is safe to log, and the
 * credential-free URL handed to curl.  Pure string code, no I/O.
 * "socks://" is read as socks5h (see proxy.c for why).
 */
#ifndef WARMD_PROXY_H
#define WARMD_PROXY_H

/*
 * A parsed proxy.  scheme is one of "http", "https", "socks5", "socks5h";
 * host is lower-case and carries no brackets (an IPv6 literal is stored as
 * "::1"); user and pass are decoded and are either both NULL (no
 * credentials) or both set, pass possibly "".
 */
struct proxy {
	char		*scheme;
	char		*host;
	char		*user;
	char		*pass;
	unsigned	 port;
};

/* Canonical name of a supported scheme (case-insensitive), else NULL. */
const char *proxy_scheme_canon(const char *name);

/*
 * Parse in into out (scheme default_scheme, NULL = "http", for forms
 * without one); 0 on success, -1 with a short reason in *why (valid until
 * the next call in this thread; never contains credentials) and out zeroed.
 */
int	proxy_parse(const char *in, const char *default_scheme,
	    struct proxy *out, const char **why);

/* Canonical "scheme://user:pass@host:port", credentials percent-encoded. */
char	*proxy_format(const struct proxy *p);

/* As proxy_format but with the password shown as "***"; safe to log. */
char	*proxy_redacted(const struct proxy *p);

/* "scheme://host:port" for CURLOPT_PROXY; credentials go separately. */
char	*proxy_url_for_curl(const struct proxy *p);

/* Free the fields (wiping the password) and zero the struct. */
void	proxy_clear(struct proxy *p);

#endif
