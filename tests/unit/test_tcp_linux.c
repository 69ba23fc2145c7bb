/*
 * The TCP engine against the Linux stack as the peer, before the DPDK
 * worker exists: the test moves itself into a new network namespace,
 * creates a TUN interface (kernel side 192.0.2.1/24), and carries IPv4
 * packets between the TUN file descriptor and a tcp_stack playing
 * 192.0.2.2. Linux sockets in the same process are the clients (and, for
 * the active open, the server). Time is the real monotonic clock here; no
 * assertion is about time, every loop is bounded by a deadline.
 *
 * Sizes can be lowered for a quick run: UMEDGE_TCP_LINUX_CONNS (default
 * 200), UMEDGE_TCP_LINUX_KIB (default 1024 per connection).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "test_tcp_harness.h"

#define OUR_IP 0xc0000202u	/* 192.0.2.2: the stack under test */
#define LINUX_IP 0xc0000201u	/* 192.0.2.1: the kernel's side of the TUN */
#define ECHO_PORT 7
#define MAX_CLIENTS 256

static int tun_fd = -1;
static struct tcp_stack *st;
static uint64_t tx_write_fail;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned env_or(const char *name, unsigned dflt, unsigned max)
{
	const char *v = getenv(name);
	unsigned long n = v ? strtoul(v, NULL, 10) : dflt;

	return n == 0 || n > max ? dflt : (unsigned)n;
}

/* Output: prepend IPv4 (the library's seam) and write the packet to the
 * TUN. */
