/*
 * Web login as recorded in 2021-2023: the act cookie, the credential POST to
 * auth.mail.ru/cgi-bin/auth with its Location-coded outcomes, the Mpop
 * session, the sdc dance that gives e.mail.ru its sdcs cookie, and the
 * challenges (captcha, 2FA, secret question) that follow a login.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defined.h"
#include "mailsim.h"

/* A pending login step: captcha, 2FA or secret question. */
struct chal {
	struct account	*acct;
	enum outcome	 outcome;
	char		*page;
};

/* One-shot token of the sdc dance: auth.mail.ru/sdc -> e.mail.ru/sdc. */
struct sdc_tok {
	struct session	*sess;
	char		*from;
};

static struct map *chals, *sdc_toks;

static void
chal_free(void *p)
{
	struct chal *c = p;

	free(c->page);
	free(c);
}

static void
sdc_free(void *p)
{
	struct sdc_tok *t = p;

	free(t->from);
	free(t);
}

void
auth_free(void)
{
	if (chals != NULL)
		map_free(chals, chal_free);
	if (sdc_toks != NULL)
		map_free(sdc_toks, sdc_free);
	chals = sdc_toks = NULL;
}

/* Remember a login step; id may be given (the web flow uses act). */
char *
auth_challenge_new(struct account *a, enum outcome o, const char *page,
    const char *id)
{
	struct chal *c = xcalloc(1, sizeof(*c)), *old;
	char hex[33];

	if (chals == NULL)
		chals = map_new();
	if (id == NULL || *id == '\0') {
		rnd_hex(hex, 32);
		id = hex;
	}
	c->acct = a;
	c->outcome = o;
	c->page = xstrdup(page != NULL ? page : "https://e.mail.ru/inbox/");
	if ((old = map_get(chals, id)) != NULL)
		chal_free(old);
	map_put(chals, id, c);
	return (xstrdup(id));
}

struct account *
auth_challenge_get(const char *id, enum outcome *o, const char **page)
{
	struct chal *c;

	if (chals == NULL || id == NULL || (c = map_get(chals, id)) == NULL)
		return (NULL);
	if (o != NULL)
		*o = c->outcome;
	if (page != NULL)
		*page = c->page;
	return (c->acct);
}

void
auth_challenge_del(const char *id)
{
	struct chal *c;

	if (chals != NULL && id != NULL && (c = map_del(chals, id)) != NULL)
		chal_free(c);
}

/*
 * Outcome of a password login: rate limit first (the server refuses before
 * looking), then the password, then the account's configured outcome.
 */
enum outcome
auth_decide(struct account *a, const char *password)
{
	if (a == NULL)
		return (OUT_WRONG_PASSWORD);
	if (a->outcome == OUT_RATELIMIT)
		return (OUT_RATELIMIT);
	if (password == NULL || strcmp(password, a->password) != 0)
		return (OUT_WRONG_PASSWORD);
	return (a->outcome);
}

/* Find the mailbox named by a login field (with or without Domain). */
struct account *
auth_login_account(const char *login, const char *domain)
{
	char buf[320];

	if (login == NULL)
		return (NULL);
	if (strchr(login, '@') == NULL && domain != NULL && *domain != '\0') {
		snprintf(buf, sizeof(buf), "%s@%s", login, domain);
		return (store_find_account(buf));
	}
	return (store_find_account(login));
}

void
auth_log(struct hreq *h, const char *flow, const char *login,
    struct account *a, const char *outcome)
{
	const char *ua = hreq_header(h, "User-Agent");

	store_log(LOG_LOGINS, json_pack("{s:I,s:s,s:s,s:s?,s:s,s:i,s:s,s:s,"
	    "s:b}", "time", (json_int_t)now_sec(), "flow", flow, "login",
	    login != NULL ? login : "", "account", a != NULL ? a->email : NULL,
	    "ip", h->ip, "port", h->port, "user_agent", ua != NULL ? ua : "",
	    "outcome", outcome, "known", a != NULL));
	if (a != NULL)
		hreq_conn_account(h, a, "login");
	if (strcmp(outcome, "success") == 0) {
		COUNT(C_LOGIN_OK);
		if (a != NULL)
			a->logins_ok++;
	} else {
		COUNT(C_LOGIN_FAIL);
		if (a != NULL)
			a->logins_fail++;
	}
}

