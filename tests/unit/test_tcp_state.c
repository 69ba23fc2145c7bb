/*
 * State machine tests: two stacks back to back (test_tcp_harness.c).
 * Stack 0 is the client at 192.0.2.1, stack 1 the server at
 * 198.51.100.1:5061.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <rte_mbuf.h>

#include "test_tcp_harness.h"

#define PORT 5061

static struct pair P;
static struct server S;
static struct app A;

static void setup(void)
{
	test_eal_init();
}

TestSuite(tcp_state, .init = setup);

static void start(struct tcp_config *ca, struct tcp_config *cb)
{
	struct tcp_config a, b;

	if (ca == NULL) {
		test_config(&a, &P, 0);
		ca = &a;
	}
	if (cb == NULL) {
		test_config(&b, &P, 1);
		cb = &b;
	}
	pair_init(&P, ca, cb);
	server_init(&S, 8, 1 << 20);
	app_init(&A, 1 << 20);
	cr_assert_eq(tcp_listen(P.s[1], PORT, &server_cb, &S), 0);
}

static void connect_a(void)
{
	struct tcp_conn *c = NULL;

	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
	A.c = c;
	cr_assert(pair_run_until(&P, &A.connected, 5000));
	cr_assert_eq(S.n, 1);
}

static const char *state_of(struct tcp_conn *c)
{
	struct tcp_conn_info i;

	tcp_conn_get_info(c, &i);
	return i.state;
}

static bool even_port(uint16_t port, uint32_t laddr, uint32_t raddr, uint16_t rport, void *ctx)
{
	(void)ctx;
	cr_assert_eq(laddr, ADDR_A);
	cr_assert_eq(raddr, ADDR_B);
	cr_assert_eq(rport, PORT);
	return (port & 1) == 0;
}

Test(tcp_state, handshake)
{
	struct tcp_config a;

	test_config(&a, &P, 0);
	a.port_ok = even_port;
	start(&a, NULL);
	connect_a();
	cr_assert(S.apps[0].accepted);
	cr_assert_str_eq(state_of(A.c), "ESTABLISHED");
	cr_assert_str_eq(state_of(S.apps[0].c), "ESTABLISHED");
	struct tcp_conn_info i;
	tcp_conn_get_info(A.c, &i);
	cr_assert_eq(i.local_port % 2, 0, "port %u not from the predicate", i.local_port);
	cr_assert_eq(i.remote_port, PORT);
	/* options negotiated: MSS and window scale */
	cr_assert_eq(A.c->smss, 1460);
	cr_assert(A.c->flags & TCP_F_WSCALE);
	cr_assert_eq(P.s[1]->half_open, 0);
	cr_assert_eq(tcp_stack_stats(P.s[1])->conns_established, 1);
	pair_fini(&P);
}

/* After an active open the advertised window fits the receive buffer, for
 * peer ISNs anywhere in the sequence space (the right edge of our SYN's
 * window is re-based on the peer's ISN; a stale edge could sit above). */
Test(tcp_state, active_open_window_fits_buffer)
{
	static const uint32_t isns[] = { 0x00000000u, 0x7fff0000u, 0x80000000u, 0x90000000u,
					 0xfffff000u, 0x12345678u };
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };

	for (size_t k = 0; k < sizeof(isns) / sizeof(isns[0]); k++) {
		struct tcp_config a;
		struct tcp_conn *c = NULL;
		struct tcp_conn_info info;
		struct rte_mbuf *m;
		uint32_t seq, ack, dlen;
		uint16_t wnd;
		uint8_t flags;
		int to;

		start(NULL, NULL);
		test_config(&a, &P, 0);
		cr_assert_eq(tcp_connect(P.s[0], ADDR_B, 80, ADDR_A, &app_cb, &A, &c), 0);
		A.c = c;
		m = pair_pop(&P, &to);
		cr_assert_not_null(m);
		seg_hdr(m, &seq, &ack, &flags, &wnd, &dlen);
		rte_pktmbuf_free(m);
		cr_assert(flags & TCP_SYN);
		tcp_conn_get_info(c, &info);
		pair_inject(&P, 0, make_seg(ADDR_B, ADDR_A, 80, info.local_port, isns[k], seq + 1,
					    TCP_SYN | TCP_ACK, 65535, opts, sizeof(opts), NULL, 0),
			    ADDR_B, ADDR_A);
		cr_assert(A.connected, "isn %08x: not connected", isns[k]);
		m = pair_pop(&P, &to);
		cr_assert_not_null(m);
		seg_hdr(m, &seq, &ack, &flags, &wnd, &dlen);
		rte_pktmbuf_free(m);
		cr_assert_eq(ack, isns[k] + 1);
		cr_assert_leq((uint32_t)wnd << c->rcv_wscale, a.rcv_buf,
			      "isn %08x: window %u << %u beyond the %u-byte buffer", isns[k], wnd,
			      c->rcv_wscale, a.rcv_buf);
		cr_assert_leq(c->rcv_adv - c->rcv_nxt, a.rcv_buf, "isn %08x: right edge %u ahead",
			      isns[k], c->rcv_adv - c->rcv_nxt);
		tcp_abort(c);
		A.c = NULL;
		while ((m = pair_pop(&P, &to)) != NULL)
			rte_pktmbuf_free(m);
		pair_fini(&P);
		server_free(&S);
		app_free(&A);
	}
}

