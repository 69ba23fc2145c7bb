/* Harness for the stack's unit tests: an EAL without hugepages or PCI, two
 * net_ring ports (external, internal) whose TX rings the tests read, a
 * net_ctx configured like the demo, and builders for crafted frames. */
#ifndef UMEDGE_TEST_NET_HARNESS_H
#define UMEDGE_TEST_NET_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "net/net.h"

#define H_EXT_ADDR "192.0.2.1"
#define H_GW_ADDR "192.0.2.10"      /* a peer on the external subnet */
#define H_ROUTER "192.0.2.254"      /* the external default gateway */
#define H_INT_ADDR "198.51.100.1"
#define H_APP_ADDR "198.51.100.20"
#define H_FAR_ADDR "203.0.113.5"    /* reached through the router */
#define H_ECHO_PORT 7

extern struct net_ctx h_ctx;
extern struct rte_mempool *h_pool;
extern uint16_t h_port[NET_N_IFACES];
extern struct rte_ether_addr h_peer_mac;   /* MAC the crafted frames come from */

uint32_t h_ip(const char *s);                /* network order */
void h_setup(void);                          /* Criterion .init */
void h_teardown(void);                       /* Criterion .fini */

/* Frames: each returns an mbuf holding a complete Ethernet frame that
 * arrived on iface. Checksums are right unless the test breaks them. */
struct rte_mbuf *h_frame(unsigned iface, const void *l3, uint16_t len, uint16_t ethertype);
/* IPv4 packet with payload (the L4 header included in payload). */
uint16_t h_ipv4(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		const void *payload, uint16_t plen, uint16_t frag_off_flags, uint16_t id);
/* UDP datagram (header + data) with the right checksum for src/dst. */
uint16_t h_udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	       const void *data, uint16_t dlen);
uint16_t h_icmp_echo(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq,
		     const void *data, uint16_t dlen);
uint16_t h_arp(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
	       const struct rte_ether_addr *tha, uint32_t tip);

/* Teach the stack the peer's MAC (ARP request from ip on iface). */
void h_learn(unsigned iface, uint32_t ip);
/* Flush the stack and collect up to max frames it sent on iface. */
unsigned h_sent(unsigned iface, struct rte_mbuf **out, unsigned max);
void h_free(struct rte_mbuf **m, unsigned n);
/* Sum of all drop counters, and one of them. */
uint64_t h_drops(void);
uint64_t h_drop(enum net_drop why);
/* mbufs out of the pool right now. */
unsigned h_in_use(void);

#endif
