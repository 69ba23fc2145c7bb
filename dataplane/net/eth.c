/* Ethernet: classify received frames, frame outgoing IPv4 packets. */
#include "net.h"

#include <rte_byteorder.h>

static bool eth_for_us(const struct net_ctx *ctx, const struct rte_ether_hdr *eh,
		       unsigned iface)
{
	if (rte_is_broadcast_ether_addr(&eh->dst_addr))
		return true;
	return rte_is_same_ether_addr(&eh->dst_addr, &ctx->ifaces[iface].mac);
}

void eth_input(struct net_ctx *ctx, struct rte_mbuf *m)
{
	int iface = m->port < NET_MAX_PORTS ? ctx->port_iface[m->port] : -1;

	ctx->cnt.rx_packets++;
	if (m->port < NET_MAX_PORTS)
		ctx->cnt.port_rx[m->port]++;
	if (iface < 0) {
		net_drop(ctx, m, NET_DROP_OTHER_MAC);
		return;
	}
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)) {
		net_drop(ctx, m, NET_DROP_TRUNCATED);
		return;
	}
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!eth_for_us(ctx, eh, (unsigned)iface)) {
		net_drop(ctx, m, NET_DROP_OTHER_MAC);
		return;
	}
	m->l2_len = sizeof(struct rte_ether_hdr);
	switch (eh->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		ipv4_input(ctx, m, (unsigned)iface);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		arp_input(ctx, m, (unsigned)iface, true);
		break;
	default:
		net_drop(ctx, m, NET_DROP_ETHERTYPE);
		break;
	}
}

/* To one of our own addresses: no wire, no ARP; the frame goes back in
 * through the worker owning its flow, marked so its source (ours) passes. */
static void eth_loopback(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface)
{
	struct rte_ether_hdr *eh;

	if (net_loop_flag == 0 || ctx->loopback == NULL) {
		net_drop(ctx, m, NET_DROP_NO_ROUTE);
		return;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	if (eh == NULL) {
		net_drop(ctx, m, NET_DROP_NO_MBUF);
		return;
	}
	eh->dst_addr = ctx->ifaces[iface].mac;
	eh->src_addr = ctx->ifaces[iface].mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	m->l2_len = sizeof(*eh);
	m->port = ctx->ifaces[iface].port_id;
	m->ol_flags |= net_loop_flag;
	if (!ctx->loopback(ctx, m, ctx->loopback_arg))
		net_drop(ctx, m, NET_DROP_NO_ROUTE);
}

void eth_output_ip(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface,
		   uint32_t next_hop)
{
	struct arp_entry *e;

	if (next_hop == ctx->ifaces[iface].addr) {
		eth_loopback(ctx, m, iface);
		return;
	}
	e = (struct arp_entry *)(uintptr_t)arp_lookup(ctx, next_hop);

	if (e == NULL || e->state != ARP_REACHABLE) {
		arp_resolve_and_send(ctx, m, iface, next_hop);
		return;
	}
	/* expired: keep sending to the known MAC while asking again, so a
	 * media stream never waits on ARP (arp_timer forgets it unanswered) */
	if (e->expires < ctx->now)
		arp_refresh(ctx, e);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)
		rte_pktmbuf_prepend(m, sizeof(*eh));
	if (eh == NULL) {
		net_drop(ctx, m, NET_DROP_NO_MBUF);
		return;
	}
	eh->dst_addr = e->mac;
	eh->src_addr = ctx->ifaces[iface].mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	m->l2_len = sizeof(*eh);
	eth_tx(ctx, m, iface);
}
