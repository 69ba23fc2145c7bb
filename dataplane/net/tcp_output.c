/*
 * tcp_output.c: building segments. Each segment is one mbuf from the
 * worker's pool with headroom left for IPv4 and Ethernet; payload is copied
 * from the send ring, which keeps it until acknowledged. The worker's output
 * callback receives finished TCP segments.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tcp_internal.h"

#define TCP_OUTPUT_MAX_SEGS 1024	/* bound on one tcp_output() burst */

struct tcp_psh {
	uint32_t src, dst;
	uint8_t zero, proto;
	uint16_t len;
} __attribute__((packed));

/* Ones' complement sum of the pseudo-header, not folded. */
static uint32_t psh_sum(uint32_t saddr, uint32_t daddr, uint32_t len)
{
	struct tcp_psh p = {
		.src = rte_cpu_to_be_32(saddr),
		.dst = rte_cpu_to_be_32(daddr),
		.zero = 0,
		.proto = IPPROTO_TCP,
		.len = rte_cpu_to_be_16((uint16_t)len),
	};

	return __rte_raw_cksum(&p, sizeof(p), 0);
}

static void fill_cksum(struct tcp_stack *st, struct rte_mbuf *m, struct rte_tcp_hdr *th,
		       uint32_t saddr, uint32_t daddr, uint32_t hlen)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t sum = psh_sum(saddr, daddr, len);
	uint16_t cks;

	th->cksum = 0;
	if (st->cfg.tx_cksum_offload) {
		/* the NIC completes it; it wants the folded pseudo-header sum */
		th->cksum = __rte_raw_cksum_reduce(sum);
		m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
		m->l4_len = hlen;
		return;
	}
	sum = __rte_raw_cksum(th, len, sum);
	cks = (uint16_t)~__rte_raw_cksum_reduce(sum);
	th->cksum = cks;
}

/* A segment with room for hlen + plen bytes, or NULL (counted). */
static struct rte_mbuf *seg_alloc(struct tcp_stack *st, uint32_t total, uint8_t **p)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(st->cfg.pool);

	if (m == NULL) {
		st->stats.drop_no_mbuf++;
		return NULL;
	}
	*p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)total);
	if (*p == NULL) {
		rte_pktmbuf_free(m);
		st->stats.drop_no_mbuf++;
		return NULL;
	}
	return m;
}

static uint32_t put_opts(uint8_t *o, const struct tcp_seg_opts *opts)
{
	uint32_t n = 0;

	if (opts == NULL)
		return 0;
	if (opts->mss != 0) {
		o[n++] = 2;
		o[n++] = 4;
		o[n++] = (uint8_t)(opts->mss >> 8);
		o[n++] = (uint8_t)opts->mss;
	}
	if (opts->wscale >= 0) {
		o[n++] = 1;	/* NOP keeps the header 32-bit aligned */
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = (uint8_t)opts->wscale;
	}
	return n;
}

