/* Burst SRTP on intel-ipsec-mb (srtp_mb.h). */
#include "srtp_mb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

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

typedef unsigned __int128 u128;

/* Key set-up only: expanding AES keys, GHASH tables and HMAC pads goes
 * through the manager's function table, which keeps no state, so any
 * thread may use it once srtp_mb_init() has run. */
static IMB_MGR *keymgr;

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
	IMB_MGR *mgr;
	uint32_t gen;		/* bursts unprotected */
	struct mb_slot slot[SRTP_MB_BURST];
};

static const char *arch_name = "none";

int srtp_mb_init(void)
{
	IMB_ARCH arch;
	IMB_MGR *m;

	if (keymgr != NULL)
		return 0;
	m = alloc_mb_mgr(0);
	if (m == NULL)
		return -ENOTSUP;
	/* without AES-NI and PCLMULQDQ the library emulates them, slower
	 * than OpenSSL: the libsrtp2 path is better there */
	if ((m->features & (IMB_FEATURE_AESNI | IMB_FEATURE_PCLMULQDQ)) !=
	    (IMB_FEATURE_AESNI | IMB_FEATURE_PCLMULQDQ)) {
		free_mb_mgr(m);
		return -ENOTSUP;
	}
	init_mb_mgr_auto(m, &arch);
	if (imb_get_errno(m) != 0) {
		free_mb_mgr(m);
		return -ENOTSUP;
	}
	switch (arch) {
	case IMB_ARCH_AVX512:
		arch_name = "AVX512";
		break;
	case IMB_ARCH_AVX2:
		arch_name = "AVX2";
		break;
	case IMB_ARCH_AVX:
		arch_name = "AVX";
		break;
	case IMB_ARCH_SSE:
		arch_name = "SSE";
		break;
	default:
		free_mb_mgr(m);
		return -ENOTSUP;
	}
	keymgr = m;
	return 0;
}

bool srtp_mb_ready(void)
{
	return keymgr != NULL;
}

const char *srtp_mb_arch(void)
{
	return arch_name;
}

const char *srtp_mb_version(void)
{
	return imb_get_version_str();
}

struct srtp_mb *srtp_mb_new(void)
{
	struct srtp_mb *mb;

	if (keymgr == NULL)
		return NULL;
	mb = aligned_alloc(64, (sizeof(*mb) + 63) & ~(size_t)63);
	if (mb == NULL)
		return NULL;
	memset(mb, 0, sizeof(*mb));
	mb->mgr = alloc_mb_mgr(0);
	if (mb->mgr == NULL) {
		free(mb);
		return NULL;
	}
	init_mb_mgr_auto(mb->mgr, NULL);
	if (imb_get_errno(mb->mgr) != 0) {
		srtp_mb_free(mb);
		return NULL;
	}
	return mb;
}

void srtp_mb_free(struct srtp_mb *mb)
{
	if (mb == NULL)
		return;
	free_mb_mgr(mb->mgr);
	OPENSSL_cleanse(mb, sizeof(*mb));	/* the last burst's IVs and tags */
	free(mb);
}

/* ---- contexts and keys ---- */

struct suite_params {
	uint8_t key_len, salt_len, tag_len, rtcp_tag_len;
	bool gcm;
};

static int suite_params(enum umedge_srtp_suite s, struct suite_params *p)
{
	switch (s) {
	case UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80:
		*p = (struct suite_params){ 16, 14, 10, SRTCP_CM_TAG, false };
		return 0;
	case UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32:
		*p = (struct suite_params){ 16, 14, 4, SRTCP_CM_TAG, false };
		return 0;
	case UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80:
		*p = (struct suite_params){ 32, 14, 10, SRTCP_CM_TAG, false };
		return 0;
	case UMEDGE_SRTP_AEAD_AES_128_GCM:
		*p = (struct suite_params){ 16, 12, GCM_TAG, GCM_TAG, true };
		return 0;
	case UMEDGE_SRTP_AEAD_AES_256_GCM:
		*p = (struct suite_params){ 32, 12, GCM_TAG, GCM_TAG, true };
		return 0;
	default:
		return -EINVAL;
	}
}

static size_t keys_size(bool gcm)
{
	size_t k = gcm ? sizeof(struct gcm_keys) : sizeof(struct cm_keys);

	return (k + 63) & ~(size_t)63;
}

