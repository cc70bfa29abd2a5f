/*
 * Plain SMTP ingress (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET,
 * NOOP, QUIT). Letters for mailsim mailboxes are parsed and handed to
 * store_deliver(); the spam rule picks Inbox or Spam.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "defined.h"
#include "mailsim.h"

enum smtp_state {
	SMTP_CMD = 0,
	SMTP_DATA,
	SMTP_CLOSING
};

struct smtp_sess {
	struct smtp_sess	*next, *prev;
	struct bufferevent	*bev;
	enum smtp_state		 state;
	int			 helo;
	char			*from;
	struct account		*rcpt[DEF_SMTP_MAX_RCPT];
	size_t			 nrcpt;
	struct evbuffer		*data;
	int			 toolarge;
	char			 peer[64];
};

static struct evconnlistener	*smtp_lst;
static struct smtp_sess		*sessions;

static void
reply(struct smtp_sess *s, const char *line)
{
	bufferevent_write(s->bev, line, strlen(line));
	bufferevent_write(s->bev, "\r\n", 2);
}

static void
sess_reset(struct smtp_sess *s)
{
	free(s->from);
	s->from = NULL;
	s->nrcpt = 0;
	s->toolarge = 0;
	evbuffer_drain(s->data, evbuffer_get_length(s->data));
}

static void
sess_free(struct smtp_sess *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	sess_reset(s);
	evbuffer_free(s->data);
	bufferevent_free(s->bev);
	free(s);
}

/* The address inside "<...>" after a command prefix, or the bare token. */
static char *
path_arg(const char *arg)
{
	const char *lt = strchr(arg, '<'), *gt;
	size_t n;
	char *r;

	while (*arg == ' ')
		arg++;
	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		n = (size_t)(gt - lt - 1);
		r = xcalloc(n + 1, 1);
		memcpy(r, lt + 1, n);
		return (r);
	}
	n = strcspn(arg, " ");
	r = xcalloc(n + 1, 1);
	memcpy(r, arg, n);
	return (r);
}

static void
deliver(struct smtp_sess *s)
{
	size_t len = evbuffer_get_length(s->data), i;
	struct parsed p;
	struct letter l;
	struct msg *m = NULL;
	uint32_t f;
	char buf[96];

	mime_parse((const char *)evbuffer_pullup(s->data, -1), len, &p);
	memset(&l, 0, sizeof(l));
	l.from_name = p.from_name;
	l.from_email = p.from_email != NULL ? p.from_email : s->from;
	l.to = p.to;
	l.cc = p.cc;
	l.subject = p.subject;
	l.text = p.text;
	l.html = p.html;
	l.message_id = p.message_id;
	l.in_reply_to = p.in_reply_to;
	l.references = p.references;
	l.date = p.date;
	l.folder = FOLDER_NONE;
	l.unread = 1;
	l.via = "smtp";
	for (i = 0; i < s->nrcpt; i++) {
		m = store_deliver(s->rcpt[i], &l, &f);
		COUNT(f == FOLDER_SPAM ? C_DELIVERED_SPAM : C_DELIVERED_INBOX);
	}
	COUNT(C_SMTP_MESSAGES);
	snprintf(buf, sizeof(buf), "250 2.0.0 Ok: queued as %s",
	    m != NULL ? m->id : "0");
	reply(s, buf);
	mime_free(&p);
	sess_reset(s);
}

static void
data_line(struct smtp_sess *s, const char *line, size_t n)
{
	if (n == 1 && line[0] == '.') {
		s->state = SMTP_CMD;
		if (s->toolarge) {
			reply(s, "552 5.3.4 Message too big");
			sess_reset(s);
		} else
			deliver(s);
		return;
	}
	if (line[0] == '.') {
		line++;
		n--;
	}
	if (evbuffer_get_length(s->data) + n > DEF_SMTP_MAX_SIZE) {
		s->toolarge = 1;
		return;
	}
	evbuffer_add(s->data, line, n);
	evbuffer_add(s->data, "\r\n", 2);
}

