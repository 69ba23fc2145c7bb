/* Harness for the stack's unit tests (see test_net_harness.h). */
#include "test_net_harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

struct net_ctx h_ctx;
struct rte_mempool *h_pool;
uint16_t h_port[NET_N_IFACES];
struct rte_ether_addr h_peer_mac = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a } };

static struct rte_mempool *h_indirect;
static struct rte_ring *h_rx[NET_N_IFACES], *h_tx[NET_N_IFACES];

uint32_t h_ip(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static uint16_t h_ring_port(unsigned i)
{
	char name[32];
	struct rte_eth_conf conf;
	int port;

	snprintf(name, sizeof(name), "hrx%u", i);
	h_rx[i] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "htx%u", i);
	h_tx[i] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	cr_assert(h_rx[i] != NULL && h_tx[i] != NULL);
	snprintf(name, sizeof(name), "hport%u", i);
	port = rte_eth_from_rings(name, &h_rx[i], 1, &h_tx[i], 1, 0);
	cr_assert_geq(port, 0, "rte_eth_from_rings");
	memset(&conf, 0, sizeof(conf));
	cr_assert_eq(rte_eth_dev_configure((uint16_t)port, 1, 1, &conf), 0);
	cr_assert_eq(rte_eth_rx_queue_setup((uint16_t)port, 0, 256, 0, NULL, h_pool), 0);
	cr_assert_eq(rte_eth_tx_queue_setup((uint16_t)port, 0, 256, 0, NULL), 0);
	cr_assert_eq(rte_eth_dev_start((uint16_t)port), 0);
	return (uint16_t)port;
}

void h_setup(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=umedge-ut-%d", getpid());
	char *argv[] = {
		"test_net", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=*:error", prefix, "-l", "0", NULL,
	};
	cr_assert_geq(rte_eal_init(11, argv), 0, "rte_eal_init");
	h_pool = rte_pktmbuf_pool_create("hpool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	h_indirect = rte_pktmbuf_pool_create("hind", 1023, 0, 0, 0, 0);
	cr_assert(h_pool != NULL && h_indirect != NULL);

	struct net_iface ifs[NET_N_IFACES];
	memset(ifs, 0, sizeof(ifs));
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		h_port[i] = h_ring_port(i);
		ifs[i].up = true;
		ifs[i].port_id = h_port[i];
		ifs[i].mtu = NET_MTU;
		ifs[i].mask = htonl(0xffffff00u);
		rte_eth_macaddr_get(h_port[i], &ifs[i].mac);
	}
	ifs[NET_IFACE_EXTERNAL].addr = h_ip(H_EXT_ADDR);
	ifs[NET_IFACE_EXTERNAL].gateway = h_ip(H_ROUTER);
	ifs[NET_IFACE_INTERNAL].addr = h_ip(H_INT_ADDR);
	struct net_udp_conf udp = {
		.echo_port = H_ECHO_PORT,
		.media_first = { 20000, 30000 },
		.media_last = { 29999, 39999 },
	};
	cr_assert_eq(net_ctx_init(&h_ctx, ifs, &udp, 0, h_pool, h_indirect), 0);
}

/* The EAL leaves its runtime folder (/var/run/dpdk/<prefix>) behind: one
 * per test process here, so remove it. */
static void remove_dir(const char *dir)
{
	char path[PATH_MAX];
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void h_teardown(void)
{
	char dir[PATH_MAX];

	net_ctx_fini(&h_ctx);
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	remove_dir(dir);
}

struct rte_mbuf *h_frame(unsigned iface, const void *l3, uint16_t len, uint16_t ethertype)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h_pool);

	cr_assert(m != NULL);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)
		rte_pktmbuf_append(m, (uint16_t)(sizeof(*eh) + len));
	cr_assert(eh != NULL);
	eh->dst_addr = h_ctx.ifaces[iface].mac;
	eh->src_addr = h_peer_mac;
	eh->ether_type = rte_cpu_to_be_16(ethertype);
	memcpy(eh + 1, l3, len);
	m->port = h_port[iface];
	return m;
}

uint16_t h_ipv4(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		const void *payload, uint16_t plen, uint16_t frag_off_flags, uint16_t id)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + plen));
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset = rte_cpu_to_be_16(frag_off_flags);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memcpy(ip + 1, payload, plen);
	return (uint16_t)(sizeof(*ip) + plen);
}

uint16_t h_udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	       const void *data, uint16_t dlen)
{
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)buf;
	struct rte_ipv4_hdr ph;

	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + dlen));
	uh->dgram_cksum = 0;
	memcpy(uh + 1, data, dlen);
	memset(&ph, 0, sizeof(ph));
	ph.version_ihl = RTE_IPV4_VHL_DEF;
	ph.total_length = rte_cpu_to_be_16((uint16_t)(sizeof(ph) + sizeof(*uh) + dlen));
	ph.next_proto_id = IPPROTO_UDP;
	ph.src_addr = src;
	ph.dst_addr = dst;
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(&ph, uh);
	return (uint16_t)(sizeof(*uh) + dlen);
}

uint16_t h_icmp_echo(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq,
		     const void *data, uint16_t dlen)
{
	struct rte_icmp_hdr *ih = (struct rte_icmp_hdr *)buf;

	ih->icmp_type = type;
	ih->icmp_code = 0;
	ih->icmp_cksum = 0;
	ih->icmp_ident = rte_cpu_to_be_16(id);
	ih->icmp_seq_nb = rte_cpu_to_be_16(seq);
	memcpy(ih + 1, data, dlen);
	ih->icmp_cksum = (uint16_t)~rte_raw_cksum(ih, sizeof(*ih) + dlen);
	return (uint16_t)(sizeof(*ih) + dlen);
}

uint16_t h_arp(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
	       const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)buf;

	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = *sha;
	ah->arp_data.arp_sip = sip;
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = tip;
	return sizeof(*ah);
}

void h_learn(unsigned iface, uint32_t ip)
{
	uint8_t buf[64];
	struct rte_ether_addr zero = { { 0 } };
	struct rte_mbuf *out[8];
	uint16_t len = h_arp(buf, RTE_ARP_OP_REQUEST, &h_peer_mac, ip, &zero,
			     h_ctx.ifaces[iface].addr);
	struct rte_mbuf *m = h_frame(iface, buf, len, RTE_ETHER_TYPE_ARP);

	memset(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr.addr_bytes, 0xff, 6);
	eth_input(&h_ctx, m);
	h_free(out, h_sent(iface, out, 8)); /* the ARP reply */
}

unsigned h_sent(unsigned iface, struct rte_mbuf **out, unsigned max)
{
	net_flush(&h_ctx);
	return rte_ring_dequeue_burst(h_tx[iface], (void **)out, max, NULL);
}

void h_free(struct rte_mbuf **m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

uint64_t h_drops(void)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < NET_DROP_MAX; i++)
		s += h_ctx.cnt.drops[i];
	return s;
}

uint64_t h_drop(enum net_drop why)
{
	return h_ctx.cnt.drops[why];
}

unsigned h_in_use(void)
{
	return rte_mempool_in_use_count(h_pool);
}
