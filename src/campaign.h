/*
 * The campaign planner: turns the campaigns table into jobs.  The
 * config's campaigns are written to the table at start and on every
 * reload (a removed one is cancelled with its pending jobs); then, every
 * plan interval, each live campaign's plan for today is computed from
 * its seed alone and upserted by permanent key, so planning again --
 * after a reload, on another host, after a crash -- adds only what is
 * missing, rewrites only jobs not started yet, and never repeats work.
 */
#ifndef WARMD_CAMPAIGN_H
#define WARMD_CAMPAIGN_H

#include <stdint.h>

struct config;
struct pg_pool;

/*
 * The tasks whose done result says where the letter was found
 * (result->>'placement'), as an SQL list: warmctl report and /metrics.
 */
#define CAMPAIGN_SCENARIO_TASKS	"('rescue', 'engage', 'warm_receive', 'find')"

struct campaign_stats {
	uint64_t	ticks;		/* plans completed */
	uint64_t	planned;	/* jobs inserted or rewritten */
	uint64_t	cancelled;	/* pending jobs cancelled */
	uint64_t	errors;		/* statements that failed */
	unsigned	live;		/* campaigns planned in the last tick */
};

/* Start planning from cfg (which must outlive it, or be replaced). */
void	 campaign_start(const struct config *cfg, struct pg_pool *pg);
/* New config: sync its campaigns and plan now. */
void	 campaign_reconfigure(const struct config *cfg);
/* Stop planning; what is in flight is cancelled. */
void	 campaign_stop(void);
/* Counters for /metrics. */
void	 campaign_stats(struct campaign_stats *st);

#endif
