/*
 * Account-list files; see acctfile.h.
 *
 * Format notes an operator needs:
 *  - fields are separated by ';' and blanks around a field are dropped, so a
 *    password can contain neither ';' nor leading or trailing blanks;
 *  - a UTF-8 BOM, CRLF line ends, blank lines and lines starting with '#'
 *    are accepted;
 *  - the proxy field takes any form proxy.c accepts and is stored in its
 *    canonical form, so the same proxy written two ways compares equal.
 *
 * No message built here contains a field's value except a validated email
 * in duplicate warnings; a password or proxy credential in a log or an
 * error list would be a leak, and a swapped column can put a password in
 * any field.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acctfile.h"
#include "errlist.h"
#include "proxy.h"
#include "xmalloc.h"

#define ACCT_MAX_FIELDS		6
#define ACCT_MAX_EMAIL		254
#define ACCT_MAX_LOCAL		64

struct span {
	const char	*p;
	size_t		 n;
};

/* Reasons that carry a sub-reason or a count are built here. */
static _Thread_local char why_buf[192];

static int	 is_blank(int);
static int	 lower(int);
static struct span trim(struct span);
static const char *email_check(struct span);
static char	*dup_lower(struct span);
static char	*dup_or_null(struct span);
static void	 wipe_free(char *);
static uint64_t	 hash_email(const char *);
static int	 email_eq(const char *, const char *);
static void	 index_insert(struct acct_list *, size_t);
static void	 index_grow(struct acct_list *);
static const struct acct_entry *list_lookup(const struct acct_list *,
		    const char *);
static char	*read_all(int, size_t *);

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static struct span
trim(struct span s)
{
	while (s.n > 0 && is_blank((unsigned char)s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && is_blank((unsigned char)s.p[s.n - 1]))
		s.n--;
	return s;
}

/*
 * Practical address check: what a mailbox provider would accept, not all
 * of RFC 5322 (no quoted local parts, no IP-literal domains, ASCII only).
 */
static const char *
email_check(struct span s)
{
	static const char	 local_extra[] = "!#$%&'*+-/=?^_`{|}~.";
	const char		*at = NULL;
	size_t			 i, local_n, label = 0;
	int			 dot = 0;

	if (s.n > ACCT_MAX_EMAIL)
		return "malformed email: too long";
	for (i = 0; i < s.n; i++) {
		unsigned char	 c = (unsigned char)s.p[i];

		if (c == ' ' || c == '\t')
			return "malformed email: contains a space";
		if (c < 0x20 || c == 0x7f)
			return "malformed email: control character";
		if (c >= 0x80)
			return "malformed email: non-ASCII character";
		if (c == '@') {
			if (at != NULL)
				return "malformed email: more than one '@'";
			at = s.p + i;
		}
	}
	if (at == NULL)
		return "malformed email: missing '@'";
	local_n = (size_t)(at - s.p);
	if (local_n == 0)
		return "malformed email: empty local part";
	if (local_n > ACCT_MAX_LOCAL)
		return "malformed email: local part too long";
	for (i = 0; i < local_n; i++) {
		unsigned char	 c = (unsigned char)s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(local_extra, c) != NULL))
			return "malformed email: "
			    "invalid character in local part";
		if (c == '.' && (i == 0 || i == local_n - 1 ||
		    s.p[i - 1] == '.'))
			return "malformed email: misplaced '.' in local part";
	}
	if (local_n + 1 == s.n)
		return "malformed email: empty domain";
	for (i = local_n + 1; i < s.n; i++) {
		unsigned char	 c = lower((unsigned char)s.p[i]);

		if (c == '.') {
			if (label == 0 || s.p[i - 1] == '-')
				return "malformed email: malformed domain";
			dot = 1;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return "malformed email: invalid character in domain";
		if (c == '-' && label == 0)
			return "malformed email: malformed domain";
		label++;
	}
	if (label == 0 || s.p[s.n - 1] == '-')
		return "malformed email: malformed domain";
	if (!dot)
		return "malformed email: domain has no dot";
	return NULL;
}

