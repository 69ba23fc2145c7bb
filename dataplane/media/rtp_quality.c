/*
 * rtp_quality.c: RFC 3550 reception statistics, RTCP reports and a G.711
 * test tone (rtp_quality.h).
 */
#include "rtp_quality.h"

#include <math.h>
#include <string.h>

#define SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000u	/* ahead by this much: still the same stream */
#define MAX_MISORDER 100u	/* behind by this much: late, not a restart */
#define MIN_SEQUENTIAL 2u	/* in order before a new source counts */

/* ---- reception (RFC 3550 A.1, A.3, A.8) ---- */

static void restart(struct rtpq_rx *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1; /* no jump pending: no 16-bit value equals it */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	s->have_transit = false;
}

void rtpq_rx_init(struct rtpq_rx *s, uint32_t ssrc, uint16_t seq)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	restart(s, seq);
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = MIN_SEQUENTIAL;
}

static int sequence(struct rtpq_rx *s, uint16_t seq)
{
	uint16_t ahead = (uint16_t)(seq - s->max_seq);

	if (s->probation > 0) {
		/* a new source counts once MIN_SEQUENTIAL packets came in order */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				restart(s, seq);
				s->received++;
				return 0;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return -1;
	}
	if (ahead < MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD; /* wrapped */
		s->max_seq = seq;
	} else if (ahead <= SEQ_MOD - MAX_MISORDER) {
		/* a jump: the sender restarted, or a stray packet; two in a
		 * row on the new numbers make it the stream */
		if (seq != s->bad_seq) {
			s->bad_seq = (uint32_t)(uint16_t)(seq + 1);
			return -1;
		}
		restart(s, seq);
	}
	/* else: late or duplicated, counted as received (A.3) */
	s->received++;
	return 0;
}

int rtpq_rx_packet(struct rtpq_rx *s, uint16_t seq, uint32_t rtp_ts, uint32_t arrival)
{
	uint32_t transit;

	if (sequence(s, seq) != 0)
		return -1;
	/* A.8: relative transit times; their differences are the jitter */
	transit = arrival - rtp_ts;
	if (s->have_transit) {
		int32_t d = (int32_t)(transit - s->transit);
		double ad = d < 0 ? -(double)d : (double)d;
		s->jitter += (ad - s->jitter) / 16.0;
	}
	s->transit = transit;
	s->have_transit = true;
	return 0;
}

uint32_t rtpq_rx_ext_max(const struct rtpq_rx *s)
{
	return s->cycles + s->max_seq;
}

uint32_t rtpq_rx_expected(const struct rtpq_rx *s)
{
	if (s->received == 0)
		return 0;
	return rtpq_rx_ext_max(s) - s->base_seq + 1;
}

int32_t rtpq_rx_lost(const struct rtpq_rx *s)
{
	return (int32_t)(rtpq_rx_expected(s) - s->received);
}

uint8_t rtpq_rx_fraction_lost(struct rtpq_rx *s)
{
	uint32_t expected = rtpq_rx_expected(s);
	uint32_t exp_int = expected - s->expected_prior;
	uint32_t rcv_int = s->received - s->received_prior;
	int64_t lost_int = (int64_t)exp_int - (int64_t)rcv_int;

	s->expected_prior = expected;
	s->received_prior = s->received;
	if (exp_int == 0 || lost_int <= 0)
		return 0;
	return (uint8_t)(((uint64_t)lost_int << 8) / exp_int > 255 ? 255
							       : ((uint64_t)lost_int << 8) / exp_int);
}

void rtpq_block_of(struct rtpq_rx *s, uint32_t lsr, uint32_t dlsr, struct rtpq_block *b)
{
	int32_t lost = rtpq_rx_lost(s);

	/* the cumulative count is 24 bits, signed: clamp (6.4.1) */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	b->ssrc = s->ssrc;
	b->fraction = rtpq_rx_fraction_lost(s);
	b->lost = lost;
	b->ext_max_seq = rtpq_rx_ext_max(s);
	b->jitter = (uint32_t)s->jitter;
	b->lsr = lsr;
	b->dlsr = dlsr;
}

/* ---- RTCP (RFC 3550 6.4) ---- */

