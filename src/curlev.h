/*
 * libcurl multi <-> libevent glue.  Owns a set of multi handles (curl 7.88.1
 * costs several times more CPU per transfer when one multi holds thousands),
 * all driven by the one event loop.  Completions are dispatched to the
 * owner's callback outside curl's own callbacks.  No HTTP semantics here.
 *
 * A session keeps one easy handle for all its requests: it adds the handle,
 * gets the completion callback (the handle is then out of every multi), sets
 * the next request's options and adds it again, from the callback or later.
 * A re-added handle goes back to the multi it used last while that one has
 * room, because its kept-alive connection lives in that multi's cache.
 */
#ifndef WARMD_CURLEV_H
#define WARMD_CURLEV_H

#include <stdint.h>

#include <curl/curl.h>

struct event_base;
struct curlev;

struct curlev_opts {
	int	per_multi;	/* transfers per multi before another opens; 0 = 100 */
	long	max_total_connections;	/* per multi; 0 = unlimited */
	long	max_connects;	/* idle connections cached per multi; 0 = 2 * per_multi */
	int	idle_close_ms;	/* close an extra multi idle this long; 0 = 120 s */
};

struct curlev_stats {
	int		running;	/* transfers in flight */
	int		multis;		/* multi handles open */
	uint64_t	completed;	/* finished, whatever the result */
	uint64_t	failed;		/* of those, rc != CURLE_OK */
	uint64_t	aborted;	/* taken out by curlev_remove/forget/free */
};

/* Completion: rc is the transfer result; easy is no longer in any multi. */
typedef void curlev_done_cb(void *arg, CURL *easy, CURLcode rc);

/* Create the glue (opts may be NULL); curl_global_init must have run. */
struct curlev *curlev_new(struct event_base *base,
	    const struct curlev_opts *opts);
/*
 * Start a configured easy handle that is not in flight; sets CURLOPT_PRIVATE
 * (owned by curlev from now on), QUICK_EXIT and NOSIGNAL.  May be called from
 * a completion callback, also for the handle just completed.  0 or -1.
 */
int	curlev_add(struct curlev *cl, CURL *easy, curlev_done_cb *cb, void *arg);
/*
 * Abort an in-flight transfer without calling its callback; a no-op when the
 * handle is not in flight.  Safe from completion callbacks, not from curl's.
 */
void	curlev_remove(struct curlev *cl, CURL *easy);
/* curlev_remove, then forget the handle; call before curl_easy_cleanup. */
void	curlev_forget(struct curlev *cl, CURL *easy);
/* Transfers in flight. */
int	curlev_running(const struct curlev *cl);
/* Multi handles open. */
int	curlev_multis(const struct curlev *cl);
/* Counters for metrics. */
void	curlev_stats(const struct curlev *cl, struct curlev_stats *st);
/*
 * Abort everything (no callbacks) and free.  The easy handles stay the
 * caller's to clean up.  From a completion callback the free happens when
 * the dispatch returns; no callback runs after this call.
 */
void	curlev_free(struct curlev *cl);

#endif
