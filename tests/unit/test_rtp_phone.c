/* The test call's endpoint (dataplane/media/rtp_phone.c) on a simulated
 * clock: pacing, an echo that gives the exact round trip, loss and jitter
 * of what comes back, two endpoints over SRTP reporting on each other
 * (round trip from RTCP, RFC 3550 6.4.1), checked by stock libsrtp2 on
 * the wire, and tampered, replayed and hostile datagrams counted. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "rtp_phone.h"
#include "srtp_backend.h"

#define QMAX 4096

struct dgram {
	bool rtcp;
	size_t len;
	uint8_t b[RTP_PHONE_PKT_MAX];
};

struct queue {
	struct dgram d[QMAX];
	unsigned n;
};

static struct queue qa, qb;

static void to_queue(void *arg, bool rtcp, const uint8_t *buf, size_t len)
{
	struct queue *q = arg;

	cr_assert(q->n < QMAX && len <= RTP_PHONE_PKT_MAX);
	q->d[q->n].rtcp = rtcp;
	q->d[q->n].len = len;
	memcpy(q->d[q->n].b, buf, len);
	q->n++;
}

static void setup(void)
{
	cr_assert_eq(srtp_backend_register(), 0);
	memset(&qa, 0, sizeof(qa));
	memset(&qb, 0, sizeof(qb));
}

TestSuite(rtp_phone, .init = setup);

static const struct rtp_phone_conf plain = { .ssrc = 0x11223344, .pt = 0 };

Test(rtp_phone, paces_a_tone_every_20_ms)
{
	struct rtp_phone ph;
	uint16_t seq0;
	uint32_t ts0;

	cr_assert_eq(rtp_phone_start(&ph, &plain, 5000000), 0);
	for (uint64_t t = 5000000; t < 6000000; t += 1000)
		rtp_phone_tick(&ph, t, true, to_queue, &qa);
	/* 50 RTP packets and the first report, at 0.5 s */
	cr_expect_eq(ph.sent, 50);
	cr_expect_eq(ph.rtcp_sent, 1);
	cr_expect_eq(qa.n, 51);
	seq0 = (uint16_t)(qa.d[0].b[2] << 8 | qa.d[0].b[3]);
	ts0 = (uint32_t)qa.d[0].b[4] << 24 | (uint32_t)qa.d[0].b[5] << 16 |
	      (uint32_t)qa.d[0].b[6] << 8 | qa.d[0].b[7];
	cr_expect_eq(qa.d[0].b[1], 0x80, "PCMU with the marker on the first");
	for (unsigned i = 1, k = 1; i < qa.n; i++) {
		struct dgram *d = &qa.d[i];
		if (d->rtcp) {
			cr_expect_eq(d->b[1], 200, "an SR");
			continue;
		}
		cr_expect_eq(d->len, 172);
		cr_expect_eq(d->b[1], 0);
		cr_expect_eq((uint16_t)(d->b[2] << 8 | d->b[3]), (uint16_t)(seq0 + k));
		cr_expect_eq((uint32_t)d->b[4] << 24 | (uint32_t)d->b[5] << 16 |
			     (uint32_t)d->b[6] << 8 | d->b[7], ts0 + 160 * k);
		k++;
	}
	/* a stalled core: at most a few at once, then on from now */
	rtp_phone_tick(&ph, 7000000, true, to_queue, &qa);
	cr_expect_eq(ph.sent, 55);
	rtp_phone_stop(&ph);
}

/* Feed back every RTP packet delay_us after it left, dropping those drop()
 * picks; returns how many were fed. */
static unsigned echo(struct rtp_phone *ph, uint64_t t0, uint64_t dur, uint64_t delay_us,
		     bool (*drop)(unsigned), uint64_t (*jit)(unsigned))
{
	uint64_t sent_at[QMAX];
	unsigned fed = 0, next = 0, k = 0;

	for (uint64_t t = t0; t <= t0 + dur; t += 500) {
		unsigned before = qa.n;
		rtp_phone_tick(ph, t, t + 60000 < t0 + dur, to_queue, &qa);
		for (unsigned i = before; i < qa.n; i++)
			sent_at[i] = t;
		for (; next < qa.n; next++) {
			struct dgram *d = &qa.d[next];
			uint64_t due;
			if (d->rtcp)
				continue;
			due = sent_at[next] + delay_us + (jit != NULL ? jit(k) : 0);
			if (due > t)
				break;
			if (drop == NULL || !drop(k))
				rtp_phone_input(ph, d->b, d->len, false, t), fed++;
			k++;
		}
	}
	return fed;
}

