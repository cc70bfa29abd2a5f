/*
 * Just enough RFC 5322 / MIME to file an SMTP letter: headers (unfolded,
 * RFC 2047 encoded-words in UTF-8 B and Q), addresses, the date, and the
 * first text/plain and text/html parts of a simple multipart tree with
 * quoted-printable or base64 bodies. Charsets other than UTF-8 pass as bytes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mailsim.h"

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return (s);
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+' || c == '-')
		return (62);
	if (c == '/' || c == '_')
		return (63);
	return (-1);
}

static char *
b64_decode(const char *s, size_t n)
{
	char *r = xcalloc(n + 1, 1);
	size_t i, o = 0;
	unsigned acc = 0;
	int bits = 0, v;

	for (i = 0; i < n; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			r[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	r[o] = '\0';
	return (r);
}

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = toupper(c);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Quoted-printable; header mode turns '_' into a space (RFC 2047 Q). */
static char *
qp_decode(const char *s, size_t n, int header)
{
	char *r = xcalloc(n + 1, 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '\n') {
			i++;
		} else if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' &&
		    s[i + 2] == '\n') {
			i += 2;
		} else if (s[i] == '=' && i + 2 < n + 0 && hexv(s[i + 1]) >= 0
		    && hexv(s[i + 2]) >= 0) {
			r[o++] = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
			i += 2;
		} else if (header && s[i] == '_')
			r[o++] = ' ';
		else
			r[o++] = s[i];
	}
	r[o] = '\0';
	return (r);
}

/* Decode RFC 2047 encoded-words; spaces between two of them vanish. */
char *
mime_decode_words(const char *s)
{
	size_t n = strlen(s), cap = n + 1, o = 0;
	char *r = xcalloc(cap, 1), *dec;
	const char *p = s, *q, *enc, *txt, *end, *pend = NULL;
	size_t k;

	while (*p != '\0') {
		if (p[0] == '=' && p[1] == '?' &&
		    (q = strchr(p + 2, '?')) != NULL &&
		    (q[1] == 'B' || q[1] == 'b' || q[1] == 'Q' || q[1] == 'q')
		    && q[2] == '?' && (end = strstr(q + 3, "?=")) != NULL) {
			enc = q + 1;
			txt = q + 3;
			if (pend != NULL) {
				/* drop whitespace between encoded words */
				for (k = (size_t)(pend - s); k < (size_t)(p - s);
				    k++)
					if (!isspace((unsigned char)s[k]))
						break;
				if (k == (size_t)(p - s))
					while (o > 0 && isspace((unsigned char)
					    r[o - 1]))
						o--;
			}
			dec = (*enc == 'B' || *enc == 'b') ?
			    b64_decode(txt, (size_t)(end - txt)) :
			    qp_decode(txt, (size_t)(end - txt), 1);
			k = strlen(dec);
			if (o + k + 1 > cap) {
				cap = (o + k + 1) * 2;
				r = realloc(r, cap);
				if (r == NULL)
					abort();
			}
			memcpy(r + o, dec, k);
			o += k;
			free(dec);
			p = end + 2;
			pend = p;
			continue;
		}
		if (o + 2 > cap) {
			cap *= 2;
			r = realloc(r, cap);
			if (r == NULL)
				abort();
		}
		r[o++] = *p++;
	}
	r[o] = '\0';
	return (r);
}

