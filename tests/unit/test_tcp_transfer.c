/*
 * Bulk transfer between two stacks: 1 MiB both ways, with 2% loss and
 * reordering injected by the stacks' own fault setting, across sequence
 * wrap-around, many connections through the echo service, delayed ACKs
 * and RTO back-off.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <rte_mbuf.h>

#include "test_tcp_harness.h"

#define PORT 5061
#define MIB (1u << 20)

static struct pair P;
static struct server S;
static struct app A;

TestSuite(tcp_transfer, .init = test_eal_init);

static uint8_t *random_bytes(size_t n, uint64_t seed)
{
	uint8_t *b = malloc(n);

	cr_assert_not_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(xorshift(&seed) >> 24);
	return b;
}

static void faults(struct tcp_config *c, uint32_t ppm, uint64_t seed)
{
	c->fault.rx_drop_ppm = ppm / 2;
	c->fault.tx_drop_ppm = ppm / 2;
	c->fault.rx_reorder_ppm = ppm / 2;
	c->fault.tx_reorder_ppm = ppm / 2;
	c->fault.seed = seed;
}

static void dump_and_fail(const char *what)
{
	for (int side = 0; side < 2; side++) {
		json_t *j = tcp_stack_json(P.s[side]);
		char *t = json_dumps(j, JSON_COMPACT);

		cr_log_error("stack %d: %s", side, t);
		free(t);
		json_decref(j);
		for (uint32_t i = 0; i < P.s[side]->cfg.max_conns; i++) {
			struct tcp_conn *c = &P.s[side]->conns[i];

			if (c->state == TCP_S_CLOSED)
				continue;
			j = tcp_conn_json(c);
			t = json_dumps(j, JSON_COMPACT);
			cr_log_error("  conn: %s una %u nxt %u max %u rcv_nxt %u flags %x tdl %lu/%lu/%lu",
				     t, c->snd_una, c->snd_nxt, c->snd_max, c->rcv_nxt, c->flags,
				     (unsigned long)c->tdl[0], (unsigned long)c->tdl[1],
				     (unsigned long)c->tdl[2]);
			free(t);
			json_decref(j);
		}
	}
	cr_assert_fail("%s (rx %zu/%zu)", what, A.rx_len, S.apps[0].rx_len);
}

/* ppm of the segments crossing between the stacks are lost, as many
 * reordered: half on the sender's way out, half on the receiver's way in */

/* Stacks from a and b, S listening, A and S each with len bytes to send
 * and closing when they are sent; the caller connects. */
static void prepare_both_ways(const struct tcp_config *a, const struct tcp_config *b,
			      const uint8_t *up, const uint8_t *down, size_t len)
{
	pair_init(&P, a, b);
	server_init(&S, 1, len);
	app_init(&A, len);
	cr_assert_eq(tcp_listen(P.s[1], PORT, &server_cb, &S), 0);
	A.tx = up;
	A.tx_len = len;
	A.close_when_sent = true;
	S.apps[0].tx = down;
	S.apps[0].tx_len = len;
	S.apps[0].close_when_sent = true;
}

/* Both closed cleanly, each got exactly what the other sent. */
static void assert_both_ways(const uint8_t *up, const uint8_t *down, size_t len, uint64_t seed)
{
	cr_assert_eq(A.err, 0, "seed %lu", (unsigned long)seed);
	cr_assert_eq(S.apps[0].err, 0, "seed %lu", (unsigned long)seed);
	cr_assert_eq(S.apps[0].rx_len, len, "seed %lu", (unsigned long)seed);
	cr_assert_eq(A.rx_len, len, "seed %lu", (unsigned long)seed);
	cr_assert_eq(memcmp(S.apps[0].rx, up, len), 0, "seed %lu", (unsigned long)seed);
	cr_assert_eq(memcmp(A.rx, down, len), 0, "seed %lu", (unsigned long)seed);
}

/* 1 MiB each way on one connection, both closing when done. */
static void exchange(struct tcp_config *ca, struct tcp_config *cb, unsigned max_ms,
		     void (*before_connect)(void))
{
	uint8_t *up = random_bytes(MIB, 1), *down = random_bytes(MIB, 2);
	struct tcp_conn *c;

	prepare_both_ways(ca, cb, up, down, MIB);
	if (before_connect != NULL)
		before_connect();
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
	if (!pair_run_until(&P, &A.closed, max_ms))
		dump_and_fail("client not closed");
	if (!pair_run_until(&P, &S.apps[0].closed, max_ms))
		dump_and_fail("server not closed");
	assert_both_ways(up, down, MIB, 0);
	free(up);
	free(down);
}

