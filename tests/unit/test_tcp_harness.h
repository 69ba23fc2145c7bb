/*
 * test_tcp_harness.h: two TCP stacks back to back in one process. The
 * output callback of each queues segments for the other; time is
 * synthetic (nanoseconds) and advanced by the tests.
 */
#ifndef TEST_TCP_HARNESS_H
#define TEST_TCP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp.h"
#include "tcp_internal.h"

#define ADDR_A 0xc0000201u	/* 192.0.2.1 */
#define ADDR_B 0xc6336401u	/* 198.51.100.1 */
#define HZ 1000000000ull
#define MS 1000000ull
#define QCAP 8192

struct rte_mempool;

struct qitem {
	struct rte_mbuf *m;
	uint32_t src, dst;
	int to;			/* 0: stack a, 1: stack b */
};

struct pair;
/* Return true to drop the segment (on its way to stack `to`). */
typedef bool (*pair_filter_fn)(struct pair *p, int to, struct rte_mbuf *m, uint32_t src,
			       uint32_t dst, void *ctx);

struct pair {
	struct tcp_stack *s[2];
	uint64_t now;
	struct qitem q[QCAP];
	unsigned head, tail;
	unsigned qdrops;
	pair_filter_fn filter;
	void *filter_ctx;
	unsigned delivered;
};

/* One application connection as seen by a test. */
struct app {
	struct tcp_conn *c;
	uint8_t *rx;
	size_t rx_len, rx_cap;
	const uint8_t *tx;
	size_t tx_len, tx_off;
	bool connected, accepted, peer_fin, closed, close_when_sent, close_on_fin;
	bool block_rx;		/* on_data consumes nothing */
	int err;
	int writable_calls;
};

struct server {
	struct app apps[256];
	unsigned n;
	bool refuse;
};

extern struct rte_mempool *test_pool;
extern const struct tcp_callbacks app_cb;
extern const struct tcp_callbacks server_cb;

void test_eal_init(void);
void test_config(struct tcp_config *cfg, struct pair *p, int side);
void pair_init(struct pair *p, const struct tcp_config *ca, const struct tcp_config *cb);
void pair_fini(struct pair *p);
/* Take the next queued segment (NULL if none); the caller owns it. */
struct rte_mbuf *pair_pop(struct pair *p, int *to);
/* Inject a segment into stack `to` now. */
void pair_inject(struct pair *p, int to, struct rte_mbuf *m, uint32_t src, uint32_t dst);
/* Find the connection of stack side with remote port rport (any if 0). */
struct tcp_conn *find_conn(struct pair *p, int side, uint16_t lport);
/* Deliver queued segments (bounded); returns how many were delivered. */
unsigned pair_pump(struct pair *p);
/* Advance time by ms milliseconds, 1 ms at a time, pumping. */
void pair_run(struct pair *p, unsigned ms);
/* Run until *flag is true or max_ms passed; returns the flag. */
bool pair_run_until(struct pair *p, const bool *flag, unsigned max_ms);
void app_send_more(struct app *a);
void app_init(struct app *a, size_t rx_cap);
void app_free(struct app *a);
/* Give the first n server apps an rx buffer of rx_cap bytes. */
void server_init(struct server *s, unsigned n, size_t rx_cap);
void server_free(struct server *s);
/* Hand-made segment from addr/port to stack `to`. */
struct rte_mbuf *make_seg(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
			  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
			  const uint8_t *opts, unsigned olen, const uint8_t *data, unsigned dlen);
/* Parse a queued segment's header. */
void seg_hdr(struct rte_mbuf *m, uint32_t *seq, uint32_t *ack, uint8_t *flags, uint16_t *wnd,
	     uint32_t *dlen);
uint64_t xorshift(uint64_t *s);

#endif
