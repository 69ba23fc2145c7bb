/* The media end of a test call (`umedgectl test-connectivity --phone`):
 * one RTP or SRTP endpoint that sends a G.711 mu-law tone every 20 ms,
 * RTCP sender reports every second, and measures what comes back (RFC
 * 3550 loss and jitter through rtp_quality.h, the round trip from the
 * peer's report blocks, and from our own packets when the far end echoes
 * them unchanged). Sans-I/O: fed with datagrams and a clock in
 * microseconds, it hands the datagrams to send to a callback. It
 * allocates only in rtp_phone_start (libsrtp2's contexts). */
#ifndef UMEDGE_RTP_PHONE_H
#define UMEDGE_RTP_PHONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>

#include "rtp_quality.h"
#include "umedge/modes.h"

#define RTP_PHONE_PTIME_US 20000u	/* 160 samples of 8000 Hz */
#define RTP_PHONE_SAMPLES 160u
#define RTP_PHONE_RTCP_US 1000000u	/* a test of seconds wants reports often */
#define RTP_PHONE_TONE_HZ 1004u		/* the usual test tone */
#define RTP_PHONE_PKT_MAX 1500u
#define RTP_PHONE_SENT_RING 512u	/* send times kept for echoed packets */

struct rtp_phone_conf {
	bool srtp;
	enum umedge_srtp_suite suite;
	const uint8_t *tx_key, *rx_key;	/* master key || salt, the suite's length */
	uint32_t ssrc;
	uint8_t pt;			/* the payload type the answer kept (PCMU 0) */
	uint64_t ntp_at_zero;		/* NTP time (32.32) at clock 0 */
};

/* called with each datagram to send: rtcp tells the RTCP port from the
 * RTP one (the caller knows whether they are muxed) */
typedef void (*rtp_phone_send_fn)(void *arg, bool rtcp, const uint8_t *buf, size_t len);

struct rtp_phone {
	bool srtp, started;
	uint8_t pt;
	srtp_t tx, rx;
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts0;
	uint64_t start_us, next_rtp_us, next_rtcp_us;
	uint32_t phase;
	uint64_t ntp_at_zero;
	/* sent */
	uint64_t sent, sent_octets, rtcp_sent;
	uint16_t sent_seq[RTP_PHONE_SENT_RING];
	uint64_t sent_us[RTP_PHONE_SENT_RING];
	/* received: the first source is the one measured */
	bool have_peer;
	struct rtpq_rx peer;
	uint64_t received, received_octets, rtcp_received, other_ssrc;
	uint64_t auth_fail, replay, bad;
	/* the last SR from the peer, for our report block's LSR and DLSR */
	uint32_t peer_lsr;
	uint64_t peer_sr_us;
	/* round trips */
	double rtcp_rtt_ms, rtcp_rtt_min, rtcp_rtt_max;
	unsigned rtcp_rtt_n;
	double echo_rtt_sum, echo_rtt_min, echo_rtt_max;
	uint64_t echo_rtt_n;
	/* the peer's report about us */
	bool peer_block;
	struct rtpq_block block;
};

struct rtp_phone_report {
	uint64_t sent, sent_octets, rtcp_sent;
	uint64_t received, received_octets, rtcp_received, other_ssrc;
	uint64_t auth_fail, replay, bad;
	bool echo;			/* what came back was our own stream */
	uint32_t peer_ssrc;
	int64_t expected, lost;		/* of the measured source (RFC 3550 A.3) */
	double loss_pct, jitter_ms;
	double rtcp_rtt_ms, rtcp_rtt_min_ms, rtcp_rtt_max_ms; /* < 0: no report */
	unsigned rtcp_rtt_samples;
	double echo_rtt_ms, echo_rtt_min_ms, echo_rtt_max_ms;  /* < 0: no echo */
	uint64_t echo_rtt_samples;
	bool peer_report;		/* the peer reported on our stream: */
	double peer_loss_pct, peer_jitter_ms;
	int32_t peer_lost;
};

/* 0, or -EINVAL (a bad suite or key) / -EPROTO (libsrtp2 refused). */
int rtp_phone_start(struct rtp_phone *ph, const struct rtp_phone_conf *c, uint64_t now_us);
/* The packets due at now_us: RTP (while sending) and RTCP reports. */
void rtp_phone_tick(struct rtp_phone *ph, uint64_t now_us, bool sending, rtp_phone_send_fn send,
		    void *arg);
/* A datagram that reached our media port (rtcp: it came to the RTCP port;
 * RTCP on the RTP port is told by its type, RFC 5761). buf is decrypted
 * in place. */
void rtp_phone_input(struct rtp_phone *ph, uint8_t *buf, size_t len, bool rtcp, uint64_t now_us);
/* The last report, with an RTCP BYE. */
void rtp_phone_bye(struct rtp_phone *ph, uint64_t now_us, rtp_phone_send_fn send, void *arg);
void rtp_phone_report(const struct rtp_phone *ph, struct rtp_phone_report *r);
/* The SRTP contexts freed, the state wiped. Safe on a zeroed phone. */
void rtp_phone_stop(struct rtp_phone *ph);

#endif
