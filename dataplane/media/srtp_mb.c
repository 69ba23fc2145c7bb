/* The burst SRTP engine's bursts (srtp_mb.h): each packet a job of the
 * multi-buffer manager, submitted together, flushed once, committed in
 * array order under libsrtp2's rules. */
#include "srtp_mb_int.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

/* ---- packets ---- */

static inline uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The RTP header's length (CSRCs and extension), or -1. */
static int rtp_header_len(const uint8_t *p, int len)
{
	int h;

	if (len < RTP_HDR || (p[0] >> 6) != 2)
		return -1;
	h = RTP_HDR + 4 * (p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (len < h + 4)
			return -1;
		h += 4 + 4 * (p[h + 2] << 8 | p[h + 3]);
	}
	return h <= len ? h : -1;
}

/* AES-CM counter block (RFC 3711 4.1.1): salt * 2^16 XOR SSRC * 2^64 XOR
 * index * 2^16, the index 48 bits (SRTP) or 31 (SRTCP). */
static void cm_iv(uint8_t *iv, const uint8_t *salt, const uint8_t *ssrc, uint64_t index)
{
	memcpy(iv, salt, 14);
	iv[14] = iv[15] = 0;
	for (int q = 0; q < 4; q++)
		iv[4 + q] ^= ssrc[q];
	for (int q = 0; q < 6; q++)
		iv[8 + q] ^= (uint8_t)(index >> (40 - 8 * q));
}

/* RFC 7714 8.1 / 9.1: 0x0000 || SSRC || ROC || SEQ (SRTP), or
 * 0x0000 || SSRC || 0x0000 || 0 || SRTCP index, XOR the salt. */
static void gcm_iv(uint8_t *iv, const uint8_t *salt, const uint8_t *ssrc, uint32_t hi,
		   uint32_t lo, bool rtcp)
{
	uint8_t v[12] = { 0 };

	memcpy(v + 2, ssrc, 4);
	if (rtcp) {
		store32(v + 8, lo);
	} else {
		store32(v + 6, hi);
		v[10] = (uint8_t)(lo >> 8);
		v[11] = (uint8_t)lo;
	}
	for (int q = 0; q < 12; q++)
		iv[q] = v[q] ^ salt[q];
}

static void completed(IMB_JOB *j)
{
	struct mb_slot *slot = j->user_data;

	slot->done = j->status == IMB_STATUS_COMPLETED;
}

static void submit(IMB_MGR *m)
{
	for (IMB_JOB *j = IMB_SUBMIT_JOB(m); j != NULL; j = IMB_GET_COMPLETED_JOB(m))
		completed(j);
}

/* An AES-CTR + HMAC-SHA1 job: cipher [coff, coff + clen), MAC [0, hlen)
 * of src into slot->tag. */
static void cm_job(struct srtp_mb *mb, struct mb_slot *slot, const struct srtp_mb_ctx *c,
		   const struct cm_keys *k, uint8_t *src, int coff, int clen, int hlen, bool enc,
		   void *pkt)
{
	IMB_MGR *m = mb->cm_mgr;
	IMB_JOB *j = IMB_GET_NEXT_JOB(m);

	j->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	j->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	/* nothing to encrypt: the manager refuses a zero-length cipher */
	j->cipher_mode = clen > 0 ? IMB_CIPHER_CNTR : IMB_CIPHER_NULL;
	j->enc_keys = k->enc;
	j->dec_keys = k->enc;		/* counter mode runs the cipher forwards */
	j->key_len_in_bytes = c->key_len;
	j->iv = slot->iv;
	j->iv_len_in_bytes = 16;
	j->src = src;
	j->dst = src + coff;
	j->cipher_start_src_offset_in_bytes = (uint64_t)coff;
	j->msg_len_to_cipher_in_bytes = (uint64_t)clen;
	j->hash_alg = IMB_AUTH_HMAC_SHA_1;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = (uint64_t)hlen;
	j->auth_tag_output = slot->tag;
	j->auth_tag_output_len_in_bytes = HMAC_OUT;
	j->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = k->opad;
	j->user_data = slot;
	j->user_data2 = pkt;
	submit(m);
}

