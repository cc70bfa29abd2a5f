/*
 * Address syntax (see addrcheck.h for the rules).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uninorm.h>
#include <unicase.h>
#include <unistr.h>

#include "addrcheck.h"

static int
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* The local part s[0..n); 0 or -1 with *why. */
static int
check_local(const char *s, size_t n, const char **why)
{
	size_t	i;

	if (n == 0)
		return *why = "empty local part", -1;
	if (n > ADDR_MAX_LOCAL)
		return *why = "local part longer than 64 octets", -1;
	if (s[0] == '"') {
		if (n < 2 || s[n - 1] != '"')
			return *why = "unterminated quoted local part", -1;
		for (i = 1; i < n - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c >= 0x80)
				return *why = "non-ASCII local part "
				    "(SMTPUTF8) not supported", -1;
			if (c == '\\') {
				if (i + 1 >= n - 1)
					return *why = "bad quoted pair in "
					    "local part", -1;
				c = (unsigned char)s[++i];
				if (c < 0x20 || c > 0x7e)
					return *why = "bad quoted pair in "
					    "local part", -1;
				continue;
			}
			if (c == '"')
				return *why = "stray quote in local part", -1;
			if (c < 0x20 || c > 0x7e)
				return *why = "control character in local "
				    "part", -1;
		}
		return 0;
	}
	if (s[0] == '.' || s[n - 1] == '.')
		return *why = "local part starts or ends with a dot", -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (s[i + 1] == '.')
				return *why = "two dots in a row in local "
				    "part", -1;
			continue;
		}
		if (c >= 0x80)
			return *why = "non-ASCII local part (SMTPUTF8) not "
			    "supported", -1;
		if (!is_atext(c))
			return *why = "invalid character in local part", -1;
	}
	return 0;
}

/* RFC 3492 bias adaptation. */
static unsigned
adapt(unsigned delta, unsigned numpoints, int first)
{
	unsigned	k = 0;

	delta = first ? delta / 700 : delta / 2;
	delta += delta / numpoints;
	while (delta > ((36 - 1) * 26) / 2) {
		delta /= 36 - 1;
		k += 36;
	}
	return k + (36 * delta) / (delta + 38);
}

static char
digit(unsigned d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

int
addrcheck_punycode(const unsigned *cp, size_t n, char *out, size_t outsz)
{
	unsigned	nn = 0x80, delta = 0, bias = 72, m, q, k, t;
	size_t		o = 0, h, b, j;

#define PUT(ch)	do { if (o + 1 >= outsz) return -1; out[o++] = (ch); } \
	while (0)
	for (j = 0; j < n; j++)
		if (cp[j] < 0x80)
			PUT((char)cp[j]);
	h = b = o;
	if (b > 0)
		PUT('-');
	while (h < n) {
		m = UINT32_MAX;
		for (j = 0; j < n; j++)
			if (cp[j] >= nn && cp[j] < m)
				m = cp[j];
		if ((uint64_t)(m - nn) * (h + 1) + delta > UINT32_MAX)
			return -1;
		delta += (m - nn) * (unsigned)(h + 1);
		nn = m;
		for (j = 0; j < n; j++) {
			if (cp[j] < nn && ++delta == 0)
				return -1;
			if (cp[j] != nn)
				continue;
			for (q = delta, k = 36;; k += 36) {
				t = k <= bias ? 1 : k >= bias + 26 ? 26 :
				    k - bias;
				if (q < t)
					break;
				PUT(digit(t + (q - t) % (36 - t)));
				q = (q - t) / (36 - t);
			}
			PUT(digit(q));
			bias = adapt(delta, (unsigned)(h + 1), h == b);
			delta = 0;
			h++;
		}
		delta++;
		nn++;
	}
	out[o] = '\0';
	return 0;
#undef PUT
}

/* Map a non-ASCII domain to A-labels in out; 0 or -1 with *why. */
static int
idn_to_ascii(const char *s, size_t n, char *out, size_t outsz,
    const char **why)
{
	uint8_t		*low;
	size_t		 lown = 0, o = 0, i, start;
	unsigned	 cps[ADDR_MAX_DOMAIN + 1];

	if (u8_check((const uint8_t *)s, n) != NULL)
		return *why = "domain is not valid UTF-8", -1;
	low = u8_tolower((const uint8_t *)s, n, NULL, UNINORM_NFC, NULL,
	    &lown);
	if (low == NULL)
		return *why = "domain cannot be normalised", -1;
	for (start = 0; start <= lown; start = i + 1) {
		size_t	ncp = 0, lab0 = o;
		int	ascii = 1;
		const uint8_t *p = low + start;

		for (i = start; i < lown && low[i] != '.'; i++)
			if (low[i] >= 0x80)
				ascii = 0;
		if (o > 0) {
			if (o + 1 >= outsz)
				goto toolong;
			out[o++] = '.';
			lab0 = o;
		}
		if (ascii) {
			if (o + (i - start) >= outsz)
				goto toolong;
			memcpy(out + o, low + start, i - start);
			o += i - start;
			continue;
		}
		while (p < low + i) {
			ucs4_t	uc;
			int	len = u8_mbtouc(&uc, p, (size_t)(low + i - p));

			if (ncp >= ADDR_MAX_DOMAIN)
				goto toolong;
			cps[ncp++] = uc;
			p += len;
		}
		if (o + 4 >= outsz)
			goto toolong;
		memcpy(out + o, "xn--", 4);
		o += 4;
		if (addrcheck_punycode(cps, ncp, out + o, outsz - o) != 0)
			goto toolong;
		o += strlen(out + o);
		if (o - lab0 > 63) {
			free(low);
			return *why = "domain label longer than 63 octets", -1;
		}
	}
	out[o] = '\0';
	free(low);
	return 0;
toolong:
	free(low);
	return *why = "domain longer than 253 octets", -1;
}

/* Check the lowercase ASCII domain d; 0 or -1 with *why. */
static int
check_domain(const char *d, const char **why)
{
	size_t		 len = strlen(d), lab = 0, nlab = 0;
	const char	*p, *top = d;
	int		 numeric = 1;

	if (len == 0)
		return *why = "empty domain", -1;
	if (len > ADDR_MAX_DOMAIN)
		return *why = "domain longer than 253 octets", -1;
	for (p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			if (lab == 0)
				return *why = "empty label in domain", -1;
			if (p[-1] == '-' || p[-(ptrdiff_t)lab] == '-')
				return *why = "domain label starts or ends "
				    "with a hyphen", -1;
			nlab++;
			if (*p == '\0')
				break;
			lab = 0;
			top = p + 1;
			continue;
		}
		if (!is_ldh((unsigned char)*p))
			return *why = "invalid character in domain", -1;
		if (++lab > 63)
			return *why = "domain label longer than 63 octets", -1;
	}
	if (nlab < 2)
		return *why = "domain has a single label", -1;
	for (p = top; *p != '\0'; p++)
		if (!(*p >= '0' && *p <= '9'))
			numeric = 0;
	if (numeric)
		return *why = "numeric top-level domain", -1;
	return 0;
}