static void fill_hdr(struct rte_tcp_hdr *th, uint16_t sport, uint16_t dport, uint32_t seq,
		     uint32_t ack, uint8_t flags, uint16_t wnd, uint32_t hlen)
{
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32((flags & TCP_ACK) ? ack : 0);
	th->data_off = (uint8_t)((hlen / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	th->cksum = 0;
	th->tcp_urp = 0;
}

void tcp_xmit_nofault(struct tcp_stack *st, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr)
{
	if (st->cfg.output(st->cfg.output_ctx, m, saddr, daddr) < 0)
		st->stats.drop_output++;
}

void tcp_xmit(struct tcp_stack *st, struct rte_mbuf *m, uint32_t saddr, uint32_t daddr)
{
	if (!tcp_fault_tx(st, m, saddr, daddr))
		tcp_xmit_nofault(st, m, saddr, daddr);
}

int tcp_send_raw(struct tcp_stack *st, uint32_t saddr, uint32_t daddr, uint16_t sport,
		 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
		 const struct tcp_seg_opts *opts)
{
	uint8_t optbuf[40], *p;
	uint32_t olen = put_opts(optbuf, opts), hlen = TCP_HDR_LEN + olen;
	struct rte_mbuf *m = seg_alloc(st, hlen, &p);

	if (m == NULL)
		return -ENOMEM;
	fill_hdr((struct rte_tcp_hdr *)p, sport, dport, seq, ack, flags, wnd, hlen);
	memcpy(p + TCP_HDR_LEN, optbuf, olen);
	fill_cksum(st, m, (struct rte_tcp_hdr *)p, saddr, daddr, hlen);
	st->stats.segs_out++;
	if (flags & TCP_RST)
		st->stats.rst_sent++;
	tcp_xmit(st, m, saddr, daddr);
	return 0;
}

uint32_t tcp_rcv_window(const struct tcp_conn *c)
{
	return c->rcvq.size - c->rcvq.len;
}

uint16_t tcp_rcv_window_field(struct tcp_conn *c)
{
	uint32_t w = tcp_rcv_window(c) >> c->rcv_wscale;
	uint32_t edge;

	if (w > 65535)
		w = 65535;
	edge = c->rcv_nxt + (w << c->rcv_wscale);
	/* never move the advertised right edge back (RFC 9293 3.8.6.2.2) */
	if (tcp_seq_lt(edge, c->rcv_adv)) {
		uint32_t keep = (c->rcv_adv - c->rcv_nxt + (1u << c->rcv_wscale) - 1) >> c->rcv_wscale;

		w = keep > 65535 ? 65535 : keep;
		edge = c->rcv_nxt + (w << c->rcv_wscale);
	}
	c->rcv_adv = tcp_seq_max(c->rcv_adv, edge);
	return (uint16_t)w;
}

/* One segment of the connection: len bytes from the send ring at seq
 * (which must be buffered), with flags. */
static int send_seg(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags,
		    const struct tcp_seg_opts *opts)
{
	struct tcp_stack *st = c->st;
	uint8_t optbuf[40], *p;
	uint32_t olen = put_opts(optbuf, opts), hlen = TCP_HDR_LEN + olen;
	struct rte_mbuf *m = seg_alloc(st, hlen + len, &p);
	uint16_t wnd;

	if (m == NULL)
		return -ENOMEM;
	if (flags & TCP_SYN)
		/* never scaled in a SYN (RFC 7323 2.2) */
		wnd = (uint16_t)(tcp_rcv_window(c) > 65535 ? 65535 : tcp_rcv_window(c));
	else
		wnd = tcp_rcv_window_field(c);
	if (flags & TCP_SYN)
		c->rcv_adv = c->rcv_nxt + wnd;
	fill_hdr((struct rte_tcp_hdr *)p, c->lport, c->rport, seq, c->rcv_nxt, flags, wnd, hlen);
	memcpy(p + TCP_HDR_LEN, optbuf, olen);
	if (len > 0)
		tcp_ring_read_at(&c->sndq, seq - c->snd_una, p + hlen, len);
	fill_cksum(st, m, (struct rte_tcp_hdr *)p, c->laddr, c->raddr, hlen);

	st->stats.segs_out++;
	c->stats.segs_out++;
	if (len > 0) {
		st->stats.bytes_out += len;
		c->stats.bytes_out += len;
		if (tcp_seq_lt(seq, c->snd_max)) {
			st->stats.retransmits++;
			c->stats.retransmits++;
		}
	}
	if (flags & TCP_RST)
		st->stats.rst_sent++;
	if (flags & TCP_ACK) {
		/* this segment carries the ACK: nothing left to delay */
		c->flags &= ~TCP_F_ACK_NOW;
		c->unacked_segs = 0;
		if (c->tdl[TCP_T_DELACK] != 0)
			tcp_timer_clear(c, TCP_T_DELACK);
	}
	tcp_xmit(st, m, c->laddr, c->raddr);
	return 0;
}

int tcp_send_ctl(struct tcp_conn *c, uint8_t flags, uint32_t seq)
{
	return send_seg(c, seq, 0, flags, NULL);
}

int tcp_send_probe(struct tcp_conn *c)
{
	/* an old sequence number and no data: the peer must answer with its
	 * window, and nothing is sent past the window it last offered. A byte
	 * of new data (the classic probe) would move snd_max beyond the
	 * peer's closed window, and every ACK we sent afterwards would be out
	 * of its window and dropped: if its send side was waiting for those
	 * ACKs, both ends sat on full buffers until one timed out */
	return send_seg(c, c->snd_una - 1, 0, TCP_ACK, NULL);
}

void tcp_send_ack(struct tcp_conn *c)
{
	/* snd_max, not snd_nxt: while going back after a timeout snd_nxt is
	 * behind what the peer already has, and it would find the ACK out of
	 * its window */
	(void)send_seg(c, c->snd_max, 0, TCP_ACK, NULL);
}

int tcp_send_syn(struct tcp_conn *c)
{
	struct tcp_seg_opts o = { .mss = c->st->cfg.mss, .wscale = -1 };

	if (c->state == TCP_S_SYN_SENT) {
		o.wscale = c->st->rcv_wscale;
		return send_seg(c, c->iss, 0, TCP_SYN, &o);
	}
	if (c->flags & TCP_F_WSCALE)
		o.wscale = c->rcv_wscale;
	return send_seg(c, c->iss, 0, TCP_SYN | TCP_ACK, &o);
}

static bool fin_wanted(const struct tcp_conn *c, uint32_t end)
{
	/* FIN goes right after the last data byte, again on retransmission */
	return (c->flags & TCP_F_CLOSE_REQ) && end == c->snd_una + c->sndq.len &&
	       (!(c->flags & TCP_F_FIN_SENT) || tcp_seq_le(end, c->fin_seq));
}

static void sent_range(struct tcp_conn *c, uint32_t seq, uint32_t len, bool fin)
{
	uint32_t end = seq + len + (fin ? 1 : 0);

	if (fin) {
		c->fin_seq = seq + len;
		c->flags |= TCP_F_FIN_SENT;
	}
	/* time one new segment at a time (RFC 6298 section 3) */
	if (!(c->flags & TCP_F_RTT) && tcp_seq_ge(seq, c->snd_max) && len + fin > 0) {
		c->flags |= TCP_F_RTT;
		c->rtt_seq = end;
		c->rtt_start_us = c->st->now_us;
	}
	c->snd_nxt = tcp_seq_max(c->snd_nxt, end);
	c->snd_max = tcp_seq_max(c->snd_max, end);
	tcp_timer_arm_retx(c);
}

void tcp_retransmit_first(struct tcp_conn *c)
{
	/* never past what the peer's window allowed: what went out before
	 * (its window cannot have shrunk below that) or what it offers now */
	uint32_t in_flight = c->snd_max - c->snd_una;
	uint32_t allowed = c->snd_wnd > in_flight ? c->snd_wnd : in_flight;
	uint32_t avail = c->sndq.len < allowed ? c->sndq.len : allowed;
	uint32_t len = avail < c->smss ? avail : c->smss;
	bool fin = fin_wanted(c, c->snd_una + len);
	uint8_t flags = TCP_ACK | (fin ? TCP_FIN : 0) | (len == avail ? TCP_PSH : 0);

	if (len == 0 && !fin)
		return;
	if (send_seg(c, c->snd_una, len, flags, NULL) == 0)
		sent_range(c, c->snd_una, len, fin);
}

static bool can_send_data(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_S_ESTABLISHED:
	case TCP_S_CLOSE_WAIT:
	case TCP_S_FIN_WAIT_1:
	case TCP_S_CLOSING:
	case TCP_S_LAST_ACK:
		return true;
	default:
		return false;
	}
}

void tcp_output(struct tcp_conn *c)
{
	unsigned n;

	if (c->flags & TCP_F_DEAD)
		return;
	if (!can_send_data(c))
		goto ack;
	for (n = 0; n < TCP_OUTPUT_MAX_SEGS; n++) {
		uint32_t end = c->snd_una + c->sndq.len;
		uint32_t unsent = tcp_seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
		uint32_t wnd = c->snd_wnd < c->cwnd ? c->snd_wnd : c->cwnd;
		uint32_t edge = c->snd_una + wnd;
		uint32_t usable = tcp_seq_lt(c->snd_nxt, edge) ? edge - c->snd_nxt : 0;
		uint32_t len = unsent < usable ? unsent : usable;
		bool fin;

		if (len > c->smss)
			len = c->smss;
		/* sender SWS avoidance: no runt while data is in flight */
		if (len < unsent && len < c->smss && c->snd_nxt != c->snd_una)
			break;
		fin = fin_wanted(c, c->snd_nxt + len) && tcp_seq_le(c->snd_nxt, end) &&
		      len == unsent;
		if (len == 0 && !fin)
			break;
		if (send_seg(c, c->snd_nxt, len,
			     TCP_ACK | (fin ? TCP_FIN : 0) | (len == unsent ? TCP_PSH : 0),
			     NULL) != 0)
			break;
		sent_range(c, c->snd_nxt, len, fin);
	}
	/* peer's window closed with data waiting and nothing in flight */
	if (c->snd_wnd == 0 && c->snd_una == c->snd_max &&
	    tcp_seq_lt(c->snd_nxt, c->snd_una + c->sndq.len) &&
	    !tcp_timer_armed(c, TCP_T_PERSIST)) {
		tcp_timer_clear(c, TCP_T_RETX);
		tcp_timer_set(c, TCP_T_PERSIST, tcp_rto_get(&c->rto));
	}
ack:
	if (c->flags & TCP_F_ACK_NOW)
		tcp_send_ack(c);
}

uint32_t tcp_new_isn(struct tcp_stack *st, uint32_t laddr, uint16_t lport,
		     uint32_t raddr, uint16_t rport)
{
	uint32_t t[3] = { laddr, raddr, ((uint32_t)lport << 16) | rport };

	/* RFC 6528: a 4 us clock plus a keyed hash of the connection id */
	return (uint32_t)siphash24(st->isn_key, t, sizeof(t)) + (uint32_t)(st->now_us / 4);
}
