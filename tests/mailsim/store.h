/*
 * The in-memory model: mailboxes, folders, letters, sessions and the logs
 * that the inspection port reports. SMTP ingress and the send API both put
 * letters in through store_deliver().
 */
#ifndef MAILSIM_STORE_H
#define MAILSIM_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define FOLDER_INBOX	0u
#define FOLDER_SPAM	950u
#define FOLDER_SENT	500000u
#define FOLDER_DRAFTS	500001u
#define FOLDER_TRASH	500002u
#define FOLDER_NONE	0xffffffffu

enum outcome {
	OUT_SUCCESS = 0,
	OUT_WRONG_PASSWORD,
	OUT_CAPTCHA,
	OUT_RECAPTCHA,
	OUT_TWOFA,
	OUT_QUESTION,
	OUT_LOCKED,
	OUT_BANNED,
	OUT_RATELIMIT,
	OUT__COUNT
};

/* One-shot failures a test can arm on an account. */
enum force {
	FORCE_NONE = 0,
	FORCE_USER,
	FORCE_TOKEN,
	FORCE_NOSDC
};

struct msg {
	char		 id[21];
	char		 thread[17];	/* key shared by a conversation */
	uint32_t	 folder;
	unsigned	 unread:1, flagged:1, replied:1, forwarded:1;
	int64_t		 date;
	char		*subject;
	char		*from_name;
	char		*from_email;
	char		*to;
	char		*cc;
	char		*text;
	char		*html;
	char		*message_id;
	char		*in_reply_to;
	char		*references;
};

struct account {
	uint32_t	 idx;
	char		*email;
	char		*password;
	char		*proxy;
	char		*question;
	char		*answer;
	char		*ua;
	enum outcome	 outcome;
	enum force	 force;
	double		 spam_p;	/* < 0: use the sender domain's base */
	unsigned	 expire_after;	/* requests per session, 0 = never */
	unsigned	 gen;		/* bumped by a password change */
	int		 populated;
	struct msg	**msgs;
	size_t		 nmsgs, capmsgs;
	uint64_t	 lastmod;
	uint64_t	 api_requests, logins_ok, logins_fail;
	uint64_t	 spam_reports, unspam_reports, moves;
	uint64_t	 deliveries;
};

/* A login: a web cookie session or an aj token pair. */
struct session {
	struct account	*acct;
	unsigned	 gen;
	int		 mobile;
	int		 dead;
	int64_t		 created;
	unsigned	 requests;
	char		 mpop[96];
	char		 sdcs[17];
	char		 token[128];
	char		 prev_token[128];
	int64_t		 prev_until;
	char		 access[33];
	char		 refresh[33];
	int64_t		 access_expires;
};

/* Per-letter input for store_deliver(). */
struct letter {
	const char	*from_name;
	const char	*from_email;
	const char	*to;
	const char	*cc;
	const char	*subject;
	const char	*text;
	const char	*html;
	const char	*message_id;
	const char	*in_reply_to;
	const char	*references;
	int64_t		 date;
	uint32_t	 folder;	/* FOLDER_NONE: the spam rule decides */
	int		 unread;
	const char	*via;		/* "smtp", "send", "inject" */
};

struct store_cfg {
	uint64_t	 seed;
	unsigned	 token_grace;
	unsigned	 access_ttl;
	char		**domains;
	size_t		 ndomains;
};

extern struct store_cfg store_cfg;

int		 store_init(void);
void		 store_free(void);
struct account	*store_add_account(const char *, const char *, const char *,
		    const char *, const char *, const char *);
struct account	*store_find_account(const char *);
struct account	*store_account_at(size_t);
size_t		 store_naccounts(void);
int		 store_is_domain(const char *);
void		 store_populate(struct account *);
void		 store_touch(struct account *, uint32_t);
uint64_t	 store_folder_lastmod(struct account *, uint32_t);

struct msg	*store_deliver(struct account *, const struct letter *,
		    uint32_t *);
struct msg	*store_find_msg(struct account *, const char *);
void		 store_move(struct account *, struct msg *, uint32_t);
void		 store_remove(struct account *, struct msg *);
void		 store_msg_free(struct msg *);
size_t		 store_list(struct account *, uint32_t, struct msg ***);
size_t		 store_thread_msgs(struct account *, const char *, uint32_t,
		    struct msg ***);
void		 store_thread_id(struct account *, struct msg *, char *, size_t);
int		 store_valid_folder(uint32_t);
const char	*store_folder_name(uint32_t);
const char	*store_folder_type(uint32_t);
extern const uint32_t store_folders[5];
void		 store_new_msgid(int64_t, char *);

struct session	*store_session_new(struct account *, int);
struct session	*store_session_by_mpop(const char *);
struct session	*store_session_by_sdcs(const char *);
struct session	*store_session_by_access(const char *);
struct session	*store_session_by_refresh(const char *);
void		 store_session_set_sdcs(struct session *);
void		 store_session_rotate_token(struct session *);
void		 store_session_new_access(struct session *);
int		 store_session_alive(struct session *);
int		 store_token_ok(struct session *, const char *);
size_t		 store_expire_access(struct account *);
size_t		 store_nsessions(void);

/* Logs, as JSON arrays the inspection port returns as they are. */
enum store_log {
	LOG_LOGINS = 0,
	LOG_CLICKS,
	LOG_REPORTS,
	LOG_SENT,
	LOG_OUTBOUND,
	LOG_SPAM,
	LOG_MOVES,
	LOG__COUNT
};
void		 store_log(enum store_log, json_t *);
json_t		*store_log_get(enum store_log);
void		 store_log_reset(void);

const char	*outcome_name(enum outcome);
int		 outcome_parse(const char *, enum outcome *);

#endif