size_t srtp_mb_ctx_size(enum umedge_srtp_suite suite)
{
	struct suite_params sp;

	if (suite_params(suite, &sp) != 0)
		return 0;
	return sizeof(struct srtp_mb_ctx) + 2 * keys_size(sp.gcm);
}

static int ctx_alloc(enum umedge_srtp_suite suite, bool outbound, struct srtp_mb_ctx **out)
{
	struct suite_params sp;
	struct srtp_mb_ctx *c;
	size_t size;

	*out = NULL;
	if (suite_params(suite, &sp) != 0)
		return -EINVAL;
	if (keymgr == NULL)
		return -ENOTSUP;
	size = (srtp_mb_ctx_size(suite) + 63) & ~(size_t)63;
	c = aligned_alloc(64, size);
	if (c == NULL)
		return -ENOMEM;
	memset(c, 0, size);
	c->suite = suite;
	c->outbound = outbound;
	c->gcm = sp.gcm;
	c->key_len = sp.key_len;
	c->salt_len = sp.salt_len;
	c->tag_len = sp.tag_len;
	c->rtcp_tag_len = sp.rtcp_tag_len;
	c->size = size;
	c->keys[0] = c->tail;
	c->keys[1] = c->tail + keys_size(sp.gcm);
	*out = c;
	return 0;
}

/* One of the context's key sets from session keys. */
static void set_keys(struct srtp_mb_ctx *c, unsigned which, const uint8_t *ek,
		     const uint8_t *salt, const uint8_t *ak)
{
	if (c->gcm) {
		struct gcm_keys *g = c->keys[which];

		if (c->key_len == 16)
			IMB_AES128_GCM_PRE(keymgr, ek, &g->gcm);
		else
			IMB_AES256_GCM_PRE(keymgr, ek, &g->gcm);
		memcpy(g->salt, salt, 12);
	} else {
		struct cm_keys *k = c->keys[which];
		uint32_t dec[4 * 15] __attribute__((aligned(16)));
		uint8_t blk[64];

		if (c->key_len == 16)
			IMB_AES_KEYEXP_128(keymgr, ek, k->enc, dec);
		else
			IMB_AES_KEYEXP_256(keymgr, ek, k->enc, dec);
		memset(blk, 0x36, sizeof(blk));
		for (int i = 0; i < 20; i++)
			blk[i] ^= ak[i];
		IMB_SHA1_ONE_BLOCK(keymgr, blk, k->ipad);
		memset(blk, 0x5c, sizeof(blk));
		for (int i = 0; i < 20; i++)
			blk[i] ^= ak[i];
		IMB_SHA1_ONE_BLOCK(keymgr, blk, k->opad);
		memcpy(k->salt, salt, 14);
		OPENSSL_cleanse(dec, sizeof(dec));
		OPENSSL_cleanse(blk, sizeof(blk));
	}
}

/* RFC 3711 4.3.1 with kdr 0: the AES-CM keystream under the master key
 * from IV = (master salt, zero-padded to 14 octets, XOR label at octet 7)
 * || 0x0000 (RFC 7714 11 keeps it for the 12-octet salts). */
static int prf(const uint8_t *key, int key_len, const uint8_t *salt14, uint8_t label,
	       uint8_t *out, int len)
{
	uint8_t iv[16] = { 0 }, zero[32] = { 0 };
	EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
	int n = 0, rc = -EIO;

	memcpy(iv, salt14, 14);
	iv[7] ^= label;
	if (e != NULL && len <= (int)sizeof(zero) &&
	    EVP_EncryptInit_ex(e, key_len == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr(), NULL,
			       key, iv) == 1 &&
	    EVP_EncryptUpdate(e, out, &n, zero, len) == 1 && n == len)
		rc = 0;
	EVP_CIPHER_CTX_free(e);
	return rc;
}

int srtp_mb_ctx_new(enum umedge_srtp_suite suite, const uint8_t *master, bool outbound,
		    struct srtp_mb_ctx **out)
{
	uint8_t salt14[14] = { 0 }, ek[32], ak[20] = { 0 }, salt[14];
	struct srtp_mb_ctx *c;
	int rc = ctx_alloc(suite, outbound, &c);