static int tun_output(void *ctx, struct rte_mbuf *m, uint32_t src, uint32_t dst)
{
	ssize_t n;

	(void)ctx;
	if (tcp_ipv4_prepend(m, src, dst) != 0) {
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	n = write(tun_fd, rte_pktmbuf_mtod(m, void *), rte_pktmbuf_pkt_len(m));
	rte_pktmbuf_free(m);
	if (n < 0) {
		tx_write_fail++;
		return -errno;
	}
	return 0;
}

/* Read what the kernel sent to 192.0.2.2 and feed it to the stack. */
static unsigned tun_input(void)
{
	uint8_t buf[2048];
	unsigned got = 0;

	for (int i = 0; i < 64; i++) {
		ssize_t n = read(tun_fd, buf, sizeof(buf));
		const struct rte_ipv4_hdr *ip = (const void *)buf;
		uint32_t ihl, tot;
		struct rte_mbuf *m;
		void *p;

		if (n <= 0)
			break;
		got++;
		if ((size_t)n < sizeof(*ip) || (ip->version_ihl >> 4) != 4 ||
		    ip->next_proto_id != IPPROTO_TCP)
			continue;	/* IPv6 router solicitations and the like */
		ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
		tot = rte_be_to_cpu_16(ip->total_length);
		if (ihl < 20 || tot > (uint32_t)n || tot < ihl ||
		    rte_be_to_cpu_32(ip->dst_addr) != OUR_IP)
			continue;
		/* the whole datagram, as the worker's IPv4 hook would pass it */
		m = rte_pktmbuf_alloc(test_pool);
		cr_assert_not_null(m);
		p = rte_pktmbuf_append(m, (uint16_t)n);
		cr_assert_not_null(p);
		memcpy(p, buf, (size_t)n);
		tcp_input_ipv4(st, m, now_ns());
	}
	return got;
}

static void sh(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* A private network namespace with the TUN; skipped when not permitted. */
static void setup(void)
{
	struct ifreq ifr;

	if (unshare(CLONE_NEWNET) != 0)
		cr_skip_test("no network namespace (needs root): %s", strerror(errno));
	tun_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (tun_fd < 0)
		cr_skip_test("no /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "umt0");
	cr_assert_eq(ioctl(tun_fd, TUNSETIFF, &ifr), 0);
	sh("ip link set lo up && ip link set umt0 up txqueuelen 4000 && "
	   "ip addr add 192.0.2.1/24 dev umt0");
	test_eal_init();
}

static struct tcp_stack *make_stack(uint32_t fault_ppm, uint32_t max_half_open)
{
	struct tcp_config cfg;

	tcp_config_defaults(&cfg);
	cfg.hz = 1000000000ull;
	cfg.pool = test_pool;
	cfg.output = tun_output;
	cfg.max_conns = 512;
	if (max_half_open)
		cfg.max_half_open = max_half_open;
	cfg.time_wait_ms = 1000;
	cfg.fault.rx_drop_ppm = fault_ppm / 2;
	cfg.fault.tx_drop_ppm = fault_ppm / 2;
	cfg.fault.rx_reorder_ppm = fault_ppm / 2;
	cfg.fault.tx_reorder_ppm = fault_ppm / 2;
	cfg.fault.seed = 2024;
	return tcp_stack_new(&cfg, now_ns());
}

/* One turn of the event loop: TUN in, timers, wait a little if idle. */
static void turn(struct pollfd *pfd, unsigned npfd, bool busy)
{
	unsigned got = tun_input();

	tcp_stack_poll(st, now_ns());
	if (got == 0 && !busy)
		(void)poll(pfd, npfd, 1);
}

struct lclient {
	int fd;
	size_t sent, rcvd, len, off;
	bool shut, eof, failed;
};

static uint8_t *pattern;	/* 2 * len bytes of random data */

static void make_pattern(size_t len)
{
	uint64_t s = 77;

	pattern = malloc(2 * len);
	cr_assert_not_null(pattern);
	for (size_t i = 0; i < 2 * len; i++)
		pattern[i] = (uint8_t)(xorshift(&s) >> 24);
}

static int linux_connect(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(ECHO_PORT) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0);
	a.sin_addr.s_addr = htonl(OUR_IP);
	cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	return fd;
}

/* Send, read back and compare; returns true when this client is done. */
static bool client_step(struct lclient *c, bool *busy)
{
	uint8_t buf[65536];
	ssize_t n;

	if (c->eof || c->failed)
		return true;
	if (c->sent < c->len) {
		n = send(c->fd, pattern + c->off + c->sent, c->len - c->sent, MSG_NOSIGNAL);
		if (n > 0) {
			c->sent += (size_t)n;
			*busy = true;
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			c->failed = true;
			return true;
		}
	}
	if (c->sent == c->len && !c->shut) {
		shutdown(c->fd, SHUT_WR);	/* half-close: the echo closes after */
		c->shut = true;
	}
	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n > 0) {
		cr_assert_leq(c->rcvd + (size_t)n, c->len, "echo returned too much");
		cr_assert_eq(memcmp(buf, pattern + c->off + c->rcvd, (size_t)n), 0,
			     "echo differs at %zu", c->rcvd);
		c->rcvd += (size_t)n;
		*busy = true;
	} else if (n == 0) {
		c->eof = true;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		c->failed = true;
	}
	return c->eof || c->failed;
}

static void run_echo(unsigned nclients, size_t len, uint32_t fault_ppm, uint32_t max_half_open,
		     unsigned max_s)
{
	static struct lclient cl[MAX_CLIENTS];
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	uint64_t deadline;
	unsigned done = 0;

	st = make_stack(fault_ppm, max_half_open);
	cr_assert_not_null(st);
	pfd.fd = tun_fd;
	cr_assert_eq(tcp_echo_listen(st, ECHO_PORT), 0);
	make_pattern(len);
	for (unsigned i = 0; i < nclients; i++) {
		cl[i] = (struct lclient){ .fd = linux_connect(), .len = len,
					  .off = ((size_t)i * 7919) % len };
	}
	deadline = now_ns() + (uint64_t)max_s * 1000000000ull;
	while (done < nclients && now_ns() < deadline) {
		bool busy = false;

		done = 0;
		for (unsigned i = 0; i < nclients; i++)
			done += client_step(&cl[i], &busy);
		turn(&pfd, 1, busy);
	}
	const struct tcp_stats *s = tcp_stack_stats(st);
	cr_log_info("%u clients x %zu bytes, fault %u ppm: segs in %lu out %lu, retx %lu, "
		    "fast %lu, rto %lu, cookies %lu/%lu, fault drops %lu, write fails %lu",
		    nclients, len, fault_ppm, (unsigned long)s->segs_in,
		    (unsigned long)s->segs_out, (unsigned long)s->retransmits,
		    (unsigned long)s->fast_retransmits, (unsigned long)s->rto_events,
		    (unsigned long)s->syn_cookies_sent, (unsigned long)s->syn_cookies_ok,
		    (unsigned long)(s->fault_rx_dropped + s->fault_tx_dropped),
		    (unsigned long)tx_write_fail);
	for (unsigned i = 0; i < nclients; i++) {
		cr_assert(!cl[i].failed, "client %u failed: %s", i, strerror(errno));
		cr_assert_eq(cl[i].rcvd, len, "client %u: %zu of %zu echoed (sent %zu)", i,
			     cl[i].rcvd, len, cl[i].sent);
		cr_assert(cl[i].eof, "client %u: no FIN from the echo", i);
		close(cl[i].fd);
	}
	/* our side: LAST_ACK then gone, bounded */
	deadline = now_ns() + 10ull * 1000000000ull;
	while (st->nconns > 0 && now_ns() < deadline)
		turn(&pfd, 1, false);
	cr_assert_eq(st->nconns, 0, "%u connections left", st->nconns);
	tcp_stack_free(st);
	free(pattern);
}

TestSuite(tcp_linux, .init = setup, .timeout = 280);

Test(tcp_linux, echo_concurrent_1mib)
{
	run_echo(env_or("UMEDGE_TCP_LINUX_CONNS", 200, MAX_CLIENTS),
		 (size_t)env_or("UMEDGE_TCP_LINUX_KIB", 1024, 65536) * 1024, 0, 0, 200);
}

Test(tcp_linux, echo_concurrent_1mib_2pct_loss_reorder)
{
	run_echo(env_or("UMEDGE_TCP_LINUX_CONNS", 200, MAX_CLIENTS),
		 (size_t)env_or("UMEDGE_TCP_LINUX_KIB", 1024, 65536) * 1024, 40000, 0, 250);
}

Test(tcp_linux, syn_cookies_with_linux_clients)
{
	/* one half-open slot: nearly every client is answered with a cookie */
	run_echo(50, 64 * 1024, 0, 1, 60);
	/* run_echo asserted every byte came back: the cookie kept MSS and
	 * window scale good enough for bulk data */
}

/* Linux echo server for the active open. */
Test(tcp_linux, active_open_to_linux)
{
	enum { LEN = 1 << 20 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9000) };
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	int ls, one = 1, peer = -1;
	struct app app;
	struct tcp_conn *c;
	uint8_t buf[65536];
	size_t pend = 0, pend_off = 0;
	bool peer_eof = false;
	uint64_t deadline;

	st = make_stack(0, 0);
	cr_assert_not_null(st);
	pfd.fd = tun_fd;
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(ls, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(LINUX_IP);
	cr_assert_eq(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(ls, 16), 0);
	make_pattern(LEN);
	app_init(&app, LEN);
	app.tx = pattern;
	app.tx_len = LEN;
	app.close_when_sent = true;
	cr_assert_eq(tcp_connect(st, LINUX_IP, 9000, OUR_IP, &app_cb, &app, &c), 0);
	deadline = now_ns() + 60ull * 1000000000ull;
	while (!app.closed && now_ns() < deadline) {
		bool busy = false;

		if (peer < 0) {
			peer = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
		} else {
			/* echo what arrives, with back-pressure */
			if (pend == 0 && !peer_eof) {
				ssize_t n = recv(peer, buf, sizeof(buf), 0);

				if (n > 0) {
					pend = (size_t)n;
					pend_off = 0;
				} else if (n == 0) {
					peer_eof = true;
					shutdown(peer, SHUT_WR);
				}
			}
			if (pend > 0) {
				ssize_t n = send(peer, buf + pend_off, pend, MSG_NOSIGNAL);

				if (n > 0) {
					pend -= (size_t)n;
					pend_off += (size_t)n;
					busy = true;
				}
			}
		}
		turn(&pfd, 1, busy);
	}
	cr_assert(app.closed, "not closed: sent %zu, echoed %zu", app.tx_off, app.rx_len);
	cr_assert_eq(app.err, 0);
	cr_assert_eq(app.rx_len, LEN);
	cr_assert_eq(memcmp(app.rx, pattern, LEN), 0);
	cr_assert(peer_eof);
	close(peer);
	close(ls);
	app_free(&app);
	tcp_stack_free(st);
	free(pattern);
}

Test(tcp_linux, closed_port_refused)
{
	struct pollfd pfd = { .fd = tun_fd, .events = POLLIN };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd, err = 0;
	socklen_t el = sizeof(err);
	uint64_t deadline;

	st = make_stack(0, 0);
	cr_assert_not_null(st);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	a.sin_addr.s_addr = htonl(OUR_IP);
	cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	deadline = now_ns() + 5ull * 1000000000ull;
	while (now_ns() < deadline) {
		turn(&pfd, 1, false);
		cr_assert_eq(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el), 0);
		if (err != 0)
			break;
	}
	cr_assert_eq(err, ECONNREFUSED, "got %s", strerror(err));
	cr_assert_eq(tcp_stack_stats(st)->drop_no_listener, 1);
	close(fd);
	tcp_stack_free(st);
}

