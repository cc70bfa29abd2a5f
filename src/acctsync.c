/*
 * Account list → accounts table, as a diff.
 *
 *  1. SELECT the rows that matter for the diff (no secrets: only their
 *     fingerprint, so nothing is decrypted);
 *  2. compare in C, by email, and seal only what must be written;
 *  3. apply inserts, updates and removals in one statement (data-modifying
 *     CTEs over unnest()ed arrays), so a reload lands whole or not at all.
 *
 * Between 1 and 3 the table may change under us (a second importer, an
 * operator's UPDATE): the statement re-checks the conditions it relies on,
 * and a conflicting insert makes it fail as a whole, to be re-run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/rand.h>

#include "acctfile.h"
#include "acctsync.h"
#include "log.h"
#include "loop.h"
#include "pg.h"
#include "secret.h"
#include "xmalloc.h"

/* What the files say about one mailbox (a private copy). */
struct want {
	char	*email;
	char	*password;
	char	*question;
	char	*answer;
	char	*proxy;
	char	*user_agent;
	char	*source;
	char	 fp[SECRET_FP_SIZE];
};

/* What the table says (step 1). */
struct have {
	char	*id;
	char	*email;
	char	*fp;
	char	*proxy;
	char	*user_agent;
	char	*status;
	char	*reason;
	char	*source;
	int	 seen;
};

/* A growing PostgreSQL array literal. */
struct arr {
	char	*s;
	size_t	 len;
	size_t	 cap;
	size_t	 n;
};

enum {
	I_ID, I_EMAIL, I_PW, I_FP, I_Q, I_ANS, I_UA, I_PROXY, I_SRC, I_N
};
enum {
	U_ID, U_SEC, U_PW, U_FP, U_Q, U_ANS, U_UA, U_PROXY, U_SRC, U_REACT, U_N
};

struct acctsync {
	struct pg_pool		*pool;
	struct pg_req		*req;
	struct secret_key	 key;
	struct want		*want;
	size_t			 nwant;
	struct have		*have;
	size_t			 nhave;
	char			**uas;
	size_t			 nuas;
	acctsync_cb		*cb;
	void			*arg;
	struct acctsync_counts	 counts;
	size_t			 nupdates;	/* rows of the UPDATE, incl. source-only */
	const char		*start_err;	/* why a deferred failure failed */
};

static const char *const builtin_uas[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 "
	    "Firefox/133.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
	    "(KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
	    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
};

static const char select_sql[] =
    "SELECT id, email, password_fp, proxy_uri, user_agent, status,"
    " status_reason, source FROM accounts";

/*
 * The reactivation and the removal re-check the row's state, so an operator's
 * hand-suspension made after step 1 is never undone.  A changed secret clears
 * an 'error' status: the error was most likely the old password.
 */
