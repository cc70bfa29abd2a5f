/*
 * bare: the bare curl-multi ceiling for warmd's mobile session work.
 *
 * For each account: mobile login, list Spam, and for the first letter
 * there: not spam, mark read, flag — five HTTPS requests over ONE easy
 * handle kept alive, with the account's own CURLSH connection cache
 * (CURL_LOCK_DATA_CONNECT), as warmd isolates accounts.  No database, no
 * Redis, no scheduler, no retries: what is left is libcurl, TLS and JSON,
 * the least CPU and memory any client can spend on this work.
 *
 * One thread, one curl multi handle driven with curl_multi_socket_action()
 * over epoll (Linux) — the event-driven path warmd's curlev takes through
 * libevent, without a poll() over every socket per wake-up.  At most -n
 * accounts are in flight; each account's easy handle and share exist only
 * while it runs, so the peak RSS is that of n concurrent sessions.
 *
 *   bare --accounts FILE [-n CONCURRENCY] [--connect-to H:P:H2:P2]...
 *	[--resolve H:P:ADDR]... [--cacert F] [--proxy URL] [--limit N]
 *	[--timeout-ms MS] [-o SUMMARY.json]
 *
 * FILE: "email;password[;...]" lines ('#' comments, blank lines, CRLF and a
 * UTF-8 BOM allowed), or JSON: mailsim's GET /accounts reply
 * {"accounts":[{"email","password"},...]} or a bare array of such objects.
 * The summary (one JSON object) is the last stdout line and, with -o, the
 * content of that file.
 *
 * Build: cc -O2 -o bare bare.c $(pkg-config --cflags --libs libcurl jansson)
 * (contrib/bench/sessions.py does this), or `make contrib/bench/bare` in a
 * configured build tree.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define AJ		"https://aj-https.mail.ru"
#define FOLDER_SPAM	"950"
#define MAX_BODY	(4 << 20)
#define MAX_EVENTS	1024

enum step { S_LOGIN, S_LIST, S_UNSPAM, S_READ, S_FLAG, S_DONE };

static const char *step_names[] = { "login", "list_spam", "not_spam",
	"mark_read", "flag", "done" };

struct acct {
	char		*email;
	char		*password;
	CURL		*easy;
	CURLSH		*share;
	enum step	 step;
	char		*token;		/* access_token */
	char		*thread_id;	/* first thread in Spam */
	char		*msg_id;	/* its newest letter */
	char		*body;
	size_t		 nbody;
	size_t		 cap;
	char		 errbuf[CURL_ERROR_SIZE];
};

static CURLM		*multi;
static int		 epfd;
static double		 timer_at = -1;	/* ms, monotonic; -1: no timer */
static struct acct	*accts;
static size_t		 naccts, nloaded, next_acct, running;
static struct curl_slist *connect_to, *resolve;
static const char	*cacert, *proxy;
static long		 timeout_ms = 120000;

static uint64_t		 nrequests, nfailures, nconnects;
static size_t		 nok, nfailed, nempty;
static uint64_t		 step_fail[S_DONE];
static char		 first_error[512];

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6);
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		err(1, "strdup");
	return (p);
}

static void
add_acct(const char *email, const char *password)
{
	static size_t cap;

	if (naccts == cap) {
		cap = cap ? cap * 2 : 1024;
		if ((accts = realloc(accts, cap * sizeof(*accts))) == NULL)
			err(1, "realloc");
	}
	memset(&accts[naccts], 0, sizeof(accts[naccts]));
	accts[naccts].email = xstrdup(email);
	accts[naccts].password = xstrdup(password);
	naccts++;
}

static void
load_json(json_t *j, const char *path)
{
	json_t *arr = json_is_object(j) ? json_object_get(j, "accounts") : j;
	json_t *e;
	size_t i;

	if (!json_is_array(arr))
		errx(1, "%s: no accounts array", path);
	json_array_foreach(arr, i, e) {
		const char *em = json_string_value(json_object_get(e, "email"));
		const char *pw = json_string_value(json_object_get(e,
		    "password"));

		if (em == NULL || pw == NULL)
			errx(1, "%s: account %zu lacks email or password",
			    path, i);
		add_acct(em, pw);
	}
}

