/*
 * worker_sip.c: the SIP proxy on the worker cores (worker_sip.h).
 *
 * A request's path: the port, the RX core's dispatch by Call-ID
 * (dispatch.c), the owner's stack up to udp_input, sip_udp_input below
 * (ownership checked again, the payload made contiguous), sip_proxy_input
 * (the sans-I/O core), and back down through sip_send and udp_send. The
 * proxy's timers run from the poll hook once per millisecond.
 */
#include "worker_sip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_telemetry.h>
#include <rte_udp.h>

#include "ctl.h"
#include "dispatch.h"
#include "dp.h"
#include "media_ctl.h"
#include "snapshot.h"
#include "worker_sip_int.h"

#define EVENT_RING 4096		/* per worker, power of two */
#define EVENT_DETAIL 640
/* per worker, on top of the proxy's per-gateway limit: a flood of
 * unknown sources cannot turn into a flood of allocations */
#define EVENTS_PER_S 20
/* CallStarted, CallEnded, CallMediaTimeout: one or two per call, their own
 * budget, so that refusals cannot crowd them out */
#define CALL_EVENTS_PER_S 2000

static const char *const event_names[UMEDGE_EV_COUNT] = {
#define EV_NAME(name, sev) #name,
	UMEDGE_EVENT_IDS(EV_NAME)
#undef EV_NAME
};

struct sip_event_msg {
	enum umedge_event_id id;
	char detail[EVENT_DETAIL];
};

struct worker_sip_plane {
	struct dp *dp;
	struct worker_sip *ws[DP_MAX_WORKERS];
	uint64_t events_sent;
	/* the set-up rate, over the last stats period */
	uint64_t rate_started, rate_at_ms;
	double setup_rate;
};

struct sip_limits worker_sip_limits(const struct config_dataplane *d)
{
	if (d == NULL)
		return sip_limits_default;
	return (struct sip_limits){
		.max_message = d->sip.max_message_bytes,
		.max_headers = d->sip.max_headers,
		.max_header_line = d->sip.max_header_line_bytes,
		.max_vias = d->sip.max_vias,
		.max_uri = d->sip.max_uri_bytes,
	};
}

unsigned worker_sip_owner(const struct worker_sip *ws, const char *buf, size_t len)
{
	unsigned nw = ws->w->dp->n_workers;
	uint64_t h;

	if (nw > 1 && sip_call_id_hash(buf, len, &h))
		return dispatch_owner(dispatch_sip_key(h), nw);
	return ws->w->idx;
}

/* ---- the proxy's transport and events ---- */

static int sip_send(void *arg, const struct sip_peer *to, const char *buf, size_t len)
{
	struct worker_sip *ws = arg;
	struct net_ctx *ctx = &ws->w->net;
	unsigned iface = to->side == SIP_SIDE_INTERNAL ? NET_IFACE_INTERNAL : NET_IFACE_EXTERNAL;
	int rc = -ENETUNREACH;

	if (to->transport != UMEDGE_TRANSPORT_UDP)
		return sip_stream_send(ws, to, buf, len);
	/* udp_send routes the datagram and says when nothing reaches dst */
	if (ctx->ifaces[iface].up)
		rc = udp_send(ctx, ctx->ifaces[iface].addr, ctx->udp.sip_port,
			      rte_cpu_to_be_32(to->addr), to->port, buf, len);
	if (rc != 0) {
		ws->send_errors++;
		return rc;
	}
	ws->udp_out++;
	sip_capture(ws, true, UMEDGE_TRANSPORT_UDP, to->side, to->addr, to->port, ctx->udp.sip_port,
		    buf, len);
	return 0;
}

static void sip_event(void *arg, enum umedge_event_id id, const char *detail)
{
	struct worker_sip *ws = arg;
	uint64_t ms = worker_sip_now_ms(ws);
	struct sip_event_msg *e;

	bool call = id == UMEDGE_EV_CallStarted || id == UMEDGE_EV_CallEnded ||
		    id == UMEDGE_EV_CallMediaTimeout;

	if (ms - ws->ev_window_ms >= 1000) {
		ws->ev_window_ms = ms;
		ws->ev_in_window = 0;
		ws->call_ev_in_window = 0;
	}
	if (call ? ws->call_ev_in_window >= CALL_EVENTS_PER_S : ws->ev_in_window >= EVENTS_PER_S) {
		ws->events_lost++;
		return;
	}
	if (call)
		ws->call_ev_in_window++;
	else
		ws->ev_in_window++;
	/* no malloc on the worker: a pool the main lcore gives back to */
	if (rte_mempool_get(ws->event_pool, (void **)&e) != 0) {
		ws->events_lost++;
		return;
	}
	e->id = id;
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
	if (rte_ring_enqueue(ws->events, e) != 0) {
		rte_mempool_put(ws->event_pool, e);
		ws->events_lost++;
	}
}

