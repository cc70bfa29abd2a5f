/*
 * Request builders of the mail.ru provider; see mailru.h.
 *
 * Values are percent-encoded by a small encoder of our own rather than
 * curl_easy_escape: that needs an easy handle, which this module does not
 * have (it does no I/O and is used from tests and fuzzers without curl),
 * and curl_escape is deprecated.  Everything outside RFC 3986's unreserved
 * set is encoded, space as %20, so one function serves both query strings
 * and application/x-www-form-urlencoded bodies.
 *
 * Common parameters follow §2.2 for the web host (email, htmlencoded,
 * token, x-email and "_" on GETs, Referer/Origin/X-Request-Id headers) and
 * §10.6 for the aj host (the call's own parameters plus access_token;
 * htmlencoded=false is added because its default escapes every string).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "mailru.h"
#include "mailru_defs.h"
#include "xmalloc.h"

const char mailru_mobile_ua[] = MRD_MOBILE_UA;

const struct mailru_hosts mailru_hosts_default = {
	.account = MRD_HOST_ACCOUNT,
	.auth = MRD_HOST_AUTH,
	.e = MRD_HOST_E,
	.aj = MRD_HOST_AJ,
	.o2 = MRD_HOST_O2,
	.portal = MRD_HOST_PORTAL,
	.ipecho = MRD_HOST_IPECHO,
};

/* A growing "k=v&k=v" string. */
struct form {
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

static void
buf_put(struct form *f, const char *s, size_t n)
{
	size_t	cap;

	if (f->len + n + 1 > f->cap) {
		cap = f->cap ? f->cap : 128;
		while (f->len + n + 1 > cap)
			cap *= 2;
		f->buf = xreallocarray(f->buf, cap, 1);
		f->cap = cap;
	}
	memcpy(f->buf + f->len, s, n);
	f->len += n;
	f->buf[f->len] = '\0';
}

static int
unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
	    ch == '~';
}

static void
buf_put_enc(struct form *f, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			 e[3];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (unreserved(*p)) {
			buf_put(f, (const char *)p, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[*p >> 4];
		e[2] = hex[*p & 15];
		buf_put(f, e, 3);
	}
}

char *
mailru_urlencode(const char *s)
{
	struct form	f = { NULL, 0, 0 };

	buf_put(&f, "", 0);
	buf_put_enc(&f, s != NULL ? s : "");
	return f.buf;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

char *
mailru_urldecode(const char *s, size_t n)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	out = o = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%') {
			if (n - i < 3)
				goto bad;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi | lo) == 0)
				goto bad;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0')
			goto bad;
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

char *
mailru_url_param(const char *url, const char *key)
{
	const char	*q, *p, *amp, *eq;
	size_t		 klen = strlen(key);

	if (url == NULL || (q = strchr(url, '?')) == NULL)
		return NULL;
	for (p = q + 1; *p != '\0' && *p != '#'; p = amp + 1) {
		amp = p + strcspn(p, "&#");
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && (size_t)(eq - p) == klen &&
		    memcmp(p, key, klen) == 0)
			return mailru_urldecode(eq + 1, (size_t)(amp - eq - 1));
		if (*amp != '&')
			break;
	}
	return NULL;
}

static void
form_add(struct form *f, const char *key, const char *val)
{
	if (val == NULL)
		return;
	if (f->len > 0)
		buf_put(f, "&", 1);
	buf_put_enc(f, key);
	buf_put(f, "=", 1);
	buf_put_enc(f, val);
}

static void
form_addi(struct form *f, const char *key, long long v)
{
	char	num[32];

	snprintf(num, sizeof(num), "%lld", v);
	form_add(f, key, num);
}

/* Add a JSON value as text and drop the reference. */
static void
form_addj(struct form *f, const char *key, json_t *j)
{
	char	*s;

	s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL)
		abort();	/* only fails when out of memory */
	form_add(f, key, s);
	free(s);
	json_decref(j);
}

static const struct mailru_hosts *
hosts(const struct mailru_ctx *c)
{
	return c->hosts != NULL ? c->hosts : &mailru_hosts_default;
}

static void
rnd(const struct mailru_ctx *c, void *buf, size_t n)
{
	if (c->rand != NULL)
		c->rand(buf, n);
	else
		arc4random_buf(buf, n);
}

