/*
 * Proxy URI parsing and normalisation; see proxy.h.
 *
 * Accepted forms (surrounding blanks are ignored):
 *
 *	scheme://[user[:pass]@]host:port[/]	credentials percent-decoded
 *	host:port
 *	host:port:user:pass			pass = all after the third ':'
 *	user:pass@host:port			credentials taken literally
 *
 * host is a name, a dotted-quad IPv4 address or a bracketed IPv6 literal;
 * the port is required.  Forms without a scheme get the caller's default.
 *
 * "socks://" is accepted and means socks5h.  curl would read it as SOCKS4,
 * which warmd does not support; sellers who write it sell SOCKS5; and with
 * the "h" variant the proxy resolves names, which keeps lookups off the
 * event loop and out of the local resolver.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "xmalloc.h"

/* Longer input is not a proxy anybody typed; it bounds the work per line. */
#define PROXY_MAX_LEN		2048
#define PROXY_MAX_HOST		253
/* Scheme tokens longer than this are not echoed in the reason. */
#define PROXY_MAX_SCHEME_ECHO	16

#define WHY_BARE_V6	"malformed proxy (IPv6 addresses need [brackets])"

struct span {
	const char	*p;
	size_t		 n;
};

static const struct {
	const char	*name;
	const char	*canon;
} schemes[] = {
	{ "http",	"http" },
	{ "https",	"https" },
	{ "socks5",	"socks5" },
	{ "socks5h",	"socks5h" },
	{ "socks",	"socks5h" },
};

/*
 * Schemes named back in "unsupported scheme" reasons.  Any other token is
 * not echoed: in a line like "bob://x@host:1" it is a user name.
 */
static const char *const known_schemes[] = {
	"socks4", "socks4a", "ftp", "ftps", "sftp", "ssh", "ws", "wss",
	"tcp", "udp", "file", "smtp", "imap", "pop3", "ldap", "tls", "ssl",
	"quic", "http2", "h2", "h3", "vless", "vmess", "ss", "trojan",
};

/* The one reason that carries input (a scheme token) needs a buffer. */
static _Thread_local char why_buf[64];

static const char *find_last(const char *, int, size_t);
static void	 reset_keep_scheme(struct proxy *);
static int	 lower(int);
static int	 hexval(int);
static int	 is_alpha(int);
static int	 is_digit(int);
static int	 is_scheme_char(int);
static const char *scheme_lookup(const char *, size_t);
static const char *bad_scheme(const char *, size_t);
static int	 known_scheme(const char *, size_t);
static int	 parse_port(struct span, unsigned *, const char **);
static int	 parse_host(struct span, char **, const char **);
static int	 parse_hostport(struct span, struct proxy *, const char **);
static int	 pct_decode(struct span, char **, const char **);
static int	 parse_uri(struct span, struct proxy *, const char **);
static int	 parse_at_form(struct span, struct proxy *, const char **);
static int	 parse_colon_form(struct span, struct proxy *, const char **);
static int	 bare_ipv6(struct span);
static int	 parse_seller(struct span, struct proxy *, const char **);
static char	*build(const struct proxy *, int);

/* memrchr is a GNU extension; this file keeps to POSIX. */
static const char *
find_last(const char *s, int c, size_t n)
{
	while (n > 0)
		if (s[--n] == (char)c)
			return s + n;
	return NULL;
}

/* Undo a failed attempt at one reading, keeping the chosen scheme. */
static void
reset_keep_scheme(struct proxy *p)
{
	char	*scheme = p->scheme;

	p->scheme = NULL;
	proxy_clear(p);
	p->scheme = scheme;
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_scheme_char(int c)
{
	return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
}

static const char *
scheme_lookup(const char *s, size_t n)
{
	size_t	 i, j;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) != n)
			continue;
		for (j = 0; j < n; j++)
			if (lower((unsigned char)s[j]) != schemes[i].name[j])
				break;
		if (j == n)
			return schemes[i].canon;
	}
	return NULL;
}

