#define _GNU_SOURCE	/* strptime, timegm */
/*
 * Payload decoding: every field an action uses is checked here, when the
 * job is taken, so a typo fails the job with the field's name instead of
 * reaching the provider.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "xmalloc.h"

static const char *const kind_names[ACT_NKINDS] = {
	[ACT_LOGIN] = "login",
	[ACT_LIST_INBOX] = "list_inbox",
	[ACT_LIST_SPAM] = "list_spam",
	[ACT_TO_SPAM] = "to_spam",
	[ACT_FLAG] = "flag",
	[ACT_NOT_SPAM] = "not_spam",
	[ACT_MARK_READ] = "mark_read",
	[ACT_CLICK_LINK] = "click_link",
	[ACT_SEND] = "send",
	[ACT_REPLY] = "reply",
	[ACT_CHANGE_PASSWORD] = "change_password",
	[ACT_FIND] = "find",
};

const char *
act_kind_name(enum act_kind k)
{
	return (unsigned)k < ACT_NKINDS ? kind_names[k] : "?";
}

int
act_kind_parse(const char *name)
{
	int	 i;

	for (i = 0; i < ACT_NKINDS; i++)
		if (strcmp(kind_names[i], name) == 0)
			return i;
	return -1;
}

const char *
act_status_name(enum act_status s)
{
	switch (s) {
	case ACT_OK:		return "ok";
	case ACT_TRANSIENT:	return "transient";
	case ACT_PERMANENT:	return "permanent";
	case ACT_ACCOUNT:	return "account";
	case ACT_CANCELLED:	return "cancelled";
	case ACT_SKIPPED:	return "skipped";
	case ACT_DEFERRED:	return "deferred";
	}
	return "?";
}

/* RFC 3339 ("2026-11-22T00:00:00Z", "+03:00" offsets) or unix seconds. */
static int
parse_time(json_t *v, int64_t *out)
{
	const char	*s, *rest;
	struct tm	 tm;
	int		 sign, hh, mm;
	int64_t		 t;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	memset(&tm, 0, sizeof(tm));
	if ((rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	t = (int64_t)timegm(&tm);
	if (*rest == '.')
		for (rest++; isdigit((unsigned char)*rest); rest++)
			;
	if (*rest == 'Z' && rest[1] == '\0') {
		*out = t;
		return 0;
	}
	/* Exactly [+-]hh:mm: sscanf's %2d would take "+-1:00" or "+ 1:00". */
	if ((*rest != '+' && *rest != '-') || !isdigit((unsigned char)rest[1]) ||
	    !isdigit((unsigned char)rest[2]) || rest[3] != ':' ||
	    !isdigit((unsigned char)rest[4]) ||
	    !isdigit((unsigned char)rest[5]) || rest[6] != '\0')
		return -1;
	hh = (rest[1] - '0') * 10 + (rest[2] - '0');
	mm = (rest[4] - '0') * 10 + (rest[5] - '0');
	if (hh >= 24 || mm >= 60)
		return -1;
	sign = *rest == '+' ? 1 : -1;
	*out = t - sign * (int64_t)(hh * 3600 + mm * 60);
	return 0;
}

static int
bad(char *why, size_t len, const char *field, const char *msg)
{
	snprintf(why, len, "payload.%s: %s", field, msg);
	return -1;
}

/* A provider id: digits, hex, ':' only; keeps junk out of URLs and SQL. */
static int
id_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!isxdigit((unsigned char)*s) && *s != ':')
			return 0;
	return 1;
}

