/*
 * The in-memory model. Mailboxes are created at start; their letters only on
 * first use, so 10,000+ idle mailboxes cost little. Sessions are looked up
 * by the cookie or token that names them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defined.h"
#include "mailsim.h"

struct store_cfg store_cfg = { 1, DEF_TOKEN_GRACE_SEC, DEF_ACCESS_TTL_SEC,
    NULL, 0 };

const uint32_t store_folders[5] = { FOLDER_INBOX, FOLDER_SPAM, FOLDER_SENT,
    FOLDER_DRAFTS, FOLDER_TRASH };

static struct account	**accounts;
static size_t		  naccounts, capaccounts;
static struct map	 *by_email;
static struct map	 *by_mpop, *by_sdcs, *by_access, *by_refresh;
static struct session	**sessions;
static size_t		  nsessions, capsessions;
static json_t		 *logs[LOG__COUNT];
static uint64_t		  msg_serial;

static const char *outcome_names[OUT__COUNT] = {
	"success", "wrong_password", "captcha", "recaptcha", "twofa",
	"question", "locked", "banned", "ratelimit"
};

const char *
outcome_name(enum outcome o)
{
	return (o < OUT__COUNT ? outcome_names[o] : "?");
}

int
outcome_parse(const char *s, enum outcome *o)
{
	int i;

	for (i = 0; i < OUT__COUNT; i++) {
		if (strcasecmp(s, outcome_names[i]) == 0) {
			*o = (enum outcome)i;
			return (0);
		}
	}
	return (-1);
}

int
store_init(void)
{
	int i;

	by_email = map_new();
	by_mpop = map_new();
	by_sdcs = map_new();
	by_access = map_new();
	by_refresh = map_new();
	for (i = 0; i < LOG__COUNT; i++)
		logs[i] = json_array();
	return (0);
}

void
store_msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	free(m->subject);
	free(m->from_name);
	free(m->from_email);
	free(m->to);
	free(m->cc);
	free(m->text);
	free(m->html);
	free(m->message_id);
	free(m->in_reply_to);
	free(m->references);
	free(m);
}

static void
account_free(struct account *a)
{
	size_t i;

	for (i = 0; i < a->nmsgs; i++)
		store_msg_free(a->msgs[i]);
	free(a->msgs);
	free(a->email);
	free(a->password);
	free(a->proxy);
	free(a->question);
	free(a->answer);
	free(a->ua);
	free(a);
}

void
store_free(void)
{
	size_t i;

	for (i = 0; i < naccounts; i++)
		account_free(accounts[i]);
	free(accounts);
	for (i = 0; i < nsessions; i++)
		free(sessions[i]);
	free(sessions);
	map_free(by_email, NULL);
	map_free(by_mpop, NULL);
	map_free(by_sdcs, NULL);
	map_free(by_access, NULL);
	map_free(by_refresh, NULL);
	for (i = 0; i < LOG__COUNT; i++)
		json_decref(logs[i]);
	for (i = 0; i < store_cfg.ndomains; i++)
		free(store_cfg.domains[i]);
	free(store_cfg.domains);
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Add a mailbox; returns NULL if the address exists or is malformed. */
struct account *
store_add_account(const char *email, const char *password, const char *proxy,
    const char *q, const char *ans, const char *ua)
{
	struct account *a;
	char *e;

	if (strchr(email, '@') == NULL || strchr(email, '@') == email)
		return (NULL);
	e = xstrdup(email);
	lower(e);
	if (map_get(by_email, e) != NULL) {
		free(e);
		return (NULL);
	}
	a = xcalloc(1, sizeof(*a));
	a->email = e;
	a->password = xstrdup(password);
	a->proxy = xstrdup(proxy != NULL ? proxy : "");
	a->question = xstrdup(q != NULL && *q ? q : DEF_GEN_QUESTION);
	a->answer = xstrdup(ans != NULL ? ans : "");
	a->ua = xstrdup(ua != NULL ? ua : "");
	a->spam_p = -1;
	a->lastmod = 1;
	if (naccounts == capaccounts) {
		capaccounts = capaccounts ? capaccounts * 2 : 1024;
		accounts = realloc(accounts, capaccounts * sizeof(*accounts));
		if (accounts == NULL)
			abort();
	}
	a->idx = (uint32_t)naccounts;
	accounts[naccounts++] = a;
	map_put(by_email, a->email, a);
	return (a);
}

