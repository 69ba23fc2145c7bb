/*
 * Hostile and malformed input: a table of bad segments, the option parser,
 * RST replies to segments without a connection, checksum offload flags,
 * chained mbufs, and random segments thrown at a live stack.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "test_tcp_harness.h"

#define PORT 5061

static struct pair P;
static struct server S;
static struct app A;

TestSuite(tcp_input, .init = test_eal_init);

static void start(void)
{
	struct tcp_config a, b;

	test_config(&a, &P, 0);
	test_config(&b, &P, 1);
	pair_init(&P, &a, &b);
	server_init(&S, 4, 1 << 16);
	app_init(&A, 1 << 16);
	cr_assert_eq(tcp_listen(P.s[1], PORT, &server_cb, &S), 0);
}

struct opt_case {
	const char *name;
	uint8_t opt[12];
	unsigned len;
	int rc;
	uint16_t mss;
	int ws;
};

Test(tcp_input, option_parser_table)
{
	static const struct opt_case cases[] = {
		{ "empty", { 0 }, 0, 0, 0, -1 },
		{ "mss", { 2, 4, 0x05, 0xb4 }, 4, 0, 1460, -1 },
		{ "mss+nop+ws", { 2, 4, 0x02, 0x18, 1, 3, 3, 7 }, 8, 0, 536, 7 },
		{ "ws too large clamps to 14", { 3, 3, 20, 0 }, 4, 0, 0, 14 },
		{ "eol stops parsing", { 0, 2, 4, 0, 0 }, 5, 0, 0, -1 },
		{ "unknown kind skipped", { 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 2, 4 }, 10, 0, 0, -1 },
		{ "length zero", { 2, 0, 0, 0 }, 4, -EINVAL, 0, -1 },
		{ "length one", { 8, 1, 0, 0 }, 4, -EINVAL, 0, -1 },
		{ "overruns", { 1, 8, 10, 1, 2 }, 5, -EINVAL, 0, -1 },
		{ "kind without length", { 1, 1, 1, 2 }, 4, -EINVAL, 0, -1 },
		{ "bad mss length", { 2, 3, 5, 0 }, 4, -EINVAL, 0, -1 },
		{ "bad ws length", { 3, 4, 5, 0 }, 4, -EINVAL, 0, -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tcp_seg seg;
		int rc = tcp_parse_options(cases[i].opt, cases[i].len, &seg);

		cr_assert_eq(rc, cases[i].rc, "%s: rc %d", cases[i].name, rc);
		if (rc == 0) {
			cr_assert_eq(seg.mss, cases[i].mss, "%s", cases[i].name);
			cr_assert_eq(seg.wscale, cases[i].ws, "%s", cases[i].name);
		}
	}
}

static const struct tcp_stats *sb(void)
{
	return tcp_stack_stats(P.s[1]);
}

static struct rte_mbuf *syn(void)
{
	return make_seg(ADDR_A, ADDR_B, 40000, PORT, 1, 0, TCP_SYN, 1000, NULL, 0, NULL, 0);
}

Test(tcp_input, malformed_segments_counted)
{
	struct rte_mbuf *m;

	start();
	/* bad checksum */
	m = syn();
	rte_pktmbuf_mtod(m, struct rte_tcp_hdr *)->cksum ^= 0x0100;
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	cr_assert_eq(sb()->drop_bad_checksum, 1);
	/* checksum fine but for another address (pseudo-header) */
	pair_inject(&P, 1, syn(), ADDR_A + 1, ADDR_B);
	cr_assert_eq(sb()->drop_bad_checksum, 2);
	/* truncated: 19 bytes */
	m = syn();
	rte_pktmbuf_trim(m, 1);
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	cr_assert_eq(sb()->drop_truncated, 1);
	/* data offset below 5 words, and beyond the segment */
	m = syn();
	rte_pktmbuf_mtod(m, struct rte_tcp_hdr *)->data_off = 4 << 4;
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	m = syn();
	rte_pktmbuf_mtod(m, struct rte_tcp_hdr *)->data_off = 15 << 4;
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	cr_assert_eq(sb()->drop_bad_offset, 2);
	/* SYN+FIN, SYN+RST */
	pair_inject(&P, 1, make_seg(ADDR_A, ADDR_B, 40000, PORT, 1, 0, TCP_SYN | TCP_FIN, 1000,
				    NULL, 0, NULL, 0), ADDR_A, ADDR_B);
	pair_inject(&P, 1, make_seg(ADDR_A, ADDR_B, 40000, PORT, 1, 0, TCP_SYN | TCP_RST, 1000,
				    NULL, 0, NULL, 0), ADDR_A, ADDR_B);
	cr_assert_eq(sb()->drop_bad_flags, 2);
	/* malformed options */
	static const uint8_t bad_opt[4] = { 2, 0, 0, 0 };
	pair_inject(&P, 1, make_seg(ADDR_A, ADDR_B, 40000, PORT, 1, 0, TCP_SYN, 1000,
				    bad_opt, 4, NULL, 0), ADDR_A, ADDR_B);
	cr_assert_eq(sb()->drop_bad_options, 1);
	/* nothing created, nothing answered */
	cr_assert_eq(P.s[1]->nconns, 0);
	cr_assert_eq(P.tail, P.head);
	pair_fini(&P);
}

