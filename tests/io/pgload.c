/*
 * pgload: drive the pg pool with a steady stream of statements and count
 * what comes back, for the end-to-end tests that stop and restart
 * PostgreSQL under it.
 *
 * Each tick issues `SELECT $1::int + 1` (the answer is checked) and an
 * INSERT of a unique key into a scratch table.  Keys reported OK can be
 * written to a file so a test can check that none of them was lost.
 * Optionally one `SELECT pg_sleep(s)` is kept on the wire at all times, so
 * a restart always catches a statement in flight, and a channel is
 * LISTENed on.
 *
 * One summary line a second, then a final JSON line; exit status 0 when no
 * answer was wrong, 2 when one was, 1 on a usage or setup error.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "loop.h"
#include "pg.h"
#include "xmalloc.h"

#define TICK_MS		10
#define DRAIN_MS	3000
#define MAX_PENDING	20000

enum { ST_SETUP, ST_RUN, ST_DRAIN, ST_DONE };

struct stats {
	unsigned long	 by_status[4];	/* indexed by enum pg_status */
	unsigned long	 wrong;
	unsigned long	 insert_ok;
	unsigned long	 notifies;
	unsigned long	 polls;
	unsigned long	 ups;
	unsigned long	 downs;
	unsigned long	 cancelled;
};

/* One SELECT and the INSERT issued after it; the INSERT may cancel the SELECT. */
struct pair {
	int		 refs;
	long		 n;
	struct pg_req	*sel;		/* valid while !sel_done */
	int		 sel_done;
	int		 sel_cancelled;
	char		 key[64];
};

static struct pg_pool	*pool;
static struct stats	 st;
static int		 phase = ST_SETUP;
static unsigned		 rate = 200;
static unsigned		 duration_s = 10;
static double		 sleep_s;
static const char	*table = "pgload_items";
static char		*insert_sql;
static FILE		*okfp;
static char		 runid[32];
static unsigned long	 seq;
static double		 credit;
static uint64_t		 started_ms, drain_ms, last_report_ms;
static int		 sleep_inflight;
static unsigned		 cancel_every;	/* -K: cancel every n-th SELECT */
static int		 free_in_cb;	/* -F: free the pool from a callback */
static struct event	*tick_ev, *sigterm_ev, *sigint_ev, *setup_ev;

static uint64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
ident_ok(const char *s)
{
	size_t	n = 0;

	for (; s[n] != '\0'; n++)
		if (!(islower((unsigned char)s[n]) ||
		    isdigit((unsigned char)s[n]) || s[n] == '_'))
			return 0;
	return n > 0 && n < 64;
}

/* Results that arrive once the run is over are not part of it. */
static int
counting(void)
{
	return phase == ST_RUN || phase == ST_DRAIN;
}

static void
count(enum pg_status s)
{
	if (counting())
		st.by_status[s]++;
}

/*
 * Not inlined: gcc 12 cannot see that refs > 1 when issue_one drops a
 * reference after cancel_select, and reports a use after free.
 */
static __attribute__((noinline)) void
pair_unref(struct pair *p)
{
	if (--p->refs == 0)
		free(p);
}

static void	maybe_free(void);

static void
select_done(void *arg, enum pg_status s, const PGresult *res,
    const char *errmsg)
{
	struct pair	*p = arg;

	p->sel_done = 1;
	if (p->sel_cancelled) {
		st.wrong++;
		log_error("callback of a cancelled statement ran");
	}
	count(s);
	if (s == PG_OK) {
		if (PQntuples(res) != 1 || PQnfields(res) != 1 ||
		    strtol(PQgetvalue(res, 0, 0), NULL, 10) != p->n + 1) {
			st.wrong++;
			log_error("wrong answer to %ld + 1", p->n);
		}
	} else if (s == PG_ERROR)
		log_warn("select failed: %s", errmsg);
	pair_unref(p);
	maybe_free();
}

