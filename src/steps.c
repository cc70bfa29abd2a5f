/*
 * Payload shapes (every field checked before anything is requested):
 *
 *   rescue        {"match": {...}, "from", "to", "mark_read", "flag",
 *                  "observe"}
 *   engage        {"match": {...}, "from", "to", "not_spam", "mark_read",
 *                  "flag", "reply": {"text", "html"?, "subject"?}}
 *   warm_receive  {"token", "from"?, "to"?, "open", "flag",
 *                  "reply": {...} | null, "click": {"anchor"} | null}
 *
 * "match" is {"subject": s} or {"body": s}; from/to bound the day the
 * letter was received in.  A holdout's rescue ("observe": true) only
 * finds and records where the letter is.
 */
#include <stdio.h>
#include <string.h>

#include "steps.h"

static const char *const scenario_tasks[] = { "rescue", "engage",
	"warm_receive", NULL };

int
steps_is_scenario(const char *task)
{
	for (size_t i = 0; task != NULL && scenario_tasks[i] != NULL; i++)
		if (strcmp(task, scenario_tasks[i]) == 0)
			return 1;
	return 0;
}

int
steps_sends(const char *task)
{
	return task != NULL && (strcmp(task, "engage") == 0 ||
	    strcmp(task, "warm_receive") == 0);
}

static int
bad(char *why, size_t len, const char *field, const char *msg)
{
	snprintf(why, len, "payload.%s: %s", field, msg);
	return -1;
}