Test(tcp_transfer, one_mib_both_ways)
{
	struct tcp_config a, b;

	test_config(&a, &P, 0);
	test_config(&b, &P, 1);
	exchange(&a, &b, 20000, NULL);
	cr_assert_eq(tcp_stack_stats(P.s[0])->retransmits, 0);
	cr_assert_eq(tcp_stack_stats(P.s[1])->retransmits, 0);
	pair_fini(&P);
}

Test(tcp_transfer, loss_and_reorder_2pct)
{
	struct tcp_config a, b;
	const struct tcp_stats *sa, *sb;

	test_config(&a, &P, 0);
	test_config(&b, &P, 1);
	faults(&a, 20000, 7);
	faults(&b, 20000, 8);
	exchange(&a, &b, 300000, NULL);
	sa = tcp_stack_stats(P.s[0]);
	sb = tcp_stack_stats(P.s[1]);
	cr_log_info("client: segs %lu retx %lu fast %lu rto %lu dropped %lu reordered %lu",
		    (unsigned long)sa->segs_out, (unsigned long)sa->retransmits,
		    (unsigned long)sa->fast_retransmits, (unsigned long)sa->rto_events,
		    (unsigned long)(sa->fault_rx_dropped + sa->fault_tx_dropped),
		    (unsigned long)(sa->fault_rx_reordered + sa->fault_tx_reordered));
	cr_log_info("server: segs %lu retx %lu fast %lu rto %lu; synthetic time %lu ms",
		    (unsigned long)sb->segs_out, (unsigned long)sb->retransmits,
		    (unsigned long)sb->fast_retransmits, (unsigned long)sb->rto_events,
		    (unsigned long)(P.now / MS - 1000));
	cr_assert_gt(sa->fault_rx_dropped + sa->fault_tx_dropped, 0);
	cr_assert_gt(sa->fault_rx_reordered + sa->fault_tx_reordered, 0);
	cr_assert_gt(sa->retransmits, 0);
	cr_assert_gt(sb->retransmits, 0);
	cr_assert_gt(sa->fast_retransmits + sb->fast_retransmits, 0);
	pair_fini(&P);
}

static void push_iss_to_wrap(void)
{
	/* choose the clock so the client's ISS lands 100000 below 2^32 */
	uint16_t port = P.s[0]->next_port;
	uint32_t iss = tcp_new_isn(P.s[0], ADDR_A, port, ADDR_B, PORT);
	uint32_t delta = (0u - 100000u) - iss;

	P.now += (uint64_t)delta * 4000;
	tcp_stack_poll(P.s[0], P.now);
	tcp_stack_poll(P.s[1], P.now);
	cr_assert_eq(tcp_new_isn(P.s[0], ADDR_A, port, ADDR_B, PORT), 0u - 100000u);
}

Test(tcp_transfer, sequence_wrap)
{
	struct tcp_config a, b;

	test_config(&a, &P, 0);
	test_config(&b, &P, 1);
	faults(&a, 5000, 3);
	exchange(&a, &b, 300000, push_iss_to_wrap);
	pair_fini(&P);
}

Test(tcp_transfer, many_echo_connections_with_loss)
{
	enum { N = 20, LEN = 64 * 1024 };
	struct tcp_config a, b;
	struct app apps[N];
	uint8_t *data[N];
	bool all = false;

	test_config(&a, &P, 0);
	test_config(&b, &P, 1);
	faults(&a, 20000, 11);
	faults(&b, 20000, 12);
	pair_init(&P, &a, &b);
	cr_assert_eq(tcp_echo_listen(P.s[1], 7), 0);
	for (int i = 0; i < N; i++) {
		struct tcp_conn *c;

		data[i] = random_bytes(LEN, 100 + (uint64_t)i);
		app_init(&apps[i], LEN);
		apps[i].tx = data[i];
		apps[i].tx_len = LEN;
		apps[i].close_when_sent = true;
		cr_assert_eq(tcp_connect(P.s[0], ADDR_B, 7, ADDR_A, &app_cb, &apps[i], &c), 0);
	}
	for (unsigned t = 0; t < 300000 && !all; t += 100) {
		pair_run(&P, 100);
		all = true;
		for (int i = 0; i < N; i++)
			all = all && apps[i].closed;
	}
	cr_assert(all);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(apps[i].err, 0, "conn %d err %d", i, apps[i].err);
		cr_assert_eq(apps[i].rx_len, LEN, "conn %d got %zu", i, apps[i].rx_len);
		cr_assert_eq(memcmp(apps[i].rx, data[i], LEN), 0);
		app_free(&apps[i]);
		free(data[i]);
	}
	pair_fini(&P);
}

