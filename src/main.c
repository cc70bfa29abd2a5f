/*
 * warmd: start-up, signals and shutdown.
 *
 * Start-up order (as PgBouncer does it): arguments → config (fatal if the
 * first load fails) → limits → event loop → schema check → clients →
 * admin port → account lists → signals → READY.  Signals are libevent
 * events, so their handlers run in loop context and may do real work.
 */
#include "build.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "acctfile.h"
#include "admin.h"
#include "alert.h"
#include "campaign.h"
#include "campcfg.h"
#include "config.h"
#include "curlev.h"
#include "daemon.h"
#include "engine.h"
#include "figures.h"
#include "health.h"
#include "summary.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "pg.h"
#include "redis.h"
#include "schema.h"
#include "secret.h"
#include "status.h"
#include "xmalloc.h"

struct daemon daemon_state;

static const char	*config_path = WARMD_SYSCONFDIR "/warmd.conf";
static struct event	*sig_hup, *sig_term, *sig_int, *sig_usr1;
static struct event	*drain_timer, *grace_timer, *count_timer, *hard_timer;
static int		 stopping;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: warmd [-t] [-c FILE] [-V]\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -t       check the configuration and the account files it names, then exit\n"
	    "  -V       print the version and exit\n", config_path);
}

static void
print_errors(const struct errlist *el, const char *what)
{
	for (size_t i = 0; i < el->count; i++)
		fprintf(stderr, "warmd: %s%s\n", what, el->msgs[i]);
}

/* The -t mode: everything a reload would check, without touching any server. */
static int
check_only(void)
{
	struct errlist		 errs = { 0 }, warns = { 0 };
	struct acct_list	 list = { 0 };
	struct config		*cfg;
	struct secret_key	 key;
	char			 kerr[256];
	int			 bad = 0;

	if ((cfg = config_load(config_path, &errs)) == NULL) {
		print_errors(&errs, "");
		fprintf(stderr, "warmd: configuration file %s test failed\n",
		    config_path);
		errlist_clear(&errs);
		return 1;
	}
	for (size_t i = 0; i < cfg->accounts.nfiles; i++)
		if (acctfile_load(&list, cfg->accounts.files[i],
		    cfg->accounts.default_proxy_scheme, &errs, &warns) < 0)
			bad = 1;
	if (errs.count > 0)
		bad = 1;
	print_errors(&errs, "");
	print_errors(&warns, "warning: ");
	if (secret_key_load(cfg->accounts.key_file, &key, kerr,
	    sizeof(kerr)) < 0) {
		fprintf(stderr, "warmd: %s\n", kerr);
		bad = 1;
	} else
		secret_key_wipe(&key);
	for (size_t i = 0; cfg->campaigns != NULL && i < cfg->campaigns->n;
	    i++) {
		const struct camp_def *d = &cfg->campaigns->defs[i];

		fprintf(stderr, "warmd: campaign %s (%s%s) from %s\n", d->name,
		    d->kind, d->enabled ? "" : ", disabled", d->origin);
	}
	fprintf(stderr, "warmd: %zu accounts in %zu file(s), %zu line(s) rejected\n",
	    list.n, cfg->accounts.nfiles, errs.count);
	fprintf(stderr, "warmd: configuration file %s test %s\n", config_path,
	    bad ? "failed" : "is successful");
	acctlist_free(&list);
	errlist_clear(&errs);
	errlist_clear(&warns);
	config_free(cfg);
	return bad;
}

/* Raise the descriptor limit: every session holds sockets. */
static void
check_limits(const struct config *cfg)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	log_info("file descriptor limit %llu (max_sessions %d needs about %d)",
	    (unsigned long long)rl.rlim_cur, cfg->warmd.max_sessions,
	    cfg->warmd.max_sessions * 2 + 64);
	if (rl.rlim_cur < (rlim_t)cfg->warmd.max_sessions * 2 + 64)
		log_warn("file descriptor limit is low for max_sessions; raise LimitNOFILE");
}

