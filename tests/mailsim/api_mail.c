/*
 * The mailbox JSON API (/api/v1/...) served on e.mail.ru (cookies + CSRF
 * token) and on the aj hosts (access_token). Every reply is the mail.ru
 * envelope with HTTP 200; logical errors live in its status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "defined.h"
#include "mailsim.h"

#define EP_POST		0x1	/* state-changing: POST and, on web, token */
#define EP_NOTOKEN	0x2	/* the token calls themselves */

struct endpoint {
	const char	*path;
	void		(*fn)(struct hreq *);
	int		 flags;
};

/* Parameters */

/* A parameter holding JSON text; plain text comes back as a string. */
static json_t *
jparam(struct hreq *h, const char *k)
{
	const char *v = hreq_param(h, k);
	json_t *j;

	if (v == NULL)
		return (NULL);
	if ((j = json_loads(v, JSON_DECODE_ANY, NULL)) != NULL)
		return (j);
	return (json_string(v));
}

/* Folder ids arrive as numbers or strings. */
static uint32_t
json_folder(json_t *j, uint32_t def)
{
	char *end;
	unsigned long v;

	if (json_is_integer(j))
		return ((uint32_t)json_integer_value(j));
	if (json_is_string(j) && *json_string_value(j) != '\0') {
		v = strtoul(json_string_value(j), &end, 10);
		if (*end == '\0')
			return ((uint32_t)v);
		return (FOLDER_NONE - 1);
	}
	return (def);
}

static uint32_t
param_folder(struct hreq *h, const char *k, uint32_t def)
{
	const char *v = hreq_param(h, k);
	json_t *j;
	uint32_t f;

	if (v == NULL || *v == '\0')
		return (def);
	j = json_string(v);
	f = json_folder(j, def);
	json_decref(j);
	return (f);
}

static long
param_long(struct hreq *h, const char *k, long def)
{
	const char *v = hreq_param(h, k);

	return (v != NULL && *v != '\0' ? strtol(v, NULL, 10) : def);
}

static const char *
jstr(json_t *j)
{
	if (json_is_string(j))
		return (json_string_value(j));
	return (NULL);
}

/* JSON of letters */

static void
addr_list(json_t *arr, const char *s)
{
	char *copy, *p, *tok, *save = NULL, *name, *email;

	if (s == NULL || *s == '\0')
		return;
	copy = xstrdup(s);
	for (p = copy; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		if (mime_addr(tok, &name, &email) == 0) {
			json_array_append_new(arr, json_pack("{s:s,s:s}",
			    "email", email, "name", name));
			free(name);
			free(email);
		}
	}
	free(copy);
}

static json_t *
snippet(const char *text)
{
	size_t n = strlen(text);
	char buf[104];

	if (n > 100) {
		n = 100;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return (json_string(buf));
}

/* A letter as mail.ru lists it; full adds body, headers and attaches. */
json_t *
api_msg_json(struct account *a, struct msg *m, int full)
{
	char tid[64], fid[16];
	json_t *o, *to = json_array(), *cc = json_array(), *html;
	char *rw;

	store_thread_id(a, m, tid, sizeof(tid));
	snprintf(fid, sizeof(fid), "%u", m->folder);
	addr_list(to, m->to);
	addr_list(cc, m->cc);
	o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:o,s:I,s:i,s:{s:b,s:b,s:b,s:b,"
	    "s:b,s:b,s:b,s:b},s:{s:[{s:s,s:s}],s:o,s:o,s:[]}}",
	    "id", m->id, "folder", fid, "thread_id", tid,
	    "date", (json_int_t)m->date, "subject", m->subject,
	    "snippet", snippet(m->text),
	    "size", (json_int_t)(strlen(m->text) + strlen(m->html)),
	    "priority", 3, "flags", "unread", m->unread, "flagged", m->flagged,
	    "reply", m->replied, "forward", m->forwarded, "attach", 0,
	    "pinned", 0, "spf", 1, "dkim", 1,
	    "correspondents", "from", "email", m->from_email, "name",
	    m->from_name, "to", to, "cc", cc, "bcc");
	if (full) {
		rw = redirect_rewrite(m->html, a, m);
		html = json_string(rw);
		free(rw);
		json_object_set_new(o, "body", json_pack("{s:o,s:s}", "html",
		    html, "text", m->text));
		json_object_set_new(o, "attaches", json_pack("{s:[]}",
		    "list"));
		json_object_set_new(o, "message_id", json_string(m->message_id));
		json_object_set_new(o, "in_reply_to",
		    json_string(m->in_reply_to));
		json_object_set_new(o, "references",
		    json_string(m->references));
	}
	return (o);
}

static json_t *
folders_json(struct account *a)
{
	json_t *arr = json_array();
	size_t i, j;
	unsigned total, unread, flagged;
	char fid[16];

	store_populate(a);
	for (i = 0; i < MS_ARRLEN(store_folders); i++) {
		total = unread = flagged = 0;
		for (j = 0; j < a->nmsgs; j++) {
			if (a->msgs[j]->folder != store_folders[i])
				continue;
			total++;
			unread += a->msgs[j]->unread;
			flagged += a->msgs[j]->flagged;
		}
		snprintf(fid, sizeof(fid), "%u", store_folders[i]);
		json_array_append_new(arr, json_pack("{s:s,s:b,s:s,s:s,s:i,s:i,"
		    "s:i,s:s,s:b,s:[],s:b,s:b,s:b,s:b,s:i,s:i,s:i,s:i}",
		    "id", fid, "system", 1, "type",
		    store_folder_type(store_folders[i]), "name",
		    store_folder_name(store_folders[i]), "messages_total", total,
		    "messages_unread", unread, "messages_flagged", flagged,
		    "parent", "-1", "child", 0, "children", "security", 0,
		    "open", 1, "only_web", 0, "archive", 0, "last_visit", 0,
		    "messages_pinned", 0, "messages_snoozed", 0,
		    "messages_with_attachments", 0));
	}
	return (arr);
}

static void
h_folders(struct hreq *h)
{
	hreq_envelope_lm(h, 200, folders_json(h->acct),
	    (long long)h->acct->lastmod);
}

/* Conversations of a folder, newest first. */
struct tlist {
	struct msg	***msgs;	/* per thread, newest first */
	size_t		 *len;
	size_t		  n;
};

static void
tlist_build(struct account *a, uint32_t folder, struct tlist *t)
{
	struct msg **v;
	size_t i, n = store_list(a, folder, &v), k;
	struct map *seen = map_new();

	t->msgs = xcalloc(n + 1, sizeof(*t->msgs));
	t->len = xcalloc(n + 1, sizeof(*t->len));
	t->n = 0;
	for (i = 0; i < n; i++) {
		k = (size_t)(uintptr_t)map_get(seen, v[i]->thread);
		if (k == 0) {
			t->msgs[t->n] = xcalloc(n + 1, sizeof(struct msg *));
			map_put(seen, v[i]->thread, (void *)(uintptr_t)
			    (t->n + 1));
			k = ++t->n;
		}
		t->msgs[k - 1][t->len[k - 1]++] = v[i];
	}
	map_free(seen, NULL);
	free(v);
}

static void
tlist_free(struct tlist *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->msgs[i]);
	free(t->msgs);
	free(t->len);
}

