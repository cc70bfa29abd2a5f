/*
 * Secrets at rest; see secret.h.
 *
 * Blob format, version 0x01:
 *
 *	0x01 || nonce (12) || AES-256-GCM ciphertext || tag (16)
 *
 * with the account id as additional authenticated data, so a blob copied
 * onto another account's row fails to open.  Every seal draws a fresh
 * nonce from RAND_bytes: with GCM a repeated nonce under one key leaks the
 * XOR of plaintexts and the authentication key.  The version byte lets a
 * later format (or key rotation) coexist with stored rows.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "secret.h"
#include "xmalloc.h"

#define BLOB_VERSION	0x01
#define NONCE_LEN	12
#define TAG_LEN		16
#define BLOB_OVERHEAD	(1 + NONCE_LEN + TAG_LEN)
#define KEYFILE_HEX	(SECRET_KEY_LEN * 2)

/* Changing these changes every stored fingerprint. */
#define FP_SALT		"warmd"
#define FP_INFO		"warmd password fingerprint v1"

static const char hexdigits[] = "0123456789abcdef";

static int	 hexval(int);
static void	 hex_encode(const unsigned char *, size_t, char *);
static int	 derive_fp_key(const unsigned char *, unsigned char *);

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
hex_encode(const unsigned char *p, size_t len, char *out)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hexdigits[p[i] >> 4];
		out[2 * i + 1] = hexdigits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/*
 * HKDF-SHA256 sub-key for fingerprints, so the HMAC never runs under the
 * encryption key itself.
 */
static int
derive_fp_key(const unsigned char *ikm, unsigned char *out)
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*ctx;
	OSSL_PARAM	 params[5], *p = params;
	int		 rc = -1;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return -1;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return -1;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)ikm, SECRET_KEY_LEN);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)FP_SALT, sizeof(FP_SALT) - 1);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)FP_INFO, sizeof(FP_INFO) - 1);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, SECRET_KEY_LEN, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	return rc;
}

int
secret_key_set(struct secret_key *key, const unsigned char raw[SECRET_KEY_LEN])
{
	memcpy(key->enc, raw, SECRET_KEY_LEN);
	if (derive_fp_key(key->enc, key->fp) == -1) {
		secret_key_wipe(key);
		return -1;
	}
	return 0;
}

void
secret_key_wipe(struct secret_key *key)
{
	OPENSSL_cleanse(key, sizeof(*key));
}

