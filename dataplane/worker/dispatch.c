/* Software dispatch: the RX core sends each packet to the worker that owns
 * its flow (see dispatch.h for the keys). */
#include "dispatch.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp.h"
#include "sip/sip_msg.h"

static inline uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static bool is_media_port(const struct net_udp_conf *udp, uint16_t port)
{
	for (unsigned i = 0; i < NET_N_IFACES; i++)
		if (port >= udp->media_first[i] && port <= udp->media_last[i] &&
		    udp->media_last[i] != 0)
			return true;
	return false;
}

uint32_t dispatch_media_key(uint16_t local_port)
{
	/* RTP and RTCP (port, port + 1, the first even) share a worker */
	return mix32(0x9e370000u ^ (uint32_t)(local_port & ~1u));
}

uint32_t dispatch_tcp_key(uint32_t remote, uint16_t remote_port, uint32_t local,
			  uint16_t local_port)
{
	uint32_t ports = ((uint32_t)remote_port << 16) | local_port;

	return mix32(mix32(remote ^ 0x7f4a7c15u) ^ local ^ mix32(ports));
}

uint32_t dispatch_sip_key(uint64_t h)
{
	return mix32((uint32_t)h ^ (uint32_t)(h >> 32) ^ 0x51b0c411u);
}

/* A datagram to the SIP port: by Call-ID when the first segment shows it. */
static uint32_t sip_udp_key(const struct rte_udp_hdr *uh, uint32_t avail, uint32_t src)
{
	uint64_t h;

	if (avail > sizeof(*uh) &&
	    sip_call_id_hash((const char *)(uh + 1), avail - sizeof(*uh), &h))
		return dispatch_sip_key(h);
	return mix32(src);
}

uint32_t dispatch_ip_key(const void *p, uint32_t len, const struct net_udp_conf *udp)
{
	const struct rte_ipv4_hdr *ip = p;

	if (len < sizeof(*ip))
		return 0;
	uint32_t src = rte_be_to_cpu_32(ip->src_addr);
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	if (rte_ipv4_frag_pkt_is_fragmented(ip) || ihl < sizeof(*ip))
		return mix32(src);

	switch (ip->next_proto_id) {
	case IPPROTO_UDP: {
		if (len < ihl + sizeof(struct rte_udp_hdr))
			return mix32(src);
		const struct rte_udp_hdr *uh = (const void *)((const uint8_t *)ip + ihl);
		uint16_t dport = rte_be_to_cpu_16(uh->dst_port);
		if (is_media_port(udp, dport))
			return dispatch_media_key(dport); /* media: our local port */
		if (dport == udp->sip_port && dport != 0)
			return sip_udp_key(uh, len - ihl, src);
		return mix32(src);
	}
	case IPPROTO_TCP: {
		if (len < ihl + sizeof(struct rte_tcp_hdr))
			return mix32(src);
		const struct rte_tcp_hdr *th = (const void *)((const uint8_t *)ip + ihl);
		return dispatch_tcp_key(src, rte_be_to_cpu_16(th->src_port),
					rte_be_to_cpu_32(ip->dst_addr),
					rte_be_to_cpu_16(th->dst_port));
	}
	default:
		return mix32(src);
	}
}

uint32_t dispatch_eth_key(const struct rte_mbuf *m, const struct net_udp_conf *udp)
{
	uint32_t len = rte_pktmbuf_data_len(m);

	if (len < sizeof(struct rte_ether_hdr))
		return 0;
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return DISPATCH_ALL;
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return 0;
	return dispatch_ip_key(eh + 1, len - (uint32_t)sizeof(*eh), udp);
}

static void dispatch_to(struct worker *w, unsigned target, struct rte_mbuf *m)
{
	if (w->n_out[target] == NET_BURST)
		dispatch_flush(w);
	w->out[target][w->n_out[target]++] = m;
}

void dispatch_handoff(struct worker *w, unsigned target, struct rte_mbuf *m, bool at_ip)
{
	if (at_ip && rte_pktmbuf_prepend(m, sizeof(struct rte_ether_hdr)) == NULL) {
		net_drop(&w->net, m, NET_DROP_NO_MBUF);
		return;
	}
	dispatch_to(w, target, m);
}

/* ARP: this worker answers; every other one gets a copy to learn from. */
static void dispatch_arp(struct worker *w, struct rte_mbuf *m)
{
	struct dp *dp = w->dp;

	for (unsigned i = 0; i < dp->n_workers; i++) {
		if (i == w->idx)
			continue;
		struct rte_mbuf *c = rte_pktmbuf_copy(m, w->net.pool, 0, UINT32_MAX);
		if (c == NULL) {
			w->net.cnt.drops[NET_DROP_NO_MBUF]++;
			continue;
		}
		if (rte_ring_enqueue(dp->workers[i]->learn, c) != 0) {
			w->net.cnt.drops[NET_DROP_RING_FULL]++;
			rte_pktmbuf_free(c);
		}
	}
	eth_input(&w->net, m);
}

void dispatch_burst(struct worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	unsigned nw = w->dp->n_workers;

	for (uint16_t i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		struct rte_mbuf *m = pkts[i];
		if (nw == 1) {
			eth_input(&w->net, m);
			continue;
		}
		uint32_t key = dispatch_eth_key(m, &w->net.udp);
		if (key == DISPATCH_ALL) {
			dispatch_arp(w, m);
			continue;
		}
		unsigned t = dispatch_owner(key, nw);
		if (t == w->idx)
			eth_input(&w->net, m);
		else
			dispatch_to(w, t, m);
	}
}

void dispatch_flush(struct worker *w)
{
	struct dp *dp = w->dp;

	for (unsigned t = 0; t < dp->n_workers; t++) {
		uint16_t n = w->n_out[t];
		if (n == 0)
			continue;
		unsigned ok = rte_ring_enqueue_burst(dp->workers[t]->ring, (void **)w->out[t],
						     n, NULL);
		for (unsigned i = ok; i < n; i++)
			net_drop(&w->net, w->out[t][i], NET_DROP_RING_FULL);
		w->n_out[t] = 0;
	}
}

bool dispatch_loopback(struct net_ctx *ctx, struct rte_mbuf *m, void *arg)
{
	struct worker *w = arg;
	unsigned nw = w->dp->n_workers;
	uint32_t key = nw > 1 ? dispatch_eth_key(m, &ctx->udp) : 0;

	/* never processed in place: the sender is deep in its own output */
	dispatch_to(w, key == DISPATCH_ALL || nw == 1 ? w->idx : dispatch_owner(key, nw), m);
	return true;
}

bool dispatch_steer(struct net_ctx *ctx, struct rte_mbuf *m, void *arg)
{
	struct worker *w = arg;
	unsigned nw = w->dp->n_workers;

	if (nw == 1)
		return false;
	uint32_t key = dispatch_ip_key(rte_pktmbuf_mtod(m, void *), rte_pktmbuf_data_len(m),
				       &ctx->udp);
	unsigned t = dispatch_owner(key, nw);
	if (t == w->idx)
		return false;
	/* The owner expects a frame: the first fragment's Ethernet header is
	 * still in the headroom. */
	if (rte_pktmbuf_prepend(m, sizeof(struct rte_ether_hdr)) == NULL) {
		net_drop(ctx, m, NET_DROP_NO_MBUF);
		return true;
	}
	dispatch_to(w, t, m);
	return true;
}
