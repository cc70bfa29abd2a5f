/*
 * The accounts table as the session layer uses it, over the asynchronous
 * pg pool: load mailboxes with their secrets decrypted, and record what a
 * session learnt (status, a good login, a password it changed).  Account
 * files are synced by acctsync.c, not here.
 *
 * Secrets are sealed and opened with the account id, in PostgreSQL's text
 * form of the uuid, as associated data -- the same as acctsync.c.  Nothing
 * here logs a password, an answer or a cookie; accounts are named by email
 * or id.  Every call returns a handle for store_cancel (see store.h).
 */
#ifndef WARMD_ACCTSTORE_H
#define WARMD_ACCTSTORE_H

#include <stddef.h>

#include "store.h"

struct account;
struct pg_pool;
struct secret_key;

/*
 * Loaded accounts: ok = 1 and n accounts (the callee owns the array and
 * every account: account_free each, free the array; accts may be NULL when
 * n is 0), or ok = 0 and a one-line err.
 */
typedef void	acctstore_load_cb(void *arg, int ok, struct account **accts,
		    size_t n, const char *err);

/* Load the accounts of emails (all when nemails is 0), only active ones if asked, secrets decrypted; rows that do not decrypt are skipped with a warning. */
struct store_req *acctstore_load(struct pg_pool *pool,
		    const struct secret_key *key, const char *const *emails,
		    size_t nemails, int only_active, acctstore_load_cb *cb,
		    void *arg);

/* Load the accounts with these ids (uuid text), whatever their status, secrets decrypted; as acctstore_load. */
struct store_req *acctstore_load_ids(struct pg_pool *pool,
		    const struct secret_key *key, const char *const *ids,
		    size_t nids, acctstore_load_cb *cb, void *arg);

/* Set status with reason (also kept as last_error); 'active' clears the reason and the failure count, any other status adds one failure. */
struct store_req *acctstore_set_status(struct pg_pool *pool,
		    const char *account_id, const char *status,
		    const char *reason, store_done_cb *cb, void *arg);

/* Record a successful login now: failures reset, exit_ip stored when it is a valid address (NULL keeps the last one). */
struct store_req *acctstore_login_ok(struct pg_pool *pool,
		    const char *account_id, const char *exit_ip,
		    store_done_cb *cb, void *arg);

/* Store a password warmd changed at the provider: sealed, password_changed_at = now(), password_fp untouched. */
struct store_req *acctstore_set_password(struct pg_pool *pool,
		    const struct secret_key *key, const char *account_id,
		    const char *new_password, store_done_cb *cb, void *arg);

#endif
