/* RFC 862 echo over UDP: the datagram goes back to where it came from. */
#include "net.h"

#include <rte_ip.h>
#include <rte_udp.h>

void echo_udp(struct net_ctx *ctx, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, m->l3_len);

	/* Swapping addresses and ports leaves the UDP checksum valid: the
	 * one's complement sum does not depend on the order of its words. */
	uint32_t a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	uint16_t p = uh->src_port;
	uh->src_port = uh->dst_port;
	uh->dst_port = p;
	ip->fragment_offset = 0;
	ctx->cnt.udp_echo++;
	ipv4_output(ctx, m);
}
