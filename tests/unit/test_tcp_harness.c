/*
 * test_tcp_harness.c: EAL set-up and the back-to-back stack pair.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "test_tcp_harness.h"

struct rte_mempool *test_pool;

void test_eal_init(void)
{
	char *argv[] = {
		"test_tcp", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--log-level=*:error", "-l", "0", "--no-telemetry", NULL,
	};
	int rc;

	if (test_pool != NULL)
		return;
	rc = rte_eal_init(10, argv);
	cr_assert_geq(rc, 0, "rte_eal_init failed");
	test_pool = rte_pktmbuf_pool_create("tcp_test", 16383, 256, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	cr_assert_not_null(test_pool);
}

static int out_a(void *ctx, struct rte_mbuf *m, uint32_t s, uint32_t d);
static int out_b(void *ctx, struct rte_mbuf *m, uint32_t s, uint32_t d);

static int enqueue(struct pair *p, int to, struct rte_mbuf *m, uint32_t s, uint32_t d)
{
	if (p->tail - p->head >= QCAP) {
		p->qdrops++;
		rte_pktmbuf_free(m);
		return -1;
	}
	p->q[p->tail % QCAP] = (struct qitem){ m, s, d, to };
	p->tail++;
	return 0;
}

static int out_a(void *ctx, struct rte_mbuf *m, uint32_t s, uint32_t d)
{
	return enqueue(ctx, 1, m, s, d);
}

static int out_b(void *ctx, struct rte_mbuf *m, uint32_t s, uint32_t d)
{
	return enqueue(ctx, 0, m, s, d);
}

void test_config(struct tcp_config *cfg, struct pair *p, int side)
{
	tcp_config_defaults(cfg);
	cfg->hz = HZ;
	cfg->pool = test_pool;
	cfg->output = side == 0 ? out_a : out_b;
	cfg->output_ctx = p;
	cfg->max_conns = 256;
	cfg->max_half_open = 64;
	cfg->time_wait_ms = 2000;
	cfg->fin_wait2_ms = 10000;
	cfg->secret_seed = 42 + (uint64_t)side;
}

void pair_init(struct pair *p, const struct tcp_config *ca, const struct tcp_config *cb)
{
	memset(p, 0, sizeof(*p));
	p->now = 1000 * MS;
	p->s[0] = tcp_stack_new(ca, p->now);
	p->s[1] = tcp_stack_new(cb, p->now);
	cr_assert_not_null(p->s[0]);
	cr_assert_not_null(p->s[1]);
}

void pair_fini(struct pair *p)
{
	while (p->head != p->tail)
		rte_pktmbuf_free(p->q[p->head++ % QCAP].m);
	tcp_stack_free(p->s[0]);
	tcp_stack_free(p->s[1]);
	/* every segment built or received went back to the pool exactly once */
	cr_assert_eq(rte_mempool_avail_count(test_pool), test_pool->size,
		     "mbufs leaked: %u of %u available",
		     rte_mempool_avail_count(test_pool), test_pool->size);
}

unsigned pair_pump(struct pair *p)
{
	unsigned n = 0;

	while (p->head != p->tail && n < 200000) {
		struct qitem it = p->q[p->head % QCAP];

		p->head++;
		n++;
		if (p->filter != NULL && p->filter(p, it.to, it.m, it.src, it.dst, p->filter_ctx)) {
			rte_pktmbuf_free(it.m);
			continue;
		}
		p->delivered++;
		tcp_input(p->s[it.to], it.m, it.src, it.dst, p->now);
	}
	return n;
}

struct rte_mbuf *pair_pop(struct pair *p, int *to)
{
	struct qitem it;

	if (p->head == p->tail)
		return NULL;
	it = p->q[p->head++ % QCAP];
	if (to != NULL)
		*to = it.to;
	return it.m;
}

void pair_inject(struct pair *p, int to, struct rte_mbuf *m, uint32_t src, uint32_t dst)
{
	tcp_input(p->s[to], m, src, dst, p->now);
}

struct tcp_conn *find_conn(struct pair *p, int side, uint16_t lport)
{
	struct tcp_stack *st = p->s[side];

	for (uint32_t i = 0; i < st->cfg.max_conns; i++) {
		struct tcp_conn *c = &st->conns[i];

		if (c->state != TCP_S_CLOSED && !(c->flags & TCP_F_DEAD) &&
		    (lport == 0 || c->lport == lport))
			return c;
	}
	return NULL;
}

void pair_run(struct pair *p, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		p->now += MS;
		tcp_stack_poll(p->s[0], p->now);
		tcp_stack_poll(p->s[1], p->now);
		pair_pump(p);
	}
}

bool pair_run_until(struct pair *p, const bool *flag, unsigned max_ms)
{
	pair_pump(p);
	for (unsigned i = 0; i < max_ms && !*flag; i++)
		pair_run(p, 1);
	return *flag;
}

