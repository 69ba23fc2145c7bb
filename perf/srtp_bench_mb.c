/* srtp_bench's burst columns: the burst engine (media/srtp_mb.c) at bursts
 * of 1, 8, 32 and 64 packets, and raw intel-ipsec-mb: the same cipher and
 * MAC jobs (AES-CTR + HMAC-SHA1 from precomputed pads, or AES-GCM), the IV
 * built per packet, submitted and flushed per burst, without SRTP's
 * bookkeeping (no stream lookup, index estimate, replay window). Each
 * figure is ns per packet, the packet copied from a template first as the
 * other columns do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "srtp_backend.h"
#include "srtp_bench.h"
#include "srtp_mb.h"

#define BURST_MAX 64

static struct srtp_mb *mb;
static char describe[96];

int bench_mb_init(void)
{
	if (srtp_mb_init() != 0 || (mb = srtp_mb_new()) == NULL)
		return -ENOTSUP;
	snprintf(describe, sizeof(describe), "intel-ipsec-mb %s, %s code path", srtp_mb_version(),
		 srtp_mb_arch());
	return 0;
}

const char *bench_mb_describe(void)
{
	return describe;
}

/* Protect the batch (seq from *seq on) with tx, untimed: unprotect's input. */
static int protect_all(struct srtp_mb_ctx *tx, struct pkt *batch, int n, const uint8_t *tmpl,
		       int len, uint16_t *seq)
{
	struct srtp_mb_pkt p[BURST_MAX];

	for (int i = 0; i < n; i += BURST_MAX) {
		int m = n - i < BURST_MAX ? n - i : BURST_MAX;

		for (int j = 0; j < m; j++) {
			memcpy(batch[i + j].buf, tmpl, (size_t)len);
			bench_set_seq(batch[i + j].buf, (*seq)++);
			p[j] = (struct srtp_mb_pkt){ batch[i + j].buf, len, tx, false, 0 };
		}
		srtp_mb_protect(mb, p, (unsigned)m);
		for (int j = 0; j < m; j++) {
			if (p[j].rc != 0)
				return -1;
			batch[i + j].len = p[j].len;
		}
	}
	return 0;
}

int bench_mb(enum umedge_srtp_suite suite, int payload, enum op op, unsigned burst,
	     const struct opts *o, double *ns)
{
	uint8_t key[SRTP_MAX_KEY_LEN], tmpl[PKT_MAX];
	static struct pkt work[BURST_MAX];
	struct pkt *batch = NULL;
	struct srtp_mb_pkt p[BURST_MAX];
	double *samples = calloc((size_t)o->rounds, sizeof(double));
	struct srtp_mb_ctx *tx = NULL, *rx = NULL;
	uint16_t seq = 1;
	int len, n = o->batch - o->batch % (int)burst, ret = -1;

	bench_fill_key(key, sizeof(key), (int)suite);
	len = bench_make_rtp(tmpl, payload);
	if (samples == NULL || n < 1 || srtp_mb_ctx_new(suite, key, true, &tx) != 0 ||
	    srtp_mb_ctx_new(suite, key, false, &rx) != 0)
		goto out;
	if (op == OP_UNPROTECT && (batch = malloc((size_t)n * sizeof(*batch))) == NULL)
		goto out;
	for (int r = -1; r < o->rounds; r++) {	/* round -1 warms up */
		double t0, t1;

		if (op == OP_UNPROTECT && protect_all(tx, batch, n, tmpl, len, &seq) != 0)
			goto out;
		t0 = bench_now_ns();
		for (int i = 0; i < n; i += (int)burst) {
			struct srtp_mb_ctx *c = op == OP_PROTECT ? tx : rx;

			for (unsigned j = 0; j < burst; j++) {
				struct pkt *w = &work[j];

				if (op == OP_PROTECT) {
					memcpy(w->buf, tmpl, (size_t)len);
					bench_set_seq(w->buf, seq++);
					w->len = len;
				} else {
					memcpy(w->buf, batch[i + (int)j].buf, (size_t)batch[i + (int)j].len);
					w->len = batch[i + (int)j].len;
				}
				p[j] = (struct srtp_mb_pkt){ w->buf, w->len, c, false, 0 };
			}
			if (op == OP_PROTECT)
				srtp_mb_protect(mb, p, burst);
			else
				srtp_mb_unprotect(mb, p, burst);
			for (unsigned j = 0; j < burst; j++)
				if (p[j].rc != 0)
					goto out;
		}
		t1 = bench_now_ns();
		if (r >= 0)
			samples[r] = (t1 - t0) / n;
	}
	*ns = bench_median(samples, o->rounds);
	ret = 0;
out:
	srtp_mb_ctx_free(tx);
	srtp_mb_ctx_free(rx);
	free(batch);
	free(samples);
	return ret;
}

