/* UDP: length and checksum checks, demultiplexing by local port. */
#include "net.h"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "cksum.h"

#include "../snapshot.h"

#define ICMP_PORT_UNREACH 3

static bool udp_port_open(const struct net_ctx *ctx, unsigned iface, uint16_t port)
{
	if (port >= ctx->udp.media_first[iface] && port <= ctx->udp.media_last[iface])
		return true;
	return ctx->snap != NULL && snapshot_port_open(ctx->snap->udp_open, port);
}

static bool udp_cksum_bad(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
			  const struct rte_udp_hdr *uh, uint16_t ulen)
{
	if (m->nb_segs != 1) /* reassembled: the generic walk over segments */
		return rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, m->l3_len) != 0;
	uint64_t sum = (uint64_t)ip->src_addr + ip->dst_addr +
		       rte_cpu_to_be_16(IPPROTO_UDP) + uh->dgram_len;
	return cksum_fold(cksum_add(uh, ulen, sum)) != 0xffff;
}

void udp_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t len = rte_pktmbuf_pkt_len(m) - m->l3_len;

	if (len < sizeof(struct rte_udp_hdr) ||
	    rte_pktmbuf_data_len(m) < m->l3_len + sizeof(struct rte_udp_hdr)) {
		net_drop(ctx, m, NET_DROP_TRUNCATED);
		return;
	}
	const struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
							       m->l3_len);
	uint16_t ulen = rte_be_to_cpu_16(uh->dgram_len);
	/* The UDP length must match the IP payload: a shorter one would leave
	 * trailing bytes an echo or a relay would carry along. */
	if (ulen < sizeof(*uh) || ulen != len) {
		net_drop(ctx, m, NET_DROP_BAD_UDP);
		return;
	}
	if (uh->dgram_cksum != 0 &&
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		if (udp_cksum_bad(m, ip, uh, ulen)) {
			net_drop(ctx, m, NET_DROP_BAD_UDP_CHECKSUM);
			return;
		}
	}
	uint16_t dport = rte_be_to_cpu_16(uh->dst_port);
	if (uh->src_port == 0) {
		net_drop(ctx, m, NET_DROP_BAD_UDP);
		return;
	}
	if (dport != 0 && dport == ctx->udp.echo_port) {
		echo_udp(ctx, m);
		return;
	}
	if (udp_port_open(ctx, iface, dport)) {
		ctx->udp_input(ctx, m, iface, ctx->udp_arg);
		return;
	}
	icmp_send_unreach(ctx, m, ICMP_PORT_UNREACH);
	net_drop(ctx, m, NET_DROP_UDP_CLOSED);
}
