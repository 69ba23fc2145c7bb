/* The test call's RTP/SRTP endpoint (rtp_phone.h). */
#include "rtp_phone.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "srtp_backend.h"

#define RTP_HDR 12u
#define RTCP_BUF 256u
#define CATCH_UP 5u		/* packets sent at once after a late tick */
#define CNAME "umedge-test@umedge.invalid"

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RTP timestamp units (8000 Hz) at now_us */
static uint32_t ts_at(const struct rtp_phone *ph, uint64_t now_us)
{
	return ph->ts0 + (uint32_t)((now_us - ph->start_us) * 8u / 1000u);
}

static uint64_t ntp_at(const struct rtp_phone *ph, uint64_t now_us)
{
	uint64_t sec = now_us / 1000000u, us = now_us % 1000000u;

	return ph->ntp_at_zero + (sec << 32) + (us << 32) / 1000000u;
}

int rtp_phone_start(struct rtp_phone *ph, const struct rtp_phone_conf *c, uint64_t now_us)
{
	int rc = 0;

	memset(ph, 0, sizeof(*ph));
	ph->srtp = c->srtp;
	ph->pt = c->pt & 0x7f;
	ph->ssrc = c->ssrc;
	/* RFC 3550 5.1: random initial sequence and timestamp */
	ph->seq = (uint16_t)(c->ssrc * 2654435761u >> 16);
	ph->ts0 = c->ssrc * 40503u;
	ph->start_us = ph->next_rtp_us = now_us;
	ph->next_rtcp_us = now_us + RTP_PHONE_RTCP_US / 2;
	ph->ntp_at_zero = c->ntp_at_zero;
	ph->rtcp_rtt_ms = ph->echo_rtt_min = -1.0;
	if (c->srtp) {
		if (c->tx_key == NULL || c->rx_key == NULL)
			return -EINVAL;
		rc = srtp_backend_create(&ph->tx, c->suite, c->tx_key, ssrc_any_outbound);
		if (rc == 0)
			rc = srtp_backend_create(&ph->rx, c->suite, c->rx_key, ssrc_any_inbound);
		if (rc != 0) {
			rtp_phone_stop(ph);
			return rc;
		}
	}
	ph->started = true;
	return 0;
}

static void send_rtp(struct rtp_phone *ph, uint64_t at_us, rtp_phone_send_fn send, void *arg)
{
	uint8_t pkt[RTP_HDR + RTP_PHONE_SAMPLES + SRTP_MAX_TRAILER_LEN];
	int len = (int)(RTP_HDR + RTP_PHONE_SAMPLES);
	unsigned slot = ph->seq % RTP_PHONE_SENT_RING;

	pkt[0] = 0x80;
	pkt[1] = (uint8_t)(ph->pt | (ph->sent == 0 ? 0x80 : 0)); /* marker: talkspurt */
	be16(pkt + 2, ph->seq);
	rtpq_be32(pkt + 4, ts_at(ph, at_us));
	rtpq_be32(pkt + 8, ph->ssrc);
	rtpq_tone(pkt + RTP_HDR, RTP_PHONE_SAMPLES, &ph->phase, RTP_PHONE_TONE_HZ, 8000);
	if (ph->srtp && srtp_protect(ph->tx, pkt, &len) != srtp_err_status_ok) {
		ph->bad++;
		return;
	}
	ph->sent_seq[slot] = ph->seq;
	ph->sent_us[slot] = at_us;
	ph->seq++;
	ph->sent++;
	ph->sent_octets += RTP_PHONE_SAMPLES;
	send(arg, false, pkt, (size_t)len);
}

/* SDES with our CNAME (RFC 3550 6.5), padded to a word: n octets. */
static size_t sdes(uint8_t *out, size_t cap, uint32_t ssrc)
{
	size_t clen = sizeof(CNAME) - 1, body = 4 + 2 + clen + 1, n = 4 + ((body + 3) & ~3u);

	if (cap < n)
		return 0;
	memset(out, 0, n);
	out[0] = 0x81;
	out[1] = 202;
	be16(out + 2, (uint16_t)(n / 4 - 1));
	rtpq_be32(out + 4, ssrc);
	out[8] = 1; /* CNAME */
	out[9] = (uint8_t)clen;
	memcpy(out + 10, CNAME, clen);
	return n;
}

