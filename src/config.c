/*
 * Configuration loading.  One table describes every key; the file goes
 * through inih with a reader that counts lines and rejects what Debian's
 * inih build would silently misparse, then every key is converted and
 * validated into a fresh struct config.  Nothing is applied piecemeal.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <libpq-fe.h>

#include "action.h"
#include "campcfg.h"
#include "config.h"
#include "xmalloc.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define SEC		1000LL
#define MINUTE		(60 * SEC)
#define HOUR		(60 * MINUTE)
#define DAY		(24 * HOUR)

#define KIB		1024LL
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)

/* Config files are small; anything bigger is a mistake, not a config. */
#define CF_MAX_FILE	(1024 * 1024)

#define ZONEINFO_DIR	"/usr/share/zoneinfo"

enum cf_type {
	CF_STR,
	CF_INT,
	CF_BOOL,
	CF_DUR,
	CF_BYTES,
	CF_LOGLEVEL,
	CF_PATH,
	CF_LIST,
	CF_PATHLIST,
};

#define CF_RESTART	0x01	/* read at start-up only */
#define CF_SENSITIVE	0x02	/* value is never printed */
#define CF_REQUIRED	0x04	/* must appear in the file */
#define CF_NONEMPTY	0x08	/* empty value (or empty list) rejected */
#define CF_MUSTREAD	0x10	/* path(s) must be readable regular files */
#define CF_CREDS	0x20	/* URI whose user:pass@ is never printed */

struct cf_key {
	const char	*section;
	const char	*name;
	enum cf_type	 type;
	const char	*def;		/* as written in a file; NULL: computed */
	int		 flags;
	size_t		 off;
	size_t		 count_off;	/* lists: offset of the size_t count */
	long long	 min;		/* CF_INT, CF_DUR (ms), CF_BYTES */
	long long	 max;
	/*
	 * Extra validation of one value (one item of a list); may fill
	 * derived fields; returns -1 with the reason in the buffer.
	 */
	int		(*check)(struct config *, const char *, char *, size_t);
	const char	*doc;
};

struct parse {
	/* The file being read: the config file, then each campaign file. */
	const char	*name;		/* file name as the user gave it */
	const char	*curdir;	/* absolute directory of that file */
	unsigned	 fileidx;	/* 0: the config file */
	int		 campaign_only;	/* only [campaign NAME] sections */
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	unsigned	 lineno;	/* line last handed to inih */
	unsigned	 nlines;
	unsigned char	*errline;	/* lines that already have an error */
	int		 sect;		/* index in sections, or SECT_* */
	char		 sectname[128];

	char		*dir;		/* absolute directory of the config */
	unsigned char	*bad;		/* per key: its value was rejected */
	char		**raw;		/* per key: value from the file */
	unsigned	*rawline;	/* per key: its line */
	int		 in_default;	/* converting a default value */
	struct camp_parse *camp;	/* the [campaign NAME] sections */
	struct errlist	 found;		/* errors, in the order found */
	unsigned	*found_line;	/* the line of each */
	unsigned	*found_file;	/* the fileidx of each */
	struct config	*cfg;
};

#define SECT_NONE	-1
#define SECT_UNKNOWN	-2
#define SECT_CAMPAIGN	-3

static int	check_worker_name(struct config *, const char *, char *, size_t);
static int	check_time_zone(struct config *, const char *, char *, size_t);
static int	check_conninfo(struct config *, const char *, char *, size_t);
static int	check_redis_address(struct config *, const char *, char *,
		    size_t);
static int	check_key_prefix(struct config *, const char *, char *, size_t);
static int	check_proxy_scheme(struct config *, const char *, char *,
		    size_t);
static int	check_proxy_uri(struct config *, const char *, char *, size_t);
static int	check_admin_listen(struct config *, const char *, char *,
		    size_t);
static int	check_resolve(struct config *, const char *, char *, size_t);
static int	check_connect_to(struct config *, const char *, char *,
		    size_t);
static int	check_auth_order(struct config *, const char *, char *,
		    size_t);
static int	check_base_url(struct config *, const char *, char *, size_t);
static int	check_https_url(struct config *, const char *, char *,
		    size_t);
static int	check_daily_cap(struct config *, const char *, char *,
		    size_t);

#define F(f)	offsetof(struct config, f)

static const char *const sections[] = {
	"warmd", "database", "redis", "accounts", "admin", "http", "session",
	"jobs", "alerts", "breaker", "health",
};

/*
 * The keys.  Order is the order of config_dump and of the example file.
 * worker_name and pid_file are restart-only too: job leases are fenced by
 * the worker name, and the pid file is written once at start-up.
 */
