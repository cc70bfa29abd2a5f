/*
 * click_link: open the letter, find the link whose visible text is the
 * anchor asked for, and follow it -- through the provider's redirector
 * and whatever redirects come after -- on the account's own handle and
 * proxy, as the reader's browser would.  The final URL and status are the
 * result.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "sessint.h"
#include "xmalloc.h"

static void
followed(struct session *s, const struct shttp_resp *r)
{
	json_object_set_new(s->res.data, "final_url", json_string(s->sc.url));
	json_object_set_new(s->res.data, "status", json_integer(r->code));
	json_object_set_new(s->res.data, "hops", json_integer(s->sc.hops));
	json_object_set(s->res.data, "chain", s->sc.chain);
	if (r->rc != CURLE_OK && (r->proxy_failed || s->sc.hops == 0)) {
		sess_net_failed(s, r, "click_link");
		act_finish(s, ACT_TRANSIENT, "%s", s->error);
		return;
	}
	if (r->rc != CURLE_OK) {
		/* The provider's redirector counted the click; the site behind
		 * it being down is the sender's problem, not the mailbox's. */
		json_object_set_new(s->res.data, "error", json_string(r->error));
		act_finish(s, ACT_OK, NULL);
		return;
	}
	if (r->location != NULL) {
		act_finish(s, ACT_PERMANENT, "click_link: more than %d"
		    " redirects", s->sc.hops);
		return;
	}
	act_finish(s, ACT_OK, NULL);
}

static void
letter_opened(struct session *s)
{
	struct action	*a = &s->acts[s->cur];
	const char	*anchor;
	const char	*html = s->sc.msg.html;
	char		*url = NULL, *direct;

	anchor = json_string_value(json_object_get(a->params, "anchor"));
	json_object_set_new(s->res.data, "id",
	    json_string(s->sc.refs[s->sc.pos].id));
	if (html == NULL || mailru_find_link(html, strlen(html), anchor,
	    &url) == -1) {
		act_finish(s, ACT_PERMANENT, "click_link: no link \"%s\" in"
		    " the letter", anchor);
		return;
	}
	json_object_set_new(s->res.data, "href", json_string(url));
	if ((direct = mailru_unwrap_redirect(url)) != NULL) {
		json_object_set_new(s->res.data, "target", json_string(direct));
		free(direct);
	}
	sess_follow(s, url, followed);
	free(url);
}

void
act_link_start(struct session *s)
{
	if (act_targets(s) == -1)
		return;
	act_fetch(s, 0, letter_opened);
}
