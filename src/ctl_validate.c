/*
 * warmctl validate [FILE|-]: check addresses, one per line, by syntax
 * (addrcheck.c), MX through c-ares (dnsq.c) and an SMTP handshake
 * (smtpprobe.c) with the domain's MX addresses in preference order, all
 * at once on the event loop.
 *
 * Addresses are grouped by domain: one DNS lookup per domain, and per
 * domain at most --per-domain connections at a time, started at least
 * --delay ms apart, each asking up to --batch recipients after a random
 * local part (which, when accepted, makes the domain catch-all).  A
 * batch whose connection fails before any RCPT is answered moves on to
 * the next MX address (RFC 5321 5.1); an answered RCPT, 4xx or 5xx, is
 * the answer about that mailbox and is not asked again elsewhere.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "addrcheck.h"
#include "ctl.h"
#include "dnsq.h"
#include "loop.h"
#include "smtpprobe.h"
#include "xmalloc.h"

/*
 * MX addresses a batch tries, in preference order, before it is given
 * up.  RFC 5321 5.1 asks for at least two and allows a limit; five is a
 * primary and a backup MX, each dual-stack, and one more, while a domain
 * whose hosts all drop SYNs costs a batch no more than five --timeout
 * waits.
 */
#define VALIDATE_MAX_TRIES	5

enum vclass { V_PENDING, V_VALID, V_INVALID_SYNTAX, V_NO_SUCH_DOMAIN,
	V_NO_MX, V_MAILBOX_UNKNOWN, V_TEMPORARY, V_CATCH_ALL, V_UNVERIFIED,
	V_NCLASS };

static const char *const vclass_names[V_NCLASS] = { "pending", "valid",
	"invalid_syntax", "no_such_domain", "no_mx", "mailbox_unknown",
	"temporary", "catch_all", "unverified" };

struct vdom;

struct vitem {
	int		 line;
	char		*text;		/* the line as given (trimmed) */
	struct addr	 a;
	enum vclass	 cls;
	char		 detail[200];
	struct vdom	*dom;
	int		 via;		/* dom->dns.addrs answering; -1: none */
};

struct vdom {
	char			*name;
	struct dnsq_result	 dns;
	int			 resolved;
	struct vitem		**items;
	int			 n, cap, next;	/* next: first not yet probed */
	int			 active;
	uint64_t		 last_start;
	struct event		*delay_ev;
	/* Unreachable in this run: later batches try these last, so a
	 * dead primary does not cost each of them a --timeout. */
	unsigned char		 down[DNSQ_MAX_ADDRS];
	struct vdom		*hnext;
	struct vdom		*wnext;		/* all domains, for pumping */
};

struct vrun {
	const char	*dns_server;
	int		 smtp_port;
	const char	*helo, *mail_from;
	int		 per_domain, delay_ms, batch, max_conns, timeout_ms;
	int		 no_smtp;
	int		 active;		/* connections open */
	long		 pending;		/* items not classified */
	uint64_t	 rnd;
	struct dnsq	*dnsq;
	struct vdom	*tab[4096];
	struct vdom	*doms;
	char		 dns_error[200];
};

static struct vrun	*R;

static void	pump_all(void);

static void
classify(struct vitem *it, enum vclass c, const char *detail)
{
	if (it->cls != V_PENDING)
		return;
	it->cls = c;
	snprintf(it->detail, sizeof(it->detail), "%s", detail ? detail : "");
	if (--R->pending == 0)
		loop_stop();
}

static struct vdom *
dom_get(const char *name)
{
	unsigned	 h = 5381;
	struct vdom	*d;

	for (const char *p = name; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	h %= 4096;
	for (d = R->tab[h]; d != NULL; d = d->hnext)
		if (strcmp(d->name, name) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	d->hnext = R->tab[h];
	R->tab[h] = d;
	d->wnext = R->doms;
	R->doms = d;
	return d;
}

static void
dom_add(struct vdom *d, struct vitem *it)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->items = xreallocarray(d->items, (size_t)d->cap,
		    sizeof(*d->items));
	}
	d->items[d->n++] = it;
	it->dom = d;
}

static uint64_t
rnd_next(void)
{
	R->rnd ^= R->rnd << 13;
	R->rnd ^= R->rnd >> 7;
	R->rnd ^= R->rnd << 17;
	return R->rnd;
}

