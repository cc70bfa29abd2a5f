/*
 * The mail.ru provider: request builders and response parsers for the web
 * (cookie + CSRF token) and mobile "aj" (access token) flavours of the
 * protocol described in /work/shared/mailru-protocol.md.  No I/O happens
 * here: the session layer turns a struct mailru_req into a curl transfer
 * and feeds the reply back to a parser.  Hosts, paths and field names that
 * are not settled are in mailru_defs.h.
 *
 * Files: mailru_req.c (builders), mailru_parse.c (JSON and Location
 * parsers), mailru_html.c (links and the embedded token), mailru_cookies.c
 * (cookie jar (de)serialisation).
 */
#ifndef WARMD_MAILRU_H
#define WARMD_MAILRU_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

struct curl_slist;

/* Well-known folder ids (§3.1). */
#define MAILRU_FOLDER_INBOX	"0"
#define MAILRU_FOLDER_SPAM	"950"
#define MAILRU_FOLDER_SENT	"500000"
#define MAILRU_FOLDER_DRAFTS	"500001"
#define MAILRU_FOLDER_TRASH	"500002"

/* The recommended User-Agent for the mobile flavour. */
extern const char mailru_mobile_ua[];

/* ---- requests ---------------------------------------------------------- */

enum mailru_method {
	MAILRU_GET,
	MAILRU_POST,
};

enum mailru_flavour {
	MAILRU_WEB,		/* e.mail.ru: cookies + CSRF token */
	MAILRU_AJ,		/* aj-https.mail.ru: access_token */
};

/* Base URLs without a trailing slash, e.g. "https://e.mail.ru". */
struct mailru_hosts {
	const char	*account;
	const char	*auth;
	const char	*e;		/* web API host */
	const char	*aj;		/* mobile API host */
	const char	*o2;
	const char	*portal;
	const char	*ipecho;
};

/* The real mail.ru hosts (and the emulator's IP echo host). */
extern const struct mailru_hosts mailru_hosts_default;

/*
 * What one call needs to know about its session.  Strings are borrowed for
 * the duration of the builder call only.
 */
struct mailru_ctx {
	const struct mailru_hosts *hosts;	/* NULL = mailru_hosts_default */
	enum mailru_flavour	 flavour;
	const char		*email;
	const char		*token;		/* web CSRF token, may be NULL */
	const char		*access_token;	/* aj */
	int			 token_in_body;	/* aj POST: token in the form */
	int64_t			 now_ms;	/* "_=" cache buster; 0 = omit */
	/* Randomness for X-Request-Id and send ids; NULL = arc4random_buf. */
	void			(*rand)(void *buf, size_t n);
};

/*
 * One HTTP request.  body is form-urlencoded or NULL; referer, origin and
 * request_id (X-Request-Id) are header values or NULL.  Redirects are
 * never followed by curl: the caller classifies each Location, and
 * want_redirect says a 3xx is the expected answer.
 */
struct mailru_req {
	enum mailru_method	 method;
	char			*url;
	char			*body;
	char			*referer;
	char			*origin;
	char			*request_id;
	int			 want_redirect;
};

/* A thread or message named in a mark/move/spam call. */
struct mailru_ref {
	const char	*id;		/* thread id or message id */
	const char	*last;		/* newest message id (threads), or NULL */
	const char	*folder;	/* folder the item is in now, or NULL */
};

enum mailru_target {
	MAILRU_MESSAGES,
	MAILRU_THREADS,
};

/* A letter to send; to/cc are comma-separated "Name <addr>" or addresses. */
struct mailru_letter {
	const char	*from_name;	/* may be NULL */
	const char	*to;
	const char	*cc;		/* may be NULL */
	const char	*subject;
	const char	*text;
	const char	*html;		/* may be NULL */
	const char	*reply_to;	/* message id answered, or NULL */
	const char	*id;		/* 32-char client id; NULL = random */
};

