/*
 * Campaign sections of the config.  config.c reads the files and hands
 * over each [campaign NAME] header and key; the values are kept raw until
 * camp_parse_finish, which checks every section completely (values, keys
 * that do not fit the kind, missing keys, cross-key rules, templates) and
 * turns each valid one into a def with the contract's canonical params.
 *
 * Canonical numbers: a whole number is a JSON integer, any other a real,
 * so "10", "10%" and "10.0" all give 10.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "campcfg.h"
#include "config.h"
#include "errlist.h"
#include "template.h"
#include "xmalloc.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define K_RESCUE	0x1
#define K_ENGAGE	0x2
#define K_WARMUP	0x4
#define K_MATCH		(K_RESCUE | K_ENGAGE)
#define K_ALL		(K_RESCUE | K_ENGAGE | K_WARMUP)

#define NAME_MAX_LEN	64
#define TEXT_MAX_LEN	200
#define DAY_S		86400

enum ck_type {
	CK_KIND,
	CK_BOOL,
	CK_SEED,
	CK_ZONE,
	CK_INT,
	CK_PERCENT,	/* "10%" or "10" */
	CK_PROB,	/* "0.6" or "60%" */
	CK_HOURS,	/* "09:00-21:00" */
	CK_WEEKDAYS,	/* "mon-fri", "mon,wed,sat" */
	CK_TEXT,
	CK_DAY,		/* YYYY-MM-DD, today or yesterday */
	CK_DATE,	/* YYYY-MM-DD */
	CK_GAP,		/* a duration in whole seconds */
	CK_DELAY,	/* "5m-2h" */
	CK_TEMPLATES,	/* comma-separated paths */
};

struct camp_key {
	const char	*name;
	enum ck_type	 type;
	int		 kinds;		/* kinds the key belongs to */
	int		 required;	/* kinds that must set it */
	const char	*json;		/* place in params ("a.b" nests) */
	const char	*def;		/* default as JSON text, or NULL */
	double		 min;
	double		 max;
	int		 min_open;	/* min itself is excluded */
	const char	*doc;
};

