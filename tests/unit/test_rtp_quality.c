/* RFC 3550 reception statistics, RTCP reports and the G.711 tone
 * (dataplane/media/rtp_quality.c): sequence wrap, loss, reordering,
 * duplicates, a restarted sender, jitter of known arrivals, reports built
 * and parsed back, hostile RTCP, the round trip of 6.4.1, and mu-law
 * against the values of the common G.711 encoder (Python's audioop). */
#include <criterion/criterion.h>

#include <math.h>
#include <string.h>

#include "rtp_quality.h"

/* n packets from seq first, 160 timestamp units apart, arriving with
 * transit + jit(i); skip(i) true: the packet is lost. */
static void feed(struct rtpq_rx *s, uint16_t first, unsigned n, int (*jit)(unsigned),
		 bool (*skip)(unsigned))
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t ts = 1000 + 160 * i;
		if (skip != NULL && skip(i))
			continue;
		(void)rtpq_rx_packet(s, (uint16_t)(first + i), ts,
				     ts + 5000 + (uint32_t)(jit != NULL ? jit(i) : 0));
	}
}

Test(rtp_quality, in_order_across_the_wrap)
{
	struct rtpq_rx s;

	rtpq_rx_init(&s, 0x1234, 65500);
	feed(&s, 65500, 100, NULL, NULL);
	/* the first packet is the probation's (A.1): counted from the second */
	cr_expect_eq(s.received, 99);
	cr_expect_eq(rtpq_rx_expected(&s), 99);
	cr_expect_eq(rtpq_rx_lost(&s), 0);
	cr_expect_eq(rtpq_rx_ext_max(&s), 65536u + (uint16_t)(65500 + 99));
	cr_expect_eq(s.jitter, 0.0, "constant transit: no jitter");
	cr_expect_eq(rtpq_rx_fraction_lost(&s), 0);
}

static bool every_tenth(unsigned i)
{
	return i > 1 && i % 10 == 0;
}

Test(rtp_quality, loss_and_fraction)
{
	struct rtpq_rx s;
	uint8_t f;

	rtpq_rx_init(&s, 1, 0);
	/* 10 of 105 lost (10, 20, ..., 100); counted from seq 1 (probation) */
	feed(&s, 0, 105, NULL, every_tenth);
	cr_expect_eq(rtpq_rx_expected(&s), 104);
	cr_expect_eq(s.received, 94);
	cr_expect_eq(rtpq_rx_lost(&s), 10);
	f = rtpq_rx_fraction_lost(&s);
	cr_expect_eq(f, (10 << 8) / 104, "fraction %u", f);
	/* the next interval: no loss */
	feed(&s, 105, 50, NULL, NULL);
	cr_expect_eq(rtpq_rx_fraction_lost(&s), 0);
	cr_expect_eq(rtpq_rx_lost(&s), 10, "cumulative");
}

Test(rtp_quality, reordered_and_duplicated)
{
	struct rtpq_rx s;

	rtpq_rx_init(&s, 1, 10);
	for (uint16_t q = 10; q < 20; q++)
		cr_assert_eq(rtpq_rx_packet(&s, q, q * 160u, q * 160u), q == 10 ? -1 : 0);
	/* 21 before 20: a gap, then filled */
	cr_expect_eq(rtpq_rx_packet(&s, 21, 21 * 160u, 21 * 160u), 0);
	cr_expect_eq(rtpq_rx_lost(&s), 1);
	cr_expect_eq(rtpq_rx_packet(&s, 20, 20 * 160u, 20 * 160u), 0);
	cr_expect_eq(rtpq_rx_lost(&s), 0, "late, not lost");
	cr_expect_eq(rtpq_rx_packet(&s, 21, 21 * 160u, 21 * 160u), 0);
	cr_expect_eq(rtpq_rx_lost(&s), -1, "a duplicate makes loss negative, as A.3 says");
	cr_expect_eq(rtpq_rx_ext_max(&s), 21);
}

