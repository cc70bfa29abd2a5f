/*
 * Unit tests for template.c: every load error with its file:line, spintax
 * choices, escapes, lists, deferred variables, UTF-8, determinism, and
 * the default templates in conf/templates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <unistr.h>

#include "errlist.h"
#include "rng.h"
#include "template.h"
#include "xmalloc.h"

#define NAME	"t.tpl"

static struct tmpl *
parse(const char *text, struct errlist *el)
{
	return tmpl_parse(NAME, text, strlen(text), el);
}

static void
dump_errors(const struct errlist *el)
{
	for (size_t i = 0; i < el->count; i++)
		print_message("# %s\n", el->msgs[i]);
}

/* text must fail with its first error at NAME:line and containing what. */
static void
expect_error(const char *text, unsigned line, const char *what)
{
	struct errlist	 el = { 0 };
	struct tmpl	*t;
	char		 prefix[64];

	t = parse(text, &el);
	if (t != NULL || el.count == 0)
		print_message("# no error for: %s\n", text);
	assert_null(t);
	assert_true(el.count > 0);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), NAME ":%u: ", line);
	else
		snprintf(prefix, sizeof(prefix), NAME ": ");
	if (strncmp(el.msgs[0], prefix, strlen(prefix)) != 0 ||
	    strstr(el.msgs[0], what) == NULL) {
		print_message("# want %s...%s\n", prefix, what);
		dump_errors(&el);
	}
	assert_true(strncmp(el.msgs[0], prefix, strlen(prefix)) == 0);
	assert_non_null(strstr(el.msgs[0], what));
	errlist_clear(&el);
}

static struct tmpl *
parse_ok(const char *text)
{
	struct errlist	 el = { 0 };
	struct tmpl	*t = parse(text, &el);

	if (t == NULL)
		dump_errors(&el);
	assert_non_null(t);
	assert_int_equal(el.count, 0);
	return t;
}

static char *
render_seed(const struct tmpl *t, const char *sec, const struct tmpl_var *v,
    size_t nv, uint64_t seed)
{
	struct rng	 r;

	rng_seed(&r, seed, "test");
	return tmpl_render(t, sec, v, nv, &r);
}

/* Render body over many seeds; every output must be in want, all seen. */
static void
expect_outputs(const char *text, const char *const *want, size_t nwant)
{
	struct tmpl	*t = parse_ok(text);
	int		 seen[16] = { 0 };
	char		*s;
	size_t		 i;

	assert_true(nwant <= 16);
	for (uint64_t seed = 0; seed < 400; seed++) {
		s = render_seed(t, "body", NULL, 0, seed);
		for (i = 0; i < nwant; i++)
			if (strcmp(s, want[i]) == 0)
				break;
		if (i == nwant)
			print_message("# unexpected output \"%s\"\n", s);
		assert_true(i < nwant);
		seen[i] = 1;
		free(s);
	}
	for (i = 0; i < nwant; i++) {
		if (!seen[i])
			print_message("# never rendered \"%s\"\n", want[i]);
		assert_true(seen[i]);
	}
	tmpl_free(t);
}

/* ---- load errors ----------------------------------------------------- */

static void
test_error_unbalanced(void **state)
{
	(void)state;
	/* An unclosed group is reported where it opened, not at the end. */
	expect_error("# c\n[body]\nHi\n{a|b\nmore\n\n", 4, "unclosed \"{\"");
	expect_error("[subject]\nx\n[body]\nab {c|{d|e}\n[list x]\ny\n", 4,
	    "unclosed");
	expect_error("[body]\na\nb}\n", 3, "unmatched \"}\"");
	expect_error("[body]\n{a|b}}\n", 2, "unmatched");
	expect_error("[list l]\nok\n{a\n[body]\n{{pick:l}}\n", 3, "unclosed");
}

