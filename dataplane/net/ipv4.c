/* IPv4: header checks, local delivery, routing and output. */
#include "net.h"

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "cksum.h"

#define IPV4_TTL 64

static enum net_drop ipv4_check_reason(struct rte_mbuf *m)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ipv4_hdr))
		return NET_DROP_TRUNCATED;
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	unsigned ihl = (unsigned)(ip->version_ihl & 0x0f) * 4;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip))
		return NET_DROP_BAD_IP_HEADER;
	if (ihl > rte_pktmbuf_data_len(m))
		return NET_DROP_TRUNCATED;
	unsigned tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl)
		return NET_DROP_BAD_IP_HEADER;
	if (tot > rte_pktmbuf_pkt_len(m))
		return NET_DROP_TRUNCATED;
	if (cksum_fold(cksum_add(ip, ihl, 0)) != 0xffff)
		return NET_DROP_BAD_CHECKSUM;
	if (tot < rte_pktmbuf_pkt_len(m) &&
	    rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - tot)) != 0)
		return NET_DROP_BAD_IP_HEADER; /* padding spread over segments */
	m->l3_len = (uint16_t)ihl;
	return NET_DROP_MAX;
}

int ipv4_check(struct rte_mbuf *m, enum net_drop *why)
{
	*why = ipv4_check_reason(m);
	return *why == NET_DROP_MAX ? 0 : -1;
}

uint16_t ipv4_cksum(const struct rte_ipv4_hdr *ip)
{
	/* Field by field, each read as wide as it is written: a header just
	 * rewritten field by field, summed with wide loads, stalls on store
	 * forwarding (perf showed it as the hottest spot of the echo path). */
	uint64_t sum = (uint16_t)(ip->version_ihl | (uint16_t)ip->type_of_service << 8);
	unsigned ihl = rte_ipv4_hdr_len(ip);

	sum += ip->total_length;
	sum += ip->packet_id;
	sum += ip->fragment_offset;
	sum += (uint16_t)(ip->time_to_live | (uint16_t)ip->next_proto_id << 8);
	sum += ip->src_addr;
	sum += ip->dst_addr;
	if (ihl > sizeof(*ip))
		sum = cksum_add(ip + 1, ihl - sizeof(*ip), sum);
	return (uint16_t)~cksum_fold(sum);
}

static bool ipv4_martian(const struct net_ctx *ctx, uint32_t src)
{
	uint32_t h = rte_be_to_cpu_32(src);

	if (h == 0 || h == UINT32_MAX || (h >> 24) == 127 || (h >> 28) == 0xe ||
	    (h >> 28) == 0xf)
		return true;
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		const struct net_iface *ifc = &ctx->ifaces[i];
		if (!ifc->up)
			continue;
		if (src == ifc->addr || src == (ifc->addr | ~ifc->mask))
			return true;
	}
	return false;
}

static void ipv4_deliver(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);

	switch (ip->next_proto_id) {
	case IPPROTO_UDP:
		udp_input(ctx, m, iface);
		break;
	case IPPROTO_ICMP:
		icmp_input(ctx, m, iface);
		break;
	case IPPROTO_TCP:
		ctx->tcp_input(ctx, m, iface, ctx->tcp_arg);
		break;
	default:
		net_drop(ctx, m, NET_DROP_IP_PROTO);
		break;
	}
}

void ipv4_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface)
{
	rte_pktmbuf_adj(m, (uint16_t)m->l2_len);
	m->l2_len = 0;

	enum net_drop why;
	if (ipv4_check(m, &why) != 0) {
		net_drop(ctx, m, why);
		return;
	}
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	if (ip->dst_addr != ctx->ifaces[iface].addr) {
		net_drop(ctx, m, NET_DROP_OTHER_IP);
		return;
	}
	/* our own source only on frames we looped back ourselves */
	if (!(m->ol_flags & net_loop_flag) && ipv4_martian(ctx, ip->src_addr)) {
		net_drop(ctx, m, NET_DROP_MARTIAN);
		return;
	}
	if (ip->time_to_live == 0) {
		net_drop(ctx, m, NET_DROP_TTL_EXPIRED);
		return;
	}
	if (rte_ipv4_frag_pkt_is_fragmented(ip)) {
		m = frag_reassemble(ctx, m);
		if (m == NULL)
			return; /* held, or dropped and counted */
		if (ctx->steer != NULL && ctx->steer(ctx, m, ctx->steer_arg))
			return;
	}
	ipv4_deliver(ctx, m, iface);
}

int ipv4_route(const struct net_ctx *ctx, uint32_t dst, uint32_t *next_hop)
{
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		const struct net_iface *ifc = &ctx->ifaces[i];
		if (ifc->up && (dst & ifc->mask) == (ifc->addr & ifc->mask)) {
			*next_hop = dst;
			return (int)i;
		}
	}
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		const struct net_iface *ifc = &ctx->ifaces[i];
		if (ifc->up && ifc->gateway != 0) {
			*next_hop = ifc->gateway;
			return (int)i;
		}
	}
	return -1;
}

void ipv4_output(struct net_ctx *ctx, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t next_hop;
	int iface = ipv4_route(ctx, ip->dst_addr, &next_hop);

	if (iface < 0) {
		net_drop(ctx, m, NET_DROP_NO_ROUTE);
		return;
	}
	ipv4_output_routed(ctx, m, (unsigned)iface, next_hop);
}

void ipv4_output_routed(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface,
			uint32_t next_hop)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

	ip->time_to_live = IPV4_TTL;
	ip->packet_id = rte_cpu_to_be_16(ctx->ip_id++);
	ip->hdr_checksum = ipv4_cksum(ip);
	m->l3_len = (uint16_t)rte_ipv4_hdr_len(ip);

	if (rte_pktmbuf_pkt_len(m) > ctx->ifaces[iface].mtu) {
		if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) {
			net_drop(ctx, m, NET_DROP_TOO_BIG);
			return;
		}
		frag_output(ctx, m, iface, next_hop);
		return;
	}
	eth_output_ip(ctx, m, iface, next_hop);
}
