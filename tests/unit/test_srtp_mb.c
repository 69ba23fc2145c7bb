/* Burst SRTP on intel-ipsec-mb (dataplane/media/srtp_mb.c):
 *   - byte for byte with stock libsrtp2 in both directions, every suite,
 *     SRTP and SRTCP mixed in bursts of three sessions, payloads of 0 to
 *     1400 octets, CSRCs and header extensions, the sequence number
 *     wrapping (the ROC in the MAC and the IV);
 *   - the published vectors: RFC 3711 B.2 and B.3, RFC 6188 7.1 and 7.2,
 *     RFC 7714 16 and 17;
 *   - tampered, replayed and malformed packets in the middle of a burst
 *     refused alone, the rest going through;
 *   - replay and ROC decisions the same as libsrtp2's over reordered and
 *     duplicated traffic delivered in bursts of every size.
 * The reference is stock libsrtp2 (the OpenSSL backend is not registered
 * here), keyed by srtp_backend_suite_policy() as the media path keys it. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "srtp_backend.h"
#include "srtp_mb.h"

#define SESSIONS 3
#define BURST 48
#define PKT 1600

static struct srtp_mb *mb;

static void setup(void)
{
	/* a CPU without AES-NI or PCLMULQDQ: the engine is not used there
	 * (test_media_path checks the fallback), nothing to test here */
	if (srtp_mb_init() != 0)
		cr_skip_test("intel-ipsec-mb cannot run on this CPU (no AES-NI or PCLMULQDQ)");
	mb = srtp_mb_new();
	cr_assert_not_null(mb);
	srtp_init();
}

static void teardown(void)
{
	srtp_mb_free(mb);
}

TestSuite(srtp_mb, .init = setup, .fini = teardown);