static void
test_error_variables(void **state)
{
	(void)state;
	expect_error("[body]\nHello\n{Dear|Hi} {{first_name}}\n", 3,
	    "unknown variable {{first_name}}");
	expect_error("[body]\n{{Hi}}\n", 2, "unknown variable {{Hi}}");
	expect_error("[body]\n\n\n{{pick:nope}}\n[list yes]\na\n", 4,
	    "{{pick:nope}}: no [list nope]");
	expect_error("[subject]\n{a|{{ pick:x }}}\n", 2, "no [list x]");
	expect_error("[body]\n{{pick:}}\n", 2, "unknown variable");
}

static void
test_error_sections(void **state)
{
	(void)state;
	expect_error("[body]\na\n[subject]\nb\n[body]\nc\n", 5,
	    "duplicate section [body] (first at line 1)");
	expect_error("[body]\na\n[list x]\n1\n[list x]\n2\n", 5,
	    "duplicate section [list x] (first at line 3)");
	expect_error("[body]\na\n\n[footer]\nb\n", 4,
	    "unknown section [footer]");
	expect_error("[Body]\na\n", 1, "unknown section [Body]");
	/* A long name is cut in the message, never inside a character. */
	expect_error("[body]\nx\n[ааааааааааааааааааааааааааааааааааааааа]\n",
	    3, "unknown section [" "аааааааааааааааааааааааааааааааа]");
	expect_error("[body]\na\n[list]\nb\n", 3, "needs a name");
	expect_error("[body]\na\n[list a b]\nb\n", 3, "needs a name");
	expect_error("# comment\nstray\n[body]\na\n", 2,
	    "text before the first section");
	expect_error("[body]\n{{pick:e}}\n[list e]\n\n  \n", 3,
	    "[list e] has no entries");
	expect_error("[subject]\nline one\nline two\n[body]\nx\n", 1,
	    "[subject] must be a single line");
	expect_error("# only comments\n[list a]\nx\n", 0,
	    "no [subject], [body] or [html] section");
	expect_error("", 0, "no [subject]");
}

static void
test_error_recursion(void **state)
{
	(void)state;
	expect_error("[body]\n{{pick:a}}\n[list a]\nx\n{y|{{pick:a}}}\n", 5,
	    "[list a] picks from itself (a -> a)");
	expect_error("[body]\n{{pick:a}}\n[list a]\n{{pick:b}}\n"
	    "[list b]\nz\n{{pick:c}}\n[list c]\n{{pick:a}}\n", 9,
	    "[list a] picks from itself (a -> b -> c -> a)");
	/* A list nobody picks from is checked too. */
	expect_error("[body]\nx\n[list q]\n{{pick:q}}\n", 4, "picks from itself");
}

static void
test_error_limits(void **state)
{
	struct errlist	 el = { 0 };
	char		*big, *p;
	size_t		 n;

	(void)state;
	/* 32 nested groups load, 33 do not (reported where the 33rd opens). */
	big = xmalloc(200);
	p = big + sprintf(big, "[body]\n");
	for (int i = 0; i < 32; i++)
		*p++ = '{';
	p += sprintf(p, "x|y");
	for (int i = 0; i < 32; i++)
		*p++ = '}';
	*p = '\0';
	tmpl_free(parse_ok(big));
	p = big + sprintf(big, "[body]\n");
	for (int i = 0; i < 33; i++) {
		*p++ = '{';
		if (i == 20)
			*p++ = '\n';
	}
	p += sprintf(p, "x|y");
	for (int i = 0; i < 33; i++)
		*p++ = '}';
	*p = '\0';
	expect_error(big, 3, "nested deeper than 32");
	free(big);

	/* 256 KiB is the most a file may hold. */
	n = 256 * 1024 + 1;
	big = xmalloc(n + 1);
	memcpy(big, "[body]\n", 7);
	memset(big + 7, 'a', n - 7);
	big[n] = '\0';
	assert_null(tmpl_parse(NAME, big, n, &el));
	assert_int_equal(el.count, 1);
	assert_string_equal(el.msgs[0], NAME ": larger than 262144 bytes");
	errlist_clear(&el);
	big[n - 1] = '\0';
	tmpl_free(parse_ok(big));
	free(big);
}

