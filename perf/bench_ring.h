/* Two net_ring ports around one worker, for the in-process benchmarks
 * (media_bench, sip_worker_bench): the external port 192.0.2.1/24 with its
 * peer at 192.0.2.10, the internal 198.51.100.1/24 with 198.51.100.20.
 * The benchmark writes frames into a port's RX ring and reads what the
 * worker sent from its TX ring. */
#ifndef UMEDGE_BENCH_RING_H
#define UMEDGE_BENCH_RING_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"

struct bench_ring {
	struct rte_ring *rx[NET_N_IFACES], *tx[NET_N_IFACES];
	uint16_t port_id[NET_N_IFACES];
	struct rte_ether_addr our_mac[NET_N_IFACES];
	uint32_t our_ip[NET_N_IFACES], peer_ip[NET_N_IFACES]; /* network order */
};

extern struct bench_ring bench_ring;

uint32_t bench_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
/* One started net_ring port named NAME on two new rings (NAME_rx, NAME_tx,
 * 4096 each) over pool: 0 or a negative errno. */
int bench_ring_port(const char *name, struct rte_mempool *pool, struct rte_ring **rx,
		    struct rte_ring **tx, uint16_t *port);
/* The two ports started on pool and dp's ifaces and ports filled in. 0 or
 * a negative errno. */
int bench_ring_setup(struct dp *dp, struct rte_mempool *pool);
/* Ethernet, IPv4 and UDP from the peer of iface to us around an L4
 * payload already at offset 42. */
void bench_ring_frame(struct rte_mbuf *m, unsigned iface, uint16_t sport, uint16_t dport,
		      uint16_t plen);
/* An ARP who-has for tip from mac/sip, broadcast, into frame (42 octets:
 * Ethernet and ARP). */
void bench_arp_request(void *frame, const struct rte_ether_addr *mac, uint32_t sip,
		       uint32_t tip);
/* The peer of iface announces itself (ARP), so the worker can answer it. */
void bench_ring_arp_learn(struct worker *w, struct rte_mempool *pool, unsigned iface);
/* Free what the worker sent; returns how many packets. */
unsigned bench_ring_drain(void);

#endif