static void
load_accounts(const char *path)
{
	FILE *f;
	char *line = NULL, *p, *semi, *end;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int c;

	if ((f = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	while ((c = getc(f)) == ' ' || c == '\n' || c == '\t' || c == '\r')
		;
	if (c == '{' || c == '[') {
		json_error_t je;
		json_t *j;

		rewind(f);
		if ((j = json_loadf(f, 0, &je)) == NULL)
			errx(1, "%s:%d: %s", path, je.line, je.text);
		load_json(j, path);
		json_decref(j);
		fclose(f);
		return;
	}
	rewind(f);
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		p = line;
		if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;
		p[strcspn(p, "\r\n")] = '\0';
		p += strspn(p, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		if ((semi = strchr(p, ';')) == NULL)
			errx(1, "%s:%u: no password", path, lineno);
		*semi++ = '\0';
		if ((end = strchr(semi, ';')) != NULL)
			*end = '\0';
		add_acct(p, semi);
	}
	free(line);
	fclose(f);
}

/* ---- curl multi over epoll ---------------------------------------------- */

static int
socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct epoll_event ev;

	(void)e;
	(void)userp;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		/* The socket may be closed already: then epoll dropped it. */
		(void)epoll_ctl(epfd, EPOLL_CTL_DEL, s, NULL);
		return (0);
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = s;
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, s, &ev) == -1) {
		if (errno != ENOENT ||
		    epoll_ctl(epfd, EPOLL_CTL_ADD, s, &ev) == -1)
			err(1, "epoll_ctl fd %d", (int)s);
	}
	return (0);
}

static int
timer_cb(CURLM *m, long ms, void *userp)
{
	(void)m;
	(void)userp;
	timer_at = ms < 0 ? -1 : now_ms() + (double)ms;
	return (0);
}

/* ---- one account's requests --------------------------------------------- */

static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct acct *a = arg;
	size_t len = size * n;

	if (a->nbody + len + 1 > MAX_BODY)
		return (0);
	if (a->nbody + len + 1 > a->cap) {
		a->cap = (a->nbody + len + 1) * 2;
		if ((a->body = realloc(a->body, a->cap)) == NULL)
			err(1, "realloc");
	}
	memcpy(a->body + a->nbody, data, len);
	a->nbody += len;
	a->body[a->nbody] = '\0';
	return (len);
}

static char *
esc(CURL *e, const char *s)
{
	char *q = curl_easy_escape(e, s, 0);

	if (q == NULL)
		errx(1, "curl_easy_escape failed");
	return (q);
}

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		err(1, "vasprintf");
	va_end(ap);
	return (s);
}

