/* UDP: checks, the RFC 862 echo, port unreachable and its rate limit, open
 * ports from the media ranges and from the snapshot. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "snapshot.h"
#include "test_net_harness.h"

static void setup(void)
{
	h_setup();
	h_learn(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR));
	h_learn(NET_IFACE_INTERNAL, h_ip(H_APP_ADDR));
}

TestSuite(udp, .init = setup, .fini = h_teardown);

static struct rte_mbuf *datagram(unsigned iface, uint16_t dport, const char *data)
{
	uint8_t l4[256], pkt[300];
	uint32_t src = h_ip(iface == NET_IFACE_EXTERNAL ? H_GW_ADDR : H_APP_ADDR);
	uint32_t dst = h_ctx.ifaces[iface].addr;
	uint16_t l4len = h_udp(l4, src, dst, 40000, dport, data, (uint16_t)strlen(data));
	uint16_t len = h_ipv4(pkt, src, dst, IPPROTO_UDP, l4, l4len, 0, 5);
	return h_frame(iface, pkt, len, RTE_ETHER_TYPE_IPV4);
}

static struct rte_udp_hdr *udp_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
				       sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr));
}

Test(udp, echo_on_both_sides)
{
	struct rte_mbuf *out[4];

	for (unsigned iface = 0; iface < NET_N_IFACES; iface++) {
		eth_input(&h_ctx, datagram(iface, H_ECHO_PORT, "hello, echo"));
		cr_assert_eq(h_sent(iface, out, 4), 1);
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(out[0], struct rte_ipv4_hdr *,
								  sizeof(struct rte_ether_hdr));
		struct rte_udp_hdr *uh = udp_of(out[0]);
		cr_assert_eq(ip->src_addr, h_ctx.ifaces[iface].addr);
		cr_assert_eq(uh->src_port, RTE_BE16(H_ECHO_PORT));
		cr_assert_eq(uh->dst_port, RTE_BE16(40000));
		cr_assert_eq(rte_ipv4_udptcp_cksum_verify(ip, uh), 0, "UDP checksum still valid");
		cr_assert_eq(memcmp(uh + 1, "hello, echo", 11), 0);
		h_free(out, 1);
	}
	cr_assert_eq(h_ctx.cnt.udp_echo, 2);
	cr_assert_eq(h_drops(), 0);
}

Test(udp, zero_checksum_is_accepted)
{
	struct rte_mbuf *out[4];
	struct rte_mbuf *m = datagram(NET_IFACE_EXTERNAL, H_ECHO_PORT, "no checksum");

	udp_of(m)->dgram_cksum = 0;
	eth_input(&h_ctx, m);
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 1);
	h_free(out, 1);
}

Test(udp, hostile_datagrams)
{
	struct rte_mbuf *out[4], *m;
	unsigned base = h_in_use();

	m = datagram(NET_IFACE_EXTERNAL, H_ECHO_PORT, "bad sum");
	udp_of(m)->dgram_cksum ^= 0x0101;
	eth_input(&h_ctx, m);
	m = datagram(NET_IFACE_EXTERNAL, H_ECHO_PORT, "long");
	udp_of(m)->dgram_len = RTE_BE16(200);
	eth_input(&h_ctx, m);
	m = datagram(NET_IFACE_EXTERNAL, H_ECHO_PORT, "short");
	udp_of(m)->dgram_len = RTE_BE16(9);
	eth_input(&h_ctx, m);
	m = datagram(NET_IFACE_EXTERNAL, H_ECHO_PORT, "tiny");
	udp_of(m)->dgram_len = RTE_BE16(4);
	eth_input(&h_ctx, m);
	m = datagram(NET_IFACE_EXTERNAL, H_ECHO_PORT, "");
	rte_pktmbuf_trim(m, 4); /* IP says 28, 24 bytes left: caught by IP */
	eth_input(&h_ctx, m);
	{ /* IP payload of 4 bytes: no room for a UDP header */
		uint8_t pkt[64];
		uint16_t len = h_ipv4(pkt, h_ip(H_GW_ADDR), h_ip(H_EXT_ADDR), IPPROTO_UDP,
				      "abcd", 4, 0, 1);
		eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, pkt, len, RTE_ETHER_TYPE_IPV4));
	}
	m = datagram(NET_IFACE_EXTERNAL, H_ECHO_PORT, "src port 0");
	udp_of(m)->src_port = 0;
	udp_of(m)->dgram_cksum = 0;
	eth_input(&h_ctx, m);

	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 0);
	cr_assert_eq(h_drop(NET_DROP_BAD_UDP_CHECKSUM), 1);
	cr_assert_eq(h_drop(NET_DROP_BAD_UDP), 4);
	cr_assert_eq(h_drop(NET_DROP_TRUNCATED), 2);
	cr_assert_eq(h_ctx.cnt.udp_echo, 0);
	cr_assert_eq(h_in_use(), base);
}

