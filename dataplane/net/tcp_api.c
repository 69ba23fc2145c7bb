/*
 * tcp_api.c: what TLS, SIP and the echo service call. Calls may come from
 * inside a callback (the stack is then already entered) or from the
 * worker loop; the enter/leave bracket defers freeing either way.
 */
#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

static const char *const state_names[TCP_S_NSTATES] = {
	[TCP_S_CLOSED] = "CLOSED",
	[TCP_S_LISTEN] = "LISTEN",
	[TCP_S_SYN_SENT] = "SYN_SENT",
	[TCP_S_SYN_RECEIVED] = "SYN_RECEIVED",
	[TCP_S_ESTABLISHED] = "ESTABLISHED",
	[TCP_S_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCP_S_FIN_WAIT_2] = "FIN_WAIT_2",
	[TCP_S_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_S_CLOSING] = "CLOSING",
	[TCP_S_LAST_ACK] = "LAST_ACK",
	[TCP_S_TIME_WAIT] = "TIME_WAIT",
};

const char *tcp_state_name(int state)
{
	if (state < 0 || state >= TCP_S_NSTATES)
		return "?";
	return state_names[state];
}

/* API calls keep the stack's clock: it is the worker's last `now`. */
static void api_enter(struct tcp_stack *st)
{
	st->depth++;
}

int tcp_listen(struct tcp_stack *st, uint16_t port, const struct tcp_callbacks *cb,
	       void *listen_ctx)
{
	struct tcp_listener *free_slot = NULL;

	if (port == 0 || cb == NULL)
		return -EINVAL;
	if (tcp_listener_find(st, port) != NULL)
		return -EEXIST;
	for (uint32_t i = 0; i < st->cfg.max_listeners; i++) {
		if (!st->listeners[i].used) {
			free_slot = &st->listeners[i];
			break;
		}
	}
	if (free_slot == NULL)
		return -ENOSPC;
	free_slot->used = true;
	free_slot->port = port;
	free_slot->cb = cb;
	free_slot->ctx = listen_ctx;
	return 0;
}

int tcp_unlisten(struct tcp_stack *st, uint16_t port)
{
	struct tcp_listener *l = tcp_listener_find(st, port);

	if (l == NULL)
		return -ENOENT;
	/* half-open entries of this listener die with it; established
	 * connections keep their callbacks */
	for (uint32_t i = 0; i < st->cfg.max_conns; i++) {
		struct tcp_conn *c = &st->conns[i];

		if (c->listener == l && !(c->flags & TCP_F_DEAD) && c->state == TCP_S_SYN_RECEIVED) {
			api_enter(st);
			tcp_conn_release(c);
			tcp_stack_leave(st);
		} else if (c->listener == l) {
			c->listener = NULL;
		}
	}
	memset(l, 0, sizeof(*l));
	return 0;
}

/* Ephemeral port whose 4-tuple is free and that the worker's dispatcher
 * maps back to this worker; one pass over the range at most. */
static int pick_port(struct tcp_stack *st, uint32_t laddr, uint32_t raddr, uint16_t rport,
		     uint16_t *out)
{
	const struct tcp_config *cfg = &st->cfg;
	uint32_t range = (uint32_t)cfg->ephemeral_hi - cfg->ephemeral_lo + 1;
	uint16_t p = st->next_port;

	for (uint32_t i = 0; i < range; i++) {
		if (p < cfg->ephemeral_lo || p > cfg->ephemeral_hi)
			p = cfg->ephemeral_lo;
		if ((cfg->port_ok == NULL ||
		     cfg->port_ok(p, laddr, raddr, rport, cfg->port_ok_ctx)) &&
		    tcp_listener_find(st, p) == NULL &&
		    tcp_conn_lookup(st, laddr, p, raddr, rport) == NULL) {
			*out = p;
			st->next_port = (uint16_t)(p + 1);
			return 0;
		}
		p++;
	}
	return -EADDRNOTAVAIL;
}

int tcp_connect(struct tcp_stack *st, uint32_t dst_ip, uint16_t dst_port, uint32_t src_ip,
		const struct tcp_callbacks *cb, void *user, struct tcp_conn **out)
{
	struct tcp_conn *c;
	uint16_t lport;
	int rc;

	if (dst_port == 0 || dst_ip == 0 || cb == NULL || out == NULL)
		return -EINVAL;
	rc = pick_port(st, src_ip, dst_ip, dst_port, &lport);
	if (rc != 0)
		return rc;
	api_enter(st);
	c = tcp_conn_alloc(st, src_ip, lport, dst_ip, dst_port);
	if (c == NULL) {
		rc = -ENOBUFS;
		goto out;
	}
	st->stats.conns_active_open++;
	c->cb = cb;
	c->user = user;
	c->flags |= TCP_F_ACTIVE | TCP_F_USER;
	c->iss = tcp_new_isn(st, src_ip, lport, dst_ip, dst_port);
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->smss = st->cfg.mss;
	tcp_conn_set_state(c, TCP_S_SYN_SENT);
	c->flags |= TCP_F_RTT;
	c->rtt_start_us = st->now_us;
	rc = tcp_send_syn(c);
	if (rc != 0) {
		c->flags &= ~TCP_F_USER;
		tcp_conn_release(c);
		goto out;
	}
	tcp_timer_arm_retx(c);
	*out = c;
out:
	tcp_stack_leave(st);
	return rc;
}

