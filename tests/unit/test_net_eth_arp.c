/* Ethernet classification and ARP: answers, learning, resolution queue. */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ip.h>

#include "test_net_harness.h"

TestSuite(eth_arp, .init = h_setup, .fini = h_teardown);

static struct rte_ether_addr zero_mac;

static struct rte_mbuf *arp_frame(unsigned iface, uint16_t op, uint32_t sip, uint32_t tip)
{
	uint8_t buf[64];
	uint16_t len = h_arp(buf, op, &h_peer_mac, sip, &zero_mac, tip);
	struct rte_mbuf *m = h_frame(iface, buf, len, RTE_ETHER_TYPE_ARP);
	memset(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr.addr_bytes, 0xff, 6);
	return m;
}

Test(eth_arp, answers_for_our_address)
{
	struct rte_mbuf *out[4];

	eth_input(&h_ctx, arp_frame(NET_IFACE_EXTERNAL, RTE_ARP_OP_REQUEST, h_ip(H_GW_ADDR),
				    h_ip(H_EXT_ADDR)));
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 1);
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(out[0], const struct rte_ether_hdr *);
	const struct rte_arp_hdr *ah = (const struct rte_arp_hdr *)(eh + 1);
	cr_assert(rte_is_same_ether_addr(&eh->dst_addr, &h_peer_mac));
	cr_assert_eq(rte_be_to_cpu_16(ah->arp_opcode), RTE_ARP_OP_REPLY);
	cr_assert(rte_is_same_ether_addr(&ah->arp_data.arp_sha,
					 &h_ctx.ifaces[NET_IFACE_EXTERNAL].mac));
	cr_assert_eq(ah->arp_data.arp_sip, h_ip(H_EXT_ADDR));
	cr_assert_eq(ah->arp_data.arp_tip, h_ip(H_GW_ADDR));
	cr_assert(rte_is_same_ether_addr(&ah->arp_data.arp_tha, &h_peer_mac));
	h_free(out, 1);
	/* and it learned the asker */
	const struct arp_entry *e = arp_lookup(&h_ctx, h_ip(H_GW_ADDR));
	cr_assert(e != NULL && e->state == ARP_REACHABLE);
	cr_assert_eq(h_drops(), 0);
}

Test(eth_arp, ignores_what_is_not_for_us)
{
	struct rte_mbuf *out[4];

	/* for another host of the subnet */
	eth_input(&h_ctx, arp_frame(NET_IFACE_EXTERNAL, RTE_ARP_OP_REQUEST, h_ip(H_GW_ADDR),
				    h_ip("192.0.2.77")));
	/* our internal address asked on the external port */
	eth_input(&h_ctx, arp_frame(NET_IFACE_EXTERNAL, RTE_ARP_OP_REQUEST, h_ip(H_GW_ADDR),
				    h_ip(H_INT_ADDR)));
	/* a sender outside the subnet, one claiming our address */
	eth_input(&h_ctx, arp_frame(NET_IFACE_EXTERNAL, RTE_ARP_OP_REQUEST, h_ip(H_FAR_ADDR),
				    h_ip(H_EXT_ADDR)));
	eth_input(&h_ctx, arp_frame(NET_IFACE_EXTERNAL, RTE_ARP_OP_REQUEST, h_ip(H_EXT_ADDR),
				    h_ip(H_EXT_ADDR)));
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 0);
	cr_assert_eq(h_drop(NET_DROP_ARP_IGNORED), 4);
	cr_assert_null(arp_lookup(&h_ctx, h_ip(H_GW_ADDR)));
}

Test(eth_arp, malformed)
{
	struct rte_mbuf *out[4];
	uint8_t buf[64];
	uint16_t len = h_arp(buf, RTE_ARP_OP_REQUEST, &h_peer_mac, h_ip(H_GW_ADDR), &zero_mac,
			     h_ip(H_EXT_ADDR));
	unsigned base = h_in_use();

	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, buf, 20, RTE_ETHER_TYPE_ARP));
	buf[4] = 8; /* hlen */
	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, buf, len, RTE_ETHER_TYPE_ARP));
	buf[4] = 6;
	buf[7] = 9; /* opcode */
	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, buf, len, RTE_ETHER_TYPE_ARP));
	buf[7] = 1;
	memset(buf + 8, 0xff, 6); /* broadcast sender MAC */
	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, buf, len, RTE_ETHER_TYPE_ARP));
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 0);
	cr_assert_eq(h_drop(NET_DROP_TRUNCATED), 1);
	cr_assert_eq(h_drop(NET_DROP_BAD_ARP), 3);
	cr_assert_eq(h_in_use(), base);
}