/* An AES-GCM job: cipher [coff, coff + clen) of src, aad, tag to tag. */
static void gcm_job(struct srtp_mb *mb, struct mb_slot *slot, const struct srtp_mb_ctx *c,
		    const struct gcm_keys *k, uint8_t *src, int coff, int clen,
		    const uint8_t *aad, int aad_len, uint8_t *tag, bool enc, void *pkt)
{
	IMB_JOB *j = IMB_GET_NEXT_JOB(mb->mgr);

	j->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	j->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	j->cipher_mode = IMB_CIPHER_GCM;
	j->enc_keys = &k->gcm;
	j->dec_keys = &k->gcm;
	j->key_len_in_bytes = c->key_len;
	j->iv = slot->iv;
	j->iv_len_in_bytes = 12;
	j->src = src;
	j->dst = src + coff;
	j->cipher_start_src_offset_in_bytes = (uint64_t)coff;
	j->msg_len_to_cipher_in_bytes = (uint64_t)clen;
	j->hash_alg = IMB_AUTH_AES_GMAC;
	j->hash_start_src_offset_in_bytes = (uint64_t)coff;
	j->msg_len_to_hash_in_bytes = (uint64_t)clen;
	j->u.GCM.aad = aad;
	j->u.GCM.aad_len_in_bytes = (uint64_t)aad_len;
	j->auth_tag_output = tag;
	j->auth_tag_output_len_in_bytes = GCM_TAG;
	j->user_data = slot;
	j->user_data2 = pkt;
	submit(mb->mgr);
}

static void flush_mgr(IMB_MGR *m)
{
	/* the jobs still in the lanes: their buffers stay ours until then */
	for (IMB_JOB *j = IMB_FLUSH_JOB(m); j != NULL; j = IMB_FLUSH_JOB(m))
		completed(j);
}

static void flush(struct srtp_mb *mb)
{
	flush_mgr(mb->mgr);
	if (mb->sha_mgr != NULL)
		flush_mgr(mb->sha_mgr);
}

/* ---- protect ---- */

/* Set up packet x's job; x->rc is left at 1 while it is in the lanes. */
static void protect_rtp(struct srtp_mb *mb, struct mb_slot *slot, struct srtp_mb_pkt *x)
{
	struct srtp_mb_ctx *c = x->ctx;
	uint8_t *b = x->buf;
	int h = rtp_header_len(b, x->len);
	struct mb_stream *s;
	uint64_t est;
	int64_t delta;

	if (h < 0) {
		x->rc = -EINVAL;
		return;
	}
	s = mb_stream_find(c, load32(b + 8));
	if (s == NULL && (s = mb_stream_add(c, load32(b + 8))) == NULL) {
		x->rc = -ENOSPC;
		return;
	}
	delta = rdbx_estimate(s->index, (uint16_t)(b[2] << 8 | b[3]), &est);
	x->rc = rdbx_check(s, delta);
	if (x->rc != 0)
		return;
	rdbx_add(s, delta);
	x->rc = IN_LANES;
	if (c->gcm) {
		const struct gcm_keys *k = c->keys[0];

		gcm_iv(slot->iv, k->salt, b + 8, (uint32_t)(est >> 16), (uint32_t)est, false);
		gcm_job(mb, slot, c, k, b, h, x->len - h, b, h, b + x->len, true, x);
		slot->trail = GCM_TAG;
	} else {
		const struct cm_keys *k = c->keys[0];

		cm_iv(slot->iv, k->salt, b + 8, est);
		/* the ROC after the packet for the MAC; the tag replaces it */
		store32(b + x->len, (uint32_t)(est >> 16));
		cm_job(mb, slot, c, k, b, h, x->len - h, x->len + 4, true, x);
		slot->trail = c->tag_len;
	}
}