struct vprobe {
	struct vdom	*dom;
	struct vitem	*items[SMTPPROBE_MAX_RCPT];
	int		 n;
	char		 rnd[32];	/* the random local part */
	int		 ai;		/* the address being tried */
	int		 ntried;
	unsigned char	 tried[DNSQ_MAX_ADDRS];
	int		 temp;		/* some host said 4xx */
	char		 fail[200];	/* the last connection failure */
	struct event	*wait_ev;	/* --delay before the next address */
};

static void	vp_next(struct vprobe *);

static enum vclass
rcpt_class(int code, int catch_all)
{
	if (code / 100 == 2)
		return catch_all ? V_CATCH_ALL : V_VALID;
	if (code / 100 == 5)
		return V_MAILBOX_UNKNOWN;
	return V_TEMPORARY;
}

/* The MX host that answered, or the best one if none did. */
static const char *
via_name(const struct vitem *it)
{
	if (it->via < 0)
		return it->dom->dns.mx;
	return it->dom->dns.host[it->via];
}

static int
vp_maxtries(const struct vprobe *vp)
{
	int	n = vp->dom->dns.naddrs;

	return n < VALIDATE_MAX_TRIES ? n : VALIDATE_MAX_TRIES;
}

/* The next address to try: the first untried one not known to be down,
 * else the first untried one; -1 when the cap is reached. */
static int
vp_pick(const struct vprobe *vp)
{
	int	n = vp_maxtries(vp), pass, i;

	if (vp->ntried >= n)
		return -1;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
			if (!vp->tried[i] && (pass || !vp->dom->down[i]))
				return i;
	return -1;
}

static void
vp_free(struct vprobe *vp)
{
	vp->dom->active--;
	R->active--;
	if (vp->wait_ev != NULL)
		event_free(vp->wait_ev);
	free(vp);
}

/* Every address failed at the connection level: the batch could not be
 * asked, unless a host said 4xx (try later). */
static void
vp_give_up(struct vprobe *vp)
{
	char	buf[200];
	int	port = R->smtp_port;

	if (vp->ntried <= 1)
		snprintf(buf, sizeof(buf), "SMTP %.80s:%d: %.100s",
		    vp->dom->dns.host[vp->ai], port, vp->fail);
	else
		snprintf(buf, sizeof(buf), "SMTP: %d MX addresses failed, "
		    "last %.80s:%d: %.60s", vp->ntried,
		    vp->dom->dns.host[vp->ai], port, vp->fail);
	for (int i = 0; i < vp->n; i++)
		classify(vp->items[i], vp->temp ? V_TEMPORARY : V_UNVERIFIED,
		    buf);
	vp_free(vp);
}

/* Note a connection-level failure of the address being tried. */
static void
vp_failed(struct vprobe *vp, int session, const char *detail)
{
	if (session == -1)
		vp->dom->down[vp->ai] = 1;
	else if (session / 100 == 4)
		vp->temp = 1;
	snprintf(vp->fail, sizeof(vp->fail), "%s", detail);
}

static void
probe_done(const struct smtpprobe_result *r, void *arg)
{
	struct vprobe	*vp = arg;
	int		 catch_all = r->code[0] / 100 == 2;
	char		 buf[200];

	if (smtpprobe_conn_failed(r)) {
		vp_failed(vp, r->session, r->detail);
		vp_next(vp);
		pump_all();
		return;
	}
	vp->dom->down[vp->ai] = 0;
	for (int i = 0; i < vp->n; i++) {
		struct vitem	*it = vp->items[i];
		int		 code = r->code[i + 1];

		it->via = vp->ai;
		if (code != 0) {
			snprintf(buf, sizeof(buf), "%s%s",
			    catch_all && code / 100 == 2 ?
			    "random local part accepted too: " : "",
			    r->text[i + 1]);
			classify(it, rcpt_class(code, catch_all), buf);
		} else if (r->session == -1) {
			snprintf(buf, sizeof(buf), "SMTP %.80s:%d: %.100s",
			    via_name(it), R->smtp_port, r->detail);
			classify(it, V_UNVERIFIED, buf);
		} else {
			snprintf(buf, sizeof(buf), "SMTP: %.190s", r->detail);
			classify(it, r->session / 100 == 4 ? V_TEMPORARY :
			    V_UNVERIFIED, buf);
		}
	}
	vp_free(vp);
	pump_all();
}

