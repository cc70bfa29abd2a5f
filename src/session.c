#define _GNU_SOURCE	/* vasprintf */
/*
 * The account session's life cycle.  One enter function per state, in the
 * order of enum sess_state; sess_change() is the only place the state
 * moves, so the per-state counts exported to /metrics stay exact.  The
 * owner is told about each action as it ends and about the session once,
 * always from the loop; the struct is freed at the end of the iteration in
 * which the session finished (loop_defer), after every callback that may
 * still hold it has run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "account.h"
#include "breaker.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "redis.h"
#include "secret.h"
#include "sesscache.h"
#include "sessint.h"
#include "xmalloc.h"

static uint64_t	 state_counts[SESS_NSTATES];

static const char *const state_names[SESS_NSTATES] = {
	[SESS_WAIT_PROXY] = "wait_proxy",
	[SESS_IPECHO] = "ipecho",
	[SESS_RESTORE] = "restore",
	[SESS_VALIDATE] = "validate",
	[SESS_LOGIN] = "login",
	[SESS_ACTION] = "action",
	[SESS_PAUSE] = "pause",
	[SESS_SAVE] = "save",
	[SESS_DONE] = "done",
};

static void	enter_wait_proxy(struct session *);
static void	enter_ipecho(struct session *);
static void	enter_restore(struct session *);
static void	enter_validate(struct session *);
static void	enter_login(struct session *);
static void	enter_action(struct session *);
static void	enter_pause(struct session *);
static void	enter_save(struct session *);
static void	enter_done(struct session *);

static void (*const enter[SESS_NSTATES])(struct session *) = {
	[SESS_WAIT_PROXY] = enter_wait_proxy,
	[SESS_IPECHO] = enter_ipecho,
	[SESS_RESTORE] = enter_restore,
	[SESS_VALIDATE] = enter_validate,
	[SESS_LOGIN] = enter_login,
	[SESS_ACTION] = enter_action,
	[SESS_PAUSE] = enter_pause,
	[SESS_SAVE] = enter_save,
	[SESS_DONE] = enter_done,
};

static void (*const act_start[ACT_NKINDS])(struct session *) = {
	[ACT_LOGIN] = act_login_start,
	[ACT_LIST_INBOX] = act_list_start,
	[ACT_LIST_SPAM] = act_list_start,
	[ACT_TO_SPAM] = act_mark_start,
	[ACT_FLAG] = act_mark_start,
	[ACT_NOT_SPAM] = act_mark_start,
	[ACT_MARK_READ] = act_open_start,
	[ACT_CLICK_LINK] = act_link_start,
	[ACT_SEND] = act_send_start,
	[ACT_REPLY] = act_send_start,
	[ACT_CHANGE_PASSWORD] = act_password_start,
	[ACT_FIND] = act_find_start,
};

const char *
session_state_name(enum sess_state st)
{
	return (unsigned)st < SESS_NSTATES ? state_names[st] : "?";
}

void
session_counts(uint64_t counts[SESS_NSTATES])
{
	memcpy(counts, state_counts, sizeof(state_counts));
}

void
sess_change(struct session *s, enum sess_state st)
{
	log_debug("session %s: %s -> %s", s->acct->email,
	    state_names[s->state], state_names[st]);
	state_counts[s->state]--;
	state_counts[st]++;
	s->state = st;
	enter[st](s);
}

/* ---- environment -------------------------------------------------------- */

struct sess_env *
sess_env_new(const struct config *cfg, struct curlev *curl, struct rds *redis,
    const struct secret_key *key, struct breakers *breakers, char *why,
    size_t len)
{
	struct sess_env	*env;

	env = xcalloc(1, sizeof(*env));
	env->cfg = cfg;
	env->breakers = breakers;
	env->redis = redis;
	env->key = key;
	if (shttp_conf_init(&env->http, cfg, curl) == -1) {
		snprintf(why, len, "cannot set up HTTP options");
		free(env);
		return NULL;
	}
	env->hosts.account = cfg->session.account_url;
	env->hosts.auth = cfg->session.auth_url;
	env->hosts.e = cfg->session.e_url;
	env->hosts.aj = cfg->session.aj_url;
	env->hosts.o2 = cfg->session.o2_url;
	env->hosts.portal = cfg->session.portal_url;
	env->hosts.ipecho = cfg->session.ipecho_url;
	env->proxies = proxycap_new(cfg->session.per_proxy_limit);
	return env;
}

