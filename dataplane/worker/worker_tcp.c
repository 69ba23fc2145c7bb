/* A worker's TCP: the stack wired into the worker's IPv4 layer, its timers
 * run from the worker loop, the echo service, the diagnostic dial client and
 * the diag.* requests. Share-nothing: everything here runs on the worker's
 * lcore except worker_tcp_collect (reads counters) and
 * worker_tcp_diag_request (main lcore), which hands work to the workers
 * through sequence numbers (release/acquire) that their poll hook checks. */
#include "worker_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "dispatch.h"
#include "dp.h"

#define DIAL_DELAY_MS 3000      /* after start-up: let the links come up */
#define DIAL_CHUNK 4096
#define DIAL_DIAG_PER_WORKER 64 /* connections of one diag.tcp-connect per worker */
#define CONNS_SHOWN 256         /* connections per worker in diag.tcp-conns */
#define CONNS_WAIT_MS 200       /* the main lcore waits this long for the workers */

/* One connection as diag.tcp-conns shows it, copied by the worker. */
struct conn_row {
	struct tcp_conn_info info;
	struct tcp_conn_stats stats;
};

struct dial_conn {
	struct worker_tcp *wt;
	struct tcp_conn *c;
	uint32_t id;             /* 0..connections-1, seeds its data */
	uint64_t sent, rcvd;
	bool closing, bad;
};

struct worker_tcp {
	struct worker *w;
	struct tcp_stack *st;
	/* diagnostic dial client (dataplane.tcp_dial) */
	struct config_tcp_dial dial_cfg;
	uint64_t dial_at;        /* tsc; 0 once started */
	struct dial_conn *dial;
	uint32_t n_dial, dial_cap;
	struct worker_tcp_dial_stats dial_stats;
	/* diag.tcp-connect from the main lcore: it writes req, then bumps
	 * req_seq (release); the worker starts it when req_seq != req_done */
	struct config_tcp_dial req;
	uint32_t req_n;
	uint32_t req_seq, req_done;
	/* diag.tcp-conns: the worker copies its connections into rows when
	 * rows_seq != rows_done */
	struct conn_row *rows;
	uint32_t n_rows, n_conns;
	uint32_t rows_seq, rows_done;
};

static void rows_add(const struct tcp_conn *c, void *arg)
{
	struct worker_tcp *wt = arg;

	wt->n_conns++;
	if (wt->n_rows == CONNS_SHOWN)
		return;
	struct conn_row *r = &wt->rows[wt->n_rows++];
	tcp_conn_get_info(c, &r->info);
	r->stats = *tcp_conn_stats(c);
}

static void rows_fill(struct worker_tcp *wt)
{
	uint32_t seq = wt->rows_seq;

	wt->n_rows = 0;
	wt->n_conns = 0;
	(void)tcp_stack_foreach(wt->st, rows_add, wt);
	__atomic_store_n(&wt->rows_done, seq, __ATOMIC_RELEASE);
}

/* ---- the seams with the IPv4 layer ---- */

static void wt_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg)
{
	struct worker_tcp *wt = arg;

	(void)iface;
	tcp_input_ipv4(wt->st, m, ctx->now);
}

