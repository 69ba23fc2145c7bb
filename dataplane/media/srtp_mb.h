/* Burst SRTP on Intel's intel-ipsec-mb (issue 14, the first step): protect
 * N RTP packets of any sessions in one call, each packet's AES-CTR and
 * HMAC-SHA1 a job of the multi-buffer manager, submitted together and
 * flushed once, with a result per packet. Byte-exact with libsrtp2.
 *
 * Built now: AES_CM_128_HMAC_SHA1_80 and _32, RTP, the sender's side
 * (protect). Keys are derived here (RFC 3711 4.3, AES-CM PRF, kdr 0, as
 * SDES keys are used); HMAC-SHA1 runs from the precomputed inner and
 * outer pads; the ROC goes into the authenticated data (RFC 3711 4.2)
 * written for a moment where the tag then goes. Not built yet: unprotect
 * and its replay database, SRTCP, AES-256 and the GCM suites, and the
 * worker's media loop on it (docs/media-crypto.md). */
#ifndef UMEDGE_SRTP_MB_H
#define UMEDGE_SRTP_MB_H

#include <stdbool.h>
#include <stdint.h>

#include "umedge/modes.h"

struct srtp_mb;		/* the multi-buffer manager: one per thread */

/* NULL when the library cannot run on this CPU (or no memory). */
struct srtp_mb *srtp_mb_new(void);
void srtp_mb_free(struct srtp_mb *mb);
/* The code path intel-ipsec-mb picked ("AVX512", "AVX2", "SSE", ...),
 * and the library's version. */
const char *srtp_mb_arch(const struct srtp_mb *mb);
const char *srtp_mb_version(void);

/* One direction's session keys, expanded and padded for the jobs. */
struct srtp_mb_key {
	uint32_t enc_keys[4 * 15] __attribute__((aligned(16)));
	uint32_t dec_keys[4 * 15] __attribute__((aligned(16)));
	uint8_t ipad[20] __attribute__((aligned(16)));	/* SHA-1 state after key ^ 0x36.. */
	uint8_t opad[20] __attribute__((aligned(16)));	/* after key ^ 0x5c.. */
	uint8_t salt[14];
	uint8_t tag_len;				/* 10 or 4 */
};

/* The sender's index for one SSRC: the roll-over counter. */
struct srtp_mb_seq {
	bool started;
	uint16_t last;
	uint32_t roc;
};

/* master: key || salt (30 octets). 0, or -EINVAL for a suite not built. */
int srtp_mb_key_init(struct srtp_mb *mb, struct srtp_mb_key *k, enum umedge_srtp_suite suite,
		     const uint8_t *master);
/* Wipe the keys. */
void srtp_mb_key_wipe(struct srtp_mb_key *k);

/* One packet of a burst: an RTP packet in place with room for the tag
 * after it; len is updated; rc is 0 or a negative errno (a malformed RTP
 * header: -EINVAL; the manager refused the job: -EIO). */
struct srtp_mb_pkt {
	uint8_t *buf;
	int len;
	const struct srtp_mb_key *key;
	struct srtp_mb_seq *seq;
	int rc;
};

/* Protect n packets (any sessions, any order): every packet's jobs are
 * submitted, then the manager is flushed. */
void srtp_mb_protect(struct srtp_mb *mb, struct srtp_mb_pkt *p, unsigned n);

#endif
