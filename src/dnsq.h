/*
 * Mail routing lookups through c-ares on the libevent loop: a domain's
 * MX hosts (best preference first) resolved to addresses, falling back
 * to the domain's own A/AAAA when it has no MX (RFC 5321 5.1).  Results
 * are cached per domain for the life of the resolver; concurrent asks
 * for one domain share one lookup.  TXT records are asked for too
 * (dnsq_txt), for the sending-domain preflight.
 */
#ifndef WARMD_DNSQ_H
#define WARMD_DNSQ_H

#include <netinet/in.h>
#include <sys/socket.h>

enum dnsq_status {
	DNSQ_OK,	/* at least one address to try */
	DNSQ_NXDOMAIN,	/* the domain does not exist */
	DNSQ_NOMX,	/* exists, but no MX and no A/AAAA, or a null MX */
	DNSQ_TEMP	/* the resolver failed (timeout, SERVFAIL, refused) */
};

#define DNSQ_MAX_ADDRS	8

struct dnsq_result {
	enum dnsq_status	status;
	int			implicit;	/* no MX: the domain's A/AAAA */
	char			mx[256];	/* best MX host (or the domain) */
	int			naddrs;
	struct sockaddr_storage	addrs[DNSQ_MAX_ADDRS];	/* port 0 */
	char			host[DNSQ_MAX_ADDRS][256]; /* each one's MX */
	char			detail[160];	/* why, for !DNSQ_OK */
};

struct dnsq;

/* A resolver on loop_base(); server is "HOST:PORT" or NULL for
 * /etc/resolv.conf.  NULL with *err (static or in errbuf). */
struct dnsq	*dnsq_new(const char *server, int timeout_ms, int tries,
		    char *errbuf, size_t errlen);
/* Look domain up; cb runs later (never inside this call) with a result
 * that stays valid until dnsq_free. */
void		 dnsq_lookup(struct dnsq *, const char *domain,
		    void (*cb)(const struct dnsq_result *, void *), void *arg);
/*
 * The TXT records at name, each record's strings joined (as SPF, DKIM
 * and DMARC read them).  cb runs later with status DNSQ_OK (n may be 0:
 * the name exists without TXT), DNSQ_NXDOMAIN or DNSQ_TEMP (detail says
 * why); txt is valid only during the call.  Not cached.
 */
void		 dnsq_txt(struct dnsq *, const char *name,
		    void (*cb)(enum dnsq_status, const char *const *txt,
		    size_t n, const char *detail, void *), void *arg);
/* Pending lookups are cancelled without calling back. */
void		 dnsq_free(struct dnsq *);
const char	*dnsq_strstatus(enum dnsq_status);

#endif