static char *
uuid4(const struct mailru_ctx *c)
{
	unsigned char	b[16];

	rnd(c, b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* 32 random alphanumerics, as the web UI makes for a send (§4.6). */
static void
send_id(const struct mailru_ctx *c, char out[33])
{
	static const char	 al[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char		 b[32];
	size_t			 i;

	rnd(c, b, sizeof(b));
	for (i = 0; i < 32; i++)
		out[i] = al[b[i] % (sizeof(al) - 1)];
	out[32] = '\0';
}

static struct mailru_req *
req_new(enum mailru_method m, char *url, struct form *body)
{
	struct mailru_req	*r = xcalloc(1, sizeof(*r));

	r->method = m;
	r->url = url;
	if (body != NULL) {
		r->body = body->buf != NULL ? body->buf : xstrdup("");
		body->buf = NULL;
	}
	return r;
}

void
mailru_req_free(struct mailru_req *r)
{
	if (r == NULL)
		return;
	/* bodies carry passwords and tokens */
	if (r->body != NULL)
		explicit_bzero(r->body, strlen(r->body));
	if (r->url != NULL)
		explicit_bzero(r->url, strlen(r->url));
	free(r->url);
	free(r->body);
	free(r->referer);
	free(r->origin);
	free(r->request_id);
	free(r);
}

static void
form_wipe(struct form *f)
{
	if (f->buf != NULL)
		explicit_bzero(f->buf, f->len);
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
}

static char *
url_with(const char *base, const char *path, struct form *q)
{
	char	*u;

	u = xasprintf("%s%s%s%s", base, path, q != NULL && q->len > 0 ?
	    "?" : "", q != NULL && q->len > 0 ? q->buf : "");
	if (q != NULL)
		form_wipe(q);
	return u;
}

/*
 * An /api/v1/ call: own holds the call's parameters; the common ones of
 * the flavour are appended and own is consumed.
 */
static struct mailru_req *
api_call(const struct mailru_ctx *c, enum mailru_method m, const char *ep,
    struct form *own, const char *referer_page)
{
	const struct mailru_hosts	*h = hosts(c);
	struct mailru_req		*r;
	struct form			 q = { NULL, 0, 0 };
	char				*path, *url;

	path = xasprintf("%s%s", MRD_API, ep);
	if (c->flavour == MAILRU_AJ) {
		form_add(own, "htmlencoded", "false");
		if (m == MAILRU_GET || c->token_in_body)
			form_add(own, "access_token", c->access_token);
		else
			form_add(&q, "access_token", c->access_token);
		if (m == MAILRU_GET)
			r = req_new(m, url_with(h->aj, path, own), NULL);
		else
			r = req_new(m, url_with(h->aj, path, &q), own);
		free(path);
		return r;
	}

	form_add(own, "email", c->email);
	form_add(own, "htmlencoded", "false");
	form_add(own, "token", c->token != NULL ? c->token : "");
	if (m == MAILRU_GET) {
		form_add(own, "x-email", c->email);
		if (c->now_ms > 0)
			form_addi(own, "_", (long long)c->now_ms);
		url = url_with(h->e, path, own);
		r = req_new(m, url, NULL);
	} else {
		url = url_with(h->e, path, NULL);
		r = req_new(m, url, own);
		r->origin = xstrdup(h->e);
	}
	r->referer = xasprintf("%s%s", h->e, referer_page != NULL ?
	    referer_page : MRD_REFERER_INBOX);
	r->request_id = uuid4(c);
	free(path);
	return r;
}

/* A GET whose Location the caller classifies; takes url and referer. */
static struct mailru_req *
get_owned(char *url, char *referer)
{
	struct mailru_req	*r;

	r = req_new(MAILRU_GET, url, NULL);
	r->referer = referer;
	r->want_redirect = 1;
	return r;
}

struct mailru_req *
mailru_req_get(const char *url, const char *referer)
{
	if (url == NULL || *url == '\0')
		return NULL;
	return get_owned(xstrdup(url), xstrdup(referer));
}

struct mailru_req *
mailru_req_prelogin(const struct mailru_ctx *c, const char *page)
{
	struct form	q = { NULL, 0, 0 };

	form_add(&q, "page", page != NULL ? page : MRD_DEFAULT_PAGE);
	form_add(&q, "allow_external", "1");
	return get_owned(url_with(hosts(c)->account,
	    MRD_PATH_LOGIN_PAGE, &q), NULL);
}

struct mailru_req *
mailru_req_web_login(const struct mailru_ctx *c, const char *login,
    const char *password, const char *act_token, const char *page)
{
	const struct mailru_hosts	*h = hosts(c);
	struct form			 f = { NULL, 0, 0 };
	struct mailru_req		*r;

	if (login == NULL || password == NULL)
		return NULL;
	if (page == NULL)
		page = MRD_DEFAULT_PAGE;
	form_add(&f, "username", login);
	form_add(&f, "Login", login);
	form_add(&f, "password", password);
	form_add(&f, "Password", password);
	form_add(&f, "saveauth", "1");
	form_add(&f, "new_auth_form", "1");
	form_add(&f, "FromAccount", MRD_FROM_ACCOUNT);
	form_add(&f, "act_token", act_token != NULL ? act_token : "");
	form_add(&f, "page", page);
	form_add(&f, "back", "1");
	form_add(&f, "lang", MRD_LANG);
	r = req_new(MAILRU_POST, url_with(h->auth, MRD_PATH_WEB_AUTH, NULL),
	    &f);
	r->origin = xstrdup(h->account);
	r->referer = xasprintf("%s/", h->account);
	r->want_redirect = 1;
	return r;
}

struct mailru_req *
mailru_req_copper(const struct mailru_ctx *c)
{
	const struct mailru_hosts	*h = hosts(c);
	struct mailru_req		*r;

	r = req_new(MAILRU_GET, url_with(h->account, MRD_PATH_COPPER, NULL),
	    NULL);
	r->referer = xasprintf("%s/", h->account);
	return r;
}

struct mailru_req *
mailru_req_sdc(const struct mailru_ctx *c, const char *from_url)
{
	struct form	q = { NULL, 0, 0 };
	char		*ref;

	if (from_url == NULL || *from_url == '\0')
		return NULL;
	form_add(&q, "from", from_url);
	ref = xasprintf("%s/", hosts(c)->e);
	return get_owned(url_with(hosts(c)->auth, MRD_PATH_SDC,
	    &q), ref);
}

struct mailru_req *
mailru_req_question(const struct mailru_ctx *c, const char *chal)
{
	struct form	q = { NULL, 0, 0 };

	if (chal == NULL)
		return NULL;
	form_add(&q, MRD_QUESTION_CHAL, chal);
	form_add(&q, "htmlencoded", "false");
	return req_new(MAILRU_GET, url_with(hosts(c)->account,
	    MRD_QUESTION_API, &q), NULL);
}

struct mailru_req *
mailru_req_question_answer(const struct mailru_ctx *c, const char *chal,
    const char *answer)
{
	const struct mailru_hosts	*h = hosts(c);
	struct form			 f = { NULL, 0, 0 };
	struct mailru_req		*r;

	if (chal == NULL || answer == NULL)
		return NULL;
	form_add(&f, MRD_QUESTION_CHAL, chal);
	form_add(&f, MRD_QUESTION_ANSWER, answer);
	r = req_new(MAILRU_POST, url_with(h->auth, MRD_QUESTION_POST, NULL),
	    &f);
	r->origin = xstrdup(h->account);
	r->referer = xasprintf("%s%s", h->account, MRD_QUESTION_PAGE);
	r->want_redirect = 1;
	return r;
}

struct mailru_req *
mailru_req_mobile_login(const struct mailru_ctx *c, const char *login,
    const char *password, const char *udid, const char *chal,
    const char *answer)
{
	struct form		 q = { NULL, 0, 0 }, f = { NULL, 0, 0 };
	struct mailru_req	*r;

	if (login == NULL || password == NULL || (chal == NULL) !=
	    (answer == NULL))
		return NULL;
	form_add(&q, "mp", MRD_MOB_MP);
	form_add(&q, "udid", udid != NULL && *udid != '\0' ? udid :
	    "mailru_app");
	form_add(&f, "Login", login);
	form_add(&f, "Password", password);
	form_add(&f, "oauth2", "1");
	form_add(&f, "useragent", MRD_MOB_MP);
	form_add(&f, "mobile", "1");
	form_add(&f, "mob_json", "1");
	form_add(&f, "simple", "1");
	form_add(&f, MRD_MOB_CHALLENGE, chal);
	form_add(&f, MRD_MOB_ANSWER, answer);
	r = req_new(MAILRU_POST, url_with(hosts(c)->aj, MRD_PATH_MOB_AUTH, &q),
	    &f);
	r->want_redirect = 1;
	return r;
}

struct mailru_req *
mailru_req_o2_refresh(const struct mailru_ctx *c, const char *refresh_token,
    const char *client_id)
{
	struct form	f = { NULL, 0, 0 };

	if (refresh_token == NULL || *refresh_token == '\0')
		return NULL;
	form_add(&f, "client_id", client_id != NULL ? client_id :
	    MRD_O2_CLIENT_ID);
	form_add(&f, "grant_type", "refresh_token");
	form_add(&f, "refresh_token", refresh_token);
	return req_new(MAILRU_POST, url_with(hosts(c)->o2, MRD_PATH_O2_TOKEN,
	    NULL), &f);
}

struct mailru_req *
mailru_req_validate(const struct mailru_ctx *c)
{
	struct form	q = { NULL, 0, 0 };

	if (c->flavour == MAILRU_AJ)
		return mailru_req_folders(c);
	form_add(&q, "mac", "1");
	if (c->now_ms > 0)
		form_addi(&q, "rnd", (long long)c->now_ms);
	return req_new(MAILRU_GET, url_with(hosts(c)->portal,
	    MRD_PATH_NAVIDATA, &q), NULL);
}

struct mailru_req *
mailru_req_logout(const struct mailru_ctx *c)
{
	struct form	 q = { NULL, 0, 0 };
	char		*page;

	page = xasprintf("%s%s", hosts(c)->account, MRD_PATH_LOGIN_PAGE);
	form_add(&q, "next", "1");
	form_add(&q, "lang", MRD_LANG);
	form_add(&q, "page", page);
	free(page);
	return get_owned(url_with(hosts(c)->auth, MRD_PATH_LOGOUT,
	    &q), NULL);
}

struct mailru_req *
mailru_req_user_short(const struct mailru_ctx *c)
{
	struct form	f = { NULL, 0, 0 };

	if (c->flavour != MAILRU_WEB)
		return NULL;
	return api_call(c, MAILRU_POST, MRD_EP_USER_SHORT, &f, NULL);
}

struct mailru_req *
mailru_req_tokens(const struct mailru_ctx *c)
{
	struct form	f = { NULL, 0, 0 };

	if (c->flavour != MAILRU_WEB)
		return NULL;
	return api_call(c, MAILRU_GET, MRD_EP_TOKENS, &f, NULL);
}

struct mailru_req *
mailru_req_folders(const struct mailru_ctx *c)
{
	struct form	f = { NULL, 0, 0 };

	form_add(&f, "limit", "100");
	form_add(&f, "last_modified", "0");
	return api_call(c, MAILRU_GET, MRD_EP_FOLDERS, &f, NULL);
}

/* Whether s is a folder id: 1-10 digits. */
static int
folder_ok(const char *s)
{
	size_t	n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 10)
		return 0;
	return strspn(s, "0123456789") == n;
}

/* Folder ids go into JSON arguments as numbers (§3.1). */
static json_t *
folder_json(const char *s)
{
	return json_integer((json_int_t)strtoll(s, NULL, 10));
}

static const char *
folder_page(const char *folder)
{
	if (folder != NULL && strcmp(folder, MAILRU_FOLDER_SPAM) == 0)
		return MRD_REFERER_SPAM;
	return MRD_REFERER_INBOX;
}

struct mailru_req *
mailru_req_threads(const struct mailru_ctx *c, const char *folder,
    int offset, int limit, int64_t last_modified)
{
	struct form	 f = { NULL, 0, 0 };

	if (!folder_ok(folder) || offset < 0 || limit <= 0)
		return NULL;
	if (last_modified <= 0)
		last_modified = 1;
	if (c->flavour == MAILRU_AJ) {
		form_addj(&f, "folders", json_pack("[{s:o,s:i,s:i}]", "folder",
		    folder_json(folder), "offset", offset, "limit", limit));
		form_addi(&f, "last_modified", (long long)last_modified);
		return api_call(c, MAILRU_GET, MRD_EP_M_THREADS, &f, NULL);
	}
	form_add(&f, "folder", folder);
	form_addi(&f, "limit", limit);
	form_addi(&f, "offset", offset);
	form_addi(&f, "last_modified", (long long)last_modified);
	form_add(&f, "filters", "{}");
	form_add(&f, "sort", MRD_SORT_DATE);
	form_add(&f, "force_custom_thread", "true");
	form_add(&f, "supported_custom_metathreads", MRD_CUSTOM_METATHREADS);
	return api_call(c, MAILRU_GET, MRD_EP_THREADS, &f, folder_page(folder));
}

struct mailru_req *
mailru_req_messages(const struct mailru_ctx *c, const char *folder,
    int offset, int limit, int64_t last_modified)
{
	struct form	 f = { NULL, 0, 0 };

	if (!folder_ok(folder) || offset < 0 || limit <= 0)
		return NULL;
	if (last_modified <= 0)
		last_modified = 1;
	form_add(&f, "folder", folder);
	form_addi(&f, "last_modified", (long long)last_modified);
	form_addi(&f, "limit", limit);
	form_addi(&f, "offset", offset);
	form_add(&f, "sort", MRD_SORT_ID);
	return api_call(c, MAILRU_GET, MRD_EP_MSG_STATUS, &f,
	    folder_page(folder));
}

struct mailru_req *
mailru_req_thread(const struct mailru_ctx *c, const char *thread_id,
    int offset, int limit)
{
	struct form	 f = { NULL, 0, 0 };
	const char	*fid;

	if ((fid = mailru_thread_folder(thread_id)) == NULL || offset < 0 ||
	    limit <= 0)
		return NULL;
	if (c->flavour == MAILRU_WEB)
		form_add(&f, "quotes_version", "1");
	form_add(&f, "id", thread_id);
	form_addi(&f, "offset", offset);
	form_addi(&f, "limit", limit);
	if (c->flavour == MAILRU_WEB) {
		form_add(&f, "last_modified", "1");
		form_add(&f, "force_custom_thread", "true");
	}
	return api_call(c, MAILRU_GET, MRD_EP_THREAD, &f, folder_page(fid));
}

struct mailru_req *
mailru_req_message(const struct mailru_ctx *c, const char *msg_id,
    const char *folder)
{
	struct form	f = { NULL, 0, 0 };

	if (msg_id == NULL || *msg_id == '\0' || (folder != NULL &&
	    !folder_ok(folder)))
		return NULL;
	form_add(&f, "id", msg_id);
	form_add(&f, "folder_id", folder);
	if (c->flavour == MAILRU_WEB) {
		form_add(&f, "quotes_version", "1");
		form_add(&f, "use_color_scheme", "1");
		form_add(&f, "disable_quotation_parser", "true");
	}
	/* reading must not be what marks it read (§4.4, emulator D4) */
	form_add(&f, "read", "0");
	form_add(&f, "mark_read", "false");
	return api_call(c, MAILRU_GET, MRD_EP_MESSAGE, &f, folder_page(folder));
}

static int
refs_ok(const struct mailru_ref *refs, size_t n, int need_last)
{
	size_t	i;

	if (refs == NULL || n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (refs[i].id == NULL || *refs[i].id == '\0')
			return 0;
		if (refs[i].folder != NULL && !folder_ok(refs[i].folder))
			return 0;
		if (need_last && (refs[i].last == NULL || *refs[i].last == '\0'))
			return 0;
	}
	return 1;
}

/* {"<thread id>":"<newest message id>",...} (§4.1, §4.2). */
static json_t *
last_map(const struct mailru_ref *refs, size_t n)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; i < n; i++)
		if (refs[i].last != NULL)
			json_object_set_new(o, refs[i].id,
			    json_string(refs[i].last));
	return o;
}

