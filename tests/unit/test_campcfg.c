/*
 * Unit tests for campcfg.c through config_load: each test writes a config
 * (and campaign files and templates) into a temporary directory, loads it
 * and checks the canonical params or the exact errors reported.
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
#include <jansson.h>

#include "campcfg.h"
#include "config.h"
#include "errlist.h"
#include "template.h"
#include "xmalloc.h"

static char	 tmpdir[PATH_MAX];
static char	 conf_path[PATH_MAX + 32];

/* Lines 1-4; a campaign after it starts at line 5. */
#define HEAD	"[accounts]\nfiles = accounts.txt\n" \
		"[warmd]\ntime_zone = Europe/Moscow\n"

#define ALL_DAYS	"[1,2,3,4,5,6,7]"

/* Write text to tmpdir/name, creating the directories on the way. */
static void
put_len(const char *name, const char *text, size_t len)
{
	char	*path = xasprintf("%s/%s", tmpdir, name), *s;
	FILE	*fp;

	for (s = path + strlen(tmpdir) + 1; (s = strchr(s, '/')) != NULL;
	    s++) {
		*s = '\0';
		mkdir(path, 0700);
		*s = '/';
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(path);
}

static void
put(const char *name, const char *text)
{
	put_len(name, text, strlen(text));
}

static void
dump_errors(const struct errlist *el)
{
	for (size_t i = 0; i < el->count; i++)
		print_message("  error: %s\n", el->msgs[i]);
}

static struct config *
load_text(const char *text, struct errlist *el)
{
	put("warmd.conf", text);
	return config_load(conf_path, el);
}

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
	assert_non_null(cfg->campaigns);
	return cfg;
}

static void
load_bad(const char *text, size_t n, struct errlist *el)
{
	assert_null(load_text(text, el));
	if (el->count != n) {
		dump_errors(el);
		fail_msg("expected %zu errors, got %zu", n, el->count);
	}
}

/* Index of the error starting "file:line: key" and containing text. */
static size_t
find_error(const struct errlist *el, const char *file, unsigned line,
    const char *key, const char *text)
{
	char	 prefix[PATH_MAX + 300];

	snprintf(prefix, sizeof(prefix), "%s:%u: %s",
	    file != NULL ? file : conf_path, line, key != NULL ? key : "");
	for (size_t i = 0; i < el->count; i++)
		if (strncmp(el->msgs[i], prefix, strlen(prefix)) == 0 &&
		    (text == NULL || strstr(el->msgs[i], text) != NULL))
			return i;
	dump_errors(el);
	fail_msg("no error \"%s...\" containing \"%s\"", prefix,
	    text != NULL ? text : "");
	return 0;
}

static void
expect_error(const struct errlist *el, unsigned line, const char *key,
    const char *text)
{
	(void)find_error(el, NULL, line, key, text);
}

/* Compare params with the expected JSON text, exactly (json_equal). */
static void
params_are(const struct camp_def *d, const char *want_text)
{
	json_error_t	 jerr;
	json_t		*want = json_loads(want_text, 0, &jerr);
	char		*got, *exp;

	if (want == NULL)
		fail_msg("bad expected JSON: %s: %s", jerr.text, want_text);
	if (!json_equal(want, d->params)) {
		got = json_dumps(d->params, JSON_COMPACT);
		exp = json_dumps(want, JSON_COMPACT);
		print_message("  want: %s\n  got:  %s\n", exp, got);
		free(got);
		free(exp);
		json_decref(want);
		fail_msg("params of %s differ", d->name);
	}
	json_decref(want);
}

/* The seed the contract promises: FNV-1a 64 of the name, 63 bits. */
static long long
fnv_seed(const char *name)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 1099511628211ULL;
	}
	return (long long)(h & INT64_MAX);
}

static char *
origin_at(const char *file, unsigned line)
{
	return xasprintf("%s:%u", file != NULL ? file : conf_path, line);
}

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
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_campcfg.XXXXXX",
	    t != NULL ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/warmd.conf", tmpdir);
	put("accounts.txt", "a@mail.ru;pw;127.0.0.1:1080\n");
	put("tpl/letter.tpl", "[subject]\n{Hi|Hello}\n[body]\n"
	    "Hello {{recipient_name}}\n");
	put("tpl/reply.tpl", "[body]\nThanks!\n");
	put("tpl/subject-only.tpl", "[subject]\nHi\n");
	put("tpl/bad.tpl", "[body]\nline two\nHello {{bogus}}\n");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- each kind ------------------------------------------------------- */

static void
test_none(void **state)
{
	struct config	*cfg;

	(void)state;
	cfg = load_ok(HEAD);
	assert_int_equal(cfg->campaigns->n, 0);
	assert_null(camp_find(cfg->campaigns, "x"));
	assert_null(cfg->warmd.campaign_dir);
	config_free(cfg);
}

