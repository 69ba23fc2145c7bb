/* A worker lcore: poll, process to completion, flush, report quiescence. */
#include "worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "dispatch.h"
#include "snapshot.h"
#include "worker_tcp.h"

#define IDLE_SPIN 256          /* empty polls before the first sleep */
#define IDLE_SLEEP_MIN_US 20
#define IDLE_SLEEP_MAX_US 500

struct worker *worker_new(struct dp *dp, unsigned idx, unsigned lcore)
{
	char name[RTE_RING_NAMESIZE];
	int socket = (int)rte_lcore_to_socket_id(lcore);
	struct worker *w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);

	if (w == NULL)
		return NULL;
	w->idx = idx;
	w->lcore = lcore;
	w->dp = dp;
	snprintf(name, sizeof(name), "umw%u_%d", idx, getpid());
	w->ring = rte_ring_create(name, DP_RING_SIZE, socket, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "uml%u_%d", idx, getpid());
	w->learn = rte_ring_create(name, DP_LEARN_RING_SIZE, socket, RING_F_SC_DEQ);
	if (w->ring == NULL || w->learn == NULL)
		goto fail;
	if (net_ctx_init(&w->net, dp->ifaces, &dp->udp, (uint16_t)idx, dp->pool,
			 dp->pool_indirect) != 0)
		goto fail;
	w->net.steer = dispatch_steer;
	w->net.steer_arg = w;
	w->net.loopback = dispatch_loopback;
	w->net.loopback_arg = w;
	if (worker_tcp_init(w) != 0)
		goto fail;
	if (dp->rss) {
		w->polls_ports = true;
		w->rx_queue = (uint16_t)idx;
	} else {
		w->polls_ports = idx == 0;
		w->rx_queue = 0;
	}
	return w;
fail:
	worker_free(w);
	return NULL;
}

static void ring_drain(struct rte_ring *r)
{
	void *objs[NET_BURST];
	unsigned n;

	if (r == NULL)
		return;
	while ((n = rte_ring_dequeue_burst(r, objs, NET_BURST, NULL)) > 0)
		rte_pktmbuf_free_bulk((struct rte_mbuf **)objs, n);
}

void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	for (unsigned t = 0; t < DP_MAX_WORKERS; t++) {
		rte_pktmbuf_free_bulk(w->out[t], w->n_out[t]);
		w->n_out[t] = 0;
	}
	worker_tcp_fini(w);
	net_ctx_fini(&w->net);
	ring_drain(w->ring);
	ring_drain(w->learn);
	rte_ring_free(w->ring);
	rte_ring_free(w->learn);
	rte_free(w);
}

static unsigned worker_inbox(struct worker *w)
{
	struct rte_mbuf *pkts[NET_BURST];
	unsigned n = rte_ring_dequeue_burst(w->ring, (void **)pkts, NET_BURST, NULL);

	for (unsigned i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (unsigned i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		eth_input(&w->net, pkts[i]);
	}
	unsigned k = rte_ring_dequeue_burst(w->learn, (void **)pkts, NET_BURST, NULL);
	for (unsigned i = 0; i < k; i++) {
		int iface = pkts[i]->port < NET_MAX_PORTS ? w->net.port_iface[pkts[i]->port] : -1;
		if (iface < 0) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		arp_input(&w->net, pkts[i], (unsigned)iface, false);
	}
	return n + k;
}

unsigned worker_poll(struct worker *w)
{
	struct dp *dp = w->dp;
	unsigned total = 0;

	w->net.now = rte_rdtsc();
	w->net.snap = snapshot_current();
	if (w->polls_ports) {
		for (unsigned i = 0; i < NET_N_IFACES; i++) {
			if (!dp->ports[i].used)
				continue;
			/* RSS: this worker's queue; dispatch: every queue */
			uint16_t q = dp->rss ? w->rx_queue : 0;
			uint16_t q_end = dp->rss ? (uint16_t)(q + 1) : dp->ports[i].n_rxq;
			for (; q < q_end; q++) {
				struct rte_mbuf *pkts[NET_BURST];
				uint64_t t0 = rte_rdtsc();
				uint16_t n = rte_eth_rx_burst(dp->ports[i].id, q, pkts, NET_BURST);

				w->net.port_cycles += rte_rdtsc() - t0;
				if (n == 0)
					continue;
				total += n;
				dispatch_burst(w, pkts, n);
			}
		}
	}
	total += worker_inbox(w);
	if (w->net.poll_hook != NULL)
		w->net.poll_hook(&w->net, w->net.poll_arg);
	dispatch_flush(w);
	net_flush(&w->net);
	net_timer(&w->net);
	return total;
}

static void worker_idle(struct worker *w, struct rte_rcu_qsbr *qs)
{
	if (++w->empty_polls < IDLE_SPIN) {
		rte_pause();
		return;
	}
	unsigned us = IDLE_SLEEP_MIN_US << RTE_MIN((w->empty_polls - IDLE_SPIN) / 64, 5u);
	if (us > IDLE_SLEEP_MAX_US)
		us = IDLE_SLEEP_MAX_US;
	/* Asleep, this worker holds no snapshot: let control move on. */
	rte_rcu_qsbr_thread_offline(qs, w->idx);
	usleep(us);
	rte_rcu_qsbr_thread_online(qs, w->idx);
	w->idle_sleeps++;
}

void worker_rx_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGIO);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(set, s);
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_rcu_qsbr *qs = snapshot_qsbr();
	bool backoff = w->dp->idle == CONFIG_IDLE_BACKOFF;
	sigset_t rx_sigs;

	/* the TAP PMD's RX signals come here, not to the main lcore */
	worker_rx_signals(&rx_sigs);
	pthread_sigmask(SIG_UNBLOCK, &rx_sigs, NULL);
	rte_rcu_qsbr_thread_register(qs, w->idx);
	rte_rcu_qsbr_thread_online(qs, w->idx);
	/* worker 0 tells the neighbours where our addresses are now */
	if (w->idx == 0) {
		w->net.now = rte_rdtsc();
		for (unsigned i = 0; i < NET_N_IFACES; i++)
			if (w->net.ifaces[i].up)
				arp_announce(&w->net, i);
		net_flush(&w->net);
	}
	while (!w->dp->quit) {
		uint64_t t0 = rte_rdtsc();
		unsigned n;

		rte_rcu_qsbr_quiescent(qs, w->idx);
		w->net.worked = false;
		w->net.port_cycles = 0;
		n = worker_poll(w);
		if (n > 0 || w->net.worked) {
			/* what the work cost, for cost-per-call figures: a
			 * poll-mode core's CPU time says nothing */
			w->busy_cycles += rte_rdtsc() - t0;
			w->busy_polls++;
			w->port_cycles += w->net.port_cycles;
		}
		if (n > 0)
			w->empty_polls = 0;
		else if (backoff)
			worker_idle(w, qs);
	}
	/* drain: whatever is buffered goes out before the ports stop */
	dispatch_flush(w);
	net_flush(&w->net);
	rte_rcu_qsbr_thread_offline(qs, w->idx);
	rte_rcu_qsbr_thread_unregister(qs, w->idx);
	return 0;
}
