/*
 * What a session learnt, written to PostgreSQL: letters found and what was
 * done with them (mails), a password changed at the provider, the
 * account's status after a login.  Shared by the jobs engine and the
 * test driver so both record exactly the same rows.
 */
#ifndef WARMD_OUTCOME_H
#define WARMD_OUTCOME_H

#include "store.h"

struct action;
struct act_result;
struct pg_pool;
struct secret_key;
struct sess_outcome;

/* Queue the writes of one finished action (nothing unless it succeeded); each reports to done; returns how many were queued. */
int	outcome_action(struct pg_pool *pool, const struct secret_key *key,
	    const char *account_id, const char *job_id,
	    const struct action *a, const struct act_result *r,
	    store_done_cb *done, void *arg);

/* Queue the account writes of a finished session (status change, or a good login); returns how many were queued. */
int	outcome_session(struct pg_pool *pool, const char *account_id,
	    const struct sess_outcome *o, store_done_cb *done, void *arg);

#endif
