/*
 * One mailbox in memory.  Only freeing lives here: acctstore.c fills the
 * struct, the session layer reads it.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"

/* Overwrite before free, so a secret does not linger in the heap. */
static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
account_free(struct account *a)
{
	if (a == NULL)
		return;
	free(a->email);
	wipe_free(a->password);
	free(a->question);
	wipe_free(a->answer);
	free(a->user_agent);
	/* Proxy URIs may carry credentials. */
	wipe_free(a->proxy_uri);
	free(a->auth_methods);
	/* Cookies of a live login are as good as the password. */
	wipe_free(a->imported_cookies);
	free(a->status);
	explicit_bzero(a, sizeof(*a));
	free(a);
}