/* ---- worker side ---- */

static void sip_udp_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg)
{
	struct worker_sip *ws = arg;
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	const struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
							       m->l3_len);
	uint32_t len;
	const char *buf;
	unsigned owner;

	if (rte_be_to_cpu_16(uh->dst_port) == ctx->udp.ng_port && ws->ng != NULL &&
	    iface == NET_IFACE_INTERNAL) {
		worker_ng_input(ws, ctx, m);
		return;
	}
	if (rte_be_to_cpu_16(uh->dst_port) != ctx->udp.sip_port) {
		ws->next_udp(ctx, m, iface, ws->next_udp_arg);
		return;
	}
	/* udp_input checked the UDP length against the IP payload */
	len = (uint32_t)rte_be_to_cpu_16(uh->dgram_len) - (uint32_t)sizeof(*uh);
	if (len > ws->lim.max_message) {
		ws->too_big++;	/* past max_message_bytes: not even read */
		rte_pktmbuf_free(m);
		return;
	}
	buf = rte_pktmbuf_read(m, m->l3_len + (uint32_t)sizeof(*uh), len, ws->lin);
	if (buf == NULL) {
		net_drop(ctx, m, NET_DROP_TRUNCATED);
		return;
	}
	owner = worker_sip_owner(ws, buf, len);
	if (owner != ws->w->idx) {
		ws->handoffs++;
		dispatch_handoff(ws->w, owner, m, true);
		return;
	}
	ws->udp_in++;
	struct sip_rx rx = {
		.from = { .side = iface == NET_IFACE_INTERNAL ? SIP_SIDE_INTERNAL : SIP_SIDE_EXTERNAL,
			  .transport = UMEDGE_TRANSPORT_UDP,
			  .port = rte_be_to_cpu_16(uh->src_port),
			  .addr = rte_be_to_cpu_32(ip->src_addr) },
	};
	sip_capture(ws, false, UMEDGE_TRANSPORT_UDP, rx.from.side, rx.from.addr, rx.from.port,
		    ctx->udp.sip_port, buf, len);
	if (sip_probe_input(ws, buf, len)) {
		rte_pktmbuf_free(m);
		return;
	}
	sip_proxy_input(ws->px, ctx->snap, &rx, buf, len, worker_sip_now_ms(ws));
	rte_pktmbuf_free(m);	/* buf may point into it: freed last */
}

static void sip_poll_hook(struct net_ctx *ctx, void *arg)
{
	struct worker_sip *ws = arg;
	uint64_t ms = worker_sip_now_ms(ws);

	if (ms != ws->last_ms) {
		ws->last_ms = ms;
		ctx->worked = true; /* the proxy's timers: part of its cost */
		sip_proxy_advance(ws->px, ms);
		__atomic_store_n(&ws->txns, sip_proxy_transactions(ws->px), __ATOMIC_RELAXED);
		__atomic_store_n(&ws->calls, sip_proxy_calls(ws->px), __ATOMIC_RELAXED);
	}
	sip_stream_poll(ws);
	worker_sip_queries(ws);
	if (ws->probe != NULL)
		sip_probe_poll(ws, ms);
	if (ws->ng_pub != NULL)
		worker_ng_poll(ws, ms);
	if (ms - ws->conn_at_ms >= 1000) {
		ws->conn_at_ms = ms;
		sip_stream_tick(ws, ms);
		worker_ng_tick(ws, ms);
	}
	if (ws->next_poll != NULL)
		ws->next_poll(ctx, ws->next_poll_arg);
}

