/* IPv4 header checks, ICMP echo, reassembly and fragmentation. */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "test_net_harness.h"

static void setup(void)
{
	h_setup();
	h_learn(NET_IFACE_EXTERNAL, h_ip(H_GW_ADDR));
}

TestSuite(ipv4, .init = setup, .fini = h_teardown);

static uint16_t ping(uint8_t *pkt, uint32_t src, uint32_t dst, uint16_t dlen)
{
	uint8_t l4[1600], data[1600];

	for (unsigned i = 0; i < dlen; i++)
		data[i] = (uint8_t)i;
	uint16_t l4len = h_icmp_echo(l4, RTE_IP_ICMP_ECHO_REQUEST, 0x1234, 7, data, dlen);
	return h_ipv4(pkt, src, dst, IPPROTO_ICMP, l4, l4len, 0, 99);
}

static void expect_nothing_sent(void)
{
	struct rte_mbuf *out[4];
	unsigned n = h_sent(NET_IFACE_EXTERNAL, out, 4);
	h_free(out, n);
	cr_assert_eq(n, 0, "%u frames sent", n);
}

Test(ipv4, echo_reply)
{
	uint8_t pkt[256];
	struct rte_mbuf *out[4];
	uint16_t len = ping(pkt, h_ip(H_GW_ADDR), h_ip(H_EXT_ADDR), 56);

	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, pkt, len, RTE_ETHER_TYPE_IPV4));
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 1);
	struct rte_mbuf *r = out[0];
	cr_assert_eq(rte_pktmbuf_pkt_len(r), sizeof(struct rte_ether_hdr) + len);
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(r, const struct rte_ipv4_hdr *,
							       sizeof(struct rte_ether_hdr));
	cr_assert_eq(ip->src_addr, h_ip(H_EXT_ADDR));
	cr_assert_eq(ip->dst_addr, h_ip(H_GW_ADDR));
	cr_assert_eq(ip->time_to_live, 64);
	cr_assert_eq(rte_raw_cksum(ip, sizeof(*ip)), 0xffff);
	const struct rte_icmp_hdr *ih = (const struct rte_icmp_hdr *)(ip + 1);
	cr_assert_eq(ih->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	cr_assert_eq(ih->icmp_ident, RTE_BE16(0x1234));
	cr_assert_eq(rte_raw_cksum(ih, len - sizeof(*ip)), 0xffff);
	cr_assert_eq(memcmp(ih + 1, pkt + 28, 56), 0);
	h_free(out, 1);
	cr_assert_eq(h_ctx.cnt.icmp_echo, 1);
	cr_assert_eq(h_drops(), 0);
}

Test(ipv4, ethernet_padding_is_trimmed)
{
	uint8_t pkt[256] = { 0 };
	struct rte_mbuf *out[4];
	uint16_t len = ping(pkt, h_ip(H_GW_ADDR), h_ip(H_EXT_ADDR), 2); /* 30 bytes */

	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, pkt, 46, RTE_ETHER_TYPE_IPV4));
	cr_assert_eq(h_sent(NET_IFACE_EXTERNAL, out, 4), 1);
	cr_assert_eq(rte_pktmbuf_pkt_len(out[0]), sizeof(struct rte_ether_hdr) + len);
	h_free(out, 1);
}

struct bad_header {
	const char *what;
	void (*spoil)(uint8_t *pkt, uint16_t *len);
	enum net_drop why;
};

static void fix_cksum(uint8_t *pkt)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)pkt;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}
static void sp_cksum(uint8_t *p, uint16_t *l) { p[10] ^= 0x55; }
static void sp_version(uint8_t *p, uint16_t *l) { p[0] = 0x65; fix_cksum(p); }
static void sp_ihl_small(uint8_t *p, uint16_t *l) { p[0] = 0x44; }
static void sp_ihl_big(uint8_t *p, uint16_t *l) { p[0] = 0x4f; *l = 40; }
static void sp_total_long(uint8_t *p, uint16_t *l) { p[2] = 0x05; fix_cksum(p); }
static void sp_total_short(uint8_t *p, uint16_t *l) { p[2] = 0; p[3] = 12; fix_cksum(p); }
static void sp_truncated(uint8_t *p, uint16_t *l) { *l = 12; }
static void sp_ttl0(uint8_t *p, uint16_t *l) { p[8] = 0; fix_cksum(p); }
static void sp_proto(uint8_t *p, uint16_t *l) { p[9] = 47; fix_cksum(p); }
static void sp_other_ip(uint8_t *p, uint16_t *l) { p[19] = 99; fix_cksum(p); }
static void sp_loopback(uint8_t *p, uint16_t *l) { p[12] = 127; fix_cksum(p); }
static void sp_ourself(uint8_t *p, uint16_t *l) { p[15] = 1; fix_cksum(p); }
static void sp_bcast_src(uint8_t *p, uint16_t *l) { memset(p + 12, 0xff, 4); fix_cksum(p); }
static void sp_icmp_cksum(uint8_t *p, uint16_t *l) { p[22] ^= 1; }
static void sp_icmp_short(uint8_t *p, uint16_t *l) { p[2] = 0; p[3] = 24; *l = 24; fix_cksum(p); }
static void sp_icmp_type(uint8_t *p, uint16_t *l)
{
	p[20] = 13; /* timestamp request */
	p[22] = p[23] = 0;
	uint16_t c = (uint16_t)~rte_raw_cksum(p + 20, *l - 20);
	memcpy(p + 22, &c, 2);
}