/* The order is the order of the keys in params. */
static const struct camp_key keys[] = {
	{ "kind", CK_KIND, K_ALL, K_ALL, NULL, NULL, 0, 0, 0,
	    "rescue, engage or warmup" },
	{ "enabled", CK_BOOL, K_ALL, 0, NULL, NULL, 0, 0, 0,
	    "no: loaded and checked but not planned" },
	{ "seed", CK_SEED, K_ALL, 0, NULL, NULL, 0, 0, 0,
	    "seed of the sampling (default: from the name)" },
	{ "time_zone", CK_ZONE, K_ALL, 0, "time_zone", NULL, 0, 0, 0,
	    "zone of dates, hours and weekdays (default: [warmd] time_zone)" },
	{ "holdout", CK_PERCENT, K_ALL, 0, "holdout", "0", 0, 100, 0,
	    "percent of active accounts that only observe" },
	{ "hours", CK_HOURS, K_ALL, 0, "hours", "null", 0, 0, 0,
	    "working hours HH:MM-HH:MM (default: all day)" },
	{ "weekdays", CK_WEEKDAYS, K_ALL, 0, "weekdays", "[1,2,3,4,5,6,7]",
	    0, 0, 0, "days work may happen on, e.g. mon-fri or mon,wed,sat" },
	{ "max_attempts", CK_INT, K_ALL, 0, "max_attempts", "5", 1, 50, 0,
	    "attempts of one job" },
	{ "subject", CK_TEXT, K_MATCH, 0, "match.subject", NULL, 0, 0, 0,
	    "find letters whose subject contains this text" },
	{ "body", CK_TEXT, K_MATCH, 0, "match.body", NULL, 0, 0, 0,
	    "find letters whose text contains this text" },
	{ "date", CK_DAY, K_MATCH, K_MATCH, "date", NULL, 0, 0, 0,
	    "day the letters were received: YYYY-MM-DD, today or yesterday" },
	{ "mark_read", CK_BOOL, K_MATCH, 0, "mark_read", "false", 0, 0, 0,
	    "also mark the letters read" },
	{ "flag", CK_BOOL, K_MATCH, 0, "flag", "false", 0, 0, 0,
	    "also flag the letters" },
	{ "percent", CK_PERCENT, K_ENGAGE, K_ENGAGE, "percent", NULL, 0, 100,
	    1, "share of active accounts that reply" },
	{ "not_spam", CK_BOOL, K_ENGAGE, 0, "not_spam", "true", 0, 0, 0,
	    "rescue the letter first when it sits in Spam" },
	{ "join_probability", CK_PROB, K_WARMUP, K_WARMUP, "join_probability",
	    NULL, 0, 1, 1, "chance an account joins on a given day" },
	{ "recipients", CK_INT, K_WARMUP, K_WARMUP, "recipients", NULL, 1,
	    1000, 0, "distinct other accounts written to per day" },
	{ "letters_start", CK_INT, K_WARMUP, K_WARMUP, "letters.start", NULL,
	    1, 10000, 0, "letters per joined account on the first day" },
	{ "letters_increase", CK_INT, K_WARMUP, 0, "letters.increase", "0",
	    0, 10000, 0, "more letters each following day" },
	{ "letters_max", CK_INT, K_WARMUP, 0, "letters.max", NULL, 1, 10000,
	    0, "most letters per day (default: letters_start)" },
	{ "letters_variance", CK_PERCENT, K_WARMUP, 0, "letters.variance",
	    "0", 0, 100, 0, "random spread of the daily count, percent" },
	{ "start_date", CK_DATE, K_WARMUP, 0, "start_date", "null", 0, 0, 0,
	    "first day (default: the day the campaign is first loaded)" },
	{ "end_date", CK_DATE, K_WARMUP, 0, "end_date", "null", 0, 0, 0,
	    "last day, inclusive (default: none)" },
	{ "min_gap", CK_GAP, K_WARMUP, 0, "min_gap_s", "600", 0, DAY_S, 0,
	    "least time between two sends of one account" },
	{ "reply_delay", CK_DELAY, K_WARMUP, 0, "reply_delay_s", "[300,7200]",
	    0, 7 * DAY_S, 0, "delay before the recipient acts, MIN-MAX" },
	{ "open_probability", CK_PROB, K_WARMUP, 0, "open_probability", "1",
	    0, 1, 0, "chance the recipient opens the letter" },
	{ "flag_probability", CK_PROB, K_WARMUP, 0, "flag_probability", "0.3",
	    0, 1, 0, "chance the recipient flags it" },
	{ "reply_probability", CK_PROB, K_WARMUP, 0, "reply_probability",
	    "0.5", 0, 1, 0, "chance the recipient replies" },
	{ "click_probability", CK_PROB, K_WARMUP, 0, "click_probability", "0",
	    0, 1, 0, "chance the recipient follows the link" },
	{ "click_anchor", CK_TEXT, K_WARMUP, 0, "click_anchor", "null", 0, 0,
	    0, "anchor text of the link to follow" },
	{ "letter_template", CK_TEMPLATES, K_WARMUP, K_WARMUP,
	    "letter_templates", NULL, 0, 0, 0,
	    "letter templates, comma-separated; each needs [subject], [body]" },
	{ "reply_template", CK_TEMPLATES, K_ENGAGE | K_WARMUP, K_ENGAGE,
	    "reply_templates", "[]", 0, 0, 0,
	    "reply templates, comma-separated; each needs [body]" },
};

#define NKEYS	nitems(keys)

/* Indexes of the keys the code refers to by name. */
enum {
	KI_KIND, KI_ENABLED, KI_SEED, KI_ZONE, KI_HOLDOUT, KI_HOURS,
	KI_WEEKDAYS, KI_MAX_ATTEMPTS, KI_SUBJECT, KI_BODY, KI_DATE,
	KI_MARK_READ, KI_FLAG, KI_PERCENT, KI_NOT_SPAM, KI_JOIN, KI_RECIPIENTS,
	KI_LSTART, KI_LINCREASE, KI_LMAX, KI_LVARIANCE, KI_START_DATE,
	KI_END_DATE, KI_MIN_GAP, KI_REPLY_DELAY, KI_OPEN, KI_FLAGP, KI_REPLYP,
	KI_CLICKP, KI_CLICK_ANCHOR, KI_LETTERS, KI_REPLIES, KI_COUNT
};

_Static_assert(KI_COUNT == nitems(keys), "key index enum and table differ");

static const char *const kind_names[] = { "rescue", "engage", "warmup" };

/* One [campaign NAME] section as read. */
struct raw_sec {
	char		*name;
	char		*file;		/* as config.c names it in errors */
	char		*dir;		/* absolute directory of the file */
	unsigned	 fileidx;
	unsigned	 line;
	char		*val[NKEYS];
	unsigned	 vline[NKEYS];
};

struct camp_parse {
	camp_err_fn	*err;
	void		*arg;
	struct raw_sec	*secs;
	size_t		 nsecs;
	int		 open;		/* a section takes keys */
};