/* Picks of picks: too deep a chain, or exponential output, fail at load. */
static void
test_error_blowup(void **state)
{
	char	*text = xmalloc(64 * 1024), *p = text;

	(void)state;
	p += sprintf(p, "[body]\n{{pick:l0}}\n");
	for (int i = 0; i < 17; i++)
		p += sprintf(p, "[list l%d]\n{{pick:l%d}}\n", i, i + 1);
	p += sprintf(p, "[list l17]\nend\n");
	expect_error(text, 5, "[list l1] starts a chain of more than 16");

	/* Each level doubles: 2^14 copies of 100 bytes is past 1 MiB. */
	p = text;
	p += sprintf(p, "[body]\n{{pick:l0}}\n");
	for (int i = 0; i < 14; i++)
		p += sprintf(p, "[list l%d]\n{{pick:l%d}}{{pick:l%d}}\n",
		    i, i + 1, i + 1);
	p += sprintf(p, "[list l14]\n%0100d\n", 0);
	expect_error(text, 1, "[body] can render more than");
	free(text);
}

static void
test_error_encoding(void **state)
{
	struct errlist	 el = { 0 };
	static const char nul[] = "[body]\nab\0c\n";

	(void)state;
	expect_error("[body]\nПривет\n\xd0\n", 3, "invalid UTF-8");
	expect_error("[body]\n\xff\xfe\n", 2, "invalid UTF-8");
	/* Overlong "/" and a UTF-16 surrogate are not UTF-8 either. */
	expect_error("[body]\nx\n\xc0\xaf\n", 3, "invalid UTF-8");
	expect_error("[subject]\n\xed\xa0\x80\n", 2, "invalid UTF-8");
	assert_null(tmpl_parse(NAME, nul, sizeof(nul) - 1, &el));
	assert_string_equal(el.msgs[0], NAME ":2: NUL byte in template");
	errlist_clear(&el);
}

static void
test_error_all_reported(void **state)
{
	struct errlist	 el = { 0 };

	(void)state;
	/* Like `nginx -t`: every problem at once, in the file's order. */
	assert_null(parse("[body]\n{{bad}}\n[html]\n{x\n[nope]\n", &el));
	assert_int_equal(el.count, 3);
	assert_string_equal(el.msgs[0], NAME ":5: unknown section [nope] "
	    "(subject, body, html or list NAME)");
	assert_string_equal(el.msgs[1], NAME ":2: unknown variable {{bad}}");
	assert_string_equal(el.msgs[2],
	    NAME ":4: unclosed \"{\" (no matching \"}\")");
	errlist_clear(&el);
}

static void
test_load_file(void **state)
{
	struct errlist	 el = { 0 };
	struct tmpl	*t;
	char		 path[] = "/tmp/test_template.XXXXXX";
	char		*s;
	int		 fd;
	FILE		*fp;

	(void)state;
	assert_null(tmpl_load("/nonexistent/x.tpl", &el));
	assert_int_equal(el.count, 1);
	assert_non_null(strstr(el.msgs[0], "/nonexistent/x.tpl: cannot open"));
	errlist_clear(&el);

	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("\xef\xbb\xbf# BOM and CRLF\r\n[subject]\r\n{A|B}\r\n"
	    "[body]\r\nx\r\n{y\r\n", fp);
	fclose(fp);
	assert_null(tmpl_load(path, &el));
	assert_int_equal(el.count, 1);
	s = xasprintf("%s:6: unclosed", path);
	assert_true(strncmp(el.msgs[0], s, strlen(s)) == 0);
	free(s);
	errlist_clear(&el);

	assert_non_null(fp = fopen(path, "w"));
	fputs("\xef\xbb\xbf# BOM and CRLF\r\n[subject]\r\n{A|B}\r\n"
	    "[body]\r\nx\r\n\r\ny\r\n\r\n", fp);
	fclose(fp);
	assert_non_null(t = tmpl_load(path, &el));
	assert_string_equal(tmpl_name(t), path);
	s = render_seed(t, "body", NULL, 0, 1);
	assert_string_equal(s, "x\n\ny");
	free(s);
	s = render_seed(t, "subject", NULL, 0, 1);
	assert_true(strcmp(s, "A") == 0 || strcmp(s, "B") == 0);
	free(s);
	tmpl_free(t);
	unlink(path);
}

