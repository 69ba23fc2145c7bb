/* HMAC-SHA1 (RFC 2104, RFC 3711 section 4.2.1) for libsrtp2, on OpenSSL's
 * SHA-1 block function.
 *
 * init() absorbs key^ipad and key^opad into two SHA-1 states once; per
 * packet start() copies the inner state (a plain struct copy), update()
 * hashes the packet, compute() hashes the ROC, finishes the inner hash and
 * runs the outer one from its saved state. For a 172-octet payload that is
 * five SHA-1 blocks and no allocation.
 *
 * This uses OpenSSL's low-level SHA1_Init/Update/Final, deprecated in 3.0.
 * Measured on the development machine (Xeon with SHA-NI, OpenSSL 3.0.22,
 * idle, HMAC over 188 octets = 12 header + 172 payload + 4 ROC): this path
 * 289 ns, EVP_MD_CTX_copy_ex from prepared ipad/opad digest contexts 368 ns
 * (each copy frees and allocates the provider context), EVP_MAC
 * re-initialised with the same key 439 ns. The difference is a quarter of
 * the whole per-packet budget, so the deprecated calls are used here, with
 * the warning silenced for these functions only. The block function is the
 * same assembly (SHA-NI when the CPU has it) the EVP path reaches. The
 * price: this bypasses OpenSSL's providers (no FIPS provider for HMAC). */
#include "srtp_backend.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#define HMAC_BLOCK 64

struct hmac_state {
	SHA_CTX inner; /* after key ^ ipad */
	SHA_CTX outer; /* after key ^ opad */
	SHA_CTX work;  /* the packet in progress */
};

struct hmac_auth {
	srtp_auth_t a;
	struct hmac_state st;
};

static srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
	struct hmac_auth *ha;

	if (ap == NULL)
		return srtp_err_status_bad_param;
	*ap = NULL;
	/* libsrtp2 uses 20-octet keys; longer than a block would need hashing. */
	if (key_len < 0 || key_len > HMAC_BLOCK)
		return srtp_err_status_bad_param;
	if (out_len < 0 || out_len > SHA_DIGEST_LENGTH)
		return srtp_err_status_bad_param;
	ha = calloc(1, sizeof(*ha));
	if (ha == NULL)
		return srtp_err_status_alloc_fail;
	ha->a.type = &srtp_backend_hmac_sha1;
	ha->a.state = &ha->st;
	ha->a.out_len = out_len;
	ha->a.key_len = key_len;
	ha->a.prefix_len = 0;
	*ap = &ha->a;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t ap)
{
	if (ap == NULL)
		return srtp_err_status_bad_param;
	/* The saved states are key material. */
	OPENSSL_cleanse(ap, sizeof(struct hmac_auth));
	free(ap);
	return srtp_err_status_ok;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static srtp_err_status_t hmac_init(void *sv, const uint8_t *key, int key_len)
{
	struct hmac_state *st = sv;
	uint8_t ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
	srtp_err_status_t ret = srtp_err_status_init_fail;

	if (st == NULL || (key == NULL && key_len != 0) || key_len < 0 || key_len > HMAC_BLOCK)
		return srtp_err_status_bad_param;
	memset(ipad, 0x36, sizeof(ipad));
	memset(opad, 0x5c, sizeof(opad));
	for (int i = 0; i < key_len; i++) {
		ipad[i] ^= key[i];
		opad[i] ^= key[i];
	}
	if (SHA1_Init(&st->inner) != 1 || SHA1_Update(&st->inner, ipad, sizeof(ipad)) != 1)
		goto out;
	if (SHA1_Init(&st->outer) != 1 || SHA1_Update(&st->outer, opad, sizeof(opad)) != 1)
		goto out;
	st->work = st->inner;
	ret = srtp_err_status_ok;
out:
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
	return ret;
}

static srtp_err_status_t hmac_start(void *sv)
{
	struct hmac_state *st = sv;

	if (st == NULL)
		return srtp_err_status_bad_param;
	st->work = st->inner;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *sv, const uint8_t *buf, int octets)
{
	struct hmac_state *st = sv;

	if (st == NULL || octets < 0 || (buf == NULL && octets != 0))
		return srtp_err_status_bad_param;
	if (SHA1_Update(&st->work, buf, (size_t)octets) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *sv, const uint8_t *buf, int octets, int tag_len,
				      uint8_t *tag)
{
	struct hmac_state *st = sv;
	uint8_t md[SHA_DIGEST_LENGTH];
	srtp_err_status_t ret = srtp_err_status_auth_fail;

	if (st == NULL || tag == NULL || tag_len < 0 || tag_len > SHA_DIGEST_LENGTH ||
	    octets < 0 || (buf == NULL && octets != 0))
		return srtp_err_status_bad_param;
	if (SHA1_Update(&st->work, buf, (size_t)octets) != 1 || SHA1_Final(md, &st->work) != 1)
		goto out;
	st->work = st->outer;
	if (SHA1_Update(&st->work, md, sizeof(md)) != 1 || SHA1_Final(md, &st->work) != 1)
		goto out;
	memcpy(tag, md, (size_t)tag_len);
	ret = srtp_err_status_ok;
out:
	OPENSSL_cleanse(md, sizeof(md));
	return ret;
}

#pragma GCC diagnostic pop

/* RFC 2202 section 3, test cases 1 to 3. */
static const uint8_t hmac_key1[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t hmac_tag1[20] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t hmac_tag2[20] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const uint8_t hmac_key3[20] = {
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const uint8_t hmac_data3[50] = {
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
	0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
};
static const uint8_t hmac_tag3[20] = {
	0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11, 0xcd, 0x91, 0xa3,
	0x9a, 0xf4, 0x8a, 0xa1, 0x7b, 0x4f, 0x63, 0xf1, 0x75, 0xd3,
};

static const srtp_auth_test_case_t hmac_test3 = {
	.key_length_octets = sizeof(hmac_key3),
	.key = hmac_key3,
	.data_length_octets = sizeof(hmac_data3),
	.data = hmac_data3,
	.tag_length_octets = sizeof(hmac_tag3),
	.tag = hmac_tag3,
	.next_test_case = NULL,
};
static const srtp_auth_test_case_t hmac_test2 = {
	.key_length_octets = 4,
	.key = (const uint8_t *)"Jefe",
	.data_length_octets = 28,
	.data = (const uint8_t *)"what do ya want for nothing?",
	.tag_length_octets = sizeof(hmac_tag2),
	.tag = hmac_tag2,
	.next_test_case = &hmac_test3,
};
static const srtp_auth_test_case_t hmac_test1 = {
	.key_length_octets = sizeof(hmac_key1),
	.key = hmac_key1,
	.data_length_octets = 8,
	.data = (const uint8_t *)"Hi There",
	.tag_length_octets = sizeof(hmac_tag1),
	.tag = hmac_tag1,
	.next_test_case = &hmac_test2,
};

const srtp_auth_type_t srtp_backend_hmac_sha1 = {
	.alloc = hmac_alloc,
	.dealloc = hmac_dealloc,
	.init = hmac_init,
	.compute = hmac_compute,
	.update = hmac_update,
	.start = hmac_start,
	.description = "umedge HMAC-SHA1 (precomputed pads, OpenSSL SHA-1 blocks)",
	.test_data = &hmac_test1,
	.id = SRTP_HMAC_SHA1,
};
