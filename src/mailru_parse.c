/*
 * Response parsers of the mail.ru provider; see mailru.h.
 *
 * Replies are read by key, never by position (§10.9: key order varies),
 * and every field may be missing or of another JSON type than expected:
 * status is an integer or a string, folder ids are strings or numbers,
 * flags are booleans or integers, and email is "", null or an address.
 * A field of the wrong type reads as absent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "mailru.h"
#include "mailru_defs.h"
#include "xmalloc.h"

/* Replies larger than this are not mail.ru API replies. */
#define MAX_REPLY	(64u * 1024 * 1024)

/* ---- small JSON helpers ------------------------------------------------ */

static const char *
jstr(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A string or integer field as a new string (ids come as both), or NULL. */
static char *
jdup(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	return NULL;
}

/* Integer from an integer, real, boolean or decimal string; dflt else. */
static int64_t
jnum(const json_t *v, int64_t dflt)
{
	const char	*s;
	char		*end;
	long long	 n;
	double		 d;

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d > -9e18 && d < 9e18)
			return (int64_t)d;
		return dflt;
	}
	if (json_is_true(v))
		return 1;
	if (json_is_false(v))
		return 0;
	if (json_is_string(v)) {
		s = json_string_value(v);
		if (*s == '\0')
			return dflt;
		n = strtoll(s, &end, 10);
		if (*end == '\0')
			return (int64_t)n;
	}
	return dflt;
}

static int64_t
jint(const json_t *o, const char *key, int64_t dflt)
{
	return jnum(json_object_get(o, key), dflt);
}

static int
jflag(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);
	const char	*s;

	if (json_is_string(v)) {
		s = json_string_value(v);
		return strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0;
	}
	return jnum(v, 0) != 0;
}