/* The work of checking one section. */
struct check {
	struct camp_parse	*cp;
	const struct raw_sec	*sec;
	int			 kind;		/* K_*, 0: unknown */
	int			 errors;
	json_t			*v[NKEYS];	/* converted values */
	struct tmpl		**tpl[NKEYS];	/* CK_TEMPLATES: loaded */
	size_t			 ntpl[NKEYS];
};

static void __attribute__((format(printf, 6, 7)))
report(struct camp_parse *cp, unsigned fileidx, const char *file,
    unsigned line, const char *key, const char *fmt, ...)
{
	struct errlist	 el = { 0 };
	char		 msg[768];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errlist_add(&el, file, line, key, "%s", msg);
	cp->err(cp->arg, fileidx, line, el.msgs[0]);
	errlist_clear(&el);
}

/* Report about key i of the section being checked (-1: the section). */
static void __attribute__((format(printf, 4, 5)))
fail(struct check *c, unsigned line, int i, const char *fmt, ...)
{
	char	 key[160], msg[768];
	va_list	 ap;

	if (i >= 0)
		snprintf(key, sizeof(key), "campaign %s.%s", c->sec->name,
		    keys[i].name);
	else
		snprintf(key, sizeof(key), "campaign %s", c->sec->name);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(c->cp, c->sec->fileidx, c->sec->file, line, key, "%s", msg);
	c->errors++;
}

