/*
 * send and reply.  A reply opens the original first: its sender is the
 * recipient and its subject gets "Re:"; the provider threads it by
 * source.reply.  The client-chosen send id (payload send_id) travels with
 * the letter, and a token set by the jobs engine goes into the body: a
 * send whose outcome was unknown (the worker died after the request left)
 * is retried only after a search of Sent for that token came back empty.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "sessint.h"
#include "template.h"
#include "xmalloc.h"

static const char *
param(struct session *s, const char *key)
{
	return json_string_value(json_object_get(s->acts[s->cur].params, key));
}

/*
 * The token closes the text after a signature separator ("-- "), where
 * mail clients show signatures and readers expect a line of noise.
 */
static char *
with_token(const char *body, const char *token, int html)
{
	if (token == NULL || body == NULL)
		return NULL;
	return html ? xasprintf("%s<br><br>-- <br>%s", body, token) :
	    xasprintf("%s\n\n-- \n%s", body, token);
}

static struct mailru_req *
build_send(struct session *s)
{
	struct action		*a = &s->acts[s->cur];
	struct mailru_letter	 l;
	struct mailru_req	*r;
	char			*subject = NULL, *text, *html;

	memset(&l, 0, sizeof(l));
	l.from_name = param(s, "from_name");
	l.text = param(s, "text");
	l.html = param(s, "html");
	l.id = param(s, "send_id");
	if (a->kind == ACT_REPLY) {
		l.to = s->sc.msg.from_email;
		l.reply_to = s->sc.msg_id;
		if (param(s, "subject") != NULL && *param(s, "subject") != '\0')
			l.subject = param(s, "subject");
		else
			l.subject = subject = mailru_reply_subject(
			    s->sc.msg.subject != NULL ? s->sc.msg.subject : "");
	} else {
		l.to = param(s, "to");
		l.cc = param(s, "cc");
		l.subject = param(s, "subject");
	}
	if (l.text == NULL)
		l.text = "";
	if ((text = with_token(l.text, a->token, 0)) != NULL)
		l.text = text;
	if ((html = with_token(l.html, a->token, 1)) != NULL)
		l.html = html;
	r = mailru_req_send(&s->ctx, &l);
	if (r != NULL)
		json_object_set_new(s->res.data, "subject",
		    json_string(l.subject));
	free(subject);
	free(text);
	free(html);
	return r;
}

static void
send_reply(struct session *s, struct mailru_env *env)
{
	char	*id = NULL;

	if (env->cls != MAILRU_OK || mailru_parse_send(env, &id) == -1) {
		act_fail_env(s, env, act_kind_name(s->acts[s->cur].kind));
		return;
	}
	if (id != NULL)
		json_object_set_new(s->res.data, "message_id", json_string(id));
	if (param(s, "send_id") != NULL)
		json_object_set_new(s->res.data, "send_id",
		    json_string(param(s, "send_id")));
	free(id);
	act_finish(s, ACT_OK, NULL);
}

static void	original_opened(struct session *);

/* Send, or reply once the original is open. */
static void
send_now(struct session *s)
{
	if (s->acts[s->cur].kind == ACT_SEND) {
		sess_api(s, build_send, send_reply);
		return;
	}
	if (act_targets(s) == -1)
		return;
	act_fetch(s, 0, original_opened);
}

static struct mailru_req *
build_search(struct session *s)
{
	return mailru_req_search(&s->ctx, s->acts[s->cur].token, 0, 20, 0);
}

/* Only a letter in Sent carrying the token proves the earlier send. */
static void
search_reply(struct session *s, struct mailru_env *env)
{
	struct mailru_list	 l;
	const char		*found = NULL;

	memset(&l, 0, sizeof(l));
	if (env->cls != MAILRU_OK || mailru_parse_messages(env, &l) == -1) {
		mailru_list_free(&l);
		act_fail_env(s, env, "search of Sent");
		return;
	}
	for (size_t i = 0; i < l.nmsgs && found == NULL; i++)
		if (l.msgs[i].folder != NULL && l.msgs[i].id != NULL &&
		    strcmp(l.msgs[i].folder, MAILRU_FOLDER_SENT) == 0)
			found = l.msgs[i].id;
	if (found == NULL) {
		mailru_list_free(&l);
		send_now(s);
		return;
	}
	json_object_set_new(s->res.data, "message_id", json_string(found));
	json_object_set_new(s->res.data, "found_in_sent", json_true());
	if (param(s, "send_id") != NULL)
		json_object_set_new(s->res.data, "send_id",
		    json_string(param(s, "send_id")));
	mailru_list_free(&l);
	act_finish(s, ACT_OK, NULL);
}

/*
 * A campaign's reply was rendered when it was planned, all but what only
 * the letter answered can tell: who wrote it and its subject.
 */
static void
fill(struct session *s)
{
	struct action		*a = &s->acts[s->cur];
	const struct mailru_msg	*m = &s->sc.msg;
	static const char *const keys[] = { "text", "html", "subject" };
	char			*guess = NULL, *out;
	struct tmpl_var		 vars[3];

	if (m->from_name == NULL || *m->from_name == '\0')
		guess = tmpl_name_from_email(m->from_email);
	vars[0] = (struct tmpl_var){ "recipient_name", guess != NULL ? guess :
	    m->from_name };
	vars[1] = (struct tmpl_var){ "recipient_email", m->from_email };
	vars[2] = (struct tmpl_var){ "subject", m->subject != NULL ?
	    m->subject : "" };
	for (size_t i = 0; i < 3; i++) {
		if (param(s, keys[i]) == NULL)
			continue;
		out = tmpl_subst(param(s, keys[i]), vars, 3);
		json_object_set_new(a->params, keys[i], json_string(out));
		free(out);
	}
	free(guess);
}

static void
original_opened(struct session *s)
{
	if (s->sc.msg.from_email == NULL) {
		act_finish(s, ACT_PERMANENT, "reply: the letter has no sender");
		return;
	}
	if (s->acts[s->cur].fill)
		fill(s);
	json_object_set_new(s->res.data, "in_reply_to",
	    json_string(s->sc.msg_id));
	json_object_set_new(s->res.data, "to",
	    json_string(s->sc.msg.from_email));
	sess_api(s, build_send, send_reply);
}

void
act_send_start(struct session *s)
{
	struct action	*a = &s->acts[s->cur];

	if (a->token != NULL)
		json_object_set_new(s->res.data, "token",
		    json_string(a->token));
	if (a->check_sent && a->token != NULL)
		sess_api(s, build_search, search_reply);
	else
		send_now(s);
}