static void protect_rtcp(struct srtp_mb *mb, struct mb_slot *slot, struct srtp_mb_pkt *x)
{
	struct srtp_mb_ctx *c = x->ctx;
	uint8_t *b = x->buf;
	struct mb_stream *s;
	uint32_t idx;

	if (x->len < RTCP_HDR || (b[0] >> 6) != 2) {
		x->rc = -EINVAL;
		return;
	}
	s = mb_stream_find(c, load32(b + 4));
	if (s == NULL && (s = mb_stream_add(c, load32(b + 4))) == NULL) {
		x->rc = -ENOSPC;
		return;
	}
	if (s->rtcp_index >= SRTCP_INDEX_MAX) {
		x->rc = -EKEYEXPIRED;
		return;
	}
	idx = ++s->rtcp_index;
	x->rc = IN_LANES;
	if (c->gcm) {
		const struct gcm_keys *k = c->keys[1];

		gcm_iv(slot->iv, k->salt, b + 4, 0, idx, true);
		memcpy(slot->aad, b, RTCP_HDR);
		store32(slot->aad + RTCP_HDR, SRTCP_E | idx);
		/* header | ciphertext | tag | E || index */
		store32(b + x->len + GCM_TAG, SRTCP_E | idx);
		gcm_job(mb, slot, c, k, b, RTCP_HDR, x->len - RTCP_HDR, slot->aad, 12,
			b + x->len, true, x);
		slot->trail = GCM_TAG + 4;
	} else {
		const struct cm_keys *k = c->keys[1];

		cm_iv(slot->iv, k->salt, b + 4, idx);
		/* header | ciphertext | E || index | tag, the MAC over all before it */
		store32(b + x->len, SRTCP_E | idx);
		cm_job(mb, slot, c, k, b, RTCP_HDR, x->len - RTCP_HDR, x->len + 4, true, x);
		slot->trail = 4 + c->rtcp_tag_len;
	}
}

typedef void (*take_fn)(struct srtp_mb *mb, struct mb_slot *slot, struct srtp_mb_pkt *x);

/* Take m packets (each its job, or a refusal now), then flush: every job
 * has completed when this returns. */
static void run_jobs(struct srtp_mb *mb, struct srtp_mb_pkt *p, unsigned m, take_fn rtp,
		     take_fn rtcp)
{
	/* HMAC-SHA1 jobs of a small burst: a multi-lane manager (AVX2,
	 * AVX512) waits for lanes it will not fill and then flushes them
	 * half-empty; the SHA-NI manager takes them one by one, 3x cheaper
	 * at a packet (docs/benchmarks.md) */
	mb->cm_mgr = m < SRTP_MB_SMALL_BURST && mb->sha_mgr != NULL ? mb->sha_mgr : mb->mgr;
	for (unsigned i = 0; i < m; i++) {
		struct mb_slot *slot = &mb->slot[i];

		slot->done = false;
		slot->created = false;
		(p[i].rtcp ? rtcp : rtp)(mb, slot, &p[i]);
	}
	flush(mb);
}

void srtp_mb_protect(struct srtp_mb *mb, struct srtp_mb_pkt *p, unsigned n)
{
	for (unsigned base = 0; base < n; base += SRTP_MB_BURST) {
		unsigned m = n - base < SRTP_MB_BURST ? n - base : SRTP_MB_BURST;

		run_jobs(mb, p + base, m, protect_rtp, protect_rtcp);
		for (unsigned i = 0; i < m; i++) {
			struct srtp_mb_pkt *x = &p[base + i];
			struct mb_slot *slot = &mb->slot[i];

			if (x->rc != IN_LANES)
				continue;
			if (!slot->done) {
				x->rc = -EIO;
				continue;
			}
			x->rc = 0;
			if (!x->ctx->gcm) {
				/* the truncated tag after the data (and SRTCP's index) */
				int at = x->len + (x->rtcp ? 4 : 0);

				memcpy(x->buf + at, slot->tag,
				       x->rtcp ? x->ctx->rtcp_tag_len : x->ctx->tag_len);
			}
			x->len += slot->trail;
		}
	}
}

