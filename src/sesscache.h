/*
 * Session state kept in Redis between sessions, so an account that logged
 * in an hour ago does not log in again: cookies, tokens and listing
 * watermarks as one JSON document, sealed with the secret key (account id
 * in the associated data) and stored with a TTL.  Redis being down only
 * means a fresh login.
 */
#ifndef WARMD_SESSCACHE_H
#define WARMD_SESSCACHE_H

#include <jansson.h>

struct rds;
struct rds_req;
struct secret_key;

/* state is the decrypted document, or NULL (missing, unreadable, down). */
typedef void sesscache_load_cb(void *arg, json_t *state);
typedef void sesscache_save_cb(void *arg, int ok);

/* Fetch the account's state; NULL (cb not called) when Redis is down. */
struct rds_req *sesscache_load(struct rds *r, const struct secret_key *key,
	    const char *prefix, const char *account_id, sesscache_load_cb *cb,
	    void *arg);
/* Store state (borrowed) for ttl_ms; NULL (cb not called) when down. */
struct rds_req *sesscache_save(struct rds *r, const struct secret_key *key,
	    const char *prefix, const char *account_id, json_t *state,
	    unsigned ttl_ms, sesscache_save_cb *cb, void *arg);
/* Forget the account's state (after a password change or a ban). */
void	 sesscache_drop(struct rds *r, const char *prefix,
	    const char *account_id);

#endif