static void detach_free(struct worker_sip *ws)
{
	void *e;

	if (ws == NULL)
		return;
	sip_stream_fini(ws);
	rte_ring_free(ws->mail);
	worker_sip_queries_fini(ws);
	rte_ring_free(ws->query);
	sip_proxy_free(ws->px); /* its calls' media back to the pool first */
	worker_ng_fini(ws);	/* and ng's */
	worker_sip_media_fini(ws);
	while (ws->events != NULL && rte_ring_dequeue(ws->events, &e) == 0)
		rte_mempool_put(ws->event_pool, e);
	rte_ring_free(ws->events);
	rte_mempool_free(ws->event_pool);
	rte_free(ws);
}

static struct worker_sip *attach(struct worker_sip_plane *p, struct worker *w,
				 const uint8_t key[16], const struct sip_limits *lim)
{
	int socket = (int)rte_lcore_to_socket_id(w->lcore);
	struct worker_sip *ws = rte_zmalloc_socket("worker_sip", sizeof(*ws) + lim->max_message,
						   RTE_CACHE_LINE_SIZE, socket);
	char name[RTE_RING_NAMESIZE];
	struct sip_proxy_config pc = {
		.port = UMEDGE_SIP_PORT,
		.tls_port = UMEDGE_SIPS_PORT,
		.worker = w->idx,
		.n_workers = p->dp->n_workers,
		.txn = SIP_TXN_CONFIG_DEFAULT_INIT,
		.limits = lim,
	};
	const struct config_dataplane *d = p->dp->cfg != NULL ? &p->dp->cfg->dataplane : NULL;
	struct sip_proxy_io io = {
		.send = sip_send, .event = sip_event, .arg = ws, .media = &ws->media_ops
	};

	if (ws == NULL)
		return NULL;
	if (d != NULL) {
		/* dataplane.sip: T1, T2, T4 and the table (timer C stays > 3 min) */
		pc.txn.t1_ms = d->sip.t1_ms;
		pc.txn.t2_ms = d->sip.t2_ms;
		pc.txn.t4_ms = d->sip.t4_ms;
		pc.txn.max_txns = d->sip.max_transactions;
		pc.max_calls = d->sip.max_calls;
		pc.media_timeout_ms = (uint64_t)d->sip.media_timeout_s * 1000;
		ws->keepalive_ms = (uint64_t)d->sip.keepalive_s * 1000;
	}
	ws->w = w;
	ws->lim = *lim;
	worker_sip_media_ops(ws, &ws->media_ops);
	ws->all = p->ws;
	ws->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (ws->tsc_per_ms == 0)
		ws->tsc_per_ms = 1;
	snprintf(name, sizeof(name), "umsev%u_%d", w->idx, getpid());
	ws->events = rte_ring_create(name, EVENT_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "umsep%u_%d", w->idx, getpid());
	/* as many as the ring holds: one producer (the worker), one consumer */
	ws->event_pool = rte_mempool_create(name, EVENT_RING - 1, sizeof(struct sip_event_msg), 0,
					    0, NULL, NULL, NULL, NULL, socket,
					    RTE_MEMPOOL_F_SC_GET | RTE_MEMPOOL_F_SP_PUT);
	snprintf(name, sizeof(name), "umsml%u_%d", w->idx, getpid());
	ws->mail = rte_ring_create(name, SIP_MAIL_RING, socket, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "umsq%u_%d", w->idx, getpid());
	ws->query = rte_ring_create(name, 16, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (ws->events == NULL || ws->event_pool == NULL || ws->mail == NULL || ws->query == NULL ||
	    sip_stream_init(ws) != 0)
		goto fail;
	pc.addr[SIP_SIDE_EXTERNAL] = rte_be_to_cpu_32(p->dp->ifaces[NET_IFACE_EXTERNAL].addr);
	pc.addr[SIP_SIDE_INTERNAL] = rte_be_to_cpu_32(p->dp->ifaces[NET_IFACE_INTERNAL].addr);
	memcpy(pc.route_key, key, sizeof(pc.route_key));
	ws->px = sip_proxy_new(&pc, &io, rte_rdtsc() / ws->tsc_per_ms);
	if (ws->px == NULL || worker_ng_init(ws, p->dp->cfg) != 0)
		goto fail;
	ws->next_udp = w->net.udp_input;
	ws->next_udp_arg = w->net.udp_arg;
	w->net.udp_input = sip_udp_input;
	w->net.udp_arg = ws;
	ws->next_poll = w->net.poll_hook;
	ws->next_poll_arg = w->net.poll_arg;
	w->net.poll_hook = sip_poll_hook;
	w->net.poll_arg = ws;
	if (sip_tcp_listen(ws) != 0)
		RTE_LOG(WARNING, USER1, "worker %u: SIP over TCP not listening\n", w->idx);
	return ws;
fail:
	detach_free(ws);
	return NULL;
}

/* ---- main lcore ---- */

struct worker_sip_plane *worker_sip_setup(struct dp *dp)
{
	struct worker_sip_plane *p = calloc(1, sizeof(*p));
	const struct config_dataplane *d = dp->cfg != NULL ? &dp->cfg->dataplane : NULL;
	struct sip_limits lim = worker_sip_limits(d);
	uint8_t key[16];

	if (p == NULL)
		return NULL;
	p->dp = dp;
	/* one key for every worker: any of them checks a Route another signed */
	if (RAND_bytes(key, sizeof(key)) != 1)
		goto fail;
	for (unsigned i = 0; i < dp->n_workers; i++) {
		p->ws[i] = attach(p, dp->workers[i], key, &lim);
		if (p->ws[i] == NULL)
			goto fail;
	}
	memset(key, 0, sizeof(key));
	return p;
fail:
	memset(key, 0, sizeof(key));
	worker_sip_free(p);
	return NULL;
}

int worker_sip_set_media(struct worker_sip_plane *p, struct media_engine *e)
{
	const struct config_dataplane *d = p->dp->cfg != NULL ? &p->dp->cfg->dataplane : NULL;
	uint32_t calls = d != NULL ? d->sip.max_calls : CONFIG_DEFAULT_SIP_MAX_CALLS;

	for (unsigned i = 0; i < p->dp->n_workers; i++) {
		if (worker_sip_media_init(p->ws[i], calls) != 0)
			return -ENOMEM;
		p->ws[i]->media = e;
		p->ws[i]->mw = media_engine_worker(e, i);
	}
	return 0;
}

uint32_t worker_sip_local_addr(const struct worker_sip_plane *p, unsigned side)
{
	return p->dp->ifaces[side == SIP_SIDE_INTERNAL ? NET_IFACE_INTERNAL : NET_IFACE_EXTERNAL]
		.addr;
}

unsigned worker_sip_n_workers(const struct worker_sip_plane *p)
{
	return p->dp->n_workers;
}

struct worker_sip *worker_sip_get(struct worker_sip_plane *p, unsigned idx)
{
	return idx < DP_MAX_WORKERS ? p->ws[idx] : NULL;
}

/* "k1=v1 k2=some words k3=v3" into {"k1": "v1", "k2": "some words", ...}:
 * a key is [a-z0-9_]+ right after a space (or at the start) and before '='.
 * "reason", always last, takes the rest (its words may hold "a=crypto"). */
static bool key_at(const char *s, size_t *klen)
{
	size_t i = 0;

	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')
		i++;
	*klen = i;
	return i > 0 && s[i] == '=';
}

static json_t *detail_fields(const char *d)
{
	json_t *o = json_object();
	size_t klen;

	while (o != NULL && *d != '\0') {
		if (!key_at(d, &klen)) {
			json_object_set_new(o, "detail", json_string(d));
			break;
		}
		const char *v = d + klen + 1, *e = v, *next = NULL;
		bool rest = klen == 6 && memcmp(d, "reason", 6) == 0;

		for (; *e != '\0'; e++) {
			size_t k2;

			if (!rest && *e == ' ' && key_at(e + 1, &k2)) {
				next = e + 1;
				break;
			}
		}
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)(klen < 63 ? klen : 63), d);
		json_object_set_new(o, key, json_stringn(v, (size_t)(e - v)));
		d = next != NULL ? next : e;
	}
	return o;
}