static json_t *
thread_json(struct account *a, struct msg **m, size_t n)
{
	json_t *o = api_msg_json(a, m[0], 0), *flags;
	size_t i, unread = 0, flagged = 0;

	for (i = 0; i < n; i++) {
		unread += m[i]->unread;
		flagged += m[i]->flagged;
	}
	json_object_set(o, "last", json_object_get(o, "id"));
	json_object_set(o, "id", json_object_get(o, "thread_id"));
	json_object_set_new(o, "length", json_integer((json_int_t)n));
	json_object_set_new(o, "length_unread",
	    json_integer((json_int_t)unread));
	json_object_set_new(o, "length_flagged",
	    json_integer((json_int_t)flagged));
	json_object_set_new(o, "expand", json_boolean(n > 1));
	flags = json_object_get(o, "flags");
	json_object_set_new(flags, "unread", json_boolean(unread > 0));
	json_object_set_new(flags, "flagged", json_boolean(flagged > 0));
	return (o);
}

static void
counts(struct account *a, uint32_t f, size_t *total, size_t *unread)
{
	size_t i;

	*total = *unread = 0;
	for (i = 0; i < a->nmsgs; i++) {
		if (a->msgs[i]->folder == f) {
			(*total)++;
			*unread += a->msgs[i]->unread;
		}
	}
}

static int
not_modified(struct hreq *h)
{
	long lm = param_long(h, "last_modified", -1);

	if (lm > 1 && (uint64_t)lm == h->acct->lastmod) {
		hreq_envelope_lm(h, 304, json_object(), lm);
		return (1);
	}
	return (0);
}

static int
folder_ok(struct hreq *h, uint32_t f)
{
	if (store_valid_folder(f))
		return (1);
	hreq_envelope(h, 400, json_pack("{s:s}", "error", "invalid_folder"));
	return (0);
}

static void
h_threads(struct hreq *h)
{
	uint32_t f = param_folder(h, "folder", FOLDER_INBOX);
	long off = param_long(h, "offset", 0), lim = param_long(h, "limit", 50);
	struct tlist t;
	json_t *arr = json_array();
	size_t i, total, unread;

	if (!folder_ok(h, f) || not_modified(h)) {
		json_decref(arr);
		return;
	}
	if (off < 0)
		off = 0;
	if (lim <= 0 || lim > 1000)
		lim = 50;
	tlist_build(h->acct, f, &t);
	for (i = (size_t)off; i < t.n && i < (size_t)(off + lim); i++)
		json_array_append_new(arr, thread_json(h->acct, t.msgs[i],
		    t.len[i]));
	counts(h->acct, f, &total, &unread);
	hreq_envelope_lm(h, 200, json_pack("{s:I,s:I,s:I,s:I,s:[],s:o,s:o}",
	    "messages_total", (json_int_t)total, "messages_unread",
	    (json_int_t)unread, "threads_total", (json_int_t)t.n,
	    "date_first_letter", (json_int_t)(t.n ? t.msgs[t.n - 1][0]->date :
	    0), "collectors", "folders", folders_json(h->acct), "threads",
	    arr), (long long)h->acct->lastmod);
	tlist_free(&t);
}

