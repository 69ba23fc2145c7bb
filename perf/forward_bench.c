/* forward_bench: the stack's per-packet cost on the UDP echo path, next to
 * DPDK's own io forwarding on the same ring setup.
 *
 * In-process, one lcore, a net_ring port (external, 192.0.2.1/24): a
 * generator writes bursts of 32 UDP echo requests (60-byte frames) into the
 * port's RX ring, the worker's loop (worker_poll: RX burst, Ethernet, IPv4,
 * UDP, echo, ARP lookup, TX burst) turns them around, a sink drains the TX
 * ring. Only worker_poll is timed, so the figure is the stack's cost per
 * packet on one worker core. The same generator and sink around a bare
 * rx_burst/tx_burst pair gives the in-process io baseline.
 *
 * dpdk-testpmd runs in the same invocation, in io mode (and 5tswap, which
 * swaps addresses and ports as an echo does) on a net_ring loopback port:
 * its forwarding core's rate is the reference. The ratio stack/testpmd io
 * is the headline figure.
 *
 * usage: forward_bench [--seconds N] [--testpmd PATH | --no-testpmd] */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_udp.h>
#include <rte_version.h>

#include "bench_eal.h"
#include "bench_ring.h"
#include "bench_machine.h"
#include "dp.h"
#include "worker.h"

#define BURST NET_BURST
#define FRAME_LEN 60
#define PAYLOAD 18

static struct rte_ring *ring_rx, *ring_tx;
static uint8_t request[FRAME_LEN];
static uint8_t arp_request[42];
static const struct rte_ether_addr peer_mac = { { 0x02, 0, 0, 0, 0, 0x0a } };

static void build_templates(const struct rte_ether_addr *our_mac)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)request;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	eh->dst_addr = *our_mac;
	eh->src_addr = peer_mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*uh) + PAYLOAD);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = bench_ip4(192, 0, 2, 10);
	ip->dst_addr = bench_ip4(192, 0, 2, 1);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->src_port = RTE_BE16(40000);
	uh->dst_port = RTE_BE16(7);
	uh->dgram_len = rte_cpu_to_be_16(sizeof(*uh) + PAYLOAD);
	memcpy(uh + 1, "umedge forward ben", PAYLOAD);
	uh->dgram_cksum = 0;
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);

	/* who-has 192.0.2.1 from the peer, so the replies need no resolution */
	bench_arp_request(arp_request, &peer_mac, bench_ip4(192, 0, 2, 10), bench_ip4(192, 0, 2, 1));
}

/* Generator: a burst of requests into the port's RX ring. */
static unsigned generate(struct rte_mempool *pool, uint16_t port, const uint8_t *frame,
			 uint16_t len, unsigned n)
{
	struct rte_mbuf *m[BURST];

	if (rte_pktmbuf_alloc_bulk(pool, m, n) != 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		rte_memcpy(rte_pktmbuf_mtod(m[i], void *), frame, len);
		m[i]->data_len = len;
		m[i]->pkt_len = len;
		m[i]->port = port;
	}
	unsigned k = rte_ring_enqueue_burst(ring_rx, (void **)m, n, NULL);
	if (k < n)
		rte_pktmbuf_free_bulk(m + k, n - k);
	return k;
}

/* Sink: what the port sent. */
static unsigned drain(void)
{
	struct rte_mbuf *m[BURST * 2];
	unsigned total = 0, n;

	while ((n = rte_ring_dequeue_burst(ring_tx, (void **)m, BURST * 2, NULL)) > 0) {
		rte_pktmbuf_free_bulk(m, n);
		total += n;
	}
	return total;
}

#define WINDOWS_MAX 256

/* Per-window figures: the machine is shared (2 cores, builds running), so
 * the median and the best window are both reported. */
