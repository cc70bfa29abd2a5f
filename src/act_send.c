/*
 * send and reply.  A reply opens the original first: its sender is the
 * recipient and its subject gets "Re:"; the provider threads it by
 * source.reply.  The client-chosen send id (payload send_id) travels with
 * the letter, so an unknown outcome can later be looked up in Sent.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "sessint.h"
#include "xmalloc.h"

static const char *
param(struct session *s, const char *key)
{
	return json_string_value(json_object_get(s->acts[s->cur].params, key));
}

static struct mailru_req *
build_send(struct session *s)
{
	struct action		*a = &s->acts[s->cur];
	struct mailru_letter	 l;
	struct mailru_req	*r;
	char			*subject = NULL;

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
	r = mailru_req_send(&s->ctx, &l);
	if (r != NULL)
		json_object_set_new(s->res.data, "subject",
		    json_string(l.subject));
	free(subject);
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

static void
original_opened(struct session *s)
{
	if (s->sc.msg.from_email == NULL) {
		act_finish(s, ACT_PERMANENT, "reply: the letter has no sender");
		return;
	}
	json_object_set_new(s->res.data, "in_reply_to",
	    json_string(s->sc.msg_id));
	json_object_set_new(s->res.data, "to",
	    json_string(s->sc.msg.from_email));
	sess_api(s, build_send, send_reply);
}

void
act_send_start(struct session *s)
{
	if (s->acts[s->cur].kind == ACT_SEND) {
		sess_api(s, build_send, send_reply);
		return;
	}
	if (act_targets(s) == -1)
		return;
	act_fetch(s, 0, original_opened);
}