static void start_pair(struct tcp_config *a, struct tcp_config *b)
{
	struct tcp_conn *c;

	pair_init(&P, a, b);
	server_init(&S, 1, MIB);
	app_init(&A, MIB);
	cr_assert_eq(tcp_listen(P.s[1], PORT, &server_cb, &S), 0);
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
	cr_assert(pair_run_until(&P, &A.connected, 2000));
	pair_run(&P, 100);
}

Test(tcp_transfer, delayed_ack)
{
	struct tcp_config a, b;

	test_config(&a, &P, 0);
	test_config(&b, &P, 1);
	start_pair(&a, &b);
	cr_assert_eq(tcp_send(A.c, "ping", 4), 4);
	cr_assert_eq(P.tail - P.head, 1);
	pair_pump(&P);
	/* one segment: the ACK waits for the delayed-ACK timer */
	cr_assert_eq(P.tail, P.head);
	pair_run(&P, 39);
	cr_assert_eq(tcp_stack_stats(P.s[1])->delayed_acks, 0);
	pair_run(&P, 2);
	cr_assert_eq(tcp_stack_stats(P.s[1])->delayed_acks, 1);
	cr_assert_eq(A.c->snd_una, A.c->snd_max);
	/* two full segments are ACKed at once */
	static uint8_t two[2920];
	uint64_t before = tcp_stack_stats(P.s[1])->segs_out;
	cr_assert_eq(tcp_send(A.c, two, sizeof(two)), (int)sizeof(two));
	pair_pump(&P);
	cr_assert_eq(tcp_stack_stats(P.s[1])->segs_out, before + 1);
	cr_assert_eq(A.c->snd_una, A.c->snd_max);
	pair_fini(&P);
}

static uint64_t drop_times[16];
static unsigned ndrops;

static bool drop_to_b(struct pair *p, int to, struct rte_mbuf *m, uint32_t s, uint32_t d, void *ctx)
{
	if (to != 1)
		return false;
	if (ndrops < 16)
		drop_times[ndrops] = p->now;
	ndrops++;
	return true;
}

Test(tcp_transfer, rto_backoff_and_give_up)
{
	struct tcp_config a, b;

	test_config(&a, &P, 0);
	a.max_retries = 4;
	test_config(&b, &P, 1);
	start_pair(&a, &b);
	uint32_t rto = tcp_rto_get(&A.c->rto);
	ndrops = 0;
	P.filter = drop_to_b;
	cr_assert_eq(tcp_send(A.c, "data", 4), 4);
	cr_assert(pair_run_until(&P, &A.closed, 60000));
	cr_assert_eq(A.err, -ETIMEDOUT);
	/* original + 4 retransmissions, then RST (also dropped) */
	cr_assert_eq(ndrops, 6);
	for (unsigned i = 1; i < 5; i++) {
		uint64_t gap = (drop_times[i] - drop_times[i - 1]) / MS;
		uint64_t want = (uint64_t)rto << (i - 1);

		cr_assert(gap >= want && gap <= want + 1, "gap %u: %lu ms, want %lu", i,
			  (unsigned long)gap, (unsigned long)want);
	}
	cr_assert_eq(tcp_stack_stats(P.s[0])->rto_events, 4);
	pair_fini(&P);
}

/* Many seeds, heavier loss, small buffers (ring wrap, window closing):
 * every run must deliver everything intact. */