static int
decode_targets(struct action *a, char *why, size_t len)
{
	json_t		*p = a->params, *v, *it;
	const char	*sel;
	size_t		 i;

	if ((v = json_object_get(p, "select")) != NULL) {
		sel = json_string_value(v);
		if (sel == NULL || strcmp(sel, "listed") != 0)
			return bad(why, len, "select", "only \"listed\" is"
			    " known");
		a->select = SEL_LISTED;
		if ((v = json_object_get(p, "in")) != NULL) {
			const char *in = json_string_value(v);

			if (in != NULL && strcmp(in, "spam") == 0)
				a->in_folder = MAILRU_FOLDER_SPAM;
			else if (in != NULL && strcmp(in, "inbox") == 0)
				a->in_folder = MAILRU_FOLDER_INBOX;
			else
				return bad(why, len, "in", "must be \"inbox\""
				    " or \"spam\"");
		}
		if ((v = json_object_get(p, "limit")) != NULL) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return bad(why, len, "limit", "must be a"
				    " non-negative integer");
			a->limit = (size_t)json_integer_value(v);
		}
		if ((v = json_object_get(p, "match")) != NULL) {
			if (!json_is_string(v))
				return bad(why, len, "match", "must be a"
				    " string");
			a->subject = xstrdup(json_string_value(v));
		}
		return 0;
	}
	a->select = SEL_IDS;
	if ((v = json_object_get(p, "id")) != NULL) {
		if (!json_is_string(v) || !id_ok(json_string_value(v)))
			return bad(why, len, "id", "must be a mail.ru thread"
			    " or message id");
		a->ids = xcalloc(1, sizeof(char *));
		a->ids[0] = xstrdup(json_string_value(v));
		a->nids = 1;
		return 0;
	}
	if ((v = json_object_get(p, "ids")) == NULL)
		return bad(why, len, "ids", "one of id, ids or select is"
		    " required");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > 500)
		return bad(why, len, "ids", "must be an array of 1 to 500 ids");
	a->ids = xcalloc(json_array_size(v), sizeof(char *));
	json_array_foreach(v, i, it) {
		if (!json_is_string(it) || !id_ok(json_string_value(it)))
			return bad(why, len, "ids", "holds something that is"
			    " not a mail.ru id");
		a->ids[a->nids++] = xstrdup(json_string_value(it));
	}
	return 0;
}

static int
need_string(json_t *p, const char *field, int required, char *why,
    size_t len)
{
	json_t	*v = json_object_get(p, field);

	if (v == NULL)
		return required ? bad(why, len, field, "is required") : 0;
	if (!json_is_string(v))
		return bad(why, len, field, "must be a string");
	if (required && json_string_length(v) == 0)
		return bad(why, len, field, "must not be empty");
	return 0;
}

/* Search window: both ends optional, in unix seconds or RFC 3339. */
static int
decode_window(struct action *a, char *why, size_t len)
{
	json_t	*v;

	a->from = 0;
	a->to = INT64_MAX;
	if ((v = json_object_get(a->params, "from")) != NULL &&
	    parse_time(v, &a->from) == -1)
		return bad(why, len, "from", "must be unix seconds or an RFC"
		    " 3339 time");
	if ((v = json_object_get(a->params, "to")) != NULL &&
	    parse_time(v, &a->to) == -1)
		return bad(why, len, "to", "must be unix seconds or an RFC"
		    " 3339 time");
	if (a->to <= a->from)
		return bad(why, len, "to", "must be later than from");
	return 0;
}

static int
decode_list(struct action *a, char *why, size_t len)
{
	json_t		*p = a->params, *v;
	const char	*mode = "new";

	if ((v = json_object_get(p, "mode")) != NULL &&
	    (mode = json_string_value(v)) == NULL)
		return bad(why, len, "mode", "must be \"new\" or \"period\"");
	if (strcmp(mode, "new") == 0) {
		a->since_last = 1;
		return 0;
	}
	if (strcmp(mode, "period") != 0)
		return bad(why, len, "mode", "must be \"new\" or \"period\"");
	if (json_object_get(p, "from") == NULL)
		return bad(why, len, "from", "must be unix seconds or an RFC"
		    " 3339 time");
	return decode_window(a, why, len);
}

static int
decode_send(struct action *a, char *why, size_t len)
{
	json_t		*p = a->params, *v;
	const char	*sid;
	size_t		 i;

	if (a->kind == ACT_SEND) {
		if (need_string(p, "to", 1, why, len) == -1 ||
		    need_string(p, "subject", 1, why, len) == -1)
			return -1;
	} else if (need_string(p, "subject", 0, why, len) == -1)
		return -1;
	if (need_string(p, "html", 0, why, len) == -1 ||
	    need_string(p, "from_name", 0, why, len) == -1 ||
	    need_string(p, "text", json_object_get(p, "html") == NULL, why,
	    len) == -1)
		return -1;
	/* The client-chosen send id is the idempotency key that travels
	 * with the letter: 32 lower-case hex, as the web client makes. */
	if ((v = json_object_get(p, "send_id")) != NULL) {
		sid = json_string_value(v);
		if (sid == NULL || strlen(sid) != 32)
			return bad(why, len, "send_id", "must be 32 hex digits");
		for (i = 0; i < 32; i++)
			if (!isxdigit((unsigned char)sid[i]) ||
			    isupper((unsigned char)sid[i]))
				return bad(why, len, "send_id", "must be 32"
				    " lower-case hex digits");
	}
	return 0;
}