Test(tcp_linux, linux_abort_resets)
{
	struct pollfd pfd = { .fd = tun_fd, .events = POLLIN };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	static struct server srv;
	uint64_t deadline;
	int fd;

	st = make_stack(0, 0);
	cr_assert_not_null(st);
	server_init(&srv, 1, 4096);
	cr_assert_eq(tcp_listen(st, 5060, &server_cb, &srv), 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5060) };
	a.sin_addr.s_addr = htonl(OUR_IP);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	deadline = now_ns() + 5ull * 1000000000ull;
	while (srv.n == 0 && now_ns() < deadline)
		turn(&pfd, 1, false);
	cr_assert_eq(srv.n, 1);
	cr_assert_eq(send(fd, "INVITE", 6, 0), 6);
	while (srv.apps[0].rx_len < 6 && now_ns() < deadline)
		turn(&pfd, 1, false);
	cr_assert_eq(srv.apps[0].rx_len, 6);
	/* close with linger 0: Linux sends RST, exactly at our rcv_nxt */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	while (!srv.apps[0].closed && now_ns() < deadline)
		turn(&pfd, 1, false);
	cr_assert(srv.apps[0].closed);
	cr_assert_eq(srv.apps[0].err, -ECONNRESET);
	cr_assert_eq(st->nconns, 0);
	server_free(&srv);
	tcp_stack_free(st);
}

