/*
 * Admin HTTP.  Only loopback addresses are accepted: /status and /metrics
 * say which accounts exist and how the pool is doing, which is nobody's
 * business off this host.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "admin.h"
#include "xmalloc.h"

#define ADMIN_MAX_ROUTES	16

struct admin_route {
	char		*path;
	char		*ctype;
	admin_render_cb	*cb;
	void		*arg;
};

struct admin {
	struct evhttp			*http;
	struct evhttp_bound_socket	*sock;
	struct admin_route		 routes[ADMIN_MAX_ROUTES];
	int				 nroutes;
};

static int
is_loopback(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static void
admin_request(struct evhttp_request *req, void *arg)
{
	struct admin		*a = arg;
	const char		*path;
	struct evbuffer		*out;

	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	for (int i = 0; path != NULL && i < a->nroutes; i++) {
		if (strcmp(path, a->routes[i].path) != 0)
			continue;
		out = evbuffer_new();
		a->routes[i].cb(out, a->routes[i].arg);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", a->routes[i].ctype);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Cache-Control", "no-store");
		evhttp_send_reply(req, 200, "OK", out);
		evbuffer_free(out);
		return;
	}
	evhttp_send_error(req, 404, "Not Found");
}

struct admin *
admin_new(struct event_base *base, const char *host, int port, char *err,
    size_t errlen)
{
	struct admin	*a;

	if (!is_loopback(host)) {
		snprintf(err, errlen, "admin listen address %s is not loopback", host);
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	if ((a->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "evhttp_new failed");
		free(a);
		return NULL;
	}
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(a->http, 10);
	evhttp_set_gencb(a->http, admin_request, a);
	if ((a->sock = evhttp_bind_socket_with_handle(a->http, host,
	    (unsigned short)port)) == NULL) {
		snprintf(err, errlen, "cannot listen on %s:%d", host, port);
		evhttp_free(a->http);
		free(a);
		return NULL;
	}
	return a;
}

void
admin_route(struct admin *a, const char *path, const char *ctype,
    admin_render_cb *cb, void *arg)
{
	struct admin_route	*r;

	if (a->nroutes == ADMIN_MAX_ROUTES)
		abort();
	r = &a->routes[a->nroutes++];
	r->path = xstrdup(path);
	r->ctype = xstrdup(ctype);
	r->cb = cb;
	r->arg = arg;
}

int
admin_port(const struct admin *a)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	evutil_socket_t		fd = evhttp_bound_socket_get_fd(a->sock);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	evhttp_free(a->http);
	for (int i = 0; i < a->nroutes; i++) {
		free(a->routes[i].path);
		free(a->routes[i].ctype);
	}
	free(a);
}