/* SR (+ a block about the peer) + SDES (+ BYE), protected: sent. */
static void send_rtcp(struct rtp_phone *ph, uint64_t now_us, bool bye, rtp_phone_send_fn send,
		      void *arg)
{
	uint8_t pkt[RTCP_BUF + SRTP_MAX_TRAILER_LEN];
	struct rtpq_sr sr = { .ntp = ntp_at(ph, now_us), .rtp_ts = ts_at(ph, now_us),
			      .packets = (uint32_t)ph->sent, .octets = (uint32_t)ph->sent_octets };
	struct rtpq_block blk;
	size_t n, m;
	int len;

	if (ph->have_peer) {
		uint32_t dlsr = ph->peer_lsr != 0
				? (uint32_t)((now_us - ph->peer_sr_us) * 65536u / 1000000u) : 0;
		rtpq_block_of(&ph->peer, ph->peer_lsr, dlsr, &blk);
	}
	n = rtpq_rtcp_report(pkt, RTCP_BUF, ph->ssrc, &sr, ph->have_peer ? &blk : NULL);
	m = n != 0 ? sdes(pkt + n, RTCP_BUF - n, ph->ssrc) : 0;
	if (m == 0)
		return;
	n += m;
	if (bye) {
		pkt[n] = 0x81;
		pkt[n + 1] = 203;
		be16(pkt + n + 2, 1);
		rtpq_be32(pkt + n + 4, ph->ssrc);
		n += 8;
	}
	len = (int)n;
	if (ph->srtp && srtp_protect_rtcp(ph->tx, pkt, &len) != srtp_err_status_ok) {
		ph->bad++;
		return;
	}
	ph->rtcp_sent++;
	send(arg, true, pkt, (size_t)len);
}

void rtp_phone_tick(struct rtp_phone *ph, uint64_t now_us, bool sending, rtp_phone_send_fn send,
		    void *arg)
{
	if (!ph->started)
		return;
	if (sending) {
		unsigned k = 0;
		while (now_us >= ph->next_rtp_us && k++ < CATCH_UP) {
			send_rtp(ph, ph->next_rtp_us, send, arg);
			ph->next_rtp_us += RTP_PHONE_PTIME_US;
		}
		/* far behind (a stalled core): the tone goes on from now, its
		 * timestamps still follow the clock */
		if (now_us >= ph->next_rtp_us)
			ph->next_rtp_us = now_us + RTP_PHONE_PTIME_US;
	}
	if (now_us >= ph->next_rtcp_us) {
		send_rtcp(ph, now_us, false, send, arg);
		ph->next_rtcp_us = now_us + RTP_PHONE_RTCP_US;
	}
}

void rtp_phone_bye(struct rtp_phone *ph, uint64_t now_us, rtp_phone_send_fn send, void *arg)
{
	if (ph->started)
		send_rtcp(ph, now_us, true, send, arg);
}

/* libsrtp2 refused a packet: a replay, or anything else (authentication) */
static void refused(struct rtp_phone *ph, srtp_err_status_t e)
{
	if (e == srtp_err_status_replay_fail || e == srtp_err_status_replay_old)
		ph->replay++;
	else
		ph->auth_fail++;
}

static void rtcp_input(struct rtp_phone *ph, uint8_t *buf, size_t len, uint64_t now_us)
{
	int n = (int)len;
	struct rtpq_rtcp r;

	if (ph->srtp) {
		srtp_err_status_t e = srtp_unprotect_rtcp(ph->rx, buf, &n);
		if (e != srtp_err_status_ok) {
			refused(ph, e);
			return;
		}
	}
	if (rtpq_rtcp_parse(buf, (size_t)n, ph->ssrc, &r) != 0) {
		ph->bad++;
		return;
	}
	ph->rtcp_received++;
	if (r.ssrc == ph->ssrc)
		return; /* our own report, echoed */
	if (r.has_sr) {
		ph->peer_lsr = rtpq_ntp_mid(r.sr.ntp);
		ph->peer_sr_us = now_us;
	}
	if (r.has_block) {
		double rtt = rtpq_rtt_ms(rtpq_ntp_mid(ntp_at(ph, now_us)), r.block.lsr,
					 r.block.dlsr);
		ph->peer_block = true;
		ph->block = r.block;
		if (rtt >= 0) {
			ph->rtcp_rtt_ms = rtt;
			if (ph->rtcp_rtt_n == 0 || rtt < ph->rtcp_rtt_min)
				ph->rtcp_rtt_min = rtt;
			if (ph->rtcp_rtt_n == 0 || rtt > ph->rtcp_rtt_max)
				ph->rtcp_rtt_max = rtt;
			ph->rtcp_rtt_n++;
		}
	}
}