static char *
dup_lower(struct span s)
{
	char	*d = xstrndup(s.p, s.n);
	size_t	 i;

	for (i = 0; i < s.n; i++)
		d[i] = (char)lower((unsigned char)d[i]);
	return d;
}

static char *
dup_or_null(struct span s)
{
	return s.n == 0 ? NULL : xstrndup(s.p, s.n);
}

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int
acctfile_parse_line(const char *line, size_t len, const char *default_scheme,
    struct acct_entry *out, const char **why)
{
	struct span	 s, f[ACCT_MAX_FIELDS];
	struct proxy	 px;
	const char	*c, *end, *r, *dummy;
	char		*tmp;
	size_t		 nf, i;

	if (why == NULL)
		why = &dummy;
	s.p = line;
	s.n = len;
	while (s.n > 0 && (s.p[s.n - 1] == '\n' || s.p[s.n - 1] == '\r'))
		s.n--;
	if (s.n >= 3 && memcmp(s.p, "\xef\xbb\xbf", 3) == 0) {
		s.p += 3;
		s.n -= 3;
	}
	s = trim(s);
	if (s.n == 0 || s.p[0] == '#')
		return 0;
	if (memchr(s.p, '\0', s.n) != NULL) {
		*why = "NUL byte in line";
		return -1;
	}
	/* A CR mid-line means mixed or classic-Mac line ends, not data. */
	if (memchr(s.p, '\r', s.n) != NULL ||
	    memchr(s.p, '\n', s.n) != NULL) {
		*why = "stray carriage return or line feed in line";
		return -1;
	}

	/*
	 * The user agent is the last field and runs to the end of the line:
	 * real ones contain ';' ("Windows NT 10.0; Win64; x64").
	 */
	end = s.p + s.n;
	for (nf = 0, c = s.p; nf < ACCT_MAX_FIELDS; nf++) {
		const char	*semi = nf + 1 < ACCT_MAX_FIELDS ?
		    memchr(c, ';', (size_t)(end - c)) : NULL;

		f[nf].p = c;
		f[nf].n = (size_t)((semi != NULL ? semi : end) - c);
		f[nf] = trim(f[nf]);
		if (semi == NULL) {
			nf++;
			break;
		}
		c = semi + 1;
	}
	for (i = nf; i < ACCT_MAX_FIELDS; i++) {
		f[i].p = end;
		f[i].n = 0;
	}

	if (f[0].n == 0) {
		*why = "missing email";
		return -1;
	}
	if ((r = email_check(f[0])) != NULL) {
		*why = r;
		return -1;
	}
	if (nf < 2) {
		*why = "missing password";
		return -1;
	}
	if (f[1].n == 0) {
		*why = "empty password";
		return -1;
	}

	memset(&px, 0, sizeof(px));
	if (f[2].n > 0) {
		tmp = xstrndup(f[2].p, f[2].n);
		if (proxy_parse(tmp, default_scheme, &px, &r) == -1) {
			wipe_free(tmp);
			snprintf(why_buf, sizeof(why_buf),
			    "malformed proxy: %s", r);
			*why = why_buf;
			return -1;
		}
		wipe_free(tmp);
	}

	memset(out, 0, sizeof(*out));
	out->email = dup_lower(f[0]);
	out->password = xstrndup(f[1].p, f[1].n);
	if (px.scheme != NULL) {
		out->proxy = proxy_format(&px);
		proxy_clear(&px);
	}
	out->question = dup_or_null(f[3]);
	out->answer = dup_or_null(f[4]);
	out->user_agent = dup_or_null(f[5]);
	return 1;
}

void
acctfile_entry_clear(struct acct_entry *e)
{
	free(e->email);
	wipe_free(e->password);
	wipe_free(e->proxy);
	free(e->question);
	wipe_free(e->answer);
	free(e->user_agent);
	free(e->source);
	memset(e, 0, sizeof(*e));
}

/* FNV-1a over the lower-cased address, so lookups are case-blind. */
static uint64_t
hash_email(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (uint64_t)lower((unsigned char)*s);
		h *= 1099511628211ULL;
	}
	return h;
}

