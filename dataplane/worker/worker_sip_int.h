/* Inside SIP on the workers: the per-worker state shared by the datagram
 * glue (worker_sip.c), the stream connections (sip_stream.c), the TCP
 * listener (sip_tcp.c) and the TLS glue that feeds streams (worker_tls.c).
 * Not for other modules. */
#ifndef UMEDGE_DP_WORKER_SIP_INT_H
#define UMEDGE_DP_WORKER_SIP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"
#include "net/net.h"
#include "sip/sip_proxy.h"

#include <jansson.h>

#define SIP_STREAMS_MAX 4096	/* per worker; slots of the handle */
#define SIP_STREAM_OUT_MAX (256u << 10) /* queued bytes before we give up */
#define SIP_MAIL_RING 1024	/* per worker, power of two */
#define SIP_OUTBOUND_MAX 64	/* streams a worker opens towards peers */

struct sip_stream;
struct media_engine;
struct media_worker;
struct ng_engine;
struct ng_pub;
struct config;

/* What a byte stream below SIP does (TCP here, TLS in worker_tls.c). */
struct sip_stream_ops {
	/* bytes accepted (0..len), or negative when the connection is gone */
	int (*write)(void *conn, const void *buf, size_t len);
	/* graceful close; the transport calls sip_stream_closed later */
	void (*close)(void *conn);
	/* our port of the connection (for captures), 0 when unknown */
	uint16_t (*local_port)(const void *conn);
};

/* The SIP capture tap of one worker (sip_capture.c): while a capture runs
 * the worker copies each message it receives or sends into a byte ring
 * the main lcore drains into the pcap file. No syscall, no allocation on
 * the worker; a full ring drops the message and counts it. */
#define SIP_CAPTURE_RING (4u << 20)	/* bytes per worker, power of two */

struct sip_capture_tap {
	uint32_t gen;		/* the running capture's number, 0: off (main lcore writes) */
	uint32_t peer;		/* only messages to or from this address (host order), 0: all */
	uint8_t *ring;		/* SIP_CAPTURE_RING bytes, from the first capture on */
	uint64_t head __rte_cache_aligned;	/* the worker's */
	uint64_t tail_seen;			/* the worker's copy of tail */
	uint64_t drops;				/* the ring was full (the worker's) */
	uint64_t tail __rte_cache_aligned;	/* the main lcore's */
};

/* Counters of the streams (this lcore writes, the main lcore reads). */
struct sip_stream_stats {
	uint64_t accepted, refused, connected, connect_failed, closed;
	uint64_t messages, pings, pings_sent, bad_frames, truncated, overflows, no_slot;
	uint64_t stale_handle;
	uint64_t mail_sent, mail_received, mail_lost;
};

/* Connections of one worker to one peer, for sip status. */
struct sip_conn_row {
	uint32_t addr;		/* host order */
	uint8_t transport;
	uint8_t outbound;	/* we opened them */
	uint16_t n;
};

#define SIP_CONN_ROWS 64