static json_t *
id_array(const struct mailru_ref *refs, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(refs[i].id));
	return a;
}

struct mailru_req *
mailru_req_marks(const struct mailru_ctx *c, enum mailru_target t,
    const char *mark, int set, const struct mailru_ref *refs, size_t n)
{
	struct form	 f = { NULL, 0, 0 };
	json_t		*marks, *m, *ids;
	const char	*fid;
	size_t		 i, j;

	if (mark == NULL || *mark == '\0' || !refs_ok(refs, n, 0))
		return NULL;
	/* one entry per source folder, in the order first seen */
	marks = json_array();
	for (i = 0; i < n; i++) {
		fid = refs[i].folder;
		for (j = 0; j < i; j++)
			if ((fid == NULL && refs[j].folder == NULL) ||
			    (fid != NULL && refs[j].folder != NULL &&
			    strcmp(fid, refs[j].folder) == 0))
				break;
		if (j < i)
			continue;
		ids = json_array();
		for (j = i; j < n; j++)
			if ((fid == NULL && refs[j].folder == NULL) ||
			    (fid != NULL && refs[j].folder != NULL &&
			    strcmp(fid, refs[j].folder) == 0))
				json_array_append_new(ids,
				    json_string(refs[j].id));
		m = json_pack("{s:s,s:o}", "name", mark, set ? "set" : "unset",
		    ids);
		if (fid != NULL)
			json_object_set_new(m, "folder", folder_json(fid));
		json_array_append_new(marks, m);
	}
	form_addj(&f, "marks", marks);
	if (t == MAILRU_THREADS)
		form_addj(&f, "message_id_last", last_map(refs, n));
	return api_call(c, MAILRU_POST, t == MAILRU_THREADS ? MRD_EP_THR_MARKS :
	    MRD_EP_MSG_MARKS, &f, folder_page(refs[0].folder));
}