/* ---- rendering ------------------------------------------------------- */

static void
test_sections(void **state)
{
	struct tmpl	*t;
	char		*s;

	(void)state;
	t = parse_ok("# a comment\n\n# another\n[subject]\nHello\n"
	    "[body]\nline 1\n\n  line 3 | pipes are text\n# not a comment\n\n\n"
	    "[list unused]\nx\n");
	assert_true(tmpl_has(t, "subject"));
	assert_true(tmpl_has(t, "body"));
	assert_false(tmpl_has(t, "html"));
	assert_false(tmpl_has(t, "list unused"));
	assert_false(tmpl_has(t, NULL));
	assert_null(render_seed(t, "html", NULL, 0, 1));
	assert_null(render_seed(t, "nope", NULL, 0, 1));
	s = render_seed(t, "subject", NULL, 0, 1);
	assert_string_equal(s, "Hello");
	free(s);
	s = render_seed(t, "body", NULL, 0, 1);
	assert_string_equal(s,
	    "line 1\n\n  line 3 | pipes are text\n# not a comment");
	free(s);
	tmpl_free(t);

	/* An empty section renders as "". */
	t = parse_ok("[subject]\n[body]\n");
	s = render_seed(t, "subject", NULL, 0, 1);
	assert_string_equal(s, "");
	free(s);
	tmpl_free(t);
	tmpl_free(NULL);
}

static void
test_spin_all_alternatives(void **state)
{
	static const char *const abc[] = { "a", "b", "c" };
	static const char *const empty[] = { "xa", "x" };
	static const char *const multi[] = { "1\n2", "3" };

	(void)state;
	expect_outputs("[body]\n{a|b|c}", abc, 3);
	expect_outputs("[body]\nx{a|}", empty, 2);
	expect_outputs("[body]\n{1\n2|3}", multi, 2);
}

static void
test_spin_nested(void **state)
{
	static const char *const nest[] = { "x1!", "x2!", "y!", "z3!", "z4!",
	    "z5!" };
	static const char *const dbl[] = { "Hi there", "Hello there", "Hey" };

	(void)state;
	expect_outputs("[body]\n{x{1|2}|y|z{3|{4|5}}}!", nest, 6);
	/* "{{" not followed by a name and "}}" opens two groups. */
	expect_outputs("[body]\n{{Hi|Hello} there|Hey}", dbl, 3);
}

static void
test_escapes(void **state)
{
	static const char *const esc[] = { "{a|b} \\ | c", "{a|b} \\ | d|" };
	static const char *const lit[] = { "\\n C:\\x {{x}}" };

	(void)state;
	expect_outputs("[body]\n\\{a\\|b\\} \\\\ | {c|d\\|}", esc, 2);
	/* Other backslashes are text; escaped braces make a literal {{x}}. */
	expect_outputs("[body]\n\\n C:\\x \\{\\{x\\}\\}", lit, 1);
}

static void
test_lists(void **state)
{
	static const char *const out[] = {
	    "Привет, Ann!", "Привет, Bob!", "Добрый день, Ann!",
	    "Добрый день, Bob!", "Hi Ann!", "Hi Bob!", "Hello Ann!",
	    "Hello Bob!" };
	static const char *const late[] = { "1", "2" };

	(void)state;
	/* Entries are trimmed lines and hold spintax and picks themselves. */
	expect_outputs("[body]\n{{pick:greet}}!\n"
	    "[list greet]\n  Привет, {{pick:who}}  \n\n"
	    "Добрый день, {{pick:who}}\n{Hi|Hello} {{pick:who}}\n"
	    "[list who]\nAnn\nBob\n", out, 8);
	/* A list may be used before it is defined. */
	expect_outputs("[body]\n{{pick:n}}\n[list n]\n1\n2\n", late, 2);
}