	*out = NULL;
	if (rc != 0)
		return rc;
	memcpy(salt14, master + c->key_len, c->salt_len);
	for (unsigned w = 0; w < 2; w++) {
		uint8_t base = (uint8_t)(3 * w);	/* SRTP labels 0-2, SRTCP 3-5 */

		rc = -EIO;
		if (prf(master, c->key_len, salt14, base, ek, c->key_len) != 0 ||
		    (!c->gcm && prf(master, c->key_len, salt14, base + 1, ak, 20) != 0) ||
		    prf(master, c->key_len, salt14, base + 2, salt, c->salt_len) != 0)
			goto out;
		set_keys(c, w, ek, salt, ak);
	}
	rc = 0;
out:
	OPENSSL_cleanse(salt14, sizeof(salt14));
	OPENSSL_cleanse(ek, sizeof(ek));
	OPENSSL_cleanse(ak, sizeof(ak));
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc != 0) {
		srtp_mb_ctx_free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

int srtp_mb_ctx_new_session(enum umedge_srtp_suite suite, const uint8_t *key,
			    const uint8_t *salt, const uint8_t *auth_key, bool outbound,
			    struct srtp_mb_ctx **out)
{
	static const uint8_t none[20];
	struct srtp_mb_ctx *c;
	int rc = ctx_alloc(suite, outbound, &c);

	*out = NULL;
	if (rc != 0)
		return rc;
	for (unsigned w = 0; w < 2; w++)
		set_keys(c, w, key, salt, auth_key != NULL ? auth_key : none);
	*out = c;
	return 0;
}

void srtp_mb_ctx_free(struct srtp_mb_ctx *c)
{
	if (c == NULL)
		return;
	if (c->more != NULL) {
		OPENSSL_cleanse(c->more, (SRTP_MB_STREAMS_MAX - SRTP_MB_STREAMS_INLINE) *
						 sizeof(c->more[0]));
		free(c->more);
	}
	OPENSSL_cleanse(c, c->size);
	free(c);
}

void srtp_mb_prefetch(const struct srtp_mb_ctx *c, bool rtcp)
{
	const char *k = c->keys[rtcp];
	/* AES-CM: the round keys and the pads; GCM: the round keys and the
	 * GHASH key powers, which the library reads from all over the table */
	int lines = c->gcm ? (int)(sizeof(struct gcm_keys) + 63) / 64 : 5;

	__builtin_prefetch(c);
	__builtin_prefetch(&c->st[0]);
	for (int i = 0; i < lines; i++)
		__builtin_prefetch(k + 64 * i);
}

static inline struct mb_stream *stream_at(const struct srtp_mb_ctx *c, unsigned i)
{
	return i < SRTP_MB_STREAMS_INLINE ? (struct mb_stream *)&c->st[i] :
					    &c->more[i - SRTP_MB_STREAMS_INLINE];
}

static struct mb_stream *stream_find(const struct srtp_mb_ctx *c, uint32_t ssrc)
{
	for (unsigned i = 0; i < c->n_streams; i++)
		if (stream_at(c, i)->ssrc == ssrc)
			return stream_at(c, i);
	return NULL;
}

static struct mb_stream *stream_add(struct srtp_mb_ctx *c, uint32_t ssrc)
{
	struct mb_stream *s;

	if (c->n_streams == SRTP_MB_STREAMS_MAX)
		return NULL;
	/* the first SSRC past the inline ones: once per context, rare */
	if (c->n_streams == SRTP_MB_STREAMS_INLINE && c->more == NULL &&
	    (c->more = calloc(SRTP_MB_STREAMS_MAX - SRTP_MB_STREAMS_INLINE,
			      sizeof(c->more[0]))) == NULL)
		return NULL;
	s = stream_at(c, c->n_streams++);
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->live = true;
	return s;
}

/* A stream made for a burst whose packets all failed: forgeries must not
 * take SSRC places. */
static void stream_drop_unused(struct srtp_mb_ctx *c, uint32_t ssrc)
{
	struct mb_stream *s = stream_find(c, ssrc);

	if (s == NULL || s->live)
		return;
	c->n_streams--;
	*s = *stream_at(c, c->n_streams);
	memset(stream_at(c, c->n_streams), 0, sizeof(*s));
}

bool srtp_mb_ctx_roc(const struct srtp_mb_ctx *c, uint32_t ssrc, uint32_t *roc)
{
	const struct mb_stream *s = stream_find(c, ssrc);

	if (s == NULL)
		return false;
	*roc = (uint32_t)(s->index >> 16);
	return true;
}

/* ---- libsrtp2's index estimate and replay windows ---- */

/* RFC 3711 3.3.1 as libsrtp2's rdbx does it: the index of seq nearest
 * the highest seen, and its distance from it. A stream that has not yet
 * passed 2^15 takes ROC 0 (guessing ROC -1 there would be wrong). */
static int64_t rdbx_estimate(uint64_t index, uint16_t seq, uint64_t *est)
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

static int rdbx_check(const struct mb_stream *s, int64_t delta)
{
	if (delta > 0)
		return 0;
	if (-delta >= WINDOW)
		return -ESTALE;
	return (s->win >> -delta) & 1 ? -EALREADY : 0;
}

static void rdbx_add(struct mb_stream *s, int64_t delta)
{
	if (delta > 0) {
		s->index += (uint16_t)delta;
		s->win = delta >= WINDOW ? 0 : s->win << delta;
		s->win |= 1;
	} else {
		s->win |= (u128)1 << -delta;
	}
}

static int rdb_check(const struct mb_stream *s, uint32_t idx)
{
	if ((uint64_t)idx >= (uint64_t)s->rtcp_index + WINDOW)
		return 0;
	if (idx < s->rtcp_index)
		return -ESTALE;
	return (s->rtcp_win >> (idx - s->rtcp_index)) & 1 ? -EALREADY : 0;
}

static void rdb_add(struct mb_stream *s, uint32_t idx)
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

/* An AES-CTR + HMAC-SHA1 job: cipher [coff, coff + clen), MAC [0, hlen)
 * of src into slot->tag. */
static void cm_job(struct srtp_mb *mb, struct mb_slot *slot, const struct srtp_mb_ctx *c,
		   const struct cm_keys *k, uint8_t *src, int coff, int clen, int hlen, bool enc,
		   void *pkt)
{
	IMB_JOB *j = IMB_GET_NEXT_JOB(mb->mgr);

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
}

static void completed(IMB_JOB *j)
{
	struct mb_slot *slot = j->user_data;

	slot->done = j->status == IMB_STATUS_COMPLETED;
}

static void submit(struct srtp_mb *mb)
{
	for (IMB_JOB *j = IMB_SUBMIT_JOB(mb->mgr); j != NULL; j = IMB_GET_COMPLETED_JOB(mb->mgr))
		completed(j);
}

static void flush(struct srtp_mb *mb)
{
	/* the jobs still in the lanes: their buffers stay ours until then */
	for (IMB_JOB *j = IMB_FLUSH_JOB(mb->mgr); j != NULL; j = IMB_FLUSH_JOB(mb->mgr))
		completed(j);
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
	s = stream_find(c, load32(b + 8));
	if (s == NULL && (s = stream_add(c, load32(b + 8))) == NULL) {
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
	s = stream_find(c, load32(b + 4));
	if (s == NULL && (s = stream_add(c, load32(b + 4))) == NULL) {
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

void srtp_mb_protect(struct srtp_mb *mb, struct srtp_mb_pkt *p, unsigned n)
{
	for (unsigned base = 0; base < n; base += SRTP_MB_BURST) {
		unsigned m = n - base < SRTP_MB_BURST ? n - base : SRTP_MB_BURST;

		for (unsigned i = 0; i < m; i++) {
			struct srtp_mb_pkt *x = &p[base + i];
			struct mb_slot *slot = &mb->slot[i];

			slot->done = false;
			if (x->rtcp)
				protect_rtcp(mb, slot, x);
			else
				protect_rtp(mb, slot, x);
			if (x->rc == IN_LANES)
				submit(mb);
		}
		flush(mb);
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
	s = stream_find(c, load32(b + 8));
	if (s == NULL) {
		/* a new SSRC: a stream for the burst, kept if a packet of it
		 * authenticates; from index 0, as libsrtp2 starts one */
		if ((s = stream_add(c, load32(b + 8))) == NULL) {
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
	s = stream_find(c, load32(b + 4));
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
	struct mb_stream *s = stream_find(c, load32(b + (x->rtcp ? 4 : 8)));
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
		if (s == NULL && (s = stream_add(c, load32(b + 4))) == NULL)
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
		for (unsigned i = 0; i < m; i++) {
			struct srtp_mb_pkt *x = &p[base + i];
			struct mb_slot *slot = &mb->slot[i];

			slot->done = false;
			slot->created = false;
			if (x->rtcp)
				unprotect_rtcp(mb, slot, x);
			else
				unprotect_rtp(mb, slot, x);
			if (x->rc == IN_LANES)
				submit(mb);
		}
		flush(mb);
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
				stream_drop_unused(p[base + i].ctx, load32(p[base + i].buf + 8));
	}
}