static const enum umedge_srtp_suite all_suites[] = {
	UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32,
	UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80, UMEDGE_SRTP_AEAD_AES_128_GCM,
	UMEDGE_SRTP_AEAD_AES_256_GCM,
};

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*s != '\0' && n < max) {
		unsigned v;

		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		cr_assert_eq(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* A stock libsrtp2 session keyed as the media path keys its own. */
static void reference(srtp_t *r, enum umedge_srtp_suite suite, const uint8_t *master, bool out)
{
	cr_assert_eq(srtp_backend_create(r, suite, master,
					 out ? ssrc_any_outbound : ssrc_any_inbound),
		     0);
}

/* An RTP packet of session s, number i: CSRCs and an extension on some. */
static int make_rtp(uint8_t *b, unsigned s, unsigned i, uint16_t seq, int payload)
{
	int h = 12;
	unsigned cc = (i % 5 == 1) ? 2 : 0;
	bool x = i % 7 == 3;

	b[0] = (uint8_t)(0x80 | (x ? 0x10 : 0) | cc);
	b[1] = (uint8_t)(i % 3 == 0 ? 0x80 : 0);
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = b[5] = 0;
	b[6] = (uint8_t)(i >> 8);
	b[7] = (uint8_t)i;
	b[8] = 0xca;
	b[9] = 0xfe;
	b[10] = 0;
	b[11] = (uint8_t)s;
	for (unsigned c = 0; c < cc; c++, h += 4)
		memset(b + h, 0x11 * (c + 1), 4);
	if (x) {
		b[h] = 0xbe;
		b[h + 1] = 0xde;
		b[h + 2] = 0;
		b[h + 3] = 1;
		memset(b + h + 4, 0x42, 4);
		h += 8;
	}
	for (int k = 0; k < payload; k++)
		b[h + k] = (uint8_t)(k * 31 + i + s);
	return h + payload;
}

/* An RTCP receiver report of session s with words 32-bit words after the
 * header (0: the bare 8-octet header). */
static int make_rtcp(uint8_t *b, unsigned s, unsigned i, int words)
{
	b[0] = 0x80;
	b[1] = 201;
	b[2] = (uint8_t)((1 + words) >> 8);
	b[3] = (uint8_t)(1 + words);
	b[4] = 0xca;
	b[5] = 0xfe;
	b[6] = 0;
	b[7] = (uint8_t)s;
	for (int k = 0; k < 4 * words; k++)
		b[8 + k] = (uint8_t)(k * 7 + i);
	return 8 + 4 * words;
}

static int rc_of(srtp_err_status_t e)
{
	switch (e) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		return -EBADMSG;
	case srtp_err_status_replay_fail:
		return -EALREADY;
	case srtp_err_status_replay_old:
		return -ESTALE;
	default:
		return -1000 - (int)e;
	}
}

/* Three sessions, bursts of SRTP and SRTCP: our protect gives libsrtp2's
 * bytes; our unprotect takes libsrtp2's packets and libsrtp2 ours. */
static void both_ways(enum umedge_srtp_suite suite)
{
	int mlen = srtp_backend_suite_master_len(suite);
	uint8_t master[SESSIONS][46];
	struct srtp_mb_ctx *out[SESSIONS], *in[SESSIONS];
	srtp_t ref_out[SESSIONS], ref_in[SESSIONS];
	static uint8_t orig[BURST][PKT], mine[BURST][PKT], theirs[BURST][PKT], back[BURST][PKT];
	struct srtp_mb_pkt p[BURST];
	int olen[BURST], rlen[BURST];
	uint16_t next[SESSIONS] = { 100, 65500, 65530 }; /* two of them wrap */
	unsigned checked = 0, rtcp = 0;

	for (unsigned s = 0; s < SESSIONS; s++) {
		for (int k = 0; k < mlen; k++)
			master[s][k] = (uint8_t)(k * 13 + s * 71 + suite * 5 + 5);
		cr_assert_eq(srtp_mb_ctx_new(suite, master[s], true, &out[s]), 0);
		cr_assert_eq(srtp_mb_ctx_new(suite, master[s], false, &in[s]), 0);
		reference(&ref_out[s], suite, master[s], true);
		reference(&ref_in[s], suite, master[s], false);
	}
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned i = 0; i < BURST; i++) {
			unsigned s = (i * 7 + round) % SESSIONS, n = i + round * BURST;
			bool is_rtcp = n % 6 == 5;
			int payload = (int)((i * 97 + round * 353) % 1401);
			srtp_err_status_t e;

			if (n == 1)
				payload = 0;
			olen[i] = is_rtcp ? make_rtcp(orig[i], s, n, n % 12 == 5 ? 0 : payload / 8) :
					    make_rtp(orig[i], s, n, next[s]++, payload);
			memcpy(mine[i], orig[i], (size_t)olen[i]);
			memcpy(theirs[i], orig[i], (size_t)olen[i]);
			rlen[i] = olen[i];
			e = is_rtcp ? srtp_protect_rtcp(ref_out[s], theirs[i], &rlen[i]) :
				      srtp_protect(ref_out[s], theirs[i], &rlen[i]);
			cr_assert_eq(e, srtp_err_status_ok);
			p[i] = (struct srtp_mb_pkt){ mine[i], olen[i], out[s], is_rtcp, 1 };
			rtcp += is_rtcp;
		}
		srtp_mb_protect(mb, p, BURST);
		for (unsigned i = 0; i < BURST; i++) {
			cr_assert_eq(p[i].rc, 0, "round %u packet %u: rc %d", round, i, p[i].rc);
			cr_assert_eq(p[i].len, rlen[i], "packet %u: %d octets, libsrtp2 %d", i,
				     p[i].len, rlen[i]);
			cr_assert(memcmp(mine[i], theirs[i], (size_t)rlen[i]) == 0,
				  "round %u packet %u (%s): not libsrtp2's bytes", round, i,
				  p[i].rtcp ? "SRTCP" : "SRTP");
		}
		/* libsrtp2's packets through our unprotect */
		for (unsigned i = 0; i < BURST; i++) {
			unsigned s = (i * 7 + round) % SESSIONS;

			memcpy(back[i], theirs[i], (size_t)rlen[i]);
			p[i] = (struct srtp_mb_pkt){ back[i], rlen[i], in[s], p[i].rtcp, 1 };
		}
		srtp_mb_unprotect(mb, p, BURST);
		for (unsigned i = 0; i < BURST; i++) {
			unsigned s = (i * 7 + round) % SESSIONS;
			int len = rlen[i];

			cr_assert_eq(p[i].rc, 0, "round %u packet %u: unprotect rc %d", round, i,
				     p[i].rc);
			cr_assert_eq(p[i].len, olen[i]);
			cr_assert(memcmp(back[i], orig[i], (size_t)olen[i]) == 0);
			/* and ours through libsrtp2's */
			cr_assert_eq(p[i].rtcp ? srtp_unprotect_rtcp(ref_in[s], mine[i], &len) :
						 srtp_unprotect(ref_in[s], mine[i], &len),
				     srtp_err_status_ok, "round %u packet %u: libsrtp2 refused ours",
				     round, i);
			cr_assert_eq(len, olen[i]);
			cr_assert(memcmp(mine[i], orig[i], (size_t)len) == 0);
			checked++;
		}
	}
	uint32_t roc = 0;
	cr_expect(srtp_mb_ctx_roc(in[1], 0xcafe0001, &roc) && roc == 1,
		  "the sequence wrapped: ROC %u", roc);
	cr_expect_eq(checked, 4 * BURST);
	cr_expect_gt(rtcp, 20);
	for (unsigned s = 0; s < SESSIONS; s++) {
		srtp_dealloc(ref_out[s]);
		srtp_dealloc(ref_in[s]);
		srtp_mb_ctx_free(out[s]);
		srtp_mb_ctx_free(in[s]);
	}
}