Test(tcp_state, refused_without_listener)
{
	struct tcp_conn *c;

	start(NULL, NULL);
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, 9, ADDR_A, &app_cb, &A, &c), 0);
	cr_assert(pair_run_until(&P, &A.closed, 1000));
	cr_assert_eq(A.err, -ECONNREFUSED);
	cr_assert_eq(tcp_stack_stats(P.s[1])->drop_no_listener, 1);
	cr_assert_eq(tcp_stack_stats(P.s[1])->rst_sent, 1);
	pair_fini(&P);
}

static bool drop_all(struct pair *p, int to, struct rte_mbuf *m, uint32_t s, uint32_t d, void *ctx)
{
	int *only = ctx;

	return only == NULL || *only == to;
}

Test(tcp_state, connect_timeout)
{
	struct tcp_config a;
	struct tcp_conn *c;

	test_config(&a, &P, 0);
	a.syn_retries = 2;
	start(&a, NULL);
	P.filter = drop_all;
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
	/* 1 s + 2 s + 4 s */
	cr_assert(pair_run_until(&P, &A.closed, 10000));
	cr_assert_eq(A.err, -ETIMEDOUT);
	cr_assert_eq(tcp_stack_stats(P.s[0])->retransmits, 2);
	cr_assert_eq(P.s[0]->nconns, 0);
	pair_fini(&P);
}

Test(tcp_state, lost_syn_ack_retransmitted)
{
	int to_a = 0;

	start(NULL, NULL);
	P.filter = drop_all;
	P.filter_ctx = &to_a;
	struct tcp_conn *c;
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
	pair_run(&P, 500);
	cr_assert_eq(P.s[1]->half_open, 1);
	P.filter = NULL;
	cr_assert(pair_run_until(&P, &A.connected, 5000));
	pair_run(&P, 10);
	cr_assert_eq(S.n, 1);
	cr_assert_eq(P.s[1]->half_open, 0);
	pair_fini(&P);
}

Test(tcp_state, data_and_graceful_close)
{
	start(NULL, NULL);
	connect_a();
	A.tx = (const uint8_t *)"hello, world";
	A.tx_len = 12;
	A.close_when_sent = true;
	S.apps[0].close_on_fin = true;
	app_send_more(&A);
	cr_assert(pair_run_until(&P, &A.closed, 5000));
	cr_assert_eq(A.err, 0);
	cr_assert(S.apps[0].closed);
	cr_assert_eq(S.apps[0].err, 0);
	cr_assert_eq(S.apps[0].rx_len, 12);
	cr_assert_eq(memcmp(S.apps[0].rx, "hello, world", 12), 0);
	/* the active closer keeps TIME_WAIT for 2 MSL, then forgets */
	cr_assert_eq(P.s[0]->per_state[TCP_S_TIME_WAIT], 1);
	cr_assert_eq(P.s[1]->nconns, 0);
	pair_run(&P, 1900);
	cr_assert_eq(P.s[0]->per_state[TCP_S_TIME_WAIT], 1);
	pair_run(&P, 200);
	cr_assert_eq(P.s[0]->per_state[TCP_S_TIME_WAIT], 0);
	cr_assert_eq(P.s[0]->nconns, 0);
	pair_fini(&P);
}

