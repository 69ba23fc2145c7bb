/* AES-ICM (RFC 3711 section 4.1.1, "AES counter mode") for libsrtp2, on
 * OpenSSL.
 *
 * The keystream is AES-ECB over a run of counter blocks, XORed into the
 * data. The ECB context is keyed once in init(); a new packet only sets the
 * counter (set_iv), which costs nothing in OpenSSL. Re-initialising an
 * EVP AES-CTR context with a new IV per packet costs about 80 ns more per
 * 172-byte packet on OpenSSL 3.0 (docs/media-crypto.md has the numbers).
 *
 * libsrtp2 semantics kept here: the key handed to init() is the AES key
 * followed by the 14-octet salt; set_iv() gets a 16-octet block that is
 * XORed with the salt (zero-padded to 16 octets) to form the first counter
 * block; successive encrypt() calls after one set_iv() continue the same
 * keystream (libsrtp2's header-extension encryption relies on it). The
 * counter is incremented modulo 2^128 as in RFC 3711. */
#include "srtp_backend.h"

#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define ICM_BLOCK 16
#define ICM_SALT_LEN 14
#define ICM_CHUNK_BLOCKS 64 /* keystream produced per EVP call: 1 KiB */

struct icm_state {
	EVP_CIPHER_CTX *ecb;
	int key_octets;           /* 16, 24 or 32 */
	uint8_t offset[ICM_BLOCK]; /* salt, last two octets zero */
	uint64_t ctr_hi, ctr_lo;   /* next counter block, as two host integers */
	uint8_t ks[ICM_BLOCK];     /* keystream left over from a partial block */
	unsigned int ks_left;      /* unused octets at the end of ks */
};

/* One allocation: the libsrtp2 cipher object followed by our state. */
struct icm_cipher {
	srtp_cipher_t c;
	struct icm_state st;
};

static const srtp_cipher_type_t *icm_type_for(int key_len, int *key_octets)
{
	switch (key_len) {
	case SRTP_AES_ICM_128_KEY_LEN_WSALT:
		*key_octets = SRTP_AES_128_KEY_LEN;
		return &srtp_backend_aes_icm_128;
	case SRTP_AES_ICM_192_KEY_LEN_WSALT:
		*key_octets = SRTP_AES_192_KEY_LEN;
		return &srtp_backend_aes_icm_192;
	case SRTP_AES_ICM_256_KEY_LEN_WSALT:
		*key_octets = SRTP_AES_256_KEY_LEN;
		return &srtp_backend_aes_icm_256;
	default:
		return NULL;
	}
}

static srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	const srtp_cipher_type_t *type;
	struct icm_cipher *ic;
	int key_octets = 0;

	(void)tag_len; /* no tag: the MAC is a separate auth type */
	if (cp == NULL)
		return srtp_err_status_bad_param;
	*cp = NULL;
	type = icm_type_for(key_len, &key_octets);
	if (type == NULL)
		return srtp_err_status_bad_param;

	ic = calloc(1, sizeof(*ic));
	if (ic == NULL)
		return srtp_err_status_alloc_fail;
	ic->st.ecb = EVP_CIPHER_CTX_new();
	if (ic->st.ecb == NULL) {
		free(ic);
		return srtp_err_status_alloc_fail;
	}
	ic->st.key_octets = key_octets;
	ic->c.type = type;
	ic->c.state = &ic->st;
	ic->c.key_len = key_len;
	ic->c.algorithm = type->id;
	*cp = &ic->c;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_dealloc(srtp_cipher_pointer_t cp)
{
	struct icm_cipher *ic;

	if (cp == NULL)
		return srtp_err_status_bad_param;
	ic = (struct icm_cipher *)cp;
	EVP_CIPHER_CTX_free(ic->st.ecb); /* clears the key schedule */
	OPENSSL_cleanse(ic, sizeof(*ic));
	free(ic);
	return srtp_err_status_ok;
}

static const EVP_CIPHER *icm_evp(int key_octets)
{
	switch (key_octets) {
	case SRTP_AES_128_KEY_LEN:
		return EVP_aes_128_ecb();
	case SRTP_AES_192_KEY_LEN:
		return EVP_aes_192_ecb();
	default:
		return EVP_aes_256_ecb();
	}
}

