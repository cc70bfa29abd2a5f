/*
 * Letters to the mails table.  A listing page travels as one jsonb
 * parameter built with jansson and unpacked by jsonb_to_recordset, so a
 * page of a hundred letters is one round trip and no text of a letter is
 * ever quoted by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "mailru.h"
#include "mailstore.h"
#include "pg.h"
#include "store.h"
#include "xmalloc.h"

/*
 * DISTINCT ON: a page may name one letter twice (as a thread and as a
 * message, or across a shifted page), and ON CONFLICT DO UPDATE refuses to
 * touch a row twice in one statement; the later entry wins.  A letter seen
 * again is rewritten only if something changed, so polling unchanged
 * folders leaves no dead rows behind.  mail_id follows the listing because
 * a thread id names its folder (0:<id>:950 becomes 0:<id>:0 when the
 * letter leaves spam).  subject, sender and received_at are filled in when
 * missing (a letter first recorded by an action) and otherwise kept; body
 * and actions belong to mailstore_action.
 */
static const char upsert_sql[] =
    "INSERT INTO mails AS m (account_id, job_id, mail_id, message_id,"
    " folder, status, flagged, subject, sender, received_at)"
    " SELECT DISTINCT ON (r.message_id) $1::uuid, $2::bigint, r.mail_id,"
    "  r.message_id, $3::text, r.status, r.flagged, r.subject, r.sender,"
    "  to_timestamp(r.date)"
    " FROM jsonb_to_recordset($4::jsonb) AS r(i integer, mail_id text,"
    "  message_id text, status text, flagged boolean, subject text,"
    "  sender text, date bigint)"
    " ORDER BY r.message_id, r.i DESC"
    " ON CONFLICT (account_id, message_id) DO UPDATE SET"
    "  folder = EXCLUDED.folder, status = EXCLUDED.status,"
    "  flagged = EXCLUDED.flagged, mail_id = EXCLUDED.mail_id,"
    "  subject = COALESCE(m.subject, EXCLUDED.subject),"
    "  sender = COALESCE(m.sender, EXCLUDED.sender),"
    "  received_at = COALESCE(m.received_at, EXCLUDED.received_at)"
    " WHERE (m.folder, m.status, m.flagged, m.mail_id, m.subject, m.sender,"
    "  m.received_at) IS DISTINCT FROM (EXCLUDED.folder, EXCLUDED.status,"
    "  EXCLUDED.flagged, EXCLUDED.mail_id,"
    "  COALESCE(m.subject, EXCLUDED.subject),"
    "  COALESCE(m.sender, EXCLUDED.sender),"
    "  COALESCE(m.received_at, EXCLUDED.received_at))";

/*
 * A letter acted on by id may never have been listed: insert it with what
 * the action knows.  job_id of an existing row stays the job that found
 * it; the acting job is in the actions entry.
 */
static const char action_sql[] =
    "INSERT INTO mails AS m (account_id, job_id, mail_id, message_id,"
    " folder, status, flagged, body, actions, last_action, acted_at)"
    " VALUES ($1::uuid, $2::bigint, COALESCE($3::text, $4::text), $4::text,"
    "  COALESCE($5::text, 'other'),"
    "  CASE WHEN $6::boolean THEN 'read' ELSE 'new' END,"
    "  COALESCE($7::boolean, false), $8::text,"
    "  jsonb_build_array(jsonb_build_object('action', $9::text,"
    "   'at', now(), 'job_id', $2::bigint)),"
    "  $9::text, now())"
    " ON CONFLICT (account_id, message_id) DO UPDATE SET"
    "  mail_id = COALESCE($3::text, m.mail_id),"
    "  folder = COALESCE($5::text, m.folder),"
    "  status = CASE WHEN $6::boolean IS NULL THEN m.status"
    "   WHEN $6::boolean THEN 'read' ELSE 'new' END,"
    "  flagged = COALESCE($7::boolean, m.flagged),"
    "  body = COALESCE($8::text, m.body),"
    "  actions = m.actions || EXCLUDED.actions,"
    "  last_action = EXCLUDED.last_action,"
    "  acted_at = EXCLUDED.acted_at";

static const struct {
	const char	*id;
	const char	*name;
} folders[] = {
	{ MAILRU_FOLDER_INBOX, "inbox" },
	{ MAILRU_FOLDER_SPAM, "spam" },
	{ MAILRU_FOLDER_SENT, "sent" },
	{ MAILRU_FOLDER_TRASH, "trash" },
};

#define NFOLDERS	(sizeof(folders) / sizeof(folders[0]))