void rtp_phone_input(struct rtp_phone *ph, uint8_t *buf, size_t len, bool rtcp, uint64_t now_us)
{
	int n = (int)len;
	uint32_t ssrc;
	uint16_t seq;

	if (!ph->started || len > RTP_PHONE_PKT_MAX)
		return;
	if (len < 8 || (buf[0] >> 6) != 2) {
		ph->bad++;
		return;
	}
	/* RTCP on its port, or muxed on ours (RFC 5761: its packet types) */
	if (rtcp || (buf[1] >= 192 && buf[1] <= 223)) {
		rtcp_input(ph, buf, len, now_us);
		return;
	}
	if (len < RTP_HDR) {
		ph->bad++;
		return;
	}
	if (ph->srtp) {
		srtp_err_status_t e = srtp_unprotect(ph->rx, buf, &n);
		if (e != srtp_err_status_ok) {
			refused(ph, e);
			return;
		}
	}
	ssrc = rtpq_rd32(buf + 8);
	seq = (uint16_t)(buf[2] << 8 | buf[3]);
	if (!ph->have_peer) {
		rtpq_rx_init(&ph->peer, ssrc, seq);
		ph->have_peer = true;
	} else if (ssrc != ph->peer.ssrc) {
		ph->other_ssrc++;
		return;
	}
	ph->received++;
	ph->received_octets += (uint64_t)n - RTP_HDR;
	(void)rtpq_rx_packet(&ph->peer, seq, rtpq_rd32(buf + 4), ts_at(ph, now_us));
	if (ssrc == ph->ssrc) {
		/* our own packet came back: its round trip is exact */
		unsigned slot = seq % RTP_PHONE_SENT_RING;
		if (ph->sent_seq[slot] == seq && ph->sent_us[slot] != 0 &&
		    now_us >= ph->sent_us[slot]) {
			double rtt = (double)(now_us - ph->sent_us[slot]) / 1000.0;
			if (ph->echo_rtt_n == 0 || rtt < ph->echo_rtt_min)
				ph->echo_rtt_min = rtt;
			if (ph->echo_rtt_n == 0 || rtt > ph->echo_rtt_max)
				ph->echo_rtt_max = rtt;
			ph->echo_rtt_sum += rtt;
			ph->echo_rtt_n++;
		}
	}
}

void rtp_phone_report(const struct rtp_phone *ph, struct rtp_phone_report *r)
{
	memset(r, 0, sizeof(*r));
	r->sent = ph->sent;
	r->sent_octets = ph->sent_octets;
	r->rtcp_sent = ph->rtcp_sent;
	r->received = ph->received;
	r->received_octets = ph->received_octets;
	r->rtcp_received = ph->rtcp_received;
	r->other_ssrc = ph->other_ssrc;
	r->auth_fail = ph->auth_fail;
	r->replay = ph->replay;
	r->bad = ph->bad;
	r->rtcp_rtt_ms = r->rtcp_rtt_min_ms = r->rtcp_rtt_max_ms = -1.0;
	r->echo_rtt_ms = r->echo_rtt_min_ms = r->echo_rtt_max_ms = -1.0;
	if (ph->have_peer) {
		r->echo = ph->peer.ssrc == ph->ssrc;
		r->peer_ssrc = ph->peer.ssrc;
		/* the source's first packet is counted once its successor
		 * confirms it (A.1): expected and lost from there on */
		r->expected = rtpq_rx_expected(&ph->peer);
		r->lost = rtpq_rx_lost(&ph->peer);
		r->loss_pct = r->expected > 0 && r->lost > 0 ? 100.0 * (double)r->lost /
							       (double)r->expected : 0.0;
		r->jitter_ms = ph->peer.jitter / 8.0; /* 8 timestamp units a ms */
	}
	if (ph->rtcp_rtt_n > 0) {
		r->rtcp_rtt_ms = ph->rtcp_rtt_ms;
		r->rtcp_rtt_min_ms = ph->rtcp_rtt_min;
		r->rtcp_rtt_max_ms = ph->rtcp_rtt_max;
		r->rtcp_rtt_samples = ph->rtcp_rtt_n;
	}
	if (ph->echo_rtt_n > 0) {
		r->echo_rtt_ms = ph->echo_rtt_sum / (double)ph->echo_rtt_n;
		r->echo_rtt_min_ms = ph->echo_rtt_min;
		r->echo_rtt_max_ms = ph->echo_rtt_max;
		r->echo_rtt_samples = ph->echo_rtt_n;
	}
	if (ph->peer_block) {
		r->peer_report = true;
		r->peer_lost = ph->block.lost;
		r->peer_loss_pct = 100.0 * ph->block.fraction / 256.0;
		r->peer_jitter_ms = ph->block.jitter / 8.0;
	}
}

void rtp_phone_stop(struct rtp_phone *ph)
{
	if (ph->tx != NULL)
		srtp_dealloc(ph->tx);
	if (ph->rx != NULL)
		srtp_dealloc(ph->rx);
	OPENSSL_cleanse(ph, sizeof(*ph));
}
