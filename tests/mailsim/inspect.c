/*
 * The inspection port (plain HTTP, loopback only): JSON views of mailboxes,
 * logs, connections and counters, and control endpoints tests use to set
 * outcomes, inject letters, change faults and reset counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "mailsim.h"

static void
send_json(struct evhttp_request *req, int code, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	struct evbuffer *b = evbuffer_new();

	json_decref(o);
	evbuffer_add(b, s, strlen(s));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
	free(s);
}

static void
bad(struct evhttp_request *req, int code, const char *msg)
{
	send_json(req, code, json_pack("{s:s}", "error", msg));
}

/* A log, optionally only the entries whose account/to matches. */
static json_t *
log_view(enum store_log which, const char *acct)
{
	json_t *all = store_log_get(which), *out, *e;
	size_t i;
	const char *a, *t;

	if (acct == NULL)
		return (json_copy(all));
	out = json_array();
	json_array_foreach(all, i, e) {
		a = json_string_value(json_object_get(e, "account"));
		t = json_string_value(json_object_get(e, "to"));
		if ((a != NULL && strcmp(a, acct) == 0) ||
		    (t != NULL && strcmp(t, acct) == 0))
			json_array_append(out, e);
	}
	return (out);
}

static json_t *
account_json(struct account *a)
{
	json_t *f = json_object();
	size_t i, j, total, unread;
	char fid[16];

	store_populate(a);
	for (i = 0; i < MS_ARRLEN(store_folders); i++) {
		total = unread = 0;
		for (j = 0; j < a->nmsgs; j++) {
			if (a->msgs[j]->folder == store_folders[i]) {
				total++;
				unread += a->msgs[j]->unread;
			}
		}
		snprintf(fid, sizeof(fid), "%u", store_folders[i]);
		json_object_set_new(f, fid, json_pack("{s:s,s:I,s:I}", "name",
		    store_folder_name(store_folders[i]), "total",
		    (json_int_t)total, "unread", (json_int_t)unread));
	}
	return (json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:i,s:i,s:i,s:o,"
	    "s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "email", a->email, "password", a->password, "proxy", a->proxy,
	    "question", a->question, "answer", a->answer, "user_agent", a->ua,
	    "outcome", outcome_name(a->outcome), "spam", a->spam_p,
	    "expire_after", a->expire_after, "force", (int)a->force,
	    "generation", a->gen, "folders", f,
	    "api_requests", (json_int_t)a->api_requests,
	    "logins_ok", (json_int_t)a->logins_ok,
	    "logins_fail", (json_int_t)a->logins_fail,
	    "spam_reports", (json_int_t)a->spam_reports,
	    "unspam_reports", (json_int_t)a->unspam_reports,
	    "moves", (json_int_t)a->moves,
	    "last_modified", (json_int_t)a->lastmod));
}

static json_t *
mailbox_json(struct account *a, const char *folder)
{
	struct msg **v;
	size_t i, n;
	uint32_t f = folder != NULL ? (uint32_t)strtoul(folder, NULL, 10) :
	    FOLDER_NONE;
	json_t *arr = json_array(), *o;

	n = store_list(a, f, &v);
	for (i = 0; i < n; i++) {
		o = api_msg_json(a, v[i], 1);
		json_object_set_new(o, "html_raw", json_string(v[i]->html));
		json_array_append_new(arr, o);
	}
	free(v);
	return (arr);
}

static int
control_account(json_t *body, char *err, size_t errlen)
{
	struct account *a = store_find_account(json_string_value(
	    json_object_get(body, "email")));
	const char *k;
	json_t *v;
	char buf[64];
	const char *s;

	if (a == NULL) {
		snprintf(err, errlen, "unknown account");
		return (-1);
	}
	json_object_foreach(body, k, v) {
		if (strcmp(k, "email") == 0)
			continue;
		if (json_is_string(v))
			s = json_string_value(v);
		else if (json_is_integer(v)) {
			snprintf(buf, sizeof(buf), "%lld",
			    (long long)json_integer_value(v));
			s = buf;
		} else if (json_is_real(v)) {
			snprintf(buf, sizeof(buf), "%g", json_real_value(v));
			s = buf;
		} else {
			snprintf(err, errlen, "bad value for %s", k);
			return (-1);
		}
		if (population_apply(a, k, s, err, errlen) != 0)
			return (-1);
	}
	return (0);
}

static void
control_inject(struct evhttp_request *req, json_t *b)
{
	struct account *a = store_find_account(json_string_value(
	    json_object_get(b, "to")));
	struct letter l;
	json_t *fo = json_object_get(b, "folder");
	struct msg *m;
	uint32_t f;

	if (a == NULL) {
		bad(req, 404, "unknown recipient");
		return;
	}
	memset(&l, 0, sizeof(l));
#define S(k) json_string_value(json_object_get(b, k))
	l.from_name = S("from_name");
	l.from_email = S("from");
	l.to = a->email;
	l.cc = S("cc");
	l.subject = S("subject");
	l.text = S("text");
	l.html = S("html");
	l.message_id = S("message_id");
	l.in_reply_to = S("in_reply_to");
	l.references = S("references");
#undef S
	l.date = (int64_t)json_integer_value(json_object_get(b, "date"));
	l.folder = json_is_integer(fo) ? (uint32_t)json_integer_value(fo) :
	    FOLDER_NONE;
	if (l.folder != FOLDER_NONE && !store_valid_folder(l.folder)) {
		bad(req, 400, "bad folder");
		return;
	}
	l.unread = !json_is_false(json_object_get(b, "unread"));
	l.via = "inject";
	m = store_deliver(a, &l, &f);
	send_json(req, 200, json_pack("{s:s,s:I}", "id", m->id, "folder",
	    (json_int_t)f));
}