Test(srtp_mb, aes_cm_128_hmac_sha1_80_as_libsrtp2)
{
	both_ways(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80);
}

Test(srtp_mb, aes_cm_128_hmac_sha1_32_as_libsrtp2)
{
	both_ways(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32);
}

Test(srtp_mb, aes_256_cm_hmac_sha1_80_as_libsrtp2)
{
	both_ways(UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80);
}

Test(srtp_mb, aead_aes_128_gcm_as_libsrtp2)
{
	both_ways(UMEDGE_SRTP_AEAD_AES_128_GCM);
}

Test(srtp_mb, aead_aes_256_gcm_as_libsrtp2)
{
	both_ways(UMEDGE_SRTP_AEAD_AES_256_GCM);
}

/* ---- the published vectors ---- */

/* A packet with SSRC 0 and sequence number 0 (index 0) and a zero
 * payload: its ciphertext is the keystream from the counter block = salt. */
static void keystream(enum umedge_srtp_suite suite, const char *key_hex, const char *salt_hex,
		      const char *want_hex)
{
	uint8_t key[32], salt[14], auth[20] = { 0 }, b[128] = { 0x80 }, want[48];
	struct srtp_mb_ctx *c;
	size_t kl = unhex(key_hex, key, sizeof(key));
	struct srtp_mb_pkt p = { b, 12 + 48, NULL, false, 1 };

	cr_assert(kl == 16 || kl == 32);
	unhex(salt_hex, salt, sizeof(salt));
	unhex(want_hex, want, sizeof(want));
	cr_assert_eq(srtp_mb_ctx_new_session(suite, key, salt, auth, true, &c), 0);
	p.ctx = c;
	srtp_mb_protect(mb, &p, 1);
	cr_assert_eq(p.rc, 0);
	cr_assert(memcmp(b + 12, want, 48) == 0, "keystream differs");
	srtp_mb_ctx_free(c);
}

Test(srtp_mb, rfc3711_b2_keystream)
{
	keystream(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, "2B7E151628AED2A6ABF7158809CF4F3C",
		  "F0F1F2F3F4F5F6F7F8F9FAFBFCFD",
		  "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
		  "41E95B3BB0A2E8DD477901E4FCA894C0");
}

Test(srtp_mb, rfc6188_aes256_keystream)
{
	keystream(UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80,
		  "57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98",
		  "f0f1f2f3f4f5f6f7f8f9fafbfcfd",
		  "92bdd28a93c3f52511c677d08b5515a49da71b2378a854f67050756ded165bac"
		  "63c4868b7096d88421b563b8c94c9a31");
}

/* A context keyed by the master key derives the session keys a key
 * derivation vector lists: it protects exactly as a context given those. */