static void
test_rescue(void **state)
{
	struct config		*cfg;
	const struct camp_def	*d;
	char			*o;

	(void)state;
	cfg = load_ok(HEAD
	    "[campaign r1]\n"			/* 5 */
	    "kind = rescue\n"
	    "subject = Spring sale\n"
	    "date = 2026-03-12\n");
	assert_int_equal(cfg->campaigns->n, 1);
	d = camp_find(cfg->campaigns, "r1");
	assert_ptr_equal(d, &cfg->campaigns->defs[0]);
	assert_string_equal(d->name, "r1");
	assert_string_equal(d->kind, "rescue");
	o = origin_at(NULL, 5);
	assert_string_equal(d->origin, o);
	free(o);
	assert_int_equal(d->enabled, 1);
	assert_true(d->seed == fnv_seed("r1"));
	assert_true(d->seed >= 0);
	assert_int_equal(d->nletters, 0);
	assert_int_equal(d->nreplies, 0);
	params_are(d, "{\"time_zone\": \"Europe/Moscow\", \"holdout\": 0,"
	    " \"hours\": null, \"weekdays\": " ALL_DAYS ", \"max_attempts\": 5,"
	    " \"match\": {\"subject\": \"Spring sale\"},"
	    " \"date\": \"2026-03-12\", \"mark_read\": false, \"flag\": false}");
	config_free(cfg);

	/* Every key set, in other forms; the zone default follows [warmd]. */
	cfg = load_ok("[accounts]\nfiles = accounts.txt\n"
	    "[warmd]\ntime_zone = Asia/Tokyo\n"
	    "[campaign r-2.x_y]\n"
	    "kind = rescue\n"
	    "enabled = no\n"
	    "seed = 42\n"
	    "holdout = 10%\n"
	    "hours = 9:30-21:00\n"
	    "weekdays = mon,wed,sat\n"
	    "max_attempts = 7\n"
	    "body = Промокод ВЕСНА\n"
	    "date = today\n"
	    "mark_read = yes\n"
	    "flag = on\n"
	    "[campaign r3]\n"
	    "kind = rescue\n"
	    "time_zone = UTC\n"
	    "subject = x\n"
	    "date = Yesterday\n");
	assert_int_equal(cfg->campaigns->n, 2);
	d = &cfg->campaigns->defs[0];
	assert_string_equal(d->name, "r-2.x_y");
	assert_int_equal(d->enabled, 0);
	assert_true(d->seed == 42);
	params_are(d, "{\"time_zone\": \"Asia/Tokyo\", \"holdout\": 10,"
	    " \"hours\": [570, 1260], \"weekdays\": [1, 3, 6],"
	    " \"max_attempts\": 7, \"match\": {\"body\": \"Промокод ВЕСНА\"},"
	    " \"date\": \"today\", \"mark_read\": true, \"flag\": true}");
	d = camp_find(cfg->campaigns, "r3");
	assert_non_null(d);
	params_are(d, "{\"time_zone\": \"UTC\", \"holdout\": 0,"
	    " \"hours\": null, \"weekdays\": " ALL_DAYS ", \"max_attempts\": 5,"
	    " \"match\": {\"subject\": \"x\"}, \"date\": \"yesterday\","
	    " \"mark_read\": false, \"flag\": false}");
	config_free(cfg);
}

static void
test_engage(void **state)
{
	struct config		*cfg;
	const struct camp_def	*d;
	char			*want;

	(void)state;
	cfg = load_ok(HEAD
	    "[campaign e1]\n"
	    "kind = engage\n"
	    "subject = Hello\n"
	    "date = 2024-02-29\n"
	    "percent = 15%\n"
	    "reply_template = tpl/reply.tpl, ./tpl/letter.tpl\n"
	    "[campaign e2]\n"
	    "kind = engage\n"
	    "body = code\n"
	    "date = yesterday\n"
	    "percent = 12.5\n"
	    "not_spam = no\n"
	    "mark_read = true\n"
	    "reply_template = " "tpl/reply.tpl\n");
	d = camp_find(cfg->campaigns, "e1");
	assert_string_equal(d->kind, "engage");
	want = xasprintf("{\"time_zone\": \"Europe/Moscow\", \"holdout\": 0,"
	    " \"hours\": null, \"weekdays\": " ALL_DAYS ", \"max_attempts\": 5,"
	    " \"match\": {\"subject\": \"Hello\"}, \"date\": \"2024-02-29\","
	    " \"mark_read\": false, \"flag\": false, \"percent\": 15,"
	    " \"not_spam\": true, \"reply_templates\": [\"%s/tpl/reply.tpl\","
	    " \"%s/tpl/letter.tpl\"]}", tmpdir, tmpdir);
	params_are(d, want);
	free(want);
	assert_int_equal(d->nletters, 0);
	assert_int_equal(d->nreplies, 2);
	assert_true(tmpl_has(d->replies[0], "body"));
	assert_true(tmpl_has(d->replies[1], "subject"));
	want = xasprintf("%s/tpl/reply.tpl", tmpdir);
	assert_string_equal(tmpl_name(d->replies[0]), want);
	free(want);

	d = camp_find(cfg->campaigns, "e2");
	want = xasprintf("{\"time_zone\": \"Europe/Moscow\", \"holdout\": 0,"
	    " \"hours\": null, \"weekdays\": " ALL_DAYS ", \"max_attempts\": 5,"
	    " \"match\": {\"body\": \"code\"}, \"date\": \"yesterday\","
	    " \"mark_read\": true, \"flag\": false, \"percent\": 12.5,"
	    " \"not_spam\": false, \"reply_templates\": [\"%s/tpl/reply.tpl\"]}",
	    tmpdir);
	params_are(d, want);
	free(want);
	config_free(cfg);
}