void
sess_env_free(struct sess_env *env)
{
	if (env == NULL)
		return;
	if (env->active != 0)
		log_warn("freeing the session environment with %zu sessions",
		    env->active);
	proxycap_free(env->proxies);
	shttp_conf_clear(&env->http);
	free(env);
}

size_t
sess_env_active(const struct sess_env *env)
{
	return env->active;
}

/* ---- start and helpers -------------------------------------------------- */

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)what;
	if (s->state == SESS_PAUSE)
		sess_change(s, SESS_ACTION);
}

/* The auth order: the account's own, else the config's. */
static void
pick_methods(struct session *s)
{
	const char	*order = s->acct->auth_methods != NULL ?
	    s->acct->auth_methods : s->env->cfg->session.auth;
	char		*copy, *item, *save = NULL;

	copy = xstrdup(order);
	for (item = strtok_r(copy, ", ", &save); item != NULL &&
	    s->nmethods < 3; item = strtok_r(NULL, ", ", &save)) {
		if (strcmp(item, "mobile") == 0)
			s->methods[s->nmethods++] = &auth_mobile;
		else if (strcmp(item, "web") == 0)
			s->methods[s->nmethods++] = &auth_web;
		else if (strcmp(item, "cookies") == 0)
			s->methods[s->nmethods++] = &auth_cookies;
	}
	free(copy);
}

/* The account's proxy, else the configured fallback, else direct. */
static int
pick_proxy(struct session *s)
{
	const struct config	*cfg = s->env->cfg;
	const char		*uri, *why;

	uri = s->acct->proxy_uri != NULL ? s->acct->proxy_uri :
	    cfg->accounts.fallback_proxy;
	if (uri != NULL) {
		if (proxy_parse(uri, cfg->accounts.default_proxy_scheme,
		    &s->proxy, &why) == -1) {
			s->error = xasprintf("the account's proxy is not"
			    " usable: %s", why);
			return -1;
		}
		s->has_proxy = 1;
		s->proxy_key = proxy_format(&s->proxy);
		s->proxy_shown = proxy_redacted(&s->proxy);
	} else
		s->proxy_key = xstrdup("direct");
	return 0;
}

/* Wipe and drop the provider tokens (a dead session, a new login, free). */
static void
forget_tokens(struct session *s)
{
	char	**t[] = { &s->token, &s->access_token, &s->refresh_token };
	size_t	  i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (*t[i] != NULL) {
			explicit_bzero(*t[i], strlen(*t[i]));
			free(*t[i]);
			*t[i] = NULL;
		}
	}
}

void
sess_ctx_refresh(struct session *s)
{
	s->ctx.hosts = &s->env->hosts;
	s->ctx.email = s->acct->email;
	s->ctx.token = s->token;
	s->ctx.access_token = s->access_token;
	s->ctx.now_ms = (int64_t)time(NULL) * 1000;
}

static void
kick(void *arg)
{
	struct session	*s = arg;

	if (s->aborted)
		return;
	if (s->error != NULL) {
		sess_change(s, SESS_DONE);
		return;
	}
	enter_wait_proxy(s);
}

struct session *
session_start(struct sess_env *env, struct account *acct, struct action *acts,
    size_t n, const struct sess_owner *owner)
{
	struct session	*s;
	const struct config *cfg = env->cfg;

	s = xcalloc(1, sizeof(*s));
	s->env = env;
	s->acct = acct;
	s->acts = acts;
	s->nacts = n;
	s->owner = *owner;
	s->state = SESS_WAIT_PROXY;
	state_counts[SESS_WAIT_PROXY]++;
	env->active++;
	/* The same seed and account give the same pauses: a run can be
	 * replayed; seed 0 draws a fresh one. */
	rng_seed(&s->rng, cfg->session.pace_seed != 0 ?
	    (uint64_t)cfg->session.pace_seed : ((uint64_t)arc4random() << 32 |
	    arc4random()), acct->id);
	s->timer = evtimer_new(loop_base(), on_timer, s);
	s->marks = json_object();
	s->waiter.cb = NULL;
	pick_methods(s);
	(void)pick_proxy(s);
	act_result_init(&s->res);
	sess_ctx_refresh(s);
	loop_defer(kick, s);
	return s;
}

const struct account *
session_account(const struct session *s)
{
	return s->acct;
}

