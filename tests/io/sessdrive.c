/*
 * sessdrive: run account sessions from the command line, without the job
 * queue, and print every outcome as a JSON line.  The tests and the
 * benchmark use it to drive the session layer end to end against real
 * servers; it writes what it finds to the mails table and account status
 * changes to the accounts table exactly as warmd does.
 *
 *   sessdrive -c CONFIG [-e EMAIL]... [-a ACTIONS] [-p PLAN] [-n MAX]
 *
 * ACTIONS is a JSON array of {"kind": task, ...payload} applied to every
 * account; PLAN is a file of JSON lines {"email", "actions": [...]}.
 * Output lines: {"type":"action",...}, {"type":"session",...}, then one
 * {"type":"summary",...}.  Exit 0 when every session ran, 1 otherwise.
 */
#include <sys/resource.h>
#include <sys/time.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "account.h"
#include "acctstore.h"
#include "config.h"
#include "curlev.h"
#include "log.h"
#include "loop.h"
#include "outcome.h"
#include "pg.h"
#include "redis.h"
#include "secret.h"
#include "session.h"
#include "xmalloc.h"

struct plan {
	char		*email;
	json_t		*actions;
};

static struct config	*cfg;
static struct pg_pool	*pg;
static struct rds	*redis;
static struct curlev	*curl;
static struct sess_env	*env;
static struct secret_key key;
static json_t		*default_actions;
static struct plan	*plans;
static size_t		 nplans;
static struct account	**accts;
static size_t		 naccts, next_acct;
static int		 max_running = 100000;
static size_t		 running, pending_writes;
static int		 loaded, started, failed_setup;
static unsigned long	 n_ok, n_bad, a_ok, a_bad;
static uint64_t		 t0;
static int		 peak_in_flight;
static struct event	*wait_timer;

static void
out(json_t *j)
{
	char	*s = json_dumps(j, JSON_COMPACT);

	if (s != NULL) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	fflush(stdout);
	json_decref(j);
}

static void
maybe_done(void)
{
	if (loaded && next_acct >= naccts && running == 0 &&
	    pending_writes == 0)
		loop_stop();
}

static void
write_done(void *arg, int ok)
{
	(void)arg;
	if (!ok)
		log_warn("a database write failed");
	pending_writes--;
	maybe_done();
}

static void
on_action(void *arg, struct session *s, size_t idx, struct action *a,
    struct act_result *r)
{
	const struct account	*acct = session_account(s);

	(void)arg;
	if (curlev_running(curl) + 1 > peak_in_flight)
		peak_in_flight = curlev_running(curl) + 1;
	if (r->status == ACT_OK)
		a_ok++;
	else
		a_bad++;
	pending_writes += (size_t)outcome_action(pg, &key, acct->id, NULL, a,
	    r, write_done, NULL);
	out(json_pack("{s:s, s:s, s:i, s:s, s:s, s:s?, s:O, s:s?, s:s?}",
	    "type", "action", "email", acct->email, "index", (int)idx, "kind",
	    act_kind_name(a->kind), "status", act_status_name(r->status),
	    "reason", r->reason, "data", r->data, "proxy", r->proxy, "ip",
	    r->exit_ip));
}

static void	start_more(void);

static void
on_finished(void *arg, struct session *s, const struct sess_outcome *o)
{
	const struct account	*acct = session_account(s);

	(void)arg;
	if (o->ok)
		n_ok++;
	else
		n_bad++;
	pending_writes += (size_t)outcome_session(pg, acct->id, o, write_done,
	    NULL);
	out(json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:s?, s:s?, s:b, s:i,"
	    " s:i, s:s?, s:s?}", "type", "session", "email", acct->email, "ok",
	    o->ok, "login", o->login, "account_status", o->account_status,
	    "reason", o->account_reason, "error", o->error, "transient",
	    o->transient, "logins", (int)o->logins, "requests",
	    (int)o->requests, "proxy", o->proxy, "ip", o->exit_ip));
	running--;
	start_more();
	maybe_done();
}

static json_t *
actions_for(const char *email)
{
	size_t	 i;

	for (i = 0; i < nplans; i++)
		if (strcmp(plans[i].email, email) == 0)
			return plans[i].actions;
	return default_actions;
}

