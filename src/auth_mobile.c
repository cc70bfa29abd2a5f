/*
 * The "mobile" login: the mail app's aj-https password flow (protocol
 * §7.1, §10.1), which answers JSON with an access and a refresh token.
 * The device id is derived from the account id, so the provider sees one
 * stable device per mailbox.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "sessint.h"
#include "xmalloc.h"

static int
mobile_usable(struct session *s)
{
	return s->acct->password != NULL;
}

static void	mobile_send(struct session *, const char *, const char *);

static void
mobile_reply(struct session *s, const struct shttp_resp *r)
{
	struct mailru_login_res	 res;
	enum mailru_login	 o;

	if (r->rc != CURLE_OK) {
		sess_net_failed(s, r, "mobile login");
		sess_login_failed(s, LOGIN_TRANSIENT, s->error);
		return;
	}
	o = mailru_parse_mobile_login((int)r->code, r->location, r->body,
	    r->len, &res);
	if (o == MAILRU_LOGIN_OK && res.tok.access_token != NULL) {
		free(s->access_token);
		free(s->refresh_token);
		s->access_token = res.tok.access_token;
		s->refresh_token = res.tok.refresh_token;
		res.tok.access_token = res.tok.refresh_token = NULL;
		mailru_login_res_free(&res);
		sess_login_ok(s, MAILRU_AJ, "mobile");
		return;
	}
	if (o == MAILRU_LOGIN_QUESTION) {
		if (s->acct->answer == NULL || res.chal == NULL) {
			mailru_login_res_free(&res);
			sess_login_failed(s, LOGIN_SUSPEND, "secret question:"
			    " no recovery answer on file");
			return;
		}
		if (s->answered) {
			mailru_login_res_free(&res);
			sess_login_failed(s, LOGIN_SUSPEND,
			    "secret question: wrong answer");
			return;
		}
		s->answered = 1;
		mobile_send(s, res.chal, s->acct->answer);
		mailru_login_res_free(&res);
		return;
	}
	mailru_login_res_free(&res);
	if (o == MAILRU_LOGIN_OK)
		o = MAILRU_LOGIN_UNKNOWN;	/* OK without a token */
	auth_outcome(s, o, "mobile");
}

static void
mobile_send(struct session *s, const char *chal, const char *answer)
{
	char	 udid[33];
	size_t	 i, n = 0;

	for (i = 0; s->acct->id[i] != '\0' && n < 32; i++)
		if (s->acct->id[i] != '-')
			udid[n++] = s->acct->id[i];
	udid[n] = '\0';
	s->ctx.flavour = MAILRU_AJ;
	sess_ctx_refresh(s);
	sess_http(s, mailru_req_mobile_login(&s->ctx, s->acct->email,
	    s->acct->password, udid, chal, answer), mobile_reply);
}

static void
mobile_start(struct session *s)
{
	mobile_send(s, NULL, NULL);
}

const struct auth_method auth_mobile = {
	"mobile", mobile_usable, mobile_start,
};