/* ---- routes: the circuit breakers ----------------------------------------- */

char *
sess_url_host(const char *url)
{
	CURLU	*u = curl_url();
	char	*host = NULL, *copy = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		copy = xstrdup(host);
		curl_free(host);
	}
	curl_url_cleanup(u);
	return copy;
}

/*
 * Whether a request to host may go now.  When the proxy's or the host's
 * circuit is open the session stops here: what it has left goes back to
 * the queue for as long as the route stays shut, without an attempt.
 */
static uint64_t
route_wait(struct session *s, const char *host, const char **which)
{
	struct breakers	*b = s->env->breakers;
	uint64_t	 now = loop_now_ms(), wp = 0, wh;

	if (s->has_proxy)
		wp = breaker_wait(b, BRK_PROXY, s->proxy_shown, now);
	wh = breaker_wait(b, BRK_HOST, host, now);
	if (wp == 0 && wh == 0) {
		if (s->has_proxy)
			breaker_admit(b, BRK_PROXY, s->proxy_shown, now);
		breaker_admit(b, BRK_HOST, host, now);
		return 0;
	}
	*which = wp >= wh ? "proxy" : "host";
	return wp >= wh ? wp : wh;
}

static void
route_shut(struct session *s, uint64_t wait)
{
	if (wait < 1000)
		wait = 1000;
	if (wait > s->route_wait_ms)
		s->route_wait_ms = (unsigned)wait;
}

/* What a reply says about its routes: the proxy, then the host. */
static void
route_report(struct session *s, const char *host, const struct shttp_resp *r)
{
	struct breakers	*b = s->env->breakers;
	uint64_t	 now = loop_now_ms(), wait = 0;
	char		 code[32];
	const char	*err = NULL;

	if (b == NULL || r->too_big)
		return;
	if (s->has_proxy) {
		breaker_report(b, BRK_PROXY, s->proxy_shown,
		    r->proxy_failed ? r->error : NULL, now);
		wait = breaker_wait(b, BRK_PROXY, s->proxy_shown, now);
	}
	/* Through a failed proxy nothing is known of the host. */
	if (!r->proxy_failed && host != NULL) {
		if (r->rc != CURLE_OK)
			err = r->error;
		else if (r->code >= 500) {
			snprintf(code, sizeof(code), "HTTP %ld", r->code);
			err = code;
		}
		breaker_report(b, BRK_HOST, host, err, now);
		if (err != NULL) {
			uint64_t wh = breaker_wait(b, BRK_HOST, host, now);

			if (wh > wait)
				wait = wh;
		}
	}
	/* The failure that opened a route does not burn its job either. */
	if ((r->proxy_failed || err != NULL) && wait > 0)
		route_shut(s, wait);
}

static void
on_http(void *arg, const struct shttp_resp *r)
{
	struct session	*s = arg;
	sess_raw_fn	*fn = s->raw;

	s->raw = NULL;
	if (r->rc == CURLE_OK && s->has_proxy)
		proxycap_worked(s->env->proxies, s->proxy_key);
	route_report(s, s->route_host, r);
	free(s->route_host);
	s->route_host = NULL;
	fn(s, r);
}

void
sess_http(struct session *s, struct mailru_req *req, sess_raw_fn *fn)
{
	struct shttp_resp	r;
	char			*host, msg[256];
	const char		*which = NULL;
	uint64_t		 wait;

	s->raw = fn;
	host = req != NULL && s->env->breakers != NULL ? sess_url_host(req->url) :
	    NULL;
	if (host != NULL && (wait = route_wait(s, host, &which)) > 0) {
		snprintf(msg, sizeof(msg), "%s %s: circuit open, next try in"
		    " %llu s", which, strcmp(which, "proxy") == 0 ?
		    s->proxy_shown : host,
		    (unsigned long long)((wait + 999) / 1000));
		free(host);
		mailru_req_free(req);
		route_shut(s, wait);
		memset(&r, 0, sizeof(r));
		r.rc = CURLE_COULDNT_CONNECT;
		r.error = msg;
		r.route_open = 1;
		r.body = "";
		s->raw = NULL;
		fn(s, &r);
		return;
	}
	free(s->route_host);
	s->route_host = host;
	if (req == NULL || shttp_start(s->http, req, on_http, s) == -1) {
		memset(&r, 0, sizeof(r));
		r.rc = CURLE_FAILED_INIT;
		r.error = "cannot start the request";
		r.body = "";
		s->raw = NULL;
		fn(s, &r);
	}
}