void worker_sip_tick(struct worker_sip_plane *p, struct ctl *ctl)
{
	for (unsigned i = 0; i < p->dp->n_workers; i++) {
		void *obj;

		while (p->ws[i] != NULL && rte_ring_dequeue(p->ws[i]->events, &obj) == 0) {
			struct sip_event_msg *e = obj;
			json_t *f = detail_fields(e->detail);

			if (f != NULL && (unsigned)e->id < UMEDGE_EV_COUNT) {
				ctl_send_event(ctl, event_names[e->id], f);
				p->events_sent++;
			}
			json_decref(f);
			rte_mempool_put(p->ws[i]->event_pool, e);
		}
	}
}

static uint64_t rd(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static json_t *by_method(const uint64_t *v)
{
	json_t *o = json_object();

	for (unsigned k = 0; o != NULL && k < SIP_METHOD_COUNT; k++)
		if (v[k] != 0)
			json_object_set_new(o, k == SIP_METHOD_OTHER ? "other" : sip_method_names[k],
					    json_integer((json_int_t)v[k]));
	return o;
}

static json_t *by_class(const uint64_t *v)
{
	static const char *const names[7] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx" };
	json_t *o = json_object();

	for (unsigned k = 0; o != NULL && k < 7; k++)
		json_object_set_new(o, names[k], json_integer((json_int_t)v[k]));
	return o;
}

/* Connections by peer over all workers, named by the gateway at that
 * address in the current snapshot (main lcore: it owns publication). */
static json_t *connections(const struct worker_sip_plane *p, bool named)
{
	static const char *const tp[] = { "udp", "tcp", "tls" };
	struct sip_conn_row all[SIP_CONN_ROWS * 2];
	const struct dp_snapshot *snap = named ? snapshot_current() : NULL;
	unsigned n_all = 0;
	json_t *arr = json_array();

	for (unsigned i = 0; arr != NULL && i < p->dp->n_workers; i++) {
		const struct worker_sip *ws = p->ws[i];
		struct sip_conn_row rows[SIP_CONN_ROWS];
		uint32_t v, n;

		if (ws == NULL)
			continue;
		/* a torn copy shows as a version change: take it again */
		for (int tries = 0; tries < 3; tries++) {
			unsigned half;

			v = __atomic_load_n(&ws->conn_ver, __ATOMIC_ACQUIRE);
			half = __atomic_load_n(&ws->conn_pub, __ATOMIC_ACQUIRE);
			n = RTE_MIN(ws->n_conn_rows[half], (uint32_t)SIP_CONN_ROWS);
			memcpy(rows, ws->conn_rows[half], n * sizeof(rows[0]));
			if (__atomic_load_n(&ws->conn_ver, __ATOMIC_ACQUIRE) == v)
				break;
			n = 0;
		}
		for (uint32_t r = 0; r < n; r++) {
			unsigned k;

			for (k = 0; k < n_all; k++)
				if (all[k].addr == rows[r].addr && all[k].transport == rows[r].transport &&
				    all[k].outbound == rows[r].outbound)
					break;
			if (k == n_all) {
				if (n_all == sizeof(all) / sizeof(all[0]))
					continue;
				all[n_all] = rows[r];
				all[n_all++].n = 0;
			}
			all[k].n = (uint16_t)RTE_MIN((unsigned)all[k].n + rows[r].n, 65535u);
		}
	}
	for (unsigned k = 0; arr != NULL && k < n_all; k++) {
		const char *gw = "-";
		char peer[16];

		for (size_t g = 0; snap != NULL && g < snap->n_gateways; g++)
			if (snap->gateways[g].addr == rte_cpu_to_be_32(all[k].addr))
				gw = snap->gateways[g].name;
		if (snap != NULL && snap->has_application &&
		    snap->app_addr == rte_cpu_to_be_32(all[k].addr))
			gw = "(application)";
		snprintf(peer, sizeof(peer), "%u.%u.%u.%u", all[k].addr >> 24,
			 (all[k].addr >> 16) & 255, (all[k].addr >> 8) & 255, all[k].addr & 255);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:i}", "peer", peer,
						     "gateway", gw, "transport",
						     tp[all[k].transport < 3 ? all[k].transport : 0],
						     "direction", all[k].outbound ? "out" : "in",
						     "connections", (int)all[k].n));
	}
	return arr;
}