Test(ipv4, hostile_headers_are_counted_not_answered)
{
	static const struct bad_header table[] = {
		{ "checksum", sp_cksum, NET_DROP_BAD_CHECKSUM },
		{ "version 6", sp_version, NET_DROP_BAD_IP_HEADER },
		{ "IHL 4", sp_ihl_small, NET_DROP_BAD_IP_HEADER },
		{ "IHL past the data", sp_ihl_big, NET_DROP_TRUNCATED },
		{ "total length past the frame", sp_total_long, NET_DROP_TRUNCATED },
		{ "total length under IHL", sp_total_short, NET_DROP_BAD_IP_HEADER },
		{ "12 bytes of IP", sp_truncated, NET_DROP_TRUNCATED },
		{ "TTL 0", sp_ttl0, NET_DROP_TTL_EXPIRED },
		{ "GRE", sp_proto, NET_DROP_IP_PROTO },
		{ "not our address", sp_other_ip, NET_DROP_OTHER_IP },
		{ "loopback source", sp_loopback, NET_DROP_MARTIAN },
		{ "our own source", sp_ourself, NET_DROP_MARTIAN },
		{ "broadcast source", sp_bcast_src, NET_DROP_MARTIAN },
		{ "ICMP checksum", sp_icmp_cksum, NET_DROP_BAD_ICMP },
		{ "ICMP shorter than its header", sp_icmp_short, NET_DROP_TRUNCATED },
		{ "ICMP timestamp", sp_icmp_type, NET_DROP_ICMP_OTHER },
	};
	unsigned base = h_in_use();

	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		uint8_t pkt[256];
		uint16_t len = ping(pkt, h_ip(H_GW_ADDR), h_ip(H_EXT_ADDR), 16);
		uint64_t before = h_drop(table[i].why);
		table[i].spoil(pkt, &len);
		eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, pkt, len, RTE_ETHER_TYPE_IPV4));
		cr_expect_eq(h_drop(table[i].why), before + 1, "%s: not counted as %s",
			     table[i].what, net_drop_names[table[i].why]);
		expect_nothing_sent();
	}
	cr_assert_eq(h_drops(), sizeof(table) / sizeof(table[0]));
	cr_assert_eq(h_in_use(), base);
}

static int tcp_calls;
static void tcp_hook(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg)
{
	tcp_calls++;
	cr_assert_eq(m->l3_len, 20);
	cr_assert_eq(iface, NET_IFACE_EXTERNAL);
	rte_pktmbuf_free(m);
}

Test(ipv4, tcp_goes_to_the_hook)
{
	uint8_t l4[20] = { 0 }, pkt[64];
	uint16_t len = h_ipv4(pkt, h_ip(H_GW_ADDR), h_ip(H_EXT_ADDR), IPPROTO_TCP, l4, 20, 0, 1);

	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, pkt, len, RTE_ETHER_TYPE_IPV4));
	cr_assert_eq(h_drop(NET_DROP_NO_TCP), 1, "unplugged TCP counts no_tcp");
	expect_nothing_sent();
	h_ctx.tcp_input = tcp_hook;
	eth_input(&h_ctx, h_frame(NET_IFACE_EXTERNAL, pkt, len, RTE_ETHER_TYPE_IPV4));
	cr_assert_eq(tcp_calls, 1);
}