const char *
proxy_scheme_canon(const char *name)
{
	if (name == NULL)
		return NULL;
	return scheme_lookup(name, strlen(name));
}

static int
known_scheme(const char *s, size_t n)
{
	size_t	 i, j;

	for (i = 0; i < sizeof(known_schemes) / sizeof(known_schemes[0]); i++) {
		if (strlen(known_schemes[i]) != n)
			continue;
		for (j = 0; j < n; j++)
			if (lower((unsigned char)s[j]) != known_schemes[i][j])
				break;
		if (j == n)
			return 1;
	}
	return 0;
}

/* Reason for an unsupported scheme; echoes it only if it is a clean token. */
static const char *
bad_scheme(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > PROXY_MAX_SCHEME_ECHO)
		return "unsupported scheme";
	for (i = 0; i < n; i++)
		if (!is_scheme_char((unsigned char)s[i]))
			return "unsupported scheme";
	snprintf(why_buf, sizeof(why_buf), "unsupported scheme \"%.*s\"",
	    (int)n, s);
	return why_buf;
}

static int
parse_port(struct span s, unsigned *port, const char **why)
{
	unsigned long	 v = 0;
	size_t		 i;

	if (s.n == 0) {
		*why = "missing port";
		return -1;
	}
	for (i = 0; i < s.n; i++) {
		if (!is_digit((unsigned char)s.p[i])) {
			*why = "malformed port";
			return -1;
		}
		/* Saturate instead of overflowing on absurdly long numbers. */
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s.p[i] - '0');
	}
	if (v == 0 || v > 65535) {
		*why = "port out of range";
		return -1;
	}
	*port = (unsigned)v;
	return 0;
}

static int
parse_host(struct span s, char **out, const char **why)
{
	char		 buf[INET6_ADDRSTRLEN + 1], *h;
	unsigned char	 addr[sizeof(struct in6_addr)];
	size_t		 i;
	int		 numeric = 1;

	if (s.n == 0) {
		*why = "missing host";
		return -1;
	}
	if (s.p[0] == '[') {
		if (s.n < 3 || s.p[s.n - 1] != ']' ||
		    s.n - 2 >= sizeof(buf)) {
			*why = "malformed IPv6 address";
			return -1;
		}
		memcpy(buf, s.p + 1, s.n - 2);
		buf[s.n - 2] = '\0';
		/* Through inet_ntop, so equal addresses compare equal. */
		if (inet_pton(AF_INET6, buf, addr) != 1 ||
		    inet_ntop(AF_INET6, addr, buf, sizeof(buf)) == NULL) {
			*why = "malformed IPv6 address";
			return -1;
		}
		*out = xstrdup(buf);
		return 0;
	}
	if (s.n > PROXY_MAX_HOST) {
		*why = "host name too long";
		return -1;
	}
	for (i = 0; i < s.n; i++) {
		int	 c = (unsigned char)s.p[i];

		if (c == ':') {
			*why = "IPv6 address needs [brackets]";
			return -1;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' &&
		    c != '_') {
			*why = "malformed host";
			return -1;
		}
		if (c == '.' && (i == 0 || s.p[i - 1] == '.')) {
			*why = "malformed host";
			return -1;
		}
		if (!is_digit(c) && c != '.')
			numeric = 0;
	}
	if (s.p[0] == '-') {
		*why = "malformed host";
		return -1;
	}
	if (numeric) {
		memcpy(buf, s.p, s.n < sizeof(buf) - 1 ? s.n : sizeof(buf) - 1);
		buf[s.n < sizeof(buf) - 1 ? s.n : sizeof(buf) - 1] = '\0';
		/* glibc refuses leading zeros: "010.1.1.1" is not octal. */
		if (s.n >= sizeof(buf) - 1 ||
		    inet_pton(AF_INET, buf, addr) != 1) {
			*why = "malformed IPv4 address";
			return -1;
		}
	}
	h = xstrndup(s.p, s.n);
	for (i = 0; i < s.n; i++)
		h[i] = (char)lower((unsigned char)h[i]);
	*out = h;
	return 0;
}

