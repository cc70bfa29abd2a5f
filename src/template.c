/*
 * Letter and reply templates; see template.h for the format.
 *
 * The parser is written by hand: Debian packages no spintax library, the
 * format is small, and a recursive-descent parser over the file's own
 * bytes gives every error its exact line.  A file is checked completely
 * when it is loaded, so that rendering cannot fail:
 *  - the whole file must be valid UTF-8 (libunistring's u8_check) without
 *    NUL bytes; every byte the parser looks at is ASCII, so text is only
 *    ever cut next to an ASCII byte and no multibyte character is split;
 *  - a line that is all "[...]" is a section header; the names are
 *    subject, body, html and "list NAME", each at most once;
 *  - a section's text is everything up to the next header, its trailing
 *    newlines dropped; [subject] must be one line, since it becomes a
 *    mail header;
 *  - a list entry is a non-blank line with its surrounding blanks dropped;
 *  - "{{" starts a variable only when a name and "}}" follow ({{name}},
 *    {{ name }}, {{pick:LIST}}); otherwise it is two nested groups, as in
 *    "{{Hi|Hello} there|Hey}".  A backslash before anything but { } | \
 *    is an ordinary character;
 *  - lists may pick from lists but not, directly or through others, from
 *    themselves, and no deeper than TMPL_MAX_PICKS;
 *  - the largest text a section can render (plus one per element visited)
 *    is bounded, because lists picking twice from lists picking twice ...
 *    would otherwise grow exponentially with a file of a few lines.
 *
 * One limit of the two-pass rendering: tmpl_subst cannot tell a
 * placeholder left by a deferred variable from the same characters that
 * came from a value or an escaped "\{\{name\}\}" in the first pass, and
 * fills both.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <unistr.h>

#include "errlist.h"
#include "rng.h"
#include "template.h"
#include "xmalloc.h"

#define TMPL_MAX_FILE	(256 * 1024)
#define TMPL_MAX_DEPTH	32		/* nested {...} groups */
#define TMPL_MAX_PICKS	16		/* lists picking from lists */
#define TMPL_MAX_COST	(1024 * 1024)	/* bytes + elements one render */
#define TMPL_MAX_NAME	64		/* list names */

enum {
	SEC_SUBJECT,
	SEC_BODY,
	SEC_HTML,
	SEC_COUNT
};

static const char *const sec_names[SEC_COUNT] = { "subject", "body", "html" };
static const char *const var_names[] = TMPL_VARS;

enum node_kind {
	N_TEXT,
	N_VAR,
	N_PICK,
	N_SPIN
};

struct node;

/* A run of elements rendered one after the other. */
struct seq {
	struct node	*v;
	size_t		 n;
};

struct node {
	enum node_kind	 kind;
	union {
		struct {
			char	*p;
			size_t	 n;
		} text;
		size_t	 var;		/* index in var_names */
		size_t	 list;		/* index in tmpl.lists */
		struct {
			struct seq	*alt;
			size_t		 n;
		} spin;
	} u;
};

/* A {{pick:X}} inside a list: an edge of the graph checked for cycles. */
struct edge {
	size_t		 to;
	unsigned	 line;
};

struct list {
	char		*name;
	unsigned	 line;		/* of the header */
	const char	*start;		/* its lines, while parsing */
	const char	*end;
	unsigned	 first;		/* line of start */
	struct seq	*entries;
	size_t		 n;
	struct edge	*edges;
	size_t		 nedges;
	unsigned	 depth;		/* longest chain of picks from here */
	uint64_t	 cost;
};

struct section {
	int		 present;
	unsigned	 line;
	const char	*start;
	const char	*end;
	unsigned	 first;
	struct seq	 seq;
};

struct tmpl {
	char		*name;
	struct section	 sec[SEC_COUNT];
	struct list	*lists;
	size_t		 nlists;
};

struct parser {
	struct tmpl	*t;
	struct errlist	*errs;
	const char	*p;
	const char	*end;
	unsigned	 line;
	size_t		 from;		/* list being parsed, or SIZE_MAX */
	int		 failed;
};