Test(eth_arp, ethernet_checks)
{
	struct rte_mbuf *out[4];
	uint8_t buf[64] = { 0 };
	unsigned base = h_in_use();

	struct rte_mbuf *m = h_frame(NET_IFACE_EXTERNAL, buf, 0, RTE_ETHER_TYPE_IPV4);
	rte_pktmbuf_trim(m, 4); /* 10 bytes: not even an Ethernet header */
	eth_input(&h_ctx, m);
	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, buf, 40, RTE_ETHER_TYPE_IPV6));
	m = h_frame(NET_IFACE_EXTERNAL, buf, 40, RTE_ETHER_TYPE_IPV4);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr.addr_bytes[5] ^= 1;
	eth_input(&h_ctx, m);
	m = h_frame(NET_IFACE_EXTERNAL, buf, 40, RTE_ETHER_TYPE_IPV4);
	m->port = 3; /* a port the stack does not use */
	eth_input(&h_ctx, m);
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 0);
	cr_assert_eq(h_drop(NET_DROP_TRUNCATED), 1);
	cr_assert_eq(h_drop(NET_DROP_ETHERTYPE), 1);
	cr_assert_eq(h_drop(NET_DROP_OTHER_MAC), 2);
	cr_assert_eq(h_ctx.cnt.rx_packets, 4);
	cr_assert_eq(h_in_use(), base);
}

static struct rte_mbuf *echo_request_from(unsigned iface, uint32_t src, uint32_t dst)
{
	uint8_t l4[64], pkt[128];
	uint16_t l4len = h_udp(l4, src, dst, 4000, H_ECHO_PORT, "ping", 4);
	uint16_t len = h_ipv4(pkt, src, dst, IPPROTO_UDP, l4, l4len, 0, 1);
	return h_frame(iface, pkt, len, RTE_ETHER_TYPE_IPV4);
}

Test(eth_arp, resolves_then_sends)
{
	struct rte_mbuf *out[4];

	/* echo from an unknown peer: the answer waits for ARP */
	eth_input(&h_ctx, echo_request_from(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR), h_ip(H_EXT_ADDR)));
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 1);
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(out[0], const struct rte_ether_hdr *);
	const struct rte_arp_hdr *ah = (const struct rte_arp_hdr *)(eh + 1);
	cr_assert(rte_is_broadcast_ether_addr(&eh->dst_addr));
	cr_assert_eq(rte_be_to_cpu_16(ah->arp_opcode), RTE_ARP_OP_REQUEST);
	cr_assert_eq(ah->arp_data.arp_tip, h_ip(H_GW_ADDR));
	cr_assert_eq(ah->arp_data.arp_sip, h_ip(H_EXT_ADDR));
	h_free(out, 1);
	cr_assert_eq(h_ctx.n_pending, 1);

	/* the reply releases it */
	uint8_t buf[64];
	uint16_t len = h_arp(buf, RTE_ARP_OP_REPLY, &h_peer_mac, h_ip(H_GW_ADDR),
			     &h_ctx.ifaces[NET_IFACE_EXTERNAL].mac, h_ip(H_EXT_ADDR));
	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, buf, len, RTE_ETHER_TYPE_ARP));
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 1);
	eh = rte_pktmbuf_mtod(out[0], const struct rte_ether_hdr *);
	cr_assert_eq(eh->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	cr_assert(rte_is_same_ether_addr(&eh->dst_addr, &h_peer_mac));
	h_free(out, 1);
	cr_assert_eq(h_ctx.n_pending, 0);
	cr_assert_eq(h_drops(), 0);
}

Test(eth_arp, off_subnet_goes_to_the_router)
{
	struct rte_mbuf *out[4];

	eth_input(&h_ctx, echo_request_from(NET_IFACE_EXTERNAL, h_ip(H_FAR_ADDR), h_ip(H_EXT_ADDR)));
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 1);
	const struct rte_arp_hdr *ah = rte_pktmbuf_mtod_offset(out[0], const struct rte_arp_hdr *,
							       sizeof(struct rte_ether_hdr));
	cr_assert_eq(ah->arp_data.arp_tip, h_ip(H_ROUTER));
	h_free(out, 1);
}