static void
start_one(struct account *acct)
{
	static const struct sess_owner owner = { on_action, on_finished, NULL };
	json_t		*list = actions_for(acct->email), *it, *payload;
	struct action	*acts;
	size_t		 i, n = 0;
	char		 why[256];
	const char	*kind;

	acts = xcalloc(json_array_size(list) + 1, sizeof(*acts));
	json_array_foreach(list, i, it) {
		kind = json_string_value(json_object_get(it, "kind"));
		payload = json_deep_copy(it);
		json_object_del(payload, "kind");
		if (action_init(&acts[n], kind, payload, why, sizeof(why)) ==
		    -1) {
			out(json_pack("{s:s, s:s, s:i, s:s, s:s}", "type",
			    "action", "email", acct->email, "index", (int)i,
			    "status", "invalid", "reason", why));
			a_bad++;
		} else
			n++;
		json_decref(payload);
	}
	running++;
	session_start(env, acct, acts, n, &owner);
}

static void
start_more(void)
{
	while (next_acct < naccts && running < (size_t)max_running) {
		start_one(accts[next_acct]);
		accts[next_acct++] = NULL;
	}
}

static void
on_loaded(void *arg, int ok, struct account **list, size_t n, const char *err)
{
	(void)arg;
	if (!ok) {
		log_error("cannot load accounts: %s", err != NULL ? err : "?");
		failed_setup = 1;
		loop_stop();
		return;
	}
	accts = list;
	naccts = n;
	loaded = 1;
	log_info("%zu accounts loaded", n);
}

/* Start once the accounts are in and Redis (if any) is up or late. */
static void
on_wait(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	waited = loop_now_ms() - t0;

	(void)fd;
	(void)what;
	(void)arg;
	if (!loaded || (redis != NULL && !rds_is_up(redis) && waited < 3000)) {
		loop_timer_ms(wait_timer, 20);
		return;
	}
	started = 1;
	t0 = loop_now_ms();
	start_more();
	maybe_done();
}

