/* Burst SRTP on intel-ipsec-mb (srtp_mb.h). */
#include "srtp_mb.h"

#include <errno.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define RTP_HDR 12
#define MAX_BURST 64
#define HMAC_OUT 12		/* the shortest SHA-1 tag the manager writes */

struct srtp_mb {
	IMB_MGR *mgr;
	/* each packet's counter block and full tag, alive until it completes */
	uint8_t iv[MAX_BURST][16] __attribute__((aligned(16)));
	uint8_t tag[MAX_BURST][HMAC_OUT] __attribute__((aligned(16)));
};

struct srtp_mb *srtp_mb_new(void)
{
	struct srtp_mb *mb = aligned_alloc(64, (sizeof(struct srtp_mb) + 63) & ~(size_t)63);

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
	OPENSSL_cleanse(mb, sizeof(*mb));
	free(mb);
}

const char *srtp_mb_arch(const struct srtp_mb *mb)
{
	switch (mb->mgr->used_arch) {
	case IMB_ARCH_AVX512:
		return "AVX512";
	case IMB_ARCH_AVX2:
		return "AVX2";
	case IMB_ARCH_AVX:
		return "AVX";
	case IMB_ARCH_SSE:
		return "SSE";
	default:
		return "none";
	}
}

const char *srtp_mb_version(void)
{
	return imb_get_version_str();
}

/* RFC 3711 4.3.1 with kdr 0: the AES-CM keystream under the master key
 * from IV = (salt XOR label at octet 7) || 0x0000. */
static int prf(const uint8_t *master, uint8_t label, uint8_t *out, int len)
{
	uint8_t iv[16] = { 0 }, zero[32] = { 0 };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, rc = -EIO;

	memcpy(iv, master + 16, 14);
	iv[7] ^= label;
	if (c != NULL && len <= (int)sizeof(zero) &&
	    EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, master, iv) == 1 &&
	    EVP_EncryptUpdate(c, out, &n, zero, len) == 1 && n == len)
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int srtp_mb_key_init(struct srtp_mb *mb, struct srtp_mb_key *k, enum umedge_srtp_suite suite,
		     const uint8_t *master)
{
	uint8_t ek[16], ak[20], blk[64];
	int rc = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (suite != UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80 &&
	    suite != UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32)
		goto out;
	k->tag_len = suite == UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80 ? 10 : 4;
	rc = -EIO;
	if (prf(master, 0, ek, 16) != 0 || prf(master, 1, ak, 20) != 0 ||
	    prf(master, 2, k->salt, 14) != 0)
		goto out;
	IMB_AES_KEYEXP_128(mb->mgr, ek, k->enc_keys, k->dec_keys);
	memset(blk, 0x36, sizeof(blk));
	for (int i = 0; i < 20; i++)
		blk[i] ^= ak[i];
	IMB_SHA1_ONE_BLOCK(mb->mgr, blk, k->ipad);
	memset(blk, 0x5c, sizeof(blk));
	for (int i = 0; i < 20; i++)
		blk[i] ^= ak[i];
	IMB_SHA1_ONE_BLOCK(mb->mgr, blk, k->opad);
	rc = 0;
out:
	OPENSSL_cleanse(ek, sizeof(ek));
	OPENSSL_cleanse(ak, sizeof(ak));
	OPENSSL_cleanse(blk, sizeof(blk));
	if (rc != 0)
		srtp_mb_key_wipe(k);
	return rc;
}