/*
 * A transport failure.  A proxy that keeps failing past proxy_dead_after
 * turns into an account error naming it; anything shorter is retried.
 */
void
sess_net_failed(struct session *s, const struct shttp_resp *r,
    const char *what)
{
	uint64_t	 failing;
	unsigned	 limit = s->env->cfg->session.proxy_dead_after_ms;

	free(s->error);
	if (r->too_big) {
		s->error = xasprintf("%s: reply larger than http.max_body",
		    what);
		s->out.transient = 0;
		return;
	}
	s->out.transient = 1;
	if (r->route_open) {
		/* Not a failure of its own: the circuit is open. */
		s->error = xasprintf("%s: %s", what, r->error);
		return;
	}
	if (r->proxy_failed && s->has_proxy) {
		proxycap_failed(s->env->proxies, s->proxy_key, loop_now_ms());
		failing = proxycap_failing_for(s->env->proxies, s->proxy_key,
		    loop_now_ms());
		s->error = xasprintf("%s: proxy %s failed: %s", what,
		    s->proxy_shown, r->error);
		if (failing >= limit) {
			free(s->acct_reason);
			s->acct_reason = xasprintf("proxy %s dead for %llu s:"
			    " %s", s->proxy_shown, (unsigned long long)(failing /
			    1000), r->error);
			s->out.account_status = "error";
			s->out.transient = 0;
		}
		return;
	}
	s->error = xasprintf("%s: %s", what, r->error != NULL ? r->error :
	    "HTTP error");
}

/* ---- states --------------------------------------------------------------- */

static void
slot_granted(void *arg)
{
	struct session	*s = arg;

	if (s->state == SESS_DONE) {
		/* Granted after the session ended: hand it on at once. */
		proxycap_release(s->env->proxies, s->proxy_key);
		return;
	}
	s->holds_slot = 1;
	if (s->aborted || s->state != SESS_WAIT_PROXY)
		return;
	sess_change(s, SESS_IPECHO);
}

static void
enter_wait_proxy(struct session *s)
{
	if (!s->has_proxy) {
		/* Direct sessions are bounded by max_sessions alone. */
		sess_change(s, SESS_IPECHO);
		return;
	}
	s->waiter.cb = slot_granted;
	s->waiter.arg = s;
	if (proxycap_acquire(s->env->proxies, s->proxy_key, &s->waiter)) {
		s->holds_slot = 1;
		sess_change(s, SESS_IPECHO);
	}
}

static void
ipecho_done(struct session *s, const struct shttp_resp *r)
{
	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "exit IP check");
		sess_change(s, SESS_DONE);
		return;
	}
	/* Only an address goes into the inet column. */
	s->exit_ip = mailru_parse_ipecho(r->code, r->body, r->len);
	if (s->exit_ip == NULL)
		log_warn("account %s: the IP echo answered HTTP %ld without an"
		    " address", s->acct->email, r->code);
	sess_change(s, SESS_RESTORE);
}

static void
enter_ipecho(struct session *s)
{
	s->http = shttp_new(&s->env->http, s->acct->user_agent,
	    s->has_proxy ? &s->proxy : NULL);
	if (s->http == NULL) {
		s->error = xstrdup("cannot create an HTTP handle");
		sess_change(s, SESS_DONE);
		return;
	}
	s->out.proxy = s->proxy_shown;
	if (s->env->cfg->session.ipecho_url == NULL) {
		sess_change(s, SESS_RESTORE);
		return;
	}
	sess_http(s, mailru_req_get(s->env->cfg->session.ipecho_url, NULL),
	    ipecho_done);
}

static void
restore_done(void *arg, json_t *st)
{
	struct session	*s = arg;
	const char	*fl, *v;
	json_t		*m;

	s->rreq = NULL;
	if (st == NULL || (fl = json_string_value(json_object_get(st,
	    "flavour"))) == NULL) {
		sess_change(s, SESS_LOGIN);
		return;
	}
	s->ctx.flavour = strcmp(fl, "aj") == 0 ? MAILRU_AJ : MAILRU_WEB;
	if ((v = json_string_value(json_object_get(st, "cookies"))) != NULL)
		shttp_cookies_load(s->http, v);
	if ((v = json_string_value(json_object_get(st, "token"))) != NULL)
		s->token = xstrdup(v);
	if ((v = json_string_value(json_object_get(st, "access_token"))) !=
	    NULL)
		s->access_token = xstrdup(v);
	if ((v = json_string_value(json_object_get(st, "refresh_token"))) !=
	    NULL)
		s->refresh_token = xstrdup(v);
	if ((m = json_object_get(st, "marks")) != NULL && json_is_object(m))
		json_object_update(s->marks, m);
	sess_change(s, SESS_VALIDATE);
}

