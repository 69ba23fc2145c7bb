/* SRTP sessions through libsrtp2 with the umedge backend, per suite:
 * byte-for-byte agreement with stock libsrtp2 (run in a child process that
 * never registers the backend), tampered packets rejected, replays
 * rejected, roll-over counter wrap. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "test_srtp_util.h"

static void register_backend(void)
{
	cr_assert_eq(srtp_backend_register(), 0, "backend registration failed");
	cr_assert(srtp_backend_registered());
}

static void assert_same_rec(const struct tsrtp_rec *a, const struct tsrtp_rec *b,
			    const char *what, int i)
{
	cr_assert_eq(a->status, b->status, "%s %d: status %d vs %d", what, i, a->status,
		     b->status);
	cr_assert_eq(a->len, b->len, "%s %d: length %d vs %d", what, i, a->len, b->len);
	cr_assert(memcmp(a->buf, b->buf, (size_t)a->len) == 0, "%s %d: bytes differ", what, i);
}

/* stock and ours agree on every byte, and our receiver gets the original
 * packets back. */
static void check_agreement(const struct tsrtp_run *runs, int n_runs)
{
	struct tsrtp_result *stock = calloc((size_t)n_runs, sizeof(*stock));
	struct tsrtp_result *ours = calloc(1, sizeof(*ours));
	uint8_t orig[TSRTP_PKT_MAX];

	cr_assert(stock && ours);
	for (int r = 0; r < n_runs; r++)
		cr_assert_eq(tsrtp_run_stock(&runs[r], &stock[r]), 0, "stock run %d failed", r);
	register_backend();

	for (int r = 0; r < n_runs; r++) {
		const struct tsrtp_run *run = &runs[r];

		cr_assert_eq(tsrtp_run_scenario(run, ours), 0);
		for (int i = 0; i < run->n_rtp; i++) {
			int len = tsrtp_rtp_packet(orig, run->ssrc, (uint16_t)(run->first_seq + i), i);

			cr_assert_eq(ours->rtp[i].status, srtp_err_status_ok, "protect %d", i);
			cr_assert_gt(ours->rtp[i].len, len);
			assert_same_rec(&stock[r].rtp[i], &ours->rtp[i], "srtp", i);
			assert_same_rec(&stock[r].rtp_clear[i], &ours->rtp_clear[i], "rtp", i);
			cr_assert_eq(ours->rtp_clear[i].status, srtp_err_status_ok, "unprotect %d", i);
			cr_assert_eq(ours->rtp_clear[i].len, len);
			cr_assert(memcmp(ours->rtp_clear[i].buf, orig, (size_t)len) == 0);
		}
		for (int i = 0; i < run->n_rtcp; i++) {
			int len = tsrtp_rtcp_packet(orig, run->ssrc, i);

			cr_assert_eq(ours->rtcp[i].status, srtp_err_status_ok);
			assert_same_rec(&stock[r].rtcp[i], &ours->rtcp[i], "srtcp", i);
			assert_same_rec(&stock[r].rtcp_clear[i], &ours->rtcp_clear[i], "rtcp", i);
			cr_assert_eq(ours->rtcp_clear[i].status, srtp_err_status_ok);
			cr_assert_eq(ours->rtcp_clear[i].len, len);
			cr_assert(memcmp(ours->rtcp_clear[i].buf, orig, (size_t)len) == 0);
		}
		cr_assert_eq(stock[r].recv_roc, ours->recv_roc);
	}
	free(stock);
	free(ours);
}

static void check_stock_agreement(enum umedge_srtp_suite suite)
{
	const struct tsrtp_run runs[] = {
		{ .suite = suite, .ssrc = 0x11223344, .first_seq = 1000, .n_rtp = 36, .n_rtcp = 12 },
		/* RFC 6904 header extension encryption: more keystream calls. */
		{ .suite = suite, .ssrc = 0xdeadbeef, .first_seq = 7, .n_rtp = 12, .n_rtcp = 2,
		  .xtn_enc = 1 },
		/* A non-zero roll-over counter in the IV and the MAC input. */
		{ .suite = suite, .ssrc = 0x01020304, .first_seq = 300, .roc = 0x2345,
		  .n_rtp = 8, .n_rtcp = 2 },
	};

	check_agreement(runs, 3);
}

/* Sequence numbers wrap: the sender and receiver move to ROC 1, and the
 * packets after the wrap still match stock byte for byte. */