Test(tcp_transfer, loss_many_seeds_small_buffers)
{
	enum { LEN = 256 * 1024 };
	uint8_t *up = random_bytes(LEN, 5), *down = random_bytes(LEN, 6);

	for (uint64_t seed = 1; seed <= 16; seed++) {
		struct tcp_config a, b;
		struct tcp_conn *c;

		test_config(&a, &P, 0);
		test_config(&b, &P, 1);
		a.snd_buf = b.snd_buf = 8192 << (seed % 3);
		a.rcv_buf = b.rcv_buf = 4096 << (seed % 4);
		a.mss = b.mss = (uint16_t)(536 + 300 * (seed % 4));
		faults(&a, 40000, seed * 2);
		faults(&b, 40000, seed * 2 + 1);
		prepare_both_ways(&a, &b, up, down, LEN);
		cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
		if (!pair_run_until(&P, &A.closed, 600000) ||
		    !pair_run_until(&P, &S.apps[0].closed, 600000)) {
			cr_log_error("seed %lu", (unsigned long)seed);
			dump_and_fail("not closed");
		}
		cr_log_info("seed %lu: retx %lu/%lu rto %lu/%lu, %lu ms", (unsigned long)seed,
			    (unsigned long)tcp_stack_stats(P.s[0])->retransmits,
			    (unsigned long)tcp_stack_stats(P.s[1])->retransmits,
			    (unsigned long)tcp_stack_stats(P.s[0])->rto_events,
			    (unsigned long)tcp_stack_stats(P.s[1])->rto_events,
			    (unsigned long)(P.now / MS - 1000));
		assert_both_ways(up, down, LEN, seed);
		app_free(&A);
		server_free(&S);
		pair_fini(&P);
	}
	free(up);
	free(down);
}

/* Duplicates, loss, reordering and an application that stalls its reads
 * at random: the window closes and opens under loss, probes get lost. */
struct chaos {
	uint64_t s;
	unsigned dups;
};

static bool chaos_filter(struct pair *p, int to, struct rte_mbuf *m, uint32_t s, uint32_t d,
			 void *ctx)
{
	struct chaos *ch = ctx;
	uint64_t r = xorshift(&ch->s) % 1000;

	if (r < 20)
		return true;			/* 2% lost */
	if (r < 40 && p->tail - p->head < QCAP - 2) {
		/* 2% duplicated, the copy arrives later */
		struct rte_mbuf *c = rte_pktmbuf_copy(m, test_pool, 0, UINT32_MAX);

		if (c != NULL) {
			p->q[p->tail % QCAP] = (struct qitem){ c, s, d, to };
			p->tail++;
			ch->dups++;
		}
	}
	return false;
}