/* "host:port" or "[v6]:port" into p->host and p->port. */
static int
parse_hostport(struct span s, struct proxy *p, const char **why)
{
	struct span	 host, port;
	const char	*c;

	if (s.n > 0 && s.p[0] == '[') {
		if ((c = memchr(s.p, ']', s.n)) == NULL) {
			*why = "malformed IPv6 address";
			return -1;
		}
		host.p = s.p;
		host.n = (size_t)(c - s.p) + 1;
		if (host.n == s.n) {
			*why = "missing port";
			return -1;
		}
		if (s.p[host.n] != ':') {
			*why = "malformed proxy";
			return -1;
		}
	} else {
		if ((c = memchr(s.p, ':', s.n)) == NULL) {
			*why = s.n == 0 ? "missing host" : "missing port";
			return -1;
		}
		host.p = s.p;
		host.n = (size_t)(c - s.p);
		if (memchr(c + 1, ':', s.n - host.n - 1) != NULL) {
			*why = WHY_BARE_V6;
			return -1;
		}
	}
	port.p = s.p + host.n + 1;
	port.n = s.n - host.n - 1;
	if (parse_port(port, &p->port, why) == -1)
		return -1;
	return parse_host(host, &p->host, why);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
pct_decode(struct span s, char **out, const char **why)
{
	char	*d;
	size_t	 i, j;
	int	 hi, lo;

	d = xmalloc(s.n + 1);
	for (i = j = 0; i < s.n; i++) {
		if (s.p[i] != '%') {
			d[j++] = s.p[i];
			continue;
		}
		if (i + 2 >= s.n)
			goto bad;
		if ((hi = hexval((unsigned char)s.p[i + 1])) == -1 ||
		    (lo = hexval((unsigned char)s.p[i + 2])) == -1)
			goto bad;
		if (hi == 0 && lo == 0) {
			*why = "NUL byte in proxy credentials";
			goto fail;
		}
		d[j++] = (char)(hi << 4 | lo);
		i += 2;
	}
	d[j] = '\0';
	*out = d;
	return 0;
bad:
	*why = "malformed percent-encoding in proxy credentials";
fail:
	explicit_bzero(d, s.n + 1);
	free(d);
	return -1;
}

/* Split the "user[:pass]" before at (the '@' ending it) into u and pw. */
static void
split_creds(struct span s, const char *at, struct span *u, struct span *pw)
{
	const char	*colon;

	u->p = s.p;
	u->n = (size_t)(at - s.p);
	if ((colon = memchr(u->p, ':', u->n)) != NULL) {
		pw->p = colon + 1;
		pw->n = u->n - (size_t)(pw->p - u->p);
		u->n = (size_t)(colon - u->p);
	} else {
		pw->p = at;
		pw->n = 0;
	}
}

/* Everything after "scheme://". */
static int
parse_uri(struct span s, struct proxy *p, const char **why)
{
	struct span	 auth, hp, u, pw;
	const char	*at;

	if (s.n > 0 && s.p[s.n - 1] == '/')
		s.n--;
	if (memchr(s.p, '/', s.n) != NULL || memchr(s.p, '?', s.n) != NULL ||
	    memchr(s.p, '#', s.n) != NULL) {
		*why = "malformed proxy (path, query or fragment)";
		return -1;
	}
	auth = s;
	/* The last '@' splits: an unencoded '@' in a password still works. */
	if ((at = find_last(auth.p, '@', auth.n)) == NULL) {
		hp = auth;
		return parse_hostport(hp, p, why);
	}
	hp.p = at + 1;
	hp.n = auth.n - (size_t)(hp.p - auth.p);
	split_creds(auth, at, &u, &pw);
	if (u.n == 0) {
		*why = "empty proxy user";
		return -1;
	}
	if (parse_hostport(hp, p, why) == -1)
		return -1;
	if (pct_decode(u, &p->user, why) == -1 ||
	    pct_decode(pw, &p->pass, why) == -1)
		return -1;
	return 0;
}

/* The end of both sellers' forms: host:port, then the credentials. */
static int
set_hostport_creds(struct span hp, struct span u, struct span pw,
    struct proxy *p, const char **why)
{
	if (parse_hostport(hp, p, why) == -1)
		return -1;
	if (u.n == 0) {
		*why = "empty proxy user";
		return -1;
	}
	p->user = xstrndup(u.p, u.n);
	p->pass = xstrndup(pw.p, pw.n);
	return 0;
}

/* "user:pass@host:port" with literal credentials, split at the last '@'. */
static int
parse_at_form(struct span s, struct proxy *p, const char **why)
{
	struct span	 hp, u, pw;
	const char	*at;

	if ((at = find_last(s.p, '@', s.n)) == NULL) {
		*why = "malformed proxy";
		return -1;
	}
	hp.p = at + 1;
	hp.n = s.n - (size_t)(hp.p - s.p);
	split_creds(s, at, &u, &pw);
	return set_hostport_creds(hp, u, pw, p, why);
}

/* "host:port" or "host:port:user:pass". */
static int
parse_colon_form(struct span s, struct proxy *p, const char **why)
{
	struct span	 hp, u, pw;
	const char	*c, *end = s.p + s.n;

	/* Find the ':' that ends the port, if any. */
	c = s.p;
	if (s.n > 0 && s.p[0] == '[') {
		if ((c = memchr(s.p, ']', s.n)) == NULL) {
			*why = "malformed IPv6 address";
			return -1;
		}
	}
	if ((c = memchr(c, ':', (size_t)(end - c))) == NULL ||
	    (c = memchr(c + 1, ':', (size_t)(end - c - 1))) == NULL) {
		/* No credentials. */
		return parse_hostport(s, p, why);
	}
	hp.p = s.p;
	hp.n = (size_t)(c - s.p);
	u.p = c + 1;
	if ((c = memchr(u.p, ':', (size_t)(end - u.p))) == NULL) {
		*why = "missing proxy password (expected host:port:user:pass)";
		return -1;
	}
	u.n = (size_t)(c - u.p);
	pw.p = c + 1;
	pw.n = (size_t)(end - pw.p);
	return set_hostport_creds(hp, u, pw, p, why);
}

/* Only consulted after a failure, to explain it. */
static int
bare_ipv6(struct span s)
{
	size_t	 i, colons = 0;

	for (i = 0; i < s.n; i++) {
		if (s.p[i] == ':')
			colons++;
		else if (hexval((unsigned char)s.p[i]) == -1 && s.p[i] != '.')
			return 0;
	}
	return colons >= 3;
}

/*
 * The sellers' forms are ambiguous when a literal password holds '@' or ':'.
 * A userinfo before the last '@' with at most one ':' reads as
 * user:pass@host:port; more colons suggest host:port:user:pass with an '@'
 * in the user or password.  The other reading is tried if the first fails,
 * and the first reading's reason is reported.
 */
static int
parse_seller(struct span s, struct proxy *p, const char **why)
{
	const char	*at, *c, *why2;
	size_t		 colons = 0;
	int		 at_first;

	if ((at = find_last(s.p, '@', s.n)) == NULL) {
		if (parse_colon_form(s, p, why) == 0)
			return 0;
		if (bare_ipv6(s))
			*why = WHY_BARE_V6;
		return -1;
	}
	for (c = s.p; c < at; c++)
		if (*c == ':')
			colons++;
	at_first = colons <= 1;
	if ((at_first ? parse_at_form : parse_colon_form)(s, p, why) == 0)
		return 0;
	reset_keep_scheme(p);
	if ((at_first ? parse_colon_form : parse_at_form)(s, p, &why2) == 0)
		return 0;
	return -1;
}

int
proxy_parse(const char *in, const char *default_scheme, struct proxy *out,
    const char **why)
{
	struct span	 s;
	const char	*sep, *scheme, *dummy;
	size_t		 i;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (why == NULL)
		why = &dummy;
	s.p = in;
	s.n = strlen(in);
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	if (s.n == 0) {
		*why = "empty proxy";
		return -1;
	}
	if (s.n > PROXY_MAX_LEN) {
		*why = "proxy too long";
		return -1;
	}
	for (i = 0; i < s.n; i++) {
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f) {
			*why = "control character in proxy";
			return -1;
		}
	}

	/*
	 * Only a clean token before "://" is a scheme; otherwise the "://"
	 * belongs to a literal password in a seller's form.
	 */
	sep = strstr(s.p, "://");
	if (sep != NULL && sep + 3 <= s.p + s.n && sep > s.p &&
	    is_alpha((unsigned char)s.p[0])) {
		for (i = 1; s.p + i < sep; i++)
			if (!is_scheme_char((unsigned char)s.p[i]))
				break;
		if (s.p + i == sep) {
			if ((scheme = scheme_lookup(s.p, i)) == NULL) {
				*why = known_scheme(s.p, i) ?
				    bad_scheme(s.p, i) : "unsupported scheme";
				return -1;
			}
			out->scheme = xstrdup(scheme);
			s.n -= i + 3;
			s.p = sep + 3;
			rc = parse_uri(s, out, why);
			goto done;
		}
	}

	if (default_scheme == NULL)
		default_scheme = "http";
	if ((scheme = proxy_scheme_canon(default_scheme)) == NULL) {
		*why = bad_scheme(default_scheme, strlen(default_scheme));
		return -1;
	}
	out->scheme = xstrdup(scheme);
	rc = parse_seller(s, out, why);
done:
	if (rc == -1)
		proxy_clear(out);
	return rc;
}