static const char apply_sql[] =
    "WITH ins AS ("
    " INSERT INTO accounts (id, email, password, password_fp,"
    "  recovery_question, recovery_answer, user_agent, proxy_uri, source)"
    " SELECT u.id, u.email, decode(u.pw, 'hex'), u.fp, u.q,"
    "  decode(u.ans, 'hex'), u.ua, u.proxy, u.src"
    " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],"
    "  $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])"
    "  AS u(id, email, pw, fp, q, ans, ua, proxy, src)"
    " RETURNING 1),"
    "upd AS ("
    " UPDATE accounts a SET"
    "  password = CASE WHEN u.sec THEN decode(u.pw, 'hex')"
    "   ELSE a.password END,"
    "  password_fp = CASE WHEN u.sec THEN u.fp ELSE a.password_fp END,"
    "  recovery_question = CASE WHEN u.sec THEN u.q"
    "   ELSE a.recovery_question END,"
    "  recovery_answer = CASE WHEN u.sec THEN decode(u.ans, 'hex')"
    "   ELSE a.recovery_answer END,"
    "  consecutive_failures = CASE WHEN u.sec THEN 0"
    "   ELSE a.consecutive_failures END,"
    "  user_agent = u.ua, proxy_uri = u.proxy, source = u.src,"
    "  status = CASE"
    "   WHEN u.react AND a.status = 'suspended'"
    "    AND a.status_reason = '" ACCTSYNC_REMOVED_REASON "' THEN 'active'"
    "   WHEN u.sec AND a.status = 'error' THEN 'active'"
    "   ELSE a.status END,"
    "  status_reason = CASE"
    "   WHEN u.react AND a.status = 'suspended'"
    "    AND a.status_reason = '" ACCTSYNC_REMOVED_REASON "' THEN NULL"
    "   WHEN u.sec AND a.status = 'error' THEN NULL"
    "   ELSE a.status_reason END"
    " FROM unnest($10::uuid[], $11::boolean[], $12::text[], $13::text[],"
    "  $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],"
    "  $19::boolean[])"
    "  AS u(id, sec, pw, fp, q, ans, ua, proxy, src, react)"
    " WHERE a.id = u.id"
    " RETURNING 1),"
    "rm AS ("
    " UPDATE accounts SET status = 'suspended',"
    "  status_reason = '" ACCTSYNC_REMOVED_REASON "'"
    " WHERE id = ANY ($20::uuid[]) AND status <> 'suspended'"
    " RETURNING 1)"
    "SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd),"
    " (SELECT count(*) FROM rm)";

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static char *
lowercase_dup(const char *s)
{
	char	*d = xstrdup(s);

	/* ASCII only: PostgreSQL's lower() and ours must agree on the CHECK. */
	for (char *p = d; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

static void
arr_init(struct arr *a)
{
	a->cap = 256;
	a->s = xmalloc(a->cap);
	a->s[0] = '{';
	a->s[1] = '\0';
	a->len = 1;
	a->n = 0;
}

static void
arr_putc(struct arr *a, char c)
{
	if (a->len + 2 > a->cap) {
		a->cap *= 2;
		a->s = xreallocarray(a->s, a->cap, 1);
	}
	a->s[a->len++] = c;
	a->s[a->len] = '\0';
}

/* Append an element; NULL is SQL NULL.  Quoted, so any text is safe. */
static void
arr_add(struct arr *a, const char *v)
{
	if (a->n++ > 0)
		arr_putc(a, ',');
	if (v == NULL) {
		for (const char *p = "NULL"; *p != '\0'; p++)
			arr_putc(a, *p);
		return;
	}
	arr_putc(a, '"');
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			arr_putc(a, '\\');
		arr_putc(a, *v);
	}
	arr_putc(a, '"');
}

/* Close the literal and hand it over. */
static char *
arr_finish(struct arr *a)
{
	arr_putc(a, '}');
	return a->s;
}

/* A version 4 uuid in PostgreSQL's text form (the AAD of its secrets). */
static int
uuid4(char out[37])
{
	unsigned char	b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

const char *
acctsync_pick_user_agent(const char *email, const char *const *uas, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	if (uas == NULL || n == 0) {
		uas = builtin_uas;
		n = sizeof(builtin_uas) / sizeof(builtin_uas[0]);
	}
	/* FNV-1a: fixed forever, unlike a library hash that may be reseeded. */
	for (const unsigned char *p = (const unsigned char *)email; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return uas[h % n];
}

/*
 * Append "S<len>:<bytes>" or "N" for NULL: length-prefixed, so no two
 * different (password, question, answer) triples give the same input.
 */
static void
fp_field(char **buf, size_t *len, const char *v)
{
	char	 hdr[32];
	size_t	 hl, vl = v != NULL ? strlen(v) : 0;

	if (v == NULL)
		hl = (size_t)snprintf(hdr, sizeof(hdr), "N;");
	else
		hl = (size_t)snprintf(hdr, sizeof(hdr), "S%zu:", vl);
	*buf = xreallocarray(*buf, *len + hl + vl + 1, 1);
	memcpy(*buf + *len, hdr, hl);
	if (v != NULL)
		memcpy(*buf + *len + hl, v, vl);
	*len += hl + vl;
}

static int
fingerprint(const struct secret_key *key, const struct want *w,
    char out[SECRET_FP_SIZE])
{
	static const char	 tag[] = "warmd-account-secrets-v1;";
	char			*buf = xstrdup(tag);
	size_t			 len = sizeof(tag) - 1;
	int			 rv;

	fp_field(&buf, &len, w->password);
	fp_field(&buf, &len, w->question);
	fp_field(&buf, &len, w->answer);
	rv = secret_fingerprint(key, (const unsigned char *)buf, len, out);
	explicit_bzero(buf, len);
	free(buf);
	return rv;
}

/* Seal v with id as AAD and return it hex-encoded for decode(..., 'hex'). */
static char *
seal_hex(const struct secret_key *key, const char *id, const char *v)
{
	unsigned char	*blob;
	size_t		 blen;
	char		*hex;

	if (v == NULL)
		return NULL;
	blob = secret_seal(key, (const unsigned char *)id, strlen(id),
	    (const unsigned char *)v, strlen(v), &blen);
	if (blob == NULL)
		return NULL;
	hex = xmalloc(blen * 2 + 1);
	for (size_t i = 0; i < blen; i++) {
		hex[2 * i] = "0123456789abcdef"[blob[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[blob[i] & 0x0f];
	}
	hex[2 * blen] = '\0';
	free(blob);
	return hex;
}

static int
want_cmp(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->email,
	    ((const struct want *)b)->email);
}

static int
have_cmp(const void *a, const void *b)
{
	return strcmp(((const struct have *)a)->email,
	    ((const struct have *)b)->email);
}

/* Free one wanted account, wiping its secrets. */
static void
want_clear(struct want *w)
{
	free(w->email);
	wipe_free(w->password);
	free(w->question);
	wipe_free(w->answer);
	/* Proxy URIs may carry credentials. */
	wipe_free(w->proxy);
	free(w->user_agent);
	free(w->source);
}

static void
sync_free(struct acctsync *s)
{
	for (size_t i = 0; i < s->nwant; i++)
		want_clear(&s->want[i]);
	free(s->want);
	for (size_t i = 0; i < s->nhave; i++) {
		struct have	*h = &s->have[i];

		free(h->id);
		free(h->email);
		free(h->fp);
		wipe_free(h->proxy);
		free(h->user_agent);
		free(h->status);
		free(h->reason);
		free(h->source);
	}
	free(s->have);
	for (size_t i = 0; i < s->nuas; i++)
		free(s->uas[i]);
	free(s->uas);
	explicit_bzero(&s->key, sizeof(s->key));
	free(s);
}

static void
finish(struct acctsync *s, int ok, const char *errmsg)
{
	/* The caller reports the outcome; per-account lines were logged. */
	s->req = NULL;
	if (s->cb != NULL)
		s->cb(s->arg, ok, ok ? &s->counts : NULL, errmsg);
	sync_free(s);
}

static void
failed_start(void *arg)
{
	struct acctsync	*s = arg;

	finish(s, 0, s->start_err);
}

static const char *
status_error(enum pg_status st, const char *errmsg)
{
	static char	buf[512];
	const char	*what;

	switch (st) {
	case PG_ERROR:
		what = "the database refused the statement";
		break;
	case PG_UNKNOWN:
		what = "connection lost, outcome unknown (re-run to check)";
		break;
	case PG_UNAVAILABLE:
		what = "database unavailable";
		break;
	default:
		what = "unexpected result";
		break;
	}
	snprintf(buf, sizeof(buf), "%s%s%s", what, errmsg ? ": " : "",
	    errmsg ? errmsg : "");
	/* libpq messages end with a newline. */
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void
applied_cb(void *arg, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct acctsync	*s = arg;
	size_t		 ins, upd, rm;

	if (st != PG_OK || PQntuples(res) != 1) {
		finish(s, 0, status_error(st, errmsg));
		return;
	}
	ins = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	upd = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	rm = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
	/* Fewer rows than planned: someone changed the table meanwhile. */
	if (ins != s->counts.added || upd != s->nupdates ||
	    rm != s->counts.removed)
		log_warn("accounts sync: the table changed during the sync "
		    "(%zu/%zu/%zu rows written, %zu/%zu/%zu planned); "
		    "reload again to converge", ins, upd, rm,
		    s->counts.added, s->nupdates, s->counts.removed);
	finish(s, 1, NULL);
}

static struct have *
find_have(struct acctsync *s, const char *email)
{
	struct have	key = { .email = (char *)email };

	return bsearch(&key, s->have, s->nhave, sizeof(*s->have), have_cmp);
}

/* Step 2: the diff.  Fills the 20 array parameters; -1 on a sealing error. */
static int
build_diff(struct acctsync *s, char *params[])
{
	struct arr	 ins[I_N], upd[U_N], rm;
	char		 id[37];
	int		 rv = -1;

	for (int i = 0; i < I_N; i++)
		arr_init(&ins[i]);
	for (int i = 0; i < U_N; i++)
		arr_init(&upd[i]);
	arr_init(&rm);

	for (size_t i = 0; i < s->nwant; i++) {
		struct want	*w = &s->want[i];
		struct have	*h = find_have(s, w->email);
		const char	*ua, *kind = NULL;
		char		*pw, *ans;
		int		 sec, react;

		if (h == NULL) {
			if (uuid4(id) == -1)
				goto out;
			ua = w->user_agent != NULL ? w->user_agent :
			    acctsync_pick_user_agent(w->email,
			    (const char *const *)s->uas, s->nuas);
			if ((pw = seal_hex(&s->key, id, w->password)) == NULL)
				goto out;
			ans = seal_hex(&s->key, id, w->answer);
			if (w->answer != NULL && ans == NULL) {
				free(pw);
				goto out;
			}
			arr_add(&ins[I_ID], id);
			arr_add(&ins[I_EMAIL], w->email);
			arr_add(&ins[I_PW], pw);
			arr_add(&ins[I_FP], w->fp);
			arr_add(&ins[I_Q], w->question);
			arr_add(&ins[I_ANS], ans);
			arr_add(&ins[I_UA], ua);
			arr_add(&ins[I_PROXY], w->proxy);
			arr_add(&ins[I_SRC], w->source);
			free(pw);
			free(ans);
			s->counts.added++;
			log_debug("account %s: new (%s)", w->email, w->source);
			continue;
		}
		h->seen = 1;
		sec = !streq(w->fp, h->fp);
		react = streq(h->status, "suspended") &&
		    streq(h->reason, ACCTSYNC_REMOVED_REASON);
		/* The file's agent wins; else the stored one stays for good. */
		ua = w->user_agent != NULL ? w->user_agent :
		    h->user_agent != NULL ? h->user_agent :
		    acctsync_pick_user_agent(w->email,
		    (const char *const *)s->uas, s->nuas);
		if (react) {
			s->counts.reactivated++;
			kind = "back in the list, reactivated";
		} else if (sec || !streq(w->proxy, h->proxy) ||
		    !streq(ua, h->user_agent)) {
			s->counts.changed++;
			kind = sec ? "secrets changed" : "proxy or user agent "
			    "changed";
		} else {
			s->counts.unchanged++;
			/* Lines moved: refresh source, nothing else. */
			if (streq(w->source, h->source))
				continue;
		}
		if (kind != NULL)
			log_info("account %s: %s (%s)", w->email, kind,
			    w->source);
		pw = ans = NULL;
		if (sec) {
			if ((pw = seal_hex(&s->key, h->id, w->password)) ==
			    NULL)
				goto out;
			ans = seal_hex(&s->key, h->id, w->answer);
			if (w->answer != NULL && ans == NULL) {
				free(pw);
				goto out;
			}
		}
		arr_add(&upd[U_ID], h->id);
		arr_add(&upd[U_SEC], sec ? "t" : "f");
		arr_add(&upd[U_PW], pw);
		arr_add(&upd[U_FP], w->fp);
		arr_add(&upd[U_Q], w->question);
		arr_add(&upd[U_ANS], ans);
		arr_add(&upd[U_UA], ua);
		arr_add(&upd[U_PROXY], w->proxy);
		arr_add(&upd[U_SRC], w->source);
		arr_add(&upd[U_REACT], react ? "t" : "f");
		free(pw);
		free(ans);
		s->nupdates++;
	}
	for (size_t i = 0; i < s->nhave; i++) {
		struct have	*h = &s->have[i];

		/* Already suspended, by us or by hand: leave it as it is. */
		if (h->seen || streq(h->status, "suspended"))
			continue;
		arr_add(&rm, h->id);
		s->counts.removed++;
		log_info("account %s: in no account file, suspended",
		    h->email);
	}
	rv = 0;
out:
	for (int i = 0; i < I_N; i++)
		params[i] = arr_finish(&ins[i]);
	for (int i = 0; i < U_N; i++)
		params[I_N + i] = arr_finish(&upd[i]);
	params[I_N + U_N] = arr_finish(&rm);
	return rv;
}

static char *
getdup(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return xstrdup(PQgetvalue(res, row, col));
}

static void
selected_cb(void *arg, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct acctsync	*s = arg;
	char		*params[I_N + U_N + 1];
	int		 n, rc;

	if (st != PG_OK) {
		finish(s, 0, status_error(st, errmsg));
		return;
	}
	n = PQntuples(res);
	s->have = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*s->have));
	s->nhave = (size_t)n;
	for (int i = 0; i < n; i++) {
		struct have	*h = &s->have[i];

		h->id = getdup(res, i, 0);
		h->email = getdup(res, i, 1);
		h->fp = getdup(res, i, 2);
		h->proxy = getdup(res, i, 3);
		h->user_agent = getdup(res, i, 4);
		h->status = getdup(res, i, 5);
		h->reason = getdup(res, i, 6);
		h->source = getdup(res, i, 7);
	}
	/* C order, not the database collation's, for bsearch. */
	qsort(s->have, s->nhave, sizeof(*s->have), have_cmp);

	rc = build_diff(s, params);
	if (rc == 0 && s->counts.added + s->nupdates + s->counts.removed > 0)
		s->req = pg_query(s->pool, apply_sql, I_N + U_N + 1,
		    (const char *const *)params, applied_cb, s);
	for (int i = 0; i < I_N + U_N + 1; i++) {
		explicit_bzero(params[i], strlen(params[i]));
		free(params[i]);
	}
	if (rc == -1)
		finish(s, 0, "cannot encrypt account secrets");
	else if (s->counts.added + s->nupdates + s->counts.removed == 0)
		finish(s, 1, NULL);
	else if (s->req == NULL)
		finish(s, 0, "database pool is closing");
}

int
acctsync_load_user_agents(const char *path, char ***out, size_t *n,
    char *err, size_t errlen)
{
	FILE	*fp;
	char	*line = NULL, **v = NULL;
	size_t	 cap = 0, lcap = 0, count = 0;
	ssize_t	 len;

	*out = NULL;
	*n = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &lcap, fp)) != -1) {
		char	*p = line, *e = line + len;

		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' ||
		    e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (p == e || *p == '#')
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[count++] = xstrndup(p, (size_t)(e - p));
	}
	free(line);
	if (ferror(fp) || count == 0) {
		snprintf(err, errlen, "%s: %s", path, ferror(fp) ?
		    "read error" : "no user agents in the file");
		fclose(fp);
		for (size_t i = 0; i < count; i++)
			free(v[i]);
		free(v);
		return -1;
	}
	fclose(fp);
	*out = v;
	*n = count;
	return 0;
}