Test(tcp_state, half_close)
{
	static uint8_t big[100000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	start(NULL, NULL);
	connect_a();
	/* A: send a little, then close its direction */
	A.tx = (const uint8_t *)"request";
	A.tx_len = 7;
	A.close_when_sent = true;
	app_send_more(&A);
	cr_assert(pair_run_until(&P, &S.apps[0].peer_fin, 2000));
	cr_assert_str_eq(state_of(A.c), "FIN_WAIT_2");
	cr_assert_str_eq(state_of(S.apps[0].c), "CLOSE_WAIT");
	/* B still sends a lot after the FIN, then closes */
	S.apps[0].tx = big;
	S.apps[0].tx_len = sizeof(big);
	S.apps[0].close_when_sent = true;
	app_send_more(&S.apps[0]);
	cr_assert(pair_run_until(&P, &A.closed, 10000));
	cr_assert_eq(A.err, 0);
	cr_assert_eq(A.rx_len, sizeof(big));
	cr_assert_eq(memcmp(A.rx, big, sizeof(big)), 0);
	cr_assert(pair_run_until(&P, &S.apps[0].closed, 2000));
	cr_assert_eq(S.apps[0].err, 0);
	pair_fini(&P);
}

Test(tcp_state, simultaneous_close)
{
	start(NULL, NULL);
	connect_a();
	pair_run(&P, 100);
	/* both FINs cross on the wire */
	cr_assert_eq(tcp_close(A.c), 0);
	cr_assert_eq(tcp_close(S.apps[0].c), 0);
	cr_assert_str_eq(state_of(A.c), "FIN_WAIT_1");
	cr_assert_str_eq(state_of(S.apps[0].c), "FIN_WAIT_1");
	pair_run(&P, 1);
	cr_assert(A.closed);
	cr_assert(S.apps[0].closed);
	cr_assert_eq(A.err, 0);
	cr_assert_eq(S.apps[0].err, 0);
	/* CLOSING then TIME_WAIT on both sides */
	cr_assert_eq(P.s[0]->per_state[TCP_S_TIME_WAIT], 1);
	cr_assert_eq(P.s[1]->per_state[TCP_S_TIME_WAIT], 1);
	pair_run(&P, 2100);
	cr_assert_eq(P.s[0]->nconns, 0);
	cr_assert_eq(P.s[1]->nconns, 0);
	pair_fini(&P);
}

Test(tcp_state, time_wait_acks_retransmitted_fin)
{
	struct tcp_conn *tw;
	struct rte_mbuf *m;
	uint32_t seq, ack;
	uint8_t fl;
	int to;

	start(NULL, NULL);
	connect_a();
	A.close_when_sent = true;
	S.apps[0].close_on_fin = true;
	app_send_more(&A);
	cr_assert(pair_run_until(&P, &A.closed, 2000));
	tw = find_conn(&P, 0, 0);
	cr_assert_not_null(tw);
	cr_assert_str_eq(state_of(tw), "TIME_WAIT");
	/* the peer's FIN again (its ACK was "lost") */
	m = make_seg(ADDR_B, ADDR_A, PORT, tw->lport, tw->rcv_nxt - 1, tw->snd_nxt,
		     TCP_FIN | TCP_ACK, 1000, NULL, 0, NULL, 0);
	pair_inject(&P, 0, m, ADDR_B, ADDR_A);
	m = pair_pop(&P, &to);
	cr_assert_not_null(m);
	seg_hdr(m, &seq, &ack, &fl, NULL, NULL);
	rte_pktmbuf_free(m);
	cr_assert_eq(to, 1);
	cr_assert_eq(fl, TCP_ACK);
	cr_assert_eq(ack, tw->rcv_nxt);
	cr_assert_str_eq(state_of(tw), "TIME_WAIT");
	pair_fini(&P);
}

/* RFC 5961 3.2: only an exact RST resets; in-window gets a challenge ACK */
Test(tcp_state, rst_exact_resets)
{
	struct tcp_conn *b;
	struct rte_mbuf *m;

	start(NULL, NULL);
	connect_a();
	b = S.apps[0].c;
	m = make_seg(ADDR_A, ADDR_B, A.c->lport, PORT, b->rcv_nxt, 0, TCP_RST, 0, NULL, 0, NULL, 0);
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	cr_assert(S.apps[0].closed);
	cr_assert_eq(S.apps[0].err, -ECONNRESET);
	pair_fini(&P);
}

Test(tcp_state, rst_in_window_challenged)
{
	struct tcp_conn *b;
	struct rte_mbuf *m;
	uint32_t ack;
	uint8_t fl;
	int to;

	start(NULL, NULL);
	connect_a();
	b = S.apps[0].c;
	m = make_seg(ADDR_A, ADDR_B, A.c->lport, PORT, b->rcv_nxt + 100, 0, TCP_RST, 0,
		     NULL, 0, NULL, 0);
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	cr_assert(!S.apps[0].closed);
	cr_assert_eq(tcp_stack_stats(P.s[1])->drop_rst_challenged, 1);
	cr_assert_eq(tcp_stack_stats(P.s[1])->challenge_acks, 1);
	m = pair_pop(&P, &to);
	cr_assert_not_null(m);
	seg_hdr(m, NULL, &ack, &fl, NULL, NULL);
	cr_assert_eq(to, 0);
	cr_assert_eq(fl, TCP_ACK);
	cr_assert_eq(ack, b->rcv_nxt);
	/* the real peer, on a challenge ACK, would answer with an exact RST;
	 * here the ACK is simply accepted and nothing breaks */
	pair_inject(&P, 0, m, ADDR_B, ADDR_A);
	/* out of the window entirely: dropped silently */
	m = make_seg(ADDR_A, ADDR_B, A.c->lport, PORT, b->rcv_nxt + 0x40000000u, 0, TCP_RST, 0,
		     NULL, 0, NULL, 0);
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	cr_assert_eq(tcp_stack_stats(P.s[1])->drop_rst_ignored, 1);
	cr_assert_eq(P.head, P.tail);
	pair_run(&P, 100);
	cr_assert(!S.apps[0].closed);
	cr_assert(!A.closed);
	cr_assert_str_eq(state_of(b), "ESTABLISHED");
	pair_fini(&P);
}

Test(tcp_state, syn_on_established_challenged)
{
	struct tcp_conn *b;
	struct rte_mbuf *m;

	start(NULL, NULL);
	connect_a();
	b = S.apps[0].c;
	m = make_seg(ADDR_A, ADDR_B, A.c->lport, PORT, b->rcv_nxt + 5, 0, TCP_SYN, 1000,
		     NULL, 0, NULL, 0);
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	cr_assert_eq(tcp_stack_stats(P.s[1])->drop_syn_challenged, 1);
	cr_assert_eq(tcp_stack_stats(P.s[1])->challenge_acks, 1);
	pair_run(&P, 100);
	cr_assert(!S.apps[0].closed);
	cr_assert_str_eq(state_of(b), "ESTABLISHED");
	pair_fini(&P);
}

Test(tcp_state, challenge_acks_rate_limited)
{
	struct tcp_config b;
	struct tcp_conn *bc;

	test_config(&b, &P, 1);
	b.challenge_ack_per_s = 5;
	start(NULL, &b);
	connect_a();
	bc = S.apps[0].c;
	for (int i = 0; i < 20; i++) {
		struct rte_mbuf *m = make_seg(ADDR_A, ADDR_B, A.c->lport, PORT,
					      bc->rcv_nxt + 10 + (uint32_t)i, 0, TCP_RST, 0,
					      NULL, 0, NULL, 0);
		pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	}
	cr_assert_eq(tcp_stack_stats(P.s[1])->drop_rst_challenged, 20);
	cr_assert_eq(tcp_stack_stats(P.s[1])->challenge_acks, 5);
	pair_fini(&P);
}

/* Fake sources fill the half-open table; their SYN-ACKs go nowhere. */
static bool drop_fake(struct pair *p, int to, struct rte_mbuf *m, uint32_t s, uint32_t d, void *ctx)
{
	return d != ADDR_A && d != ADDR_B;
}

static void fill_half_open(unsigned n)
{
	static const uint8_t mss_opt[4] = { 2, 4, 0x05, 0xb4 };

	for (unsigned i = 0; i < n; i++) {
		uint32_t src = 0xcb007100u + 10 + i;	/* 203.0.113.x */
		struct rte_mbuf *m = make_seg(src, ADDR_B, 1000 + (uint16_t)i, PORT, 1000 * i, 0,
					      TCP_SYN, 65535, mss_opt, 4, NULL, 0);
		pair_inject(&P, 1, m, src, ADDR_B);
	}
}

Test(tcp_state, syn_cookies_when_half_open_full)
{
	static uint8_t big[50000];
	struct tcp_config b;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + 1);
	test_config(&b, &P, 1);
	b.max_half_open = 2;
	start(NULL, &b);
	P.filter = drop_fake;
	fill_half_open(2);
	pair_pump(&P);
	cr_assert_eq(P.s[1]->half_open, 2);
	connect_a();
	const struct tcp_stats *st = tcp_stack_stats(P.s[1]);
	cr_assert_eq(st->syn_cookies_sent, 1);
	cr_assert_eq(st->syn_cookies_ok, 1);
	cr_assert_eq(P.s[1]->half_open, 2);
	/* the cookie carried MSS and window scale: bulk data works */
	cr_assert(S.apps[0].c->flags & TCP_F_WSCALE);
	A.tx = big;
	A.tx_len = sizeof(big);
	app_send_more(&A);
	pair_run(&P, 2000);
	cr_assert_eq(S.apps[0].rx_len, sizeof(big));
	cr_assert_eq(memcmp(S.apps[0].rx, big, sizeof(big)), 0);
	pair_fini(&P);
}