static json_t *
mthreads_folder(struct account *a, uint32_t f, long off, long lim)
{
	struct tlist t;
	json_t *arr = json_array(), *th, *msgs;
	size_t i, j, total, unread;
	char fid[16];

	if (off < 0)
		off = 0;
	if (lim <= 0 || lim > 1000)
		lim = 200;
	tlist_build(a, f, &t);
	for (i = (size_t)off; i < t.n && i < (size_t)(off + lim); i++) {
		msgs = json_array();
		for (j = 0; j < t.len[i]; j++)
			json_array_append_new(msgs, api_msg_json(a,
			    t.msgs[i][j], 0));
		th = thread_json(a, t.msgs[i], t.len[i]);
		json_object_set_new(th, "base_message", api_msg_json(a,
		    t.msgs[i][0], 0));
		json_object_set_new(th, "messages_count",
		    json_integer((json_int_t)t.len[i]));
		json_object_set_new(th, "messages", msgs);
		json_object_set_new(th, "representations", json_array());
		json_object_set_new(th, "message_id_last",
		    json_string(t.msgs[i][0]->id));
		json_array_append_new(arr, th);
	}
	counts(a, f, &total, &unread);
	snprintf(fid, sizeof(fid), "%u", f);
	tlist_free(&t);
	return (json_pack("{s:s,s:o,s:I,s:I}", "id", fid, "threads", arr,
	    "messages_total", (json_int_t)total, "messages_unread",
	    (json_int_t)unread));
}

static void
h_mthreads(struct hreq *h)
{
	json_t *req = jparam(h, "folders"), *out = json_array(), *e;
	size_t i;
	uint32_t f;

	if (not_modified(h)) {
		json_decref(req);
		json_decref(out);
		return;
	}
	if (json_is_array(req) && json_array_size(req) > 0) {
		json_array_foreach(req, i, e) {
			f = json_folder(json_object_get(e, "folder"),
			    FOLDER_INBOX);
			if (!store_valid_folder(f))
				continue;
			json_array_append_new(out, mthreads_folder(h->acct, f,
			    (long)json_integer_value(json_object_get(e,
			    "offset")), json_is_integer(json_object_get(e,
			    "limit")) ? (long)json_integer_value(
			    json_object_get(e, "limit")) : 200));
		}
	} else {
		f = param_folder(h, "folder", FOLDER_INBOX);
		if (!folder_ok(h, f)) {
			json_decref(req);
			json_decref(out);
			return;
		}
		json_array_append_new(out, mthreads_folder(h->acct, f,
		    param_long(h, "offset", 0), param_long(h, "limit", 200)));
	}
	json_decref(req);
	hreq_envelope_lm(h, 200, json_pack("{s:o,s:o}", "folders_content", out,
	    "folders", folders_json(h->acct)), (long long)h->acct->lastmod);
}

static void
h_mstatus(struct hreq *h)
{
	uint32_t f = param_folder(h, "folder", FOLDER_INBOX);
	long off = param_long(h, "offset", 0), lim = param_long(h, "limit", 50);
	struct msg **v;
	size_t i, n, total, unread;
	json_t *arr;

	if (!folder_ok(h, f) || not_modified(h))
		return;
	if (off < 0)
		off = 0;
	if (lim <= 0 || lim > 1000)
		lim = 50;
	n = store_list(h->acct, f, &v);
	arr = json_array();
	for (i = (size_t)off; i < n && i < (size_t)(off + lim); i++)
		json_array_append_new(arr, api_msg_json(h->acct, v[i], 0));
	free(v);
	counts(h->acct, f, &total, &unread);
	hreq_envelope_lm(h, 200, json_pack("{s:o,s:I,s:I}", "messages", arr,
	    "messages_total", (json_int_t)total, "messages_unread",
	    (json_int_t)unread), (long long)h->acct->lastmod);
}

static void
h_unread(struct hreq *h)
{
	struct msg **v;
	size_t i, n = store_list(h->acct, FOLDER_NONE, &v);
	long lim = param_long(h, "limit", 100);
	json_t *arr = json_array();

	for (i = 0; i < n && (long)json_array_size(arr) < lim; i++)
		if (v[i]->unread && v[i]->folder != FOLDER_SPAM &&
		    v[i]->folder != FOLDER_TRASH)
			json_array_append_new(arr, api_msg_json(h->acct, v[i],
			    0));
	free(v);
	hreq_envelope_lm(h, 200, arr, (long long)h->acct->lastmod);
}

