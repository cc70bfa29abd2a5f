/*
 * Account health: what each session showed of its account goes to
 * PostgreSQL in batches (sql/007_health.sql holds the formula), which
 * pauses an account whose score falls below [health] pause_below; a timer
 * lets the paused ones whose cooldown is over try once more.  Raising the
 * alerts and logging the pauses is done here too, so every process that
 * runs jobs tells the same story.
 */
#ifndef WARMD_HEALTH_H
#define WARMD_HEALTH_H

#include <stdint.h>

struct config;
struct pg_pool;

/* What one session (or one warm-up letter) showed. */
struct health_obs {
	const char	*account_id;	/* the account, or NULL with job_id */
	const char	*job_id;	/* a warm_receive: its letter's sender */
	int		 ok;		/* the session worked */
	int		 login_failed;	/* a login failed for a passing reason */
	int		 transient;	/* jobs failed for a passing reason */
	int		 send_failed;	/* letters or replies refused */
	int		 spam;		/* warm-up letters found in Spam */
	int		 challenge;	/* suspended by a challenge */
};

struct health_stats {
	uint64_t	 noted;		/* observations queued */
	uint64_t	 paused;	/* accounts paused by this process */
	uint64_t	 resumed;	/* accounts let out after a cooldown */
	uint64_t	 errors;	/* batches the database refused */
};

/* Use cfg's [health] and pool pg from now on (start and reload). */
void	 health_configure(const struct config *cfg, struct pg_pool *pg);
/* Queue an observation; written with the next batch (loop turn). */
void	 health_note(const struct health_obs *o);
/* Observations queued or on the wire. */
size_t	 health_pending(void);
/* Counters for /metrics. */
void	 health_stats(struct health_stats *st);
/* Stop the timers and drop what is queued. */
void	 health_shutdown(void);

#endif