static int wt_output(void *arg, struct rte_mbuf *m, uint32_t src, uint32_t dst)
{
	struct worker_tcp *wt = arg;

	if (tcp_ipv4_prepend(m, src, dst) != 0) {
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	ipv4_output(&wt->w->net, m);
	return 0;
}

static bool wt_port_ok(uint16_t lport, uint32_t laddr, uint32_t raddr, uint16_t rport,
		       void *arg)
{
	const struct worker_tcp *wt = arg;
	const struct worker *w = wt->w;

	return dispatch_owner(dispatch_tcp_key(raddr, rport, laddr, lport),
			      w->dp->n_workers) == w->idx;
}

static void dial_start(struct worker_tcp *wt);

static void wt_poll(struct net_ctx *ctx, void *arg)
{
	struct worker_tcp *wt = arg;

	tcp_stack_poll(wt->st, ctx->now);
	if (unlikely(wt->dial_at != 0 && ctx->now >= wt->dial_at))
		dial_start(wt);
	if (unlikely(__atomic_load_n(&wt->req_seq, __ATOMIC_ACQUIRE) != wt->req_done)) {
		uint32_t seq = wt->req_seq;
		wt->dial_cfg = wt->req;
		wt->n_dial = wt->req_n;
		dial_start(wt);
		/* after the counters moved: the main lcore sees it busy until then */
		__atomic_store_n(&wt->req_done, seq, __ATOMIC_RELEASE);
	}
	if (unlikely(__atomic_load_n(&wt->rows_seq, __ATOMIC_ACQUIRE) != wt->rows_done))
		rows_fill(wt);
}

/* ---- entry points ---- */

struct tcp_stack *worker_tcp_stack(struct worker *w)
{
	return w->tcp != NULL ? w->tcp->st : NULL;
}

int worker_tcp_source(const struct worker *w, uint32_t dst_ip, uint32_t *src_ip)
{
	uint32_t next_hop;
	int iface = ipv4_route(&w->net, rte_cpu_to_be_32(dst_ip), &next_hop);

	if (iface < 0)
		return -ENETUNREACH;
	*src_ip = rte_be_to_cpu_32(w->net.ifaces[iface].addr);
	return 0;
}

int worker_tcp_connect(struct worker *w, uint32_t dst_ip, uint16_t dst_port,
		       const struct tcp_callbacks *cb, void *user, struct tcp_conn **out)
{
	uint32_t src;

	if (w->tcp == NULL)
		return -ENOTSUP;
	if (worker_tcp_source(w, dst_ip, &src) != 0)
		return -ENETUNREACH;
	return tcp_connect(w->tcp->st, dst_ip, dst_port, src, cb, user, out);
}

/* ---- diagnostic dial client: send pseudo-random bytes, check the echo ---- */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Byte off of connection id's stream, so any slice can be rebuilt. */
static void dial_fill(uint32_t id, uint64_t off, uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint64_t o = off + i;
		uint64_t word = splitmix64(((uint64_t)id << 40) ^ (o >> 3));
		for (unsigned b = (unsigned)(o & 7); b < 8 && i < len; b++, i++)
			p[i] = (uint8_t)(word >> (b * 8));
	}
}

static void dial_pump(struct dial_conn *d)
{
	uint64_t total = d->wt->dial_cfg.bytes;
	uint8_t buf[DIAL_CHUNK];

	while (d->sent < total) {
		size_t n = (size_t)RTE_MIN(total - d->sent, (uint64_t)sizeof(buf));
		dial_fill(d->id, d->sent, buf, n);
		int rc = tcp_send(d->c, buf, n);
		if (rc <= 0)
			break;          /* full (on_writable follows) or failed */
		d->sent += (uint64_t)rc;
		d->wt->dial_stats.bytes_sent += (uint64_t)rc;
		if ((size_t)rc < n)
			break;
	}
	if (d->sent == total && !d->closing) {
		d->closing = true;
		(void)tcp_close(d->c);   /* half-close: the peer echoes the rest */
	}
}

static void dial_connected(struct tcp_conn *c, void *user)
{
	struct dial_conn *d = user;

	(void)c;
	d->wt->dial_stats.connected++;
	dial_pump(d);
}

static void dial_writable(struct tcp_conn *c, void *user)
{
	(void)c;
	dial_pump(user);
}

static size_t dial_data(struct tcp_conn *c, void *user, const uint8_t *data, size_t len)
{
	struct dial_conn *d = user;
	uint8_t want[DIAL_CHUNK];

	(void)c;
	for (size_t off = 0; off < len && !d->bad; off += sizeof(want)) {
		size_t n = RTE_MIN(len - off, sizeof(want));
		dial_fill(d->id, d->rcvd + off, want, n);
		if (d->rcvd + off + n > d->sent || memcmp(want, data + off, n) != 0)
			d->bad = true;   /* more than sent, or different */
	}
	d->rcvd += len;
	return len;
}

