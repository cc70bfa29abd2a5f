/*
 * rdsload: drive the Redis client with a steady stream of commands and
 * count what comes back, for the end-to-end tests that stop, restart or
 * blackhole Redis under it.
 *
 * Each tick issues SET key value EX 60, GET key (the value is checked: both
 * go down the same connection in order) and INCR.  Commands refused because
 * Redis is down are counted, not retried; NULL replies (connection lost or
 * reply timeout) are counted apart from error replies.
 *
 * One summary line a second, then a final JSON line; exit status 0 when no
 * reply was wrong, 2 when one was, 1 on a usage or setup error.  The
 * password, if any, is read from $RDSLOAD_PASSWORD so it is not in argv.
 */
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
#include "redis.h"
#include "xmalloc.h"

#define TICK_MS		10
#define DRAIN_MS	3000
#define MAX_OUTSTANDING	20000
#define KEYSPACE	1000

enum { ST_RUN, ST_DRAIN, ST_DONE };

struct stats {
	unsigned long	ok;
	unsigned long	error;
	unsigned long	null;
	unsigned long	down;		/* refused: rds_command returned NULL */
	unsigned long	wrong;
	unsigned long	ups;
	unsigned long	downs;
};

/* Shared by one SET and the GET behind it. */
struct pair {
	int	refs;
	int	set_ok;
	char	key[64];
	char	val[32];
};

static struct rds	*rds;
static struct stats	 st;
static int		 phase = ST_RUN;
static unsigned		 rate = 200;
static unsigned		 duration_s = 10;
static unsigned long	 seq;
static long		 outstanding;
static double		 credit;
static char		 runid[32];
static int		 free_in_cb;	/* -F: free the client from a reply callback */
static uint64_t		 started_ms, drain_ms, last_report_ms;
static struct event	*tick_ev, *sigterm_ev, *sigint_ev;

static uint64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * With -F, the first reply after the drain starts frees the client from
 * inside its callback: hiredis defers the context free until the callback
 * returns and then fails the rest with NULL, nested.
 */
static void
maybe_free(void)
{
	if (!free_in_cb || phase != ST_DRAIN || rds == NULL)
		return;
	log_info("freeing the client from a callback (%ld outstanding)",
	    outstanding);
	phase = ST_DONE;
	rds_free(rds);
	rds = NULL;
	loop_stop();
}

/* Count one reply; returns 1 if it is a usable (non-NULL, non-error) one. */
static int
count(const redisReply *rep)
{
	outstanding--;
	if (phase == ST_DONE)
		return 0;
	if (rep == NULL) {
		st.null++;
		return 0;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		st.error++;
		log_warn("error reply: %.*s", (int)rep->len, rep->str);
		return 0;
	}
	st.ok++;
	return 1;
}

static void
pair_unref(struct pair *p)
{
	if (--p->refs == 0)
		free(p);
}

static void
set_done(void *arg, const redisReply *rep)
{
	struct pair	*p = arg;

	if (count(rep)) {
		if (rep->type == REDIS_REPLY_STATUS &&
		    strcmp(rep->str, "OK") == 0)
			p->set_ok = 1;
		else {
			st.wrong++;
			log_error("SET %s: unexpected reply type %d", p->key,
			    rep->type);
		}
	}
	pair_unref(p);
	maybe_free();
}

static void
get_done(void *arg, const redisReply *rep)
{
	struct pair	*p = arg;

	if (count(rep)) {
		/* Same connection, after the SET: it must see the value. */
		if (rep->type == REDIS_REPLY_STRING) {
			if (strcmp(rep->str, p->val) != 0) {
				st.wrong++;
				log_error("GET %s: %s, expected %s", p->key,
				    rep->str, p->val);
			}
		} else if (rep->type != REDIS_REPLY_NIL || p->set_ok) {
			st.wrong++;
			log_error("GET %s: unexpected reply type %d", p->key,
			    rep->type);
		}
	}
	pair_unref(p);
	maybe_free();
}

static void
incr_done(void *arg, const redisReply *rep)
{
	(void)arg;
	if (count(rep) && rep->type != REDIS_REPLY_INTEGER) {
		st.wrong++;
		log_error("INCR: unexpected reply type %d", rep->type);
	}
	maybe_free();
}

static int
cmd(rds_cb *cb, void *arg, int argc, const char **argv)
{
	if (rds_command(rds, cb, arg, argc, argv, NULL) == NULL) {
		st.down++;
		return -1;
	}
	outstanding++;
	return 0;
}