static void
test_warmup(void **state)
{
	struct config		*cfg;
	const struct camp_def	*d;
	char			*want, *o;

	(void)state;
	cfg = load_ok(HEAD
	    "[campaign w1]\n"			/* 5 */
	    "kind = warmup\n"
	    "join_probability = 0.6\n"
	    "recipients = 3\n"
	    "letters_start = 2\n"
	    "letter_template = tpl/letter.tpl\n"
	    "reply_template = tpl/reply.tpl\n");
	d = &cfg->campaigns->defs[0];
	assert_string_equal(d->kind, "warmup");
	o = origin_at(NULL, 5);
	assert_string_equal(d->origin, o);
	free(o);
	want = xasprintf("{\"time_zone\": \"Europe/Moscow\", \"holdout\": 0,"
	    " \"hours\": null, \"weekdays\": " ALL_DAYS ", \"max_attempts\": 5,"
	    " \"join_probability\": 0.6, \"recipients\": 3,"
	    " \"letters\": {\"start\": 2, \"increase\": 0, \"max\": 2,"
	    " \"variance\": 0}, \"start_date\": null, \"end_date\": null,"
	    " \"min_gap_s\": 600, \"reply_delay_s\": [300, 7200],"
	    " \"open_probability\": 1, \"flag_probability\": 0.3,"
	    " \"reply_probability\": 0.5, \"click_probability\": 0,"
	    " \"click_anchor\": null,"
	    " \"letter_templates\": [\"%s/tpl/letter.tpl\"],"
	    " \"reply_templates\": [\"%s/tpl/reply.tpl\"]}", tmpdir, tmpdir);
	params_are(d, want);
	free(want);
	assert_int_equal(d->nletters, 1);
	assert_int_equal(d->nreplies, 1);
	assert_true(tmpl_has(d->letters[0], "subject"));
	config_free(cfg);

	cfg = load_ok(HEAD
	    "[campaign w2]\n"
	    "kind = warmup\n"
	    "holdout = 0\n"
	    "join_probability = 60%\n"
	    "recipients = 5\n"
	    "letters_start = 2\n"
	    "letters_increase = 1\n"
	    "letters_max = 10\n"
	    "letters_variance = 20%\n"
	    "start_date = 2026-04-01\n"
	    "end_date = 2026-06-30\n"
	    "hours = 09:00-21:00\n"
	    "weekdays = mon-fri\n"
	    "min_gap = 10m\n"
	    "reply_delay = 5m-2h\n"
	    "open_probability = 90%\n"
	    "flag_probability = 0\n"
	    "reply_probability = 0\n"
	    "click_probability = 0.25\n"
	    "click_anchor = read more\n"
	    "letter_template = tpl/letter.tpl, tpl/letter.tpl\n");
	d = &cfg->campaigns->defs[0];
	want = xasprintf("{\"time_zone\": \"Europe/Moscow\", \"holdout\": 0,"
	    " \"hours\": [540, 1260], \"weekdays\": [1, 2, 3, 4, 5],"
	    " \"max_attempts\": 5, \"join_probability\": 0.6,"
	    " \"recipients\": 5, \"letters\": {\"start\": 2, \"increase\": 1,"
	    " \"max\": 10, \"variance\": 20}, \"start_date\": \"2026-04-01\","
	    " \"end_date\": \"2026-06-30\", \"min_gap_s\": 600,"
	    " \"reply_delay_s\": [300, 7200], \"open_probability\": 0.9,"
	    " \"flag_probability\": 0, \"reply_probability\": 0,"
	    " \"click_probability\": 0.25, \"click_anchor\": \"read more\","
	    " \"letter_templates\": [\"%s/tpl/letter.tpl\","
	    " \"%s/tpl/letter.tpl\"], \"reply_templates\": []}", tmpdir,
	    tmpdir);
	params_are(d, want);
	free(want);
	assert_int_equal(d->nletters, 2);
	assert_int_equal(d->nreplies, 0);
	config_free(cfg);
}

/* ---- value forms ----------------------------------------------------- */

#define RESCUE	"[campaign f]\nkind = rescue\nsubject = s\ndate = 2026-01-01\n"
#define WARMUP	"[campaign f]\nkind = warmup\njoin_probability = 1\n" \
		"recipients = 1\nletters_start = 1\n" \
		"letter_template = tpl/letter.tpl\nreply_probability = 0\n"

static const struct form {
	const char	*base;
	const char	*line;
	const char	*path;	/* in params; "a.b" nests */
	const char	*want;	/* JSON */
} forms[] = {
	{ RESCUE, "holdout = 10", "holdout", "10" },
	{ RESCUE, "holdout = 10.0%", "holdout", "10" },
	{ RESCUE, "holdout = 12.5%", "holdout", "12.5" },
	{ RESCUE, "holdout = 100%", "holdout", "100" },
	{ RESCUE, "holdout = 0", "holdout", "0" },
	{ RESCUE, "hours = 00:00-24:00", "hours", "[0, 1440]" },
	{ RESCUE, "hours = 09:00 - 21:30", "hours", "[540, 1290]" },
	{ RESCUE, "hours = 23:00-23:59", "hours", "[1380, 1439]" },
	{ RESCUE, "weekdays = mon-sun", "weekdays", ALL_DAYS },
	{ RESCUE, "weekdays = Sat-Sun", "weekdays", "[6, 7]" },
	{ RESCUE, "weekdays = fri-mon", "weekdays", "[1, 5, 6, 7]" },
	{ RESCUE, "weekdays = mon-wed, fri", "weekdays", "[1, 2, 3, 5]" },
	{ RESCUE, "weekdays = sun", "weekdays", "[7]" },
	{ RESCUE, "weekdays = wed,mon,wed", "weekdays", "[1, 3]" },
	{ RESCUE, "date = YESTERDAY", "date", "\"yesterday\"" },
	{ RESCUE, "max_attempts = 50", "max_attempts", "50" },
	{ RESCUE, "mark_read = 1", "mark_read", "true" },
	{ WARMUP, "join_probability = 60%", "join_probability", "0.6" },
	{ WARMUP, "join_probability = 5%", "join_probability", "0.05" },
	{ WARMUP, "join_probability = 0.05", "join_probability", "0.05" },
	{ WARMUP, "join_probability = 100%", "join_probability", "1" },
	{ WARMUP, "open_probability = 33.3%", "open_probability", "0.333" },
	{ WARMUP, "open_probability = 0", "open_probability", "0" },
	{ WARMUP, "letters_variance = 20%", "letters.variance", "20" },
	{ WARMUP, "letters_variance = 7.5", "letters.variance", "7.5" },
	{ WARMUP, "min_gap = 0", "min_gap_s", "0" },
	{ WARMUP, "min_gap = 90", "min_gap_s", "90" },
	{ WARMUP, "min_gap = 1h", "min_gap_s", "3600" },
	{ WARMUP, "min_gap = 1d", "min_gap_s", "86400" },
	{ WARMUP, "min_gap = 2000ms", "min_gap_s", "2" },
	{ WARMUP, "reply_delay = 30s", "reply_delay_s", "[30, 30]" },
	{ WARMUP, "reply_delay = 1m-1h", "reply_delay_s", "[60, 3600]" },
	{ WARMUP, "reply_delay = 0s-0s", "reply_delay_s", "[0, 0]" },
	{ WARMUP, "letters_start = 4", "letters.max", "4" },
	{ WARMUP, "end_date = 2030-12-31", "end_date", "\"2030-12-31\"" },
};

