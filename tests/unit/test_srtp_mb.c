/* Burst SRTP on intel-ipsec-mb (dataplane/media/srtp_mb.c) against stock
 * libsrtp2, byte for byte: bursts mixing three sessions, payloads of 0 to
 * 1400 octets, CSRCs and header extensions, the sequence number wrapping
 * (the ROC in the MAC), both tag lengths; a malformed packet in the middle
 * of a burst refused alone. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "srtp_mb.h"

#define SESSIONS 3
#define BURST 48

static struct srtp_mb *mb;

static void setup(void)
{
	mb = srtp_mb_new();
	cr_assert_not_null(mb, "intel-ipsec-mb runs on this CPU");
	cr_assert(srtp_init() == srtp_err_status_ok || true);
}

static void teardown(void)
{
	srtp_mb_free(mb);
}

TestSuite(srtp_mb, .init = setup, .fini = teardown);

static void reference(srtp_t *r, enum umedge_srtp_suite suite, uint8_t *master)
{
	srtp_policy_t pol;

	memset(&pol, 0, sizeof(pol));
	if (suite == UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	else
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	pol.ssrc.type = ssrc_any_outbound;
	pol.key = master;
	pol.window_size = 128;
	cr_assert_eq(srtp_create(r, &pol), srtp_err_status_ok);
}

/* An RTP packet of session s, number i: CSRCs and an extension on some. */
static int make(uint8_t *b, unsigned s, unsigned i, uint16_t seq, int payload)
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

static void run(enum umedge_srtp_suite suite)
{
	uint8_t master[SESSIONS][30];
	struct srtp_mb_key key[SESSIONS];
	struct srtp_mb_seq seq[SESSIONS];
	srtp_t ref[SESSIONS];
	static uint8_t mine[BURST][1600], theirs[BURST][1600];
	struct srtp_mb_pkt p[BURST];
	uint16_t next[SESSIONS] = { 100, 65500, 65530 }; /* two of them wrap */
	unsigned checked = 0;

	for (unsigned s = 0; s < SESSIONS; s++) {
		for (int k = 0; k < 30; k++)
			master[s][k] = (uint8_t)(k * 13 + s * 71 + 5);
		cr_assert_eq(srtp_mb_key_init(mb, &key[s], suite, master[s]), 0);
		memset(&seq[s], 0, sizeof(seq[s]));
		reference(&ref[s], suite, master[s]);
	}
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned i = 0; i < BURST; i++) {
			unsigned s = (i * 7 + round) % SESSIONS;
			int payload = (int)((i * 97 + round * 353) % 1401);
			int len = make(mine[i], s, i + round * BURST, next[s]++, payload);
			memcpy(theirs[i], mine[i], (size_t)len);
			p[i] = (struct srtp_mb_pkt){ mine[i], len, &key[s], &seq[s], 1 };
			int rl = len;
			cr_assert_eq(srtp_protect(ref[s], theirs[i], &rl), srtp_err_status_ok);
			/* kept in p[i].rc's place: the reference's length */
			p[i].rc = -rl;
		}
		int want[BURST];
		for (unsigned i = 0; i < BURST; i++)
			want[i] = -p[i].rc;
		srtp_mb_protect(mb, p, BURST);
		for (unsigned i = 0; i < BURST; i++) {
			cr_assert_eq(p[i].rc, 0, "packet %u: rc %d", i, p[i].rc);
			cr_assert_eq(p[i].len, want[i], "packet %u: %d octets, libsrtp2 %d", i,
				     p[i].len, want[i]);
			cr_assert(memcmp(mine[i], theirs[i], (size_t)want[i]) == 0,
				  "round %u packet %u: not libsrtp2's bytes", round, i);
			checked++;
		}
	}
	cr_expect_gt(seq[1].roc + seq[2].roc, 0, "the sequence wrapped: the ROC took part");
	cr_expect_eq(checked, 4 * BURST);
	for (unsigned s = 0; s < SESSIONS; s++) {
		srtp_dealloc(ref[s]);
		srtp_mb_key_wipe(&key[s]);
	}
}

Test(srtp_mb, aes_cm_128_hmac_sha1_80_as_libsrtp2)
{
	run(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80);
}

Test(srtp_mb, aes_cm_128_hmac_sha1_32_as_libsrtp2)
{
	run(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32);
}

Test(srtp_mb, a_malformed_packet_is_refused_alone)
{
	uint8_t master[30] = { 1, 2, 3 }, b[4][300];
	struct srtp_mb_key k;
	struct srtp_mb_seq sq = { 0 };
	struct srtp_mb_pkt p[4];

	cr_assert_eq(srtp_mb_key_init(mb, &k, UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, master), 0);
	for (int i = 0; i < 4; i++) {
		int len = make(b[i], 0, 0, (uint16_t)(10 + i), 160);
		p[i] = (struct srtp_mb_pkt){ b[i], len, &k, &sq, 1 };
	}
	b[2][0] = 0x40;			/* version 1 */
	p[1].len = 8;			/* shorter than a header */
	srtp_mb_protect(mb, p, 4);
	cr_expect_eq(p[0].rc, 0);
	cr_expect_eq(p[1].rc, -EINVAL);
	cr_expect_eq(p[2].rc, -EINVAL);
	cr_expect_eq(p[3].rc, 0);
	cr_expect_eq(p[3].len, 172 + 10);
	cr_expect_eq(srtp_mb_key_init(mb, &k, UMEDGE_SRTP_AEAD_AES_128_GCM, master), -EINVAL,
		     "GCM is not built yet");
	srtp_mb_key_wipe(&k);
}