static json_t *stats(const struct worker_sip_plane *p, bool named)
{
	struct sip_proxy_stats sum;
	uint64_t udp_in = 0, udp_out = 0, handoffs = 0, too_big = 0, send_errors = 0;
	uint64_t no_transport = 0, lost = 0;
	uint64_t m_inst = 0, m_upd = 0, m_rem = 0, m_fail = 0, m_noports = 0;
	struct sip_stream_stats ss;
	uint64_t frame_errors[SIP_E_COUNT] = { 0 };
	json_t *o = json_object(), *workers = json_array(), *errs = json_object();
	json_t *px = json_object();

	memset(&sum, 0, sizeof(sum));
	memset(&ss, 0, sizeof(ss));
	if (o == NULL || workers == NULL || errs == NULL || px == NULL)
		goto fail;
	for (unsigned i = 0; i < p->dp->n_workers; i++) {
		const struct worker_sip *ws = p->ws[i];
		const uint64_t *src, *end;
		uint64_t *dst;

		if (ws == NULL)
			continue;
		/* the proxy's counters are plain uint64_t words: sum them word
		 * by word, each read whole */
		src = (const uint64_t *)sip_proxy_stats(ws->px);
		end = src + sizeof(sum) / sizeof(uint64_t);
		dst = (uint64_t *)&sum;
		for (; src < end; src++, dst++)
			*dst += rd(src);
		udp_in += rd(&ws->udp_in);
		udp_out += rd(&ws->udp_out);
		handoffs += rd(&ws->handoffs);
		too_big += rd(&ws->too_big);
		send_errors += rd(&ws->send_errors);
		no_transport += rd(&ws->no_transport);
		lost += rd(&ws->events_lost);
		m_inst += rd(&ws->media_installed);
		m_upd += rd(&ws->media_updated);
		m_rem += rd(&ws->media_removed);
		m_fail += rd(&ws->media_failed);
		m_noports += rd(&ws->media_no_ports);
		src = (const uint64_t *)&ws->ss;
		end = src + sizeof(ss) / sizeof(uint64_t);
		dst = (uint64_t *)&ss;
		for (; src < end; src++, dst++)
			*dst += rd(src);
		for (unsigned e = 0; e < SIP_E_COUNT; e++)
			frame_errors[e] += rd(&ws->frame_errors[e]);
		/* per worker: how calls spread, and what each holds now */
		json_array_append_new(
			workers,
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "worker", (json_int_t)i,
				  "calls", (json_int_t)__atomic_load_n(&ws->calls, __ATOMIC_RELAXED),
				  "transactions",
				  (json_int_t)__atomic_load_n(&ws->txns, __ATOMIC_RELAXED),
				  "streams", (json_int_t)__atomic_load_n(&ws->n_streams, __ATOMIC_RELAXED),
				  "requests", (json_int_t)rd(&sip_proxy_stats(ws->px)->requests),
				  "responses", (json_int_t)rd(&sip_proxy_stats(ws->px)->responses)));
	}
