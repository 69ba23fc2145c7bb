/* Random and mutated frames through the whole stack: nothing crashes (run it
 * under ASan/UBSan too), every frame is accounted for, no mbuf leaks. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "test_net_harness.h"

static void setup(void)
{
	h_setup();
	h_learn(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR));
	h_learn(NET_IFACE_INTERNAL, h_ip(H_APP_ADDR));
}

TestSuite(random, .init = setup, .fini = h_teardown);

/* A valid frame of some kind, then a few bytes flipped, cut or grown. */
static struct rte_mbuf *mutant(unsigned seed)
{
	uint8_t l4[2000], pkt[2100];
	unsigned kind = seed % 5;
	uint16_t len, ethertype = RTE_ETHER_TYPE_IPV4;
	uint32_t src = h_ip(H_GW_ADDR), dst = h_ip(H_EXT_ADDR);
	uint16_t dlen = (uint16_t)(rand() % 1400);
	uint8_t data[1500];

	for (unsigned i = 0; i < dlen; i++)
		data[i] = (uint8_t)rand();
	switch (kind) {
	case 0: /* UDP echo */
		len = h_udp(l4, src, dst, (uint16_t)(1 + rand() % 65535), H_ECHO_PORT, data, dlen);
		len = h_ipv4(pkt, src, dst, IPPROTO_UDP, l4, len, 0, (uint16_t)rand());
		break;
	case 1: /* ICMP echo */
		len = h_icmp_echo(l4, RTE_IP_ICMP_ECHO_REQUEST, 1, (uint16_t)seed, data, dlen);
		len = h_ipv4(pkt, src, dst, IPPROTO_ICMP, l4, len, 0, (uint16_t)rand());
		break;
	case 2: { /* a fragment */
		uint16_t off = (uint16_t)(rand() % 200);
		uint16_t flags = (uint16_t)(rand() % 2 ? RTE_IPV4_HDR_MF_FLAG : 0);
		len = h_ipv4(pkt, src, dst, IPPROTO_UDP, data, (uint16_t)(dlen & ~7u), off | flags,
			     (uint16_t)(rand() % 4));
		break;
	}
	case 3: { /* ARP */
		struct rte_ether_addr z = { { 0 } };
		len = h_arp(pkt, (uint16_t)(1 + rand() % 2), &h_peer_mac, src, &z, dst);
		ethertype = RTE_ETHER_TYPE_ARP;
		break;
	}
	default: /* noise after an IPv4 version nibble */
		memcpy(pkt, data, dlen);
		pkt[0] = 0x45;
		len = dlen > 0 ? dlen : 1;
		break;
	}
	/* mutations */
	unsigned flips = (unsigned)rand() % 4;
	for (unsigned i = 0; i < flips && len > 0; i++)
		pkt[rand() % RTE_MIN(len, 64)] ^= (uint8_t)(1u << (rand() % 8));
	if (rand() % 8 == 0)
		len = (uint16_t)(rand() % (len + 1));
	return h_frame(NET_IFACE_EXTERNAL, pkt, len, ethertype);
}

Test(random, mutated_frames_are_handled_and_counted)
{
	struct rte_mbuf *out[NET_BURST];
	unsigned base = h_in_use(), n;
	uint64_t answered = 0;

	srand(862);
	for (unsigned i = 0; i < 20000; i++) {
		eth_input(&h_ctx, mutant(i));
		if (i % 16 == 0) {
			while ((n = h_sent(NET_IFACE_EXTERNAL, out, NET_BURST)) > 0) {
				answered += n;
				h_free(out, n);
			}
			h_ctx.now += rte_get_tsc_hz() / 100;
			net_timer(&h_ctx);
		}
	}
	while ((n = h_sent(NET_IFACE_EXTERNAL, out, NET_BURST)) > 0) {
		answered += n;
		h_free(out, n);
	}
	h_ctx.now += 5 * rte_get_tsc_hz();
	net_timer(&h_ctx);
	while ((n = h_sent(NET_IFACE_EXTERNAL, out, NET_BURST)) > 0)
		h_free(out, n);
	cr_assert_eq(h_in_use(), base, "%u mbufs leaked", h_in_use() - base);
	cr_assert_eq(h_ctx.cnt.rx_packets, 20000 + 2);
	cr_assert_gt(answered, 0);
	cr_assert_gt(h_drops(), 0);
}