void app_init(struct app *a, size_t rx_cap)
{
	memset(a, 0, sizeof(*a));
	a->rx_cap = rx_cap;
	a->rx = rx_cap ? malloc(rx_cap) : NULL;
}

void app_free(struct app *a)
{
	free(a->rx);
	a->rx = NULL;
}

void server_init(struct server *s, unsigned n, size_t rx_cap)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < n && i < 256; i++)
		app_init(&s->apps[i], rx_cap);
}

void server_free(struct server *s)
{
	for (unsigned i = 0; i < 256; i++)
		app_free(&s->apps[i]);
}

void app_send_more(struct app *a)
{
	while (a->c != NULL && a->tx_off < a->tx_len) {
		int n = tcp_send(a->c, a->tx + a->tx_off, a->tx_len - a->tx_off);

		if (n <= 0)
			break;
		a->tx_off += (size_t)n;
	}
	if (a->c != NULL && a->tx_off == a->tx_len && a->close_when_sent) {
		a->close_when_sent = false;
		(void)tcp_close(a->c);
	}
}

static void on_connected(struct tcp_conn *c, void *user)
{
	struct app *a = user;

	a->c = c;
	a->connected = true;
	app_send_more(a);
}

static size_t on_data(struct tcp_conn *c, void *user, const uint8_t *d, size_t len)
{
	struct app *a = user;
	size_t room = a->rx_cap - a->rx_len;

	(void)c;
	if (a->block_rx)
		return 0;
	if (len > room)
		len = room;
	memcpy(a->rx + a->rx_len, d, len);
	a->rx_len += len;
	return len;
}

static void on_writable(struct tcp_conn *c, void *user)
{
	struct app *a = user;

	(void)c;
	a->writable_calls++;
	app_send_more(a);
}

static void on_peer_fin(struct tcp_conn *c, void *user)
{
	struct app *a = user;

	a->peer_fin = true;
	if (a->close_on_fin)
		(void)tcp_close(c);
}

static void on_closed(struct tcp_conn *c, void *user, int err)
{
	struct app *a = user;

	(void)c;
	a->closed = true;
	a->err = err;
	a->c = NULL;
}

static int on_accept(struct tcp_conn *c, void *ctx)
{
	struct server *s = ctx;
	struct app *a;

	if (s->refuse || s->n >= 256)
		return -1;
	a = &s->apps[s->n++];
	a->c = c;
	a->accepted = true;
	tcp_set_user(c, a);
	app_send_more(a);
	return 0;
}

const struct tcp_callbacks app_cb = {
	.on_connected = on_connected,
	.on_data = on_data,
	.on_writable = on_writable,
	.on_peer_fin = on_peer_fin,
	.on_closed = on_closed,
};

const struct tcp_callbacks server_cb = {
	.on_accept = on_accept,
	.on_data = on_data,
	.on_writable = on_writable,
	.on_peer_fin = on_peer_fin,
	.on_closed = on_closed,
};

struct rte_mbuf *make_seg(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
			  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
			  const uint8_t *opts, unsigned olen, const uint8_t *data, unsigned dlen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
	unsigned hlen = 20 + olen;
	struct rte_tcp_hdr *th;
	struct {
		uint32_t s, d;
		uint8_t z, p;
		uint16_t l;
	} __attribute__((packed)) psh;
	uint32_t sum;

	cr_assert_not_null(m);
	th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, (uint16_t)(hlen + dlen));
	cr_assert_not_null(th);
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((hlen / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (olen)
		memcpy(th + 1, opts, olen);
	if (dlen)
		memcpy((uint8_t *)th + hlen, data, dlen);
	psh.s = rte_cpu_to_be_32(src);
	psh.d = rte_cpu_to_be_32(dst);
	psh.z = 0;
	psh.p = 6;
	psh.l = rte_cpu_to_be_16((uint16_t)(hlen + dlen));
	sum = __rte_raw_cksum(&psh, sizeof(psh), 0);
	sum = __rte_raw_cksum(th, hlen + dlen, sum);
	th->cksum = (uint16_t)~__rte_raw_cksum_reduce(sum);
	return m;
}

void seg_hdr(struct rte_mbuf *m, uint32_t *seq, uint32_t *ack, uint8_t *flags, uint16_t *wnd,
	     uint32_t *dlen)
{
	const struct rte_tcp_hdr *th = rte_pktmbuf_mtod(m, const struct rte_tcp_hdr *);

	if (seq) *seq = rte_be_to_cpu_32(th->sent_seq);
	if (ack) *ack = rte_be_to_cpu_32(th->recv_ack);
	if (flags) *flags = th->tcp_flags;
	if (wnd) *wnd = rte_be_to_cpu_16(th->rx_win);
	if (dlen) *dlen = rte_pktmbuf_pkt_len(m) - (uint32_t)(th->data_off >> 4) * 4;
}

uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}