static void kdf_vector(enum umedge_srtp_suite suite, const char *master_hex,
		       const char *key_hex, const char *salt_hex, const char *auth_hex)
{
	uint8_t master[46], key[32], salt[14], auth[20], a[256], b[256];
	struct srtp_mb_ctx *derived, *given;
	struct srtp_mb_pkt p[2];
	int len;

	unhex(master_hex, master, sizeof(master));
	unhex(key_hex, key, sizeof(key));
	unhex(salt_hex, salt, sizeof(salt));
	unhex(auth_hex, auth, sizeof(auth));
	cr_assert_eq(srtp_mb_ctx_new(suite, master, true, &derived), 0);
	cr_assert_eq(srtp_mb_ctx_new_session(suite, key, salt, auth, true, &given), 0);
	len = make_rtp(a, 0, 0, 4660, 160);
	memcpy(b, a, (size_t)len);
	p[0] = (struct srtp_mb_pkt){ a, len, derived, false, 1 };
	p[1] = (struct srtp_mb_pkt){ b, len, given, false, 1 };
	srtp_mb_protect(mb, p, 2);
	cr_assert_eq(p[0].rc, 0);
	cr_assert_eq(p[1].rc, 0);
	cr_assert(memcmp(a, b, (size_t)len + 10) == 0, "the derived keys are not the RFC's");
	srtp_mb_ctx_free(derived);
	srtp_mb_ctx_free(given);
}

/* RFC 3711 B.3 (the first 20 octets of its authentication key are the
 * HMAC-SHA1 key) */