static const struct cf_key keys[] = {
	{ "warmd", "worker_name", CF_STR, NULL, CF_RESTART | CF_NONEMPTY,
	    F(warmd.worker_name), 0, 0, 0, check_worker_name,
	    "name of this worker in job leases and logs (default: host name)" },
	{ "warmd", "log_level", CF_LOGLEVEL, "info", 0,
	    F(warmd.log_level), 0, 0, 0, NULL,
	    "error, warn, info or debug" },
	{ "warmd", "log_file", CF_PATH, "", 0,
	    F(warmd.log_file), 0, 0, 0, NULL,
	    "also append log lines to this file (empty: stderr only)" },
	{ "warmd", "grace_period", CF_DUR, "30s", 0,
	    F(warmd.grace_period_ms), 0, 0, HOUR, NULL,
	    "how long a stop waits for running sessions to finish" },
	{ "warmd", "time_zone", CF_STR, "Europe/Moscow", CF_NONEMPTY,
	    F(warmd.time_zone), 0, 0, 0, check_time_zone,
	    "zone for schedules and working hours (zoneinfo name or UTC)" },
	{ "warmd", "pid_file", CF_PATH, "", CF_RESTART,
	    F(warmd.pid_file), 0, 0, 0, NULL,
	    "write the daemon's pid here (empty: none)" },
	{ "warmd", "max_sessions", CF_INT, "2000", 0,
	    F(warmd.max_sessions), 0, 1, 100000, NULL,
	    "most account sessions open at once" },
	{ "warmd", "plan_interval", CF_DUR, "30s", 0,
	    F(warmd.plan_interval_ms), 0, 1000, DAY, NULL,
	    "how often campaigns are planned into jobs (also at start and on"
	    " reload)" },
	{ "warmd", "campaign_dir", CF_PATH, "", 0,
	    F(warmd.campaign_dir), 0, 0, 0, NULL,
	    "also read [campaign NAME] sections from every *.conf file here"
	    " (empty: none)" },

	{ "database", "conninfo", CF_STR, "dbname=warmd",
	    CF_RESTART | CF_SENSITIVE | CF_NONEMPTY,
	    F(database.conninfo), 0, 0, 0, check_conninfo,
	    "libpq connection string" },
	{ "database", "pool_size", CF_INT, "4", CF_RESTART,
	    F(database.pool_size), 0, 1, 64, NULL,
	    "PostgreSQL connections" },
	{ "database", "connect_timeout", CF_DUR, "5s", 0,
	    F(database.connect_timeout_ms), 0, 100, 5 * MINUTE, NULL,
	    "give up a connection attempt after this long" },
	{ "database", "statement_timeout", CF_DUR, "30s", 0,
	    F(database.statement_timeout_ms), 0, 0, DAY, NULL,
	    "server-side statement_timeout (0: none)" },
	{ "database", "reconnect_min", CF_DUR, "500ms", 0,
	    F(database.reconnect_min_ms), 0, 10, HOUR, NULL,
	    "first delay before reconnecting" },
	{ "database", "reconnect_max", CF_DUR, "30s", 0,
	    F(database.reconnect_max_ms), 0, 10, HOUR, NULL,
	    "longest delay between reconnect attempts" },

	{ "redis", "address", CF_STR, "127.0.0.1:6379",
	    CF_RESTART | CF_NONEMPTY,
	    F(redis.address), 0, 0, 0, check_redis_address,
	    "IP:port, [IPv6]:port, /unix/socket or none" },
	{ "redis", "password", CF_STR, "", CF_RESTART | CF_SENSITIVE,
	    F(redis.password), 0, 0, 0, NULL,
	    "AUTH password (empty: none)" },
	{ "redis", "db", CF_INT, "0", CF_RESTART,
	    F(redis.db), 0, 0, 255, NULL,
	    "database number to SELECT" },
	{ "redis", "connect_timeout", CF_DUR, "2s", 0,
	    F(redis.connect_timeout_ms), 0, 10, MINUTE, NULL,
	    "give up a connection attempt after this long" },
	{ "redis", "command_timeout", CF_DUR, "2s", 0,
	    F(redis.command_timeout_ms), 0, 10, MINUTE, NULL,
	    "treat Redis as down when a reply takes longer" },
	{ "redis", "key_prefix", CF_STR, "warmd:", 0,
	    F(redis.key_prefix), 0, 0, 0, check_key_prefix,
	    "prefix of every key warmd writes" },
	{ "redis", "session_ttl", CF_DUR, "7d", 0,
	    F(redis.session_ttl_ms), 0, MINUTE, 30 * DAY, NULL,
	    "expiry of cached session state" },

	{ "accounts", "files", CF_PATHLIST, "", CF_REQUIRED | CF_NONEMPTY |
	    CF_MUSTREAD,
	    F(accounts.files), F(accounts.nfiles), 0, 0, NULL,
	    "account files, comma-separated" },
	{ "accounts", "default_proxy_scheme", CF_STR, "http", CF_NONEMPTY,
	    F(accounts.default_proxy_scheme), 0, 0, 0, check_proxy_scheme,
	    "scheme for proxies written without one" },
	{ "accounts", "fallback_proxy", CF_STR, "", CF_CREDS,
	    F(accounts.fallback_proxy), 0, 0, 0, check_proxy_uri,
	    "proxy for accounts that have none (empty: none)" },
	{ "accounts", "key_file", CF_PATH, "/etc/warmd/secret.key",
	    CF_RESTART | CF_NONEMPTY,
	    F(accounts.key_file), 0, 0, 0, NULL,
	    "secret key for stored credentials" },
	{ "accounts", "user_agents", CF_PATH, "", CF_MUSTREAD,
	    F(accounts.user_agents), 0, 0, 0, NULL,
	    "file of user agents, one a line (empty: built-in list)" },

	{ "admin", "listen", CF_STR, "127.0.0.1:8425",
	    CF_RESTART | CF_NONEMPTY,
	    F(admin.listen), 0, 0, 0, check_admin_listen,
	    "loopback address:port of the admin endpoint, or off" },

	{ "http", "ca_file", CF_PATH, "", CF_MUSTREAD,
	    F(http.ca_file), 0, 0, 0, NULL,
	    "CA bundle (empty: system CAs)" },
	{ "http", "connect_timeout", CF_DUR, "10s", 0,
	    F(http.connect_timeout_ms), 0, 100, 10 * MINUTE, NULL,
	    "connect timeout of one request" },
	{ "http", "timeout", CF_DUR, "60s", 0,
	    F(http.timeout_ms), 0, SEC, HOUR, NULL,
	    "total timeout of one request" },
	{ "http", "sessions_per_multi", CF_INT, "100", 0,
	    F(http.sessions_per_multi), 0, 1, 10000, NULL,
	    "sessions sharing one curl multi handle" },
	{ "http", "resolve", CF_LIST, "", 0,
	    F(http.resolve), F(http.nresolve), 0, 0, check_resolve,
	    "fixed host:port:addr entries, comma-separated" },
	{ "http", "connect_to", CF_LIST, "", 0,
	    F(http.connect_to), F(http.nconnect_to), 0, 0, check_connect_to,
	    "host:port:to_host:to_port entries, comma-separated" },
	{ "http", "max_body", CF_BYTES, "4M", 0,
	    F(http.max_body), 0, KIB, GIB, NULL,
	    "largest response body kept, bytes with optional k, M, G" },

	{ "session", "auth", CF_STR, "cookies,mobile,web", CF_NONEMPTY,
	    F(session.auth), 0, 0, 0, check_auth_order,
	    "login methods tried in order: mobile, web, cookies" },
	{ "session", "pace_min", CF_DUR, "3s", 0,
	    F(session.pace_min_ms), 0, 0, HOUR, NULL,
	    "shortest pause between two actions of one account" },
	{ "session", "pace_max", CF_DUR, "20s", 0,
	    F(session.pace_max_ms), 0, 0, HOUR, NULL,
	    "longest pause between two actions of one account" },
	{ "session", "pace_seed", CF_INT, "0", 0,
	    F(session.pace_seed), 0, 0, 2147483647, NULL,
	    "seed of the pauses (0: random)" },
	{ "session", "ipecho_url", CF_STR, "", 0,
	    F(session.ipecho_url), 0, 0, 0, check_https_url,
	    "URL answering with the caller's IP (empty: not checked)" },
	{ "session", "per_proxy_limit", CF_INT, "8", 0,
	    F(session.per_proxy_limit), 0, 1, 100000, NULL,
	    "sessions using one proxy at once" },
	{ "session", "proxy_dead_after", CF_DUR, "30m", 0,
	    F(session.proxy_dead_after_ms), 0, SEC, 7 * DAY, NULL,
	    "a proxy failing this long marks its accounts" },
	{ "session", "unspam_move_fallback", CF_BOOL, "yes", 0,
	    F(session.unspam_move_fallback), 0, 0, 0, NULL,
	    "move to Inbox when the not-spam report is refused" },
	{ "session", "list_page", CF_INT, "50", 0,
	    F(session.list_page), 0, 1, 500, NULL,
	    "letters asked for per list request" },
	{ "session", "max_pages", CF_INT, "20", 0,
	    F(session.max_pages), 0, 1, 10000, NULL,
	    "most list pages read by one listing" },
	{ "session", "max_redirects", CF_INT, "10", 0,
	    F(session.max_redirects), 0, 1, 50, NULL,
	    "most redirects followed by a login or a link" },
	{ "session", "account_url", CF_STR, "https://account.mail.ru",
	    CF_NONEMPTY, F(session.account_url), 0, 0, 0, check_base_url,
	    "base URL of the account host" },
	{ "session", "auth_url", CF_STR, "https://auth.mail.ru", CF_NONEMPTY,
	    F(session.auth_url), 0, 0, 0, check_base_url,
	    "base URL of the web login host" },
	{ "session", "e_url", CF_STR, "https://e.mail.ru", CF_NONEMPTY,
	    F(session.e_url), 0, 0, 0, check_base_url,
	    "base URL of the web mail API" },
	{ "session", "aj_url", CF_STR, "https://aj-https.mail.ru", CF_NONEMPTY,
	    F(session.aj_url), 0, 0, 0, check_base_url,
	    "base URL of the mobile API" },
	{ "session", "o2_url", CF_STR, "https://o2.mail.ru", CF_NONEMPTY,
	    F(session.o2_url), 0, 0, 0, check_base_url,
	    "base URL of the token host" },
	{ "session", "portal_url", CF_STR, "https://portal.mail.ru",
	    CF_NONEMPTY, F(session.portal_url), 0, 0, 0, check_base_url,
	    "base URL of the portal host" },

	{ "jobs", "claim_batch", CF_INT, "100", 0,
	    F(jobs.claim_batch), 0, 1, 10000, NULL,
	    "most accounts claimed by one claim statement" },
	{ "jobs", "jobs_per_session", CF_INT, "50", 0,
	    F(jobs.jobs_per_session), 0, 1, 10000, NULL,
	    "most due jobs of one account run in one session" },
	{ "jobs", "lease", CF_DUR, "60s", 0,
	    F(jobs.lease_ms), 0, 5 * SEC, DAY, NULL,
	    "an account claimed by a process that stops renewing is free after this" },
	{ "jobs", "poll_interval", CF_DUR, "1s", 0,
	    F(jobs.poll_interval_ms), 0, 100, HOUR, NULL,
	    "look for due jobs this often even without a notification" },
	{ "jobs", "reap_interval", CF_DUR, "10s", 0,
	    F(jobs.reap_interval_ms), 0, 100, HOUR, NULL,
	    "return jobs of expired leases to the queue this often" },
	{ "jobs", "retry_min", CF_DUR, "30s", 0,
	    F(jobs.retry_min_ms), 0, 0, DAY, NULL,
	    "first delay before a transient failure is retried" },
	{ "jobs", "retry_max", CF_DUR, "1h", 0,
	    F(jobs.retry_max_ms), 0, 0, 7 * DAY, NULL,
	    "longest delay between retries" },
	{ "jobs", "daily_caps", CF_LIST, "", 0,
	    F(jobs.daily_caps), F(jobs.ndaily_caps), 0, 0, check_daily_cap,
	    "per account and day in time_zone: task:N entries, e.g. send:40,reply:20" },

	{ "alerts", "telegram_token", CF_STR, "", CF_SENSITIVE,
	    F(alerts.telegram_token), 0, 0, 0, NULL,
	    "Telegram bot token (empty: no alerts)" },
	{ "alerts", "telegram_chat_id", CF_STR, "", 0,
	    F(alerts.telegram_chat_id), 0, 0, 0, NULL,
	    "chat the alerts go to" },
	{ "alerts", "telegram_url", CF_STR, "https://api.telegram.org",
	    CF_NONEMPTY, F(alerts.telegram_url), 0, 0, 0, check_base_url,
	    "base URL of the Bot API" },
	{ "alerts", "window", CF_DUR, "10m", 0,
	    F(alerts.window_ms), 0, SEC, DAY, NULL,
	    "at most one message per kind of event in this window; the rest"
	    " are folded into a count" },
	{ "alerts", "queue_lag", CF_DUR, "15m", 0,
	    F(alerts.queue_lag_ms), 0, 0, 7 * DAY, NULL,
	    "alert when the oldest job due has waited this long (0: never)" },
	{ "alerts", "database_down_after", CF_DUR, "2m", 0,
	    F(alerts.database_down_after_ms), 0, 0, DAY, NULL,
	    "alert when PostgreSQL or Redis has been unreachable this long" },
	{ "alerts", "summary_hour", CF_INT, "-1", 0,
	    F(alerts.summary_hour), 0, -1, 23, NULL,
	    "hour of the day (time_zone) of the daily summary (-1: none)" },

	{ "breaker", "failures", CF_INT, "5", 0,
	    F(breaker.failures), 0, 0, 100000, NULL,
	    "consecutive failures that open a proxy's or host's circuit (0: never)" },
	{ "breaker", "cooldown", CF_DUR, "1m", 0,
	    F(breaker.cooldown_ms), 0, SEC, DAY, NULL,
	    "an open circuit lets nothing through this long, then one probe" },
	{ "breaker", "max_cooldown", CF_DUR, "30m", 0,
	    F(breaker.max_cooldown_ms), 0, SEC, 7 * DAY, NULL,
	    "longest wait: each failed probe doubles it up to this" },
	{ "breaker", "probe_timeout", CF_DUR, "2m", 0,
	    F(breaker.probe_timeout_ms), 0, SEC, DAY, NULL,
	    "a probe that has not answered this long is given up" },

	{ "health", "pause_below", CF_INT, "40", 0,
	    F(health.pause_below), 0, 0, 100, NULL,
	    "an account whose health score falls below this is paused (0: never)" },
	{ "health", "half_life", CF_DUR, "6h", 0,
	    F(health.half_life_ms), 0, MINUTE, 30 * DAY, NULL,
	    "penalties halve over this time" },
	{ "health", "login_failure", CF_INT, "20", 0,
	    F(health.login_failure), 0, 0, 100, NULL,
	    "penalty of a failed login that was not a wrong password or a challenge" },
	{ "health", "transient", CF_INT, "4", 0,
	    F(health.transient), 0, 0, 100, NULL,
	    "penalty of a job that failed for a passing reason" },
	{ "health", "send_failure", CF_INT, "10", 0,
	    F(health.send_failure), 0, 0, 100, NULL,
	    "penalty of a letter or reply the provider did not take" },
	{ "health", "spam", CF_INT, "8", 0,
	    F(health.spam), 0, 0, 100, NULL,
	    "penalty of a warm-up letter of the account found in Spam" },
	{ "health", "relief", CF_INT, "10", 0,
	    F(health.relief), 0, 0, 100, NULL,
	    "percent of the penalties forgiven by each job done" },
	{ "health", "cooldown", CF_DUR, "6h", 0,
	    F(health.cooldown_ms), 0, 0, 30 * DAY, NULL,
	    "a paused account is tried once more after this (0: only by hand)" },
};

