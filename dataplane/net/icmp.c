/* ICMP: echo (ping) for our addresses, rate-limited destination unreachable. */
#include "net.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "cksum.h"

#define ICMP_DEST_UNREACH 3

void icmp_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t len = rte_pktmbuf_pkt_len(m) - m->l3_len;

	if (len < sizeof(struct rte_icmp_hdr) ||
	    rte_pktmbuf_data_len(m) < m->l3_len + sizeof(struct rte_icmp_hdr)) {
		net_drop(ctx, m, NET_DROP_TRUNCATED);
		return;
	}
	uint16_t sum;
	if (rte_raw_cksum_mbuf(m, m->l3_len, len, &sum) != 0 || sum != 0xffff) {
		net_drop(ctx, m, NET_DROP_BAD_ICMP);
		return;
	}
	struct rte_icmp_hdr *ih = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, m->l3_len);
	if (ih->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ih->icmp_code != 0) {
		net_drop(ctx, m, NET_DROP_ICMP_OTHER);
		return;
	}
	/* Turn it around: type 8 -> 0, same identifier, sequence and data. */
	ih->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ih->icmp_cksum = cksum_adjust16(ih->icmp_cksum, RTE_BE16(RTE_IP_ICMP_ECHO_REQUEST << 8),
					RTE_BE16(RTE_IP_ICMP_ECHO_REPLY << 8));
	uint32_t src = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = src;
	ip->fragment_offset = 0;
	ctx->cnt.icmp_echo++;
	ipv4_output(ctx, m);
}

void icmp_send_unreach(struct net_ctx *ctx, const struct rte_mbuf *m, uint8_t code)
{
	if (ctx->icmp_tokens == 0) {
		ctx->cnt.drops[NET_DROP_ICMP_RATELIMIT]++;
		return;
	}
	const struct rte_ipv4_hdr *oip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t quote = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)m->l3_len + 8);
	struct rte_mbuf *r = rte_pktmbuf_alloc(ctx->pool);
	if (r == NULL) {
		ctx->cnt.drops[NET_DROP_NO_MBUF]++;
		return;
	}
	ctx->icmp_tokens--;
	uint16_t total = (uint16_t)(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_icmp_hdr) + quote);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(r, total);
	struct rte_icmp_hdr *ih = (struct rte_icmp_hdr *)(ip + 1);
	uint8_t *body = (uint8_t *)(ih + 1);

	memset(ip, 0, sizeof(*ip) + sizeof(*ih));
	const void *q = rte_pktmbuf_read(m, 0, quote, body);
	if (q != body)
		memcpy(body, q, quote);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(total);
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = oip->dst_addr;
	ip->dst_addr = oip->src_addr;
	ih->icmp_type = ICMP_DEST_UNREACH;
	ih->icmp_code = code;
	ih->icmp_cksum = (uint16_t)~rte_raw_cksum(ih, sizeof(*ih) + quote);
	r->l3_len = sizeof(*ip);
	ipv4_output(ctx, r);
}
