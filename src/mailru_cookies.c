/*
 * Cookie jar (de)serialisation for sessions kept across restarts (see
 * c-anchors.md §4.4).  The unit is the Netscape line curl exports with
 * CURLINFO_COOKIELIST and accepts with CURLOPT_COOKIELIST: seven
 * tab-separated fields, domain (maybe "#HttpOnly_"-prefixed), subdomain
 * flag, path, secure flag, expiry (0 = session cookie), name, value.  Every
 * line is validated and rewritten in one canonical form, so a damaged blob
 * or a browser's export can never inject a header or a command ("ALL",
 * "FLUSH") into curl.  See mailru.h.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "mailru.h"
#include "xmalloc.h"

#define HTTPONLY	"#HttpOnly_"
#define MAX_LINE	8192
#define NFIELDS		7

struct cookie {
	const char	*f[NFIELDS];
	size_t		 n[NFIELDS];
};

enum { C_DOMAIN, C_SUB, C_PATH, C_SECURE, C_EXPIRY, C_NAME, C_VALUE };

static int
split(const char *line, size_t len, struct cookie *c)
{
	const char	*p = line, *end = line + len, *tab;
	int		 i;

	for (i = 0; i < NFIELDS; i++) {
		tab = i < NFIELDS - 1 ? memchr(p, '\t', (size_t)(end - p)) :
		    NULL;
		if (i < NFIELDS - 1 && tab == NULL)
			return -1;
		if (tab == NULL)
			tab = end;
		c->f[i] = p;
		c->n[i] = (size_t)(tab - p);
		p = tab + 1;
	}
	/* a tab in the value would be an eighth field */
	if (memchr(c->f[C_VALUE], '\t', c->n[C_VALUE]) != NULL)
		return -1;
	return 0;
}

static int
is_bool(const char *s, size_t n, int *v)
{
	if (n == 4 && strncasecmp(s, "TRUE", 4) == 0)
		*v = 1;
	else if (n == 5 && strncasecmp(s, "FALSE", 5) == 0)
		*v = 0;
	else
		return 0;
	return 1;
}

static int
domain_ok(const char *s, size_t n)
{
	size_t	i;

	if (n >= strlen(HTTPONLY) && strncmp(s, HTTPONLY,
	    strlen(HTTPONLY)) == 0) {
		s += strlen(HTTPONLY);
		n -= strlen(HTTPONLY);
	}
	if (n == 0 || n > 253 || (n == 1 && s[0] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

static int
text_ok(const char *s, size_t n, int allow_space)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == ';')
			return 0;
		if (!allow_space && s[i] == ' ')
			return 0;
	}
	return 1;
}

/*
 * Parse an expiry: digits, and with lenient (browser exports) a decimal
 * fraction that is dropped.  -1 when it is not a time.
 */