Test(srtp_mb, rfc3711_b3_key_derivation)
{
	kdf_vector(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80,
		   "E1F97A0D3E018BE0D64FA32C06DE4139" "0EC675AD498AFEEBB6960B3AABE6",
		   "C61E7A93744F39EE10734AFE3FF7A087", "30CBBC08863D8C85D49DB34A9AE1",
		   "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
}

/* RFC 6188 7.2: the AES-256 PRF */
Test(srtp_mb, rfc6188_key_derivation)
{
	kdf_vector(UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80,
		   "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6"
		   "3b04803de51ee7c96423ab5b78d2",
		   "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4",
		   "fa31791685ca444a9e07c6c64e93", "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05");
}

static const char rfc7714_key128[] = "000102030405060708090a0b0c0d0e0f";
static const char rfc7714_key256[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char rfc7714_salt[] = "517569642070726f2071756f";

/* RFC 7714 16.1: AEAD_AES_128_GCM, "Gallia est omnis divisa in partes
 * tres" under SSRC 0x5501a0b2, sequence number 0xf17b, ROC 0. */
Test(srtp_mb, rfc7714_srtp_aes128)
{
	uint8_t key[16], salt[12], plain[128], want[128], b[128];
	size_t pl, wl;
	struct srtp_mb_ctx *out, *in;
	struct srtp_mb_pkt p;

	unhex(rfc7714_key128, key, 16);
	unhex(rfc7714_salt, salt, 12);
	pl = unhex("8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e697320646976"
		   "69736120696e207061727465732074726573",
		   plain, sizeof(plain));
	wl = unhex("8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd5"
		   "0d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee439"
		   "0cce",
		   want, sizeof(want));
	cr_assert_eq(srtp_mb_ctx_new_session(UMEDGE_SRTP_AEAD_AES_128_GCM, key, salt, NULL, true,
					     &out),
		     0);
	cr_assert_eq(srtp_mb_ctx_new_session(UMEDGE_SRTP_AEAD_AES_128_GCM, key, salt, NULL, false,
					     &in),
		     0);
	memcpy(b, plain, pl);
	p = (struct srtp_mb_pkt){ b, (int)pl, out, false, 1 };
	srtp_mb_protect(mb, &p, 1);
	cr_assert_eq(p.rc, 0);
	cr_assert_eq((size_t)p.len, wl);
	cr_assert(memcmp(b, want, wl) == 0, "not RFC 7714's packet");
	/* a flipped bit, then the packet itself */
	b[20] ^= 1;
	p = (struct srtp_mb_pkt){ b, (int)wl, in, false, 1 };
	srtp_mb_unprotect(mb, &p, 1);
	cr_assert_eq(p.rc, -EBADMSG);
	memcpy(b, want, wl);
	p = (struct srtp_mb_pkt){ b, (int)wl, in, false, 1 };
	srtp_mb_unprotect(mb, &p, 1);
	cr_assert_eq(p.rc, 0);
	cr_assert_eq((size_t)p.len, pl);
	cr_assert(memcmp(b, plain, pl) == 0);
	srtp_mb_ctx_free(out);
	srtp_mb_ctx_free(in);
}

/* RFC 7714 17.1 and 17.2: an SRTCP sender report, SSRC "Mars", index
 * 0x5d4, under AEAD_AES_128_GCM and AEAD_AES_256_GCM. */
static void rfc7714_srtcp(enum umedge_srtp_suite suite, const char *key_hex,
			  const char *protected_hex)
{
	uint8_t key[32], salt[12], plain[128], b[128];
	size_t pl, wl;
	struct srtp_mb_ctx *in;
	struct srtp_mb_pkt p;

	unhex(key_hex, key, sizeof(key));
	unhex(rfc7714_salt, salt, 12);
	pl = unhex("81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61"
		   "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
		   plain, sizeof(plain));
	wl = unhex(protected_hex, b, sizeof(b));
	cr_assert_eq(srtp_mb_ctx_new_session(suite, key, salt, NULL, false, &in), 0);
	p = (struct srtp_mb_pkt){ b, (int)wl, in, true, 1 };
	srtp_mb_unprotect(mb, &p, 1);
	cr_assert_eq(p.rc, 0);
	cr_assert_eq((size_t)p.len, pl);
	cr_assert(memcmp(b, plain, pl) == 0, "not RFC 7714's report");
	srtp_mb_ctx_free(in);
}

Test(srtp_mb, rfc7714_srtcp_aes128)
{
	rfc7714_srtcp(UMEDGE_SRTP_AEAD_AES_128_GCM, rfc7714_key128,
		      "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32d"
		      "c676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf872"
		      "45d9eade800005d4");
}

Test(srtp_mb, rfc7714_srtcp_aes256)
{
	rfc7714_srtcp(UMEDGE_SRTP_AEAD_AES_256_GCM, rfc7714_key256,
		      "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50"
		      "a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6c"
		      "b26ac3be800005d4");
}

/* ---- refusals in the middle of a burst ---- */

static void rejected_alone(enum umedge_srtp_suite suite)
{
	int mlen = srtp_backend_suite_master_len(suite);
	uint8_t master[46];
	static uint8_t sent[40][PKT], plain[40][PKT], b[24][PKT];
	int slen[40], plen[40];
	struct srtp_mb_ctx *out, *in;
	struct srtp_mb_pkt p[24];
	unsigned n = 0;

	for (int k = 0; k < mlen; k++)
		master[k] = (uint8_t)(k * 3 + 1);
	cr_assert_eq(srtp_mb_ctx_new(suite, master, true, &out), 0);
	cr_assert_eq(srtp_mb_ctx_new(suite, master, false, &in), 0);
	/* p0..p29 RTP, seq 1000.., p30..p33 RTCP, then p34: seq 1000 + 300 */
	for (unsigned i = 0; i < 35; i++) {
		bool rtcp = i >= 30 && i < 34;

		plen[i] = rtcp ? make_rtcp(plain[i], 0, i, 6) :
				 make_rtp(plain[i], 0, i, (uint16_t)(1000 + (i == 34 ? 300 : i)), 160);
		memcpy(sent[i], plain[i], (size_t)plen[i]);
		p[0] = (struct srtp_mb_pkt){ sent[i], plen[i], out, rtcp, 1 };
		srtp_mb_protect(mb, p, 1);
		cr_assert_eq(p[0].rc, 0);
		slen[i] = p[0].len;
	}
	static const struct {
		int pkt;		/* which sent packet */
		int flip;		/* octet to flip (-1: none, -2: the tag's last) */
		int rc;
	} burst[] = {
		{ 0, -1, 0 },	       { 1, -1, 0 },	     { 2, -1, 0 },	  { 3, -1, 0 },
		{ 3, -1, -EALREADY }, /* a replay inside the burst */
		{ 4, 20, -EBADMSG },   /* payload tampered */
		{ 5, -2, -EBADMSG },   /* tag tampered */
		{ 6, 3, -EBADMSG },    /* sequence number tampered */
		{ 7, -1, 0 },	       { 30, -1, 0 },	     { 30, -1, -EALREADY },
		{ 31, 12, -EBADMSG },  /* SRTCP payload */
		{ 32, -1, 0 },	       { 8, -1, 0 },
	};
	unsigned nb = sizeof(burst) / sizeof(burst[0]);

	for (unsigned i = 0; i < nb; i++) {
		int k = burst[i].pkt;

		memcpy(b[i], sent[k], (size_t)slen[k]);
		if (burst[i].flip >= 0)
			b[i][burst[i].flip] ^= 0x01;
		else if (burst[i].flip == -2)
			b[i][slen[k] - 1] ^= 0x80;
		p[i] = (struct srtp_mb_pkt){ b[i], slen[k], in, k >= 30 && k < 34, 1 };
	}
	/* and a runt RTP packet, then a good one */
	p[nb] = (struct srtp_mb_pkt){ b[nb], 5, in, false, 1 };
	memcpy(b[nb + 1], sent[9], (size_t)slen[9]);
	p[nb + 1] = (struct srtp_mb_pkt){ b[nb + 1], slen[9], in, false, 1 };
	srtp_mb_unprotect(mb, p, nb + 2);
	for (unsigned i = 0; i < nb; i++) {
		int k = burst[i].pkt;

		cr_assert_eq(p[i].rc, burst[i].rc, "%s burst[%u] (packet %d): rc %d, want %d",
			     umedge_srtp_suite_name(suite), i, k, p[i].rc, burst[i].rc);
		if (p[i].rc == 0) {
			cr_assert_eq(p[i].len, plen[k]);
			cr_assert(memcmp(b[i], plain[k], (size_t)plen[k]) == 0);
			n++;
		}
	}
	cr_assert_eq(p[nb].rc, -EINVAL);
	cr_assert_eq(p[nb + 1].rc, 0);
	/* the forgeries did not move the windows: the genuine packets pass */
	memcpy(b[0], sent[4], (size_t)slen[4]);
	memcpy(b[1], sent[31], (size_t)slen[31]);
	memcpy(b[2], sent[3], (size_t)slen[3]);		/* a replay from the last burst */
	memcpy(b[3], sent[34], (size_t)slen[34]);	/* 300 ahead */
	memcpy(b[4], sent[10], (size_t)slen[10]);	/* now older than the window */
	p[0] = (struct srtp_mb_pkt){ b[0], slen[4], in, false, 1 };
	p[1] = (struct srtp_mb_pkt){ b[1], slen[31], in, true, 1 };
	p[2] = (struct srtp_mb_pkt){ b[2], slen[3], in, false, 1 };
	p[3] = (struct srtp_mb_pkt){ b[3], slen[34], in, false, 1 };
	p[4] = (struct srtp_mb_pkt){ b[4], slen[10], in, false, 1 };
	srtp_mb_unprotect(mb, p, 5);
	cr_assert_eq(p[0].rc, 0);
	cr_assert_eq(p[1].rc, 0);
	cr_assert_eq(p[2].rc, -EALREADY);
	cr_assert_eq(p[3].rc, 0);
	cr_assert_eq(p[4].rc, -ESTALE);
	cr_assert_eq(n, 8);
	srtp_mb_ctx_free(out);
	srtp_mb_ctx_free(in);
}

Test(srtp_mb, tampered_and_replayed_packets_are_refused_alone)
{
	for (size_t i = 0; i < sizeof(all_suites) / sizeof(all_suites[0]); i++)
		rejected_alone(all_suites[i]);
}

/* ---- the replay database and the ROC, against libsrtp2's ---- */

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void replay_as_libsrtp2(enum umedge_srtp_suite suite)
{
	enum { N = 900 };
	int mlen = srtp_backend_suite_master_len(suite);
	uint8_t master[46];
	static uint8_t sent[N][200], b[N][200], r[200];
	static int slen[N], order[2 * N];
	static bool is_rtcp[N];
	struct srtp_mb_ctx *in;
	srtp_t ref_out, ref_in;
	struct srtp_mb_pkt p[64];
	uint32_t rng = 7 + (uint32_t)suite;
	uint16_t seq = 65000;
	unsigned n = 0, agree[5] = { 0 };

	for (int k = 0; k < mlen; k++)
		master[k] = (uint8_t)(k * 5 + 9);
	reference(&ref_out, suite, master, true);
	reference(&ref_in, suite, master, false);
	cr_assert_eq(srtp_mb_ctx_new(suite, master, false, &in), 0);
	for (unsigned i = 0; i < N; i++) {
		uint32_t x = lcg(&rng) % 100;

		is_rtcp[i] = x < 15;
		if (is_rtcp[i]) {
			slen[i] = make_rtcp(sent[i], 0, i, 4);
		} else {
			seq = (uint16_t)(seq + (x < 18 ? 90 : x < 19 ? 700 : 1));
			slen[i] = make_rtp(sent[i], 0, i, seq, 60);
		}
		cr_assert_eq(is_rtcp[i] ? srtp_protect_rtcp(ref_out, sent[i], &slen[i]) :
					  srtp_protect(ref_out, sent[i], &slen[i]),
			     srtp_err_status_ok);
	}
	/* delivery: in order with packets held back up to 40 places,
	 * and duplicates of packets up to 150 places back */
	for (unsigned i = 0; i < N; i++) {
		order[n++] = (int)i;
		if (lcg(&rng) % 6 == 0 && i > 0)
			order[n++] = (int)(i - 1 - lcg(&rng) % (i < 150 ? i : 150));
	}
	for (unsigned i = 0; i + 1 < n; i++)
		if (lcg(&rng) % 5 == 0) {
			unsigned j = i + 1 + lcg(&rng) % 40;
			if (j < n) {
				int t = order[i];
				order[i] = order[j];
				order[j] = t;
			}
		}
	for (unsigned at = 0; at < n;) {
		unsigned m = 1 + lcg(&rng) % 64;

		if (m > n - at)
			m = n - at;
		for (unsigned i = 0; i < m; i++) {
			int k = order[at + i];

			memcpy(b[i], sent[k], (size_t)slen[k]);
			p[i] = (struct srtp_mb_pkt){ b[i], slen[k], in, is_rtcp[k], 1 };
		}
		srtp_mb_unprotect(mb, p, m);
		for (unsigned i = 0; i < m; i++) {
			int k = order[at + i], len = slen[k], want;

			memcpy(r, sent[k], (size_t)len);
			want = rc_of(is_rtcp[k] ? srtp_unprotect_rtcp(ref_in, r, &len) :
						  srtp_unprotect(ref_in, r, &len));
			cr_assert_eq(p[i].rc, want, "%s delivery %u (packet %d, %s): rc %d, libsrtp2 %d",
				     umedge_srtp_suite_name(suite), at + i, k,
				     is_rtcp[k] ? "SRTCP" : "SRTP", p[i].rc, want);
			agree[want == 0 ? 0 : want == -EALREADY ? 1 : want == -ESTALE ? 2 : 3]++;
		}
		at += m;
	}
	cr_expect_gt(agree[0], N / 2);
	cr_expect_gt(agree[1], 20, "replays seen: %u", agree[1]);
	cr_expect_gt(agree[2], 5, "too-old packets seen: %u", agree[2]);
	srtp_dealloc(ref_out);
	srtp_dealloc(ref_in);
	srtp_mb_ctx_free(in);
}

Test(srtp_mb, replay_and_roc_decisions_as_libsrtp2)
{
	replay_as_libsrtp2(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80);
	replay_as_libsrtp2(UMEDGE_SRTP_AEAD_AES_128_GCM);
}

/* ---- limits ---- */

Test(srtp_mb, limits_and_refusals)
{
	uint8_t master[46] = { 1, 2, 3 }, b[SRTP_MB_STREAMS_MAX + 1][256];
	struct srtp_mb_ctx *c, *in;
	struct srtp_mb_pkt p[SRTP_MB_STREAMS_MAX + 1];

	cr_assert_eq(srtp_mb_ctx_new((enum umedge_srtp_suite)99, master, true, &c), -EINVAL);
	cr_assert_null(c);
	cr_assert_eq(srtp_mb_ctx_size((enum umedge_srtp_suite)99), 0);
	cr_assert_lt(srtp_mb_ctx_size(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80), 2048);
	/* SSRCs past the inline ones, up to the most a context takes, both
	 * ways; one more is refused and the others go on */
	cr_assert_eq(srtp_mb_ctx_new(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, master, true, &c), 0);
	cr_assert_eq(srtp_mb_ctx_new(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, master, false, &in), 0);
	for (unsigned i = 0; i <= SRTP_MB_STREAMS_MAX; i++) {
		int len = make_rtp(b[i], i, 0, 1, 20);
		b[i][10] = (uint8_t)(i >> 8);	/* SSRC 0xcafe0000 + i */
		p[i] = (struct srtp_mb_pkt){ b[i], len, c, false, 1 };
	}
	srtp_mb_protect(mb, p, SRTP_MB_STREAMS_MAX + 1);
	for (unsigned i = 0; i < SRTP_MB_STREAMS_MAX; i++)
		cr_assert_eq(p[i].rc, 0);
	cr_assert_eq(p[SRTP_MB_STREAMS_MAX].rc, -ENOSPC);
	for (unsigned i = 0; i < SRTP_MB_STREAMS_MAX; i++)
		p[i] = (struct srtp_mb_pkt){ b[i], p[i].len, in, false, 1 };
	srtp_mb_unprotect(mb, p, SRTP_MB_STREAMS_MAX);
	for (unsigned i = 0; i < SRTP_MB_STREAMS_MAX; i++)
		cr_assert_eq(p[i].rc, 0, "SSRC %u: %d", i, p[i].rc);
	/* forged packets of new SSRCs take no place: a genuine one still fits
	 * after they are gone */
	srtp_mb_ctx_free(in);
	cr_assert_eq(srtp_mb_ctx_new(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, master, false, &in), 0);
	for (unsigned i = 0; i < SRTP_MB_STREAMS_MAX; i++) {
		int len = make_rtp(b[i], i, 0, 2, 20);
		b[i][10] = (uint8_t)(0x80 | i >> 8);
		memset(b[i] + len, 0x5a, 10);	/* not their tags */
		p[i] = (struct srtp_mb_pkt){ b[i], len + 10, in, false, 1 };
	}
	srtp_mb_unprotect(mb, p, SRTP_MB_STREAMS_MAX);
	for (unsigned i = 0; i < SRTP_MB_STREAMS_MAX; i++)
		cr_assert_eq(p[i].rc, -EBADMSG);
	int glen = make_rtp(b[0], 0, 0, 3, 20);
	p[0] = (struct srtp_mb_pkt){ b[0], glen, c, false, 1 };
	srtp_mb_protect(mb, p, 1);
	cr_assert_eq(p[0].rc, 0);
	p[0].ctx = in;
	srtp_mb_unprotect(mb, p, 1);
	cr_assert_eq(p[0].rc, 0, "a genuine SSRC after the forgeries: %d", p[0].rc);
	srtp_mb_ctx_free(in);
	/* an index sent twice is refused, as libsrtp2 refuses it */
	int len = make_rtp(b[0], 0, 0, 1, 20);
	p[0] = (struct srtp_mb_pkt){ b[0], len, c, false, 1 };
	srtp_mb_protect(mb, p, 1);
	cr_assert_eq(p[0].rc, -EALREADY);
	srtp_mb_ctx_free(c);
	/* GCM SRTCP without encryption (E = 0) is not taken */
	cr_assert_eq(srtp_mb_ctx_new(UMEDGE_SRTP_AEAD_AES_128_GCM, master, false, &c), 0);
	len = make_rtcp(b[0], 0, 0, 4);
	memset(b[0] + len, 0, 20);
	p[0] = (struct srtp_mb_pkt){ b[0], len + 20, c, true, 1 };
	srtp_mb_unprotect(mb, p, 1);
	cr_assert_eq(p[0].rc, -ENOTSUP);
	p[0] = (struct srtp_mb_pkt){ b[0], 8 + 19, c, true, 1 };
	srtp_mb_unprotect(mb, p, 1);
	cr_assert_eq(p[0].rc, -EINVAL, "shorter than header, tag and index");
	srtp_mb_ctx_free(c);
	cr_assert_str_neq(srtp_mb_arch(), "none");
}