Test(tcp_state, syn_cookie_forged_ack)
{
	struct tcp_config b;
	struct rte_mbuf *m;

	test_config(&b, &P, 1);
	b.max_half_open = 1;
	start(NULL, &b);
	P.filter = drop_fake;
	fill_half_open(2);	/* the second one got a cookie */
	pair_pump(&P);
	cr_assert_eq(tcp_stack_stats(P.s[1])->syn_cookies_sent, 1);
	/* a guessed ACK for the cookie SYN-ACK */
	m = make_seg(0xcb007100u + 11, ADDR_B, 1001, PORT, 1001, 0x12345678, TCP_ACK, 1000,
		     NULL, 0, NULL, 0);
	pair_inject(&P, 1, m, 0xcb007100u + 11, ADDR_B);
	cr_assert_eq(tcp_stack_stats(P.s[1])->drop_syn_cookie_fail, 1);
	cr_assert_eq(P.s[1]->nconns, 1);
	pair_fini(&P);
}

Test(tcp_state, half_open_expire)
{
	struct tcp_config b;

	test_config(&b, &P, 1);
	b.syn_retries = 1;
	start(NULL, &b);
	P.filter = drop_fake;
	fill_half_open(3);
	pair_pump(&P);
	cr_assert_eq(P.s[1]->half_open, 3);
	pair_run(&P, 4000);	/* 1 s + 2 s */
	cr_assert_eq(P.s[1]->half_open, 0);
	cr_assert_eq(P.s[1]->nconns, 0);
	pair_fini(&P);
}