/* Letters named by a thread id, newest first; NULL when unknown. */
static size_t
thread_lookup(struct account *a, const char *id, struct msg ***out)
{
	char kind, key[32];
	unsigned long f;
	struct msg *m;

	*out = NULL;
	if (id == NULL || sscanf(id, "%c:%31[0-9a-f]:%lu", &kind, key, &f) != 3)
		return (0);
	if (kind == '0') {
		m = store_find_msg(a, key);
		if (m == NULL || m->folder != f)
			return (0);
		*out = xcalloc(1, sizeof(*out));
		(*out)[0] = m;
		return (1);
	}
	if (kind == '1')
		return (store_thread_msgs(a, key, (uint32_t)f, out));
	return (0);
}

static void
h_thread(struct hreq *h)
{
	struct msg **v;
	size_t i, n = thread_lookup(h->acct, hreq_param(h, "id"), &v);
	json_t *arr;

	if (n == 0) {
		free(v);
		hreq_envelope(h, 400, json_pack("{s:s}", "error",
		    "not_found"));
		return;
	}
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, api_msg_json(h->acct, v[i], 1));
	hreq_envelope_lm(h, 200, json_pack("{s:s,s:s,s:I,s:o}", "id",
	    hreq_param(h, "id"), "subject", v[0]->subject, "length",
	    (json_int_t)n, "messages", arr), (long long)h->acct->lastmod);
	free(v);
}

static void
h_message(struct hreq *h)
{
	struct msg *m = store_find_msg(h->acct, hreq_param(h, "id"));
	const char *r = hreq_param(h, "read"), *mr = hreq_param(h, "mark_read");
	json_t *o;

	if (m == NULL) {
		hreq_envelope(h, 400, json_pack("{s:s}", "error",
		    "not_found"));
		return;
	}
	o = api_msg_json(h->acct, m, 1);
	if (DEF_AUTO_MARK_READ && m->unread && !(r != NULL &&
	    strcmp(r, "0") == 0) && !(mr != NULL && (strcmp(mr, "false") == 0
	    || strcmp(mr, "0") == 0))) {
		m->unread = 0;
		store_touch(h->acct, m->folder);
	}
	hreq_envelope_lm(h, 200, o, (long long)h->acct->lastmod);
}

/* Apply one mark to a letter. */
static int
mark(struct account *a, struct msg *m, const char *name, int set)
{
	if (strcmp(name, "unread") == 0)
		m->unread = set ? 1 : 0;
	else if (strcmp(name, "flagged") == 0)
		m->flagged = set ? 1 : 0;
	else if (strcmp(name, "pinned") != 0)
		return (0);
	store_touch(a, m->folder);
	COUNT(C_MARKS);
	return (1);
}

static void
marks(struct hreq *h, int threads)
{
	json_t *mk = jparam(h, "marks"), *e, *ids, *id;
	size_t i, j, k, n, done = 0;
	const char *name;
	struct msg **v, *m;
	int set;

	if (!json_is_array(mk)) {
		json_decref(mk);
		hreq_envelope(h, 400, json_pack("{s:s}", "error", "marks"));
		return;
	}
	json_array_foreach(mk, i, e) {
		name = jstr(json_object_get(e, "name"));
		if (name == NULL)
			continue;
		for (set = 0; set < 2; set++) {
			ids = json_object_get(e, set ? "set" : "unset");
			json_array_foreach(ids, j, id) {
				if (!threads) {
					m = store_find_msg(h->acct, jstr(id));
					if (m != NULL)
						done += mark(h->acct, m, name,
						    set);
					continue;
				}
				n = thread_lookup(h->acct, jstr(id), &v);
				for (k = 0; k < n; k++)
					done += mark(h->acct, v[k], name, set);
				free(v);
			}
		}
	}
	json_decref(mk);
	hreq_envelope(h, 200, json_pack("{s:I}", "count", (json_int_t)done));
}

static void
h_mmarks(struct hreq *h)
{
	marks(h, 0);
}

static void
h_tmarks(struct hreq *h)
{
	marks(h, 1);
}

static void
move_one(struct account *a, struct msg *m, uint32_t to)
{
	if (m->folder == to)
		return;
	store_log(LOG_MOVES, json_pack("{s:I,s:s,s:s,s:I,s:I}", "time",
	    (json_int_t)now_sec(), "account", a->email, "message", m->id,
	    "from_folder", (json_int_t)m->folder, "to_folder",
	    (json_int_t)to));
	store_move(a, m, to);
	a->moves++;
	COUNT(C_MOVES);
}

/* Ids from ids=[...] (strings, numbers or {"id":...} objects). */
static json_t *
id_list(struct hreq *h)
{
	json_t *ids = jparam(h, "ids"), *out = json_array(), *e, *mi;
	size_t i;

	if (json_is_string(ids))
		json_array_append(out, ids);
	json_array_foreach(ids, i, e) {
		if (json_is_object(e))
			e = json_object_get(e, "id");
		if (json_is_string(e))
			json_array_append(out, e);
		else if (json_is_integer(e))
			json_array_append_new(out, json_sprintf("%lld",
			    (long long)json_integer_value(e)));
	}
	mi = jparam(h, "msg_ids");
	json_array_foreach(mi, i, e)
		if (json_is_string(json_object_get(e, "id")))
			json_array_append(out, json_object_get(e, "id"));
	json_decref(mi);
	json_decref(ids);
	return (out);
}