static size_t
enc_len(const char *s)
{
	return s == NULL ? 0 : strlen(s) * 3;
}

static int
unreserved(int c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' ||
	    c == '_' || c == '~';
}

static char *
put_enc(char *d, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*u = (const unsigned char *)s;

	for (; *u != '\0'; u++) {
		if (unreserved(*u))
			*d++ = (char)*u;
		else {
			*d++ = '%';
			*d++ = hex[*u >> 4];
			*d++ = hex[*u & 0xf];
		}
	}
	return d;
}

/* creds: 0 none, 1 full, 2 password redacted. */
static char *
build(const struct proxy *p, int creds)
{
	char	*buf, *d;
	size_t	 len;
	int	 v6;

	len = strlen(p->scheme) + 3 + enc_len(p->user) + 1 + enc_len(p->pass) +
	    3 + 1 + strlen(p->host) + 2 + 1 + 5 + 1;
	d = buf = xmalloc(len);
	d = stpcpy(d, p->scheme);
	d = stpcpy(d, "://");
	if (creds != 0 && p->user != NULL) {
		d = put_enc(d, p->user);
		if (creds == 2)
			d = stpcpy(d, ":***");
		else if (p->pass != NULL && p->pass[0] != '\0') {
			*d++ = ':';
			d = put_enc(d, p->pass);
		}
		*d++ = '@';
	}
	v6 = strchr(p->host, ':') != NULL;
	if (v6)
		*d++ = '[';
	d = stpcpy(d, p->host);
	if (v6)
		*d++ = ']';
	snprintf(d, len - (size_t)(d - buf), ":%u", p->port);
	return buf;
}

char *
proxy_format(const struct proxy *p)
{
	return build(p, 1);
}

char *
proxy_redacted(const struct proxy *p)
{
	return build(p, 2);
}

char *
proxy_url_for_curl(const struct proxy *p)
{
	return build(p, 0);
}

void
proxy_clear(struct proxy *p)
{
	if (p->pass != NULL) {
		explicit_bzero(p->pass, strlen(p->pass));
		free(p->pass);
	}
	free(p->scheme);
	free(p->host);
	free(p->user);
	memset(p, 0, sizeof(*p));
}
