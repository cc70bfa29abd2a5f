/*
 * HTML side of the mail.ru provider: finding a link by its visible text in
 * a letter (what a person clicks), unwrapping mail.ru's link redirectors
 * for logs, and the CSRF token embedded in a mailbox page.  libxml2's
 * forgiving HTML parser does the parsing, because letters are rarely valid
 * HTML and entities, nested tags and comments must read as a browser
 * shows them.  See mailru.h.
 */
#define _GNU_SOURCE	/* memmem */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "mailru.h"
#include "textmatch.h"
#include "mailru_defs.h"
#include "xmalloc.h"

#define HTML_OPTS	(HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
			    HTML_PARSE_NONET | HTML_PARSE_RECOVER)
/* Nested redirectors unwrapped at most this deep. */
#define MAX_UNWRAP	4
#define MAX_TOKEN	1024

static htmlDocPtr
parse_html(const char *html, size_t len)
{
	if (html == NULL || len == 0 || len > INT_MAX)
		return NULL;
	return htmlReadMemory(html, (int)len, NULL, "UTF-8", HTML_OPTS);
}

/* Document order walk without recursion: deep letters cost no stack. */
static xmlNodePtr
next_node(xmlNodePtr n, xmlNodePtr root)
{
	if (n->children != NULL && n->type == XML_ELEMENT_NODE)
		return n->children;
	while (n != NULL && n != root) {
		if (n->next != NULL)
			return n->next;
		n = n->parent;
	}
	return NULL;
}

static char *
trimmed(const char *s)
{
	size_t	n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return xstrndup(s, n);
}

int
mailru_find_link(const char *html, size_t len, const char *anchor,
    char **url)
{
	htmlDocPtr	 doc;
	xmlNodePtr	 root, n;
	xmlChar		*href, *text;
	char		*want, *got, *sub = NULL, *exact = NULL;

	*url = NULL;
	if (anchor == NULL)
		return -1;
	want = text_fold(anchor);
	if (*want == '\0' || (doc = parse_html(html, len)) == NULL) {
		free(want);
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	for (n = root; n != NULL && exact == NULL; n = next_node(n, root)) {
		if (n->type != XML_ELEMENT_NODE || n->name == NULL ||
		    xmlStrcasecmp(n->name, (const xmlChar *)"a") != 0)
			continue;
		if ((href = xmlGetProp(n, (const xmlChar *)"href")) == NULL)
			continue;
		text = xmlNodeGetContent(n);
		got = text_fold(text != NULL ? (const char *)text : "");
		if (strcmp(got, want) == 0)
			exact = trimmed((const char *)href);
		else if (sub == NULL && strstr(got, want) != NULL)
			sub = trimmed((const char *)href);
		free(got);
		xmlFree(text);
		xmlFree(href);
	}
	xmlFreeDoc(doc);
	free(want);
	if (exact != NULL) {
		free(sub);
		*url = exact;
	} else
		*url = sub;
	if (*url != NULL && **url == '\0') {
		free(*url);
		*url = NULL;
	}
	return *url != NULL ? 0 : -1;
}

/* Target of one redirector hop, or NULL if url is not a redirector. */
static char *
unwrap_once(const char *url)
{
	const char	*p, *path;
	size_t		 n;

	if ((p = strstr(url, "://")) == NULL)
		return NULL;
	p += 3;
	path = p + strcspn(p, "/?#");
	if (*path != '/')
		return NULL;
	n = strcspn(path, "?#");
	if (n == strlen(MRD_REDIR_PROXY_PATH) &&
	    strncmp(path, MRD_REDIR_PROXY_PATH, n) == 0)
		return mailru_url_param(url, MRD_REDIR_PROXY_KEY);
	if (n == strlen(MRD_REDIR_CLICK_PATH) &&
	    strncmp(path, MRD_REDIR_CLICK_PATH, n) == 0)
		return mailru_url_param(url, MRD_REDIR_CLICK_KEY);
	return NULL;
}

char *
mailru_unwrap_redirect(const char *url)
{
	char	*cur = NULL, *next;
	int	 i;

	if (url == NULL)
		return NULL;
	for (i = 0; i < MAX_UNWRAP; i++) {
		next = unwrap_once(cur != NULL ? cur : url);
		if (next == NULL || *next == '\0') {
			free(next);
			break;
		}
		free(cur);
		cur = next;
	}
	return cur;
}

static int
token_ok(const char *t)
{
	size_t	n = strlen(t), i;

	if (n == 0 || n > MAX_TOKEN)
		return 0;
	for (i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~' || t[i] == '"' || t[i] == '\\')
			return 0;
	return 1;
}

/* userConfig.api[*].data.body.token of the sota.config JSON (§2.1). */
static char *
sota_token(const char *js)
{
	json_t		*root, *api, *e;
	json_error_t	 jerr;
	const char	*t;
	char		*out = NULL;
	size_t		 i;

	if ((root = json_loads(js, 0, &jerr)) == NULL)
		return NULL;
	api = json_object_get(json_object_get(root, "userConfig"), "api");
	json_array_foreach(api, i, e) {
		t = json_string_value(json_object_get(json_object_get(
		    json_object_get(e, "data"), "body"), "token"));
		if (t != NULL && token_ok(t)) {
			out = xstrdup(t);
			break;
		}
	}
	json_decref(root);
	return out;
}

/* The older patron.updateToken("<token>") call (§2.1). */
static char *
patron_token(const char *html, size_t len)
{
	const char	*p, *end;
	size_t		 m = strlen(MRD_PATRON_TOKEN);
	char		*t;

	if ((p = memmem(html, len, MRD_PATRON_TOKEN, m)) == NULL)
		return NULL;
	p += m;
	end = memchr(p, '"', len - (size_t)(p - html));
	if (end == NULL || end == p || end - p > MAX_TOKEN)
		return NULL;
	t = xstrndup(p, (size_t)(end - p));
	if (strlen(t) != (size_t)(end - p) || !token_ok(t)) {
		free(t);
		return NULL;
	}
	return t;
}

char *
mailru_html_token(const char *html, size_t len)
{
	htmlDocPtr	 doc;
	xmlNodePtr	 root, n;
	xmlChar		*id, *text;
	char		*tok = NULL;

	if ((doc = parse_html(html, len)) != NULL) {
		root = xmlDocGetRootElement(doc);
		for (n = root; n != NULL && tok == NULL;
		    n = next_node(n, root)) {
			if (n->type != XML_ELEMENT_NODE ||
			    xmlStrcasecmp(n->name,
			    (const xmlChar *)"script") != 0)
				continue;
			id = xmlGetProp(n, (const xmlChar *)"id");
			if (id != NULL && xmlStrcmp(id,
			    (const xmlChar *)MRD_SOTA_SCRIPT_ID) == 0) {
				text = xmlNodeGetContent(n);
				if (text != NULL)
					tok = sota_token((const char *)text);
				xmlFree(text);
			}
			xmlFree(id);
		}
		xmlFreeDoc(doc);
	}
	if (tok == NULL && html != NULL)
		tok = patron_token(html, len);
	return tok;
}
