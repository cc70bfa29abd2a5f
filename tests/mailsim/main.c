/*
 * mailsim: a mail.ru emulator for warmd's tests. Parses the command line,
 * loads the mailboxes, opens the HTTPS, inspection and SMTP listeners,
 * reports the chosen ports in a ready file, and runs until SIGTERM/SIGINT.
 */
#include <sys/resource.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "defined.h"
#include "mailsim.h"

struct event_base *ms_base;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: mailsim --cert FILE --key FILE [--listen ADDR:PORT]\n"
	    "       [--inspect 127.0.0.1:PORT] [--smtp ADDR:PORT]\n"
	    "       [--accounts FILE | --generate N] [--overrides FILE]\n"
	    "       [--faults FILE] [--seed N] [--domains a.ru,b.ru]\n"
	    "       [--token-grace SEC] [--access-ttl SEC] [--ready-file PATH]\n");
	exit(2);
}

/* "host:port", "[v6]:port"; port 0 means any free port. */
int
parse_hostport(const char *s, char *host, size_t hl, uint16_t *port)
{
	const char *c;
	char *end;
	unsigned long p;
	size_t n;

	if (s[0] == '[') {
		if ((c = strchr(s, ']')) == NULL || c[1] != ':')
			return (-1);
		n = (size_t)(c - s - 1);
		if (n >= hl)
			return (-1);
		memcpy(host, s + 1, n);
		host[n] = '\0';
		c++;
	} else {
		if ((c = strrchr(s, ':')) == NULL)
			return (-1);
		n = (size_t)(c - s);
		if (n >= hl)
			return (-1);
		memcpy(host, s, n);
		host[n] = '\0';
	}
	p = strtoul(c + 1, &end, 10);
	if (*end != '\0' || p > 65535) {
		fprintf(stderr, "mailsim: bad port in %s\n", s);
		return (-1);
	}
	*port = (uint16_t)p;
	return (0);
}

static void
parse_domains(const char *list)
{
	char *copy = xstrdup(list), *p, *tok, *save = NULL;

	for (p = copy; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		store_cfg.domains = realloc(store_cfg.domains,
		    (store_cfg.ndomains + 1) * sizeof(char *));
		if (store_cfg.domains == NULL)
			abort();
		store_cfg.domains[store_cfg.ndomains++] = xstrdup(tok);
	}
	free(copy);
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Write the ports atomically so a reader never sees half a file. */
static int
write_ready(const char *path, uint16_t https, uint16_t insp, uint16_t smtp)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");

	if (f == NULL) {
		fprintf(stderr, "mailsim: cannot write %s\n", tmp);
		free(tmp);
		return (-1);
	}
	fprintf(f, "{\"https\":%u,\"inspect\":%u,\"smtp\":%u,\"pid\":%ld,"
	    "\"accounts\":%zu}\n", https, insp, smtp, (long)getpid(),
	    store_naccounts());
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "mailsim: cannot write %s\n", path);
		free(tmp);
		return (-1);
	}
	free(tmp);
	return (0);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	(void)arg;
	event_base_loopexit(ms_base, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "inspect", required_argument, NULL, 'i' },
		{ "smtp", required_argument, NULL, 's' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "accounts", required_argument, NULL, 'a' },
		{ "generate", required_argument, NULL, 'g' },
		{ "overrides", required_argument, NULL, 'o' },
		{ "faults", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'S' },
		{ "domains", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "token-grace", required_argument, NULL, 'G' },
		{ "access-ttl", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *listen = "127.0.0.1:0", *insp = "127.0.0.1:0", *smtp = NULL;
	const char *cert = NULL, *key = NULL, *accts = NULL, *over = NULL;
	const char *faults = NULL, *domains = DEF_DOMAINS, *ready = NULL;
	unsigned long gen = 0;
	uint16_t hp = 0, ip = 0, sp = 0;
	struct event *sigterm, *sigint;
	void *tls;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'i': insp = optarg; break;
		case 's': smtp = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'a': accts = optarg; break;
		case 'g': gen = strtoul(optarg, NULL, 10); break;
		case 'o': over = optarg; break;
		case 'f': faults = optarg; break;
		case 'S': store_cfg.seed = strtoull(optarg, NULL, 10); break;
		case 'd': domains = optarg; break;
		case 'r': ready = optarg; break;
		case 'G':
			store_cfg.token_grace = (unsigned)strtoul(optarg, NULL,
			    10);
			break;
		case 'T':
			store_cfg.access_ttl = (unsigned)strtoul(optarg, NULL,
			    10);
			break;
		default: usage();
		}
	}
	if (optind != argc || cert == NULL || key == NULL ||
	    (accts != NULL && gen > 0))
		usage();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	rnd_seed(store_cfg.seed);
	store_init();
	parse_domains(domains);
	if (store_cfg.ndomains == 0)
		usage();
	if ((accts != NULL && population_load(accts) != 0) ||
	    (gen > 0 && population_generate((unsigned)gen) != 0) ||
	    (over != NULL && population_overrides(over) != 0) ||
	    (faults != NULL && faults_load(faults) != 0))
		goto out_store;
	if ((tls = tls_ctx_new(cert, key)) == NULL) {
		fprintf(stderr, "mailsim: cannot load %s / %s\n", cert, key);
		goto out_store;
	}
	ms_base = event_base_new();
	if (http_start(ms_base, listen, tls, &hp) != 0 ||
	    inspect_start(ms_base, insp, &ip) != 0 ||
	    (smtp != NULL && smtp_start(ms_base, smtp, &sp) != 0))
		goto out;
	sigterm = evsignal_new(ms_base, SIGTERM, on_signal, NULL);
	sigint = evsignal_new(ms_base, SIGINT, on_signal, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	if (ready != NULL && write_ready(ready, hp, ip, sp) != 0)
		goto out_sig;
	printf("mailsim ready https=%u inspect=%u smtp=%u accounts=%zu\n",
	    hp, ip, sp, store_naccounts());
	fflush(stdout);
	event_base_dispatch(ms_base);
	rc = 0;
out_sig:
	event_free(sigterm);
	event_free(sigint);
out:
	smtp_stop();
	http_stop();
	event_base_free(ms_base);
	tls_ctx_free(tls);
out_store:
	auth_free();
	faults_free();
	spamrule_free();
	store_free();
	return (rc);
}