static void dial_closed(struct tcp_conn *c, void *user, int err)
{
	struct dial_conn *d = user;
	struct worker_tcp_dial_stats *s = &d->wt->dial_stats;

	(void)c;
	d->c = NULL;
	if (d->bad)
		s->mismatches++;
	if (err == 0 && !d->bad && d->rcvd == d->wt->dial_cfg.bytes) {
		s->ok++;
		s->bytes_verified += d->rcvd;
	} else {
		s->failed++;
	}
}

static const struct tcp_callbacks dial_cb = {
	.on_connected = dial_connected,
	.on_data = dial_data,
	.on_writable = dial_writable,
	.on_closed = dial_closed,
};

/* Connections id = idx, idx + n_workers, ... are this worker's. */
static void dial_start(struct worker_tcp *wt)
{
	const struct worker *w = wt->w;
	uint32_t dst = rte_be_to_cpu_32(wt->dial_cfg.addr.s_addr);

	for (uint32_t i = 0; i < wt->n_dial; i++) {
		struct dial_conn *d = &wt->dial[i];
		memset(d, 0, sizeof(*d));
		d->wt = wt;
		d->id = w->idx + i * w->dp->n_workers;
		wt->dial_stats.started++;
		int rc = worker_tcp_connect(wt->w, dst, wt->dial_cfg.port, &dial_cb, d, &d->c);
		if (rc != 0) {
			d->c = NULL;
			wt->dial_stats.failed++;
		}
	}
	__atomic_store_n(&wt->dial_at, 0, __ATOMIC_RELEASE);
}

static int dial_init(struct worker_tcp *wt, const struct config_tcp_dial *cfg, int socket)
{
	const struct worker *w = wt->w;
	unsigned n = w->dp->n_workers;

	if (cfg->on) {
		wt->dial_cfg = *cfg;
		wt->n_dial = cfg->connections / n + (w->idx < cfg->connections % n ? 1 : 0);
	}
	wt->dial_cap = RTE_MAX(wt->n_dial, (uint32_t)DIAL_DIAG_PER_WORKER);
	wt->dial = rte_zmalloc_socket("tcp_dial", wt->dial_cap * sizeof(*wt->dial), 0, socket);
	if (wt->dial == NULL)
		return -ENOMEM;
	if (wt->n_dial > 0)
		wt->dial_at = rte_rdtsc() + rte_get_tsc_hz() / 1000 * DIAL_DELAY_MS;
	return 0;
}

/* ---- diag.tcp-connect (main lcore) ---- */

/* A worker is free for a new dial when its configured dial has started, the
 * last request was taken, and every dial connection has its outcome. */
static bool dial_idle(const struct worker_tcp *wt)
{
	/* read the flags first (acquire): the counters they publish follow */
	if (__atomic_load_n(&wt->dial_at, __ATOMIC_ACQUIRE) != 0 ||
	    __atomic_load_n(&wt->req_done, __ATOMIC_ACQUIRE) != wt->req_seq)
		return false;
	/* outcomes are counted before started is compared: a connection
	 * finishing meanwhile only makes it look busy */
	uint64_t ok = __atomic_load_n(&wt->dial_stats.ok, __ATOMIC_ACQUIRE);
	uint64_t failed = __atomic_load_n(&wt->dial_stats.failed, __ATOMIC_ACQUIRE);
	uint64_t started = __atomic_load_n(&wt->dial_stats.started, __ATOMIC_ACQUIRE);

	return started == ok + failed;
}