struct account *
store_find_account(const char *email)
{
	char buf[320];

	if (email == NULL || strlen(email) >= sizeof(buf))
		return (NULL);
	strcpy(buf, email);
	lower(buf);
	return (map_get(by_email, buf));
}

struct account *
store_account_at(size_t i)
{
	return (i < naccounts ? accounts[i] : NULL);
}

size_t
store_naccounts(void)
{
	return (naccounts);
}

/* Whether the address's domain (or a bare domain) is served by mailsim. */
int
store_is_domain(const char *addr)
{
	const char *d = strrchr(addr, '@');
	size_t i;

	d = d != NULL ? d + 1 : addr;
	for (i = 0; i < store_cfg.ndomains; i++)
		if (strcasecmp(d, store_cfg.domains[i]) == 0)
			return (1);
	return (0);
}

int
store_valid_folder(uint32_t f)
{
	size_t i;

	for (i = 0; i < MS_ARRLEN(store_folders); i++)
		if (store_folders[i] == f)
			return (1);
	return (0);
}

const char *
store_folder_name(uint32_t f)
{
	switch (f) {
	case FOLDER_INBOX:	return ("Входящие");
	case FOLDER_SPAM:	return ("Спам");
	case FOLDER_SENT:	return ("Отправленные");
	case FOLDER_DRAFTS:	return ("Черновики");
	case FOLDER_TRASH:	return ("Корзина");
	}
	return ("?");
}

const char *
store_folder_type(uint32_t f)
{
	switch (f) {
	case FOLDER_INBOX:	return ("inbox");
	case FOLDER_SPAM:	return ("spam");
	case FOLDER_SENT:	return ("sent");
	case FOLDER_DRAFTS:	return ("drafts");
	case FOLDER_TRASH:	return ("trash");
	}
	return ("user");
}

/* 20 digits: the unix time, then a 10-digit serial unique in this run. */
void
store_new_msgid(int64_t date, char *out)
{
	uint64_t d = date > 0 ? (uint64_t)date % 10000000000ULL : 0;
	char buf[48];

	msg_serial++;
	snprintf(buf, sizeof(buf), "%010llu%010llu", (unsigned long long)d,
	    (unsigned long long)(msg_serial % 10000000000ULL));
	memcpy(out, buf, 20);
	out[20] = '\0';
}

/* Folder counters change whenever a letter enters or leaves a folder. */
void
store_touch(struct account *a, uint32_t folder)
{
	(void)folder;
	a->lastmod++;
}

uint64_t
store_folder_lastmod(struct account *a, uint32_t folder)
{
	(void)folder;
	return (a->lastmod);
}

static void
thread_key(const char *root, char *out)
{
	snprintf(out, 17, "%016llx",
	    (unsigned long long)rnd_hash(root, 0x7468726561646bULL));
}

/* First Message-ID in References, else In-Reply-To, else the own id. */
static void
root_of(const struct letter *l, const char *own, char *out)
{
	const char *r = l->references, *s, *e;
	char buf[512];

	if (r != NULL && (s = strchr(r, '<')) != NULL &&
	    (e = strchr(s, '>')) != NULL && (size_t)(e - s + 1) < sizeof(buf)) {
		memcpy(buf, s, (size_t)(e - s + 1));
		buf[e - s + 1] = '\0';
		thread_key(buf, out);
	} else if (l->in_reply_to != NULL && *l->in_reply_to != '\0')
		thread_key(l->in_reply_to, out);
	else
		thread_key(own, out);
}

/*
 * Put a letter into a mailbox. FOLDER_NONE lets the spam rule choose; the
 * chosen folder is returned through *folder when it is not NULL.
 */
