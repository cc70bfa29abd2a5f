/*
 * The jobs engine: takes work from the jobs table and runs it as account
 * sessions.  It claims accounts that have due jobs (jobq.c), loads them,
 * applies the daily caps, runs each account's jobs in one session, writes
 * every job's outcome, renews its leases while it works and gives them
 * back when done.  Woken by NOTIFY on warmd_jobs and by a poll; every
 * process also reaps the leases of dead ones.
 */
#ifndef WARMD_ENGINE_H
#define WARMD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct breakers;
struct config;
struct curlev;
struct pg_pool;
struct rds;

struct engine_stats {
	uint64_t	claims;		/* claim statements run */
	uint64_t	claims_deferred;	/* held back: pool backed up */
	uint64_t	accounts;	/* accounts leased */
	uint64_t	jobs;		/* jobs claimed */
	uint64_t	done, failed, retried, released, deferred;
	uint64_t	route_waits;	/* deferred: a circuit was open */
	uint64_t	fenced;		/* outcomes refused: lease lost */
	uint64_t	lost_leases;	/* sessions stopped: lease lost */
	uint64_t	requeued, exhausted, expired;	/* by the reaper */
	size_t		working;	/* accounts held now */
	int		listening;	/* LISTEN active */
};

/* Start on the loop with cfg (the engine keeps the pointer until engine_reconfigure); -1 with why. */
int	 engine_start(const struct config *cfg, struct pg_pool *pg,
	    struct rds *redis, struct curlev *curl, char *why, size_t len);
/*
 * Switch to ncfg for new sessions; ocfg (the current one) is freed by the
 * engine once the sessions using it are gone.
 */
void	 engine_reconfigure(struct config *ncfg, struct config *ocfg);
/* Stop claiming; running sessions go on. */
void	 engine_drain(void);
/* Accounts held (sessions running, or their writes pending). */
size_t	 engine_busy(void);
/* Stop every session now; their unfinished jobs go back to the queue. */
void	 engine_abort(void);
/* Give back every lease of this process, then call done (from the loop). */
void	 engine_stop(void (*done)(void *), void *arg);
/* Free everything; the loop must not run the engine again. */
void	 engine_free(void);
/* This process's worker id, "name:pid:start". */
const char *engine_worker_id(void);
/* Counters for /status and /metrics; zeros before engine_start. */
void	 engine_stats(struct engine_stats *st);
/* The circuit breakers of the process (NULL before engine_start). */
struct breakers *engine_breakers(void);

#endif