/* Queue the request of a->step on a's easy handle. */
static void
issue(struct acct *a)
{
	CURL *e = a->easy;
	char *url, *post = NULL, *t, *x, *y, *ids, *marks;

	a->nbody = 0;
	a->errbuf[0] = '\0';
	switch (a->step) {
	case S_LOGIN:
		url = xasprintf(AJ "/cgi-bin/auth?mp=android&udid=bare%012zx",
		    (size_t)(a - accts));
		x = esc(e, a->email);
		y = esc(e, a->password);
		post = xasprintf("Login=%s&Password=%s&oauth2=1&mobile=1&"
		    "mob_json=1&simple=1&useragent=android", x, y);
		curl_free(x);
		curl_free(y);
		break;
	case S_LIST:
		t = esc(e, a->token);
		url = xasprintf(AJ "/api/v1/m/threads/status/smart?"
		    "access_token=%s&folder=" FOLDER_SPAM "&offset=0&limit=50"
		    "&htmlencoded=false", t);
		curl_free(t);
		break;
	case S_UNSPAM:
		url = xstrdup(AJ "/api/v1/m/threads/services/unspam");
		t = esc(e, a->token);
		x = xasprintf("[\"%s\"]", a->thread_id);
		ids = esc(e, x);
		post = xasprintf("access_token=%s&ids=%s&htmlencoded=false",
		    t, ids);
		curl_free(t);
		curl_free(ids);
		free(x);
		break;
	case S_READ:
	case S_FLAG:
		url = xstrdup(AJ "/api/v1/messages/marks");
		t = esc(e, a->token);
		x = a->step == S_READ ?
		    xasprintf("[{\"name\":\"unread\",\"unset\":[\"%s\"]}]",
		    a->msg_id) :
		    xasprintf("[{\"name\":\"flagged\",\"set\":[\"%s\"]}]",
		    a->msg_id);
		marks = esc(e, x);
		post = xasprintf("access_token=%s&marks=%s&htmlencoded=false",
		    t, marks);
		curl_free(t);
		curl_free(marks);
		free(x);
		break;
	default:
		abort();
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	if (post != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, post);
	} else
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	free(url);
	free(post);
	nrequests++;
	if (curl_multi_add_handle(multi, e) != CURLM_OK)
		errx(1, "curl_multi_add_handle failed");
}

static void
start_next(void)
{
	struct acct *a;
	CURL *e;

	if (next_acct >= naccts)
		return;
	a = &accts[next_acct++];
	if ((a->share = curl_share_init()) == NULL ||
	    (e = a->easy = curl_easy_init()) == NULL)
		errx(1, "curl init failed");
	curl_share_setopt(a->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_easy_setopt(e, CURLOPT_SHARE, a->share);
	curl_easy_setopt(e, CURLOPT_PRIVATE, a);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, a->errbuf);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_USERAGENT,
	    "mobmail android 15.107.0 ru.mail.mailapp");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, cacert);
	if (connect_to != NULL)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, connect_to);
	if (resolve != NULL)
		curl_easy_setopt(e, CURLOPT_RESOLVE, resolve);
	if (proxy != NULL)
		curl_easy_setopt(e, CURLOPT_PROXY, proxy);
	a->step = S_LOGIN;
	running++;
	issue(a);
}

static void
finish(struct acct *a, int ok)
{
	if (ok)
		nok++;
	else
		nfailed++;
	curl_easy_cleanup(a->easy);	/* before the share it uses */
	curl_share_cleanup(a->share);	/* closes the account's connection */
	a->easy = NULL;
	a->share = NULL;
	free(a->body);
	free(a->token);
	free(a->thread_id);
	free(a->msg_id);
	a->body = a->token = a->thread_id = a->msg_id = NULL;
	a->cap = a->nbody = 0;
	running--;
	start_next();
}

static void
fail(struct acct *a, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nfailures++;
	step_fail[a->step]++;
	if (first_error[0] == '\0')
		snprintf(first_error, sizeof(first_error), "%s: %s: %s",
		    a->email, step_names[a->step], msg);
	finish(a, 0);
}

/* An API envelope {"status":200,"body":...}; its body or NULL. */
static json_t *
envelope_body(json_t *j)
{
	json_t *st = json_object_get(j, "status");

	if (!json_is_integer(st) || json_integer_value(st) != 200)
		return (NULL);
	return (json_object_get(j, "body"));
}