Test(eth_arp, bounded_queue_and_expiry)
{
	struct rte_mbuf *out[NET_BURST];
	unsigned base = h_in_use();
	unsigned n;

	for (unsigned i = 0; i < NET_ARP_PENDING + 6; i++)
		eth_input(&h_ctx, echo_request_from(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR),
						    h_ip(H_EXT_ADDR)));
	cr_assert_eq(h_ctx.n_pending, NET_ARP_PENDING);
	cr_assert_eq(h_drop(NET_DROP_ARP_QUEUE_FULL), 6);
	while ((n = h_sent(NET_IFACE_EXTERNAL, out, NET_BURST)) > 0)
		h_free(out, n);

	/* nobody answers: retries, then the queue is dropped as no_arp */
	for (unsigned s = 0; s < 5; s++) {
		h_ctx.now += rte_get_tsc_hz();
		net_timer(&h_ctx);
		while ((n = h_sent(NET_IFACE_EXTERNAL, out, NET_BURST)) > 0)
			h_free(out, n);
	}
	cr_assert_eq(h_ctx.n_pending, 0);
	cr_assert_eq(h_drop(NET_DROP_NO_ARP), NET_ARP_PENDING);
	cr_assert_eq(h_in_use(), base);
}

Test(eth_arp, learn_only_copies_do_not_answer)
{
	struct rte_mbuf *out[4];

	arp_input(&h_ctx, arp_frame(NET_IFACE_EXTERNAL, RTE_ARP_OP_REQUEST, h_ip(H_GW_ADDR),
				    h_ip(H_EXT_ADDR)), NET_IFACE_EXTERNAL, false);
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 0);
	cr_assert_not_null(arp_lookup(&h_ctx, h_ip(H_GW_ADDR)));
	cr_assert_eq(h_drops(), 0);
}

Test(eth_arp, expired_entries_are_refreshed_without_stalling)
{
	struct rte_mbuf *out[8];
	unsigned n;

	h_learn(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR));
	h_ctx.now += (uint64_t)(NET_ARP_TTL_S + 1) * rte_get_tsc_hz();
	net_timer(&h_ctx);
	/* the answer goes out at once to the known MAC, with a new request */
	eth_input(&h_ctx, echo_request_from(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR), h_ip(H_EXT_ADDR)));
	n = h_sent(NET_IFACE_EXTERNAL, out, 8);
	cr_assert_eq(n, 2);
	unsigned ip = 0, arp = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(out[i], const struct rte_ether_hdr *);
		if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
			ip++;
			cr_assert(rte_is_same_ether_addr(&eh->dst_addr, &h_peer_mac));
		} else {
			arp++;
		}
	}
	cr_assert(ip == 1 && arp == 1);
	h_free(out, n);
	cr_assert_eq(h_ctx.n_pending, 0);

	/* nobody answers: after three requests the entry is forgotten */
	for (unsigned s = 0; s < 5; s++) {
		h_ctx.now += rte_get_tsc_hz();
		net_timer(&h_ctx);
		eth_input(&h_ctx, echo_request_from(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR),
						    h_ip(H_EXT_ADDR)));
		while ((n = h_sent(NET_IFACE_EXTERNAL, out, 8)) > 0)
			h_free(out, n);
	}
	const struct arp_entry *e = arp_lookup(&h_ctx, h_ip(H_GW_ADDR));
	cr_assert(e == NULL || e->state != ARP_REACHABLE);
	/* an answer makes it fresh again */
	h_learn(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR));
	e = arp_lookup(&h_ctx, h_ip(H_GW_ADDR));
	cr_assert(e != NULL && e->state == ARP_REACHABLE && e->expires > h_ctx.now);
}

Test(eth_arp, announcement)
{
	struct rte_mbuf *out[4];

	arp_announce(&h_ctx, NET_IFACE_INTERNAL);
	cr_assert_eq(h_sent(NET_IFACE_INTERNAL, out, 4), 1);
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(out[0], const struct rte_ether_hdr *);
	const struct rte_arp_hdr *ah = (const struct rte_arp_hdr *)(eh + 1);
	cr_assert(rte_is_broadcast_ether_addr(&eh->dst_addr));
	cr_assert_eq(rte_be_to_cpu_16(ah->arp_opcode), RTE_ARP_OP_REQUEST);
	cr_assert_eq(ah->arp_data.arp_sip, h_ip(H_INT_ADDR));
	cr_assert_eq(ah->arp_data.arp_tip, h_ip(H_INT_ADDR));
	cr_assert(rte_is_same_ether_addr(&ah->arp_data.arp_sha,
					 &h_ctx.ifaces[NET_IFACE_INTERNAL].mac));
	h_free(out, 1);
}