/* A UDP echo request of dlen bytes cut into fragments of frag bytes. */
static unsigned fragments(struct rte_mbuf **f, uint16_t dlen, uint16_t frag, uint16_t id)
{
	static uint8_t data[9000], l4[9100], pkt[1600];
	for (unsigned i = 0; i < dlen; i++)
		data[i] = (uint8_t)(i * 7);
	uint16_t l4len = h_udp(l4, h_ip(H_GW_ADDR), h_ip(H_EXT_ADDR), 5555, H_ECHO_PORT, data, dlen);
	unsigned n = 0;
	for (uint16_t off = 0; off < l4len; off = (uint16_t)(off + frag)) {
		uint16_t part = (uint16_t)RTE_MIN(frag, l4len - off);
		uint16_t flags = (uint16_t)(off / 8) | (off + part < l4len ? RTE_IPV4_HDR_MF_FLAG : 0);
		uint16_t len = h_ipv4(pkt, h_ip(H_GW_ADDR), h_ip(H_EXT_ADDR), IPPROTO_UDP,
				      l4 + off, part, flags, id);
		f[n++] = h_frame(NET_IFACE_EXTERNAL, pkt, len, RTE_ETHER_TYPE_IPV4);
	}
	return n;
}

Test(ipv4, reassembles_and_fragments_a_4000_byte_echo)
{
	struct rte_mbuf *f[16], *out[16];
	unsigned base = h_in_use();
	unsigned n = fragments(f, 4000, 1480, 77);

	cr_assert_eq(n, 3);
	/* out of order: last first */
	eth_input(&h_ctx, f[2]);
	eth_input(&h_ctx, f[0]);
	eth_input(&h_ctx, f[1]);
	unsigned k = h_sent(NET_IFACE_EXTERNAL, out, 16);
	cr_assert_eq(k, 3, "%u fragments sent back", k);
	cr_assert_eq(h_ctx.cnt.reassembled, 1);
	cr_assert_eq(h_ctx.cnt.fragmented, 1);

	uint8_t whole[4100];
	uint32_t total = 0;
	for (unsigned i = 0; i < k; i++) {
		struct rte_mbuf *m = out[i];
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								       sizeof(struct rte_ether_hdr));
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		uint16_t plen = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - 20);
		cr_assert_leq(rte_pktmbuf_pkt_len(m) - sizeof(struct rte_ether_hdr), NET_MTU);
		cr_assert_eq(rte_raw_cksum(ip, 20), 0xffff, "fragment %u header checksum", i);
		cr_assert_eq(ip->src_addr, h_ip(H_EXT_ADDR));
		cr_assert_eq((fo & RTE_IPV4_HDR_MF_FLAG) != 0, i + 1 < k);
		const void *p = rte_pktmbuf_read(m, sizeof(struct rte_ether_hdr) + 20, plen,
						 whole + (fo & RTE_IPV4_HDR_OFFSET_MASK) * 8);
		if (p != whole + (fo & RTE_IPV4_HDR_OFFSET_MASK) * 8)
			memcpy(whole + (fo & RTE_IPV4_HDR_OFFSET_MASK) * 8, p, plen);
		total += plen;
	}
	cr_assert_eq(total, 4008);
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)whole;
	cr_assert_eq(uh->src_port, RTE_BE16(H_ECHO_PORT));
	cr_assert_eq(uh->dst_port, RTE_BE16(5555));
	for (unsigned i = 0; i < 4000; i++)
		cr_assert_eq(whole[8 + i], (uint8_t)(i * 7));
	h_free(out, k);
	cr_assert_eq(h_drops(), 0);
	cr_assert_eq(h_in_use(), base);
}

Test(ipv4, incomplete_datagrams_expire)
{
	struct rte_mbuf *f[16];
	unsigned base = h_in_use();
	unsigned n = fragments(f, 4000, 1480, 78);

	eth_input(&h_ctx, f[0]);
	eth_input(&h_ctx, f[2]);
	rte_pktmbuf_free(f[1]);
	expect_nothing_sent();
	cr_assert_eq(h_in_use(), base + 2);
	h_ctx.now += 3 * rte_get_tsc_hz();
	net_timer(&h_ctx);
	cr_assert_eq(h_drop(NET_DROP_FRAG_TIMEOUT), 2);
	cr_assert_eq(h_in_use(), base);
	(void)n;
}

Test(ipv4, hostile_fragments_do_not_leak)
{
	struct rte_mbuf *f[64];
	unsigned base = h_in_use();

	/* the same fragment twice, small pieces, more pieces than allowed */
	for (uint16_t id = 100; id < 140; id++) {
		unsigned n = fragments(f, (uint16_t)(1000 + id), (uint16_t)(64 * (1 + id % 5)), id);
		for (unsigned i = 0; i < n; i++) {
			if (i % 3 == 1) {
				struct rte_mbuf *c = rte_pktmbuf_copy(f[i], h_pool, 0, UINT32_MAX);
				c->port = f[i]->port;
				eth_input(&h_ctx, c);
			}
			eth_input(&h_ctx, f[i]);
		}
		struct rte_mbuf *out[16];
		unsigned k;
		while ((k = h_sent(NET_IFACE_EXTERNAL, out, 16)) > 0)
			h_free(out, k);
	}
	h_ctx.now += 3 * rte_get_tsc_hz();
	net_timer(&h_ctx);
	cr_assert_eq(h_in_use(), base);
	cr_assert_gt(h_drop(NET_DROP_FRAG_ERROR) + h_drop(NET_DROP_FRAG_TIMEOUT), 0);
}

