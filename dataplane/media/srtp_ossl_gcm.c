/* AES-GCM (RFC 7714, AEAD_AES_128_GCM / AEAD_AES_256_GCM) for libsrtp2, on
 * OpenSSL EVP.
 *
 * The EVP context is keyed once in init(); per packet only the 12-octet IV
 * is set (EVP_CipherInit_ex with no cipher and no key), which also picks
 * the direction. libsrtp2 computes the IV itself (salt XOR SSRC/index), so
 * set_iv() receives the final nonce; the key handed to init() is the AES
 * key followed by the 12-octet salt, which this file does not need.
 *
 * Call order from libsrtp2, per packet:
 *   set_iv, set_aad (once for SRTP, twice for SRTCP), then either
 *   encrypt + get_tag, or decrypt over ciphertext||tag (verifies the tag). */
#include "srtp_backend.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define GCM_IV_LEN 12
#define GCM_TAG_MAX 16

struct gcm_state {
	EVP_CIPHER_CTX *ctx;
	int key_octets; /* 16 or 32 */
	int tag_len;    /* 8 or 16 */
	srtp_cipher_direction_t dir;
};

struct gcm_cipher {
	srtp_cipher_t c;
	struct gcm_state st;
};

static srtp_err_status_t gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	const srtp_cipher_type_t *type;
	struct gcm_cipher *gc;
	int key_octets;

	if (cp == NULL)
		return srtp_err_status_bad_param;
	*cp = NULL;
	switch (key_len) {
	case SRTP_AES_GCM_128_KEY_LEN_WSALT:
		type = &srtp_backend_aes_gcm_128;
		key_octets = SRTP_AES_128_KEY_LEN;
		break;
	case SRTP_AES_GCM_256_KEY_LEN_WSALT:
		type = &srtp_backend_aes_gcm_256;
		key_octets = SRTP_AES_256_KEY_LEN;
		break;
	default:
		return srtp_err_status_bad_param;
	}
	if (tag_len != 8 && tag_len != GCM_TAG_MAX)
		return srtp_err_status_bad_param;

	gc = calloc(1, sizeof(*gc));
	if (gc == NULL)
		return srtp_err_status_alloc_fail;
	gc->st.ctx = EVP_CIPHER_CTX_new();
	if (gc->st.ctx == NULL) {
		free(gc);
		return srtp_err_status_alloc_fail;
	}
	gc->st.key_octets = key_octets;
	gc->st.tag_len = tag_len;
	gc->st.dir = srtp_direction_any;
	gc->c.type = type;
	gc->c.state = &gc->st;
	gc->c.key_len = key_len;
	gc->c.algorithm = type->id;
	*cp = &gc->c;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_dealloc(srtp_cipher_pointer_t cp)
{
	struct gcm_cipher *gc;

	if (cp == NULL)
		return srtp_err_status_bad_param;
	gc = (struct gcm_cipher *)cp;
	EVP_CIPHER_CTX_free(gc->st.ctx); /* clears the key schedule */
	OPENSSL_cleanse(gc, sizeof(*gc));
	free(gc);
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_init(void *sv, const uint8_t *key)
{
	struct gcm_state *st = sv;
	const EVP_CIPHER *evp;

	if (st == NULL || key == NULL)
		return srtp_err_status_bad_param;
	evp = st->key_octets == SRTP_AES_128_KEY_LEN ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	st->dir = srtp_direction_any;
	if (EVP_CipherInit_ex(st->ctx, evp, NULL, NULL, NULL, 1) != 1)
		return srtp_err_status_init_fail;
	if (EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN, NULL) != 1)
		return srtp_err_status_init_fail;
	if (EVP_CipherInit_ex(st->ctx, NULL, NULL, key, NULL, -1) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_iv(void *sv, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct gcm_state *st = sv;

	if (st == NULL || iv == NULL)
		return srtp_err_status_bad_param;
	if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	st->dir = dir;
	if (EVP_CipherInit_ex(st->ctx, NULL, NULL, NULL, iv, dir == srtp_direction_encrypt) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_aad(void *sv, const uint8_t *aad, uint32_t aad_len)
{
	struct gcm_state *st = sv;
	int outl = 0;

	if (st == NULL || (aad == NULL && aad_len != 0) || aad_len > INT32_MAX)
		return srtp_err_status_bad_param;
	if (st->dir != srtp_direction_encrypt && st->dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	if (aad_len == 0)
		return srtp_err_status_ok;
	if (EVP_CipherUpdate(st->ctx, NULL, &outl, aad, (int)aad_len) != 1)
		return srtp_err_status_algo_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_encrypt(void *sv, uint8_t *buf, unsigned int *octets)
{
	struct gcm_state *st = sv;
	int outl = 0;

	if (st == NULL || octets == NULL || (buf == NULL && *octets != 0) ||
	    *octets > INT32_MAX)
		return srtp_err_status_bad_param;
	if (st->dir != srtp_direction_encrypt)
		return srtp_err_status_bad_param;
	if (*octets == 0)
		return srtp_err_status_ok;
	if (EVP_CipherUpdate(st->ctx, buf, &outl, buf, (int)*octets) != 1 ||
	    (unsigned int)outl != *octets)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_get_tag(void *sv, uint8_t *tag, uint32_t *len)
{
	struct gcm_state *st = sv;
	uint8_t none[GCM_TAG_MAX];
	int outl = 0;

	if (st == NULL || tag == NULL || len == NULL)
		return srtp_err_status_bad_param;
	if (st->dir != srtp_direction_encrypt)
		return srtp_err_status_bad_param;
	if (EVP_CipherFinal_ex(st->ctx, none, &outl) != 1 || outl != 0)
		return srtp_err_status_algo_fail;
	if (EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_GCM_GET_TAG, st->tag_len, tag) != 1)
		return srtp_err_status_algo_fail;
	*len = (uint32_t)st->tag_len;
	return srtp_err_status_ok;
}

/* buf holds ciphertext || tag; *octets counts both. On success the
 * plaintext is in place and *octets no longer counts the tag. */
static srtp_err_status_t gcm_decrypt(void *sv, uint8_t *buf, unsigned int *octets)
{
	struct gcm_state *st = sv;
	uint8_t none[GCM_TAG_MAX];
	unsigned int ct_len;
	int outl = 0;

	if (st == NULL || buf == NULL || octets == NULL || *octets > INT32_MAX)
		return srtp_err_status_bad_param;
	if (st->dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	if (*octets < (unsigned int)st->tag_len)
		return srtp_err_status_bad_param;
	ct_len = *octets - (unsigned int)st->tag_len;
	if (EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_GCM_SET_TAG, st->tag_len, buf + ct_len) != 1)
		return srtp_err_status_auth_fail;
	if (ct_len > 0 && (EVP_CipherUpdate(st->ctx, buf, &outl, buf, (int)ct_len) != 1 ||
			   (unsigned int)outl != ct_len))
		return srtp_err_status_cipher_fail;
	if (EVP_CipherFinal_ex(st->ctx, none, &outl) != 1)
		return srtp_err_status_auth_fail;
	*octets = ct_len;
	return srtp_err_status_ok;
}

/* Self-test vectors: "The Galois/Counter Mode of Operation" (McGrew and
 * Viega) test cases 4 (AES-128) and 16 (AES-256): 96-bit IV, 20 octets of
 * AAD, 60 octets of plaintext. The key is followed by 12 octets standing
 * for the SRTP salt, which the cipher ignores (libsrtp2 applies it to the
 * IV before set_iv). */
static const uint8_t gcm_pt[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5,
	0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
	0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
	0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
	0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53,
	0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
	0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57,
	0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t gcm_aad[20] = {
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
	0xab, 0xad, 0xda, 0xd2,
};
static uint8_t gcm_iv[GCM_IV_LEN] = {
	0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad,
	0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t gcm128_key[SRTP_AES_GCM_128_KEY_LEN_WSALT] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
	0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
	/* salt, unused */
	0x51, 0x7e, 0x51, 0x7e, 0x51, 0x7e, 0x51, 0x7e,
	0x51, 0x7e, 0x51, 0x7e,
};
static const uint8_t gcm128_ct[60 + 16] = {
	0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24,
	0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4, 0x9c,
	0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0,
	0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e,
	0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c,
	0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
	0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97,
	0x3d, 0x58, 0xe0, 0x91,
	/* tag */
	0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb,
	0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47,
};
static const srtp_cipher_test_case_t gcm128_test = {
	.key_length_octets = SRTP_AES_GCM_128_KEY_LEN_WSALT,
	.key = gcm128_key,
	.idx = gcm_iv,
	.plaintext_length_octets = sizeof(gcm_pt),
	.plaintext = gcm_pt,
	.ciphertext_length_octets = sizeof(gcm128_ct),
	.ciphertext = gcm128_ct,
	.aad_length_octets = sizeof(gcm_aad),
	.aad = gcm_aad,
	.tag_length_octets = 16,
};

static const uint8_t gcm256_key[SRTP_AES_GCM_256_KEY_LEN_WSALT] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
	0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
	0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
	/* salt, unused */
	0x51, 0x7e, 0x51, 0x7e, 0x51, 0x7e, 0x51, 0x7e,
	0x51, 0x7e, 0x51, 0x7e,
};
static const uint8_t gcm256_ct[60 + 16] = {
	0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07,
	0xf4, 0x7f, 0x37, 0xa3, 0x2a, 0x84, 0x42, 0x7d,
	0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9,
	0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55, 0xd1, 0xaa,
	0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d,
	0xa7, 0xb0, 0x8b, 0x10, 0x56, 0x82, 0x88, 0x38,
	0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a,
	0xbc, 0xc9, 0xf6, 0x62,
	/* tag */
	0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68,
	0xcd, 0xdf, 0x88, 0x53, 0xbb, 0x2d, 0x55, 0x1b,
};
static const srtp_cipher_test_case_t gcm256_test = {
	.key_length_octets = SRTP_AES_GCM_256_KEY_LEN_WSALT,
	.key = gcm256_key,
	.idx = gcm_iv,
	.plaintext_length_octets = sizeof(gcm_pt),
	.plaintext = gcm_pt,
	.ciphertext_length_octets = sizeof(gcm256_ct),
	.ciphertext = gcm256_ct,
	.aad_length_octets = sizeof(gcm_aad),
	.aad = gcm_aad,
	.tag_length_octets = 16,
};

const srtp_cipher_type_t srtp_backend_aes_gcm_128 = {
	.alloc = gcm_alloc,
	.dealloc = gcm_dealloc,
	.init = gcm_init,
	.set_aad = gcm_set_aad,
	.encrypt = gcm_encrypt,
	.decrypt = gcm_decrypt,
	.set_iv = gcm_set_iv,
	.get_tag = gcm_get_tag,
	.description = "umedge AES-128 GCM (OpenSSL EVP)",
	.test_data = &gcm128_test,
	.id = SRTP_AES_GCM_128,
};

const srtp_cipher_type_t srtp_backend_aes_gcm_256 = {
	.alloc = gcm_alloc,
	.dealloc = gcm_dealloc,
	.init = gcm_init,
	.set_aad = gcm_set_aad,
	.encrypt = gcm_encrypt,
	.decrypt = gcm_decrypt,
	.set_iv = gcm_set_iv,
	.get_tag = gcm_get_tag,
	.description = "umedge AES-256 GCM (OpenSSL EVP)",
	.test_data = &gcm256_test,
	.id = SRTP_AES_GCM_256,
};