Test(tcp_linux, zero_window_against_slow_linux_reader)
{
	enum { LEN = 8 << 20 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9001) };
	struct pollfd pfd = { .fd = tun_fd, .events = POLLIN };
	int ls, one = 1, peer = -1, small = 4096;
	struct app app;
	struct tcp_conn *c;
	static uint8_t buf[65536];
	size_t got = 0;
	uint64_t deadline, start;

	st = make_stack(0, 0);
	cr_assert_not_null(st);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* a small receive buffer so the window closes soon */
	setsockopt(ls, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	a.sin_addr.s_addr = htonl(LINUX_IP);
	cr_assert_eq(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(ls, 4), 0);
	make_pattern(LEN);
	app_init(&app, 0);
	app.tx = pattern;
	app.tx_len = LEN;
	app.close_when_sent = true;
	cr_assert_eq(tcp_connect(st, LINUX_IP, 9001, OUR_IP, &app_cb, &app, &c), 0);
	start = now_ns();
	deadline = start + 120ull * 1000000000ull;
	/* the reader sleeps for 3 s: our sender must sit on a zero window */
	while (now_ns() < start + 3ull * 1000000000ull) {
		if (peer < 0)
			peer = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
		turn(&pfd, 1, false);
	}
	cr_assert_geq(peer, 0);
	cr_assert_eq(c->snd_wnd, 0, "window %u", c->snd_wnd);
	cr_assert_gt(tcp_stack_stats(st)->zero_window_probes, 0);
	while (got < LEN && now_ns() < deadline) {
		ssize_t n = recv(peer, buf, sizeof(buf), 0);
		bool busy = false;

		if (n > 0) {
			cr_assert_eq(memcmp(buf, pattern + got, (size_t)n), 0, "differs at %zu", got);
			got += (size_t)n;
			busy = true;
		}
		turn(&pfd, 1, busy);
	}
	cr_assert_eq(got, LEN);
	close(peer);	/* everything read: a FIN, not a RST */
	while (!app.closed && now_ns() < deadline)
		turn(&pfd, 1, false);
	cr_assert(app.closed);
	cr_assert_eq(app.err, 0);
	close(ls);
	app_free(&app);
	tcp_stack_free(st);
	free(pattern);
}
