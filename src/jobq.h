/*
 * The jobs table as a queue shared by many processes: the statements that
 * claim accounts with due jobs, renew and release their leases, finish
 * jobs, and reap the leases of dead processes.  SQL and row decoding only;
 * engine.c decides when to call them.
 *
 * Ownership is fenced by the worker id: every write that ends a job or a
 * lease says which worker it comes from, and does nothing when that
 * worker no longer holds it -- a process that lost its lease while it was
 * partitioned from the database cannot overwrite a newer owner's work.
 */
#ifndef WARMD_JOBQ_H
#define WARMD_JOBQ_H

#include <stddef.h>

#include <jansson.h>

#include "store.h"

struct pg_pool;

/* One claimed job. */
struct job {
	char		 id[24];	/* bigint as text */
	char		 account_id[37];
	char		*task;
	json_t		*payload;	/* owned */
	int		 attempts;	/* this one included */
	int		 max_attempts;
	char		*idem_key;	/* idempotency_key or NULL */
	int		 effect_seen;	/* an earlier attempt may have had its effect */
	int		 rank;		/* order within its account, from 1 */
};

/* A claim's answer: jobs sorted by account then rank. */
struct jobq_claim {
	struct job	*jobs;
	size_t		 n;
	long		 backlog;	/* due jobs of free accounts the claim saw */
	char		 day[11];	/* today in the time zone, YYYY-MM-DD */
};

/* ok = 0 with a one-line err when the claim did not run (nothing claimed). */
typedef void	jobq_claim_cb(void *arg, int ok, struct jobq_claim *c,
		    const char *err);

struct jobq_claim_opts {
	const char	*worker;
	int		 accounts;	/* most accounts to lease */
	int		 per_account;	/* most jobs per account */
	unsigned	 lease_ms;
	const char	*time_zone;
};

/* Lease up to o->accounts free active accounts with due jobs and mark those jobs running; cb owns c (jobq_claim_free). */
struct store_req *jobq_claim(struct pg_pool *pool,
		    const struct jobq_claim_opts *o, jobq_claim_cb *cb,
		    void *arg);
/* Free a claim's jobs; NULL is fine. */
void		 jobq_claim_free(struct jobq_claim *c);
/* Free one job's fields (not the struct). */
void		 job_clear(struct job *j);

/* How a job ends this attempt. */
enum jobq_end {
	JOBQ_DONE,		/* status done, result kept */
	JOBQ_FAILED,		/* status failed, error kept */
	JOBQ_RETRY,		/* back to new after delay_ms; failed past max_attempts or the deadline */
	JOBQ_RELEASE,		/* back to new now; this attempt not counted */
	JOBQ_NEXT_DAY,		/* back to new at the next midnight of the time zone; not counted */
	JOBQ_DEFER,		/* back to new after delay_ms; not counted */
};

struct jobq_outcome {
	enum jobq_end	 end;
	const char	*result;	/* JSON text or NULL */
	const char	*error;		/* readable, or NULL */
	unsigned	 delay_ms;	/* JOBQ_RETRY, JOBQ_DEFER */
	const char	*proxy;		/* redacted, or NULL */
	const char	*ip;		/* exit address, or NULL */
	const char	*time_zone;	/* JOBQ_NEXT_DAY */
};

/* What became of an outcome write. */
enum jobq_written {
	JOBQ_WRITTEN,		/* the job row has it */
	JOBQ_FENCED,		/* the worker no longer holds the job */
	JOBQ_NOT_WRITTEN,	/* the database failed: worth another try */
};

typedef void	jobq_finish_cb(void *arg, enum jobq_written w);

/* Write job_id's outcome if worker still holds it. */
struct store_req *jobq_finish(struct pg_pool *pool, const char *worker,
		    const char *job_id, const struct jobq_outcome *o,
		    jobq_finish_cb *cb, void *arg);

/* One outcome of a batch; o and arg are the caller's until cb. */
struct jobq_item {
	const char			*job_id;
	const struct jobq_outcome	*o;
	void				*arg;
};

/* Write n outcomes in one statement; cb(item.arg, how) once per item. */
struct store_req *jobq_finish_many(struct pg_pool *pool, const char *worker,
		    const struct jobq_item *items, size_t n,
		    jobq_finish_cb *cb);

/* Renewed leases: the account ids worker still holds (ok = 0: not renewed). */
typedef void	jobq_renew_cb(void *arg, int ok, char **ids, size_t n);

/* Extend every unexpired lease of worker, accounts and their running jobs, by lease_ms. */
struct store_req *jobq_renew(struct pg_pool *pool, const char *worker,
		    unsigned lease_ms, jobq_renew_cb *cb, void *arg);

/* Give back account_id (NULL: every account of worker) and return its still-running jobs to the queue, uncounted. */
struct store_req *jobq_release(struct pg_pool *pool, const char *worker,
		    const char *account_id, store_done_cb *done, void *arg);

/* What a reaper pass did. */
struct jobq_reaped {
	long		 requeued;	/* running jobs of expired leases, back to new */
	long		 exhausted;	/* the same, failed: attempts or deadline */
	long		 expired;	/* queued jobs failed: deadline passed */
};

typedef void	jobq_reap_cb(void *arg, int ok, const struct jobq_reaped *r);

/* Return running jobs whose lease expired to the queue (or fail them), and fail queued jobs past their deadline. */
struct store_req *jobq_reap(struct pg_pool *pool, jobq_reap_cb *cb,
		    void *arg);

#endif
