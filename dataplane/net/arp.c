/* ARP (RFC 826): answer for our addresses, resolve next hops, a small cache
 * with expiry and a bounded queue of packets waiting for a resolution. */
#include "net.h"

#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>

static unsigned arp_slot(uint32_t ip)
{
	return (unsigned)((rte_be_to_cpu_32(ip) * 2654435761u) >> 24) & (NET_ARP_SLOTS - 1);
}

/* Open addressing, linear probing over at most 8 slots. */
static struct arp_entry *arp_find(struct net_ctx *ctx, uint32_t ip, bool create)
{
	unsigned s = arp_slot(ip);
	struct arp_entry *victim = NULL;

	for (unsigned i = 0; i < 8; i++) {
		struct arp_entry *e = &ctx->arp[(s + i) & (NET_ARP_SLOTS - 1)];
		if (e->state != ARP_FREE && e->ip == ip)
			return e;
		if (victim == NULL && (e->state == ARP_FREE ||
				       (e->state == ARP_REACHABLE && e->expires < ctx->now)))
			victim = e;
	}
	if (!create)
		return NULL;
	if (victim == NULL) /* all eight busy: take the one resolved longest ago */
		victim = &ctx->arp[s];
	memset(victim, 0, sizeof(*victim));
	victim->ip = ip;
	return victim;
}

const struct arp_entry *arp_lookup(const struct net_ctx *ctx, uint32_t ip)
{
	return arp_find((struct net_ctx *)(uintptr_t)ctx, ip, false);
}

static struct rte_mbuf *arp_build(struct net_ctx *ctx, unsigned iface, uint16_t op,
				  const struct rte_ether_addr *dst_mac, uint32_t tip)
{
	const struct net_iface *ifc = &ctx->ifaces[iface];
	struct rte_mbuf *m = rte_pktmbuf_alloc(ctx->pool);

	if (m == NULL) {
		ctx->cnt.drops[NET_DROP_NO_MBUF]++;
		return NULL;
	}
	size_t len = sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)len);
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);

	if (op == RTE_ARP_OP_REQUEST)
		memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	else
		eh->dst_addr = *dst_mac;
	eh->src_addr = ifc->mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = ifc->mac;
	ah->arp_data.arp_sip = ifc->addr;
	if (op == RTE_ARP_OP_REQUEST)
		memset(&ah->arp_data.arp_tha, 0, sizeof(ah->arp_data.arp_tha));
	else
		ah->arp_data.arp_tha = *dst_mac;
	ah->arp_data.arp_tip = tip;
	m->l2_len = sizeof(*eh);
	return m;
}

void arp_announce(struct net_ctx *ctx, unsigned iface)
{
	/* gratuitous ARP (RFC 5227 announcement): sender and target are us */
	struct rte_mbuf *m = arp_build(ctx, iface, RTE_ARP_OP_REQUEST, NULL,
				       ctx->ifaces[iface].addr);
	if (m != NULL)
		eth_tx(ctx, m, iface);
}

static void arp_send_request(struct net_ctx *ctx, struct arp_entry *e)
{
	struct rte_mbuf *m = arp_build(ctx, e->iface, RTE_ARP_OP_REQUEST, NULL, e->ip);

	e->last_request = ctx->now;
	e->tries++;
	if (m != NULL)
		eth_tx(ctx, m, e->iface);
}

/* Send what waited for e, now resolved. */
static void arp_release(struct net_ctx *ctx, const struct arp_entry *e)
{
	uint16_t kept = 0;

	for (uint16_t i = 0; i < ctx->n_pending; i++) {
		struct arp_pending *p = &ctx->pending[i];
		if (p->next_hop == e->ip && p->iface == e->iface)
			eth_output_ip(ctx, p->m, p->iface, p->next_hop);
		else
			ctx->pending[kept++] = *p;
	}
	ctx->n_pending = kept;
}

static void arp_learn(struct net_ctx *ctx, uint32_t ip, const struct rte_ether_addr *mac,
		      unsigned iface, bool create)
{
	struct arp_entry *e = arp_find(ctx, ip, create);

	if (e == NULL)
		return;
	bool was_waiting = e->state == ARP_INCOMPLETE;
	e->mac = *mac;
	e->iface = (uint8_t)iface;
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->expires = ctx->now + ctx->hz * NET_ARP_TTL_S;
	if (was_waiting || ctx->n_pending > 0)
		arp_release(ctx, e);
}

/* Copies fanned out to other workers only teach them: no answer, no count. */
static void arp_refuse(struct net_ctx *ctx, struct rte_mbuf *m, enum net_drop why,
		       bool answer)
{
	if (answer)
		net_drop(ctx, m, why);
	else
		rte_pktmbuf_free(m);
}

