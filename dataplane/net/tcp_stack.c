/*
 * tcp_stack.c: one TCP instance per worker: configuration, creation, the
 * worker's clock, and the entry/leave bracket that makes callbacks safe
 * (connections released inside a callback are freed only when the outermost
 * entry point returns).
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "tcp_internal.h"

#define TCP_WHEEL_SLOTS 4096

void tcp_config_defaults(struct tcp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_id = SOCKET_ID_ANY;
	cfg->max_conns = 1024;
	cfg->max_half_open = 256;
	cfg->max_per_source = 0;
	cfg->max_listeners = 16;
	cfg->snd_buf = 64 * 1024;
	cfg->rcv_buf = 64 * 1024;
	cfg->mss = 1460;
	cfg->ephemeral_lo = 32768;
	cfg->ephemeral_hi = 60999;
	cfg->rto_init_ms = 1000;	/* RFC 6298 (2.1) */
	cfg->rto_min_ms = 200;		/* RFC 6298 says 1 s; 200 ms as deployed */
	cfg->rto_max_ms = 60000;
	cfg->delack_ms = 40;
	cfg->time_wait_ms = 60000;
	cfg->fin_wait2_ms = 60000;
	cfg->syn_retries = 5;
	cfg->max_retries = 12;
	cfg->keepalive_idle_ms = 0;
	cfg->keepalive_intvl_ms = 75000;
	cfg->keepalive_probes = 9;
	cfg->challenge_ack_per_s = 1000;
	cfg->max_ooo_ranges = 8;
}

static uint32_t pow2_ceil(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

static void set_clock(struct tcp_stack *st, uint64_t now)
{
	uint64_t hz = st->cfg.hz;

	/* split to avoid overflowing now * 1000000 */
	st->now_ms = (now / hz) * 1000 + (now % hz) * 1000 / hz;
	st->now_us = (now / hz) * 1000000 + (now % hz) * 1000000 / hz;
}

static int check_config(const struct tcp_config *cfg)
{
	if (cfg->hz == 0 || cfg->pool == NULL || cfg->output == NULL)
		return -EINVAL;
	if (cfg->max_conns == 0 || cfg->max_conns > (1u << 24))
		return -EINVAL;
	if (cfg->max_listeners == 0 || cfg->mss < 64)
		return -EINVAL;
	if (cfg->snd_buf < 1024 || cfg->rcv_buf < 1024 ||
	    cfg->snd_buf > (1u << 30) || cfg->rcv_buf > (1u << 30))
		return -EINVAL;
	if (cfg->ephemeral_lo == 0 || cfg->ephemeral_hi < cfg->ephemeral_lo)
		return -EINVAL;
	if (cfg->rto_min_ms == 0 || cfg->rto_max_ms < cfg->rto_min_ms)
		return -EINVAL;
	return 0;
}

struct tcp_stack *tcp_stack_new(const struct tcp_config *cfg, uint64_t now)
{
	struct tcp_stack *st = NULL;
	uint64_t k[4];
	uint32_t room;

	if (check_config(cfg) != 0)
		goto fail;
	st = rte_zmalloc_socket("tcp_stack", sizeof(*st), 0, cfg->socket_id);
	if (st == NULL)
		goto fail;
	st->cfg = *cfg;
	st->cfg.snd_buf = pow2_ceil(cfg->snd_buf);
	st->cfg.rcv_buf = pow2_ceil(cfg->rcv_buf);
	/* a peer backing off its retransmissions is silent for up to
	 * rto_max: FIN_WAIT_2's silence limit must not be shorter */
	if (st->cfg.fin_wait2_ms != 0 && st->cfg.fin_wait2_ms < st->cfg.rto_max_ms)
		st->cfg.fin_wait2_ms = st->cfg.rto_max_ms;
	if (st->cfg.max_half_open == 0 || st->cfg.max_half_open > st->cfg.max_conns)
		st->cfg.max_half_open = st->cfg.max_conns;
	/* a segment is one mbuf: cap the MSS by its data room (60 bytes of
	 * TCP header at most) */
	room = rte_pktmbuf_data_room_size(cfg->pool);
	room = room > RTE_PKTMBUF_HEADROOM + 60 ? room - RTE_PKTMBUF_HEADROOM - 60 : 0;
	if (room < 64)
		goto fail;
	if (st->cfg.mss > room)
		st->cfg.mss = (uint16_t)room;
	/* smallest shift that lets the 16-bit field describe the whole buffer */
	while (st->rcv_wscale < TCP_MAX_WSCALE && (st->cfg.rcv_buf >> st->rcv_wscale) > 65535)
		st->rcv_wscale++;
	set_clock(st, now);

	if (cfg->secret_seed != 0) {
		/* reproducible secrets for tests */
		uint64_t x = cfg->secret_seed;
		for (int i = 0; i < 4; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			k[i] = x ^ (x >> 29);
		}
	} else {
		for (int i = 0; i < 4; i++)
			k[i] = rte_rand();
	}
	memcpy(st->cookie_key, &k[0], 16);
	memcpy(st->isn_key, &k[2], 16);
	st->next_port = (uint16_t)(cfg->ephemeral_lo +
		(k[0] >> 7) % ((uint32_t)cfg->ephemeral_hi - cfg->ephemeral_lo + 1));

	if (tcp_wheel_init(&st->wheel, TCP_WHEEL_SLOTS, st->now_ms, cfg->socket_id) != 0)
		goto fail;
	if (tcp_conn_table_init(st) != 0)
		goto fail;
	tcp_fault_init(st);
	return st;
fail:
	tcp_stack_free(st);
	return NULL;
}

void tcp_stack_free(struct tcp_stack *st)
{
	if (st == NULL)
		return;
	tcp_fault_fini(st);
	tcp_conn_table_fini(st);
	tcp_wheel_fini(&st->wheel);
	rte_free(st);
}

void tcp_stack_enter(struct tcp_stack *st, uint64_t now)
{
	if (st->depth++ == 0)
		set_clock(st, now);
}

void tcp_stack_leave(struct tcp_stack *st)
{
	if (--st->depth == 0)
		tcp_conn_reap(st);
}

void tcp_input(struct tcp_stack *st, struct rte_mbuf *m, uint32_t src_ip,
	       uint32_t dst_ip, uint64_t now)
{
	tcp_stack_enter(st, now);
	if (!tcp_fault_rx(st, m, src_ip, dst_ip))
		tcp_input_nofault(st, m, src_ip, dst_ip);
	tcp_stack_leave(st);
}

void tcp_stack_poll(struct tcp_stack *st, uint64_t now)
{
	tcp_stack_enter(st, now);
	tcp_fault_poll(st);
	tcp_timers_run(st);
	tcp_stack_leave(st);
}

const struct tcp_stats *tcp_stack_stats(const struct tcp_stack *st)
{
	return &st->stats;
}