struct worker_sip {
	struct worker *w;
	struct sip_proxy *px;
	struct rte_ring *events;	/* worker -> main lcore */
	struct rte_mempool *event_pool;	/* their messages: taken by the worker,
					   given back by the main lcore */
	struct rte_ring *mail;		/* other workers -> this one (sip_stream.c) */
	struct rte_ring *query;		/* main lcore -> this one: calls verbs */
	struct worker_sip **all;	/* every worker's, by index (mail targets) */
	net_l4_hook next_udp;
	void *next_udp_arg;
	void (*next_poll)(struct net_ctx *ctx, void *arg);
	void *next_poll_arg;
	uint64_t tsc_per_ms;
	uint64_t last_ms;
	uint64_t ev_window_ms;
	unsigned ev_in_window, call_ev_in_window;
	struct sip_limits lim;
	/* streams: slots, generations, a free list */
	struct sip_stream *streams[SIP_STREAMS_MAX];
	uint32_t gen[SIP_STREAMS_MAX];
	uint32_t free_slots[SIP_STREAMS_MAX];
	uint32_t n_free;
	uint32_t n_streams;		/* gauge */
	struct sip_stream *outb[SIP_OUTBOUND_MAX];
	unsigned n_outb;
	bool tcp_listening;
	/* outbound TLS to a gateway (worker_tls.c plugs it in): a stream that
	 * queues until the handshake verified the gateway, or NULL */
	struct sip_stream *(*tls_connect)(void *arg, uint8_t side, uint32_t addr, uint16_t port);
	void *tls_arg;
	/* counters (this lcore writes, the main lcore reads) */
	uint64_t udp_in, udp_out, handoffs, too_big, send_errors, no_transport;
	uint64_t events_lost;
	struct sip_stream_stats ss;
	uint64_t frame_errors[SIP_E_COUNT];	/* streams closed by the framer */
	uint32_t txns, calls;		/* gauges, refreshed every ms */
	/* connections by peer, rebuilt every second into the unpublished half,
	 * then published (conn_pub) and versioned (conn_ver) for the reader */
	struct sip_conn_row conn_rows[2][SIP_CONN_ROWS];
	uint32_t n_conn_rows[2];
	uint32_t conn_pub, conn_ver;
	uint64_t conn_at_ms;
	uint64_t keepalive_ms;		/* dataplane.sip.keepalive_s, 0: off */
	/* the media of this worker's calls (worker_sip_media.c) */
	struct media_engine *media;	/* NULL until worker_sip_set_media */
	struct media_worker *mw;
	struct sip_media_ops media_ops;
	/* this worker's sessions: claimed and given back on its lcore only */
	struct media_session *media_pool;
	uint32_t *media_free;
	uint32_t media_n_free;
	uint32_t media_seq;
	uint64_t media_installed, media_updated, media_removed, media_failed, media_no_ports;
	struct sip_capture_tap cap;
	struct sip_probe *probe;	/* worker 0 only (sip_probe.c), else NULL */
	/* rtpengine's ng (worker_ng.c): this worker's calls made over ng */
	struct ng_engine *ng;		/* NULL: ng off */
	char *ng_out;			/* the reply being sent */
	int64_t wall_offset_s;		/* Unix time - worker_sip_now_ms() / 1000 */
	uint64_t ng_handoffs, ng_too_big, ng_send_errors;
	/* its ng calls' Call-IDs as the other workers' `list` reads them:
	 * republished (seqlock) within ng_pub_ms of a change */
	struct ng_pub *ng_pub;
	struct ng_pub *ng_scratch;	/* a copy read from another worker */
	uint64_t ng_pub_gen, ng_pub_at_ms;
	char lin[];			/* lim.max_message bytes: a chained datagram */
};

static inline uint64_t worker_sip_now_ms(const struct worker_sip *ws)
{
	return ws->w->net.now / ws->tsc_per_ms;
}

/* The owner of the call a message belongs to (by its Call-ID), or this
 * worker when there is no Call-ID. */
unsigned worker_sip_owner(const struct worker_sip *ws, const char *buf, size_t len);

/* The calls verbs' queries waiting for this worker, answered from its
 * poll hook; freed when it stopped (worker_sip_calls.c). */
void worker_sip_queries(struct worker_sip *ws);
void worker_sip_queries_fini(struct worker_sip *ws);

/* The proxy's media engine on this worker (worker_sip_media.c). */
struct media_session;
void worker_sip_media_ops(struct worker_sip *ws, struct sip_media_ops *ops);
/* The pool of sessions for n calls (main lcore, before the worker runs;
 * a few more for re-keys); 0 or -ENOMEM. fini: after it stopped. */
int worker_sip_media_init(struct worker_sip *ws, uint32_t n);
void worker_sip_media_fini(struct worker_sip *ws);
void worker_sip_media_counters(const struct media_session *s, struct sip_media_counters *out);

/* ---- capture (sip_capture.c) ---- */

void sip_capture_copy(struct worker_sip *ws, uint32_t gen, bool out, uint8_t transport,
		      uint8_t side, uint32_t peer, uint16_t peer_port, uint16_t local_port,
		      const char *buf, size_t len);

/* A message the worker received (out false) or sent on a side, with the
 * peer's address and port (host order) and ours: into the capture ring
 * when a capture runs. One load when none does. */
static inline void sip_capture(struct worker_sip *ws, bool out, uint8_t transport, uint8_t side,
			       uint32_t peer, uint16_t peer_port, uint16_t local_port,
			       const char *buf, size_t len)
{
	uint32_t gen = __atomic_load_n(&ws->cap.gen, __ATOMIC_ACQUIRE);

	if (__builtin_expect(gen != 0, 0))
		sip_capture_copy(ws, gen, out, transport, side, peer, peer_port, local_port, buf,
				 len);
}

/* ---- rtpengine's ng (worker_ng.c) ---- */

/* This worker's ng engine, when ng is configured (main lcore, before the
 * worker runs): 0 or -ENOMEM. fini: after it stopped. */
int worker_ng_init(struct worker_sip *ws, const struct config *cfg);
void worker_ng_fini(struct worker_sip *ws);
/* A datagram to the ng port on the internal side (m at IPv4): run on the
 * worker owning its Call-ID, answered from the ng port. */
void worker_ng_input(struct worker_sip *ws, struct net_ctx *ctx, struct rte_mbuf *m);
/* Once a second: calls whose media went idle end. */
void worker_ng_tick(struct worker_sip *ws, uint64_t now_ms);
/* Every loop: the Call-IDs republished for list when they changed. */
void worker_ng_poll(struct worker_sip *ws, uint64_t now_ms);
/* The workers' ng counters, summed (main lcore); NULL when ng is off. */
json_t *worker_ng_stats(struct worker_sip *const *ws, unsigned n);