Test(tcp_state, zero_window_and_probe)
{
	static uint8_t big[200000];
	struct tcp_conn *b;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i ^ (i >> 8));
	start(NULL, NULL);
	connect_a();
	b = S.apps[0].c;
	S.apps[0].block_rx = true;
	A.tx = big;
	A.tx_len = sizeof(big);
	app_send_more(&A);
	pair_run(&P, 5000);
	/* the receiver's buffer is full and its window closed */
	cr_assert_eq(b->rcvq.len, b->rcvq.size);
	cr_assert_eq(A.c->snd_wnd, 0);
	cr_assert_gt(tcp_stack_stats(P.s[0])->zero_window_probes, 0);
	cr_assert(!A.closed);
	/* probes took no sequence space: nothing is past the closed window,
	 * so the sender's ACKs stay acceptable to the receiver */
	cr_assert_eq(A.c->snd_max, A.c->snd_una);
	cr_assert_eq(b->rcv_nxt, A.c->snd_una);
	/* the app reads again: the window opens and everything arrives */
	S.apps[0].block_rx = false;
	tcp_recv_resume(b);
	pair_run(&P, 5000);
	cr_assert_eq(S.apps[0].rx_len, sizeof(big));
	cr_assert_eq(memcmp(S.apps[0].rx, big, sizeof(big)), 0);
	cr_assert_eq(A.tx_off, sizeof(big));
	cr_assert_gt(A.writable_calls, 0);
	pair_fini(&P);
}

Test(tcp_state, keepalive_probes_then_timeout)
{
	struct tcp_config a;
	int to_a = 0;

	test_config(&a, &P, 0);
	a.keepalive_idle_ms = 1000;
	a.keepalive_intvl_ms = 500;
	a.keepalive_probes = 3;
	start(&a, NULL);
	connect_a();
	/* an answering peer keeps the connection */
	pair_run(&P, 5000);
	cr_assert_geq(tcp_stack_stats(P.s[0])->keepalive_probes, 4);
	cr_assert(!A.closed);
	/* a silent peer: idle, three probes, then the connection dies */
	P.filter = drop_all;
	P.filter_ctx = &to_a;
	cr_assert(pair_run_until(&P, &A.closed, 5000));
	cr_assert_eq(A.err, -ETIMEDOUT);
	pair_fini(&P);
}

