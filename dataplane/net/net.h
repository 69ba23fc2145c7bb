/* The network stack of one worker: Ethernet, ARP, IPv4 (with reassembly and
 * fragmentation), ICMP, UDP. Everything a worker needs to run the stack lives
 * in one struct net_ctx, owned by that worker's lcore and passed explicitly;
 * nothing here locks, allocates from the heap, logs or makes a syscall per
 * packet. Higher layers (TCP, SIP, media) plug in through the hooks. */
#ifndef UMEDGE_NET_H
#define UMEDGE_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "drop.h"

#define NET_BURST 32
#define NET_MAX_PORTS 4          /* DPDK port ids the stack can use */
#define NET_IFACE_EXTERNAL 0
#define NET_IFACE_INTERNAL 1
#define NET_N_IFACES 2
#define NET_MTU 1500

#define NET_ARP_SLOTS 256        /* power of two */
#define NET_ARP_PENDING 64       /* packets awaiting resolution */
#define NET_ARP_TTL_S 300        /* a resolved entry is trusted this long */
#define NET_ARP_RETRY_MS 1000
#define NET_ARP_TRIES 3
#define NET_ICMP_RATE 100        /* port unreachable per second per worker */

struct dp_snapshot;
struct net_ctx;

/* One of our two addresses, bound to a DPDK port. All IPv4 fields are in
 * network byte order. */
struct net_iface {
	bool up;
	uint16_t port_id;
	struct rte_ether_addr mac;
	uint32_t addr, mask, gateway; /* gateway 0: none */
	uint16_t mtu;
};

/* Ranges and services the UDP layer demultiplexes (host byte order). */
struct net_udp_conf {
	uint16_t echo_port;          /* 0: diagnostic echo off */
	uint16_t sip_port;           /* SIP over UDP (5060); 0: no SIP */
	uint16_t ng_port;            /* rtpengine's ng on the internal side; 0: off */
	uint16_t media_first[NET_N_IFACES], media_last[NET_N_IFACES];
};

/* Hook for a protocol above IPv4. m starts at the IPv4 header, m->l3_len is
 * set, the header was checked and the packet is addressed to iface. The
 * hook takes ownership of m. */
typedef void (*net_l4_hook)(struct net_ctx *ctx, struct rte_mbuf *m,
			    unsigned iface, void *arg);

enum arp_state { ARP_FREE = 0, ARP_INCOMPLETE, ARP_REACHABLE };

struct arp_entry {
	uint32_t ip;                 /* network order; 0 when free */
	uint8_t state;
	uint8_t iface;
	uint8_t tries;
	struct rte_ether_addr mac;
	uint64_t expires;            /* tsc */
	uint64_t last_request;       /* tsc */
};

struct arp_pending {
	struct rte_mbuf *m;          /* starts at the IPv4 header */
	uint32_t next_hop;
	uint8_t iface;
	uint64_t since;
};

/* Counters of one worker; summed on read by the main lcore. */
struct net_counters {
	uint64_t rx_packets, tx_packets;
	uint64_t port_rx[NET_MAX_PORTS], port_tx[NET_MAX_PORTS];
	uint64_t drops[NET_DROP_MAX];
	uint64_t arp_replies, icmp_echo, udp_echo, reassembled, fragmented;
} __rte_cache_aligned;

struct net_ctx {
	/* configuration, fixed after net_ctx_init */
	struct net_iface ifaces[NET_N_IFACES];
	int8_t port_iface[NET_MAX_PORTS];    /* port id -> iface index or -1 */
	struct net_udp_conf udp;
	uint16_t tx_queue;                   /* this worker's TX queue */
	struct rte_mempool *pool;            /* direct mbufs */
	struct rte_mempool *pool_indirect;   /* for fragmentation */
	uint64_t hz;

	/* refreshed by the owner at each burst */
	uint64_t now;                        /* rte_rdtsc() */
	bool worked;                         /* a hook worked this loop without packets
	                                        (timers): the loop counts as busy */
	uint64_t port_cycles;                /* this loop's TSC cycles in the ports'
	                                        RX and TX bursts (the driver) */
	const struct dp_snapshot *snap;      /* may be NULL: no control yet */

	/* hooks for higher layers; defaults count a drop */
	net_l4_hook tcp_input;
	void *tcp_arg;
	net_l4_hook udp_input;               /* ports open but not served here */
	void *udp_arg;
	/* called once per worker loop, after the bursts and before the TX
	 * flush (timers of a higher layer, e.g. tcp_stack_poll); NULL: none */
	void (*poll_hook)(struct net_ctx *ctx, void *arg);
	void *poll_arg;
	/* a reassembled datagram: returns true when it took m (e.g. handed to
	 * the worker owning the flow); NULL: always handled here */
	bool (*steer)(struct net_ctx *ctx, struct rte_mbuf *m, void *arg);
	void *steer_arg;
	/* a frame the stack sent to one of its own addresses (the engine
	 * testing its own listeners): handed to the worker owning its flow,
	 * received from there as if from iface's port; returns true when it
	 * took m. NULL: such frames are dropped (no_route). */
	bool (*loopback)(struct net_ctx *ctx, struct rte_mbuf *m, void *arg);
	void *loopback_arg;

	/* TX buffers, one per port, flushed by net_flush */
	struct rte_mbuf *txb[NET_MAX_PORTS][NET_BURST];
	uint16_t txn[NET_MAX_PORTS];

	/* ARP */
	struct arp_entry arp[NET_ARP_SLOTS];
	struct arp_pending pending[NET_ARP_PENDING];
	uint16_t n_pending;