static srtp_err_status_t icm_init(void *sv, const uint8_t *key)
{
	struct icm_state *st = sv;

	if (st == NULL || key == NULL)
		return srtp_err_status_bad_param;
	if (EVP_EncryptInit_ex(st->ecb, icm_evp(st->key_octets), NULL, key, NULL) != 1)
		return srtp_err_status_init_fail;
	if (EVP_CIPHER_CTX_set_padding(st->ecb, 0) != 1)
		return srtp_err_status_init_fail;
	memset(st->offset, 0, sizeof(st->offset));
	memcpy(st->offset, key + st->key_octets, ICM_SALT_LEN);
	st->ctr_hi = 0;
	st->ctr_lo = 0;
	st->ks_left = 0;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_set_iv(void *sv, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm_state *st = sv;
	uint8_t ctr[ICM_BLOCK];
	uint64_t v;

	(void)dir; /* counter mode: the same operation both ways */
	if (st == NULL || iv == NULL)
		return srtp_err_status_bad_param;
	for (int i = 0; i < ICM_BLOCK; i++)
		ctr[i] = st->offset[i] ^ iv[i];
	memcpy(&v, ctr, 8);
	st->ctr_hi = be64toh(v);
	memcpy(&v, ctr + 8, 8);
	st->ctr_lo = be64toh(v);
	st->ks_left = 0;
	return srtp_err_status_ok;
}

/* Write n successive counter blocks (big-endian, modulo 2^128) to out. */
static inline void icm_counters(struct icm_state *st, uint8_t *out, size_t n)
{
	uint64_t hi = htobe64(st->ctr_hi);

	for (size_t b = 0; b < n; b++) {
		uint64_t lo = htobe64(st->ctr_lo);

		memcpy(out + b * ICM_BLOCK, &hi, 8);
		memcpy(out + b * ICM_BLOCK + 8, &lo, 8);
		if (++st->ctr_lo == 0)
			hi = htobe64(++st->ctr_hi);
	}
}

static inline void icm_xor(uint8_t *dst, const uint8_t *ks, size_t n)
{
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		uint64_t a[2], b[2];

		memcpy(a, dst + i, 16);
		memcpy(b, ks + i, 16);
		a[0] ^= b[0];
		a[1] ^= b[1];
		memcpy(dst + i, a, 16);
	}
	for (; i < n; i++)
		dst[i] ^= ks[i];
}

static srtp_err_status_t icm_encrypt(void *sv, uint8_t *buf, unsigned int *octets)
{
	struct icm_state *st = sv;
	uint8_t ks[ICM_CHUNK_BLOCKS * ICM_BLOCK];
	size_t n;

	if (st == NULL || octets == NULL || (buf == NULL && *octets != 0))
		return srtp_err_status_bad_param;
	n = *octets;

	/* Finish the keystream block a previous call left partly used. */
	while (n > 0 && st->ks_left > 0) {
		*buf++ ^= st->ks[ICM_BLOCK - st->ks_left];
		st->ks_left--;
		n--;
	}

	while (n > 0) {
		size_t blocks = (n + ICM_BLOCK - 1) / ICM_BLOCK;
		size_t bytes, take;
		int outl = 0;

		if (blocks > ICM_CHUNK_BLOCKS)
			blocks = ICM_CHUNK_BLOCKS;
		bytes = blocks * ICM_BLOCK;
		icm_counters(st, ks, blocks);
		if (EVP_EncryptUpdate(st->ecb, ks, &outl, ks, (int)bytes) != 1 ||
		    (size_t)outl != bytes)
			return srtp_err_status_cipher_fail;
		take = n < bytes ? n : bytes;
		icm_xor(buf, ks, take);
		if (take < bytes) {
			/* Keep the rest of the last block for the next call. */
			st->ks_left = (unsigned int)(bytes - take);
			memcpy(st->ks + ICM_BLOCK - st->ks_left, ks + take, st->ks_left);
		}
		buf += take;
		n -= take;
	}
	return srtp_err_status_ok;
}

/* Self-test vectors, run by libsrtp2 when the type is registered (and by
 * srtp_cipher_type_self_test). */

/* RFC 3711 appendix B.2: session key, then the 14-octet session salt;
 * packet index 0, SSRC 0; the first two keystream blocks. */
