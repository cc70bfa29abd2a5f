#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <uninorm.h>

#include "textmatch.h"
#include "xmalloc.h"

/* White space as a reader sees it, no-break space included. */
static int
is_space(const unsigned char *p, size_t *adv)
{
	if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
	    *p == '\f' || *p == '\v') {
		*adv = 1;
		return 1;
	}
	if (p[0] == 0xc2 && p[1] == 0xa0) {
		*adv = 2;
		return 1;
	}
	return 0;
}

char *
text_fold(const char *s)
{
	const unsigned char	*p;
	char			*c, *o, *out;
	uint8_t			*f;
	size_t			 n, adv;
	int			 sp = 0;

	if (s == NULL)
		s = "";
	/* Collapse white space first: a subject wrapped by a mailer or
	 * typed with a double space still matches. */
	p = (const unsigned char *)s;
	c = o = xmalloc(strlen(s) + 1);
	while (*p != '\0') {
		if (is_space(p, &adv)) {
			sp = 1;
			p += adv;
			continue;
		}
		if (sp && o != c)
			*o++ = ' ';
		sp = 0;
		*o++ = (char)*p++;
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