static void
issue_one(void)
{
	struct pair	*p = xcalloc(1, sizeof(*p));
	const char	*argv[5];
	char		 ctr[64];

	snprintf(p->key, sizeof(p->key), "rdsload:%s:%lu", runid,
	    seq % KEYSPACE);
	snprintf(p->val, sizeof(p->val), "v%lu", seq);
	seq++;
	p->refs = 1;
	argv[0] = "SET";
	argv[1] = p->key;
	argv[2] = p->val;
	argv[3] = "EX";
	argv[4] = "60";
	if (cmd(set_done, p, 5, argv) == 0) {
		p->refs++;
		argv[0] = "GET";
		if (cmd(get_done, p, 2, argv) == 0)
			p->refs++;
	}
	pair_unref(p);

	snprintf(ctr, sizeof(ctr), "rdsload:%s:counter", runid);
	argv[0] = "INCR";
	argv[1] = ctr;
	cmd(incr_done, NULL, 2, argv);
}

static void
report(uint64_t now)
{
	printf("t=%.1f ok=%lu error=%lu null=%lu down=%lu wrong=%lu "
	    "outstanding=%ld up=%d\n", (now - started_ms) / 1000.0, st.ok,
	    st.error, st.null, st.down, st.wrong, outstanding,
	    rds != NULL && rds_is_up(rds));
	fflush(stdout);
}

static void
start_drain(void)
{
	if (phase != ST_RUN)
		return;
	phase = ST_DRAIN;
	drain_ms = mono_ms();
	log_info("stopping: draining %ld outstanding commands", outstanding);
	if (free_in_cb && outstanding == 0)
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
		while (credit >= 1.0 && outstanding < MAX_OUTSTANDING) {
			credit -= 1.0;
			issue_one();
		}
		if (credit > 1.0)
			credit = 1.0;
	} else if (phase == ST_DRAIN) {
		if (outstanding == 0 || now - drain_ms >= DRAIN_MS) {
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
	start_drain();
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
	fprintf(stderr, "usage: rdsload [-v] [-a address] [-n db] [-r rate] "
	    "[-d seconds]\n"
	    "               [-C connect_ms] [-t command_ms] "
	    "[-m reconnect_min_ms] [-M reconnect_max_ms] [-F]\n"
	    "-F: free the client from a reply callback when stopping\n"
	    "address defaults to $RDSLOAD_ADDRESS; password from "
	    "$RDSLOAD_PASSWORD\n");
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
	struct rds_opts	 o = {
		.connect_timeout_ms = 1000,
		.command_timeout_ms = 1000,
		.reconnect_min_ms = 100,
		.reconnect_max_ms = 2000,
	};
	struct timeval	 tv = { 0, TICK_MS * 1000 };
	int		 ch, rc;

	log_init("rdsload");
	o.address = getenv("RDSLOAD_ADDRESS");
	o.password = getenv("RDSLOAD_PASSWORD");
	while ((ch = getopt(argc, argv, "a:n:r:d:C:t:m:M:Fv")) != -1) {
		switch (ch) {
		case 'a': o.address = optarg; break;
		case 'n': o.db = (int)num(optarg); break;
		case 'r': rate = num(optarg); break;
		case 'd': duration_s = num(optarg); break;
		case 'C': o.connect_timeout_ms = num(optarg); break;
		case 't': o.command_timeout_ms = num(optarg); break;
		case 'm': o.reconnect_min_ms = num(optarg); break;
		case 'M': o.reconnect_max_ms = num(optarg); break;
		case 'F': free_in_cb = 1; break;
		case 'v': log_set_level(LL_DEBUG); break;
		default: usage();
		}
	}
	if (o.address == NULL)
		usage();
	/* hiredis writes with write(2): a closed peer must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(runid, sizeof(runid), "%ld-%ld", (long)getpid(),
	    (long)time(NULL));
	if (loop_init() != 0) {
		log_error("cannot create the event loop");
		return 1;
	}
	if ((rds = rds_new(loop_base(), &o)) == NULL) {
		loop_free();
		return 1;
	}
	rds_set_state_cb(rds, on_state, NULL);
	log_info("running: rate %u/s for %us", rate, duration_s);

	tick_ev = event_new(loop_base(), -1, EV_PERSIST, on_tick, NULL);
	event_add(tick_ev, &tv);
	sigterm_ev = evsignal_new(loop_base(), SIGTERM, on_signal, NULL);
	sigint_ev = evsignal_new(loop_base(), SIGINT, on_signal, NULL);
	event_add(sigterm_ev, NULL);
	event_add(sigint_ev, NULL);
	last_report_ms = started_ms = mono_ms();

	rc = loop_run();
	phase = ST_DONE;
	report(mono_ms());
	rds_free(rds);		/* NULL if a callback did it */
	event_free(tick_ev);
	event_free(sigterm_ev);
	event_free(sigint_ev);
	loop_free();

	printf("{\"ok\":%lu,\"error\":%lu,\"null\":%lu,\"down\":%lu,"
	    "\"reconnects\":%lu,\"downs\":%lu,\"wrong\":%lu}\n", st.ok,
	    st.error, st.null, st.down, st.ups > 0 ? st.ups - 1 : 0, st.downs,
	    st.wrong);
	fflush(stdout);
	log_close();
	if (rc != 0)
		return 1;
	return st.wrong > 0 ? 2 : 0;
}
