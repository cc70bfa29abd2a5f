/*
 * Database schema versions: the numbered migration files (NNN_name.sql) and
 * the schema_migrations table that records which of them were applied.
 * Blocking libpq: used by warmctl, and by warmd once before its event loop
 * starts, never from a callback.
 */
#ifndef WARMD_SCHEMA_H
#define WARMD_SCHEMA_H

#include <stddef.h>

#include <libpq-fe.h>

/* Migration directory: override if set, else $WARMD_SQLDIR, else the built-in one. */
const char	*schema_sqldir(const char *override);

/* Told about each migration as it is committed. */
typedef void	 schema_applied_cb(void *arg, int version, const char *name);

/* Apply sqldir's pending migrations in order; the number applied, or -1 and err. */
int		 schema_migrate(PGconn *conn, const char *sqldir,
		    schema_applied_cb *cb, void *arg, char *err, size_t errlen);

/* 0 when every migration of sqldir is applied; else -1 and what to do in msg. */
int		 schema_check(PGconn *conn, const char *sqldir, char *msg,
		    size_t len);

/* Highest migration version in sqldir, or -1 and err if none or unreadable. */
int		 schema_latest(const char *sqldir, char *err, size_t errlen);

#endif
