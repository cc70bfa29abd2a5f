/*
 * The operator's account-list files: one account per line,
 *
 *	email;password;proxy[;recovery_question;recovery_answer;user_agent]
 *
 * parsed into an in-memory list with an email index, so that every bad line
 * is reported with file:line and the good lines still load.  Blanks around
 * fields are dropped, so a password cannot contain ';' nor begin or end
 * with a blank.
 */
#ifndef WARMD_ACCTFILE_H
#define WARMD_ACCTFILE_H

#include <stddef.h>

struct errlist;

/* One account line.  Optional fields that were absent or empty are NULL. */
struct acct_entry {
	char	*email;		/* validated, lower-case */
	char	*password;
	char	*proxy;		/* canonical URI (see proxy.h) or NULL */
	char	*question;
	char	*answer;
	char	*user_agent;
	char	*source;	/* "file:line"; NULL from acctfile_parse_line */
};

/* Accounts in file order, unique by email. */
struct acct_list {
	struct acct_entry	*v;
	size_t			 n;
	size_t			 cap;
	size_t			*index;		/* hash slots hold i + 1 */
	size_t			 index_cap;	/* power of two, or 0 */
};

/*
 * Parse one line (without or with its "\n"/"\r\n") into out: 1 = account,
 * 0 = blank or comment (out untouched), -1 = bad line with a reason in *why
 * that never holds the password or proxy (valid until the next call in
 * this thread).  Free a filled entry with acctfile_entry_clear.
 */
int	acctfile_parse_line(const char *line, size_t len,
	    const char *default_scheme, struct acct_entry *out,
	    const char **why);

/* Free an entry's fields (wiping the secrets) and zero it. */
void	acctfile_entry_clear(struct acct_entry *e);

/*
 * Append the accounts of path to list.  Bad lines go to errors and
 * duplicate emails (the first is kept) to warnings, both as
 * "file:line: ...".  Returns the number of accounts added, or -1 (with a
 * message in errors) only when the file cannot be read.
 */
int	acctfile_load(struct acct_list *list, const char *path,
	    const char *default_scheme, struct errlist *errors,
	    struct errlist *warnings);

/* The entry for email (any case), or NULL. */
const struct acct_entry *acctlist_find(const struct acct_list *list,
	    const char *email);

/* Free every entry and the index; the list may be reused. */
void	acctlist_free(struct acct_list *list);

#endif