void arp_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, bool answer)
{
	const struct net_iface *ifc = &ctx->ifaces[iface];
	size_t need = sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr);

	if (rte_pktmbuf_data_len(m) < need) {
		arp_refuse(ctx, m, NET_DROP_TRUNCATED, answer);
		return;
	}
	const struct rte_arp_hdr *ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *,
							       sizeof(struct rte_ether_hdr));
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4) {
		arp_refuse(ctx, m, NET_DROP_BAD_ARP, answer);
		return;
	}
	uint16_t op = rte_be_to_cpu_16(ah->arp_opcode);
	uint32_t sip = ah->arp_data.arp_sip, tip = ah->arp_data.arp_tip;
	struct rte_ether_addr sha = ah->arp_data.arp_sha;

	if ((op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
	    !rte_is_unicast_ether_addr(&sha) || rte_is_zero_ether_addr(&sha)) {
		arp_refuse(ctx, m, NET_DROP_BAD_ARP, answer);
		return;
	}
	/* A sender on our subnet, never one claiming our own address. */
	if (sip == 0 || sip == ifc->addr || (sip & ifc->mask) != (ifc->addr & ifc->mask) ||
	    sip == (ifc->addr | ~ifc->mask)) {
		arp_refuse(ctx, m, NET_DROP_ARP_IGNORED, answer);
		return;
	}
	bool for_us = tip == ifc->addr;
	/* RFC 826 merge: update a known sender; add it when the packet is for us. */
	arp_learn(ctx, sip, &sha, iface, for_us);

	if (for_us && op == RTE_ARP_OP_REQUEST && answer) {
		struct rte_mbuf *r = arp_build(ctx, iface, RTE_ARP_OP_REPLY, &sha, sip);
		if (r != NULL) {
			ctx->cnt.arp_replies++;
			eth_tx(ctx, r, iface);
		}
	}
	if (!for_us && answer)
		ctx->cnt.drops[NET_DROP_ARP_IGNORED]++;
	rte_pktmbuf_free(m);
}

void arp_resolve_and_send(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface,
			  uint32_t next_hop)
{
	struct arp_entry *e = arp_find(ctx, next_hop, true);

	if (ctx->n_pending == NET_ARP_PENDING) {
		net_drop(ctx, m, NET_DROP_ARP_QUEUE_FULL);
		return;
	}
	ctx->pending[ctx->n_pending++] = (struct arp_pending){
		.m = m, .next_hop = next_hop, .iface = (uint8_t)iface, .since = ctx->now,
	};
	if (e->state != ARP_INCOMPLETE) {
		e->state = ARP_INCOMPLETE;
		e->iface = (uint8_t)iface;
		e->tries = 0;
		arp_send_request(ctx, e);
	}
}

void arp_refresh(struct net_ctx *ctx, struct arp_entry *e)
{
	uint64_t retry = ctx->hz / 1000 * NET_ARP_RETRY_MS;

	if (ctx->now - e->last_request >= retry && e->tries < NET_ARP_TRIES)
		arp_send_request(ctx, e);
}

void arp_timer(struct net_ctx *ctx)
{
	uint64_t retry = ctx->hz / 1000 * NET_ARP_RETRY_MS;

	for (unsigned i = 0; i < NET_ARP_SLOTS; i++) {
		struct arp_entry *e = &ctx->arp[i];
		/* expired and unanswered refreshes: forget it */
		if (e->state == ARP_REACHABLE && e->expires < ctx->now &&
		    e->tries >= NET_ARP_TRIES && ctx->now - e->last_request >= retry) {
			e->state = ARP_FREE;
			continue;
		}
		if (e->state != ARP_INCOMPLETE || ctx->now - e->last_request < retry)
			continue;
		if (e->tries < NET_ARP_TRIES) {
			arp_send_request(ctx, e);
			continue;
		}
		e->state = ARP_FREE; /* failed: drop what waited for it below */
	}
	uint16_t kept = 0;
	uint64_t give_up = retry * NET_ARP_TRIES;
	for (uint16_t i = 0; i < ctx->n_pending; i++) {
		struct arp_pending *p = &ctx->pending[i];
		if (ctx->now - p->since > give_up)
			net_drop(ctx, p->m, NET_DROP_NO_ARP);
		else
			ctx->pending[kept++] = *p;
	}
	ctx->n_pending = kept;
}

void arp_flush_pending(struct net_ctx *ctx)
{
	for (uint16_t i = 0; i < ctx->n_pending; i++)
		rte_pktmbuf_free(ctx->pending[i].m);
	ctx->n_pending = 0;
}
