/* Unit tests for figures.c: Prometheus label values are escaped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "figures.h"

/* figures_label(s) as a C string compared with want. */
static void
check(const char *s, const char *want)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 n;
	char		*got;

	assert_non_null(b);
	figures_label(b, s);
	n = evbuffer_get_length(b);
	got = (char *)evbuffer_pullup(b, -1);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(n ? got : "", want, n);
	evbuffer_free(b);
}

static void
test_plain_names_pass(void **state)
{
	(void)state;
	check("", "");
	check("rescue-2024.05_a", "rescue-2024.05_a");
	check("Скидка", "Скидка");
}

static void
test_specials_escaped(void **state)
{
	(void)state;
	check("a\"b", "a\\\"b");
	check("a\\b", "a\\\\b");
	check("a\nb", "a\\nb");
	check("\\\"\n", "\\\\\\\"\\n");
	/* other control characters are legal in a label value as they are */
	check("a\tb", "a\tb");
}

static void
test_age_without_snapshot(void **state)
{
	(void)state;
	assert_true(figures_age_s() < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_names_pass),
		cmocka_unit_test(test_specials_escaped),
		cmocka_unit_test(test_age_without_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
