/*
 * tcp_recv.c: segment arrival in the synchronized states (RFC 9293
 * 3.10.7.4): sequence check, RST and SYN hardened per RFC 5961, ACK
 * processing (RTT, congestion control, send window), payload into the
 * receive ring (in order or out of order), FIN, and in-order delivery.
 */
#include <errno.h>

#include <rte_mbuf.h>

#include "tcp_internal.h"

/* RFC 5961 section 7: challenge ACKs limited per worker and second. */
static void challenge_ack(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;
	uint64_t sec = st->now_ms / 1000;

	if (sec != st->chall_sec) {
		st->chall_sec = sec;
		st->chall_count = 0;
	}
	if (st->chall_count >= st->cfg.challenge_ack_per_s)
		return;
	st->chall_count++;
	st->stats.challenge_acks++;
	c->stats.challenge_acks++;
	tcp_send_ack(c);
}

static uint32_t adv_window(const struct tcp_conn *c)
{
	return tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

/* Copy n payload bytes from offset off of the (possibly chained) mbuf into
 * the receive ring at ring offset roff. */
static void copy_payload(struct tcp_ring *r, uint32_t roff, const struct rte_mbuf *m,
			 uint32_t off, uint32_t n)
{
	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (m != NULL && n > 0) {
		uint32_t k = m->data_len - off;

		if (k > n)
			k = n;
		tcp_ring_write_at(r, roff, rte_pktmbuf_mtod_offset(m, const uint8_t *, off), k);
		roff += k;
		n -= k;
		off = 0;
		m = m->next;
	}
}

static void enter_time_wait(struct tcp_conn *c)
{
	tcp_conn_set_state(c, TCP_S_TIME_WAIT);
	tcp_timer_clear_all(c);
	tcp_timer_set(c, TCP_T_2MSL, c->st->cfg.time_wait_ms);
}

static void established(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	tcp_conn_set_state(c, TCP_S_ESTABLISHED);
	c->retries = 0;
	tcp_timer_clear(c, TCP_T_RETX);
	tcp_cc_init(c);
	if (st->cfg.keepalive_idle_ms != 0)
		tcp_timer_set(c, TCP_T_KEEPALIVE, st->cfg.keepalive_idle_ms);
}

/* Third step of the handshake in SYN_RECEIVED. False if c is gone. */
static bool syn_received_ack(struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct tcp_stack *st = c->st;
	bool passive = !(c->flags & TCP_F_ACTIVE);

	if (!tcp_seq_gt(seg->ack, c->snd_una) || tcp_seq_gt(seg->ack, c->snd_max)) {
		st->stats.drop_bad_ack++;
		(void)tcp_send_raw(st, c->laddr, c->raddr, c->lport, c->rport, seg->ack, 0,
				   TCP_RST, 0, NULL);
		return false;
	}
	if ((c->flags & TCP_F_RTT) && c->retries == 0)
		tcp_rto_sample(&c->rto, (uint32_t)(st->now_us - c->rtt_start_us));
	c->flags &= ~TCP_F_RTT;
	c->snd_una = seg->ack;
	c->snd_wnd = (uint32_t)seg->wnd << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd > c->max_snd_wnd ? c->snd_wnd : c->max_snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	established(c);
	c->flags |= TCP_F_USER;
	if (passive) {
		if (c->cb != NULL && c->cb->on_accept != NULL &&
		    c->cb->on_accept(c, c->listener->ctx) < 0) {
			c->flags &= ~TCP_F_USER;
			st->stats.drop_refused++;
			(void)tcp_send_ctl(c, TCP_RST | TCP_ACK, c->snd_max);
			tcp_conn_finish(c, -ECONNREFUSED);
			return false;
		}
	} else if (c->cb != NULL && c->cb->on_connected != NULL) {
		c->cb->on_connected(c, c->user);
	}
	return !(c->flags & TCP_F_DEAD);
}

/* ACK field processing in ESTABLISHED and later. False: drop the segment. */
static bool process_ack(struct tcp_conn *c, const struct tcp_seg *seg, bool *writable,
			bool *fin_acked)
{
	struct tcp_stack *st = c->st;
	uint32_t ack = seg->ack, wnd = (uint32_t)seg->wnd << c->snd_wscale;

	/* RFC 5961 5.2: acknowledgement of data never sent, or far too old */
	if (tcp_seq_gt(ack, c->snd_max)) {
		st->stats.drop_bad_ack++;
		tcp_send_ack(c);
		return false;
	}
	if (tcp_seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
		st->stats.drop_bad_ack++;
		challenge_ack(c);
		return false;
	}
	if (tcp_seq_gt(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una, data = acked;

		if ((c->flags & TCP_F_FIN_SENT) && tcp_seq_gt(ack, c->fin_seq)) {
			*fin_acked = true;
			data--;
		}
		if (data > c->sndq.len)
			data = c->sndq.len;
		if ((c->flags & TCP_F_RTT) && tcp_seq_ge(ack, c->rtt_seq)) {
			tcp_rto_sample(&c->rto, (uint32_t)(st->now_us - c->rtt_start_us));
			c->flags &= ~TCP_F_RTT;
		}
		tcp_ring_consume(&c->sndq, data);
		c->snd_una = ack;
		if (tcp_seq_lt(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		c->retries = 0;
		if (data > 0 && (c->flags & TCP_F_WANT_WRITE))
			*writable = true;
		tcp_cc_ack(c, acked);
		if (c->snd_una == c->snd_max)
			tcp_timer_clear(c, TCP_T_RETX);
		else if (!tcp_timer_armed(c, TCP_T_PERSIST))
			tcp_timer_set(c, TCP_T_RETX, tcp_rto_get(&c->rto));	/* (5.3) */
	} else if (ack == c->snd_una && seg->len == 0 &&
		   !(seg->flags & (TCP_SYN | TCP_FIN)) && wnd == c->snd_wnd &&
		   c->snd_max != c->snd_una) {
		tcp_cc_dupack(c);
		if (c->flags & TCP_F_DEAD)
			return false;
	}
	/* send window update (RFC 9293 3.10.7.4, SND.WL1/WL2 rule) */
	if (tcp_seq_lt(c->snd_wl1, seg->seq) ||
	    (c->snd_wl1 == seg->seq && tcp_seq_le(c->snd_wl2, ack))) {
		uint32_t old = c->snd_wnd;

		c->snd_wnd = wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_snd_wnd)
			c->max_snd_wnd = wnd;
		if (wnd > 0 && old == 0) {
			/* the window reopened: whatever went past it was
			 * dropped, and the back-off came from probing a live
			 * peer, not from congestion */
			tcp_timer_clear(c, TCP_T_PERSIST);
			c->retries = 0;
			c->rto.backoff = 0;
			if (c->snd_una != c->snd_max) {
				c->snd_nxt = c->snd_una;
				c->flags &= ~TCP_F_RTT;
				tcp_timer_set(c, TCP_T_RETX, tcp_rto_get(&c->rto));
			}
		}
	}
	return true;
}

/* Payload into the ring; updates rcv_nxt and the ACK decision. */
static void process_data(struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct tcp_stack *st = c->st;
	uint32_t seq = seg->seq, len = seg->len, off = seg->hlen, room, rel;

	if (tcp_seq_lt(seq, c->rcv_nxt)) {
		uint32_t skip = c->rcv_nxt - seq;

		if (skip >= len) {
			c->flags |= TCP_F_ACK_NOW;	/* duplicate: re-ACK */
			return;
		}
		seq += skip;
		off += skip;
		len -= skip;
	}
	rel = seq - c->rcv_nxt;
	room = c->rcvq.size - c->rcvq.len;
	if (rel >= room) {
		st->stats.drop_out_of_window++;
		c->flags |= TCP_F_ACK_NOW;
		return;
	}
	if (len > room - rel)
		len = room - rel;	/* beyond the window: trimmed */
	if (rel == 0) {
		bool had_ooo = c->ooo.n > 0;
		uint32_t nxt;

		copy_payload(&c->rcvq, c->rcvq.len, seg->m, off, len);
		nxt = tcp_ooo_advance(&c->ooo, seq + len);
		c->rcvq.len += nxt - c->rcv_nxt;
		c->rcv_nxt = nxt;
		c->stats.bytes_in += len;
		if (had_ooo) {
			c->flags |= TCP_F_ACK_NOW;	/* a hole closed (RFC 5681 4.2) */
		} else if (++c->unacked_segs >= 2) {
			c->flags |= TCP_F_ACK_NOW;	/* every second segment */
		} else if (!tcp_timer_armed(c, TCP_T_DELACK)) {
			tcp_timer_set(c, TCP_T_DELACK, st->cfg.delack_ms);
		}
		return;
	}
	/* out of order: keep it at its place, ACK at once (duplicate ACK) */
	c->flags |= TCP_F_ACK_NOW;
	c->stats.ooo_segs++;
	if (tcp_ooo_add(&c->ooo, seq, seq + len) != 0) {
		st->stats.drop_ooo_full++;
		return;
	}
	copy_payload(&c->rcvq, c->rcvq.len + rel, seg->m, off, len);
	c->stats.bytes_in += len;
}

static void process_fin(struct tcp_conn *c)
{
	c->rcv_nxt++;
	c->flags |= TCP_F_FIN_RCVD | TCP_F_ACK_NOW;
	c->flags &= ~TCP_F_FIN_OOO;
	switch (c->state) {
	case TCP_S_SYN_RECEIVED:
	case TCP_S_ESTABLISHED:
		tcp_conn_set_state(c, TCP_S_CLOSE_WAIT);
		break;
	case TCP_S_FIN_WAIT_1:
		/* our FIN not acknowledged yet: simultaneous close */
		tcp_conn_set_state(c, TCP_S_CLOSING);
		break;
	case TCP_S_FIN_WAIT_2:
		enter_time_wait(c);
		break;
	default:
		break;
	}
}

/* Report the end of a connection in TIME_WAIT once the app has read all. */
static void maybe_closed(struct tcp_conn *c)
{
	if ((c->flags & TCP_F_USER) && c->state == TCP_S_TIME_WAIT && c->rcvq.len == 0)
		tcp_conn_notify(c, 0);
}

void tcp_recv_deliver(struct tcp_conn *c)
{
	uint32_t before = tcp_rcv_window(c), thresh;

	if (!(c->flags & TCP_F_USER) || (c->flags & TCP_F_DEAD))
		return;
	/* two rounds at most: the ring may wrap once */
	for (int i = 0; i < 2 && c->rcvq.len > 0; i++) {
		const uint8_t *p;
		uint32_t n = tcp_ring_peek(&c->rcvq, &p);
		size_t got = n;

		if (c->cb != NULL && c->cb->on_data != NULL)
			got = c->cb->on_data(c, c->user, p, n);
		if (c->flags & TCP_F_DEAD)
			return;
		if (got > n)
			got = n;
		tcp_ring_consume(&c->rcvq, (uint32_t)got);
		if (got < n)
			break;
	}
	if (c->rcvq.len == 0 && (c->flags & TCP_F_FIN_RCVD) &&
	    !(c->flags & TCP_F_FIN_DELIVERED)) {
		c->flags |= TCP_F_FIN_DELIVERED;
		if (c->cb != NULL && c->cb->on_peer_fin != NULL)
			c->cb->on_peer_fin(c, c->user);
		if (c->flags & TCP_F_DEAD)
			return;
	}
	/* a pure window update only when the window the peer knows is at most
	 * half of what we could offer now, and by at least min(buffer / 2,
	 * MSS) (receiver SWS avoidance); otherwise the next ACK carries it */
	thresh = c->rcvq.size / 2 < c->smss ? c->rcvq.size / 2 : c->smss;
	if (tcp_rcv_window(c) > before && tcp_rcv_window(c) >= 2 * adv_window(c) &&
	    tcp_rcv_window(c) >= adv_window(c) + thresh)
		c->flags |= TCP_F_ACK_NOW;
	maybe_closed(c);
}

/* A plain ACK (no SYN, RST) at or at most a receive buffer past rcv_nxt:
 * no wider than an open window would accept, so no easier to forge. */
static bool beyond_closed_window(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	return (seg->flags & (TCP_ACK | TCP_SYN | TCP_RST)) == TCP_ACK &&
	       tcp_seq_ge(seg->seq, c->rcv_nxt) && seg->seq - c->rcv_nxt <= c->rcvq.size;
}

void tcp_recv_synchronized(struct tcp_conn *c, struct tcp_seg *seg)
{
	struct tcp_stack *st = c->st;
	uint32_t seglen = seg->len + ((seg->flags & TCP_SYN) ? 1 : 0) +
			  ((seg->flags & TCP_FIN) ? 1 : 0);
	uint32_t wnd = adv_window(c);
	bool writable = false, fin_acked = false, ok;

	c->last_rx_ms = st->now_ms;
	c->ka_sent = 0;

	if (c->state == TCP_S_SYN_RECEIVED && (seg->flags & TCP_SYN) && seg->seq == c->irs) {
		if (!(seg->flags & TCP_ACK)) {
			(void)tcp_send_syn(c);	/* the peer lost our SYN-ACK */
			return;
		}
		/* simultaneous open: the peer's SYN-ACK; its SYN is old news,
		 * its ACK completes our side */
		seg->flags &= (uint8_t)~TCP_SYN;
		seg->seq++;
		seglen--;
	}

	/* 1. sequence number */
	ok = tcp_seq_acceptable(seg->seq, seglen, c->rcv_nxt, wnd);
	if (!ok && wnd == 0 && seg->seq == c->rcv_nxt && seg->len == 0)
		ok = true;	/* FIN or pure ACK at the edge of a closed window */
	if (!ok && wnd == 0 && beyond_closed_window(c, seg)) {
		/* RFC 9293 3.10.7.4: with the window closed no segment is
		 * acceptable, "but special allowance should be made to accept
		 * valid ACKs": a peer probing with a byte of new data acknowledges
		 * our data with it. Its payload is dropped below, FIN with it. */
		seg->flags &= (uint8_t)~TCP_FIN;
		ok = true;
	}
	if (!ok) {
		if (seg->flags & TCP_RST) {
			st->stats.drop_rst_ignored++;
			return;
		}
		/* an empty segment just below rcv_nxt is a keep-alive or window
		 * probe asking for this ACK, not something dropped */
		if (seg->len != 0 || seg->seq != c->rcv_nxt - 1)
			st->stats.drop_out_of_window++;
		tcp_send_ack(c);
		return;
	}
	/* FIN_WAIT_2 is bounded by silence, not by age: after a half-close
	 * the peer may go on sending for as long as it likes */
	if (c->state == TCP_S_FIN_WAIT_2 && st->cfg.fin_wait2_ms != 0) {
		c->flags &= ~TCP_F_FW2_PROBED;
		tcp_timer_set(c, TCP_T_2MSL, st->cfg.fin_wait2_ms);
	}
	/* 2. RST: only the exact next sequence resets (RFC 5961 3.2) */
	if (seg->flags & TCP_RST) {
		if (seg->seq != c->rcv_nxt) {
			st->stats.drop_rst_challenged++;
			challenge_ack(c);
			return;
		}
		if (c->state == TCP_S_TIME_WAIT)
			tcp_conn_release(c);
		else if (c->state == TCP_S_SYN_RECEIVED)
			tcp_conn_finish(c, -ECONNREFUSED);
		else
			tcp_conn_finish(c, -ECONNRESET);
		return;
	}
	/* 3. SYN in a synchronized state: challenge ACK (RFC 5961 4.2) */
	if (seg->flags & TCP_SYN) {
		st->stats.drop_syn_challenged++;
		challenge_ack(c);
		return;
	}
	/* 4. ACK */
	if (!(seg->flags & TCP_ACK)) {
		st->stats.drop_bad_flags++;
		return;
	}
	if (c->state == TCP_S_SYN_RECEIVED && !syn_received_ack(c, seg))
		return;
	if (!process_ack(c, seg, &writable, &fin_acked))
		goto out;
	if (fin_acked) {
		switch (c->state) {
		case TCP_S_FIN_WAIT_1:
			tcp_conn_set_state(c, TCP_S_FIN_WAIT_2);
			if (st->cfg.fin_wait2_ms != 0)
				tcp_timer_set(c, TCP_T_2MSL, st->cfg.fin_wait2_ms);
			break;
		case TCP_S_CLOSING:
			enter_time_wait(c);
			break;
		case TCP_S_LAST_ACK:
			tcp_conn_finish(c, 0);
			return;
		default:
			break;
		}
	}
	/* 6. payload */
	if (seg->len > 0) {
		if (c->state == TCP_S_ESTABLISHED || c->state == TCP_S_FIN_WAIT_1 ||
		    c->state == TCP_S_FIN_WAIT_2)
			process_data(c, seg);
		else
			c->flags |= TCP_F_ACK_NOW;	/* data after the peer's FIN */
	}
	/* 7. FIN, only once everything before it has arrived */
	if (seg->flags & TCP_FIN) {
		uint32_t fseq = seg->seq + seg->len;

		if (c->state == TCP_S_TIME_WAIT) {
			/* the peer lost our ACK of its FIN: ACK, restart 2MSL */
			c->flags |= TCP_F_ACK_NOW;
			tcp_timer_set(c, TCP_T_2MSL, st->cfg.time_wait_ms);
		} else if (!(c->flags & TCP_F_FIN_RCVD)) {
			if (fseq == c->rcv_nxt) {
				process_fin(c);
			} else if (tcp_seq_gt(fseq, c->rcv_nxt)) {
				c->flags |= TCP_F_FIN_OOO;
				c->rfin_seq = fseq;
			}
		}
	}
	if ((c->flags & TCP_F_FIN_OOO) && c->rfin_seq == c->rcv_nxt &&
	    !(c->flags & TCP_F_FIN_RCVD))
		process_fin(c);
	tcp_recv_deliver(c);
	if (c->flags & TCP_F_DEAD)
		return;
out:
	tcp_output(c);
	if (writable && !(c->flags & TCP_F_DEAD) && (c->flags & TCP_F_WANT_WRITE) &&
	    tcp_ring_free(&c->sndq) > 0) {
		c->flags &= ~TCP_F_WANT_WRITE;
		if ((c->flags & TCP_F_USER) && c->cb != NULL && c->cb->on_writable != NULL)
			c->cb->on_writable(c, c->user);
	}
}
