/*
 * The daemon's account lists: read every file the config names into one
 * list, log the lines that were rejected (by file:line, never their
 * content), and hand the list to acctsync, which applies the difference to
 * the database in the background.  A reload while a sync is still running
 * queues the newest list and runs it next, so the table always ends at the
 * files' latest state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "acctfile.h"
#include "acctsync.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "pg.h"
#include "secret.h"
#include "xmalloc.h"

static struct secret_key	 key;
static int			 key_loaded;
static struct acctsync		*running;
static struct acct_list		*queued;
static char			**uas;
static size_t			 nuas;
static struct pg_req		*count_req;
static int			 count_again;	/* asked while a count was in flight */

static void	start_sync(struct acct_list *list);

static void
free_list(struct acct_list *list)
{
	if (list == NULL)
		return;
	acctlist_free(list);
	free(list);
}

static void
free_uas(void)
{
	for (size_t i = 0; i < nuas; i++)
		free(uas[i]);
	free(uas);
	uas = NULL;
	nuas = 0;
}

static void
sync_done(void *arg, int ok, const struct acctsync_counts *c,
    const char *errmsg)
{
	struct acct_stats	*st = &daemon_state.accounts;

	(void)arg;
	running = NULL;
	st->sync_at = time(NULL);
	st->sync_ok = ok;
	if (ok) {
		st->syncs_ok++;
		st->added = c->added;
		st->changed = c->changed;
		st->removed = c->removed;
		st->reactivated = c->reactivated;
		st->unchanged = c->unchanged;
		log_info("accounts synced: %zu added, %zu changed, %zu removed, "
		    "%zu reactivated, %zu unchanged", c->added, c->changed,
		    c->removed, c->reactivated, c->unchanged);
		/* Counts read before this sync are stale: show none until fresh. */
		st->counted = 0;
		accounts_refresh_counts();
	} else {
		st->syncs_failed++;
		log_error("account sync failed: %s", errmsg ? errmsg : "unknown error");
	}
	if (queued != NULL) {
		struct acct_list *next = queued;

		queued = NULL;
		start_sync(next);
	}
}

static void
start_sync(struct acct_list *list)
{
	running = acctsync_start(daemon_state.pg, list, &key,
	    (const char *const *)uas, nuas, sync_done, NULL);
	free_list(list);
	if (running == NULL)
		log_error("cannot start the account sync");
}

int
accounts_reload(const struct config *cfg, struct errlist *fatal)
{
	struct errlist		 errs = { 0 }, warns = { 0 };
	struct acct_list	*list;
	char			 err[512];
	char			**nu = NULL;
	size_t			 nn = 0;

	if (!key_loaded) {
		if (secret_key_load(cfg->accounts.key_file, &key, err,
		    sizeof(err)) < 0) {
			errlist_add(fatal, NULL, 0, NULL, "%s", err);
			return -1;
		}
		key_loaded = 1;
	}
	if (cfg->accounts.user_agents != NULL &&
	    acctsync_load_user_agents(cfg->accounts.user_agents, &nu, &nn, err,
	    sizeof(err)) < 0) {
		errlist_add(fatal, cfg->accounts.user_agents, 0, NULL, "%s", err);
		return -1;
	}
	list = xcalloc(1, sizeof(*list));
	for (size_t i = 0; i < cfg->accounts.nfiles; i++) {
		if (acctfile_load(list, cfg->accounts.files[i],
		    cfg->accounts.default_proxy_scheme, &errs, &warns) < 0) {
			/* An unreadable file would look like every account removed. */
			errlist_move(fatal, &errs);
			errlist_clear(&warns);
			free_list(list);
			for (size_t j = 0; j < nn; j++)
				free(nu[j]);
			free(nu);
			return -1;
		}
	}
	for (size_t i = 0; i < errs.count; i++)
		log_warn("account line rejected: %s", errs.msgs[i]);
	for (size_t i = 0; i < warns.count; i++)
		log_warn("account list: %s", warns.msgs[i]);
	log_info("account files: %zu accounts loaded, %zu lines rejected, %zu duplicates",
	    list->n, errs.count, warns.count);
	daemon_state.accounts.loaded = list->n;
	daemon_state.accounts.rejected = errs.count;
	daemon_state.accounts.duplicates = warns.count;
	errlist_clear(&errs);
	errlist_clear(&warns);
	free_uas();
	uas = nu;
	nuas = nn;

	if (running != NULL) {
		free_list(queued);
		queued = list;
		log_info("account sync in progress; the new list syncs next");
	} else
		start_sync(list);
	return 0;
}

int
accounts_busy(void)
{
	return running != NULL || queued != NULL;
}

static void
counts_done(void *arg, enum pg_status st, const PGresult *res,
    const char *errmsg)
{
	struct acct_stats	*a = &daemon_state.accounts;

	(void)arg;
	count_req = NULL;
	if (count_again) {
		/* This answer may predate the change that asked again. */
		count_again = 0;
		accounts_refresh_counts();
		return;
	}
	if (st != PG_OK) {
		log_debug("account counts unavailable: %s", errmsg ? errmsg : "");
		return;
	}
	a->active = a->error = a->suspended = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		const char	*s = PQgetvalue(res, i, 0);
		long		 n = strtol(PQgetvalue(res, i, 1), NULL, 10);

		if (strcmp(s, "active") == 0)
			a->active = n;
		else if (strcmp(s, "error") == 0)
			a->error = n;
		else if (strcmp(s, "suspended") == 0)
			a->suspended = n;
	}
	a->counted = 1;
}

void
accounts_refresh_counts(void)
{
	if (daemon_state.pg == NULL)
		return;
	if (count_req != NULL) {
		count_again = 1;
		return;
	}
	count_req = pg_query(daemon_state.pg,
	    "SELECT status, count(*) FROM accounts GROUP BY status", 0, NULL,
	    counts_done, NULL);
}

void
accounts_shutdown(void)
{
	if (running != NULL)
		acctsync_abandon(running);
	running = NULL;
	if (count_req != NULL)
		pg_cancel(count_req);
	count_req = NULL;
	count_again = 0;
	free_list(queued);
	queued = NULL;
	free_uas();
	if (key_loaded)
		secret_key_wipe(&key);
	key_loaded = 0;
}
