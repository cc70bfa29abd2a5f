/*
 * Action and session outcomes as rows.  The mails table keeps one row per
 * (account, provider message id): a listing upserts a page at a time; an
 * action appends itself to each letter it touched, with the job's id.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "account.h"
#include "acctstore.h"
#include "action.h"
#include "mailstore.h"
#include "outcome.h"
#include "session.h"
#include "xmalloc.h"

static int
count(struct store_req *r)
{
	return r != NULL;
}

/* Letters an action touched: "targets" or, for mark_read, "opened". */
static int
touched(struct pg_pool *pool, const char *account_id, const char *job_id,
    const struct action *a, json_t *list, const struct mailstore_change *chg,
    store_done_cb *done, void *arg)
{
	const char	*what = act_kind_name(a->kind);
	json_t		*v;
	size_t		 i;
	int		 n = 0;

	json_array_foreach(list, i, v) {
		const char *tid = json_string_value(json_object_get(v, "id"));
		const char *mid = json_string_value(json_object_get(v,
		    "message_id"));

		if (tid == NULL && mid == NULL)
			continue;
		n += count(mailstore_action(pool, account_id,
		    mid != NULL ? mid : tid, tid, what, job_id, chg, done,
		    arg));
	}
	return n;
}

/* A find's letters sit in two folders; each goes to mails with its own. */
static int
found_by_folder(struct pg_pool *pool, const char *account_id,
    const char *job_id, const struct mailru_list *found, store_done_cb *done,
    void *arg)
{
	static const char *const fids[] = { MAILRU_FOLDER_INBOX,
	    MAILRU_FOLDER_SPAM };
	struct mailru_list	 part;
	int			 n = 0;

	for (size_t f = 0; f < 2; f++) {
		memset(&part, 0, sizeof(part));
		part.total = part.unread = -1;
		/* A shallow copy: the strings stay the result's. */
		part.threads = xcalloc(found->nthreads + 1,
		    sizeof(*part.threads));
		for (size_t i = 0; i < found->nthreads; i++)
			if (found->threads[i].folder != NULL &&
			    strcmp(found->threads[i].folder, fids[f]) == 0)
				part.threads[part.nthreads++] =
				    found->threads[i];
		if (part.nthreads > 0)
			n += count(mailstore_upsert(pool, account_id, job_id,
			    mailstore_folder_name(fids[f]), &part, done, arg));
		free(part.threads);
	}
	return n;
}

int
outcome_action(struct pg_pool *pool, const struct secret_key *key,
    const char *account_id, const char *job_id, const struct action *a,
    const struct act_result *r, store_done_cb *done, void *arg)
{
	struct mailstore_change	 chg = { NULL, -1, -1, NULL };
	int			 n = 0;

	if (r->status != ACT_OK)
		return 0;
	if (r->secret != NULL)
		n += count(acctstore_set_password(pool, key, account_id,
		    r->secret, done, arg));
	switch (a->kind) {
	case ACT_LIST_INBOX:
	case ACT_LIST_SPAM:
		if (r->found.nthreads > 0 || r->found.nmsgs > 0)
			n += count(mailstore_upsert(pool, account_id, job_id,
			    r->folder, &r->found, done, arg));
		return n;
	case ACT_FIND:
		return n + found_by_folder(pool, account_id, job_id, &r->found,
		    done, arg);
	case ACT_NOT_SPAM:
		chg.folder = "inbox";
		break;
	case ACT_TO_SPAM:
		chg.folder = "spam";
		break;
	case ACT_FLAG:
		chg.flagged = a->on;
		break;
	case ACT_MARK_READ:
		chg.read = 1;
		if (r->opened != NULL)
			chg.body = r->opened->text != NULL ? r->opened->text :
			    r->opened->html;
		return n + touched(pool, account_id, job_id, a,
		    json_object_get(r->data, "opened"), &chg, done, arg);
	default:
		return n;
	}
	return n + touched(pool, account_id, job_id, a,
	    json_object_get(r->data, "targets"), &chg, done, arg);
}

int
outcome_session(struct pg_pool *pool, const char *account_id,
    const struct sess_outcome *o, store_done_cb *done, void *arg)
{
	if (o->account_status != NULL)
		return count(acctstore_set_status(pool, account_id,
		    o->account_status, o->account_reason, done, arg));
	if (o->ok && o->logins > 0)
		return count(acctstore_login_ok(pool, account_id, o->exit_ip,
		    done, arg));
	return 0;
}
