/*
 * Database-wide figures for /metrics and /status: the queue by task, jobs
 * finished in the last minute, campaigns by status, and the live
 * campaigns' jobs and placement -- what `warmctl status` and `warmctl
 * report` show, with the same definitions.  One statement on the pool,
 * asked every few seconds; never blocks: a scrape gets the last good
 * snapshot and its age.
 */
#ifndef WARMD_FIGURES_H
#define WARMD_FIGURES_H

#include <jansson.h>

struct evbuffer;
struct pg_pool;

/* Ask for fresh figures, unless a refresh is already in flight. */
void	 figures_refresh(struct pg_pool *pg);
/* Forget the in-flight refresh (the pool is going away) and the snapshot. */
void	 figures_shutdown(void);
/*
 * The figures as Prometheus text.  Before the first snapshot there is
 * nothing, and the JSON parts below are null.
 */
void	 figures_render_metrics(struct evbuffer *out);
/* /status "queue": totals, by task, finished last minute; or null. */
json_t	*figures_queue_json(void);
/* /status "campaigns" (by status, the live ones), planner aside; or null. */
json_t	*figures_campaigns_json(void);
/* Seconds since the snapshot was read, or -1 when there is none. */
double	 figures_age_s(void);
/* Append s as a Prometheus label value: backslash, quote, newline escaped. */
void	 figures_label(struct evbuffer *out, const char *s);

/* Raise a queue alert when the oldest due job has waited over ms (0: never). */
void	 figures_lag_alert(unsigned ms);

/* The # HELP and # TYPE lines that open a metric (status.c's too). */
void	 figures_metric(struct evbuffer *out, const char *name,
	    const char *type, const char *help);

#endif
