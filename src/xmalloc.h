/*
 * Allocation wrappers that abort on exhaustion.  Used on start-up, config and
 * parser paths where there is no sensible way to continue without memory.
 */
#ifndef WARMD_XMALLOC_H
#define WARMD_XMALLOC_H

#include <stddef.h>

/* malloc that never returns NULL. */
void	*xmalloc(size_t size);
/* calloc that never returns NULL. */
void	*xcalloc(size_t n, size_t size);
/* reallocarray that never returns NULL and checks n * size for overflow. */
void	*xreallocarray(void *p, size_t n, size_t size);
/* strdup that never returns NULL; NULL in gives NULL out. */
char	*xstrdup(const char *s);
/* strndup that never returns NULL. */
char	*xstrndup(const char *s, size_t n);
/* asprintf that never fails; returns the new string. */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