static int
read_plan(const char *path)
{
	FILE		*fp;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	json_t		*j;
	json_error_t	 jerr;
	unsigned	 lineno = 0;

	if ((fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r")) == NULL) {
		fprintf(stderr, "sessdrive: %s: cannot open\n", path);
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (n <= 1)
			continue;
		if ((j = json_loads(line, 0, &jerr)) == NULL ||
		    !json_is_string(json_object_get(j, "email")) ||
		    !json_is_array(json_object_get(j, "actions"))) {
			fprintf(stderr, "sessdrive: %s:%u: expected {\"email\","
			    " \"actions\": [...]}\n", path, lineno);
			json_decref(j);
			free(line);
			return -1;
		}
		plans = xreallocarray(plans, nplans + 1, sizeof(*plans));
		plans[nplans].email = xstrdup(json_string_value(
		    json_object_get(j, "email")));
		plans[nplans].actions = json_incref(json_object_get(j,
		    "actions"));
		nplans++;
		json_decref(j);
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sessdrive -c CONFIG [-e EMAIL]... [-a ACTIONS]"
	    " [-p PLAN] [-n MAX]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct errlist	 errors;
	const char	*cfgpath = NULL, **emails = NULL;
	size_t		 nemails = 0, i;
	char		 err[256];
	json_error_t	 jerr;
	int		 ch, rc = 1;
	struct rusage	 ru;

	log_init("sessdrive");
	signal(SIGPIPE, SIG_IGN);
	{
		/* Thousands of sessions hold a few sockets each. */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <
		    rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	default_actions = json_array();
	while ((ch = getopt(argc, argv, "a:c:e:n:p:")) != -1) {
		switch (ch) {
		case 'a':
			json_decref(default_actions);
			if ((default_actions = json_loads(optarg, 0, &jerr)) ==
			    NULL || !json_is_array(default_actions)) {
				fprintf(stderr, "sessdrive: -a: not a JSON"
				    " array: %s\n", jerr.text);
				return 2;
			}
			break;
		case 'c':
			cfgpath = optarg;
			break;
		case 'e':
			emails = xreallocarray(emails, nemails + 1,
			    sizeof(*emails));
			emails[nemails++] = optarg;
			break;
		case 'n':
			max_running = atoi(optarg);
			if (max_running < 1)
				usage();
			break;
		case 'p':
			if (read_plan(optarg) == -1)
				return 2;
			break;
		default:
			usage();
		}
	}
	if (cfgpath == NULL)
		usage();
	memset(&errors, 0, sizeof(errors));
	if ((cfg = config_load(cfgpath, &errors)) == NULL) {
		for (i = 0; i < errors.count; i++)
			fprintf(stderr, "sessdrive: %s\n", errors.msgs[i]);
		return 2;
	}
	log_set_level(cfg->warmd.log_level);
	if (secret_key_load(cfg->accounts.key_file, &key, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "sessdrive: %s\n", err);
		return 2;
	}
	if (loop_init() != 0 || curl_global_init(CURL_GLOBAL_ALL) !=
	    CURLE_OK)
		return 1;
	{
		struct pg_opts po = {
			.conninfo = cfg->database.conninfo,
			/* One connection: the pool's FIFO then applies the
			 * writes in the order the actions ended, so a letter
			 * listed in Spam and then rescued ends up in Inbox. */
			.size = 1,
			.connect_timeout_ms = cfg->database.connect_timeout_ms,
			.statement_timeout_ms =
			    cfg->database.statement_timeout_ms,
			.queue_timeout_ms = 30000,
			.reconnect_min_ms = cfg->database.reconnect_min_ms,
			.reconnect_max_ms = cfg->database.reconnect_max_ms,
			.application_name = "sessdrive",
		};
		struct curlev_opts co = {
			.per_multi = cfg->http.sessions_per_multi,
		};
		struct rds_opts ro = {
			.address = cfg->redis.address,
			.password = cfg->redis.password,
			.db = cfg->redis.db,
			.connect_timeout_ms = cfg->redis.connect_timeout_ms,
			.command_timeout_ms = cfg->redis.command_timeout_ms,
			.reconnect_min_ms = 200,
			.reconnect_max_ms = 2000,
		};

		pg = pg_pool_new(loop_base(), &po);
		curl = curlev_new(loop_base(), &co);
		if (cfg->redis.enabled)
			redis = rds_new(loop_base(), &ro);
	}
	if (pg == NULL || curl == NULL || (cfg->redis.enabled &&
	    redis == NULL))
		return 1;
	if ((env = sess_env_new(cfg, curl, redis, &key, NULL, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "sessdrive: %s\n", err);
		return 2;
	}
	if (acctstore_load(pg, &key, emails, nemails, 1, on_loaded, NULL) ==
	    NULL)
		return 1;
	t0 = loop_now_ms();
	wait_timer = evtimer_new(loop_base(), on_wait, NULL);
	loop_timer_ms(wait_timer, 1);
	loop_run();
	if (!failed_setup) {
		getrusage(RUSAGE_SELF, &ru);
		out(json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:I, s:f, s:I,"
		    " s:i}", "type", "summary", "sessions", (int)(n_ok + n_bad),
		    "ok",
		    (int)n_ok, "failed", (int)n_bad, "actions_ok", (int)a_ok,
		    "actions_failed", (int)a_bad, "wall_ms",
		    (json_int_t)(loop_now_ms() - t0), "cpu_s",
		    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
		    "maxrss_kb", (json_int_t)ru.ru_maxrss, "peak_in_flight",
		    peak_in_flight));
		rc = 0;
	}
	for (i = next_acct; i < naccts; i++)
		account_free(accts[i]);
	free(accts);
	event_free(wait_timer);
	sess_env_free(env);
	curlev_free(curl);
	if (redis != NULL)
		rds_free(redis);
	pg_pool_free(pg);
	loop_free();
	curl_global_cleanup();
	for (i = 0; i < nplans; i++) {
		free(plans[i].email);
		json_decref(plans[i].actions);
	}
	free(plans);
	free(emails);
	json_decref(default_actions);
	secret_key_wipe(&key);
	config_free(cfg);
	errlist_clear(&errors);
	(void)started;
	return rc;
}
