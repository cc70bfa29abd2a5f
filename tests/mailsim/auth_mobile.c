/*
 * Mobile login on aj-https.mail.ru (JSON with oauth tokens, §10.1) and the
 * o2.mail.ru token endpoint (password and refresh grants, §10.2). Failure
 * replies of the JSON login are emulator-defined (defined.h D10).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defined.h"
#include "mailsim.h"

static int
truthy(const char *v)
{
	return (v != NULL && (strcmp(v, "1") == 0 ||
	    strcasecmp(v, "true") == 0));
}

static void
raw_json(struct hreq *h, int code, const char *s)
{
	hreq_reply(h, code, "application/json; charset=utf-8", s, strlen(s));
}

static void
tokens_reply(struct hreq *h, struct session *s)
{
	hreq_json(h, 200, json_pack("{s:s,s:{s:s,s:s,s:I}}", "status", "ok",
	    "oauth", "access_token", s->access, "refresh_token", s->refresh,
	    "expires_in", (json_int_t)store_cfg.access_ttl));
}

/* POST aj-https.mail.ru/cgi-bin/auth. */
void
auth_mobile_login(struct hreq *h)
{
	const char *login, *pass, *chal, *ans;
	struct account *a;
	enum outcome o, co;
	struct session *s;
	char *buf, *url, *id, *e;

	COUNT(C_LOGIN_MOBILE);
	if (!truthy(hreq_param(h, "mob_json")) &&
	    !truthy(hreq_param(h, "oauth2"))) {
		auth_web_login_plain(h);
		return;
	}
	login = hreq_param(h, "Login");
	if (login == NULL)
		login = hreq_param(h, "login");
	pass = hreq_param(h, "Password");
	if (pass == NULL)
		pass = hreq_param(h, "password");
	a = auth_login_account(login, hreq_param(h, "Domain"));
	o = auth_decide(a, pass);
	chal = hreq_param(h, "challenge");
	ans = hreq_param(h, "answer");
	if (o == OUT_QUESTION && chal != NULL) {
		if (auth_challenge_get(chal, &co, NULL) == a &&
		    co == OUT_QUESTION && ans != NULL &&
		    utf8_caseeq(ans, a->answer)) {
			auth_challenge_del(chal);
			o = OUT_SUCCESS;
		} else {
			auth_log(h, "mobile", login, a, "wrong_answer");
			raw_json(h, 200, DEF_MOB_FAIL);
			return;
		}
	}
	auth_log(h, "mobile", login, a, outcome_name(o));
	switch (o) {
	case OUT_SUCCESS:
		s = store_session_new(a, 1);
		tokens_reply(h, s);
		return;
	case OUT_CAPTCHA:
		raw_json(h, 200, DEF_MOB_CAPTCHA);
		return;
	case OUT_RECAPTCHA:
		raw_json(h, 200, DEF_MOB_RECAPTCHA);
		return;
	case OUT_TWOFA:
	case OUT_LOCKED:
		e = url_encode(a->email);
		url = o == OUT_TWOFA ?
		    xasprintf("https://auth.mail.ru/cgi-bin/secstep?Login=%s",
		    e) : xasprintf("https://account.mail.ru/recovery?email=%s",
		    e);
		buf = xasprintf(o == OUT_TWOFA ? DEF_MOB_SECSTEP :
		    DEF_MOB_LOCKED, url);
		raw_json(h, 200, buf);
		free(buf);
		free(url);
		free(e);
		return;
	case OUT_QUESTION:
		id = auth_challenge_new(a, OUT_QUESTION, NULL, NULL);
		hreq_json(h, 200, json_pack("{s:s,s:s,s:s}", "status",
		    DEF_MOB_QUESTION_STATUS, "question", a->question,
		    "challenge", id));
		free(id);
		return;
	case OUT_BANNED:
		raw_json(h, 200, DEF_MOB_BANNED);
		return;
	case OUT_RATELIMIT:
		raw_json(h, 200, DEF_MOB_RATELIMIT);
		return;
	default:
		raw_json(h, 200, DEF_MOB_FAIL);
		return;
	}
}

static void
o2_error(struct hreq *h, int code, const char *err, const char *desc)
{
	hreq_json(h, DEF_O2_ERR_CODE, json_pack("{s:s,s:i,s:s}", "error", err,
	    "error_code", code, "error_description", desc));
}

/* o2.mail.ru/token: refresh_token and password grants. */
void
auth_mobile_o2(struct hreq *h)
{
	const char *g = hreq_param(h, "grant_type");
	struct session *s;
	struct account *a;
	enum outcome o;

	if (strcmp(h->path, "/token") != 0 || h->method != EVHTTP_REQ_POST) {
		hreq_html(h, 404, "not found");
		return;
	}
	if (g != NULL && strcmp(g, "refresh_token") == 0) {
		COUNT(C_O2_REFRESH);
		s = store_session_by_refresh(hreq_param(h, "refresh_token"));
		if (!store_session_alive(s)) {
			o2_error(h, 6, "invalid_grant", "invalid refresh token");
			return;
		}
		hreq_conn_account(h, s->acct, "refresh_token");
		store_session_new_access(s);
		hreq_json(h, 200, json_pack("{s:s,s:I,s:s}", "access_token",
		    s->access, "expires_in", (json_int_t)store_cfg.access_ttl,
		    "token_type", "bearer"));
		return;
	}
	if (g != NULL && strcmp(g, "password") == 0) {
		a = store_find_account(hreq_param(h, "username"));
		o = auth_decide(a, hreq_param(h, "password"));
		auth_log(h, "o2", hreq_param(h, "username"), a,
		    outcome_name(o));
		if (o == OUT_SUCCESS) {
			s = store_session_new(a, 1);
			hreq_json(h, 200, json_pack("{s:s,s:s,s:I}",
			    "access_token", s->access, "refresh_token",
			    s->refresh, "expires_in",
			    (json_int_t)store_cfg.access_ttl));
		} else if (o == OUT_BANNED)
			o2_error(h, 3, "invalid_grant", "user is blocked");
		else
			o2_error(h, 3, "invalid_grant",
			    "invalid username or password");
		return;
	}
	o2_error(h, 1, "unsupported_grant_type", "unsupported grant type");
}