Test(rtp_quality, a_stray_jump_is_ignored_a_restart_is_followed)
{
	struct rtpq_rx s;

	rtpq_rx_init(&s, 1, 100);
	feed(&s, 100, 20, NULL, NULL);
	cr_expect_eq(s.received, 19);
	cr_expect_eq(rtpq_rx_packet(&s, 40000, 0, 0), -1, "one far packet: not counted");
	cr_expect_eq(rtpq_rx_packet(&s, 120, 20 * 160u, 20 * 160u), 0, "the stream goes on");
	cr_expect_eq(s.received, 20);
	/* the sender restarted: two in a row on the new numbers */
	cr_expect_eq(rtpq_rx_packet(&s, 30000, 0, 0), -1);
	cr_expect_eq(rtpq_rx_packet(&s, 30001, 160, 160), 0);
	cr_expect_eq(s.received, 1, "counting again from the restart");
	cr_expect_eq(rtpq_rx_expected(&s), 1);
}

static int alternate(unsigned i)
{
	return (i % 2) ? 80 : -80; /* +-10 ms at 8 kHz */
}

Test(rtp_quality, jitter_of_known_arrivals)
{
	struct rtpq_rx s;

	rtpq_rx_init(&s, 1, 0);
	feed(&s, 0, 400, alternate, NULL);
	/* every transit differs from the previous by 160: J tends to 160 */
	cr_expect(fabs(s.jitter - 160.0) < 0.5, "jitter %f", s.jitter);
}

Test(rtp_quality, reports_round_trip)
{
	struct rtpq_rx s;
	struct rtpq_sr sr = { .ntp = 0xe6a1b2c3d4e5f607ull, .rtp_ts = 123456, .packets = 250,
			      .octets = 40000 };
	struct rtpq_block b;
	struct rtpq_rtcp got;
	uint8_t buf[128];
	size_t n;

	rtpq_rx_init(&s, 0xabcdef01, 0);
	feed(&s, 0, 105, NULL, every_tenth);
	rtpq_block_of(&s, 0x11223344, 0x00018000, &b);
	n = rtpq_rtcp_report(buf, sizeof(buf), 0x55667788, &sr, &b);
	cr_assert_eq(n, 52);
	cr_expect_eq(buf[0], 0x81);
	cr_expect_eq(buf[1], 200);
	cr_expect_eq(buf[3], 52 / 4 - 1);
	cr_assert_eq(rtpq_rtcp_parse(buf, n, 0xabcdef01, &got), 0);
	cr_expect_eq(got.ssrc, 0x55667788);
	cr_expect(got.has_sr && got.has_block && !got.bye);
	cr_expect_eq(got.sr.ntp, sr.ntp);
	cr_expect_eq(got.sr.rtp_ts, 123456);
	cr_expect_eq(got.sr.packets, 250);
	cr_expect_eq(got.sr.octets, 40000);
	cr_expect_eq(got.block.ssrc, 0xabcdef01);
	cr_expect_eq(got.block.fraction, (10 << 8) / 104);
	cr_expect_eq(got.block.lost, 10);
	cr_expect_eq(got.block.ext_max_seq, 104);
	cr_expect_eq(got.block.lsr, 0x11223344);
	cr_expect_eq(got.block.dlsr, 0x00018000);
	/* a block about someone else is not ours */
	cr_assert_eq(rtpq_rtcp_parse(buf, n, 0x1, &got), 0);
	cr_expect(!got.has_block);
	/* an RR with a negative cumulative loss (duplicates), then a BYE */
	b.lost = -5;
	n = rtpq_rtcp_report(buf, sizeof(buf), 7, NULL, &b);
	cr_assert_eq(n, 32);
	memcpy(buf + n, "\x81\xcb\x00\x01\x00\x00\x00\x07", 8);
	cr_assert_eq(rtpq_rtcp_parse(buf, n + 8, 0xabcdef01, &got), 0);
	cr_expect(!got.has_sr && got.has_block && got.bye);
	cr_expect_eq(got.block.lost, -5);
	cr_expect_eq(rtpq_rtcp_report(buf, 31, 7, NULL, &b), 0, "short buffer: nothing");
}