static int
email_eq(const char *a, const char *b)
{
	for (; *a != '\0' && lower((unsigned char)*a) ==
	    lower((unsigned char)*b); a++, b++)
		;
	return *a == '\0' && *b == '\0';
}

static void
index_grow(struct acct_list *list)
{
	size_t	 i;

	free(list->index);
	list->index_cap = list->index_cap ? list->index_cap * 2 : 1024;
	list->index = xcalloc(list->index_cap, sizeof(*list->index));
	for (i = 0; i < list->n; i++)
		index_insert(list, i);
}

static void
index_insert(struct acct_list *list, size_t i)
{
	size_t	 mask = list->index_cap - 1, slot;

	slot = (size_t)hash_email(list->v[i].email) & mask;
	while (list->index[slot] != 0)
		slot = (slot + 1) & mask;
	list->index[slot] = i + 1;
}

static const struct acct_entry *
list_lookup(const struct acct_list *list, const char *email)
{
	size_t	 mask, slot, i;

	if (list->index_cap == 0)
		return NULL;
	mask = list->index_cap - 1;
	slot = (size_t)hash_email(email) & mask;
	while ((i = list->index[slot]) != 0) {
		if (email_eq(list->v[i - 1].email, email))
			return &list->v[i - 1];
		slot = (slot + 1) & mask;
	}
	return NULL;
}

const struct acct_entry *
acctlist_find(const struct acct_list *list, const char *email)
{
	return list_lookup(list, email);
}

/*
 * Read a whole file into one buffer: a single allocation to wipe afterwards
 * (the file is full of passwords) and no limit on line length.
 */
static char *
read_all(int fd, size_t *lenp)
{
	struct stat	 st;
	char		*buf, *nbuf;
	size_t		 cap = 65536, len = 0;
	ssize_t		 r;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size < SIZE_MAX - 1)
		cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			nbuf = xmalloc(cap * 2);
			memcpy(nbuf, buf, len);
			explicit_bzero(buf, cap);
			free(buf);
			buf = nbuf;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			explicit_bzero(buf, cap);
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*lenp = len;
	return buf;
}

int
acctfile_load(struct acct_list *list, const char *path,
    const char *default_scheme, struct errlist *errors,
    struct errlist *warnings)
{
	struct acct_entry	 e;
	const struct acct_entry	*first;
	const char		*p, *nl, *end, *why;
	char			*buf;
	size_t			 len;
	unsigned		 lineno = 0;
	int			 fd, rc, added = 0, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errlist_add(errors, path, 0, NULL, "cannot open: %s",
		    strerror(errno));
		return -1;
	}
	buf = read_all(fd, &len);
	saved = errno;
	close(fd);
	if (buf == NULL) {
		errlist_add(errors, path, 0, NULL, "cannot read: %s",
		    strerror(saved));
		return -1;
	}

	end = buf + len;
	for (p = buf; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		lineno++;
		rc = acctfile_parse_line(p, (size_t)(nl - p), default_scheme,
		    &e, &why);
		if (rc == 0)
			continue;
		if (rc == -1) {
			errlist_add(errors, path, lineno, NULL, "%s", why);
			continue;
		}
		if ((first = list_lookup(list, e.email)) != NULL) {
			errlist_add(warnings, path, lineno, NULL,
			    "duplicate email %s, first at %s; "
			    "keeping the first",
			    e.email, first->source != NULL ? first->source :
			    "an earlier entry");
			acctfile_entry_clear(&e);
			continue;
		}
		e.source = xasprintf("%s:%u", path, lineno);
		if (list->n == list->cap) {
			list->cap = list->cap ? list->cap * 2 : 256;
			list->v = xreallocarray(list->v, list->cap,
			    sizeof(*list->v));
		}
		list->v[list->n++] = e;
		if ((list->n) * 2 > list->index_cap)
			index_grow(list);
		else
			index_insert(list, list->n - 1);
		added++;
	}
	explicit_bzero(buf, len);
	free(buf);
	return added;
}

void
acctlist_free(struct acct_list *list)
{
	size_t	 i;

	for (i = 0; i < list->n; i++)
		acctfile_entry_clear(&list->v[i]);
	free(list->v);
	free(list->index);
	memset(list, 0, sizeof(*list));
}