static bool tenth(unsigned k)
{
	return k % 10 == 5;
}

Test(rtp_phone, an_echo_gives_the_round_trip)
{
	struct rtp_phone ph;
	struct rtp_phone_report r;
	unsigned fed;

	cr_assert_eq(rtp_phone_start(&ph, &plain, 1000000), 0);
	fed = echo(&ph, 1000000, 2000000, 30000, NULL, NULL);
	rtp_phone_report(&ph, &r);
	cr_expect_eq(r.received, fed);
	cr_expect_geq(r.sent, 95);
	cr_expect(r.echo, "our own SSRC came back");
	cr_expect_eq(r.lost, 0);
	cr_expect_eq(r.loss_pct, 0.0);
	cr_expect_eq(r.echo_rtt_samples, fed);
	cr_expect(r.echo_rtt_min_ms >= 30.0 && r.echo_rtt_max_ms <= 30.5,
		  "rtt %.2f..%.2f", r.echo_rtt_min_ms, r.echo_rtt_max_ms);
	cr_expect(r.jitter_ms < 0.2, "a constant delay: jitter %.3f ms", r.jitter_ms);
	cr_expect_lt(r.rtcp_rtt_ms, 0, "no RTCP report from an echo");
	rtp_phone_stop(&ph);
}

/* 0 or 20 ms extra, alternating: RFC 3550's jitter estimator settles
 * near 20 ms (a mean deviation of 20 ms between neighbours) */
static uint64_t alternate(unsigned k)
{
	return k % 2 ? 20000 : 0;
}

Test(rtp_phone, loss_and_jitter_of_what_came_back)
{
	struct rtp_phone ph;
	struct rtp_phone_report r;

	cr_assert_eq(rtp_phone_start(&ph, &plain, 0), 0);
	(void)echo(&ph, 0, 4000000, 10000, tenth, NULL);
	rtp_phone_report(&ph, &r);
	cr_expect(r.lost >= 18 && r.lost <= 20, "lost %lld", (long long)r.lost);
	cr_expect(r.loss_pct > 9.0 && r.loss_pct < 11.0, "loss %.2f%%", r.loss_pct);
	rtp_phone_stop(&ph);

	memset(&qa, 0, sizeof(qa));
	cr_assert_eq(rtp_phone_start(&ph, &plain, 0), 0);
	(void)echo(&ph, 0, 4000000, 10000, NULL, alternate);
	rtp_phone_report(&ph, &r);
	cr_expect(r.jitter_ms > 15.0 && r.jitter_ms < 21.0, "jitter %.2f ms", r.jitter_ms);
	rtp_phone_stop(&ph);
}

static const uint8_t key_ab[30] = "0123456789abcdefghijklmnopqrs";
static const uint8_t key_ba[30] = "ZYXWVUTSRQPONMLKJIHGFEDCBA987";

/* Two endpoints over SRTP, each datagram delivered delay_us after it left:
 * each measures the other's stream and the round trip from its reports. */
