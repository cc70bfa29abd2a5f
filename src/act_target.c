#define _GNU_SOURCE	/* strcasestr */
/*
 * Which letters an action works on: ids from the payload, or the letters
 * the session's last listing found (optionally filtered by subject), and
 * how to get from a thread id to the message whose body is wanted.
 */
#include <string.h>
#include <stdlib.h>

#include "account.h"
#include "sessint.h"
#include "xmalloc.h"

/*
 * Append a target; one owned copy holds id, last and folder NUL-separated,
 * and the ref points into it (NULL or "" last/folder: unknown).
 */
void
act_push_ref(struct act_scratch *sc, const char *id, const char *last,
    const char *folder)
{
	size_t		 n = sc->nrefs, li, lf;
	char		*p;

	last = last != NULL ? last : "";
	folder = folder != NULL ? folder : "";
	li = strlen(id);
	lf = strlen(last);
	p = xmalloc(li + lf + strlen(folder) + 3);
	memcpy(p, id, li + 1);
	memcpy(p + li + 1, last, lf + 1);
	memcpy(p + li + lf + 2, folder, strlen(folder) + 1);
	sc->refs = xreallocarray(sc->refs, n + 1, sizeof(*sc->refs));
	sc->ref_ids = xreallocarray(sc->ref_ids, n + 1, sizeof(char *));
	sc->ref_ids[n] = p;
	sc->refs[n].id = p;
	sc->refs[n].last = *last != '\0' ? p + li + 1 : NULL;
	sc->refs[n].folder = *folder != '\0' ? p + li + lf + 2 : NULL;
	sc->nrefs++;
}

int
act_targets(struct session *s)
{
	struct action		*a = &s->acts[s->cur];
	struct act_scratch	*sc = &s->sc;
	size_t			 i, nthr = 0;
	const struct mailru_thread *t;

	if (a->select == SEL_LISTED) {
		/* A find's letters are aimed at by message id: unlike a
		 * thread id it survives the letter's move out of Spam. */
		sc->target = s->listed_msgs ? MAILRU_MESSAGES : MAILRU_THREADS;
		for (i = 0; i < s->listed.nthreads; i++) {
			t = &s->listed.threads[i];
			if (a->subject != NULL && (t->subject == NULL ||
			    strcasestr(t->subject, a->subject) == NULL))
				continue;
			if (a->in_folder != NULL && (t->folder == NULL ||
			    strcmp(t->folder, a->in_folder) != 0))
				continue;
			if (a->limit != 0 && sc->nrefs >= a->limit)
				break;
			if (s->listed_msgs)
				act_push_ref(sc, t->last, NULL, t->folder);
			else
				act_push_ref(sc, t->id, t->last, t->folder);
		}
		if (sc->nrefs == 0) {
			json_object_set_new(s->res.data, "count",
			    json_integer(0));
			act_finish(s, ACT_OK, NULL);
			return -1;
		}
		return 0;
	}
	for (i = 0; i < a->nids; i++)
		if (strchr(a->ids[i], ':') != NULL)
			nthr++;
	if (nthr != 0 && nthr != a->nids) {
		act_finish(s, ACT_PERMANENT, "payload.ids: thread ids and"
		    " message ids cannot be mixed");
		return -1;
	}
	sc->target = nthr != 0 ? MAILRU_THREADS : MAILRU_MESSAGES;
	for (i = 0; i < a->nids; i++) {
		if (sc->target == MAILRU_THREADS &&
		    mailru_thread_folder(a->ids[i]) == NULL) {
			act_finish(s, ACT_PERMANENT, "payload.ids: \"%s\" is"
			    " not a thread id", a->ids[i]);
			return -1;
		}
		act_push_ref(sc, a->ids[i], NULL, sc->target == MAILRU_THREADS ?
		    mailru_thread_folder(a->ids[i]) : NULL);
	}
	return 0;
}

void
act_listed_moved(struct session *s, const char *folder)
{
	struct act_scratch	*sc = &s->sc;
	size_t			 i, j;

	if (!s->listed_msgs)
		return;
	for (i = 0; i < sc->nrefs; i++)
		for (j = 0; j < s->listed.nthreads; j++) {
			struct mailru_thread *t = &s->listed.threads[j];

			if (t->last == NULL || strcmp(t->last,
			    sc->refs[i].id) != 0)
				continue;
			free(t->folder);
			t->folder = xstrdup(folder);
			free(t->id);
			t->id = mailru_thread_id_single(t->last, folder);
		}
}

/* ---- fetching the letter behind a target -------------------------------- */

static struct mailru_req *
build_message(struct session *s)
{
	return mailru_req_message(&s->ctx, s->sc.msg_id, NULL);
}

static void
message_reply(struct session *s, struct mailru_env *env)
{
	if (env->cls != MAILRU_OK) {
		act_fail_env(s, env, "open");
		return;
	}
	mailru_msg_free(&s->sc.msg);
	if (mailru_parse_message(env, &s->sc.msg) == -1) {
		act_finish(s, ACT_TRANSIENT, "open: unexpected reply shape");
		return;
	}
	s->sc.step = 0;
	s->sc.fetch_next(s);
}

static struct mailru_req *
build_thread(struct session *s)
{
	return mailru_req_thread(&s->ctx, s->sc.refs[s->sc.pos].id, 0, 50);
}

static void
thread_reply(struct session *s, struct mailru_env *env)
{
	struct mailru_list	 l;
	size_t			 i, best = 0;

	memset(&l, 0, sizeof(l));
	if (env->cls != MAILRU_OK) {
		act_fail_env(s, env, "thread");
		return;
	}
	if (mailru_parse_messages(env, &l) == -1 || l.nmsgs == 0) {
		mailru_list_free(&l);
		act_finish(s, ACT_PERMANENT, "thread %s: no letters",
		    s->sc.refs[s->sc.pos].id);
		return;
	}
	for (i = 1; i < l.nmsgs; i++)
		if (l.msgs[i].date > l.msgs[best].date)
			best = i;
	free(s->sc.msg_id);
	s->sc.msg_id = xstrdup(l.msgs[best].id);
	mailru_list_free(&l);
	sess_api(s, build_message, message_reply);
}

void
act_fetch(struct session *s, size_t i, void (*next)(struct session *))
{
	const struct mailru_ref	*r = &s->sc.refs[i];

	s->sc.pos = i;
	s->sc.fetch_next = next;
	free(s->sc.msg_id);
	s->sc.msg_id = NULL;
	if (s->sc.target == MAILRU_MESSAGES)
		s->sc.msg_id = xstrdup(r->id);
	else if (r->last != NULL)
		s->sc.msg_id = xstrdup(r->last);
	else if ((s->sc.msg_id = mailru_thread_msgid(r->id)) == NULL) {
		/* A conversation: ask which letter is the newest. */
		sess_api(s, build_thread, thread_reply);
		return;
	}
	sess_api(s, build_message, message_reply);
}
