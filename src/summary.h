/*
 * The daily summary alert: at [alerts] summary_hour in the configured time
 * zone, one process of the fleet (the one that records the day first in
 * daily_summaries) sends the day's figures: accounts by status, accounts
 * paused, jobs of the last 24 hours, campaigns running, open circuits.
 */
#ifndef WARMD_SUMMARY_H
#define WARMD_SUMMARY_H

struct config;
struct pg_pool;

/* Use cfg (start and reload); nothing is sent unless alerts and summary_hour are set. */
void	 summary_configure(const struct config *cfg, struct pg_pool *pg,
	    const char *worker);
/* Stop the timer. */
void	 summary_shutdown(void);

#endif
