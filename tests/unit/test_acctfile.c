/*
 * Unit tests for acctfile.c: line forms and rejection reasons, file-level
 * tolerance (BOM, CRLF, comments, blanks), duplicates within and across
 * files, a 1,000-line file with bad lines of every kind, and that no error
 * or warning ever carries a password.  Files are generated in a temporary
 * directory.
 */
#define _GNU_SOURCE		/* asprintf */

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "acctfile.h"
#include "errlist.h"

static char	 tmpdir[256];

static int
setup_dir(void **state)
{
	const char	*base = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_acctfile.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* Write text to a new file in tmpdir; returns the malloc'd path. */
static char *
write_file(const char *name, const char *text, size_t len)
{
	char	*path;
	FILE	*fp;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static void
remove_file(char *path)
{
	assert_int_equal(unlink(path), 0);
	free(path);
}

/* No message may contain any of the given secrets. */
static void
assert_no_secret(const struct errlist *el, const char *const *secrets,
    size_t n)
{
	size_t	 i, j;

	for (i = 0; i < el->count; i++)
		for (j = 0; j < n; j++)
			if (strstr(el->msgs[i], secrets[j]) != NULL)
				fail_msg("message \"%s\" leaks a secret",
				    el->msgs[i]);
}

static int
parse(const char *line, struct acct_entry *e, const char **why)
{
	return acctfile_parse_line(line, strlen(line), NULL, e, why);
}

static void
test_line_forms(void **state)
{
	struct acct_entry	 e;
	const char		*why = NULL;

	(void)state;
	assert_int_equal(parse("User.Name@Mail.RU;pw", &e, &why), 1);
	assert_string_equal(e.email, "user.name@mail.ru");
	assert_string_equal(e.password, "pw");
	assert_null(e.proxy);
	assert_null(e.question);
	assert_null(e.answer);
	assert_null(e.user_agent);
	assert_null(e.source);
	acctfile_entry_clear(&e);

	assert_int_equal(parse("  a@b.ru ;  p w ; ;\r\n", &e, &why), 1);
	assert_string_equal(e.email, "a@b.ru");
	assert_string_equal(e.password, "p w");
	assert_null(e.proxy);
	acctfile_entry_clear(&e);

	assert_int_equal(parse("a@b.ru;p#w:@x;1.2.3.4:8080:u:pp", &e, &why),
	    1);
	assert_string_equal(e.password, "p#w:@x");
	assert_string_equal(e.proxy, "http://u:pp@1.2.3.4:8080");
	acctfile_entry_clear(&e);

	assert_int_equal(acctfile_parse_line("a@b.ru;pw;u:pp@h.example:1",
	    26, "socks5", &e, &why), 1);
	assert_string_equal(e.proxy, "socks5://u:pp@h.example:1");
	acctfile_entry_clear(&e);

	assert_int_equal(parse("a@b.ru;pw;SOCKS5H://h.example:1080/;"
	    "Mother's maiden name? ; Иванова ;Mozilla/5.0 (X11; Linux)",
	    &e, &why), 1);
	/* The user agent runs to the end of the line, ';' and all. */
	assert_string_equal(e.user_agent, "Mozilla/5.0 (X11; Linux)");
	acctfile_entry_clear(&e);

	assert_int_equal(parse("\xef\xbb\xbf"
	    "a@b.ru;pw;socks5h://h.example:1080/"
	    ";Mother's maiden name? ; Иванова ;Mozilla/5.0 (X11, Linux)\n",
	    &e, &why), 1);
	assert_string_equal(e.email, "a@b.ru");
	assert_string_equal(e.proxy, "socks5h://h.example:1080");
	assert_string_equal(e.question, "Mother's maiden name?");
	assert_string_equal(e.answer, "Иванова");
	assert_string_equal(e.user_agent, "Mozilla/5.0 (X11, Linux)");
	acctfile_entry_clear(&e);

	assert_int_equal(parse("a@b.ru;pw;;;answer;", &e, &why), 1);
	assert_null(e.proxy);
	assert_null(e.question);
	assert_string_equal(e.answer, "answer");
	assert_null(e.user_agent);
	acctfile_entry_clear(&e);

	assert_int_equal(parse("o'neil+tag@sub.mail-x.example", &e, &why), -1);
	assert_string_equal(why, "missing password");

	/* Blank and comment lines leave out untouched. */
	memset(&e, 0x5a, sizeof(e));
	assert_int_equal(parse("", &e, &why), 0);
	assert_int_equal(parse("   \t \r\n", &e, &why), 0);
	assert_int_equal(parse("# a@b.ru;pw", &e, &why), 0);
	assert_int_equal(parse("   # note", &e, &why), 0);
	assert_int_equal(parse("\xef\xbb\xbf# note", &e, &why), 0);
	assert_int_equal(parse("\xef\xbb\xbf\r\n", &e, &why), 0);
	assert_int_equal(((unsigned char *)&e)[0], 0x5a);
}

struct bad {
	const char	*line;
	const char	*why;
};

static const struct bad bads[] = {
	{ ";secretpw", "missing email" },
	{ "  ;secretpw;1.2.3.4:80", "missing email" },
	{ "secretpw", "malformed email: missing '@'" },
	{ "a@@b.ru;secretpw", "malformed email: more than one '@'" },
	{ "a@b@c.ru;secretpw", "malformed email: more than one '@'" },
	{ "@b.ru;secretpw", "malformed email: empty local part" },
	{ "a@;secretpw", "malformed email: empty domain" },
	{ "a@localhost;secretpw", "malformed email: domain has no dot" },
	{ "a b@b.ru;secretpw", "malformed email: contains a space" },
	{ "a@b .ru;secretpw", "malformed email: contains a space" },
	{ "a\x01@b.ru;secretpw", "malformed email: control character" },
	{ "пользователь@mail.ru;secretpw",
	  "malformed email: non-ASCII character" },
	{ "a(b)@b.ru;secretpw",
	  "malformed email: invalid character in local part" },
	{ ".a@b.ru;secretpw", "malformed email: misplaced '.'" },
	{ "a.@b.ru;secretpw", "malformed email: misplaced '.'" },
	{ "a..b@b.ru;secretpw", "malformed email: misplaced '.'" },
	{ "a@b_c.ru;secretpw",
	  "malformed email: invalid character in domain" },
	{ "a@b..ru;secretpw", "malformed email: malformed domain" },
	{ "a@.b.ru;secretpw", "malformed email: malformed domain" },
	{ "a@b.ru.;secretpw", "malformed email: malformed domain" },
	{ "a@-b.ru;secretpw", "malformed email: malformed domain" },
	{ "a@b-.ru;secretpw", "malformed email: malformed domain" },
	{ "a@b.ru-;secretpw", "malformed email: malformed domain" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "@b.ru;secretpw", "malformed email: local part too long" },
	{ "a@b.ru", "missing password" },
	{ "a@b.ru;", "empty password" },
	{ "a@b.ru;   ;1.2.3.4:80", "empty password" },
	{ "a@b.ru;secretpw;1.2.3.4", "malformed proxy: missing port" },
	{ "a@b.ru;secretpw;1.2.3.4:0", "malformed proxy: port out of range" },
	{ "a@b.ru;secretpw;ftp://u:proxypw@1.2.3.4:21",
	  "malformed proxy: unsupported scheme \"ftp\"" },
	{ "a@b.ru;secretpw;1.2.3.4:80:u", "malformed proxy: missing proxy "
	  "password" },
	{ "a@b.ru;secretpw;http://u:proxypw@h.example:80/x",
	  "malformed proxy: malformed proxy" },
	{ "a@b.ru;secretpw;p;q;a;ua;x;y", "malformed proxy: missing port" },
};

static void
test_line_errors(void **state)
{
	struct acct_entry	 e;
	const char		*why;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		why = NULL;
		if (parse(bads[i].line, &e, &why) != -1)
			fail_msg("\"%s\" accepted", bads[i].line);
		assert_non_null(why);
		if (strncmp(why, bads[i].why, strlen(bads[i].why)) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"",
			    bads[i].line, why, bads[i].why);
		assert_null(strstr(why, "secretpw"));
		assert_null(strstr(why, "proxypw"));
	}
	/* An embedded NUL cannot reach a C string field. */
	assert_int_equal(acctfile_parse_line("a@b.ru;pw\0x", 11, NULL, &e,
	    &why), -1);
	assert_string_equal(why, "NUL byte in line");
	assert_int_equal(parse("a@b.ru;secretpw\r;x", &e, &why), -1);
	assert_string_equal(why, "stray carriage return or line feed in line");
	assert_int_equal(parse("a@b.ru;secretpw\r\n;;", &e, &why), -1);
	assert_string_equal(why, "stray carriage return or line feed in line");
	/* A bad default scheme shows up on lines that need it. */
	assert_int_equal(acctfile_parse_line("a@b.ru;pw;h.example:1", 21,
	    "gopher", &e, &why), -1);
	assert_string_equal(why,
	    "malformed proxy: unsupported scheme \"gopher\"");
}

static void
test_load_tolerant(void **state)
{
	static const char text[] =
	    "\xef\xbb\xbf# accounts\r\n"
	    "\r\n"
	    "  Alice@Mail.ru ; pw-alice ; 10.0.0.1:3128:pu:pp-alice \r\n"
	    "\t\r\n"
	    "bob@mail.ru;pw-bob\r\n"
	    "   # carol@mail.ru;pw-carol\r\n"
	    "dave@mail.ru;pw-dave;;q;a;UA 1.0";	/* no final newline */
	struct acct_list	 list = { 0 };
	struct errlist		 errs = { 0 }, warns = { 0 };
	const struct acct_entry	*e;
	char			*path, *src;

	(void)state;
	path = write_file("acct_tolerant.txt", text, sizeof(text) - 1);
	assert_int_equal(acctfile_load(&list, path, NULL, &errs, &warns), 3);
	assert_int_equal(errs.count, 0);
	assert_int_equal(warns.count, 0);
	assert_int_equal(list.n, 3);

	assert_non_null(e = acctlist_find(&list, "ALICE@mail.RU"));
	assert_string_equal(e->email, "alice@mail.ru");
	assert_string_equal(e->password, "pw-alice");
	assert_string_equal(e->proxy, "http://pu:pp-alice@10.0.0.1:3128");
	assert_true(asprintf(&src, "%s:3", path) > 0);
	assert_string_equal(e->source, src);
	free(src);

	assert_non_null(e = acctlist_find(&list, "bob@mail.ru"));
	assert_string_equal(e->password, "pw-bob");
	assert_non_null(e = acctlist_find(&list, "dave@mail.ru"));
	assert_string_equal(e->user_agent, "UA 1.0");
	assert_true(asprintf(&src, "%s:7", path) > 0);
	assert_string_equal(e->source, src);
	free(src);
	assert_null(acctlist_find(&list, "carol@mail.ru"));

	acctlist_free(&list);
	assert_null(acctlist_find(&list, "bob@mail.ru"));
	remove_file(path);
}

static void
test_duplicates(void **state)
{
	static const char one[] =
	    "a@mail.ru;pw-a1\n"
	    "b@mail.ru;pw-b1\n"
	    "A@MAIL.RU;pw-a2\n";
	static const char two[] =
	    "# second file\n"
	    "c@mail.ru;pw-c2\n"
	    "b@mail.ru;pw-b2\n";
	static const char *const secrets[] = {
		"pw-a1", "pw-b1", "pw-a2", "pw-c2", "pw-b2",
	};
	struct acct_list	 list = { 0 };
	struct errlist		 errs = { 0 }, warns = { 0 };
	char			*p1, *p2, *want;

	(void)state;
	p1 = write_file("acct_one.txt", one, sizeof(one) - 1);
	p2 = write_file("acct_two.txt", two, sizeof(two) - 1);
	assert_int_equal(acctfile_load(&list, p1, NULL, &errs, &warns), 2);
	assert_int_equal(acctfile_load(&list, p2, NULL, &errs, &warns), 1);
	assert_int_equal(list.n, 3);
	assert_int_equal(errs.count, 0);
	assert_int_equal(warns.count, 2);

	/* The warning names the duplicate's line and the kept one's. */
	assert_true(asprintf(&want, "%s:3: duplicate email a@mail.ru, first "
	    "at %s:1; keeping the first", p1, p1) > 0);
	assert_string_equal(warns.msgs[0], want);
	free(want);
	assert_true(asprintf(&want, "%s:3: duplicate email b@mail.ru, first "
	    "at %s:2; keeping the first", p2, p1) > 0);
	assert_string_equal(warns.msgs[1], want);
	free(want);

	assert_string_equal(acctlist_find(&list, "a@mail.ru")->password,
	    "pw-a1");
	assert_string_equal(acctlist_find(&list, "b@mail.ru")->password,
	    "pw-b1");
	assert_no_secret(&warns, secrets, 5);

	errlist_clear(&warns);
	acctlist_free(&list);
	remove_file(p1);
	remove_file(p2);
}

static void
test_unreadable(void **state)
{
	struct acct_list	 list = { 0 };
	struct errlist		 errs = { 0 }, warns = { 0 };
	char			*path;

	(void)state;
	assert_true(asprintf(&path, "%s/acct_missing.txt", tmpdir) > 0);
	assert_int_equal(acctfile_load(&list, path, NULL, &errs, &warns), -1);
	assert_int_equal(errs.count, 1);
	assert_non_null(strstr(errs.msgs[0], "acct_missing.txt: cannot open"));
	assert_int_equal(list.n, 0);
	free(path);
	errlist_clear(&errs);

	/* A directory opens but cannot be read. */
	assert_int_equal(acctfile_load(&list, tmpdir, NULL, &errs, &warns), -1);
	assert_int_equal(errs.count, 1);
	assert_non_null(strstr(errs.msgs[0], "cannot read"));
	errlist_clear(&errs);

	/* An empty file is fine. */
	path = write_file("acct_empty.txt", "", 0);
	assert_int_equal(acctfile_load(&list, path, NULL, &errs, &warns), 0);
	assert_int_equal(errs.count, 0);
	remove_file(path);
}

/* The kinds of bad line in the big file, with the reason each must give. */
static const struct bad big_bads[] = {
	{ "%d@mail.ru", "missing password" },
	{ "user%d@mail.ru;", "empty password" },
	{ ";pw-%d", "missing email" },
	{ "user%dmail.ru;pw-%d", "malformed email: missing '@'" },
	{ "user%d@mail;pw-%d", "malformed email: domain has no dot" },
	{ "us er%d@mail.ru;pw-%d", "malformed email: contains a space" },
	{ "user%d@mail.ru;pw-%d;1.2.3.4", "malformed proxy: missing port" },
	{ "user%d@mail.ru;pw-%d;1.2.3.4:70000",
	  "malformed proxy: port out of range" },
	{ "user%d@mail.ru;pw-%d;ftp://u:pw-%d@1.2.3.4:21",
	  "malformed proxy: unsupported scheme \"ftp\"" },
	{ "user%d@mail.ru;pw-%d;1.2.3.4:80:u",
	  "malformed proxy: missing proxy password (expected host:port:user:pass)" },
};

static void
test_big_file(void **state)
{
	struct acct_list	 list = { 0 };
	struct errlist		 errs = { 0 }, warns = { 0 };
	char			*text, *path, **secrets, want[512];
	size_t			 len = 0, cap = 1 << 20, nsec = 0, i, k = 0;
	int			 line, bad;

	(void)state;
	text = malloc(cap);
	secrets = calloc(1001, sizeof(*secrets));
	for (line = 1; line <= 1000; line++) {
		char	 pw[32];

		snprintf(pw, sizeof(pw), "pw-%d", line);
		secrets[nsec++] = strdup(pw);
		/* Every 50th line (20 in all) is bad, cycling the kinds. */
		bad = line % 50 == 25;
		if (bad)
			len += (size_t)snprintf(text + len, cap - len,
			    big_bads[k++ % 10].line, line, line, line);
		else
			len += (size_t)snprintf(text + len, cap - len,
			    "User%d@Mail.ru;pw-%d;10.0.%d.%d:8080:pu%d:pp-%d"
			    ";question %d;answer %d;UA/%d",
			    line, line, line / 256, line % 256, line, line,
			    line, line, line);
		text[len++] = '\n';
	}
	path = write_file("acct_big.txt", text, len);
	assert_int_equal(acctfile_load(&list, path, "socks5h", &errs, &warns),
	    980);
	assert_int_equal(list.n, 980);
	assert_int_equal(warns.count, 0);
	assert_int_equal(errs.count, 20);
	for (i = 0; i < 20; i++) {
		snprintf(want, sizeof(want), "%s:%zu: %s", path, 25 + 50 * i,
		    big_bads[i % 10].why);
		assert_string_equal(errs.msgs[i], want);
	}
	assert_no_secret(&errs, (const char *const *)secrets, nsec);
	assert_string_equal(acctlist_find(&list, "user1@mail.ru")->proxy,
	    "socks5h://pu1:pp-1@10.0.0.1:8080");
	assert_null(acctlist_find(&list, "user25@mail.ru"));
	assert_non_null(acctlist_find(&list, "USER1000@MAIL.RU"));

	for (i = 0; i < nsec; i++)
		free(secrets[i]);
	free(secrets);
	free(text);
	errlist_clear(&errs);
	acctlist_free(&list);
	remove_file(path);
}

/*
 * Load n generated accounts plus dups duplicates; returns the CPU seconds
 * taken, which other load on the machine disturbs less than wall time.
 */
static double
load_generated(int n, int dups)
{
	struct acct_list	 list = { 0 };
	struct errlist		 errs = { 0 }, warns = { 0 };
	struct timespec		 t0, t1;
	char			*text, *path;
	size_t			 len = 0, cap = (size_t)(n + dups) * 160;
	int			 i;

	text = malloc(cap);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "box%d@mail.ru;password-%d;user%d:pass%d@proxy%d.example"
		    ":%d;q;a;Mozilla/5.0\r\n",
		    i, i, i, i, i % 100, 1024 + i % 1000);
	for (i = 0; i < dups; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "BOX%d@mail.ru;other\n", i);
	path = write_file("acct_gen.txt", text, len);
	free(text);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	assert_int_equal(acctfile_load(&list, path, NULL, &errs, &warns), n);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	assert_int_equal(errs.count, 0);
	assert_int_equal(warns.count, dups);
	assert_int_equal(list.n, n);
	assert_non_null(acctlist_find(&list, "box0@mail.ru"));
	assert_non_null(acctlist_find(&list, "BOX0@MAIL.RU"));
	text = NULL;
	assert_true(asprintf(&text, "box%d@mail.ru", n - 1) > 0);
	assert_non_null(acctlist_find(&list, text));
	free(text);
	errlist_clear(&warns);
	acctlist_free(&list);
	remove_file(path);
	return (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/*
 * 100,000 lines must load in about five times the time of 20,000; a
 * quadratic duplicate check would be about twenty-five times slower.  A
 * ratio rather than a wall-clock limit keeps this valid under valgrind;
 * the best of three small runs damps noise from a busy machine, and
 * the bound leaves room for cache effects at the larger size.
 */
static void
test_100k(void **state)
{
	double	 small = 1e9, t, big;
	int	 i;

	(void)state;
	for (i = 0; i < 3; i++)
		if ((t = load_generated(20000, 200)) < small)
			small = t;
	big = load_generated(100000, 1000);
	print_message("20,000 lines in %.3f s, 100,000 lines in %.3f s\n",
	    small, big);
	assert_true(big < 15 * small + 0.05);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_forms),
		cmocka_unit_test(test_line_errors),
		cmocka_unit_test(test_load_tolerant),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_big_file),
		cmocka_unit_test(test_100k),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
