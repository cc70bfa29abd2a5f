/*
 * Unit tests for secret.c: sealing round trips, tamper and wrong-AAD
 * detection, fresh nonces, fingerprints, the key file's creation and
 * permission checks, and the bytea hex helpers.
 */
#define _GNU_SOURCE		/* asprintf */

#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/crypto.h>

#include "secret.h"

#define AAD	"6f1c2d3e-0000-4000-8000-000000000001"

static char		 tmpdir[256];
static struct secret_key key;

static int
setup(void **state)
{
	const char	*base = getenv("TMPDIR");
	unsigned char	 raw[SECRET_KEY_LEN];
	size_t		 i;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_secret.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)i;
	return secret_key_set(&key, raw);
}

static int
teardown(void **state)
{
	(void)state;
	secret_key_wipe(&key);
	/* Release OpenSSL's globals so leak checkers see a clean exit. */
	OPENSSL_cleanup();
	return rmdir(tmpdir);
}

static char *
tmp_path(const char *name)
{
	char	*p;

	assert_true(asprintf(&p, "%s/%s", tmpdir, name) > 0);
	return p;
}

static void
write_key_file(const char *path, const char *text, mode_t mode)
{
	int	 fd;

	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void
test_round_trip(void **state)
{
	static const char	*pts[] = {
		"hunter2", "", "пароль; with ;", "x",
	};
	unsigned char		*blob;
	char			*pt;
	size_t			 blen, plen, i;

	(void)state;
	for (i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		blob = secret_seal(&key, AAD, strlen(AAD), pts[i],
		    strlen(pts[i]), &blen);
		assert_non_null(blob);
		assert_int_equal(blen, 1 + 12 + strlen(pts[i]) + 16);
		assert_int_equal(blob[0], 0x01);
		/*
		 * The plaintext does not show through (only checked where a
		 * chance match in random bytes is negligible).
		 */
		if (strlen(pts[i]) >= 6)
			assert_null(memmem(blob, blen, pts[i],
			    strlen(pts[i])));
		pt = secret_open(&key, AAD, strlen(AAD), blob, blen, &plen);
		assert_non_null(pt);
		assert_int_equal(plen, strlen(pts[i]));
		assert_string_equal(pt, pts[i]);
		secret_free(pt, plen);
		free(blob);
	}

	/* Without AAD, and binary plaintext with a NUL inside. */
	blob = secret_seal(&key, NULL, 0, "a\0b", 3, &blen);
	assert_non_null(blob);
	pt = secret_open(&key, NULL, 0, blob, blen, &plen);
	assert_non_null(pt);
	assert_int_equal(plen, 3);
	assert_memory_equal(pt, "a\0b", 4);
	secret_free(pt, plen);
	free(blob);
	secret_free(NULL, 0);
}

static void
test_tamper(void **state)
{
	unsigned char	*blob;
	char		*pt;
	size_t		 blen, i, b;

	(void)state;
	blob = secret_seal(&key, AAD, strlen(AAD), "hunter2", 7, &blen);
	assert_non_null(blob);
	/* Every bit of version, nonce, ciphertext and tag is covered. */
	for (i = 0; i < blen; i++) {
		for (b = 0; b < 8; b++) {
			blob[i] ^= (unsigned char)(1u << b);
			pt = secret_open(&key, AAD, strlen(AAD), blob, blen,
			    NULL);
			if (pt != NULL)
				fail_msg("flip of byte %zu bit %zu accepted",
				    i, b);
			blob[i] ^= (unsigned char)(1u << b);
		}
	}
	/* Truncated, short, extended. */
	assert_null(secret_open(&key, AAD, strlen(AAD), blob, blen - 1, NULL));
	assert_null(secret_open(&key, AAD, strlen(AAD), blob, 28, NULL));
	assert_null(secret_open(&key, AAD, strlen(AAD), blob, 0, NULL));
	/* Unknown version even with an otherwise intact blob. */
	blob[0] = 0x02;
	assert_null(secret_open(&key, AAD, strlen(AAD), blob, blen, NULL));
	blob[0] = 0x01;
	pt = secret_open(&key, AAD, strlen(AAD), blob, blen, NULL);
	assert_non_null(pt);
	secret_free(pt, 7);
	free(blob);
}

static void
test_wrong_aad_and_key(void **state)
{
	struct secret_key	 other;
	unsigned char		 raw[SECRET_KEY_LEN];
	unsigned char		*blob;
	size_t			 blen;

	(void)state;
	blob = secret_seal(&key, AAD, strlen(AAD), "hunter2", 7, &blen);
	assert_non_null(blob);
	assert_null(secret_open(&key, "other-id", 8, blob, blen, NULL));
	assert_null(secret_open(&key, NULL, 0, blob, blen, NULL));
	assert_null(secret_open(&key, AAD, strlen(AAD) - 1, blob, blen, NULL));
	memset(raw, 0xee, sizeof(raw));
	assert_int_equal(secret_key_set(&other, raw), 0);
	assert_null(secret_open(&other, AAD, strlen(AAD), blob, blen, NULL));
	secret_key_wipe(&other);
	free(blob);
}

static void
test_fresh_nonce(void **state)
{
	unsigned char	*a, *b;
	size_t		 alen, blen;

	(void)state;
	a = secret_seal(&key, AAD, strlen(AAD), "hunter2", 7, &alen);
	b = secret_seal(&key, AAD, strlen(AAD), "hunter2", 7, &blen);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(alen, blen);
	assert_memory_not_equal(a + 1, b + 1, 12);
	assert_memory_not_equal(a, b, alen);
	free(a);
	free(b);
}

static void
test_fingerprint(void **state)
{
	struct secret_key	 other;
	unsigned char		 raw[SECRET_KEY_LEN];
	char			 f1[SECRET_FP_SIZE], f2[SECRET_FP_SIZE];
	char			 f3[SECRET_FP_SIZE], f4[SECRET_FP_SIZE];
	size_t			 i;

	(void)state;
	assert_int_equal(secret_fingerprint(&key, "hunter2", 7, f1), 0);
	assert_int_equal(secret_fingerprint(&key, "hunter2", 7, f2), 0);
	assert_int_equal(strlen(f1), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", f1[i]));
	assert_string_equal(f1, f2);
	assert_int_equal(secret_fingerprint(&key, "hunter3", 7, f3), 0);
	assert_string_not_equal(f1, f3);
	assert_int_equal(secret_fingerprint(&key, NULL, 0, f3), 0);
	assert_int_equal(strlen(f3), 64);

	/* Keyed: another master key gives another fingerprint. */
	memset(raw, 0xee, sizeof(raw));
	assert_int_equal(secret_key_set(&other, raw), 0);
	assert_int_equal(secret_fingerprint(&other, "hunter2", 7, f4), 0);
	assert_string_not_equal(f1, f4);
	/* And the sub-key is not the master key. */
	assert_memory_not_equal(other.enc, other.fp, SECRET_KEY_LEN);
	secret_key_wipe(&other);
	for (i = 0; i < sizeof(other); i++)
		assert_int_equal(((unsigned char *)&other)[i], 0);
}

static void
test_keygen_and_load(void **state)
{
	struct secret_key	 k1, k2;
	struct stat		 st;
	char			 err[256], *path, fp1[SECRET_FP_SIZE];
	char			 fp2[SECRET_FP_SIZE], text[128];
	unsigned char		*blob;
	char			*pt;
	size_t			 blen;
	FILE			*fp;

	(void)state;
	path = tmp_path("key");
	assert_int_equal(secret_keygen(path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(st.st_size, 65);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(text, sizeof(text), fp));
	fclose(fp);
	assert_int_equal(strlen(text), 65);
	assert_int_equal(text[64], '\n');

	/* Never overwrites. */
	err[0] = '\0';
	assert_int_equal(secret_keygen(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "refusing to overwrite"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 65);

	assert_int_equal(secret_key_load(path, &k1, err, sizeof(err)), 0);
	assert_int_equal(secret_key_load(path, &k2, err, sizeof(err)), 0);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_int_equal(secret_fingerprint(&k1, "x", 1, fp1), 0);
	assert_int_equal(secret_fingerprint(&k2, "x", 1, fp2), 0);
	assert_string_equal(fp1, fp2);
	blob = secret_seal(&k1, AAD, strlen(AAD), "hunter2", 7, &blen);
	assert_non_null(pt = secret_open(&k2, AAD, strlen(AAD), blob, blen,
	    NULL));
	assert_string_equal(pt, "hunter2");
	secret_free(pt, 7);
	free(blob);

	/* Two generated keys differ. */
	{
		char	*path2 = tmp_path("key2");

		assert_int_equal(secret_keygen(path2, err, sizeof(err)), 0);
		assert_int_equal(secret_key_load(path2, &k2, err,
		    sizeof(err)), 0);
		assert_memory_not_equal(k1.enc, k2.enc, SECRET_KEY_LEN);
		assert_int_equal(unlink(path2), 0);
		free(path2);
	}
	/* Key material never appears in an error. */
	assert_null(strstr(err, text));
	secret_key_wipe(&k1);
	secret_key_wipe(&k2);
	assert_int_equal(unlink(path), 0);
	free(path);

	/* Missing directory. */
	path = tmp_path("nodir/key");
	assert_int_equal(secret_keygen(path, err, sizeof(err)), -1);
	assert_int_equal(secret_key_load(path, &k1, err, sizeof(err)), -1);
	free(path);
}

static void
test_load_refusals(void **state)
{
	static const char	 good[] =
	    "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191A1B1C1D1E1F\n";
	struct secret_key	 k;
	char			 err[256], *path;

	(void)state;
	path = tmp_path("k");

	write_key_file(path, good, 0644);
	assert_int_equal(secret_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "group- or world-accessible"));
	assert_non_null(strstr(err, "0644"));
	write_key_file(path, good, 0440);
	assert_int_equal(secret_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "group- or world-accessible"));
	write_key_file(path, good, 0404);
	assert_int_equal(secret_key_load(path, &k, err, sizeof(err)), -1);

	/* 0600 is not wider than the owner; upper-case hex is fine. */
	write_key_file(path, good, 0600);
	assert_int_equal(secret_key_load(path, &k, err, sizeof(err)), 0);
	/* The same bytes as the fixture key. */
	assert_memory_equal(k.enc, key.enc, SECRET_KEY_LEN);
	assert_memory_equal(k.fp, key.fp, SECRET_KEY_LEN);
	secret_key_wipe(&k);

	write_key_file(path, "000102030405060708090a0b0c0d0e0f\r\n", 0400);
	assert_int_equal(secret_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wrong key length"));
	write_key_file(path, "", 0400);
	assert_int_equal(secret_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wrong key length"));
	write_key_file(path, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f00\n", 0400);
	assert_int_equal(secret_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "wrong key length"));
	write_key_file(path, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1g\n", 0400);
	assert_int_equal(secret_key_load(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad hex"));
	assert_null(strstr(err, "0001020304"));
	assert_int_equal(unlink(path), 0);

	/* Not a regular file. */
	assert_int_equal(secret_key_load(tmpdir, &k, err, sizeof(err)), -1);
	free(path);
}

static void
test_bytea_hex(void **state)
{
	static const unsigned char	 data[] = { 0x00, 0x01, 0xab, 0xff };
	unsigned char			*back;
	char				*s;
	size_t				 n;

	(void)state;
	s = secret_to_pg_bytea_hex(data, sizeof(data));
	assert_string_equal(s, "\\x0001abff");
	back = secret_from_pg_bytea_hex(s, &n);
	assert_non_null(back);
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(back, data, sizeof(data));
	free(back);
	free(s);

	s = secret_to_pg_bytea_hex("", 0);
	assert_string_equal(s, "\\x");
	back = secret_from_pg_bytea_hex(s, &n);
	assert_non_null(back);
	assert_int_equal(n, 0);
	free(back);
	free(s);

	assert_non_null(back = secret_from_pg_bytea_hex("\\xABcd", &n));
	assert_int_equal(n, 2);
	assert_int_equal(back[0], 0xab);
	assert_int_equal(back[1], 0xcd);
	free(back);
	assert_null(secret_from_pg_bytea_hex("\\xabc", &n));
	assert_null(secret_from_pg_bytea_hex("\\xzz", &n));
	assert_null(secret_from_pg_bytea_hex("abcd", &n));
	assert_null(secret_from_pg_bytea_hex("\\", &n));
	assert_null(secret_from_pg_bytea_hex("", &n));
	assert_null(secret_from_pg_bytea_hex(NULL, &n));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_wrong_aad_and_key),
		cmocka_unit_test(test_fresh_nonce),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_keygen_and_load),
		cmocka_unit_test(test_load_refusals),
		cmocka_unit_test(test_bytea_hex),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
