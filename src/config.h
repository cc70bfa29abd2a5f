/*
 * warmd's configuration.  The file is parsed and validated completely into an
 * immutable struct config before anything uses it, so a reload either swaps
 * in a whole, valid config or keeps the old one; every problem is reported
 * as "file:line: section.key: message", all of them at once.
 *
 * Strings and paths are NULL when their value is empty.  Durations are in
 * milliseconds.  Paths are absolute: relative ones are resolved against the
 * directory of the config file.
 *
 * Campaigns ([campaign NAME] sections, here and in campaign_dir) are
 * parsed with the config by campcfg.c; a bad campaign fails the load like
 * any other bad key.
 */
#ifndef WARMD_CONFIG_H
#define WARMD_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "errlist.h"
#include "log.h"

struct camp_set;

struct config {
	char		*path;		/* absolute path of the file loaded */
	unsigned	 generation;	/* 1 for the first load, then +1 */

	struct {
		char		*worker_name;
		enum log_level	 log_level;
		char		*log_file;	/* NULL: stderr only */
		unsigned	 grace_period_ms;
		char		*time_zone;
		char		*pid_file;
		int		 max_sessions;
		unsigned	 plan_interval_ms;
		char		*campaign_dir;	/* NULL: none */
	} warmd;

	struct {
		char		*conninfo;
		int		 pool_size;
		unsigned	 connect_timeout_ms;
		unsigned	 statement_timeout_ms;
		unsigned	 reconnect_min_ms;
		unsigned	 reconnect_max_ms;
	} database;

	struct {
		char		*address;	/* as written */
		int		 enabled;	/* 0 when address is "none" */
		char		*host;		/* IP literal, or NULL */
		int		 port;
		char		*unix_path;	/* socket path, or NULL */
		char		*password;
		int		 db;
		unsigned	 connect_timeout_ms;
		unsigned	 command_timeout_ms;
		char		*key_prefix;
		unsigned	 session_ttl_ms;
	} redis;

	struct {
		char		**files;
		size_t		  nfiles;
		char		 *default_proxy_scheme;
		char		 *fallback_proxy;
		char		 *key_file;
		char		 *user_agents;	/* NULL: built-in list */
	} accounts;

	struct {
		char		*listen;	/* as written */
		int		 enabled;	/* 0 when listen is "off" */
		char		*host;		/* loopback IP literal */
		int		 port;
	} admin;

	struct {
		char		 *ca_file;	/* NULL: system CAs */
		unsigned	  connect_timeout_ms;
		unsigned	  timeout_ms;
		int		  sessions_per_multi;
		char		**resolve;	/* "host:port:addr" */
		size_t		  nresolve;
		char		**connect_to;	/* "host:port:chost:cport" */
		size_t		  nconnect_to;
		size_t		  max_body;
	} http;

	struct {
		char		*auth;		/* default order, "mobile,web" */
		unsigned	 pace_min_ms;
		unsigned	 pace_max_ms;
		int		 pace_seed;	/* 0: random */
		char		*ipecho_url;	/* NULL: exit IP not checked */
		int		 per_proxy_limit;
		unsigned	 proxy_dead_after_ms;
		int		 unspam_move_fallback;
		int		 list_page;
		int		 max_pages;
		int		 max_redirects;
		char		*account_url;
		char		*auth_url;
		char		*e_url;
		char		*aj_url;
		char		*o2_url;
		char		*portal_url;
	} session;

	struct {
		int		 claim_batch;
		int		 jobs_per_session;
		unsigned	 lease_ms;
		unsigned	 poll_interval_ms;
		unsigned	 reap_interval_ms;
		unsigned	 retry_min_ms;
		unsigned	 retry_max_ms;
		char		**daily_caps;	/* "task:N" as written */
		size_t		  ndaily_caps;
		/* derived: per jobs.task in act_kind order, 0 = no cap */
		int		 daily_cap[16];
	} jobs;

	struct {
		char		*telegram_token;	/* NULL: alerts off */
		char		*telegram_chat_id;
		char		*telegram_url;
		unsigned	 window_ms;
		unsigned	 database_down_after_ms;
		unsigned	 queue_lag_ms;
		int		 summary_hour;	/* -1: no daily summary */
	} alerts;

	struct {
		int		 failures;	/* 0: breakers off */
		unsigned	 cooldown_ms;
		unsigned	 max_cooldown_ms;
		unsigned	 probe_timeout_ms;
	} breaker;

	struct {
		int		 pause_below;	/* 0: never auto-pause */
		unsigned	 half_life_ms;
		int		 login_failure;	/* penalty points per event */
		int		 transient;
		int		 send_failure;
		int		 spam;
		int		 relief;	/* % of penalties forgiven per job done */
		unsigned	 cooldown_ms;	/* 0: paused until resumed */
	} health;

	/* Never NULL in a loaded config; empty when there are none. */
	struct camp_set	*campaigns;
};

/* Load and validate path; NULL with every problem appended to errors. */
struct config	*config_load(const char *path, struct errlist *errors);

/* As config_load, with the contents of path already in memory. */
struct config	*config_load_buffer(const char *path, const char *data,
		    size_t len, struct errlist *errors);

/* Free a config returned by config_load; NULL is allowed. */
void		 config_free(struct config *cfg);

/* Call cb for every restart-only key whose value differs between configs. */
void		 config_restart_changes(const struct config *old,
		    const struct config *new,
		    void (*cb)(const char *section, const char *key, void *arg),
		    void *arg);

/* Print the effective config as INI; sensitive values print as (hidden). */
void		 config_dump(const struct config *cfg, FILE *fp);

/* Check that the example file and the key table list the same keys. */
int		 config_check_example(const char *example_path,
		    struct errlist *errors);

/* Parse "500ms", "30s", "5m", "2h", "7d" or bare seconds; 0 or -1. */
int		 config_parse_duration(const char *s, unsigned *ms);

/* Parse yes/no, true/false, on/off, 1/0 into 1 or 0; 0 or -1. */
int		 config_parse_bool(const char *s, int *val);

/* 0 if name is UTC or a zone under /usr/share/zoneinfo; else -1 and why. */
int		 config_check_time_zone(const char *name, char *why,
		    size_t len);

/* Parse a byte count with an optional k, M or G (1024-based); 0 or -1. */
int		 config_parse_bytes(const char *s, size_t *bytes);

#endif
