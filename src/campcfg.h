/*
 * Campaigns defined in the config: [campaign NAME] sections of the main
 * file and of every *.conf file in [warmd] campaign_dir.  Each section is
 * checked completely and turned into a camp_def whose params are the
 * canonical JSON of the campaign contract (every key present, defaults
 * filled in), with its templates loaded, so the planner never meets a
 * bad value.  A set is immutable once built and is freed with its config.
 */
#ifndef WARMD_CAMPCFG_H
#define WARMD_CAMPCFG_H

#include <stddef.h>

#include <jansson.h>

struct tmpl;

struct camp_def {
	char		 *name;
	char		 *kind;		/* "rescue", "engage" or "warmup" */
	char		 *origin;	/* "file:line" of the section header */
	int		  enabled;	/* 0: loaded and checked, never planned */
	long long	  seed;		/* 0 .. 2^63-1 */
	json_t		 *params;	/* canonical, per the contract */
	struct tmpl	**letters;	/* params.letter_templates, in order */
	size_t		  nletters;
	struct tmpl	**replies;	/* params.reply_templates, in order */
	size_t		  nreplies;
};

struct camp_set {
	struct camp_def	*defs;		/* in file order, main file first */
	size_t		 n;
};

/* Free a set, its defs and their templates; NULL is allowed. */
void		 camp_set_free(struct camp_set *set);

/* The def named name, or NULL. */
const struct camp_def *camp_find(const struct camp_set *set,
		    const char *name);

/* Whether two params objects are the same (numbers compared by value). */
int		 camp_params_equal(const json_t *a, const json_t *b);

/*
 * The parser, driven by config.c while it reads the config files.  Every
 * problem goes to the error callback already formatted as
 * "file:line: campaign NAME.key: message", with the file's index (as
 * given to camp_parse_section) and line so config.c can sort it.
 */
typedef void	 camp_err_fn(void *arg, unsigned fileidx, unsigned line,
		    const char *msg);

struct camp_parse;

/* A parser reporting to err(arg, ...). */
struct camp_parse *camp_parse_new(camp_err_fn *err, void *arg);

/* Free a parser; NULL is allowed. */
void		 camp_parse_free(struct camp_parse *cp);

/*
 * Open section "[campaign NAME]" at file:line (dir: the file's absolute
 * directory, for relative template paths); -1 when it was rejected (its
 * keys are then to be skipped).
 */
int		 camp_parse_section(struct camp_parse *cp, unsigned fileidx,
		    const char *file, const char *dir, unsigned line,
		    const char *name);

/* Record one key = value of the open section. */
void		 camp_parse_key(struct camp_parse *cp, unsigned line,
		    const char *key, const char *value);

/*
 * Check every section and build the set (defaults: time zone tz); only
 * valid sections become defs.  Never NULL.
 */
struct camp_set	*camp_parse_finish(struct camp_parse *cp, const char *tz);

/* Whether name is a campaign key (for the example-file check). */
int		 camp_key_known(const char *name);

/* The i-th campaign key's name and its documentation; NULL past the end. */
const char	*camp_key_name(size_t i, const char **doc);

#endif
