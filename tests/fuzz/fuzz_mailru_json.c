/*
 * libFuzzer target for mailru_parse.c: every JSON reply parser and the
 * login classifiers get the same bytes.  The first byte picks the HTTP
 * code; for the login parsers the first line is the Location.  Checks
 * that classes stay in range and results are consistent with them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailru.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

static const int codes[] = { 200, 200, 200, 302, 304, 400, 403, 429, 449,
    500, 503, 301, 0 };

static void
lists(const struct mailru_env *env)
{
	struct mailru_list	 l;
	struct mailru_msg	 m;
	size_t			 i;
	char			*s;

	if (mailru_parse_threads(env, NULL, &l) == 0) {
		CHECK(env->cls == MAILRU_OK);
		for (i = 0; i < l.nthreads; i++)
			CHECK(l.threads[i].id != NULL);
	}
	mailru_list_free(&l);
	if (mailru_parse_threads(env, "950", &l) == 0)
		CHECK(env->cls == MAILRU_OK);
	mailru_list_free(&l);
	if (mailru_parse_messages(env, &l) == 0)
		for (i = 0; i < l.nmsgs; i++)
			CHECK(l.msgs[i].id != NULL);
	mailru_list_free(&l);
	if (mailru_parse_message(env, &m) == 0)
		CHECK(m.id != NULL);
	mailru_msg_free(&m);
	if (mailru_parse_send(env, &s) != 0)
		CHECK(s == NULL);
	free(s);
	s = mailru_parse_token(env);
	CHECK(s == NULL || env->cls == MAILRU_OK);
	free(s);
	free(mailru_parse_question(env));
	(void)mailru_parse_validate(env);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailru_env	 env;
	struct mailru_login_res	 res;
	struct mailru_tokens	 tok;
	const char		*buf, *nl;
	char			*loc, *s;
	enum mailru_status	 cls;
	enum mailru_login	 o;
	int			 code;

	if (size < 1 || size > 65536)
		return 0;
	code = codes[data[0] % (sizeof(codes) / sizeof(codes[0]))];
	buf = (const char *)data + 1;
	size--;

	cls = mailru_parse_envelope(code, buf, size, &env);
	CHECK(cls <= MAILRU_OTHER);
	CHECK(strcmp(mailru_status_name(cls), "?") != 0);
	CHECK(env.root != NULL || cls == MAILRU_MALFORMED ||
	    cls == MAILRU_NOT_MODIFIED || cls == MAILRU_RATE_LIMIT ||
	    cls == MAILRU_ATTEMPTS || cls == MAILRU_SERVER);
	lists(&env);
	mailru_env_free(&env);

	nl = memchr(buf, '\n', size);
	loc = nl != NULL ? strndup(buf, (size_t)(nl - buf)) : NULL;
	o = mailru_parse_web_login(code, loc, buf, size, &res);
	CHECK(o <= MAILRU_LOGIN_UNKNOWN && res.outcome == o);
	CHECK(strcmp(mailru_login_name(o), "?") != 0);
	if (o == MAILRU_LOGIN_QUESTION)
		CHECK(res.url != NULL);
	mailru_login_res_free(&res);
	o = mailru_parse_mobile_login(code, loc, buf, size, &res);
	CHECK(o <= MAILRU_LOGIN_UNKNOWN && res.outcome == o);
	if (o == MAILRU_LOGIN_OK)
		CHECK(res.tok.access_token != NULL &&
		    res.tok.access_token[0] != '\0');
	else
		CHECK(res.tok.access_token == NULL);
	if (o == MAILRU_LOGIN_QUESTION)
		CHECK(res.chal != NULL);
	mailru_login_res_free(&res);
	free(loc);
	CHECK(mailru_parse_copper(code, buf, size) <= MAILRU_LOGIN_UNKNOWN);
	if (mailru_parse_o2(code, buf, size, &tok) == MAILRU_O2_OK)
		CHECK(tok.access_token != NULL);
	else
		CHECK(tok.access_token == NULL);
	mailru_tokens_free(&tok);

	/* the id helpers on the raw text */
	s = strndup(buf, size);
	(void)mailru_msgid_time(s);
	if (mailru_thread_folder(s) != NULL)
		CHECK(s[0] == '0' || s[0] == '1');
	free(mailru_thread_msgid(s));
	free(mailru_url_param(s, "url"));
	free(s);
	return 0;
}