static void
enter_restore(struct session *s)
{
	const struct config	*cfg = s->env->cfg;

	s->rreq = sesscache_load(s->env->redis, s->env->key,
	    cfg->redis.key_prefix, s->acct->id, restore_done, s);
	if (s->rreq == NULL)
		sess_change(s, SESS_LOGIN);
}

static void
validate_done(struct session *s, const struct shttp_resp *r)
{
	struct mailru_env	env;
	int			alive = 0;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "session check");
		sess_change(s, SESS_DONE);
		return;
	}
	mailru_parse_envelope((int)r->code, r->body, r->len, &env);
	alive = mailru_parse_validate(&env);
	if (env.cls == MAILRU_TOKEN && s->ctx.flavour == MAILRU_AJ &&
	    s->refresh_token != NULL) {
		/* An expired access token is repaired by the first API call;
		 * only a dead refresh token needs the password. */
		alive = 1;
	}
	mailru_env_free(&env);
	if (alive) {
		s->logged_in = 1;
		s->login_via = "restored";
		sess_change(s, SESS_ACTION);
		return;
	}
	log_info("account %s: cached session expired, logging in",
	    s->acct->email);
	shttp_cookies_clear(s->http);
	forget_tokens(s);
	sess_change(s, SESS_LOGIN);
}

static void
enter_validate(struct session *s)
{
	sess_ctx_refresh(s);
	sess_http(s, mailru_req_validate(&s->ctx), validate_done);
}

/* Try the next usable login method, or give up with what the last said. */
static void
next_method(struct session *s)
{
	const struct auth_method *m;

	while (s->method < s->nmethods) {
		m = s->methods[s->method++];
		if (m->usable(s)) {
			s->auth_step = 0;
			s->auth_redirects = 0;
			free(s->chal);
			s->chal = NULL;
			s->answered = 0;
			log_debug("account %s: login via %s", s->acct->email,
			    m->name);
			m->start(s);
			return;
		}
	}
	if (s->error == NULL)
		s->error = xstrdup("no login method could be used");
	if (s->resume_api)
		act_finish(s, ACT_ACCOUNT, "%s", s->error);
	else
		sess_change(s, SESS_DONE);
}

static void
enter_login(struct session *s)
{
	s->method = 0;
	s->logged_in = 0;
	s->ctx.flavour = MAILRU_WEB;
	forget_tokens(s);
	shttp_cookies_clear(s->http);
	next_method(s);
}

void
sess_login_ok(struct session *s, enum mailru_flavour f, const char *via)
{
	s->ctx.flavour = f;
	s->logged_in = 1;
	s->login_via = via;
	if (strcmp(via, "cookies") != 0)
		s->logins++;
	free(s->error);
	s->error = NULL;
	log_info("account %s: logged in via %s", s->acct->email, via);
	sess_ctx_refresh(s);
	if (s->resume_api) {
		/* Back to the API call that needed a fresh login. */
		s->resume_api = 0;
		state_counts[s->state]--;
		state_counts[SESS_ACTION]++;
		s->state = SESS_ACTION;
		sess_api(s, s->build, s->reply);
		return;
	}
	sess_change(s, SESS_ACTION);
}

void
sess_login_failed(struct session *s, enum login_end how, const char *why)
{
	char	*reason = xstrdup(why);	/* why may be s->error itself */

	free(s->error);
	s->error = xasprintf("login: %s", reason);
	switch (how) {
	case LOGIN_NEXT:
		log_info("account %s: %s", s->acct->email, s->error);
		free(reason);
		next_method(s);
		return;
	case LOGIN_TRANSIENT:
		s->out.transient = 1;
		/* A shut route is not the account's failure. */
		s->out.login_failed = s->route_wait_ms == 0;
		break;
	case LOGIN_ERROR:
		s->out.account_status = "error";
		free(s->acct_reason);
		s->acct_reason = xstrdup(reason);
		break;
	case LOGIN_SUSPEND:
		s->out.account_status = "suspended";
		free(s->acct_reason);
		s->acct_reason = xstrdup(reason);
		break;
	}
	log_warn("account %s: %s", s->acct->email, s->error);
	free(reason);
	if (how != LOGIN_TRANSIENT)
		sesscache_drop(s->env->redis, s->env->cfg->redis.key_prefix,
		    s->acct->id);
	if (s->resume_api) {
		act_finish(s, how == LOGIN_TRANSIENT ? ACT_TRANSIENT :
		    ACT_ACCOUNT, "%s", s->error);
		return;
	}
	sess_change(s, SESS_DONE);
}