Test(tcp_state, connection_limit)
{
	struct tcp_config a, b;
	struct app extra[6];
	struct tcp_conn *c;

	test_config(&a, &P, 0);
	a.syn_retries = 1;
	test_config(&b, &P, 1);
	b.max_conns = 4;
	start(&a, &b);
	for (int i = 0; i < 6; i++) {
		app_init(&extra[i], 0);
		cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &extra[i], &c), 0);
	}
	pair_run(&P, 5000);
	int ok = 0, failed = 0;
	for (int i = 0; i < 6; i++) {
		ok += extra[i].connected && !extra[i].closed;
		failed += extra[i].closed && extra[i].err == -ETIMEDOUT;
	}
	cr_assert_eq(ok, 4);
	cr_assert_eq(failed, 2);
	cr_assert_gt(tcp_stack_stats(P.s[1])->drop_conn_limit, 0);
	cr_assert_eq(P.s[1]->nconns, 4);
	pair_fini(&P);
}

Test(tcp_state, per_source_limit)
{
	struct tcp_config a, b;
	struct app extra[3];
	struct tcp_conn *c;

	test_config(&a, &P, 0);
	a.syn_retries = 1;
	test_config(&b, &P, 1);
	b.max_per_source = 2;
	start(&a, &b);
	for (int i = 0; i < 3; i++) {
		app_init(&extra[i], 0);
		cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &extra[i], &c), 0);
	}
	pair_run(&P, 5000);
	cr_assert_eq(S.n, 2);
	cr_assert_gt(tcp_stack_stats(P.s[1])->drop_source_limit, 0);
	cr_assert_eq(tcp_conn_src_count(P.s[1], ADDR_A), 2);
	pair_fini(&P);
}

Test(tcp_state, abort_sends_rst)
{
	start(NULL, NULL);
	connect_a();
	tcp_abort(A.c);
	cr_assert(!A.closed);	/* no callback for the caller's own abort */
	pair_pump(&P);
	cr_assert(S.apps[0].closed);
	cr_assert_eq(S.apps[0].err, -ECONNRESET);
	cr_assert_eq(P.s[0]->nconns, 0);
	cr_assert_eq(P.s[1]->nconns, 0);
	pair_fini(&P);
}

Test(tcp_state, accept_refused)
{
	start(NULL, NULL);
	S.refuse = true;
	struct tcp_conn *c;
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
	cr_assert(pair_run_until(&P, &A.closed, 2000));
	cr_assert_eq(A.err, -ECONNRESET);
	cr_assert_eq(P.s[1]->nconns, 0);
	pair_fini(&P);
}

Test(tcp_state, echo_service)
{
	static uint8_t data[100000];
	struct tcp_conn *c;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + (i >> 9));
	start(NULL, NULL);
	cr_assert_eq(tcp_echo_listen(P.s[1], 7), 0);
	cr_assert_eq(tcp_echo_listen(P.s[1], 7), -EEXIST);
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, 7, ADDR_A, &app_cb, &A, &c), 0);
	A.tx = data;
	A.tx_len = sizeof(data);
	A.close_when_sent = true;
	cr_assert(pair_run_until(&P, &A.closed, 20000));
	cr_assert_eq(A.err, 0);
	cr_assert(A.peer_fin);
	cr_assert_eq(A.rx_len, sizeof(data));
	cr_assert_eq(memcmp(A.rx, data, sizeof(data)), 0);
	pair_fini(&P);
}

Test(tcp_state, stats_json)
{
	json_t *j;

	start(NULL, NULL);
	connect_a();
	j = tcp_stack_json(P.s[1]);
	cr_assert_not_null(j);
	cr_assert_eq(json_integer_value(json_object_get(j, "conns")), 1);
	cr_assert_not_null(json_object_get(json_object_get(json_object_get(j, "stats"), "drops"),
					   "bad_checksum"));
	json_decref(j);
	j = tcp_conn_json(A.c);
	cr_assert_not_null(j);
	cr_assert_str_eq(json_string_value(json_object_get(j, "state")), "ESTABLISHED");
	json_decref(j);
	pair_fini(&P);
}

