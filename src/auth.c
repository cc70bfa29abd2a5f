/*
 * What a login outcome means for the account, shared by the methods, and
 * the "cookies" method: a browser session the operator imported.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "log.h"
#include "sessint.h"
#include "xmalloc.h"

void
auth_outcome(struct session *s, enum mailru_login o, const char *via)
{
	char	 why[128];

	switch (o) {
	case MAILRU_LOGIN_OK:
	case MAILRU_LOGIN_CHECK_COPPER:
	case MAILRU_LOGIN_QUESTION:
		break;		/* the methods handle these themselves */
	case MAILRU_LOGIN_WRONG_PASSWORD:
		if (s->answered) {
			sess_login_failed(s, LOGIN_SUSPEND,
			    "secret question: wrong answer");
			return;
		}
		sess_login_failed(s, LOGIN_ERROR, "wrong password");
		return;
	case MAILRU_LOGIN_WRONG_ANSWER:
		sess_login_failed(s, LOGIN_SUSPEND,
		    "secret question: wrong answer");
		return;
	case MAILRU_LOGIN_CAPTCHA:
		sess_login_failed(s, LOGIN_SUSPEND, "captcha");
		return;
	case MAILRU_LOGIN_RECAPTCHA:
		sess_login_failed(s, LOGIN_SUSPEND, "recaptcha");
		return;
	case MAILRU_LOGIN_TWOFA:
		sess_login_failed(s, LOGIN_SUSPEND, "two-factor");
		return;
	case MAILRU_LOGIN_LOCKED:
		sess_login_failed(s, LOGIN_SUSPEND, "locked");
		return;
	case MAILRU_LOGIN_BANNED:
		sess_login_failed(s, LOGIN_SUSPEND, "banned");
		return;
	case MAILRU_LOGIN_VERIFY:
		sess_login_failed(s, LOGIN_SUSPEND, "verification required");
		return;
	case MAILRU_LOGIN_REJECTED:
		/* Back on the form with no reason: the provider wants its
		 * VK ID flow (protocol §1.7).  Another method may still get
		 * in; when none is left, a person has to look. */
		snprintf(why, sizeof(why), "%s login rejected without a reason"
		    " (VK ID)", via);
		sess_login_failed(s, s->method < s->nmethods ? LOGIN_NEXT :
		    LOGIN_SUSPEND, why);
		return;
	case MAILRU_LOGIN_RATE_LIMIT:
		sess_login_failed(s, LOGIN_TRANSIENT, "rate limited");
		return;
	case MAILRU_LOGIN_SERVER:
		sess_login_failed(s, LOGIN_TRANSIENT, "server error");
		return;
	case MAILRU_LOGIN_UNKNOWN:
		snprintf(why, sizeof(why), "%s login: unrecognised reply", via);
		sess_login_failed(s, LOGIN_NEXT, why);
		return;
	}
	sess_login_failed(s, LOGIN_NEXT, "unexpected login state");
}

/* ---- cookies: an imported browser session ------------------------------ */

static int
cookies_usable(struct session *s)
{
	return s->acct->imported_cookies != NULL;
}

static void
cookies_checked(struct session *s, const struct shttp_resp *r)
{
	struct mailru_env	env;
	int			alive;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "imported session check");
		sess_login_failed(s, LOGIN_TRANSIENT, s->error);
		return;
	}
	mailru_parse_envelope((int)r->code, r->body, r->len, &env);
	alive = mailru_parse_validate(&env);
	mailru_env_free(&env);
	if (!alive) {
		shttp_cookies_clear(s->http);
		sess_login_failed(s, LOGIN_NEXT, "imported session expired");
		return;
	}
	/* Walk to the mailbox like a browser tab would: it sets the host
	 * cookie (sdc) and shows the CSRF token. */
	sess_ctx_refresh(s);
	auth_web_finish(s, s->env->hosts.e, "cookies");
}

static void
cookies_start(struct session *s)
{
	if (shttp_cookies_load(s->http, s->acct->imported_cookies) == 0) {
		sess_login_failed(s, LOGIN_NEXT, "imported session holds no"
		    " usable cookie");
		return;
	}
	s->ctx.flavour = MAILRU_WEB;
	sess_ctx_refresh(s);
	sess_http(s, mailru_req_validate(&s->ctx), cookies_checked);
}

const struct auth_method auth_cookies = {
	"cookies", cookies_usable, cookies_start,
};