struct msg *
store_deliver(struct account *a, const struct letter *l, uint32_t *folder)
{
	struct msg *m;
	uint32_t f = l->folder;
	int64_t date = l->date > 0 ? l->date : now_sec();

	store_populate(a);
	if (f == FOLDER_NONE)
		f = spamrule_decide(a, l);
	m = xcalloc(1, sizeof(*m));
	store_new_msgid(date, m->id);
	m->folder = f;
	m->unread = l->unread ? 1 : 0;
	m->date = date;
	m->subject = xstrdup(l->subject != NULL ? l->subject : "");
	m->from_name = xstrdup(l->from_name != NULL ? l->from_name : "");
	m->from_email = xstrdup(l->from_email != NULL ? l->from_email : "");
	m->to = xstrdup(l->to != NULL ? l->to : a->email);
	m->cc = xstrdup(l->cc != NULL ? l->cc : "");
	m->text = xstrdup(l->text != NULL ? l->text : "");
	m->html = xstrdup(l->html != NULL ? l->html : "");
	if (l->message_id != NULL && *l->message_id != '\0')
		m->message_id = xstrdup(l->message_id);
	else
		m->message_id = xasprintf("<%s@%s>", m->id, DEF_MSGID_DOMAIN);
	m->in_reply_to = xstrdup(l->in_reply_to != NULL ? l->in_reply_to : "");
	m->references = xstrdup(l->references != NULL ? l->references : "");
	root_of(l, m->message_id, m->thread);
	if (a->nmsgs == a->capmsgs) {
		a->capmsgs = a->capmsgs ? a->capmsgs * 2 : 8;
		a->msgs = realloc(a->msgs, a->capmsgs * sizeof(*a->msgs));
		if (a->msgs == NULL)
			abort();
	}
	a->msgs[a->nmsgs++] = m;
	a->deliveries++;
	store_touch(a, f);
	if (folder != NULL)
		*folder = f;
	return (m);
}

/*
 * The first use of a mailbox gives it a few letters so that a client has
 * something to list, read, mark and move (emulator-defined, D5).
 */
void
store_populate(struct account *a)
{
	struct letter l;
	int64_t t = now_sec() - 86400;
	char *html;

	if (a->populated)
		return;
	a->populated = 1;
	if (DEF_SEED_LETTERS < 1)
		return;
	memset(&l, 0, sizeof(l));
	l.from_name = "Команда Почты";
	l.from_email = "welcome@corp.mail.ru";
	l.subject = "Добро пожаловать в Почту";
	l.text = "Здравствуйте! Это ваш почтовый ящик. https://help.mail.ru/";
	html = xasprintf("<p>Здравствуйте!</p><p><a href=\"https://help.mail.ru/"
	    "mail\">Помощь</a></p>");
	l.html = html;
	l.date = t;
	l.folder = FOLDER_INBOX;
	l.unread = 1;
	l.via = "seed";
	store_deliver(a, &l, NULL);
	free(html);
	if (DEF_SEED_LETTERS < 2)
		return;
	l.from_name = "Новости";
	l.from_email = "news@newsletter.example";
	l.subject = "Новости недели";
	l.text = "Главные события недели: https://news.example/week";
	l.html = "<h1>Новости</h1><a href=\"https://news.example/week\">Читать"
	    "</a>";
	l.date = t + 3600;
	store_deliver(a, &l, NULL);
	if (DEF_SEED_LETTERS < 3)
		return;
	l.from_name = "Lucky Draw";
	l.from_email = "promo@lottery.example";
	l.subject = "You are a WINNER";
	l.text = "Claim your prize at http://lottery.example/claim";
	l.html = "<a href=\"http://lottery.example/claim\">Claim</a>";
	l.date = t + 7200;
	l.folder = FOLDER_SPAM;
	store_deliver(a, &l, NULL);
}

