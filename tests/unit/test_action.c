/*
 * Unit tests for action.c's payload decoding: the list kinds' period
 * bounds (unix seconds or RFC 3339 with "Z" or a strict [+-]hh:mm offset),
 * and errors that name the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "action.h"

/* 2026-11-22T00:00:00Z */
#define T0	INT64_C(1795305600)

/* Decode a list_inbox payload; 0 and from/to, or -1 and why. */
static int
list(const char *payload, int64_t *from, int64_t *to, char *why,
    size_t len)
{
	struct action	 a;
	json_error_t	 jerr;
	json_t		*p;
	int		 rc;

	if ((p = json_loads(payload, 0, &jerr)) == NULL)
		fail_msg("bad test payload %s: %s", payload, jerr.text);
	why[0] = '\0';
	rc = action_init(&a, "list_inbox", p, why, len);
	json_decref(p);
	if (rc == 0) {
		assert_int_equal(a.kind, ACT_LIST_INBOX);
		assert_int_equal(a.since_last,
		    strstr(payload, "\"period\"") == NULL);
		*from = a.from;
		*to = a.to;
		action_clear(&a);
	}
	return rc;
}

static void
from_is(const char *when, int64_t want)
{
	char	 payload[256], why[256];
	int64_t	 from, to;

	snprintf(payload, sizeof(payload),
	    "{\"mode\":\"period\",\"from\":\"%s\"}", when);
	if (list(payload, &from, &to, why, sizeof(why)) != 0)
		fail_msg("from \"%s\" rejected: %s", when, why);
	assert_int_equal(from, want);
	assert_int_equal(to, INT64_MAX);
}

/* A time rejected in from, and in to (with a good from). */
static void
rejected(const char *when)
{
	char	 payload[256], why[256];
	int64_t	 from, to;

	snprintf(payload, sizeof(payload),
	    "{\"mode\":\"period\",\"from\":\"%s\"}", when);
	if (list(payload, &from, &to, why, sizeof(why)) != -1)
		fail_msg("from \"%s\" accepted as %lld", when,
		    (long long)from);
	if (strncmp(why, "payload.from:", 13) != 0)
		fail_msg("from \"%s\": reason \"%s\"", when, why);

	snprintf(payload, sizeof(payload),
	    "{\"mode\":\"period\",\"from\":0,\"to\":\"%s\"}", when);
	if (list(payload, &from, &to, why, sizeof(why)) != -1)
		fail_msg("to \"%s\" accepted as %lld", when, (long long)to);
	if (strncmp(why, "payload.to:", 11) != 0)
		fail_msg("to \"%s\": reason \"%s\"", when, why);
}

static void
t_times_good(void **state)
{
	char	 why[256];
	int64_t	 from, to;

	(void)state;
	from_is("2026-11-22T00:00:00Z", T0);
	from_is("2026-11-22T00:00:00.123Z", T0);
	from_is("2026-11-22T00:00:00+00:00", T0);
	from_is("2026-11-22T00:00:00-00:00", T0);
	from_is("2026-11-22T03:00:00+03:00", T0);
	from_is("2026-11-21T19:30:00-04:30", T0);
	from_is("2026-11-22T05:45:00.5+05:45", T0);
	from_is("2026-11-22T23:59:00+23:59", T0);
	from_is("2026-11-21T00:01:00-23:59", T0);

	/* unix seconds, both bounds */
	assert_int_equal(list("{\"mode\":\"period\",\"from\":1795305600,"
	    "\"to\":1795392000}", &from, &to, why, sizeof(why)), 0);
	assert_int_equal(from, T0);
	assert_int_equal(to, T0 + 86400);
	assert_int_equal(list("{\"mode\":\"period\","
	    "\"from\":\"2026-11-22T03:00:00+03:00\","
	    "\"to\":\"2026-11-22T00:00:01Z\"}", &from, &to, why, sizeof(why)),
	    0);
	assert_int_equal(from, T0);
	assert_int_equal(to, T0 + 1);

	/* mode new needs no times */
	assert_int_equal(list("{\"mode\":\"new\"}", &from, &to, why,
	    sizeof(why)), 0);
}

static void
t_times_bad(void **state)
{
	char	 why[256];
	int64_t	 from, to;

	(void)state;
	/* malformed offsets */
	rejected("2026-11-22T00:00:00+-1:00");
	rejected("2026-11-22T00:00:00+ 1:00");
	rejected("2026-11-22T00:00:00+1:000");
	rejected("2026-11-22T00:00:00+00:99");
	rejected("2026-11-22T00:00:00+00:60");
	rejected("2026-11-22T00:00:00+24:00");
	rejected("2026-11-22T00:00:00+99:00");
	rejected("2026-11-22T00:00:00-1:00");
	rejected("2026-11-22T00:00:00+1:00");
	rejected("2026-11-22T00:00:00+01:0");
	rejected("2026-11-22T00:00:00+01:00 ");
	rejected("2026-11-22T00:00:00+01:00Z");
	rejected("2026-11-22T00:00:00+0100");
	rejected("2026-11-22T00:00:00+01");
	rejected("2026-11-22T00:00:00+01-00");
	rejected("2026-11-22T00:00:00+0a:00");
	rejected("2026-11-22T00:00:00+01:0a");
	rejected("2026-11-22T00:00:00+");
	rejected("2026-11-22T00:00:00-");
	/* no zone, or something else */
	rejected("2026-11-22T00:00:00");
	rejected("2026-11-22T00:00:00Z ");
	rejected("2026-11-22T00:00:00ZZ");
	rejected("2026-11-22T00:00:00 UTC");
	rejected("2026-11-22");
	rejected("");
	rejected("yesterday");

	/* other types */
	assert_int_equal(list("{\"mode\":\"period\",\"from\":1.5}", &from,
	    &to, why, sizeof(why)), -1);
	assert_int_equal(strncmp(why, "payload.from:", 13), 0);
	assert_int_equal(list("{\"mode\":\"period\"}", &from, &to, why,
	    sizeof(why)), -1);
	assert_int_equal(strncmp(why, "payload.from:", 13), 0);
	assert_int_equal(list("{\"mode\":\"period\",\"from\":0,\"to\":null}",
	    &from, &to, why, sizeof(why)), -1);
	assert_int_equal(strncmp(why, "payload.to:", 11), 0);
	/* to must come after from */
	assert_int_equal(list("{\"mode\":\"period\","
	    "\"from\":\"2026-11-22T00:00:00Z\","
	    "\"to\":\"2026-11-22T03:00:00+03:00\"}", &from, &to, why,
	    sizeof(why)), -1);
	assert_int_equal(strncmp(why, "payload.to:", 11), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_times_good),
		cmocka_unit_test(t_times_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
