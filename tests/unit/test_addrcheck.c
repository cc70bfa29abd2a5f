/* Unit tests for addrcheck.c: accepted forms, refusals with their
 * reasons, IDN to A-labels, and RFC 3492's Punycode samples. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "addrcheck.h"

static void
ok(const char *in, const char *local, const char *domain, int idn)
{
	struct addr	 a;
	const char	*why = "x";

	assert_int_equal(addrcheck_parse(in, &a, &why), 0);
	assert_null(why);
	assert_string_equal(a.local, local);
	assert_string_equal(a.domain, domain);
	assert_int_equal(a.idn, idn);
}

static void
bad(const char *in, const char *reason)
{
	struct addr	 a;
	const char	*why = NULL;

	assert_int_equal(addrcheck_parse(in, &a, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
	assert_string_equal(a.local, "");
	assert_string_equal(a.domain, "");
}

static void
test_accepts(void **state)
{
	(void)state;
	ok("user@mail.ru", "user", "mail.ru", 0);
	ok("First.Last+tag@Example.COM", "First.Last+tag", "example.com", 0);
	ok("o'hara!#$%&*/=?^_`{|}~-@x-y.example", "o'hara!#$%&*/=?^_`{|}~-",
	    "x-y.example", 0);
	ok("\"john doe\"@example.org", "\"john doe\"", "example.org", 0);
	ok("\"a\\\"b@c\"@example.org", "\"a\\\"b@c\"", "example.org", 0);
	ok("u@123.example", "u", "123.example", 0);
	ok("u@xn--bcher-kva.de", "u", "xn--bcher-kva.de", 0);
}

static void
test_refuses(void **state)
{
	char	long_local[80], long_label[90], long_domain[300];

	(void)state;
	bad("", "empty address");
	bad("plainaddress", "no @");
	bad("@example.com", "empty local part");
	bad("user@", "empty domain");
	bad(".user@example.com", "starts or ends with a dot");
	bad("user.@example.com", "starts or ends with a dot");
	bad("a..b@example.com", "two dots");
	bad("a b@example.com", "invalid character in local part");
	bad("a@b@example.com", "invalid character in local part");
	bad("\"unterminated@example.com", "");
	bad("ü@example.com", "SMTPUTF8");
	bad("user@localhost", "single label");
	bad("user@example.123", "numeric top-level");
	bad("user@-ex.com", "hyphen");
	bad("user@ex-.com", "hyphen");
	bad("user@ex..com", "empty label");
	bad("user@example.com.", "ends with a dot");
	bad("user@ex_ample.com", "invalid character in domain");
	bad("user@[192.0.2.1]", "address literals");
	bad("user@\xff\xfe.com", "not valid UTF-8");
	memset(long_local, 'a', 65);
	strcpy(long_local + 65, "@example.com");
	bad(long_local, "longer than 64");
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".com");
	memmove(long_label + 2, long_label, strlen(long_label) + 1);
	memcpy(long_label, "u@", 2);
	bad(long_label, "longer than 63");
	strcpy(long_domain, "u@");
	for (int i = 0; i < 26; i++)
		strcat(long_domain, "abcdefghi.");
	strcat(long_domain, "com");
	bad(long_domain, "longer than 253");
}

static void
test_idn(void **state)
{
	(void)state;
	ok("user@bücher.de", "user", "xn--bcher-kva.de", 1);
	ok("x@Пример.РФ", "x", "xn--e1afmkfd.xn--p1ai", 1);
	ok("x@MÜNCHEN.de", "x", "xn--mnchen-3ya.de", 1);
	/* NFC: u + combining diaeresis is ü. */
	ok("x@mu\xcc\x88nchen.de", "x", "xn--mnchen-3ya.de", 1);
}

static void
test_punycode_rfc3492(void **state)
{
	/* RFC 3492 7.1 (A) Arabic (Egyptian) and (L) 3<nen>B<gumi>... */
	static const unsigned arabic[] = { 0x0644, 0x064A, 0x0647, 0x0645,
	    0x0627, 0x0628, 0x062A, 0x0643, 0x0644, 0x0645, 0x0648, 0x0634,
	    0x0639, 0x0631, 0x0628, 0x064A, 0x061F };
	static const unsigned mixed[] = { 0x0033, 0x5E74, 0x0042, 0x7D44,
	    0x91D1, 0x516B, 0x5148, 0x751F };
	char	out[64], tiny[4];

	(void)state;
	assert_int_equal(addrcheck_punycode(arabic, 17, out, sizeof(out)), 0);
	assert_string_equal(out, "egbpdaj6bu4bxfgehfvwxn");
	assert_int_equal(addrcheck_punycode(mixed, 8, out, sizeof(out)), 0);
	assert_string_equal(out, "3B-ww4c5e180e575a65lsy2b");
	assert_int_equal(addrcheck_punycode(arabic, 17, tiny, sizeof(tiny)),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_idn),
		cmocka_unit_test(test_punycode_rfc3492),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
