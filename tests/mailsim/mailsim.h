/*
 * Shared declarations of mailsim, grouped by the file that defines them.
 */
#ifndef MAILSIM_H
#define MAILSIM_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "store.h"

#define MS_ARRLEN(a)	(sizeof(a) / sizeof((a)[0]))

/* map.c */
struct map;
struct map	*map_new(void);
void		 map_free(struct map *, void (*)(void *));
void		*map_get(struct map *, const char *);
int		 map_put(struct map *, const char *, void *);
void		*map_del(struct map *, const char *);
size_t		 map_count(struct map *);
void		 map_each(struct map *, void (*)(const char *, void *, void *),
		    void *);

/* rnd.c */
void		 rnd_seed(uint64_t);
uint64_t	 rnd_next(void);
uint64_t	 rnd_mix(uint64_t);
uint64_t	 rnd_hash(const char *, uint64_t);
double		 rnd_unit(uint64_t);
void		 rnd_hex(char *, size_t);
void		 rnd_alnum(char *, size_t);
int64_t		 now_sec(void);
double		 now_mono(void);
char		*xstrdup(const char *);
void		*xcalloc(size_t, size_t);
char		*xasprintf(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* counters (http.c) */
enum counter {
	C_HTTP_REQUESTS = 0,
	C_HTTP_CONNECTIONS,
	C_LOGIN_WEB,
	C_LOGIN_MOBILE,
	C_LOGIN_OK,
	C_LOGIN_FAIL,
	C_O2_REFRESH,
	C_API_CALLS,
	C_API_DENIED_USER,
	C_API_DENIED_TOKEN,
	C_API_DENIED_NOSDC,
	C_SDC,
	C_MARKS,
	C_MOVES,
	C_SPAM_REPORTS,
	C_UNSPAM_REPORTS,
	C_SENDS,
	C_DELIVERED_INBOX,
	C_DELIVERED_SPAM,
	C_OUTBOUND,
	C_CLICKS,
	C_SMTP_SESSIONS,
	C_SMTP_MESSAGES,
	C_SMTP_REJECTED,
	C_PASSWORD_CHANGES,
	C_FAULT_LATENCY,
	C_FAULT_5XX,
	C_FAULT_429,
	C_FAULT_RESET,
	C_FAULT_TRUNC,
	C_FAULT_BADJSON,
	C_FAULT_SLOW,
	C__COUNT
};
extern uint64_t	 counters[C__COUNT];
json_t		*counters_json(void);
void		 counters_reset(void);
#define COUNT(c)	(counters[(c)]++)

/* faults.c */
struct fault {
	unsigned	 latency_ms;
	int		 err5xx;
	int		 err429;
	int		 reset;
	int		 trunc;
	int		 badjson;
	int		 slow;
	unsigned	 slow_ms;
};
int		 faults_load(const char *);
int		 faults_set_json(json_t *, char *, size_t);
json_t		*faults_json(void);
void		 faults_pick(const char *, const char *, struct fault *);
void		 faults_free(void);

/* http.c */
struct kv {
	char	*k;
	char	*v;
};
struct kvlist {
	struct kv	*v;
	size_t		 n, cap;
};
struct conn;
struct hreq {
	struct evhttp_request	*req;
	struct conn		*conn;
	enum evhttp_cmd_type	 method;
	char			 host[128];
	char			 hostport[8];	/* ":port" when Host had one */
	char			*path;
	char			*uri;
	struct kvlist		 query;
	struct kvlist		 form;
	struct kvlist		 cookies;
	char			 ip[64];
	uint16_t		 port;
	int			 aj;
	struct account		*acct;
	struct session		*sess;
	struct fault		 fault;
	struct event		*timer;
	struct evbuffer		*slowbuf;
};
int		 http_start(struct event_base *, const char *, void *,
		    uint16_t *);
int		 inspect_start(struct event_base *, const char *, uint16_t *);
void		 http_stop(void);
const char	*kv_get(const struct kvlist *, const char *);
const char	*hreq_param(struct hreq *, const char *);
const char	*hreq_cookie(struct hreq *, const char *);
const char	*hreq_header(struct hreq *, const char *);
void		 hreq_header_out(struct hreq *, const char *, const char *);
void		 hreq_set_cookie(struct hreq *, const char *, const char *,
		    const char *, long);
void		 hreq_reply(struct hreq *, int, const char *, const char *,
		    size_t);
void		 hreq_json(struct hreq *, int, json_t *);
void		 hreq_envelope(struct hreq *, int, json_t *);
void		 hreq_envelope_lm(struct hreq *, int, json_t *, long long);
void		 hreq_error(struct hreq *, int, const char *);
void		 hreq_redirect(struct hreq *, const char *);
void		 hreq_html(struct hreq *, int, const char *);
char		*hreq_full_url(struct hreq *);
void		 hreq_conn_account(struct hreq *, struct account *,
		    const char *);
json_t		*conns_json(void);
char		*url_encode(const char *);
char		*url_decode(const char *, size_t, int);
void		 kv_parse(struct kvlist *, const char *, size_t);
void		 kv_free(struct kvlist *);

/* tls.c */
void		*tls_ctx_new(const char *, const char *);
void		 tls_ctx_free(void *);
struct bufferevent *tls_bevcb(struct event_base *, void *);

/* auth_web.c */
void		 auth_web_account(struct hreq *);
void		 auth_web_auth(struct hreq *);
void		 auth_web_sdc_host(struct hreq *);
void		 auth_web_navidata(struct hreq *);
void		 auth_web_need_login(struct hreq *);
void		 auth_web_login_plain(struct hreq *);
struct account	*auth_login_account(const char *, const char *);
void		 auth_log(struct hreq *, const char *, const char *,
		    struct account *, const char *);
void		 auth_web_session_cookies(struct hreq *, struct session *);
void		 auth_free(void);
/* challenges shared by web and mobile flows */
char		*auth_challenge_new(struct account *, enum outcome,
		    const char *, const char *);
enum outcome	 auth_decide(struct account *, const char *);
int		 auth_web_session(struct hreq *, struct session **);
char		*auth_success_url(const char *);
struct account	*auth_challenge_get(const char *, enum outcome *,
		    const char **);
void		 auth_challenge_del(const char *);

/* auth_mobile.c */
void		 auth_mobile_login(struct hreq *);
void		 auth_mobile_o2(struct hreq *);

/* api_mail.c */
void		 api_mail(struct hreq *);
json_t		*api_msg_json(struct account *, struct msg *, int);
void		 api_report(struct account *, struct msg *, int, const char *);

/* redirect.c */
void		 redirect_click(struct hreq *);
char		*redirect_rewrite(const char *, struct account *,
		    struct msg *);

/* inspect.c */
void		 inspect_handle(struct evhttp_request *, void *);

/* spamrule.c */
double		 spamrule_prob(struct account *, const char *, const char *,
		    const char *, const char *, json_t *);
uint32_t	 spamrule_decide(struct account *, const struct letter *);
void		 spamrule_report(const char *, int);
int		 spamrule_set_domain(const char *, double);
json_t		*spamrule_json(void);
void		 spamrule_free(void);

/* mime.c */
struct parsed {
	char	*from_name;
	char	*from_email;
	char	*to;
	char	*cc;
	char	*subject;
	char	*message_id;
	char	*in_reply_to;
	char	*references;
	char	*text;
	char	*html;
	int64_t	 date;
};
int		 mime_parse(const char *, size_t, struct parsed *);
void		 mime_free(struct parsed *);
char		*mime_decode_words(const char *);
int		 mime_addr(const char *, char **, char **);
char		*utf8_lower(const char *);
int		 utf8_caseeq(const char *, const char *);

/* smtp.c */
int		 smtp_start(struct event_base *, const char *, uint16_t *);
void		 smtp_stop(void);

/* population.c */
int		 population_load(const char *);
int		 population_generate(unsigned);
int		 population_overrides(const char *);
int		 population_apply(struct account *, const char *, const char *,
		    char *, size_t);

/* pages.c */
void		 pages_login(struct hreq *, const char *);
void		 pages_mailbox(struct hreq *);
void		 pages_question(struct hreq *, const char *, const char *);

/* main.c */
extern struct event_base *ms_base;
int		 parse_hostport(const char *, char *, size_t, uint16_t *);

#endif