struct msg *
store_find_msg(struct account *a, const char *id)
{
	size_t i;

	if (id == NULL)
		return (NULL);
	store_populate(a);
	for (i = 0; i < a->nmsgs; i++)
		if (strcmp(a->msgs[i]->id, id) == 0)
			return (a->msgs[i]);
	return (NULL);
}

void
store_move(struct account *a, struct msg *m, uint32_t folder)
{
	store_touch(a, m->folder);
	m->folder = folder;
	store_touch(a, folder);
}

void
store_remove(struct account *a, struct msg *m)
{
	size_t i;

	for (i = 0; i < a->nmsgs; i++) {
		if (a->msgs[i] == m) {
			memmove(&a->msgs[i], &a->msgs[i + 1],
			    (a->nmsgs - i - 1) * sizeof(*a->msgs));
			a->nmsgs--;
			break;
		}
	}
	store_touch(a, m->folder);
	store_msg_free(m);
}

static int
cmp_date_desc(const void *x, const void *y)
{
	const struct msg *a = *(struct msg *const *)x;
	const struct msg *b = *(struct msg *const *)y;

	if (a->date != b->date)
		return (a->date > b->date ? -1 : 1);
	return (-strcmp(a->id, b->id));
}

/* Letters of a folder (FOLDER_NONE: all), newest first; caller frees *out. */
size_t
store_list(struct account *a, uint32_t folder, struct msg ***out)
{
	size_t i, n = 0;
	struct msg **v;

	store_populate(a);
	v = xcalloc(a->nmsgs + 1, sizeof(*v));
	for (i = 0; i < a->nmsgs; i++)
		if (folder == FOLDER_NONE || a->msgs[i]->folder == folder)
			v[n++] = a->msgs[i];
	qsort(v, n, sizeof(*v), cmp_date_desc);
	*out = v;
	return (n);
}

/* Letters of one conversation in one folder, newest first. */
size_t
store_thread_msgs(struct account *a, const char *key, uint32_t folder,
    struct msg ***out)
{
	size_t i, n = 0;
	struct msg **v;

	store_populate(a);
	v = xcalloc(a->nmsgs + 1, sizeof(*v));
	for (i = 0; i < a->nmsgs; i++)
		if (a->msgs[i]->folder == folder &&
		    strcmp(a->msgs[i]->thread, key) == 0)
			v[n++] = a->msgs[i];
	qsort(v, n, sizeof(*v), cmp_date_desc);
	*out = v;
	return (n);
}

/* "0:<msgid>:<folder>" alone, "1:<16hex>:<folder>" for a conversation. */
void
store_thread_id(struct account *a, struct msg *m, char *out, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < a->nmsgs && n < 2; i++)
		if (a->msgs[i]->folder == m->folder &&
		    strcmp(a->msgs[i]->thread, m->thread) == 0)
			n++;
	if (n > 1)
		snprintf(out, len, "1:%s:%u", m->thread, m->folder);
	else
		snprintf(out, len, "0:%s:%u", m->id, m->folder);
}

/* Sessions */

struct session *
store_session_new(struct account *a, int mobile)
{
	struct session *s = xcalloc(1, sizeof(*s));
	char hex[65];

	s->acct = a;
	s->gen = a->gen;
	s->mobile = mobile;
	s->created = now_sec();
	if (!mobile) {
		rnd_hex(hex, 64);
		snprintf(s->mpop, sizeof(s->mpop), "%lld:%s:%s:",
		    (long long)s->created, hex, a->email);
		map_put(by_mpop, s->mpop, s);
	} else {
		rnd_hex(s->refresh, 32);
		map_put(by_refresh, s->refresh, s);
		store_session_new_access(s);
	}
	if (nsessions == capsessions) {
		capsessions = capsessions ? capsessions * 2 : 1024;
		sessions = realloc(sessions, capsessions * sizeof(*sessions));
		if (sessions == NULL)
			abort();
	}
	sessions[nsessions++] = s;
	return (s);
}

struct session *
store_session_by_mpop(const char *v)
{
	return (v != NULL ? map_get(by_mpop, v) : NULL);
}

