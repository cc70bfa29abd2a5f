/*
 * Preflight verdicts (see preflight.h).  The rules are the practical
 * ones a receiving provider applies, not the full RFCs:
 *
 *   MX     one or more hosts: ok; a null MX ("." , RFC 7505): fail, the
 *          domain says it takes no mail, so bounces and replies are lost;
 *          no MX but A/AAAA: warn (implicit MX); nothing: fail.
 *   SPF    exactly one TXT starting "v=spf1" (RFC 7208 4.5: several is a
 *          permerror, so fail); "+all" passes everyone: fail; "?all" or
 *          no "all" at all (neutral): warn; "~all" / "-all": ok.
 *   DKIM   a TXT at the selector with a non-empty "p=": ok; missing:
 *          fail; "p=" empty means revoked (RFC 6376 3.6.1): fail; an RSA
 *          key whose base64 is shorter than a 1024-bit key's (~216
 *          characters of SubjectPublicKeyInfo) : warn.
 *   DMARC  exactly one TXT starting "v=DMARC1": "p=quarantine" or
 *          "p=reject": ok; "p=none": warn; none/several/no p: fail; no
 *          "rua=" lowers an ok to warn (no aggregate reports arrive).
 */
#define _GNU_SOURCE	/* strcasestr */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "preflight.h"

/* base64 of a 1024-bit RSA SubjectPublicKeyInfo is 216 characters. */
#define PF_RSA1024_B64	216

const char *
preflight_strverdict(enum pf_verdict v)
{
	switch (v) {
	case PF_OK:	return "ok";
	case PF_WARN:	return "warn";
	case PF_FAIL:	return "fail";
	}
	return "?";
}

static void
set(struct pf_check *c, enum pf_verdict v, const char *fmt, const char *arg)
{
	c->verdict = v;
	snprintf(c->reason, sizeof(c->reason), fmt, arg);
}

/* Does s start with prefix (case-insensitive) followed by space or end? */
static int
starts_tag(const char *s, const char *prefix)
{
	size_t	n = strlen(prefix);

	while (isspace((unsigned char)*s))
		s++;
	if (strncasecmp(s, prefix, n) != 0)
		return 0;
	return s[n] == '\0' || s[n] == ';' || isspace((unsigned char)s[n]);
}

/*
 * The value of tag "name" in a "k=v; k=v" record into out (trimmed);
 * 1 when present.
 */
static int
tag_value(const char *rec, const char *name, char *out, size_t outlen)
{
	const char	*p = rec, *e, *v;
	size_t		 n = strlen(name), len;

	while (*p != '\0') {
		while (isspace((unsigned char)*p) || *p == ';')
			p++;
		e = strchr(p, ';');
		if (e == NULL)
			e = p + strlen(p);
		if (strncasecmp(p, name, n) == 0) {
			v = p + n;
			while (v < e && isspace((unsigned char)*v))
				v++;
			if (v < e && *v == '=') {
				v++;
				len = 0;
				/* copy, dropping whitespace (folded keys) */
				for (; v < e; v++)
					if (!isspace((unsigned char)*v) &&
					    len + 1 < outlen)
						out[len++] = *v;
				out[len] = '\0';
				return 1;
			}
		}
		p = e;
	}
	return 0;
}

void
preflight_mx(const char *const *mx, size_t nmx, int has_a,
    struct pf_check *c)
{
	size_t	i;

	for (i = 0; i < nmx; i++)
		if (strcmp(mx[i], ".") == 0 || mx[i][0] == '\0') {
			set(c, PF_FAIL, "%s", "null MX: the domain accepts "
			    "no mail (replies and bounces are lost)");
			return;
		}
	if (nmx > 0)
		set(c, PF_OK, "best MX %s", mx[0]);
	else if (has_a)
		set(c, PF_WARN, "%s", "no MX, mail falls back to the "
		    "domain's A/AAAA");
	else
		set(c, PF_FAIL, "%s", "no MX and no A/AAAA record");
}