/* "a.b.c.d:port" */
static int parse_target(const char *s, struct in_addr *addr, uint16_t *port)
{
	char buf[32];
	char *colon, *end;
	unsigned long p;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p == 0 || p > 65535)
		return -1;
	if (inet_pton(AF_INET, buf, addr) != 1)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static int int_arg(json_t *args, const char *key, json_int_t dflt, json_int_t min,
		   json_int_t max, json_int_t *out)
{
	json_t *v = json_object_get(args, key);

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static void row_json(json_t *list, unsigned worker, const struct conn_row *r)
{
	char l[INET_ADDRSTRLEN], rem[INET_ADDRSTRLEN];
	struct in_addr a;
	const struct tcp_conn_stats *s = &r->stats;

	a.s_addr = htonl(r->info.local_ip);
	inet_ntop(AF_INET, &a, l, sizeof(l));
	a.s_addr = htonl(r->info.remote_ip);
	inet_ntop(AF_INET, &a, rem, sizeof(rem));
	json_array_append_new(list, json_pack(
		"{s:i, s:s, s:s, s:i, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"worker", (int)worker, "state", r->info.state,
		"local", l, "local_port", (int)r->info.local_port,
		"remote", rem, "remote_port", (int)r->info.remote_port,
		"segs_in", (json_int_t)s->segs_in, "segs_out", (json_int_t)s->segs_out,
		"bytes_in", (json_int_t)s->bytes_in, "bytes_out", (json_int_t)s->bytes_out,
		"retransmits", (json_int_t)s->retransmits, "rto_events", (json_int_t)s->rto_events,
		"fast_retransmits", (json_int_t)s->fast_retransmits,
		"dupacks", (json_int_t)s->dupacks, "ooo_segs", (json_int_t)s->ooo_segs,
		"zero_window_probes", (json_int_t)s->zero_window_probes,
		"challenge_acks", (json_int_t)s->challenge_acks));
}

/* diag.tcp-conns: ask every worker for a copy of its connections, wait for
 * them (bounded: a worker sleeps at most 0.5 ms when idle), list them. */
static json_t *diag_conns(struct dp *dp, char *err, size_t errlen)
{
	unsigned n = dp->n_workers, total = 0;
	json_t *list;

	for (unsigned i = 0; i < n; i++) {
		struct worker_tcp *wt = dp->workers[i] ? dp->workers[i]->tcp : NULL;
		if (wt == NULL) {
			snprintf(err, errlen, "the workers have no TCP");
			return NULL;
		}
		if (__atomic_load_n(&wt->rows_done, __ATOMIC_ACQUIRE) != wt->rows_seq) {
			snprintf(err, errlen, "a worker has not answered the last request yet");
			return NULL;
		}
		__atomic_store_n(&wt->rows_seq, wt->rows_seq + 1, __ATOMIC_RELEASE);
	}
	for (unsigned waited = 0;; waited++) {
		unsigned ready = 0;
		for (unsigned i = 0; i < n; i++) {
			const struct worker_tcp *wt = dp->workers[i]->tcp;
			ready += __atomic_load_n(&wt->rows_done, __ATOMIC_ACQUIRE) == wt->rows_seq;
		}
		if (ready == n)
			break;
		if (waited == CONNS_WAIT_MS) {
			snprintf(err, errlen, "the workers did not answer within %d ms",
				 CONNS_WAIT_MS);
			return NULL;
		}
		rte_delay_us_sleep(1000);
	}
	list = json_array();
	if (list == NULL)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		const struct worker_tcp *wt = dp->workers[i]->tcp;
		total += wt->n_conns;
		for (uint32_t k = 0; k < wt->n_rows; k++)
			row_json(list, i, &wt->rows[k]);
	}
	return json_pack("{s:o, s:I, s:I}", "connections", list, "total", (json_int_t)total,
			 "shown", (json_int_t)json_array_size(list));
}

