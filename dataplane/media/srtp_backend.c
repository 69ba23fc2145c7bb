/* Registration of the OpenSSL-backed types with libsrtp2, and the SDES
 * suite table. */
#include "srtp_backend.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

static bool backend_registered;

static const struct {
	const srtp_cipher_type_t *type;
	srtp_cipher_type_id_t id;
} backend_ciphers[] = {
	{ &srtp_backend_aes_icm_128, SRTP_AES_ICM_128 },
	{ &srtp_backend_aes_icm_192, SRTP_AES_ICM_192 },
	{ &srtp_backend_aes_icm_256, SRTP_AES_ICM_256 },
	{ &srtp_backend_aes_gcm_128, SRTP_AES_GCM_128 },
	{ &srtp_backend_aes_gcm_256, SRTP_AES_GCM_256 },
};

int srtp_backend_register(void)
{
	srtp_err_status_t st;

	if (backend_registered)
		return 0;
	/* srtp_replace_* needs the crypto kernel loaded with the stock types
	 * first (it checks ours against their vectors too). */
	st = srtp_init();
	/* libsrtp2 2.5's srtp_init() is not idempotent: when the process has
	 * already called it, it fails with bad_param re-loading its own debug
	 * module "srtp". Tell that case from a real failure by finding that
	 * module (this also leaves its debug output off, the default). */
	if (st == srtp_err_status_bad_param &&
	    srtp_set_debug_module("srtp", 0) == srtp_err_status_ok)
		st = srtp_err_status_ok;
	if (st != srtp_err_status_ok)
		return -EIO;
	for (size_t i = 0; i < sizeof(backend_ciphers) / sizeof(backend_ciphers[0]); i++)
		if (srtp_replace_cipher_type(backend_ciphers[i].type, backend_ciphers[i].id) !=
		    srtp_err_status_ok)
			return -EPROTO;
	if (srtp_replace_auth_type(&srtp_backend_hmac_sha1, SRTP_HMAC_SHA1) != srtp_err_status_ok)
		return -EPROTO;
	backend_registered = true;
	return 0;
}

bool srtp_backend_registered(void)
{
	return backend_registered;
}

int srtp_backend_suite_policy(enum umedge_srtp_suite suite, srtp_crypto_policy_t *rtp,
			      srtp_crypto_policy_t *rtcp)
{
	if (rtp == NULL || rtcp == NULL)
		return -EINVAL;
	switch (suite) {
	case UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		return 0;
	case UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32:
		/* RFC 4568 section 6.2.1: SRTCP keeps the 80-bit tag. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		return 0;
	case UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
		return 0;
	case UMEDGE_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtcp);
		return 0;
	case UMEDGE_SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtcp);
		return 0;
	default:
		return -EINVAL;
	}
}

int srtp_backend_suite_master_len(enum umedge_srtp_suite suite)
{
	switch (suite) {
	case UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80:
	case UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32:
		return SRTP_AES_ICM_128_KEY_LEN_WSALT;
	case UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80:
		return SRTP_AES_ICM_256_KEY_LEN_WSALT;
	case UMEDGE_SRTP_AEAD_AES_128_GCM:
		return SRTP_AES_GCM_128_KEY_LEN_WSALT;
	case UMEDGE_SRTP_AEAD_AES_256_GCM:
		return SRTP_AES_GCM_256_KEY_LEN_WSALT;
	default:
		return -EINVAL;
	}
}

int srtp_backend_create(srtp_t *ctx, enum umedge_srtp_suite suite, const uint8_t *key,
			srtp_ssrc_type_t type)
{
	srtp_policy_t pol;
	uint8_t k[46];
	int len = srtp_backend_suite_master_len(suite);
	int rc = -EINVAL;

	memset(&pol, 0, sizeof(pol));
	if (len < 0 || (size_t)len > sizeof(k) ||
	    srtp_backend_suite_policy(suite, &pol.rtp, &pol.rtcp) != 0)
		goto out;
	/* libsrtp2 reads the key through a non-const pointer: a private copy */
	memcpy(k, key, (size_t)len);
	pol.ssrc.type = type;
	pol.key = k;
	pol.window_size = 128;
	pol.allow_repeat_tx = 0;
	pol.next = NULL;
	rc = srtp_create(ctx, &pol) == srtp_err_status_ok ? 0 : -EPROTO;
out:
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}