static void check_roc_wrap(enum umedge_srtp_suite suite)
{
	const struct tsrtp_run run = {
		.suite = suite, .ssrc = 0x5eed0001, .first_seq = 65520, .n_rtp = 40, .n_rtcp = 1,
	};
	struct tsrtp_result *stock = calloc(1, sizeof(*stock));

	cr_assert(stock);
	cr_assert_eq(tsrtp_run_stock(&run, stock), 0);
	cr_assert_eq(stock->recv_roc, 1, "stock receiver ROC %u", stock->recv_roc);
	free(stock);
	check_agreement(&run, 1);
}

static int tag_len_of(enum umedge_srtp_suite suite, int rtcp)
{
	srtp_crypto_policy_t rtp_pol, rtcp_pol;

	cr_assert_eq(srtp_backend_suite_policy(suite, &rtp_pol, &rtcp_pol), 0);
	return rtcp ? rtcp_pol.auth_tag_len : rtp_pol.auth_tag_len;
}

static void sessions(enum umedge_srtp_suite suite, uint32_t ssrc, srtp_t *tx, srtp_t *rx)
{
	const struct tsrtp_run run = { .suite = suite, .ssrc = ssrc };
	uint8_t key[SRTP_MAX_KEY_LEN];

	tsrtp_master_key(suite, 1, key);
	cr_assert_eq(tsrtp_session(tx, &run, key), 0);
	cr_assert_eq(tsrtp_session(rx, &run, key), 0);
}

static void check_tamper(enum umedge_srtp_suite suite)
{
	const uint32_t ssrc = 0x7a3e0001;
	int tag = tag_len_of(suite, 0), rtcp_tag = tag_len_of(suite, 1);
	uint8_t orig[TSRTP_PKT_MAX], pkt[TSRTP_PKT_MAX], work[TSRTP_PKT_MAX];
	int olen, plen, wlen;
	srtp_t tx, rx;

	register_backend();
	sessions(suite, ssrc, &tx, &rx);
	olen = tsrtp_rtp_packet(orig, ssrc, 1, 0); /* 12-octet header, 172 octets */
	memcpy(pkt, orig, (size_t)olen);
	plen = olen;
	cr_assert_eq(srtp_protect(tx, pkt, &plen), srtp_err_status_ok);
	cr_assert_eq(plen, olen + tag);

	/* Header (marker/PT, timestamp), first/middle/last payload octet,
	 * first and last tag octet: each single-bit change is an auth failure. */
	const int pos[] = { 1, 5, 12, 12 + 86, olen - 1, olen, plen - 1 };
	for (size_t k = 0; k < sizeof(pos) / sizeof(pos[0]); k++) {
		for (int bit = 0; bit < 8; bit += 7) {
			memcpy(work, pkt, (size_t)plen);
			work[pos[k]] ^= (uint8_t)(1u << bit);
			wlen = plen;
			cr_assert_eq(srtp_unprotect(rx, work, &wlen), srtp_err_status_auth_fail,
				     "octet %d bit %d accepted", pos[k], bit);
		}
	}
	/* A changed sequence number changes the index: rejected too. */
	memcpy(work, pkt, (size_t)plen);
	work[3] ^= 0x04;
	wlen = plen;
	cr_assert_neq(srtp_unprotect(rx, work, &wlen), srtp_err_status_ok);
	/* Truncated: tag cut short, or nothing but a header. */
	memcpy(work, pkt, (size_t)plen);
	wlen = plen - 1;
	cr_assert_neq(srtp_unprotect(rx, work, &wlen), srtp_err_status_ok);
	memcpy(work, pkt, (size_t)plen);
	wlen = 12 + tag - 1;
	cr_assert_neq(srtp_unprotect(rx, work, &wlen), srtp_err_status_ok);

	/* None of that moved the replay window: the real packet still passes. */
	memcpy(work, pkt, (size_t)plen);
	wlen = plen;
	cr_assert_eq(srtp_unprotect(rx, work, &wlen), srtp_err_status_ok);
	cr_assert_eq(wlen, olen);
	cr_assert(memcmp(work, orig, (size_t)olen) == 0);

	/* SRTCP: payload, E-bit/index word and tag changes are rejected. */
	olen = tsrtp_rtcp_packet(orig, ssrc, 3);
	memcpy(pkt, orig, (size_t)olen);
	plen = olen;
	cr_assert_eq(srtp_protect_rtcp(tx, pkt, &plen), srtp_err_status_ok);
	cr_assert_eq(plen, olen + 4 + rtcp_tag);
	const int rpos[] = { 9, olen - 1, olen + 3, plen - 1 };
	for (size_t k = 0; k < sizeof(rpos) / sizeof(rpos[0]); k++) {
		memcpy(work, pkt, (size_t)plen);
		work[rpos[k]] ^= 0x01;
		wlen = plen;
		cr_assert_neq(srtp_unprotect_rtcp(rx, work, &wlen), srtp_err_status_ok,
			      "SRTCP octet %d accepted", rpos[k]);
	}
	memcpy(work, pkt, (size_t)plen);
	wlen = plen;
	cr_assert_eq(srtp_unprotect_rtcp(rx, work, &wlen), srtp_err_status_ok);
	cr_assert_eq(wlen, olen);
	cr_assert(memcmp(work, orig, (size_t)olen) == 0);

	srtp_dealloc(tx);
	srtp_dealloc(rx);
}