Test(tcp_input, rst_replies_without_connection)
{
	struct rte_mbuf *m;
	uint32_t seq, ack;
	uint8_t fl;

	start();
	/* segment with ACK: RST with seq = its ack, no ACK flag */
	pair_inject(&P, 1, make_seg(ADDR_A, ADDR_B, 40000, 80, 500, 777, TCP_ACK, 1000,
				    NULL, 0, (const uint8_t *)"xy", 2), ADDR_A, ADDR_B);
	m = pair_pop(&P, NULL);
	cr_assert_not_null(m);
	seg_hdr(m, &seq, NULL, &fl, NULL, NULL);
	rte_pktmbuf_free(m);
	cr_assert_eq(fl, TCP_RST);
	cr_assert_eq(seq, 777);
	/* SYN without ACK: RST|ACK acknowledging the SYN */
	pair_inject(&P, 1, make_seg(ADDR_A, ADDR_B, 40000, 80, 500, 0, TCP_SYN, 1000,
				    NULL, 0, NULL, 0), ADDR_A, ADDR_B);
	m = pair_pop(&P, NULL);
	cr_assert_not_null(m);
	seg_hdr(m, &seq, &ack, &fl, NULL, NULL);
	rte_pktmbuf_free(m);
	cr_assert_eq(fl, TCP_RST | TCP_ACK);
	cr_assert_eq(seq, 0);
	cr_assert_eq(ack, 501);
	/* never a RST for a RST */
	pair_inject(&P, 1, make_seg(ADDR_A, ADDR_B, 40000, 80, 500, 0, TCP_RST, 0,
				    NULL, 0, NULL, 0), ADDR_A, ADDR_B);
	cr_assert_eq(P.tail, P.head);
	cr_assert_eq(sb()->drop_no_listener, 3);
	pair_fini(&P);
}

Test(tcp_input, rx_checksum_offload_flags)
{
	struct rte_mbuf *m;

	start();
	m = syn();
	rte_pktmbuf_mtod(m, struct rte_tcp_hdr *)->cksum ^= 0x0100;
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;	/* the NIC said good */
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	cr_assert_eq(sb()->drop_bad_checksum, 0);
	cr_assert_eq(P.s[1]->half_open, 1);
	m = syn();
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	pair_inject(&P, 1, m, ADDR_A, ADDR_B);
	cr_assert_eq(sb()->drop_bad_checksum, 1);
	pair_fini(&P);
}