/* Cookies of a fresh web session, with the domains seen in 2021. */
void
auth_web_session_cookies(struct hreq *h, struct session *s)
{
	char hex[33], info[64];

	hreq_set_cookie(h, "Mpop", s->mpop, ".mail.ru",
	    (long)DEF_MPOP_DAYS * 86400);
	rnd_hex(hex, 32);
	hreq_set_cookie(h, "ssdc", hex, ".auth.mail.ru", 0);
	snprintf(info, sizeof(info), "%.4s:0:%lld", hex + 8,
	    (long long)now_sec());
	hreq_set_cookie(h, "ssdc_info", info, ".auth.mail.ru", 0);
	rnd_hex(hex, 32);
	hreq_set_cookie(h, "t", hex, ".mail.ru", 180L * 86400);
}

/* The page target with authid/from appended, as the success Location. */
char *
auth_success_url(const char *page)
{
	char hex[17];

	rnd_hex(hex, 16);
	return (xasprintf("%s%sauthid=%s&from=login", page,
	    strchr(page, '?') != NULL ? "&" : "?", hex));
}

/* Location for a non-success outcome of cgi-bin/auth (§1.5 table). */
static char *
fail_location(enum outcome o, struct account *a, const char *page,
    const char *chal)
{
	char *ep = url_encode(page), *el = url_encode(a ? a->email : ""), *r;

	switch (o) {
	case OUT_CAPTCHA:
		r = xasprintf("https://account.mail.ru/user/login?login=%s&"
		    "page=%s", el, ep);
		break;
	case OUT_RECAPTCHA:
		r = xasprintf("https://account.mail.ru/login?page=%s&"
		    "recaptcha=1&login=%s", ep, el);
		break;
	case OUT_TWOFA:
		r = xasprintf("https://auth.mail.ru/cgi-bin/secstep?Login=%s&"
		    "page=%s", el, ep);
		break;
	case OUT_QUESTION:
		r = xasprintf("https://account.mail.ru%s?chal=%s&page=%s",
		    DEF_QUESTION_PATH, chal ? chal : "", ep);
		break;
	case OUT_LOCKED:
		r = xasprintf("https://account.mail.ru/recovery?email=%s", el);
		break;
	case OUT_BANNED:
		r = xasprintf("https://account.mail.ru/login?page=%s&errno=25",
		    ep);
		break;
	default:
		r = xasprintf("https://account.mail.ru/login?page=%s&fail=1",
		    ep);
		break;
	}
	free(ep);
	free(el);
	return (r);
}

/* Finish a login as success: session, cookies, 302 to the page. */
static void
login_success(struct hreq *h, struct account *a, const char *page,
    const char *flow, const char *login)
{
	struct session *s = store_session_new(a, 0);
	char *loc = auth_success_url(page);

	auth_log(h, flow, login, a, "success");
	auth_web_session_cookies(h, s);
	hreq_redirect(h, loc);
	free(loc);
}

/*
 * Answer a credential POST with a Location, web style. Used by
 * auth.mail.ru and by aj-https.mail.ru without mob_json.
 */
static void
login_reply(struct hreq *h, const char *flow, int check_act)
{
	const char *login = hreq_param(h, "Login"), *pass, *page, *act;
	struct account *a;
	enum outcome o;
	char *loc, *chal = NULL;

	if (login == NULL || *login == '\0')
		login = hreq_param(h, "username");
	if (login == NULL || *login == '\0')
		login = hreq_param(h, "login");
	pass = hreq_param(h, "Password");
	if (pass == NULL)
		pass = hreq_param(h, "password");
	page = hreq_param(h, "page");
	if (page == NULL || *page == '\0')
		page = "https://e.mail.ru/inbox/";
	a = auth_login_account(login, hreq_param(h, "Domain"));
	o = auth_decide(a, pass);
	act = hreq_cookie(h, "act");
	if (check_act && (act == NULL || *act == '\0' ||
	    hreq_param(h, "act_token") == NULL ||
	    strcmp(act, hreq_param(h, "act_token")) != 0)) {
		/* a POST without the pre-login cookie looks like a bot */
		auth_log(h, flow, login, a, "act_mismatch");
		loc = fail_location(OUT_WRONG_PASSWORD, a, page, NULL);
		hreq_redirect(h, loc);
		free(loc);
		return;
	}
	if (o == OUT_SUCCESS) {
		login_success(h, a, page, flow, login);
		return;
	}
	auth_log(h, flow, login, a, outcome_name(o));
	if (o == OUT_RATELIMIT) {
		hreq_json(h, DEF_WEB_RATELIMIT_CODE, json_pack("{s:i,s:b,"
		    "s:n,s:s}", "status", DEF_WEB_RATELIMIT_CODE, "htmlencoded",
		    1, "email", "body", "ratelimit"));
		return;
	}
	if (o == OUT_CAPTCHA || o == OUT_TWOFA || o == OUT_QUESTION)
		chal = auth_challenge_new(a, o, page, act);
	loc = fail_location(o, a, page, chal);
	hreq_redirect(h, loc);
	free(loc);
	free(chal);
}