/* Copy the list, dropping repeated emails (the parser warned about them). */
static int
copy_list(struct acctsync *s, const struct acct_list *list)
{
	size_t	 n = 0;

	s->want = xcalloc(list->n > 0 ? list->n : 1, sizeof(*s->want));
	for (size_t i = 0; i < list->n; i++) {
		const struct acct_entry	*e = &list->v[i];
		struct want		*w = &s->want[n];

		w->email = lowercase_dup(e->email);
		w->password = xstrdup(e->password);
		w->question = xstrdup(e->question);
		w->answer = xstrdup(e->answer);
		w->proxy = xstrdup(e->proxy);
		w->user_agent = xstrdup(e->user_agent);
		w->source = xstrdup(e->source);
		n++;
	}
	s->nwant = n;
	/* acctfile keeps emails unique; this only guards hand-built lists. */
	qsort(s->want, s->nwant, sizeof(*s->want), want_cmp);
	n = 0;
	for (size_t i = 0; i < s->nwant; i++) {
		if (n > 0 && strcmp(s->want[i].email, s->want[n - 1].email) ==
		    0) {
			want_clear(&s->want[i]);
			continue;
		}
		s->want[n++] = s->want[i];
	}
	s->nwant = n;
	for (size_t i = 0; i < s->nwant; i++)
		if (fingerprint(&s->key, &s->want[i], s->want[i].fp) == -1)
			return -1;
	return 0;
}

