/*
 * find: the letters of a window that match a subject, a body text or a
 * warm-up token, in Inbox and Spam, as a person would find them -- with
 * the mailbox's own search (one request instead of paging two folders),
 * then checked here, because the provider's search matches loosely (any
 * field, its own word rules).  A subject is compared after Unicode case
 * folding; a body text by opening each candidate; a token is trusted.
 * Later steps of the session act on what was found (select "listed").
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "config.h"
#include "sessint.h"
#include "textmatch.h"
#include "xmalloc.h"

enum find_step {
	FIND_SEARCH,		/* paging through the search results */
	FIND_VERIFY,		/* opening candidates (body matches) */
};

static void	search_page(struct session *);
static void	verify_next(struct session *);

static const char *
folder_name(const char *fid)
{
	if (fid != NULL && strcmp(fid, MAILRU_FOLDER_SPAM) == 0)
		return "spam";
	return "inbox";
}

/* Whether a search hit is in a searched folder and the window. */
static int
in_scope(const struct action *a, const struct mailru_msg *m)
{
	int64_t	 t = m->date > 0 ? m->date : mailru_msgid_time(m->id);

	if (m->id == NULL || m->folder == NULL)
		return 0;
	if (!((a->find_inbox && strcmp(m->folder, MAILRU_FOLDER_INBOX) == 0) ||
	    (a->find_spam && strcmp(m->folder, MAILRU_FOLDER_SPAM) == 0)))
		return 0;
	return t >= a->from && t < a->to;
}

/* Keep a hit as a one-letter thread; the strings move out of m. */
static void
keep(struct session *s, struct mailru_msg *m)
{
	struct mailru_list	*f = &s->res.found;
	struct mailru_thread	*t;

	f->threads = xreallocarray(f->threads, f->nthreads + 1,
	    sizeof(*f->threads));
	t = &f->threads[f->nthreads++];
	memset(t, 0, sizeof(*t));
	t->id = m->thread_id != NULL ? xstrdup(m->thread_id) :
	    mailru_thread_id_single(m->id, m->folder);
	t->last = m->id;
	t->folder = m->folder;
	t->subject = m->subject;
	t->snippet = m->snippet;
	t->from_email = m->from_email;
	t->from_name = m->from_name;
	t->date = m->date > 0 ? m->date : mailru_msgid_time(m->id);
	t->unread = m->unread;
	t->flagged = m->flagged;
	m->id = m->folder = m->subject = m->snippet = m->from_email =
	    m->from_name = NULL;
}

/* The matches become the session's listing and the action's result. */
static void
find_end(struct session *s)
{
	struct action		*a = &s->acts[s->cur];
	struct mailru_list	*f = &s->res.found;
	json_t			*letters = json_array();
	size_t			 i, inbox = 0, spam = 0;

	for (i = 0; i < f->nthreads; i++) {
		struct mailru_thread *t = &f->threads[i];
		int in_spam = strcmp(t->folder, MAILRU_FOLDER_SPAM) == 0;

		in_spam ? spam++ : inbox++;
		json_array_append_new(letters, json_pack("{s:s, s:s, s:s,"
		    " s:s?, s:s?, s:I}", "id", t->id, "message_id", t->last,
		    "folder", folder_name(t->folder), "subject", t->subject,
		    "from", t->from_email, "date", (json_int_t)t->date));
	}
	json_object_set_new(s->res.data, "count",
	    json_integer((json_int_t)f->nthreads));
	json_object_set_new(s->res.data, "inbox", json_integer(
	    (json_int_t)inbox));
	json_object_set_new(s->res.data, "spam", json_integer(
	    (json_int_t)spam));
	/* Where the letter landed: Spam is what a rescue is for, so one
	 * copy there makes the placement spam. */
	json_object_set_new(s->res.data, "placement", json_string(spam > 0 ?
	    "spam" : inbox > 0 ? "inbox" : "none"));
	json_object_set_new(s->res.data, "letters", letters);
	mailru_list_free(&s->listed);
	s->listed.threads = xcalloc(f->nthreads + 1, sizeof(*f->threads));
	for (i = 0; i < f->nthreads; i++) {
		struct mailru_thread *d = &s->listed.threads[i], *t =
		    &f->threads[i];

		*d = *t;
		d->id = xstrdup(t->id);
		d->last = xstrdup(t->last);
		d->folder = xstrdup(t->folder);
		d->subject = t->subject != NULL ? xstrdup(t->subject) : NULL;
		d->snippet = NULL;
		d->from_email = t->from_email != NULL ? xstrdup(t->from_email) :
		    NULL;
		d->from_name = t->from_name != NULL ? xstrdup(t->from_name) :
		    NULL;
	}
	s->listed.nthreads = f->nthreads;
	s->listed_folder = NULL;
	s->listed_msgs = 1;
	if (f->nthreads == 0 && a->require) {
		act_finish(s, ACT_TRANSIENT, "find: no matching letter (yet)");
		return;
	}
	act_finish(s, ACT_OK, NULL);
}

