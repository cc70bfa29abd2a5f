/*
 * Sync a parsed account list to the accounts table as a diff, over the
 * asynchronous pool: read the table, compare in C, apply every change in one
 * statement.  New mailboxes are inserted with encrypted secrets; changed ones
 * updated; ones missing from every file suspended ("removed from list", never
 * deleted) and reactivated when they come back.  A mailbox the operator
 * suspended for any other reason stays suspended.
 *
 * Secrets are sealed with the account id, in PostgreSQL's text form of the
 * uuid, as associated data.  Nothing here logs or returns a password or an
 * answer; accounts are named by email.
 */
#ifndef WARMD_ACCTSYNC_H
#define WARMD_ACCTSYNC_H

#include <stddef.h>

struct acct_list;
struct pg_pool;
struct secret_key;
struct acctsync;

/* Reason written on accounts that are in no file any more. */
#define ACCTSYNC_REMOVED_REASON	"removed from list"

struct acctsync_counts {
	size_t	added;		/* new rows */
	size_t	changed;	/* secrets, proxy or user agent differ */
	size_t	removed;	/* suspended: in no file any more */
	size_t	reactivated;	/* back in a file after a removal */
	size_t	unchanged;
};

/*
 * Completion: ok = 1 and counts when the diff was applied; ok = 0 and a
 * message when it was not (or may not have been: re-running is safe, the diff
 * is recomputed from the table).
 */
typedef void	acctsync_cb(void *arg, int ok,
		    const struct acctsync_counts *counts, const char *errmsg);

/*
 * Start a sync of list (copied; the caller may free it) with key; user_agents
 * (NULL = built-in) are assigned to new accounts that name none.  cb is
 * always called later from the loop, exactly once unless abandoned.
 */
struct acctsync	*acctsync_start(struct pg_pool *pool,
		    const struct acct_list *list, const struct secret_key *key,
		    const char *const *user_agents, size_t nuser_agents,
		    acctsync_cb *cb, void *arg);

/* Drop a sync without its callback (the pool is closing); the statement may still run. */
void		 acctsync_abandon(struct acctsync *s);

/* The user agent a new account gets: stable for an email and a list. */
const char	*acctsync_pick_user_agent(const char *email,
		    const char *const *user_agents, size_t n);

/* Read a user-agent file (one a line, '#' comments) into a new array; 0, or -1 and err. */
int		 acctsync_load_user_agents(const char *path, char ***out,
		    size_t *n, char *err, size_t errlen);

#endif