static int
key_index(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
camp_key_known(const char *name)
{
	return key_index(name) >= 0;
}

const char *
camp_key_name(size_t i, const char **doc)
{
	if (i >= NKEYS)
		return NULL;
	if (doc != NULL)
		*doc = keys[i].doc;
	return keys[i].name;
}

struct camp_parse *
camp_parse_new(camp_err_fn *err, void *arg)
{
	struct camp_parse	*cp = xcalloc(1, sizeof(*cp));

	cp->err = err;
	cp->arg = arg;
	return cp;
}

void
camp_parse_free(struct camp_parse *cp)
{
	if (cp == NULL)
		return;
	for (size_t i = 0; i < cp->nsecs; i++) {
		free(cp->secs[i].name);
		free(cp->secs[i].file);
		free(cp->secs[i].dir);
		for (size_t k = 0; k < NKEYS; k++)
			free(cp->secs[i].val[k]);
	}
	free(cp->secs);
	free(cp);
}

static int
valid_name(const char *name)
{
	size_t	 n = strlen(name);

	if (n < 1 || n > NAME_MAX_LEN)
		return 0;
	for (const char *s = name; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	return 1;
}

int
camp_parse_section(struct camp_parse *cp, unsigned fileidx, const char *file,
    const char *dir, unsigned line, const char *name)
{
	struct raw_sec	*s;

	cp->open = 0;
	if (!valid_name(name)) {
		report(cp, fileidx, file, line, "[campaign]", "name \"%.80s\" "
		    "must be 1-%d letters, digits, '.', '_' or '-'", name,
		    NAME_MAX_LEN);
		return -1;
	}
	for (size_t i = 0; i < cp->nsecs; i++) {
		if (strcmp(cp->secs[i].name, name) != 0)
			continue;
		report(cp, fileidx, file, line, NULL, "campaign \"%s\" is "
		    "defined twice: here and at %s:%u", name, cp->secs[i].file,
		    cp->secs[i].line);
		return -1;
	}
	cp->secs = xreallocarray(cp->secs, cp->nsecs + 1, sizeof(*cp->secs));
	s = &cp->secs[cp->nsecs++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->file = xstrdup(file);
	s->dir = xstrdup(dir);
	s->fileidx = fileidx;
	s->line = line;
	cp->open = 1;
	return 0;
}

void
camp_parse_key(struct camp_parse *cp, unsigned line, const char *key,
    const char *value)
{
	struct raw_sec	*s;
	char		 k[160];
	int		 i;

	if (!cp->open || cp->nsecs == 0)
		return;
	s = &cp->secs[cp->nsecs - 1];
	snprintf(k, sizeof(k), "campaign %s.%s", s->name, key);
	if ((i = key_index(key)) < 0) {
		report(cp, s->fileidx, s->file, line, k, "unknown key");
		return;
	}
	if (s->val[i] != NULL) {
		report(cp, s->fileidx, s->file, line, k, "duplicate key (first "
		    "set at line %u)", s->vline[i]);
		return;
	}
	s->val[i] = xstrdup(value);
	s->vline[i] = line;
}

/* ---- value parsers ------------------------------------------------- */

/* A number written as a whole number is an integer, anything else a real. */
static json_t *
num_json(double v)
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* Strict decimal: digits, optionally "." and digits; no sign, no exponent. */
static int
parse_decimal(const char *s, double *out)
{
	const char	*p = s;
	char		*end;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0' || p - s > 32)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(*out))
		return -1;
	return 0;
}

/* Strict non-negative integer. */
static int
parse_uint(const char *s, long long *out)
{
	char	*end;

	for (const char *p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	if (*s == '\0')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

/* "10%" or "10"; the range check is the caller's. */
static int
parse_percent(const char *s, double *out)
{
	size_t	 n = strlen(s);
	char	*copy;
	int	 rc;

	if (n > 0 && s[n - 1] == '%') {
		copy = xstrndup(s, n - 1);
		rc = parse_decimal(copy, out);
		free(copy);
		return rc;
	}
	return parse_decimal(s, out);
}

/*
 * "0.6" or "60%".  A percentage is divided by moving the decimal point in
 * the text, so "60%" gives exactly the double that "0.6" gives.
 */
static int
parse_prob(const char *s, double *out)
{
	size_t		 n = strlen(s), ni, nf, pad, len;
	const char	*dot, *frac;
	char		 ip[40], buf[80];
	double		 check;

	if (n == 0 || s[n - 1] != '%')
		return parse_decimal(s, out);
	if (n > 28 || parse_percent(s, &check) == -1)
		return -1;
	dot = memchr(s, '.', n - 1);
	ni = dot != NULL ? (size_t)(dot - s) : n - 1;
	frac = dot != NULL ? dot + 1 : "";
	nf = dot != NULL ? n - 1 - ni - 1 : 0;
	/* The integer digits, padded to at least three: "5" -> "005". */
	pad = ni < 3 ? 3 - ni : 0;
	memset(ip, '0', pad);
	memcpy(ip + pad, s, ni);
	len = pad + ni;
	snprintf(buf, sizeof(buf), "%.*s.%.2s%.*s", (int)(len - 2), ip,
	    ip + len - 2, (int)nf, frac);
	return parse_decimal(buf, out);
}

/* "H:MM" or "HH:MM", 00:00 to 24:00, into minutes; -1 if malformed. */
static int
parse_hhmm(const char *s, size_t n, int *min)
{
	int	 h = 0, m;
	size_t	 i = 0;

	while (i < n && isdigit((unsigned char)s[i]) && i < 2)
		h = h * 10 + (s[i++] - '0');
	if (i == 0 || i >= n || s[i] != ':' || n - i - 1 != 2 ||
	    !isdigit((unsigned char)s[i + 1]) ||
	    !isdigit((unsigned char)s[i + 2]))
		return -1;
	m = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	return 0;
}

/* Trim blanks of s[0..n) in place of the bounds. */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static json_t *
conv_hours(struct check *c, int i, const char *v, unsigned line)
{
	const char	*dash = strchr(v, '-'), *a = v, *b;
	size_t		 na, nb;
	int		 from, to;

	if (dash == NULL)
		goto bad;
	na = (size_t)(dash - v);
	b = dash + 1;
	nb = strlen(b);
	trim(&a, &na);
	trim(&b, &nb);
	if (parse_hhmm(a, na, &from) == -1 || parse_hhmm(b, nb, &to) == -1)
		goto bad;
	if (from >= to) {
		fail(c, line, i, "\"%s\": the start must be before the end "
		    "(hours cannot span midnight)", v);
		return NULL;
	}
	return json_pack("[ii]", from, to);
bad:
	fail(c, line, i, "\"%s\" is not a span of hours like 09:00-21:00", v);
	return NULL;
}

static int
weekday(const char *s, size_t n)
{
	static const char *const days[] = {
		"mon", "tue", "wed", "thu", "fri", "sat", "sun",
	};

	if (n != 3)
		return -1;
	for (int d = 0; d < 7; d++)
		if (strncasecmp(s, days[d], 3) == 0)
			return d + 1;
	return -1;
}

/* "mon-fri", "mon,wed,sat", "sat-sun", "fri-mon" (wraps); ISO numbers. */
static json_t *
conv_weekdays(struct check *c, int i, const char *v, unsigned line)
{
	const char	*s = v, *e, *dash, *a, *b;
	size_t		 n, na, nb;
	unsigned	 mask = 0;
	int		 from, to, d;
	json_t		*arr;

	for (;;) {
		e = strchr(s, ',');
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		a = s;
		trim(&a, &n);
		dash = memchr(a, '-', n);
		if (dash != NULL) {
			na = (size_t)(dash - a);
			b = dash + 1;
			nb = n - na - 1;
			trim(&a, &na);
			trim(&b, &nb);
		} else {
			na = n;
			b = a;
			nb = n;
		}
		if ((from = weekday(a, na)) == -1 ||
		    (to = weekday(b, nb)) == -1) {
			fail(c, line, i, "\"%s\": expected days mon, tue, wed, "
			    "thu, fri, sat, sun, or ranges like mon-fri, "
			    "separated by commas", v);
			return NULL;
		}
		for (d = from;; d = d % 7 + 1) {
			mask |= 1u << d;
			if (d == to)
				break;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
	arr = json_array();
	for (d = 1; d <= 7; d++)
		if (mask & (1u << d))
			json_array_append_new(arr, json_integer(d));
	return arr;
}

static int
valid_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int k = 0; k < 10; k++)
		if (k != 4 && k != 7 && !isdigit((unsigned char)s[k]))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0))
		return 0;
	return 1;
}

/* A duration in whole seconds within the key's range; -1 reported. */
static int
duration_s(struct check *c, int i, const char *whole, const char *v,
    unsigned line, long long *secs)
{
	unsigned	 ms;

	if (config_parse_duration(v, &ms) == -1) {
		fail(c, line, i, "\"%s\" is not a duration such as 30s, 5m, "
		    "2h or 1d", whole);
		return -1;
	}
	if (ms % 1000 != 0) {
		fail(c, line, i, "\"%s\": must be whole seconds", whole);
		return -1;
	}
	if (ms / 1000 < keys[i].min || ms / 1000 > keys[i].max) {
		fail(c, line, i, "\"%s\" is out of range %.0fs-%.0fd", whole,
		    keys[i].min, keys[i].max / DAY_S);
		return -1;
	}
	*secs = ms / 1000;
	return 0;
}

static json_t *
conv_delay(struct check *c, int i, const char *v, unsigned line)
{
	const char	*dash = strchr(v, '-');
	char		*a, *b;
	long long	 lo, hi;
	int		 rc;

	if (dash == NULL) {
		if (duration_s(c, i, v, v, line, &lo) == -1)
			return NULL;
		return json_pack("[II]", (json_int_t)lo, (json_int_t)lo);
	}
	a = xstrndup(v, (size_t)(dash - v));
	b = xstrdup(dash + 1);
	rc = duration_s(c, i, v, a, line, &lo) == -1 ||
	    duration_s(c, i, v, b, line, &hi) == -1;
	free(a);
	free(b);
	if (rc)
		return NULL;
	if (lo > hi) {
		fail(c, line, i, "\"%s\": the first must not exceed the "
		    "second", v);
		return NULL;
	}
	return json_pack("[II]", (json_int_t)lo, (json_int_t)hi);
}

static char *
resolve(const char *dir, const char *path)
{
	if (*path == '/')
		return xstrdup(path);
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return xasprintf("%s/%s", dir, path);
}

/* Load every template of a comma list; the JSON array of their paths. */
static json_t *
conv_templates(struct check *c, int i, const char *v, unsigned line)
{
	const char	*s = v, *e, *a;
	size_t		 n;
	char		*rel, *path;
	struct errlist	 el = { 0 };
	struct tmpl	*t;
	json_t		*arr = json_array(), *js;
	int		 ok = 1;

	for (;;) {
		e = strchr(s, ',');
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		a = s;
		trim(&a, &n);
		if (n == 0) {
			fail(c, line, i, "empty item in list");
			ok = 0;
			goto next;
		}
		rel = xstrndup(a, n);
		path = resolve(c->sec->dir, rel);
		free(rel);
		if ((js = json_string(path)) == NULL) {
			fail(c, line, i, "template path is not valid UTF-8");
			ok = 0;
			free(path);
			goto next;
		}
		json_array_append_new(arr, js);
		if ((t = tmpl_load(path, &el)) == NULL) {
			fail(c, line, i, "template %s has errors:", path);
			for (size_t k = 0; k < el.count; k++)
				c->cp->err(c->cp->arg, c->sec->fileidx, line,
				    el.msgs[k]);
			errlist_clear(&el);
			ok = 0;
			free(path);
			goto next;
		}
		errlist_clear(&el);
		c->tpl[i] = xreallocarray(c->tpl[i], c->ntpl[i] + 1,
		    sizeof(*c->tpl[i]));
		c->tpl[i][c->ntpl[i]++] = t;
		if (i == KI_LETTERS && !tmpl_has(t, "subject")) {
			fail(c, line, i, "template %s has no [subject] section",
			    path);
			ok = 0;
		}
		if (!tmpl_has(t, "body")) {
			fail(c, line, i, "template %s has no [body] section",
			    path);
			ok = 0;
		}
		free(path);
next:
		if (e == NULL)
			break;
		s = e + 1;
	}
	if (!ok) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *
conv_number(struct check *c, int i, const char *v, unsigned line)
{
	const struct camp_key	*k = &keys[i];
	double			 d;
	int			 rc;

	rc = k->type == CK_PERCENT ? parse_percent(v, &d) : parse_prob(v, &d);
	if (rc == -1) {
		fail(c, line, i, "\"%s\" is not %s", v, k->type == CK_PERCENT ?
		    "a percentage such as 10%" :
		    "a probability such as 0.6 or 60%");
		return NULL;
	}
	if ((k->min_open ? d <= k->min : d < k->min) || d > k->max) {
		fail(c, line, i, "\"%s\" is out of range: %s %g and %s %g%s", v,
		    k->min_open ? "more than" : "at least", k->min, "at most",
		    k->max, k->type == CK_PERCENT ? " percent" : "");
		return NULL;
	}
	return num_json(d);
}

/* Convert the raw value of key i; NULL when it was rejected (reported). */
static json_t *
convert(struct check *c, int i, const char *v, unsigned line)
{
	const struct camp_key	*k = &keys[i];
	char			 why[384];
	long long		 n;
	int			 b;
	json_t			*js;

	if (*v == '\0') {
		fail(c, line, i, "must not be empty (leave the key out for "
		    "the default)");
		return NULL;
	}
	switch (k->type) {
	case CK_KIND:
		for (size_t j = 0; j < nitems(kind_names); j++)
			if (strcmp(v, kind_names[j]) == 0)
				return json_string(v);
		fail(c, line, i, "\"%s\" is not rescue, engage or warmup", v);
		return NULL;
	case CK_BOOL:
		if (config_parse_bool(v, &b) == -1) {
			fail(c, line, i, "\"%s\" is not yes/no, true/false, "
			    "on/off or 1/0", v);
			return NULL;
		}
		return json_boolean(b);
	case CK_SEED:
		if (parse_uint(v, &n) == -1) {
			fail(c, line, i, "\"%s\" is not an integer from 0 to "
			    "%lld", v, LLONG_MAX);
			return NULL;
		}
		return json_integer(n);
	case CK_ZONE:
		if (config_check_time_zone(v, why, sizeof(why)) == -1) {
			fail(c, line, i, "%s", why);
			return NULL;
		}
		return json_string(v);
	case CK_INT:
		if (parse_uint(v, &n) == -1 || n < k->min || n > k->max) {
			fail(c, line, i, "\"%s\" is not an integer from %.0f "
			    "to %.0f", v, k->min, k->max);
			return NULL;
		}
		return json_integer(n);
	case CK_PERCENT:
	case CK_PROB:
		return conv_number(c, i, v, line);
	case CK_HOURS:
		return conv_hours(c, i, v, line);
	case CK_WEEKDAYS:
		return conv_weekdays(c, i, v, line);
	case CK_TEXT:
		if (strlen(v) > TEXT_MAX_LEN) {
			fail(c, line, i, "longer than %d bytes", TEXT_MAX_LEN);
			return NULL;
		}
		if ((js = json_string(v)) == NULL)
			fail(c, line, i, "not valid UTF-8");
		return js;
	case CK_DAY:
		if (strcasecmp(v, "today") == 0)
			return json_string("today");
		if (strcasecmp(v, "yesterday") == 0)
			return json_string("yesterday");
		/* FALLTHROUGH */
	case CK_DATE:
		if (!valid_date(v)) {
			fail(c, line, i, "\"%s\" is not a date YYYY-MM-DD%s", v,
			    k->type == CK_DAY ? ", today or yesterday" : "");
			return NULL;
		}
		return json_string(v);
	case CK_GAP:
		if (duration_s(c, i, v, v, line, &n) == -1)
			return NULL;
		return json_integer(n);
	case CK_DELAY:
		return conv_delay(c, i, v, line);
	case CK_TEMPLATES:
		return conv_templates(c, i, v, line);
	}
	return NULL;
}

/* ---- checking a section -------------------------------------------- */

static int
kind_bit(const char *kind)
{
	for (size_t j = 0; j < nitems(kind_names); j++)
		if (strcmp(kind, kind_names[j]) == 0)
			return 1 << j;
	return 0;
}

static const char *
kind_name(int bit)
{
	for (size_t j = 0; j < nitems(kind_names); j++)
		if (bit == 1 << j)
			return kind_names[j];
	return "?";
}

/* Where key i was set, or the section header when it was not. */
static unsigned
line_of(const struct check *c, int i)
{
	return c->sec->val[i] != NULL ? c->sec->vline[i] : c->sec->line;
}

static double
num(const struct check *c, int i)
{
	json_t	*js = c->v[i];

	if (js == NULL && keys[i].def != NULL) {
		double	 d;

		js = json_loads(keys[i].def, JSON_DECODE_ANY, NULL);
		d = json_number_value(js);
		json_decref(js);
		return d;
	}
	return json_number_value(js);
}

/* Rules that involve more than one key, on values that passed alone. */
static void
cross_check(struct check *c)
{
	const struct raw_sec	*s = c->sec;
	int			 bad[NKEYS];

	for (size_t i = 0; i < NKEYS; i++)
		bad[i] = s->val[i] != NULL && c->v[i] == NULL;
	if (c->kind & K_MATCH) {
		if (s->val[KI_SUBJECT] != NULL && s->val[KI_BODY] != NULL) {
			int later = s->vline[KI_SUBJECT] > s->vline[KI_BODY] ?
			    KI_SUBJECT : KI_BODY;

			fail(c, s->vline[later], later, "set subject or body, "
			    "not both");
		} else if (s->val[KI_SUBJECT] == NULL &&
		    s->val[KI_BODY] == NULL)
			fail(c, s->line, -1, "missing subject or body: the "
			    "text that finds the letters");
	}
	if (c->kind != K_WARMUP)
		return;
	if (!bad[KI_CLICKP] && num(c, KI_CLICKP) > 0 &&
	    s->val[KI_CLICK_ANCHOR] == NULL)
		fail(c, line_of(c, KI_CLICKP), KI_CLICKP, "is more than 0 "
		    "but click_anchor is not set");
	if (!bad[KI_REPLYP] && num(c, KI_REPLYP) > 0 &&
	    s->val[KI_REPLIES] == NULL)
		fail(c, line_of(c, KI_REPLYP), KI_REPLYP, "is %g%s but "
		    "reply_template is not set (set reply_probability = 0 for "
		    "no replies)", num(c, KI_REPLYP),
		    s->val[KI_REPLYP] == NULL ? " (the default)" : "");
	if (s->val[KI_LMAX] == NULL && s->val[KI_LINCREASE] != NULL &&
	    !bad[KI_LINCREASE] && num(c, KI_LINCREASE) > 0)
		fail(c, s->vline[KI_LINCREASE], KI_LINCREASE, "letters_max "
		    "must be set when letters_increase is more than 0");
	if (c->v[KI_LMAX] != NULL && c->v[KI_LSTART] != NULL &&
	    num(c, KI_LMAX) < num(c, KI_LSTART))
		fail(c, s->vline[KI_LMAX], KI_LMAX, "must not be less than "
		    "letters_start");
	if (c->v[KI_START_DATE] != NULL && c->v[KI_END_DATE] != NULL &&
	    strcmp(json_string_value(c->v[KI_END_DATE]),
	    json_string_value(c->v[KI_START_DATE])) < 0)
		fail(c, s->vline[KI_END_DATE], KI_END_DATE, "must not be "
		    "before start_date");
}

/* Put value at path "a" or "a.b" of obj (steals value). */
static void
put_path(json_t *obj, const char *path, json_t *value)
{
	const char	*dot = strchr(path, '.');
	json_t		*sub;
	char		*head;

	if (dot == NULL) {
		json_object_set_new(obj, path, value);
		return;
	}
	head = xstrndup(path, (size_t)(dot - path));
	if ((sub = json_object_get(obj, head)) == NULL) {
		sub = json_object();
		json_object_set_new(obj, head, sub);
	}
	free(head);
	put_path(sub, dot + 1, value);
}

/* 64-bit FNV-1a of the name, masked to 63 bits (bigint, never negative). */
static long long
name_seed(const char *name)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return (long long)(h & 0x7fffffffffffffffULL);
}

static void
build(struct check *c, const char *tz, struct camp_def *d)
{
	const struct raw_sec	*s = c->sec;
	json_t			*params = json_object(), *js;
	const char		*base;

	d->name = xstrdup(s->name);
	d->kind = xstrdup(kind_name(c->kind));
	base = strrchr(s->file, '/');
	d->origin = xasprintf("%s/%s:%u", s->dir, base != NULL ? base + 1 :
	    s->file, s->line);
	d->enabled = c->v[KI_ENABLED] != NULL ?
	    json_is_true(c->v[KI_ENABLED]) : 1;
	d->seed = c->v[KI_SEED] != NULL ?
	    (long long)json_integer_value(c->v[KI_SEED]) : name_seed(s->name);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct camp_key *k = &keys[i];

		if (k->json == NULL || !(k->kinds & c->kind))
			continue;
		if (c->v[i] != NULL)
			js = json_incref(c->v[i]);
		else if (i == KI_ZONE)
			js = json_string(tz != NULL ? tz : "UTC");
		else if (i == KI_LMAX)
			js = json_incref(c->v[KI_LSTART]);
		else if (k->def != NULL)
			js = json_loads(k->def, JSON_DECODE_ANY, NULL);
		else	/* subject or body, whichever is unset */
			continue;
		put_path(params, k->json, js);
	}
	d->params = params;
	d->letters = c->tpl[KI_LETTERS];
	d->nletters = c->ntpl[KI_LETTERS];
	c->tpl[KI_LETTERS] = NULL;
	c->ntpl[KI_LETTERS] = 0;
	d->replies = c->tpl[KI_REPLIES];
	d->nreplies = c->ntpl[KI_REPLIES];
	c->tpl[KI_REPLIES] = NULL;
	c->ntpl[KI_REPLIES] = 0;
}

/* Check section s; 0 with *d filled when it is valid. */
static int
check_section(struct camp_parse *cp, const struct raw_sec *s, const char *tz,
    struct camp_def *d)
{
	struct check	 c;
	int		 rc;

	memset(&c, 0, sizeof(c));
	c.cp = cp;
	c.sec = s;
	if (s->val[KI_KIND] == NULL)
		fail(&c, s->line, KI_KIND, "missing; this key is required "
		    "(rescue, engage or warmup)");
	else if ((c.v[KI_KIND] = convert(&c, KI_KIND, s->val[KI_KIND],
	    s->vline[KI_KIND])) != NULL)
		c.kind = kind_bit(s->val[KI_KIND]);

	for (size_t i = 0; i < NKEYS; i++) {
		if (i == KI_KIND || s->val[i] == NULL)
			continue;
		if (c.kind != 0 && !(keys[i].kinds & c.kind)) {
			fail(&c, s->vline[i], (int)i, "not a key of %s "
			    "campaigns", kind_name(c.kind));
			continue;
		}
		c.v[i] = convert(&c, (int)i, s->val[i], s->vline[i]);
	}
	for (size_t i = 0; c.kind != 0 && i < NKEYS; i++)
		if ((keys[i].required & c.kind) && s->val[i] == NULL)
			fail(&c, s->line, (int)i, "missing; this key is "
			    "required for %s campaigns", kind_name(c.kind));
	if (c.kind != 0)
		cross_check(&c);
	rc = c.errors == 0 && c.kind != 0 ? 0 : -1;
	if (rc == 0)
		build(&c, tz, d);
	for (size_t i = 0; i < NKEYS; i++) {
		json_decref(c.v[i]);
		for (size_t j = 0; j < c.ntpl[i]; j++)
			tmpl_free(c.tpl[i][j]);
		free(c.tpl[i]);
	}
	return rc;
}

struct camp_set *
camp_parse_finish(struct camp_parse *cp, const char *tz)
{
	struct camp_set	*set = xcalloc(1, sizeof(*set));

	if (cp->nsecs > 0)
		set->defs = xcalloc(cp->nsecs, sizeof(*set->defs));
	for (size_t i = 0; i < cp->nsecs; i++)
		if (check_section(cp, &cp->secs[i], tz,
		    &set->defs[set->n]) == 0)
			set->n++;
	cp->open = 0;
	return set;
}

/* ---- the set ------------------------------------------------------- */

void
camp_set_free(struct camp_set *set)
{
	struct camp_def	*d;

	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		d = &set->defs[i];
		free(d->name);
		free(d->kind);
		free(d->origin);
		json_decref(d->params);
		for (size_t j = 0; j < d->nletters; j++)
			tmpl_free(d->letters[j]);
		free(d->letters);
		for (size_t j = 0; j < d->nreplies; j++)
			tmpl_free(d->replies[j]);
		free(d->replies);
	}
	free(set->defs);
	free(set);
}

const struct camp_def *
camp_find(const struct camp_set *set, const char *name)
{
	if (set == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->defs[i].name, name) == 0)
			return &set->defs[i];
	return NULL;
}

int
camp_params_equal(const json_t *a, const json_t *b)
{
	const char	*key;
	json_t		*va;
	double		 x, y;

	if (a == NULL || b == NULL)
		return a == b;
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		x = json_number_value(a);
		y = json_number_value(b);
		return fabs(x - y) <= 1e-12 * fmax(1.0, fmax(fabs(x), fabs(y)));
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, key, va)
			if (!camp_params_equal(va, json_object_get(b, key)))
				return 0;
		return 1;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!camp_params_equal(json_array_get(a, i),
			    json_array_get(b, i)))
				return 0;
		return 1;
	default:
		return json_equal((json_t *)a, (json_t *)b);
	}
}
