/*
 * Inside a session: the structure shared by session.c (life cycle),
 * sessapi.c (API calls and their repairs), auth_*.c (login methods) and
 * act_*.c (the mailbox methods).  Nothing outside those files includes it.
 */
#ifndef WARMD_SESSINT_H
#define WARMD_SESSINT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "action.h"
#include "mailru.h"
#include "proxy.h"
#include "proxycap.h"
#include "rng.h"
#include "session.h"
#include "sesshttp.h"

struct event;
struct rds_req;

struct sess_env {
	const struct config	*cfg;
	struct shttp_conf	 http;
	struct mailru_hosts	 hosts;
	struct rds		*redis;
	const struct secret_key	*key;
	struct proxycap		*proxies;
	struct breakers		*breakers;	/* the owner's, or NULL */
	size_t			 active;
};

/* Next step after a raw HTTP reply. */
typedef void sess_raw_fn(struct session *s, const struct shttp_resp *r);
/* Builds the current API request (again after a repair). */
typedef struct mailru_req *sess_build_fn(struct session *s);
/* Handles an API reply that needed no repair; env is freed afterwards. */
typedef void sess_reply_fn(struct session *s, struct mailru_env *env);

/* How a login attempt ended. */
enum login_end {
	LOGIN_NEXT,		/* this method cannot: try the next one */
	LOGIN_TRANSIENT,	/* network, proxy, rate limit: later */
	LOGIN_ERROR,		/* account status error (wrong password) */
	LOGIN_SUSPEND,		/* needs a human */
};

struct auth_method {
	const char	*name;
	/* 0 when the method does not apply to this account */
	int		(*usable)(struct session *s);
	void		(*start)(struct session *s);
};

/* Scratch of the action in progress; zeroed when the next one starts. */
struct act_scratch {
	int			 step;
	int			 page;
	size_t			 pos;		/* next target */
	struct mailru_ref	*refs;		/* targets resolved to refs */
	char			**ref_ids;	/* storage behind refs */
	size_t			 nrefs;
	enum mailru_target	 target;
	const char		*folder;	/* folder id of a listing */
	int64_t			 newest;	/* newest date seen (list) */
	int64_t			 last_modified;
	int			 done_paging;
	char			*msg_id;	/* resolved target message */
	struct mailru_msg	 msg;		/* fetched target letter */
	char			*url;		/* link being followed */
	json_t			*chain;		/* hops of a followed link */
	json_t			*items;		/* per-target outcomes */
	int			 hops;
	sess_raw_fn		*follow_fn;	/* after the last hop */
	void			(*fetch_next)(struct session *);
	int			 via_move;
};

struct session {
	enum sess_state		 state;
	struct sess_env		*env;
	struct account		*acct;
	struct sess_owner	 owner;
	struct shttp		*http;
	struct rng		 rng;
	struct event		*timer;
	struct rds_req		*rreq;

	/* network identity */
	struct proxy		 proxy;
	int			 has_proxy;
	char			*proxy_key;	/* with credentials; never shown */
	char			*proxy_shown;	/* redacted */
	struct pcap_waiter	 waiter;
	int			 holds_slot;
	char			*exit_ip;
	/* a route's circuit is open: what is left waits this long */
	unsigned		 route_wait_ms;
	char			*route_host;	/* of the request in flight */

	/* provider session */
	struct mailru_ctx	 ctx;
	char			*token;		/* web CSRF token */
	char			*access_token;	/* aj */
	char			*refresh_token;
	int			 logged_in;
	const char		*login_via;
	unsigned		 logins;
	json_t			*marks;		/* listing watermarks by folder */

	/* login */
	const struct auth_method *methods[4];
	size_t			 nmethods, method;
	int			 auth_step;
	int			 auth_redirects;
	int			 answered;	/* secret question answered once */
	char			*chal;
	int			 resume_api;	/* a login repairs an API call */
	int			 relogged;	/* the one fresh login is used */

	/* the API call in progress */
	sess_raw_fn		*raw;
	sess_build_fn		*build;
	sess_reply_fn		*reply;
	char			*api_url;	/* for the sdc dance */
	int			 repairs;
	int			 sdc_hops;

	/* actions */
	struct action		*acts;
	size_t			 nacts, cur;
	struct act_result	 res;
	struct act_scratch	 sc;
	struct mailru_list	 listed;	/* the last listing's letters */
	const char		*listed_folder;
	int			 listed_msgs;	/* listed holds letters (a
						 * find), not threads */

	/* how it ends */
	struct sess_outcome	 out;
	char			*error;
	char			*acct_reason;
	int			 aborted;
};

/* session.c */
void	sess_change(struct session *s, enum sess_state st);
void	sess_http(struct session *s, struct mailru_req *req, sess_raw_fn *fn);
/* The host of url ("e.mail.ru"), malloc'd, or NULL when it does not parse. */
char	*sess_url_host(const char *url);
void	sess_login_ok(struct session *s, enum mailru_flavour f,
	    const char *via);
void	sess_login_failed(struct session *s, enum login_end how,
	    const char *reason);
void	sess_net_failed(struct session *s, const struct shttp_resp *r,
	    const char *what);
void	act_finish(struct session *s, enum act_status st, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
void	sess_ctx_refresh(struct session *s);

/* sessapi.c */
void	sess_api(struct session *s, sess_build_fn *build, sess_reply_fn *reply);
void	act_fail_env(struct session *s, const struct mailru_env *env,
	    const char *what);
void	sess_follow(struct session *s, const char *url, sess_raw_fn *fn);

/* auth_*.c */
extern const struct auth_method auth_mobile, auth_web, auth_cookies;
/* Map a login outcome other than OK/QUESTION to how the login ends. */
void	auth_outcome(struct session *s, enum mailru_login o, const char *via);
/* After a web login: walk to the mailbox and read the CSRF token. */
void	auth_web_finish(struct session *s, const char *url, const char *via);

/* act_*.c: the first step of each kind */
void	act_login_start(struct session *s);
void	act_list_start(struct session *s);
void	act_mark_start(struct session *s);
void	act_open_start(struct session *s);
void	act_link_start(struct session *s);
void	act_send_start(struct session *s);
void	act_password_start(struct session *s);
void	act_find_start(struct session *s);
/* act_target.c: resolve targets into refs; 0, or -1 (action finished) */
int	act_targets(struct session *s);
/* Append a target ref (copies; last and folder may be NULL). */
void	act_push_ref(struct act_scratch *sc, const char *id, const char *last,
	    const char *folder);
/* After a move of the listed letters: they are in folder now. */
void	act_listed_moved(struct session *s, const char *folder);
/* Fetch the message of target i into sc.msg, then call next. */
void	act_fetch(struct session *s, size_t i, void (*next)(struct session *));

#endif
