/* The burst SRTP engine's library set-up, managers, keys and contexts, and
 * their SSRC streams (srtp_mb.h, srtp_mb_int.h). */
#include "srtp_mb_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* Key set-up only: expanding AES keys, GHASH tables and HMAC pads goes
 * through the manager's function table, which keeps no state, so any
 * thread may use it once srtp_mb_init() has run. */
static IMB_MGR *keymgr;

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
	mb->cm_mgr = mb->mgr;
	/* with SHA-NI, the SSE manager runs HMAC-SHA1 one job at a time:
	 * small bursts go there */
	if ((keymgr->features & IMB_FEATURE_SHANI) && keymgr->used_arch != IMB_ARCH_SSE) {
		mb->sha_mgr = alloc_mb_mgr(0);
		if (mb->sha_mgr == NULL) {
			srtp_mb_free(mb);
			return NULL;
		}
		init_mb_mgr_sse(mb->sha_mgr);
		if (imb_get_errno(mb->sha_mgr) != 0) {
			srtp_mb_free(mb);
			return NULL;
		}
	}
	return mb;
}

void srtp_mb_free(struct srtp_mb *mb)
{
	if (mb == NULL)
		return;
	free_mb_mgr(mb->mgr);
	if (mb->sha_mgr != NULL)
		free_mb_mgr(mb->sha_mgr);
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

/* HMAC-SHA1's inner or outer state: SHA-1 after the block key ^ pad
 * (RFC 2104), so that a packet's MAC starts from it. */
static void hmac_pad_state(const uint8_t *ak, uint8_t pad, uint8_t *state)
{
	uint8_t blk[64];

	memset(blk, pad, sizeof(blk));
	for (int i = 0; i < 20; i++)
		blk[i] ^= ak[i];
	IMB_SHA1_ONE_BLOCK(keymgr, blk, state);
	OPENSSL_cleanse(blk, sizeof(blk));
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

		if (c->key_len == 16)
			IMB_AES_KEYEXP_128(keymgr, ek, k->enc, dec);
		else
			IMB_AES_KEYEXP_256(keymgr, ek, k->enc, dec);
		hmac_pad_state(ak, 0x36, k->ipad);
		hmac_pad_state(ak, 0x5c, k->opad);
		memcpy(k->salt, salt, 14);
		OPENSSL_cleanse(dec, sizeof(dec));
	}
}

/* RFC 3711 4.3.1 with kdr 0, the six labels at once: label l's keys are
 * the AES-CM keystream under the master key from IV = (master salt,
 * zero-padded to 14 octets (RFC 7714 11), XOR l at octet 7) || counter.
 * Every counter block of every label goes through one ECB pass: one key
 * schedule, one call (six AES-CTR contexts took 3 us a context). */
static int kdf(const uint8_t *key, int key_len, const uint8_t *salt14, uint8_t *const out[6],
	       const int len[6])
{
	uint8_t blk[12][16], ks[12][16];
	EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
	int nb = 0, n = 0, rc = -EIO;

	for (int l = 0; l < 6; l++)
		for (int k = 0; k * 16 < len[l]; k++, nb++) {
			memset(blk[nb], 0, 16);
			memcpy(blk[nb], salt14, 14);
			blk[nb][7] ^= (uint8_t)l;
			blk[nb][15] = (uint8_t)k;
		}
	if (e == NULL || nb > 12 ||
	    EVP_EncryptInit_ex(e, key_len == 16 ? EVP_aes_128_ecb() : EVP_aes_256_ecb(), NULL, key,
			       NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(e, 0) != 1 ||
	    EVP_EncryptUpdate(e, &ks[0][0], &n, &blk[0][0], 16 * nb) != 1 || n != 16 * nb)
		goto out;
	nb = 0;
	for (int l = 0; l < 6; l++) {
		if (len[l] > 0)
			memcpy(out[l], ks[nb], (size_t)len[l]);
		nb += (len[l] + 15) / 16;
	}
	rc = 0;
out:
	EVP_CIPHER_CTX_free(e);
	OPENSSL_cleanse(blk, sizeof(blk));	/* the master salt */
	OPENSSL_cleanse(ks, sizeof(ks));
	return rc;
}

int srtp_mb_ctx_new(enum umedge_srtp_suite suite, const uint8_t *master, bool outbound,
		    struct srtp_mb_ctx **out)
{
	uint8_t salt14[14] = { 0 }, ek[2][32], ak[2][20] = { { 0 } }, salt[2][14];
	struct srtp_mb_ctx *c;
	int rc = ctx_alloc(suite, outbound, &c);

	*out = NULL;
	if (rc != 0)
		return rc;
	memcpy(salt14, master + c->key_len, c->salt_len);
	{
		/* SRTP labels 0-2, SRTCP 3-5: cipher key, authentication key, salt */
		uint8_t *const dst[6] = { ek[0], ak[0], salt[0], ek[1], ak[1], salt[1] };
		const int alen = c->gcm ? 0 : 20;
		const int len[6] = { c->key_len, alen, c->salt_len, c->key_len, alen, c->salt_len };

		rc = kdf(master, c->key_len, salt14, dst, len);
	}
	if (rc == 0)
		for (unsigned w = 0; w < 2; w++)
			set_keys(c, w, ek[w], salt[w], ak[w]);
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

struct mb_stream *mb_stream_find(const struct srtp_mb_ctx *c, uint32_t ssrc)
{
	for (unsigned i = 0; i < c->n_streams; i++)
		if (stream_at(c, i)->ssrc == ssrc)
			return stream_at(c, i);
	return NULL;
}

struct mb_stream *mb_stream_add(struct srtp_mb_ctx *c, uint32_t ssrc)
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

void mb_stream_drop_unused(struct srtp_mb_ctx *c, uint32_t ssrc)
{
	struct mb_stream *s = mb_stream_find(c, ssrc);

	if (s == NULL || s->live)
		return;
	c->n_streams--;
	*s = *stream_at(c, c->n_streams);
	memset(stream_at(c, c->n_streams), 0, sizeof(*s));
}

bool srtp_mb_ctx_roc(const struct srtp_mb_ctx *c, uint32_t ssrc, uint32_t *roc)
{
	const struct mb_stream *s = mb_stream_find(c, ssrc);

	if (s == NULL)
		return false;
	*roc = (uint32_t)(s->index >> 16);
	return true;
}
