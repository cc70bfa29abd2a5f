/*
 * Preflight verdicts for an operator's sending domain: given the DNS
 * answers already fetched (MX hosts, TXT strings), decide ok / warn /
 * fail with a one-line reason for MX, SPF, one DKIM selector and DMARC.
 * Pure: no I/O, so it is unit-tested without a DNS server.
 */
#ifndef WARMD_PREFLIGHT_H
#define WARMD_PREFLIGHT_H

#include <stddef.h>

enum pf_verdict {
	PF_OK,
	PF_WARN,
	PF_FAIL
};

struct pf_check {
	enum pf_verdict	verdict;
	char		reason[160];
};

/* MX: nmx hosts ("." alone is a null MX, RFC 7505); has_a says whether
 * the domain has A/AAAA to fall back on (RFC 5321 5.1). */
void		 preflight_mx(const char *const *mx, size_t nmx, int has_a,
		    struct pf_check *);
/* SPF over all TXT strings at the domain. */
void		 preflight_spf(const char *const *txt, size_t ntxt,
		    struct pf_check *);
/* DKIM over the TXT strings at SELECTOR._domainkey.DOMAIN. */
void		 preflight_dkim(const char *const *txt, size_t ntxt,
		    struct pf_check *);
/* DMARC over the TXT strings at _dmarc.DOMAIN. */
void		 preflight_dmarc(const char *const *txt, size_t ntxt,
		    struct pf_check *);
const char	*preflight_strverdict(enum pf_verdict);

#endif
