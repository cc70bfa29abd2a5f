/*
 * The running daemon's shared state: the current config, the clients on
 * the loop, and what /status and /metrics report.  One instance, owned by
 * main.c; other modules read it.
 */
#ifndef WARMD_DAEMON_H
#define WARMD_DAEMON_H

#include <stdint.h>
#include <time.h>

#include "errlist.h"

struct config;
struct pg_pool;
struct rds;
struct curlev;
struct admin;

enum daemon_state {
	DAEMON_STARTING = 0,
	DAEMON_RUNNING,
	DAEMON_DRAINING,
};

struct reload_result {
	int		 ok;		/* 1 ok, 0 failed, -1 never reloaded */
	time_t		 at;
	struct errlist	 errors;	/* why the last one failed */
	unsigned	 total_ok;
	unsigned	 total_failed;
};

struct acct_stats {
	size_t		 loaded;	/* good lines in the account files */
	size_t		 rejected;	/* bad lines */
	size_t		 duplicates;
	/* last sync to the database */
	int		 sync_ok;	/* 1 ok, 0 failed, -1 none yet */
	time_t		 sync_at;
	unsigned	 added, changed, removed, reactivated, unchanged;
	unsigned	 syncs_ok, syncs_failed;
	/* accounts by status, read back from the database */
	long		 active, error, suspended;
	int		 counted;	/* the counts above are known */
};

struct daemon {
	enum daemon_state	 state;
	struct config		*cfg;
	time_t			 started_at;
	uint64_t		 started_ms;
	struct pg_pool		*pg;
	struct rds		*redis;
	struct curlev		*curl;
	struct admin		*admin;
	struct reload_result	 reload;
	struct acct_stats	 accounts;
};

extern struct daemon daemon_state;

#endif