/* Free a request and everything it owns; NULL is fine. */
void	 mailru_req_free(struct mailru_req *r);

/* Percent-encode s for a query or form value (RFC 3986 unreserved kept). */
char	*mailru_urlencode(const char *s);
/* Decode %XX and '+' in a form/query value; NULL on a bad escape or NUL. */
char	*mailru_urldecode(const char *s, size_t n);
/* Value of key in the query of url (decoded), or NULL. */
char	*mailru_url_param(const char *url, const char *key);

/* GET of any URL (a Location, a redirector link); want_redirect set. */
struct mailru_req *mailru_req_get(const char *url, const char *referer);
/* GET the login page that sets the act cookie (§1.1); page may be NULL. */
struct mailru_req *mailru_req_prelogin(const struct mailru_ctx *c,
	    const char *page);
/* POST auth/cgi-bin/auth with the §1.2 fields; act_token may be NULL. */
struct mailru_req *mailru_req_web_login(const struct mailru_ctx *c,
	    const char *login, const char *password, const char *act_token,
	    const char *page);
/* GET account/api/v1/user/copper: captcha or 2FA after a login (§1.5). */
struct mailru_req *mailru_req_copper(const struct mailru_ctx *c);
/* GET auth/sdc?from=<url>: the sdc dance for the API URL to retry (§10.10). */
struct mailru_req *mailru_req_sdc(const struct mailru_ctx *c,
	    const char *from_url);
/* GET the secret question text for a challenge (emulator-defined D8). */
struct mailru_req *mailru_req_question(const struct mailru_ctx *c,
	    const char *chal);
/* POST the secret-question answer (web, emulator-defined D8). */
struct mailru_req *mailru_req_question_answer(const struct mailru_ctx *c,
	    const char *chal, const char *answer);
/*
 * POST aj/cgi-bin/auth, mobile JSON style (§7.1, §10.1); chal and answer
 * (both or neither) answer a secret question (emulator-defined D10).
 */
struct mailru_req *mailru_req_mobile_login(const struct mailru_ctx *c,
	    const char *login, const char *password, const char *udid,
	    const char *chal, const char *answer);
/* POST o2/token grant_type=refresh_token; client_id NULL = default. */
struct mailru_req *mailru_req_o2_refresh(const struct mailru_ctx *c,
	    const char *refresh_token, const char *client_id);
/* Cheap "is this session alive" call: NaviData (web) or folders (aj). */
struct mailru_req *mailru_req_validate(const struct mailru_ctx *c);
/* GET auth/cgi-bin/logout (§1.4.1). */
struct mailru_req *mailru_req_logout(const struct mailru_ctx *c);
/* POST user/short (web): fetches a fresh CSRF token (§2.1). */
struct mailru_req *mailru_req_user_short(const struct mailru_ctx *c);
/* GET tokens (web): the current CSRF token (§2.1). */
struct mailru_req *mailru_req_tokens(const struct mailru_ctx *c);
/* GET folders. */
struct mailru_req *mailru_req_folders(const struct mailru_ctx *c);
/*
 * Thread list of a folder: threads/status/smart (web) or
 * m/threads/status/smart (aj); last_modified <= 0 means 1 (full list).
 */
struct mailru_req *mailru_req_threads(const struct mailru_ctx *c,
	    const char *folder, int offset, int limit, int64_t last_modified);
/* Message list of a folder, newest first (messages/status). */
struct mailru_req *mailru_req_messages(const struct mailru_ctx *c,
	    const char *folder, int offset, int limit, int64_t last_modified);
/* Messages of one thread (threads/thread). */
struct mailru_req *mailru_req_thread(const struct mailru_ctx *c,
	    const char *thread_id, int offset, int limit);
/* One message with body, without marking it read (§4.4). */
struct mailru_req *mailru_req_message(const struct mailru_ctx *c,
	    const char *msg_id, const char *folder);
