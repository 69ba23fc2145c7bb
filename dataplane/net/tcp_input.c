/*
 * tcp_input.c: segment validation (length, offset, checksum, flags,
 * options), demultiplexing to a connection or a listener, passive open
 * (half-open entries or SYN cookies), RST replies, and SYN_SENT.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tcp_internal.h"

int tcp_parse_options(const uint8_t *opt, uint32_t len, struct tcp_seg *seg)
{
	uint32_t i = 0;

	seg->mss = 0;
	seg->wscale = -1;
	while (i < len) {
		uint8_t kind = opt[i], olen;

		if (kind == 0)		/* end of list */
			break;
		if (kind == 1) {	/* NOP */
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -EINVAL;
		olen = opt[i + 1];
		if (olen < 2 || i + olen > len)
			return -EINVAL;
		if (kind == 2) {
			if (olen != 4)
				return -EINVAL;
			seg->mss = (uint16_t)((opt[i + 2] << 8) | opt[i + 3]);
		} else if (kind == 3) {
			if (olen != 3)
				return -EINVAL;
			/* RFC 7323 2.3: larger than 14 is treated as 14 */
			seg->wscale = opt[i + 2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : opt[i + 2];
		}
		/* other options (timestamps, SACK-permitted) are not used */
		i += olen;
	}
	return 0;
}

/* RST answering a segment that has no connection (RFC 9293 3.10.7.1). */
static void reply_rst(struct tcp_stack *st, const struct tcp_seg *seg)
{
	uint32_t seglen = seg->len + ((seg->flags & TCP_SYN) ? 1 : 0) +
			  ((seg->flags & TCP_FIN) ? 1 : 0);

	if (seg->flags & TCP_RST)
		return;
	if (seg->flags & TCP_ACK)
		(void)tcp_send_raw(st, seg->daddr, seg->saddr, seg->dport, seg->sport,
				   seg->ack, 0, TCP_RST, 0, NULL);
	else
		(void)tcp_send_raw(st, seg->daddr, seg->saddr, seg->dport, seg->sport,
				   0, seg->seq + seglen, TCP_RST | TCP_ACK, 0, NULL);
}

