/*
 * tcp_cc.c: congestion control, NewReno: slow start and congestion
 * avoidance with byte counting (RFC 5681), fast retransmit on the third
 * duplicate ACK, fast recovery with partial ACKs (RFC 6582).
 */
#include "tcp_internal.h"

uint32_t tcp_flight(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

void tcp_cc_init(struct tcp_conn *c)
{
	uint32_t mss = c->smss;

	/* RFC 5681 (3.1) initial window */
	if (mss > 2190)
		c->cwnd = 2 * mss;
	else if (mss > 1095)
		c->cwnd = 3 * mss;
	else
		c->cwnd = 4 * mss;
	c->ssthresh = UINT32_MAX / 2;
	c->recover = c->iss;
	c->bytes_acked = 0;
	c->dupacks = 0;
}

static uint32_t half_flight(const struct tcp_conn *c)
{
	uint32_t f = tcp_flight(c) / 2;

	return f > 2u * c->smss ? f : 2u * c->smss;	/* RFC 5681 (4) */
}

void tcp_cc_ack(struct tcp_conn *c, uint32_t acked)
{
	uint32_t mss = c->smss;

	c->dupacks = 0;
	if (c->flags & TCP_F_RECOVERY) {
		if (tcp_seq_lt(c->snd_una, c->recover)) {
			/* RFC 6582 partial ACK: resend the next hole, deflate */
			c->st->stats.fast_retransmits++;
			c->stats.fast_retransmits++;
			tcp_retransmit_first(c);
			c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
			if (acked >= mss)
				c->cwnd += mss;
			if (c->cwnd < mss)
				c->cwnd = mss;
			return;
		}
		/* full ACK: leave recovery with a deflated window */
		c->flags &= ~TCP_F_RECOVERY;
		c->cwnd = c->ssthresh < tcp_flight(c) + mss ? c->ssthresh : tcp_flight(c) + mss;
		return;
	}
	if (c->cwnd < c->ssthresh) {
		/* slow start, at most one MSS per ACK (RFC 5681 (2)) */
		c->cwnd += acked < mss ? acked : mss;
	} else {
		/* congestion avoidance: one MSS per window of acked bytes */
		c->bytes_acked += acked;
		if (c->bytes_acked >= c->cwnd) {
			c->bytes_acked -= c->cwnd;
			c->cwnd += mss;
		}
	}
	/* keep cwnd meaningful: never beyond what the peer ever offered */
	if (c->cwnd > c->max_snd_wnd + 4u * mss && c->max_snd_wnd > 0)
		c->cwnd = c->max_snd_wnd + 4u * mss;
}

void tcp_cc_dupack(struct tcp_conn *c)
{
	uint32_t mss = c->smss;

	c->stats.dupacks++;
	if (c->flags & TCP_F_RECOVERY) {
		c->cwnd += mss;		/* inflate: a segment left the network */
		tcp_output(c);
		return;
	}
	if (++c->dupacks < 3)
		return;
	/* RFC 6582 (3.2 step 2): duplicates of data sent before the last
	 * recovery or RTO (below recover) start no new recovery */
	if (tcp_seq_lt(c->snd_una, c->recover))
		return;
	c->ssthresh = half_flight(c);
	c->recover = c->snd_max;
	c->flags |= TCP_F_RECOVERY;
	c->flags &= ~TCP_F_RTT;
	c->st->stats.fast_retransmits++;
	c->stats.fast_retransmits++;
	tcp_retransmit_first(c);
	c->cwnd = c->ssthresh + 3u * mss;
	tcp_output(c);
}

void tcp_cc_rto(struct tcp_conn *c)
{
	c->ssthresh = half_flight(c);
	c->cwnd = c->smss;	/* loss window, RFC 5681 (5) */
	c->bytes_acked = 0;
	c->dupacks = 0;
	c->flags &= ~TCP_F_RECOVERY;
	c->recover = c->snd_max;	/* RFC 6582 section 4 */
}
