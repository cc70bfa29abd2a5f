/*
 * Alerts for people, over Telegram's Bot API (sendMessage), on the curl
 * multi loop.  Raising one never blocks: it is queued, sent one at a time,
 * retried with backoff when Telegram fails (honouring a 429's
 * retry_after), and rate-limited per kind -- the first event of a kind in
 * a window goes out at once, the later ones of that window are folded
 * into one message with their count when the window ends.  Messages are
 * built by warmd from account addresses, reasons and names; the bot token
 * lives only in the request URL, which is never logged.
 */
#ifndef WARMD_ALERT_H
#define WARMD_ALERT_H

#include <stdint.h>

struct config;
struct curlev;

enum alert_kind {
	ALERT_ACCOUNT,		/* an account suspended or in error */
	ALERT_DATABASE,		/* PostgreSQL or Redis lost, and back */
	ALERT_CAMPAIGN,		/* a campaign finished */
	ALERT_QUEUE,		/* jobs waiting longer than they should */
	ALERT_CIRCUIT,		/* a proxy's or provider host's circuit opened */
	ALERT_SUMMARY,		/* the daily summary */
	ALERT_TEST,		/* warmctl alert-test */
	ALERT_NKINDS
};

struct alert_stats {
	uint64_t	raised;		/* alert_raise calls */
	uint64_t	sent;		/* messages Telegram accepted */
	uint64_t	folded;		/* events folded into a count */
	uint64_t	retries;	/* sends tried again */
	uint64_t	dropped;	/* messages given up (4xx, queue full) */
	int		enabled;
};

/* Start (or switch to) cfg's [alerts]; curl must outlive the module. */
void	 alert_configure(const struct config *cfg, struct curlev *curl);
/* Raise an event of kind k (text as printf); no-op when alerts are off. */
void	 alert_raise(enum alert_kind k, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Counters for /metrics. */
void	 alert_stats(struct alert_stats *st);
/* Drop what is queued and free everything. */
void	 alert_shutdown(void);

/* Name of a kind, for messages and metrics. */
const char *alert_kind_name(enum alert_kind k);
/* The sendMessage URL and form body for text (both malloc'd); -1 when alerts are off in cfg. */
int	 alert_request(const struct config *cfg, const char *text, char **url,
	    char **body);

#endif
