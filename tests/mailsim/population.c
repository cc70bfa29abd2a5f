/*
 * Who lives in mailsim: mailboxes from the operator's account file
 * (email;password;proxy[;question;answer;user_agent]), or --generate N with
 * deterministic credentials, plus per-account overrides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defined.h"
#include "mailsim.h"

/* Split line at ';' into at most max fields; returns the count. */
static size_t
fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line, *e;

	while (n < max) {
		f[n++] = p;
		if ((e = strchr(p, ';')) == NULL)
			break;
		*e = '\0';
		p = e + 1;
	}
	return (n);
}

/* Strip BOM, line end and surrounding blanks; NULL for blank/comment. */
static char *
clean(char *line, int first)
{
	char *e;

	if (first && (unsigned char)line[0] == 0xef &&
	    (unsigned char)line[1] == 0xbb && (unsigned char)line[2] == 0xbf)
		line += 3;
	while (*line == ' ' || *line == '\t')
		line++;
	e = line + strlen(line);
	while (e > line && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
	    e[-1] == '\t'))
		*--e = '\0';
	if (*line == '\0' || *line == '#')
		return (NULL);
	return (line);
}

int
population_load(const char *file)
{
	FILE *fp = fopen(file, "r");
	char *line = NULL, *l, *f[6];
	size_t cap = 0, n;
	int lineno = 0, bad = 0;

	if (fp == NULL) {
		fprintf(stderr, "mailsim: %s: cannot open\n", file);
		return (-1);
	}
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if ((l = clean(line, lineno == 1)) == NULL)
			continue;
		n = fields(l, f, 6);
		if (n < 2 || strchr(f[0], '@') == NULL || *f[1] == '\0') {
			fprintf(stderr, "mailsim: %s:%d: expected "
			    "email;password;proxy\n", file, lineno);
			bad = 1;
			continue;
		}
		if (store_add_account(f[0], f[1], n > 2 ? f[2] : "",
		    n > 3 ? f[3] : NULL, n > 4 ? f[4] : "",
		    n > 5 ? f[5] : "") == NULL)
			fprintf(stderr, "mailsim: %s:%d: duplicate %s "
			    "skipped\n", file, lineno, f[0]);
	}
	free(line);
	fclose(fp);
	return (bad ? -1 : 0);
}

/* userNNNNN@<first domain>, password pw-<8 hex of mix(seed, i)>. */
int
population_generate(unsigned n)
{
	unsigned i;
	char email[128], pw[32], ans[32], local[32];

	for (i = 1; i <= n; i++) {
		snprintf(local, sizeof(local), DEF_GEN_LOCAL_FMT, i);
		snprintf(email, sizeof(email), "%s@%s", local,
		    store_cfg.domains[0]);
		snprintf(pw, sizeof(pw), DEF_GEN_PASSWORD_FMT,
		    (unsigned)(rnd_mix(store_cfg.seed * 1000003ULL + i) &
		    0xffffffffu));
		snprintf(ans, sizeof(ans), DEF_GEN_ANSWER_FMT, i);
		store_add_account(email, pw, "", DEF_GEN_QUESTION, ans, "");
	}
	return (0);
}

/* Set one override key on an account. */
int
population_apply(struct account *a, const char *k, const char *v, char *err,
    size_t errlen)
{
	enum outcome o;

	if (strcmp(k, "outcome") == 0) {
		if (outcome_parse(v, &o) != 0) {
			snprintf(err, errlen, "unknown outcome %s", v);
			return (-1);
		}
		a->outcome = o;
	} else if (strcmp(k, "password") == 0) {
		free(a->password);
		a->password = xstrdup(v);
	} else if (strcmp(k, "question") == 0) {
		free(a->question);
		a->question = xstrdup(v);
	} else if (strcmp(k, "answer") == 0) {
		free(a->answer);
		a->answer = xstrdup(v);
	} else if (strcmp(k, "ua") == 0) {
		free(a->ua);
		a->ua = xstrdup(v);
	} else if (strcmp(k, "spam") == 0)
		a->spam_p = strtod(v, NULL);
	else if (strcmp(k, "expire_after") == 0)
		a->expire_after = (unsigned)strtoul(v, NULL, 10);
	else if (strcmp(k, "force") == 0) {
		if (strcmp(v, "user") == 0)
			a->force = FORCE_USER;
		else if (strcmp(v, "token") == 0)
			a->force = FORCE_TOKEN;
		else if (strcmp(v, "nosdc") == 0)
			a->force = FORCE_NOSDC;
		else if (strcmp(v, "none") == 0 || *v == '\0')
			a->force = FORCE_NONE;
		else {
			snprintf(err, errlen, "unknown force %s", v);
			return (-1);
		}
	} else {
		snprintf(err, errlen, "unknown key %s", k);
		return (-1);
	}
	return (0);
}

/*
 * Lines "email;key=value;..." or "@domain;spam=P" (the sender domain's
 * base spam probability).
 */
int
population_overrides(const char *file)
{
	FILE *fp = fopen(file, "r");
	char *line = NULL, *l, *f[32], *eq, err[128];
	size_t cap = 0, n, i;
	int lineno = 0, bad = 0;
	struct account *a;

	if (fp == NULL) {
		fprintf(stderr, "mailsim: %s: cannot open\n", file);
		return (-1);
	}
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if ((l = clean(line, lineno == 1)) == NULL)
			continue;
		n = fields(l, f, 32);
		a = NULL;
		if (f[0][0] != '@' && (a = store_find_account(f[0])) == NULL) {
			fprintf(stderr, "mailsim: %s:%d: unknown account %s\n",
			    file, lineno, f[0]);
			bad = 1;
			continue;
		}
		for (i = 1; i < n; i++) {
			if ((eq = strchr(f[i], '=')) == NULL) {
				fprintf(stderr, "mailsim: %s:%d: expected "
				    "key=value\n", file, lineno);
				bad = 1;
				continue;
			}
			*eq = '\0';
			if (a == NULL) {
				if (strcmp(f[i], "spam") == 0)
					spamrule_set_domain(f[0] + 1,
					    strtod(eq + 1, NULL));
				else {
					fprintf(stderr, "mailsim: %s:%d: only "
					    "spam= for a domain\n", file,
					    lineno);
					bad = 1;
				}
				continue;
			}
			if (population_apply(a, f[i], eq + 1, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "mailsim: %s:%d: %s\n", file,
				    lineno, err);
				bad = 1;
			}
		}
	}
	free(line);
	fclose(fp);
	return (bad ? -1 : 0);
}