struct session *
store_session_by_sdcs(const char *v)
{
	return (v != NULL ? map_get(by_sdcs, v) : NULL);
}

struct session *
store_session_by_access(const char *v)
{
	return (v != NULL ? map_get(by_access, v) : NULL);
}

struct session *
store_session_by_refresh(const char *v)
{
	return (v != NULL ? map_get(by_refresh, v) : NULL);
}

void
store_session_set_sdcs(struct session *s)
{
	if (s->sdcs[0] != '\0')
		map_del(by_sdcs, s->sdcs);
	rnd_alnum(s->sdcs, 16);
	map_put(by_sdcs, s->sdcs, s);
}

/* Token shape of 2023: <32 hex>:<base64url of {"time","type","nonce"}>. */
void
store_session_rotate_token(struct session *s)
{
	char hex[33], nonce[17], js[128];
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0, n;

	if (s->token[0] != '\0') {
		memcpy(s->prev_token, s->token, sizeof(s->token));
		s->prev_until = now_sec() + store_cfg.token_grace;
	}
	rnd_hex(hex, 32);
	rnd_hex(nonce, 16);
	n = (size_t)snprintf(js, sizeof(js),
	    "{\"time\":%lld,\"type\":\"csrf\",\"nonce\":\"%s\"}",
	    (long long)now_sec(), nonce);
	o = (size_t)snprintf(s->token, sizeof(s->token), "%s:", hex);
	for (i = 0; i < n && o + 4 < sizeof(s->token); i += 3) {
		uint32_t v = (uint32_t)(unsigned char)js[i] << 16;
		size_t k = n - i;

		if (k > 1)
			v |= (uint32_t)(unsigned char)js[i + 1] << 8;
		if (k > 2)
			v |= (unsigned char)js[i + 2];
		s->token[o++] = b64[(v >> 18) & 63];
		s->token[o++] = b64[(v >> 12) & 63];
		if (k > 1)
			s->token[o++] = b64[(v >> 6) & 63];
		if (k > 2)
			s->token[o++] = b64[v & 63];
	}
	s->token[o] = '\0';
}

void
store_session_new_access(struct session *s)
{
	if (s->access[0] != '\0')
		map_del(by_access, s->access);
	rnd_hex(s->access, 32);
	s->access_expires = now_sec() + store_cfg.access_ttl;
	s->requests = 0;
	map_put(by_access, s->access, s);
}

/* A session is dead once killed or after its account changed password. */
int
store_session_alive(struct session *s)
{
	return (s != NULL && !s->dead && s->gen == s->acct->gen);
}

int
store_token_ok(struct session *s, const char *tok)
{
	if (tok == NULL || *tok == '\0' || s->token[0] == '\0')
		return (0);
	if (strcmp(tok, s->token) == 0)
		return (1);
	return (s->prev_token[0] != '\0' && strcmp(tok, s->prev_token) == 0 &&
	    now_sec() < s->prev_until);
}

/* Logs */

void
store_log(enum store_log which, json_t *entry)
{
	json_t *a = logs[which], *n;
	size_t i, sz = json_array_size(a);

	if (sz >= DEF_LOG_MAX) {
		n = json_array();
		for (i = sz / 2; i < sz; i++)
			json_array_append(n, json_array_get(a, i));
		json_decref(a);
		logs[which] = a = n;
	}
	json_array_append_new(a, entry);
}

json_t *
store_log_get(enum store_log which)
{
	return (logs[which]);
}

void
store_log_reset(void)
{
	int i;

	for (i = 0; i < LOG__COUNT; i++)
		json_array_clear(logs[i]);
}

/* Expire every aj access token of an account (refresh stays valid). */
size_t
store_expire_access(struct account *a)
{
	size_t i, n = 0;

	for (i = 0; i < nsessions; i++) {
		if (sessions[i]->acct == a && sessions[i]->mobile) {
			sessions[i]->access_expires = 0;
			n++;
		}
	}
	return (n);
}

size_t
store_nsessions(void)
{
	return (nsessions);
}