static int
decode_find(struct action *a, char *why, size_t len)
{
	static const char *const bys[] = { "subject", "body", "token" };
	json_t		*m, *v, *it;
	size_t		 i, n = 0;

	if ((m = json_object_get(a->params, "match")) == NULL ||
	    !json_is_object(m))
		return bad(why, len, "match", "must be an object with one of"
		    " subject, body or token");
	for (i = 0; i < 3; i++) {
		if ((v = json_object_get(m, bys[i])) == NULL)
			continue;
		n++;
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 200)
			return bad(why, len, "match", "text must be a string of"
			    " 1 to 200 bytes");
		a->find_by = (enum find_by)i;
		free(a->needle);
		a->needle = xstrdup(json_string_value(v));
	}
	if (n != 1 || json_object_size(m) != 1)
		return bad(why, len, "match", "must hold exactly one of"
		    " subject, body or token");
	if ((v = json_object_get(a->params, "require")) != NULL) {
		if (!json_is_boolean(v))
			return bad(why, len, "require", "must be true or false");
		a->require = json_is_true(v);
	}
	a->find_inbox = a->find_spam = 1;
	if ((v = json_object_get(a->params, "folders")) != NULL) {
		a->find_inbox = a->find_spam = 0;
		if (!json_is_array(v) || json_array_size(v) == 0)
			return bad(why, len, "folders", "must be a list of"
			    " \"inbox\" and \"spam\"");
		json_array_foreach(v, i, it) {
			const char *f = json_string_value(it);

			if (f != NULL && strcmp(f, "inbox") == 0)
				a->find_inbox = 1;
			else if (f != NULL && strcmp(f, "spam") == 0)
				a->find_spam = 1;
			else
				return bad(why, len, "folders", "must be a list"
				    " of \"inbox\" and \"spam\"");
		}
	}
	return decode_window(a, why, len);
}

int
action_init(struct action *out, const char *task, json_t *payload, char *why,
    size_t len)
{
	int		 k;
	json_t		*v;

	memset(out, 0, sizeof(*out));
	if (task == NULL || (k = act_kind_parse(task)) == -1) {
		snprintf(why, len, "task: unknown \"%s\"", task != NULL ? task :
		    "");
		return -1;
	}
	out->kind = (enum act_kind)k;
	if (payload != NULL && !json_is_object(payload)) {
		snprintf(why, len, "payload: must be a JSON object");
		return -1;
	}
	out->params = payload != NULL ? json_incref(payload) : json_object();
	out->on = 1;
	switch (out->kind) {
	case ACT_LOGIN:
	case ACT_CHANGE_PASSWORD:
		break;
	case ACT_LIST_INBOX:
	case ACT_LIST_SPAM:
		if (decode_list(out, why, len) == -1)
			goto fail;
		break;
	case ACT_FLAG:
		if ((v = json_object_get(out->params, "on")) != NULL) {
			if (!json_is_boolean(v)) {
				bad(why, len, "on", "must be true or false");
				goto fail;
			}
			out->on = json_is_true(v);
		}
		/* FALLTHROUGH */
	case ACT_TO_SPAM:
	case ACT_NOT_SPAM:
	case ACT_MARK_READ:
		if (decode_targets(out, why, len) == -1)
			goto fail;
		break;
	case ACT_CLICK_LINK:
		if (decode_targets(out, why, len) == -1 ||
		    need_string(out->params, "anchor", 1, why, len) == -1)
			goto fail;
		break;
	case ACT_FIND:
		if (decode_find(out, why, len) == -1)
			goto fail;
		break;
	case ACT_REPLY:
		if (decode_targets(out, why, len) == -1)
			goto fail;
		if ((v = json_object_get(out->params, "fill")) != NULL) {
			if (!json_is_boolean(v)) {
				bad(why, len, "fill", "must be true or false");
				goto fail;
			}
			out->fill = json_is_true(v);
		}
		/* FALLTHROUGH */
	case ACT_SEND:
		if (decode_send(out, why, len) == -1)
			goto fail;
		break;
	case ACT_NKINDS:
		goto fail;
	}
	return 0;
fail:
	action_clear(out);
	return -1;
}

void
action_clear(struct action *a)
{
	size_t	 i;

	for (i = 0; i < a->nids; i++)
		free(a->ids[i]);
	free(a->ids);
	free(a->subject);
	free(a->needle);
	free(a->token);
	json_decref(a->params);
	memset(a, 0, sizeof(*a));
}

void
act_result_init(struct act_result *r)
{
	memset(r, 0, sizeof(*r));
	r->data = json_object();
}

void
act_result_clear(struct act_result *r)
{
	free(r->reason);
	json_decref(r->data);
	mailru_list_free(&r->found);
	if (r->opened != NULL) {
		mailru_msg_free(r->opened);
		free(r->opened);
	}
	if (r->secret != NULL) {
		explicit_bzero(r->secret, strlen(r->secret));
		free(r->secret);
	}
	memset(r, 0, sizeof(*r));
}
