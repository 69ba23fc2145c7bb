/* Two net_ring ports around one worker (bench_ring.h). */
#include "bench_ring.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "worker.h"

struct bench_ring bench_ring;

static const struct rte_ether_addr peer_mac[NET_N_IFACES] = {
	{ { 0x02, 0, 0, 0, 0, 0x0a } }, { { 0x02, 0, 0, 0, 0, 0x14 } } };

uint32_t bench_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return rte_cpu_to_be_32((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d);
}

int bench_ring_port(const char *name, struct rte_mempool *pool, struct rte_ring **rx,
		    struct rte_ring **tx, uint16_t *port)
{
	char rn[RTE_RING_NAMESIZE];
	struct rte_eth_conf conf;
	int p;

	snprintf(rn, sizeof(rn), "%s_rx", name);
	*rx = rte_ring_create(rn, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(rn, sizeof(rn), "%s_tx", name);
	*tx = rte_ring_create(rn, 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (*rx == NULL || *tx == NULL)
		return -ENOMEM;
	p = rte_eth_from_rings(name, rx, 1, tx, 1, 0);
	if (p < 0)
		return -ENODEV;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure((uint16_t)p, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup((uint16_t)p, 0, 1024, 0, NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup((uint16_t)p, 0, 1024, 0, NULL) != 0 ||
	    rte_eth_dev_start((uint16_t)p) != 0)
		return -EIO;
	*port = (uint16_t)p;
	return 0;
}

static int setup_port(unsigned iface, struct rte_mempool *pool)
{
	char name[32];
	int rc;

	snprintf(name, sizeof(name), "br_port%u", iface);
	rc = bench_ring_port(name, pool, &bench_ring.rx[iface], &bench_ring.tx[iface],
			     &bench_ring.port_id[iface]);
	if (rc == 0)
		rte_eth_macaddr_get(bench_ring.port_id[iface], &bench_ring.our_mac[iface]);
	return rc;
}

int bench_ring_setup(struct dp *dp, struct rte_mempool *pool)
{
	int rc;

	for (unsigned i = 0; i < NET_N_IFACES; i++)
		if ((rc = setup_port(i, pool)) != 0)
			return rc;
	bench_ring.our_ip[0] = bench_ip4(192, 0, 2, 1);
	bench_ring.peer_ip[0] = bench_ip4(192, 0, 2, 10);
	bench_ring.our_ip[1] = bench_ip4(198, 51, 100, 1);
	bench_ring.peer_ip[1] = bench_ip4(198, 51, 100, 20);
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		struct net_iface *ifc = &dp->ifaces[i];

		ifc->up = true;
		ifc->port_id = bench_ring.port_id[i];
		ifc->addr = bench_ring.our_ip[i];
		ifc->mask = bench_ip4(255, 255, 255, 0);
		ifc->mtu = NET_MTU;
		ifc->mac = bench_ring.our_mac[i];
		dp->ports[i] = (struct dp_port){ .used = true, .id = bench_ring.port_id[i],
						 .n_rxq = 1, .n_txq = 1 };
	}
	return 0;
}

void bench_ring_frame(struct rte_mbuf *m, unsigned iface, uint16_t sport, uint16_t dport,
		      uint16_t plen)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	eh->dst_addr = bench_ring.our_mac[iface];
	eh->src_addr = peer_mac[iface];
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*uh) + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = bench_ring.peer_ip[iface];
	ip->dst_addr = bench_ring.our_ip[iface];
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + plen));
	uh->dgram_cksum = 0;
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	m->data_len = m->pkt_len = (uint32_t)(sizeof(*eh) + sizeof(*ip) + sizeof(*uh) + plen);
	m->port = bench_ring.port_id[iface];
}

void bench_arp_request(void *frame, const struct rte_ether_addr *mac, uint32_t sip,
		       uint32_t tip)
{
	struct rte_ether_hdr *ae = frame;
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(ae + 1);

	memset(&ae->dst_addr, 0xff, sizeof(ae->dst_addr));
	ae->src_addr = *mac;
	ae->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	ah->arp_data.arp_sha = *mac;
	ah->arp_data.arp_sip = sip;
	memset(&ah->arp_data.arp_tha, 0, 6);
	ah->arp_data.arp_tip = tip;
}

void bench_ring_arp_learn(struct worker *w, struct rte_mempool *pool, unsigned iface)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return;
	bench_arp_request(rte_pktmbuf_mtod(m, void *), &peer_mac[iface], bench_ring.peer_ip[iface],
			  bench_ring.our_ip[iface]);
	m->data_len = m->pkt_len = sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr);
	m->port = bench_ring.port_id[iface];
	if (rte_ring_enqueue(bench_ring.rx[iface], m) != 0)
		rte_pktmbuf_free(m);
	worker_poll(w);
}

unsigned bench_ring_drain(void)
{
	struct rte_mbuf *m[NET_BURST * 2];
	unsigned total = 0, n;

	for (unsigned i = 0; i < NET_N_IFACES; i++)
		while ((n = rte_ring_dequeue_burst(bench_ring.tx[i], (void **)m, NET_BURST * 2,
						   NULL)) > 0) {
			rte_pktmbuf_free_bulk(m, n);
			total += n;
		}
	return total;
}
