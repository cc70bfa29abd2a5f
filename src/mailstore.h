/*
 * The mails table: letters a session saw in a mailbox and what it did with
 * them, over the asynchronous pg pool.  A listing page is upserted in one
 * statement; an action appends to the letter's history.  Rows are keyed by
 * (account, provider message id).  Every call returns a handle for
 * store_cancel (see store.h).
 */
#ifndef WARMD_MAILSTORE_H
#define WARMD_MAILSTORE_H

#include "store.h"

struct mailru_list;
struct pg_pool;

/*
 * What an action changed; NULL pointers and -1 mean unchanged.  folder
 * is the letter's folder after the action: inbox, spam, sent, trash,
 * archive or other.
 */
struct mailstore_change {
	const char	*folder;
	int		 read;		/* 1 read, 0 unread, -1 unchanged */
	int		 flagged;	/* 1, 0, -1 unchanged */
	const char	*body;		/* the text once opened, or NULL */
};

/* The mails table's name for a provider folder id ("950" is spam); "other" for any folder without one. */
const char	*mailstore_folder_name(const char *folder_id);

/* Upsert every thread and message of a listing page of folder in one statement; a letter seen again gets its folder, read state, flag and thread id refreshed, never its body or actions. */
struct store_req *mailstore_upsert(struct pg_pool *pool,
		    const char *account_id, const char *job_id,
		    const char *folder, const struct mailru_list *list,
		    store_done_cb *cb, void *arg);

/* Record action on one letter (inserted if never listed): appended to actions with now() and job_id, last_action and acted_at set, chg (may be NULL) applied. */
struct store_req *mailstore_action(struct pg_pool *pool,
		    const char *account_id, const char *message_id,
		    const char *mail_id, const char *action, const char *job_id,
		    const struct mailstore_change *chg, store_done_cb *cb,
		    void *arg);

#endif