/* Set or unset mark ("unread" / "flagged") on items (§4.1). */
struct mailru_req *mailru_req_marks(const struct mailru_ctx *c,
	    enum mailru_target t, const char *mark, int set,
	    const struct mailru_ref *refs, size_t n);
/* Move items to folder (§4.2). */
struct mailru_req *mailru_req_move(const struct mailru_ctx *c,
	    enum mailru_target t, const struct mailru_ref *refs, size_t n,
	    const char *folder);
/* Report items as spam (spam=1) or not spam (spam=0) (§4.3). */
struct mailru_req *mailru_req_spam(const struct mailru_ctx *c,
	    enum mailru_target t, int spam, const struct mailru_ref *refs,
	    size_t n);
/* Full-text search (k8s/messages/search, §3.4). */
struct mailru_req *mailru_req_search(const struct mailru_ctx *c,
	    const char *query, int offset, int limit, int in_excluded);
/* Send a letter, or a reply when l->reply_to is set (§4.6, §10.8). */
struct mailru_req *mailru_req_send(const struct mailru_ctx *c,
	    const struct mailru_letter *l);
/* Change the password (emulator-defined D12). */
struct mailru_req *mailru_req_password(const struct mailru_ctx *c,
	    const char *old_pw, const char *new_pw);
/* GET the IP echo host's JSON (which address the provider sees). */
struct mailru_req *mailru_req_ipecho(const struct mailru_ctx *c);

/* "Re: " + subject unless it already starts with a reply prefix. */
char	*mailru_reply_subject(const char *subject);

/* ---- the JSON envelope ------------------------------------------------- */

enum mailru_status {
	MAILRU_OK = 0,
	MAILRU_NOT_MODIFIED,
	MAILRU_NOSDC,		/* web: host cookie missing, do the sdc dance */
	MAILRU_TOKEN,		/* stale CSRF token / expired access token */
	MAILRU_USER,		/* no session */
	MAILRU_TWOSTEP_REQUIRED,
	MAILRU_BIND_REQUIRED,
	MAILRU_FOLDER,
	MAILRU_BAD_REQUEST,	/* error holds body.error */
	MAILRU_RATE_LIMIT,	/* 429 */
	MAILRU_ATTEMPTS,	/* 449 */
	MAILRU_SERVER,		/* 5xx */
	MAILRU_MALFORMED,	/* not JSON, truncated, no status */
	MAILRU_OTHER,		/* a status this module does not know */
};

/*
 * A parsed reply.  root owns the JSON; body, email and error point into
 * it (NULL when absent).  status is the JSON status as a number (0 when
 * missing; "ok" reads as 200).
 */
struct mailru_env {
	enum mailru_status	 cls;
	int			 http_code;
	int			 status;
	json_t			*root;
	json_t			*body;
	const char		*email;
	const char		*error;
	int64_t			 last_modified;	/* -1 when absent */
};

/* Parse and classify a JSON reply; returns env->cls. */
enum mailru_status mailru_parse_envelope(int http_code, const char *buf,
	    size_t len, struct mailru_env *env);
/* Release what mailru_parse_envelope allocated. */
void	 mailru_env_free(struct mailru_env *env);
/* Short name of a class, for logs and job errors. */
const char *mailru_status_name(enum mailru_status s);

/* ---- login ------------------------------------------------------------- */

enum mailru_login {
	MAILRU_LOGIN_OK = 0,
	MAILRU_LOGIN_WRONG_PASSWORD,
	MAILRU_LOGIN_CHECK_COPPER,	/* ask user/copper: captcha or 2FA */
	MAILRU_LOGIN_CAPTCHA,
	MAILRU_LOGIN_RECAPTCHA,
	MAILRU_LOGIN_TWOFA,
	MAILRU_LOGIN_QUESTION,		/* answer the secret question */
	MAILRU_LOGIN_WRONG_ANSWER,
	MAILRU_LOGIN_LOCKED,		/* recovery required */
	MAILRU_LOGIN_BANNED,
	MAILRU_LOGIN_VERIFY,		/* "additional verification" page */
	MAILRU_LOGIN_REJECTED,		/* back on the login form, no reason */
	MAILRU_LOGIN_RATE_LIMIT,
	MAILRU_LOGIN_SERVER,
	MAILRU_LOGIN_UNKNOWN,
};

