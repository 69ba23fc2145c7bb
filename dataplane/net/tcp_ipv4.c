/*
 * tcp_ipv4.c: the two seams with the worker's IPv4 layer, so its hook and
 * its output callback stay one line each. Byte order changes here: the net
 * layer keeps addresses in network order, the TCP API in host order.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "tcp_internal.h"

void tcp_input_ipv4(struct tcp_stack *st, struct rte_mbuf *m, uint64_t now)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	uint32_t tot = rte_be_to_cpu_16(ip->total_length);
	uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(ip->dst_addr);

	if (ihl < sizeof(*ip) || tot < ihl || tot > rte_pktmbuf_pkt_len(m)) {
		st->stats.segs_in++;
		st->stats.drop_truncated++;
		rte_pktmbuf_free(m);
		return;
	}
	/* link-layer padding beyond the IP datagram is not TCP's */
	if (rte_pktmbuf_pkt_len(m) > tot)
		(void)rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - tot));
	(void)rte_pktmbuf_adj(m, (uint16_t)ihl);
	m->l3_len = 0;
	tcp_input(st, m, src, dst, now);
}

int tcp_ipv4_prepend(struct rte_mbuf *m, uint32_t src, uint32_t dst)
{
	struct rte_ipv4_hdr *ip;
	bool offload = (m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM) != 0;

	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));
	if (ip == NULL)
		return -ENOSPC;
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)rte_pktmbuf_pkt_len(m));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	m->l3_len = sizeof(*ip);
	if (offload)
		m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	return 0;
}