#define SIP_PROXY_COUNTER_JSON(name) json_object_set_new(px, #name, json_integer((json_int_t)sum.name));
	SIP_PROXY_COUNTERS(SIP_PROXY_COUNTER_JSON)
#undef SIP_PROXY_COUNTER_JSON
	/* the message layer's refusals: in the proxy, and by the stream framer */
	for (unsigned e = 1; e < SIP_E_COUNT; e++)
		if (sum.errors[e] + frame_errors[e] != 0)
			json_object_set_new(errs, sip_error_name((enum sip_error)e),
					    json_integer((json_int_t)(sum.errors[e] + frame_errors[e])));
	json_object_set_new(o, "workers", workers);
	json_object_set_new(o, "connections", connections(p, named));
	json_object_set_new(o, "proxy", px);
	json_object_set_new(o, "errors", errs);
	json_object_set_new(o, "in", json_pack("{s:o, s:o}", "requests", by_method(sum.in_requests),
					       "responses", by_class(sum.in_responses)));
	json_object_set_new(o, "out", json_pack("{s:o, s:o}", "requests",
						by_method(sum.out_requests), "responses",
						by_class(sum.out_responses)));
	json_object_set_new(o, "udp", json_pack("{s:I, s:I, s:I, s:I}", "in", (json_int_t)udp_in,
						"out", (json_int_t)udp_out, "too_big",
						(json_int_t)too_big, "send_errors",
						(json_int_t)send_errors));
	/* messages that reached a worker not owning their call, passed on */
	json_object_set_new(o, "handoffs", json_integer((json_int_t)handoffs));
	json_object_set_new(o, "no_transport", json_integer((json_int_t)no_transport));
	{
		json_t *so = json_object();
#define SS(f) json_object_set_new(so, #f, json_integer((json_int_t)ss.f))
		SS(accepted); SS(refused); SS(connected); SS(connect_failed); SS(closed);
		SS(messages); SS(pings); SS(pings_sent); SS(bad_frames); SS(truncated); SS(overflows); SS(no_slot);
		SS(stale_handle); SS(mail_sent); SS(mail_received); SS(mail_lost);
#undef SS
		json_object_set_new(o, "streams", so);
	}
	{
		/* calls: in progress, the set-up rate, failures by final status */
		json_t *co = json_object(), *codes = json_object();
		json_int_t in_progress = 0;
		char code[8];

		for (unsigned i = 0; i < p->dp->n_workers; i++)
			if (p->ws[i] != NULL)
				in_progress += __atomic_load_n(&p->ws[i]->calls, __ATOMIC_RELAXED);
		for (unsigned c = 0; c < 400; c++)
			if (sum.calls_failed_by_code[c] != 0) {
				snprintf(code, sizeof(code), "%u", c + 300);
				json_object_set_new(codes, code,
						    json_integer((json_int_t)sum.calls_failed_by_code[c]));
			}
		json_object_set_new(co, "in_progress", json_integer(in_progress));
		json_object_set_new(co, "setup_rate", json_real(p->setup_rate));
		json_object_set_new(co, "started", json_integer((json_int_t)sum.calls_started));
		json_object_set_new(co, "ended", json_integer((json_int_t)sum.calls_ended));
		json_object_set_new(co, "failed", json_integer((json_int_t)sum.calls_failed));
		json_object_set_new(co, "failed_by_code", codes);
		json_object_set_new(o, "calls", co);
	}
	/* the calls' media sessions, in the workers' own media tables */
	json_object_set_new(o, "media",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "sessions",
				      (json_int_t)(m_inst - m_rem), "installed", (json_int_t)m_inst,
				      "updated", (json_int_t)m_upd, "removed", (json_int_t)m_rem,
				      "failed", (json_int_t)m_fail, "no_ports",
				      (json_int_t)m_noports));
	{
		json_t *ng = worker_ng_stats(p->ws, p->dp->n_workers);
		if (ng != NULL)
			json_object_set_new(o, "ng", ng);
	}
	json_object_set_new(o, "events_sent", json_integer((json_int_t)p->events_sent));
	json_object_set_new(o, "events_lost", json_integer((json_int_t)lost));
	return o;
