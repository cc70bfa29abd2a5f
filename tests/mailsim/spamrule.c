/*
 * The spam rule that sorts incoming letters into Inbox or Spam:
 *   p = base(recipient override, else sender domain)
 *       + content rules + STEP * spam reports - STEP * unspam reports
 * clamped to [0, 1], then compared with a draw that depends only on the seed
 * and the letter, so a run with the same seed sorts the same way.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defined.h"
#include "mailsim.h"

struct rep {
	long	spam;
	long	unspam;
};

static struct map	*domains;	/* domain -> double* base */
static struct map	*reps;		/* sender address -> struct rep */
static uint64_t		 draws;

static const char *spam_words[] = { DEF_SPAM_WORDS };

static void
lower_ascii(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

int
spamrule_set_domain(const char *d, double p)
{
	double *v;
	char *k;

	if (domains == NULL)
		domains = map_new();
	k = xstrdup(d);
	lower_ascii(k);
	if ((v = map_get(domains, k)) == NULL) {
		v = xcalloc(1, sizeof(*v));
		map_put(domains, k, v);
	}
	*v = p;
	free(k);
	return (0);
}

static struct rep *
rep_get(const char *sender, int create)
{
	struct rep *r;
	char *k;

	if (reps == NULL)
		reps = map_new();
	k = xstrdup(sender != NULL ? sender : "");
	lower_ascii(k);
	if ((r = map_get(reps, k)) == NULL && create) {
		r = xcalloc(1, sizeof(*r));
		map_put(reps, k, r);
	}
	free(k);
	return (r);
}

/* A spam (1) or not-spam (0) report about a letter from sender. */
void
spamrule_report(const char *sender, int spam)
{
	struct rep *r = rep_get(sender, 1);

	if (spam)
		r->spam++;
	else
		r->unspam++;
}

static int
has_word(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < MS_ARRLEN(spam_words); i++)
		if (strcasestr(s, spam_words[i]) != NULL)
			return (1);
	return (0);
}

static int
mostly_caps(const char *s)
{
	int up = 0, lo = 0;

	for (; s != NULL && *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			up++;
		else if (*s >= 'a' && *s <= 'z')
			lo++;
	}
	return (up >= 5 && up > 2 * lo);
}

static int
links(const char *s)
{
	int n = 0;

	while (s != NULL && (s = strcasestr(s, "http")) != NULL) {
		n++;
		s += 4;
	}
	return (n);
}

/* Spam probability of a letter; why (if not NULL) gets the reasons. */
double
spamrule_prob(struct account *rcpt, const char *sender, const char *subject,
    const char *text, const char *html, json_t *why)
{
	const char *d = sender != NULL ? strrchr(sender, '@') : NULL;
	double p = DEF_SPAM_BASE, *dp = NULL;
	struct rep *r;
	char *k;

	if (d != NULL && domains != NULL) {
		k = xstrdup(d + 1);
		lower_ascii(k);
		dp = map_get(domains, k);
		free(k);
	}
	if (rcpt != NULL && rcpt->spam_p >= 0) {
		p = rcpt->spam_p;
		if (why)
			json_object_set_new(why, "recipient_base",
			    json_real(p));
	} else if (dp != NULL) {
		p = *dp;
		if (why)
			json_object_set_new(why, "domain_base", json_real(p));
	} else if (why)
		json_object_set_new(why, "default_base", json_real(p));
	if (has_word(subject) || has_word(text)) {
		p += DEF_SPAM_WORD;
		if (why)
			json_object_set_new(why, "spam_word", json_true());
	}
	if (mostly_caps(subject)) {
		p += DEF_SPAM_CAPS;
		if (why)
			json_object_set_new(why, "caps", json_true());
	}
	if (links(text) + links(html) > DEF_SPAM_MAXLINKS) {
		p += DEF_SPAM_LINKS;
		if (why)
			json_object_set_new(why, "links", json_true());
	}
	if ((r = rep_get(sender, 0)) != NULL) {
		p += DEF_SPAM_STEP * (double)(r->spam - r->unspam);
		if (why)
			json_object_set_new(why, "reputation", json_integer(
			    r->unspam - r->spam));
	}
	if (p < 0)
		p = 0;
	if (p > 1)
		p = 1;
	return (p);
}

/* Inbox or Spam for a letter, logged with its probability and draw. */
uint32_t
spamrule_decide(struct account *rcpt, const struct letter *l)
{
	json_t *why = json_object();
	double p = spamrule_prob(rcpt, l->from_email, l->subject, l->text,
	    l->html, why), u;
	char key[1024];
	uint32_t f;

	draws++;
	snprintf(key, sizeof(key), "%s|%s|%s|%llu", rcpt->email,
	    l->from_email ? l->from_email : "", l->subject ? l->subject : "",
	    (unsigned long long)rcpt->deliveries);
	u = rnd_unit(rnd_hash(key, store_cfg.seed));
	f = u < p ? FOLDER_SPAM : FOLDER_INBOX;
	store_log(LOG_SPAM, json_pack("{s:I,s:s,s:s,s:s,s:f,s:f,s:s,s:o,s:s}",
	    "time", (json_int_t)now_sec(), "to", rcpt->email, "from",
	    l->from_email ? l->from_email : "", "subject",
	    l->subject ? l->subject : "", "p", p, "u", u, "folder",
	    f == FOLDER_SPAM ? "spam" : "inbox", "why", why, "via",
	    l->via ? l->via : ""));
	return (f);
}

static void
dom_json(const char *k, void *v, void *arg)
{
	json_object_set_new(arg, k, json_real(*(double *)v));
}

static void
rep_json(const char *k, void *v, void *arg)
{
	struct rep *r = v;

	json_object_set_new(arg, k, json_pack("{s:I,s:I,s:f}", "spam",
	    (json_int_t)r->spam, "unspam", (json_int_t)r->unspam,
	    "adjust", DEF_SPAM_STEP * (double)(r->spam - r->unspam)));
}

json_t *
spamrule_json(void)
{
	json_t *d = json_object(), *r = json_object();

	if (domains != NULL)
		map_each(domains, dom_json, d);
	if (reps != NULL)
		map_each(reps, rep_json, r);
	return (json_pack("{s:f,s:f,s:o,s:o,s:I}", "default_base",
	    DEF_SPAM_BASE, "step", DEF_SPAM_STEP, "domains", d, "senders", r,
	    "draws", (json_int_t)draws));
}

void
spamrule_free(void)
{
	map_free(domains, free);
	map_free(reps, free);
	domains = reps = NULL;
}