static void
test_variables_and_deferred(void **state)
{
	struct tmpl	*t;
	struct tmpl_var	 vars[] = {
		{ "recipient_name", "Иван" },
		{ "subject", NULL },
		{ "sender_name", "{a|b} {{date}}" },
		{ "date", "12 May" },
	};
	struct tmpl_var	 later[] = {
		{ "subject", "Встреча {x|y} {{date}}" },
		{ "recipient_name", "never" },
	};
	char		*s, *f;

	(void)state;
	t = parse_ok("[body]\n{{recipient_name}}/{{ subject }}/{{sender_name}}"
	    "/{{sender_email}}/{{date}}/{{subject}}\n");
	s = render_seed(t, "body", vars, 4, 7);
	/* Values go in as they are; a missing one is empty. */
	assert_string_equal(s,
	    "Иван/{{subject}}/{a|b} {{date}}//12 May/{{subject}}");
	f = tmpl_subst(s, later, 2);
	/*
	 * Placeholders are filled once, values never re-read; the {{date}}
	 * that came from a value is filled only if date is given now.
	 */
	assert_string_equal(f, "Иван/Встреча {x|y} {{date}}/{a|b} {{date}}//"
	    "12 May/Встреча {x|y} {{date}}");
	free(f);
	free(s);
	tmpl_free(t);

	f = tmpl_subst("{{subject}} {{unknown}} {{ subject }} {{subj{{subject}}"
	    " {{}} {{", later, 2);
	assert_string_equal(f, "Встреча {x|y} {{date}} {{unknown}} "
	    "{{ subject }} {{subjВстреча {x|y} {{date}} {{}} {{");
	free(f);
	f = tmpl_subst("plain", NULL, 0);
	assert_string_equal(f, "plain");
	free(f);
}

static void
test_utf8(void **state)
{
	static const char *const out[] = { "Привет, Иван! Как дела? 👋",
	    "Здравствуйте, Иван! Как дела? 👋", "Добрый день, Иван! Как дела? 👋" };
	struct tmpl	*t;
	struct tmpl_var	 v = { "recipient_name", "Иван" };
	char		*s;

	(void)state;
	t = parse_ok("[subject]\n{Ёлки|Ёжик} — {Вопрос|Привет}\n[body]\n"
	    "{Привет|Здравствуйте|Добрый день}, {{recipient_name}}! "
	    "Как дела? 👋\n");
	for (uint64_t seed = 0; seed < 100; seed++) {
		s = render_seed(t, "body", &v, 1, seed);
		assert_null(u8_check((const uint8_t *)s, strlen(s)));
		assert_true(strcmp(s, out[0]) == 0 || strcmp(s, out[1]) == 0 ||
		    strcmp(s, out[2]) == 0);
		free(s);
		s = render_seed(t, "subject", &v, 1, seed);
		assert_null(u8_check((const uint8_t *)s, strlen(s)));
		assert_true(strncmp(s, "Ёлки — ", strlen("Ёлки — ")) == 0 ||
		    strncmp(s, "Ёжик — ", strlen("Ёжик — ")) == 0);
		free(s);
	}
	tmpl_free(t);
}

static void
test_deterministic(void **state)
{
	struct tmpl	*t;
	char		*a, *b, *first = NULL;
	int		 differ = 0;

	(void)state;
	t = parse_ok("[body]\n{a|b|c}{d|e|f}{g|h|i}{{pick:l}}{j|{k|l}}\n"
	    "[list l]\n1\n2\n3\n4\n");
	for (uint64_t seed = 0; seed < 50; seed++) {
		a = render_seed(t, "body", NULL, 0, seed);
		b = render_seed(t, "body", NULL, 0, seed);
		assert_string_equal(a, b);
		if (first == NULL)
			first = xstrdup(a);
		else
			differ += strcmp(first, a) != 0;
		free(a);
		free(b);
	}
	/* 324 combinations: other seeds give other letters. */
	assert_true(differ > 40);
	free(first);
	tmpl_free(t);
}

