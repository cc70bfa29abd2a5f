/*
 * One provider API call with the repairs the protocol asks for: a stale
 * CSRF token is refreshed (user/short) or an expired access token renewed
 * (o2), a missing sdc cookie is fetched by the sdc dance, and a lost
 * session gets exactly one fresh login per action.  Each repair is tried
 * at most twice per call, so nothing loops.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "config.h"
#include "log.h"
#include "sessint.h"
#include "xmalloc.h"

#define MAX_REPAIRS	2

static void	api_send(struct session *);

static int
transient_class(enum mailru_status c)
{
	return c == MAILRU_RATE_LIMIT || c == MAILRU_ATTEMPTS ||
	    c == MAILRU_SERVER || c == MAILRU_MALFORMED;
}

void
act_fail_env(struct session *s, const struct mailru_env *env,
    const char *what)
{
	act_finish(s, transient_class(env->cls) ? ACT_TRANSIENT :
	    ACT_PERMANENT, "%s: %s%s%s (HTTP %d)", what,
	    mailru_status_name(env->cls), env->error != NULL ? " " : "",
	    env->error != NULL ? env->error : "", env->http_code);
}

/* The session is gone at the provider: log in again, then resend. */
static void
relogin(struct session *s, const char *why)
{
	if (s->relogged) {
		act_finish(s, ACT_TRANSIENT, "session lost again after a fresh"
		    " login (%s)", why);
		return;
	}
	s->relogged = 1;
	log_info("account %s: %s, logging in again", s->acct->email, why);
	s->resume_api = 1;
	sess_change(s, SESS_LOGIN);
}

static void
short_done(struct session *s, const struct shttp_resp *r)
{
	struct mailru_env	 env;
	char			*tok;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "token refresh");
		act_finish(s, ACT_TRANSIENT, "%s", s->error);
		return;
	}
	mailru_parse_envelope((int)r->code, r->body, r->len, &env);
	if (env.cls == MAILRU_OK && (tok = mailru_parse_token(&env)) != NULL) {
		free(s->token);
		s->token = tok;
		mailru_env_free(&env);
		api_send(s);
		return;
	}
	if (env.cls == MAILRU_USER || env.cls == MAILRU_NOSDC ||
	    env.cls == MAILRU_TOKEN) {
		mailru_env_free(&env);
		relogin(s, "token refresh refused");
		return;
	}
	act_fail_env(s, &env, "token refresh");
	mailru_env_free(&env);
}

static void
o2_done(struct session *s, const struct shttp_resp *r)
{
	struct mailru_tokens	tok;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "token refresh");
		act_finish(s, ACT_TRANSIENT, "%s", s->error);
		return;
	}
	memset(&tok, 0, sizeof(tok));
	switch (mailru_parse_o2((int)r->code, r->body, r->len, &tok)) {
	case MAILRU_O2_OK:
		free(s->access_token);
		s->access_token = tok.access_token;
		tok.access_token = NULL;
		if (tok.refresh_token != NULL) {
			free(s->refresh_token);
			s->refresh_token = tok.refresh_token;
			tok.refresh_token = NULL;
		}
		mailru_tokens_free(&tok);
		api_send(s);
		return;
	case MAILRU_O2_RETRY:
		mailru_tokens_free(&tok);
		act_finish(s, ACT_TRANSIENT, "token refresh: HTTP %ld",
		    r->code);
		return;
	case MAILRU_O2_RELOGIN:
	case MAILRU_O2_FAIL:
		mailru_tokens_free(&tok);
		relogin(s, "refresh token refused");
		return;
	}
}

static void
sdc_hop(struct session *s, const struct shttp_resp *r)
{
	const char	*e = s->env->hosts.e;
	size_t		 elen = strlen(e);

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "sdc");
		act_finish(s, ACT_TRANSIENT, "%s", s->error);
		return;
	}
	if (r->location == NULL) {
		relogin(s, "sdc dance ended without a redirect");
		return;
	}
	/* Back on the API host: the sdcs cookie is set; resend. */
	if (strncmp(r->location, e, elen) == 0 &&
	    strncmp(r->location + elen, "/api/", 5) == 0) {
		api_send(s);
		return;
	}
	if (++s->sdc_hops > s->env->cfg->session.max_redirects) {
		act_finish(s, ACT_TRANSIENT, "sdc dance: too many redirects");
		return;
	}
	sess_http(s, mailru_req_get(r->location, NULL), sdc_hop);
}