struct result {
	uint64_t packets, cycles;
	double seconds;
	double ns[WINDOWS_MAX];      /* ns/packet of each window */
	unsigned n_windows;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median_ns(struct result *r)
{
	qsort(r->ns, r->n_windows, sizeof(r->ns[0]), cmp_double);
	return r->n_windows ? r->ns[r->n_windows / 2] : 0;
}

static double best_ns(struct result *r)
{
	qsort(r->ns, r->n_windows, sizeof(r->ns[0]), cmp_double);
	return r->n_windows ? r->ns[0] : 0;
}

static void window_end(struct result *r, uint64_t pkts, uint64_t cycles)
{
	if (pkts > 0 && r->n_windows < WINDOWS_MAX)
		r->ns[r->n_windows++] = (double)cycles / (double)rte_get_tsc_hz() * 1e9 /
					(double)pkts;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct result run_stack(struct worker *w, struct rte_mempool *pool, uint16_t port,
			       double seconds)
{
	struct result r;
	double t0 = now_s();

	memset(&r, 0, sizeof(r));
	while (now_s() - t0 < seconds) {
		uint64_t wp = 0, wc = 0;
		for (unsigned it = 0; it < 8192; it++) {
			generate(pool, port, request, FRAME_LEN, BURST);
			uint64_t c0 = rte_rdtsc_precise();
			unsigned n = worker_poll(w);
			wc += rte_rdtsc_precise() - c0;
			wp += n;
			drain();
		}
		r.cycles += wc;
		r.packets += wp;
		window_end(&r, wp, wc);
	}
	r.seconds = now_s() - t0;
	return r;
}

static struct result run_io(struct rte_mempool *pool, uint16_t port, double seconds)
{
	struct result r;
	double t0 = now_s();
	struct rte_mbuf *m[BURST];

	memset(&r, 0, sizeof(r));
	while (now_s() - t0 < seconds) {
		uint64_t wp = 0, wc = 0;
		for (unsigned it = 0; it < 8192; it++) {
			generate(pool, port, request, FRAME_LEN, BURST);
			uint64_t c0 = rte_rdtsc_precise();
			uint16_t n = rte_eth_rx_burst(port, 0, m, BURST);
			uint16_t k = rte_eth_tx_burst(port, 0, m, n);
			wc += rte_rdtsc_precise() - c0;
			if (k < n)
				rte_pktmbuf_free_bulk(m + k, n - k);
			wp += n;
			drain();
		}
		r.cycles += wc;
		r.packets += wp;
		window_end(&r, wp, wc);
	}
	r.seconds = now_s() - t0;
	return r;
}

/* dpdk-testpmd, FWD mode, net_ring loopback port, one forwarding core:
 * the median of its per-second Rx-pps after the first two seconds. */
static double run_testpmd(const char *path, const char *mode, int seconds, double *best)
{
	char cmd[1024], line[512];
	double pps[64];
	int n = 0;

	snprintf(cmd, sizeof(cmd),
		 "timeout -s INT %d %s --no-huge -m 512 --no-pci --no-telemetry "
		 "--file-prefix fwdbench-tp-%d -l 0-1 --vdev=net_ring0 --log-level='*:warning' -- "
		 "--forward-mode=%s --tx-first --stats-period 1 --total-num-mbufs=8192 "
		 "--nb-cores=1 --no-lsc-interrupt 2>&1",
		 seconds + 3, path, getpid(), mode);
	FILE *f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		double v;
		if (sscanf(line, " Rx-pps: %lf", &v) == 1 && n < 64)
			pps[n++] = v;
	}
	pclose(f);
	snprintf(line, sizeof(line), "/var/run/dpdk/fwdbench-tp-%d", getpid());
	bench_remove_dir(line);
	if (n <= 2)
		return -1;
	/* drop the first two samples (start-up), median of the rest */
	int m = n - 2;
	double *s = pps + 2;
	for (int i = 1; i < m; i++)
		for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
			double t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	*best = s[m - 1];
	return s[m / 2];
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "testpmd", required_argument, NULL, 't' },
		{ "no-testpmd", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *testpmd = "/usr/bin/dpdk-testpmd";
	int seconds = 5, opt;
	struct dp dp;
	uint16_t port;

	while ((opt = getopt_long(argc, argv, "s:t:n", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			seconds = atoi(optarg);
			break;
		case 't':
			testpmd = optarg;
			break;
		case 'n':
			testpmd = NULL;
			break;
		default:
			fprintf(stderr, "usage: forward_bench [--seconds N] [--testpmd PATH | --no-testpmd]\n");
			return 2;
		}
	}
	if (seconds < 1)
		seconds = 1;

	/* testpmd first, alone on the machine's two cores */
	double tp_io = -1, tp_swap = -1, tp_io_best = -1, tp_swap_best = -1;
	if (testpmd != NULL) {
		tp_io = run_testpmd(testpmd, "io", seconds, &tp_io_best);
		tp_swap = run_testpmd(testpmd, "5tswap", seconds, &tp_swap_best);
	}

	if (bench_eal_init("forward_bench", "fwdbench", 512) != 0)
		return 1;
	memset(&dp, 0, sizeof(dp));
	dp.n_workers = 1;
	dp.idle = CONFIG_IDLE_BUSY;
	dp.pool = rte_pktmbuf_pool_create("fb_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp.pool_indirect = rte_pktmbuf_pool_create("fb_ind", 1023, 32, 0, 0, 0);
	if (dp.pool == NULL || dp.pool_indirect == NULL ||
	    bench_ring_port("fb_port", dp.pool, &ring_rx, &ring_tx, &port) != 0) {
		fprintf(stderr, "forward_bench: set-up failed\n");
		return 1;
	}
	struct net_iface *ext = &dp.ifaces[NET_IFACE_EXTERNAL];
	ext->up = true;
	ext->port_id = port;
	ext->addr = bench_ip4(192, 0, 2, 1);
	ext->mask = bench_ip4(255, 255, 255, 0);
	ext->mtu = NET_MTU;
	rte_eth_macaddr_get(port, &ext->mac);
	dp.ports[NET_IFACE_EXTERNAL] = (struct dp_port){ .used = true, .id = port, .n_rxq = 1,
							 .n_txq = 1, .name = "fb_port" };
	dp.udp.echo_port = 7;
	struct worker *w = worker_new(&dp, 0, rte_lcore_id());
	if (w == NULL) {
		fprintf(stderr, "forward_bench: worker set-up failed\n");
		return 1;
	}
	dp.workers[0] = w;
	build_templates(&ext->mac);

	/* learn the peer, then check one burst really is echoed */
	generate(dp.pool, port, arp_request, sizeof(arp_request), 1);
	worker_poll(w);
	drain();
	generate(dp.pool, port, request, FRAME_LEN, BURST);
	worker_poll(w);
	struct rte_mbuf *out[BURST];
	unsigned got = rte_ring_dequeue_burst(ring_tx, (void **)out, BURST, NULL);
	bool echoed = got == BURST;
	for (unsigned i = 0; i < got; i++) {
		const struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(out[i], const struct rte_udp_hdr *,
			sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr));
		echoed = echoed && uh->src_port == RTE_BE16(7) && uh->dst_port == RTE_BE16(40000);
	}
	rte_pktmbuf_free_bulk(out, got);
	if (!echoed) {
		fprintf(stderr, "forward_bench: the stack did not echo (%u of %u)\n", got, BURST);
		return 1;
	}

	run_stack(w, dp.pool, port, 1); /* warm-up */
	struct result st = run_stack(w, dp.pool, port, seconds);
	struct result io = run_io(dp.pool, port, seconds);
	uint64_t drops = 0;
	for (unsigned i = 0; i < NET_DROP_MAX; i++)
		drops += w->net.cnt.drops[i];

	double st_ns = median_ns(&st), st_best = best_ns(&st);
	double io_ns = median_ns(&io), io_best = best_ns(&io);

	bench_print_machine("forward_bench", NULL);
	printf("setup: net_ring port, %d-byte UDP echo requests (port 7), bursts of %d, "
	       "%d s per figure, one worker core;\n"
	       "       median and best of %u windows (testpmd: of its per-second samples)\n",
	       FRAME_LEN, BURST, seconds, st.n_windows);
	printf("%-40s %10s %10s %12s %10s\n", "path", "Mpps", "ns/packet", "best Mpps", "best ns");
	printf("%-40s %10.2f %10.1f %12.2f %10.1f\n", "umedge stack, UDP echo (worker_poll)",
	       1e3 / st_ns, st_ns, 1e3 / st_best, st_best);
	printf("%-40s %10.2f %10.1f %12.2f %10.1f\n", "in-process io (rx_burst + tx_burst)",
	       1e3 / io_ns, io_ns, 1e3 / io_best, io_best);
	if (tp_io > 0)
		printf("%-40s %10.2f %10.1f %12.2f %10.1f\n", "dpdk-testpmd io, net_ring loopback",
		       tp_io / 1e6, 1e9 / tp_io, tp_io_best / 1e6, 1e9 / tp_io_best);
	else
		printf("%-40s %10s\n", "dpdk-testpmd io, net_ring loopback", "n/a");
	if (tp_swap > 0)
		printf("%-40s %10.2f %10.1f %12.2f %10.1f\n", "dpdk-testpmd 5tswap, net_ring loopback",
		       tp_swap / 1e6, 1e9 / tp_swap, tp_swap_best / 1e6, 1e9 / tp_swap_best);
	printf("packets through the stack: %lu, drops: %lu, wall %.1f s\n",
	       (unsigned long)st.packets, (unsigned long)drops, st.seconds);
	if (tp_io > 0)
		printf("ratio stack / testpmd io: %.3f median, %.3f best (target >= 0.5)\n",
		       (1e9 / st_ns) / tp_io, (1e9 / st_best) / tp_io_best);
	if (tp_swap > 0)
		printf("ratio stack / testpmd 5tswap: %.3f median, %.3f best\n",
		       (1e9 / st_ns) / tp_swap, (1e9 / st_best) / tp_swap_best);
	printf("ratio stack / in-process io: %.3f median\n", io_ns / st_ns);

	worker_free(w);
	bench_eal_cleanup();
	return drops == 0 ? 0 : 1;
}
