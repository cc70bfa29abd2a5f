/* Collected input errors; see errlist.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

char *
errlist_read_file(const char *path, size_t max, size_t *lenp,
    struct errlist *errors)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errlist_add(errors, path, 0, NULL, "cannot open: %s",
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		errlist_add(errors, path, 0, NULL, "not a regular file");
		close(fd);
		return NULL;
	}
	if ((size_t)st.st_size > max) {
		errlist_add(errors, path, 0, NULL, "larger than %zu bytes",
		    max);
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errlist_add(errors, path, 0, NULL, "read: %s",
			    strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;	/* truncated meanwhile: parse what is there */
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}