/* Tokens of the mobile flavour. */
struct mailru_tokens {
	char		*access_token;
	char		*refresh_token;		/* NULL when not sent */
	int64_t		 expires_in;		/* seconds, 0 when not sent */
};

/*
 * Outcome of a login step.  url is where to go next (success target,
 * 2FA or recovery page); chal and question belong to QUESTION.
 */
struct mailru_login_res {
	enum mailru_login	 outcome;
	char			*url;
	char			*chal;
	char			*question;
	struct mailru_tokens	 tok;
};

/*
 * Classify the reply to the web credential POST (or to the question
 * answer) from its HTTP code, Location (may be NULL) and body.
 */
enum mailru_login mailru_parse_web_login(int http_code, const char *location,
	    const char *body, size_t len, struct mailru_login_res *res);
/* Classify user/copper's reply: captcha if it mentions one, else 2FA. */
enum mailru_login mailru_parse_copper(int http_code, const char *body,
	    size_t len);
/* Classify the mobile login reply (§10.1, §10.3, emulator D10). */
enum mailru_login mailru_parse_mobile_login(int http_code,
	    const char *location, const char *body, size_t len,
	    struct mailru_login_res *res);
/* Read the question of a challenge (question API reply); NULL if none. */
char	*mailru_parse_question(const struct mailru_env *env);
/* Release a login result's strings. */
void	 mailru_login_res_free(struct mailru_login_res *res);
/* Short name of an outcome. */
const char *mailru_login_name(enum mailru_login o);
/* Whether an outcome is a "needs a human" state (never retried). */
int	 mailru_login_needs_human(enum mailru_login o);

enum mailru_o2 {
	MAILRU_O2_OK = 0,
	MAILRU_O2_RELOGIN,	/* error_code 3 or 6: full password login */
	MAILRU_O2_RETRY,	/* 429/5xx/garbage: try again later */
	MAILRU_O2_FAIL,		/* any other error */
};

/* Parse o2/token; on OK tok holds access_token (and refresh if sent). */
enum mailru_o2 mailru_parse_o2(int http_code, const char *body, size_t len,
	    struct mailru_tokens *tok);
/* Release token strings (wiped first). */
void	 mailru_tokens_free(struct mailru_tokens *tok);

/* ---- mailbox replies --------------------------------------------------- */

struct mailru_thread {
	char		*id;		/* 0:<msgid>:<fid> or 1:<16hex>:<fid> */
	char		*last;		/* newest message id */
	char		*folder;
	char		*subject;
	char		*snippet;
	char		*from_email;
	char		*from_name;
	int64_t		 date;		/* unix seconds */
	int		 length;
	int		 unread;
	int		 flagged;
};

struct mailru_msg {
	char		*id;
	char		*thread_id;	/* NULL when not given */
	char		*folder;
	char		*subject;
	char		*snippet;
	char		*from_email;
	char		*from_name;
	char		*to;		/* comma-separated addresses */
	char		*html;		/* NULL in lists */
	char		*text;
	int64_t		 date;
	int		 unread;
	int		 flagged;
	int		 replied;
};

struct mailru_list {
	struct mailru_thread	*threads;
	size_t			 nthreads;
	struct mailru_msg	*msgs;
	size_t			 nmsgs;
	int64_t			 total;		/* -1 when not sent */
	int64_t			 unread;	/* -1 when not sent */
};

/*
 * Thread list of one folder from a web threads/status/smart or an aj
 * m/threads/status/smart reply (the first folders_content entry matching
 * folder, or the first one when folder is NULL).  0, or -1 on bad shape.
 */