static void
completed(struct acct *a, CURLcode rc)
{
	long code = 0, nc = 0;
	json_t *j, *b, *th, *m;
	const char *s;

	curl_multi_remove_handle(multi, a->easy);
	if (curl_easy_getinfo(a->easy, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK)
		nconnects += (uint64_t)nc;
	if (rc != CURLE_OK) {
		fail(a, "%s", a->errbuf[0] ? a->errbuf : curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		fail(a, "HTTP %ld", code);
		return;
	}
	if ((j = json_loadb(a->body ? a->body : "", a->nbody, 0, NULL)) ==
	    NULL) {
		fail(a, "bad JSON");
		return;
	}
	switch (a->step) {
	case S_LOGIN:
		s = json_string_value(json_object_get(json_object_get(j,
		    "oauth"), "access_token"));
		if (s == NULL) {
			s = json_string_value(json_object_get(j, "status"));
			json_decref(j);
			fail(a, "login status %s", s ? s : "?");
			return;
		}
		a->token = xstrdup(s);
		a->step = S_LIST;
		break;
	case S_LIST:
		b = envelope_body(j);
		th = json_array_get(json_object_get(json_array_get(
		    json_object_get(b, "folders_content"), 0), "threads"), 0);
		if (b == NULL) {
			json_decref(j);
			fail(a, "list status not 200");
			return;
		}
		if (th == NULL) {
			/* Nothing in Spam: the session is done. */
			json_decref(j);
			nempty++;
			finish(a, 1);
			return;
		}
		m = json_object_get(th, "base_message");
		if (!json_is_string(json_object_get(th, "id")) ||
		    !json_is_string(json_object_get(m, "id"))) {
			json_decref(j);
			fail(a, "thread without ids");
			return;
		}
		a->thread_id = xstrdup(json_string_value(json_object_get(th,
		    "id")));
		a->msg_id = xstrdup(json_string_value(json_object_get(m,
		    "id")));
		a->step = S_UNSPAM;
		break;
	case S_UNSPAM:
	case S_READ:
	case S_FLAG:
		b = envelope_body(j);
		if (json_integer_value(json_object_get(b, "count")) < 1) {
			json_decref(j);
			fail(a, "%s", b == NULL ? "status not 200" :
			    "count 0");
			return;
		}
		a->step++;
		break;
	default:
		abort();
	}
	json_decref(j);
	if (a->step == S_DONE)
		finish(a, 1);
	else
		issue(a);
}

static void
drain_done(void)
{
	CURLMsg *msg;
	struct acct *a;
	int left;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&a);
		completed(a, msg->data.result);
	}
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			warn("setrlimit");
	}
}