static void chaos_run(uint64_t seed)
{
	enum { LEN = 256 * 1024 };
	uint8_t *up = random_bytes(LEN, 21 + seed), *down = random_bytes(LEN, 22 + seed);
	struct chaos ch = { .s = 5 + seed };
	struct tcp_config a, b;
	struct tcp_conn *c;
	uint64_t rs = 9 + seed;

	test_config(&a, &P, 0);
	test_config(&b, &P, 1);
	a.rcv_buf = b.rcv_buf = 8192;
	faults(&a, 10000, 31 * seed);
	faults(&b, 10000, 32 * seed);
	prepare_both_ways(&a, &b, up, down, LEN);
	P.filter = chaos_filter;
	P.filter_ctx = &ch;
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
	for (unsigned t = 0; t < 600000 && !(A.closed && S.apps[0].closed); t += 10) {
		/* each reader stalls now and then, for a while */
		struct app *r[2] = { &A, &S.apps[0] };

		for (int i = 0; i < 2; i++) {
			bool was = r[i]->block_rx;

			if (xorshift(&rs) % 100 < 2)
				r[i]->block_rx = !r[i]->block_rx;
			if (was && !r[i]->block_rx && r[i]->c != NULL)
				tcp_recv_resume(r[i]->c);
		}
		if (getenv("TCP_CHAOS_TRACE") != NULL && A.c != NULL && S.apps[0].c != NULL) {
			struct tcp_conn *x = A.c, *y = S.apps[0].c;

			fprintf(stderr, "t=%lu A %s una %u max %u nxt %u rcv %u rq %u blk %d r %u tdl %lu/%lu/%lu | "
				"B %s una %u nxt %u max %u wnd %u rq %u blk %d r %u tdl %lu/%lu/%lu\n",
				(unsigned long)(P.now / MS), tcp_state_name(x->state), x->snd_una, x->snd_max,
				x->snd_nxt, x->rcv_nxt, x->rcvq.len, A.block_rx, x->retries,
				(unsigned long)x->tdl[0], (unsigned long)x->tdl[1], (unsigned long)x->tdl[4],
				tcp_state_name(y->state), y->snd_una, y->snd_nxt, y->snd_max, y->snd_wnd,
				y->rcvq.len, S.apps[0].block_rx, y->retries, (unsigned long)y->tdl[0],
				(unsigned long)y->tdl[1], (unsigned long)y->tdl[4]);
		}
		pair_run(&P, 10);
	}
	if (!A.closed || !S.apps[0].closed) {
		A.block_rx = S.apps[0].block_rx = false;
		dump_and_fail("not closed");
	}
	cr_log_info("chaos seed %lu: errs %d/%d rx %zu/%zu", (unsigned long)seed, A.err, S.apps[0].err, A.rx_len, S.apps[0].rx_len);
	cr_log_info("chaos: %u duplicates, retx %lu/%lu, probes %lu/%lu",
		    ch.dups, (unsigned long)tcp_stack_stats(P.s[0])->retransmits,
		    (unsigned long)tcp_stack_stats(P.s[1])->retransmits,
		    (unsigned long)tcp_stack_stats(P.s[0])->zero_window_probes,
		    (unsigned long)tcp_stack_stats(P.s[1])->zero_window_probes);
	assert_both_ways(up, down, LEN, seed);
	free(up);
	free(down);
	app_free(&A);
	server_free(&S);
	pair_fini(&P);
}

Test(tcp_transfer, chaos_with_stalling_reader)
{
	const char *only = getenv("TCP_CHAOS_SEED");

	for (uint64_t seed = 1; seed <= 8; seed++)
		if (only == NULL || strtoull(only, NULL, 10) == seed)
			chaos_run(seed);
}

/* Echo under loss on both stacks: the echo's receive buffer fills while its
 * send buffer waits for ACKs, so both windows close and open again and
 * again. Zero-window probes used to carry a byte of new data; the RTO
 * then resent a whole segment past the closed window, every later ACK
 * was out of the echo's window, and the echo timed out with both buffers
 * full. Every one of these seeds failed that way. */
Test(tcp_transfer, echo_with_loss_fills_both_windows)
{
	enum { N = 4, LEN = 1 << 20 };
	uint8_t *data = random_bytes(LEN, 3);
	static struct app apps[N];

	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct tcp_config a, b;
		unsigned done = 0;

		test_config(&a, &P, 0);
		test_config(&b, &P, 1);
		faults(&a, 20000, seed * 7919 + 1);
		faults(&b, 20000, seed * 7919 + 104730);
		pair_init(&P, &a, &b);
		cr_assert_eq(tcp_echo_listen(P.s[0], 7), 0);
		for (int i = 0; i < N; i++) {
			struct tcp_conn *c;

			app_init(&apps[i], LEN);
			apps[i].tx = data;
			apps[i].tx_len = LEN;
			apps[i].close_when_sent = true;
			cr_assert_eq(tcp_connect(P.s[1], ADDR_A, 7, ADDR_B, &app_cb, &apps[i], &c), 0);
		}
		for (unsigned t = 0; t < 300000 && done < N; t += 100) {
			pair_run(&P, 100);
			done = 0;
			for (int i = 0; i < N; i++)
				done += apps[i].closed;
		}
		cr_assert_eq(done, N, "seed %lu", (unsigned long)seed);
		cr_assert_eq(tcp_stack_stats(P.s[0])->conns_timeout, 0, "seed %lu",
			     (unsigned long)seed);
		for (int i = 0; i < N; i++) {
			cr_assert_eq(apps[i].err, 0, "seed %lu conn %d", (unsigned long)seed, i);
			cr_assert_eq(apps[i].rx_len, LEN, "seed %lu conn %d", (unsigned long)seed, i);
			cr_assert_eq(memcmp(apps[i].rx, data, LEN), 0);
			app_free(&apps[i]);
		}
		pair_fini(&P);
	}
	free(data);
}