static void
enter_action(struct session *s)
{
	struct action	*a;

	if (s->cur >= s->nacts) {
		sess_change(s, SESS_SAVE);
		return;
	}
	a = &s->acts[s->cur];
	act_result_clear(&s->res);
	act_result_init(&s->res);
	memset(&s->sc, 0, sizeof(s->sc));
	s->relogged = 0;
	if (a->skip != NULL && *a->skip) {
		act_finish(s, ACT_SKIPPED, "an earlier step did not succeed");
		return;
	}
	sess_ctx_refresh(s);
	act_start[a->kind](s);
}

static void
scratch_clear(struct act_scratch *sc)
{
	size_t	 i;

	for (i = 0; i < sc->nrefs; i++)
		free(sc->ref_ids[i]);
	free(sc->ref_ids);
	free(sc->refs);
	free(sc->msg_id);
	mailru_msg_free(&sc->msg);
	free(sc->url);
	json_decref(sc->chain);
	json_decref(sc->items);
	memset(sc, 0, sizeof(*sc));
}

/* Report the current action and move on. */
void
act_finish(struct session *s, enum act_status st, const char *fmt, ...)
{
	struct action	*a = &s->acts[s->cur];
	va_list		 ap;
	int		 fatal;

	/* A route shut under it: not the action's failure, and uncounted. */
	if (st == ACT_TRANSIENT && s->route_wait_ms > 0) {
		st = ACT_DEFERRED;
		s->res.defer_ms = s->route_wait_ms;
	}
	s->res.status = st;
	if (fmt != NULL && st != ACT_OK) {
		free(s->res.reason);
		va_start(ap, fmt);
		if (vasprintf(&s->res.reason, fmt, ap) == -1)
			s->res.reason = NULL;
		va_end(ap);
	}
	s->res.proxy = s->proxy_shown;
	s->res.exit_ip = s->exit_ip;
	scratch_clear(&s->sc);
	s->resume_api = 0;
	if (s->owner.action_done != NULL)
		s->owner.action_done(s->owner.arg, s, s->cur, a, &s->res);
	act_result_clear(&s->res);
	act_result_init(&s->res);
	s->cur++;
	/* Without a working login or network, the rest cannot run either. */
	fatal = st == ACT_ACCOUNT || st == ACT_DEFERRED ||
	    (st == ACT_TRANSIENT && s->error != NULL);
	if (fatal || s->aborted) {
		sess_change(s, s->logged_in && !fatal ? SESS_SAVE : SESS_DONE);
		return;
	}
	if (s->cur < s->nacts)
		sess_change(s, SESS_PAUSE);
	else
		sess_change(s, SESS_SAVE);
}

static void
enter_pause(struct session *s)
{
	const struct config	*cfg = s->env->cfg;
	uint64_t		 ms;

	ms = rng_range(&s->rng, cfg->session.pace_min_ms,
	    cfg->session.pace_max_ms);
	loop_timer_ms(s->timer, ms);
}

static void
save_done(void *arg, int ok)
{
	struct session	*s = arg;

	s->rreq = NULL;
	if (!ok)
		log_warn("account %s: session not cached (Redis)",
		    s->acct->email);
	sess_change(s, SESS_DONE);
}