/* Case-insensitive (ASCII) search in a buffer that need not end in NUL. */
static int
ci_contains(const char *buf, size_t len, const char *needle)
{
	size_t	n = strlen(needle), i;

	if (buf == NULL || n == 0 || len < n)
		return 0;
	for (i = 0; i + n <= len; i++)
		if (strncasecmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

static int
ci_contains_z(const char *s, const char *needle)
{
	return s != NULL && ci_contains(s, strlen(s), needle);
}

/* ---- envelope ---------------------------------------------------------- */

static const char *const status_names[] = {
	[MAILRU_OK] = "ok",
	[MAILRU_NOT_MODIFIED] = "not_modified",
	[MAILRU_NOSDC] = "nosdc",
	[MAILRU_TOKEN] = "token",
	[MAILRU_USER] = "user",
	[MAILRU_TWOSTEP_REQUIRED] = "twostep_required",
	[MAILRU_BIND_REQUIRED] = "bind_required",
	[MAILRU_FOLDER] = "folder",
	[MAILRU_BAD_REQUEST] = "bad_request",
	[MAILRU_RATE_LIMIT] = "rate_limit",
	[MAILRU_ATTEMPTS] = "attempts",
	[MAILRU_SERVER] = "server",
	[MAILRU_MALFORMED] = "malformed",
	[MAILRU_OTHER] = "other",
};

const char *
mailru_status_name(enum mailru_status s)
{
	if ((size_t)s < sizeof(status_names) / sizeof(status_names[0]) &&
	    status_names[s] != NULL)
		return status_names[s];
	return "?";
}

/* 403 bodies (§6.1). */
static const struct {
	const char		*body;
	enum mailru_status	 cls;
} forbidden[] = {
	{ "nosdc",		MAILRU_NOSDC },
	{ "token",		MAILRU_TOKEN },
	{ "user",		MAILRU_USER },
	{ "twostep_required",	MAILRU_TWOSTEP_REQUIRED },
	{ "bind_required",	MAILRU_BIND_REQUIRED },
	{ "folder",		MAILRU_FOLDER },
};

/*
 * The reason an error envelope gives: body as a string, body.error, or
 * the error of body's first element (§10.9).
 */
static const char *
error_of(const json_t *body)
{
	const char	*s;

	if (json_is_string(body))
		return json_string_value(body);
	if (json_is_array(body))
		body = json_array_get(body, 0);
	if (json_is_object(body)) {
		if ((s = jstr(body, "error")) != NULL)
			return s;
		if ((s = jstr(body, "reason")) != NULL)
			return s;
	}
	return NULL;
}

/* JSON status as a number; 0 when absent or not understood. */
static int
status_of(const json_t *v)
{
	const char	*s;
	int64_t		 n;

	if (json_is_string(v)) {
		s = json_string_value(v);
		if (strcasecmp(s, "ok") == 0)
			return 200;
		if (strcasecmp(s, "noauth") == 0)
			return 403;
	}
	n = jnum(v, 0);
	if (json_is_boolean(v) || n < 0 || n > 999)
		return 0;
	return (int)n;
}

static enum mailru_status
classify(struct mailru_env *env)
{
	size_t	i;

	switch (env->status) {
	case 200:
		return MAILRU_OK;
	case 304:
		return MAILRU_NOT_MODIFIED;
	case 400:
		return MAILRU_BAD_REQUEST;
	case 403:
		if (env->error == NULL && json_is_string(json_object_get(
		    env->root, "status")))
			return MAILRU_USER;	/* NaviData "noauth" */
		for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
			if (env->error != NULL &&
			    strcmp(env->error, forbidden[i].body) == 0)
				return forbidden[i].cls;
		return MAILRU_OTHER;
	case 429:
		return MAILRU_RATE_LIMIT;
	case 449:
		return MAILRU_ATTEMPTS;
	case 0:
		return MAILRU_MALFORMED;
	default:
		if (env->status >= 500 && env->status <= 599)
			return MAILRU_SERVER;
		return MAILRU_OTHER;
	}
}

enum mailru_status
mailru_parse_envelope(int http_code, const char *buf, size_t len,
    struct mailru_env *env)
{
	json_error_t	 jerr;
	const json_t	*v;

	memset(env, 0, sizeof(*env));
	env->http_code = http_code;
	env->last_modified = -1;
	if (buf != NULL && len > 0 && len <= MAX_REPLY)
		env->root = json_loadb(buf, len, 0, &jerr);
	if (env->root != NULL && !json_is_object(env->root)) {
		json_decref(env->root);
		env->root = NULL;
	}
	if (env->root != NULL) {
		env->body = json_object_get(env->root, "body");
		env->email = jstr(env->root, "email");
		v = json_object_get(env->root, "status");
		env->status = status_of(v);
		v = json_object_get(env->root, "last_modified");
		if (v != NULL)
			env->last_modified = jnum(v, -1);
		if (env->status != 200 && env->status != 304)
			env->error = error_of(env->body);
	}

	/* transport-level answers decide before the JSON does */
	if (http_code == 429)
		env->cls = MAILRU_RATE_LIMIT;
	else if (http_code == 449)
		env->cls = MAILRU_ATTEMPTS;
	else if (http_code >= 500 && http_code <= 599)
		env->cls = MAILRU_SERVER;
	else if (env->root == NULL)
		env->cls = http_code == 304 ? MAILRU_NOT_MODIFIED :
		    MAILRU_MALFORMED;
	else
		env->cls = classify(env);
	return env->cls;
}

void
mailru_env_free(struct mailru_env *env)
{
	if (env == NULL)
		return;
	json_decref(env->root);
	memset(env, 0, sizeof(*env));
	env->last_modified = -1;
}

/* ---- login ------------------------------------------------------------- */

static const char *const login_names[] = {
	[MAILRU_LOGIN_OK] = "ok",
	[MAILRU_LOGIN_WRONG_PASSWORD] = "wrong_password",
	[MAILRU_LOGIN_CHECK_COPPER] = "check_copper",
	[MAILRU_LOGIN_CAPTCHA] = "captcha",
	[MAILRU_LOGIN_RECAPTCHA] = "recaptcha",
	[MAILRU_LOGIN_TWOFA] = "twofa",
	[MAILRU_LOGIN_QUESTION] = "question",
	[MAILRU_LOGIN_WRONG_ANSWER] = "wrong_answer",
	[MAILRU_LOGIN_LOCKED] = "locked",
	[MAILRU_LOGIN_BANNED] = "banned",
	[MAILRU_LOGIN_VERIFY] = "verification",
	[MAILRU_LOGIN_REJECTED] = "rejected",
	[MAILRU_LOGIN_RATE_LIMIT] = "rate_limit",
	[MAILRU_LOGIN_SERVER] = "server",
	[MAILRU_LOGIN_UNKNOWN] = "unknown",
};

const char *
mailru_login_name(enum mailru_login o)
{
	if ((size_t)o < sizeof(login_names) / sizeof(login_names[0]) &&
	    login_names[o] != NULL)
		return login_names[o];
	return "?";
}

int
mailru_login_needs_human(enum mailru_login o)
{
	switch (o) {
	case MAILRU_LOGIN_CAPTCHA:
	case MAILRU_LOGIN_RECAPTCHA:
	case MAILRU_LOGIN_TWOFA:
	case MAILRU_LOGIN_LOCKED:
	case MAILRU_LOGIN_BANNED:
	case MAILRU_LOGIN_VERIFY:
	case MAILRU_LOGIN_REJECTED:
		return 1;
	default:
		return 0;
	}
}

void
mailru_tokens_free(struct mailru_tokens *tok)
{
	if (tok == NULL)
		return;
	if (tok->access_token != NULL)
		explicit_bzero(tok->access_token, strlen(tok->access_token));
	if (tok->refresh_token != NULL)
		explicit_bzero(tok->refresh_token, strlen(tok->refresh_token));
	free(tok->access_token);
	free(tok->refresh_token);
	memset(tok, 0, sizeof(*tok));
}

void
mailru_login_res_free(struct mailru_login_res *res)
{
	if (res == NULL)
		return;
	free(res->url);
	free(res->chal);
	free(res->question);
	mailru_tokens_free(&res->tok);
	memset(res, 0, sizeof(*res));
}

enum where {
	W_ANY,		/* the whole Location */
	W_PATH,		/* scheme, host and path: before '?' */
};

/*
 * Location markers of cgi-bin/auth, first match wins (§1.5 in the order of
 * §10.4).  The question page comes before "fail" because a wrong answer
 * returns to it with fail=1, and success is looked for in the path only:
 * every failure URL carries the inbox target in its page= parameter.
 */
static const struct {
	const char		*marker;
	enum where		 where;
	enum mailru_login	 outcome;
} loc_rules[] = {
	{ MRD_LOC_COPPER,	 W_ANY,	 MAILRU_LOGIN_CHECK_COPPER },
	{ MRD_LOC_RECAPTCHA,	 W_ANY,	 MAILRU_LOGIN_RECAPTCHA },
	{ MRD_LOC_BANNED,	 W_ANY,	 MAILRU_LOGIN_BANNED },
	{ MRD_QUESTION_PAGE,	 W_PATH, MAILRU_LOGIN_QUESTION },
	{ MRD_LOC_FAIL,		 W_ANY,	 MAILRU_LOGIN_WRONG_PASSWORD },
	{ MRD_LOC_RECOVERY,	 W_ANY,	 MAILRU_LOGIN_LOCKED },
	{ MRD_LOC_UKEY,		 W_ANY,	 MAILRU_LOGIN_LOCKED },
	{ MRD_LOC_SECSTEP,	 W_PATH, MAILRU_LOGIN_TWOFA },
	{ MRD_LOC_SUCCESS,	 W_PATH, MAILRU_LOGIN_OK },
	{ MRD_LOC_SUCCESS_LIGHT, W_PATH, MAILRU_LOGIN_OK },
};

static int
ends_with(const char *s, const char *suffix)
{
	size_t	n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static enum mailru_login
classify_location(const char *loc, struct mailru_login_res *res)
{
	enum mailru_login	 o = MAILRU_LOGIN_UNKNOWN;
	char			*path, *fail;
	size_t			 i, n;

	n = strcspn(loc, "?#");
	path = xstrndup(loc, n);
	for (i = 0; i < sizeof(loc_rules) / sizeof(loc_rules[0]); i++) {
		if (ci_contains_z(loc_rules[i].where == W_PATH ? path : loc,
		    loc_rules[i].marker)) {
			o = loc_rules[i].outcome;
			break;
		}
	}
	if (o == MAILRU_LOGIN_UNKNOWN && (ends_with(path,
	    MRD_PATH_LOGIN_PAGE) || ends_with(path, MRD_PATH_LOGIN_PAGE "/")))
		/* back on the form with no reason: the VK ID case (§1.7) */
		o = MAILRU_LOGIN_REJECTED;
	free(path);
	if (o == MAILRU_LOGIN_QUESTION) {
		if ((fail = mailru_url_param(loc, MRD_LOC_FAIL)) != NULL) {
			o = MAILRU_LOGIN_WRONG_ANSWER;
			free(fail);
		}
		res->chal = mailru_url_param(loc, MRD_QUESTION_CHAL);
	}
	res->url = xstrdup(loc);
	return o;
}

enum mailru_login
mailru_parse_web_login(int http_code, const char *location, const char *body,
    size_t len, struct mailru_login_res *res)
{
	struct mailru_env	env;

	memset(res, 0, sizeof(*res));
	if (http_code == 429 || http_code == 449)
		return res->outcome = MAILRU_LOGIN_RATE_LIMIT;
	if (http_code >= 500 && http_code <= 599)
		return res->outcome = MAILRU_LOGIN_SERVER;
	if (http_code >= 300 && http_code <= 399 && location != NULL &&
	    *location != '\0')
		return res->outcome = classify_location(location, res);

	/* no redirect: an envelope (rate limit) or a page */
	mailru_parse_envelope(http_code, body, len, &env);
	if (env.cls == MAILRU_RATE_LIMIT || env.cls == MAILRU_ATTEMPTS)
		res->outcome = MAILRU_LOGIN_RATE_LIMIT;
	else if (ci_contains(body, len, MRD_LOC_RECAPTCHA))
		res->outcome = MAILRU_LOGIN_RECAPTCHA;
	else if (ci_contains(body, len, "captcha"))
		res->outcome = MAILRU_LOGIN_CAPTCHA;
	else
		res->outcome = MAILRU_LOGIN_UNKNOWN;
	mailru_env_free(&env);
	return res->outcome;
}

enum mailru_login
mailru_parse_copper(int http_code, const char *body, size_t len)
{
	struct mailru_env	env;
	enum mailru_login	o;

	if (http_code == 429 || http_code == 449)
		return MAILRU_LOGIN_RATE_LIMIT;
	if (http_code >= 500 && http_code <= 599)
		return MAILRU_LOGIN_SERVER;
	mailru_parse_envelope(http_code, body, len, &env);
	if (env.cls == MAILRU_RATE_LIMIT || env.cls == MAILRU_ATTEMPTS)
		o = MAILRU_LOGIN_RATE_LIMIT;
	else if (env.cls == MAILRU_SERVER)
		o = MAILRU_LOGIN_SERVER;
	else if (env.cls != MAILRU_OK && env.cls != MAILRU_MALFORMED)
		o = MAILRU_LOGIN_UNKNOWN;	/* no pending step */
	else if (ci_contains(body, len, "captcha"))
		o = MAILRU_LOGIN_CAPTCHA;
	else if (env.cls == MAILRU_OK)
		o = MAILRU_LOGIN_TWOFA;
	else
		o = MAILRU_LOGIN_UNKNOWN;
	mailru_env_free(&env);
	return o;
}

/* Tokens from an object holding access_token etc.; 0 if there are some. */
static int
take_tokens(const json_t *o, struct mailru_tokens *tok)
{
	const char	*a = jstr(o, "access_token"), *r;

	if (a == NULL || *a == '\0')
		return -1;
	tok->access_token = xstrdup(a);
	if ((r = jstr(o, "refresh_token")) != NULL && *r != '\0')
		tok->refresh_token = xstrdup(r);
	tok->expires_in = jint(o, "expires_in", 0);
	if (tok->expires_in < 0)
		tok->expires_in = 0;
	return 0;
}

/* Status words of the mobile failure JSON (emulator-defined D10). */
static const struct {
	const char		*status;
	enum mailru_login	 outcome;
} mob_status[] = {
	{ "fail",		 MAILRU_LOGIN_WRONG_PASSWORD },
	{ "recaptcha",		 MAILRU_LOGIN_RECAPTCHA },
	{ "captcha",		 MAILRU_LOGIN_CAPTCHA },
	{ "secstep",		 MAILRU_LOGIN_TWOFA },
	{ "recovery",		 MAILRU_LOGIN_LOCKED },
	{ "blocked",		 MAILRU_LOGIN_BANNED },
	{ MRD_MOB_QUESTION_STATUS, MAILRU_LOGIN_QUESTION },
};

/* What a reply without a known shape says, by the substrings S3 uses. */
static enum mailru_login
mob_guess(const char *buf, size_t len)
{
	if (ci_contains(buf, len, "recaptcha"))
		return MAILRU_LOGIN_RECAPTCHA;
	if (ci_contains(buf, len, "captcha"))
		return MAILRU_LOGIN_CAPTCHA;
	if (ci_contains(buf, len, "secstep") ||
	    ci_contains(buf, len, "second_step") ||
	    ci_contains(buf, len, "twostep"))
		return MAILRU_LOGIN_TWOFA;
	if (ci_contains(buf, len, "recovery"))
		return MAILRU_LOGIN_LOCKED;
	if (ci_contains(buf, len, "blocked"))
		return MAILRU_LOGIN_BANNED;
	/* §10.3: a reply without a token does not prove a wrong password */
	return MAILRU_LOGIN_UNKNOWN;
}

enum mailru_login
mailru_parse_mobile_login(int http_code, const char *location,
    const char *body, size_t len, struct mailru_login_res *res)
{
	json_t		*root = NULL;
	json_error_t	 jerr;
	const json_t	*st;
	const char	*s, *url;
	size_t		 i;
	int		 n;

	memset(res, 0, sizeof(*res));
	if (http_code == 429 || http_code == 449)
		return res->outcome = MAILRU_LOGIN_RATE_LIMIT;
	if (http_code >= 500 && http_code <= 599)
		return res->outcome = MAILRU_LOGIN_SERVER;
	if (body != NULL && len > 0 && len <= MAX_REPLY)
		root = json_loadb(body, len, 0, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		if (location != NULL && *location != '\0') {
			res->url = xstrdup(location);
			res->outcome = mob_guess(location, strlen(location));
			if (res->outcome == MAILRU_LOGIN_UNKNOWN &&
			    http_code >= 300 && http_code <= 399)
				res->outcome = MAILRU_LOGIN_VERIFY;
			return res->outcome;
		}
		return res->outcome = mob_guess(body, len);
	}

	if (take_tokens(json_object_get(root, "oauth"), &res->tok) == 0 ||
	    take_tokens(root, &res->tok) == 0) {
		res->outcome = MAILRU_LOGIN_OK;
		goto out;
	}
	st = json_object_get(root, "status");
	n = status_of(st);
	if (n == 429 || n == 449) {
		res->outcome = MAILRU_LOGIN_RATE_LIMIT;
		goto out;
	}
	if (n >= 500 && n <= 599) {
		res->outcome = MAILRU_LOGIN_SERVER;
		goto out;
	}
	res->outcome = MAILRU_LOGIN_UNKNOWN;
	if ((s = json_string_value(st)) != NULL) {
		for (i = 0; i < sizeof(mob_status) / sizeof(mob_status[0]);
		    i++)
			if (strcasecmp(s, mob_status[i].status) == 0) {
				res->outcome = mob_status[i].outcome;
				break;
			}
	}
	if (res->outcome == MAILRU_LOGIN_UNKNOWN && jint(root, "errno", 0) ==
	    25)
		res->outcome = MAILRU_LOGIN_BANNED;
	if (res->outcome == MAILRU_LOGIN_UNKNOWN)
		res->outcome = mob_guess(body, len);
	if (res->outcome == MAILRU_LOGIN_QUESTION) {
		res->chal = jdup(root, MRD_MOB_CHALLENGE);
		res->question = jdup(root, "question");
		if (res->chal == NULL)
			res->outcome = MAILRU_LOGIN_UNKNOWN;
	}
	if ((url = jstr(root, "url")) != NULL)
		res->url = xstrdup(url);
	else if (location != NULL && *location != '\0')
		res->url = xstrdup(location);
out:
	json_decref(root);
	return res->outcome;
}

char *
mailru_parse_question(const struct mailru_env *env)
{
	const char	*q;

	if (env->cls != MAILRU_OK)
		return NULL;
	if ((q = jstr(env->body, "question")) == NULL || *q == '\0')
		return NULL;
	return xstrdup(q);
}

enum mailru_o2
mailru_parse_o2(int http_code, const char *body, size_t len,
    struct mailru_tokens *tok)
{
	json_t		*root = NULL;
	json_error_t	 jerr;
	enum mailru_o2	 r;
	int64_t		 code;

	memset(tok, 0, sizeof(*tok));
	if (http_code == 429 || (http_code >= 500 && http_code <= 599))
		return MAILRU_O2_RETRY;
	if (body != NULL && len > 0 && len <= MAX_REPLY)
		root = json_loadb(body, len, 0, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		return MAILRU_O2_RETRY;
	}
	code = jint(root, "error_code", -1);
	if (code == 3 || code == 6)
		r = MAILRU_O2_RELOGIN;
	else if (http_code >= 200 && http_code <= 299 &&
	    json_object_get(root, "error") == NULL &&
	    take_tokens(root, tok) == 0)
		r = MAILRU_O2_OK;
	else
		r = MAILRU_O2_FAIL;
	json_decref(root);
	return r;
}

/* ---- ids --------------------------------------------------------------- */

int64_t
mailru_msgid_time(const char *id)
{
	size_t	n, i;
	int64_t	t = 0;

	if (id == NULL)
		return -1;
	n = strlen(id);
	if (n < 10 || n > 32 || strspn(id, "0123456789") != n)
		return -1;
	for (i = 0; i < 10; i++)
		t = t * 10 + (id[i] - '0');
	return t;
}

const char *
mailru_thread_folder(const char *tid)
{
	const char	*mid, *fid;
	size_t		 n;

	if (tid == NULL || (tid[0] != '0' && tid[0] != '1') || tid[1] != ':')
		return NULL;
	mid = tid + 2;
	if ((fid = strchr(mid, ':')) == NULL || fid == mid)
		return NULL;
	fid++;
	n = strlen(fid);
	if (n == 0 || n > 10 || strspn(fid, "0123456789") != n)
		return NULL;
	return fid;
}

char *
mailru_thread_msgid(const char *tid)
{
	const char	*fid = mailru_thread_folder(tid);

	if (fid == NULL || tid[0] != '0')
		return NULL;
	return xstrndup(tid + 2, (size_t)(fid - 1 - (tid + 2)));
}

char *
mailru_thread_id_single(const char *msg_id, const char *folder)
{
	if (msg_id == NULL || *msg_id == '\0' || strchr(msg_id, ':') != NULL ||
	    folder == NULL || *folder == '\0')
		return NULL;
	return xasprintf("0:%s:%s", msg_id, folder);
}

/* ---- mailbox replies --------------------------------------------------- */

/* Field of o, else of o's base_message (the aj thread shape). */
static const json_t *
field(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	if (v == NULL)
		v = json_object_get(json_object_get(o, "base_message"), key);
	return v;
}

static char *
fdup(const json_t *o, const char *key)
{
	const json_t	*v = field(o, key);

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	return NULL;
}

static const json_t *
first_from(const json_t *o)
{
	return json_array_get(json_object_get(field(o, "correspondents"),
	    "from"), 0);
}

static char *
join_emails(const json_t *arr)
{
	const json_t	*e;
	const char	*s;
	char		*out = NULL, *t;
	size_t		 i;

	json_array_foreach(arr, i, e) {
		if ((s = jstr(e, "email")) == NULL || *s == '\0')
			continue;
		if (out == NULL)
			out = xstrdup(s);
		else {
			t = xasprintf("%s, %s", out, s);
			free(out);
			out = t;
		}
	}
	return out;
}

static int
thread_from_json(const json_t *o, struct mailru_thread *t)
{
	const json_t	*flags, *from;

	memset(t, 0, sizeof(*t));
	if (!json_is_object(o) || (t->id = jdup(o, "id")) == NULL)
		return -1;
	if ((t->last = jdup(o, "last")) == NULL &&
	    (t->last = jdup(o, "message_id_last")) == NULL)
		t->last = jdup(json_object_get(o, "base_message"), "id");
	if ((t->folder = fdup(o, "folder")) == NULL &&
	    mailru_thread_folder(t->id) != NULL)
		t->folder = xstrdup(mailru_thread_folder(t->id));
	t->subject = fdup(o, "subject");
	t->snippet = fdup(o, "snippet");
	t->date = jnum(field(o, "date"), -1);
	if (t->date < 0)
		t->date = mailru_msgid_time(t->last);
	t->length = (int)jint(o, "length", jint(o, "messages_count", 1));
	flags = field(o, "flags");
	t->unread = jflag(flags, "unread") || jint(o, "length_unread", 0) > 0;
	t->flagged = jflag(flags, "flagged") ||
	    jint(o, "length_flagged", 0) > 0;
	from = first_from(o);
	t->from_email = jdup(from, "email");
	t->from_name = jdup(from, "name");
	return 0;
}

static int
msg_from_json(const json_t *o, struct mailru_msg *m)
{
	const json_t	*flags, *from, *body;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o) || (m->id = jdup(o, "id")) == NULL)
		return -1;
	m->thread_id = jdup(o, "thread_id");
	m->folder = jdup(o, "folder");
	m->subject = jdup(o, "subject");
	m->snippet = jdup(o, "snippet");
	m->date = jint(o, "date", -1);
	if (m->date < 0)
		m->date = mailru_msgid_time(m->id);
	flags = json_object_get(o, "flags");
	m->unread = jflag(flags, "unread");
	m->flagged = jflag(flags, "flagged");
	m->replied = jflag(flags, "reply");
	from = first_from(o);
	m->from_email = jdup(from, "email");
	m->from_name = jdup(from, "name");
	m->to = join_emails(json_object_get(json_object_get(o,
	    "correspondents"), "to"));
	body = json_object_get(o, "body");
	m->html = jdup(body, "html");
	m->text = jdup(body, "text");
	return 0;
}

static void
thread_free(struct mailru_thread *t)
{
	free(t->id);
	free(t->last);
	free(t->folder);
	free(t->subject);
	free(t->snippet);
	free(t->from_email);
	free(t->from_name);
}

void
mailru_msg_free(struct mailru_msg *m)
{
	if (m == NULL)
		return;
	free(m->id);
	free(m->thread_id);
	free(m->folder);
	free(m->subject);
	free(m->snippet);
	free(m->from_email);
	free(m->from_name);
	free(m->to);
	free(m->html);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

void
mailru_list_free(struct mailru_list *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nthreads; i++)
		thread_free(&l->threads[i]);
	for (i = 0; i < l->nmsgs; i++)
		mailru_msg_free(&l->msgs[i]);
	free(l->threads);
	free(l->msgs);
	memset(l, 0, sizeof(*l));
	l->total = l->unread = -1;
}

static void
list_init(struct mailru_list *out)
{
	memset(out, 0, sizeof(*out));
	out->total = out->unread = -1;
}

/* The aj folders_content entry for folder (or the first one). */
static const json_t *
folder_content(const json_t *fc, const char *folder)
{
	const json_t	*e;
	char		*id;
	size_t		 i;
	int		 same;

	if (folder == NULL)
		return json_array_get(fc, 0);
	json_array_foreach(fc, i, e) {
		if ((id = jdup(e, "id")) == NULL)
			id = jdup(e, "folder");
		same = id != NULL && strcmp(id, folder) == 0;
		free(id);
		if (same)
			return e;
	}
	return NULL;
}

int
mailru_parse_threads(const struct mailru_env *env, const char *folder,
    struct mailru_list *out)
{
	const json_t	*src, *arr, *e;
	size_t		 i;

	list_init(out);
	if (env->cls != MAILRU_OK || !json_is_object(env->body))
		return -1;
	src = env->body;
	if ((arr = json_object_get(src, "threads")) == NULL) {
		src = folder_content(json_object_get(env->body,
		    "folders_content"), folder);
		if (src == NULL && json_is_array(json_object_get(env->body,
		    "folders_content"))) {
			/* the folder was not in the reply: an empty list */
			return 0;
		}
		arr = json_object_get(src, "threads");
	}
	if (!json_is_array(arr))
		return -1;
	out->total = jint(src, "messages_total", -1);
	out->unread = jint(src, "messages_unread", -1);
	out->threads = xcalloc(json_array_size(arr) + 1, sizeof(*out->threads));
	json_array_foreach(arr, i, e) {
		if (thread_from_json(e, &out->threads[out->nthreads]) == 0)
			out->nthreads++;
		else
			thread_free(&out->threads[out->nthreads]);
	}
	return 0;
}

int
mailru_parse_messages(const struct mailru_env *env, struct mailru_list *out)
{
	const json_t	*arr, *e;
	size_t		 i;

	list_init(out);
	if (env->cls != MAILRU_OK)
		return -1;
	arr = json_is_array(env->body) ? env->body :
	    json_object_get(env->body, "messages");
	if (!json_is_array(arr))
		return -1;
	out->total = jint(env->body, "messages_total", jint(env->body,
	    "total", -1));
	out->unread = jint(env->body, "messages_unread", -1);
	out->msgs = xcalloc(json_array_size(arr) + 1, sizeof(*out->msgs));
	json_array_foreach(arr, i, e) {
		if (msg_from_json(e, &out->msgs[out->nmsgs]) == 0)
			out->nmsgs++;
		else
			mailru_msg_free(&out->msgs[out->nmsgs]);
	}
	return 0;
}

int
mailru_parse_message(const struct mailru_env *env, struct mailru_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (env->cls != MAILRU_OK || msg_from_json(env->body, out) != 0) {
		mailru_msg_free(out);
		return -1;
	}
	return 0;
}

int
mailru_parse_send(const struct mailru_env *env, char **msg_id)
{
	*msg_id = NULL;
	if (env->cls != MAILRU_OK)
		return -1;
	if ((*msg_id = jdup(env->body, "message_id")) == NULL)
		*msg_id = jdup(env->body, "id");
	return 0;
}

char *
mailru_parse_token(const struct mailru_env *env)
{
	const char	*t;

	if (env->cls != MAILRU_OK)
		return NULL;
	if ((t = jstr(env->body, "token")) == NULL || *t == '\0')
		return NULL;
	return xstrdup(t);
}

int
mailru_parse_validate(const struct mailru_env *env)
{
	const json_t	*data;
	const char	*e;

	if (env->cls != MAILRU_OK)
		return 0;
	/* NaviData carries data.email; an API envelope carries body */
	if ((data = json_object_get(env->root, "data")) != NULL) {
		e = jstr(data, "email");
		return e != NULL && *e != '\0';
	}
	return env->body != NULL;
}

/*
 * {"ip": "..."} or, when the body is not JSON, its first word (up to
 * whitespace or a NUL, within len); kept only if inet_pton() reads it as
 * an IPv4 or IPv6 address, since it goes into an inet column.
 */
char *
mailru_parse_ipecho(long code, const char *body, size_t len)
{
	unsigned char	 addr[sizeof(struct in6_addr)];
	json_t		*j;
	const char	*ip;
	char		 buf[64];
	size_t		 n;

	if (code != 200 || body == NULL || len == 0)
		return NULL;
	buf[0] = '\0';
	if ((j = json_loadb(body, len, 0, NULL)) != NULL) {
		ip = jstr(j, "ip");
		if (ip != NULL && strlen(ip) < sizeof(buf))
			snprintf(buf, sizeof(buf), "%s", ip);
		json_decref(j);
	} else {
		for (n = 0; n < len && body[n] != '\0' &&
		    strchr(" \r\n\t", body[n]) == NULL; n++)
			;
		if (n < sizeof(buf)) {
			memcpy(buf, body, n);
			buf[n] = '\0';
		}
	}
	if (buf[0] == '\0' || (inet_pton(AF_INET, buf, addr) != 1 &&
	    inet_pton(AF_INET6, buf, addr) != 1))
		return NULL;
	return xstrdup(buf);
}