struct acctsync *
acctsync_start(struct pg_pool *pool, const struct acct_list *list,
    const struct secret_key *key, const char *const *uas, size_t nuas,
    acctsync_cb *cb, void *arg)
{
	struct acctsync	*s = xcalloc(1, sizeof(*s));

	s->pool = pool;
	s->cb = cb;
	s->arg = arg;
	s->key = *key;
	if (uas != NULL && nuas > 0) {
		s->uas = xcalloc(nuas, sizeof(*s->uas));
		for (size_t i = 0; i < nuas; i++)
			s->uas[i] = xstrdup(uas[i]);
		s->nuas = nuas;
	}
	/* Failures are reported from the loop, never before we return. */
	if (copy_list(s, list) == -1) {
		s->start_err = "cannot compute the secrets' fingerprints";
		loop_defer(failed_start, s);
		return s;
	}
	s->req = pg_query(pool, select_sql, 0, NULL, selected_cb, s);
	if (s->req == NULL) {
		s->start_err = "database pool is closing";
		loop_defer(failed_start, s);
	}
	return s;
}

void
acctsync_abandon(struct acctsync *s)
{
	if (s == NULL)
		return;
	if (s->req != NULL) {
		pg_cancel(s->req);
		sync_free(s);
		return;
	}
	/* A failure is already deferred: let it run, silently. */
	s->cb = NULL;
}