/*
 * The config HEAD + base + line, where line replaces the base's line for
 * the same key; *at is the line's number.
 */
static char *
with_line(const char *base, const char *line, unsigned *at)
{
	const char	*eq = strchr(line, '=');
	char		*name = xstrndup(line, (size_t)(eq - line));
	char		*copy = xstrdup(base), *pat, *hit, *text;
	unsigned	 n = 0;

	name[strcspn(name, " ")] = '\0';
	pat = xasprintf("\n%s = ", name);
	if ((hit = strstr(copy, pat)) != NULL)
		memmove(hit + 1, strchr(hit + 1, '\n') + 1,
		    strlen(strchr(hit + 1, '\n') + 1) + 1);
	text = xasprintf(HEAD "%s%s\n", copy, line);
	for (const char *c = text; *c != '\0'; c++)
		n += *c == '\n';
	*at = n;
	free(pat);
	free(copy);
	free(name);
	return text;
}

static json_t *
get_path(json_t *obj, const char *path)
{
	const char	*dot = strchr(path, '.');
	char		*head;
	json_t		*sub;

	if (dot == NULL)
		return json_object_get(obj, path);
	head = xstrndup(path, (size_t)(dot - path));
	sub = json_object_get(obj, head);
	free(head);
	return get_path(sub, dot + 1);
}

static void
test_forms(void **state)
{
	struct config	*cfg;
	json_t		*want, *got;
	char		*text;
	unsigned	 line;

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		text = with_line(forms[i].base, forms[i].line, &line);
		cfg = load_ok(text);
		got = get_path(cfg->campaigns->defs[0].params, forms[i].path);
		want = json_loads(forms[i].want, JSON_DECODE_ANY, NULL);
		assert_non_null(want);
		if (got == NULL || !json_equal(want, got)) {
			char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;

			fail_msg("\"%s\": %s is %s, want %s", forms[i].line,
			    forms[i].path, g ? g : "(none)", forms[i].want);
		}
		json_decref(want);
		config_free(cfg);
		free(text);
	}
}

/* ---- errors ---------------------------------------------------------- */

