/* tcp_bench: the cost of the userspace TCP engine, two stacks back to back
 * in one thread (the output of one is the input of the other through an
 * in-memory queue, no NIC, no IP layer), so the figures are the engine
 * alone, both ends counted:
 *   bulk      one direction, 64 KiB buffers: payload Gbit/s and ns per
 *             data segment (sender + receiver + ACKs)
 *   rr        1000-byte request, 1000-byte response on one connection
 *             (SIP-like): ns per exchange
 *   conn      connect, accept, one small echo, close both ways: ns per
 *             connection (TIME_WAIT entries expire in between)
 * Time is the thread's CPU time; each figure is the median of --rounds
 * rounds. Prints the machine it ran on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_version.h>

#include "bench_machine.h"
#include "tcp.h"

#define ADDR_A 0xc0000201u	/* 192.0.2.1 */
#define ADDR_B 0xc6336401u	/* 198.51.100.1 */
#define PORT 5061
#define QCAP 4096
#define MS 1000000ull

struct qitem {
	struct rte_mbuf *m;
	uint32_t src, dst;
	int to;
};

static struct qitem q[QCAP];
static unsigned qhead, qtail, qdrops;
static struct tcp_stack *stk[2];
static uint64_t now = 1000 * MS;
static struct rte_mempool *pool;

struct end {
	struct tcp_conn *c;
	size_t rx, tx_left, expect;
	bool connected, closed;
	const uint8_t *tx;
	size_t txlen;
};

static struct end cli, srv;
static uint8_t data[1 << 16];

static int enqueue(int to, struct rte_mbuf *m, uint32_t s, uint32_t d)
{
	if (qtail - qhead >= QCAP) {
		qdrops++;
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	q[qtail++ % QCAP] = (struct qitem){ m, s, d, to };
	return 0;
}

static int out_a(void *ctx, struct rte_mbuf *m, uint32_t s, uint32_t d)
{
	(void)ctx;
	return enqueue(1, m, s, d);
}

static int out_b(void *ctx, struct rte_mbuf *m, uint32_t s, uint32_t d)
{
	(void)ctx;
	return enqueue(0, m, s, d);
}

static void pump(void)
{
	for (unsigned n = 0; qhead != qtail && n < 1000000; n++) {
		struct qitem it = q[qhead++ % QCAP];

		tcp_input(stk[it.to], it.m, it.src, it.dst, now);
	}
}

static void tick(unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		now += MS;
		tcp_stack_poll(stk[0], now);
		tcp_stack_poll(stk[1], now);
		pump();
	}
}

static void push(struct end *e)
{
	while (e->c != NULL && e->tx_left > 0) {
		size_t off = e->txlen - e->tx_left, n = e->tx_left;
		int k;

		if (n > sizeof(data) - off % sizeof(data))
			n = sizeof(data) - off % sizeof(data);
		k = tcp_send(e->c, data + off % sizeof(data), n);
		if (k <= 0)
			break;
		e->tx_left -= (size_t)k;
	}
}

static int on_accept(struct tcp_conn *c, void *ctx)
{
	(void)ctx;
	srv.c = c;
	srv.connected = true;
	tcp_set_user(c, &srv);
	return 0;
}

static void on_connected(struct tcp_conn *c, void *user)
{
	struct end *e = user;

	e->c = c;
	e->connected = true;
}

static size_t on_data(struct tcp_conn *c, void *user, const uint8_t *p, size_t len)
{
	struct end *e = user;

	(void)c;
	(void)p;
	e->rx += len;
	return len;
}

static void on_writable(struct tcp_conn *c, void *user)
{
	(void)c;
	push(user);
}

static void on_peer_fin(struct tcp_conn *c, void *user)
{
	(void)user;
	(void)tcp_close(c);
}

static void on_closed(struct tcp_conn *c, void *user, int err)
{
	struct end *e = user;

	(void)c;
	(void)err;
	e->closed = true;
	e->c = NULL;
}

