/* IPv4 fragments: reassembly on input (rte_ip_frag), fragmentation on output. */
#include "net.h"

#include <errno.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#define FRAG_OUT_MAX 48 /* 65535 / (1500 - 20), rounded up */

struct rte_mbuf *frag_reassemble(struct net_ctx *ctx, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t before = ctx->death_row.cnt;

	m->l2_len = 0;
	struct rte_mbuf *r = rte_ipv4_frag_reassemble_packet(ctx->frag_tbl, &ctx->death_row,
							     m, ctx->now, ip);
	if (ctx->death_row.cnt != before) {
		ctx->cnt.drops[NET_DROP_FRAG_ERROR] += ctx->death_row.cnt - before;
		rte_ip_frag_free_death_row(&ctx->death_row, 0);
	}
	if (r == NULL)
		return NULL;

	/* The whole datagram: check what the fragments claimed. */
	ip = rte_pktmbuf_mtod(r, struct rte_ipv4_hdr *);
	if (rte_pktmbuf_data_len(r) < rte_ipv4_hdr_len(ip) ||
	    rte_be_to_cpu_16(ip->total_length) != rte_pktmbuf_pkt_len(r)) {
		net_drop(ctx, r, NET_DROP_FRAG_ERROR);
		return NULL;
	}
	ip->fragment_offset = 0;
	ip->hdr_checksum = ipv4_cksum(ip);
	r->l3_len = (uint16_t)rte_ipv4_hdr_len(ip);
	ctx->cnt.reassembled++;
	return r;
}

void frag_output(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface,
		 uint32_t next_hop)
{
	struct rte_mbuf *out[FRAG_OUT_MAX];
	int32_t n = rte_ipv4_fragment_packet(m, out, FRAG_OUT_MAX, ctx->ifaces[iface].mtu,
					     ctx->pool, ctx->pool_indirect);

	rte_pktmbuf_free(m); /* fragments hold their own references */
	if (n < 0) {
		ctx->cnt.drops[n == -ENOMEM ? NET_DROP_NO_MBUF : NET_DROP_TOO_BIG]++;
		return;
	}
	ctx->cnt.fragmented++;
	for (int32_t i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(out[i], struct rte_ipv4_hdr *);
		ip->hdr_checksum = ipv4_cksum(ip);
		out[i]->l3_len = (uint16_t)rte_ipv4_hdr_len(ip);
		eth_output_ip(ctx, out[i], iface, next_hop);
	}
}