int tcp_send(struct tcp_conn *c, const void *buf, size_t len)
{
	struct tcp_stack *st = c->st;
	uint32_t n;

	if (c->flags & TCP_F_DEAD)
		return -ENOTCONN;
	if (c->state != TCP_S_ESTABLISHED && c->state != TCP_S_CLOSE_WAIT)
		return (c->flags & TCP_F_CLOSE_REQ) ? -EPIPE : -ENOTCONN;
	if (c->flags & TCP_F_CLOSE_REQ)
		return -EPIPE;
	if (len > INT32_MAX)
		len = INT32_MAX;
	n = tcp_ring_append(&c->sndq, buf, (uint32_t)len);
	if (n < len)
		c->flags |= TCP_F_WANT_WRITE;	/* back-pressure: on_writable later */
	if (n > 0) {
		api_enter(st);
		tcp_output(c);
		tcp_stack_leave(st);
	}
	return (int)n;
}

size_t tcp_send_space(const struct tcp_conn *c)
{
	return tcp_ring_free(&c->sndq);
}

void tcp_recv_resume(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	if (c->flags & TCP_F_DEAD)
		return;
	api_enter(st);
	tcp_recv_deliver(c);
	if (!(c->flags & TCP_F_DEAD) && (c->flags & TCP_F_ACK_NOW))
		tcp_output(c);
	tcp_stack_leave(st);
}

int tcp_close(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	if ((c->flags & TCP_F_DEAD) || (c->flags & TCP_F_CLOSE_REQ))
		return -ENOTCONN;
	api_enter(st);
	switch (c->state) {
	case TCP_S_SYN_SENT:
	case TCP_S_SYN_RECEIVED:
		/* nothing sent yet worth a FIN: give up the attempt */
		(void)tcp_send_ctl(c, TCP_RST | TCP_ACK, c->snd_max);
		tcp_conn_finish(c, 0);
		break;
	case TCP_S_ESTABLISHED:
		c->flags |= TCP_F_CLOSE_REQ;
		tcp_conn_set_state(c, TCP_S_FIN_WAIT_1);
		tcp_output(c);
		break;
	case TCP_S_CLOSE_WAIT:
		c->flags |= TCP_F_CLOSE_REQ;
		tcp_conn_set_state(c, TCP_S_LAST_ACK);
		tcp_output(c);
		break;
	default:
		break;
	}
	tcp_stack_leave(st);
	return 0;
}

void tcp_abort(struct tcp_conn *c)
{
	struct tcp_stack *st = c->st;

	if (c->flags & TCP_F_DEAD)
		return;
	api_enter(st);
	if (c->state != TCP_S_SYN_SENT && c->state != TCP_S_TIME_WAIT)
		(void)tcp_send_ctl(c, TCP_RST | TCP_ACK, c->snd_max);
	c->flags &= ~TCP_F_USER;	/* the caller asked: no callback */
	st->stats.conns_aborted++;
	tcp_conn_release(c);
	tcp_stack_leave(st);
}

void tcp_set_user(struct tcp_conn *c, void *user)
{
	c->user = user;
}

void *tcp_get_user(const struct tcp_conn *c)
{
	return c->user;
}

void tcp_conn_get_info(const struct tcp_conn *c, struct tcp_conn_info *info)
{
	info->local_ip = c->laddr;
	info->remote_ip = c->raddr;
	info->local_port = c->lport;
	info->remote_port = c->rport;
	info->state = tcp_state_name(c->state);
}

unsigned tcp_stack_foreach(const struct tcp_stack *st,
			   void (*fn)(const struct tcp_conn *c, void *arg), void *arg)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < st->cfg.max_conns; i++) {
		const struct tcp_conn *c = &st->conns[i];
		if (c->state == TCP_S_CLOSED || (c->flags & TCP_F_DEAD))
			continue;
		fn(c, arg);
		n++;
	}
	return n;
}

const struct tcp_conn_stats *tcp_conn_stats(const struct tcp_conn *c)
{
	return &c->stats;
}
