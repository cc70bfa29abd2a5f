/*
 * Unit tests for mailru_html.c's link finder and redirect unwrapper:
 * Cyrillic anchor text in any case, tags nested inside <a>, entities,
 * several links (exact match beats an earlier substring match), no match,
 * and the checklink/click redirector forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "mailru.h"

static char	*letter;
static size_t	 letter_len;

static int
setup(void **state)
{
	const char	*top = getenv("top_srcdir");
	char		 path[1024];
	FILE		*f;
	long		 n;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/unit/data/mailru/letter.html",
	    top != NULL ? top : ".");
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	letter = malloc((size_t)n + 1);
	letter_len = fread(letter, 1, (size_t)n, f);
	letter[letter_len] = '\0';
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(letter);
	xmlCleanupParser();
	return 0;
}

static void
want(const char *anchor, const char *url)
{
	char	*got = NULL;
	int	 r;

	r = mailru_find_link(letter, letter_len, anchor, &got);
	if (url == NULL) {
		assert_int_equal(r, -1);
		assert_null(got);
		return;
	}
	if (r != 0)
		fail_msg("no link for \"%s\"", anchor);
	assert_string_equal(got, url);
	free(got);
}

static void
t_find(void **state)
{
	(void)state;
	/* collapsed whitespace */
	want("Отписаться от рассылки",
	    "https://checklink.mail.ru/proxy?url=https%3A%2F%2Fexample.com"
	    "%2Funsub");
	want("  отписаться\tОТ  рассылки ",
	    "https://checklink.mail.ru/proxy?url=https%3A%2F%2Fexample.com"
	    "%2Funsub");
	/*
	 * Nested tags, upper-case Cyrillic, an entity in the href, blanks
	 * around it; the exact match wins over the later link that only
	 * contains the text.
	 */
	want("подтвердить подписку",
	    "https://click.mail.ru/redir?u=https%3A%2F%2Fexample.com%2F"
	    "confirm%3Fid%3D7&c=swm&s=1");
	/* substring match, entities in the text */
	want("«бонус»", "https://example.com/more");
	want("получить", "https://example.com/more");
	want("tom & jerry show", "https://example.com/tom");
	want("JERRY", "https://example.com/tom");
	/* no match, anchors without href, empty anchor */
	want("Купить слона", NULL);
	want("Без ссылки", NULL);
	want("", NULL);
	want("   ", NULL);
}

static void
t_edge(void **state)
{
	char	*u = NULL;

	(void)state;
	assert_int_equal(mailru_find_link(NULL, 0, "x", &u), -1);
	assert_int_equal(mailru_find_link("<a href=x>x</a>", 15, NULL, &u),
	    -1);
	assert_int_equal(mailru_find_link("<a href=x>Ёлка</a>", 19, "ЁЛКА",
	    &u), 0);
	assert_string_equal(u, "x");
	free(u);
	/* text that is not UTF-8 still matches ASCII */
	assert_int_equal(mailru_find_link("<a href=y>\xff Go</a>", 17, "go",
	    &u), 0);
	assert_string_equal(u, "y");
	free(u);
	/* an href of blanks is no link */
	assert_int_equal(mailru_find_link("<a href='  '>go</a>", 19, "go",
	    &u), -1);
	/* an exact match beats an earlier link that only contains it */
	assert_int_equal(mailru_find_link("<a href=a>Open the door</a>"
	    "<a href=b> OPEN </a>", 47, "open", &u), 0);
	assert_string_equal(u, "b");
	free(u);
	/* a fragment without <html> */
	assert_int_equal(mailru_find_link("text <A HREF=\"z\">Open</A>", 25,
	    "open", &u), 0);
	assert_string_equal(u, "z");
	free(u);
}

static void
t_unwrap(void **state)
{
	char	*u;

	(void)state;
	u = mailru_unwrap_redirect("https://checklink.mail.ru/proxy?es=x&egid="
	    "y&url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1%26c%3D2&uidl=1&"
	    "from=a&to=b&email=c");
	assert_string_equal(u, "https://example.com/a?b=1&c=2");
	free(u);
	u = mailru_unwrap_redirect("https://click.mail.ru/redir?u=https%3A%2F"
	    "%2Fexample.com%2F&c=swm&r=http&o=mail&v=3&s=abc");
	assert_string_equal(u, "https://example.com/");
	free(u);
	/* nested: click wraps checklink */
	u = mailru_unwrap_redirect("https://click.mail.ru/redir?u=https%3A%2F"
	    "%2Fchecklink.mail.ru%2Fproxy%3Furl%3Dhttps%253A%252F%252Fx.org"
	    "%252F");
	assert_string_equal(u, "https://x.org/");
	free(u);
	assert_null(mailru_unwrap_redirect("https://example.com/proxy2?url=x"));
	assert_null(mailru_unwrap_redirect("https://example.com/a"));
	assert_null(mailru_unwrap_redirect("https://click.mail.ru/redir?c=1"));
	assert_null(mailru_unwrap_redirect("https://click.mail.ru/redir?u=%zz"));
	assert_null(mailru_unwrap_redirect("no scheme/proxy?url=x"));
	assert_null(mailru_unwrap_redirect(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_find),
		cmocka_unit_test(t_edge),
		cmocka_unit_test(t_unwrap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
