/*
 * tcp_timer.c: per-connection timers. A connection keeps one deadline per
 * timer kind and a single wheel node scheduled at the earliest of them, so
 * re-arming the delayed-ACK or retransmission timer is a few stores, and
 * the wheel only holds one node per connection.
 */
#include <errno.h>
#include <stddef.h>

#include "tcp_internal.h"

static void reschedule(struct tcp_conn *c)
{
	uint64_t min = 0;

	for (int k = 0; k < TCP_T_N; k++)
		if (c->tdl[k] != 0 && (min == 0 || c->tdl[k] < min))
			min = c->tdl[k];
	if (min == 0)
		twheel_cancel(&c->tnode);
	else if (!twheel_pending(&c->tnode) || c->tnode.expire != min)
		twheel_schedule(&c->st->wheel, &c->tnode, min);
}

void tcp_timer_set(struct tcp_conn *c, int kind, uint32_t delay_ms)
{
	c->tdl[kind] = c->st->now_ms + (delay_ms ? delay_ms : 1);
	reschedule(c);
}

void tcp_timer_clear(struct tcp_conn *c, int kind)
{
	if (c->tdl[kind] == 0)
		return;
	c->tdl[kind] = 0;
	reschedule(c);
}

void tcp_timer_clear_all(struct tcp_conn *c)
{
	for (int k = 0; k < TCP_T_N; k++)
		c->tdl[k] = 0;
	twheel_cancel(&c->tnode);
}

void tcp_timer_arm_retx(struct tcp_conn *c)
{
	if (!tcp_timer_armed(c, TCP_T_RETX))
		tcp_timer_set(c, TCP_T_RETX, tcp_rto_get(&c->rto));
}

static void on_retx(struct tcp_conn *c)
{
	const struct tcp_config *cfg = &c->st->cfg;

	c->retries++;
	if (c->state == TCP_S_SYN_SENT || c->state == TCP_S_SYN_RECEIVED) {
		if (c->retries > cfg->syn_retries) {
			tcp_conn_finish(c, -ETIMEDOUT);
			return;
		}
		tcp_rto_backoff(&c->rto);
		c->st->stats.retransmits++;
		c->stats.retransmits++;
		(void)tcp_send_syn(c);
		tcp_timer_set(c, TCP_T_RETX, tcp_rto_get(&c->rto));
		return;
	}
	if (c->snd_una == c->snd_max)
		return;		/* everything acked meanwhile */
	if (c->snd_wnd == 0 && c->st->now_ms - c->last_rx_ms < cfg->rto_max_ms)
		c->retries--;	/* the peer answers with a closed window: a
				 * slow reader, not a dead peer; these are probes */
	if (c->retries > cfg->max_retries) {
		(void)tcp_send_ctl(c, TCP_RST | TCP_ACK, c->snd_max);
		tcp_conn_finish(c, -ETIMEDOUT);
		return;
	}
	c->st->stats.rto_events++;
	c->stats.rto_events++;
	tcp_cc_rto(c);
	tcp_rto_backoff(&c->rto);
	/* Karn: no RTT sample from a retransmitted segment */
	c->flags &= ~TCP_F_RTT;
	/* go back: resend from the oldest unacknowledged byte */
	c->snd_nxt = c->snd_una;
	tcp_timer_set(c, TCP_T_RETX, tcp_rto_get(&c->rto));
	tcp_retransmit_first(c);
}

static void on_persist(struct tcp_conn *c)
{
	const struct tcp_config *cfg = &c->st->cfg;

	if (c->snd_wnd != 0 || c->sndq.len == 0) {
		tcp_output(c);		/* the window opened meanwhile */
		return;
	}
	/* a peer that answers probes is a slow reader, kept for as long as
	 * it answers; one silent through max_retries probes is gone */
	if (c->st->now_ms - c->last_rx_ms <= tcp_rto_get(&c->rto))	/* since the last probe */
		c->retries = 0;
	else if (++c->retries > cfg->max_retries) {
		(void)tcp_send_ctl(c, TCP_RST | TCP_ACK, c->snd_max);
		tcp_conn_finish(c, -ETIMEDOUT);
		return;
	}
	c->st->stats.zero_window_probes++;
	c->stats.zero_window_probes++;
	tcp_rto_backoff(&c->rto);
	(void)tcp_send_probe(c);
	tcp_timer_set(c, TCP_T_PERSIST, tcp_rto_get(&c->rto));
}

static void on_keepalive(struct tcp_conn *c)
{
	const struct tcp_config *cfg = &c->st->cfg;
	uint64_t idle = c->st->now_ms - c->last_rx_ms;

	if (cfg->keepalive_idle_ms == 0 || c->state < TCP_S_ESTABLISHED ||
	    c->state == TCP_S_TIME_WAIT)
		return;
	if (c->ka_sent == 0 && idle < cfg->keepalive_idle_ms) {
		tcp_timer_set(c, TCP_T_KEEPALIVE, (uint32_t)(cfg->keepalive_idle_ms - idle));
		return;
	}
	if (c->ka_sent >= cfg->keepalive_probes) {
		(void)tcp_send_ctl(c, TCP_RST | TCP_ACK, c->snd_max);
		tcp_conn_finish(c, -ETIMEDOUT);
		return;
	}
	/* seq one below snd_una: the peer must answer with an ACK */
	c->ka_sent++;
	c->st->stats.keepalive_probes++;
	(void)tcp_send_ctl(c, TCP_ACK, c->snd_una - 1);
	tcp_timer_set(c, TCP_T_KEEPALIVE, cfg->keepalive_intvl_ms);
}

static void on_2msl(struct tcp_conn *c)
{
	if (c->state == TCP_S_TIME_WAIT) {
		tcp_conn_release(c);
	} else if (c->state == TCP_S_FIN_WAIT_2 && !(c->flags & TCP_F_FW2_PROBED)) {
		/* the peer may be waiting for a window update we sent and it
		 * lost: say it again before giving up */
		c->flags |= TCP_F_FW2_PROBED;
		tcp_send_ack(c);
		tcp_timer_set(c, TCP_T_2MSL, c->st->cfg.fin_wait2_ms);
	} else if (c->state == TCP_S_FIN_WAIT_2) {
		(void)tcp_send_ctl(c, TCP_RST | TCP_ACK, c->snd_max);
		tcp_conn_finish(c, -ETIMEDOUT);
	}
}

static void fire(struct twheel_node *n, void *ctx)
{
	struct tcp_conn *c = (struct tcp_conn *)((char *)n - offsetof(struct tcp_conn, tnode));
	uint64_t now = c->st->now_ms;
	bool due[TCP_T_N];
	int k;

	(void)ctx;
	for (k = 0; k < TCP_T_N; k++) {
		due[k] = c->tdl[k] != 0 && c->tdl[k] <= now;
		if (due[k])
			c->tdl[k] = 0;
	}
	reschedule(c);
	for (k = 0; k < TCP_T_N && !(c->flags & TCP_F_DEAD); k++) {
		if (!due[k])
			continue;
		switch (k) {
		case TCP_T_RETX: on_retx(c); break;
		case TCP_T_PERSIST: on_persist(c); break;
		case TCP_T_DELACK:
			c->st->stats.delayed_acks++;
			tcp_send_ack(c);
			break;
		case TCP_T_KEEPALIVE: on_keepalive(c); break;
		case TCP_T_2MSL: on_2msl(c); break;
		}
	}
}

void tcp_timers_run(struct tcp_stack *st)
{
	(void)twheel_advance(&st->wheel, st->now_ms, fire, NULL);
}