static const struct tcp_callbacks cb = {
	.on_accept = on_accept, .on_connected = on_connected, .on_data = on_data,
	.on_writable = on_writable, .on_peer_fin = on_peer_fin, .on_closed = on_closed,
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static int open_pair(void)
{
	struct tcp_conn *c;

	memset(&cli, 0, sizeof(cli));
	memset(&srv, 0, sizeof(srv));
	if (tcp_connect(stk[0], ADDR_B, PORT, ADDR_A, &cb, &cli, &c) != 0)
		return -1;
	cli.c = c;
	for (int i = 0; i < 100 && !(cli.connected && srv.connected); i++)
		tick(1);
	return cli.connected && srv.connected ? 0 : -1;
}

static void close_pair(void)
{
	if (cli.c != NULL)
		(void)tcp_close(cli.c);
	for (int i = 0; i < 5000 && !(cli.closed && srv.closed); i++)
		tick(1);
}

/* bulk: returns CPU ns for len bytes; *segs gets data segments received */
static uint64_t bulk_round(size_t len, uint64_t *segs)
{
	uint64_t t0, seg0 = tcp_stack_stats(stk[1])->segs_in;

	cli.txlen = cli.tx_left = len;
	srv.rx = 0;
	t0 = cpu_ns();
	push(&cli);
	pump();
	for (int i = 0; i < 100000 && srv.rx < len; i++)
		tick(1);
	*segs = tcp_stack_stats(stk[1])->segs_in - seg0;
	return cpu_ns() - t0;
}

static uint64_t rr_round(unsigned n)
{
	uint64_t t0 = cpu_ns();

	for (unsigned i = 0; i < n; i++) {
		size_t want = srv.rx + 1000, cwant = cli.rx + 1000;

		(void)tcp_send(cli.c, data, 1000);
		pump();
		if (srv.rx != want)
			tick(1);
		(void)tcp_send(srv.c, data, 1000);
		pump();
		if (cli.rx != cwant)
			tick(1);
	}
	return cpu_ns() - t0;
}

static uint64_t conn_round(unsigned n)
{
	uint64_t t0 = cpu_ns();

	for (unsigned i = 0; i < n; i++) {
		if (open_pair() != 0)
			return 0;
		(void)tcp_send(cli.c, data, 100);
		pump();
		close_pair();
	}
	return cpu_ns() - t0;
}

static void machine(void)
{
	struct utsname u;
	char model[128];
	double load[3] = { 0 };
	time_t t = time(NULL);
	char when[64];

	bench_cpu_model(model, sizeof(model));
	uname(&u);
	if (getloadavg(load, 3) < 0)
		load[0] = -1;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	printf("tcp_bench  %s\n", when);
	printf("cpu        %s (%ld cores online)\n", model, sysconf(_SC_NPROCESSORS_ONLN));
	printf("kernel     %s %s\n", u.sysname, u.release);
	printf("dpdk       %s\n", rte_version());
	printf("loadavg    %.2f %.2f %.2f\n", load[0], load[1], load[2]);
	printf("method     two stacks back to back in one thread, thread CPU time, median of rounds\n\n");
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--log-level=*:error", "-l", "0", "--no-telemetry", NULL };
	struct tcp_config cfg[2];
	unsigned rounds = 7;
	uint64_t v[64], segs = 0;
	size_t bulk = 32u << 20;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc)
			bulk = (size_t)atoi(argv[++i]) << 20;
	}
	if (rounds == 0 || rounds > 64)
		rounds = 7;
	if (rte_eal_init(10, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("tcp_bench", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "no mbuf pool\n");
		return 1;
	}
	for (int s = 0; s < 2; s++) {
		tcp_config_defaults(&cfg[s]);
		cfg[s].hz = 1000000000ull;
		cfg[s].pool = pool;
		cfg[s].output = s == 0 ? out_a : out_b;
		cfg[s].max_conns = 64;
		cfg[s].time_wait_ms = 10;
		stk[s] = tcp_stack_new(&cfg[s], now);
		if (stk[s] == NULL) {
			fprintf(stderr, "tcp_stack_new failed\n");
			return 1;
		}
	}
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	if (tcp_listen(stk[1], PORT, &cb, NULL) != 0 || open_pair() != 0) {
		fprintf(stderr, "no connection\n");
		return 1;
	}
	machine();
	printf("%-6s %12s %14s %12s\n", "test", "figure", "unit", "detail");

	(void)bulk_round(bulk / 4, &segs);	/* warm-up: cwnd opens */
	for (unsigned r = 0; r < rounds; r++)
		v[r] = bulk_round(bulk, &segs);
	uint64_t t = median(v, rounds);
	printf("%-6s %12.2f %14s %12s\n", "bulk", (double)bulk * 8 / (double)t, "Gbit/s",
	       "payload");
	printf("%-6s %12.0f %14s %9lu seg\n", "bulk", (double)t / (double)segs, "ns/segment",
	       (unsigned long)segs);

	for (unsigned r = 0; r < rounds; r++)
		v[r] = rr_round(2000);
	printf("%-6s %12.0f %14s %12s\n", "rr", (double)median(v, rounds) / 2000, "ns/exchange",
	       "1000+1000 B");
	close_pair();
	tick(20);

	for (unsigned r = 0; r < rounds; r++)
		v[r] = conn_round(200);
	printf("%-6s %12.0f %14s %12s\n", "conn", (double)median(v, rounds) / 200, "ns/conn",
	       "open+close");
	if (qdrops != 0)
		printf("\nwarning: %u segments dropped by the bench queue\n", qdrops);
	tcp_stack_free(stk[0]);
	tcp_stack_free(stk[1]);
	rte_eal_cleanup();
	return 0;
}
