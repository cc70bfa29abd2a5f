/* Unit tests for backoff.c: growth, cap and jitter bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"
#include "rng.h"

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

/* Job retries: the same seed gives the same schedule, within bounds. */
static void
test_seeded_replays(void **state)
{
	struct rng	a, b, c;
	unsigned	want[] = { 30000, 60000, 120000, 240000, 480000, 600000 };
	int		differs = 0;

	(void)state;
	rng_seed(&a, 42, "job:17");
	rng_seed(&b, 42, "job:17");
	rng_seed(&c, 43, "job:17");
	for (unsigned n = 0; n < 6; n++) {
		unsigned x = backoff_seeded_ms(30000, 600000, n, &a);
		unsigned y = backoff_seeded_ms(30000, 600000, n, &b);
		unsigned z = backoff_seeded_ms(30000, 600000, n, &c);

		assert_int_equal(x, y);
		assert_true(x >= want[n] / 2 && x <= want[n]);
		assert_true(z >= want[n] / 2 && z <= want[n]);
		differs |= x != z;
	}
	/* Another seed is another schedule. */
	assert_true(differs);
	assert_int_equal(backoff_seeded_ms(0, 0, 3, &a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_then_caps),
		cmocka_unit_test(test_jitter_spreads),
		cmocka_unit_test(test_huge_attempts_do_not_overflow),
		cmocka_unit_test(test_seeded_replays),
	};

	return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