struct mailru_req *
mailru_req_move(const struct mailru_ctx *c, enum mailru_target t,
    const struct mailru_ref *refs, size_t n, const char *folder)
{
	struct form	 f = { NULL, 0, 0 };
	json_t		*mi;
	size_t		 i;

	if (!folder_ok(folder) || !refs_ok(refs, n, 0))
		return NULL;
	form_addj(&f, "ids", id_array(refs, n));
	if (t == MAILRU_THREADS) {
		mi = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(mi, json_pack("{s:s,s:s}", "id",
			    refs[i].id, "folder", refs[i].folder != NULL ?
			    refs[i].folder : mailru_thread_folder(refs[i].id) ?
			    mailru_thread_folder(refs[i].id) : "0"));
		form_addj(&f, "msg_ids", mi);
	}
	form_add(&f, "folder", folder);
	if (t == MAILRU_THREADS)
		form_addj(&f, "message_id_last", last_map(refs, n));
	return api_call(c, MAILRU_POST, t == MAILRU_THREADS ? MRD_EP_THR_MOVE :
	    MRD_EP_MSG_MOVE, &f, folder_page(refs[0].folder));
}

struct mailru_req *
mailru_req_spam(const struct mailru_ctx *c, enum mailru_target t, int spam,
    const struct mailru_ref *refs, size_t n)
{
	struct form	 f = { NULL, 0, 0 };
	json_t		*ids, *o;
	const char	*ep;
	size_t		 i;

	if (!refs_ok(refs, n, t == MAILRU_THREADS))
		return NULL;
	if (t == MAILRU_THREADS) {
		ids = json_array();
		for (i = 0; i < n; i++) {
			o = json_pack("{s:s}", "id", refs[i].id);
			if (refs[i].folder != NULL)
				json_object_set_new(o, "folder",
				    json_string(refs[i].folder));
			json_object_set_new(o, "message_id_last",
			    json_string(refs[i].last));
			json_array_append_new(ids, o);
		}
		form_addj(&f, "ids", ids);
		ep = spam ? MRD_EP_THR_SPAM : MRD_EP_THR_UNSPAM;
	} else {
		form_addj(&f, "ids", id_array(refs, n));
		if (spam && refs[0].folder != NULL)
			form_add(&f, "folder", refs[0].folder);
		ep = spam ? MRD_EP_MSG_SPAM : MRD_EP_MSG_UNSPAM;
	}
	return api_call(c, MAILRU_POST, ep, &f, folder_page(refs[0].folder));
}

