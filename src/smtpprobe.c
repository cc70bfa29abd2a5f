/*
 * SMTP probe (see smtpprobe.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "loop.h"
#include "smtpprobe.h"
#include "xmalloc.h"

enum sp_state { SP_CONNECT, SP_BANNER, SP_EHLO, SP_HELO, SP_MAIL, SP_RCPT,
	SP_QUIT, SP_DONE };

struct smtpprobe {
	struct bufferevent	*bev;
	enum sp_state		 state;
	char			*helo, *mail_from;
	char			*rcpt[SMTPPROBE_MAX_RCPT];
	int			 i;
	char			 reply[80];	/* first line of the reply */
	struct smtpprobe_result	 res;
	void			(*cb)(const struct smtpprobe_result *, void *);
	void			*arg;
};

static const char *
strstate(enum sp_state s)
{
	static const char *const n[] = { "connect", "banner", "EHLO", "HELO",
	    "MAIL FROM", "RCPT TO", "QUIT", "done" };

	return n[s];
}

static void
release(void *arg)
{
	struct smtpprobe	*p = arg;

	free(p->helo);
	free(p->mail_from);
	for (int i = 0; i < p->res.nrcpt; i++)
		free(p->rcpt[i]);
	free(p);
}

static void
done(struct smtpprobe *p)
{
	if (p->state == SP_DONE)
		return;
	p->state = SP_DONE;
	bufferevent_free(p->bev);
	p->bev = NULL;
	p->cb(&p->res, p->arg);
	loop_defer(release, p);
}

static void
fail(struct smtpprobe *p, int code, const char *what)
{
	if (p->state >= SP_QUIT) {	/* all answered already */
		done(p);
		return;
	}
	p->res.session = code;
	snprintf(p->res.detail, sizeof(p->res.detail), "%s at %s", what,
	    strstate(p->state));
	done(p);
}

static void
sendf(struct smtpprobe *p, const char *verb, const char *arg)
{
	evbuffer_add_printf(bufferevent_get_output(p->bev), "%s%s\r\n", verb,
	    arg);
}

static void
enter(struct smtpprobe *p, enum sp_state s)
{
	p->state = s;
	switch (s) {
	case SP_EHLO:
		sendf(p, "EHLO ", p->helo);
		break;
	case SP_HELO:
		sendf(p, "HELO ", p->helo);
		break;
	case SP_MAIL:
		evbuffer_add_printf(bufferevent_get_output(p->bev),
		    "MAIL FROM:<%s>\r\n", p->mail_from);
		break;
	case SP_RCPT:
		evbuffer_add_printf(bufferevent_get_output(p->bev),
		    "RCPT TO:<%s>\r\n", p->rcpt[p->i]);
		break;
	case SP_QUIT:
		sendf(p, "QUIT", "");
		break;
	default:
		break;
	}
}

/* A complete reply with this code; its first line is in p->reply. */
static void
on_reply(struct smtpprobe *p, int code)
{
	char	what[300];

	switch (p->state) {
	case SP_BANNER:
		if (code / 100 == 2) {
			p->res.greeted = 1;
			enter(p, SP_EHLO);
			return;
		}
		break;
	case SP_EHLO:
		if (code / 100 == 2) {
			enter(p, SP_MAIL);
			return;
		}
		if (code / 100 == 5) {
			enter(p, SP_HELO);
			return;
		}
		break;
	case SP_HELO:
		if (code / 100 == 2) {
			enter(p, SP_MAIL);
			return;
		}
		break;
	case SP_MAIL:
		if (code / 100 == 2) {
			p->i = 0;
			enter(p, SP_RCPT);
			return;
		}
		break;
	case SP_RCPT:
		if (code == 421)
			break;
		p->res.code[p->i] = code;
		snprintf(p->res.text[p->i], sizeof(p->res.text[0]), "%s",
		    p->reply);
		if (++p->i < p->res.nrcpt)
			enter(p, SP_RCPT);
		else
			enter(p, SP_QUIT);
		return;
	case SP_QUIT:
		done(p);
		return;
	default:
		return;
	}
	snprintf(what, sizeof(what), "%s", p->reply);
	fail(p, code, what);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct smtpprobe	*p = arg;
	char			*line;
	size_t			 n;

	while (p->state != SP_DONE &&
	    (line = evbuffer_readln(bufferevent_get_input(bev), &n,
	    EVBUFFER_EOL_CRLF)) != NULL) {
		int	code;

		if (n < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || (n > 3 && line[3] != ' ' &&
		    line[3] != '-')) {
			free(line);
			fail(p, -1, "malformed reply");
			return;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (p->reply[0] == '\0')
			snprintf(p->reply, sizeof(p->reply), "%s", line);
		if (n > 3 && line[3] == '-') {
			free(line);
			continue;
		}
		free(line);
		on_reply(p, code);
		if (p->state != SP_DONE)
			p->reply[0] = '\0';
	}
	if (p->state != SP_DONE &&
	    evbuffer_get_length(bufferevent_get_input(bev)) > 4096)
		fail(p, -1, "reply line too long");
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtpprobe	*p = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		p->state = SP_BANNER;
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		fail(p, -1, "timeout");
	else if (what & BEV_EVENT_EOF)
		fail(p, -1, "connection closed");
	else
		fail(p, -1, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
}

struct smtpprobe *
smtpprobe_start(const struct sockaddr *sa, int salen, const char *helo,
    const char *mail_from, char *const *rcpts, int nrcpt, int timeout_ms,
    void (*cb)(const struct smtpprobe_result *, void *), void *arg)
{
	struct smtpprobe	*p;
	struct timeval		 tv = { timeout_ms / 1000,
	    (timeout_ms % 1000) * 1000 };

	if (nrcpt > SMTPPROBE_MAX_RCPT)
		nrcpt = SMTPPROBE_MAX_RCPT;
	p = xcalloc(1, sizeof(*p));
	p->bev = bufferevent_socket_new(loop_base(), -1,
	    BEV_OPT_CLOSE_ON_FREE);
	if (p->bev == NULL) {
		free(p);
		return NULL;
	}
	p->helo = xstrdup(helo);
	p->mail_from = xstrdup(mail_from);
	for (int i = 0; i < nrcpt; i++)
		p->rcpt[i] = xstrdup(rcpts[i]);
	p->res.nrcpt = nrcpt;
	p->cb = cb;
	p->arg = arg;
	p->state = SP_CONNECT;
	bufferevent_setcb(p->bev, read_cb, NULL, event_cb, p);
	bufferevent_set_timeouts(p->bev, &tv, &tv);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(p->bev, sa, salen) != 0) {
		bufferevent_free(p->bev);
		release(p);
		return NULL;
	}
	return p;
}

int
smtpprobe_conn_failed(const struct smtpprobe_result *r)
{
	for (int i = 0; i < r->nrcpt; i++)
		if (r->code[i] != 0)
			return 0;
	return r->session == -1 || r->session == 421 || !r->greeted;
}
