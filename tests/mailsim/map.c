/*
 * String-keyed hash map with chaining. Lookups by cookie, token and address
 * must stay O(1) with tens of thousands of mailboxes and sessions.
 */
#include <stdlib.h>
#include <string.h>

#include "mailsim.h"

struct entry {
	struct entry	*next;
	uint64_t	 hash;
	void		*val;
	char		 key[];
};

struct map {
	struct entry	**b;
	size_t		 nb;
	size_t		 n;
};

static uint64_t
map_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (h);
}

/* Make an empty map. */
struct map *
map_new(void)
{
	struct map *m = xcalloc(1, sizeof(*m));

	m->nb = 64;
	m->b = xcalloc(m->nb, sizeof(*m->b));
	return (m);
}

/* Free the map, calling fn on each value when given. */
void
map_free(struct map *m, void (*fn)(void *))
{
	size_t i;
	struct entry *e, *n;

	if (m == NULL)
		return;
	for (i = 0; i < m->nb; i++) {
		for (e = m->b[i]; e != NULL; e = n) {
			n = e->next;
			if (fn != NULL)
				fn(e->val);
			free(e);
		}
	}
	free(m->b);
	free(m);
}

static void
map_grow(struct map *m)
{
	size_t i, nb = m->nb * 2;
	struct entry **b = xcalloc(nb, sizeof(*b)), *e, *n;

	for (i = 0; i < m->nb; i++) {
		for (e = m->b[i]; e != NULL; e = n) {
			n = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

/* Value for key, or NULL. */
void *
map_get(struct map *m, const char *key)
{
	uint64_t h = map_hash(key);
	struct entry *e;

	for (e = m->b[h & (m->nb - 1)]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return (e->val);
	return (NULL);
}

/* Insert or replace; returns 1 when the key was new. */
int
map_put(struct map *m, const char *key, void *val)
{
	uint64_t h = map_hash(key);
	struct entry *e;
	size_t len = strlen(key);

	for (e = m->b[h & (m->nb - 1)]; e != NULL; e = e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			e->val = val;
			return (0);
		}
	}
	if (m->n >= m->nb)
		map_grow(m);
	e = xcalloc(1, sizeof(*e) + len + 1);
	memcpy(e->key, key, len + 1);
	e->hash = h;
	e->val = val;
	e->next = m->b[h & (m->nb - 1)];
	m->b[h & (m->nb - 1)] = e;
	m->n++;
	return (1);
}

/* Remove key; returns its value or NULL. */
void *
map_del(struct map *m, const char *key)
{
	uint64_t h = map_hash(key);
	struct entry **pp, *e;
	void *v;

	for (pp = &m->b[h & (m->nb - 1)]; *pp != NULL; pp = &(*pp)->next) {
		e = *pp;
		if (e->hash == h && strcmp(e->key, key) == 0) {
			*pp = e->next;
			v = e->val;
			free(e);
			m->n--;
			return (v);
		}
	}
	return (NULL);
}

size_t
map_count(struct map *m)
{
	return (m->n);
}

/* Call fn for every entry; fn must not change the map. */
void
map_each(struct map *m, void (*fn)(const char *, void *, void *), void *arg)
{
	size_t i;
	struct entry *e;

	for (i = 0; i < m->nb; i++)
		for (e = m->b[i]; e != NULL; e = e->next)
			fn(e->key, e->val, arg);
}
