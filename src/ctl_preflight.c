/*
 * warmctl preflight DOMAIN [--dkim SEL[,SEL]] [--dns HOST:PORT] [--json]:
 * the operator's sending domain as receivers will see it.  MX through
 * dnsq_lookup (the validator's resolver), SPF, DKIM at each selector and
 * DMARC through dnsq_txt, all asked at once on the event loop; the
 * verdicts (ok / warn / fail and why) come from preflight.c.  Exit 0
 * when nothing fails, 1 otherwise or when DNS could not answer.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "dnsq.h"
#include "loop.h"
#include "preflight.h"

#define PF_MAX_SEL	8
#define PF_MAX_CHECKS	(3 + PF_MAX_SEL)

enum pf_kind { K_MX, K_SPF, K_DKIM, K_DMARC };

struct pfc {
	enum pf_kind	 kind;
	char		 what[80];	/* "dkim s1" */
	char		 name[300];	/* the DNS name asked */
	struct pf_check	 c;
	int		 error;		/* DNS failed: verdict unknown */
	int		*pending;
};

static void
done(struct pfc *p)
{
	if (--*p->pending == 0)
		loop_stop();
}

static void
mx_done(const struct dnsq_result *r, void *arg)
{
	struct pfc	*p = arg;
	const char	*mx[1] = { r->mx };
	const char	*null[1] = { "." };

	switch (r->status) {
	case DNSQ_OK:
		preflight_mx(r->implicit ? NULL : mx, r->implicit ? 0 : 1,
		    r->implicit, &p->c);
		break;
	case DNSQ_NOMX:
		if (strstr(r->detail, "null MX") != NULL)
			preflight_mx(null, 1, 0, &p->c);
		else if (r->implicit)
			preflight_mx(NULL, 0, 0, &p->c);
		else {
			p->c.verdict = PF_FAIL;
			snprintf(p->c.reason, sizeof(p->c.reason), "%s",
			    r->detail);
		}
		break;
	case DNSQ_NXDOMAIN:
		p->c.verdict = PF_FAIL;
		snprintf(p->c.reason, sizeof(p->c.reason), "%s", r->detail);
		break;
	case DNSQ_TEMP:
		p->error = 1;
		snprintf(p->c.reason, sizeof(p->c.reason), "%s", r->detail);
		break;
	}
	done(p);
}

static void
txt_done(enum dnsq_status st, const char *const *txt, size_t n,
    const char *detail, void *arg)
{
	struct pfc	*p = arg;

	if (st == DNSQ_TEMP) {
		p->error = 1;
		snprintf(p->c.reason, sizeof(p->c.reason), "%s", detail);
		done(p);
		return;
	}
	switch (p->kind) {
	case K_SPF:
		preflight_spf(txt, n, &p->c);
		break;
	case K_DKIM:
		preflight_dkim(txt, n, &p->c);
		break;
	case K_DMARC:
		preflight_dmarc(txt, n, &p->c);
		break;
	case K_MX:
		break;
	}
	done(p);
}

static const char *
verdict(const struct pfc *p)
{
	return p->error ? "error" : preflight_strverdict(p->c.verdict);
}

static void
print_table(const char *domain, const struct pfc *v, int n)
{
	printf("preflight %s\n", domain);
	for (int i = 0; i < n; i++)
		printf("  %-12s %-5s  %s\n", v[i].what, verdict(&v[i]),
		    v[i].c.reason);
}

static void
print_json(const char *domain, const struct pfc *v, int n, int ok)
{
	json_t	*arr = json_array(), *o;

	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}",
		    "check", v[i].what, "name", v[i].name,
		    "verdict", verdict(&v[i]), "reason", v[i].c.reason));
	o = json_pack("{s:s, s:b, s:o}", "domain", domain, "ok", ok,
	    "checks", arr);
	json_dumpf(o, stdout, JSON_INDENT(1));
	putchar('\n');
	json_decref(o);
}

static void
pusage(FILE *f)
{
	fprintf(f, "usage: warmctl preflight [--dkim SELECTOR[,SELECTOR]] "
	    "[--dns HOST:PORT] [--json] DOMAIN\n");
}

static void
add(struct pfc *v, int *n, enum pf_kind k, const char *what,
    const char *name, int *pending)
{
	struct pfc	*p = &v[(*n)++];

	memset(p, 0, sizeof(*p));
	p->kind = k;
	p->pending = pending;
	snprintf(p->what, sizeof(p->what), "%s", what);
	snprintf(p->name, sizeof(p->name), "%s", name);
}

int
cmd_preflight(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "dns", required_argument, NULL, 'd' },
		{ "dkim", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct pfc	 v[PF_MAX_CHECKS];
	const char	*dns = NULL, *domain;
	char		*sels = NULL, *s, *save = NULL;
	char		 name[300], what[80], err[200];
	struct dnsq	*q;
	int		 ch, json = 0, n = 0, pending = 0, nsel = 0, ok = 1;
	int		 error = 0;

	(void)c;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'd':
			dns = optarg;
			break;
		case 'k':
			sels = optarg;
			break;
		default:
			pusage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || argv[optind][0] == '\0' ||
	    strlen(argv[optind]) > 253) {
		pusage(stderr);
		return EXIT_USAGE;
	}
	domain = argv[optind];
	add(v, &n, K_MX, "mx", domain, &pending);
	add(v, &n, K_SPF, "spf", domain, &pending);
	for (s = sels ? strtok_r(sels, ",", &save) : NULL; s != NULL;
	    s = strtok_r(NULL, ",", &save)) {
		if (++nsel > PF_MAX_SEL) {
			fprintf(stderr, "warmctl preflight: at most %d DKIM "
			    "selectors\n", PF_MAX_SEL);
			return EXIT_USAGE;
		}
		snprintf(what, sizeof(what), "dkim %s", s);
		snprintf(name, sizeof(name), "%s._domainkey.%s", s, domain);
		add(v, &n, K_DKIM, what, name, &pending);
	}
	snprintf(name, sizeof(name), "_dmarc.%s", domain);
	add(v, &n, K_DMARC, "dmarc", name, &pending);

	if (loop_init() != 0) {
		fprintf(stderr, "warmctl preflight: event loop\n");
		return 1;
	}
	if ((q = dnsq_new(dns, 1500, 2, err, sizeof(err))) == NULL) {
		fprintf(stderr, "warmctl preflight: %s\n", err);
		loop_free();
		return EXIT_USAGE;
	}
	pending = n;
	for (int i = 0; i < n; i++) {
		if (v[i].kind == K_MX)
			dnsq_lookup(q, v[i].name, mx_done, &v[i]);
		else
			dnsq_txt(q, v[i].name, txt_done, &v[i]);
	}
	loop_run();
	dnsq_free(q);
	loop_free();

	for (int i = 0; i < n; i++) {
		if (v[i].error)
			error = 1;
		if (v[i].error || v[i].c.verdict == PF_FAIL)
			ok = 0;
	}
	if (json)
		print_json(domain, v, n, ok);
	else
		print_table(domain, v, n);
	fflush(stdout);
	if (error)
		for (int i = 0; i < n; i++)
			if (v[i].error) {
				fprintf(stderr, "warmctl preflight: %s\n",
				    v[i].c.reason);
				break;
			}
	return ok ? 0 : 1;
}