static int
apply_logging(const struct config *cfg)
{
	log_set_level(cfg->warmd.log_level);
	if (log_set_file(cfg->warmd.log_file) < 0) {
		log_error("cannot open log file %s: %s", cfg->warmd.log_file,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Blocking, once, before the loop runs: refuse to start on an old schema. */
static int
check_schema(const struct config *cfg)
{
	PGconn	*conn;
	char	 msg[512], ci[64];
	int	 rc;

	snprintf(ci, sizeof(ci), "%u", cfg->database.connect_timeout_ms / 1000 ?
	    cfg->database.connect_timeout_ms / 1000 : 1);
	{
		const char *keys[] = { "dbname", "connect_timeout", NULL };
		const char *vals[] = { cfg->database.conninfo, ci, NULL };

		conn = PQconnectdbParams(keys, vals, 1);
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		/* The libpq message names host and port, never the password. */
		log_error("cannot connect to PostgreSQL: %s",
		    PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	rc = schema_check(conn, schema_sqldir(NULL), msg, sizeof(msg));
	PQfinish(conn);
	if (rc != 0) {
		log_error("%s", msg);
		return -1;
	}
	return 0;
}

static void
restart_key(const char *section, const char *key, void *arg)
{
	(void)arg;
	log_warn("config: %s.%s changed: this change requires a restart and is not applied",
	    section, key);
}

static void
reload(void)
{
	struct errlist	 errs = { 0 };
	struct config	*ncfg, *ocfg = daemon_state.cfg;

	log_info("reloading configuration %s", config_path);
	notify_reloading();
	errlist_clear(&daemon_state.reload.errors);
	daemon_state.reload.at = time(NULL);
	if ((ncfg = config_load(config_path, &errs)) == NULL ||
	    accounts_reload(ncfg, &errs) < 0) {
		for (size_t i = 0; i < errs.count; i++)
			log_error("reload: %s", errs.msgs[i]);
		log_error("reload failed: keeping configuration generation %u",
		    ocfg->generation);
		errlist_move(&daemon_state.reload.errors, &errs);
		daemon_state.reload.ok = 0;
		daemon_state.reload.total_failed++;
		config_free(ncfg);
		notify_ready();
		return;
	}
	config_restart_changes(ocfg, ncfg, restart_key, NULL);
	ncfg->generation = ocfg->generation + 1;
	daemon_state.cfg = ncfg;
	/* Sessions started under ocfg keep reading it: the engine frees it. */
	campaign_reconfigure(ncfg);
	alert_configure(ncfg, daemon_state.curl);
	figures_lag_alert(ncfg->alerts.queue_lag_ms);
	health_configure(ncfg, daemon_state.pg);
	summary_configure(ncfg, daemon_state.pg, engine_worker_id());
	engine_reconfigure(ncfg, ocfg);
	(void)apply_logging(ncfg);
	daemon_state.reload.ok = 1;
	daemon_state.reload.total_ok++;
	log_info("reload complete: configuration generation %u",
	    ncfg->generation);
	notify_status("running, config generation %u", ncfg->generation);
	notify_ready();
}

/* Work that a graceful stop waits for. */
static int
work_in_flight(void)
{
	return accounts_busy() || engine_busy() > 0;
}

static void
leases_released(void *arg)
{
	(void)arg;
	loop_stop();
}

static void
drain_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (!work_in_flight() && !stopping) {
		stopping = 1;
		log_info("in-flight work finished; stopping");
		engine_stop(leases_released, NULL);
	}
}

static void
hard_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	log_warn("stopping without waiting for the database any longer");
	loop_stop();
}

/*
 * Stop the sessions: their unfinished jobs go back to the queue as they
 * are reported; drain_check then gives the leases back.  The hard timer
 * covers a database that no longer answers.
 */
static void
abort_work(unsigned wait_ms)
{
	engine_abort();
	loop_timer_ms(hard_timer, wait_ms);
}

static void
grace_over(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	log_warn("grace period over: stopping in-flight sessions (their jobs go back to the queue)");
	abort_work(5000);
}

static void
begin_drain(const char *why)
{
	unsigned	ms = daemon_state.cfg->warmd.grace_period_ms;

	log_info("%s: stopping; no new work is taken, in-flight work has %u ms to finish",
	    why, ms);
	daemon_state.state = DAEMON_DRAINING;
	campaign_stop();
	engine_drain();
	notify_stopping();
	loop_timer_ms(grace_timer, ms);
	loop_timer_ms(drain_timer, 100);
	drain_check(-1, 0, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what; (void)arg;
	switch (sig) {
	case SIGHUP:
		if (daemon_state.state == DAEMON_RUNNING)
			reload();
		break;
	case SIGTERM:
	case SIGINT:
		if (daemon_state.state == DAEMON_DRAINING) {
			log_warn("second stop signal: stopping sessions now");
			abort_work(1000);
		} else
			begin_drain(sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	case SIGUSR1:
		if (log_reopen() < 0)
			log_error("cannot reopen log file: %s", strerror(errno));
		else
			log_info("log file reopened");
		break;
	}
}

static void
count_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	accounts_refresh_counts();
	figures_refresh(daemon_state.pg);
}

/*
 * A store lost for longer than [alerts] database_down_after is worth a
 * person's attention; a blip is not.  Its return is reported only when
 * its loss was.
 */
struct outage {
	const char	*name;
	struct event	*timer;
	time_t		 since;
	int		 down, alerted;
};

static struct outage pg_outage = { "PostgreSQL", NULL, 0, 0, 0 };
static struct outage redis_outage = { "Redis", NULL, 0, 0, 0 };

static void
outage_long(evutil_socket_t fd, short what, void *arg)
{
	struct outage	*o = arg;

	(void)fd; (void)what;
	o->alerted = 1;
	alert_raise(ALERT_DATABASE, "%s unreachable for %lld s",
	    o->name, (long long)(time(NULL) - o->since));
}

static void
outage_state(struct outage *o, int up)
{
	if (o->timer == NULL)
		o->timer = evtimer_new(loop_base(), outage_long, o);
	if (!up && !o->down) {
		o->down = 1;
		o->since = time(NULL);
		loop_timer_ms(o->timer,
		    daemon_state.cfg->alerts.database_down_after_ms);
	} else if (up && o->down) {
		o->down = 0;
		evtimer_del(o->timer);
		if (o->alerted)
			alert_raise(ALERT_DATABASE, "%s is back after %lld s",
			    o->name, (long long)(time(NULL) - o->since));
		o->alerted = 0;
	}
}

static void
outage_free(struct outage *o)
{
	if (o->timer != NULL)
		event_free(o->timer);
	o->timer = NULL;
}

static void
pg_state(void *arg, int up)
{
	(void)arg;
	outage_state(&pg_outage, up);
	/* Counts may be stale after an outage; ask again. */
	if (up) {
		accounts_refresh_counts();
		figures_refresh(daemon_state.pg);
	}
}

static void
redis_state(void *arg, int up)
{
	(void)arg;
	outage_state(&redis_outage, up);
}

static int
start_clients(const struct config *cfg)
{
	struct event_base	*base = loop_base();
	struct pg_opts		 po = {
		.conninfo = cfg->database.conninfo,
		.size = cfg->database.pool_size,
		.connect_timeout_ms = cfg->database.connect_timeout_ms,
		.statement_timeout_ms = cfg->database.statement_timeout_ms,
		.queue_timeout_ms = cfg->database.statement_timeout_ms,
		.reconnect_min_ms = cfg->database.reconnect_min_ms,
		.reconnect_max_ms = cfg->database.reconnect_max_ms,
		.application_name = "warmd",
	};
	struct curlev_opts	 co = {
		.per_multi = cfg->http.sessions_per_multi,
	};
	char			 err[256];

	if ((daemon_state.pg = pg_pool_new(base, &po)) == NULL) {
		log_error("cannot create the PostgreSQL pool");
		return -1;
	}
	pg_set_state_cb(daemon_state.pg, pg_state, NULL);
	if (cfg->redis.enabled) {
		struct rds_opts ro = {
			.address = cfg->redis.address,
			.password = cfg->redis.password,
			.db = cfg->redis.db,
			.connect_timeout_ms = cfg->redis.connect_timeout_ms,
			.command_timeout_ms = cfg->redis.command_timeout_ms,
			.reconnect_min_ms = 200,
			.reconnect_max_ms = 10000,
		};
		if ((daemon_state.redis = rds_new(base, &ro)) == NULL) {
			log_error("cannot create the Redis client for %s",
			    cfg->redis.address);
			return -1;
		}
	} else
		log_info("redis disabled by configuration; sessions are not cached");
	if ((daemon_state.curl = curlev_new(base, &co)) == NULL) {
		log_error("cannot create the HTTP engine");
		return -1;
	}
	alert_configure(cfg, daemon_state.curl);
	figures_lag_alert(cfg->alerts.queue_lag_ms);
	health_configure(cfg, daemon_state.pg);
	if (daemon_state.redis != NULL)
		rds_set_state_cb(daemon_state.redis, redis_state, NULL);
	if (cfg->admin.enabled) {
		daemon_state.admin = admin_new(base, cfg->admin.host,
		    cfg->admin.port, err, sizeof(err));
		if (daemon_state.admin == NULL) {
			log_error("admin: %s", err);
			return -1;
		}
		admin_route(daemon_state.admin, "/status", "application/json",
		    status_render_json, NULL);
		admin_route(daemon_state.admin, "/metrics",
		    "text/plain; version=0.0.4", status_render_metrics, NULL);
		log_info("admin HTTP on %s:%d", cfg->admin.host,
		    admin_port(daemon_state.admin));
	}
	return 0;
}

static void
stop_clients(void)
{
	campaign_stop();
	engine_free();
	health_shutdown();
	summary_shutdown();
	alert_shutdown();
	outage_free(&pg_outage);
	outage_free(&redis_outage);
	accounts_shutdown();
	figures_shutdown();
	admin_free(daemon_state.admin);
	if (daemon_state.curl != NULL)
		curlev_free(daemon_state.curl);
	if (daemon_state.redis != NULL)
		rds_free(daemon_state.redis);
	if (daemon_state.pg != NULL)
		pg_pool_free(daemon_state.pg);
	daemon_state.admin = NULL;
	daemon_state.curl = NULL;
	daemon_state.redis = NULL;
	daemon_state.pg = NULL;
}

static void
add_signals(struct event_base *base)
{
	sig_hup = evsignal_new(base, SIGHUP, on_signal, NULL);
	sig_term = evsignal_new(base, SIGTERM, on_signal, NULL);
	sig_int = evsignal_new(base, SIGINT, on_signal, NULL);
	sig_usr1 = evsignal_new(base, SIGUSR1, on_signal, NULL);
	event_add(sig_hup, NULL);
	event_add(sig_term, NULL);
	event_add(sig_int, NULL);
	event_add(sig_usr1, NULL);
	drain_timer = event_new(base, -1, EV_PERSIST, drain_check, NULL);
	grace_timer = evtimer_new(base, grace_over, NULL);
	count_timer = event_new(base, -1, EV_PERSIST, count_tick, NULL);
	hard_timer = evtimer_new(base, hard_stop, NULL);
}

static void
free_events(void)
{
	struct event	**evs[] = { &sig_hup, &sig_term, &sig_int, &sig_usr1,
	    &drain_timer, &grace_timer, &count_timer, &hard_timer };

	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		if (*evs[i] != NULL)
			event_free(*evs[i]);
		*evs[i] = NULL;
	}
}

static int
write_pidfile(const char *path)
{
	FILE	*fp;

	if (path == NULL)
		return 0;
	if ((fp = fopen(path, "w")) == NULL) {
		log_error("cannot write pid file %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(fp, "%d\n", (int)getpid());
	fclose(fp);
	return 0;
}

int
main(int argc, char **argv)
{
	struct errlist	 errs = { 0 };
	int		 ch, test = 0, rc = 1;
	sigset_t	 set;

	log_init("warmd");
	while ((ch = getopt(argc, argv, "c:htV")) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("warmd %s (%s)\n", PACKAGE_VERSION, curl_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (test)
		return check_only();

	/* OpenSSL writes on a closed socket must not kill the daemon. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if ((daemon_state.cfg = config_load(config_path, &errs)) == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			log_error("%s", errs.msgs[i]);
		log_error("cannot start: configuration %s is invalid", config_path);
		errlist_clear(&errs);
		return 1;
	}
	daemon_state.reload.ok = -1;
	daemon_state.accounts.sync_ok = -1;
	daemon_state.started_at = time(NULL);
	if (apply_logging(daemon_state.cfg) < 0)
		goto out_cfg;
	log_info("warmd %s starting (config %s, worker %s; %s)", PACKAGE_VERSION,
	    daemon_state.cfg->path, daemon_state.cfg->warmd.worker_name,
	    curl_version());
	check_limits(daemon_state.cfg);
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
		log_error("curl_global_init failed");
		goto out_cfg;
	}
	if (loop_init() < 0) {
		log_error("cannot create the event loop");
		goto out_curl;
	}
	daemon_state.started_ms = loop_now_ms();
	if (check_schema(daemon_state.cfg) < 0)
		goto out_loop;
	if (start_clients(daemon_state.cfg) < 0)
		goto out_clients;
	if (accounts_reload(daemon_state.cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.count; i++)
			log_error("%s", errs.msgs[i]);
		errlist_clear(&errs);
		goto out_clients;
	}
	{
		char why[256];

		if (engine_start(daemon_state.cfg, daemon_state.pg,
		    daemon_state.redis, daemon_state.curl, why,
		    sizeof(why)) < 0) {
			log_error("jobs: %s", why);
			goto out_clients;
		}
	}
	campaign_start(daemon_state.cfg, daemon_state.pg);
	summary_configure(daemon_state.cfg, daemon_state.pg, engine_worker_id());
	if (write_pidfile(daemon_state.cfg->warmd.pid_file) < 0)
		goto out_clients;
	add_signals(loop_base());
	loop_timer_ms(count_timer, 5000);
	daemon_state.state = DAEMON_RUNNING;
	notify_status("running, config generation %u",
	    daemon_state.cfg->generation);
	notify_ready();
	log_info("ready");

	rc = loop_run() < 0 ? 1 : 0;
	log_info("stopped");
	if (daemon_state.cfg->warmd.pid_file != NULL)
		unlink(daemon_state.cfg->warmd.pid_file);
out_clients:
	stop_clients();
	free_events();
out_loop:
	loop_free();
out_curl:
	curl_global_cleanup();
out_cfg:
	errlist_clear(&daemon_state.reload.errors);
	config_free(daemon_state.cfg);
	log_close();
	return rc;
}
