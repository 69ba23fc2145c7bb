/* UDP: length and checksum checks, demultiplexing by local port. */
#include "net.h"

#include <errno.h>
#include <string.h>

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
	if (iface == NET_IFACE_INTERNAL && port == ctx->udp.ng_port && port != 0)
		return true;
	/* the application's side of SIP is open whatever the gateways' modes */
	if (iface == NET_IFACE_INTERNAL && port == ctx->udp.sip_port && port != 0)
		return ctx->snap != NULL && ctx->snap->has_application;
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

int udp_send(struct net_ctx *ctx, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	     const void *buf, size_t len)
{
	struct rte_mbuf *head = NULL;
	size_t hdr = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr);
	uint32_t next_hop;
	int rc = -ENOBUFS;
	/* routed once, here: the caller learns an unreachable peer at once */
	int iface = ipv4_route(ctx, dst, &next_hop);

	if (len > UINT16_MAX - hdr)
		return -EMSGSIZE;
	if (iface < 0)
		return -ENETUNREACH;
	head = rte_pktmbuf_alloc(ctx->pool);
	if (head == NULL)
		goto out;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(head, (uint16_t)hdr);
	if (ip == NULL)
		goto out;
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	/* the payload fills the head's tailroom, then chained segments */
	if (net_mbuf_write(ctx->pool, head, buf, len) != 0)
		goto out;
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hdr + len));
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + len));
	uh->dgram_cksum = 0;
	/* the header is 8 bytes, so the payload's words stay aligned */
	uint64_t sum = (uint64_t)src + dst + rte_cpu_to_be_16(IPPROTO_UDP) + uh->dgram_len;
	sum = cksum_add(uh, sizeof(*uh), sum);
	uint16_t c = (uint16_t)~cksum_fold(cksum_add(buf, len, sum));
	uh->dgram_cksum = c == 0 ? 0xffff : c;
	head->l3_len = sizeof(*ip);
	ipv4_output_routed(ctx, head, (unsigned)iface, next_hop);
	return 0;
out:
	ctx->cnt.drops[NET_DROP_NO_MBUF]++;
	rte_pktmbuf_free(head);
	return rc;
}