int
addrcheck_parse(const char *s, struct addr *a, const char **why)
{
	size_t		 n = strlen(s), i, at = (size_t)-1, dn;
	int		 inq = 0, ascii = 1;
	const char	*d;

	memset(a, 0, sizeof(*a));
	*why = NULL;
	if (n == 0)
		return *why = "empty address", -1;
	if (n > ADDR_MAX_INPUT)
		return *why = "address too long", -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && inq && i + 1 < n) {
			i++;
			continue;
		}
		if (s[i] == '"' && (i == 0 || inq))
			inq = !inq;
		else if (s[i] == '@' && !inq)
			at = i;
	}
	if (at == (size_t)-1)
		return *why = "no @", -1;
	if (check_local(s, at, why) != 0)
		return -1;
	/* The '@' found last must be the only unquoted one. */
	for (i = 0; i < at && s[0] != '"'; i++)
		if (s[i] == '@')
			return *why = "more than one @", -1;
	d = s + at + 1;
	dn = n - at - 1;
	if (dn == 0)
		return *why = "empty domain", -1;
	if (d[0] == '[')
		return *why = "address literals are not supported", -1;
	if (d[dn - 1] == '.')
		return *why = "domain ends with a dot", -1;
	for (i = 0; i < dn; i++)
		if ((unsigned char)d[i] >= 0x80)
			ascii = 0;
	if (ascii) {
		if (dn > ADDR_MAX_DOMAIN)
			return *why = "domain longer than 253 octets", -1;
		for (i = 0; i < dn; i++)
			a->domain[i] = (char)(d[i] >= 'A' && d[i] <= 'Z' ?
			    d[i] - 'A' + 'a' : d[i]);
		a->domain[dn] = '\0';
	} else {
		if (idn_to_ascii(d, dn, a->domain, sizeof(a->domain),
		    why) != 0) {
			memset(a, 0, sizeof(*a));
			return -1;
		}
		a->idn = 1;
	}
	if (check_domain(a->domain, why) != 0) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	memcpy(a->local, s, at);
	a->local[at] = '\0';
	if (at + 1 + strlen(a->domain) > 254) {
		memset(a, 0, sizeof(*a));
		return *why = "address longer than 254 octets", -1;
	}
	return 0;
}