static void
enter_save(struct session *s)
{
	const struct config	*cfg = s->env->cfg;
	json_t			*st;
	char			*cookies;

	if (!s->logged_in) {
		sess_change(s, SESS_DONE);
		return;
	}
	cookies = shttp_cookies_save(s->http);
	st = json_pack("{s:i, s:s, s:s, s:O, s:I}", "v", 1, "flavour",
	    s->ctx.flavour == MAILRU_AJ ? "aj" : "web", "cookies", cookies,
	    "marks", s->marks, "saved", (json_int_t)time(NULL));
	explicit_bzero(cookies, strlen(cookies));
	free(cookies);
	if (s->token != NULL)
		json_object_set_new(st, "token", json_string(s->token));
	if (s->access_token != NULL)
		json_object_set_new(st, "access_token",
		    json_string(s->access_token));
	if (s->refresh_token != NULL)
		json_object_set_new(st, "refresh_token",
		    json_string(s->refresh_token));
	s->rreq = sesscache_save(s->env->redis, s->env->key,
	    cfg->redis.key_prefix, s->acct->id, st, cfg->redis.session_ttl_ms,
	    save_done, s);
	json_decref(st);
	if (s->rreq == NULL)
		sess_change(s, SESS_DONE);
}

static void
session_free(void *arg)
{
	struct session	*s = arg;
	size_t		 i;

	state_counts[s->state]--;
	shttp_free(s->http);
	if (s->timer != NULL)
		event_free(s->timer);
	proxy_clear(&s->proxy);
	if (s->proxy_key != NULL) {
		explicit_bzero(s->proxy_key, strlen(s->proxy_key));
		free(s->proxy_key);
	}
	free(s->proxy_shown);
	free(s->route_host);
	free(s->exit_ip);
	forget_tokens(s);
	json_decref(s->marks);
	free(s->chal);
	free(s->api_url);
	for (i = 0; i < s->nacts; i++)
		action_clear(&s->acts[i]);
	free(s->acts);
	act_result_clear(&s->res);
	scratch_clear(&s->sc);
	mailru_list_free(&s->listed);
	free(s->error);
	free(s->acct_reason);
	account_free(s->acct);
	free(s);
}

static void
enter_done(struct session *s)
{
	struct act_result	 r;
	const char		*why;

	if (s->http != NULL)
		shttp_cancel(s->http);
	if (s->timer != NULL)
		evtimer_del(s->timer);
	if (s->rreq != NULL) {
		rds_cancel(s->rreq);
		s->rreq = NULL;
	}
	proxycap_cancel(s->env->proxies, &s->waiter);
	if (s->holds_slot) {
		proxycap_release(s->env->proxies, s->proxy_key);
		s->holds_slot = 0;
	}
	/* Whatever did not run is reported, so no job is left hanging. */
	why = s->aborted ? "session stopped" : s->error != NULL ? s->error :
	    "not run";
	for (; s->cur < s->nacts; s->cur++) {
		act_result_init(&r);
		r.status = s->aborted ? ACT_CANCELLED :
		    s->out.account_status != NULL && !s->out.transient ?
		    ACT_ACCOUNT : s->route_wait_ms > 0 ? ACT_DEFERRED :
		    ACT_TRANSIENT;
		r.defer_ms = r.status == ACT_DEFERRED ? s->route_wait_ms : 0;
		r.reason = xstrdup(why);
		r.proxy = s->proxy_shown;
		r.exit_ip = s->exit_ip;
		if (s->owner.action_done != NULL)
			s->owner.action_done(s->owner.arg, s, s->cur,
			    &s->acts[s->cur], &r);
		act_result_clear(&r);
	}
	s->out.ok = s->error == NULL && !s->aborted;
	s->out.login = s->login_via;
	s->out.account_reason = s->acct_reason;
	s->out.error = s->aborted ? "session stopped" : s->error;
	s->out.exit_ip = s->exit_ip;
	s->out.logins = s->logins;
	s->out.stopped = s->aborted;
	s->out.requests = s->http != NULL ? shttp_requests(s->http) : 0;
	if (s->out.account_status == NULL && s->error == NULL &&
	    s->logged_in)
		s->out.transient = 0;
	s->env->active--;
	if (s->owner.finished != NULL)
		s->owner.finished(s->owner.arg, s, &s->out);
	loop_defer(session_free, s);
}

static void
abort_now(void *arg)
{
	struct session	*s = arg;

	if (s->state != SESS_DONE)
		sess_change(s, SESS_DONE);
}

void
session_abort(struct session *s)
{
	if (s->aborted || s->state == SESS_DONE)
		return;
	s->aborted = 1;
	if (s->http != NULL)
		shttp_cancel(s->http);
	if (s->rreq != NULL) {
		rds_cancel(s->rreq);
		s->rreq = NULL;
	}
	loop_defer(abort_now, s);
}
