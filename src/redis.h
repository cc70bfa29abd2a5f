/*
 * Redis client on the event loop: hiredis 0.14 async over its libevent
 * adapter, with the connect and reply deadlines hiredis 0.14 lacks,
 * reconnect with backoff, and a clear up/down state so callers take their
 * slower path when Redis is away instead of waiting for it.
 */
#ifndef WARMD_REDIS_H
#define WARMD_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

struct event_base;
struct rds;
struct rds_req;

struct rds_opts {
	const char	*address;	/* "127.0.0.1:6379", "[::1]:6379" or "/path/to.sock" (no host names: hiredis resolves them blocking) */
	const char	*password;	/* NULL or empty = no AUTH */
	int		 db;
	unsigned	 connect_timeout_ms;
	unsigned	 command_timeout_ms;
	unsigned	 reconnect_min_ms;
	unsigned	 reconnect_max_ms;
};

/* Reply callback: reply is NULL on error, timeout or disconnect; valid only during the call. */
typedef void rds_cb(void *arg, const redisReply *reply);
/* Called on up/down transitions. */
typedef void rds_state_cb(void *arg, int up);

/* Create a client and start connecting; never blocks. */
struct rds *rds_new(struct event_base *base, const struct rds_opts *opts);
/* Send a command (binary-safe argv); NULL when Redis is down (cb is not called). */
struct rds_req *rds_command(struct rds *r, rds_cb *cb, void *arg, int argc,
    const char **argv, const size_t *argvlen);
/* Forget the callback of a pending command; req must not be used after its callback ran. */
void	rds_cancel(struct rds_req *req);
/* 1 when connected and the handshake (AUTH, SELECT, PING) has been answered. */
int	rds_is_up(const struct rds *r);
/* Register a callback for up/down transitions. */
void	rds_set_state_cb(struct rds *r, rds_state_cb *cb, void *arg);
/* Disconnect, fail pending callbacks with NULL, free. */
void	rds_free(struct rds *r);

#endif