/* Web-style login on the aj host (§10.4): no act cookie. */
void
auth_web_login_plain(struct hreq *h)
{
	login_reply(h, "aj-web", 0);
}

/* Valid web session from Mpop; *out set. 0 ok, 1 "user", 2 "nosdc". */
int
auth_web_session(struct hreq *h, struct session **out)
{
	struct session *s = store_session_by_mpop(hreq_cookie(h, "Mpop"));
	struct session *sd;

	*out = NULL;
	if (!store_session_alive(s) || s->mobile)
		return (1);
	*out = s;
	h->acct = s->acct;
	h->sess = s;
	hreq_conn_account(h, s->acct, "mpop");
	sd = store_session_by_sdcs(hreq_cookie(h, "sdcs"));
	if (sd != s)
		return (2);
	hreq_conn_account(h, s->acct, "sdcs");
	return (0);
}

/* 302 to the login page, with a fresh act cookie when there is none. */
void
auth_web_need_login(struct hreq *h)
{
	char act[33], *url = hreq_full_url(h), *eu = url_encode(url), *loc;

	if (hreq_cookie(h, "act") == NULL) {
		rnd_hex(act, 32);
		hreq_set_cookie(h, "act", act, ".mail.ru", 0);
	}
	loc = xasprintf("https://account.mail.ru/login?page=%s&"
	    "allow_external=1", eu);
	hreq_redirect(h, loc);
	free(loc);
	free(eu);
	free(url);
}

static void
copper(struct hreq *h)
{
	enum outcome o;
	const char *page, *act = hreq_cookie(h, "act"), *f;
	struct account *a = auth_challenge_get(act, &o, &page);
	json_t *fields, *ans;
	struct session *s;
	char *url;

	if (a == NULL) {
		hreq_error(h, 403, "user");
		return;
	}
	h->acct = a;
	if (h->method != EVHTTP_REQ_POST || o != OUT_CAPTCHA) {
		if (o == OUT_CAPTCHA)
			hreq_envelope(h, 200, json_pack("{s:s,s:s}", "type",
			    "captcha", "captcha",
			    "https://c.mail.ru/c/6?mailsim=1"));
		else
			hreq_envelope(h, 200, json_pack("{s:s,s:s}", "type",
			    "twostep", "url", "https://auth.mail.ru/cgi-bin/"
			    "secstep"));
		return;
	}
	f = hreq_param(h, "fields");
	fields = f != NULL ? json_loads(f, 0, NULL) : NULL;
	ans = json_object_get(fields, "captcha");
	if (json_is_string(ans) && strcmp(json_string_value(ans),
	    DEF_CAPTCHA_ANSWER) == 0) {
		s = store_session_new(a, 0);
		auth_web_session_cookies(h, s);
		auth_log(h, "captcha", a->email, a, "success");
		url = auth_success_url(page);
		auth_challenge_del(act);
		hreq_envelope(h, 200, json_pack("{s:b,s:s}", "OK", 1, "url",
		    url));
		free(url);
	} else
		hreq_envelope(h, 200, json_pack("{s:b,s:s}", "OK", 0,
		    "captcha", "https://c.mail.ru/c/6?mailsim=2"));
	json_decref(fields);
}