static double
tv_s(struct timeval tv)
{
	return ((double)tv.tv_sec + (double)tv.tv_usec / 1e6);
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
summary(FILE *f, size_t conc, double wall, struct rusage *ru)
{
	int i;

	fprintf(f, "{\"accounts\":%zu,\"concurrency\":%zu,\"ok\":%zu,"
	    "\"failed\":%zu,\"empty_spam\":%zu,\"requests\":%llu,"
	    "\"failures\":%llu,\"connections\":%llu,\"wall_s\":%.3f,"
	    "\"cpu_s\":%.3f,\"user_s\":%.3f,\"sys_s\":%.3f,"
	    "\"max_rss_kib\":%ld,\"failures_by_step\":{", naccts, conc, nok,
	    nfailed, nempty, (unsigned long long)nrequests,
	    (unsigned long long)nfailures, (unsigned long long)nconnects,
	    wall, tv_s(ru->ru_utime) + tv_s(ru->ru_stime), tv_s(ru->ru_utime),
	    tv_s(ru->ru_stime), ru->ru_maxrss);
	for (i = 0; i < S_DONE; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", step_names[i],
		    (unsigned long long)step_fail[i]);
	fprintf(f, "},\"first_error\":");
	json_str(f, first_error);
	fprintf(f, ",\"curl\":");
	json_str(f, curl_version());
	fprintf(f, "}\n");
}

static void
usage(void)
{
	fprintf(stderr, "usage: bare --accounts FILE [-n CONCURRENCY] "
	    "[--connect-to H:P:H2:P2]... [--resolve H:P:ADDR]...\n"
	    "\t[--cacert FILE] [--proxy URL] [--limit N] [--timeout-ms MS] "
	    "[-o SUMMARY.json]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "accounts",	required_argument, NULL, 'a' },
		{ "concurrency", required_argument, NULL, 'n' },
		{ "connect-to",	required_argument, NULL, 'C' },
		{ "resolve",	required_argument, NULL, 'r' },
		{ "cacert",	required_argument, NULL, 'c' },
		{ "proxy",	required_argument, NULL, 'x' },
		{ "limit",	required_argument, NULL, 'l' },
		{ "timeout-ms",	required_argument, NULL, 't' },
		{ "output",	required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct epoll_event evs[MAX_EVENTS];
	struct rusage ru0, ru1, ru;
	const char *accounts = NULL, *out = NULL;
	size_t conc = 100, limit = 0, i;
	double t0, wall, wait;
	int ch, n, still, flags;
	FILE *f;

	while ((ch = getopt_long(argc, argv, "n:o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			accounts = optarg;
			break;
		case 'n':
			conc = strtoul(optarg, NULL, 10);
			break;
		case 'C':
			connect_to = curl_slist_append(connect_to, optarg);
			break;
		case 'r':
			resolve = curl_slist_append(resolve, optarg);
			break;
		case 'c':
			cacert = optarg;
			break;
		case 'x':
			proxy = optarg;
			break;
		case 'l':
			limit = strtoul(optarg, NULL, 10);
			break;
		case 't':
			timeout_ms = atol(optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			usage();
		}
	}
	if (accounts == NULL || conc == 0 || optind != argc)
		usage();
	load_accounts(accounts);
	nloaded = naccts;
	if (limit > 0 && limit < naccts)
		naccts = limit;
	if (naccts == 0)
		errx(1, "%s: no accounts", accounts);

	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		errx(1, "curl_global_init failed");
	if ((multi = curl_multi_init()) == NULL)
		errx(1, "curl_multi_init failed");
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);

	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_ms();
	for (i = 0; i < conc && i < naccts; i++)
		start_next();
	while (running > 0) {
		wait = timer_at < 0 ? 1000 : timer_at - now_ms();
		if (wait < 0)
			wait = 0;
		n = epoll_wait(epfd, evs, MAX_EVENTS, (int)(wait + 0.999));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		for (i = 0; i < (size_t)n; i++) {
			flags = 0;
			if (evs[i].events & (EPOLLIN | EPOLLHUP))
				flags |= CURL_CSELECT_IN;
			if (evs[i].events & EPOLLOUT)
				flags |= CURL_CSELECT_OUT;
			if (evs[i].events & EPOLLERR)
				flags |= CURL_CSELECT_ERR;
			curl_multi_socket_action(multi, evs[i].data.fd, flags,
			    &still);
		}
		if (timer_at >= 0 && now_ms() >= timer_at) {
			timer_at = -1;
			curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0,
			    &still);
		}
		drain_done();
	}
	wall = (now_ms() - t0) / 1e3;
	getrusage(RUSAGE_SELF, &ru1);
	/* CPU of the run alone (loading the file excluded); peak RSS overall. */
	ru = ru1;
	ru.ru_utime.tv_sec -= ru0.ru_utime.tv_sec;
	ru.ru_utime.tv_usec -= ru0.ru_utime.tv_usec;
	ru.ru_stime.tv_sec -= ru0.ru_stime.tv_sec;
	ru.ru_stime.tv_usec -= ru0.ru_stime.tv_usec;
	if (ru.ru_utime.tv_usec < 0) {
		ru.ru_utime.tv_sec--;
		ru.ru_utime.tv_usec += 1000000;
	}
	if (ru.ru_stime.tv_usec < 0) {
		ru.ru_stime.tv_sec--;
		ru.ru_stime.tv_usec += 1000000;
	}

	summary(stdout, conc, wall, &ru);
	if (out != NULL) {
		if ((f = fopen(out, "w")) == NULL)
			err(1, "%s", out);
		summary(f, conc, wall, &ru);
		if (fclose(f) != 0)
			err(1, "%s", out);
	}

	curl_multi_cleanup(multi);
	close(epfd);
	for (i = 0; i < nloaded; i++) {
		free(accts[i].email);
		free(accts[i].password);
	}
	free(accts);
	curl_slist_free_all(connect_to);
	curl_slist_free_all(resolve);
	curl_global_cleanup();
	return (nfailed > 0 ? 1 : 0);
}
