/* Unit tests for backoff.c: growth, cap and jitter bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"

static void
test_grows_then_caps(void **state)
{
	unsigned	want[] = { 100, 200, 400, 800, 1000, 1000 };

	(void)state;
	for (unsigned a = 0; a < 6; a++) {
		for (int i = 0; i < 200; i++) {
			unsigned d = backoff_ms(100, 1000, a);

			/* Equal jitter: the upper half of the nominal delay. */
			assert_true(d >= want[a] / 2);
			assert_true(d <= want[a]);
		}
	}
}

static void
test_jitter_spreads(void **state)
{
	unsigned	lo = ~0u, hi = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		unsigned d = backoff_ms(1000, 60000, 3);

		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	/* Nominal 8 s: a thousand draws must not all land together. */
	assert_true(hi - lo > 1000);
}

static void
test_huge_attempts_do_not_overflow(void **state)
{
	(void)state;
	assert_true(backoff_ms(500, 30000, 1000) <= 30000);
	assert_true(backoff_ms(500, 30000, 1000) >= 15000);
	assert_int_equal(backoff_ms(0, 0, 5), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_then_caps),
		cmocka_unit_test(test_jitter_spreads),
		cmocka_unit_test(test_huge_attempts_do_not_overflow),
	};

	return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