static void
test_name_from_email(void **state)
{
	static const char *const cases[][2] = {
		{ "ivan.petrov@mail.ru", "Ivan Petrov" },
		{ "anna_maria-smith@x.org", "Anna Maria Smith" },
		{ "john.doe1985@y", "John Doe" },
		{ "x@y", "X" },
		{ "JOHN@y", "JOHN" },
		{ "olga..k__@y", "Olga K" },
		{ "petr+news@y", "Petr" },
		{ "12345@y", "12345" },
		{ "ёлка.ivan@y", "ёлка Ivan" },
		{ "no-at-sign", "no-at-sign" },
		{ "@y", "@y" },
		{ "", "" },
		{ "bad\xff@y", "bad\xff@y" },
	};
	char	*s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = tmpl_name_from_email(cases[i][0]);
		assert_string_equal(s, cases[i][1]);
		free(s);
	}
	assert_null(tmpl_name_from_email(NULL));
}

/* ---- default templates ----------------------------------------------- */

static char *
templates_dir(void)
{
	const char	*top = getenv("top_srcdir");

	if (top == NULL)
		top = ".";
	return xasprintf("%s/conf/templates", top);
}

static int
ends_with(const char *s, const char *suf)
{
	size_t	 n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Rendered with every variable: no spintax syntax may be left over. */
static void
check_rendering(const struct tmpl *t, const char *file)
{
	struct tmpl_var	 vars[] = {
		{ "recipient_name", "Мария" },
		{ "recipient_email", "maria@example.org" },
		{ "sender_name", "Алексей" },
		{ "sender_email", "alex@example.org" },
		{ "subject", "Тема" },
		{ "date", "1 июня" },
	};
	char		*s;

	for (uint64_t seed = 0; seed < 200; seed++) {
		for (int i = 0; i < 2; i++) {
			const char *sec = i == 0 ? "subject" : "body";

			if (!tmpl_has(t, sec))
				continue;
			s = render_seed(t, sec, vars, 6, seed);
			if (strpbrk(s, "{}|") != NULL || *s == '\0')
				print_message("# %s [%s]: \"%s\"\n", file, sec,
				    s);
			assert_null(strpbrk(s, "{}|"));
			assert_true(*s != '\0');
			assert_null(u8_check((const uint8_t *)s, strlen(s)));
			/* Warm-up letters carry no links. */
			if (strncmp(file, "warmup", 6) == 0) {
				assert_null(strstr(s, "http"));
				assert_null(strstr(s, "www."));
			}
			free(s);
		}
	}
}

static void
test_default_templates(void **state)
{
	static const char *const want[] = { "warmup-ru.tpl", "warmup-en.tpl",
	    "reply-ru.tpl", "reply-en.tpl", "engage-ru.tpl" };
	struct errlist	 el = { 0 };
	struct dirent	*de;
	struct tmpl	*t;
	char		*dir, *path;
	DIR		*d;
	int		 found[5] = { 0 }, n = 0;

	(void)state;
	dir = templates_dir();
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (!ends_with(de->d_name, ".tpl"))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if ((t = tmpl_load(path, &el)) == NULL)
			dump_errors(&el);
		assert_non_null(t);
		assert_true(tmpl_has(t, "body"));
		for (size_t i = 0; i < 5; i++) {
			if (strcmp(de->d_name, want[i]) != 0)
				continue;
			found[i] = 1;
			/* Letters have subjects; replies take the thread's. */
			assert_int_equal(tmpl_has(t, "subject"),
			    strncmp(de->d_name, "warmup", 6) == 0);
		}
		check_rendering(t, de->d_name);
		tmpl_free(t);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	for (size_t i = 0; i < 5; i++)
		assert_true(found[i]);
	assert_true(n >= 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_unbalanced),
		cmocka_unit_test(test_error_variables),
		cmocka_unit_test(test_error_sections),
		cmocka_unit_test(test_error_recursion),
		cmocka_unit_test(test_error_limits),
		cmocka_unit_test(test_error_blowup),
		cmocka_unit_test(test_error_encoding),
		cmocka_unit_test(test_error_all_reported),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_spin_all_alternatives),
		cmocka_unit_test(test_spin_nested),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_variables_and_deferred),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_name_from_email),
		cmocka_unit_test(test_default_templates),
	};

	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