struct mailru_req *
mailru_req_search(const struct mailru_ctx *c, const char *query, int offset,
    int limit, int in_excluded)
{
	struct form	f = { NULL, 0, 0 };

	if (query == NULL || *query == '\0' || offset < 0 || limit <= 0)
		return NULL;
	form_add(&f, "query", query);
	form_add(&f, "in_excluded_folders", in_excluded ? "true" : "false");
	form_addi(&f, "offset", offset);
	form_addi(&f, "limit", limit);
	form_add(&f, "with_threads", "true");
	return api_call(c, MAILRU_GET, MRD_EP_SEARCH, &f, "/search/");
}

char *
mailru_reply_subject(const char *subject)
{
	if (subject == NULL)
		subject = "";
	if (strncasecmp(subject, "Re:", 3) == 0)
		return xstrdup(subject);
	return xasprintf("Re: %s", subject);
}

/* A minimal HTML part for a text-only letter, as the composer makes. */
static char *
text_to_html(const char *text)
{
	struct form	 b = { NULL, 0, 0 };
	const char	*p;

	buf_put(&b, "<div>", 5);
	for (p = text; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			buf_put(&b, "&amp;", 5);
			break;
		case '<':
			buf_put(&b, "&lt;", 4);
			break;
		case '>':
			buf_put(&b, "&gt;", 4);
			break;
		case '\n':
			buf_put(&b, "<br>", 4);
			break;
		case '\r':
			break;
		default:
			buf_put(&b, p, 1);
		}
	}
	buf_put(&b, "</div>", 6);
	return b.buf;
}