static const struct bad {
	const char	*base;
	const char	*line;		/* appended: at line 5 + base's lines */
	const char	*key;
	const char	*text;
} bads[] = {
	{ RESCUE, "holdout = 101", "holdout", "out of range" },
	{ RESCUE, "holdout = ten", "holdout", "not a percentage" },
	{ RESCUE, "holdout = -5", "holdout", "not a percentage" },
	{ RESCUE, "holdout =", "holdout", "must not be empty" },
	{ RESCUE, "hours = 21:00-09:00", "hours", "before the end" },
	{ RESCUE, "hours = 10:00-10:00", "hours", "before the end" },
	{ RESCUE, "hours = 9-17", "hours", "not a span of hours" },
	{ RESCUE, "hours = 09:60-10:00", "hours", "not a span of hours" },
	{ RESCUE, "hours = 24:30-25:00", "hours", "not a span of hours" },
	{ RESCUE, "weekdays = monday", "weekdays", "expected days" },
	{ RESCUE, "weekdays = mon,,fri", "weekdays", "expected days" },
	{ RESCUE, "weekdays = mon-", "weekdays", "expected days" },
	{ RESCUE, "max_attempts = 0", "max_attempts", "from 1 to 50" },
	{ RESCUE, "max_attempts = 51", "max_attempts", "from 1 to 50" },
	{ RESCUE, "max_attempts = 5x", "max_attempts", "not an integer" },
	{ RESCUE, "mark_read = maybe", "mark_read", "yes/no" },
	{ RESCUE, "seed = -1", "seed", "not an integer" },
	{ RESCUE, "seed = 9223372036854775808", "seed", "not an integer" },
	{ RESCUE, "enabled = sometimes", "enabled", "yes/no" },
	{ RESCUE, "time_zone = Mars/Base", "time_zone", "unknown time zone" },
	{ RESCUE, "time_zone = ../etc", "time_zone", "not a zone name" },
	{ RESCUE, "percent = 10", "percent", "not a key of rescue campaigns" },
	{ RESCUE, "min_gap = 1m", "min_gap", "not a key of rescue" },
	{ RESCUE, "reply_template = tpl/reply.tpl", "reply_template",
	    "not a key of rescue campaigns" },
	{ RESCUE, "colour = red", "colour", "unknown key" },
	{ RESCUE, "body = also", "body", "not both" },
	{ RESCUE, "flag = x #y", "flag", "'#' starts a comment" },
	{ WARMUP, "subject = x", "subject", "not a key of warmup campaigns" },
	{ WARMUP, "date = 2026-01-01", "date", "not a key of warmup" },
	{ WARMUP, "join_probability = 0", "join_probability", "more than 0" },
	{ WARMUP, "join_probability = 1.5", "join_probability",
	    "out of range" },
	{ WARMUP, "join_probability = 150%", "join_probability",
	    "out of range" },
	{ WARMUP, "join_probability = .5", "join_probability",
	    "not a probability" },
	{ WARMUP, "join_probability = 1e-1", "join_probability",
	    "not a probability" },
	{ WARMUP, "recipients = 0", "recipients", "from 1 to 1000" },
	{ WARMUP, "letters_start = 0", "letters_start", "from 1 to 10000" },
	{ WARMUP, "letters_variance = 101%", "letters_variance",
	    "out of range" },
	{ WARMUP, "min_gap = 500ms", "min_gap", "whole seconds" },
	{ WARMUP, "min_gap = 2d", "min_gap", "out of range" },
	{ WARMUP, "min_gap = soon", "min_gap", "not a duration" },
	{ WARMUP, "reply_delay = 2h-5m", "reply_delay", "must not exceed" },
	{ WARMUP, "reply_delay = 5m-", "reply_delay", "not a duration" },
	{ WARMUP, "reply_delay = 1m-8d", "reply_delay", "out of range" },
	{ WARMUP, "start_date = today", "start_date", "not a date" },
	{ WARMUP, "end_date = 2026-13-01", "end_date", "not a date" },
	{ WARMUP, "end_date = 2025-02-29", "end_date", "not a date" },
	{ WARMUP, "click_probability = 0.5", "click_probability",
	    "click_anchor is not set" },
	{ WARMUP, "letters_max = 0", "letters_max", "from 1 to 10000" },
	{ WARMUP, "letters_increase = 2", "letters_increase",
	    "letters_max must be set" },
	{ WARMUP, "reply_probability = 0.1", "reply_probability",
	    "reply_template is not set" },
	{ WARMUP, "click_anchor = \xff\xfe", "click_anchor",
	    "not valid UTF-8" },
};

static void
test_value_errors(void **state)
{
	struct errlist	 el = { 0 };
	char		*text, key[128];
	unsigned	 line;

	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		text = with_line(bads[i].base, bads[i].line, &line);
		snprintf(key, sizeof(key), "campaign f.%s", bads[i].key);
		assert_null(load_text(text, &el));
		if (el.count != 1) {
			dump_errors(&el);
			fail_msg("\"%s\": expected 1 error, got %zu",
			    bads[i].line, el.count);
		}
		expect_error(&el, line, key, bads[i].text);
		errlist_clear(&el);
		free(text);
	}
}