int
secret_keygen(const char *path, char *errbuf, size_t errlen)
{
	unsigned char	 raw[SECRET_KEY_LEN];
	char		 text[KEYFILE_HEX + 2];
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		snprintf(errbuf, errlen, "no random bytes for a key");
		return -1;
	}
	hex_encode(raw, sizeof(raw), text);
	OPENSSL_cleanse(raw, sizeof(raw));
	text[KEYFILE_HEX] = '\n';

	/* O_EXCL: an existing key encrypts stored rows; never replace it. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0400);
	if (fd == -1) {
		if (errno == EEXIST)
			snprintf(errbuf, errlen,
			    "%s: already exists; refusing to overwrite a key",
			    path);
		else
			snprintf(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
		OPENSSL_cleanse(text, sizeof(text));
		return -1;
	}
	/* The umask could only narrow 0400, but be explicit. */
	if (fchmod(fd, 0400) == -1)
		goto fail;
	while (off < KEYFILE_HEX + 1) {
		r = write(fd, text + off, KEYFILE_HEX + 1 - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		off += (size_t)r;
	}
	if (fsync(fd) == -1)
		goto fail;
	OPENSSL_cleanse(text, sizeof(text));
	if (close(fd) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
fail:
	snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	unlink(path);
	return -1;
}

int
secret_key_load(const char *path, struct secret_key *key, char *errbuf,
    size_t errlen)
{
	struct stat	 st;
	unsigned char	 raw[SECRET_KEY_LEN];
	char		 text[KEYFILE_HEX + 64];
	size_t		 len = 0, i;
	ssize_t		 r;
	int		 fd, hi, lo, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* fstat on the open descriptor: nothing can swap the file between. */
	if (fstat(fd, &st) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(errbuf, errlen,
		    "%s: key file is group- or world-accessible (mode %04o); "
		    "chmod 0400 it", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	while (len < sizeof(text)) {
		r = read(fd, text + len, sizeof(text) - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	/* Tolerate the newline (and an editor's CR or blanks) at the end. */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	    text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len != KEYFILE_HEX) {
		snprintf(errbuf, errlen,
		    "%s: wrong key length (expected %d hex digits)", path,
		    KEYFILE_HEX);
		goto out;
	}
	for (i = 0; i < SECRET_KEY_LEN; i++) {
		if ((hi = hexval((unsigned char)text[2 * i])) == -1 ||
		    (lo = hexval((unsigned char)text[2 * i + 1])) == -1) {
			snprintf(errbuf, errlen, "%s: bad hex in key file",
			    path);
			goto out;
		}
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	if (secret_key_set(key, raw) == -1) {
		snprintf(errbuf, errlen, "%s: cannot derive sub-key", path);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	return rc;
}

void *
secret_seal(const struct secret_key *key, const void *aad, size_t aadlen,
    const void *pt, size_t ptlen, size_t *outlen)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	*out, *nonce, *ct;
	int		 n, fin;

	/* EVP takes int lengths. */
	if (ptlen > INT_MAX - BLOB_OVERHEAD || aadlen > INT_MAX)
		return NULL;
	out = xmalloc(BLOB_OVERHEAD + ptlen);
	out[0] = BLOB_VERSION;
	nonce = out + 1;
	ct = nonce + NONCE_LEN;
	if (RAND_bytes(nonce, NONCE_LEN) != 1)
		goto fail;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key->enc, nonce) != 1)
		goto fail;
	if (aadlen > 0 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto fail;
	n = 0;
	if (ptlen > 0 &&
	    EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) != 1)
		goto fail;
	if (EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != ptlen ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
	    ct + ptlen) != 1)
		goto fail;
	EVP_CIPHER_CTX_free(ctx);
	*outlen = BLOB_OVERHEAD + ptlen;
	return out;
fail:
	EVP_CIPHER_CTX_free(ctx);
	free(out);
	return NULL;
}

char *
secret_open(const struct secret_key *key, const void *aad, size_t aadlen,
    const void *blob, size_t bloblen, size_t *outlen)
{
	EVP_CIPHER_CTX		*ctx = NULL;
	const unsigned char	*b = blob, *nonce, *ct;
	unsigned char		 tag[TAG_LEN];
	char			*pt;
	size_t			 ctlen;
	int			 n, fin;

	if (bloblen < BLOB_OVERHEAD || b[0] != BLOB_VERSION ||
	    bloblen - BLOB_OVERHEAD > INT_MAX || aadlen > INT_MAX)
		return NULL;
	nonce = b + 1;
	ct = nonce + NONCE_LEN;
	ctlen = bloblen - BLOB_OVERHEAD;
	/* The tag is copied because the ctrl takes a non-const pointer. */
	memcpy(tag, ct + ctlen, TAG_LEN);
	pt = xmalloc(ctlen + 1);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE_LEN,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key->enc, nonce) != 1)
		goto fail;
	if (aadlen > 0 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto fail;
	n = 0;
	if (ctlen > 0 &&
	    EVP_DecryptUpdate(ctx, (unsigned char *)pt, &n, ct,
	    (int)ctlen) != 1)
		goto fail;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
	    tag) != 1)
		goto fail;
	/* Nothing decrypted is returned unless the tag verifies here. */
	if (EVP_DecryptFinal_ex(ctx, (unsigned char *)pt + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != ctlen)
		goto fail;
	EVP_CIPHER_CTX_free(ctx);
	pt[ctlen] = '\0';
	if (outlen != NULL)
		*outlen = ctlen;
	return pt;
fail:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(pt, ctlen + 1);
	free(pt);
	return NULL;
}

void
secret_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len + 1);
	free(p);
}

int
secret_fingerprint(const struct secret_key *key, const void *data,
    size_t len, char out[SECRET_FP_SIZE])
{
	unsigned char	 md[32];
	size_t		 mdlen = 0;

	if (data == NULL)
		data = "";
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key->fp,
	    SECRET_KEY_LEN, data, len, md, sizeof(md), &mdlen) == NULL ||
	    mdlen != sizeof(md)) {
		out[0] = '\0';
		return -1;
	}
	hex_encode(md, sizeof(md), out);
	return 0;
}

char *
secret_to_pg_bytea_hex(const void *data, size_t len)
{
	char	*s;

	if (len > (SIZE_MAX - 3) / 2)
		return NULL;
	s = xmalloc(2 * len + 3);
	s[0] = '\\';
	s[1] = 'x';
	hex_encode(data, len, s + 2);
	return s;
}

void *
secret_from_pg_bytea_hex(const char *text, size_t *outlen)
{
	unsigned char	*out;
	size_t		 n, i;
	int		 hi, lo;

	if (text == NULL || text[0] != '\\' || text[1] != 'x')
		return NULL;
	text += 2;
	n = strlen(text);
	if (n % 2 != 0)
		return NULL;
	out = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		if ((hi = hexval((unsigned char)text[2 * i])) == -1 ||
		    (lo = hexval((unsigned char)text[2 * i + 1])) == -1) {
			free(out);
			return NULL;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*outlen = n / 2;
	return out;
}