static void
moves(struct hreq *h, int threads)
{
	uint32_t to = param_folder(h, "folder", FOLDER_NONE);
	json_t *ids, *id;
	size_t i, k, n, done = 0;
	struct msg **v, *m;

	if (to == FOLDER_NONE)
		to = param_folder(h, "folder_id", FOLDER_NONE);
	if (!folder_ok(h, to))
		return;
	ids = id_list(h);
	json_array_foreach(ids, i, id) {
		if (!threads) {
			if ((m = store_find_msg(h->acct, jstr(id))) != NULL) {
				move_one(h->acct, m, to);
				done++;
			}
			continue;
		}
		n = thread_lookup(h->acct, jstr(id), &v);
		for (k = 0; k < n; k++)
			move_one(h->acct, v[k], to);
		done += n;
		free(v);
	}
	json_decref(ids);
	hreq_envelope(h, 200, json_pack("{s:I}", "count", (json_int_t)done));
}

static void
h_tmove(struct hreq *h)
{
	moves(h, 1);
}

static void
h_mmove(struct hreq *h)
{
	moves(h, 0);
}

/* A spam or not-spam report: moves the letter and trains the filter. */
void
api_report(struct account *a, struct msg *m, int spam, const char *via)
{
	uint32_t to = spam ? FOLDER_SPAM : FOLDER_INBOX;

	store_log(LOG_REPORTS, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:s}",
	    "time", (json_int_t)now_sec(), "account", a->email, "message",
	    m->id, "kind", spam ? "spam" : "unspam", "sender", m->from_email,
	    "subject", m->subject, "from_folder", (json_int_t)m->folder,
	    "via", via));
	spamrule_report(m->from_email, spam);
	if (spam) {
		a->spam_reports++;
		COUNT(C_SPAM_REPORTS);
	} else {
		a->unspam_reports++;
		COUNT(C_UNSPAM_REPORTS);
	}
	if (m->folder != to)
		store_move(a, m, to);
}

static void
reports(struct hreq *h, int spam, int threads)
{
	json_t *ids = id_list(h), *id;
	size_t i, k, n, done = 0;
	struct msg **v, *m;
	const char *via = threads ? "m/threads/services" : "messages/services";

	json_array_foreach(ids, i, id) {
		if (!threads) {
			if ((m = store_find_msg(h->acct, jstr(id))) != NULL) {
				api_report(h->acct, m, spam, via);
				done++;
			}
			continue;
		}
		n = thread_lookup(h->acct, jstr(id), &v);
		for (k = 0; k < n; k++)
			api_report(h->acct, v[k], spam, via);
		done += n;
		free(v);
	}
	json_decref(ids);
	hreq_envelope(h, 200, json_pack("{s:I}", "count", (json_int_t)done));
}

static void
h_spam(struct hreq *h)
{
	reports(h, 1, 0);
}

static void
h_unspam(struct hreq *h)
{
	reports(h, 0, 0);
}

static void
h_tspam(struct hreq *h)
{
	reports(h, 1, 1);
}

static void
h_tunspam(struct hreq *h)
{
	reports(h, 0, 1);
}

static int
contains(const char *hay, const char *lneedle)
{
	char *l = utf8_lower(hay);
	int r = strstr(l, lneedle) != NULL;

	free(l);
	return (r);
}

static void
h_search(struct hreq *h)
{
	const char *q = hreq_param(h, "query");
	const char *ex = hreq_param(h, "in_excluded_folders");
	int all = ex != NULL && strcmp(ex, "true") == 0;
	long off = param_long(h, "offset", 0), lim = param_long(h, "limit", 50);
	struct msg **v;
	size_t i, n, hits = 0;
	char *lq;
	json_t *arr = json_array();

	if (q == NULL)
		q = hreq_param(h, "q");
	lq = utf8_lower(q != NULL ? q : "");
	n = store_list(h->acct, FOLDER_NONE, &v);
	for (i = 0; i < n; i++) {
		if (!all && (v[i]->folder == FOLDER_SPAM ||
		    v[i]->folder == FOLDER_TRASH))
			continue;
		if (!(contains(v[i]->subject, lq) || contains(v[i]->text, lq) ||
		    contains(v[i]->html, lq) || contains(v[i]->from_email, lq)
		    || contains(v[i]->from_name, lq)))
			continue;
		if ((long)hits >= off && (long)json_array_size(arr) < lim)
			json_array_append_new(arr, api_msg_json(h->acct, v[i],
			    0));
		hits++;
	}
	free(v);
	free(lq);
	hreq_envelope(h, 200, json_pack("{s:o,s:I}", "messages", arr, "total",
	    (json_int_t)hits));
}