	/* IPv4 */
	uint16_t ip_id;
	struct rte_ip_frag_tbl *frag_tbl;
	struct rte_ip_frag_death_row death_row;
	uint64_t next_timer;

	/* ICMP error rate limit: token bucket */
	uint32_t icmp_tokens;
	uint64_t icmp_refill;

	struct net_counters cnt;
};

static inline void net_drop(struct net_ctx *ctx, struct rte_mbuf *m, enum net_drop why)
{
	ctx->cnt.drops[why]++;
	rte_pktmbuf_free(m);
}

/* Set up ctx: ifaces, pools, frag table. Returns 0 or a negative errno. */
int net_ctx_init(struct net_ctx *ctx, const struct net_iface *ifaces,
		 const struct net_udp_conf *udp, uint16_t tx_queue,
		 struct rte_mempool *pool, struct rte_mempool *pool_indirect);

/* Frames the stack sent to its own addresses carry this ol_flags bit (an
 * mbuf dynflag): their source is ours, which the martian check refuses
 * from the wire. 0 until net_loopback_init: no hairpin. */
extern uint64_t net_loop_flag;
/* Register the flag (main lcore, after EAL, before the workers). 0 or
 * -rte_errno. */
int net_loopback_init(void);

/* Free everything ctx holds: pending packets, fragments, TX buffers. */
void net_ctx_fini(struct net_ctx *ctx);

/* Receive one Ethernet frame from port; takes ownership of m. */
void eth_input(struct net_ctx *ctx, struct rte_mbuf *m);

/* Send m (starting at its IPv4 header, complete) towards the IPv4 next hop
 * on iface: ARP resolution, Ethernet header, TX buffer. Takes ownership. */
void eth_output_ip(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface,
		   uint32_t next_hop);

/* Queue a complete Ethernet frame for TX on iface. Takes ownership. */
void eth_tx(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface);

/* Hand the TX buffers to the ports. Call at the end of each burst. */
void net_flush(struct net_ctx *ctx);

/* Periodic work: ARP retries and expiry, fragment expiry, ICMP tokens. Cheap
 * when nothing is due; call once per loop. */
void net_timer(struct net_ctx *ctx);

/* ARP (arp.c) */
void arp_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, bool answer);
void arp_resolve_and_send(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface,
			  uint32_t next_hop);
/* Announce our address on iface (gratuitous ARP): neighbours that knew a
 * previous MAC of ours update their caches. */
void arp_announce(struct net_ctx *ctx, unsigned iface);
/* e is resolved but expired: ask again (at most once a second, 3 times). */
void arp_refresh(struct net_ctx *ctx, struct arp_entry *e);
void arp_timer(struct net_ctx *ctx);
void arp_flush_pending(struct net_ctx *ctx);
const struct arp_entry *arp_lookup(const struct net_ctx *ctx, uint32_t ip);

/* IPv4 (ipv4.c); m starts at the Ethernet header in ipv4_input. */
void ipv4_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface);
/* Route and send m (starting at its IPv4 header); fills TTL, id when 0 and
 * the header checksum, fragments to the MTU. Takes ownership. */
void ipv4_output(struct net_ctx *ctx, struct rte_mbuf *m);
/* Header checksum of ip (its checksum field is ignored), network order. */
uint16_t ipv4_cksum(const struct rte_ipv4_hdr *ip);
/* ipv4_output once the caller has routed m (ipv4_route): the same, without
 * a second look-up. */
void ipv4_output_routed(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface,
			uint32_t next_hop);
/* Which iface and next hop reach dst; -1 when no route. */
int ipv4_route(const struct net_ctx *ctx, uint32_t dst, uint32_t *next_hop);
/* Check an IPv4 header at the start of m (IPv4 at offset 0): version, IHL,
 * lengths against the mbuf, checksum. Returns 0, or -1 with the drop reason
 * in *why. Trims Ethernet padding beyond total_length, sets m->l3_len. */
int ipv4_check(struct rte_mbuf *m, enum net_drop *why);

/* Fragments (frag.c) */
struct rte_mbuf *frag_reassemble(struct net_ctx *ctx, struct rte_mbuf *m);
void frag_output(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface,
		 uint32_t next_hop);

/* ICMP (icmp.c); m starts at the IPv4 header */
void icmp_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface);
/* Send "destination unreachable, code" about offending datagram m (starting
 * at its IPv4 header), rate limited. Does not free m. */
void icmp_send_unreach(struct net_ctx *ctx, const struct rte_mbuf *m, uint8_t code);

/* UDP (udp.c); m starts at the IPv4 header */
void udp_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface);

/* Append len bytes to the chain that starts at head: the last segment's
 * tailroom first, then new segments from pool. 0, or -ENOBUFS (what was
 * appended stays; the caller frees the chain). */
int net_mbuf_write(struct rte_mempool *pool, struct rte_mbuf *head, const void *buf, size_t len);

/* Send len bytes as one UDP datagram from src:sport to dst:dport (addresses
 * network order, ports host order): chained mbufs when it outgrows one,
 * IPv4 fragments when it outgrows the MTU. 0, -EMSGSIZE (over 64 KiB),
 * -ENETUNREACH (no route to dst: nothing built, nothing counted) or
 * -ENOBUFS (no mbuf, counted as a drop). */
int udp_send(struct net_ctx *ctx, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
	     const void *buf, size_t len);

/* RFC 862 echo (echo.c): turn the datagram around. Takes ownership. */
void echo_udp(struct net_ctx *ctx, struct rte_mbuf *m);

/* Default hooks: count a drop. */
void net_tcp_unplugged(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg);
void net_udp_unplugged(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg);

#endif