struct mailru_req *
mailru_req_send(const struct mailru_ctx *c, const struct mailru_letter *l)
{
	struct form	 f = { NULL, 0, 0 };
	char		 id[33], *subject, *html, *from;
	json_t		*src;

	if (l == NULL || l->to == NULL || *l->to == '\0' || l->text == NULL)
		return NULL;
	if (l->id != NULL)
		snprintf(id, sizeof(id), "%s", l->id);
	else
		send_id(c, id);
	subject = l->reply_to != NULL ? mailru_reply_subject(l->subject) :
	    xstrdup(l->subject != NULL ? l->subject : "");
	html = l->html != NULL ? xstrdup(l->html) : text_to_html(l->text);

	form_add(&f, "id", id);
	if (l->reply_to != NULL)
		src = json_pack("{s:s}", "reply", l->reply_to);
	else if (c->flavour == MAILRU_WEB)
		src = json_pack("{s:s,s:s,s:s,s:s}", "draft", "", "reply", "",
		    "forward", "", "schedule", "");
	else
		src = NULL;
	if (src != NULL)
		form_addj(&f, "source", src);
	form_add(&f, "subject", subject);
	form_addj(&f, "body", json_pack("{s:s,s:s}", "html", html, "text",
	    l->text));
	form_addj(&f, "correspondents", json_pack("{s:s,s:s,s:s}", "to",
	    l->to, "cc", l->cc != NULL ? l->cc : "", "bcc", ""));
	form_add(&f, "priority", "3");
	if (c->flavour == MAILRU_AJ) {
		/* §10.8: no email/from/token on the verified aj reply */
		form_add(&f, "send_date", "0");
	} else {
		if (c->email != NULL) {
			from = l->from_name != NULL && *l->from_name != '\0' ?
			    xasprintf("%s <%s>", l->from_name, c->email) :
			    xstrdup(c->email);
			form_add(&f, "from", from);
			free(from);
		}
		form_add(&f, "send_date", "");
		form_add(&f, "headers", "{}");
		form_add(&f, "template", "0");
		form_add(&f, "sign", "0");
		form_add(&f, "remind", "0");
		form_add(&f, "receipt", "false");
	}
	free(subject);
	free(html);
	return api_call(c, MAILRU_POST, c->flavour == MAILRU_AJ ?
	    MRD_EP_SEND_AJ : MRD_EP_SEND_WEB, &f, "/compose/");
}

struct mailru_req *
mailru_req_password(const struct mailru_ctx *c, const char *old_pw,
    const char *new_pw)
{
	struct form	f = { NULL, 0, 0 };

	if (old_pw == NULL || new_pw == NULL || *new_pw == '\0')
		return NULL;
	form_add(&f, MRD_PW_OLD, old_pw);
	form_add(&f, MRD_PW_NEW, new_pw);
	return api_call(c, MAILRU_POST, MRD_EP_PASSWORD, &f, "/settings/");
}

struct mailru_req *
mailru_req_ipecho(const struct mailru_ctx *c)
{
	return req_new(MAILRU_GET, xasprintf("%s/json", hosts(c)->ipecho),
	    NULL);
}