/* ---- verifying body matches ---------------------------------------------- */

static void
verified(struct session *s)
{
	struct action	*a = &s->acts[s->cur];
	char		*needle = text_fold(a->needle);
	int		 ok;

	ok = text_contains(s->sc.msg.text, needle) ||
	    text_contains(s->sc.msg.html, needle);
	free(needle);
	/* sc.items holds one boolean per candidate. */
	json_array_append_new(s->sc.items, json_boolean(ok));
	s->sc.pos++;
	verify_next(s);
}

static void
verify_next(struct session *s)
{
	struct mailru_list	*f = &s->res.found;
	size_t			 i, n = 0;

	if (s->sc.pos < s->sc.nrefs) {
		act_fetch(s, s->sc.pos, verified);
		return;
	}
	for (i = 0; i < f->nthreads; i++) {
		if (json_is_true(json_array_get(s->sc.items, i))) {
			f->threads[n++] = f->threads[i];
			continue;
		}
		free(f->threads[i].id);
		free(f->threads[i].last);
		free(f->threads[i].folder);
		free(f->threads[i].subject);
		free(f->threads[i].snippet);
		free(f->threads[i].from_email);
		free(f->threads[i].from_name);
	}
	f->nthreads = n;
	find_end(s);
}

static void
verify(struct session *s)
{
	struct mailru_list	*f = &s->res.found;

	s->sc.step = FIND_VERIFY;
	s->sc.target = MAILRU_MESSAGES;
	s->sc.items = json_array();
	for (size_t i = 0; i < f->nthreads; i++)
		act_push_ref(&s->sc, f->threads[i].last, NULL,
		    f->threads[i].folder);
	s->sc.pos = 0;
	verify_next(s);
}

/* ---- searching ------------------------------------------------------------ */

static struct mailru_req *
build_search(struct session *s)
{
	const struct config	*cfg = s->env->cfg;

	return mailru_req_search(&s->ctx, s->acts[s->cur].needle,
	    s->sc.page * cfg->session.list_page, cfg->session.list_page,
	    s->acts[s->cur].find_spam);
}

static void
search_reply(struct session *s, struct mailru_env *env)
{
	const struct config	*cfg = s->env->cfg;
	struct action		*a = &s->acts[s->cur];
	struct mailru_list	 l;
	char			*needle = NULL;
	size_t			 i;

	memset(&l, 0, sizeof(l));
	if (env->cls != MAILRU_OK) {
		act_fail_env(s, env, "find");
		return;
	}
	if (mailru_parse_messages(env, &l) == -1) {
		mailru_list_free(&l);
		act_finish(s, ACT_TRANSIENT, "find: unexpected reply shape");
		return;
	}
	if (a->find_by == FIND_SUBJECT)
		needle = text_fold(a->needle);
	for (i = 0; i < l.nmsgs; i++) {
		if (!in_scope(a, &l.msgs[i]))
			continue;
		if (needle != NULL && !text_contains(l.msgs[i].subject, needle))
			continue;
		keep(s, &l.msgs[i]);
	}
	free(needle);
	s->sc.page++;
	if (l.nmsgs < (size_t)cfg->session.list_page ||
	    s->sc.page >= cfg->session.max_pages) {
		mailru_list_free(&l);
		if (a->find_by == FIND_BODY && s->res.found.nthreads > 0)
			verify(s);
		else
			find_end(s);
		return;
	}
	mailru_list_free(&l);
	search_page(s);
}

static void
search_page(struct session *s)
{
	sess_api(s, build_search, search_reply);
}

void
act_find_start(struct session *s)
{
	s->sc.step = FIND_SEARCH;
	s->res.found.total = s->res.found.unread = -1;
	search_page(s);
}
