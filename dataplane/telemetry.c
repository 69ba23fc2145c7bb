/* Telemetry: /umedge/ports, /umedge/workers, /umedge/drops, /umedge/mbufs,
 * /umedge/status. Callbacks run in the telemetry thread; they only read. */
#include "telemetry.h"

#include <stdio.h>
#include <stdlib.h>

#include <rte_telemetry.h>

#include "stats.h"

static const struct dp *tel_dp;
static const struct ctl *tel_ctl;

static struct stats_sum *tel_collect(void)
{
	struct stats_sum *s = malloc(sizeof(*s));

	if (s != NULL)
		stats_collect(tel_dp, s);
	return s;
}

static int tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct stats_sum *s = tel_collect();

	if (s == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < s->n_ports; i++) {
		struct rte_tel_data *p = rte_tel_data_alloc();
		if (p == NULL)
			break;
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_int(p, "id", s->ports[i].id);
		rte_tel_data_add_dict_int(p, "link", s->ports[i].link);
		rte_tel_data_add_dict_u64(p, "rx_packets", s->ports[i].rx_packets);
		rte_tel_data_add_dict_u64(p, "tx_packets", s->ports[i].tx_packets);
		rte_tel_data_add_dict_u64(p, "rx_dropped", s->ports[i].rx_dropped);
		rte_tel_data_add_dict_u64(p, "stack_rx", s->ports[i].stack_rx);
		rte_tel_data_add_dict_u64(p, "stack_tx", s->ports[i].stack_tx);
		rte_tel_data_add_dict_container(d, s->ports[i].name, p, 0);
	}
	free(s);
	return 0;
}

static int tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct stats_sum *s = tel_collect();
	char key[32];

	if (s == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct rte_tel_data *w = rte_tel_data_alloc();
		if (w == NULL)
			break;
		rte_tel_data_start_dict(w);
		rte_tel_data_add_dict_int(w, "lcore", (int)s->workers[i].lcore);
		rte_tel_data_add_dict_u64(w, "rx_packets", s->workers[i].rx_packets);
		rte_tel_data_add_dict_u64(w, "tx_packets", s->workers[i].tx_packets);
		rte_tel_data_add_dict_u64(w, "idle_sleeps", s->workers[i].idle_sleeps);
		rte_tel_data_add_dict_u64(w, "busy_cycles", s->workers[i].busy_cycles);
		rte_tel_data_add_dict_u64(w, "busy_polls", s->workers[i].busy_polls);
		rte_tel_data_add_dict_u64(w, "port_cycles", s->workers[i].port_cycles);
		snprintf(key, sizeof(key), "worker%u", i);
		rte_tel_data_add_dict_container(d, key, w, 0);
	}
	free(s);
	return 0;
}

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct stats_sum *s = tel_collect();

	if (s == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < NET_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(d, net_drop_names[i], s->drops[i]);
	free(s);
	return 0;
}

static int tel_status(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct stats_sum *s = tel_collect();

	if (s == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "connected", ctl_connected(tel_ctl));
	rte_tel_data_add_dict_u64(d, "snapshot_version", s->snapshot_version);
	rte_tel_data_add_dict_int(d, "workers", (int)s->n_workers);
	rte_tel_data_add_dict_int(d, "rss", tel_dp->rss);
	rte_tel_data_add_dict_u64(d, "mbufs_in_use", s->mbuf_in_use);
	rte_tel_data_add_dict_u64(d, "mbufs_total", s->mbuf_total);
	rte_tel_data_add_dict_u64(d, "arp_replies", s->arp_replies);
	rte_tel_data_add_dict_u64(d, "icmp_echo", s->icmp_echo);
	rte_tel_data_add_dict_u64(d, "udp_echo", s->udp_echo);
	rte_tel_data_add_dict_u64(d, "reassembled", s->reassembled);
	rte_tel_data_add_dict_u64(d, "fragmented", s->fragmented);
	free(s);
	return 0;
}

int telemetry_register(const struct dp *dp, const struct ctl *ctl)
{
	tel_dp = dp;
	tel_ctl = ctl;
	if (rte_telemetry_register_cmd("/umedge/status", tel_status,
				       "Dataplane summary: control link, snapshot, mbufs, counters") ||
	    rte_telemetry_register_cmd("/umedge/ports", tel_ports,
				       "Per port: link, packets, drops") ||
	    rte_telemetry_register_cmd("/umedge/workers", tel_workers,
				       "Per worker lcore: packets") ||
	    rte_telemetry_register_cmd("/umedge/drops", tel_drops,
				       "Dropped packets by reason, all workers"))
		return -1;
	return 0;
}
