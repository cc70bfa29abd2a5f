/*
 * The "web" login, as a browser does it (protocol §1.1-§1.3, §10.10):
 * the login page sets the act cookie, the credential POST answers with a
 * redirect whose target says how it went, and walking that redirect to
 * the mailbox passes the sdc dance and shows the CSRF token.  Challenges
 * (copper: captcha or two-factor; the secret question) are steps of their
 * own.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "config.h"
#include "sessint.h"
#include "xmalloc.h"

static int
web_usable(struct session *s)
{
	return s->acct->password != NULL;
}

/* ---- after the password: to the mailbox and its token ------------------- */

static void
token_done(struct session *s, const struct shttp_resp *r)
{
	struct mailru_env	 env;
	char			*tok;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "token");
		sess_login_failed(s, LOGIN_TRANSIENT, s->error);
		return;
	}
	mailru_parse_envelope((int)r->code, r->body, r->len, &env);
	tok = env.cls == MAILRU_OK ? mailru_parse_token(&env) : NULL;
	mailru_env_free(&env);
	if (tok == NULL) {
		sess_login_failed(s, LOGIN_NEXT, "no CSRF token after login");
		return;
	}
	free(s->token);
	s->token = tok;
	sess_login_ok(s, MAILRU_WEB, s->login_via);
}

static void
walk_hop(struct session *s, const struct shttp_resp *r)
{
	char	*tok;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "mailbox page");
		sess_login_failed(s, LOGIN_TRANSIENT, s->error);
		return;
	}
	if (r->location != NULL) {
		if (strstr(r->location, "/login") != NULL &&
		    strncmp(r->location, s->env->hosts.account,
		    strlen(s->env->hosts.account)) == 0) {
			sess_login_failed(s, LOGIN_NEXT, "sent back to the"
			    " login page");
			return;
		}
		if (++s->auth_redirects > s->env->cfg->session.max_redirects) {
			sess_login_failed(s, LOGIN_TRANSIENT, "too many"
			    " redirects after login");
			return;
		}
		sess_http(s, mailru_req_get(r->location, NULL), walk_hop);
		return;
	}
	if (r->code == 200 && (tok = mailru_html_token(r->body, r->len)) !=
	    NULL) {
		free(s->token);
		s->token = tok;
		sess_login_ok(s, MAILRU_WEB, s->login_via);
		return;
	}
	/* The page did not carry it: ask the API (§2.1). */
	s->ctx.flavour = MAILRU_WEB;
	sess_ctx_refresh(s);
	sess_http(s, mailru_req_user_short(&s->ctx), token_done);
}

void
auth_web_finish(struct session *s, const char *url, const char *via)
{
	s->login_via = via;
	s->ctx.flavour = MAILRU_WEB;
	s->auth_redirects = 0;
	sess_http(s, mailru_req_get(url, NULL), walk_hop);
}

/* ---- the credential POST and its challenges ----------------------------- */

static void	web_outcome(struct session *, const struct shttp_resp *);

static void
copper_done(struct session *s, const struct shttp_resp *r)
{
	enum mailru_login	o;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "login challenge");
		sess_login_failed(s, LOGIN_TRANSIENT, s->error);
		return;
	}
	o = mailru_parse_copper((int)r->code, r->body, r->len);
	auth_outcome(s, o == MAILRU_LOGIN_OK ? MAILRU_LOGIN_UNKNOWN : o,
	    "web");
}

static void
web_outcome(struct session *s, const struct shttp_resp *r)
{
	struct mailru_login_res	 res;
	enum mailru_login	 o;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "web login");
		sess_login_failed(s, LOGIN_TRANSIENT, s->error);
		return;
	}
	o = mailru_parse_web_login((int)r->code, r->location, r->body, r->len,
	    &res);
	switch (o) {
	case MAILRU_LOGIN_OK:
		auth_web_finish(s, res.url, "web");
		break;
	case MAILRU_LOGIN_CHECK_COPPER:
		sess_ctx_refresh(s);
		sess_http(s, mailru_req_copper(&s->ctx), copper_done);
		break;
	case MAILRU_LOGIN_QUESTION:
		if (s->acct->answer == NULL || res.chal == NULL)
			sess_login_failed(s, LOGIN_SUSPEND, "secret question:"
			    " no recovery answer on file");
		else if (s->answered)
			sess_login_failed(s, LOGIN_SUSPEND,
			    "secret question: wrong answer");
		else {
			s->answered = 1;
			sess_ctx_refresh(s);
			sess_http(s, mailru_req_question_answer(&s->ctx,
			    res.chal, s->acct->answer), web_outcome);
		}
		break;
	default:
		auth_outcome(s, o, "web");
		break;
	}
	mailru_login_res_free(&res);
}

static void
prelogin_done(struct session *s, const struct shttp_resp *r)
{
	char	*host, *act;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "login page");
		sess_login_failed(s, LOGIN_TRANSIENT, s->error);
		return;
	}
	if (r->code >= 500 || r->code == 429) {
		sess_login_failed(s, LOGIN_TRANSIENT, r->code == 429 ?
		    "rate limited" : "server error");
		return;
	}
	host = sess_url_host(s->env->hosts.account);
	act = shttp_cookie_get(s->http, host, "act");
	free(host);
	sess_ctx_refresh(s);
	sess_http(s, mailru_req_web_login(&s->ctx, s->acct->email,
	    s->acct->password, act, NULL), web_outcome);
	free(act);
}

static void
web_start(struct session *s)
{
	s->ctx.flavour = MAILRU_WEB;
	sess_ctx_refresh(s);
	sess_http(s, mailru_req_prelogin(&s->ctx, NULL), prelogin_done);
}

const struct auth_method auth_web = {
	"web", web_usable, web_start,
};