/* An optional boolean field; -1 when present and not a boolean. */
static int
flag_of(json_t *p, const char *field, int dflt, int *out)
{
	json_t	*v = json_object_get(p, field);

	if (v == NULL || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

/* Append one step built from a fresh payload (consumed). */
static int
add(struct action *acts, int *n, const char *task, json_t *p, char *why,
    size_t len)
{
	int	 rc;

	if (*n >= STEPS_MAX) {
		json_decref(p);
		snprintf(why, len, "too many steps");
		return -1;
	}
	rc = action_init(&acts[*n], task, p, why, len);
	json_decref(p);
	if (rc == -1)
		return -1;
	(*n)++;
	return 0;
}

static json_t *
listed(const char *in, int limit)
{
	json_t	*p = json_pack("{s:s}", "select", "listed");

	if (in != NULL)
		json_object_set_new(p, "in", json_string(in));
	if (limit > 0)
		json_object_set_new(p, "limit", json_integer(limit));
	return p;
}

/* The find step: match and window copied from the job's payload. */
static json_t *
find_of(json_t *payload, json_t *match, int require)
{
	json_t	*p = json_pack("{s:O, s:b}", "match", match, "require",
	    require);
	json_t	*v;

	if ((v = json_object_get(payload, "from")) != NULL)
		json_object_set(p, "from", v);
	if ((v = json_object_get(payload, "to")) != NULL)
		json_object_set(p, "to", v);
	return p;
}

static json_t *
reply_of(json_t *reply)
{
	json_t	*p = listed(NULL, 1);

	json_object_update(p, reply);
	/* The rendered text still has the answered letter's details to
	 * fill in. */
	json_object_set_new(p, "fill", json_true());
	return p;
}

static void
clear_all(struct action *acts, int n)
{
	for (int i = 0; i < n; i++)
		action_clear(&acts[i]);
}

int
steps_expand(const char *task, json_t *payload, struct action *acts,
    char *why, size_t len)
{
	json_t	*match, *reply, *click, *tok;
	int	 n = 0, mark_read, flag, observe, not_spam, open;

	if (!json_is_object(payload))
		return bad(why, len, "", "must be a JSON object");
	reply = json_object_get(payload, "reply");
	if (reply != NULL && !json_is_null(reply) && !json_is_object(reply))
		return bad(why, len, "reply", "must be an object or null");
	if (json_is_null(reply))
		reply = NULL;
	if (strcmp(task, "warm_receive") == 0) {
		tok = json_object_get(payload, "token");
		if (!json_is_string(tok) || json_string_length(tok) == 0)
			return bad(why, len, "token", "must be a non-empty"
			    " string");
		if (flag_of(payload, "open", 1, &open) == -1 ||
		    flag_of(payload, "flag", 0, &flag) == -1)
			return bad(why, len, "open", "open and flag must be"
			    " true or false");
		click = json_object_get(payload, "click");
		if (click != NULL && !json_is_null(click) &&
		    !json_is_string(json_object_get(click, "anchor")))
			return bad(why, len, "click", "must be {\"anchor\":"
			    " text} or null");
		match = json_pack("{s:O}", "token", tok);
		/* Not there yet is worth waiting for: the letter may still
		 * be on its way. */
		if (add(acts, &n, "find", find_of(payload, match, 1), why,
		    len) == -1 ||
		    add(acts, &n, "not_spam", listed("spam", 0), why,
		    len) == -1 ||
		    (open && add(acts, &n, "mark_read", listed(NULL, 0), why,
		    len) == -1) ||
		    (flag && add(acts, &n, "flag", listed(NULL, 0), why,
		    len) == -1) ||
		    (reply != NULL && add(acts, &n, "reply", reply_of(reply),
		    why, len) == -1) ||
		    (click != NULL && !json_is_null(click) && add(acts, &n,
		    "click_link", json_pack("{s:s, s:i, s:O}", "select",
		    "listed", "limit", 1, "anchor",
		    json_object_get(click, "anchor")), why, len) == -1)) {
			json_decref(match);
			clear_all(acts, n);
			return -1;
		}
		json_decref(match);
		return n;
	}
	match = json_object_get(payload, "match");
	if (!json_is_object(match))
		return bad(why, len, "match", "must be {\"subject\": text} or"
		    " {\"body\": text}");
	if (json_object_get(match, "token") != NULL)
		return bad(why, len, "match", "a token is for warm_receive");
	if (flag_of(payload, "mark_read", 0, &mark_read) == -1 ||
	    flag_of(payload, "flag", 0, &flag) == -1 ||
	    flag_of(payload, "observe", 0, &observe) == -1 ||
	    flag_of(payload, "not_spam", 1, &not_spam) == -1)
		return bad(why, len, "observe", "mark_read, flag, observe and"
		    " not_spam must be true or false");
	if (strcmp(task, "engage") == 0 && reply == NULL)
		return bad(why, len, "reply", "is required");
	if (add(acts, &n, "find", find_of(payload, match, 0), why, len) == -1)
		return -1;
	if (observe)
		return n;
	if (strcmp(task, "rescue") == 0 || not_spam)
		if (add(acts, &n, "not_spam", listed("spam", 0), why,
		    len) == -1)
			goto fail;
	if (strcmp(task, "engage") == 0) {
		/* One letter is opened and answered, as a reader would. */
		if (add(acts, &n, "mark_read", listed(NULL, 1), why,
		    len) == -1 ||
		    (flag && add(acts, &n, "flag", listed(NULL, 1), why,
		    len) == -1) ||
		    add(acts, &n, "reply", reply_of(reply), why, len) == -1)
			goto fail;
		return n;
	}
	if ((mark_read && add(acts, &n, "mark_read", listed(NULL, 0), why,
	    len) == -1) ||
	    (flag && add(acts, &n, "flag", listed(NULL, 0), why, len) == -1))
		goto fail;
	return n;
fail:
	clear_all(acts, n);
	return -1;
}

void
steps_record(json_t *result, const struct action *a,
    const struct act_result *r)
{
	json_t		*steps, *st, *v;
	static const char *const copied[] = { "placement", "inbox", "spam",
	    "letters" };

	if (a->kind == ACT_FIND && r->status == ACT_OK) {
		for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
			if ((v = json_object_get(r->data, copied[i])) != NULL)
				json_object_set(result, copied[i], v);
		return;
	}
	if ((steps = json_object_get(result, "steps")) == NULL) {
		steps = json_object();
		json_object_set_new(result, "steps", steps);
	}
	st = json_pack("{s:s}", "status", act_status_name(r->status));
	if ((v = json_object_get(r->data, "count")) != NULL)
		json_object_set(st, "count", v);
	if ((v = json_object_get(r->data, "message_id")) != NULL)
		json_object_set(st, "message_id", v);
	if (r->reason != NULL && r->status != ACT_OK)
		json_object_set_new(st, "reason", json_string(r->reason));
	if (a->kind == ACT_FIND)	/* a failed find */
		json_object_set_new(result, "placement", json_null());
	json_object_set_new(steps, act_kind_name(a->kind), st);
}