/* ---- raw intel-ipsec-mb ---- */

struct raw_mb {
	IMB_MGR *mgr;
	bool gcm;
	int key_len, tag_len;
	uint32_t enc[4 * 15] __attribute__((aligned(16)));
	uint8_t ipad[20] __attribute__((aligned(16)));
	uint8_t opad[20] __attribute__((aligned(16)));
	struct gcm_key_data gcm_keys __attribute__((aligned(64)));
	uint8_t salt[14];
	uint8_t iv[BURST_MAX][16] __attribute__((aligned(16)));
	uint8_t tag[BURST_MAX][16] __attribute__((aligned(16)));
	uint8_t want[BURST_MAX][16];
};

static int raw_init(struct raw_mb *r, enum umedge_srtp_suite suite)
{
	uint8_t key[32], blk[64], dec[4 * 15 * 4] __attribute__((aligned(16)));

	memset(r, 0, sizeof(*r));
	r->gcm = suite == UMEDGE_SRTP_AEAD_AES_128_GCM || suite == UMEDGE_SRTP_AEAD_AES_256_GCM;
	r->key_len = suite == UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80 ||
				     suite == UMEDGE_SRTP_AEAD_AES_256_GCM ?
			     32 :
			     16;
	r->tag_len = r->gcm ? 16 : suite == UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32 ? 4 : 10;
	r->mgr = alloc_mb_mgr(0);
	if (r->mgr == NULL)
		return -1;
	init_mb_mgr_auto(r->mgr, NULL);
	bench_fill_key(key, sizeof(key), 7);
	bench_fill_key(r->salt, sizeof(r->salt), 9);
	if (r->gcm) {
		if (r->key_len == 16)
			IMB_AES128_GCM_PRE(r->mgr, key, &r->gcm_keys);
		else
			IMB_AES256_GCM_PRE(r->mgr, key, &r->gcm_keys);
		return 0;
	}
	if (r->key_len == 16)
		IMB_AES_KEYEXP_128(r->mgr, key, r->enc, dec);
	else
		IMB_AES_KEYEXP_256(r->mgr, key, r->enc, dec);
	memset(blk, 0x36, sizeof(blk));
	for (int i = 0; i < 20; i++)
		blk[i] ^= key[i];
	IMB_SHA1_ONE_BLOCK(r->mgr, blk, r->ipad);
	memset(blk, 0x5c, sizeof(blk));
	for (int i = 0; i < 20; i++)
		blk[i] ^= key[i];
	IMB_SHA1_ONE_BLOCK(r->mgr, blk, r->opad);
	return 0;
}

/* One packet's job: the IV from its SSRC and sequence number (ROC 0), laid
 * out as AES-CM's (GCM takes its first 12 octets: the work is the same). */
