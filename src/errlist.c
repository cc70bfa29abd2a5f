/* Collected input errors; see errlist.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "xmalloc.h"

void
errlist_add_raw(struct errlist *el, const char *msg)
{
	if (el->count == el->cap) {
		el->cap = el->cap ? el->cap * 2 : 8;
		el->msgs = xreallocarray(el->msgs, el->cap, sizeof(*el->msgs));
	}
	el->msgs[el->count++] = xstrdup(msg);
}

void
errlist_add(struct errlist *el, const char *file, unsigned line,
    const char *key, const char *fmt, ...)
{
	char	 text[1024], full[1400];
	va_list	 ap;
	int	 n = 0;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);

	if (file != NULL && line > 0)
		n = snprintf(full, sizeof(full), "%s:%u: ", file, line);
	else if (file != NULL)
		n = snprintf(full, sizeof(full), "%s: ", file);
	if (key != NULL)
		snprintf(full + n, sizeof(full) - n, "%s: %s", key, text);
	else
		snprintf(full + n, sizeof(full) - n, "%s", text);
	errlist_add_raw(el, full);
}

void
errlist_move(struct errlist *dst, struct errlist *src)
{
	for (size_t i = 0; i < src->count; i++) {
		errlist_add_raw(dst, src->msgs[i]);
	}
	errlist_clear(src);
}

void
errlist_clear(struct errlist *el)
{
	for (size_t i = 0; i < el->count; i++)
		free(el->msgs[i]);
	free(el->msgs);
	el->msgs = NULL;
	el->count = el->cap = 0;
}
