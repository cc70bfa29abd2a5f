/*
 * Accounts for the session layer: one SELECT that decrypts in C, and small
 * UPDATEs that record what sessions learnt.  Columns that other writers own
 * (acctsync.c: proxy, user agent, source, password_fp) are never written
 * here.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "account.h"
#include "acctstore.h"
#include "log.h"
#include "pg.h"
#include "secret.h"
#include "store.h"
#include "xmalloc.h"

/*
 * bytea is read through encode(): its text output depends on the server's
 * bytea_output, the hex digits do not.
 */
static const char load_sql[] =
    "SELECT id, email, encode(password, 'hex'), recovery_question,"
    " encode(recovery_answer, 'hex'), user_agent, proxy_uri, auth_methods,"
    " encode(imported_session, 'hex'), status"
    " FROM accounts"
    " WHERE ($1::jsonb IS NULL OR email IN"
    "  (SELECT lower(e) FROM jsonb_array_elements_text($1::jsonb) AS e))"
    " AND (NOT $2::boolean OR status = 'active')"
    " AND ($3::jsonb IS NULL OR id IN"
    "  (SELECT i::uuid FROM jsonb_array_elements_text($3::jsonb) AS i))"
    " ORDER BY email";

enum {
	L_ID, L_EMAIL, L_PW, L_Q, L_ANS, L_UA, L_PROXY, L_AUTH, L_SESSION,
	L_STATUS, L_NCOLS
};

/*
 * An 'active' status is a clean slate: no reason, no failures.  Any other
 * status counts one more failure and keeps the reason as last_error too,
 * which outlives the reason once the account is reactivated.
 */
static const char status_sql[] =
    "UPDATE accounts SET status = $2::text,"
    " status_reason = CASE WHEN $2::text = 'active' THEN NULL"
    "  ELSE $3::text END,"
    " last_error = CASE WHEN $2::text <> 'active' AND $3::text IS NOT NULL"
    "  THEN $3::text ELSE last_error END,"
    " consecutive_failures = CASE WHEN $2::text = 'active' THEN 0"
    "  ELSE consecutive_failures + 1 END"
    " WHERE id = $1::uuid";

static const char login_sql[] =
    "UPDATE accounts SET last_login_at = now(), consecutive_failures = 0,"
    " exit_ip = COALESCE($2::inet, exit_ip)"
    " WHERE id = $1::uuid";

/*
 * password_fp is deliberately left as it is.  It fingerprints the secrets
 * of the account FILE's line, and acctsync.c rewrites the password only
 * when the file's fingerprint differs from the stored one.  So re-importing
 * the unchanged line (SIGHUP, `warmctl import`) keeps the password warmd
 * set at the provider, while an operator who edits the line -- the only
 * way to say "use this password now" -- still wins.  Updating password_fp
 * to the new password's would make the next import see the old line as a
 * change and put the old password back.
 */
static const char password_sql[] =
    "UPDATE accounts SET password = $2::bytea, password_changed_at = now()"
    " WHERE id = $1::uuid";

struct load_req {
	struct store_req	 base;		/* first: the store frees us */
	struct secret_key	 key;
	acctstore_load_cb	*cb;
	void			*arg;
};

static void
load_release(struct store_req *r)
{
	struct load_req	*l = (struct load_req *)r;

	explicit_bzero(&l->key, sizeof(l->key));
}

static char *
getdup(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return xstrdup(PQgetvalue(res, row, col));
}

/*
 * Open the sealed column col of row (hex from encode()): 0 and *out
 * (NULL for SQL NULL), or -1 when it does not decrypt.
 */
