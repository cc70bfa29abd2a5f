/* Unit tests for preflight.c: the ok / warn / fail verdict of each
 * sending-domain check over record strings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "preflight.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* A 1024-bit RSA SubjectPublicKeyInfo is 216 base64 characters. */
#define KEY1024 \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC/QuCIQ5o7oiwe+ttDC2CuJBM5" \
	"YqYotbMVv748mXrrNFfKEg+X7CbD+OxajyyaL+HEfkjEjWKVagXszdkDVQrM1kMI" \
	"OTRhbqceaA7VKF4nKb83tRqlTIau9bsju/pXyBn8O4rWwMRLFH5Q3mKeSgUnQGpb" \
	"h6tLY+uoM6NgcFDy7wIDAQAB"

static void
test_mx(void **st)
{
	struct pf_check	 c;
	const char	*good[] = { "mx1.example.org", "mx2.example.org" };
	const char	*null[] = { "." };

	(void)st;
	preflight_mx(good, N(good), 0, &c);
	assert_int_equal(c.verdict, PF_OK);
	assert_non_null(strstr(c.reason, "mx1.example.org"));
	preflight_mx(null, N(null), 1, &c);
	assert_int_equal(c.verdict, PF_FAIL);
	assert_non_null(strstr(c.reason, "null MX"));
	preflight_mx(NULL, 0, 1, &c);
	assert_int_equal(c.verdict, PF_WARN);
	preflight_mx(NULL, 0, 0, &c);
	assert_int_equal(c.verdict, PF_FAIL);
}

static enum pf_verdict
spf1(const char *rec)
{
	struct pf_check	 c;
	const char	*t[] = { "google-site-verification=abc", rec };

	preflight_spf(t, N(t), &c);
	return c.verdict;
}

static void
test_spf(void **st)
{
	struct pf_check	 c;
	const char	*two[] = { "v=spf1 -all", "v=spf1 ~all" };
	const char	*none[] = { "hello" };

	(void)st;
	assert_int_equal(spf1("v=spf1 mx -all"), PF_OK);
	assert_int_equal(spf1("v=spf1 ip4:192.0.2.1 ~all"), PF_OK);
	assert_int_equal(spf1("V=SPF1 a -ALL"), PF_OK);
	assert_int_equal(spf1("v=spf1 +all"), PF_FAIL);
	assert_int_equal(spf1("v=spf1 mx all"), PF_FAIL);
	assert_int_equal(spf1("v=spf1 mx ?all"), PF_WARN);
	assert_int_equal(spf1("v=spf1 mx"), PF_WARN);
	assert_int_equal(spf1("v=spf1 include:all.example.net"), PF_WARN);
	assert_int_equal(spf1("v=spf10 -all"), PF_FAIL);	/* not SPF */
	preflight_spf(two, N(two), &c);
	assert_int_equal(c.verdict, PF_FAIL);
	assert_non_null(strstr(c.reason, "multiple SPF records"));
	preflight_spf(none, N(none), &c);
	assert_int_equal(c.verdict, PF_FAIL);
	preflight_spf(NULL, 0, &c);
	assert_int_equal(c.verdict, PF_FAIL);
}

static enum pf_verdict
dkim1(const char *rec)
{
	struct pf_check	 c;
	const char	*t[] = { rec };

	preflight_dkim(t, N(t), &c);
	return c.verdict;
}

static void
test_dkim(void **st)
{
	struct pf_check	 c;

	(void)st;
	assert_int_equal(dkim1("v=DKIM1; k=rsa; p=" KEY1024), PF_OK);
	assert_int_equal(dkim1("v=DKIM1; p=" KEY1024), PF_OK);
	assert_int_equal(dkim1("v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQAD"),
	    PF_WARN);
	assert_int_equal(dkim1("v=DKIM1; k=ed25519; "
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="), PF_OK);
	assert_int_equal(dkim1("v=DKIM1; k=rsa; p="), PF_FAIL);
	assert_int_equal(dkim1("v=DKIM1; k=rsa; p= ;"), PF_FAIL);
	assert_int_equal(dkim1("v=DKIM1; k=rsa"), PF_FAIL);
	preflight_dkim(NULL, 0, &c);
	assert_int_equal(c.verdict, PF_FAIL);
	assert_non_null(strstr(c.reason, "no DKIM record"));
}

static enum pf_verdict
dmarc1(const char *rec, const char *want)
{
	struct pf_check	 c;
	const char	*t[] = { rec };

	preflight_dmarc(t, N(t), &c);
	if (want != NULL)
		assert_non_null(strstr(c.reason, want));
	return c.verdict;
}

static void
test_dmarc(void **st)
{
	struct pf_check	 c;
	const char	*two[] = { "v=DMARC1; p=reject", "v=DMARC1; p=none" };

	(void)st;
	assert_int_equal(dmarc1("v=DMARC1; p=reject; "
	    "rua=mailto:d@example.org", NULL), PF_OK);
	assert_int_equal(dmarc1("v=DMARC1; p=quarantine; pct=100; "
	    "rua=mailto:d@example.org", NULL), PF_OK);
	assert_int_equal(dmarc1("v=DMARC1; p=reject", "no rua"), PF_WARN);
	assert_int_equal(dmarc1("v=DMARC1; p=none; rua=mailto:d@x.org",
	    "p=none"), PF_WARN);
	assert_int_equal(dmarc1("v=DMARC1; p=none", "no rua"), PF_WARN);
	assert_int_equal(dmarc1("v=DMARC1; rua=mailto:d@x.org", NULL),
	    PF_FAIL);
	assert_int_equal(dmarc1("v=DMARC1; p=bogus", NULL), PF_FAIL);
	assert_int_equal(dmarc1("v=spf1 -all", "no DMARC"), PF_FAIL);
	preflight_dmarc(two, N(two), &c);
	assert_int_equal(c.verdict, PF_FAIL);
	preflight_dmarc(NULL, 0, &c);
	assert_int_equal(c.verdict, PF_FAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mx),
		cmocka_unit_test(test_spf),
		cmocka_unit_test(test_dkim),
		cmocka_unit_test(test_dmarc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
