/* Flow ownership: which worker handles a packet. Media is keyed by our local
 * port (a remote that latches a new port stays on its worker), TCP by its
 * 4-tuple, SIP over UDP by its Call-ID (every message of a call, from
 * either side, meets the same worker; one gateway's calls spread over all
 * of them), other UDP and ICMP by the remote address. ARP goes to every
 * worker (one answers, all learn). */
#ifndef UMEDGE_DP_DISPATCH_H
#define UMEDGE_DP_DISPATCH_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "net/net.h"

struct worker;

#define DISPATCH_ALL UINT32_MAX      /* ARP: every worker */

/* The flow key of an IPv4 packet starting at ip (len bytes available in the
 * first segment). Fragments are keyed by remote address (their ports are
 * not known until reassembly). */
uint32_t dispatch_ip_key(const void *ip, uint32_t len, const struct net_udp_conf *udp);

/* The key of a TCP connection, as its received segments will carry it (all
 * host byte order). The TCP stack's port_ok can pick, for an active open, a
 * local port whose key lands on the calling worker:
 *   dispatch_owner(dispatch_tcp_key(...), n_workers) == worker index. */
uint32_t dispatch_tcp_key(uint32_t remote, uint16_t remote_port, uint32_t local,
			  uint16_t local_port);

/* The key of a UDP datagram to one of our media ports (host order): the
 * port with its low bit cleared, so an RTP port (even) and its RTCP port
 * (+1) belong to the same worker. */
uint32_t dispatch_media_key(uint16_t local_port);

/* The key of a SIP message whose Call-ID hashes to h (sip_call_id_hash):
 * what the RX core computes for a datagram to the SIP port, and what the
 * SIP glue checks again after reassembly or stream framing. */
uint32_t dispatch_sip_key(uint64_t call_id_hash);

/* Hand m (an Ethernet frame, or an IPv4 packet whose Ethernet header is
 * still in its headroom: prepended here) to worker target's ring at the end
 * of the burst. Takes ownership; a failure is a counted drop. */
void dispatch_handoff(struct worker *w, unsigned target, struct rte_mbuf *m, bool at_ip);

/* The key of an Ethernet frame: DISPATCH_ALL for ARP; malformed frames get
 * key 0 (their first handler counts the drop). */
uint32_t dispatch_eth_key(const struct rte_mbuf *m, const struct net_udp_conf *udp);

static inline unsigned dispatch_owner(uint32_t key, unsigned n_workers)
{
	return (unsigned)(((uint64_t)key * n_workers) >> 32);
}

/* Process or hand off a burst received from a port (Ethernet frames). */
void dispatch_burst(struct worker *w, struct rte_mbuf **pkts, uint16_t n);
/* Enqueue what dispatch_burst buffered for other workers. */
void dispatch_flush(struct worker *w);
/* net_ctx loopback hook: a frame to our own address, to the worker owning
 * its flow (this one included), received at its next loop. */
bool dispatch_loopback(struct net_ctx *ctx, struct rte_mbuf *m, void *arg);
/* net_ctx steer hook: hand a reassembled datagram to its owner. */
bool dispatch_steer(struct net_ctx *ctx, struct rte_mbuf *m, void *arg);

#endif