/* Recipients from correspondents={"to":..} or to=; strings or arrays. */
static void
recipients(json_t *v, json_t *out)
{
	size_t i;
	json_t *e;
	char *copy, *p, *tok, *save = NULL, *name, *email;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (json_is_object(e))
				e = json_object_get(e, "email");
			recipients(e, out);
		}
		return;
	}
	if (!json_is_string(v))
		return;
	copy = xstrdup(json_string_value(v));
	for (p = copy; (tok = strtok_r(p, ",;", &save)) != NULL; p = NULL) {
		if (mime_addr(tok, &name, &email) == 0) {
			if (*email != '\0')
				json_array_append_new(out,
				    json_string(email));
			free(name);
			free(email);
		}
	}
	free(copy);
}

static char *
join(json_t *arr)
{
	size_t i, n = 1;
	json_t *e;
	char *r;

	json_array_foreach(arr, i, e)
		n += strlen(json_string_value(e)) + 2;
	r = xcalloc(n, 1);
	json_array_foreach(arr, i, e) {
		if (i > 0)
			strcat(r, ", ");
		strcat(r, json_string_value(e));
	}
	return (r);
}

static void
h_send(struct hreq *h)
{
	struct account *a = h->acct, *ra;
	json_t *corr = jparam(h, "correspondents"), *to = json_array();
	json_t *cc = json_array(), *bcc = json_array(), *src, *body, *rcpts;
	json_t *e;
	const char *subject = hreq_param(h, "subject"), *reply, *fwd;
	const char *text = "", *html = "", *sending = hreq_param(h, "sending");
	struct msg *orig = NULL, *sent, *dm;
	struct letter l;
	char mid[96], hex[17], *subj, *refs, *tos, *ccs, *fname = NULL;
	char *femail = NULL, tok[33];
	uint32_t f;
	size_t i;

	if (json_is_object(corr)) {
		recipients(json_object_get(corr, "to"), to);
		recipients(json_object_get(corr, "cc"), cc);
		recipients(json_object_get(corr, "bcc"), bcc);
	}
	json_decref(corr);
	if (hreq_param(h, "to") != NULL) {
		e = json_string(hreq_param(h, "to"));
		recipients(e, to);
		json_decref(e);
	}
	src = jparam(h, "source");
	reply = jstr(json_object_get(src, "reply"));
	fwd = jstr(json_object_get(src, "forward"));
	if (reply != NULL && *reply != '\0' &&
	    (orig = store_find_msg(a, reply)) == NULL) {
		json_decref(src);
		json_decref(to);
		json_decref(cc);
		json_decref(bcc);
		hreq_envelope(h, 400, json_pack("{s:s}", "error",
		    "reply_not_found"));
		return;
	}
	body = jparam(h, "body");
	if (json_is_object(body)) {
		if (jstr(json_object_get(body, "text")) != NULL)
			text = jstr(json_object_get(body, "text"));
		if (jstr(json_object_get(body, "html")) != NULL)
			html = jstr(json_object_get(body, "html"));
	} else if (json_is_string(body))
		text = json_string_value(body);
	if (subject == NULL)
		subject = "";
	if (orig != NULL && *subject == '\0')
		subj = xasprintf("Re: %s", orig->subject);
	else
		subj = xstrdup(subject);
	if (hreq_param(h, "from") != NULL)
		mime_addr(hreq_param(h, "from"), &fname, &femail);
	rnd_hex(hex, 16);
	snprintf(mid, sizeof(mid), "<%lld.%s@%s>", (long long)now_sec(), hex,
	    DEF_MSGID_DOMAIN);
	refs = orig == NULL ? xstrdup("") : *orig->references ?
	    xasprintf("%s %s", orig->references, orig->message_id) :
	    xstrdup(orig->message_id);
	tos = join(to);
	ccs = join(cc);
	memset(&l, 0, sizeof(l));
	l.from_name = fname != NULL ? fname : "";
	l.from_email = a->email;
	l.to = tos;
	l.cc = ccs;
	l.subject = subj;
	l.text = text;
	l.html = html;
	l.message_id = mid;
	l.in_reply_to = orig != NULL ? orig->message_id : "";
	l.references = refs;
	l.via = "send";
	if (sending != NULL && strcmp(sending, "false") == 0) {
		l.folder = FOLDER_DRAFTS;
		sent = store_deliver(a, &l, NULL);
		hreq_envelope(h, 200, json_pack("{s:s}", "message_id",
		    sent->id));
		goto out;
	}
	if (json_array_size(to) + json_array_size(cc) +
	    json_array_size(bcc) == 0) {
		hreq_envelope(h, 400, json_pack("{s:s,s:s}", "error",
		    "required", "field", "to"));
		goto out;
	}
	COUNT(C_SENDS);
	l.folder = FOLDER_SENT;
	sent = store_deliver(a, &l, NULL);
	if (orig != NULL)
		orig->replied = 1;
	if (fwd != NULL && (dm = store_find_msg(a, fwd)) != NULL)
		dm->forwarded = 1;
	rcpts = json_array();
	json_array_extend(to, cc);
	json_array_extend(to, bcc);
	json_array_foreach(to, i, e) {
		ra = store_find_account(json_string_value(e));
		if (ra == NULL) {
			COUNT(C_OUTBOUND);
			store_log(LOG_OUTBOUND, json_pack("{s:I,s:s,s:s,s:s,"
			    "s:s,s:s,s:s,s:s,s:s}", "time",
			    (json_int_t)now_sec(), "from", a->email, "to",
			    json_string_value(e), "subject", subj, "message_id",
			    mid, "in_reply_to", l.in_reply_to, "references",
			    refs, "text", text, "html", html));
			json_array_append_new(rcpts, json_pack("{s:O,s:s}",
			    "to", e, "result", "outbound"));
			continue;
		}
		l.folder = FOLDER_NONE;
		l.unread = 1;
		dm = store_deliver(ra, &l, &f);
		COUNT(f == FOLDER_SPAM ? C_DELIVERED_SPAM : C_DELIVERED_INBOX);
		json_array_append_new(rcpts, json_pack("{s:O,s:s,s:s}", "to", e,
		    "result", f == FOLDER_SPAM ? "spam" : "inbox", "id",
		    dm->id));
	}
	store_log(LOG_SENT, json_pack("{s:I,s:s,s:s,s:s?,s:{s:s,s:s,s:s,s:s,"
	    "s:s,s:s,s:s},s:o,s:s,s:s}", "time", (json_int_t)now_sec(),
	    "account", a->email, "message", sent->id, "client_id",
	    hreq_param(h, "id"), "headers", "From", a->email, "To", tos, "Cc",
	    ccs, "Subject", subj, "Message-ID", mid, "In-Reply-To",
	    l.in_reply_to, "References", refs, "recipients", rcpts, "text",
	    text, "html", html));
	rnd_hex(tok, 32);
	hreq_envelope(h, 200, json_pack("{s:s,s:s,s:s}", "message_id", sent->id,
	    "id", sent->id, "cancellation_token", tok));
out:
	json_decref(src);
	json_decref(body);
	json_decref(to);
	json_decref(cc);
	json_decref(bcc);
	free(subj);
	free(refs);
	free(tos);
	free(ccs);
	free(fname);
	free(femail);
}