/* Cancel the SELECT the pair holds, if its answer is still to come. */
static void
cancel_select(struct pair *p)
{
	if (p->sel_done || p->sel_cancelled)
		return;
	pg_cancel(p->sel);
	p->sel_cancelled = 1;
	st.cancelled++;
	pair_unref(p);		/* the SELECT's reference: no callback now */
}

static void
insert_done(void *arg, enum pg_status s, const PGresult *res,
    const char *errmsg)
{
	struct pair	*in = arg;

	/* From inside a callback, the SELECT may be queued or on the wire. */
	if (cancel_every > 0 && in->n % cancel_every == 1)
		cancel_select(in);
	count(s);
	if (s == PG_OK) {
		if (strcmp(PQcmdTuples((PGresult *)res), "1") != 0) {
			st.wrong++;
			log_error("insert of %s reported %s rows", in->key,
			    PQcmdTuples((PGresult *)res));
		} else {
			st.insert_ok++;
			if (okfp != NULL)
				fprintf(okfp, "%s\n", in->key);
		}
	} else if (s == PG_ERROR)
		log_warn("insert failed: %s", errmsg);
	pair_unref(in);
	maybe_free();
}

static void issue_sleep(void);

static void
sleep_done(void *arg, enum pg_status s, const PGresult *res,
    const char *errmsg)
{
	(void)arg;
	(void)res;
	sleep_inflight = 0;
	count(s);
	if (s == PG_UNKNOWN)
		log_info("sleep statement outcome unknown: %s", errmsg);
	else if (s == PG_ERROR)
		log_warn("sleep statement failed: %s", errmsg);
	if (phase == ST_RUN)
		issue_sleep();
}

static void
issue_sleep(void)
{
	char		 buf[32];
	const char	*p[1] = { buf };

	snprintf(buf, sizeof(buf), "%g", sleep_s);
	if (pg_query(pool, "SELECT pg_catalog.pg_sleep($1::float8)", 1, p,
	    sleep_done, NULL) != NULL)
		sleep_inflight = 1;
}

static void
issue_one(void)
{
	char		 num[24];
	const char	*p[1];
	struct pair	*pr = xcalloc(1, sizeof(*pr));

	pr->refs = 1;
	pr->n = (long)(seq % 1000000);
	snprintf(num, sizeof(num), "%ld", pr->n);
	p[0] = num;
	if ((pr->sel = pg_query(pool, "SELECT $1::int + 1", 1, p, select_done,
	    pr)) != NULL)
		pr->refs++;
	else
		pr->sel_done = 1;

	snprintf(pr->key, sizeof(pr->key), "%s-%lu", runid, seq);
	p[0] = pr->key;
	if (pg_query(pool, insert_sql, 1, p, insert_done, pr) != NULL)
		pr->refs++;
	/* Right away: the SELECT is still queued. */
	if (cancel_every > 0 && pr->n % cancel_every == 0)
		cancel_select(pr);
	pair_unref(pr);
	seq++;
}

static void
report(uint64_t now)
{
	printf("t=%.1f ok=%lu error=%lu unknown=%lu unavailable=%lu "
	    "wrong=%lu pending=%d up=%d\n", (now - started_ms) / 1000.0,
	    st.by_status[PG_OK], st.by_status[PG_ERROR],
	    st.by_status[PG_UNKNOWN], st.by_status[PG_UNAVAILABLE], st.wrong,
	    pool ? pg_pending(pool) : 0, pool ? pg_connections_up(pool) : 0);
	fflush(stdout);
}

/*
 * With -F, the first answer after the drain starts frees the pool from
 * inside its callback: everything still queued or on the wire is failed
 * from there, nested.
 */
static void
maybe_free(void)
{
	if (!free_in_cb || phase != ST_DRAIN || pool == NULL)
		return;
	log_info("freeing the pool from a callback (%d pending)",
	    pg_pending(pool));
	phase = ST_DONE;
	pg_pool_free(pool);
	pool = NULL;
	loop_stop();
}