/* Split one segment's payload over two mbufs. */
static bool split_data(struct pair *p, int to, struct rte_mbuf *m, uint32_t s, uint32_t d, void *ctx)
{
	uint32_t dlen;
	struct rte_mbuf *tail;
	unsigned *count = ctx;

	seg_hdr(m, NULL, NULL, NULL, NULL, &dlen);
	if (to != 1 || dlen < 100)
		return false;
	tail = rte_pktmbuf_alloc(test_pool);
	cr_assert_not_null(tail);
	uint32_t keep = rte_pktmbuf_pkt_len(m) - 50;
	memcpy(rte_pktmbuf_append(tail, 50), rte_pktmbuf_mtod_offset(m, uint8_t *, keep), 50);
	rte_pktmbuf_trim(m, 50);
	cr_assert_eq(rte_pktmbuf_chain(m, tail), 0);
	(*count)++;
	return false;	/* deliver the chain */
}

Test(tcp_input, chained_mbuf_payload)
{
	static uint8_t data[3000];
	struct tcp_conn *c;
	unsigned split = 0;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 5);
	start();
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
	cr_assert(pair_run_until(&P, &A.connected, 1000));
	P.filter = split_data;
	P.filter_ctx = &split;
	A.tx = data;
	A.tx_len = sizeof(data);
	app_send_more(&A);
	pair_run(&P, 100);
	cr_assert_gt(split, 0);
	cr_assert_eq(S.apps[0].rx_len, sizeof(data));
	cr_assert_eq(memcmp(S.apps[0].rx, data, sizeof(data)), 0);
	pair_fini(&P);
}

Test(tcp_input, random_segments_do_not_break_the_stack)
{
	uint64_t seed = 99;
	struct tcp_conn *c;
	uint8_t payload[64];

	start();
	cr_assert_eq(tcp_connect(P.s[0], ADDR_B, PORT, ADDR_A, &app_cb, &A, &c), 0);
	cr_assert(pair_run_until(&P, &A.connected, 1000));
	struct tcp_conn *b = S.apps[0].c;
	for (int i = 0; i < 5000; i++) {
		uint64_t r = xorshift(&seed);
		uint8_t flags = (uint8_t)(r & 0x3f);
		/* half aimed at the live connection near its window */
		bool live = (r >> 8) & 1;
		uint16_t sport = live ? A.c->lport : (uint16_t)(1 + ((r >> 9) % 64));
		uint32_t seq = live ? b->rcv_nxt + (uint32_t)((int32_t)(r >> 20) % 70000)
				    : (uint32_t)(r >> 16);
		uint32_t ack = live ? b->snd_una + (uint32_t)((int32_t)(r >> 40) % 70000)
				    : (uint32_t)(r >> 24);
		unsigned dlen = (unsigned)((r >> 50) % sizeof(payload));
		uint8_t opt[8] = { 2, 4, 0, (uint8_t)r, 1, 3, 3, (uint8_t)(r >> 30) };

		memset(payload, (int)r, sizeof(payload));
		struct rte_mbuf *m = make_seg(ADDR_A, ADDR_B, sport, PORT, seq, ack, flags,
					      (uint16_t)(r >> 33), opt, (r >> 7) & 1 ? 8 : 0,
					      payload, dlen);
		pair_inject(&P, 1, m, ADDR_A, ADDR_B);
		/* the other stack answers; keep the queue short */
		pair_pump(&P);
		if (i % 100 == 0)
			pair_run(&P, 10);
		if (S.apps[0].closed)
			break;	/* an exact RST may hit: that is allowed */
	}
	pair_run(&P, 70000);	/* every half-open entry and timer drains */
	cr_assert_leq(P.s[1]->nconns, 1 + (S.apps[0].closed ? 0 : 1));
	cr_assert_eq(P.s[1]->half_open, 0);
	cr_assert_eq(P.qdrops, 0);
	pair_fini(&P);
}