void
preflight_spf(const char *const *txt, size_t ntxt, struct pf_check *c)
{
	const char	*spf = NULL, *p;
	size_t		 i, n = 0;
	char		 q;

	for (i = 0; i < ntxt; i++)
		if (starts_tag(txt[i], "v=spf1")) {
			spf = txt[i];
			n++;
		}
	if (n == 0) {
		set(c, PF_FAIL, "%s", "no SPF record (TXT v=spf1)");
		return;
	}
	if (n > 1) {
		set(c, PF_FAIL, "%s", "multiple SPF records (permerror)");
		return;
	}
	/* find the "all" mechanism: a word [+-~?]all */
	for (p = spf; (p = strcasestr(p, "all")) != NULL; p += 3) {
		if (p[3] != '\0' && !isspace((unsigned char)p[3]))
			continue;
		q = p > spf ? p[-1] : ' ';
		if (isspace((unsigned char)q))
			q = '+';	/* bare "all" means "+all" */
		else if (strchr("+-~?", q) == NULL ||
		    (p - 1 > spf && !isspace((unsigned char)p[-2])))
			continue;
		switch (q) {
		case '+':
			set(c, PF_FAIL, "%s", "\"+all\" lets anyone send "
			    "as the domain");
			return;
		case '?':
			set(c, PF_WARN, "%s", "\"?all\" is neutral: "
			    "receivers treat it as no policy");
			return;
		case '~':
			set(c, PF_OK, "%s", "softfail (~all)");
			return;
		default:
			set(c, PF_OK, "%s", "hardfail (-all)");
			return;
		}
	}
	set(c, PF_WARN, "%s", "no \"all\" mechanism: unlisted senders "
	    "are neutral");
}

void
preflight_dkim(const char *const *txt, size_t ntxt, struct pf_check *c)
{
	char	p[4096], k[32];
	size_t	i;

	for (i = 0; i < ntxt; i++)
		if (tag_value(txt[i], "p", p, sizeof(p)))
			break;
	if (i == ntxt) {
		set(c, PF_FAIL, "%s", ntxt == 0 ? "no DKIM record at the "
		    "selector" : "TXT at the selector has no p= key");
		return;
	}
	if (p[0] == '\0') {
		set(c, PF_FAIL, "%s", "key revoked (empty p=)");
		return;
	}
	if (!tag_value(txt[i], "k", k, sizeof(k)))
		snprintf(k, sizeof(k), "rsa");
	if (strcasecmp(k, "rsa") == 0 && strlen(p) < PF_RSA1024_B64) {
		set(c, PF_WARN, "%s", "RSA key shorter than 1024 bits");
		return;
	}
	set(c, PF_OK, "%s key published", k);
}

void
preflight_dmarc(const char *const *txt, size_t ntxt, struct pf_check *c)
{
	const char	*rec = NULL;
	char		 p[32], rua[8];
	size_t		 i, n = 0;
	int		 has_rua;

	for (i = 0; i < ntxt; i++)
		if (starts_tag(txt[i], "v=DMARC1")) {
			rec = txt[i];
			n++;
		}
	if (n == 0) {
		set(c, PF_FAIL, "%s", "no DMARC record (TXT v=DMARC1 at "
		    "_dmarc)");
		return;
	}
	if (n > 1) {
		set(c, PF_FAIL, "%s", "multiple DMARC records");
		return;
	}
	has_rua = tag_value(rec, "rua", rua, sizeof(rua)) && rua[0] != '\0';
	if (!tag_value(rec, "p", p, sizeof(p))) {
		set(c, PF_FAIL, "%s", "DMARC record without p=");
		return;
	}
	if (strcasecmp(p, "none") == 0)
		set(c, PF_WARN, "%s", has_rua ? "p=none: monitoring only" :
		    "p=none: monitoring only; no rua= reports");
	else if (strcasecmp(p, "quarantine") == 0 ||
	    strcasecmp(p, "reject") == 0) {
		if (has_rua)
			set(c, PF_OK, "p=%s", p);
		else
			set(c, PF_WARN, "p=%s; no rua= reports", p);
	} else
		set(c, PF_FAIL, "unknown policy p=%s", p);
}
