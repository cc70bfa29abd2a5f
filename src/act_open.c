/*
 * mark_read: open each target letter as a reader would -- fetch it with
 * its body (without the side effect of marking it), then mark it read.
 * The opened letter goes back to the owner, whose mails row gets the body.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "sessint.h"
#include "xmalloc.h"

static void	open_next(struct session *);

static struct mailru_req *
build_read(struct session *s)
{
	struct mailru_ref	ref = { s->sc.msg_id, NULL, NULL };

	return mailru_req_marks(&s->ctx, MAILRU_MESSAGES, "unread", 0, &ref,
	    1);
}

static void
read_reply(struct session *s, struct mailru_env *env)
{
	if (env->cls != MAILRU_OK) {
		act_fail_env(s, env, "mark read");
		return;
	}
	json_array_append_new(s->sc.items, json_pack("{s:s, s:s}", "id",
	    s->sc.refs[s->sc.pos].id, "message_id", s->sc.msg_id));
	/* The first letter opened is the one reported with its body. */
	if (s->res.opened == NULL) {
		s->res.opened = xcalloc(1, sizeof(*s->res.opened));
		*s->res.opened = s->sc.msg;
		memset(&s->sc.msg, 0, sizeof(s->sc.msg));
	}
	s->sc.pos++;
	open_next(s);
}

static void
opened(struct session *s)
{
	sess_api(s, build_read, read_reply);
}

static void
open_next(struct session *s)
{
	if (s->sc.pos >= s->sc.nrefs) {
		json_object_set(s->res.data, "opened", s->sc.items);
		json_object_set_new(s->res.data, "count",
		    json_integer((json_int_t)json_array_size(s->sc.items)));
		act_finish(s, ACT_OK, NULL);
		return;
	}
	act_fetch(s, s->sc.pos, opened);
}

void
act_open_start(struct session *s)
{
	if (act_targets(s) == -1)
		return;
	s->sc.items = json_array();
	s->sc.pos = 0;
	open_next(s);
}
