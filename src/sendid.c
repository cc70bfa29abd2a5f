#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "sendid.h"
#include "xmalloc.h"

void
sendid_make(const char *idem_key, const char *job_id, char send_id[33],
    char token[13])
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*src;

	src = idem_key != NULL ? xasprintf("warmd:key:%s", idem_key) :
	    xasprintf("warmd:job:%s", job_id);
	SHA256((const unsigned char *)src, strlen(src), md);
	free(src);
	for (int i = 0; i < 16; i++)
		snprintf(send_id + 2 * i, 3, "%02x", md[i]);
	token[0] = 'w';
	token[1] = 'm';
	for (int i = 0; i < 10; i++)
		token[2 + i] = b32[md[16 + i] & 31];
	token[12] = '\0';
}