#undef F

/* Generation of the next config loaded; 0 is never handed out. */
static unsigned	next_generation = 1;

static void *
fieldp(struct config *cfg, size_t off)
{
	return (char *)cfg + off;
}

static const void *
cfieldp(const struct config *cfg, size_t off)
{
	return (const char *)cfg + off;
}

/* Keep a formatted error with where it belongs, for flush_errors. */
static void
found_add(struct parse *p, unsigned fileidx, unsigned line, const char *msg)
{
	errlist_add_raw(&p->found, msg);
	p->found_line = xreallocarray(p->found_line, p->found.cap,
	    sizeof(*p->found_line));
	p->found_file = xreallocarray(p->found_file, p->found.cap,
	    sizeof(*p->found_file));
	p->found_line[p->found.count - 1] = line;
	p->found_file[p->found.count - 1] = fileidx;
	if (fileidx == p->fileidx && p->errline != NULL && line > 0 &&
	    line <= p->nlines)
		p->errline[line] = 1;
}

static void
cf_vmark(struct parse *p, unsigned line, const char *key, const char *fmt,
    va_list ap)
{
	struct errlist	 one = { 0 };
	char		 msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	errlist_add(&one, p->name, line, key, "%s", msg);
	found_add(p, p->fileidx, line, one.msgs[0]);
	errlist_clear(&one);
}

/* campcfg's error callback. */
static void
cf_camp_error(void *arg, unsigned fileidx, unsigned line, const char *msg)
{
	found_add(arg, fileidx, line, msg);
}

/* Report a problem with a line that names no table key. */
static void __attribute__((format(printf, 4, 5)))
cf_error_line(struct parse *p, unsigned line, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cf_vmark(p, line, key, fmt, ap);
	va_end(ap);
}

/* Report a problem with a table key. */
static void __attribute__((format(printf, 4, 5)))
cf_error(struct parse *p, unsigned line, const struct cf_key *k,
    const char *fmt, ...)
{
	char	 key[128], msg[400];
	va_list	 ap;

	snprintf(key, sizeof(key), "%s.%s", k->section, k->name);
	p->bad[k - keys] = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_error_line(p, line, key, "%s%s", msg,
	    p->in_default ? " (in the default value)" : "");
}

/* Where a value may be quoted in a message; secrets never are. */
static const char *
shown(const struct cf_key *k, const char *v)
{
	return (k->flags & (CF_SENSITIVE | CF_CREDS)) ? "(hidden)" : v;
}

static const struct cf_key *
key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < nitems(keys); i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
section_find(const char *name)
{
	for (size_t i = 0; i < nitems(sections); i++)
		if (strcmp(sections[i], name) == 0)
			return (int)i;
	return SECT_UNKNOWN;
}

/* Format ms in the largest unit that divides it, as a file would. */
static void
fmt_duration(unsigned long long ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0s");
	else if (ms % DAY == 0)
		snprintf(buf, len, "%llud", ms / DAY);
	else if (ms % HOUR == 0)
		snprintf(buf, len, "%lluh", ms / HOUR);
	else if (ms % MINUTE == 0)
		snprintf(buf, len, "%llum", ms / MINUTE);
	else if (ms % SEC == 0)
		snprintf(buf, len, "%llus", ms / SEC);
	else
		snprintf(buf, len, "%llums", ms);
}

static void
fmt_bytes(unsigned long long n, char *buf, size_t len)
{
	if (n != 0 && n % GIB == 0)
		snprintf(buf, len, "%lluG", n / GIB);
	else if (n != 0 && n % MIB == 0)
		snprintf(buf, len, "%lluM", n / MIB);
	else if (n != 0 && n % KIB == 0)
		snprintf(buf, len, "%lluk", n / KIB);
	else
		snprintf(buf, len, "%llu", n);
}

int
config_parse_duration(const char *s, unsigned *ms)
{
	unsigned long long	 n = 0, mult;
	const char		*p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > UINT_MAX)
			return -1;
	}
	if (*p == '\0' || strcmp(p, "s") == 0)
		mult = SEC;
	else if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "m") == 0)
		mult = MINUTE;
	else if (strcmp(p, "h") == 0)
		mult = HOUR;
	else if (strcmp(p, "d") == 0)
		mult = DAY;
	else
		return -1;
	if (n > UINT_MAX / mult)
		return -1;
	*ms = (unsigned)(n * mult);
	return 0;
}

int
config_parse_bool(const char *s, int *val)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*val = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*val = 0;
			return 0;
		}
	}
	return -1;
}

int
config_parse_bytes(const char *s, size_t *bytes)
{
	unsigned long long	 n = 0, mult = 1;
	const char		*p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > SIZE_MAX)
			return -1;
	}
	if (*p == 'k' || *p == 'K')
		mult = KIB;
	else if (*p == 'M')
		mult = MIB;
	else if (*p == 'G')
		mult = GIB;
	else if (*p != '\0')
		return -1;
	if (*p != '\0' && p[1] != '\0')
		return -1;
	if (n > SIZE_MAX / mult)
		return -1;
	*bytes = (size_t)(n * mult);
	return 0;
}