size_t rtpq_rtcp_report(uint8_t *out, size_t cap, uint32_t ssrc, const struct rtpq_sr *sr,
			const struct rtpq_block *blk)
{
	size_t len = 8 + (sr != NULL ? 20 : 0) + (blk != NULL ? 24 : 0), o = 8;

	if (cap < len)
		return 0;
	out[0] = (uint8_t)(0x80 | (blk != NULL ? 1 : 0));
	out[1] = sr != NULL ? 200 : 201;
	out[2] = (uint8_t)((len / 4 - 1) >> 8);
	out[3] = (uint8_t)(len / 4 - 1);
	rtpq_be32(out + 4, ssrc);
	if (sr != NULL) {
		rtpq_be32(out + 8, (uint32_t)(sr->ntp >> 32));
		rtpq_be32(out + 12, (uint32_t)sr->ntp);
		rtpq_be32(out + 16, sr->rtp_ts);
		rtpq_be32(out + 20, sr->packets);
		rtpq_be32(out + 24, sr->octets);
		o = 28;
	}
	if (blk != NULL) {
		rtpq_be32(out + o, blk->ssrc);
		rtpq_be32(out + o + 4, (uint32_t)blk->fraction << 24 | ((uint32_t)blk->lost & 0xffffff));
		rtpq_be32(out + o + 8, blk->ext_max_seq);
		rtpq_be32(out + o + 12, blk->jitter);
		rtpq_be32(out + o + 16, blk->lsr);
		rtpq_be32(out + o + 20, blk->dlsr);
	}
	return len;
}

static void read_block(const uint8_t *p, struct rtpq_block *b)
{
	uint32_t w = rtpq_rd32(p + 4);

	b->ssrc = rtpq_rd32(p);
	b->fraction = (uint8_t)(w >> 24);
	/* 24-bit two's complement */
	b->lost = (int32_t)((w & 0xffffff) ^ 0x800000) - 0x800000;
	b->ext_max_seq = rtpq_rd32(p + 8);
	b->jitter = rtpq_rd32(p + 12);
	b->lsr = rtpq_rd32(p + 16);
	b->dlsr = rtpq_rd32(p + 20);
}

int rtpq_rtcp_parse(const uint8_t *p, size_t len, uint32_t ours, struct rtpq_rtcp *out)
{
	size_t off = 0;
	bool first = true;

	memset(out, 0, sizeof(*out));
	while (off < len) {
		const uint8_t *h = p + off;
		size_t bytes, blocks_at;
		unsigned rc;

		if (len - off < 4 || (h[0] >> 6) != 2)
			return -1;
		bytes = ((size_t)(h[2] << 8 | h[3]) + 1) * 4;
		rc = h[0] & 0x1f;
		if (bytes > len - off)
			return -1;
		/* a compound packet starts with an SR or an RR (6.1) */
		if (first && h[1] != 200 && h[1] != 201)
			return -1;
		first = false;
		if (h[1] == 200 || h[1] == 201) {
			blocks_at = h[1] == 200 ? 28 : 8;
			if (bytes < blocks_at + 24 * (size_t)rc)
				return -1;
			out->ssrc = rtpq_rd32(h + 4);
			if (h[1] == 200) {
				out->has_sr = true;
				out->sr.ntp = (uint64_t)rtpq_rd32(h + 8) << 32 | rtpq_rd32(h + 12);
				out->sr.rtp_ts = rtpq_rd32(h + 16);
				out->sr.packets = rtpq_rd32(h + 20);
				out->sr.octets = rtpq_rd32(h + 24);
			}
			for (unsigned i = 0; i < rc; i++) {
				if (rtpq_rd32(h + blocks_at + 24 * i) != ours)
					continue;
				read_block(h + blocks_at + 24 * i, &out->block);
				out->has_block = true;
			}
		} else if (h[1] == 203) {
			out->bye = true;
		}
		off += bytes;
	}
	return first ? -1 : 0;
}

double rtpq_rtt_ms(uint32_t arrival, uint32_t lsr, uint32_t dlsr)
{
	int32_t rtt;

	if (lsr == 0)
		return -1.0;
	/* in 1/65536 s; modulo 2^32, so a clock past the wrap still works */
	rtt = (int32_t)(arrival - lsr - dlsr);
	return rtt < 0 ? 0.0 : (double)rtt * 1000.0 / 65536.0;
}

/* ---- G.711 mu-law test tone ---- */

uint8_t rtpq_ulaw(int16_t pcm)
{
	/* G.711 works on 14-bit magnitudes: 8 segments of 16 steps, each
	 * segment twice the step of the one below, offset by a bias of 33 */
	int v = pcm >> 2;
	uint8_t mask = 0xff;
	int seg = 0;

	if (v < 0) {
		v = -v;
		mask = 0x7f;
	}
	if (v > 8159)
		v = 8159;
	v += 33;
	for (int t = v >> 6; t != 0; t >>= 1)
		seg++;
	if (seg > 7)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)((seg << 4 | ((v >> (seg + 1)) & 0x0f)) ^ mask);
}

void rtpq_tone(uint8_t *out, unsigned n, uint32_t *phase, unsigned hz, unsigned rate)
{
	uint32_t step = (uint32_t)(((uint64_t)hz << 32) / (rate ? rate : 8000));

	for (unsigned i = 0; i < n; i++) {
		double x = sin((double)*phase * (2.0 * M_PI / 4294967296.0));
		out[i] = rtpq_ulaw((int16_t)lrint(x * 8000.0));
		*phase += step;
	}
}