Test(udp, closed_port_gets_port_unreachable)
{
	struct rte_mbuf *out[4];
	struct rte_mbuf *m = datagram(NET_IFACE_EXTERNAL, 9999, "anyone?");
	uint8_t orig[64];

	memcpy(orig, rte_pktmbuf_mtod_offset(m, void *, sizeof(struct rte_ether_hdr)), 28);
	eth_input(&h_ctx, m);
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 1);
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(out[0], const struct rte_ipv4_hdr *,
							       sizeof(struct rte_ether_hdr));
	const struct rte_icmp_hdr *ih = (const struct rte_icmp_hdr *)(ip + 1);
	cr_assert_eq(ip->next_proto_id, IPPROTO_ICMP);
	cr_assert_eq(ip->dst_addr, h_ip(H_GW_ADDR));
	cr_assert_eq(ih->icmp_type, 3);
	cr_assert_eq(ih->icmp_code, 3);
	cr_assert_eq(rte_be_to_cpu_16(ip->total_length), 20 + 8 + 28);
	cr_assert_eq(rte_raw_cksum(ih, 8 + 28), 0xffff);
	cr_assert_eq(memcmp(ih + 1, orig, 28), 0, "quotes the header and 8 bytes");
	h_free(out, 1);
	cr_assert_eq(h_drop(NET_DROP_UDP_CLOSED), 1);
}

Test(udp, port_unreachable_is_rate_limited)
{
	struct rte_mbuf *out[NET_BURST];
	unsigned sent = 0, n;

	for (unsigned i = 0; i < NET_ICMP_RATE + 50; i++) {
		eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, 9999, "x"));
		while ((n = h_sent(NET_IFACE_EXTERNAL, out, NET_BURST)) > 0) {
			sent += n;
			h_free(out, n);
		}
	}
	cr_assert_eq(sent, NET_ICMP_RATE);
	cr_assert_eq(h_drop(NET_DROP_ICMP_RATELIMIT), 50);
	cr_assert_eq(h_drop(NET_DROP_UDP_CLOSED), NET_ICMP_RATE + 50);
	/* a second later the bucket is full again */
	h_ctx.now += rte_get_tsc_hz();
	net_timer(&h_ctx);
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, 9999, "x"));
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 1);
	h_free(out, 1);
}

Test(udp, media_and_listener_ports_are_open)
{
	struct rte_mbuf *out[4];

	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, 20000, "rtp"));
	eth_input(&h_ctx, datagram(NET_IFACE_INTERNAL, 39999, "rtp"));
	cr_assert_eq(h_drop(NET_DROP_NO_LISTENER), 2);
	/* 5060 is closed until a snapshot lists it */
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, 5060, "INVITE"));
	cr_assert_eq(h_drop(NET_DROP_UDP_CLOSED), 1);
	h_free(out, h_sent(NET_IFACE_EXTERNAL, out, 4));

	struct dp_snapshot *s = calloc(1, sizeof(*s));
	s->udp_open[5060 >> 6] |= 1ull << (5060 & 63);
	h_ctx.snap = s;
	eth_input(&h_ctx, datagram(NET_IFACE_EXTERNAL, 5060, "INVITE"));
	cr_assert_eq(h_drop(NET_DROP_NO_LISTENER), 3);
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 0);
	h_ctx.snap = NULL;
	free(s);
}