Test(tcp_state, time_wait_reused_by_higher_syn)
{
	struct tcp_conn *tw;
	uint32_t old_nxt;
	uint16_t port;

	start(NULL, NULL);
	connect_a();
	S.apps[0].close_when_sent = true;
	A.close_on_fin = true;
	app_send_more(&S.apps[0]);	/* the server closes first: TIME_WAIT there */
	cr_assert(pair_run_until(&P, &S.apps[0].closed, 2000));
	tw = find_conn(&P, 1, PORT);
	cr_assert_not_null(tw);
	cr_assert_str_eq(state_of(tw), "TIME_WAIT");
	old_nxt = tw->rcv_nxt;
	port = tw->rport;
	pair_run(&P, 100);
	/* same 4-tuple, ISN above the old sequence space */
	pair_inject(&P, 1, make_seg(ADDR_A, ADDR_B, port, PORT, old_nxt + 100000, 0, TCP_SYN,
				    65535, NULL, 0, NULL, 0), ADDR_A, ADDR_B);
	cr_assert_eq(P.s[1]->half_open, 1);
	cr_assert_eq(P.s[1]->per_state[TCP_S_TIME_WAIT], 0);
	/* an old-space SYN would only get a challenge ACK (checked elsewhere) */
	pair_fini(&P);
}

Test(tcp_state, simultaneous_open)
{
	struct tcp_config a, b;
	struct app B;
	struct tcp_conn *ca, *cb;

	test_config(&a, &P, 0);
	test_config(&b, &P, 1);
	a.ephemeral_lo = a.ephemeral_hi = 40000;
	b.ephemeral_lo = b.ephemeral_hi = 40001;
	pair_init(&P, &a, &b);
	app_init(&A, 1024);
	app_init(&B, 1024);
	/* both SYNs are queued before either arrives */
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, 40001, ADDR_A, &app_cb, &A, &ca), 0);
	cr_assert_eq(tcp_connect(P.s[1], ADDR_A, 40000, ADDR_B, &app_cb, &B, &cb), 0);
	cr_assert(pair_run_until(&P, &A.connected, 1000));
	cr_assert(pair_run_until(&P, &B.connected, 1000));
	cr_assert_str_eq(state_of(ca), "ESTABLISHED");
	cr_assert_str_eq(state_of(cb), "ESTABLISHED");
	cr_assert_eq(tcp_send(ca, "abc", 3), 3);
	pair_run(&P, 100);
	cr_assert_eq(B.rx_len, 3);
	cr_assert_lt(P.delivered, 20, "segments ping-pong: %u", P.delivered);
	app_free(&B);
	pair_fini(&P);
}

/* Connect, stop the server's reader and send len bytes for ms: the
 * server's window closes. */
static void stall_reader(const uint8_t *data, size_t len, unsigned ms)
{
	connect_a();
	S.apps[0].block_rx = true;
	A.tx = data;
	A.tx_len = len;
	app_send_more(&A);
	pair_run(&P, ms);
}

/* A reader that stops for minutes is not a dead peer: retransmissions
 * into its closed window do not count towards max_retries. */
Test(tcp_state, long_zero_window_survives)
{
	static uint8_t big[300000];
	struct tcp_config a;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 3 + (i >> 10));
	test_config(&a, &P, 0);
	a.max_retries = 3;
	start(&a, NULL);
	stall_reader(big, sizeof(big), 300000);
	cr_assert(!A.closed, "closed with %d", A.err);
	cr_assert_eq(A.c->snd_wnd, 0);
	S.apps[0].block_rx = false;
	tcp_recv_resume(S.apps[0].c);
	pair_run(&P, 130000);	/* the sender's probe interval is at most rto_max */
	cr_assert(!A.closed, "closed with %d after resume, got %zu", A.err, S.apps[0].rx_len);
	cr_assert_eq(S.apps[0].rx_len, sizeof(big), "got %zu, A sent %zu, una %u nxt %u max %u wnd %u "
		     "retx %lu persist %lu tdl %lu/%lu now %lu", S.apps[0].rx_len, A.tx_off,
		     A.c->snd_una, A.c->snd_nxt, A.c->snd_max, A.c->snd_wnd,
		     (unsigned long)tcp_stack_stats(P.s[0])->retransmits,
		     (unsigned long)tcp_stack_stats(P.s[0])->zero_window_probes,
		     (unsigned long)A.c->tdl[0], (unsigned long)A.c->tdl[1], (unsigned long)(P.now / MS));
	cr_assert_eq(memcmp(S.apps[0].rx, big, sizeof(big)), 0);
	pair_fini(&P);
}

/* A peer gone silent while its window is closed is given up after
 * max_retries unanswered probes, not kept forever. */
