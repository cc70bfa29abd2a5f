/*
 * An account session: the state machine that takes one account from
 * "nothing known" to "actions done" over the event loop.  Its life:
 * wait for a proxy slot, check the exit IP, restore cookies/tokens from
 * Redis, validate them, log in only if needed, run the actions with human
 * pauses between them, save cookies/tokens back, park.  Nothing blocks;
 * thousands run at once in one process.
 */
#ifndef WARMD_SESSION_H
#define WARMD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "action.h"

struct account;
struct breakers;
struct config;
struct curlev;
struct rds;
struct secret_key;
struct session;
struct sess_env;

/* States, in the order a session normally goes through them. */
enum sess_state {
	SESS_WAIT_PROXY = 0,	/* queued behind its proxy's cap */
	SESS_IPECHO,		/* asking which address the provider sees */
	SESS_RESTORE,		/* reading cached cookies/token from Redis */
	SESS_VALIDATE,		/* is the restored session alive? */
	SESS_LOGIN,		/* a login method is running */
	SESS_ACTION,		/* an action's requests are in flight */
	SESS_PAUSE,		/* human gap before the next action */
	SESS_SAVE,		/* writing cookies/token back to Redis */
	SESS_DONE,		/* parked; freed at the end of the iteration */
	SESS_NSTATES
};

/* How a session ended, for the owner. */
struct sess_outcome {
	int		 ok;		/* the session worked (actions may fail) */
	const char	*login;		/* "restored", "mobile", "web", "cookies"
					 * or NULL when it never got in */
	/* set when the account's status must change */
	const char	*account_status;	/* "suspended", "error" or NULL */
	const char	*account_reason;
	const char	*error;		/* why it did not work, or NULL */
	int		 transient;	/* error is worth retrying later */
	const char	*proxy;		/* redacted proxy used, or NULL */
	const char	*exit_ip;	/* or NULL */
	unsigned	 logins;	/* password logins made */
	int		 login_failed;	/* a login failed for a passing reason */
	int		 stopped;	/* session_abort ended it */
	unsigned	 requests;
};

struct sess_owner {
	/* One call per action, in order; r is valid during the call. */
	void	(*action_done)(void *arg, struct session *s, size_t idx,
		    struct action *a, struct act_result *r);
	/* Last call; the session is freed after it returns. */
	void	(*finished)(void *arg, struct session *s,
		    const struct sess_outcome *o);
	void	 *arg;
};

/*
 * What sessions of one process share, from cfg (which must outlive it);
 * redis may be NULL (no cache), breakers NULL (no circuit breakers; they
 * outlive reloads, so the owner keeps them).  NULL with a message in why
 * on a bad entry.
 */
struct sess_env *sess_env_new(const struct config *cfg, struct curlev *curl,
	    struct rds *redis, const struct secret_key *key,
	    struct breakers *breakers, char *why, size_t len);
/* Free; every session must be gone. */
void	 sess_env_free(struct sess_env *env);
/* Sessions of env not yet finished. */
size_t	 sess_env_active(const struct sess_env *env);

/*
 * Start a session for acct with n actions (all owned from now on).  The
 * owner's callbacks run from the loop, never from inside this call.
 */
struct session *session_start(struct sess_env *env, struct account *acct,
	    struct action *acts, size_t n, const struct sess_owner *owner);
/*
 * Stop now: what is in flight is cancelled, the remaining actions are
 * reported ACT_CANCELLED, then finished runs (from the loop).
 */
void	 session_abort(struct session *s);
/* The account being worked. */
const struct account *session_account(const struct session *s);

/* Sessions currently in each state, process-wide, for /metrics. */
void	 session_counts(uint64_t counts[SESS_NSTATES]);
/* Name of a state, for logs and metrics. */
const char *session_state_name(enum sess_state st);

#endif