/* Negotiated MSS and window scale from the peer's SYN options. */
static void apply_syn_opts(struct tcp_conn *c, uint16_t mss, int wscale, bool we_offer)
{
	uint16_t peer = mss ? mss : TCP_DEFAULT_MSS;

	c->smss = peer < c->st->cfg.mss ? peer : c->st->cfg.mss;
	if (wscale >= 0 && we_offer) {
		c->flags |= TCP_F_WSCALE;
		c->snd_wscale = (uint8_t)wscale;
		c->rcv_wscale = c->st->rcv_wscale;
	} else {
		c->flags &= ~TCP_F_WSCALE;
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
}

static uint16_t syn_window(const struct tcp_stack *st)
{
	return (uint16_t)(st->cfg.rcv_buf > 65535 ? 65535 : st->cfg.rcv_buf);
}

static void cookie_in(struct tcp_cookie_in *in, const struct tcp_seg *seg, uint32_t peer_isn)
{
	memset(in, 0, sizeof(*in));
	in->saddr = seg->saddr;
	in->daddr = seg->daddr;
	in->sport = seg->sport;
	in->dport = seg->dport;
	in->peer_isn = peer_isn;
}

static void send_cookie(struct tcp_stack *st, const struct tcp_seg *seg)
{
	struct tcp_cookie_in in;
	struct tcp_seg_opts o = { .mss = st->cfg.mss, .wscale = -1 };
	uint32_t cookie;

	cookie_in(&in, seg, seg->seq);
	cookie = tcp_cookie_make(st->cookie_key, &in, st->now_ms / TCP_COOKIE_PERIOD_MS,
				 seg->mss ? seg->mss : TCP_DEFAULT_MSS, seg->wscale);
	if (seg->wscale >= 0)
		o.wscale = st->rcv_wscale;
	st->stats.syn_cookies_sent++;
	st->cookie_last_ms = st->now_ms;
	st->cookie_used = true;
	(void)tcp_send_raw(st, seg->daddr, seg->saddr, seg->dport, seg->sport, cookie,
			   seg->seq + 1, TCP_SYN | TCP_ACK, syn_window(st), &o);
}

static void init_conn_common(struct tcp_conn *c, struct tcp_listener *l, const struct tcp_seg *seg)
{
	c->listener = l;
	c->cb = l->cb;
	c->user = l->ctx;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->snd_wnd = seg->wnd;		/* not scaled in a SYN */
	c->max_snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
}

/* ACK to a listener: the third step of a handshake answered with a cookie. */
static void listen_cookie_ack(struct tcp_stack *st, struct tcp_listener *l, struct tcp_seg *seg)
{
	struct tcp_cookie_in in;
	struct tcp_conn *c;
	uint16_t mss;
	int ws, rc;

	if (!st->cookie_used ||
	    st->now_ms - st->cookie_last_ms > (uint64_t)TCP_COOKIE_PERIOD_MS * (TCP_COOKIE_MAX_AGE + 1)) {
		st->stats.drop_no_listener++;
		reply_rst(st, seg);
		return;
	}
	cookie_in(&in, seg, seg->seq - 1);
	rc = tcp_cookie_check(st->cookie_key, &in, st->now_ms / TCP_COOKIE_PERIOD_MS,
			      seg->ack - 1, &mss, &ws);
	if (rc != 0) {
		st->stats.drop_syn_cookie_fail++;
		reply_rst(st, seg);
		return;
	}
	c = tcp_conn_alloc(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
	if (c == NULL) {
		reply_rst(st, seg);	/* full since the cookie went out */
		return;
	}
	st->stats.syn_cookies_ok++;
	st->stats.conns_passive_open++;
	seg->seq--;			/* as if it were the SYN */
	init_conn_common(c, l, seg);
	seg->seq++;
	c->iss = seg->ack - 1;
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	apply_syn_opts(c, mss, ws, true);
	c->rcv_adv = c->rcv_nxt + syn_window(st);
	tcp_conn_set_state(c, TCP_S_SYN_RECEIVED);
	tcp_recv_synchronized(c, seg);
}

static void listen_input(struct tcp_stack *st, struct tcp_listener *l, struct tcp_seg *seg)
{
	struct tcp_conn *c;

	if (seg->flags & TCP_RST) {
		st->stats.drop_rst_ignored++;
		return;
	}
	if (seg->flags & TCP_ACK) {
		if (seg->flags & TCP_SYN) {
			st->stats.drop_no_listener++;
			reply_rst(st, seg);
			return;
		}
		listen_cookie_ack(st, l, seg);
		return;
	}
	if (!(seg->flags & TCP_SYN)) {
		st->stats.drop_bad_flags++;
		return;
	}
	/* limits first: a cookie for a connection that cannot exist would
	 * leave the peer believing it is connected */
	if (st->free_list == NULL && st->tw_head == NULL) {
		st->stats.drop_conn_limit++;
		return;
	}
	if (st->cfg.max_per_source != 0 &&
	    tcp_conn_src_count(st, seg->saddr) >= st->cfg.max_per_source) {
		st->stats.drop_source_limit++;
		return;
	}
	if (st->half_open >= st->cfg.max_half_open) {
		/* keep no state: the ACK will carry it back */
		send_cookie(st, seg);
		return;
	}
	c = tcp_conn_alloc(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
	if (c == NULL)
		return;		/* counted; the peer retries its SYN */
	st->stats.conns_passive_open++;
	init_conn_common(c, l, seg);
	apply_syn_opts(c, seg->mss, seg->wscale, true);
	c->iss = tcp_new_isn(st, c->laddr, c->lport, c->raddr, c->rport);
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	tcp_conn_set_state(c, TCP_S_SYN_RECEIVED);
	c->flags |= TCP_F_HALF_OPEN;
	st->half_open++;
	/* payload on a SYN is not kept: the peer sends it again */
	(void)tcp_send_syn(c);
	tcp_timer_arm_retx(c);
}

void tcp_recv_syn_sent(struct tcp_conn *c, struct tcp_seg *seg)
{
	struct tcp_stack *st = c->st;
	bool ack_ok = false;

	if (seg->flags & TCP_ACK) {
		if (!tcp_seq_gt(seg->ack, c->iss) || tcp_seq_gt(seg->ack, c->snd_max)) {
			st->stats.drop_bad_ack++;
			if (!(seg->flags & TCP_RST))
				(void)tcp_send_raw(st, c->laddr, c->raddr, c->lport, c->rport,
						   seg->ack, 0, TCP_RST, 0, NULL);
			return;
		}
		ack_ok = true;
	}
	if (seg->flags & TCP_RST) {
		if (ack_ok)
			tcp_conn_finish(c, -ECONNREFUSED);
		else
			st->stats.drop_rst_ignored++;
		return;
	}
	if (!(seg->flags & TCP_SYN)) {
		st->stats.drop_bad_flags++;
		return;
	}
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	/* our SYN offered an unscaled window before we knew the peer's
	 * sequence space: its right edge starts at rcv_nxt (an edge left from
	 * SYN_SENT would be a random point that could sit above the buffer
	 * and, never moving back, make us advertise more than we can hold) */
	c->rcv_adv = c->rcv_nxt + (tcp_rcv_window(c) > 65535 ? 65535 : tcp_rcv_window(c));
	apply_syn_opts(c, seg->mss, seg->wscale, true);
	c->snd_wnd = seg->wnd;
	c->max_snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	if (!ack_ok) {
		/* simultaneous open: answer with SYN-ACK from our ISS */
		tcp_conn_set_state(c, TCP_S_SYN_RECEIVED);
		(void)tcp_send_syn(c);
		return;
	}
	if ((c->flags & TCP_F_RTT) && c->retries == 0)
		tcp_rto_sample(&c->rto, (uint32_t)(st->now_us - c->rtt_start_us));
	c->flags &= ~TCP_F_RTT;
	c->snd_una = seg->ack;
	c->retries = 0;
	tcp_timer_clear(c, TCP_T_RETX);
	tcp_cc_init(c);
	tcp_conn_set_state(c, TCP_S_ESTABLISHED);
	if (st->cfg.keepalive_idle_ms != 0)
		tcp_timer_set(c, TCP_T_KEEPALIVE, st->cfg.keepalive_idle_ms);
	c->flags |= TCP_F_ACK_NOW;
	tcp_send_ack(c);
	if (c->cb != NULL && c->cb->on_connected != NULL)
		c->cb->on_connected(c, c->user);
	if (c->flags & TCP_F_DEAD)
		return;
	/* data or FIN on the SYN-ACK goes through the normal path */
	if (seg->len > 0 || (seg->flags & TCP_FIN)) {
		seg->flags &= (uint8_t)~TCP_SYN;
		seg->seq++;
		tcp_recv_synchronized(c, seg);
	}
}

void tcp_input_segment(struct tcp_stack *st, struct tcp_seg *seg)
{
	struct tcp_conn *c;
	struct tcp_listener *l;

	c = tcp_conn_lookup(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
	if (c != NULL && c->state == TCP_S_TIME_WAIT &&
	    (seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	    tcp_seq_gt(seg->seq, c->rcv_nxt)) {
		/* a new incarnation above the old sequence space may take over
		 * the 4-tuple before 2MSL ends (RFC 9293 3.6.1, RFC 6191) */
		tcp_conn_release(c);
		c = NULL;
	}
	if (c != NULL) {
		c->stats.segs_in++;
		if (c->state == TCP_S_SYN_SENT)
			tcp_recv_syn_sent(c, seg);
		else
			tcp_recv_synchronized(c, seg);
		return;
	}
	l = tcp_listener_find(st, seg->dport);
	if (l == NULL) {
		st->stats.drop_no_listener++;
		reply_rst(st, seg);
		return;
	}
	listen_input(st, l, seg);
}

static bool cksum_ok(const struct rte_mbuf *m, uint32_t src, uint32_t dst, uint32_t len)
{
	uint64_t rx = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	struct {
		uint32_t s, d;
		uint8_t z, p;
		uint16_t l;
	} __attribute__((packed)) psh = {
		rte_cpu_to_be_32(src), rte_cpu_to_be_32(dst), 0, IPPROTO_TCP,
		rte_cpu_to_be_16((uint16_t)len),
	};
	uint16_t part;
	uint32_t sum;

	if (rx == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (rx == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	if (rte_raw_cksum_mbuf(m, 0, len, &part) != 0)
		return false;
	sum = __rte_raw_cksum(&psh, sizeof(psh), part);
	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

void tcp_input_nofault(struct tcp_stack *st, struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip)
{
	uint8_t hbuf[60];
	const struct rte_tcp_hdr *th;
	struct tcp_seg seg;
	uint32_t len = rte_pktmbuf_pkt_len(m), off;

	st->stats.segs_in++;
	if (len < TCP_HDR_LEN || len > 65535) {
		st->stats.drop_truncated++;
		goto out;
	}
	th = rte_pktmbuf_read(m, 0, TCP_HDR_LEN, hbuf);
	off = (uint32_t)(th->data_off >> 4) * 4;
	if (off < TCP_HDR_LEN || off > len) {
		st->stats.drop_bad_offset++;
		goto out;
	}
	if (!cksum_ok(m, src_ip, dst_ip, len)) {
		st->stats.drop_bad_checksum++;
		goto out;
	}
	memset(&seg, 0, sizeof(seg));
	seg.sport = rte_be_to_cpu_16(th->src_port);
	seg.dport = rte_be_to_cpu_16(th->dst_port);
	seg.seq = rte_be_to_cpu_32(th->sent_seq);
	seg.ack = rte_be_to_cpu_32(th->recv_ack);
	seg.flags = th->tcp_flags & 0x3f;
	seg.wnd = rte_be_to_cpu_16(th->rx_win);
	if (seg.sport == 0 || seg.dport == 0 ||
	    ((seg.flags & TCP_SYN) && (seg.flags & (TCP_FIN | TCP_RST)))) {
		st->stats.drop_bad_flags++;
		goto out;
	}
	if (off > TCP_HDR_LEN) {
		const uint8_t *opt = rte_pktmbuf_read(m, TCP_HDR_LEN, off - TCP_HDR_LEN, hbuf);

		if (opt == NULL || tcp_parse_options(opt, off - TCP_HDR_LEN, &seg) != 0) {
			st->stats.drop_bad_options++;
			goto out;
		}
	} else {
		seg.wscale = -1;
	}
	seg.len = len - off;
	seg.hlen = off;
	seg.m = m;
	seg.saddr = src_ip;
	seg.daddr = dst_ip;
	st->stats.bytes_in += seg.len;
	tcp_input_segment(st, &seg);
out:
	rte_pktmbuf_free(m);
}
