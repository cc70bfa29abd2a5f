/*
 * Address syntax for warmctl validate: the practical subset of RFC 5321
 * and RFC 5322 that mail servers accept.  Pure code, no I/O; unit-tested
 * (tests/unit/test_addrcheck.c) and fuzzed (tests/fuzz/fuzz_addrcheck.c).
 *
 * Local part: a dot-atom of RFC 5322 atext, or a quoted string of
 * printable ASCII, at most 64 octets; non-ASCII local parts (SMTPUTF8)
 * are refused.  Domain: two or more LDH labels of 1..63 octets, not
 * starting or ending with '-', a non-numeric top label, at most 253
 * octets; no address literals.  A non-ASCII (IDN) domain is lowercased
 * and NFC-normalised with libunistring and each non-ASCII label
 * Punycode-encoded (RFC 3492) to its xn-- A-label; the IDNA2008
 * code-point tables are not applied (libidn2 is not linked).
 */
#ifndef WARMD_ADDRCHECK_H
#define WARMD_ADDRCHECK_H

#include <stddef.h>

#define ADDR_MAX_LOCAL	64
#define ADDR_MAX_DOMAIN	253
#define ADDR_MAX_INPUT	1024

struct addr {
	char	local[ADDR_MAX_LOCAL + 1];	/* as written (case kept) */
	char	domain[ADDR_MAX_DOMAIN + 1];	/* lowercase ASCII, A-labels */
	int	idn;				/* domain was non-ASCII */
};

/* Parse s (NUL-terminated, no surrounding blanks expected) into *a;
 * 0, or -1 with *why a static English reason. */
int	addrcheck_parse(const char *s, struct addr *a, const char **why);

/* Punycode-encode n code points (RFC 3492) into out (size outsz, NUL-
 * terminated), without the "xn--" prefix; 0, or -1 if it does not fit. */
int	addrcheck_punycode(const unsigned *cp, size_t n, char *out,
	    size_t outsz);

#endif