static void
test_section_errors(void **state)
{
	struct errlist	 el = { 0 };
	char		*text;

	(void)state;
	/* Missing kind: at the header; the other keys still checked. */
	load_bad(HEAD "[campaign x]\nsubject = s\nholdout = 200\n", 2, &el);
	expect_error(&el, 5, "campaign x.kind", "missing; this key is "
	    "required");
	expect_error(&el, 7, "campaign x.holdout", "out of range");
	errlist_clear(&el);

	load_bad(HEAD "[campaign x]\nkind = resc\n", 1, &el);
	expect_error(&el, 6, "campaign x.kind", "\"resc\" is not rescue, "
	    "engage or warmup");
	errlist_clear(&el);

	/* Every missing required key is named at the section header. */
	load_bad(HEAD "[campaign e]\nkind = engage\nsubject = s\n", 3, &el);
	expect_error(&el, 5, "campaign e.date", "required for engage");
	expect_error(&el, 5, "campaign e.percent", "required for engage");
	expect_error(&el, 5, "campaign e.reply_template",
	    "required for engage");
	errlist_clear(&el);

	load_bad(HEAD "[campaign w]\nkind = warmup\n", 5, &el);
	expect_error(&el, 5, "campaign w.join_probability", "required");
	expect_error(&el, 5, "campaign w.recipients", "required");
	expect_error(&el, 5, "campaign w.letters_start", "required");
	expect_error(&el, 5, "campaign w.letter_template", "required");
	/* reply_probability's default wants a reply template. */
	expect_error(&el, 5, "campaign w.reply_probability", "is 0.5 (the "
	    "default) but reply_template is not set");
	errlist_clear(&el);

	load_bad(HEAD RESCUE "subject = t\n", 1, &el);
	expect_error(&el, 9, "campaign f.subject", "duplicate key (first set "
	    "at line 7)");
	errlist_clear(&el);

	load_bad(HEAD "[campaign r]\nkind = rescue\ndate = today\n", 1, &el);
	expect_error(&el, 5, "campaign r: ", "missing subject or body");
	errlist_clear(&el);

	/* Cross-key rules name the key that breaks them. */
	load_bad(HEAD WARMUP "letters_start = 5\nletters_max = 4\n", 1, &el);
	expect_error(&el, 12, "campaign f.letters_start",
	    "duplicate key (first set at line 9)");
	errlist_clear(&el);
	load_bad(HEAD "[campaign f]\nkind = warmup\njoin_probability = 1\n"
	    "recipients = 1\nletters_start = 5\nletters_max = 4\n"	/* 10 */
	    "letter_template = tpl/letter.tpl\nreply_probability = 0\n"
	    "start_date = 2026-05-02\nend_date = 2026-05-01\n",		/* 14 */
	    2, &el);
	expect_error(&el, 10, "campaign f.letters_max", "must not be less "
	    "than letters_start");
	expect_error(&el, 14, "campaign f.end_date", "must not be before "
	    "start_date");
	errlist_clear(&el);

	/* Names. */
	text = xasprintf(HEAD "[campaign %065d]\nkind = rescue\n"
	    "[campaign]\nkind = rescue\n[campaign a/b]\nkind = rescue\n"
	    "[campaign ok]\nkind = rescue\nsubject = s\ndate = today\n"
	    "[campaign ok]\nkind = rescue\n", 0);
	load_bad(text, 4, &el);
	free(text);
	expect_error(&el, 5, "[campaign]", "must be 1-64 letters");
	expect_error(&el, 7, "[campaign]", "name \"\"");
	expect_error(&el, 9, "[campaign]", "\"a/b\"");
	text = xasprintf("is defined twice: here and at %s:11", conf_path);
	expect_error(&el, 15, "campaign \"ok\"", text);
	free(text);
	errlist_clear(&el);

	/* "[campaignx]" is just an unknown section. */
	load_bad(HEAD "[campaignx]\nkind = rescue\n", 1, &el);
	expect_error(&el, 5, "[campaignx]", "unknown section");
	errlist_clear(&el);

	/* Errors of campaigns and of other keys come in line order. */
	load_bad(HEAD "[campaign a]\nkind = rescue\nsubject = s\n"
	    "date = 2026-02-30\n"		/* 8 */
	    "[jobs]\nlease = 1s\n"		/* 10 */
	    "[campaign b]\nkind = rescue\nbody = b\ndate = today\n"
	    "flag = perhaps\n", 3, &el);	/* 15 */
	assert_int_equal(find_error(&el, NULL, 8, "campaign a.date", NULL),
	    0);
	assert_int_equal(find_error(&el, NULL, 10, "jobs.lease", NULL), 1);
	assert_int_equal(find_error(&el, NULL, 15, "campaign b.flag", NULL),
	    2);
	errlist_clear(&el);
}

static void
test_templates(void **state)
{
	struct errlist	 el = { 0 };
	char		*path;

	(void)state;
	load_bad(HEAD "[campaign e]\nkind = engage\nsubject = s\n"
	    "date = today\npercent = 1\n"
	    "reply_template = tpl/reply.tpl,tpl/bad.tpl\n", 2, &el);	/* 10 */
	path = xasprintf("%s/tpl/bad.tpl", tmpdir);
	/* The referencing key first, then the template's own error. */
	assert_int_equal(find_error(&el, NULL, 10, "campaign e.reply_template",
	    "template"), 0);
	assert_non_null(strstr(el.msgs[0], path));
	assert_int_equal(find_error(&el, path, 3, NULL, "{{bogus}}"), 1);
	free(path);
	errlist_clear(&el);

	load_bad(HEAD WARMUP "reply_template = tpl/subject-only.tpl\n"
	    "letter_template = tpl/reply.tpl\n", 2, &el);
	expect_error(&el, 12, "campaign f.reply_template", "has no [body]");
	/* The base's letter_template is the duplicate; its own is kept. */
	expect_error(&el, 13, "campaign f.letter_template", "duplicate key");
	errlist_clear(&el);
	load_bad(HEAD "[campaign f]\nkind = warmup\njoin_probability = 1\n"
	    "recipients = 1\nletters_start = 1\nreply_probability = 0\n"
	    "letter_template = tpl/reply.tpl, tpl/nothere.tpl\n", 3, &el);
	expect_error(&el, 11, "campaign f.letter_template",
	    "tpl/reply.tpl has no [subject] section");
	expect_error(&el, 11, "campaign f.letter_template",
	    "tpl/nothere.tpl has errors");
	path = xasprintf("%s/tpl/nothere.tpl", tmpdir);
	assert_non_null(strstr(el.msgs[2], path));
	free(path);
	errlist_clear(&el);
}

/* ---- campaign_dir ---------------------------------------------------- */