const char *
mailstore_folder_name(const char *folder_id)
{
	for (size_t i = 0; folder_id != NULL && i < NFOLDERS; i++)
		if (strcmp(folder_id, folders[i].id) == 0)
			return folders[i].name;
	return "other";
}

/* Provider id of a folder name, for single-message thread ids; or NULL. */
static const char *
folder_id(const char *name)
{
	for (size_t i = 0; name != NULL && i < NFOLDERS; i++)
		if (strcmp(name, folders[i].name) == 0)
			return folders[i].id;
	return NULL;
}

/* s as a JSON string, or null when absent (or not UTF-8). */
static json_t *
jstr(const char *s)
{
	json_t	*v;

	if (s == NULL || (v = json_string(s)) == NULL)
		return json_null();
	return v;
}

static void
add_row(json_t *rows, const char *mail_id, const char *message_id,
    int unread, int flagged, const char *subject, const char *sender,
    int64_t date)
{
	json_t	*o = json_object();

	json_object_set_new(o, "i", json_integer((json_int_t)json_array_size(
	    rows)));
	json_object_set_new(o, "mail_id", jstr(mail_id));
	json_object_set_new(o, "message_id", jstr(message_id));
	json_object_set_new(o, "status", json_string(unread ? "new" : "read"));
	json_object_set_new(o, "flagged", json_boolean(flagged));
	json_object_set_new(o, "subject", jstr(subject));
	json_object_set_new(o, "sender", jstr(sender));
	json_object_set_new(o, "date", date > 0 ? json_integer(date) :
	    json_null());
	json_array_append_new(rows, o);
}

/* The page as the jsonb parameter; items without an id are skipped. */
static char *
list_json(const char *folder, const struct mailru_list *list)
{
	json_t	*rows = json_array();
	char	*s, *tid;

	for (size_t i = 0; list != NULL && i < list->nthreads; i++) {
		const struct mailru_thread	*t = &list->threads[i];
		char				*mid = NULL;

		if (t->id == NULL)
			continue;
		/*
		 * The letter's own id when the listing gives one or the
		 * thread id holds it ("0:<id>:<fid>"): then the row stays the
		 * same when the letter changes folder.
		 */
		if (t->last == NULL)
			mid = mailru_thread_msgid(t->id);
		add_row(rows, t->id, t->last != NULL ? t->last : mid != NULL ?
		    mid : t->id, t->unread, t->flagged, t->subject,
		    t->from_email, t->date);
		free(mid);
	}
	for (size_t i = 0; list != NULL && i < list->nmsgs; i++) {
		const struct mailru_msg	*m = &list->msgs[i];

		if (m->id == NULL)
			continue;
		tid = m->thread_id != NULL ? xstrdup(m->thread_id) :
		    mailru_thread_id_single(m->id, m->folder != NULL ?
		    m->folder : folder_id(folder));
		add_row(rows, tid != NULL ? tid : m->id, m->id, m->unread,
		    m->flagged, m->subject, m->from_email, m->date);
		free(tid);
	}
	s = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	return s != NULL ? s : xstrdup("[]");
}

struct store_req *
mailstore_upsert(struct pg_pool *pool, const char *account_id,
    const char *job_id, const char *folder, const struct mailru_list *list,
    store_done_cb *cb, void *arg)
{
	const char		*params[4] = { account_id, job_id, folder, NULL };
	struct store_req	*r;
	char			*rows;

	rows = list_json(folder, list);
	params[3] = rows;
	r = store_write(pool, "store listing", account_id, 0, upsert_sql, 4,
	    params, cb, arg);
	free(rows);
	return r;
}

static const char *
tristate(int v)
{
	return v < 0 ? NULL : v ? "t" : "f";
}

struct store_req *
mailstore_action(struct pg_pool *pool, const char *account_id,
    const char *message_id, const char *mail_id, const char *action,
    const char *job_id, const struct mailstore_change *chg,
    store_done_cb *cb, void *arg)
{
	static const struct mailstore_change	 none = { NULL, -1, -1, NULL };
	const char				*params[9];

	if (chg == NULL)
		chg = &none;
	params[0] = account_id;
	params[1] = job_id;
	params[2] = mail_id;
	params[3] = message_id;
	params[4] = chg->folder;
	params[5] = tristate(chg->read);
	params[6] = tristate(chg->flagged);
	params[7] = chg->body;
	params[8] = action;
	return store_write(pool, "store action", account_id, 1, action_sql, 9,
	    params, cb, arg);
}
