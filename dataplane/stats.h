/* Counters: kept per worker, summed on read (main lcore, telemetry). */
#ifndef UMEDGE_DP_STATS_H
#define UMEDGE_DP_STATS_H

#include <jansson.h>

#include "dp.h"
#include "worker_tcp.h"

struct stats_port {
	uint16_t id;
	unsigned side;                   /* NET_IFACE_EXTERNAL or NET_IFACE_INTERNAL */
	char name[RTE_DEV_NAME_MAX_LEN];
	bool link;
	uint64_t rx_packets, tx_packets, rx_dropped;
	uint64_t stack_rx, stack_tx;     /* as seen by the workers */
};

struct stats_worker {
	unsigned lcore;
	uint64_t rx_packets, tx_packets, idle_sleeps;
	uint64_t busy_cycles, busy_polls, port_cycles;
	uint64_t drops[NET_DROP_MAX];    /* this worker's, by reason */
};

struct stats_sum {
	unsigned n_ports, n_workers;
	struct stats_port ports[NET_N_IFACES];
	struct stats_worker workers[DP_MAX_WORKERS];
	uint64_t drops[NET_DROP_MAX];
	uint64_t arp_replies, icmp_echo, udp_echo, reassembled, fragmented;
	unsigned mbuf_in_use, mbuf_total;
	uint64_t snapshot_version;
	struct worker_tcp_sum tcp;       /* summed over the workers' stacks */
};

void stats_collect(const struct dp *dp, struct stats_sum *s);
/* The stats object of the control protocol (ctlproto.h). */
json_t *stats_to_json(const struct stats_sum *s);

#endif
