/*
 * The daemon's side of the account lists: read the files the config names,
 * report bad lines, and sync the result to PostgreSQL as a diff in the
 * background while other work goes on.
 */
#ifndef WARMD_ACCOUNTS_H
#define WARMD_ACCOUNTS_H

#include "errlist.h"

struct config;

/*
 * Read cfg's account files and start a background sync.  Bad lines are
 * logged and skipped; -1 (with reasons in fatal) only when a file cannot be
 * read, in which case nothing is synced.
 */
int	accounts_reload(const struct config *cfg, struct errlist *fatal);
/* 1 while a sync is in flight. */
int	accounts_busy(void);
/* Ask the database for the account counts by status (for /status). */
void	accounts_refresh_counts(void);
/* Forget in-flight work (the pool is going away) and free memory. */
void	accounts_shutdown(void);

#endif