static int
open_col(const struct secret_key *key, const char *id, const PGresult *res,
    int row, int col, char **out)
{
	unsigned char	*blob;
	char		*bytea;
	size_t		 blen, ptlen;

	*out = NULL;
	if (PQgetisnull(res, row, col))
		return 0;
	bytea = xasprintf("\\x%s", PQgetvalue(res, row, col));
	blob = secret_from_pg_bytea_hex(bytea, &blen);
	free(bytea);
	if (blob == NULL)
		return -1;
	*out = secret_open(key, id, strlen(id), blob, blen, &ptlen);
	free(blob);
	if (*out == NULL)
		return -1;
	/* A NUL inside would hide the rest from every later wipe. */
	if (strlen(*out) != ptlen) {
		secret_free(*out, ptlen);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* One row as an account; NULL (and a warning) if a secret does not open. */
static struct account *
row_account(const struct secret_key *key, const PGresult *res, int row)
{
	struct account	*a = xcalloc(1, sizeof(*a));
	const char	*id = PQgetvalue(res, row, L_ID);

	snprintf(a->id, sizeof(a->id), "%s", id);
	a->email = getdup(res, row, L_EMAIL);
	if (open_col(key, a->id, res, row, L_PW, &a->password) == -1 ||
	    a->password == NULL ||
	    open_col(key, a->id, res, row, L_ANS, &a->answer) == -1 ||
	    open_col(key, a->id, res, row, L_SESSION,
	    &a->imported_cookies) == -1) {
		log_warn("account %s: stored secrets do not decrypt with this "
		    "key file (or were copied from another row), skipped",
		    a->email);
		account_free(a);
		return NULL;
	}
	a->question = getdup(res, row, L_Q);
	a->user_agent = getdup(res, row, L_UA);
	a->proxy_uri = getdup(res, row, L_PROXY);
	a->auth_methods = getdup(res, row, L_AUTH);
	a->status = getdup(res, row, L_STATUS);
	return a;
}

static void
load_result(struct store_req *r, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct load_req	 *l = (struct load_req *)r;
	struct account	**v = NULL;
	struct account	 *a;
	char		  buf[256];
	size_t		  n = 0;
	int		  rows;

	if (st != PG_OK || PQnfields(res) != L_NCOLS) {
		store_strerror(st, errmsg, buf, sizeof(buf));
		log_warn("loading accounts: %s", buf);
		l->cb(l->arg, 0, NULL, 0, buf);
		return;
	}
	rows = PQntuples(res);
	if (rows > 0)
		v = xcalloc((size_t)rows, sizeof(*v));
	for (int i = 0; i < rows; i++)
		if ((a = row_account(&l->key, res, i)) != NULL)
			v[n++] = a;
	l->cb(l->arg, 1, v, n, NULL);
}

/* A JSON array of strings: no quoting of ours between a value and SQL. */
static char *
json_list(const char *const *v, size_t n)
{
	json_t	*arr = json_array();
	char	*list;

	for (size_t i = 0; i < n; i++)
		if (v[i] != NULL)
			json_array_append_new(arr, json_string(v[i]));
	list = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	/* Only a non-UTF-8 value gets here: it matches none. */
	return list != NULL ? list : xstrdup("[]");
}

static struct store_req *
load(struct pg_pool *pool, const struct secret_key *key, char *emails,
    char *ids, int only_active, acctstore_load_cb *cb, void *arg)
{
	struct load_req		*l = xcalloc(1, sizeof(*l));
	struct store_req	*r;
	const char		*params[3];

	l->base.on_result = load_result;
	l->base.release = load_release;
	l->base.what = "load";
	l->key = *key;
	l->cb = cb;
	l->arg = arg;
	params[0] = emails;
	params[1] = only_active ? "t" : "f";
	params[2] = ids;
	r = store_start(pool, &l->base, load_sql, 3, params);
	free(emails);
	free(ids);
	return r;
}

struct store_req *
acctstore_load(struct pg_pool *pool, const struct secret_key *key,
    const char *const *emails, size_t nemails, int only_active,
    acctstore_load_cb *cb, void *arg)
{
	return load(pool, key, nemails > 0 ? json_list(emails, nemails) : NULL,
	    NULL, only_active, cb, arg);
}

struct store_req *
acctstore_load_ids(struct pg_pool *pool, const struct secret_key *key,
    const char *const *ids, size_t nids, acctstore_load_cb *cb, void *arg)
{
	return load(pool, key, NULL, json_list(ids, nids), 0, cb, arg);
}

struct store_req *
acctstore_set_status(struct pg_pool *pool, const char *account_id,
    const char *status, const char *reason, store_done_cb *cb, void *arg)
{
	const char	*params[3] = { account_id, status, reason };

	return store_write(pool, "set status", account_id, 1, status_sql, 3,
	    params, cb, arg);
}

struct store_req *
acctstore_login_ok(struct pg_pool *pool, const char *account_id,
    const char *exit_ip, store_done_cb *cb, void *arg)
{
	const char	*params[2] = { account_id, NULL };
	unsigned char	 addr[sizeof(struct in6_addr)];

	/*
	 * The address comes from a remote echo service: one that is not an
	 * address must not cost the login its record, so it is dropped here
	 * rather than failing the statement.
	 */
	if (exit_ip != NULL) {
		if (inet_pton(AF_INET, exit_ip, addr) == 1 ||
		    inet_pton(AF_INET6, exit_ip, addr) == 1)
			params[1] = exit_ip;
		else
			log_debug("account %s: exit address is not an IP, "
			    "not recorded", account_id);
	}
	return store_write(pool, "record login", account_id, 1, login_sql, 2,
	    params, cb, arg);
}

struct store_req *
acctstore_set_password(struct pg_pool *pool, const struct secret_key *key,
    const char *account_id, const char *new_password, store_done_cb *cb,
    void *arg)
{
	const char		*params[2] = { account_id, NULL };
	struct store_req	*r;
	unsigned char		*blob;
	char			*hex;
	size_t			 blen;

	blob = secret_seal(key, account_id, strlen(account_id), new_password,
	    strlen(new_password), &blen);
	if (blob == NULL) {
		log_error("account %s: cannot encrypt the new password",
		    account_id);
		return NULL;
	}
	hex = secret_to_pg_bytea_hex(blob, blen);
	free(blob);
	params[1] = hex;
	r = store_write(pool, "store new password", account_id, 1,
	    password_sql, 2, params, cb, arg);
	free(hex);
	return r;
}
