/*
 * tcp_stats.c: counters as JSON for the control channel (`umedgectl
 * status`). Workers keep their own struct tcp_stats; control sums them.
 */
#include <jansson.h>

#include "tcp_internal.h"

#define FIELDS(X) \
	X(segs_in) X(segs_out) X(bytes_in) X(bytes_out) \
	X(retransmits) X(rto_events) X(fast_retransmits) X(zero_window_probes) \
	X(keepalive_probes) X(delayed_acks) X(challenge_acks) X(rst_sent) \
	X(conns_active_open) X(conns_passive_open) X(conns_established) \
	X(conns_closed) X(conns_reset) X(conns_timeout) X(conns_aborted) \
	X(syn_cookies_sent) X(syn_cookies_ok) X(time_wait_recycled) \
	X(fault_rx_dropped) X(fault_tx_dropped) X(fault_rx_reordered) X(fault_tx_reordered)

#define DROPS(X) \
	X(bad_checksum) X(truncated) X(bad_offset) X(bad_options) X(bad_flags) \
	X(no_listener) X(out_of_window) X(bad_ack) X(syn_cookie_fail) X(conn_limit) \
	X(source_limit) X(rst_challenged) X(rst_ignored) \
	X(syn_challenged) X(ooo_full) X(no_mbuf) X(output) X(refused)

#define CONN_FIELDS(X) \
	X(segs_in) X(segs_out) X(bytes_in) X(bytes_out) X(retransmits) X(rto_events) \
	X(fast_retransmits) X(dupacks) X(ooo_segs) X(zero_window_probes) X(challenge_acks)

void tcp_stats_add(struct tcp_stats *dst, const struct tcp_stats *src)
{
#define ADD(f) dst->f += src->f;
#define ADD_DROP(f) dst->drop_##f += src->drop_##f;
	FIELDS(ADD)
	DROPS(ADD_DROP)
#undef ADD
#undef ADD_DROP
}

/* json_object_set_new with the result checked once at the end */
static int put(json_t *o, const char *k, uint64_t v)
{
	return json_object_set_new(o, k, json_integer((json_int_t)v));
}

json_t *tcp_stats_json(const struct tcp_stats *s)
{
	json_t *o = json_object(), *d = json_object();
	int rc = 0;

	if (o == NULL || d == NULL)
		goto fail;
#define PUT(f) rc |= put(o, #f, s->f);
#define PUT_DROP(f) rc |= put(d, #f, s->drop_##f);
	FIELDS(PUT)
	DROPS(PUT_DROP)
#undef PUT
#undef PUT_DROP
	if (rc != 0 || json_object_set_new(o, "drops", d) != 0) {
		d = NULL;	/* set_new consumed it */
		goto fail;
	}
	return o;
fail:
	json_decref(o);
	json_decref(d);
	return NULL;
}

json_t *tcp_conn_json(const struct tcp_conn *c)
{
	const struct tcp_conn_stats *s = &c->stats;
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	rc |= json_object_set_new(o, "state", json_string(tcp_state_name(c->state)));
	rc |= put(o, "local_ip", c->laddr);
	rc |= put(o, "local_port", c->lport);
	rc |= put(o, "remote_ip", c->raddr);
	rc |= put(o, "remote_port", c->rport);
	rc |= put(o, "cwnd", c->cwnd);
	rc |= put(o, "ssthresh", c->ssthresh);
	rc |= put(o, "snd_wnd", c->snd_wnd);
	rc |= put(o, "srtt_us", c->rto.srtt_us);
	rc |= put(o, "rto_ms", tcp_rto_get(&c->rto));
	rc |= put(o, "snd_queued", c->sndq.len);
	rc |= put(o, "in_flight", c->snd_max - c->snd_una);
	rc |= put(o, "rcv_queued", c->rcvq.len);
	rc |= put(o, "rcv_wnd", tcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0);
	rc |= put(o, "retries", c->retries);
#define PUT(f) rc |= put(o, #f, s->f);
	CONN_FIELDS(PUT)
#undef PUT
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *tcp_stack_json(const struct tcp_stack *st)
{
	json_t *o = json_object(), *states = json_object(), *stats = tcp_stats_json(&st->stats);
	int rc = 0;

	if (o == NULL || states == NULL || stats == NULL)
		goto fail;
	for (int i = 0; i < TCP_S_NSTATES; i++)
		if (i != TCP_S_LISTEN)
			rc |= put(states, tcp_state_name(i), st->per_state[i]);
	rc |= put(o, "conns", st->nconns);
	rc |= put(o, "max_conns", st->cfg.max_conns);
	rc |= put(o, "half_open", st->half_open);
	rc |= put(o, "max_half_open", st->cfg.max_half_open);
	rc |= json_object_set_new(o, "states", states);
	states = NULL;
	rc |= json_object_set_new(o, "stats", stats);
	stats = NULL;
	if (rc != 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	json_decref(states);
	json_decref(stats);
	return NULL;
}

static uint32_t rd32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void tcp_stack_gauges(const struct tcp_stack *st, struct tcp_gauges *g)
{
	g->conns = rd32(&st->nconns);
	g->max_conns = st->cfg.max_conns;
	g->half_open = rd32(&st->half_open);
	g->established = rd32(&st->per_state[TCP_S_ESTABLISHED]);
	g->time_wait = rd32(&st->per_state[TCP_S_TIME_WAIT]);
	g->closing = rd32(&st->per_state[TCP_S_FIN_WAIT_1]) +
		     rd32(&st->per_state[TCP_S_FIN_WAIT_2]) +
		     rd32(&st->per_state[TCP_S_CLOSE_WAIT]) +
		     rd32(&st->per_state[TCP_S_CLOSING]) +
		     rd32(&st->per_state[TCP_S_LAST_ACK]);
	g->listeners = 0;
	for (uint32_t i = 0; i < st->cfg.max_listeners; i++)
		if (__atomic_load_n(&st->listeners[i].used, __ATOMIC_RELAXED))
			g->listeners++;
}