/* ---- the connectivity probe (sip_probe.c) ---- */

struct sip_probe;
struct tls_conn_desc;
/* From the poll hook: start an armed probe, retransmit, time out. */
void sip_probe_poll(struct worker_sip *ws, uint64_t now_ms);
/* A message for the proxy: true when it is the probe's answer (consumed). */
bool sip_probe_input_slow(struct worker_sip *ws, const char *buf, size_t len);
static inline bool sip_probe_input(struct worker_sip *ws, const char *buf, size_t len)
{
	return __builtin_expect(ws->probe != NULL, 0) && sip_probe_input_slow(ws, buf, len);
}
/* Whether s is the running probe's own connection (the TLS glue then
 * describes it: sip_probe_tls). */
bool sip_probe_wants(const struct sip_stream *s);
/* The TLS glue: a stream's connection came up (err 0, verified) or went
 * away (err, and d's failure): the probe's own connection tells it. */
void sip_probe_tls(const struct sip_stream *s, const struct tls_conn_desc *d, int err);
/* The TCP glue: an outbound stream's connection failed or closed. */
void sip_probe_stream_closed(struct worker_sip *ws, const struct sip_stream *s, int err);

/* ---- streams (sip_stream.c) ---- */

/* Set up the table; 0 or -ENOMEM. */
int sip_stream_init(struct worker_sip *ws);
/* Close and free every stream (worker stopped). */
void sip_stream_fini(struct worker_sip *ws);

/* A connection came up (accepted: up; our connect: up once connected).
 * conn is the transport's, passed back to ops. Returns the stream (the
 * transport's user pointer from now on), NULL when the table is full (the
 * caller refuses or aborts the connection). tls_name: the gateway FQDN
 * the TLS layer verified in the peer's certificate, NULL otherwise. */
struct sip_stream *sip_stream_open(struct worker_sip *ws, const struct sip_stream_ops *ops,
				   void *conn, uint8_t side, uint8_t transport, uint32_t addr,
				   uint16_t port, const char *tls_name, bool up);
/* The transport's connection object, once known (an active open). */
void sip_stream_set_conn(struct sip_stream *s, void *conn);
/* The handle the proxy knows the stream by (struct sip_peer.conn). */
uint64_t sip_stream_handle(const struct sip_stream *s);
/* Bytes from the connection: returns how many were consumed; may close it. */
size_t sip_stream_data(struct sip_stream *s, const uint8_t *p, size_t len);
/* The transport is up or can take more: send what is queued. */
void sip_stream_writable(struct sip_stream *s);
/* The connection is gone: forget it (the transport's last call for s). */
void sip_stream_closed(struct sip_stream *s, int err);

/* A message onto this stream (captured, queued until it is up). */
int sip_stream_send_msg(struct sip_stream *s, const char *buf, size_t len);
/* The stream of a handle on this worker, NULL once closed. */
struct sip_stream *sip_stream_lookup(struct worker_sip *ws, uint64_t handle);
/* Close it gracefully (the transport calls sip_stream_closed later). */
void sip_stream_close(struct sip_stream *s);
/* The worker's SIP a stream belongs to. */
struct worker_sip *sip_stream_worker(const struct sip_stream *s);

/* The proxy's send for TCP and TLS: to->conn when set (on whichever worker
 * owns it), else an outbound connection of this worker to to->addr:port
 * (opened when missing). 0 or a negative errno. */
int sip_stream_send(struct worker_sip *ws, const struct sip_peer *to, const char *buf,
		    size_t len);
/* Hand a framed message to the worker owning its call. */
void sip_stream_handoff(struct worker_sip *ws, unsigned owner, const struct sip_peer *from,
			const char *tls_name, const char *buf, size_t len);
/* Mail from other workers: deliveries for our proxy, sends on our streams. */
void sip_stream_poll(struct worker_sip *ws);
/* Once a second: keep-alives on our idle outbound streams, then rebuild
 * and publish the connections-by-peer rows. */
void sip_stream_tick(struct worker_sip *ws, uint64_t now_ms);

/* ---- TCP (sip_tcp.c) ---- */

/* Listen on the SIP port of the worker's TCP stack (0, or no TCP). */
int sip_tcp_listen(struct worker_sip *ws);
/* Open an outbound TCP connection to addr:port (host order): its stream,
 * which queues what is sent before the handshake completes, or NULL. */
struct sip_stream *sip_tcp_connect(struct worker_sip *ws, uint8_t side, uint32_t addr,
				   uint16_t port);

#endif
