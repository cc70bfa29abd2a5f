/*
 * libFuzzer target for config.c.  Any input must be loaded or rejected
 * without a crash; a rejected one must carry errors that name the file
 * (or, for campaigns, a campaign_dir file or a template, by absolute
 * path), and a loaded one must hold only values inside each key's range.
 * Campaigns need no template on disk: a rescue campaign has none, and a
 * missing template is just an error.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campcfg.h"
#include "config.h"
#include "errlist.h"
#include "xmalloc.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 dir[PATH_MAX];
static char	*conf_path;

/* Abort with the broken invariant, so libFuzzer keeps the input. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "invariant failed: %s\n", #cond);	\
		abort();						\
	}								\
} while (0)

#define IN(v, lo, hi)	CHECK((long long)(v) >= (lo) && (long long)(v) <= (hi))

#define SEC	1000LL
#define MINUTE	(60 * SEC)
#define HOUR	(60 * MINUTE)
#define DAY	(24 * HOUR)

static void
put(const char *name, const char *text)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0)
		abort();
	free(path);
}

static void
cleanup(void)
{
	static const char *const names[] = { "accounts.txt", "b.txt", "ua.txt",
	    "ca.pem" };
	char	*path;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path = xasprintf("%s/%s", dir, names[i]);
		unlink(path);
		free(path);
	}
	rmdir(dir);
	free(conf_path);
}

/* Files the seeds name, so inputs can get past the existence checks. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*t = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/fuzz_config.XXXXXX",
	    t != NULL ? t : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	put("accounts.txt", "a@mail.ru;pw;127.0.0.1:1080\n");
	put("b.txt", "b@mail.ru;pw;127.0.0.1:1080\n");
	put("ua.txt", "Mozilla/5.0\n");
	put("ca.pem", "\n");
	conf_path = xasprintf("%s/warmd.conf", dir);
	atexit(cleanup);
	return 0;
}

static int
absolute(const char *p)
{
	return p != NULL && p[0] == '/';
}

static void
no_change(const char *section, const char *key, void *arg)
{
	(void)section;
	(void)key;
	(void)arg;
	CHECK(!"a config differs from itself");
}

static void
check_config(const struct config *c)
{
	FILE	*fp;
	char	*out = NULL;
	size_t	 len = 0;

	CHECK(c->generation != 0);
	CHECK(c->path != NULL && strcmp(c->path, conf_path) == 0);

	CHECK(c->warmd.worker_name != NULL);
	IN(c->warmd.log_level, LL_ERROR, LL_DEBUG);
	CHECK(c->warmd.log_file == NULL || absolute(c->warmd.log_file));
	IN(c->warmd.grace_period_ms, 0, HOUR);
	CHECK(c->warmd.time_zone != NULL);
	CHECK(c->warmd.pid_file == NULL || absolute(c->warmd.pid_file));
	IN(c->warmd.max_sessions, 1, 100000);

	CHECK(c->database.conninfo != NULL);
	IN(c->database.pool_size, 1, 64);
	IN(c->database.connect_timeout_ms, 100, 5 * MINUTE);
	IN(c->database.statement_timeout_ms, 0, DAY);
	IN(c->database.reconnect_min_ms, 10, HOUR);
	IN(c->database.reconnect_max_ms, 10, HOUR);
	CHECK(c->database.reconnect_min_ms <= c->database.reconnect_max_ms);

	CHECK(c->redis.address != NULL);
	if (c->redis.enabled) {
		CHECK((c->redis.host != NULL) != (c->redis.unix_path != NULL));
		if (c->redis.host != NULL)
			IN(c->redis.port, 1, 65535);
		else
			CHECK(absolute(c->redis.unix_path));
	} else {
		CHECK(strcmp(c->redis.address, "none") == 0);
		CHECK(c->redis.host == NULL && c->redis.unix_path == NULL);
	}
	IN(c->redis.db, 0, 255);
	IN(c->redis.connect_timeout_ms, 10, MINUTE);
	IN(c->redis.command_timeout_ms, 10, MINUTE);
	IN(c->redis.session_ttl_ms, MINUTE, 30 * DAY);

	CHECK(c->accounts.nfiles >= 1 && c->accounts.files != NULL);
	for (size_t i = 0; i < c->accounts.nfiles; i++)
		CHECK(absolute(c->accounts.files[i]));
	CHECK(c->accounts.default_proxy_scheme != NULL);
	CHECK(absolute(c->accounts.key_file));
	CHECK(c->accounts.user_agents == NULL ||
	    absolute(c->accounts.user_agents));

	CHECK(c->admin.listen != NULL);
	if (c->admin.enabled) {
		CHECK(c->admin.host != NULL);
		IN(c->admin.port, 1, 65535);
	} else
		CHECK(strcmp(c->admin.listen, "off") == 0);

	CHECK(c->http.ca_file == NULL || absolute(c->http.ca_file));
	IN(c->http.connect_timeout_ms, 100, 10 * MINUTE);
	IN(c->http.timeout_ms, SEC, HOUR);
	CHECK(c->http.connect_timeout_ms <= c->http.timeout_ms);
	IN(c->http.sessions_per_multi, 1, 10000);
	CHECK((c->http.nresolve == 0) == (c->http.resolve == NULL));
	for (size_t i = 0; i < c->http.nresolve; i++)
		CHECK(c->http.resolve[i] != NULL && *c->http.resolve[i] != '\0');
	IN(c->http.max_body, 1024, 1024LL * 1024 * 1024);

	/* Campaigns: only the valid ones, each findable, params objects. */
	CHECK(c->campaigns != NULL);
	for (size_t i = 0; i < c->campaigns->n; i++) {
		const struct camp_def *d = &c->campaigns->defs[i];

		CHECK(d->name != NULL && d->kind != NULL && d->origin != NULL);
		CHECK(d->seed >= 0);
		CHECK(json_is_object(d->params));
		CHECK(json_is_string(json_object_get(d->params, "time_zone")));
		CHECK(camp_find(c->campaigns, d->name) == d);
		CHECK(camp_params_equal(d->params, d->params));
	}

	config_restart_changes(c, c, no_change, NULL);
	if ((fp = open_memstream(&out, &len)) == NULL)
		abort();
	config_dump(c, fp);
	fclose(fp);
	CHECK(strstr(out, "\n[http]\n") != NULL);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist	 el = { 0 };
	struct config	*cfg;

	cfg = config_load_buffer(conf_path, (const char *)data, size, &el);
	if (cfg == NULL) {
		CHECK(el.count > 0);
		for (size_t i = 0; i < el.count; i++)
			CHECK(strncmp(el.msgs[i], conf_path,
			    strlen(conf_path)) == 0 || el.msgs[i][0] == '/');
	} else {
		CHECK(el.count == 0);
		check_config(cfg);
		config_free(cfg);
	}
	errlist_clear(&el);
	return 0;
}
