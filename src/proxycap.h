/*
 * Per-proxy bookkeeping shared by the sessions of a process: a cap on how
 * many sessions use one proxy at once (the rest wait in FIFO order), and
 * how long a proxy has been failing, so a proxy that stays dead can be
 * told apart from a blip.  Keys are canonical proxy URIs; they may hold
 * credentials and are never logged.
 */
#ifndef WARMD_PROXYCAP_H
#define WARMD_PROXYCAP_H

#include <sys/queue.h>

#include <stdint.h>

struct proxycap;
struct pcap_entry;

/* A session waiting for a slot; cb runs from the loop once it has one. */
struct pcap_waiter {
	void			(*cb)(void *arg);
	void			 *arg;
	struct pcap_entry	 *e;		/* set while queued */
	TAILQ_ENTRY(pcap_waiter)  link;
};

/* A registry whose proxies each take at most limit sessions. */
struct proxycap *proxycap_new(int limit);
/* Free; every slot must have been released. */
void	 proxycap_free(struct proxycap *pc);
/* Change the cap (reload); waiters are let in if it grew. */
void	 proxycap_set_limit(struct proxycap *pc, int limit);
/* 1: the slot is taken now; 0: w is queued and w->cb will run later. */
int	 proxycap_acquire(struct proxycap *pc, const char *key,
	    struct pcap_waiter *w);
/* Leave the queue without a slot (no-op if not queued). */
void	 proxycap_cancel(struct proxycap *pc, struct pcap_waiter *w);
/* Give back a slot taken for key; the next waiter gets it. */
void	 proxycap_release(struct proxycap *pc, const char *key);
/* The proxy failed at now_ms (monotonic). */
void	 proxycap_failed(struct proxycap *pc, const char *key, uint64_t now_ms);
/* The proxy worked: forget its failures. */
void	 proxycap_worked(struct proxycap *pc, const char *key);
/* How long the proxy has failed without a success since, 0 if it works. */
uint64_t proxycap_failing_for(struct proxycap *pc, const char *key,
	    uint64_t now_ms);
/* Sessions holding a slot, and waiting, over all proxies. */
void	 proxycap_counts(const struct proxycap *pc, uint64_t *active,
	    uint64_t *waiting);

#endif
