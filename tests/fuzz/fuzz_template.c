/*
 * libFuzzer target for template.c.  Any input must be loaded or rejected
 * without a crash; a rejected one carries errors naming the template, and
 * a loaded one renders every section with a fixed seed, the same way
 * twice, to valid UTF-8 without NUL bytes, and survives tmpl_subst.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "errlist.h"
#include "rng.h"
#include "template.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NAME	"fuzz.tpl"

/* Abort with the broken invariant, so libFuzzer keeps the input. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "invariant failed: %s\n", #cond);	\
		abort();						\
	}								\
} while (0)

static const char *const sections[] = { "subject", "body", "html", "list x",
	"nope" };

/* Some values deferred, some holding spintax that must stay literal. */
static const struct tmpl_var first[] = {
	{ "recipient_name", "Иван {a|b}" },
	{ "recipient_email", "ivan@example.org" },
	{ "sender_name", NULL },
	{ "subject", NULL },
	{ "date", "{{subject}}" },
};
static const struct tmpl_var second[] = {
	{ "sender_name", "Мария" },
	{ "subject", "Re: {{sender_name}} \\{" },
};

static int
valid(const char *s)
{
	return s != NULL && u8_check((const uint8_t *)s, strlen(s)) == NULL;
}

static void
render(const struct tmpl *t, const char *sec)
{
	struct rng	 a, b;
	char		*x, *y, *z;

	rng_seed(&a, 1, "fuzz");
	rng_seed(&b, 1, "fuzz");
	x = tmpl_render(t, sec, first, 5, &a);
	y = tmpl_render(t, sec, first, 5, &b);
	CHECK((x == NULL) == !tmpl_has(t, sec));
	if (x == NULL) {
		CHECK(y == NULL);
		return;
	}
	CHECK(strcmp(x, y) == 0);
	CHECK(valid(x));
	if (strcmp(sec, "subject") == 0)
		CHECK(strchr(x, '\n') == NULL);
	z = tmpl_subst(x, second, 2);
	CHECK(valid(z));
	free(x);
	free(y);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist	 el = { 0 };
	struct tmpl	*t;
	char		*s;

	t = tmpl_parse(NAME, (const char *)data, size, &el);
	if (t == NULL) {
		CHECK(el.count > 0);
		for (size_t i = 0; i < el.count; i++)
			CHECK(strncmp(el.msgs[i], NAME ":", strlen(NAME) + 1) ==
			    0);
	} else {
		CHECK(el.count == 0);
		CHECK(strcmp(tmpl_name(t), NAME) == 0);
		for (size_t i = 0; i < sizeof(sections) / sizeof(*sections); i++)
			render(t, sections[i]);
		tmpl_free(t);
	}
	errlist_clear(&el);

	/* The raw input as text to fill and as an address to name. */
	if (memchr(data, '\0', size) == NULL && size < 4096) {
		char *text = strndup((const char *)data, size);

		if (text == NULL)
			abort();
		s = tmpl_subst(text, second, 2);
		CHECK(s != NULL);
		free(s);
		s = tmpl_name_from_email(text);
		CHECK(s != NULL && (*s != '\0' || *text == '\0'));
		if (valid(text))
			CHECK(valid(s));
		free(s);
		free(text);
	}
	return 0;
}