/* Connect to address vp->ai; -1 if that fails at once. */
static int
vp_connect(struct vprobe *vp)
{
	struct vdom		*d = vp->dom;
	struct sockaddr_storage	 ss;
	char			*rcpts[SMTPPROBE_MAX_RCPT];
	char			 rbuf[SMTPPROBE_MAX_RCPT][ADDR_MAX_LOCAL +
				    ADDR_MAX_DOMAIN + 2];
	int			 n = 0;

	snprintf(rbuf[n], sizeof(rbuf[0]), "%s@%s", vp->rnd, d->name);
	rcpts[n] = rbuf[n];
	n++;
	for (int i = 0; i < vp->n; i++) {
		snprintf(rbuf[n], sizeof(rbuf[0]), "%s@%s",
		    vp->items[i]->a.local, d->name);
		rcpts[n] = rbuf[n];
		n++;
	}
	memcpy(&ss, &d->dns.addrs[vp->ai], sizeof(ss));
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port =
		    htons((uint16_t)R->smtp_port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port =
		    htons((uint16_t)R->smtp_port);
	if (smtpprobe_start((struct sockaddr *)&ss,
	    ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6), R->helo, R->mail_from, rcpts, n,
	    R->timeout_ms, probe_done, vp) == NULL)
		return -1;
	return 0;
}

static void
vp_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	vp_next(arg);
	pump_all();
}

/*
 * Connect to the next address, once the domain's --delay since its last
 * connection has passed (the batch keeps its slot under --per-domain
 * meanwhile); give up when the cap is reached.  vp may be freed.
 */
static void
vp_next(struct vprobe *vp)
{
	struct vdom	*d = vp->dom;
	uint64_t	 now;
	int		 ai;

	while ((ai = vp_pick(vp)) != -1) {
		now = loop_now_ms();
		if (R->delay_ms > 0 && d->last_start != 0 &&
		    now < d->last_start + (uint64_t)R->delay_ms) {
			if (vp->wait_ev == NULL)
				vp->wait_ev = evtimer_new(loop_base(),
				    vp_wait_cb, vp);
			loop_timer_ms(vp->wait_ev,
			    d->last_start + (uint64_t)R->delay_ms - now);
			return;
		}
		vp->ai = ai;
		vp->tried[ai] = 1;
		vp->ntried++;
		d->last_start = now;
		if (vp_connect(vp) == 0)
			return;
		vp_failed(vp, -1, "cannot connect (socket error)");
	}
	vp_give_up(vp);
}

static void
delay_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	pump_all();
}

/* Start what this domain's caps allow. */
static void
pump(struct vdom *d)
{
	while (d->resolved && d->next < d->n && d->active < R->per_domain &&
	    R->active < R->max_conns) {
		uint64_t	 now = loop_now_ms();
		struct vprobe	*vp;

		if (R->delay_ms > 0 && d->last_start != 0 &&
		    now < d->last_start + (uint64_t)R->delay_ms) {
			if (d->delay_ev == NULL)
				d->delay_ev = evtimer_new(loop_base(),
				    delay_cb, d);
			loop_timer_ms(d->delay_ev,
			    d->last_start + (uint64_t)R->delay_ms - now);
			return;
		}
		vp = xcalloc(1, sizeof(*vp));
		vp->dom = d;
		snprintf(vp->rnd, sizeof(vp->rnd), "warmd-probe-%012llx",
		    (unsigned long long)(rnd_next() & 0xffffffffffffULL));
		while (d->next < d->n && vp->n < R->batch &&
		    vp->n + 1 < SMTPPROBE_MAX_RCPT)
			vp->items[vp->n++] = d->items[d->next++];
		d->active++;
		R->active++;
		vp_next(vp);
	}
}

static void
pump_all(void)
{
	for (struct vdom *d = R->doms; d != NULL; d = d->wnext)
		pump(d);
}