Test(tcp_state, silent_zero_window_peer_times_out)
{
	static uint8_t big[300000];
	struct tcp_config a;
	uint64_t probes;

	test_config(&a, &P, 0);
	a.max_retries = 3;
	start(&a, NULL);
	stall_reader(big, sizeof(big), 3000);
	cr_assert_eq(A.c->snd_wnd, 0);
	probes = tcp_stack_stats(P.s[0])->zero_window_probes;
	P.filter = drop_all;
	cr_assert(pair_run_until(&P, &A.closed, 600000));
	cr_assert_eq(A.err, -ETIMEDOUT);
	/* the first lost probe, then max_retries more unanswered ones */
	cr_assert_eq(tcp_stack_stats(P.s[0])->zero_window_probes, probes + 4, "%lu probes",
		     (unsigned long)(tcp_stack_stats(P.s[0])->zero_window_probes - probes));
	pair_fini(&P);
}

/* RFC 9293 3.10.7.4: with the receive window closed, the ACK field of a
 * segment past the window (a byte-of-new-data probe) is still processed;
 * ignoring it left both ends waiting on full buffers. */
Test(tcp_state, ack_beyond_closed_window_is_processed)
{
	static uint8_t big[300000];
	struct tcp_conn *b;
	uint64_t oow;

	start(NULL, NULL);
	stall_reader(big, sizeof(big), 3000);
	b = S.apps[0].c;
	cr_assert_eq(tcp_rcv_window(b), 0);
	/* b sends; A's acknowledgement is lost */
	P.filter = drop_all;
	cr_assert_eq(tcp_send(b, "reply", 5), 5);
	pair_pump(&P);
	P.filter = NULL;
	cr_assert_eq(b->snd_max, b->snd_una + 5);
	oow = tcp_stack_stats(P.s[1])->drop_out_of_window;
	/* A probes with a byte past b's closed window, acknowledging "reply" */
	pair_inject(&P, 1, make_seg(ADDR_A, ADDR_B, A.c->lport, PORT, b->rcv_nxt, b->snd_max,
				    TCP_ACK, 1000, NULL, 0, (const uint8_t *)"z", 1),
		    ADDR_A, ADDR_B);
	cr_assert_eq(b->snd_una, b->snd_max);
	cr_assert_eq(tcp_stack_stats(P.s[1])->drop_out_of_window, oow + 1);
	/* the same one byte further on: still only its ACK is used */
	pair_inject(&P, 1, make_seg(ADDR_A, ADDR_B, A.c->lport, PORT, b->rcv_nxt + 1, b->snd_max,
				    TCP_ACK | TCP_FIN, 1000, NULL, 0, (const uint8_t *)"z", 1),
		    ADDR_A, ADDR_B);
	cr_assert_eq(tcp_stack_stats(P.s[1])->drop_out_of_window, oow + 2);
	cr_assert_str_eq(state_of(b), "ESTABLISHED");
	pair_fini(&P);
}

/* A full pool whose connections wait in TIME_WAIT gives the oldest up for a
 * new connection instead of refusing it. */
Test(tcp_state, time_wait_recycled_when_pool_full)
{
	struct tcp_config a;
	struct app apps[5];
	struct tcp_conn *c;

	test_config(&a, &P, 0);
	a.max_conns = 4;
	a.time_wait_ms = 60000;
	start(&a, NULL);
	S.apps[0].close_on_fin = true;
	for (int i = 0; i < 4; i++) {
		app_init(&apps[i], 0);
		apps[i].close_when_sent = true;
		S.apps[i].close_on_fin = true;
		cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &apps[i], &c), 0);
		cr_assert(pair_run_until(&P, &apps[i].closed, 2000));
		cr_assert_eq(apps[i].err, 0);
	}
	cr_assert_eq(P.s[0]->per_state[TCP_S_TIME_WAIT], 4);
	cr_assert_eq(P.s[0]->nconns, 4);
	/* TIME_WAIT entries do not count against the peer's source limit */
	cr_assert_eq(tcp_conn_src_count(P.s[0], ADDR_B), 0);
	app_init(&apps[4], 16);
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &apps[4], &c), 0);
	cr_assert(pair_run_until(&P, &apps[4].connected, 2000));
	cr_assert_eq(tcp_stack_stats(P.s[0])->time_wait_recycled, 1);
	cr_assert_eq(P.s[0]->per_state[TCP_S_TIME_WAIT], 3);
	cr_assert_eq(tcp_send(c, "x", 1), 1);
	pair_run(&P, 100);
	cr_assert_eq(S.apps[4].rx_len, 1);
	/* the rest expire as usual */
	pair_run(&P, 61000);
	cr_assert_eq(P.s[0]->per_state[TCP_S_TIME_WAIT], 0);
	pair_fini(&P);
}