static void
test_campaign_dir(void **state)
{
	struct config		*cfg;
	struct errlist		 el = { 0 };
	const struct camp_def	*d;
	char			*a, *b, *want;

	(void)state;
	put("camps/b.conf", "; the second file\n"
	    "[campaign b-one]\nkind = rescue\nbody = B\ndate = today\n");
	put("camps/a.conf", "[campaign a-one]\nkind = engage\nsubject = A\n"
	    "date = yesterday\npercent = 50\n"
	    "reply_template = ../tpl/reply.tpl\n"
	    "[campaign a-two]\nkind = rescue\nsubject = A2\n"
	    "date = 2026-01-01\n");
	put("camps/notes.txt", "[warmd]\nnot = a campaign file\n");
	put("camps/.hidden.conf", "garbage\n");
	cfg = load_ok(HEAD "campaign_dir = camps\n"
	    "[campaign main-one]\nkind = rescue\nsubject = M\ndate = today\n");
	want = xasprintf("%s/camps", tmpdir);
	assert_string_equal(cfg->warmd.campaign_dir, want);
	free(want);
	assert_int_equal(cfg->campaigns->n, 4);
	a = xasprintf("%s/camps/a.conf", tmpdir);
	b = xasprintf("%s/camps/b.conf", tmpdir);
	/* The config file's first, then the files in name order. */
	assert_string_equal(cfg->campaigns->defs[0].name, "main-one");
	assert_string_equal(cfg->campaigns->defs[1].name, "a-one");
	assert_string_equal(cfg->campaigns->defs[2].name, "a-two");
	assert_string_equal(cfg->campaigns->defs[3].name, "b-one");
	want = origin_at(a, 7);
	assert_string_equal(cfg->campaigns->defs[2].origin, want);
	free(want);
	want = origin_at(b, 2);
	assert_string_equal(cfg->campaigns->defs[3].origin, want);
	free(want);
	/* Templates are relative to the file that names them. */
	d = camp_find(cfg->campaigns, "a-one");
	want = xasprintf("{\"time_zone\": \"Europe/Moscow\", \"holdout\": 0,"
	    " \"hours\": null, \"weekdays\": " ALL_DAYS ", \"max_attempts\": 5,"
	    " \"match\": {\"subject\": \"A\"}, \"date\": \"yesterday\","
	    " \"mark_read\": false, \"flag\": false, \"percent\": 50,"
	    " \"not_spam\": true,"
	    " \"reply_templates\": [\"%s/camps/../tpl/reply.tpl\"]}", tmpdir);
	params_are(d, want);
	free(want);
	assert_int_equal(d->nreplies, 1);
	config_free(cfg);
	free(a);
	free(b);

	/* An empty directory is fine. */
	a = xasprintf("%s/empty", tmpdir);
	assert_int_equal(mkdir(a, 0700), 0);
	free(a);
	cfg = load_ok(HEAD "campaign_dir = empty\n");
	assert_int_equal(cfg->campaigns->n, 0);
	config_free(cfg);

	/* A missing directory is an error at the key. */
	load_bad(HEAD "campaign_dir = nothere\n", 1, &el);
	expect_error(&el, 5, "warmd.campaign_dir", "cannot read directory");
	errlist_clear(&el);

	/* Duplicate names across files name both places. */
	put("dup/x.conf", "\n[campaign a-one]\nkind = rescue\n");
	load_bad(HEAD "campaign_dir = dup\n"
	    "[campaign a-one]\nkind = rescue\nsubject = s\ndate = today\n",
	    1, &el);
	want = xasprintf("%s/dup/x.conf", tmpdir);
	a = xasprintf("defined twice: here and at %s:6", conf_path);
	(void)find_error(&el, want, 2, "campaign \"a-one\"", a);
	free(want);
	free(a);
	errlist_clear(&el);

	/* Only campaign sections in those files; errors name the file. */
	put("mixed/1.conf", "[warmd]\nlog_level = debug\n"
	    "[campaign q]\nkind = rescue\nsubject = s\ndate = today\n"
	    "holdout = 300\n");
	put("mixed/2.conf", "kind = rescue\n[campaign r]\nkind = rescue\n"
	    "subject = s\ndate = today\n");
	load_bad(HEAD "campaign_dir = mixed\n[warmd]\nmax_sessions = 0\n",
	    4, &el);
	b = xasprintf("%s/mixed/1.conf", tmpdir);
	/* The config's errors first, then each file's in line order. */
	assert_int_equal(find_error(&el, NULL, 7, "warmd.max_sessions",
	    NULL), 0);
	assert_int_equal(find_error(&el, b, 1, "[warmd]", "only [campaign "
	    "NAME] sections"), 1);
	assert_int_equal(find_error(&el, b, 7, "campaign q.holdout",
	    "out of range"), 2);
	free(b);
	b = xasprintf("%s/mixed/2.conf", tmpdir);
	assert_int_equal(find_error(&el, b, 1, "kind", "outside of any"), 3);
	free(b);
	errlist_clear(&el);
}

/* ---- reload, equality, dump ----------------------------------------- */

static void
test_reload_and_equal(void **state)
{
	struct config		*a, *b;
	struct errlist		 el = { 0 };
	const char		*good = HEAD WARMUP "hours = 08:00-20:00\n";
	json_t			*x, *y;

	(void)state;
	a = load_ok(good);
	/* A bad campaign fails the whole load: the old config stays. */
	load_bad(HEAD WARMUP "hours = 20:00-08:00\n", 1, &el);
	errlist_clear(&el);
	assert_int_equal(a->campaigns->n, 1);
	b = load_ok(good);
	assert_true(b->generation > a->generation);
	assert_ptr_not_equal(a->campaigns->defs[0].params,
	    b->campaigns->defs[0].params);
	assert_true(camp_params_equal(a->campaigns->defs[0].params,
	    b->campaigns->defs[0].params));
	config_free(b);
	b = load_ok(HEAD WARMUP "hours = 08:00-20:01\n");
	assert_false(camp_params_equal(a->campaigns->defs[0].params,
	    b->campaigns->defs[0].params));
	config_free(b);
	config_free(a);

	/* Numbers by value; everything else exactly. */
	x = json_loads("{\"a\": 1, \"b\": [0.5, \"s\", null, true]}", 0, NULL);
	y = json_loads("{\"b\": [0.5, \"s\", null, true], \"a\": 1.0}", 0,
	    NULL);
	assert_true(camp_params_equal(x, y));
	json_object_set_new(y, "c", json_false());
	assert_false(camp_params_equal(x, y));
	json_object_del(y, "c");
	json_array_set_new(json_object_get(y, "b"), 3, json_false());
	assert_false(camp_params_equal(x, y));
	json_array_set_new(json_object_get(y, "b"), 3, json_true());
	json_object_set_new(y, "a", json_string("1"));
	assert_false(camp_params_equal(x, y));
	assert_true(camp_params_equal(NULL, NULL));
	assert_false(camp_params_equal(x, NULL));
	json_decref(x);
	json_decref(y);
}