/* Inspection request entry. */
void
inspect_handle(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req), *q;
	struct kvlist ql = { NULL, 0, 0 };
	char path[256], err[160] = "";
	size_t n;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	json_t *body = NULL;
	struct account *a;
	const char *acct;
	long off, lim;
	size_t i;

	(void)arg;
	q = strchr(uri, '?');
	n = q != NULL ? (size_t)(q - uri) : strlen(uri);
	snprintf(path, sizeof(path), "%.*s", (int)n, uri);
	if (q != NULL)
		kv_parse(&ql, q + 1, strlen(q + 1));
	acct = kv_get(&ql, "email");
	if (acct == NULL)
		acct = kv_get(&ql, "account");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		body = json_loadb((const char *)evbuffer_pullup(in, -1),
		    evbuffer_get_length(in), 0, NULL);
		if (body == NULL)
			body = json_object();
	}
	if (strcmp(path, "/health") == 0)
		send_json(req, 200, json_pack("{s:b,s:I,s:I}", "ok", 1,
		    "accounts", (json_int_t)store_naccounts(), "sessions",
		    (json_int_t)store_nsessions()));
	else if (strcmp(path, "/counters") == 0)
		send_json(req, 200, counters_json());
	else if (strcmp(path, "/accounts") == 0) {
		json_t *arr = json_array();

		off = kv_get(&ql, "offset") ? atol(kv_get(&ql, "offset")) : 0;
		lim = kv_get(&ql, "limit") ? atol(kv_get(&ql, "limit")) : 100;
		for (i = (size_t)off; i < store_naccounts() &&
		    i < (size_t)(off + lim); i++) {
			a = store_account_at(i);
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s}",
			    "email", a->email, "password", a->password,
			    "outcome", outcome_name(a->outcome)));
		}
		send_json(req, 200, json_pack("{s:I,s:o}", "total",
		    (json_int_t)store_naccounts(), "accounts", arr));
	} else if (strcmp(path, "/account") == 0 ||
	    strcmp(path, "/mailbox") == 0) {
		if ((a = store_find_account(acct)) == NULL)
			bad(req, 404, "unknown account");
		else if (path[1] == 'a')
			send_json(req, 200, account_json(a));
		else
			send_json(req, 200, json_pack("{s:s,s:o}", "email",
			    a->email, "messages", mailbox_json(a,
			    kv_get(&ql, "folder"))));
	} else if (strcmp(path, "/logins") == 0)
		send_json(req, 200, log_view(LOG_LOGINS, acct));
	else if (strcmp(path, "/clicks") == 0)
		send_json(req, 200, log_view(LOG_CLICKS, acct));
	else if (strcmp(path, "/reports") == 0)
		send_json(req, 200, log_view(LOG_REPORTS, acct));
	else if (strcmp(path, "/sent") == 0)
		send_json(req, 200, log_view(LOG_SENT, acct));
	else if (strcmp(path, "/outbound") == 0)
		send_json(req, 200, log_view(LOG_OUTBOUND, acct));
	else if (strcmp(path, "/spam") == 0)
		send_json(req, 200, log_view(LOG_SPAM, acct));
	else if (strcmp(path, "/moves") == 0)
		send_json(req, 200, log_view(LOG_MOVES, acct));
	else if (strcmp(path, "/connections") == 0)
		send_json(req, 200, conns_json());
	else if (strcmp(path, "/reputation") == 0)
		send_json(req, 200, spamrule_json());
	else if (strcmp(path, "/faults") == 0 && body == NULL)
		send_json(req, 200, faults_json());
	else if (body == NULL)
		bad(req, 404, "not found");
	else if (strcmp(path, "/faults") == 0) {
		if (faults_set_json(body, err, sizeof(err)) != 0)
			bad(req, 400, err);
		else
			send_json(req, 200, faults_json());
	} else if (strcmp(path, "/control/account") == 0) {
		if (control_account(body, err, sizeof(err)) != 0)
			bad(req, 400, err);
		else
			send_json(req, 200, account_json(store_find_account(
			    json_string_value(json_object_get(body,
			    "email")))));
	} else if (strcmp(path, "/control/inject") == 0)
		control_inject(req, body);
	else if (strcmp(path, "/control/domain") == 0) {
		if (!json_is_string(json_object_get(body, "domain")) ||
		    !json_is_number(json_object_get(body, "spam")))
			bad(req, 400, "need domain and spam");
		else {
			spamrule_set_domain(json_string_value(json_object_get(
			    body, "domain")), json_number_value(
			    json_object_get(body, "spam")));
			send_json(req, 200, spamrule_json());
		}
	} else if (strcmp(path, "/control/expire") == 0) {
		if ((a = store_find_account(json_string_value(json_object_get(
		    body, "email")))) == NULL)
			bad(req, 404, "unknown account");
		else
			send_json(req, 200, json_pack("{s:I}", "expired",
			    (json_int_t)store_expire_access(a)));
	} else if (strcmp(path, "/control/reset") == 0) {
		counters_reset();
		store_log_reset();
		send_json(req, 200, json_pack("{s:b}", "ok", 1));
	} else
		bad(req, 404, "not found");
	json_decref(body);
	kv_free(&ql);
}