/* Strict base-10 integer: no blanks, no trailing text. */
static int
parse_int(const char *s, long long *out)
{
	char		*end;
	long long	 v;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
parse_port(const char *s, int *port)
{
	long long	 v;

	for (const char *q = s; *q != '\0'; q++)
		if (!isdigit((unsigned char)*q))
			return -1;
	if (parse_int(s, &v) == -1 || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int
is_ipv4(const char *s)
{
	struct in_addr	 a;

	return inet_pton(AF_INET, s, &a) == 1;
}

static int
is_ipv6(const char *s)
{
	struct in6_addr	 a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

/*
 * Split "IPv4:port" or "[IPv6]:port".  Names are refused because hiredis
 * and the admin listener would resolve them with blocking calls.
 */
static int
split_ip_port(const char *v, char **host, int *port, int *family, char *why,
    size_t len)
{
	const char	*colon, *close;
	char		*h;

	if (*v == '[') {
		if ((close = strchr(v, ']')) == NULL || close[1] != ':') {
			snprintf(why, len, "expected [IPv6]:port");
			return -1;
		}
		h = xstrndup(v + 1, (size_t)(close - v - 1));
		colon = close + 1;
		*family = AF_INET6;
	} else {
		if ((colon = strrchr(v, ':')) == NULL) {
			snprintf(why, len, "expected address:port");
			return -1;
		}
		h = xstrndup(v, (size_t)(colon - v));
		*family = AF_INET;
	}
	if ((*family == AF_INET6 && !is_ipv6(h)) ||
	    (*family == AF_INET && !is_ipv4(h))) {
		snprintf(why, len, "%s",
		    *family == AF_INET && strchr(h, ':') != NULL ?
		    "put an IPv6 address in brackets: [::1]:port" :
		    "host must be an IP address, not a name");
		free(h);
		return -1;
	}
	if (parse_port(colon + 1, port) == -1) {
		snprintf(why, len, "port must be 1-65535");
		free(h);
		return -1;
	}
	*host = h;
	return 0;
}

static int
check_worker_name(struct config *cfg, const char *v, char *why, size_t len)
{
	(void)cfg;
	if (strlen(v) > 63) {
		snprintf(why, len, "longer than 63 characters");
		return -1;
	}
	for (const char *p = v; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("._-", *p) == NULL) {
			snprintf(why, len,
			    "may hold only letters, digits, '.', '_' and '-'");
			return -1;
		}
	}
	return 0;
}

static int
check_time_zone(struct config *cfg, const char *v, char *why, size_t len)
{
	(void)cfg;
	return config_check_time_zone(v, why, len);
}

int
config_check_time_zone(const char *v, char *why, size_t len)
{
	struct stat	 st;
	char		*file;
	int		 ok;

	if (strcmp(v, "UTC") == 0)
		return 0;
	if (*v == '/' || strstr(v, "..") != NULL ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") != strlen(v)) {
		snprintf(why, len, "not a zone name like Europe/Moscow");
		return -1;
	}
	file = xasprintf("%s/%s", ZONEINFO_DIR, v);
	ok = stat(file, &st) == 0 && S_ISREG(st.st_mode);
	free(file);
	if (!ok) {
		snprintf(why, len, "unknown time zone \"%s\" (not in %s)", v,
		    ZONEINFO_DIR);
		return -1;
	}
	return 0;
}

/*
 * libpq resolves host names with blocking getaddrinfo() inside the event
 * loop, so a host must be an IP address or a socket directory unless
 * hostaddr gives the address.  libpq's own messages may quote the string,
 * password included, so they are not passed on.
 */
static int
check_conninfo(struct config *cfg, const char *v, char *why, size_t len)
{
	PQconninfoOption	*opts, *o;
	const char		*host = NULL, *hostaddr = NULL;
	char			*errmsg = NULL, *list, *item, *save;
	int			 rc = 0;

	(void)cfg;
	if ((opts = PQconninfoParse(v, &errmsg)) == NULL) {
		if (errmsg != NULL)
			PQfreemem(errmsg);
		snprintf(why, len, "not a valid libpq connection string");
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
	}
	if (host != NULL && hostaddr == NULL) {
		list = xstrdup(host);
		for (item = strtok_r(list, ",", &save); item != NULL;
		    item = strtok_r(NULL, ",", &save)) {
			if (*item == '/' || is_ipv4(item) || is_ipv6(item))
				continue;
			snprintf(why, len, "host \"%s\" is a name, which libpq "
			    "resolves with blocking DNS: use an IP address, a "
			    "socket directory or hostaddr", item);
			rc = -1;
			break;
		}
		free(list);
	}
	PQconninfoFree(opts);
	return rc;
}

static int
check_redis_address(struct config *cfg, const char *v, char *why, size_t len)
{
	int	 family;

	if (strcmp(v, "none") == 0) {
		cfg->redis.enabled = 0;
		return 0;
	}
	cfg->redis.enabled = 1;
	if (*v == '/') {
		cfg->redis.unix_path = xstrdup(v);
		return 0;
	}
	return split_ip_port(v, &cfg->redis.host, &cfg->redis.port, &family,
	    why, len);
}

static int
check_key_prefix(struct config *cfg, const char *v, char *why, size_t len)
{
	(void)cfg;
	if (strlen(v) > 64) {
		snprintf(why, len, "longer than 64 characters");
		return -1;
	}
	for (const char *p = v; *p != '\0'; p++) {
		if (isspace((unsigned char)*p)) {
			snprintf(why, len, "must not contain blanks");
			return -1;
		}
	}
	return 0;
}

static const char *const proxy_schemes[] = {
	"http", "https", "socks5", "socks5h",
};

static int
is_proxy_scheme(const char *s)
{
	for (size_t i = 0; i < nitems(proxy_schemes); i++)
		if (strcmp(s, proxy_schemes[i]) == 0)
			return 1;
	return 0;
}

static int
check_proxy_scheme(struct config *cfg, const char *v, char *why, size_t len)
{
	(void)cfg;
	if (is_proxy_scheme(v))
		return 0;
	snprintf(why, len, "must be http, https, socks5 or socks5h");
	return -1;
}

static int
valid_hostname(const char *h)
{
	if (*h == '\0' || strlen(h) > 253)
		return 0;
	return strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.-_") == strlen(h);
}

/*
 * A deliberately small check of scheme://[user:pass@]host:port; src/proxy.c
 * does the full parsing.  Messages never quote the value: it may hold
 * credentials.
 */
static int
check_proxy_uri(struct config *cfg, const char *v, char *why, size_t len)
{
	const char	*sep, *rest, *at, *colon;
	char		*scheme, *host = NULL;
	int		 port, ok = 0, family;

	(void)cfg;
	if ((sep = strstr(v, "://")) == NULL) {
		snprintf(why, len, "expected scheme://[user:pass@]host:port");
		return -1;
	}
	scheme = xstrndup(v, (size_t)(sep - v));
	ok = is_proxy_scheme(scheme);
	free(scheme);
	if (!ok) {
		snprintf(why, len,
		    "proxy scheme must be http, https, socks5 or socks5h");
		return -1;
	}
	rest = sep + 3;
	if ((at = strrchr(rest, '@')) != NULL) {
		colon = memchr(rest, ':', (size_t)(at - rest));
		if (colon == NULL || colon == rest) {
			snprintf(why, len, "credentials must be user:pass@");
			return -1;
		}
		rest = at + 1;
	}
	for (const char *p = v; *p != '\0'; p++) {
		if (isspace((unsigned char)*p)) {
			snprintf(why, len, "must not contain blanks");
			return -1;
		}
	}
	if (*rest == '[') {
		if (split_ip_port(rest, &host, &port, &family, why, len) == -1)
			return -1;
		free(host);
		return 0;
	}
	if ((colon = strrchr(rest, ':')) == NULL) {
		snprintf(why, len, "expected host:port after the scheme");
		return -1;
	}
	host = xstrndup(rest, (size_t)(colon - rest));
	ok = valid_hostname(host);
	free(host);
	if (!ok) {
		snprintf(why, len, "bad proxy host");
		return -1;
	}
	if (parse_port(colon + 1, &port) == -1) {
		snprintf(why, len, "proxy port must be 1-65535");
		return -1;
	}
	return 0;
}

static int
check_admin_listen(struct config *cfg, const char *v, char *why, size_t len)
{
	struct in_addr	 a4;
	int		 family;

	if (strcmp(v, "off") == 0) {
		cfg->admin.enabled = 0;
		return 0;
	}
	cfg->admin.enabled = 1;
	if (split_ip_port(v, &cfg->admin.host, &cfg->admin.port, &family,
	    why, len) == -1)
		return -1;
	if (family == AF_INET) {
		inet_pton(AF_INET, cfg->admin.host, &a4);
		if ((ntohl(a4.s_addr) >> 24) == 127)
			return 0;
	} else if (strcmp(cfg->admin.host, "::1") == 0 ||
	    strcmp(cfg->admin.host, "0:0:0:0:0:0:0:1") == 0)
		return 0;
	snprintf(why, len, "must be a loopback address (127.0.0.0/8 or ::1)"
	    " or off");
	return -1;
}

/* One CURLOPT_RESOLVE entry, "host:port:addr". */
static int
check_resolve(struct config *cfg, const char *v, char *why, size_t len)
{
	const char	*c1, *c2, *addr;
	char		*host, *port, *inner;
	int		 ok, p;

	(void)cfg;
	if ((c1 = strchr(v, ':')) == NULL || (c2 = strchr(c1 + 1, ':')) ==
	    NULL) {
		snprintf(why, len, "\"%s\": expected host:port:address", v);
		return -1;
	}
	host = xstrndup(v, (size_t)(c1 - v));
	port = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
	addr = c2 + 1;
	ok = valid_hostname(host) && parse_port(port, &p) == 0;
	free(host);
	free(port);
	if (!ok) {
		snprintf(why, len, "\"%s\": bad host or port", v);
		return -1;
	}
	if (*addr == '[' && addr[strlen(addr) - 1] == ']') {
		inner = xstrndup(addr + 1, strlen(addr) - 2);
		ok = is_ipv6(inner);
		free(inner);
	} else
		ok = is_ipv4(addr) || is_ipv6(addr);
	if (!ok) {
		snprintf(why, len, "\"%s\": address must be an IP address", v);
		return -1;
	}
	return 0;
}

/*
 * One CURLOPT_CONNECT_TO entry, "host:port:to_host:to_port"; host and port
 * may be empty (any), to_host may be empty (same host).  Used to point the
 * provider host names at a test server, also through proxies, where
 * CURLOPT_RESOLVE does not apply.
 */
static int
check_connect_to(struct config *cfg, const char *v, char *why, size_t len)
{
	char	*copy, *f[4], *s;
	int	 n = 0, ok = 1, port;

	(void)cfg;
	copy = xstrdup(v);
	s = copy;
	f[n++] = s;
	while ((s = strchr(s, ':')) != NULL && n < 4) {
		*s++ = '\0';
		f[n++] = s;
	}
	if (n != 4 || s != NULL)
		ok = 0;
	else {
		if (*f[0] != '\0' && !valid_hostname(f[0]))
			ok = 0;
		if (*f[1] != '\0' && parse_port(f[1], &port) == -1)
			ok = 0;
		if (*f[2] != '\0' && !valid_hostname(f[2]) && !is_ipv4(f[2]))
			ok = 0;
		if (parse_port(f[3], &port) == -1)
			ok = 0;
	}
	free(copy);
	if (!ok) {
		snprintf(why, len, "\"%s\": expected host:port:to_host:to_port"
		    " (host, port and to_host may be empty)", v);
		return -1;
	}
	return 0;
}

/* A comma list of login methods, each known and named once. */
static int
check_auth_order(struct config *cfg, const char *v, char *why, size_t len)
{
	static const char *const known[] = { "mobile", "web", "cookies" };
	char		*copy, *item, *save = NULL;
	unsigned	 seen = 0, i;

	(void)cfg;
	copy = xstrdup(v);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ')
			item++;
		item[strcspn(item, " ")] = '\0';
		for (i = 0; i < 3; i++)
			if (strcmp(item, known[i]) == 0)
				break;
		if (i == 3 || (seen & (1u << i))) {
			snprintf(why, len, "\"%s\": %s method \"%s\" (use"
			    " mobile, web, cookies, each once)", v,
			    i == 3 ? "unknown" : "repeated", item);
			free(copy);
			return -1;
		}
		seen |= 1u << i;
	}
	free(copy);
	if (seen == 0) {
		snprintf(why, len, "no login method named");
		return -1;
	}
	return 0;
}

/* "task:N": a jobs.task name and a cap of at least 1. */
static int
check_daily_cap(struct config *cfg, const char *v, char *why, size_t len)
{
	const char	*colon = strchr(v, ':');
	char		*task, *end;
	long		 n;
	int		 k;

	if (colon == NULL) {
		snprintf(why, len, "\"%s\": expected task:N", v);
		return -1;
	}
	task = xstrndup(v, (size_t)(colon - v));
	k = act_kind_parse(task);
	free(task);
	if (k < 0 || (size_t)k >= sizeof(cfg->jobs.daily_cap) /
	    sizeof(cfg->jobs.daily_cap[0])) {
		snprintf(why, len, "\"%s\": unknown task (use a jobs.task name"
		    " such as send, reply, not_spam)", v);
		return -1;
	}
	errno = 0;
	n = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || n < 1 ||
	    n > 1000000) {
		snprintf(why, len, "\"%s\": the cap must be a number from 1"
		    " to 1000000", v);
		return -1;
	}
	cfg->jobs.daily_cap[k] = (int)n;
	return 0;
}

/* An http(s) URL without a trailing slash, path or query. */
static int
check_base_url(struct config *cfg, const char *v, char *why, size_t len)
{
	const char	*h;

	(void)cfg;
	if (strncmp(v, "https://", 8) == 0)
		h = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		h = v + 7;
	else
		h = NULL;
	if (h == NULL || *h == '\0' || strpbrk(h, "/?#@ ") != NULL) {
		snprintf(why, len, "\"%s\": expected https://host[:port],"
		    " no path", v);
		return -1;
	}
	return 0;
}

/* Any http(s) URL without spaces. */
static int
check_https_url(struct config *cfg, const char *v, char *why, size_t len)
{
	(void)cfg;
	if ((strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
	    || strpbrk(v, " \t") != NULL) {
		snprintf(why, len, "\"%s\": expected an http(s) URL", v);
		return -1;
	}
	return 0;
}

/* Absolute form of path, relative to the config file's directory. */
static char *
resolve_path(const struct parse *p, const char *path)
{
	if (*path == '/')
		return xstrdup(path);
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return xasprintf("%s/%s", p->dir, path);
}

static int
check_readable(struct parse *p, unsigned line, const struct cf_key *k,
    const char *path)
{
	struct stat	 st;

	if (access(path, R_OK) == -1 || stat(path, &st) == -1) {
		cf_error(p, line, k, "cannot read %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		cf_error(p, line, k, "%s is not a regular file", path);
		return -1;
	}
	return 0;
}

static void
run_check(struct parse *p, unsigned line, const struct cf_key *k,
    const char *v)
{
	char	 why[384];

	if (k->check != NULL && k->check(p->cfg, v, why, sizeof(why)) == -1)
		cf_error(p, line, k, "%s", why);
}

/* Split a comma-separated list into the key's array and count. */
static void
apply_list(struct parse *p, unsigned line, const struct cf_key *k,
    const char *v)
{
	char		***arr = fieldp(p->cfg, k->off);
	size_t		 *n = fieldp(p->cfg, k->count_off);
	const char	 *s = v, *e, *end;
	char		 *item;

	if (*v == '\0')
		return;
	for (;;) {
		e = strchr(s, ',');
		end = e != NULL ? e : s + strlen(s);
		while (s < end && isspace((unsigned char)*s))
			s++;
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
		if (end == s)
			cf_error(p, line, k, "empty item in list");
		else {
			item = xstrndup(s, (size_t)(end - s));
			if (k->type == CF_PATHLIST) {
				char *abs = resolve_path(p, item);

				free(item);
				item = abs;
				if (k->flags & CF_MUSTREAD)
					check_readable(p, line, k, item);
			} else
				run_check(p, line, k, item);
			*arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
			(*arr)[(*n)++] = item;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
}

/* Convert one value (from the file or the default) into its field. */
static void
apply_key(struct parse *p, const struct cf_key *k, const char *v,
    unsigned line)
{
	void		*dst = fieldp(p->cfg, k->off);
	long long	 n;
	unsigned	 ms;
	size_t		 bytes;
	int		 b, lvl;
	char		 lo[32], hi[32];

	if (*v == '\0' && (k->flags & CF_NONEMPTY)) {
		cf_error(p, line, k, "must not be empty");
		return;
	}
	switch (k->type) {
	case CF_STR:
		if (*v == '\0')
			break;
		*(char **)dst = xstrdup(v);
		run_check(p, line, k, v);
		break;
	case CF_PATH:
		if (*v == '\0')
			break;
		*(char **)dst = resolve_path(p, v);
		if (k->flags & CF_MUSTREAD)
			check_readable(p, line, k, *(char **)dst);
		break;
	case CF_INT:
		if (parse_int(v, &n) == -1)
			cf_error(p, line, k, "\"%s\" is not an integer",
			    shown(k, v));
		else if (n < k->min || n > k->max)
			cf_error(p, line, k, "%lld is out of range %lld-%lld",
			    n, k->min, k->max);
		else
			*(int *)dst = (int)n;
		break;
	case CF_BOOL:
		if (config_parse_bool(v, &b) == -1)
			cf_error(p, line, k, "\"%s\" is not yes/no, true/false,"
			    " on/off or 1/0", shown(k, v));
		else
			*(int *)dst = b;
		break;
	case CF_DUR:
		fmt_duration((unsigned long long)k->min, lo, sizeof(lo));
		fmt_duration((unsigned long long)k->max, hi, sizeof(hi));
		if (config_parse_duration(v, &ms) == -1)
			cf_error(p, line, k, "\"%s\" is not a duration such as "
			    "500ms, 30s, 5m, 2h or 7d", shown(k, v));
		else if (ms < k->min || ms > k->max)
			cf_error(p, line, k, "%s is out of range %s-%s",
			    shown(k, v), lo, hi);
		else
			*(unsigned *)dst = ms;
		break;
	case CF_BYTES:
		fmt_bytes((unsigned long long)k->min, lo, sizeof(lo));
		fmt_bytes((unsigned long long)k->max, hi, sizeof(hi));
		if (config_parse_bytes(v, &bytes) == -1)
			cf_error(p, line, k, "\"%s\" is not a size such as "
			    "65536, 512k, 4M or 1G", shown(k, v));
		else if (bytes < (size_t)k->min || bytes > (size_t)k->max)
			cf_error(p, line, k, "%s is out of range %s-%s",
			    shown(k, v), lo, hi);
		else
			*(size_t *)dst = bytes;
		break;
	case CF_LOGLEVEL:
		if ((lvl = log_level_parse(v)) == -1)
			cf_error(p, line, k, "\"%s\" is not error, warn, info "
			    "or debug", v);
		else
			*(enum log_level *)dst = (enum log_level)lvl;
		break;
	case CF_LIST:
	case CF_PATHLIST:
		apply_list(p, line, k, v);
		if ((k->flags & CF_NONEMPTY) &&
		    *(size_t *)fieldp(p->cfg, k->count_off) == 0)
			cf_error(p, line, k, "needs at least one item");
		break;
	}
}

/*
 * Report "a must not exceed b" on whichever of the two the file sets; two
 * defaults never conflict, and a rejected value is not reported twice.
 */
static void
pair_error(struct parse *p, const char *section, const char *a,
    const char *b)
{
	const struct cf_key	*ka = key_find(section, a);
	const struct cf_key	*kb = key_find(section, b);
	size_t			 ia = (size_t)(ka - keys);
	size_t			 ib = (size_t)(kb - keys);

	if (p->bad[ia] || p->bad[ib])
		return;
	if (p->raw[ia] != NULL)
		cf_error(p, p->rawline[ia], ka,
		    "must not be greater than %s.%s%s", section, b,
		    p->raw[ib] == NULL ? " (the default)" : "");
	else
		cf_error(p, p->rawline[ib], kb,
		    "must not be less than %s.%s (the default)", section, a);
}

/* Checks that involve more than one key. */
static void
cross_check(struct parse *p)
{
	struct config	*c = p->cfg;

	if (c->database.reconnect_min_ms > c->database.reconnect_max_ms)
		pair_error(p, "database", "reconnect_min", "reconnect_max");
	if (c->http.connect_timeout_ms > c->http.timeout_ms)
		pair_error(p, "http", "connect_timeout", "timeout");
	if (c->session.pace_min_ms > c->session.pace_max_ms)
		pair_error(p, "session", "pace_min", "pace_max");
	if (c->jobs.retry_min_ms > c->jobs.retry_max_ms)
		pair_error(p, "jobs", "retry_min", "retry_max");
	if (c->jobs.poll_interval_ms * 2 > c->jobs.lease_ms)
		pair_error(p, "jobs", "poll_interval", "lease");
	if ((c->alerts.telegram_token == NULL) !=
	    (c->alerts.telegram_chat_id == NULL)) {
		/* Said on the line of the one that is set. */
		const char	*set = c->alerts.telegram_token != NULL ?
		    "telegram_token" : "telegram_chat_id";
		const struct cf_key *k = key_find("alerts", set);

		cf_error(p, p->rawline[(size_t)(k - keys)], k, "needs"
		    " alerts.%s too", c->alerts.telegram_token != NULL ?
		    "telegram_chat_id" : "telegram_token");
	}
}

/*
 * inih's character scan, reproduced so the reader agrees with inih on
 * where a line ends: stop at one of chars, or at ';' after a blank.
 */
static const char *
find_chars_or_comment(const char *s, const char *chars)
{
	int	 was_space = 0;

	while (*s != '\0' && (chars == NULL || strchr(chars, *s) == NULL) &&
	    !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/* "[campaign NAME]" (the text between the brackets is h[0..n)). */
static int
is_campaign_header(const char *h, size_t n)
{
	return n >= 8 && memcmp(h, "campaign", 8) == 0 &&
	    (n == 8 || isspace((unsigned char)h[8]));
}

static void
open_campaign(struct parse *p, const char *h, size_t n)
{
	char	 name[200];

	h += 8;
	n -= 8;
	while (n > 0 && isspace((unsigned char)*h)) {
		h++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)h[n - 1]))
		n--;
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, h, n);
	name[n] = '\0';
	snprintf(p->sectname, sizeof(p->sectname), "campaign %.100s", name);
	if (camp_parse_section(p->camp, p->fileidx, p->name, p->curdir,
	    p->lineno, name) == 0)
		p->sect = SECT_CAMPAIGN;
	else
		p->sect = SECT_UNKNOWN;
}

static void
open_section(struct parse *p, const char *h, size_t n)
{
	char	 key[sizeof(p->sectname) + 2];

	if (n >= sizeof(p->sectname))
		n = sizeof(p->sectname) - 1;
	memcpy(p->sectname, h, n);
	p->sectname[n] = '\0';
	snprintf(key, sizeof(key), "[%s]", p->sectname);
	if (p->campaign_only) {
		p->sect = SECT_UNKNOWN;
		cf_error_line(p, p->lineno, key, "a campaign_dir file may hold "
		    "only [campaign NAME] sections");
		return;
	}
	p->sect = section_find(p->sectname);
	if (p->sect == SECT_UNKNOWN)
		cf_error_line(p, p->lineno, key, "unknown section");
}

/*
 * Vet a line before inih sees it.  Returns 0 to pass it on, -1 to hand
 * inih an empty line instead (the error has been reported), so the line
 * count stays right and nothing is misparsed.
 */
static int
vet_line(struct parse *p, const char *line)
{
	const char	*s = line, *end, *e;
	size_t		 n;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (s != line) {
		cf_error_line(p, p->lineno, NULL,
		    "indented line; continuation lines are not supported");
		return -1;
	}
	if (*s == '[') {
		end = find_chars_or_comment(s + 1, "]");
		if (*end != ']') {
			cf_error_line(p, p->lineno, NULL,
			    "section header without ']'");
			p->sect = SECT_UNKNOWN;
			return -1;
		}
		n = (size_t)(end - s - 1);
		if (is_campaign_header(s + 1, n))
			open_campaign(p, s + 1, n);
		else
			open_section(p, s + 1, n);
		for (e = end + 1; isspace((unsigned char)*e); e++)
			;
		if (*e != '\0' && *e != ';') {
			cf_error_line(p, p->lineno, NULL,
			    "unexpected text after ']'");
			return -1;
		}
		return 0;
	}
	end = find_chars_or_comment(s, "=:");
	if (*end != '=' && *end != ':') {
		cf_error_line(p, p->lineno, NULL, "expected key = value");
		return -1;
	}
	if (end == s) {
		cf_error_line(p, p->lineno, NULL, "missing key before '='");
		return -1;
	}
	return 0;
}

/* inih reader: hands out one line per call and owns the line count. */
static char *
cf_reader(char *str, int num, void *arg)
{
	struct parse	*p = arg;
	const char	*start, *nl;
	size_t		 len;

	if (p->pos >= p->len || num < 2)
		return NULL;
	start = p->buf + p->pos;
	nl = memchr(start, '\n', p->len - p->pos);
	len = nl != NULL ? (size_t)(nl - start) : p->len - p->pos;
	p->pos += len + (nl != NULL);
	p->lineno++;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	/* inih skips a BOM itself, but the indent check must not see it. */
	if (p->lineno == 1 && len >= 3 && memcmp(start, "\xef\xbb\xbf", 3) ==
	    0) {
		start += 3;
		len -= 3;
	}
	str[0] = '\0';
	if (memchr(start, '\0', len) != NULL) {
		cf_error_line(p, p->lineno, NULL, "line contains a NUL byte");
		return str;
	}
	if (len > (size_t)num - 1) {
		cf_error_line(p, p->lineno, NULL,
		    "line is %zu bytes long; the limit is %d", len, num - 1);
		return str;
	}
	memcpy(str, start, len);
	str[len] = '\0';
	if (vet_line(p, str) == -1)
		str[0] = '\0';
	return str;
}

/* Why a value from a file cannot be taken as it is, or NULL. */
static const char *
value_problem(const char *value)
{
	for (const char *c = value; *c != '\0'; c++) {
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
			return "value contains a control character";
		if (*c == '#' && c > value && isspace((unsigned char)c[-1]))
			return "'#' starts a comment only at the start of a "
			    "line; use ' ;' after a value";
	}
	return NULL;
}

/* inih handler: records raw values; conversion happens after the parse. */
static int
cf_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct parse		*p = arg;
	const struct cf_key	*k;
	const char		*why;
	size_t			 i;
	char			 key[256];

	(void)section;
	if (p->sect == SECT_UNKNOWN)
		return 1;	/* the section header was reported */
	if (p->sect == SECT_NONE) {
		cf_error_line(p, p->lineno, name,
		    "key outside of any [section]");
		return 1;
	}
	snprintf(key, sizeof(key), "%s.%s", p->sectname, name);
	if (p->sect == SECT_CAMPAIGN) {
		if ((why = value_problem(value)) != NULL)
			cf_error_line(p, p->lineno, key, "%s", why);
		else
			camp_parse_key(p->camp, p->lineno, name, value);
		return 1;
	}
	if ((k = key_find(p->sectname, name)) == NULL) {
		cf_error_line(p, p->lineno, key, "unknown key");
		return 1;
	}
	i = (size_t)(k - keys);
	if (p->raw[i] != NULL) {
		cf_error(p, p->lineno, k, "duplicate key (first set at line %u)",
		    p->rawline[i]);
		return 1;
	}
	if ((why = value_problem(value)) != NULL) {
		cf_error(p, p->lineno, k, "%s", why);
		return 1;
	}
	p->raw[i] = xstrdup(value);
	p->rawline[i] = p->lineno;
	return 1;
}

/* Absolute path of the config file, without touching the file system. */
static char *
absolute_path(const char *path)
{
	char	 cwd[PATH_MAX];

	if (*path == '/')
		return xstrdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
}

static void
apply_all(struct parse *p)
{
	const struct cf_key	*k;
	char			 host[256];
	const char		*v;

	for (size_t i = 0; i < nitems(keys); i++) {
		k = &keys[i];
		if (p->raw[i] != NULL) {
			apply_key(p, k, p->raw[i], p->rawline[i]);
			continue;
		}
		if (k->flags & CF_REQUIRED) {
			cf_error(p, 0, k, "missing; this key is required");
			continue;
		}
		v = k->def;
		if (v == NULL) {
			/* Only worker_name is computed: the host name. */
			if (gethostname(host, sizeof(host)) == -1) {
				cf_error(p, 0, k, "cannot get the host name: "
				    "%s", strerror(errno));
				continue;
			}
			host[sizeof(host) - 1] = '\0';
			v = host;
		}
		p->in_default = 1;
		apply_key(p, k, v, 0);
		p->in_default = 0;
	}
	cross_check(p);
}

static const unsigned	*sort_lines, *sort_files;

/*
 * File order (the config, then campaign_dir's files), then line order;
 * errors about a whole file (line 0) last in it; else as found.
 */
static int
cmp_found(const void *a, const void *b)
{
	size_t		 ia = *(const size_t *)a, ib = *(const size_t *)b;
	/* Line 0 wraps to UINT_MAX and so sorts last. */
	unsigned	 la = sort_lines[ia] - 1, lb = sort_lines[ib] - 1;

	if (sort_files[ia] != sort_files[ib])
		return sort_files[ia] < sort_files[ib] ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	return ia < ib ? -1 : ia > ib;
}

/* Hand the errors to the caller sorted by line, like a compiler would. */
static void
flush_errors(struct parse *p, struct errlist *errors)
{
	size_t	*idx = xreallocarray(NULL, p->found.count, sizeof(*idx));

	for (size_t i = 0; i < p->found.count; i++)
		idx[i] = i;
	sort_lines = p->found_line;
	sort_files = p->found_file;
	qsort(idx, p->found.count, sizeof(*idx), cmp_found);
	sort_lines = sort_files = NULL;
	for (size_t i = 0; i < p->found.count; i++)
		errlist_add_raw(errors, p->found.msgs[idx[i]]);
	free(idx);
}

/* Run inih over one file's text (the config file or a campaign file). */
static void
parse_file(struct parse *p, unsigned fileidx, const char *name,
    const char *dir, const char *data, size_t len)
{
	int	 rc;

	p->fileidx = fileidx;
	p->name = name;
	p->curdir = dir;
	p->campaign_only = fileidx > 0;
	p->buf = data;
	p->len = len;
	p->pos = 0;
	p->lineno = 0;
	p->sect = SECT_NONE;
	p->nlines = 1;
	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n')
			p->nlines++;
	p->errline = xcalloc(p->nlines + 1, 1);

	rc = ini_parse_stream(cf_reader, p, cf_handler, p);
	if (rc == -2)
		cf_error_line(p, 0, NULL, "out of memory");
	else if (rc < 0)
		cf_error_line(p, 0, NULL, "cannot parse");
	else if (rc > 0 && ((unsigned)rc > p->nlines || !p->errline[rc]))
		cf_error_line(p, (unsigned)rc, NULL, "syntax error");

	free(p->errline);
	p->errline = NULL;
}

static int
cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
is_conf_name(const struct dirent *d)
{
	size_t	 n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 &&
	    strcmp(d->d_name + n - 5, ".conf") == 0;
}

/* Read the [campaign NAME] sections of every *.conf in campaign_dir. */
static void
read_campaign_dir(struct parse *p)
{
	const struct cf_key	*k = key_find("warmd", "campaign_dir");
	const char		*dir = p->cfg->warmd.campaign_dir;
	struct dirent		**ents;
	struct errlist		 el = { 0 };
	char			*path, *buf;
	size_t			 len;
	int			 n;

	if (dir == NULL || p->bad[k - keys])
		return;
	if ((n = scandir(dir, &ents, is_conf_name, cmp_dirent)) == -1) {
		cf_error(p, p->rawline[k - keys], k, "cannot read directory "
		    "%s: %s", dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		path = xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir,
		    ents[i]->d_name);
		if ((buf = errlist_read_file(path, CF_MAX_FILE, &len, &el)) == NULL) {
			for (size_t j = 0; j < el.count; j++)
				found_add(p, (unsigned)i + 1, 0, el.msgs[j]);
			errlist_clear(&el);
		} else {
			parse_file(p, (unsigned)i + 1, path,
			    strcmp(dir, "/") == 0 ? "" : dir, buf, len);
			free(buf);
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
}

struct config *
config_load_buffer(const char *path, const char *data, size_t len,
    struct errlist *errors)
{
	struct parse	 p;
	struct config	*cfg;
	struct errlist	 local = { 0 };
	size_t		 i;
	char		*slash;

	if (errors == NULL)
		errors = &local;
	memset(&p, 0, sizeof(p));
	p.name = path;
	p.sect = SECT_NONE;
	p.raw = xcalloc(nitems(keys), sizeof(*p.raw));
	p.rawline = xcalloc(nitems(keys), sizeof(*p.rawline));
	p.bad = xcalloc(nitems(keys), 1);
	p.camp = camp_parse_new(cf_camp_error, &p);
	cfg = p.cfg = xcalloc(1, sizeof(*cfg));

	if ((cfg->path = absolute_path(path)) == NULL) {
		cf_error_line(&p, 0, NULL,
		    "cannot get the current directory: %s", strerror(errno));
		goto done;
	}
	slash = strrchr(cfg->path, '/');
	p.dir = xstrndup(cfg->path, (size_t)(slash - cfg->path));

	parse_file(&p, 0, path, p.dir, data, len);
	apply_all(&p);
	read_campaign_dir(&p);
	p.fileidx = 0;
	p.name = path;
	cfg->campaigns = camp_parse_finish(p.camp, cfg->warmd.time_zone);

done:
	for (i = 0; i < nitems(keys); i++)
		free(p.raw[i]);
	free(p.raw);
	free(p.rawline);
	free(p.bad);
	free(p.dir);
	camp_parse_free(p.camp);
	if (p.found.count != 0) {
		flush_errors(&p, errors);
		config_free(cfg);
		cfg = NULL;
	} else {
		cfg->generation = next_generation++;
		if (next_generation == 0)
			next_generation = 1;
	}
	errlist_clear(&p.found);
	free(p.found_line);
	free(p.found_file);
	errlist_clear(&local);
	return cfg;
}

struct config *
config_load(const char *path, struct errlist *errors)
{
	struct config	*cfg;
	struct errlist	 local = { 0 };
	char		*buf;
	size_t		 len;

	if (errors == NULL)
		errors = &local;
	if ((buf = errlist_read_file(path, CF_MAX_FILE, &len, errors)) == NULL) {
		errlist_clear(&local);
		return NULL;
	}
	cfg = config_load_buffer(path, buf, len, errors);
	free(buf);
	errlist_clear(&local);
	return cfg;
}

void
config_free(struct config *cfg)
{
	const struct cf_key	*k;
	char			***arr;
	size_t			 n;

	if (cfg == NULL)
		return;
	for (size_t i = 0; i < nitems(keys); i++) {
		k = &keys[i];
		switch (k->type) {
		case CF_STR:
		case CF_PATH:
			free(*(char **)fieldp(cfg, k->off));
			break;
		case CF_LIST:
		case CF_PATHLIST:
			arr = fieldp(cfg, k->off);
			n = *(size_t *)fieldp(cfg, k->count_off);
			for (size_t j = 0; j < n; j++)
				free((*arr)[j]);
			free(*arr);
			break;
		default:
			break;
		}
	}
	free(cfg->redis.host);
	free(cfg->redis.unix_path);
	free(cfg->admin.host);
	camp_set_free(cfg->campaigns);
	free(cfg->path);
	free(cfg);
}

static int
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
key_equal(const struct cf_key *k, const struct config *a,
    const struct config *b)
{
	const void	*fa = cfieldp(a, k->off), *fb = cfieldp(b, k->off);
	char *const	*la, *const *lb;
	size_t		 na, nb;

	switch (k->type) {
	case CF_STR:
	case CF_PATH:
		return str_equal(*(char *const *)fa, *(char *const *)fb);
	case CF_INT:
	case CF_BOOL:
		return *(const int *)fa == *(const int *)fb;
	case CF_LOGLEVEL:
		return *(const enum log_level *)fa ==
		    *(const enum log_level *)fb;
	case CF_DUR:
		return *(const unsigned *)fa == *(const unsigned *)fb;
	case CF_BYTES:
		return *(const size_t *)fa == *(const size_t *)fb;
	case CF_LIST:
	case CF_PATHLIST:
		na = *(const size_t *)cfieldp(a, k->count_off);
		nb = *(const size_t *)cfieldp(b, k->count_off);
		if (na != nb)
			return 0;
		la = *(char **const *)fa;
		lb = *(char **const *)fb;
		for (size_t i = 0; i < na; i++)
			if (strcmp(la[i], lb[i]) != 0)
				return 0;
		return 1;
	}
	return 1;
}

void
config_restart_changes(const struct config *old, const struct config *new,
    void (*cb)(const char *, const char *, void *), void *arg)
{
	for (size_t i = 0; i < nitems(keys); i++)
		if ((keys[i].flags & CF_RESTART) &&
		    !key_equal(&keys[i], old, new))
			cb(keys[i].section, keys[i].name, arg);
}

/* Print a proxy URI with any user:pass@ replaced. */
static void
dump_uri(FILE *fp, const char *v)
{
	const char	*sep, *at;

	if ((sep = strstr(v, "://")) != NULL &&
	    (at = strrchr(sep + 3, '@')) != NULL)
		fprintf(fp, "%.*s(hidden)@%s", (int)(sep + 3 - v), v, at + 1);
	else
		fputs(v, fp);
}

static void
dump_value(FILE *fp, const struct cf_key *k, const struct config *cfg)
{
	const void	*f = cfieldp(cfg, k->off);
	const char	*s;
	char *const	*l;
	size_t		 n;
	char		 buf[32];

	switch (k->type) {
	case CF_STR:
	case CF_PATH:
		s = *(char *const *)f;
		if (s == NULL)
			break;
		if (k->flags & CF_SENSITIVE)
			fputs("(hidden)", fp);
		else if (k->flags & CF_CREDS)
			dump_uri(fp, s);
		else
			fputs(s, fp);
		break;
	case CF_INT:
		fprintf(fp, "%d", *(const int *)f);
		break;
	case CF_BOOL:
		fputs(*(const int *)f ? "yes" : "no", fp);
		break;
	case CF_LOGLEVEL:
		fputs(log_level_name(*(const enum log_level *)f), fp);
		break;
	case CF_DUR:
		fmt_duration(*(const unsigned *)f, buf, sizeof(buf));
		fputs(buf, fp);
		break;
	case CF_BYTES:
		fmt_bytes(*(const size_t *)f, buf, sizeof(buf));
		fputs(buf, fp);
		break;
	case CF_LIST:
	case CF_PATHLIST:
		l = *(char **const *)f;
		n = *(const size_t *)cfieldp(cfg, k->count_off);
		for (size_t i = 0; i < n; i++)
			fprintf(fp, "%s%s", i ? ", " : "", l[i]);
		break;
	}
}

/*
 * Campaigns as comments, so the dump still reads back as the same
 * config: name, kind, where it is defined, and its canonical params.
 */
static void
dump_campaigns(const struct config *cfg, FILE *fp)
{
	const struct camp_def	*d;
	char			*js;

	if (cfg->campaigns == NULL)
		return;
	fprintf(fp, "\n# %zu campaign(s)\n", cfg->campaigns->n);
	for (size_t i = 0; i < cfg->campaigns->n; i++) {
		d = &cfg->campaigns->defs[i];
		/* 15 digits: 0.6 prints as 0.6, not 0.59999999999999998. */
		js = json_dumps(d->params, JSON_COMPACT |
		    JSON_REAL_PRECISION(15));
		fprintf(fp, "# campaign %s: %s%s, %s, seed %lld\n#   %s\n",
		    d->name, d->kind, d->enabled ? "" : " (disabled)",
		    d->origin, d->seed, js != NULL ? js : "?");
		free(js);
	}
}

void
config_dump(const struct config *cfg, FILE *fp)
{
	const char	*sect = NULL;

	fprintf(fp, "# %s (generation %u)\n", cfg->path, cfg->generation);
	for (size_t i = 0; i < nitems(keys); i++) {
		if (sect == NULL || strcmp(sect, keys[i].section) != 0) {
			sect = keys[i].section;
			fprintf(fp, "\n[%s]\n", sect);
		}
		fprintf(fp, "%s = ", keys[i].name);
		dump_value(fp, &keys[i], cfg);
		fputc('\n', fp);
	}
	dump_campaigns(cfg, fp);
}

/*
 * Match "key =" or "# key =" (also "[section]" and "# [section]"), so the
 * example can show every default commented out.  A commented value must
 * be the table's default, keeping the documented defaults honest.
 */
int
config_check_example(const char *path, struct errlist *errors)
{
	char		*buf, *line, *save, *s, *e, *val;
	size_t		 len, before, nseen = nitems(keys), ncamp;
	unsigned	 lineno = 0, *seen, *camp_seen;
	char		 sect[128] = "", name[64], key[200];
	const struct cf_key *k;
	const char	*doc;
	int		 commented, rc, in_campaign = 0;
	struct errlist	 local = { 0 };

	if (errors == NULL)
		errors = &local;
	before = errors->count;
	if ((buf = errlist_read_file(path, CF_MAX_FILE, &len, errors)) == NULL) {
		errlist_clear(&local);
		return -1;
	}
	seen = xcalloc(nseen, sizeof(*seen));
	for (ncamp = 0; camp_key_name(ncamp, NULL) != NULL; ncamp++)
		;
	camp_seen = xcalloc(ncamp, sizeof(*camp_seen));
	for (line = buf; line != NULL; line = save) {
		if ((save = strchr(line, '\n')) != NULL)
			*save++ = '\0';
		lineno++;
		s = line;
		while (isspace((unsigned char)*s))
			s++;
		commented = *s == '#' || *s == ';';
		while (*s == '#' || *s == ';' || isspace((unsigned char)*s))
			s++;
		if (*s == '[') {
			if ((e = strchr(s, ']')) == NULL ||
			    (size_t)(e - s) > sizeof(sect))
				continue;
			snprintf(sect, sizeof(sect), "%.*s", (int)(e - s - 1),
			    s + 1);
			in_campaign = is_campaign_header(sect, strlen(sect));
			if (!in_campaign && section_find(sect) == SECT_UNKNOWN)
				errlist_add(errors, path, lineno, NULL,
				    "unknown section [%s]", sect);
			continue;
		}
		e = s;
		while (islower((unsigned char)*e) || isdigit((unsigned char)*e)
		    || *e == '_')
			e++;
		if (e == s || (size_t)(e - s) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(e - s), s);
		while (*e == ' ' || *e == '\t')
			e++;
		if (*e != '=')
			continue;
		snprintf(key, sizeof(key), "%s.%s", sect, name);
		if (in_campaign) {
			/* Examples repeat keys and defaults depend on kind. */
			for (size_t i = 0; i < ncamp; i++)
				if (strcmp(camp_key_name(i, NULL), name) == 0 &&
				    camp_seen[i] == 0)
					camp_seen[i] = lineno;
			if (!camp_key_known(name))
				errlist_add(errors, path, lineno, key,
				    "not a campaign key");
			continue;
		}
		if ((k = key_find(sect, name)) == NULL) {
			errlist_add(errors, path, lineno, key,
			    "not a known key");
			continue;
		}
		if (seen[k - keys] != 0) {
			errlist_add(errors, path, lineno, key,
			    "documented twice (also line %u)", seen[k - keys]);
			continue;
		}
		seen[k - keys] = lineno;
		if (!commented || k->def == NULL)
			continue;
		for (val = e + 1; isspace((unsigned char)*val); val++)
			;
		for (e = val + strlen(val); e > val &&
		    isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (strcmp(val, k->def) != 0)
			errlist_add(errors, path, lineno, key,
			    "shows \"%s\" but the default is \"%s\"", val,
			    k->def);
	}
	for (size_t i = 0; i < nseen; i++)
		if (seen[i] == 0)
			errlist_add(errors, path, 0, NULL, "%s.%s: not "
			    "documented (%s)", keys[i].section, keys[i].name,
			    keys[i].doc);
	for (size_t i = 0; i < ncamp; i++) {
		const char *cname = camp_key_name(i, &doc);

		if (camp_seen[i] == 0)
			errlist_add(errors, path, 0, NULL, "campaign key %s: "
			    "not documented (%s)", cname, doc);
	}
	rc = errors->count == before ? 0 : -1;
	free(camp_seen);
	free(seen);
	free(buf);
	errlist_clear(&local);
	return rc;
}