static void raw_job(struct raw_mb *r, unsigned j, uint8_t *b, int len, bool enc)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(r->mgr);
	int body = enc ? len : len - r->tag_len;

	if (!enc)
		memcpy(r->want[j], b + body, (size_t)r->tag_len);
	memcpy(r->iv[j], r->salt, 14);
	for (int q = 0; q < 4; q++)
		r->iv[j][4 + q] ^= b[8 + q];
	r->iv[j][12] ^= b[2];
	r->iv[j][13] ^= b[3];
	r->iv[j][14] = r->iv[j][15] = 0;
	job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->key_len_in_bytes = (uint64_t)r->key_len;
	job->iv = r->iv[j];
	job->src = b;
	job->dst = b + HDR;
	job->cipher_start_src_offset_in_bytes = HDR;
	job->msg_len_to_cipher_in_bytes = (uint64_t)(body - HDR);
	job->user_data = b;
	if (r->gcm) {
		job->cipher_mode = IMB_CIPHER_GCM;
		job->enc_keys = job->dec_keys = &r->gcm_keys;
		job->iv_len_in_bytes = 12;
		job->hash_alg = IMB_AUTH_AES_GMAC;
		job->hash_start_src_offset_in_bytes = HDR;
		job->msg_len_to_hash_in_bytes = (uint64_t)(body - HDR);
		job->u.GCM.aad = b;
		job->u.GCM.aad_len_in_bytes = HDR;
		job->auth_tag_output = enc ? b + len : r->tag[j];
		job->auth_tag_output_len_in_bytes = 16;
	} else {
		job->cipher_mode = IMB_CIPHER_CNTR;
		job->enc_keys = job->dec_keys = r->enc;
		job->iv_len_in_bytes = 16;
		job->hash_alg = IMB_AUTH_HMAC_SHA_1;
		job->hash_start_src_offset_in_bytes = 0;
		memset(b + body, 0, 4);		/* the ROC, in the MAC */
		job->msg_len_to_hash_in_bytes = (uint64_t)body + 4;
		job->u.HMAC._hashed_auth_key_xor_ipad = r->ipad;
		job->u.HMAC._hashed_auth_key_xor_opad = r->opad;
		job->auth_tag_output = r->tag[j];
		job->auth_tag_output_len_in_bytes = 12;
	}
	IMB_SUBMIT_JOB(r->mgr);
}

static int raw_burst(struct raw_mb *r, struct pkt *w, unsigned n, bool enc)
{
	for (unsigned j = 0; j < n; j++)
		raw_job(r, j, w[j].buf, w[j].len, enc);
	while (IMB_FLUSH_JOB(r->mgr) != NULL)
		;
	for (unsigned j = 0; j < n; j++) {
		if (enc && !r->gcm)
			memcpy(w[j].buf + w[j].len, r->tag[j], (size_t)r->tag_len);
		if (enc)
			w[j].len += r->tag_len;
		else if (memcmp(r->tag[j], r->want[j], (size_t)r->tag_len) != 0)
			return -1;
		else
			w[j].len -= r->tag_len;
	}
	return 0;
}

int bench_mb_raw(enum umedge_srtp_suite suite, int payload, enum op op, unsigned burst,
		 const struct opts *o, double *ns)
{
	static struct raw_mb r;
	static struct pkt work[BURST_MAX];
	uint8_t tmpl[PKT_MAX];
	struct pkt *batch = NULL;
	double *samples = calloc((size_t)o->rounds, sizeof(double));
	uint16_t seq = 1;
	int len, n = o->batch - o->batch % (int)burst, ret = -1;

	if (samples == NULL || raw_init(&r, suite) != 0)
		goto out;
	len = bench_make_rtp(tmpl, payload);
	if (op == OP_UNPROTECT) {
		batch = malloc((size_t)n * sizeof(*batch));
		if (batch == NULL)
			goto out;
		for (int i = 0; i < n; i += (int)burst) {
			for (unsigned j = 0; j < burst; j++) {
				memcpy(work[j].buf, tmpl, (size_t)len);
				bench_set_seq(work[j].buf, seq++);
				work[j].len = len;
			}
			if (raw_burst(&r, work, burst, true) != 0)
				goto out;
			memcpy(&batch[i], work, burst * sizeof(work[0]));
		}
	}
	for (int rd = -1; rd < o->rounds; rd++) {
		double t0 = bench_now_ns(), t1;

		for (int i = 0; i < n; i += (int)burst) {
			for (unsigned j = 0; j < burst; j++) {
				if (op == OP_PROTECT) {
					memcpy(work[j].buf, tmpl, (size_t)len);
					bench_set_seq(work[j].buf, seq++);
					work[j].len = len;
				} else {
					memcpy(work[j].buf, batch[i + (int)j].buf,
					       (size_t)batch[i + (int)j].len);
					work[j].len = batch[i + (int)j].len;
				}
			}
			if (raw_burst(&r, work, burst, op == OP_PROTECT) != 0)
				goto out;
		}
		t1 = bench_now_ns();
		if (rd >= 0)
			samples[rd] = (t1 - t0) / n;
	}
	*ns = bench_median(samples, o->rounds);
	ret = 0;
out:
	if (r.mgr != NULL)
		free_mb_mgr(r.mgr);
	r.mgr = NULL;
	free(batch);
	free(samples);
	return ret;
}
