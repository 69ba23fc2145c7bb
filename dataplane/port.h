/* DPDK ports: queues, start, stop. */
#ifndef UMEDGE_DP_PORT_H
#define UMEDGE_DP_PORT_H

#include "dp.h"

#define PORT_RX_DESC 512
#define PORT_TX_DESC 512

/* Whether port_id can spread the given number of RX queues by RSS. */
bool port_has_rss(uint16_t port_id, unsigned n_queues);
/* Configure and start port_id for the stack as iface: n_rxq RX queues,
 * one TX queue per worker. Fills dp->ports[iface] and the iface MAC. */
int port_start(struct dp *dp, unsigned iface, uint16_t port_id, uint16_t n_rxq);
void port_stop_all(struct dp *dp);

#endif
