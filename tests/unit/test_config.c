/*
 * Unit tests for config.c: each test writes a config into a temporary
 * directory, loads it and checks the values or the exact errors reported.
 */
/* nftw() */
#define _XOPEN_SOURCE 700

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "errlist.h"
#include "xmalloc.h"

static char	 tmpdir[PATH_MAX];
static char	 conf_path[PATH_MAX + 32];

/* Write text to tmpdir/name (creating one level of subdirectory). */
static char *
put_file(const char *name, const char *text, size_t len)
{
	char	*path = xasprintf("%s/%s", tmpdir, name), *slash;
	FILE	*fp;

	slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0700);
	*slash = '/';
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static void
put(const char *name, const char *text)
{
	free(put_file(name, text, strlen(text)));
}

static void
dump_errors(const struct errlist *el)
{
	for (size_t i = 0; i < el->count; i++)
		print_message("  error: %s\n", el->msgs[i]);
}

/* Load text as tmpdir/warmd.conf. */
static struct config *
load_text(const char *text, struct errlist *el)
{
	put("warmd.conf", text);
	return config_load(conf_path, el);
}

/* Load text and insist that it is valid. */
static struct config *
load_ok(const char *text)
{
	struct errlist	 el = { 0 };
	struct config	*cfg;

	cfg = load_text(text, &el);
	if (cfg == NULL || el.count != 0) {
		dump_errors(&el);
		fail_msg("config rejected");
	}
	errlist_clear(&el);
	return cfg;
}

/* True when some error starts with "conf:line: key" and contains text. */
static int
has_error(const struct errlist *el, unsigned line, const char *key,
    const char *text)
{
	char	 prefix[PATH_MAX + 200];

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%u: %s", conf_path, line,
		    key != NULL ? key : "");
	else
		snprintf(prefix, sizeof(prefix), "%s: %s", conf_path,
		    key != NULL ? key : "");
	for (size_t i = 0; i < el->count; i++)
		if (strncmp(el->msgs[i], prefix, strlen(prefix)) == 0 &&
		    (text == NULL || strstr(el->msgs[i], text) != NULL))
			return 1;
	return 0;
}

static void
expect_error(const struct errlist *el, unsigned line, const char *key,
    const char *text)
{
	if (!has_error(el, line, key, text)) {
		dump_errors(el);
		fail_msg("no error at line %u for %s containing \"%s\"", line,
		    key ? key : "(none)", text ? text : "");
	}
}

/* Load text expecting failure with exactly n errors. */
static void
load_bad(const char *text, size_t n, struct errlist *el)
{
	struct config	*cfg;

	cfg = load_text(text, el);
	assert_null(cfg);
	if (el->count != n) {
		dump_errors(el);
		fail_msg("expected %zu errors, got %zu", n, el->count);
	}
}

#define ACCOUNTS	"[accounts]\nfiles = accounts.txt\n"

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	const char	*t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_config.XXXXXX",
	    t != NULL ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/warmd.conf", tmpdir);
	put("accounts.txt", "a@mail.ru;pw;127.0.0.1:1080\n");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_defaults(void **state)
{
	struct config	*cfg;
	char		 host[256], *acc;

	(void)state;
	cfg = load_ok(ACCOUNTS);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	assert_string_equal(cfg->path, conf_path);
	assert_true(cfg->generation > 0);
	assert_string_equal(cfg->warmd.worker_name, host);
	assert_int_equal(cfg->warmd.log_level, LL_INFO);
	assert_null(cfg->warmd.log_file);
	assert_int_equal(cfg->warmd.grace_period_ms, 30000);
	assert_string_equal(cfg->warmd.time_zone, "Europe/Moscow");
	assert_null(cfg->warmd.pid_file);
	assert_int_equal(cfg->warmd.max_sessions, 2000);

	assert_string_equal(cfg->database.conninfo, "dbname=warmd");
	assert_int_equal(cfg->database.pool_size, 4);
	assert_int_equal(cfg->database.connect_timeout_ms, 5000);
	assert_int_equal(cfg->database.statement_timeout_ms, 30000);
	assert_int_equal(cfg->database.reconnect_min_ms, 500);
	assert_int_equal(cfg->database.reconnect_max_ms, 30000);

	assert_string_equal(cfg->redis.address, "127.0.0.1:6379");
	assert_true(cfg->redis.enabled);
	assert_string_equal(cfg->redis.host, "127.0.0.1");
	assert_int_equal(cfg->redis.port, 6379);
	assert_null(cfg->redis.unix_path);
	assert_null(cfg->redis.password);
	assert_int_equal(cfg->redis.db, 0);
	assert_int_equal(cfg->redis.connect_timeout_ms, 2000);
	assert_int_equal(cfg->redis.command_timeout_ms, 2000);
	assert_string_equal(cfg->redis.key_prefix, "warmd:");
	assert_int_equal(cfg->redis.session_ttl_ms, 7u * 86400 * 1000);

	acc = xasprintf("%s/accounts.txt", tmpdir);
	assert_int_equal(cfg->accounts.nfiles, 1);
	assert_string_equal(cfg->accounts.files[0], acc);
	free(acc);
	assert_string_equal(cfg->accounts.default_proxy_scheme, "http");
	assert_null(cfg->accounts.fallback_proxy);
	assert_string_equal(cfg->accounts.key_file, "/etc/warmd/secret.key");
	assert_null(cfg->accounts.user_agents);

	assert_string_equal(cfg->admin.listen, "127.0.0.1:8425");
	assert_true(cfg->admin.enabled);
	assert_string_equal(cfg->admin.host, "127.0.0.1");
	assert_int_equal(cfg->admin.port, 8425);

	assert_null(cfg->http.ca_file);
	assert_int_equal(cfg->http.connect_timeout_ms, 10000);
	assert_int_equal(cfg->http.timeout_ms, 60000);
	assert_int_equal(cfg->http.sessions_per_multi, 100);
	assert_int_equal(cfg->http.nresolve, 0);
	assert_null(cfg->http.resolve);
	assert_int_equal(cfg->http.max_body, 4 * 1024 * 1024);
	config_free(cfg);
}

