/*
 * The loopback-only HTTP port for operators and monitoring (evhttp): fixed
 * GET routes whose bodies are rendered on demand by their owners.
 */
#ifndef WARMD_ADMIN_H
#define WARMD_ADMIN_H

struct event_base;
struct evbuffer;
struct admin;

/* Write a route's body into out. */
typedef void admin_render_cb(struct evbuffer *out, void *arg);

/* Listen on a loopback address; NULL with a message in err on failure. */
struct admin *admin_new(struct event_base *base, const char *host, int port,
    char *err, size_t errlen);
/* Serve GET path with the given content type. */
void	admin_route(struct admin *a, const char *path, const char *ctype,
	    admin_render_cb *cb, void *arg);
/* The port actually bound (useful when 0 was asked). */
int	admin_port(const struct admin *a);
/* Stop listening and free. */
void	admin_free(struct admin *a);

#endif