/* Split "Name <a@b>" / "a@b" into a decoded name and an address. */
int
mime_addr(const char *in, char **name, char **email)
{
	char *c = xstrdup(in), *lt, *gt, *n, *e;
	size_t len;

	*name = *email = NULL;
	if ((lt = strrchr(c, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		*gt = '\0';
		*lt = '\0';
		e = trim(lt + 1);
		n = trim(c);
	} else {
		e = trim(c);
		n = "";
	}
	len = strlen(n);
	if (len >= 2 && n[0] == '"' && n[len - 1] == '"') {
		n[len - 1] = '\0';
		n++;
	}
	if (strchr(e, '@') == NULL) {
		free(c);
		return (-1);
	}
	*name = mime_decode_words(n);
	*email = xstrdup(e);
	for (n = *email; *n != '\0'; n++)
		*n = (char)tolower((unsigned char)*n);
	free(c);
	return (0);
}

/* Value of a header in an unfolded block (lines end with '\n'). */
static char *
header(const char *block, const char *name)
{
	size_t nl = strlen(name);
	const char *p = block, *e;

	while (*p != '\0') {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			char *v = xcalloc((size_t)(e - p) + 1, 1), *t;

			memcpy(v, p + nl + 1, (size_t)(e - p - nl - 1));
			t = xstrdup(trim(v));
			free(v);
			return (t);
		}
		p = *e ? e + 1 : e;
	}
	return (NULL);
}

/* Parameter of a structured header value (boundary=, charset=). */
static char *
param(const char *v, const char *name)
{
	const char *p = v, *s;
	size_t nl = strlen(name), n;
	char *r;

	while ((p = strcasestr(p, name)) != NULL) {
		if ((p == v || p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t')
		    && p[nl] == '=') {
			s = p + nl + 1;
			if (*s == '"') {
				s++;
				n = strcspn(s, "\"");
			} else
				n = strcspn(s, "; \t");
			r = xcalloc(n + 1, 1);
			memcpy(r, s, n);
			return (r);
		}
		p += nl;
	}
	return (NULL);
}

/* Split an entity into an unfolded header block and its body. */
static void
split(const char *s, char **hdr, const char **body)
{
	const char *e = strstr(s, "\n\n");
	size_t n, i, o = 0;
	char *h;

	if (s[0] == '\n') {
		*hdr = xstrdup("");
		*body = s + 1;
		return;
	}
	n = e != NULL ? (size_t)(e - s) + 1 : strlen(s);
	*body = e != NULL ? e + 2 : s + strlen(s);
	h = xcalloc(n + 1, 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && i + 1 < n && (s[i + 1] == ' ' ||
		    s[i + 1] == '\t')) {
			h[o++] = ' ';
			while (i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t'))
				i++;
			continue;
		}
		h[o++] = s[i];
	}
	h[o] = '\0';
	*hdr = h;
}

static void
entity(const char *hdr, const char *body, size_t blen, struct parsed *p,
    int depth)
{
	char *ct = header(hdr, "Content-Type"), *cte, *b, *dec, *marker;
	char *part, *phdr;
	const char *s, *e, *pb;

	if (ct == NULL)
		ct = xstrdup("text/plain");
	if (strncasecmp(ct, "multipart/", 10) == 0 && depth < 8 &&
	    (b = param(ct, "boundary")) != NULL) {
		marker = xasprintf("--%s", b);
		s = strstr(body, marker);
		while (s != NULL) {
			s += strlen(marker);
			if (s[0] == '-' && s[1] == '-')
				break;
			s = strchr(s, '\n');
			if (s == NULL)
				break;
			s++;
			e = strstr(s, marker);
			if (e == NULL)
				e = s + strlen(s);
			part = xcalloc((size_t)(e - s) + 1, 1);
			memcpy(part, s, (size_t)(e - s));
			split(part, &phdr, &pb);
			entity(phdr, pb, strlen(pb), p, depth + 1);
			free(phdr);
			free(part);
			s = *e ? e : NULL;
		}
		free(marker);
		free(b);
		free(ct);
		return;
	}
	cte = header(hdr, "Content-Transfer-Encoding");
	if (cte != NULL && strcasecmp(cte, "base64") == 0)
		dec = b64_decode(body, blen);
	else if (cte != NULL && strcasecmp(cte, "quoted-printable") == 0)
		dec = qp_decode(body, blen, 0);
	else {
		dec = xcalloc(blen + 1, 1);
		memcpy(dec, body, blen);
	}
	if (strncasecmp(ct, "text/html", 9) == 0 && p->html == NULL)
		p->html = dec;
	else if (strncasecmp(ct, "text/plain", 10) == 0 && p->text == NULL)
		p->text = dec;
	else
		free(dec);
	free(cte);
	free(ct);
}

static int64_t
parse_date(const char *v)
{
	struct tm tm;
	const char *s = v, *r;
	long off;

	if (v == NULL)
		return (0);
	if (strchr(s, ',') != NULL)
		s = strchr(s, ',') + 1;
	memset(&tm, 0, sizeof(tm));
	r = strptime(s, " %d %b %Y %H:%M:%S %z", &tm);
	if (r == NULL) {
		memset(&tm, 0, sizeof(tm));
		if (strptime(s, " %d %b %Y %H:%M:%S", &tm) == NULL)
			return (0);
	}
	/* timegm() normalises tm and clears tm_gmtoff: read it first */
	off = tm.tm_gmtoff;
	return ((int64_t)timegm(&tm) - off);
}

/* Parse a raw letter (CRLF or LF). */
int
mime_parse(const char *raw, size_t len, struct parsed *p)
{
	char *s = xcalloc(len + 1, 1), *hdr, *v;
	const char *body;
	size_t i, o = 0;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < len; i++)
		if (!(raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n'))
			s[o++] = raw[i];
	s[o] = '\0';
	split(s, &hdr, &body);
	if ((v = header(hdr, "Subject")) != NULL) {
		p->subject = mime_decode_words(v);
		free(v);
	}
	if ((v = header(hdr, "From")) != NULL) {
		mime_addr(v, &p->from_name, &p->from_email);
		free(v);
	}
	p->to = header(hdr, "To");
	p->cc = header(hdr, "Cc");
	p->message_id = header(hdr, "Message-ID");
	p->in_reply_to = header(hdr, "In-Reply-To");
	p->references = header(hdr, "References");
	v = header(hdr, "Date");
	p->date = parse_date(v);
	free(v);
	entity(hdr, body, strlen(body), p, 0);
	free(hdr);
	free(s);
	return (0);
}

void
mime_free(struct parsed *p)
{
	free(p->from_name);
	free(p->from_email);
	free(p->to);
	free(p->cc);
	free(p->subject);
	free(p->message_id);
	free(p->in_reply_to);
	free(p->references);
	free(p->text);
	free(p->html);
	memset(p, 0, sizeof(*p));
}

/* Lowercase Latin and Cyrillic in UTF-8, for case-insensitive search. */
char *
utf8_lower(const char *s)
{
	size_t n = strlen(s), o = 0, i = 0;
	unsigned char *r = xcalloc(n + 1, 1);
	unsigned cp;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			r[o++] = (unsigned char)(c >= 'A' && c <= 'Z' ?
			    c + 32 : c);
			i++;
		} else if ((c & 0xe0) == 0xc0 && i + 1 < n) {
			cp = ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
			if (cp >= 0x410 && cp <= 0x42f)
				cp += 0x20;
			else if (cp >= 0x400 && cp <= 0x40f)
				cp += 0x50;
			r[o++] = (unsigned char)(0xc0 | (cp >> 6));
			r[o++] = (unsigned char)(0x80 | (cp & 0x3f));
			i += 2;
		} else
			r[o++] = (unsigned char)s[i++];
	}
	r[o] = '\0';
	return ((char *)r);
}

/* Case-insensitive equality for answers typed in any script. */
int
utf8_caseeq(const char *a, const char *b)
{
	char *la = utf8_lower(a), *lb = utf8_lower(b);
	int r = strcmp(la, lb) == 0;

	free(la);
	free(lb);
	return (r);
}
