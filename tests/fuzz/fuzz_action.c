/*
 * libFuzzer target for action.c: a job row's (task, payload) decoded by
 * action_init() and freed by action_clear().  The first byte picks how:
 * its low two bits the JSON decoding (objects only as jsonb gives them,
 * any value, any value with NULs, or no payload at all), the rest a task
 * from act_kind_name(), no task, or a task read from the input up to its
 * first NUL.  The rest of the input is the payload text; text that does
 * not parse goes through the same calls as a missing payload.  Checks
 * that a decoded action is consistent with its kind, that a failure says
 * why and leaves nothing behind, and that the payload is not leaked or
 * released one time too many.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "action.h"
#include "steps.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

static const size_t json_flags[] = { 0, JSON_DECODE_ANY,
    JSON_DECODE_ANY | JSON_ALLOW_NUL, 0 };

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
zeroed(const struct action *a)
{
	static const struct action	zero;

	return memcmp(a, &zero, sizeof(zero)) == 0;
}

static void
check_ok(const struct action *a, const char *task)
{
	size_t	 i;

	CHECK((unsigned)a->kind < ACT_NKINDS);
	CHECK(strcmp(act_kind_name(a->kind), task) == 0);
	CHECK(json_is_object(a->params));
	switch (a->kind) {
	case ACT_LIST_INBOX:
	case ACT_LIST_SPAM:
		CHECK(a->since_last || a->to > a->from);
		break;
	case ACT_FLAG:
		CHECK(a->on == 0 || a->on == 1);
		/* FALLTHROUGH */
	case ACT_TO_SPAM:
	case ACT_NOT_SPAM:
	case ACT_MARK_READ:
	case ACT_CLICK_LINK:
	case ACT_REPLY:
		if (a->select == SEL_IDS) {
			CHECK(a->nids >= 1 && a->nids <= 500);
			for (i = 0; i < a->nids; i++)
				CHECK(a->ids[i] != NULL && id_ok(a->ids[i]));
		} else {
			CHECK(a->select == SEL_LISTED && a->ids == NULL);
		}
		break;
	default:
		CHECK(a->ids == NULL && a->nids == 0);
		break;
	}
}

static void
run(const char *task, json_t *payload)
{
	struct action	 a;
	char		 why[256];
	size_t		 refs = payload != NULL ? payload->refcount : 0;
	int		 rc;

	why[0] = '\0';
	rc = action_init(&a, task, payload, why, sizeof(why));
	if (rc == 0) {
		CHECK(task != NULL);
		check_ok(&a, task);
		CHECK(payload == NULL || a.params == payload);
		action_clear(&a);
	} else {
		CHECK(rc == -1);
		CHECK(why[0] != '\0' && strlen(why) < sizeof(why));
		/* nothing is left owned (kind may be set) */
		CHECK(a.params == NULL && a.ids == NULL && a.nids == 0 &&
		    a.subject == NULL);
		action_clear(&a);
	}
	CHECK(zeroed(&a));
	action_clear(&a);		/* clearing twice is harmless */
	CHECK(payload == NULL || payload->refcount == refs);
}

/* The same payload as each scenario task's chain of steps. */
static void
run_steps(json_t *payload)
{
	static const char *const tasks[] = { "rescue", "engage",
	    "warm_receive" };
	struct action	 acts[STEPS_MAX];
	char		 why[256];
	size_t		 refs = payload != NULL ? payload->refcount : 0;
	int		 n;

	for (size_t t = 0; t < 3; t++) {
		CHECK(steps_is_scenario(tasks[t]));
		memset(acts, 0, sizeof(acts));
		why[0] = '\0';
		n = steps_expand(tasks[t], payload, acts, why, sizeof(why));
		if (n == -1) {
			CHECK(why[0] != '\0');
			for (size_t i = 0; i < STEPS_MAX; i++)
				CHECK(zeroed(&acts[i]));
		} else {
			CHECK(n >= 1 && n <= STEPS_MAX);
			/* every chain starts by finding the letter */
			CHECK(acts[0].kind == ACT_FIND);
			for (int i = 1; i < n; i++)
				CHECK(acts[i].select == SEL_LISTED);
			for (int i = 0; i < n; i++)
				action_clear(&acts[i]);
		}
		CHECK(payload == NULL || payload->refcount == refs);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t		*payload = NULL;
	json_error_t	 jerr;
	const char	*task, *body, *nul;
	char		*own = NULL;
	size_t		 len;
	unsigned	 mode, k;

	if (size < 1 || size > 65536)
		return 0;
	mode = data[0] & 3;
	k = (unsigned)(data[0] >> 2) % (ACT_NKINDS + 2);
	body = (const char *)data + 1;
	len = size - 1;
	if (k < ACT_NKINDS) {
		task = act_kind_name((enum act_kind)k);
		CHECK(act_kind_parse(task) == (int)k);
	} else if (k == ACT_NKINDS) {
		task = NULL;
	} else {
		nul = memchr(body, '\0', len);
		own = strndup(body, nul != NULL ? (size_t)(nul - body) : len);
		CHECK(own != NULL);
		task = own;
		if (nul != NULL) {
			len -= (size_t)(nul - body) + 1;
			body = nul + 1;
		} else
			len = 0;
		if (act_kind_parse(own) != -1)
			CHECK(strcmp(act_kind_name((enum act_kind)
			    act_kind_parse(own)), own) == 0);
	}

	if (mode != 3) {
		payload = json_loadb(body, len, json_flags[mode], &jerr);
		if (payload == NULL)
			CHECK(jerr.text[0] != '\0');
	}
	run(task, payload);		/* NULL: "{}" */
	run_steps(payload);
	json_decref(payload);
	CHECK(strcmp(act_status_name((enum act_status)(k % 5)), "?") != 0);
	free(own);
	return 0;
}
