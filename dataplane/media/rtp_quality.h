/* RTP reception quality as RFC 3550 defines it, for the test call of
 * `umedgectl test-connectivity --phone` (issue 12, the building blocks; the
 * call itself is not built yet): one source's sequence numbers (A.1),
 * loss (A.3) and interarrival jitter (A.8); RTCP sender and receiver
 * reports built and parsed, and the round trip from a report block (6.4.1:
 * A - LSR - DLSR); a G.711 mu-law test tone. Plain C, no DPDK, no I/O. */
#ifndef UMEDGE_RTP_QUALITY_H
#define UMEDGE_RTP_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One source as its receiver sees it. */
struct rtpq_rx {
	uint32_t ssrc;
	uint16_t max_seq;		/* highest sequence number seen */
	uint32_t cycles;		/* wraps of max_seq, times 65536 */
	uint32_t base_seq;		/* the first one */
	uint32_t bad_seq;		/* a jump waiting for its successor (A.1) */
	uint32_t probation;		/* packets still to see in sequence */
	uint32_t received;
	uint32_t expected_prior, received_prior; /* at the last report */
	bool have_transit;
	uint32_t transit;		/* arrival - timestamp of the last packet */
	double jitter;			/* in timestamp units (A.8) */
};

/* A new source whose first packet carried seq. */
void rtpq_rx_init(struct rtpq_rx *s, uint32_t ssrc, uint16_t seq);
/* A packet of the source: its sequence number, its RTP timestamp and its
 * arrival time in the same units (the receiver's clock at the payload's
 * rate). 0 when counted; -1 while the source is on probation or after a
 * jump (A.1: counted once two packets agree on the new sequence). */
int rtpq_rx_packet(struct rtpq_rx *s, uint16_t seq, uint32_t rtp_ts, uint32_t arrival);
uint32_t rtpq_rx_ext_max(const struct rtpq_rx *s);	/* extended highest sequence */
uint32_t rtpq_rx_expected(const struct rtpq_rx *s);
int32_t rtpq_rx_lost(const struct rtpq_rx *s);		/* may be negative: duplicates */
/* The fraction lost since the previous call, in 1/256 (A.3), as a report
 * block carries it. */
uint8_t rtpq_rx_fraction_lost(struct rtpq_rx *s);

/* RTCP (RFC 3550 6.4). */
struct rtpq_sr {
	uint64_t ntp;			/* NTP timestamp: seconds << 32 | fraction */
	uint32_t rtp_ts, packets, octets;
};

struct rtpq_block {
	uint32_t ssrc;			/* the source this block is about */
	uint8_t fraction;
	int32_t lost;			/* cumulative, 24 bits signed */
	uint32_t ext_max_seq, jitter, lsr, dlsr;
};

/* A report block about s: dlsr is the delay since the last SR from it
 * (1/65536 s), lsr the middle 32 bits of that SR's NTP time (0: none). */
void rtpq_block_of(struct rtpq_rx *s, uint32_t lsr, uint32_t dlsr, struct rtpq_block *b);

/* An SR from ssrc (with sr) or an RR (sr NULL), with one report block or
 * none (blk NULL). Bytes written, 0 when cap is short. */
size_t rtpq_rtcp_report(uint8_t *out, size_t cap, uint32_t ssrc, const struct rtpq_sr *sr,
			const struct rtpq_block *blk);

/* What a compound RTCP packet says: the sender's SSRC and SR, and the
 * report block about ours. */
struct rtpq_rtcp {
	uint32_t ssrc;
	bool has_sr, has_block, bye;
	struct rtpq_sr sr;
	struct rtpq_block block;
};
/* 0, or -1 for a packet that is not valid RTCP (version, lengths). */
int rtpq_rtcp_parse(const uint8_t *p, size_t len, uint32_t ours, struct rtpq_rtcp *out);

/* Network-order words in and out of RTP and RTCP headers. */
static inline void rtpq_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t rtpq_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The middle 32 bits of an NTP timestamp (LSR, and the arrival time A). */
static inline uint32_t rtpq_ntp_mid(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/* Round trip in ms from a block received at NTP mid32 time arrival
 * (RFC 3550 6.4.1); negative when the block has no LSR. */
double rtpq_rtt_ms(uint32_t arrival, uint32_t lsr, uint32_t dlsr);

/* G.711 mu-law of a 16-bit linear sample. */
uint8_t rtpq_ulaw(int16_t pcm);
/* n mu-law samples of a sine of hz at rate samples/s, about -10 dBm0,
 * continuing from *phase (in 1/2^32 of a cycle). */
void rtpq_tone(uint8_t *out, unsigned n, uint32_t *phase, unsigned hz, unsigned rate);

#endif
