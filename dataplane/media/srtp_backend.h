/* SRTP crypto backend: OpenSSL-backed AES-ICM, AES-GCM and HMAC-SHA1 for
 * libsrtp2, registered in place of the stock (NSS) implementations.
 *
 * libsrtp2 keeps doing the SRTP protocol work (key derivation, replay
 * database, roll-over counter, packet layout); this module only supplies
 * the cipher and MAC primitives through libsrtp2's vtables
 * (srtp_cipher_type_t, srtp_auth_type_t) and srtp_replace_cipher_type() /
 * srtp_replace_auth_type(). docs/media-crypto.md explains the choices.
 *
 * Registration is process-global (libsrtp2's crypto kernel is a global):
 * call srtp_backend_register() once at start-up, from one thread, before
 * any srtp_t session is created. Sessions created before it keep the stock
 * primitives; sessions created after use these ones. */
#ifndef UMEDGE_SRTP_BACKEND_H
#define UMEDGE_SRTP_BACKEND_H

#include <stdbool.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include "umedge/modes.h"

/* Initialise libsrtp2 (srtp_init) unless the process already did, and
 * register every type below.
 * libsrtp2 runs each type's self-test (our vectors, then the stock type's
 * vectors) before accepting it. Idempotent. Returns 0 or a negative errno:
 * -EIO when libsrtp2 fails to initialise, -EPROTO when a type fails its
 * self-test (nothing is used half-registered: the process should stop). */
int srtp_backend_register(void);

/* True once srtp_backend_register() has succeeded in this process. */
bool srtp_backend_registered(void);

/* The vtables, exported for the unit tests and the benchmark. */
extern const srtp_cipher_type_t srtp_backend_aes_icm_128;
extern const srtp_cipher_type_t srtp_backend_aes_icm_192;
extern const srtp_cipher_type_t srtp_backend_aes_icm_256;
extern const srtp_cipher_type_t srtp_backend_aes_gcm_128;
extern const srtp_cipher_type_t srtp_backend_aes_gcm_256;
extern const srtp_auth_type_t srtp_backend_hmac_sha1;

/* libsrtp2 crypto policies (RTP and RTCP) for an SDES suite. Returns 0 or
 * -EINVAL for an unknown suite. */
int srtp_backend_suite_policy(enum umedge_srtp_suite suite, srtp_crypto_policy_t *rtp,
			      srtp_crypto_policy_t *rtcp);

/* Master key + master salt length in octets for a suite (the SDES inline
 * key length): 30, 46, 28 or 44. -EINVAL for an unknown suite. */
int srtp_backend_suite_master_len(enum umedge_srtp_suite suite);

/* A libsrtp2 session for one direction of a suite: key is its master key
 * || salt (srtp_backend_suite_master_len octets; copied, then wiped),
 * type ssrc_any_inbound or ssrc_any_outbound, a 128-packet replay window.
 * 0, -EINVAL (unknown suite) or -EPROTO (libsrtp2 refused). */
int srtp_backend_create(srtp_t *ctx, enum umedge_srtp_suite suite, const uint8_t *key,
			srtp_ssrc_type_t type);

#endif
