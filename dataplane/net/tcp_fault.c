/*
 * tcp_fault.c: fault injection for tests, off unless configured. Drops or
 * holds back (reorders) a configured fraction of received and sent
 * segments. A held segment goes out right after the next one in the same
 * direction, or after TCP_FAULT_HOLD_MS when no other segment comes.
 */
#include <rte_mbuf.h>

#include "tcp_internal.h"

#define TCP_FAULT_HOLD_MS 5

void tcp_fault_init(struct tcp_stack *st)
{
	st->fault.prng = st->cfg.fault.seed ? st->cfg.fault.seed : 0x9e3779b97f4a7c15ULL;
}

bool tcp_fault_active(const struct tcp_stack *st)
{
	const struct tcp_fault_config *f = &st->cfg.fault;

	return f->rx_drop_ppm || f->rx_reorder_ppm || f->tx_drop_ppm || f->tx_reorder_ppm;
}

/* xorshift64*: fast, seeded, reproducible */
static uint32_t next_ppm(struct tcp_stack *st)
{
	uint64_t x = st->fault.prng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->fault.prng = x;
	return (uint32_t)(((x * 0x2545F4914F6CDD1DULL) >> 32) % 1000000u);
}

bool tcp_fault_rx(struct tcp_stack *st, struct rte_mbuf *m, uint32_t src, uint32_t dst)
{
	struct tcp_fault *f = &st->fault;
	struct rte_mbuf *held;

	if (!tcp_fault_active(st))
		return false;
	if (next_ppm(st) < st->cfg.fault.rx_drop_ppm) {
		st->stats.fault_rx_dropped++;
		rte_pktmbuf_free(m);
		return true;
	}
	if (f->rx_held == NULL && next_ppm(st) < st->cfg.fault.rx_reorder_ppm) {
		st->stats.fault_rx_reordered++;
		f->rx_held = m;
		f->rx_src = src;
		f->rx_dst = dst;
		f->rx_held_ms = st->now_ms;
		return true;
	}
	tcp_input_nofault(st, m, src, dst);
	held = f->rx_held;
	if (held != NULL) {
		f->rx_held = NULL;
		tcp_input_nofault(st, held, f->rx_src, f->rx_dst);
	}
	return true;
}

bool tcp_fault_tx(struct tcp_stack *st, struct rte_mbuf *m, uint32_t src, uint32_t dst)
{
	struct tcp_fault *f = &st->fault;
	struct rte_mbuf *held;

	if (!tcp_fault_active(st))
		return false;
	if (next_ppm(st) < st->cfg.fault.tx_drop_ppm) {
		st->stats.fault_tx_dropped++;
		rte_pktmbuf_free(m);
		return true;
	}
	if (f->tx_held == NULL && next_ppm(st) < st->cfg.fault.tx_reorder_ppm) {
		st->stats.fault_tx_reordered++;
		f->tx_held = m;
		f->tx_src = src;
		f->tx_dst = dst;
		f->tx_held_ms = st->now_ms;
		return true;
	}
	tcp_xmit_nofault(st, m, src, dst);
	held = f->tx_held;
	if (held != NULL) {
		f->tx_held = NULL;
		tcp_xmit_nofault(st, held, f->tx_src, f->tx_dst);
	}
	return true;
}

void tcp_fault_poll(struct tcp_stack *st)
{
	struct tcp_fault *f = &st->fault;
	struct rte_mbuf *m;

	if (f->rx_held != NULL && st->now_ms - f->rx_held_ms >= TCP_FAULT_HOLD_MS) {
		m = f->rx_held;
		f->rx_held = NULL;
		tcp_input_nofault(st, m, f->rx_src, f->rx_dst);
	}
	if (f->tx_held != NULL && st->now_ms - f->tx_held_ms >= TCP_FAULT_HOLD_MS) {
		m = f->tx_held;
		f->tx_held = NULL;
		tcp_xmit_nofault(st, m, f->tx_src, f->tx_dst);
	}
}

void tcp_fault_fini(struct tcp_stack *st)
{
	rte_pktmbuf_free(st->fault.rx_held);
	rte_pktmbuf_free(st->fault.tx_held);
	st->fault.rx_held = NULL;
	st->fault.tx_held = NULL;
}