fail:
	json_decref(o);
	json_decref(workers);
	json_decref(errs);
	json_decref(px);
	return NULL;
}

json_t *worker_sip_stats(struct worker_sip_plane *p)
{
	uint64_t started = 0, now = rte_rdtsc() / (rte_get_tsc_hz() / 1000);

	for (unsigned i = 0; i < p->dp->n_workers; i++)
		if (p->ws[i] != NULL)
			started += rd(&sip_proxy_stats(p->ws[i]->px)->calls_started);
	if (p->rate_at_ms != 0 && now > p->rate_at_ms)
		p->setup_rate = (double)(started - p->rate_started) * 1000.0 /
				(double)(now - p->rate_at_ms);
	p->rate_started = started;
	p->rate_at_ms = now;
	return stats(p, true);
}

void worker_sip_free(struct worker_sip_plane *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < DP_MAX_WORKERS; i++)
		detach_free(p->ws[i]);
	free(p);
}

/* ---- DPDK telemetry: /umedge/sip ---- */

static const struct worker_sip_plane *tel_plane;

/* The stats object flattened ("in/requests/INVITE": n): telemetry dicts
 * nest only one level, and names take letters, digits, '_' and '/'. */
static void tel_flatten(struct rte_tel_data *d, const char *prefix, const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	char key[RTE_TEL_MAX_STRING_LEN];

	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "/" : "", k);
			tel_flatten(d, key, v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			snprintf(key, sizeof(key), "%s/%zu", prefix, i);
			tel_flatten(d, key, v);
		}
	} else if (json_is_integer(j)) {
		rte_tel_data_add_dict_u64(d, prefix, (uint64_t)json_integer_value(j));
	}
}

static int tel_sip(const char *cmd, const char *params, struct rte_tel_data *d)
{
	/* not the main lcore: no snapshot to name the peers with */
	json_t *j = stats(tel_plane, false);

	if (j == NULL)
		return -1;
	rte_tel_data_start_dict(d);
	tel_flatten(d, "", j);
	json_decref(j);
	return 0;
}

int worker_sip_telemetry(const struct worker_sip_plane *p)
{
	tel_plane = p;
	return rte_telemetry_register_cmd("/umedge/sip", tel_sip,
					  "SIP on the workers: transactions per worker, messages "
					  "by method and class, refusals, drops");
}
