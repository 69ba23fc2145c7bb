/* DPDK ports: one RX queue (software dispatch) or one per worker (RSS), one
 * TX queue per worker. */
#include "port.h"

#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>

bool port_has_rss(uint16_t port_id, unsigned n_queues)
{
	struct rte_eth_dev_info info;

	if (n_queues <= 1)
		return true;
	if (rte_eth_dev_info_get(port_id, &info) != 0)
		return false;
	/* net_tap announces RSS but needs rte_flow BPF, absent on this kernel */
	if (strcmp(info.driver_name, "net_tap") == 0)
		return false;
	return info.max_rx_queues >= n_queues &&
	       (info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP)) != 0;
}

int port_start(struct dp *dp, unsigned iface, uint16_t port_id, uint16_t n_rxq)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t n_txq = (uint16_t)dp->n_workers;
	uint16_t nb_rxd = PORT_RX_DESC, nb_txd = PORT_TX_DESC;
	int rc;

	if (!rte_eth_dev_is_valid_port(port_id)) {
		RTE_LOG(ERR, USER1, "port %u does not exist (check the eal: vdevs/PCI)\n", port_id);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0)
		return rc;
	/* net_tap wants as many RX as TX queues; the kernel spreads packets
	 * over them, so the RX core polls them all */
	if (strcmp(info.driver_name, "net_tap") == 0 && n_rxq < n_txq)
		n_rxq = n_txq;
	if (info.max_tx_queues < n_txq || info.max_rx_queues < n_rxq) {
		RTE_LOG(ERR, USER1, "port %u: %u TX / %u RX queues needed, %u / %u available\n",
			port_id, n_txq, n_rxq, info.max_tx_queues, info.max_rx_queues);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	if (n_rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
	}
	rc = rte_eth_dev_configure(port_id, n_rxq, n_txq, &conf);
	if (rc != 0)
		goto out;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		goto out;
	int socket = rte_eth_dev_socket_id(port_id);
	for (uint16_t q = 0; q < n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, socket, NULL, dp->pool);
		if (rc != 0)
			goto out;
	}
	for (uint16_t q = 0; q < n_txq; q++) {
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, socket, NULL);
		if (rc != 0)
			goto out;
	}
	rc = rte_eth_dev_start(port_id);
	if (rc != 0)
		goto out;
	rc = rte_eth_macaddr_get(port_id, &dp->ifaces[iface].mac);
	if (rc != 0)
		goto out;
	struct dp_port *p = &dp->ports[iface];
	p->used = true;
	p->id = port_id;
	p->n_rxq = n_rxq;
	p->n_txq = n_txq;
	if (rte_eth_dev_get_name_by_port(port_id, p->name) != 0)
		snprintf(p->name, sizeof(p->name), "port%u", port_id);
out:
	if (rc != 0)
		RTE_LOG(ERR, USER1, "port %u: set-up failed: %s\n", port_id, rte_strerror(-rc));
	return rc;
}

void port_stop_all(struct dp *dp)
{
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		struct dp_port *p = &dp->ports[i];
		if (!p->used)
			continue;
		rte_eth_dev_stop(p->id);
		rte_eth_dev_close(p->id);
		p->used = false;
	}
}
