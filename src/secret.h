/*
 * Secrets at rest: the master key file, AES-256-GCM sealing of account
 * passwords and recovery answers into versioned blobs, keyed fingerprints
 * to notice a changed password without decrypting, and the hex form in
 * which blobs travel to and from PostgreSQL bytea columns.
 */
#ifndef WARMD_SECRET_H
#define WARMD_SECRET_H

#include <stddef.h>

#define SECRET_KEY_LEN		32
/* Hex digits of a fingerprint, plus the NUL. */
#define SECRET_FP_SIZE		65

/* The master key and the sub-key derived from it for fingerprints. */
struct secret_key {
	unsigned char	 enc[SECRET_KEY_LEN];
	unsigned char	 fp[SECRET_KEY_LEN];
};

/*
 * Create a new key file at path (mode 0400, never overwriting); 0 on
 * success, -1 with a reason in errbuf.
 */
int	secret_keygen(const char *path, char *errbuf, size_t errlen);

/*
 * Load the key file at path into key, refusing a file that is group- or
 * world-accessible or not exactly 64 hex digits; 0 or -1 with errbuf.
 */
int	secret_key_load(const char *path, struct secret_key *key,
	    char *errbuf, size_t errlen);

/* Set key from raw bytes (and derive the fingerprint sub-key); 0 or -1. */
int	secret_key_set(struct secret_key *key,
	    const unsigned char raw[SECRET_KEY_LEN]);

/* Erase the key from memory. */
void	secret_key_wipe(struct secret_key *key);

/*
 * Encrypt pt bound to aad (the account id): a malloc'd blob of *outlen
 * bytes, version 0x01 || 12-byte nonce || ciphertext || 16-byte tag;
 * NULL only if the library fails.
 */
void	*secret_seal(const struct secret_key *key, const void *aad,
	    size_t aadlen, const void *pt, size_t ptlen, size_t *outlen);

/*
 * Decrypt a blob from secret_seal with the same aad: malloc'd plaintext,
 * NUL-terminated, length in *outlen (may be NULL); NULL if the version is
 * unknown, the blob is short, or authentication fails.
 */
char	*secret_open(const struct secret_key *key, const void *aad,
	    size_t aadlen, const void *blob, size_t bloblen, size_t *outlen);

/* Wipe len bytes of p (plus a NUL from secret_open) and free it. */
void	secret_free(void *p, size_t len);

/* Hex HMAC-SHA256 of data under the fingerprint sub-key; 0 or -1. */
int	secret_fingerprint(const struct secret_key *key, const void *data,
	    size_t len, char out[SECRET_FP_SIZE]);

/* "\x<hex>" text for a bytea query parameter; malloc'd. */
char	*secret_to_pg_bytea_hex(const void *data, size_t len);

/* Bytes of a "\x<hex>" bytea text result, malloc'd; NULL if malformed. */
void	*secret_from_pg_bytea_hex(const char *text, size_t *outlen);

#endif
