/*
 * Fault injection per endpoint: added latency (fixed + jitter), 5xx and 429
 * rates, connection resets, truncated or invalid JSON, slow bodies. Rules
 * are matched in order by host and path prefix; the first match applies.
 * Draws come from their own seeded stream so faults do not shift ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailsim.h"

struct rule {
	char		*host;
	char		*path;
	unsigned	 latency_ms, jitter_ms, slow_ms;
	double		 p5xx, p429, preset, ptrunc, pbadjson, pslow;
};

static struct rule	*rules;
static size_t		 nrules;
static uint64_t		 fault_draws;

static double
draw(void)
{
	return (rnd_unit(rnd_mix(store_cfg.seed * 31 + ++fault_draws)));
}

static void
rules_free(struct rule *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].host);
		free(v[i].path);
	}
	free(v);
}

static void
rules_clear(void)
{
	rules_free(rules, nrules);
	rules = NULL;
	nrules = 0;
}

void
faults_free(void)
{
	rules_clear();
}

static int
rule_key(struct rule *r, const char *k, double v)
{
	if (strcmp(k, "latency_ms") == 0)
		r->latency_ms = (unsigned)v;
	else if (strcmp(k, "jitter_ms") == 0)
		r->jitter_ms = (unsigned)v;
	else if (strcmp(k, "slow_ms") == 0)
		r->slow_ms = (unsigned)v;
	else if (strcmp(k, "p_5xx") == 0)
		r->p5xx = v;
	else if (strcmp(k, "p_429") == 0)
		r->p429 = v;
	else if (strcmp(k, "p_reset") == 0)
		r->preset = v;
	else if (strcmp(k, "p_trunc") == 0)
		r->ptrunc = v;
	else if (strcmp(k, "p_badjson") == 0)
		r->pbadjson = v;
	else if (strcmp(k, "p_slow") == 0)
		r->pslow = v;
	else
		return (-1);
	return (0);
}

static struct rule *
rule_add(struct rule **v, size_t *n, const char *host, const char *path)
{
	struct rule *r;

	*v = realloc(*v, (*n + 1) * sizeof(**v));
	if (*v == NULL)
		abort();
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->host = xstrdup(host);
	r->path = xstrdup(path);
	r->slow_ms = 50;
	return (r);
}

/* Load "HOST PATH key=value ..." lines; '*' matches any host or path. */
int
faults_load(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[1024], host[256], path[512], *p, *tok, *save, *eq;
	int lineno = 0, n;

	if (f == NULL) {
		fprintf(stderr, "mailsim: %s: cannot open\n", file);
		return (-1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		if (sscanf(line, "%255s %511s %n", host, path, &n) < 2)
			continue;
		struct rule *r = rule_add(&rules, &nrules, host, path);
		save = NULL;
		for (p = line + n; (tok = strtok_r(p, " \t\r\n", &save));
		    p = NULL) {
			if ((eq = strchr(tok, '=')) == NULL) {
				fprintf(stderr, "mailsim: %s:%d: bad %s\n",
				    file, lineno, tok);
				fclose(f);
				return (-1);
			}
			*eq = '\0';
			if (rule_key(r, tok, strtod(eq + 1, NULL)) != 0) {
				fprintf(stderr, "mailsim: %s:%d: unknown key "
				    "%s\n", file, lineno, tok);
				fclose(f);
				return (-1);
			}
		}
	}
	fclose(f);
	return (0);
}

/* Replace all rules from {"rules":[{host,path,key:value...}]}. */
int
faults_set_json(json_t *j, char *err, size_t errlen)
{
	json_t *arr = json_object_get(j, "rules"), *e, *v;
	struct rule *nv = NULL, *r;
	size_t i, n = 0;
	const char *k;

	if (!json_is_array(arr)) {
		snprintf(err, errlen, "rules must be an array");
		return (-1);
	}
	json_array_foreach(arr, i, e) {
		const char *host = json_string_value(json_object_get(e,
		    "host"));
		const char *path = json_string_value(json_object_get(e,
		    "path"));

		r = rule_add(&nv, &n, host ? host : "*", path ? path : "*");
		json_object_foreach(e, k, v) {
			if (strcmp(k, "host") == 0 || strcmp(k, "path") == 0)
				continue;
			if (!json_is_number(v) || rule_key(r, k,
			    json_number_value(v)) != 0) {
				snprintf(err, errlen, "bad key %s", k);
				/* keep the old rules: all or nothing */
				rules_free(nv, n);
				return (-1);
			}
		}
	}
	rules_clear();
	rules = nv;
	nrules = n;
	return (0);
}

json_t *
faults_json(void)
{
	json_t *arr = json_array();
	size_t i;
	struct rule *r;

	for (i = 0; i < nrules; i++) {
		r = &rules[i];
		json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:i,s:i,s:f,"
		    "s:f,s:f,s:f,s:f,s:f}", "host", r->host, "path", r->path,
		    "latency_ms", r->latency_ms, "jitter_ms", r->jitter_ms,
		    "slow_ms", r->slow_ms, "p_5xx", r->p5xx, "p_429", r->p429,
		    "p_reset", r->preset, "p_trunc", r->ptrunc, "p_badjson",
		    r->pbadjson, "p_slow", r->pslow));
	}
	return (json_pack("{s:o}", "rules", arr));
}

/* Decide the faults for one request. */
void
faults_pick(const char *host, const char *path, struct fault *f)
{
	size_t i;
	struct rule *r = NULL;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < nrules; i++) {
		if ((strcmp(rules[i].host, "*") == 0 ||
		    strcasecmp(rules[i].host, host) == 0) &&
		    (strcmp(rules[i].path, "*") == 0 ||
		    strncmp(path, rules[i].path, strlen(rules[i].path)) == 0)) {
			r = &rules[i];
			break;
		}
	}
	if (r == NULL)
		return;
	f->latency_ms = r->latency_ms;
	if (r->jitter_ms > 0)
		f->latency_ms += (unsigned)(draw() * r->jitter_ms);
	f->reset = r->preset > 0 && draw() < r->preset;
	f->err5xx = r->p5xx > 0 && draw() < r->p5xx;
	f->err429 = r->p429 > 0 && draw() < r->p429;
	f->trunc = r->ptrunc > 0 && draw() < r->ptrunc;
	f->badjson = r->pbadjson > 0 && draw() < r->pbadjson;
	f->slow = r->pslow > 0 && draw() < r->pslow;
	f->slow_ms = r->slow_ms;
}
