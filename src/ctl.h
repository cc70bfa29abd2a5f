/*
 * What warmctl.c shares with the subcommands kept in files of their own
 * (ctl_report.c: report and status; ctl_campaign.c: ad hoc campaigns,
 * their list and cancel).  All of warmctl is a plain synchronous CLI:
 * blocking libpq, one connection per command.
 */
#ifndef WARMD_CTL_H
#define WARMD_CTL_H

#include <libpq-fe.h>

#define EXIT_USAGE	2

struct config;

struct ctl {
	const char	*config_path;
	const char	*sqldir;	/* --sql-dir, or NULL */
	const char	*conninfo;	/* --db, or NULL: the config's */
	int		 verbose;
	struct config	*cfg;		/* loaded on demand */
};

/* Load the config once; 0, or -1 after printing every problem. */
int	 need_config(struct ctl *);
/* A blocking connection; NULL after printing why. */
PGconn	*db_connect(struct ctl *);
/* The same, checking the schema is the one this warmctl knows. */
PGconn	*db_connect_current(struct ctl *);
/* An address as accounts.email holds it (ASCII lower case); malloc'd. */
char	*email_key(const char *s);

/* ctl_report.c */
int	 cmd_report(struct ctl *, int, char **);
int	 cmd_status(struct ctl *, int, char **);

/* ctl_campaign.c */
int	 cmd_rescue(struct ctl *, int, char **);
int	 cmd_engage(struct ctl *, int, char **);
int	 cmd_campaigns(struct ctl *, int, char **);
int	 cmd_cancel(struct ctl *, int, char **);

/* ctl_validate.c */
int	 cmd_validate(struct ctl *, int, char **);

/* ctl_preflight.c */
int	 cmd_preflight(struct ctl *, int, char **);

/* ctl_accounts.c */
int	 cmd_accounts(struct ctl *, int, char **);
int	 cmd_resume(struct ctl *, int, char **);

/* ctl_alert.c */
int	 cmd_alert_test(struct ctl *, int, char **);

#endif
