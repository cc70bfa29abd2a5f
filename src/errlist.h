/*
 * A list of human-readable errors collected while checking input, so that a
 * config or account file reports every problem at once (like `nginx -t`)
 * instead of stopping at the first one.
 */
#ifndef WARMD_ERRLIST_H
#define WARMD_ERRLIST_H

#include <stddef.h>

struct errlist {
	char	**msgs;
	size_t	  count;
	size_t	  cap;
};

/* Append "file:line: key: message" (file may be NULL, line 0 = none, key may be NULL). */
void	errlist_add(struct errlist *el, const char *file, unsigned line,
	    const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* Append a preformatted message. */
void	errlist_add_raw(struct errlist *el, const char *msg);

/* Move every message of src to the end of dst; src is left empty. */
void	errlist_move(struct errlist *dst, struct errlist *src);

/* Release all messages; the list may be reused. */
void	errlist_clear(struct errlist *el);

/*
 * The whole of path (NUL-terminated, length in *lenp), at most max bytes;
 * NULL with "path: why" appended to errors.  For the config and template
 * files, which report every problem into an errlist.
 */
char	*errlist_read_file(const char *path, size_t max, size_t *lenp,
	    struct errlist *errors);

#endif