/* A growing output string. */
struct buf {
	char	*p;
	size_t	 n;
	size_t	 cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 128;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static char *
buf_finish(struct buf *b)
{
	if (b->p == NULL)
		return xstrdup("");
	return b->p;
}

/* ---- the tree -------------------------------------------------------- */

static void	seq_free(struct seq *);

static void
node_free(struct node *nd)
{
	if (nd->kind == N_TEXT)
		free(nd->u.text.p);
	else if (nd->kind == N_SPIN) {
		for (size_t i = 0; i < nd->u.spin.n; i++)
			seq_free(&nd->u.spin.alt[i]);
		free(nd->u.spin.alt);
	}
}

static void
seq_free(struct seq *s)
{
	for (size_t i = 0; i < s->n; i++)
		node_free(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Append a node; arrays grow by powers of two, counted from n. */
static struct node *
seq_push(struct seq *s, enum node_kind kind)
{
	struct node	*nd;

	if ((s->n & (s->n - 1)) == 0)
		s->v = xreallocarray(s->v, s->n ? s->n * 2 : 1, sizeof(*s->v));
	nd = &s->v[s->n++];
	memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	return nd;
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < SEC_COUNT; i++)
		seq_free(&t->sec[i].seq);
	for (size_t i = 0; i < t->nlists; i++) {
		for (size_t j = 0; j < t->lists[i].n; j++)
			seq_free(&t->lists[i].entries[j]);
		free(t->lists[i].entries);
		free(t->lists[i].edges);
		free(t->lists[i].name);
	}
	free(t->lists);
	free(t->name);
	free(t);
}

/* ---- spintax --------------------------------------------------------- */

static int	parse_seq(struct parser *, struct seq *, unsigned);

static void
perr(struct parser *ps, unsigned line, const char *msg, const char *arg)
{
	ps->failed = 1;
	if (arg != NULL)
		errlist_add(ps->errs, ps->t->name, line, NULL, msg, arg);
	else
		errlist_add(ps->errs, ps->t->name, line, NULL, "%s", msg);
}

static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
blank(int c)
{
	return c == ' ' || c == '\t';
}

/* At most max bytes of p[0..n), not cutting a UTF-8 character in two. */
static int
u8_prefix(const char *p, size_t n, size_t max)
{
	if (n <= max)
		return (int)n;
	while (max > 0 && ((unsigned char)p[max] & 0xc0) == 0x80)
		max--;
	return (int)max;
}

static size_t
find_list(const struct tmpl *t, const char *name, size_t n)
{
	for (size_t i = 0; i < t->nlists; i++)
		if (strlen(t->lists[i].name) == n &&
		    memcmp(t->lists[i].name, name, n) == 0)
			return i;
	return SIZE_MAX;
}

static size_t
find_var(const char *name, size_t n)
{
	for (size_t i = 0; var_names[i] != NULL; i++)
		if (strlen(var_names[i]) == n &&
		    memcmp(var_names[i], name, n) == 0)
			return i;
	return SIZE_MAX;
}

/*
 * At "{{": the length of a whole variable token ("{{ name }}", name of
 * name characters and ':'), or 0 when this is two groups opening.
 */
static size_t
var_token(const char *p, const char *end, const char **name, size_t *n)
{
	const char	*q = p + 2;

	while (q < end && blank(*q))
		q++;
	*name = q;
	while (q < end && (name_char(*q) || *q == ':'))
		q++;
	*n = (size_t)(q - *name);
	while (q < end && blank(*q))
		q++;
	if (*n == 0 || end - q < 2 || q[0] != '}' || q[1] != '}')
		return 0;
	return (size_t)(q + 2 - p);
}

static void
add_edge(struct parser *ps, size_t to)
{
	struct list	*l;

	if (ps->from == SIZE_MAX)
		return;
	l = &ps->t->lists[ps->from];
	if ((l->nedges & (l->nedges - 1)) == 0)
		l->edges = xreallocarray(l->edges,
		    l->nedges ? l->nedges * 2 : 1, sizeof(*l->edges));
	l->edges[l->nedges].to = to;
	l->edges[l->nedges].line = ps->line;
	l->nedges++;
}

/* A {{name}} or {{pick:LIST}}: append its node or report it. */
static int
parse_var(struct parser *ps, struct seq *out, const char *name, size_t n)
{
	char		 shown[TMPL_MAX_NAME + 8];
	struct node	*nd;
	size_t		 i;

	if (n > 5 && memcmp(name, "pick:", 5) == 0) {
		if ((i = find_list(ps->t, name + 5, n - 5)) == SIZE_MAX) {
			snprintf(shown, sizeof(shown), "%.*s",
			    (int)(n - 5 > TMPL_MAX_NAME ? TMPL_MAX_NAME : n - 5),
			    name + 5);
			errlist_add(ps->errs, ps->t->name, ps->line, NULL,
			    "{{pick:%s}}: no [list %s] in this file", shown,
			    shown);
			ps->failed = 1;
			return -1;
		}
		nd = seq_push(out, N_PICK);
		nd->u.list = i;
		add_edge(ps, i);
		return 0;
	}
	if ((i = find_var(name, n)) == SIZE_MAX) {
		snprintf(shown, sizeof(shown), "%.*s",
		    (int)(n > TMPL_MAX_NAME ? TMPL_MAX_NAME : n), name);
		perr(ps, ps->line, "unknown variable {{%s}}", shown);
		return -1;
	}
	nd = seq_push(out, N_VAR);
	nd->u.var = i;
	return 0;
}

/* At "{": one group of alternatives, up to its "}". */
static int
parse_spin(struct parser *ps, struct seq *out, unsigned depth)
{
	unsigned	 open = ps->line;
	struct node	*nd;
	struct seq	*alt;

	if (depth >= TMPL_MAX_DEPTH) {
		errlist_add(ps->errs, ps->t->name, open, NULL,
		    "spintax nested deeper than %d groups", TMPL_MAX_DEPTH);
		ps->failed = 1;
		return -1;
	}
	ps->p++;
	nd = seq_push(out, N_SPIN);
	for (;;) {
		if ((nd->u.spin.n & (nd->u.spin.n - 1)) == 0)
			nd->u.spin.alt = xreallocarray(nd->u.spin.alt,
			    nd->u.spin.n ? nd->u.spin.n * 2 : 1,
			    sizeof(*nd->u.spin.alt));
		alt = &nd->u.spin.alt[nd->u.spin.n++];
		memset(alt, 0, sizeof(*alt));
		if (parse_seq(ps, alt, depth + 1) == -1)
			return -1;
		if (ps->p == ps->end) {
			perr(ps, open, "unclosed \"{\" (no matching \"}\")",
			    NULL);
			return -1;
		}
		if (*ps->p++ == '}')
			return 0;
		/* It was '|': the next alternative. */
	}
}

static void
flush_text(struct buf *text, struct seq *out)
{
	struct node	*nd;

	if (text->n == 0)
		return;
	nd = seq_push(out, N_TEXT);
	nd->u.text.p = text->p;
	nd->u.text.n = text->n;
	memset(text, 0, sizeof(*text));
}

/*
 * Elements up to the end, or at depth > 0 up to the "|" or "}" that ends
 * the alternative (left for parse_spin).
 */
static int
parse_seq(struct parser *ps, struct seq *out, unsigned depth)
{
	struct buf	 text = { 0 };
	const char	*name;
	size_t		 n, len;
	char		 c;

	while (ps->p < ps->end) {
		c = *ps->p;
		if (depth > 0 && (c == '|' || c == '}'))
			break;
		if (c == '\\' && ps->end - ps->p >= 2 && ps->p[1] != '\0' &&
		    strchr("{}|\\", ps->p[1]) != NULL) {
			buf_add(&text, ps->p + 1, 1);
			ps->p += 2;
		} else if (c == '{' && ps->end - ps->p >= 2 && ps->p[1] == '{' &&
		    (len = var_token(ps->p, ps->end, &name, &n)) > 0) {
			flush_text(&text, out);
			if (parse_var(ps, out, name, n) == -1)
				return -1;
			ps->p += len;
		} else if (c == '{') {
			flush_text(&text, out);
			if (parse_spin(ps, out, depth) == -1)
				return -1;
		} else if (c == '}') {
			free(text.p);
			perr(ps, ps->line, "unmatched \"}\"", NULL);
			return -1;
		} else {
			if (c == '\n')
				ps->line++;
			buf_add(&text, ps->p++, 1);
		}
	}
	flush_text(&text, out);
	return 0;
}

/* Parse [start, end) starting at line first into out. */
static void
parse_text(struct parser *ps, const char *start, const char *end,
    unsigned first, struct seq *out)
{
	ps->p = start;
	ps->end = end;
	ps->line = first;
	if (parse_seq(ps, out, 0) == -1)
		seq_free(out);
}

/* ---- sections -------------------------------------------------------- */

static const char *
line_end(const char *p, const char *end)
{
	const char	*nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl : end;
}

/* Whether [p, e) is a header: "[" ... "]" and trailing blanks. */
static int
is_header(const char *p, const char *e)
{
	while (e > p && blank(e[-1]))
		e--;
	return e - p >= 2 && p[0] == '[' && e[-1] == ']';
}

static void
add_list(struct parser *ps, const char *name, size_t n, unsigned line,
    struct list **cur)
{
	struct tmpl	*t = ps->t;
	size_t		 i;

	if ((i = find_list(t, name, n)) != SIZE_MAX) {
		errlist_add(ps->errs, t->name, line, NULL,
		    "duplicate section [list %s] (first at line %u)",
		    t->lists[i].name, t->lists[i].line);
		ps->failed = 1;
		return;
	}
	if ((t->nlists & (t->nlists - 1)) == 0)
		t->lists = xreallocarray(t->lists,
		    t->nlists ? t->nlists * 2 : 1, sizeof(*t->lists));
	*cur = &t->lists[t->nlists++];
	memset(*cur, 0, sizeof(**cur));
	(*cur)->name = xstrndup(name, n);
	(*cur)->line = line;
}

/*
 * A header line [p, e): point *sec or *list at its new section, or both
 * at NULL (lines up to the next header are skipped) after an error.
 */
static void
header(struct parser *ps, const char *p, const char *e, unsigned line,
    struct section **sec, struct list **list)
{
	const char	*name;
	size_t		 n;

	*sec = NULL;
	*list = NULL;
	while (blank(e[-1]))
		e--;
	for (p++, e--; p < e && blank(*p); p++)
		;
	while (e > p && blank(e[-1]))
		e--;
	n = (size_t)(e - p);
	for (int i = 0; i < SEC_COUNT; i++) {
		if (strlen(sec_names[i]) != n || memcmp(p, sec_names[i], n) != 0)
			continue;
		if (ps->t->sec[i].present) {
			errlist_add(ps->errs, ps->t->name, line, NULL,
			    "duplicate section [%s] (first at line %u)",
			    sec_names[i], ps->t->sec[i].line);
			ps->failed = 1;
			return;
		}
		*sec = &ps->t->sec[i];
		(*sec)->present = 1;
		(*sec)->line = line;
		return;
	}
	if (n < 4 || memcmp(p, "list", 4) != 0 || (n > 4 && !blank(p[4]))) {
		errlist_add(ps->errs, ps->t->name, line, NULL,
		    "unknown section [%.*s] (subject, body, html or list NAME)",
		    u8_prefix(p, n, TMPL_MAX_NAME), p);
		ps->failed = 1;
		return;
	}
	for (name = p + 4; name < e && blank(*name); name++)
		;
	n = (size_t)(e - name);
	for (size_t i = 0; i < n; i++)
		if (!name_char(name[i]))
			n = 0;
	if (n == 0 || n > TMPL_MAX_NAME) {
		errlist_add(ps->errs, ps->t->name, line, NULL,
		    "[list NAME] needs a name of letters, digits, _ and -, "
		    "at most %d long", TMPL_MAX_NAME);
		ps->failed = 1;
		return;
	}
	add_list(ps, name, n, line, list);
}

/*
 * First pass: find the headers and the lines each section owns, so that
 * a {{pick:X}} may name a list defined further down.
 */
static void
split(struct parser *ps, const char *text, const char *end)
{
	struct section	*sec = NULL;
	struct list	*list = NULL;
	const char	*p, *e;
	unsigned	 line = 1;
	int		 started = 0, stray = 0;

	for (p = text; p < end; p = e + 1, line++) {
		e = line_end(p, end);
		if (is_header(p, e)) {
			if (sec != NULL)
				sec->end = p;
			if (list != NULL)
				list->end = p;
			started = 1;
			header(ps, p, e, line, &sec, &list);
			if (sec != NULL) {
				sec->start = e < end ? e + 1 : e;
				sec->end = end;
				sec->first = line + 1;
			} else if (list != NULL) {
				list->start = e < end ? e + 1 : e;
				list->end = end;
				list->first = line + 1;
			}
		} else if (!started && p < e && *p != '#' && !stray) {
			while (p < e && blank(*p))
				p++;
			if (p == e)
				continue;
			errlist_add(ps->errs, ps->t->name, line, NULL,
			    "text before the first section");
			ps->failed = stray = 1;
		}
		if (e == end)
			break;
	}
}

/* A section's text: its lines without the trailing newlines. */
static void
parse_section(struct parser *ps, int i)
{
	struct section	*s = &ps->t->sec[i];
	const char	*end = s->end;

	while (end > s->start && end[-1] == '\n')
		end--;
	if (i == SEC_SUBJECT && memchr(s->start, '\n',
	    (size_t)(end - s->start)) != NULL) {
		errlist_add(ps->errs, ps->t->name, s->line, NULL,
		    "[subject] must be a single line");
		ps->failed = 1;
		return;
	}
	ps->from = SIZE_MAX;
	parse_text(ps, s->start, end, s->first, &s->seq);
}

/* A list: one entry per non-blank line, its blanks trimmed. */
static void
parse_list(struct parser *ps, size_t i)
{
	struct list	*l = &ps->t->lists[i];
	const char	*p, *e, *a, *b;
	unsigned	 line = l->first;

	ps->from = i;
	for (p = l->start; p < l->end; p = e + 1, line++) {
		e = line_end(p, l->end);
		for (a = p; a < e && blank(*a); a++)
			;
		for (b = e; b > a && blank(b[-1]); b--)
			;
		if (a < b) {
			if ((l->n & (l->n - 1)) == 0)
				l->entries = xreallocarray(l->entries,
				    l->n ? l->n * 2 : 1, sizeof(*l->entries));
			memset(&l->entries[l->n], 0, sizeof(*l->entries));
			parse_text(ps, a, b, line, &l->entries[l->n++]);
		}
		if (e == l->end)
			break;
	}
	if (l->n == 0) {
		errlist_add(ps->errs, ps->t->name, l->line, NULL,
		    "[list %s] has no entries", l->name);
		ps->failed = 1;
	}
}

/* ---- list graph ------------------------------------------------------ */

static void
report_cycle(struct parser *ps, const size_t *stack, size_t top,
    const struct edge *e)
{
	struct tmpl	*t = ps->t;
	struct buf	 path = { 0 };
	size_t		 i = top;

	while (stack[i - 1] != e->to)
		i--;
	for (i--; i < top; i++) {
		buf_add(&path, t->lists[stack[i]].name,
		    strlen(t->lists[stack[i]].name));
		buf_add(&path, " -> ", 4);
	}
	buf_add(&path, t->lists[e->to].name, strlen(t->lists[e->to].name));
	errlist_add(ps->errs, t->name, e->line, NULL,
	    "[list %s] picks from itself (%s)", t->lists[e->to].name, path.p);
	free(path.p);
	ps->failed = 1;
}

/*
 * Depth-first over the lists' picks without recursion (a file can hold
 * thousands of lists): report every cycle, and fill order with the lists
 * in post-order, each after every list it picks from.
 */
static void
check_cycles(struct parser *ps, size_t *order)
{
	struct tmpl	*t = ps->t;
	size_t		*stack, *next, top, norder = 0;
	unsigned char	*state;		/* 0 new, 1 on the stack, 2 done */
	struct edge	*e;

	stack = xcalloc(t->nlists, sizeof(*stack));
	next = xcalloc(t->nlists, sizeof(*next));
	state = xcalloc(t->nlists, 1);
	for (size_t root = 0; root < t->nlists; root++) {
		if (state[root] != 0)
			continue;
		top = 0;
		stack[top++] = root;
		state[root] = 1;
		while (top > 0) {
			size_t	 cur = stack[top - 1];

			if (next[cur] == t->lists[cur].nedges) {
				state[cur] = 2;
				order[norder++] = cur;
				top--;
				continue;
			}
			e = &t->lists[cur].edges[next[cur]++];
			if (state[e->to] == 1)
				report_cycle(ps, stack, top, e);
			else if (state[e->to] == 0) {
				state[e->to] = 1;
				stack[top++] = e->to;
			}
		}
	}
	free(stack);
	free(next);
	free(state);
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* The most a render of s can cost: bytes out plus elements visited. */
static uint64_t
seq_cost(const struct tmpl *t, const struct seq *s)
{
	uint64_t	 c = 0, m, x;

	for (size_t i = 0; i < s->n; i++) {
		const struct node *nd = &s->v[i];

		c = sat_add(c, 1);
		if (nd->kind == N_TEXT)
			c = sat_add(c, nd->u.text.n);
		else if (nd->kind == N_PICK)
			c = sat_add(c, t->lists[nd->u.list].cost);
		else if (nd->kind == N_SPIN) {
			for (size_t j = m = 0; j < nd->u.spin.n; j++)
				if ((x = seq_cost(t, &nd->u.spin.alt[j])) > m)
					m = x;
			c = sat_add(c, m);
		}
	}
	return c;
}

/* Chains of picks and the render cost, lists first (in post-order). */
static void
check_sizes(struct parser *ps, const size_t *order)
{
	struct tmpl	*t = ps->t;
	struct list	*l;
	uint64_t	 x;

	for (size_t k = 0; k < t->nlists; k++) {
		l = &t->lists[order[k]];
		l->depth = 1;
		for (size_t j = 0; j < l->nedges; j++)
			if (t->lists[l->edges[j].to].depth + 1 > l->depth)
				l->depth = t->lists[l->edges[j].to].depth + 1;
		for (size_t j = 0; j < l->n; j++)
			if ((x = seq_cost(t, &l->entries[j])) > l->cost)
				l->cost = x;
		if (l->depth > TMPL_MAX_PICKS) {
			errlist_add(ps->errs, t->name, l->line, NULL,
			    "[list %s] starts a chain of more than %d lists "
			    "picking from lists", l->name, TMPL_MAX_PICKS);
			ps->failed = 1;
			return;
		}
	}
	for (int i = 0; i < SEC_COUNT; i++) {
		if (!t->sec[i].present || seq_cost(t, &t->sec[i].seq) <=
		    TMPL_MAX_COST)
			continue;
		errlist_add(ps->errs, t->name, t->sec[i].line, NULL,
		    "[%s] can render more than %d bytes", sec_names[i],
		    TMPL_MAX_COST);
		ps->failed = 1;
	}
}

static void
check_lists(struct parser *ps)
{
	size_t	*order;

	if (ps->t->nlists == 0)
		return;
	order = xcalloc(ps->t->nlists, sizeof(*order));
	check_cycles(ps, order);
	if (!ps->failed)
		check_sizes(ps, order);
	free(order);
}

/* ---- loading --------------------------------------------------------- */

/* Valid UTF-8 without NUL bytes; otherwise an error at the bad line. */
static int
check_encoding(struct parser *ps, const char *text, size_t len)
{
	const uint8_t	*bad = u8_check((const uint8_t *)text, len);
	const char	*nul = memchr(text, '\0', len);
	const char	*at;
	unsigned	 line = 1;

	if (bad == NULL && nul == NULL)
		return 0;
	at = bad != NULL ? (const char *)bad : nul;
	if (nul != NULL && nul < at)
		at = nul;
	for (const char *p = text; p < at; p++)
		line += *p == '\n';
	perr(ps, line, at == nul ? "NUL byte in template" :
	    "invalid UTF-8 in template", NULL);
	return -1;
}

/* A copy with a leading BOM dropped and CRLF line ends made LF. */
static char *
normalise(const char *text, size_t len, size_t *outlen)
{
	char	*out = xmalloc(len + 1), *q = out;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	for (size_t i = 0; i < len; i++)
		if (text[i] != '\r' || i + 1 >= len || text[i + 1] != '\n')
			*q++ = text[i];
	*q = '\0';
	*outlen = (size_t)(q - out);
	return out;
}

struct tmpl *
tmpl_parse(const char *name, const char *text, size_t len,
    struct errlist *errs)
{
	struct parser	 ps = { 0 };
	char		*buf;
	size_t		 n;

	ps.t = xcalloc(1, sizeof(*ps.t));
	ps.t->name = xstrdup(name != NULL ? name : "(template)");
	ps.errs = errs;
	if (len > TMPL_MAX_FILE) {
		errlist_add(errs, ps.t->name, 0, NULL,
		    "larger than %d bytes", TMPL_MAX_FILE);
		tmpl_free(ps.t);
		return NULL;
	}
	if (check_encoding(&ps, text, len) == -1) {
		tmpl_free(ps.t);
		return NULL;
	}
	buf = normalise(text, len, &n);
	split(&ps, buf, buf + n);
	for (int i = 0; i < SEC_COUNT; i++)
		if (ps.t->sec[i].present)
			parse_section(&ps, i);
	for (size_t i = 0; i < ps.t->nlists; i++)
		parse_list(&ps, i);
	if (!ps.failed)
		check_lists(&ps);
	if (!ps.failed && !ps.t->sec[SEC_SUBJECT].present &&
	    !ps.t->sec[SEC_BODY].present && !ps.t->sec[SEC_HTML].present) {
		errlist_add(errs, ps.t->name, 0, NULL,
		    "no [subject], [body] or [html] section");
		ps.failed = 1;
	}
	free(buf);
	if (ps.failed) {
		tmpl_free(ps.t);
		return NULL;
	}
	return ps.t;
}

struct tmpl *
tmpl_load(const char *path, struct errlist *errs)
{
	struct tmpl	*t;
	char		*buf;
	size_t		 len;

	if ((buf = errlist_read_file(path, TMPL_MAX_FILE, &len, errs)) == NULL)
		return NULL;
	t = tmpl_parse(path, buf, len, errs);
	free(buf);
	return t;
}

/* ---- rendering ------------------------------------------------------- */

static int
sec_index(const char *section)
{
	for (int i = 0; section != NULL && i < SEC_COUNT; i++)
		if (strcmp(section, sec_names[i]) == 0)
			return i;
	return -1;
}

int
tmpl_has(const struct tmpl *t, const char *section)
{
	int	 i = sec_index(section);

	return t != NULL && i != -1 && t->sec[i].present;
}

const char *
tmpl_name(const struct tmpl *t)
{
	return t->name;
}

struct render {
	const struct tmpl	*t;
	const struct tmpl_var	*vars;
	size_t			 nvars;
	struct rng		*rng;
	struct buf		 out;
};

static void
render_var(struct render *r, const char *name)
{
	for (size_t i = 0; i < r->nvars; i++) {
		if (r->vars[i].name == NULL || strcmp(r->vars[i].name, name) != 0)
			continue;
		if (r->vars[i].value == NULL) {
			buf_add(&r->out, "{{", 2);
			buf_add(&r->out, name, strlen(name));
			buf_add(&r->out, "}}", 2);
		} else
			buf_add(&r->out, r->vars[i].value,
			    strlen(r->vars[i].value));
		return;
	}
}

/* Depth is bounded at load: TMPL_MAX_DEPTH groups per TMPL_MAX_PICKS lists. */
static void
render_seq(struct render *r, const struct seq *s)
{
	const struct list	*l;
	size_t			 k;

	for (size_t i = 0; i < s->n; i++) {
		const struct node *nd = &s->v[i];

		switch (nd->kind) {
		case N_TEXT:
			buf_add(&r->out, nd->u.text.p, nd->u.text.n);
			break;
		case N_VAR:
			render_var(r, var_names[nd->u.var]);
			break;
		case N_PICK:
			l = &r->t->lists[nd->u.list];
			k = (size_t)rng_range(r->rng, 0, l->n - 1);
			render_seq(r, &l->entries[k]);
			break;
		case N_SPIN:
			k = (size_t)rng_range(r->rng, 0, nd->u.spin.n - 1);
			render_seq(r, &nd->u.spin.alt[k]);
			break;
		}
	}
}

char *
tmpl_render(const struct tmpl *t, const char *section,
    const struct tmpl_var *vars, size_t nvars, struct rng *rng)
{
	struct render	 r = { 0 };
	int		 i = sec_index(section);

	if (t == NULL || i == -1 || !t->sec[i].present)
		return NULL;
	r.t = t;
	r.vars = vars;
	r.nvars = nvars;
	r.rng = rng;
	render_seq(&r, &t->sec[i].seq);
	return buf_finish(&r.out);
}

/* The value for a placeholder "{{name}}" at p, or NULL to keep it. */
static const char *
subst_value(const char *p, const struct tmpl_var *vars, size_t nvars,
    size_t *len)
{
	const char	*q = p + 2;
	size_t		 n;

	while (name_char(*q))
		q++;
	n = (size_t)(q - p - 2);
	if (n == 0 || q[0] != '}' || q[1] != '}')
		return NULL;
	for (size_t i = 0; i < nvars; i++) {
		if (vars[i].name == NULL || vars[i].value == NULL ||
		    strlen(vars[i].name) != n ||
		    memcmp(vars[i].name, p + 2, n) != 0)
			continue;
		*len = n + 4;
		return vars[i].value;
	}
	return NULL;
}

char *
tmpl_subst(const char *text, const struct tmpl_var *vars, size_t nvars)
{
	struct buf	 out = { 0 };
	const char	*p, *q, *v;
	size_t		 len;

	if (text == NULL)
		return xstrdup("");
	/* One pass: an inserted value is never scanned again. */
	for (p = text; (q = strstr(p, "{{")) != NULL; ) {
		buf_add(&out, p, (size_t)(q - p));
		if ((v = subst_value(q, vars, nvars, &len)) != NULL) {
			buf_add(&out, v, strlen(v));
			p = q + len;
		} else {
			buf_add(&out, q, 1);
			p = q + 1;
		}
	}
	buf_add(&out, p, strlen(p));
	return buf_finish(&out);
}

/* ---- names ----------------------------------------------------------- */

static int
name_split(int c)
{
	return c == '.' || c == '_' || c == '-';
}

/*
 * "ivan.petrov@x" -> "Ivan Petrov": words of the local part (a "+tag"
 * dropped), without digits, each capitalised.  A local part of digits
 * only comes back as it is, so the result is never empty.
 */
char *
tmpl_name_from_email(const char *email)
{
	struct buf	 out = { 0 };
	const char	*at, *end, *p;
	int		 word = 0;
	char		 c;

	if (email == NULL || (at = strrchr(email, '@')) == NULL ||
	    at == email || u8_check((const uint8_t *)email,
	    strlen(email)) != NULL)
		return xstrdup(email);
	if ((end = memchr(email, '+', (size_t)(at - email))) == NULL ||
	    end == email)
		end = at;
	for (p = email; p < end; p++) {
		c = *p;
		if (name_split(c)) {
			word = 0;
			continue;
		}
		if (c >= '0' && c <= '9')
			continue;
		if (!word) {
			if (out.n > 0)
				buf_add(&out, " ", 1);
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			word = 1;
		}
		buf_add(&out, &c, 1);
	}
	if (out.n == 0)
		buf_add(&out, email, (size_t)(end - email));
	return buf_finish(&out);
}
