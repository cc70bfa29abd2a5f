/*
 * list_inbox and list_spam: read a folder's thread list, newest first,
 * page by page.  "new" stops at the newest letter the previous listing saw
 * (and asks with last_modified, so an unchanged folder costs one 304);
 * "period" keeps what was received in [from, to) and stops at the first
 * page that reaches older letters.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "config.h"
#include "sessint.h"
#include "xmalloc.h"

/* Letters described in the job's result; all of them reach the table. */
#define RESULT_LETTERS	200

static char *
dup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
thread_copy(struct mailru_thread *d, const struct mailru_thread *t)
{
	*d = *t;
	d->id = dup0(t->id);
	d->last = dup0(t->last);
	d->folder = dup0(t->folder);
	d->subject = dup0(t->subject);
	d->snippet = dup0(t->snippet);
	d->from_email = dup0(t->from_email);
	d->from_name = dup0(t->from_name);
}

static json_t *
mark_of(struct session *s)
{
	json_t	*m = json_object_get(s->marks, s->sc.folder);

	if (m == NULL) {
		m = json_object();
		json_object_set_new(s->marks, s->sc.folder, m);
	}
	return m;
}

static void	list_page(struct session *);

static void
list_end(struct session *s)
{
	struct action		*a = &s->acts[s->cur];
	struct mailru_list	*f = &s->res.found;
	json_t			*letters, *m;
	size_t			 i;

	m = mark_of(s);
	if (s->sc.newest > json_integer_value(json_object_get(m, "newest")))
		json_object_set_new(m, "newest", json_integer(s->sc.newest));
	if (s->sc.last_modified > 1)
		json_object_set_new(m, "last_modified",
		    json_integer(s->sc.last_modified));
	letters = json_array();
	for (i = 0; i < f->nthreads && i < RESULT_LETTERS; i++)
		json_array_append_new(letters, json_pack("{s:s, s:s?, s:s?,"
		    " s:s?, s:I, s:b, s:b}", "id", f->threads[i].id, "last",
		    f->threads[i].last, "subject", f->threads[i].subject, "from",
		    f->threads[i].from_email, "date",
		    (json_int_t)f->threads[i].date, "unread",
		    f->threads[i].unread, "flagged", f->threads[i].flagged));
	json_object_set_new(s->res.data, "folder", json_string(s->res.folder));
	json_object_set_new(s->res.data, "mode", json_string(a->since_last ?
	    "new" : "period"));
	json_object_set_new(s->res.data, "count",
	    json_integer((json_int_t)f->nthreads));
	json_object_set_new(s->res.data, "pages", json_integer(s->sc.page));
	json_object_set_new(s->res.data, "letters", letters);
	/* Later actions of this session may pick from what was found. */
	mailru_list_free(&s->listed);
	s->listed.threads = xcalloc(f->nthreads + 1, sizeof(*f->threads));
	for (i = 0; i < f->nthreads; i++)
		thread_copy(&s->listed.threads[i], &f->threads[i]);
	s->listed.nthreads = f->nthreads;
	s->listed_folder = s->res.folder;
	s->listed_msgs = 0;
	act_finish(s, ACT_OK, NULL);
}

static struct mailru_req *
build_page(struct session *s)
{
	const struct config	*cfg = s->env->cfg;
	struct action		*a = &s->acts[s->cur];
	int64_t			 lm = 0;

	if (a->since_last && s->sc.page == 0)
		lm = json_integer_value(json_object_get(mark_of(s),
		    "last_modified"));
	return mailru_req_threads(&s->ctx, s->sc.folder,
	    s->sc.page * cfg->session.list_page, cfg->session.list_page, lm);
}

static void
page_reply(struct session *s, struct mailru_env *env)
{
	const struct config	*cfg = s->env->cfg;
	struct action		*a = &s->acts[s->cur];
	struct mailru_list	 page, *f = &s->res.found;
	struct mailru_thread	*t;
	int64_t			 seen;
	size_t			 i;
	int			 stop = 0;

	if (env->cls == MAILRU_NOT_MODIFIED) {
		list_end(s);
		return;
	}
	if (env->cls != MAILRU_OK) {
		act_fail_env(s, env, act_kind_name(a->kind));
		return;
	}
	if (mailru_parse_threads(env, s->sc.folder, &page) == -1) {
		act_finish(s, ACT_TRANSIENT, "%s: unexpected reply shape",
		    act_kind_name(a->kind));
		return;
	}
	if (s->sc.page == 0)
		s->sc.last_modified = env->last_modified;
	s->sc.page++;
	seen = json_integer_value(json_object_get(mark_of(s), "newest"));
	f->threads = xreallocarray(f->threads, f->nthreads + page.nthreads +
	    1, sizeof(*f->threads));
	for (i = 0; i < page.nthreads && !stop; i++) {
		t = &page.threads[i];
		if (t->date > s->sc.newest)
			s->sc.newest = t->date;
		if (a->since_last) {
			if (seen > 0 && t->date <= seen) {
				stop = 1;
				continue;
			}
		} else {
			if (t->date >= a->to)
				continue;
			if (t->date < a->from) {
				stop = 1;
				continue;
			}
		}
		f->threads[f->nthreads++] = *t;
		memset(t, 0, sizeof(*t));	/* moved */
	}
	if (page.nthreads < (size_t)cfg->session.list_page)
		stop = 1;
	mailru_list_free(&page);
	if (stop || s->sc.page >= cfg->session.max_pages) {
		list_end(s);
		return;
	}
	list_page(s);
}

static void
list_page(struct session *s)
{
	sess_api(s, build_page, page_reply);
}

void
act_list_start(struct session *s)
{
	struct action	*a = &s->acts[s->cur];

	if (a->kind == ACT_LIST_INBOX) {
		s->sc.folder = MAILRU_FOLDER_INBOX;
		s->res.folder = "inbox";
	} else {
		s->sc.folder = MAILRU_FOLDER_SPAM;
		s->res.folder = "spam";
	}
	s->res.found.total = s->res.found.unread = -1;
	list_page(s);
}

void
act_login_start(struct session *s)
{
	json_object_set_new(s->res.data, "via", json_string(s->login_via));
	act_finish(s, ACT_OK, NULL);
}
