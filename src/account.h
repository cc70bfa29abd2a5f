/*
 * One mailbox as a session needs it: identity, decrypted secrets and the
 * network identity chosen for it.  Loaded from PostgreSQL by acctstore.c;
 * secrets live in memory only while the account is worked and are wiped
 * when it is freed.
 */
#ifndef WARMD_ACCOUNT_H
#define WARMD_ACCOUNT_H

struct account {
	char	 id[37];		/* uuid text */
	char	*email;
	char	*password;		/* plaintext; wiped on free */
	char	*question;		/* recovery question or NULL */
	char	*answer;		/* recovery answer (plaintext) or NULL */
	char	*user_agent;
	char	*proxy_uri;		/* with credentials, or NULL: fallback */
	char	*auth_methods;		/* "mobile,web,cookies" or NULL: global */
	char	*imported_cookies;	/* decrypted Netscape blob or NULL */
	char	*status;		/* active, error, suspended */
};

/* Wipe the secrets, free every field and the struct; NULL is fine. */
void	account_free(struct account *a);

#endif
