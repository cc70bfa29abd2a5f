/* Unit tests for breaker.c: when a route opens, how long it stays open,
 * the single half-open probe, and what /status sees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "breaker.h"

static const struct brk_conf conf = { 3, 1000, 3500, 500 };

static int	 opened;
static char	 opened_name[64];

static void
on_open(void *arg, enum brk_kind kind, const char *name, unsigned failures,
    const char *error, uint64_t cooldown_ms)
{
	(void)arg;
	assert_int_equal(kind, BRK_PROXY);
	assert_int_equal(failures, 3);
	assert_string_equal(error, "connect refused");
	assert_int_equal(cooldown_ms, 1000);
	snprintf(opened_name, sizeof(opened_name), "%s", name);
	opened++;
}

static void
test_opens_after_consecutive_failures(void **st)
{
	struct breakers	*b = breakers_new(&conf, on_open, NULL);
	const char	*p = "http://10.0.0.1:3128";

	(void)st;
	opened = 0;
	assert_int_equal(breaker_report(b, BRK_PROXY, p, "connect refused",
	    10), 0);
	assert_int_equal(breaker_report(b, BRK_PROXY, p, "connect refused",
	    20), 0);
	/* A success in between starts the count again. */
	assert_int_equal(breaker_report(b, BRK_PROXY, p, NULL, 30), 0);
	assert_int_equal(breaker_report(b, BRK_PROXY, p, "connect refused",
	    40), 0);
	assert_int_equal(breaker_report(b, BRK_PROXY, p, "connect refused",
	    50), 0);
	assert_int_equal(breaker_wait(b, BRK_PROXY, p, 55), 0);
	assert_int_equal(breaker_report(b, BRK_PROXY, p, "connect refused",
	    60), 1);
	assert_int_equal(opened, 1);
	assert_string_equal(opened_name, p);
	/* Open: everyone waits out the cooldown; other routes do not. */
	assert_int_equal(breaker_wait(b, BRK_PROXY, p, 560), 500);
	assert_int_equal(breaker_wait(b, BRK_HOST, p, 560), 0);
	assert_int_equal(breaker_wait(b, BRK_PROXY, "http://10.0.0.2:3128",
	    560), 0);
	/* Late failures of requests already under way change nothing. */
	assert_int_equal(breaker_report(b, BRK_PROXY, p, "connect refused",
	    600), 0);
	assert_int_equal(opened, 1);
	assert_int_equal(breaker_wait(b, BRK_PROXY, p, 1060), 0);
	breakers_free(b);
}

static void
test_half_open_probe(void **st)
{
	struct breakers	*b = breakers_new(&conf, NULL, NULL);
	const char	*h = "e.mail.ru";
	uint64_t	 n[BRK_NKINDS][BRK_NSTATES], o[BRK_NKINDS];

	(void)st;
	for (int i = 0; i < 3; i++)
		breaker_report(b, BRK_HOST, h, "HTTP 503", 100);
	assert_int_equal(breaker_wait(b, BRK_HOST, h, 1100), 0);
	/* One probe goes; the rest wait for its answer. */
	breaker_admit(b, BRK_HOST, h, 1100);
	assert_int_equal(breaker_wait(b, BRK_HOST, h, 1200), 400);
	breakers_counts(b, n, o);
	assert_int_equal(n[BRK_HOST][BRK_HALF_OPEN], 1);
	assert_int_equal(o[BRK_HOST], 1);
	assert_int_equal(o[BRK_PROXY], 0);
	/* The probe fails: open again, twice as long. */
	breaker_report(b, BRK_HOST, h, "HTTP 503", 1300);
	assert_int_equal(breaker_wait(b, BRK_HOST, h, 1300), 2000);
	breaker_admit(b, BRK_HOST, h, 3300);
	breaker_report(b, BRK_HOST, h, "HTTP 503", 3300);
	/* ... and never longer than max_cooldown. */
	assert_int_equal(breaker_wait(b, BRK_HOST, h, 3300), 3500);
	/* A probe that never answers is given up after probe_timeout. */
	breaker_admit(b, BRK_HOST, h, 6800);
	assert_int_equal(breaker_wait(b, BRK_HOST, h, 7200), 100);
	assert_int_equal(breaker_wait(b, BRK_HOST, h, 7300), 0);
	breaker_admit(b, BRK_HOST, h, 7300);
	/* The probe works: closed, forgotten. */
	breaker_report(b, BRK_HOST, h, NULL, 7400);
	assert_int_equal(breaker_wait(b, BRK_HOST, h, 7400), 0);
	breakers_counts(b, n, o);
	assert_int_equal(n[BRK_HOST][BRK_HALF_OPEN] + n[BRK_HOST][BRK_OPEN] +
	    n[BRK_HOST][BRK_CLOSED], 0);
	breakers_free(b);
}

struct seen {
	int		 n;
	struct brk_view	 v;
	char		 name[64];
};

static void
collect(void *arg, const struct brk_view *v)
{
	struct seen	*s = arg;

	s->n++;
	s->v = *v;
	snprintf(s->name, sizeof(s->name), "%s", v->name);
}

static void
test_view_and_off(void **st)
{
	struct brk_conf	 off = conf;
	struct breakers	*b = breakers_new(&conf, NULL, NULL);
	struct seen	 s;

	(void)st;
	for (int i = 0; i < 3; i++)
		breaker_report(b, BRK_PROXY, "socks5://p:1080", "refused", 0);
	memset(&s, 0, sizeof(s));
	breakers_each(b, 250, collect, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.name, "socks5://p:1080");
	assert_int_equal(s.v.state, BRK_OPEN);
	assert_int_equal(s.v.wait_ms, 750);
	assert_int_equal(s.v.open_for_ms, 250);
	assert_string_equal(s.v.last_error, "refused");
	assert_string_equal(breaker_state_name(s.v.state), "open");
	assert_string_equal(breaker_kind_name(s.v.kind), "proxy");
	/* failures = 0 turns breakers off: nothing more is recorded. */
	off.failures = 0;
	breakers_configure(b, &off);
	for (int i = 0; i < 10; i++)
		breaker_report(b, BRK_PROXY, "socks5://q:1080", "refused", 0);
	assert_int_equal(breaker_wait(b, BRK_PROXY, "socks5://q:1080", 1), 0);
	breakers_free(b);
	/* No registry at all: everything goes. */
	assert_int_equal(breaker_wait(NULL, BRK_PROXY, "x", 0), 0);
	assert_int_equal(breaker_report(NULL, BRK_PROXY, "x", "e", 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_after_consecutive_failures),
		cmocka_unit_test(test_half_open_probe),
		cmocka_unit_test(test_view_and_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
