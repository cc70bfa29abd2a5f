/*
 * The mailbox methods a session runs, as data: a kind named like the jobs
 * table's task column, parameters checked before any request is made, and
 * a typed result.  A job row's (task, payload) turns into one of these.
 */
#ifndef WARMD_ACTION_H
#define WARMD_ACTION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mailru.h"

enum act_kind {
	ACT_LOGIN = 0,
	ACT_LIST_INBOX,
	ACT_LIST_SPAM,
	ACT_TO_SPAM,
	ACT_FLAG,
	ACT_NOT_SPAM,
	ACT_MARK_READ,
	ACT_CLICK_LINK,
	ACT_SEND,
	ACT_REPLY,
	ACT_CHANGE_PASSWORD,
	ACT_FIND,
	ACT_NKINDS
};

/* Which letters an action works on. */
enum act_select {
	SEL_IDS,		/* the ids in the payload */
	SEL_LISTED,		/* letters found by this session's last list */
};

/* What a find compares its needle with. */
enum find_by {
	FIND_SUBJECT,		/* the subject, case-folded substring */
	FIND_BODY,		/* the letter's text, checked by opening it */
	FIND_TOKEN,		/* a warm-up token: the provider's search is
				 * trusted, tokens are unique */
};

struct action {
	enum act_kind	 kind;
	json_t		*params;	/* the payload, owned */
	/* decoded parameters */
	enum act_select	 select;
	char		**ids;		/* SEL_IDS */
	size_t		 nids;
	size_t		 limit;		/* SEL_LISTED: at most this many; 0 all */
	char		*subject;	/* SEL_LISTED: "match", a subject substring */
	int		 on;		/* flag: set (1) or clear (0) */
	int		 since_last;	/* list: only what is new */
	int64_t		 from, to;	/* list, find: received in [from, to) */
	const char	*in_folder;	/* SEL_LISTED: only letters in this
					 * provider folder id, or NULL */
	/* find */
	enum find_by	 find_by;
	char		*needle;	/* as given */
	int		 require;	/* nothing found is a transient error */
	int		 find_inbox, find_spam;	/* folders searched */
	/* reply: fill the deferred {{…}} of a rendered template from the
	 * letter answered */
	int		 fill;
	/*
	 * Set by the owner when this action is a step of a longer job: once
	 * *skip is non-zero the action is reported ACT_SKIPPED unrun.
	 */
	const int	*skip;
	/*
	 * send/reply, set by the jobs engine: a short token that goes into
	 * the body, and whether an earlier attempt may already have sent
	 * the letter -- then Sent is searched for the token first.
	 */
	char		*token;
	int		 check_sent;
	void		*udata;		/* the owner's (a job) */
};

enum act_status {
	ACT_OK = 0,
	ACT_TRANSIENT,		/* try again later: network, proxy, 5xx, 429 */
	ACT_PERMANENT,		/* this action cannot succeed as asked */
	ACT_ACCOUNT,		/* the account cannot log in (status changed) */
	ACT_CANCELLED,		/* the session was stopped before it ran */
	ACT_SKIPPED,		/* an earlier step of its job did not succeed */
	ACT_DEFERRED,		/* a route's circuit is open: later, uncounted */
};

/* A finished action.  Everything is owned by the session until the
 * owner's callback returns. */
struct act_result {
	enum act_status		 status;
	char			*reason;	/* readable, NULL when OK */
	json_t			*data;		/* kind-specific, never NULL */
	/* list kinds: what was found, and in which folder ("inbox"...) */
	struct mailru_list	 found;
	const char		*folder;
	/* mark_read / click_link: the opened letter, or NULL */
	struct mailru_msg	*opened;
	/* change_password: the new password, to be sealed and stored; it
	 * never appears in data or in any log */
	char			*secret;
	/* for the job row: what the request really went through */
	const char		*proxy;		/* redacted, or NULL */
	const char		*exit_ip;	/* or NULL */
	unsigned		 defer_ms;	/* ACT_DEFERRED: wait this long */
};

/* Name of a kind as in jobs.task, and back (-1 when unknown). */
const char *act_kind_name(enum act_kind k);
int	 act_kind_parse(const char *name);
const char *act_status_name(enum act_status s);

/*
 * Decode task + payload (borrowed; NULL = {}) into out; 0, or -1 with a
 * readable reason naming the field.
 */
int	 action_init(struct action *out, const char *task, json_t *payload,
	    char *why, size_t len);
/* Free what action_init allocated. */
void	 action_clear(struct action *a);

/* Reset r to an empty OK result. */
void	 act_result_init(struct act_result *r);
/* Free what a result owns (wipes the secret). */
void	 act_result_clear(struct act_result *r);

#endif