static void
h_password(struct hreq *h)
{
	const char *old = hreq_param(h, "old"), *new = hreq_param(h, "new");
	struct account *a = h->acct;

	if (old == NULL)
		old = hreq_param(h, "old_password");
	if (new == NULL)
		new = hreq_param(h, "new_password");
	if (old == NULL || strcmp(old, a->password) != 0) {
		hreq_envelope(h, 400, json_pack("{s:s}", "error",
		    "invalid_old_password"));
		return;
	}
	if (new == NULL || strlen(new) < 6) {
		hreq_envelope(h, 400, json_pack("{s:s}", "error",
		    "invalid_new_password"));
		return;
	}
	free(a->password);
	a->password = xstrdup(new);
	a->gen++;
	/* the caller's own session survives; every other one dies */
	h->sess->gen = a->gen;
	COUNT(C_PASSWORD_CHANGES);
	hreq_envelope(h, 200, json_object());
}

static void
h_clear(struct hreq *h)
{
	json_t *ids = id_list(h), *id;
	size_t i, j;
	uint32_t f;
	struct msg **v;
	size_t n;

	json_array_foreach(ids, i, id) {
		f = json_folder(id, FOLDER_NONE);
		if (f != FOLDER_TRASH && f != FOLDER_SPAM) {
			json_decref(ids);
			hreq_envelope(h, 400, json_pack("{s:s}", "error",
			    "denied"));
			return;
		}
		n = store_list(h->acct, f, &v);
		for (j = 0; j < n; j++)
			store_remove(h->acct, v[j]);
		free(v);
	}
	json_decref(ids);
	hreq_envelope(h, 200, json_object());
}

static void
h_remove(struct hreq *h)
{
	json_t *ids = id_list(h), *id;
	size_t i;
	struct msg *m;

	json_array_foreach(ids, i, id) {
		m = store_find_msg(h->acct, jstr(id));
		if (m != NULL && m->folder != FOLDER_TRASH) {
			json_decref(ids);
			hreq_envelope(h, 400, json_pack("{s:s}", "error",
			    "denied"));
			return;
		}
	}
	json_array_foreach(ids, i, id)
		if ((m = store_find_msg(h->acct, jstr(id))) != NULL)
			store_remove(h->acct, m);
	json_decref(ids);
	hreq_envelope(h, 200, json_object());
}

static void
h_short(struct hreq *h)
{
	store_session_rotate_token(h->sess);
	hreq_envelope(h, 200, json_pack("{s:s,s:s,s:s}", "email",
	    h->acct->email, "token", h->sess->token, "name",
	    h->acct->email));
}

static void
h_tokens(struct hreq *h)
{
	if (h->sess->token[0] == '\0')
		store_session_rotate_token(h->sess);
	hreq_envelope(h, 200, json_pack("{s:s}", "token", h->sess->token));
}