static void
start_drain(void)
{
	if (phase >= ST_DRAIN)
		return;
	phase = ST_DRAIN;
	drain_ms = mono_ms();
	log_info("stopping: draining %d pending statements", pg_pending(pool));
	if (free_in_cb && pg_pending(pool) == 0)
		loop_stop();
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	now = mono_ms();

	(void)fd;
	(void)what;
	(void)arg;
	if (now - last_report_ms >= 1000) {
		last_report_ms = now;
		report(now);
	}
	if (phase == ST_RUN) {
		if (duration_s > 0 && now - started_ms >= duration_s * 1000ULL) {
			/* -F needs answers still to come when the drain starts. */
			for (int i = 0; free_in_cb && i < 50; i++)
				issue_one();
			start_drain();
			return;
		}
		credit += rate * TICK_MS / 1000.0;
		while (credit >= 1.0 && pg_pending(pool) < MAX_PENDING) {
			credit -= 1.0;
			issue_one();
		}
		if (credit > 1.0)
			credit = 1.0;	/* no catching up after a stall */
		if (sleep_s > 0 && !sleep_inflight)
			issue_sleep();
	} else if (phase == ST_DRAIN) {
		if (pg_pending(pool) == 0 || now - drain_ms >= DRAIN_MS) {
			phase = ST_DONE;
			loop_stop();
		}
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	log_info("signal %d", (int)sig);
	if (phase == ST_SETUP) {
		phase = ST_DONE;
		loop_stop();
	} else
		start_drain();
}

static void create_table(evutil_socket_t, short, void *);

static void
create_done(void *arg, enum pg_status s, const PGresult *res,
    const char *errmsg)
{
	struct timeval	tv = { 0, 300000 };

	(void)arg;
	(void)res;
	if (phase != ST_SETUP)
		return;
	if (s != PG_OK) {
		/* Concurrent CREATE ... IF NOT EXISTS can fail; so can the server. */
		log_info("create table: %s; retrying",
		    errmsg ? errmsg : "failed");
		evtimer_add(setup_ev, &tv);
		return;
	}
	log_info("running: rate %u/s for %us", rate, duration_s);
	phase = ST_RUN;
	started_ms = last_report_ms = mono_ms();
}

static void
create_table(evutil_socket_t fd, short what, void *arg)
{
	char	*sql;

	(void)fd;
	(void)what;
	(void)arg;
	sql = xasprintf("CREATE TABLE IF NOT EXISTS %s (k text PRIMARY KEY, "
	    "at timestamptz NOT NULL DEFAULT now())", table);
	if (pg_query(pool, sql, 0, NULL, create_done, NULL) == NULL)
		loop_stop();
	free(sql);
}

static void
on_notify(void *arg, const char *channel, const char *payload)
{
	(void)arg;
	if (payload == NULL) {
		st.polls++;
		log_info("poll now: channel %s (re)subscribed", channel);
	} else {
		st.notifies++;
		log_info("notify: channel %s payload %s", channel, payload);
	}
}

static void
on_state(void *arg, int up)
{
	(void)arg;
	if (up)
		st.ups++;
	else
		st.downs++;
}

static void
usage(void)
{
	fprintf(stderr, "usage: pgload [-v] [-c conninfo] [-n pool] [-r rate] "
	    "[-d seconds] [-t table]\n"
	    "              [-s sleep_seconds] [-o okfile] [-l channel] "
	    "[-q queue_ms] [-T stmt_ms]\n"
	    "              [-C connect_ms] [-m reconnect_min_ms] "
	    "[-M reconnect_max_ms] [-K n] [-F]\n"
	    "-K n: cancel every n-th SELECT (queued or in flight); "
	    "-F: free the pool from a callback\n"
	    "conninfo defaults to $PGLOAD_CONNINFO\n");
	exit(1);
}

static unsigned
num(const char *s)
{
	char		*ep;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &ep, 10);
	if (errno != 0 || *ep != '\0' || ep == s || v > 100000000UL)
		usage();
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	struct pg_opts	 o = {
		.size = 4,
		.connect_timeout_ms = 2000,
		.statement_timeout_ms = 10000,
		.queue_timeout_ms = 2000,
		.reconnect_min_ms = 100,
		.reconnect_max_ms = 2000,
		.application_name = "pgload",
	};
	const char	*okpath = NULL, *channel = NULL;
	struct timeval	 tv = { 0, TICK_MS * 1000 };
	int		 ch, rc;

	log_init("pgload");
	o.conninfo = getenv("PGLOAD_CONNINFO");
	while ((ch = getopt(argc, argv, "c:n:r:d:t:s:o:l:q:T:C:m:M:K:Fv")) != -1) {
		switch (ch) {
		case 'c': o.conninfo = optarg; break;
		case 'n': o.size = (int)num(optarg); break;
		case 'r': rate = num(optarg); break;
		case 'd': duration_s = num(optarg); break;
		case 't': table = optarg; break;
		case 's': sleep_s = strtod(optarg, NULL); break;
		case 'o': okpath = optarg; break;
		case 'l': channel = optarg; break;
		case 'q': o.queue_timeout_ms = num(optarg); break;
		case 'T': o.statement_timeout_ms = num(optarg); break;
		case 'C': o.connect_timeout_ms = num(optarg); break;
		case 'm': o.reconnect_min_ms = num(optarg); break;
		case 'M': o.reconnect_max_ms = num(optarg); break;
		case 'K': cancel_every = num(optarg); break;
		case 'F': free_in_cb = 1; break;
		case 'v': log_set_level(LL_DEBUG); break;
		default: usage();
		}
	}
	if (o.conninfo == NULL || o.size < 1 || !ident_ok(table))
		usage();
	signal(SIGPIPE, SIG_IGN);
	snprintf(runid, sizeof(runid), "%ld-%ld", (long)getpid(),
	    (long)time(NULL));
	if (okpath != NULL) {
		if ((okfp = fopen(okpath, "w")) == NULL) {
			log_error("%s: %s", okpath, strerror(errno));
			return 1;
		}
		setvbuf(okfp, NULL, _IOLBF, 0);
	}
	if (loop_init() != 0) {
		log_error("cannot create the event loop");
		return 1;
	}
	insert_sql = xasprintf("INSERT INTO %s (k) VALUES ($1)", table);
	if ((pool = pg_pool_new(loop_base(), &o)) == NULL)
		return 1;
	pg_set_state_cb(pool, on_state, NULL);
	if (channel != NULL && pg_listen(pool, channel, on_notify, NULL) != 0)
		return 1;

	tick_ev = event_new(loop_base(), -1, EV_PERSIST, on_tick, NULL);
	event_add(tick_ev, &tv);
	setup_ev = evtimer_new(loop_base(), create_table, NULL);
	sigterm_ev = evsignal_new(loop_base(), SIGTERM, on_signal, NULL);
	sigint_ev = evsignal_new(loop_base(), SIGINT, on_signal, NULL);
	event_add(sigterm_ev, NULL);
	event_add(sigint_ev, NULL);
	last_report_ms = started_ms = mono_ms();
	create_table(-1, 0, NULL);

	rc = loop_run();
	phase = ST_DONE;
	report(mono_ms());
	pg_pool_free(pool);	/* NULL if a callback did it */
	event_free(tick_ev);
	event_free(setup_ev);
	event_free(sigterm_ev);
	event_free(sigint_ev);
	loop_free();

	printf("{\"ok\":%lu,\"error\":%lu,\"unknown\":%lu,\"unavailable\":%lu,"
	    "\"reconnects\":%lu,\"downs\":%lu,\"wrong\":%lu,\"insert_ok\":%lu,"
	    "\"notifies\":%lu,\"polls\":%lu,\"cancelled\":%lu}\n",
	    st.by_status[PG_OK], st.by_status[PG_ERROR],
	    st.by_status[PG_UNKNOWN], st.by_status[PG_UNAVAILABLE],
	    st.ups > 0 ? st.ups - 1 : 0, st.downs, st.wrong, st.insert_ok,
	    st.notifies, st.polls, st.cancelled);
	fflush(stdout);
	free(insert_sql);
	if (okfp != NULL)
		fclose(okfp);
	log_close();
	if (rc != 0)
		return 1;
	return st.wrong > 0 ? 2 : 0;
}