static void
command(struct smtp_sess *s, const char *line)
{
	char verb[8] = "", *addr;
	struct account *a;
	size_t i;

	for (i = 0; i < sizeof(verb) - 1 && isalpha((unsigned char)line[i]);
	    i++)
		verb[i] = (char)toupper((unsigned char)line[i]);
	verb[i] = '\0';
	if (strcmp(verb, "EHLO") == 0) {
		sess_reset(s);
		s->helo = 1;
		reply(s, "250-mailsim Hello");
		reply(s, "250-PIPELINING");
		reply(s, "250-8BITMIME");
		reply(s, "250-SMTPUTF8");
		reply(s, "250 SIZE 10485760");
	} else if (strcmp(verb, "HELO") == 0) {
		sess_reset(s);
		s->helo = 1;
		reply(s, "250 mailsim");
	} else if (strcmp(verb, "MAIL") == 0 &&
	    strncasecmp(line, "MAIL FROM:", 10) == 0) {
		if (s->from != NULL) {
			reply(s, "503 5.5.1 Error: nested MAIL command");
			return;
		}
		s->from = path_arg(line + 10);
		reply(s, "250 2.1.0 Ok");
	} else if (strcmp(verb, "RCPT") == 0 &&
	    strncasecmp(line, "RCPT TO:", 8) == 0) {
		if (s->from == NULL) {
			reply(s, "503 5.5.1 Error: need MAIL command");
			return;
		}
		addr = path_arg(line + 8);
		a = store_is_domain(addr) ? store_find_account(addr) : NULL;
		free(addr);
		if (a == NULL) {
			COUNT(C_SMTP_REJECTED);
			reply(s, "550 5.1.1 User unknown");
		} else if (s->nrcpt >= DEF_SMTP_MAX_RCPT)
			reply(s, "452 4.5.3 Too many recipients");
		else {
			s->rcpt[s->nrcpt++] = a;
			reply(s, "250 2.1.5 Ok");
		}
	} else if (strcmp(verb, "DATA") == 0) {
		if (s->nrcpt == 0) {
			reply(s, "554 5.5.1 Error: no valid recipients");
			return;
		}
		s->state = SMTP_DATA;
		reply(s, "354 End data with <CR><LF>.<CR><LF>");
	} else if (strcmp(verb, "RSET") == 0) {
		sess_reset(s);
		reply(s, "250 2.0.0 Ok");
	} else if (strcmp(verb, "NOOP") == 0)
		reply(s, "250 2.0.0 Ok");
	else if (strcmp(verb, "VRFY") == 0)
		reply(s, "252 2.0.0 Cannot VRFY user");
	else if (strcmp(verb, "QUIT") == 0) {
		reply(s, "221 2.0.0 Bye");
		s->state = SMTP_CLOSING;
	} else
		reply(s, "502 5.5.2 Error: command not recognized");
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_sess *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	while (s->state != SMTP_CLOSING &&
	    (line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
		if (s->state == SMTP_DATA)
			data_line(s, line, n);
		else
			command(s, line);
		free(line);
	}
	if (s->state == SMTP_CMD && evbuffer_get_length(in) > 4096) {
		reply(s, "500 5.5.2 Line too long");
		s->state = SMTP_CLOSING;
	}
	if (s->state == SMTP_CLOSING)
		bufferevent_disable(bev, EV_READ);
}

/* Close once the goodbye has been written. */
static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_sess *s = arg;

	if (s->state == SMTP_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		sess_free(s);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	sess_free(arg);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int slen, void *arg)
{
	struct smtp_sess *s = xcalloc(1, sizeof(*s));
	struct timeval tv = { DEF_SMTP_IDLE_SEC, 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	(void)l;
	(void)slen;
	(void)arg;
	COUNT(C_SMTP_SESSIONS);
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &sin->sin_addr, s->peer, sizeof(s->peer));
	s->bev = bufferevent_socket_new(ms_base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->data = evbuffer_new();
	s->next = sessions;
	if (sessions != NULL)
		sessions->prev = s;
	sessions = s;
	bufferevent_setcb(s->bev, read_cb, write_cb, event_cb, s);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	reply(s, "220 mailsim ESMTP");
}

int
smtp_start(struct event_base *base, const char *spec, uint16_t *port)
{
	char host[128];
	uint16_t p;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	if (parse_hostport(spec, host, sizeof(host), &p) != 0)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(p);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "mailsim: --smtp needs an IPv4 address\n");
		return (-1);
	}
	smtp_lst = evconnlistener_new_bind(base, accept_cb, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&sin, sizeof(sin));
	if (smtp_lst == NULL) {
		fprintf(stderr, "mailsim: cannot listen on %s\n", spec);
		return (-1);
	}
	getsockname(evconnlistener_get_fd(smtp_lst), (struct sockaddr *)&sin,
	    &sl);
	*port = ntohs(sin.sin_port);
	return (0);
}

void
smtp_stop(void)
{
	while (sessions != NULL)
		sess_free(sessions);
	if (smtp_lst != NULL)
		evconnlistener_free(smtp_lst);
	smtp_lst = NULL;
}
