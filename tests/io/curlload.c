/*
 * curlload: start N concurrent HTTPS transfers through curlev, one easy
 * handle (and so one connection) each, and report whether they really ran
 * side by side: when each transfer's connection was established, when the
 * first one ended, and how many were active at once.  The end-to-end tests
 * run it against a local nginx that serves a body slowly.
 *
 *   curlload --url https://HOST:PORT/path --cacert F [--resolve h:p:addr]
 *	[-n 5000] [--per-multi 100] [--fresh] [--chain K] [--abort-after K]
 *	[--timeout-ms MS] [--idle-close-ms MS --linger-ms MS] [--event-debug]
 *
 * --chain K re-adds each handle from its completion callback for K more
 * requests and counts those served on the kept-alive connection
 * (CURLINFO_NUM_CONNECTS == 0).  --abort-after K frees curlev from inside
 * the K-th completion callback.  --linger-ms keeps the loop running that
 * long after the last completion, so the idle multis can be seen closing
 * (multis_end).  --event-debug turns on libevent's debug mode, which aborts
 * on misuse such as event_assign on a pending event.  The last stdout line
 * is one JSON object.
 */
#include <sys/resource.h>
#include <sys/time.h>

#include <err.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "curlev.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define MAX_RESOLVE	8

struct xfer {
	CURL		*easy;
	int		 reqs;		/* requests finished */
	int		 connected;	/* current request past the TLS handshake */
	int		 done;
	double		 conn_ms;	/* first request: connection up, -1 if never */
	char		 errbuf[CURL_ERROR_SIZE];
};

static struct curlev	*cl;
static struct xfer	*xfers;
static int		 nxfers, remaining, chain, abort_after;
static int		 active, peak_active, peak_multis;
static int		 nok, nfailed, nreused, ncompletions;
static double		 t0, min_end = -1, last_end;
static uint64_t		 nbytes;
static CURLcode		 first_rc = CURLE_OK;
static char		 first_err[CURL_ERROR_SIZE];

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double
cpu_ms(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			warn("setrlimit");
	}
}

/* The handshake is done: the transfer now holds a live connection. */
static void
mark_connected(struct xfer *x)
{
	if (x->connected)
		return;
	x->connected = 1;
	if (x->reqs == 0)
		x->conn_ms = now_ms() - t0;
	if (++active > peak_active)
		peak_active = active;
}

static int
xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer	*x = arg;
	curl_off_t	 t = 0;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (!x->connected &&
	    curl_easy_getinfo(x->easy, CURLINFO_APPCONNECT_TIME_T, &t) ==
	    CURLE_OK && t > 0)
		mark_connected(x);
	return 0;
}

static size_t
header_cb(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	/* A response implies the connection was up, should xferinfo lag. */
	mark_connected(arg);
	return size * n;
}

static size_t
write_cb(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	mark_connected(arg);
	nbytes += size * n;
	return size * n;
}

static void	done_cb(void *, CURL *, CURLcode);

static void
finish(struct xfer *x, int ok)
{
	x->done = 1;
	if (ok)
		nok++;
	else
		nfailed++;
	if (--remaining == 0)
		loop_stop();
}

static void
done_cb(void *arg, CURL *easy, CURLcode rc)
{
	struct xfer	*x = arg;
	double		 t = now_ms() - t0;
	long		 nconn = -1;

	if (x->connected) {
		x->connected = 0;
		active--;
	}
	if (x->reqs++ == 0 && (min_end < 0 || t < min_end))
		min_end = t;
	last_end = t;
	ncompletions++;
	if (curlev_multis(cl) > peak_multis)
		peak_multis = curlev_multis(cl);

	if (rc != CURLE_OK) {
		if (first_rc == CURLE_OK) {
			first_rc = rc;
			snprintf(first_err, sizeof(first_err), "%s",
			    x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		}
		finish(x, 0);
	} else {
		if (x->reqs > 1 &&
		    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &nconn) ==
		    CURLE_OK && nconn == 0)
			nreused++;
		if (x->reqs <= chain) {
			/* Straight back in, from inside the callback. */
			if (curlev_add(cl, easy, done_cb, x) == -1)
				finish(x, 0);
		} else
			finish(x, 1);
	}

	if (abort_after > 0 && ncompletions == abort_after) {
		/* Everything still in flight is dropped without callbacks. */
		curlev_free(cl);
		cl = NULL;
		loop_stop();
	}
}

static CURL *
easy_new(struct xfer *x, const char *url, const char *cacert,
    struct curl_slist *resolve, int fresh, long timeout_ms)
{
	CURL	*e;

