/*
 * Letter and reply templates: a small text format with sections, lists,
 * variables and nested spintax, checked completely when the config is
 * loaded (errors carry file:line) so nothing can fail at send time.
 *
 * File format (UTF-8):
 *   [subject]                 a section: the text up to the next header
 *   {Hi|Hello} {{recipient_name}},
 *   [body]
 *   {{pick:greeting}} ...
 *   [list greeting]           one entry per line, picked at random
 *   Привет
 *   Добрый день
 * Spintax {a|b|{c|d}} picks one alternative, nesting allowed, empty
 * alternatives too; \{ \} \| and \\ are literal, and so are a "|"
 * outside any group and any other backslash.  {{name}} is a variable;
 * {{pick:LIST}} a random entry of a [list LIST] section, which may pick
 * from other lists but never, even indirectly, from itself.  Lines
 * starting with "#" before the first section are comments.  A line that
 * is all "[...]" is a header; sections are subject (one line), body,
 * html and "list NAME", each at most once; a section keeps its blank
 * lines but not its trailing newlines, a list entry is a non-blank line
 * without its surrounding blanks.  Files are at most 256 KiB of UTF-8.
 *
 * Rendering happens in two passes.  When a letter is planned, every
 * random choice is made with the campaign's seeded rng and the variables
 * known then are filled; a variable passed with a NULL value is deferred
 * and kept as "{{name}}", to be filled by tmpl_subst when the letter it
 * answers has been read (the original subject, its sender).
 */
#ifndef WARMD_TEMPLATE_H
#define WARMD_TEMPLATE_H

#include <stddef.h>

struct errlist;
struct rng;
struct tmpl;

/* Variable names a template may use; any other name is a load error. */
#define TMPL_VARS { "recipient_name", "recipient_email", "sender_name", \
	"sender_email", "subject", "date", NULL }

struct tmpl_var {
	const char	*name;
	const char	*value;		/* NULL: deferred, kept as {{name}} */
};

/* Parse a template file; NULL with "path:line: message" errors appended. */
struct tmpl	*tmpl_load(const char *path, struct errlist *errs);
/* Parse text (name is used in errors); NULL with errors appended. */
struct tmpl	*tmpl_parse(const char *name, const char *text, size_t len,
		    struct errlist *errs);
/* Free; NULL is allowed. */
void		 tmpl_free(struct tmpl *t);
/* Whether the template has section (e.g. "subject", "body"). */
int		 tmpl_has(const struct tmpl *t, const char *section);
/* The file name given to tmpl_load/tmpl_parse. */
const char	*tmpl_name(const struct tmpl *t);

/*
 * Render section with rng and vars (variables missing from vars render
 * as ""); a malloc'd UTF-8 string, or NULL when there is no such section.
 */
char		*tmpl_render(const struct tmpl *t, const char *section,
		    const struct tmpl_var *vars, size_t nvars, struct rng *rng);
/*
 * Fill the {{name}} placeholders left in text by a deferred render;
 * other text is copied as is.  Always a malloc'd string.
 */
char		*tmpl_subst(const char *text, const struct tmpl_var *vars,
		    size_t nvars);
/* A display name guessed from an address: "ivan.petrov@x" -> "Ivan Petrov". */
char		*tmpl_name_from_email(const char *email);

#endif