void srtp_mb_key_wipe(struct srtp_mb_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* The RTP header's length (CSRCs and extension), or -1. */
static int header_len(const uint8_t *p, int len)
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

/* The sender's packet index (RFC 3711 3.3.1): the ROC steps when the
 * sequence number wraps. */
static uint64_t index_of(struct srtp_mb_seq *s, uint16_t seq)
{
	if (!s->started) {
		s->started = true;
	} else if (seq < s->last && (uint16_t)(s->last - seq) > 0x8000) {
		s->roc++;
	}
	s->last = seq;
	return (uint64_t)s->roc << 16 | seq;
}

/* A job came back: its packet's tag (truncated) where the ROC was. */
static void completed(const IMB_JOB *j)
{
	struct srtp_mb_pkt *y = j->user_data;

	y->rc = j->status == IMB_STATUS_COMPLETED ? 0 : -EIO;
	if (y->rc == 0) {
		memcpy(y->buf + y->len, j->user_data2, y->key->tag_len);
		y->len += y->key->tag_len;
	}
}

void srtp_mb_protect(struct srtp_mb *mb, struct srtp_mb_pkt *p, unsigned n)
{
	for (unsigned base = 0; base < n; base += MAX_BURST) {
		unsigned m = n - base < MAX_BURST ? n - base : MAX_BURST;

		for (unsigned i = 0; i < m; i++) {
			struct srtp_mb_pkt *x = &p[base + i];
			const struct srtp_mb_key *k = x->key;
			uint8_t *iv = mb->iv[i], *b = x->buf;
			int h = header_len(b, x->len);
			uint64_t idx;
			IMB_JOB *j;

			x->rc = -EINVAL;
			if (h < 0)
				continue;
			idx = index_of(x->seq, (uint16_t)(b[2] << 8 | b[3]));
			/* IV = salt * 2^16 XOR SSRC * 2^64 XOR index * 2^16 (4.1.1) */
			memcpy(iv, k->salt, 14);
			iv[14] = iv[15] = 0;
			for (int q = 0; q < 4; q++)
				iv[4 + q] ^= b[8 + q];
			for (int q = 0; q < 6; q++)
				iv[8 + q] ^= (uint8_t)(idx >> (40 - 8 * q));
			/* the ROC after the packet for the MAC; the tag replaces it */
			b[x->len] = (uint8_t)(x->seq->roc >> 24);
			b[x->len + 1] = (uint8_t)(x->seq->roc >> 16);
			b[x->len + 2] = (uint8_t)(x->seq->roc >> 8);
			b[x->len + 3] = (uint8_t)x->seq->roc;
			j = IMB_GET_NEXT_JOB(mb->mgr);
			j->cipher_direction = IMB_DIR_ENCRYPT;
			j->chain_order = IMB_ORDER_CIPHER_HASH;
			/* an empty payload: nothing to encrypt (the manager refuses a
			 * zero-length cipher), the header still authenticated */
			j->cipher_mode = x->len > h ? IMB_CIPHER_CNTR : IMB_CIPHER_NULL;
			j->enc_keys = k->enc_keys;
			j->dec_keys = k->dec_keys;
			j->key_len_in_bytes = 16;
			j->iv = iv;
			j->iv_len_in_bytes = 16;
			j->src = b;
			j->dst = b + h;
			j->cipher_start_src_offset_in_bytes = (uint64_t)h;
			j->msg_len_to_cipher_in_bytes = (uint64_t)(x->len - h);
			j->hash_alg = IMB_AUTH_HMAC_SHA_1;
			j->hash_start_src_offset_in_bytes = 0;
			j->msg_len_to_hash_in_bytes = (uint64_t)x->len + 4;
			j->auth_tag_output = mb->tag[i];
			j->auth_tag_output_len_in_bytes = HMAC_OUT;
			j->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
			j->u.HMAC._hashed_auth_key_xor_opad = k->opad;
			j->user_data = x;
			j->user_data2 = mb->tag[i];
			for (j = IMB_SUBMIT_JOB(mb->mgr); j != NULL; j = IMB_GET_COMPLETED_JOB(mb->mgr))
				completed(j);
		}
		/* the jobs still in the lanes: the buffers stay ours until then */
		for (IMB_JOB *j = IMB_FLUSH_JOB(mb->mgr); j != NULL; j = IMB_FLUSH_JOB(mb->mgr))
			completed(j);
	}
}