Test(ipv4, a_2000_byte_echo_returns_in_two_fragments)
{
	struct rte_mbuf *f[16], *out[4];
	unsigned n = fragments(f, 2000, 1480, 79);

	for (unsigned i = 0; i < n; i++)
		eth_input(&h_ctx, f[i]);
	unsigned k = h_sent(NET_IFACE_EXTERNAL, out, 4);
	cr_assert_eq(k, 2);
	h_free(out, k);
}

/* To one of our own addresses (test-connectivity --local): no wire, no
 * ARP; the frame goes to the loopback hook marked with net_loop_flag, and
 * back in through eth_input it passes the martian check that stops the
 * same source from the wire. (To a media port of the internal side: open
 * without a snapshot.) */
static struct rte_mbuf *looped;
static bool loop_hook(struct net_ctx *ctx, struct rte_mbuf *m, void *arg)
{
	looped = m;
	return true;
}

static int udp_calls;
static void udp_hook(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg)
{
	udp_calls++;
	cr_expect_eq(iface, NET_IFACE_INTERNAL);
	rte_pktmbuf_free(m);
}

Test(ipv4, to_our_own_address_loops_back)
{
	static const char msg[] = "OPTIONS sip:um1.example.test SIP/2.0\r\n\r\n";
	const struct net_iface *in = &h_ctx.ifaces[NET_IFACE_INTERNAL];
	uint8_t pkt[256], l4[128];
	struct rte_ether_hdr *eh;
	uint16_t len;

	cr_assert_eq(net_loopback_init(), 0);
	cr_assert_neq(net_loop_flag, 0);
	/* without a hook: no route, nothing on the wire */
	cr_assert_eq(udp_send(&h_ctx, h_ip(H_INT_ADDR), 5060, h_ip(H_INT_ADDR), 5060, msg,
			      sizeof(msg) - 1), 0);
	cr_expect_eq(h_drop(NET_DROP_NO_ROUTE), 1);

	h_ctx.loopback = loop_hook;
	h_ctx.udp.media_first[NET_IFACE_INTERNAL] = 30000;
	h_ctx.udp.media_last[NET_IFACE_INTERNAL] = 30001;
	cr_assert_eq(udp_send(&h_ctx, h_ip(H_INT_ADDR), 5060, h_ip(H_INT_ADDR), 30000, msg,
			      sizeof(msg) - 1), 0);
	cr_assert_not_null(looped, "handed to the loopback hook");
	cr_expect(looped->ol_flags & net_loop_flag, "marked as ours");
	cr_expect_eq(looped->port, in->port_id);
	eh = rte_pktmbuf_mtod(looped, struct rte_ether_hdr *);
	cr_expect(rte_is_same_ether_addr(&eh->dst_addr, &in->mac));
	cr_expect(rte_is_same_ether_addr(&eh->src_addr, &in->mac));
	{
		struct rte_mbuf *out[4];
		unsigned n = h_sent(NET_IFACE_INTERNAL, out, 4);
		h_free(out, n);
		cr_expect_eq(n, 0, "nothing on the internal wire either");
	}

	/* back in: it reaches UDP */
	h_ctx.udp_input = udp_hook;
	eth_input(&h_ctx, looped);
	looped = NULL;
	cr_expect_eq(h_drop(NET_DROP_MARTIAN), 0, "our own frame is no martian");
	cr_expect_eq(udp_calls, 1, "delivered to UDP (%llu drops)", (unsigned long long)h_drops());

	/* the same source from the wire, unmarked: a martian */
	len = h_udp(l4, h_ip(H_INT_ADDR), h_ip(H_INT_ADDR), 5060, 30000, msg, sizeof(msg) - 1);
	len = h_ipv4(pkt, h_ip(H_INT_ADDR), h_ip(H_INT_ADDR), IPPROTO_UDP, l4, len, 0, 5);
	eth_input(&h_ctx, h_frame(NET_IFACE_INTERNAL, pkt, len, RTE_ETHER_TYPE_IPV4));
	cr_expect_eq(h_drop(NET_DROP_MARTIAN), 1, "spoofed from the wire: dropped");
	cr_expect_eq(udp_calls, 1);
	h_ctx.loopback = NULL;
}