static void
api_done(struct session *s, const struct shttp_resp *r)
{
	struct mailru_env	 env;
	enum mailru_status	 cls;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, act_kind_name(s->acts[s->cur].kind));
		if (r->too_big) {
			/* The letter, not the session, is the problem. */
			char *e = s->error;

			s->error = NULL;
			act_finish(s, ACT_PERMANENT, "%s", e);
			free(e);
			return;
		}
		act_finish(s, ACT_TRANSIENT, "%s", s->error);
		return;
	}
	cls = mailru_parse_envelope((int)r->code, r->body, r->len, &env);
	if ((cls == MAILRU_NOSDC || cls == MAILRU_TOKEN) &&
	    s->repairs >= MAX_REPAIRS) {
		act_fail_env(s, &env, "repairs exhausted");
		mailru_env_free(&env);
		return;
	}
	switch (cls) {
	case MAILRU_NOSDC:
		mailru_env_free(&env);
		s->repairs++;
		if (s->ctx.flavour != MAILRU_WEB) {
			relogin(s, "nosdc on the mobile API");
			return;
		}
		s->sdc_hops = 0;
		sess_ctx_refresh(s);
		sess_http(s, mailru_req_sdc(&s->ctx, s->api_url), sdc_hop);
		return;
	case MAILRU_TOKEN:
		mailru_env_free(&env);
		s->repairs++;
		sess_ctx_refresh(s);
		if (s->ctx.flavour == MAILRU_WEB)
			sess_http(s, mailru_req_user_short(&s->ctx),
			    short_done);
		else if (s->refresh_token != NULL)
			sess_http(s, mailru_req_o2_refresh(&s->ctx,
			    s->refresh_token, NULL), o2_done);
		else
			relogin(s, "access token expired");
		return;
	case MAILRU_USER:
		mailru_env_free(&env);
		relogin(s, "session expired");
		return;
	default:
		s->reply(s, &env);
		mailru_env_free(&env);
		return;
	}
}

static void
api_send(struct session *s)
{
	struct mailru_req	*req;

	sess_ctx_refresh(s);
	if ((req = s->build(s)) == NULL) {
		act_finish(s, ACT_PERMANENT, "cannot build the %s request",
		    act_kind_name(s->acts[s->cur].kind));
		return;
	}
	free(s->api_url);
	s->api_url = xstrdup(req->url);
	sess_http(s, req, api_done);
}

void
sess_api(struct session *s, sess_build_fn *build, sess_reply_fn *reply)
{
	s->build = build;
	s->reply = reply;
	s->repairs = 0;
	api_send(s);
}

/*
 * GET url and the redirects after it, recording each hop in sc.chain;
 * fn gets the first reply that is not a redirect (or a failure).
 */
static void
follow_hop(struct session *s, const struct shttp_resp *r)
{
	sess_raw_fn	*fn = s->sc.follow_fn;

	json_array_append_new(s->sc.chain, json_pack("{s:s, s:i}", "url",
	    s->sc.url, "status", (int)r->code));
	if (r->rc == CURLE_OK && r->location != NULL &&
	    s->sc.hops < s->env->cfg->session.max_redirects) {
		s->sc.hops++;
		free(s->sc.url);
		s->sc.url = xstrdup(r->location);
		sess_http(s, mailru_req_get(r->location, NULL), follow_hop);
		return;
	}
	fn(s, r);
}

void
sess_follow(struct session *s, const char *url, sess_raw_fn *fn)
{
	s->sc.follow_fn = fn;
	if (s->sc.chain == NULL)
		s->sc.chain = json_array();
	free(s->sc.url);
	s->sc.url = xstrdup(url);
	s->sc.hops = 0;
	sess_http(s, mailru_req_get(url, NULL), follow_hop);
}