static void
dns_done(const struct dnsq_result *res, void *arg)
{
	struct vdom	*d = arg;
	enum vclass	 c = V_PENDING;
	char		 buf[200];

	d->dns = *res;
	switch (res->status) {
	case DNSQ_NXDOMAIN:
		c = V_NO_SUCH_DOMAIN;
		break;
	case DNSQ_NOMX:
		c = V_NO_MX;
		break;
	case DNSQ_TEMP:
		c = V_TEMPORARY;
		if (R->dns_error[0] == '\0')
			snprintf(R->dns_error, sizeof(R->dns_error), "%s",
			    res->detail);
		break;
	case DNSQ_OK:
		break;
	}
	if (c != V_PENDING) {
		for (int i = 0; i < d->n; i++)
			classify(d->items[i], c, res->detail);
		return;
	}
	if (R->no_smtp) {
		snprintf(buf, sizeof(buf), "format+MX ok (%s%.120s), SMTP not tried",
		    res->implicit ? "no MX, A/AAAA of " : "MX ", res->mx);
		for (int i = 0; i < d->n; i++)
			classify(d->items[i], V_UNVERIFIED, buf);
		return;
	}
	d->resolved = 1;
	pump(d);
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Read the input into items; -1 if it cannot be read. */
static int
read_items(FILE *f, struct vitem **out, int *nout)
{
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 len;
	int		 lineno = 0, n = 0, ncap = 0;
	struct vitem	*v = NULL;

	while ((len = getline(&line, &cap, f)) != -1) {
		char		*s;
		const char	*why = NULL;
		struct vitem	*it;

		lineno++;
		if (memchr(line, '\0', (size_t)len) != NULL)
			why = "NUL byte in line";
		s = trim(line);
		if (why == NULL && (*s == '\0' || *s == '#'))
			continue;
		if (n == ncap) {
			ncap = ncap ? ncap * 2 : 256;
			v = xreallocarray(v, (size_t)ncap, sizeof(*v));
		}
		it = &v[n++];
		memset(it, 0, sizeof(*it));
		it->line = lineno;
		it->via = -1;
		it->text = xstrdup(s);
		if (why == NULL)
			addrcheck_parse(s, &it->a, &why);
		if (why != NULL) {
			it->cls = V_INVALID_SYNTAX;
			snprintf(it->detail, sizeof(it->detail), "%s", why);
			fprintf(stderr, "line %d: %s: %.80s\n", lineno, why,
			    s);
		}
	}
	free(line);
	if (ferror(f))
		return -1;
	*out = v;
	*nout = n;
	return 0;
}

static void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
print_items(struct vitem *v, int n, int fmt)
{
	if (fmt == 'j') {
		json_t	*arr = json_array();

		for (int i = 0; i < n; i++) {
			json_t *o = json_pack("{s:i, s:s, s:s, s:s}",
			    "line", v[i].line, "address", v[i].text,
			    "result", vclass_names[v[i].cls],
			    "detail", v[i].detail);

			if (o == NULL)	/* not UTF-8 */
				o = json_pack("{s:i, s:s, s:s}", "line",
				    v[i].line, "result",
				    vclass_names[v[i].cls], "detail",
				    v[i].detail);
			if (v[i].dom != NULL && v[i].dom->dns.mx[0] != '\0')
				json_object_set_new(o, "mx",
				    json_string(via_name(&v[i])));
			json_array_append_new(arr, o);
		}
		json_dumpf(arr, stdout, JSON_INDENT(1));
		fputc('\n', stdout);
		json_decref(arr);
		return;
	}
	if (fmt == 'c') {
		printf("line,address,result,detail\n");
		for (int i = 0; i < n; i++) {
			printf("%d,", v[i].line);
			csv_field(stdout, v[i].text);
			printf(",%s,", vclass_names[v[i].cls]);
			csv_field(stdout, v[i].detail);
			fputc('\n', stdout);
		}
		return;
	}
	printf("%-6s %-40s %-16s %s\n", "LINE", "ADDRESS", "RESULT", "DETAIL");
	for (int i = 0; i < n; i++)
		printf("%-6d %-40s %-16s %s\n", v[i].line, v[i].text,
		    vclass_names[v[i].cls], v[i].detail);
}

static void
vusage(FILE *f)
{
	fprintf(f, "usage: warmctl validate [--json|--csv] [--no-smtp] "
	    "[--dns HOST:PORT]\n"
	    "    [--smtp-port N] [--helo NAME] [--mail-from ADDR] "
	    "[--per-domain N]\n"
	    "    [--delay MS] [--batch N] [--max-connections N] "
	    "[--timeout MS] [FILE|-]\n");
}

static int
intarg(const char *s, int lo, int hi, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int
cmd_validate(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'C' },
		{ "no-smtp", no_argument, NULL, 'n' },
		{ "dns", required_argument, NULL, 'd' },
		{ "smtp-port", required_argument, NULL, 'p' },
		{ "helo", required_argument, NULL, 'H' },
		{ "mail-from", required_argument, NULL, 'm' },
		{ "per-domain", required_argument, NULL, 'P' },
		{ "delay", required_argument, NULL, 'D' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct vrun	 run = { .smtp_port = 25, .helo = "localhost",
	    .mail_from = "", .per_domain = 2, .delay_ms = 0, .batch = 20,
	    .max_conns = 256, .timeout_ms = 30000 };
	struct vitem	*v = NULL;
	int		 n = 0, ch, fmt = 't', rv, counts[V_NCLASS] = { 0 };
	int		 ok;
	FILE		*f = stdin;
	char		 err[200];
	const char	*bad = NULL;

	(void)c;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
		case 'C':
			fmt = ch == 'j' ? 'j' : 'c';
			break;
		case 'n':
			run.no_smtp = 1;
			break;
		case 'd':
			run.dns_server = optarg;
			break;
		case 'p':
			if (intarg(optarg, 1, 65535, &run.smtp_port) != 0)
				bad = "--smtp-port";
			break;
		case 'H':
			run.helo = optarg;
			break;
		case 'm':
			run.mail_from = optarg;
			break;
		case 'P':
			if (intarg(optarg, 1, 1000, &run.per_domain) != 0)
				bad = "--per-domain";
			break;
		case 'D':
			if (intarg(optarg, 0, 3600000, &run.delay_ms) != 0)
				bad = "--delay";
			break;
		case 'b':
			if (intarg(optarg, 1, SMTPPROBE_MAX_RCPT - 1,
			    &run.batch) != 0)
				bad = "--batch";
			break;
		case 'M':
			if (intarg(optarg, 1, 100000, &run.max_conns) != 0)
				bad = "--max-connections";
			break;
		case 't':
			if (intarg(optarg, 100, 3600000, &run.timeout_ms) != 0)
				bad = "--timeout";
			break;
		default:
			vusage(stderr);
			return EXIT_USAGE;
		}
		if (bad != NULL) {
			fprintf(stderr, "warmctl validate: bad %s value %s\n",
			    bad, optarg);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		vusage(stderr);
		return EXIT_USAGE;
	}
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0 &&
	    (f = fopen(argv[optind], "r")) == NULL) {
		fprintf(stderr, "warmctl validate: %s: %s\n", argv[optind],
		    strerror(errno));
		return EXIT_USAGE;
	}
	rv = read_items(f, &v, &n);
	if (f != stdin)
		fclose(f);
	if (rv != 0) {
		fprintf(stderr, "warmctl validate: read error: %s\n",
		    strerror(errno));
		return EXIT_USAGE;
	}
	R = &run;
	run.rnd = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^
	    0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < n; i++)
		if (v[i].cls == V_PENDING)
			run.pending++;
	if (run.pending > 0) {
		if (loop_init() != 0) {
			fprintf(stderr, "warmctl validate: event loop\n");
			return 1;
		}
		run.dnsq = dnsq_new(run.dns_server, 2000, 3, err, sizeof(err));
		if (run.dnsq == NULL) {
			fprintf(stderr, "warmctl validate: %s\n", err);
			loop_free();
			rv = EXIT_USAGE;
			goto out;
		}
		for (int i = 0; i < n; i++)
			if (v[i].cls == V_PENDING)
				dom_add(dom_get(v[i].a.domain), &v[i]);
		for (struct vdom *d = run.doms; d != NULL; d = d->wnext)
			dnsq_lookup(run.dnsq, d->name, dns_done, d);
		loop_run();
		dnsq_free(run.dnsq);
		for (struct vdom *d = run.doms; d != NULL; d = d->wnext)
			if (d->delay_ev != NULL)
				event_free(d->delay_ev);
		loop_free();
	}
	print_items(v, n, fmt);
	fflush(stdout);
	if (run.dns_error[0] != '\0')
		fprintf(stderr, "warmctl validate: %s\n", run.dns_error);
	for (int i = 0; i < n; i++)
		counts[v[i].cls]++;
	fprintf(stderr, "%d addresses:", n);
	for (int k = 1; k < V_NCLASS; k++)
		if (counts[k] > 0)
			fprintf(stderr, " %s %d", vclass_names[k], counts[k]);
	fputc('\n', stderr);
	/* In format+MX mode the best an address can be is unverified. */
	ok = n > 0 && counts[V_VALID] + (run.no_smtp ? counts[V_UNVERIFIED] :
	    0) == n;
	rv = ok ? 0 : 1;
out:
	for (struct vdom *d = run.doms, *nx; d != NULL; d = nx) {
		nx = d->wnext;
		free(d->name);
		free(d->items);
		free(d);
	}
	for (int i = 0; i < n; i++)
		free(v[i].text);
	free(v);
	R = NULL;
	return rv;
}