static void
test_dump(void **state)
{
	struct config	*cfg;
	char		*out = NULL, *want;
	size_t		 len = 0;
	FILE		*fp;

	(void)state;
	cfg = load_ok(HEAD "[campaign f]\nkind = warmup\n"
	    "join_probability = 60%\nrecipients = 1\nletters_start = 1\n"
	    "letter_template = tpl/letter.tpl\nreply_probability = 0\n"
	    "seed = 7\nenabled = no\n");
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	config_dump(cfg, fp);
	assert_int_equal(fclose(fp), 0);
	want = xasprintf("\n# 1 campaign(s)\n# campaign f: warmup (disabled), "
	    "%s:5, seed 7\n#   {\"time_zone\":\"Europe/Moscow\"", conf_path);
	if (strstr(out, want) == NULL) {
		print_message("%s", out);
		fail_msg("no campaign in the dump");
	}
	free(want);
	assert_non_null(strstr(out, "\"join_probability\":0.6,"));
	assert_non_null(strstr(out, "\ncampaign_dir = \n"));
	free(out);
	config_free(cfg);
}

/* ---- the example file ------------------------------------------------ */

static char *
slurp(const char *path, size_t *lenp)
{
	FILE	*fp = fopen(path, "r"), *mem;
	char	*text = NULL;
	size_t	 len = 0;
	int	 c;

	assert_non_null(fp);
	mem = open_memstream(&text, &len);
	while ((c = fgetc(fp)) != EOF)
		fputc(c, mem);
	fclose(mem);
	fclose(fp);
	*lenp = len;
	return text;
}

static void
test_example(void **state)
{
	static const char *const tpls[] = { "engage-ru.tpl", "reply-en.tpl",
	    "reply-ru.tpl", "warmup-en.tpl", "warmup-ru.tpl" };
	const char		*top = getenv("top_srcdir");
	struct config		*cfg;
	struct errlist		 el = { 0 };
	const struct camp_def	*d;
	char			*path, *text, *out, *line, *next, *name;
	size_t			 len;
	int			 in_camp = 0;
	FILE			*mem;

	(void)state;
	if (top == NULL)
		top = ".";
	for (size_t i = 0; i < sizeof(tpls) / sizeof(tpls[0]); i++) {
		path = xasprintf("%s/conf/templates/%s", top, tpls[i]);
		text = slurp(path, &len);
		name = xasprintf("ex/templates/%s", tpls[i]);
		put_len(name, text, len);
		free(name);
		free(text);
		free(path);
	}
	put("ex/accounts.txt", "a@mail.ru;pw;127.0.0.1:1080\n");

	/* Uncomment the example campaigns: they must load as they are. */
	path = xasprintf("%s/conf/warmd.conf.example", top);
	text = slurp(path, &len);
	free(path);
	mem = open_memstream(&out, &len);
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "; ---- Campaigns", 16) == 0)
			in_camp = 1;
		if (in_camp && line[0] == '#')
			line += line[1] == ' ' ? 2 : 1;
		fprintf(mem, "%s\n", line);
	}
	fclose(mem);
	free(text);
	put("ex/warmd.conf", out);
	free(out);
	path = xasprintf("%s/ex/warmd.conf", tmpdir);
	cfg = config_load(path, &el);
	free(path);
	if (cfg == NULL) {
		dump_errors(&el);
		fail_msg("the example campaigns do not load");
	}
	assert_int_equal(cfg->campaigns->n, 3);
	d = camp_find(cfg->campaigns, "march-rescue");
	assert_non_null(d);
	assert_string_equal(d->kind, "rescue");
	d = camp_find(cfg->campaigns, "daily-engage");
	assert_non_null(d);
	assert_string_equal(d->kind, "engage");
	assert_string_equal(json_string_value(json_object_get(d->params,
	    "date")), "yesterday");
	d = camp_find(cfg->campaigns, "spring-warmup");
	assert_non_null(d);
	assert_string_equal(d->kind, "warmup");
	assert_int_equal(d->nletters, 2);
	assert_int_equal(d->nreplies, 2);
	config_free(cfg);

	/* The example check knows campaign keys and wants each shown. */
	put("bad.example", "[campaign x]\n# kind = rescue\n# colour = red\n");
	path = xasprintf("%s/bad.example", tmpdir);
	assert_int_equal(config_check_example(path, &el), -1);
	text = xasprintf("%s:3: campaign x.colour: not a campaign key", path);
	for (len = 0; len < el.count; len++)
		if (strcmp(el.msgs[len], text) == 0)
			break;
	if (len == el.count) {
		dump_errors(&el);
		fail_msg("no %s", text);
	}
	free(text);
	for (len = 0; len < el.count; len++)
		if (strstr(el.msgs[len], "campaign key enabled: not "
		    "documented") != NULL)
			break;
	assert_true(len < el.count);
	for (len = 0; len < el.count; len++)
		assert_null(strstr(el.msgs[len], "campaign key kind:"));
	errlist_clear(&el);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_rescue),
		cmocka_unit_test(test_engage),
		cmocka_unit_test(test_warmup),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_section_errors),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_campaign_dir),
		cmocka_unit_test(test_reload_and_equal),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_example),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