static int64_t
expiry(const char *s, size_t n, int lenient)
{
	int64_t	t = 0;
	size_t	i;

	if (n == 0 || n > 40)
		return -1;
	for (i = 0; i < n && s[i] != '.'; i++) {
		if (s[i] < '0' || s[i] > '9' || t > (INT64_MAX - 9) / 10)
			return -1;
		t = t * 10 + (s[i] - '0');
	}
	if (i == 0)
		return -1;
	if (i < n) {
		if (!lenient || i + 1 == n)
			return -1;
		for (i++; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return -1;
	}
	return t;
}

/*
 * Validate one line and rewrite it canonically into *out.  1 valid, 0
 * expired (dropped), -1 malformed.
 */
static int
normalise(const char *line, size_t len, time_t now, int lenient, char **out)
{
	struct cookie	 c;
	int		 sub, sec;
	int64_t		 exp;

	*out = NULL;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0 || len > MAX_LINE || memchr(line, '\0', len) != NULL ||
	    split(line, len, &c) != 0)
		return -1;
	if (!domain_ok(c.f[C_DOMAIN], c.n[C_DOMAIN]) ||
	    !is_bool(c.f[C_SUB], c.n[C_SUB], &sub) ||
	    c.n[C_PATH] == 0 || c.f[C_PATH][0] != '/' ||
	    !text_ok(c.f[C_PATH], c.n[C_PATH], 0) ||
	    !is_bool(c.f[C_SECURE], c.n[C_SECURE], &sec) ||
	    (exp = expiry(c.f[C_EXPIRY], c.n[C_EXPIRY], lenient)) < 0 ||
	    c.n[C_NAME] == 0 || !text_ok(c.f[C_NAME], c.n[C_NAME], 0) ||
	    memchr(c.f[C_NAME], '=', c.n[C_NAME]) != NULL ||
	    !text_ok(c.f[C_VALUE], c.n[C_VALUE], 1))
		return -1;
	if (exp != 0 && exp < (int64_t)now)
		return 0;
	*out = xasprintf("%.*s\t%s\t%.*s\t%s\t%lld\t%.*s\t%.*s",
	    (int)c.n[C_DOMAIN], c.f[C_DOMAIN], sub ? "TRUE" : "FALSE",
	    (int)c.n[C_PATH], c.f[C_PATH], sec ? "TRUE" : "FALSE",
	    (long long)exp, (int)c.n[C_NAME], c.f[C_NAME],
	    (int)c.n[C_VALUE], c.f[C_VALUE]);
	return 1;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

char *
mailru_cookies_serialize(const struct curl_slist *lines, time_t now)
{
	const struct curl_slist	*l;
	char			*out = NULL, *line;
	size_t			 len = 0, n, cap = 0;

	for (l = lines; l != NULL; l = l->next) {
		if (l->data == NULL || normalise(l->data, strlen(l->data),
		    now, 0, &line) != 1)
			continue;
		n = strlen(line);
		if (len + n + 2 > cap) {
			cap = (len + n + 2) * 2;
			out = xreallocarray(out, cap, 1);
		}
		memcpy(out + len, line, n);
		len += n;
		out[len++] = '\n';
		out[len] = '\0';
		wipe_free(line);
	}
	return out != NULL ? out : xstrdup("");
}

/* Walk lines of text; comments and blanks only in files. */
static int
walk(const char *text, size_t len, time_t now, int file, mailru_cookie_cb cb,
    void *arg, size_t *nbad, size_t *first_bad)
{
	const char	*p = text, *end = text + len, *nl;
	char		*line;
	size_t		 n, lineno = 0, bad = 0;
	int		 good = 0, r, stop = 0;

	if (first_bad != NULL)
		*first_bad = 0;
	while (p < end && !stop) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (n > 0 && p[n - 1] == '\r' && file)
			n--;
		if (n == 0 || (file && p[0] == '#' && (n < strlen(HTTPONLY) ||
		    strncmp(p, HTTPONLY, strlen(HTTPONLY)) != 0)))
			r = 2;
		else
			r = normalise(p, n, file ? now : 0, file, &line);
		if (r == 1) {
			good++;
			stop = cb(arg, line) != 0;
			wipe_free(line);
		} else if (r == -1) {
			if (bad++ == 0 && first_bad != NULL)
				*first_bad = lineno;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (nbad != NULL)
		*nbad = bad;
	return good;
}

int
mailru_cookies_parse(const char *blob, mailru_cookie_cb cb, void *arg,
    size_t *nbad)
{
	if (nbad != NULL)
		*nbad = 0;
	if (blob == NULL)
		return 0;
	return walk(blob, strlen(blob), 0, 0, cb, arg, nbad, NULL);
}

int
mailru_cookies_file_parse(const char *text, size_t len, time_t now,
    mailru_cookie_cb cb, void *arg, size_t *nbad, size_t *first_bad)
{
	if (nbad != NULL)
		*nbad = 0;
	if (first_bad != NULL)
		*first_bad = 0;
	if (text == NULL)
		return 0;
	/* a UTF-8 byte order mark from a Windows editor */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	return walk(text, len, now, 1, cb, arg, nbad, first_bad);
}

/* Whether a cookie for domain d (flag sub) is sent to host. */
static size_t
domain_match(const char *d, size_t dn, int sub, const char *host)
{
	size_t	hn = strlen(host);

	if (dn >= strlen(HTTPONLY) && strncmp(d, HTTPONLY,
	    strlen(HTTPONLY)) == 0) {
		d += strlen(HTTPONLY);
		dn -= strlen(HTTPONLY);
	}
	if (dn > 0 && d[0] == '.') {
		d++;
		dn--;
		sub = 1;
	}
	if (dn == 0)
		return 0;
	if (hn == dn && strncasecmp(host, d, dn) == 0)
		return dn + 1;
	if (sub && hn > dn && host[hn - dn - 1] == '.' &&
	    strncasecmp(host + hn - dn, d, dn) == 0)
		return dn;
	return 0;
}

/* Keep in *best the value of the most specific matching line. */
static void
consider(const char *line, size_t len, const char *host, const char *name,
    size_t *best_len, char **best)
{
	struct cookie	c;
	size_t		m;
	int		sub;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (split(line, len, &c) != 0 || !is_bool(c.f[C_SUB], c.n[C_SUB],
	    &sub) || c.n[C_NAME] != strlen(name) ||
	    strncmp(c.f[C_NAME], name, c.n[C_NAME]) != 0)
		return;
	m = domain_match(c.f[C_DOMAIN], c.n[C_DOMAIN], sub, host);
	if (m == 0 || m <= *best_len)
		return;
	*best_len = m;
	wipe_free(*best);
	*best = xstrndup(c.f[C_VALUE], c.n[C_VALUE]);
}

char *
mailru_cookie_get(const char *blob, const char *host, const char *name)
{
	const char	*p, *nl;
	char		*best = NULL;
	size_t		 best_len = 0, n;

	if (blob == NULL || host == NULL || name == NULL)
		return NULL;
	for (p = blob; *p != '\0'; p = nl != NULL ? nl + 1 : p + n) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		consider(p, n, host, name, &best_len, &best);
	}
	return best;
}

char *
mailru_cookie_get_list(const struct curl_slist *lines, const char *host,
    const char *name)
{
	const struct curl_slist	*l;
	char			*best = NULL;
	size_t			 best_len = 0;

	if (host == NULL || name == NULL)
		return NULL;
	for (l = lines; l != NULL; l = l->next)
		if (l->data != NULL)
			consider(l->data, strlen(l->data), host, name,
			    &best_len, &best);
	return best;
}