static const uint8_t icm128_key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm_zero_iv[ICM_BLOCK];
static const uint8_t icm_zero_pt[48];
static const uint8_t icm128_ct[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80,
	0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
	0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static const srtp_cipher_test_case_t icm128_test = {
	.key_length_octets = SRTP_AES_ICM_128_KEY_LEN_WSALT,
	.key = icm128_key,
	.idx = icm_zero_iv,
	.plaintext_length_octets = sizeof(icm128_ct),
	.plaintext = icm_zero_pt,
	.ciphertext_length_octets = sizeof(icm128_ct),
	.ciphertext = icm128_ct,
};

/* AES-192: no published SRTP vector at hand; an arbitrary key, the
 * keystream computed as AES-192-ECB of the counter blocks with
 * pyca/cryptography (outside this code). libsrtp2 also runs its own stock
 * vector against this type when it is registered. */
static const uint8_t icm192_key[SRTP_AES_ICM_192_KEY_LEN_WSALT] = {
	0xea, 0xb2, 0x34, 0x76, 0x4e, 0x51, 0x7b, 0x2d,
	0x3d, 0x16, 0x0d, 0x58, 0x7d, 0x8c, 0x86, 0x21,
	0x97, 0x40, 0xf6, 0x5f, 0x99, 0xb6, 0xbc, 0xf7,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm192_ct[32] = {
	0x35, 0x09, 0x6c, 0xba, 0x46, 0x10, 0x02, 0x8d,
	0xc1, 0xb5, 0x75, 0x03, 0x80, 0x4c, 0xe3, 0x7c,
	0x5d, 0xe9, 0x86, 0x29, 0x1d, 0xcc, 0xe1, 0x61,
	0xd5, 0x16, 0x5e, 0xc4, 0x56, 0x8f, 0x5c, 0x9a,
};
static const srtp_cipher_test_case_t icm192_test = {
	.key_length_octets = SRTP_AES_ICM_192_KEY_LEN_WSALT,
	.key = icm192_key,
	.idx = icm_zero_iv,
	.plaintext_length_octets = sizeof(icm192_ct),
	.plaintext = icm_zero_pt,
	.ciphertext_length_octets = sizeof(icm192_ct),
	.ciphertext = icm192_ct,
};

/* RFC 6188 section 7.1 (AES-256 counter mode): three keystream blocks. */
static const uint8_t icm256_key[SRTP_AES_ICM_256_KEY_LEN_WSALT] = {
	0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70,
	0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
	0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82,
	0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm256_ct[48] = {
	0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25,
	0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
	0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6,
	0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac,
	0x63, 0xc4, 0x86, 0x8b, 0x70, 0x96, 0xd8, 0x84,
	0x21, 0xb5, 0x63, 0xb8, 0xc9, 0x4c, 0x9a, 0x31,
};
static const srtp_cipher_test_case_t icm256_test = {
	.key_length_octets = SRTP_AES_ICM_256_KEY_LEN_WSALT,
	.key = icm256_key,
	.idx = icm_zero_iv,
	.plaintext_length_octets = sizeof(icm256_ct),
	.plaintext = icm_zero_pt,
	.ciphertext_length_octets = sizeof(icm256_ct),
	.ciphertext = icm256_ct,
};

const srtp_cipher_type_t srtp_backend_aes_icm_128 = {
	.alloc = icm_alloc,
	.dealloc = icm_dealloc,
	.init = icm_init,
	.set_aad = NULL,
	.encrypt = icm_encrypt,
	.decrypt = icm_encrypt,
	.set_iv = icm_set_iv,
	.get_tag = NULL,
	.description = "umedge AES-128 ICM (OpenSSL AES-ECB keystream)",
	.test_data = &icm128_test,
	.id = SRTP_AES_ICM_128,
};

const srtp_cipher_type_t srtp_backend_aes_icm_192 = {
	.alloc = icm_alloc,
	.dealloc = icm_dealloc,
	.init = icm_init,
	.set_aad = NULL,
	.encrypt = icm_encrypt,
	.decrypt = icm_encrypt,
	.set_iv = icm_set_iv,
	.get_tag = NULL,
	.description = "umedge AES-192 ICM (OpenSSL AES-ECB keystream)",
	.test_data = &icm192_test,
	.id = SRTP_AES_ICM_192,
};

const srtp_cipher_type_t srtp_backend_aes_icm_256 = {
	.alloc = icm_alloc,
	.dealloc = icm_dealloc,
	.init = icm_init,
	.set_aad = NULL,
	.encrypt = icm_encrypt,
	.decrypt = icm_encrypt,
	.set_iv = icm_set_iv,
	.get_tag = NULL,
	.description = "umedge AES-256 ICM (OpenSSL AES-ECB keystream)",
	.test_data = &icm256_test,
	.id = SRTP_AES_ICM_256,
};