json_t *worker_tcp_diag_request(void *arg, const char *req, json_t *args, char *err,
				size_t errlen)
{
	struct dp *dp = arg;
	struct config_tcp_dial d = { .on = true };
	json_int_t conns, bytes;
	unsigned n = dp->n_workers;

	if (strcmp(req, "diag.tcp-conns") == 0)
		return diag_conns(dp, err, errlen);
	if (strcmp(req, "diag.tcp-connect") != 0) {
		snprintf(err, errlen, "the dataplane does not serve %s", req);
		return NULL;
	}
	if (parse_target(json_string_value(json_object_get(args, "target")), &d.addr,
			 &d.port) != 0) {
		snprintf(err, errlen, "target: expected IPv4:PORT like 192.0.2.10:9000");
		return NULL;
	}
	if (int_arg(args, "connections", 1, 1, (json_int_t)n * DIAL_DIAG_PER_WORKER,
		    &conns) != 0 ||
	    int_arg(args, "bytes", 65536, 0, 1 << 30, &bytes) != 0) {
		snprintf(err, errlen, "connections: 1..%u, bytes: 0..%d",
			 n * DIAL_DIAG_PER_WORKER, 1 << 30);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct worker_tcp *wt = dp->workers[i] ? dp->workers[i]->tcp : NULL;
		if (wt == NULL) {
			snprintf(err, errlen, "the workers have no TCP");
			return NULL;
		}
		if (!dial_idle(wt)) {
			snprintf(err, errlen, "a dial is still running (see status dataplane.tcp.dial)");
			return NULL;
		}
	}
	d.connections = (uint32_t)conns;
	d.bytes = (uint32_t)bytes;
	for (unsigned i = 0; i < n; i++) {
		struct worker_tcp *wt = dp->workers[i]->tcp;
		wt->req = d;
		wt->req_n = d.connections / n + (i < d.connections % n ? 1 : 0);
		__atomic_store_n(&wt->req_seq, wt->req_seq + 1, __ATOMIC_RELEASE);
	}
	return json_pack("{s:s, s:I, s:I, s:s}",
			 "target", json_string_value(json_object_get(args, "target")),
			 "connections", (json_int_t)d.connections,
			 "bytes", (json_int_t)d.bytes,
			 "outcome", "status: dataplane.tcp.dial (started, ok, failed, mismatches)");
}

/* ---- life cycle ---- */