/* ---- unprotect ---- */

static void unprotect_rtp(struct srtp_mb *mb, struct mb_slot *slot, struct srtp_mb_pkt *x)
{
	struct srtp_mb_ctx *c = x->ctx;
	uint8_t *b = x->buf;
	int h = rtp_header_len(b, x->len), tl = c->tag_len, body;
	uint16_t seq = (uint16_t)(b[2] << 8 | b[3]);
	struct mb_stream *s;
	uint64_t est;
	int64_t delta;

	if (h < 0 || x->len - h < tl) {
		x->rc = -EINVAL;
		return;
	}
	body = x->len - tl;
	s = mb_stream_find(c, load32(b + 8));
	if (s == NULL) {
		/* a new SSRC: a stream for the burst, kept if a packet of it
		 * authenticates; from index 0, as libsrtp2 starts one */
		if ((s = mb_stream_add(c, load32(b + 8))) == NULL) {
			x->rc = -ENOSPC;
			return;
		}
		s->live = false;
		slot->created = true;
	}
	/* The ROC is guessed from where the stream will be once the burst's
	 * earlier packets are in, as libsrtp2 taking them one by one would;
	 * the replay window is checked now against what is known, and again
	 * when the packet is committed. */
	if (s->pgen != mb->gen) {
		s->pgen = mb->gen;
		s->pindex = s->index;
	}
	rdbx_estimate(s->pindex, seq, &slot->est);
	delta = rdbx_estimate(s->index, seq, &est);
	if (est == slot->est && rdbx_check(s, delta) != 0) {
		x->rc = REFUSED;	/* no crypto; which refusal, decided in order */
		return;
	}
	if (slot->est > s->pindex)
		s->pindex = slot->est;
	x->rc = IN_LANES;
	slot->trail = tl;
	memcpy(slot->want, b + body, (size_t)tl);
	if (c->gcm) {
		const struct gcm_keys *k = c->keys[0];

		gcm_iv(slot->iv, k->salt, b + 8, (uint32_t)(slot->est >> 16), (uint32_t)slot->est,
		       false);
		gcm_job(mb, slot, c, k, b, h, body - h, b, h, slot->tag, false, x);
	} else {
		const struct cm_keys *k = c->keys[0];

		cm_iv(slot->iv, k->salt, b + 8, slot->est);
		/* the MAC covers header, payload and ROC: the ROC goes where the
		 * tag was (it was kept) */
		store32(b + body, (uint32_t)(slot->est >> 16));
		cm_job(mb, slot, c, k, b, h, body - h, body + 4, false, x);
	}
}

static void unprotect_rtcp(struct srtp_mb *mb, struct mb_slot *slot, struct srtp_mb_pkt *x)
{
	struct srtp_mb_ctx *c = x->ctx;
	uint8_t *b = x->buf;
	int tl = c->rtcp_tag_len, body = x->len - tl - 4;
	const struct mb_stream *s;
	const uint8_t *trailer;
	uint32_t e_idx;

	if (body < RTCP_HDR || (b[0] >> 6) != 2) {
		x->rc = -EINVAL;
		return;
	}
	/* GCM: header | ciphertext | tag | E || index; AES-CM: header |
	 * ciphertext | E || index | tag */
	trailer = c->gcm ? b + x->len - 4 : b + body;
	e_idx = load32(trailer);
	slot->est = e_idx & SRTCP_INDEX_MAX;
	if (c->gcm && !(e_idx & SRTCP_E)) {
		x->rc = -ENOTSUP;
		return;
	}
	s = mb_stream_find(c, load32(b + 4));
	if (s != NULL && rdb_check(s, (uint32_t)slot->est) != 0) {
		x->rc = REFUSED;
		return;
	}
	x->rc = IN_LANES;
	slot->trail = tl + 4;
	if (c->gcm) {
		const struct gcm_keys *k = c->keys[1];

		memcpy(slot->want, b + body, GCM_TAG);
		memcpy(slot->aad, b, RTCP_HDR);
		memcpy(slot->aad + RTCP_HDR, trailer, 4);
		gcm_iv(slot->iv, k->salt, b + 4, 0, (uint32_t)slot->est, true);
		gcm_job(mb, slot, c, k, b, RTCP_HDR, body - RTCP_HDR, slot->aad, 12, slot->tag,
			false, x);
	} else {
		const struct cm_keys *k = c->keys[1];

		memcpy(slot->want, b + x->len - tl, (size_t)tl);
		cm_iv(slot->iv, k->salt, b + 4, slot->est);
		cm_job(mb, slot, c, k, b, RTCP_HDR, (e_idx & SRTCP_E) ? body - RTCP_HDR : 0,
		       x->len - tl, false, x);
	}
}

