#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redis.h"
#include "secret.h"
#include "sesscache.h"
#include "xmalloc.h"

#define AAD_PREFIX	"session:"

struct pending {
	const struct secret_key	*key;
	char			 id[64];
	sesscache_load_cb	*load_cb;
	sesscache_save_cb	*save_cb;
	void			*arg;
};

static char *
cache_key(const char *prefix, const char *id)
{
	return xasprintf("%ssession:%s", prefix != NULL ? prefix : "", id);
}

static void
on_load(void *arg, const redisReply *reply)
{
	struct pending	*p = arg;
	char		 aad[96];
	char		*pt = NULL;
	size_t		 ptlen = 0;
	json_t		*state = NULL;
	json_error_t	 jerr;

	if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
		snprintf(aad, sizeof(aad), AAD_PREFIX "%s", p->id);
		pt = secret_open(p->key, aad, strlen(aad), reply->str,
		    (size_t)reply->len, &ptlen);
		if (pt == NULL)
			log_warn("session cache of account %s does not"
			    " decrypt; logging in afresh", p->id);
		else if ((state = json_loadb(pt, ptlen, 0, &jerr)) == NULL ||
		    !json_is_object(state)) {
			json_decref(state);
			state = NULL;
		}
		if (pt != NULL)
			secret_free(pt, ptlen);
	}
	p->load_cb(p->arg, state);
	json_decref(state);
	free(p);
}

struct rds_req *
sesscache_load(struct rds *r, const struct secret_key *key,
    const char *prefix, const char *account_id, sesscache_load_cb *cb,
    void *arg)
{
	struct pending	*p;
	struct rds_req	*req;
	char		*k;
	const char	*argv[2];
	size_t		 argl[2];

	if (r == NULL || !rds_is_up(r))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->key = key;
	snprintf(p->id, sizeof(p->id), "%s", account_id);
	p->load_cb = cb;
	p->arg = arg;
	k = cache_key(prefix, account_id);
	argv[0] = "GET";
	argl[0] = 3;
	argv[1] = k;
	argl[1] = strlen(k);
	req = rds_command(r, on_load, p, 2, argv, argl);
	free(k);
	if (req == NULL)
		free(p);
	return req;
}

static void
on_save(void *arg, const redisReply *reply)
{
	struct pending	*p = arg;

	if (p->save_cb != NULL)
		p->save_cb(p->arg, reply != NULL &&
		    reply->type == REDIS_REPLY_STATUS);
	free(p);
}

struct rds_req *
sesscache_save(struct rds *r, const struct secret_key *key,
    const char *prefix, const char *account_id, json_t *state,
    unsigned ttl_ms, sesscache_save_cb *cb, void *arg)
{
	struct pending	*p;
	struct rds_req	*req;
	char		*k, *doc, aad[96], ttl[24];
	void		*blob;
	size_t		 bloblen;
	const char	*argv[5];
	size_t		 argl[5];

	if (r == NULL || !rds_is_up(r))
		return NULL;
	if ((doc = json_dumps(state, JSON_COMPACT)) == NULL)
		return NULL;
	snprintf(aad, sizeof(aad), AAD_PREFIX "%s", account_id);
	blob = secret_seal(key, aad, strlen(aad), doc, strlen(doc), &bloblen);
	explicit_bzero(doc, strlen(doc));
	free(doc);
	if (blob == NULL)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->save_cb = cb;
	p->arg = arg;
	k = cache_key(prefix, account_id);
	snprintf(ttl, sizeof(ttl), "%u", ttl_ms);
	argv[0] = "SET";
	argl[0] = 3;
	argv[1] = k;
	argl[1] = strlen(k);
	argv[2] = blob;
	argl[2] = bloblen;
	argv[3] = "PX";
	argl[3] = 2;
	argv[4] = ttl;
	argl[4] = strlen(ttl);
	req = rds_command(r, on_save, p, 5, argv, argl);
	free(k);
	free(blob);
	if (req == NULL)
		free(p);
	return req;
}

void
sesscache_drop(struct rds *r, const char *prefix, const char *account_id)
{
	char		*k;
	const char	*argv[2];
	size_t		 argl[2];

	if (r == NULL || !rds_is_up(r))
		return;
	k = cache_key(prefix, account_id);
	argv[0] = "DEL";
	argl[0] = 3;
	argv[1] = k;
	argl[1] = strlen(k);
	(void)rds_command(r, NULL, NULL, 2, argv, argl);
	free(k);
}
