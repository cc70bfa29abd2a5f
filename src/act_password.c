/*
 * change_password: a new random password is made here (it never travels
 * in a job payload), sent with the old one, and handed to the owner to be
 * sealed and stored only once the provider said yes.  The session keeps
 * working with the new one.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "sessint.h"
#include "xmalloc.h"

#define NEW_PW_LEN	16

static const char pw_chars[] =
    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

static struct mailru_req *
build_password(struct session *s)
{
	return mailru_req_password(&s->ctx, s->acct->password, s->res.secret);
}

static void
password_reply(struct session *s, struct mailru_env *env)
{
	if (env->cls != MAILRU_OK) {
		act_fail_env(s, env, "change_password");
		return;
	}
	explicit_bzero(s->acct->password, strlen(s->acct->password));
	free(s->acct->password);
	s->acct->password = xstrdup(s->res.secret);
	json_object_set_new(s->res.data, "changed", json_true());
	act_finish(s, ACT_OK, NULL);
}

void
act_password_start(struct session *s)
{
	char	 pw[NEW_PW_LEN + 1];
	size_t	 i;

	for (i = 0; i < NEW_PW_LEN; i++)
		pw[i] = pw_chars[arc4random_uniform(sizeof(pw_chars) - 1)];
	pw[NEW_PW_LEN] = '\0';
	s->res.secret = xstrdup(pw);
	explicit_bzero(pw, sizeof(pw));
	sess_api(s, build_password, password_reply);
}