	if ((e = curl_easy_init()) == NULL)
		errx(1, "curl_easy_init failed");
	x->easy = e;
	x->conn_ms = -1;
	curl_easy_setopt(e, CURLOPT_URL, url);
	if (cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, cacert);
	if (resolve != NULL)
		curl_easy_setopt(e, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (fresh) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
	return e;
}

static void
linger_fire(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	loop_stop();
}

/* Run the loop idle for ms, so curlev's janitor gets its turn. */
static void
linger(int ms)
{
	struct event	*ev;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	if ((ev = evtimer_new(loop_base(), linger_fire, NULL)) == NULL)
		errx(1, "evtimer_new failed");
	evtimer_add(ev, &tv);
	if (loop_run() == -1)
		errx(1, "event loop failed");
	event_free(ev);
}

static void
usage(void)
{
	fprintf(stderr, "usage: curlload --url URL [--cacert FILE] "
	    "[--resolve HOST:PORT:ADDR] [-n N] [--per-multi N] [--fresh]\n"
	    "\t[--chain K] [--abort-after K] [--timeout-ms MS]"
	    " [--idle-close-ms MS] [--linger-ms MS] [--event-debug]\n");
	exit(2);
}

static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "url",		required_argument, NULL, 'u' },
		{ "cacert",		required_argument, NULL, 'c' },
		{ "resolve",		required_argument, NULL, 'r' },
		{ "per-multi",		required_argument, NULL, 'p' },
		{ "fresh",		no_argument,	   NULL, 'f' },
		{ "chain",		required_argument, NULL, 'k' },
		{ "abort-after",	required_argument, NULL, 'a' },
		{ "timeout-ms",		required_argument, NULL, 't' },
		{ "idle-close-ms",	required_argument, NULL, 'i' },
		{ "linger-ms",		required_argument, NULL, 'l' },
		{ "event-debug",	no_argument,	   NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct curlev_opts	 opts = { 0 };
	struct curl_slist	*resolve = NULL;
	const char		*url = NULL, *cacert = NULL;
	long			 timeout_ms = 120000;
	int			 ch, fresh = 0, i, linger_ms = 0, multis_end;
	double			 max_start = -1, c0, wall, cpu;

	while ((ch = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'c':
			cacert = optarg;
			break;
		case 'r':
			resolve = curl_slist_append(resolve, optarg);
			break;
		case 'n':
			nxfers = atoi(optarg);
			break;
		case 'p':
			opts.per_multi = atoi(optarg);
			break;
		case 'f':
			fresh = 1;
			break;
		case 'k':
			chain = atoi(optarg);
			break;
		case 'a':
			abort_after = atoi(optarg);
			break;
		case 't':
			timeout_ms = atol(optarg);
			break;
		case 'i':
			opts.idle_close_ms = atoi(optarg);
			break;
		case 'l':
			linger_ms = atoi(optarg);
			break;
		case 'd':
			/* Must come before the event base exists. */
			event_enable_debug_mode();
			break;
		default:
			usage();
		}
	}
	if (url == NULL || nxfers <= 0 || chain < 0)
		usage();

	log_init("curlload");
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		errx(1, "curl_global_init failed");
	if (loop_init() == -1)
		errx(1, "loop_init failed");
	if ((cl = curlev_new(loop_base(), &opts)) == NULL)
		errx(1, "curlev_new failed");

	xfers = xcalloc((size_t)nxfers, sizeof(*xfers));
	for (i = 0; i < nxfers; i++)
		easy_new(&xfers[i], url, cacert, resolve, fresh, timeout_ms);

	remaining = nxfers;
	c0 = cpu_ms();
	t0 = now_ms();
	for (i = 0; i < nxfers; i++) {
		if (curlev_add(cl, xfers[i].easy, done_cb, &xfers[i]) == -1)
			errx(1, "curlev_add failed for transfer %d", i);
	}
	peak_multis = curlev_multis(cl);
	if (loop_run() == -1)
		errx(1, "event loop failed");
	wall = last_end;
	cpu = cpu_ms() - c0;

	for (i = 0; i < nxfers; i++)
		if (xfers[i].conn_ms > max_start)
			max_start = xfers[i].conn_ms;
	if (linger_ms > 0 && cl != NULL)
		linger(linger_ms);
	multis_end = cl != NULL ? curlev_multis(cl) : 0;

	curlev_free(cl);
	for (i = 0; i < nxfers; i++)
		curl_easy_cleanup(xfers[i].easy);
	free(xfers);
	curl_slist_free_all(resolve);
	loop_free();
	curl_global_cleanup();
	libevent_global_shutdown();

	printf("{\"n\":%d,\"ok\":%d,\"failed\":%d,\"peak_concurrent\":%d,"
	    "\"max_start_ms\":%.1f,\"min_end_ms\":%.1f,\"wall_ms\":%.1f,"
	    "\"cpu_ms\":%.1f,\"multis\":%d,\"requests\":%d,\"reused\":%d,"
	    "\"unfinished\":%d,\"multis_end\":%d,\"bytes\":%llu,"
	    "\"first_rc\":%d,\"first_error\":",
	    nxfers, nok, nfailed, peak_active, max_start, min_end, wall, cpu,
	    peak_multis, ncompletions, nreused, remaining, multis_end,
	    (unsigned long long)nbytes, (int)first_rc);
	json_string(first_err);
	printf("}\n");
	return 0;
}
