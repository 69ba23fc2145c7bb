/* Burst SRTP on Intel's intel-ipsec-mb: protect or unprotect N RTP and
 * RTCP packets of any sessions and suites in one call, each packet a job
 * of the multi-buffer manager (AES-CTR then HMAC-SHA1, or AES-GCM), all
 * submitted, then the manager flushed once, with a result per packet.
 * Byte-exact with libsrtp2 and with its replay and ROC rules
 * (docs/media-crypto.md).
 *
 * Suites: AES_CM_128_HMAC_SHA1_80/_32, AES_256_CM_HMAC_SHA1_80,
 * AEAD_AES_128_GCM, AEAD_AES_256_GCM; SRTP and SRTCP (the SRTCP tag is 80
 * bits for every AES_CM suite, RFC 4568 6.2.1, as srtp_backend.c keys
 * libsrtp2).
 *
 * A context is one direction of one session, as a libsrtp2 session with
 * ssrc_any_inbound or ssrc_any_outbound is: session keys for SRTP and
 * SRTCP derived once (RFC 3711 4.3, the AES-CM PRF, kdr 0, as SDES keys
 * are used) and a stream per SSRC (index, replay windows). The first
 * SRTP_MB_STREAMS_INLINE streams live in the context; more (an application
 * that changes SSRC per prompt) in a table allocated when the first of them
 * comes, as libsrtp2 allocates a stream per SSRC. A context holds at most
 * SRTP_MB_STREAMS_MAX SSRCs; a new SSRC beyond that is refused, because
 * forgetting one would let its old packets be replayed (receiving) or its
 * keystream be used twice (sending).
 *
 * Threads: a manager (struct srtp_mb) per thread; a context is used by one
 * thread at a time (the worker that owns the flow). srtp_mb_init() once at
 * start-up, before threads: contexts may then be made on any thread. */
#ifndef UMEDGE_SRTP_MB_H
#define UMEDGE_SRTP_MB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umedge/modes.h"

#define SRTP_MB_STREAMS_INLINE 2	/* SSRCs held in the context itself */
#define SRTP_MB_STREAMS_MAX 64		/* SSRCs per context */
#define SRTP_MB_BURST 64	/* jobs in flight per flush */
#define SRTP_MB_TRAILER 20	/* the most a protect appends (GCM SRTCP: tag + index) */

/* 0, or -ENOTSUP: intel-ipsec-mb cannot run here (no AES-NI or PCLMULQDQ,
 * or no memory): use the libsrtp2 path. Idempotent; one thread. */
int srtp_mb_init(void);
/* Whether srtp_mb_init() succeeded; the code path it picked ("AVX512",
 * "AVX2", "AVX", "SSE") and the library's version. */
bool srtp_mb_ready(void);
const char *srtp_mb_arch(void);
const char *srtp_mb_version(void);

struct srtp_mb;		/* a thread's multi-buffer manager and burst scratch */
struct srtp_mb_ctx;	/* one direction of a session */

/* NULL without srtp_mb_init() or memory. */
struct srtp_mb *srtp_mb_new(void);
void srtp_mb_free(struct srtp_mb *mb);

/* master: key || salt (srtp_backend_suite_master_len() octets). outbound:
 * the context protects (else it unprotects). 0, -EINVAL (a suite not
 * known), -ENOTSUP (no srtp_mb_init()), -ENOMEM, -EIO. */
int srtp_mb_ctx_new(enum umedge_srtp_suite suite, const uint8_t *master, bool outbound,
		    struct srtp_mb_ctx **out);
/* The same from session keys (no derivation), for the RFCs' packet
 * vectors, which give session keys: cipher key, salt and (AES_CM) the
 * 20-octet authentication key, used for SRTP and SRTCP alike. */
int srtp_mb_ctx_new_session(enum umedge_srtp_suite suite, const uint8_t *key,
			    const uint8_t *salt, const uint8_t *auth_key, bool outbound,
			    struct srtp_mb_ctx **out);
/* Wipe the keys and free. NULL is fine. */
void srtp_mb_ctx_free(struct srtp_mb_ctx *c);
/* Octets a context of this suite takes (for sizing), with at most
 * SRTP_MB_STREAMS_INLINE SSRCs. */
size_t srtp_mb_ctx_size(enum umedge_srtp_suite suite);
/* The RTP roll-over counter of ssrc (host order) as this context holds
 * it; false when the SSRC is not known. */
bool srtp_mb_ctx_roc(const struct srtp_mb_ctx *c, uint32_t ssrc, uint32_t *roc);

/* Prefetch what a packet of c will read (the context's head, its first
 * stream, the RTP or SRTCP keys the jobs start with): for a caller that
 * gathers a burst before handing it over. */
void srtp_mb_prefetch(const struct srtp_mb_ctx *c, bool rtcp);

/* One packet of a burst, in place. protect needs SRTP_MB_TRAILER octets of
 * room after it. rc: 0, or
 *   -EINVAL    malformed (version, lengths) or shorter than the trailer
 *   -EBADMSG   authentication failed (unprotect)
 *   -EALREADY  a replay (unprotect), or an index sent already (protect)
 *   -ESTALE    older than the replay window (unprotect)
 *   -ENOSPC    a new SSRC and the context's streams are all taken
 *   -EKEYEXPIRED  the SRTCP index is exhausted (2^31 packets)
 *   -ENOTSUP   unencrypted SRTCP (E = 0) under a GCM suite
 *   -EIO       the manager refused the job */
struct srtp_mb_pkt {
	uint8_t *buf;
	int len;
	struct srtp_mb_ctx *ctx;
	bool rtcp;
	int rc;
};

/* n packets of any contexts, in any order; the same stream may appear
 * several times, and its packets are then taken in array order. */
void srtp_mb_protect(struct srtp_mb *mb, struct srtp_mb_pkt *p, unsigned n);
void srtp_mb_unprotect(struct srtp_mb *mb, struct srtp_mb_pkt *p, unsigned n);

#endif