/* Host account.mail.ru. */
void
auth_web_account(struct hreq *h)
{
	const char *p = h->path, *chal;
	char act[33];
	struct account *a;
	enum outcome o;

	if (strcmp(p, "/login") == 0 || strcmp(p, "/login/") == 0) {
		const char *cur = hreq_cookie(h, "act");

		if (cur == NULL) {
			rnd_hex(act, 32);
			hreq_set_cookie(h, "act", act, ".mail.ru", 0);
			cur = act;
		}
		pages_login(h, cur);
	} else if (strcmp(p, "/api/v1/user/copper") == 0)
		copper(h);
	else if (strcmp(p, DEF_QUESTION_PATH) == 0 ||
	    strcmp(p, "/api/v1/user/question") == 0) {
		chal = hreq_param(h, "chal");
		a = auth_challenge_get(chal, &o, NULL);
		if (a == NULL || o != OUT_QUESTION) {
			hreq_error(h, 403, "user");
			return;
		}
		if (p[1] == 'a') {
			h->acct = a;
			hreq_envelope(h, 200, json_pack("{s:s,s:s}",
			    "question", a->question, "chal", chal));
		} else
			pages_question(h, a->question, chal);
	} else if (strcmp(p, "/api/v1/user/password/restore") == 0) {
		a = store_find_account(hreq_param(h, "email"));
		if (a == NULL)
			hreq_envelope(h, 200, json_string("not_exists"));
		else
			hreq_envelope(h, 200, json_pack("{s:[],s:[s]}",
			    "phones", "emails", "r***@mail.ru"));
	} else if (strcmp(p, "/user/login") == 0 ||
	    strcmp(p, "/recovery") == 0)
		hreq_html(h, 200, "<html><body><h1>Требуется проверка</h1>"
		    "<p>captcha / recovery</p></body></html>");
	else
		hreq_html(h, 404, "<html><body>not found</body></html>");
}

static void
sdc_auth(struct hreq *h)
{
	struct session *s = store_session_by_mpop(hreq_cookie(h, "Mpop"));
	const char *from = hreq_param(h, "from");
	struct sdc_tok *t;
	char tok[33], *loc;

	if (!store_session_alive(s) || s->mobile) {
		auth_web_need_login(h);
		return;
	}
	if (sdc_toks == NULL)
		sdc_toks = map_new();
	COUNT(C_SDC);
	hreq_conn_account(h, s->acct, "mpop");
	t = xcalloc(1, sizeof(*t));
	t->sess = s;
	t->from = xstrdup(from != NULL && *from ? from :
	    "https://e.mail.ru/inbox/");
	rnd_hex(tok, 32);
	map_put(sdc_toks, tok, t);
	loc = xasprintf("https://e.mail.ru/sdc?token=%s", tok);
	hreq_redirect(h, loc);
	free(loc);
}

/* e.mail.ru/sdc?token=: set the host cookie and go back to the URL. */
void
auth_web_sdc_host(struct hreq *h)
{
	const char *tok = hreq_param(h, "token");
	struct sdc_tok *t = NULL;

	if (sdc_toks != NULL && tok != NULL)
		t = map_del(sdc_toks, tok);
	if (t == NULL || !store_session_alive(t->sess)) {
		if (t != NULL)
			sdc_free(t);
		auth_web_need_login(h);
		return;
	}
	store_session_set_sdcs(t->sess);
	hreq_set_cookie(h, "sdcs", t->sess->sdcs, ".e.mail.ru", 0);
	hreq_redirect(h, t->from);
	sdc_free(t);
}

static void
secstep(struct hreq *h)
{
	const char *act = hreq_cookie(h, "act"), *page;
	const char *code = hreq_param(h, "AuthCode");
	enum outcome o;
	struct account *a = auth_challenge_get(act, &o, &page);
	char *loc, *pg;

	if (h->method != EVHTTP_REQ_POST) {
		hreq_html(h, 200, "<html><body><form method=post>"
		    "<input name=AuthCode><input name=Login type=hidden>"
		    "<button>OK</button></form></body></html>");
		return;
	}
	if (a == NULL || o != OUT_TWOFA || code == NULL ||
	    strcmp(code, DEF_TWOFA_CODE) != 0) {
		auth_log(h, "secstep", a ? a->email : hreq_param(h, "Login"),
		    a, "wrong_code");
		loc = fail_location(OUT_TWOFA, a, a ? page : "", NULL);
		hreq_redirect(h, loc);
		free(loc);
		return;
	}
	pg = xstrdup(page);
	auth_challenge_del(act);
	login_success(h, a, pg, "secstep", a->email);
	free(pg);
}

