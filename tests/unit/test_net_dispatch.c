/* Flow keys: media by local port, TCP by 4-tuple, other UDP and ICMP by
 * remote address, ARP to everyone. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dispatch.h"
#include "test_net_harness.h"

TestSuite(dispatch, .init = h_setup, .fini = h_teardown);

static uint32_t key_udp_payload(const char *src, uint16_t sport, uint16_t dport,
				const char *payload)
{
	uint8_t l4[512], pkt[600];
	uint16_t l4len = h_udp(l4, h_ip(src), h_ip(H_EXT_ADDR), sport, dport, payload,
			       (uint16_t)strlen(payload));
	uint16_t len = h_ipv4(pkt, h_ip(src), h_ip(H_EXT_ADDR), IPPROTO_UDP, l4, l4len, 0, 1);
	return dispatch_ip_key(pkt, len, &h_ctx.udp);
}

static uint32_t key_udp(const char *src, uint16_t sport, uint16_t dport)
{
	return key_udp_payload(src, sport, dport, "x");
}

static uint32_t key_tcp(const char *src, uint16_t sport, uint16_t dport)
{
	struct rte_tcp_hdr th;
	uint8_t pkt[128];

	memset(&th, 0, sizeof(th));
	th.src_port = rte_cpu_to_be_16(sport);
	th.dst_port = rte_cpu_to_be_16(dport);
	uint16_t len = h_ipv4(pkt, h_ip(src), h_ip(H_EXT_ADDR), IPPROTO_TCP, &th, sizeof(th), 0, 1);
	return dispatch_ip_key(pkt, len, &h_ctx.udp);
}

Test(dispatch, media_is_keyed_by_our_port)
{
	uint32_t k = key_udp("192.0.2.10", 4000, 20002);

	cr_assert_eq(key_udp("192.0.2.10", 4002, 20002), k, "remote port latched");
	cr_assert_eq(key_udp("192.0.2.11", 9000, 20002), k, "remote address changed");
	cr_assert_eq(key_udp("198.51.100.20", 9000, 20002), k);
	cr_assert_neq(key_udp("192.0.2.10", 4000, 20004), k);
}

Test(dispatch, other_udp_by_remote_address)
{
	uint32_t k = key_udp("192.0.2.10", 5060, 5060);

	cr_assert_eq(key_udp("192.0.2.10", 6000, 7), k);
	cr_assert_neq(key_udp("192.0.2.11", 5060, 5060), k);
}

/* SIP over UDP: every message of a call, from either side, on one worker;
 * one gateway's calls on all of them. */
Test(dispatch, sip_by_call_id)
{
	const char *inv = "INVITE sip:6000@192.0.2.1 SIP/2.0\r\nCall-ID: c1@gw\r\n\r\n";
	const char *rsp = "SIP/2.0 200 OK\r\ni: c1@gw\r\n\r\n";
	unsigned seen[4] = { 0 };
	char msg[128];

	h_ctx.udp.sip_port = 5060;
	uint32_t k = key_udp_payload("192.0.2.10", 5070, 5060, inv);
	cr_assert_eq(key_udp_payload("198.51.100.20", 5060, 5060, rsp), k, "the other side");
	cr_assert_neq(key_udp_payload("192.0.2.10", 5070, 5061, inv), k, "not the SIP port");
	/* no Call-ID in the first bytes: by the remote address, like other UDP */
	cr_assert_eq(key_udp_payload("192.0.2.10", 5070, 5060, "junk"),
		     key_udp("192.0.2.10", 1, 9));
	for (unsigned i = 0; i < 400; i++) {
		snprintf(msg, sizeof(msg), "INVITE sip:6000@x SIP/2.0\r\nCall-ID: %u@gw\r\n\r\n", i);
		seen[dispatch_owner(key_udp_payload("192.0.2.10", 5070, 5060, msg), 4)]++;
	}
	for (unsigned w = 0; w < 4; w++)
		cr_expect_gt(seen[w], 60, "worker %u got %u of 400 calls", w, seen[w]);
	h_ctx.udp.sip_port = 0;
}

Test(dispatch, tcp_by_four_tuple)
{
	uint32_t k = key_tcp("192.0.2.10", 40000, 5061);

	cr_assert_eq(key_tcp("192.0.2.10", 40000, 5061), k);
	cr_assert_neq(key_tcp("192.0.2.10", 40001, 5061), k);
	cr_assert_neq(key_tcp("192.0.2.11", 40000, 5061), k);
	cr_assert_neq(key_tcp("192.0.2.10", 40000, 5060), k);
}

Test(dispatch, tcp_key_for_active_opens)
{
	/* what a worker computes before connecting equals what the RX core
	 * computes on the answers */
	cr_assert_eq(dispatch_tcp_key(0xc000020a, 5061, 0xc0000201, 40000),
		     key_tcp("192.0.2.10", 5061, 40000));
}

Test(dispatch, fragments_and_garbage)
{
	uint8_t l4[64], pkt[128];
	uint16_t l4len = h_udp(l4, h_ip("192.0.2.10"), h_ip(H_EXT_ADDR), 4000, 20002, "x", 1);
	uint16_t len = h_ipv4(pkt, h_ip("192.0.2.10"), h_ip(H_EXT_ADDR), IPPROTO_UDP, l4, l4len,
			      RTE_IPV4_HDR_MF_FLAG, 1);

	/* a first fragment is keyed like the rest of its datagram: by source */
	cr_assert_eq(dispatch_ip_key(pkt, len, &h_ctx.udp), key_udp("192.0.2.10", 1, 2));
	cr_assert_eq(dispatch_ip_key(pkt, 10, &h_ctx.udp), 0);
	/* UDP header cut off: still a key, no read past the end */
	len = h_ipv4(pkt, h_ip("192.0.2.10"), h_ip(H_EXT_ADDR), IPPROTO_UDP, l4, 4, 0, 1);
	cr_assert_eq(dispatch_ip_key(pkt, len, &h_ctx.udp), key_udp("192.0.2.10", 1, 2));
}

Test(dispatch, arp_goes_everywhere)
{
	uint8_t buf[64];
	struct rte_ether_addr z = { { 0 } };
	uint16_t len = h_arp(buf, 1, &h_peer_mac, h_ip(H_GW_ADDR), &z, h_ip(H_EXT_ADDR));
	struct rte_mbuf *m = h_frame(NET_IFACE_EXTERNAL, buf, len, RTE_ETHER_TYPE_ARP);

	cr_assert_eq(dispatch_eth_key(m, &h_ctx.udp), DISPATCH_ALL);
	rte_pktmbuf_trim(m, (uint16_t)(len + 4));
	cr_assert_eq(dispatch_eth_key(m, &h_ctx.udp), 0, "10-byte frame");
	rte_pktmbuf_free(m);
}

Test(dispatch, owners_cover_all_workers)
{
	unsigned seen[4] = { 0 };

	for (uint16_t p = 20000; p < 20400; p += 2)
		seen[dispatch_owner(key_udp("192.0.2.10", 1, p), 4)]++;
	for (unsigned w = 0; w < 4; w++)
		cr_assert_gt(seen[w], 20, "worker %u got %u of 200 media ports", w, seen[w]);
	cr_assert_eq(dispatch_owner(UINT32_MAX - 1, 3), 2);
	cr_assert_eq(dispatch_owner(0, 3), 0);
}
