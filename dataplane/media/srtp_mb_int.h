/* The burst SRTP engine's insides, shared by its two files: srtp_mb_ctx.c
 * (the library, managers, keys, contexts and their SSRC streams) and
 * srtp_mb.c (the bursts). libsrtp2's index guess and replay windows are
 * here too, inline: both files keep them. Not for other modules. */
#ifndef UMEDGE_SRTP_MB_INT_H
#define UMEDGE_SRTP_MB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "srtp_mb.h"

#define RTP_HDR 12
#define RTCP_HDR 8
#define HMAC_OUT 12		/* the shortest SHA-1 tag the manager writes */
#define GCM_TAG 16
#define SRTCP_CM_TAG 10
#define SRTCP_E 0x80000000u
#define SRTCP_INDEX_MAX 0x7fffffffu
#define WINDOW 128		/* libsrtp2's replay windows, as srtp_backend.c sets them */
#define SEQ_MEDIAN 0x8000
/* a packet's rc while the burst is in hand */
#define IN_LANES 1		/* its job was submitted */
#define REFUSED 2		/* a replay seen before the crypto */
/* bursts below this many packets put their HMAC-SHA1 jobs on SHA-NI */
#define SRTP_MB_SMALL_BURST 16

typedef unsigned __int128 u128;

struct cm_keys {
	uint32_t enc[4 * 15] __attribute__((aligned(16)));
	uint8_t ipad[20] __attribute__((aligned(16)));	/* SHA-1 state after key ^ 0x36.. */
	uint8_t opad[20] __attribute__((aligned(16)));	/* after key ^ 0x5c.. */
	uint8_t salt[14];
};

struct gcm_keys {
	struct gcm_key_data gcm;
	uint8_t salt[12];
};

/* One SSRC: libsrtp2's stream state. */
struct mb_stream {
	/* RTP (rdbx): the highest index; bit k of win: index - k was seen */
	u128 win;
	uint64_t index;
	/* SRTCP: sending, the last index used; receiving (rdb), the window
	 * start, bit k of rtcp_win: rtcp_index + k was seen */
	u128 rtcp_win;
	uint32_t rtcp_index;
	uint32_t ssrc;
	/* unprotect: the highest index the burst in hand would reach if its
	 * packets are authentic (valid while pgen is the manager's burst) */
	uint64_t pindex;
	uint32_t pgen;
	bool live;		/* a packet authenticated (unprotect) or sent */
};

struct srtp_mb_ctx {
	enum umedge_srtp_suite suite;
	bool outbound, gcm;
	uint8_t key_len, salt_len, tag_len, rtcp_tag_len;
	unsigned n_streams;
	void *keys[2];		/* RTP, RTCP: struct cm_keys or struct gcm_keys */
	size_t size;
	struct mb_stream *more;	/* streams past the inline ones, or NULL */
	struct mb_stream st[SRTP_MB_STREAMS_INLINE];
	unsigned char tail[] __attribute__((aligned(64)));
};

/* A packet's scratch while its job is in the lanes. */
struct mb_slot {
	uint8_t iv[16] __attribute__((aligned(16)));
	uint8_t tag[GCM_TAG] __attribute__((aligned(16)));	/* computed */
	uint8_t want[GCM_TAG];					/* received */
	uint8_t aad[12];					/* GCM SRTCP */
	uint64_t est;		/* the RTP index, or the SRTCP index, used */
	int trail;		/* octets a successful unprotect takes off */
	bool done;		/* the job completed */
	bool created;		/* the packet's SSRC was new to its context */
};

struct srtp_mb {
	IMB_MGR *mgr;		/* the CPU's widest code path */
	IMB_MGR *sha_mgr;	/* SHA-NI one job at a time (SSE), or NULL */
	IMB_MGR *cm_mgr;	/* the AES-CM jobs' manager for the burst in hand */
	uint32_t gen;		/* bursts unprotected */
	struct mb_slot slot[SRTP_MB_BURST];
};

/* srtp_mb_ctx.c: a context's SSRC streams */
struct mb_stream *mb_stream_find(const struct srtp_mb_ctx *c, uint32_t ssrc);
/* A new stream (index 0, empty windows), or NULL: the context is full. */
struct mb_stream *mb_stream_add(struct srtp_mb_ctx *c, uint32_t ssrc);
/* Forget ssrc's stream unless a packet of it was taken (forgeries must not
 * take SSRC places). */
void mb_stream_drop_unused(struct srtp_mb_ctx *c, uint32_t ssrc);

/* ---- libsrtp2's index estimate and replay windows ---- */

/* RFC 3711 3.3.1 as libsrtp2's rdbx does it: the index of seq nearest
 * the highest seen, and its distance from it. A stream that has not yet
 * passed 2^15 takes ROC 0 (guessing ROC -1 there would be wrong). */
static inline int64_t rdbx_estimate(uint64_t index, uint16_t seq, uint64_t *est)
{
	uint32_t roc = (uint32_t)(index >> 16);
	int local = (uint16_t)index, d;

	if (index <= SEQ_MEDIAN) {
		*est = seq;
		return (int64_t)seq - (int64_t)index;
	}
	if (local < SEQ_MEDIAN) {
		if (seq - local > SEQ_MEDIAN) {
			roc--;
			d = seq - local - 0x10000;
		} else {
			d = seq - local;
		}
	} else {
		if (local - SEQ_MEDIAN > seq) {
			roc++;
			d = seq - local + 0x10000;
		} else {
			d = seq - local;
		}
	}
	*est = (uint64_t)roc << 16 | seq;
	return d;
}

static inline int rdbx_check(const struct mb_stream *s, int64_t delta)
{
	if (delta > 0)
		return 0;
	if (-delta >= WINDOW)
		return -ESTALE;
	return (s->win >> -delta) & 1 ? -EALREADY : 0;
}

static inline void rdbx_add(struct mb_stream *s, int64_t delta)
{
	if (delta > 0) {
		s->index += (uint16_t)delta;
		s->win = delta >= WINDOW ? 0 : s->win << delta;
		s->win |= 1;
	} else {
		s->win |= (u128)1 << -delta;
	}
}

static inline int rdb_check(const struct mb_stream *s, uint32_t idx)
{
	if ((uint64_t)idx >= (uint64_t)s->rtcp_index + WINDOW)
		return 0;
	if (idx < s->rtcp_index)
		return -ESTALE;
	return (s->rtcp_win >> (idx - s->rtcp_index)) & 1 ? -EALREADY : 0;
}

static inline void rdb_add(struct mb_stream *s, uint32_t idx)
{
	uint32_t delta = idx - s->rtcp_index;

	if (delta < WINDOW) {
		s->rtcp_win |= (u128)1 << delta;
		return;
	}
	delta -= WINDOW - 1;
	s->rtcp_win = delta >= WINDOW ? 0 : s->rtcp_win >> delta;
	s->rtcp_win |= (u128)1 << (WINDOW - 1);
	s->rtcp_index += delta;
}

#endif