static void
question(struct hreq *h)
{
	const char *id = hreq_param(h, "chal"), *ans = hreq_param(h, "answer");
	const char *page;
	enum outcome o;
	struct account *a = auth_challenge_get(id, &o, &page);
	char *loc, *pg;

	if (a == NULL || o != OUT_QUESTION) {
		auth_web_need_login(h);
		return;
	}
	if (ans == NULL || !utf8_caseeq(ans, a->answer)) {
		auth_log(h, "question", a->email, a, "wrong_answer");
		loc = xasprintf("https://account.mail.ru%s?chal=%s&fail=1",
		    DEF_QUESTION_PATH, id);
		hreq_redirect(h, loc);
		free(loc);
		return;
	}
	pg = xstrdup(page);
	auth_challenge_del(id);
	login_success(h, a, pg, "question", a->email);
	free(pg);
}

static void
logout(struct hreq *h)
{
	struct session *s = store_session_by_mpop(hreq_cookie(h, "Mpop"));
	const char *page = hreq_param(h, "page");

	if (s != NULL)
		s->dead = 1;
	hreq_set_cookie(h, "Mpop", "", ".mail.ru", -1);
	hreq_redirect(h, page != NULL && *page ? page :
	    "https://account.mail.ru/login");
}

/* Host auth.mail.ru. */
void
auth_web_auth(struct hreq *h)
{
	const char *p = h->path;
	struct session *s;
	struct account *a;

	if (strcmp(p, "/cgi-bin/auth") == 0 && h->method == EVHTTP_REQ_POST) {
		COUNT(C_LOGIN_WEB);
		login_reply(h, "web", 1);
	} else if (strcmp(p, "/cgi-bin/auth") == 0) {
		s = store_session_by_mpop(hreq_cookie(h, "Mpop"));
		hreq_json(h, 200, json_pack("{s:s}", "status",
		    store_session_alive(s) ? "ok" : "noauth"));
	} else if (strcmp(p, "/sdc") == 0)
		sdc_auth(h);
	else if (strcmp(p, "/cgi-bin/secstep") == 0)
		secstep(h);
	else if (strcmp(p, DEF_QUESTION_POST) == 0)
		question(h);
	else if (strcmp(p, "/cgi-bin/logout") == 0)
		logout(h);
	else if (strcmp(p, "/api/v1/pushauth/info") == 0) {
		a = store_find_account(hreq_param(h, "login"));
		hreq_envelope(h, 200, json_pack("{s:b,s:b,s:b,s:s,s:s}",
		    "exists", a != NULL, "twostep", a != NULL &&
		    a->outcome == OUT_TWOFA, "can_push", 0, "auth", "password",
		    "provider", "default"));
	} else
		hreq_html(h, 404, "<html><body>not found</body></html>");
}

/* portal.mail.ru/NaviData: who is logged in, and the unread count. */
void
auth_web_navidata(struct hreq *h)
{
	struct session *s = store_session_by_mpop(hreq_cookie(h, "Mpop"));
	struct msg **v;
	size_t i, n, unread = 0;

	if (!store_session_alive(s)) {
		hreq_json(h, 200, json_pack("{s:s,s:{s:s,s:[]}}", "status",
		    "noauth", "data", "action", "list", "list"));
		return;
	}
	hreq_conn_account(h, s->acct, "mpop");
	n = store_list(s->acct, FOLDER_INBOX, &v);
	for (i = 0; i < n; i++)
		unread += v[i]->unread;
	free(v);
	hreq_json(h, 200, json_pack("{s:s,s:{s:s,s:[{s:s,s:I}],s:I}}",
	    "status", "ok", "data", "email", s->acct->email, "list", "email",
	    s->acct->email, "unread", (json_int_t)unread, "mail_cnt",
	    (json_int_t)unread));
}