static void
h_force(struct hreq *h)
{
	hreq_envelope(h, 200, json_object());
}

static const struct endpoint endpoints[] = {
	{ "folders", h_folders, 0 },
	{ "threads/status/smart", h_threads, 0 },
	{ "threads/status/golang", h_threads, 0 },
	{ "m/threads/status/smart", h_mthreads, 0 },
	{ "messages/status", h_mstatus, 0 },
	{ "messages/status/unread", h_unread, 0 },
	{ "threads/thread", h_thread, 0 },
	{ "messages/message", h_message, 0 },
	{ "messages/marks", h_mmarks, EP_POST },
	{ "threads/marks", h_tmarks, EP_POST },
	{ "threads/move", h_tmove, EP_POST },
	{ "messages/move", h_mmove, EP_POST },
	{ "messages/services/spam", h_spam, EP_POST },
	{ "messages/services/unspam", h_unspam, EP_POST },
	{ "m/threads/services/spam", h_tspam, EP_POST },
	{ "m/threads/services/unspam", h_tunspam, EP_POST },
	{ "k8s/messages/search", h_search, 0 },
	{ "messages/search", h_search, 0 },
	{ "k8s/messages/send", h_send, EP_POST },
	{ "messages/send", h_send, EP_POST },
	{ "user/password", h_password, EP_POST },
	{ "folders/clear", h_clear, EP_POST },
	{ "messages/remove", h_remove, EP_POST },
	{ "messages/delivery/force", h_force, 0 },
	{ "user/short", h_short, EP_NOTOKEN },
	{ "tokens", h_tokens, EP_NOTOKEN },
};

static void
deny(struct hreq *h, const char *why)
{
	COUNT(strcmp(why, "user") == 0 ? C_API_DENIED_USER :
	    strcmp(why, "token") == 0 ? C_API_DENIED_TOKEN :
	    C_API_DENIED_NOSDC);
	hreq_error(h, 403, why);
}

/* aj hosts: access_token in the query or the form body. */
static int
auth_aj(struct hreq *h)
{
	struct session *s = store_session_by_access(hreq_param(h,
	    "access_token"));
	struct account *a;

	if (!store_session_alive(s) || !s->mobile ||
	    now_sec() >= s->access_expires) {
		deny(h, "token");
		return (0);
	}
	a = h->acct = s->acct;
	h->sess = s;
	hreq_conn_account(h, a, "access_token");
	if (a->force == FORCE_USER || a->force == FORCE_TOKEN) {
		a->force = FORCE_NONE;
		s->access_expires = 0;
		deny(h, "token");
		return (0);
	}
	if (a->expire_after > 0 && ++s->requests > a->expire_after) {
		s->access_expires = 0;
		deny(h, "token");
		return (0);
	}
	return (1);
}

/* Web: Mpop session, sdcs host cookie, CSRF token. */
static int
auth_web(struct hreq *h, const struct endpoint *ep)
{
	struct session *s;
	int r = auth_web_session(h, &s);
	struct account *a;
	const char *tok = hreq_param(h, "token");

	if (r == 1) {
		deny(h, "user");
		return (0);
	}
	a = s->acct;
	if (a->force == FORCE_USER ||
	    (a->expire_after > 0 && ++s->requests > a->expire_after)) {
		if (a->force == FORCE_USER)
			a->force = FORCE_NONE;
		s->dead = 1;
		deny(h, "user");
		return (0);
	}
	if (r == 2) {
		deny(h, "nosdc");
		return (0);
	}
	if (a->force == FORCE_NOSDC) {
		a->force = FORCE_NONE;
		store_session_set_sdcs(s);
		deny(h, "nosdc");
		return (0);
	}
	if (ep->flags & EP_NOTOKEN)
		return (1);
	if (a->force == FORCE_TOKEN) {
		a->force = FORCE_NONE;
		store_session_rotate_token(s);
		s->prev_token[0] = '\0';
		deny(h, "token");
		return (0);
	}
	if (((ep->flags & EP_POST) || (tok != NULL && *tok != '\0')) &&
	    !store_token_ok(s, tok)) {
		deny(h, "token");
		return (0);
	}
	return (1);
}

/* Entry for /api/v1/... on e.mail.ru and the aj hosts. */
void
api_mail(struct hreq *h)
{
	const char *p = h->path + 8;
	size_t i;

	COUNT(C_API_CALLS);
	for (i = 0; i < MS_ARRLEN(endpoints); i++)
		if (strcmp(p, endpoints[i].path) == 0)
			break;
	if (i == MS_ARRLEN(endpoints)) {
		hreq_envelope(h, 404, json_string("not_found"));
		return;
	}
	if ((endpoints[i].flags & EP_POST) && h->method != EVHTTP_REQ_POST) {
		hreq_envelope(h, 400, json_pack("{s:s}", "error",
		    "method_not_allowed"));
		return;
	}
	if (h->aj ? !auth_aj(h) : !auth_web(h, &endpoints[i]))
		return;
	h->acct->api_requests++;
	store_populate(h->acct);
	endpoints[i].fn(h);
}