Test(rtp_phone, two_ends_over_srtp_report_on_each_other)
{
	struct rtp_phone a, b;
	struct rtp_phone_conf ca = { .srtp = true, .suite = UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80,
				     .tx_key = key_ab, .rx_key = key_ba, .ssrc = 0xaaaa0001,
				     .ntp_at_zero = 0xe0000000ull << 32 };
	struct rtp_phone_conf cb = ca;
	struct rtp_phone_report ra, rb;
	uint64_t at_a[QMAX], at_b[QMAX];
	unsigned na = 0, nb = 0;
	const uint64_t delay = 15000;
	uint8_t wire[RTP_PHONE_PKT_MAX];

	cb.tx_key = key_ba;
	cb.rx_key = key_ab;
	cb.ssrc = 0xbbbb0002;
	cb.ntp_at_zero = 0xe1000000ull << 32; /* its own clock: only differences matter */
	cr_assert_eq(rtp_phone_start(&a, &ca, 0), 0);
	cr_assert_eq(rtp_phone_start(&b, &cb, 0), 0);
	for (uint64_t t = 0; t <= 5000000; t += 500) {
		unsigned ba = qa.n, bb = qb.n;
		rtp_phone_tick(&a, t, true, to_queue, &qa);
		rtp_phone_tick(&b, t, true, to_queue, &qb);
		for (unsigned i = ba; i < qa.n; i++)
			at_a[i] = t;
		for (unsigned i = bb; i < qb.n; i++)
			at_b[i] = t;
		/* decrypted in place: a copy, the queue keeps the wire */
		for (; na < qa.n && at_a[na] + delay <= t; na++) {
			memcpy(wire, qa.d[na].b, qa.d[na].len);
			rtp_phone_input(&b, wire, qa.d[na].len, qa.d[na].rtcp, t);
		}
		for (; nb < qb.n && at_b[nb] + delay <= t; nb++) {
			memcpy(wire, qb.d[nb].b, qb.d[nb].len);
			rtp_phone_input(&a, wire, qb.d[nb].len, qb.d[nb].rtcp, t);
		}
	}
	rtp_phone_report(&a, &ra);
	rtp_phone_report(&b, &rb);
	cr_expect_eq(ra.auth_fail + rb.auth_fail + ra.bad + rb.bad, 0);
	cr_expect_geq(ra.received, 240);
	cr_expect_eq(ra.peer_ssrc, 0xbbbb0002);
	cr_expect_not(ra.echo);
	cr_expect_eq(ra.lost, 0);
	cr_expect_geq(ra.rtcp_rtt_samples, 3, "a report from b after its first SR from a");
	cr_expect(ra.rtcp_rtt_min_ms > 29.9 && ra.rtcp_rtt_max_ms < 30.1, "rtt %.3f..%.3f",
		  ra.rtcp_rtt_min_ms, ra.rtcp_rtt_max_ms);
	cr_expect(rb.rtcp_rtt_ms > 29.9 && rb.rtcp_rtt_ms < 30.1);
	cr_expect(ra.peer_report && ra.peer_lost == 0 && ra.peer_loss_pct == 0.0);
	cr_expect_lt(ra.echo_rtt_ms, 0);
	/* the wire is SRTP: stock libsrtp2 with b's key for a's stream */
	{
		srtp_t chk;
		uint8_t pkt[RTP_PHONE_PKT_MAX];
		int len = (int)qa.d[0].len;
		cr_assert_eq(srtp_backend_create(&chk, UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, key_ab,
						 ssrc_any_inbound), 0);
		cr_assert_not(qa.d[0].rtcp);
		memcpy(pkt, qa.d[0].b, qa.d[0].len);
		cr_expect_eq(len, 12 + 160 + 10, "an 80-bit tag");
		cr_expect_eq(srtp_unprotect(chk, pkt, &len), srtp_err_status_ok);
		cr_expect_eq(len, 172);
		srtp_dealloc(chk);
	}
	/* tampered and replayed: counted, not measured */
	{
		uint64_t rx = a.received;
		uint8_t pkt[RTP_PHONE_PKT_MAX];
		unsigned i = nb - 1; /* delivered already */
		while (qb.d[i].rtcp)
			i--;
		struct dgram *d = &qb.d[i];
		memcpy(pkt, d->b, d->len);
		rtp_phone_input(&a, pkt, d->len, false, 5100000);
		memcpy(pkt, d->b, d->len);
		pkt[20] ^= 1;
		rtp_phone_input(&a, pkt, d->len, false, 5100000);
		cr_expect_eq(a.received, rx);
		cr_expect_geq(a.replay + a.auth_fail, 2);
	}
	rtp_phone_bye(&a, 5200000, to_queue, &qa);
	cr_expect_eq(a.rtcp_sent, ra.rtcp_sent + 1);
	rtp_phone_stop(&a);
	rtp_phone_stop(&b);
}

Test(rtp_phone, hostile_datagrams_are_counted)
{
	struct rtp_phone ph;
	uint8_t junk[1600];

	cr_assert_eq(rtp_phone_start(&ph, &plain, 0), 0);
	memset(junk, 0x80, sizeof(junk));
	for (size_t len = 0; len < 40; len++)
		rtp_phone_input(&ph, junk, len, len % 2, 1000);
	junk[1] = 200; /* an RTCP SR that says it is longer than it is */
	rtp_phone_input(&ph, junk, 28, false, 1000);
	rtp_phone_input(&ph, junk, sizeof(junk), false, 1000);
	junk[0] = 0x40;
	rtp_phone_input(&ph, junk, 100, false, 1000);
	cr_expect_eq(ph.received, 14, "the even lengths from 12 to 38: RTP headers");
	cr_expect_gt(ph.bad, 0);
	rtp_phone_stop(&ph);
	/* a bad suite or a missing key */
	struct rtp_phone_conf c = { .srtp = true, .suite = 99, .tx_key = key_ab, .rx_key = key_ba };
	cr_expect_neq(rtp_phone_start(&ph, &c, 0), 0);
	c.suite = UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80;
	c.rx_key = NULL;
	cr_expect_eq(rtp_phone_start(&ph, &c, 0), -EINVAL);
	rtp_phone_stop(&ph);
}