int	 mailru_parse_threads(const struct mailru_env *env, const char *folder,
	    struct mailru_list *out);
/* Messages of messages/status, threads/thread or a search reply. */
int	 mailru_parse_messages(const struct mailru_env *env,
	    struct mailru_list *out);
/* One message of messages/message. */
int	 mailru_parse_message(const struct mailru_env *env,
	    struct mailru_msg *out);
/* Free the list's items and zero it. */
void	 mailru_list_free(struct mailru_list *l);
/* Free one message's strings and zero it. */
void	 mailru_msg_free(struct mailru_msg *m);
/* Send reply: 0 and *msg_id (may stay NULL) when accepted, else -1. */
int	 mailru_parse_send(const struct mailru_env *env, char **msg_id);
/* CSRF token from a user/short or tokens reply, or NULL. */
char	*mailru_parse_token(const struct mailru_env *env);
/* Whether a NaviData (web) or folders (aj) reply shows a live session. */
int	 mailru_parse_validate(const struct mailru_env *env);
/*
 * The address in an IP-echo reply (plain text or JSON {"ip"}), validated
 * with inet_pton; NULL if none.
 */
char	*mailru_parse_ipecho(long code, const char *body, size_t len);

/* ---- ids --------------------------------------------------------------- */

/* Unix time encoded in a message id's first 10 digits; -1 if not an id. */
int64_t	 mailru_msgid_time(const char *msg_id);
/* Folder part of a thread id (points into tid), or NULL if malformed. */
const char *mailru_thread_folder(const char *tid);
/* The message id of a single-message thread id "0:<id>:<fid>", or NULL. */
char	*mailru_thread_msgid(const char *tid);
/* Build the single-message thread id "0:<msg_id>:<folder>". */
char	*mailru_thread_id_single(const char *msg_id, const char *folder);

/* ---- HTML -------------------------------------------------------------- */

/*
 * Find the link whose visible text is anchor (whitespace-collapsed,
 * case-insensitive, Cyrillic included): exact match first, then the first
 * anchor that contains it.  0 and *url (href, maybe a redirector) or -1.
 */
int	 mailru_find_link(const char *html, size_t len, const char *anchor,
	    char **url);
/* Target of a checklink /proxy?url= or click /redir?u= link, or NULL. */
char	*mailru_unwrap_redirect(const char *url);
/* CSRF token from a mailbox page (sota.config JSON, patron.updateToken). */
char	*mailru_html_token(const char *html, size_t len);

/* ---- cookies ----------------------------------------------------------- */

/* Called per valid Netscape line; non-zero stops the walk. */
typedef int (*mailru_cookie_cb)(void *arg, const char *line);

/*
 * Join CURLINFO_COOKIELIST lines into one newline-separated blob, dropping
 * expired and malformed lines.  Never NULL ("" when nothing is left).
 */
char	*mailru_cookies_serialize(const struct curl_slist *lines, time_t now);
/*
 * Hand each valid line of a blob to cb (ready for CURLOPT_COOKIELIST);
 * returns the number handed over; *nbad (may be NULL) counts rejects.
 */
int	 mailru_cookies_parse(const char *blob, mailru_cookie_cb cb, void *arg,
	    size_t *nbad);
/*
 * The same for a browser's Netscape cookie file: comments and blank lines
 * skipped, CRLF accepted, expired cookies dropped; *first_bad (may be NULL)
 * is the 1-based line of the first reject, 0 if none.
 */
int	 mailru_cookies_file_parse(const char *text, size_t len, time_t now,
	    mailru_cookie_cb cb, void *arg, size_t *nbad, size_t *first_bad);
/* Value of cookie name visible to host in a blob, or NULL. */
char	*mailru_cookie_get(const char *blob, const char *host,
	    const char *name);
/* The same over CURLINFO_COOKIELIST lines. */
char	*mailru_cookie_get_list(const struct curl_slist *lines,
	    const char *host, const char *name);

#endif
