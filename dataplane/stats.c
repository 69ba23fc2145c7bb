/* Summing per-worker counters and port statistics. */
#include "stats.h"

#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "snapshot.h"

static uint64_t rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void stats_collect(const struct dp *dp, struct stats_sum *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned w = 0; w < dp->n_workers; w++) {
		const struct worker *wk = dp->workers[w];
		const struct net_counters *c;
		if (wk == NULL)
			continue;
		c = &wk->net.cnt;
		struct stats_worker *sw = &s->workers[s->n_workers++];
		sw->lcore = wk->lcore;
		sw->rx_packets = rd(&c->rx_packets);
		sw->tx_packets = rd(&c->tx_packets);
		sw->idle_sleeps = rd(&wk->idle_sleeps);
		sw->busy_cycles = rd(&wk->busy_cycles);
		sw->busy_polls = rd(&wk->busy_polls);
		sw->port_cycles = rd(&wk->port_cycles);
		for (unsigned d = 0; d < NET_DROP_MAX; d++) {
			sw->drops[d] = rd(&c->drops[d]);
			s->drops[d] += sw->drops[d];
		}
		s->arp_replies += rd(&c->arp_replies);
		s->icmp_echo += rd(&c->icmp_echo);
		s->udp_echo += rd(&c->udp_echo);
		s->reassembled += rd(&c->reassembled);
		s->fragmented += rd(&c->fragmented);
		worker_tcp_collect(wk, &s->tcp);
	}
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		const struct dp_port *p = &dp->ports[i];
		struct rte_eth_stats es;
		struct rte_eth_link link;
		if (!p->used)
			continue;
		struct stats_port *sp = &s->ports[s->n_ports++];
		sp->id = p->id;
		sp->side = i;
		memcpy(sp->name, p->name, sizeof(sp->name));
		if (rte_eth_link_get_nowait(p->id, &link) == 0)
			sp->link = link.link_status == RTE_ETH_LINK_UP;
		if (rte_eth_stats_get(p->id, &es) == 0) {
			sp->rx_packets = es.ipackets;
			sp->tx_packets = es.opackets;
			sp->rx_dropped = es.imissed + es.rx_nombuf + es.ierrors;
		}
		for (unsigned w = 0; w < dp->n_workers; w++) {
			if (dp->workers[w] == NULL || p->id >= NET_MAX_PORTS)
				continue;
			sp->stack_rx += rd(&dp->workers[w]->net.cnt.port_rx[p->id]);
			sp->stack_tx += rd(&dp->workers[w]->net.cnt.port_tx[p->id]);
		}
	}
	if (dp->pool != NULL) {
		s->mbuf_total = dp->pool->size;
		s->mbuf_in_use = rte_mempool_in_use_count(dp->pool);
	}
	s->snapshot_version = snapshot_version();
}

json_t *stats_to_json(const struct stats_sum *s)
{
	json_t *o = json_object(), *ports = json_array(), *workers = json_array();
	json_t *drops = json_object(), *counters = json_object();

	if (o == NULL || ports == NULL || workers == NULL || drops == NULL || counters == NULL)
		goto fail;
	for (unsigned i = 0; i < s->n_ports; i++) {
		const struct stats_port *p = &s->ports[i];
		json_array_append_new(ports, json_pack("{s:i, s:s, s:s, s:b, s:I, s:I, s:I}",
			"id", (int)p->id, "name", p->name,
			"side", p->side == NET_IFACE_EXTERNAL ? "external" : "internal",
			"link", (int)p->link,
			"rx_packets", (json_int_t)p->rx_packets,
			"tx_packets", (json_int_t)p->tx_packets,
			"rx_dropped", (json_int_t)p->rx_dropped));
	}
	for (unsigned i = 0; i < s->n_workers; i++) {
		const struct stats_worker *w = &s->workers[i];
		json_t *wd = json_object();
		for (unsigned d = 0; wd != NULL && d < NET_DROP_MAX; d++)
			json_object_set_new(wd, net_drop_names[d], json_integer((json_int_t)w->drops[d]));
		json_array_append_new(workers, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o*}",
			"lcore", (int)w->lcore, "rx_packets", (json_int_t)w->rx_packets,
			"tx_packets", (json_int_t)w->tx_packets,
			"busy_cycles", (json_int_t)w->busy_cycles,
			"busy_polls", (json_int_t)w->busy_polls,
			"port_cycles", (json_int_t)w->port_cycles,
			"tsc_hz", (json_int_t)rte_get_tsc_hz(), "drops", wd));
	}
	for (unsigned d = 0; d < NET_DROP_MAX; d++)
		json_object_set_new(drops, net_drop_names[d], json_integer((json_int_t)s->drops[d]));
	json_object_set_new(counters, "arp_replies", json_integer((json_int_t)s->arp_replies));
	json_object_set_new(counters, "icmp_echo", json_integer((json_int_t)s->icmp_echo));
	json_object_set_new(counters, "udp_echo", json_integer((json_int_t)s->udp_echo));
	json_object_set_new(counters, "reassembled", json_integer((json_int_t)s->reassembled));
	json_object_set_new(counters, "fragmented", json_integer((json_int_t)s->fragmented));
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "workers", workers);
	json_object_set_new(o, "drops", drops);
	json_object_set_new(o, "counters", counters);
	json_object_set_new(o, "mbufs", json_pack("{s:i, s:i}", "in_use", (int)s->mbuf_in_use,
						  "total", (int)s->mbuf_total));
	json_object_set_new(o, "snapshot_version", json_integer((json_int_t)s->snapshot_version));
	if (s->tcp.n_stacks > 0)
		json_object_set_new(o, "tcp", worker_tcp_sum_json(&s->tcp));
	return o;
fail:
	json_decref(o);
	json_decref(ports);
	json_decref(workers);
	json_decref(drops);
	json_decref(counters);
	return NULL;
}
