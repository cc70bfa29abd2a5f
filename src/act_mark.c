/*
 * to_spam, not_spam and flag: one request for all the targets.  "Not
 * spam" is the provider's unspam report (it teaches the filter, which is
 * the point of a rescue); when the provider refuses it and the operator
 * allows it, a plain move to Inbox is the fallback.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "config.h"
#include "sessint.h"
#include "xmalloc.h"

static struct mailru_req *
build_mark(struct session *s)
{
	struct action		*a = &s->acts[s->cur];
	struct act_scratch	*sc = &s->sc;

	switch (a->kind) {
	case ACT_TO_SPAM:
		return mailru_req_spam(&s->ctx, sc->target, 1, sc->refs,
		    sc->nrefs);
	case ACT_NOT_SPAM:
		if (sc->via_move)
			return mailru_req_move(&s->ctx, sc->target, sc->refs,
			    sc->nrefs, MAILRU_FOLDER_INBOX);
		return mailru_req_spam(&s->ctx, sc->target, 0, sc->refs,
		    sc->nrefs);
	case ACT_FLAG:
		return mailru_req_marks(&s->ctx, sc->target, "flagged", a->on,
		    sc->refs, sc->nrefs);
	default:
		return NULL;
	}
}

static void
mark_reply(struct session *s, struct mailru_env *env)
{
	struct action		*a = &s->acts[s->cur];
	struct act_scratch	*sc = &s->sc;
	json_t			*ids, *cnt;
	size_t			 i;

	if (env->cls == MAILRU_BAD_REQUEST && a->kind == ACT_NOT_SPAM &&
	    !sc->via_move && s->env->cfg->session.unspam_move_fallback) {
		sc->via_move = 1;
		sess_api(s, build_mark, mark_reply);
		return;
	}
	if (env->cls != MAILRU_OK) {
		act_fail_env(s, env, act_kind_name(a->kind));
		return;
	}
	ids = json_array();
	for (i = 0; i < sc->nrefs; i++) {
		/* The letter's own id too: rows of the mails table are keyed
		 * by it, and a thread id changes when the letter moves. */
		char *mid = sc->refs[i].last != NULL ?
		    xstrdup(sc->refs[i].last) : sc->target == MAILRU_MESSAGES ?
		    xstrdup(sc->refs[i].id) : mailru_thread_msgid(sc->refs[i].id);

		json_array_append_new(ids, json_pack("{s:s, s:s?}", "id",
		    sc->refs[i].id, "message_id", mid));
		free(mid);
	}
	json_object_set_new(s->res.data, "targets", ids);
	cnt = json_object_get(env->body, "count");
	json_object_set_new(s->res.data, "count", json_is_integer(cnt) ?
	    json_incref(cnt) : json_integer((json_int_t)sc->nrefs));
	if (a->kind == ACT_NOT_SPAM)
		json_object_set_new(s->res.data, "via", json_string(
		    sc->via_move ? "move" : "unspam"));
	if (a->select == SEL_LISTED && a->kind != ACT_FLAG)
		act_listed_moved(s, a->kind == ACT_NOT_SPAM ?
		    MAILRU_FOLDER_INBOX : MAILRU_FOLDER_SPAM);
	if (a->kind == ACT_FLAG)
		json_object_set_new(s->res.data, "on", json_boolean(a->on));
	act_finish(s, ACT_OK, NULL);
}

void
act_mark_start(struct session *s)
{
	if (act_targets(s) == -1)
		return;
	sess_api(s, build_mark, mark_reply);
}