#define REPLAY_N 200

static void check_replay(enum umedge_srtp_suite suite)
{
	const uint32_t ssrc = 0x7a3e0002;
	struct tsrtp_rec *p = calloc(REPLAY_N + 1, sizeof(*p));
	struct tsrtp_rec w;
	srtp_t tx, rx;

	cr_assert(p);
	register_backend();
	sessions(suite, ssrc, &tx, &rx);
	for (int s = 1; s <= REPLAY_N; s++) {
		p[s].len = tsrtp_rtp_packet(p[s].buf, ssrc, (uint16_t)s, s % 3);
		cr_assert_eq(srtp_protect(tx, p[s].buf, &p[s].len), srtp_err_status_ok);
	}
	/* Sender side: reusing an index is refused too. */
	w.len = tsrtp_rtp_packet(w.buf, ssrc, 5, 0);
	cr_assert_neq(srtp_protect(tx, w.buf, &w.len), srtp_err_status_ok);

	for (int s = 1; s <= REPLAY_N; s++) {
		if (s == 190)
			continue; /* arrives late, below */
		w = p[s];
		cr_assert_eq(srtp_unprotect(rx, w.buf, &w.len), srtp_err_status_ok, "seq %d", s);
	}
	w = p[REPLAY_N];
	cr_assert_eq(srtp_unprotect(rx, w.buf, &w.len), srtp_err_status_replay_fail);
	w = p[150];
	cr_assert_eq(srtp_unprotect(rx, w.buf, &w.len), srtp_err_status_replay_fail);
	w = p[10]; /* older than the 128-packet window */
	cr_assert_eq(srtp_unprotect(rx, w.buf, &w.len), srtp_err_status_replay_old);
	w = p[190]; /* late but inside the window, first time: accepted */
	cr_assert_eq(srtp_unprotect(rx, w.buf, &w.len), srtp_err_status_ok);
	w = p[190];
	cr_assert_eq(srtp_unprotect(rx, w.buf, &w.len), srtp_err_status_replay_fail);

	/* SRTCP has its own index and replay window. */
	for (int i = 0; i < 3; i++) {
		p[i].len = tsrtp_rtcp_packet(p[i].buf, ssrc, i);
		cr_assert_eq(srtp_protect_rtcp(tx, p[i].buf, &p[i].len), srtp_err_status_ok);
	}
	for (int i = 0; i < 3; i++) {
		w = p[i];
		cr_assert_eq(srtp_unprotect_rtcp(rx, w.buf, &w.len), srtp_err_status_ok);
	}
	w = p[1];
	cr_assert_eq(srtp_unprotect_rtcp(rx, w.buf, &w.len), srtp_err_status_replay_fail);

	srtp_dealloc(tx);
	srtp_dealloc(rx);
	free(p);
}

#define SUITE_TESTS(tag, suite)                                   \
	Test(srtp_stock_agreement, tag) { check_stock_agreement(suite); } \
	Test(srtp_tamper, tag) { check_tamper(suite); }                   \
	Test(srtp_replay, tag) { check_replay(suite); }                   \
	Test(srtp_roc_wrap, tag) { check_roc_wrap(suite); }

SUITE_TESTS(aes_cm_128_hmac_sha1_80, UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80)
SUITE_TESTS(aes_cm_128_hmac_sha1_32, UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32)
SUITE_TESTS(aes_256_cm_hmac_sha1_80, UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80)
SUITE_TESTS(aead_aes_128_gcm, UMEDGE_SRTP_AEAD_AES_128_GCM)
SUITE_TESTS(aead_aes_256_gcm, UMEDGE_SRTP_AEAD_AES_256_GCM)