Test(rtp_quality, hostile_rtcp)
{
	static const uint8_t v1[] = { 0x41, 201, 0, 1, 0, 0, 0, 1 };
	static const uint8_t long_len[] = { 0x80, 201, 0, 9, 0, 0, 0, 1 };
	static const uint8_t bye_first[] = { 0x81, 203, 0, 1, 0, 0, 0, 1 };
	static const uint8_t rc_overflow[] = { 0x9f, 201, 0, 1, 0, 0, 0, 1 };
	static const uint8_t tail[] = { 0x80, 201, 0, 1, 0, 0, 0, 1, 0x80 };
	struct rtpq_rtcp got;
	uint8_t buf[64];
	size_t n;

	cr_expect_eq(rtpq_rtcp_parse(v1, sizeof(v1), 1, &got), -1, "version 1");
	cr_expect_eq(rtpq_rtcp_parse(long_len, sizeof(long_len), 1, &got), -1, "length past end");
	cr_expect_eq(rtpq_rtcp_parse(bye_first, sizeof(bye_first), 1, &got), -1, "BYE first");
	cr_expect_eq(rtpq_rtcp_parse(rc_overflow, sizeof(rc_overflow), 1, &got), -1,
		     "31 blocks in 8 bytes");
	cr_expect_eq(rtpq_rtcp_parse(tail, sizeof(tail), 1, &got), -1, "a byte left over");
	cr_expect_eq(rtpq_rtcp_parse(v1, 0, 1, &got), -1, "empty");
	/* every truncation of a valid SR is refused, never read past */
	n = rtpq_rtcp_report(buf, sizeof(buf), 9, &(struct rtpq_sr){ .ntp = 1 },
			     &(struct rtpq_block){ .ssrc = 1 });
	for (size_t k = 1; k < n; k++)
		cr_expect_eq(rtpq_rtcp_parse(buf, k, 1, &got), -1, "cut at %zu", k);
}

Test(rtp_quality, round_trip_from_a_report_block)
{
	uint32_t lsr = 0x12345678, dlsr = 3 * 65536; /* held 3 s */

	cr_expect(fabs(rtpq_rtt_ms(lsr + dlsr + 6554, lsr, dlsr) - 100.0) < 0.01, "100 ms");
	cr_expect(fabs(rtpq_rtt_ms(0xfffff000u + dlsr + 6554 - 0xfffff000u + 0xfffff000u,
				   0xfffff000u, dlsr) - 100.0) < 0.01, "across the wrap");
	cr_expect_lt(rtpq_rtt_ms(5, 0, 0), 0.0, "no SR seen: no round trip");
	cr_expect_eq(rtpq_rtt_ms(lsr, lsr, dlsr), 0.0, "clocks off: never negative");
	cr_expect_eq(rtpq_ntp_mid(0x0001234567890000ull), 0x23456789u);
}

Test(rtp_quality, mu_law_and_tone)
{
	static const struct {
		int16_t pcm;
		uint8_t ulaw;
	} ref[] = {
		{ 0, 0xff }, { 1, 0xff }, { -1, 0x7e }, { 100, 0xf2 }, { 1000, 0xce },
		{ -1000, 0x4e }, { 8000, 0xa0 }, { 32767, 0x80 }, { -32768, 0x00 },
		{ 32635, 0x80 }, { -32635, 0x00 }, { 132, 0xef }, { 4000, 0xaf },
	};
	uint8_t tone[160];
	uint32_t phase = 0;
	unsigned distinct = 0;

	for (size_t i = 0; i < sizeof(ref) / sizeof(ref[0]); i++)
		cr_expect_eq(rtpq_ulaw(ref[i].pcm), ref[i].ulaw, "ulaw(%d) = %#x, want %#x",
			     ref[i].pcm, rtpq_ulaw(ref[i].pcm), ref[i].ulaw);
	/* 1 kHz at 8 kHz: the same 8 samples over and over, the phase kept */
	rtpq_tone(tone, 160, &phase, 1000, 8000);
	for (unsigned i = 8; i < 160; i++)
		cr_assert_eq(tone[i], tone[i - 8], "period of 8 at %u", i);
	for (unsigned i = 1; i < 8; i++)
		distinct += tone[i] != tone[0];
	cr_expect_gt(distinct, 4, "a sine, not silence");
	cr_expect_eq(phase, 160u * (uint32_t)((1000ull << 32) / 8000), "phase carried on");
}
