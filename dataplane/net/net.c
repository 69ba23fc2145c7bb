/* The stack's per-worker context: set-up, TX buffers, timers, drop names. */
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf_dyn.h>

const char *const net_drop_names[NET_DROP_MAX] = {
#define NET_DROP_NAME(e, s) [NET_DROP_##e] = s,
	NET_DROP_REASONS(NET_DROP_NAME)
#undef NET_DROP_NAME
};

#define FRAG_BUCKETS 256
#define FRAG_ENTRIES 8       /* per bucket */
#define FRAG_MAX_FLOWS 128
#define FRAG_TTL_MS 2000
#define TIMER_MS 10

uint64_t net_loop_flag;

int net_loopback_init(void)
{
	static const struct rte_mbuf_dynflag desc = { .name = "umedge_loopback" };
	int bit = rte_mbuf_dynflag_register(&desc);

	if (bit < 0)
		return -rte_errno;
	net_loop_flag = 1ULL << bit;
	return 0;
}

void net_tcp_unplugged(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg)
{
	net_drop(ctx, m, NET_DROP_NO_TCP);
}

void net_udp_unplugged(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg)
{
	net_drop(ctx, m, NET_DROP_NO_LISTENER);
}

int net_ctx_init(struct net_ctx *ctx, const struct net_iface *ifaces,
		 const struct net_udp_conf *udp, uint16_t tx_queue,
		 struct rte_mempool *pool, struct rte_mempool *pool_indirect)
{
	memset(ctx, 0, sizeof(*ctx));
	memcpy(ctx->ifaces, ifaces, sizeof(ctx->ifaces));
	for (unsigned p = 0; p < NET_MAX_PORTS; p++)
		ctx->port_iface[p] = -1;
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		if (!ifaces[i].up)
			continue;
		if (ifaces[i].port_id >= NET_MAX_PORTS)
			return -EINVAL;
		ctx->port_iface[ifaces[i].port_id] = (int8_t)i;
	}
	ctx->udp = *udp;
	ctx->tx_queue = tx_queue;
	ctx->pool = pool;
	ctx->pool_indirect = pool_indirect;
	ctx->hz = rte_get_tsc_hz();
	ctx->now = rte_rdtsc();
	ctx->tcp_input = net_tcp_unplugged;
	ctx->udp_input = net_udp_unplugged;
	ctx->ip_id = (uint16_t)(ctx->now ^ (tx_queue << 8));
	ctx->icmp_tokens = NET_ICMP_RATE;
	ctx->icmp_refill = ctx->now;

	uint64_t ttl = (ctx->hz + 999) / 1000 * FRAG_TTL_MS;
	ctx->frag_tbl = rte_ip_frag_table_create(FRAG_BUCKETS, FRAG_ENTRIES,
						 FRAG_MAX_FLOWS, ttl,
						 (int)rte_socket_id());
	if (ctx->frag_tbl == NULL)
		return -ENOMEM;
	return 0;
}

void net_ctx_fini(struct net_ctx *ctx)
{
	net_flush(ctx);
	for (unsigned p = 0; p < NET_MAX_PORTS; p++) {
		for (unsigned i = 0; i < ctx->txn[p]; i++)
			rte_pktmbuf_free(ctx->txb[p][i]);
		ctx->txn[p] = 0;
	}
	arp_flush_pending(ctx);
	if (ctx->frag_tbl != NULL) {
		rte_ip_frag_free_death_row(&ctx->death_row, 0);
		rte_ip_frag_table_destroy(ctx->frag_tbl); /* frees held fragments */
		ctx->frag_tbl = NULL;
	}
}

void eth_tx(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface)
{
	uint16_t port = ctx->ifaces[iface].port_id;

	if (ctx->txn[port] == NET_BURST)
		net_flush(ctx);
	ctx->txb[port][ctx->txn[port]++] = m;
}

void net_flush(struct net_ctx *ctx)
{
	for (uint16_t p = 0; p < NET_MAX_PORTS; p++) {
		uint16_t n = ctx->txn[p];
		if (n == 0)
			continue;
		uint64_t t0 = rte_rdtsc();
		uint16_t sent = rte_eth_tx_burst(p, ctx->tx_queue, ctx->txb[p], n);

		ctx->port_cycles += rte_rdtsc() - t0;
		ctx->cnt.tx_packets += sent;
		ctx->cnt.port_tx[p] += sent;
		for (uint16_t i = sent; i < n; i++)
			net_drop(ctx, ctx->txb[p][i], NET_DROP_TX_FULL);
		ctx->txn[p] = 0;
	}
}

void net_timer(struct net_ctx *ctx)
{
	if (ctx->now < ctx->next_timer)
		return;
	ctx->next_timer = ctx->now + ctx->hz / 1000 * TIMER_MS;

	/* ICMP error tokens: NET_ICMP_RATE per second */
	uint64_t elapsed = ctx->now - ctx->icmp_refill;
	uint64_t add = elapsed * NET_ICMP_RATE / ctx->hz;
	if (add > 0) {
		ctx->icmp_tokens = (uint32_t)RTE_MIN((uint64_t)NET_ICMP_RATE,
						     ctx->icmp_tokens + add);
		ctx->icmp_refill = ctx->now;
	}

	arp_timer(ctx);

	/* fragments of datagrams that never completed */
	uint32_t before = ctx->death_row.cnt;
	rte_ip_frag_table_del_expired_entries(ctx->frag_tbl, &ctx->death_row, ctx->now);
	ctx->cnt.drops[NET_DROP_FRAG_TIMEOUT] += ctx->death_row.cnt - before;
	rte_ip_frag_free_death_row(&ctx->death_row, 0);
}

int net_mbuf_write(struct rte_mempool *pool, struct rte_mbuf *head, const void *buf, size_t len)
{
	struct rte_mbuf *seg = rte_pktmbuf_lastseg(head);
	const uint8_t *p = buf;

	while (len > 0) {
		size_t take = RTE_MIN(len, (size_t)rte_pktmbuf_tailroom(seg));

		if (take == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(pool);

			if (n == NULL || rte_pktmbuf_chain(head, n) != 0) {
				rte_pktmbuf_free(n);
				return -ENOBUFS;
			}
			seg = n;
			continue;
		}
		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len), p, take);
		seg->data_len = (uint16_t)(seg->data_len + take);
		head->pkt_len += (uint32_t)take;
		p += take;
		len -= take;
	}
	return 0;
}