/* In array order, after the burst: the tag, then the replay window and
 * the stream, as libsrtp2 takes packets one by one. */
static int unprotect_commit(struct srtp_mb_pkt *x, struct mb_slot *slot)
{
	struct srtp_mb_ctx *c = x->ctx;
	const uint8_t *b = x->buf;
	struct mb_stream *s = mb_stream_find(c, load32(b + (x->rtcp ? 4 : 8)));
	int tl = x->rtcp ? c->rtcp_tag_len : c->tag_len, rc;
	bool crypto = x->rc == IN_LANES;

	/* libsrtp2's order: the replay check, then the tag */
	if (x->rtcp) {
		if (s != NULL && (rc = rdb_check(s, (uint32_t)slot->est)) != 0)
			return rc;
		if (!crypto)
			return -EALREADY;
		if (!slot->done)
			return -EIO;
		if (CRYPTO_memcmp(slot->tag, slot->want, (size_t)tl) != 0)
			return -EBADMSG;
		if (s == NULL && (s = mb_stream_add(c, load32(b + 4))) == NULL)
			return -ENOSPC;
		rdb_add(s, (uint32_t)slot->est);
		s->live = true;
		return 0;
	}
	if (s == NULL)		/* made when the packet was taken */
		return -EIO;
	uint64_t est;
	int64_t delta = rdbx_estimate(s->index, (uint16_t)(b[2] << 8 | b[3]), &est);

	if ((rc = rdbx_check(s, delta)) != 0)
		return rc;
	/* the guess assumed the burst's earlier packets authentic; one was
	 * not, and without it libsrtp2 would have guessed another ROC, under
	 * which this packet is not authentic either (docs/media-crypto.md) */
	if (!crypto || est != slot->est)
		return -EBADMSG;
	if (!slot->done)
		return -EIO;
	if (CRYPTO_memcmp(slot->tag, slot->want, (size_t)tl) != 0)
		return -EBADMSG;
	rdbx_add(s, delta);
	s->live = true;
	return 0;
}

void srtp_mb_unprotect(struct srtp_mb *mb, struct srtp_mb_pkt *p, unsigned n)
{
	for (unsigned base = 0; base < n; base += SRTP_MB_BURST) {
		unsigned m = n - base < SRTP_MB_BURST ? n - base : SRTP_MB_BURST;

		mb->gen++;
		run_jobs(mb, p + base, m, unprotect_rtp, unprotect_rtcp);
		for (unsigned i = 0; i < m; i++) {
			struct srtp_mb_pkt *x = &p[base + i];

			if (x->rc != IN_LANES && x->rc != REFUSED)
				continue;
			x->rc = unprotect_commit(x, &mb->slot[i]);
			if (x->rc == 0)
				x->len -= mb->slot[i].trail;
		}
		for (unsigned i = 0; i < m; i++)
			if (mb->slot[i].created)
				mb_stream_drop_unused(p[base + i].ctx, load32(p[base + i].buf + 8));
	}
}
