#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <uninorm.h>

#include "textmatch.h"
#include "xmalloc.h"

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

char *
text_fold(const char *s)
{
	char		*c, *o, *out;
	uint8_t		*f;
	size_t		 n;
	int		 sp = 0;

	if (s == NULL)
		s = "";
	/* Collapse white space first: a subject wrapped by a mailer or
	 * typed with a double space still matches. */
	c = o = xmalloc(strlen(s) + 1);
	for (; *s != '\0'; s++) {
		if (is_ws((unsigned char)*s)) {
			sp = 1;
			continue;
		}
		if (sp && o != c)
			*o++ = ' ';
		sp = 0;
		*o++ = *s;
	}
	*o = '\0';
	f = u8_casefold((const uint8_t *)c, (size_t)(o - c), NULL, UNINORM_NFC,
	    NULL, &n);
	if (f == NULL) {
		for (o = c; *o != '\0'; o++)
			if (*o >= 'A' && *o <= 'Z')
				*o += 'a' - 'A';
		return c;
	}
	free(c);
	out = xmalloc(n + 1);
	memcpy(out, f, n);
	out[n] = '\0';
	free(f);
	return out;
}

int
text_contains(const char *hay, const char *needle_folded)
{
	char	*h;
	int	 r;

	if (hay == NULL || needle_folded == NULL)
		return 0;
	h = text_fold(hay);
	r = strstr(h, needle_folded) != NULL;
	free(h);
	return r;
}