int worker_tcp_init(struct worker *w)
{
	const struct config_dataplane *d;
	int socket = (int)rte_lcore_to_socket_id(w->lcore);
	struct tcp_config cfg;
	struct worker_tcp *wt;
	int rc;

	if (w->dp->cfg == NULL)
		return 0;       /* a bare struct dp (benchmarks): no TCP */
	d = &w->dp->cfg->dataplane;
	wt = rte_zmalloc_socket("worker_tcp", sizeof(*wt), RTE_CACHE_LINE_SIZE, socket);
	if (wt == NULL)
		return -ENOMEM;
	wt->w = w;
	w->tcp = wt;

	tcp_config_defaults(&cfg);
	cfg.hz = rte_get_tsc_hz();
	cfg.pool = w->dp->pool;
	cfg.output = wt_output;
	cfg.output_ctx = wt;
	cfg.port_ok = wt_port_ok;
	cfg.port_ok_ctx = wt;
	cfg.socket_id = socket;
	cfg.max_conns = d->tcp.max_connections;
	cfg.max_half_open = RTE_MIN(d->tcp.half_open, d->tcp.max_connections);
	cfg.max_per_source = d->tcp.max_per_source;
	cfg.snd_buf = d->tcp.buffer_kib * 1024;
	cfg.rcv_buf = d->tcp.buffer_kib * 1024;
	cfg.fault.rx_drop_ppm = d->tcp_fault.drop_ppm;
	cfg.fault.tx_drop_ppm = d->tcp_fault.drop_ppm;
	cfg.fault.rx_reorder_ppm = d->tcp_fault.reorder_ppm;
	cfg.fault.tx_reorder_ppm = d->tcp_fault.reorder_ppm;
	cfg.fault.seed = 0x7c9a11e5ull + w->idx;
	wt->st = tcp_stack_new(&cfg, rte_rdtsc());
	if (wt->st == NULL) {
		RTE_LOG(ERR, USER1, "worker %u: TCP stack (%u connections of 2 x %u KiB): "
			"out of memory or bad limits\n", w->idx, cfg.max_conns, d->tcp.buffer_kib);
		rc = -ENOMEM;
		goto fail;
	}
	if (d->tcp_echo_port != 0) {
		rc = tcp_echo_listen(wt->st, d->tcp_echo_port);
		if (rc != 0)
			goto fail;
	}
	rc = dial_init(wt, &d->tcp_dial, socket);
	if (rc != 0)
		goto fail;
	wt->rows = rte_zmalloc_socket("tcp_rows", CONNS_SHOWN * sizeof(*wt->rows), 0, socket);
	if (wt->rows == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	w->net.tcp_input = wt_input;
	w->net.tcp_arg = wt;
	w->net.poll_hook = wt_poll;
	w->net.poll_arg = wt;
	return 0;
fail:
	worker_tcp_fini(w);
	return rc;
}

void worker_tcp_fini(struct worker *w)
{
	struct worker_tcp *wt = w->tcp;

	if (wt == NULL)
		return;
	if (w->net.tcp_arg == wt) {
		w->net.tcp_input = net_tcp_unplugged;
		w->net.tcp_arg = NULL;
	}
	if (w->net.poll_arg == wt) {
		w->net.poll_hook = NULL;
		w->net.poll_arg = NULL;
	}
	tcp_stack_free(wt->st);  /* no callbacks: the dial slots go with it */
	rte_free(wt->dial);
	rte_free(wt->rows);
	rte_free(wt);
	w->tcp = NULL;
}

/* ---- counters ---- */

static uint64_t rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void worker_tcp_collect(const struct worker *w, struct worker_tcp_sum *sum)
{
	const struct worker_tcp *wt = w->tcp;
	struct tcp_gauges g;

	if (wt == NULL || wt->st == NULL)
		return;
	tcp_stats_add(&sum->stats, tcp_stack_stats(wt->st));
	tcp_stack_gauges(wt->st, &g);
	sum->gauges.conns += g.conns;
	sum->gauges.max_conns += g.max_conns;
	sum->gauges.half_open += g.half_open;
	sum->gauges.established += g.established;
	sum->gauges.time_wait += g.time_wait;
	sum->gauges.closing += g.closing;
	sum->gauges.listeners = RTE_MAX(sum->gauges.listeners, g.listeners);
	sum->dial.started += rd(&wt->dial_stats.started);
	sum->dial.connected += rd(&wt->dial_stats.connected);
	sum->dial.ok += rd(&wt->dial_stats.ok);
	sum->dial.failed += rd(&wt->dial_stats.failed);
	sum->dial.mismatches += rd(&wt->dial_stats.mismatches);
	sum->dial.bytes_sent += rd(&wt->dial_stats.bytes_sent);
	sum->dial.bytes_verified += rd(&wt->dial_stats.bytes_verified);
	sum->n_stacks++;
}

json_t *worker_tcp_sum_json(const struct worker_tcp_sum *s)
{
	json_t *o = tcp_stats_json(&s->stats);
	const struct tcp_gauges *g = &s->gauges;
	const struct worker_tcp_dial_stats *d = &s->dial;
	int rc = 0;

	if (o == NULL)
		return NULL;
	rc |= json_object_set_new(o, "stacks", json_integer((json_int_t)s->n_stacks));
	rc |= json_object_set_new(o, "conns", json_integer((json_int_t)g->conns));
	rc |= json_object_set_new(o, "max_conns", json_integer((json_int_t)g->max_conns));
	rc |= json_object_set_new(o, "established", json_integer((json_int_t)g->established));
	rc |= json_object_set_new(o, "half_open", json_integer((json_int_t)g->half_open));
	rc |= json_object_set_new(o, "time_wait", json_integer((json_int_t)g->time_wait));
	rc |= json_object_set_new(o, "closing", json_integer((json_int_t)g->closing));
	rc |= json_object_set_new(o, "listeners", json_integer((json_int_t)g->listeners));
	rc |= json_object_set_new(o, "dial", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"started", (json_int_t)d->started, "connected", (json_int_t)d->connected,
		"ok", (json_int_t)d->ok, "failed", (json_int_t)d->failed,
		"mismatches", (json_int_t)d->mismatches,
		"bytes_sent", (json_int_t)d->bytes_sent,
		"bytes_verified", (json_int_t)d->bytes_verified));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
