/* umedge-dataplane: the process-wide state and the per-lcore worker. */
#ifndef UMEDGE_DP_H
#define UMEDGE_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_dev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "umedge/config.h"
#include "net/net.h"

#define DP_MAX_WORKERS 16
#define DP_RING_SIZE 1024
#define DP_LEARN_RING_SIZE 64

struct dp;
struct worker_tcp;

/* One worker lcore: its stack and its inboxes. Touched only by its lcore,
 * except the counters (read, summed, by the main lcore) and the rings. */
struct worker {
	struct net_ctx net;          /* first: the hot part */
	unsigned idx;                /* 0..n_workers-1, also the RCU thread id */
	unsigned lcore;
	bool polls_ports;            /* RX core (dispatch) or RSS queue owner */
	uint16_t rx_queue;           /* RSS: its queue; the RX core polls all */
	struct rte_ring *ring;       /* packets whose flow this worker owns */
	struct rte_ring *learn;      /* ARP copies: learn, never answer */
	struct dp *dp;
	struct worker_tcp *tcp;      /* its TCP stack (worker_tcp.c) */
	/* packets bound for other workers, enqueued at the end of a burst */
	struct rte_mbuf *out[DP_MAX_WORKERS][NET_BURST];
	uint16_t n_out[DP_MAX_WORKERS];
	uint64_t empty_polls;
	uint64_t idle_sleeps;
	/* the loop's cost: TSC cycles of the iterations that did work (packets,
	 * or a hook's timers), and how many; idle polls are not counted */
	uint64_t busy_cycles, busy_polls;
	/* of busy_cycles, those in the ports' RX and TX bursts: the driver's
	 * share (a system call per packet on TAP, tens of ns on a NIC) */
	uint64_t port_cycles;
} __rte_cache_aligned;

struct dp_port {
	bool used;
	uint16_t id;
	char name[RTE_DEV_NAME_MAX_LEN];
	uint16_t n_rxq, n_txq;
};

struct dp {
	const struct config *cfg;
	unsigned n_workers;
	enum config_idle idle;
	bool rss;                    /* one RX queue per worker */
	struct dp_port ports[NET_N_IFACES];
	struct net_iface ifaces[NET_N_IFACES];
	struct net_udp_conf udp;
	struct rte_mempool *pool, *pool_indirect;
	struct worker *workers[DP_MAX_WORKERS];
	char socket_path[108];
	volatile bool quit;
};

#endif