static void
test_parse_duration(void **state)
{
	unsigned	 ms;

	(void)state;
	assert_int_equal(config_parse_duration("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(config_parse_duration("30s", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(config_parse_duration("30", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(config_parse_duration("5m", &ms), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(config_parse_duration("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(config_parse_duration("7d", &ms), 0);
	assert_int_equal(ms, 604800000);
	assert_int_equal(config_parse_duration("0", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(config_parse_duration("4294967295ms", &ms), 0);
	assert_int_equal(ms, 4294967295u);

	assert_int_equal(config_parse_duration("", &ms), -1);
	assert_int_equal(config_parse_duration("s", &ms), -1);
	assert_int_equal(config_parse_duration("-1s", &ms), -1);
	assert_int_equal(config_parse_duration(" 1s", &ms), -1);
	assert_int_equal(config_parse_duration("1 s", &ms), -1);
	assert_int_equal(config_parse_duration("1.5s", &ms), -1);
	assert_int_equal(config_parse_duration("1w", &ms), -1);
	assert_int_equal(config_parse_duration("1sec", &ms), -1);
	assert_int_equal(config_parse_duration("1h30m", &ms), -1);
	assert_int_equal(config_parse_duration("50d", &ms), -1);
	assert_int_equal(config_parse_duration("4294967296ms", &ms), -1);
	assert_int_equal(config_parse_duration("99999999999999999999999", &ms),
	    -1);
}

static void
test_parse_bool(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES" };
	static const char *const no[] = { "no", "false", "off", "0", "Off" };
	static const char *const bad[] = { "", "y", "2", "enable", "yes " };
	int	 v;

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		v = -1;
		assert_int_equal(config_parse_bool(yes[i], &v), 0);
		assert_int_equal(v, 1);
		assert_int_equal(config_parse_bool(no[i], &v), 0);
		assert_int_equal(v, 0);
		assert_int_equal(config_parse_bool(bad[i], &v), -1);
	}
}

static void
test_parse_bytes(void **state)
{
	size_t	 n;

	(void)state;
	assert_int_equal(config_parse_bytes("65536", &n), 0);
	assert_int_equal(n, 65536);
	assert_int_equal(config_parse_bytes("512k", &n), 0);
	assert_int_equal(n, 512 * 1024);
	assert_int_equal(config_parse_bytes("512K", &n), 0);
	assert_int_equal(n, 512 * 1024);
	assert_int_equal(config_parse_bytes("4M", &n), 0);
	assert_int_equal(n, 4 * 1024 * 1024);
	assert_int_equal(config_parse_bytes("1G", &n), 0);
	assert_int_equal(n, 1024 * 1024 * 1024);

	assert_int_equal(config_parse_bytes("", &n), -1);
	assert_int_equal(config_parse_bytes("M", &n), -1);
	assert_int_equal(config_parse_bytes("4MB", &n), -1);
	assert_int_equal(config_parse_bytes("4m", &n), -1);
	assert_int_equal(config_parse_bytes("-4", &n), -1);
	assert_int_equal(config_parse_bytes("4 M", &n), -1);
	assert_int_equal(config_parse_bytes("99999999999999999999G", &n), -1);
	assert_int_equal(config_parse_bytes("18446744073709551615G", &n), -1);
}

/* Typed values through the file: good forms convert, bad ones are named. */
static void
test_typed_values(void **state)
{
	struct config	*cfg;
	struct errlist	 el = { 0 };

	(void)state;
	cfg = load_ok(ACCOUNTS
	    "[warmd]\n"
	    "log_level = debug\n"
	    "grace_period = 0\n"
	    "max_sessions = 100000\n"
	    "time_zone = UTC\n"
	    "[database]\n"
	    "statement_timeout = 0s\n"
	    "reconnect_min = 10ms\n"
	    "reconnect_max = 1h\n"
	    "[redis]\n"
	    "key_prefix =\n"
	    "session_ttl = 30d\n"
	    "[http]\n"
	    "max_body = 1k\n"
	    "resolve = e.mail.ru:443:192.0.2.1 , a.mail.ru:443:[2001:db8::1],"
	    "b.mail.ru:80:2001:db8::2\n");
	assert_int_equal(cfg->warmd.log_level, LL_DEBUG);
	assert_int_equal(cfg->warmd.grace_period_ms, 0);
	assert_int_equal(cfg->warmd.max_sessions, 100000);
	assert_string_equal(cfg->warmd.time_zone, "UTC");
	assert_int_equal(cfg->database.statement_timeout_ms, 0);
	assert_int_equal(cfg->database.reconnect_min_ms, 10);
	assert_int_equal(cfg->database.reconnect_max_ms, 3600000);
	assert_null(cfg->redis.key_prefix);
	assert_int_equal(cfg->redis.session_ttl_ms, 30u * 86400000u);
	assert_int_equal(cfg->http.max_body, 1024);
	assert_int_equal(cfg->http.nresolve, 3);
	assert_string_equal(cfg->http.resolve[0], "e.mail.ru:443:192.0.2.1");
	assert_string_equal(cfg->http.resolve[1],
	    "a.mail.ru:443:[2001:db8::1]");
	assert_string_equal(cfg->http.resolve[2], "b.mail.ru:80:2001:db8::2");
	config_free(cfg);

	load_bad(ACCOUNTS			/* lines 1-2 */
	    "[warmd]\n"				/* 3 */
	    "log_level = loud\n"		/* 4 */
	    "grace_period = 2h\n"		/* 5 */
	    "max_sessions = 0\n"		/* 6 */
	    "time_zone = Mars/Olympus\n"	/* 7 */
	    "[database]\n"			/* 8 */
	    "pool_size = four\n"		/* 9 */
	    "connect_timeout = 5 s\n"		/* 10 */
	    "statement_timeout = 1w\n"		/* 11 */
	    "[redis]\n"				/* 12 */
	    "db = 99999999999999999999\n"	/* 13 */
	    "session_ttl = 31d\n"		/* 14 */
	    "key_prefix = a b\n"		/* 15 */
	    "[http]\n"				/* 16 */
	    "max_body = 2G\n"			/* 17 */
	    "sessions_per_multi = 1e3\n"	/* 18 */
	    "resolve = a:1:1.2.3.4,,b:2:[::1]\n"	/* 19 */
	    "[accounts]\n"			/* 20 */
	    "default_proxy_scheme = ftp\n",	/* 21 */
	    14, &el);
	expect_error(&el, 4, "warmd.log_level", "\"loud\"");
	expect_error(&el, 5, "warmd.grace_period", "out of range 0s-1h");
	expect_error(&el, 6, "warmd.max_sessions", "out of range 1-100000");
	expect_error(&el, 7, "warmd.time_zone", "unknown time zone");
	expect_error(&el, 9, "database.pool_size", "not an integer");
	expect_error(&el, 10, "database.connect_timeout", "not a duration");
	expect_error(&el, 11, "database.statement_timeout", "not a duration");
	expect_error(&el, 13, "redis.db", "not an integer");
	expect_error(&el, 14, "redis.session_ttl", "out of range 1m-30d");
	expect_error(&el, 15, "redis.key_prefix", "blanks");
	expect_error(&el, 17, "http.max_body", "out of range 1k-1G");
	expect_error(&el, 18, "http.sessions_per_multi", "not an integer");
	expect_error(&el, 19, "http.resolve", "empty item");
	expect_error(&el, 21, "accounts.default_proxy_scheme", "socks5h");
	/* The [accounts] section appears twice; files is set once: fine. */
	errlist_clear(&el);

	load_bad(ACCOUNTS "[warmd]\ntime_zone = ../../etc/passwd\n", 1, &el);
	expect_error(&el, 4, "warmd.time_zone", "not a zone name");
	errlist_clear(&el);

	load_bad(ACCOUNTS "[warmd]\nworker_name = host name\n", 1, &el);
	expect_error(&el, 4, "warmd.worker_name", "letters, digits");
	errlist_clear(&el);

	/* Found by fuzzing: an empty name once gave a NULL worker_name. */
	load_bad(ACCOUNTS "[warmd]\nworker_name =\n", 1, &el);
	expect_error(&el, 4, "warmd.worker_name", "must not be empty");
	errlist_clear(&el);

	load_bad(ACCOUNTS "[http]\nresolve = host:99999:1.2.3.4, h:1:nohost,"
	    " h:1\n", 3, &el);
	expect_error(&el, 4, "http.resolve", "bad host or port");
	expect_error(&el, 4, "http.resolve", "must be an IP address");
	expect_error(&el, 4, "http.resolve", "expected host:port:address");
	errlist_clear(&el);
}

static void
test_addresses(void **state)
{
	struct config	*cfg;
	struct errlist	 el = { 0 };

	(void)state;
	cfg = load_ok(ACCOUNTS "[redis]\naddress = none\n[admin]\nlisten = off\n");
	assert_false(cfg->redis.enabled);
	assert_null(cfg->redis.host);
	assert_false(cfg->admin.enabled);
	assert_null(cfg->admin.host);
	config_free(cfg);

	cfg = load_ok(ACCOUNTS "[redis]\naddress = /run/redis/redis.sock\n"
	    "[admin]\nlisten = [::1]:9000\n");
	assert_true(cfg->redis.enabled);
	assert_null(cfg->redis.host);
	assert_string_equal(cfg->redis.unix_path, "/run/redis/redis.sock");
	assert_string_equal(cfg->admin.host, "::1");
	assert_int_equal(cfg->admin.port, 9000);
	config_free(cfg);

	cfg = load_ok(ACCOUNTS "[redis]\naddress = [2001:db8::5]:6380\n"
	    "[admin]\nlisten = 127.0.0.2:1\n");
	assert_string_equal(cfg->redis.host, "2001:db8::5");
	assert_int_equal(cfg->redis.port, 6380);
	assert_string_equal(cfg->admin.host, "127.0.0.2");
	config_free(cfg);

	load_bad(ACCOUNTS "[redis]\naddress = localhost:6379\n", 1, &el);
	expect_error(&el, 4, "redis.address", "IP address, not a name");
	errlist_clear(&el);
	load_bad(ACCOUNTS "[redis]\naddress = ::1:6379\n", 1, &el);
	expect_error(&el, 4, "redis.address", "brackets");
	errlist_clear(&el);
	load_bad(ACCOUNTS "[redis]\naddress = 10.0.0.1:0\n", 1, &el);
	expect_error(&el, 4, "redis.address", "port must be 1-65535");
	errlist_clear(&el);
	load_bad(ACCOUNTS "[redis]\naddress = 10.0.0.1\n", 1, &el);
	expect_error(&el, 4, "redis.address", "expected address:port");
	errlist_clear(&el);

	load_bad(ACCOUNTS "[admin]\nlisten = 0.0.0.0:8425\n", 1, &el);
	expect_error(&el, 4, "admin.listen", "loopback");
	errlist_clear(&el);
	load_bad(ACCOUNTS "[admin]\nlisten = [::]:8425\n", 1, &el);
	expect_error(&el, 4, "admin.listen", "loopback");
	errlist_clear(&el);
	load_bad(ACCOUNTS "[admin]\nlisten = localhost:8425\n", 1, &el);
	expect_error(&el, 4, "admin.listen", "not a name");
	errlist_clear(&el);
	load_bad(ACCOUNTS "[admin]\nlisten =\n", 1, &el);
	expect_error(&el, 4, "admin.listen", "must not be empty");
	errlist_clear(&el);
}

static void
test_proxy_and_conninfo(void **state)
{
	static const char *const good[] = {
		"http://192.0.2.1:3128",
		"https://proxy.example.net:443",
		"socks5://u:p@192.0.2.1:1080",
		"socks5h://user:p@ss@host-1.example:1080",
		"http://[2001:db8::1]:8080",
	};
	static const char *const bad[] = {
		"192.0.2.1:3128",
		"ftp://192.0.2.1:21",
		"http://192.0.2.1",
		"http://192.0.2.1:0",
		"http://192.0.2.1:65536",
		"http://:p@192.0.2.1:80",
		"http://user@192.0.2.1:80",
		"http://bad_host!:80",
		"http://[::1:80",
	};
	struct config	*cfg;
	struct errlist	 el = { 0 };
	char		*text;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		text = xasprintf(ACCOUNTS "fallback_proxy = %s\n", good[i]);
		cfg = load_ok(text);
		assert_string_equal(cfg->accounts.fallback_proxy, good[i]);
		config_free(cfg);
		free(text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = xasprintf(ACCOUNTS "fallback_proxy = %s\n", bad[i]);
		load_bad(text, 1, &el);
		expect_error(&el, 3, "accounts.fallback_proxy", NULL);
		/* Never echo a proxy value: it may carry credentials. */
		assert_null(strstr(el.msgs[0], bad[i]));
		errlist_clear(&el);
		free(text);
	}

	cfg = load_ok(ACCOUNTS "[database]\nconninfo = host=/run/postgresql "
	    "dbname=w user=w\n");
	config_free(cfg);
	cfg = load_ok(ACCOUNTS "[database]\n"
	    "conninfo = postgresql://w@127.0.0.1:5433/w\n");
	config_free(cfg);
	cfg = load_ok(ACCOUNTS "[database]\nconninfo = host=db.example "
	    "hostaddr=192.0.2.9 dbname=w\n");
	config_free(cfg);

	load_bad(ACCOUNTS "[database]\nconninfo = host=db.example dbname=w\n",
	    1, &el);
	expect_error(&el, 4, "database.conninfo", "blocking DNS");
	errlist_clear(&el);
	load_bad(ACCOUNTS "[database]\nconninfo = password=Zq9secret bogus\n",
	    1, &el);
	expect_error(&el, 4, "database.conninfo", "not a valid libpq");
	assert_null(strstr(el.msgs[0], "Zq9secret"));
	errlist_clear(&el);
	load_bad(ACCOUNTS "[database]\nconninfo = nosuchoption=1\n", 1, &el);
	expect_error(&el, 4, "database.conninfo", NULL);
	errlist_clear(&el);
}

static void
test_unknown(void **state)
{
	struct errlist	 el = { 0 };

	(void)state;
	load_bad(ACCOUNTS			/* 1-2 */
	    "\n"				/* 3 */
	    "[warmd]\n"				/* 4 */
	    "log_levle = debug\n"		/* 5 */
	    "[reddis]\n"			/* 6 */
	    "address = 1.2.3.4:5\n"		/* 7: not reported again */
	    "[http]\n"				/* 8 */
	    "timeout = 15s\n"			/* 9 */
	    "password = x\n",			/* 10 */
	    3, &el);
	expect_error(&el, 5, "warmd.log_levle", "unknown key");
	expect_error(&el, 6, "[reddis]", "unknown section");
	expect_error(&el, 10, "http.password", "unknown key");
	errlist_clear(&el);

	load_bad("pool_size = 3\n" ACCOUNTS, 1, &el);
	expect_error(&el, 1, "pool_size", "outside of any [section]");
	errlist_clear(&el);
}

static void
test_duplicate(void **state)
{
	struct errlist	 el = { 0 };

	(void)state;
	load_bad(ACCOUNTS "[warmd]\nmax_sessions = 5\n[http]\ntimeout = 19s\n"
	    "[warmd]\nmax_sessions = 6\n", 1, &el);
	expect_error(&el, 8, "warmd.max_sessions",
	    "duplicate key (first set at line 4)");
	errlist_clear(&el);
}

/* A line inih would cut at 199 bytes is reported, not misparsed. */
static void
test_long_line(void **state)
{
	struct config	*cfg;
	struct errlist	 el = { 0 };
	char		 line[512], *text;
	size_t		 n;

	(void)state;
	/* "log_file = /" + padding: exactly 199 bytes is accepted. */
	n = (size_t)snprintf(line, sizeof(line), "log_file = /");
	memset(line + n, 'a', 199 - n);
	line[199] = '\0';
	text = xasprintf(ACCOUNTS "[warmd]\n%s\nmax_sessions = 7\n", line);
	cfg = load_ok(text);
	assert_int_equal(strlen(cfg->warmd.log_file), 199 - 11);
	assert_int_equal(cfg->warmd.max_sessions, 7);
	config_free(cfg);
	free(text);

	/* 200 bytes and more: one error at that line, the next line fine. */
	memset(line + n, 'a', 260 - n);
	/* Where inih would split, put something that parses as a key. */
	memcpy(line + 199, "max_sessions = 9", 16);
	line[260] = '\0';
	text = xasprintf(ACCOUNTS "[warmd]\n%s\r\nlog_level = warn\n", line);
	load_bad(text, 1, &el);
	expect_error(&el, 4, NULL, "line is 260 bytes long; the limit is 199");
	free(text);
	errlist_clear(&el);

	line[200] = '\0';
	text = xasprintf(ACCOUNTS "[warmd]\n%s\n", line);
	load_bad(text, 1, &el);
	expect_error(&el, 4, NULL, "200 bytes long");
	free(text);
	errlist_clear(&el);
}

static void
test_indented(void **state)
{
	struct errlist	 el = { 0 };
	struct config	*cfg;

	(void)state;
	load_bad(ACCOUNTS "[warmd]\nlog_level = debug\n   info\n"
	    "\tmax_sessions = 3\n  [redis]\n", 3, &el);
	expect_error(&el, 5, NULL, "indented line; continuation lines");
	expect_error(&el, 6, NULL, "indented line");
	expect_error(&el, 7, NULL, "indented line");
	errlist_clear(&el);

	/* Indented comments and blank lines with spaces are harmless. */
	cfg = load_ok(ACCOUNTS "[warmd]\nlog_level = debug\n   ; note\n"
	    "  \t\n\t# note\n");
	assert_int_equal(cfg->warmd.log_level, LL_DEBUG);
	config_free(cfg);
}

static void
test_syntax(void **state)
{
	struct errlist	 el = { 0 };
	struct config	*cfg;
	char		*path;

	(void)state;
	load_bad(ACCOUNTS			/* 1-2 */
	    "[warmd\n"				/* 3 */
	    "log_level = debug\n"		/* 4: section unknown, skipped */
	    "[http] timeout = 5s\n"		/* 5 */
	    "just some words\n"			/* 6 */
	    "= 5\n"				/* 7 */
	    "[redis]\n"				/* 8 */
	    "password = a #b\n"			/* 9 */
	    "key_prefix = a\001b\n",		/* 10 */
	    6, &el);
	expect_error(&el, 3, NULL, "without ']'");
	expect_error(&el, 5, NULL, "unexpected text after ']'");
	expect_error(&el, 6, NULL, "expected key = value");
	expect_error(&el, 7, NULL, "missing key");
	expect_error(&el, 9, "redis.password", "'#'");
	expect_error(&el, 10, "redis.key_prefix", "control character");
	errlist_clear(&el);

	/* NUL bytes are reported at their line. */
	path = put_file("warmd.conf", ACCOUNTS "[warmd]\nlog_le\0vel = x\n",
	    sizeof(ACCOUNTS "[warmd]\nlog_le\0vel = x\n") - 1);
	assert_null(config_load(path, &el));
	free(path);
	assert_int_equal(el.count, 1);
	expect_error(&el, 4, NULL, "NUL byte");
	errlist_clear(&el);

	/* " ;" starts a comment after a value; CRLF and a BOM are fine. */
	cfg = load_ok("\xef\xbb\xbf[warmd]\r\nlog_level = warn ; quieter\r\n"
	    "worker_name=w1 ;x\r\n" ACCOUNTS);
	assert_string_equal(cfg->warmd.worker_name, "w1");
	assert_int_equal(cfg->warmd.log_level, LL_WARN);
	config_free(cfg);

	load_bad("", 1, &el);
	expect_error(&el, 0, "accounts.files", "required");
	errlist_clear(&el);

	load_bad("[accounts]\nfiles =\n", 1, &el);
	expect_error(&el, 2, "accounts.files", "must not be empty");
	errlist_clear(&el);
}

static void
test_many_errors(void **state)
{
	struct errlist	 el = { 0 };

	(void)state;
	errlist_add(&el, NULL, 0, NULL, "an earlier error");
	assert_null(load_text(			/* lines */
	    "[warmd]\n"				/* 1 */
	    "max_sessions = -1\n"		/* 2 */
	    "nope = 1\n"			/* 3 */
	    "[database]\n"			/* 4 */
	    "reconnect_min = 1m\n"		/* 5 */
	    "reconnect_max = 10s\n"		/* 6 */
	    "[accounts]\n"			/* 7 */
	    "files = accounts.txt, missing.txt\n"	/* 8 */
	    "[http]\n"				/* 9 */
	    "connect_timeout = 2m\n"		/* 10 */
	    "timeout = 1m\n"			/* 11 */
	    "[admin]\n"				/* 12 */
	    "listen = 10.1.1.1:80\n",		/* 13 */
	    &el));
	if (el.count != 7) {
		dump_errors(&el);
		fail_msg("expected 7 errors, got %zu", el.count);
	}
	/* Existing entries are kept, new ones appended. */
	assert_string_equal(el.msgs[0], "an earlier error");
	expect_error(&el, 2, "warmd.max_sessions", "out of range");
	expect_error(&el, 3, "warmd.nope", "unknown key");
	expect_error(&el, 5, "database.reconnect_min",
	    "must not be greater than database.reconnect_max");
	expect_error(&el, 8, "accounts.files", "missing.txt");
	expect_error(&el, 10, "http.connect_timeout",
	    "must not be greater than http.timeout");
	expect_error(&el, 13, "admin.listen", "loopback");
	errlist_clear(&el);

	/* A rejected value does not also trigger the cross-key check. */
	load_bad("[database]\nreconnect_max = soon\n" ACCOUNTS, 1, &el);
	expect_error(&el, 2, "database.reconnect_max", "not a duration");
	errlist_clear(&el);

	/* Against a default, the key set in the file is the one named. */
	load_bad(ACCOUNTS "[http]\ntimeout = 5s\n", 1, &el);
	expect_error(&el, 4, "http.timeout",
	    "must not be less than http.connect_timeout (the default)");
	errlist_clear(&el);
	load_bad(ACCOUNTS "[database]\nreconnect_min = 1m\n", 1, &el);
	expect_error(&el, 4, "database.reconnect_min",
	    "greater than database.reconnect_max (the default)");
	errlist_clear(&el);
}

static void
test_relative_paths(void **state)
{
	struct config	*cfg;
	struct errlist	 el = { 0 };
	char		 cwd[PATH_MAX], *want;

	(void)state;
	put("sub/b.txt", "b@mail.ru;pw;127.0.0.1:1080\n");
	put("ua.txt", "Mozilla/5.0\n");
	put("certs/ca.pem", "not really a certificate\n");
	want = xasprintf("[accounts]\nfiles = accounts.txt, ./sub/b.txt, "
	    "%s/accounts.txt\nkey_file = keys/secret.key\n"
	    "user_agents = ua.txt\n[warmd]\nlog_file = log/warmd.log\n"
	    "pid_file = /run/warmd.pid\n[http]\nca_file = certs/ca.pem\n",
	    tmpdir);
	put("warmd.conf", want);
	free(want);

	/* Load through a relative path to check that too. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	cfg = config_load("./warmd.conf", &el);
	assert_int_equal(chdir(cwd), 0);
	if (cfg == NULL) {
		dump_errors(&el);
		fail_msg("config rejected");
	}
	assert_string_equal(cfg->path, conf_path);
	assert_int_equal(cfg->accounts.nfiles, 3);
#define CHECK_UNDER(got, rel) do {					\
	want = xasprintf("%s/%s", tmpdir, rel);				\
	assert_string_equal(got, want);					\
	free(want);							\
} while (0)
	CHECK_UNDER(cfg->accounts.files[0], "accounts.txt");
	CHECK_UNDER(cfg->accounts.files[1], "sub/b.txt");
	CHECK_UNDER(cfg->accounts.files[2], "accounts.txt");
	CHECK_UNDER(cfg->accounts.key_file, "keys/secret.key");
	CHECK_UNDER(cfg->accounts.user_agents, "ua.txt");
	CHECK_UNDER(cfg->warmd.log_file, "log/warmd.log");
	CHECK_UNDER(cfg->http.ca_file, "certs/ca.pem");
#undef CHECK_UNDER
	assert_string_equal(cfg->warmd.pid_file, "/run/warmd.pid");
	config_free(cfg);

	/* Named files must be readable regular files. */
	load_bad(ACCOUNTS "user_agents = nothere.txt\n[http]\nca_file = sub\n",
	    2, &el);
	expect_error(&el, 3, "accounts.user_agents", "nothere.txt");
	expect_error(&el, 5, "http.ca_file", "not a regular file");
	errlist_clear(&el);
}

struct changes {
	char	 seen[512];
};

static void
note_change(const char *section, const char *key, void *arg)
{
	struct changes	*c = arg;
	size_t		 n = strlen(c->seen);

	snprintf(c->seen + n, sizeof(c->seen) - n, "%s.%s ", section, key);
}

static void
test_restart_changes(void **state)
{
	struct config	*a, *b;
	struct changes	 c = { "" };

	(void)state;
	a = load_ok(ACCOUNTS "[warmd]\nworker_name = w1\nlog_level = info\n");
	b = load_ok(ACCOUNTS "[warmd]\nworker_name = w1\nlog_level = debug\n"
	    "[http]\ntimeout = 15s\n");
	assert_true(b->generation > a->generation);
	config_restart_changes(a, b, note_change, &c);
	assert_string_equal(c.seen, "");
	config_free(b);

	b = load_ok(ACCOUNTS "key_file = k2\n[warmd]\nworker_name = w2\n"
	    "[database]\npool_size = 8\nconninfo = dbname=other\n"
	    "[redis]\npassword = x\n[admin]\nlisten = off\n");
	config_restart_changes(a, b, note_change, &c);
	assert_string_equal(c.seen, "warmd.worker_name database.conninfo "
	    "database.pool_size redis.password accounts.key_file "
	    "admin.listen ");
	config_free(a);
	config_free(b);
}

static void
test_dump_hides_secrets(void **state)
{
	struct config	*cfg;
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*fp;

	(void)state;
	cfg = load_ok(ACCOUNTS
	    "fallback_proxy = socks5h://buyer:Pr0xyPw@192.0.2.1:1080\n"
	    "[database]\nconninfo = dbname=w password=DbSecret1\n"
	    "[redis]\npassword = RedisSecret2\n"
	    "[http]\nresolve = a.b:443:192.0.2.2\n");
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	config_dump(cfg, fp);
	assert_int_equal(fclose(fp), 0);
	assert_null(strstr(out, "DbSecret1"));
	assert_null(strstr(out, "RedisSecret2"));
	assert_null(strstr(out, "Pr0xyPw"));
	assert_null(strstr(out, "buyer"));
	assert_non_null(strstr(out, "\nconninfo = (hidden)\n"));
	assert_non_null(strstr(out, "\npassword = (hidden)\n"));
	assert_non_null(strstr(out,
	    "\nfallback_proxy = socks5h://(hidden)@192.0.2.1:1080\n"));
	assert_non_null(strstr(out, "\n[database]\n"));
	assert_non_null(strstr(out, "\npool_size = 4\n"));
	assert_non_null(strstr(out, "\nreconnect_min = 500ms\n"));
	assert_non_null(strstr(out, "\nsession_ttl = 7d\n"));
	assert_non_null(strstr(out, "\nmax_body = 4M\n"));
	assert_non_null(strstr(out, "\nlog_level = info\n"));
	assert_non_null(strstr(out, "\nresolve = a.b:443:192.0.2.2\n"));
	free(out);
	config_free(cfg);

	/* Values of sensitive keys are not quoted in errors either. */
	{
		struct errlist el = { 0 };

		load_bad(ACCOUNTS "[redis]\npassword = Sec #ret\n", 1, &el);
		assert_null(strstr(el.msgs[0], "Sec"));
		errlist_clear(&el);
	}
}

/* The dump of a config reads back as the same config. */
static void
test_dump_round_trip(void **state)
{
	struct config	*a, *b;
	struct changes	 c = { "" };
	char		*out = NULL, *p, *text;
	size_t		 len = 0;
	FILE		*fp;

	(void)state;
	a = load_ok(ACCOUNTS "[http]\nresolve = a.b:443:192.0.2.2, c:1:[::1]\n"
	    "max_body = 100000\n[warmd]\ngrace_period = 90s\n");
	fp = open_memstream(&out, &len);
	config_dump(a, fp);
	fclose(fp);
	/* Hidden values cannot come back; put the real one in. */
	p = strstr(out, "conninfo = (hidden)\n");
	assert_non_null(p);
	text = xasprintf("%.*sconninfo = dbname=warmd%s", (int)(p - out), out,
	    p + strlen("conninfo = (hidden)"));
	b = load_ok(text);
	free(text);
	free(out);
	config_restart_changes(a, b, note_change, &c);
	assert_string_equal(c.seen, "");
	assert_int_equal(b->http.nresolve, 2);
	assert_int_equal(b->http.max_body, 100000);
	assert_int_equal(b->warmd.grace_period_ms, 90000);
	config_free(a);
	config_free(b);
}

static char *
example_path(void)
{
	const char	*top = getenv("top_srcdir");

#ifdef TOP_SRCDIR
	if (top == NULL)
		top = TOP_SRCDIR;
#endif
	if (top == NULL)
		top = ".";
	return xasprintf("%s/conf/warmd.conf.example", top);
}

static void
test_example(void **state)
{
	struct errlist	 el = { 0 };
	struct config	*cfg;
	char		*path, *text = NULL, *copy;
	size_t		 len = 0;
	FILE		*fp;
	int		 c;

	(void)state;
	path = example_path();
	if (config_check_example(path, &el) != 0 || el.count != 0) {
		dump_errors(&el);
		fail_msg("%s does not match the key table", path);
	}

	/* The example loads as it is, next to a real accounts.txt. */
	fp = fopen(path, "r");
	assert_non_null(fp);
	{
		FILE *mem = open_memstream(&text, &len);

		while ((c = fgetc(fp)) != EOF)
			fputc(c, mem);
		fclose(mem);
	}
	fclose(fp);
	copy = put_file("example/warmd.conf", text, len);
	put("example/accounts.txt", "a@mail.ru;pw;127.0.0.1:1080\n");
	cfg = config_load(copy, &el);
	if (cfg == NULL) {
		dump_errors(&el);
		fail_msg("example does not load");
	}
	config_free(cfg);
	free(copy);
	free(text);
	free(path);

	/* A stale example is caught: missing, unknown, wrong default. */
	put("bad.example", "[warmd]\n# log_level = debug\n# loglevel = x\n"
	    "[bogus]\n[http]\ntimeout = 5s\n# timeout = 60s\n");
	path = xasprintf("%s/bad.example", tmpdir);
	assert_int_equal(config_check_example(path, &el), -1);
	assert_non_null(strstr(el.msgs[0], ":2: warmd.log_level: shows "
	    "\"debug\" but the default is \"info\""));
	assert_non_null(strstr(el.msgs[1], ":3: warmd.loglevel: not a known"));
	assert_non_null(strstr(el.msgs[2], ":4: unknown section [bogus]"));
	assert_non_null(strstr(el.msgs[3], ":7: http.timeout: documented "
	    "twice (also line 6)"));
	assert_non_null(strstr(el.msgs[4], "warmd.worker_name: not "
	    "documented"));
	errlist_clear(&el);
	free(path);
}

static void
test_missing_file(void **state)
{
	struct errlist	 el = { 0 };
	char		*path;

	(void)state;
	path = xasprintf("%s/nonexistent.conf", tmpdir);
	assert_null(config_load(path, &el));
	assert_int_equal(el.count, 1);
	assert_non_null(strstr(el.msgs[0], "cannot open"));
	errlist_clear(&el);
	free(path);

	assert_null(config_load(tmpdir, &el));
	assert_non_null(strstr(el.msgs[0], "not a regular file"));
	errlist_clear(&el);

	/* A NULL error list is allowed; the result is still NULL. */
	assert_null(config_load_buffer("x.conf", "[x]\n", 4, NULL));
	config_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_bytes),
		cmocka_unit_test(test_typed_values),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_proxy_and_conninfo),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_indented),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_restart_changes),
		cmocka_unit_test(test_dump_hides_secrets),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
