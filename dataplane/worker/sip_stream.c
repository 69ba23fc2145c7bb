/*
 * sip_stream.c: SIP over byte streams (TCP, TLS) on one worker.
 *
 * A stream is one connection: the worker whose TCP stack owns it frames
 * what arrives (sip_frame: messages, RFC 5626 pings answered), and each
 * message goes to the worker owning its call (by Call-ID): this one, or
 * another through that worker's mail ring. The proxy names a stream by a
 * handle (worker, slot, generation) that outlives nothing: a send to a
 * closed stream finds a new generation in its slot and fails cleanly.
 * What the transport cannot take yet is queued, up to SIP_STREAM_OUT_MAX.
 *
 * Mail between workers is an mbuf chain from the worker's pool: a small
 * header (what, the peer, the verified TLS name) and the message bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dispatch.h"
#include "worker_sip_int.h"

struct sip_stream {
	struct worker_sip *ws;
	const struct sip_stream_ops *ops;
	void *conn;
	uint64_t handle;
	uint32_t addr;
	uint16_t port;
	uint8_t side, transport;
	bool up;		/* the transport takes bytes */
	bool up_at_open;	/* accepted (else our own active open) */
	uint64_t io_ms;		/* last byte in or out */
	bool closing;		/* we asked the transport to close */
	bool busy, dead;	/* inside sip_stream_data; closed meanwhile */
	char tls_name[CONFIG_FQDN_MAX];
	size_t in_len;
	char *in;		/* lim.max_message bytes */
	char *out;
	size_t out_len, out_off, out_cap;
};

enum { MAIL_DELIVER = 1, MAIL_SEND = 2 };

struct sip_mail {
	uint32_t kind;
	uint32_t len;
	struct sip_peer peer;	/* DELIVER: where it came from; SEND: the stream */
	char tls_name[CONFIG_FQDN_MAX];
};

/* ---- handles ---- */

static uint64_t handle_make(unsigned worker, uint32_t gen, uint32_t slot)
{
	return ((uint64_t)(worker + 1) << 56) | ((uint64_t)gen << 24) | slot;
}

static unsigned handle_worker(uint64_t h)
{
	return (unsigned)(h >> 56) - 1;
}

static struct sip_stream *lookup(struct worker_sip *ws, uint64_t h)
{
	uint32_t slot = (uint32_t)(h & 0xffffff);
	uint32_t gen = (uint32_t)(h >> 24);
	struct sip_stream *s;

	if (h == 0 || handle_worker(h) != ws->w->idx || slot >= SIP_STREAMS_MAX)
		return NULL;
	s = ws->streams[slot];
	if (s == NULL || ws->gen[slot] != gen || s->dead)
		return NULL;
	return s;
}

int sip_stream_init(struct worker_sip *ws)
{
	/* slots handed out low first */
	ws->n_free = SIP_STREAMS_MAX;
	for (uint32_t i = 0; i < SIP_STREAMS_MAX; i++)
		ws->free_slots[i] = SIP_STREAMS_MAX - 1 - i;
	return 0;
}

static void stream_free(struct sip_stream *s)
{
	struct worker_sip *ws = s->ws;
	uint32_t slot = (uint32_t)(s->handle & 0xffffff);

	for (unsigned i = 0; i < ws->n_outb; i++) {
		if (ws->outb[i] == s) {
			ws->outb[i] = ws->outb[--ws->n_outb];
			break;
		}
	}
	ws->streams[slot] = NULL;
	ws->gen[slot] = (ws->gen[slot] + 1) & 0xffffffffu;
	ws->free_slots[ws->n_free++] = slot;
	ws->n_streams--;
	free(s->in);
	free(s->out);
	free(s);
}

void sip_stream_fini(struct worker_sip *ws)
{
	void *m;

	/* the transports free their connections themselves at exit */
	for (uint32_t i = 0; i < SIP_STREAMS_MAX; i++)
		if (ws->streams[i] != NULL)
			stream_free(ws->streams[i]);
	while (ws->mail != NULL && rte_ring_dequeue(ws->mail, &m) == 0)
		rte_pktmbuf_free(m);
}

struct sip_stream *sip_stream_open(struct worker_sip *ws, const struct sip_stream_ops *ops,
				   void *conn, uint8_t side, uint8_t transport, uint32_t addr,
				   uint16_t port, const char *tls_name, bool up)
{
	struct sip_stream *s;
	uint32_t slot;

	if (ws->n_free == 0) {
		ws->ss.no_slot++;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s != NULL)
		s->in = malloc(ws->lim.max_message);
	if (s == NULL || s->in == NULL) {
		free(s);
		ws->ss.no_slot++;
		return NULL;
	}
	slot = ws->free_slots[--ws->n_free];
	s->ws = ws;
	s->ops = ops;
	s->conn = conn;
	s->side = side;
	s->transport = transport;
	s->addr = addr;
	s->port = port;
	s->up = up;
	s->up_at_open = up;
	s->io_ms = worker_sip_now_ms(ws);
	if (tls_name != NULL)
		snprintf(s->tls_name, sizeof(s->tls_name), "%s", tls_name);
	s->handle = handle_make(ws->w->idx, ws->gen[slot], slot);
	ws->streams[slot] = s;
	ws->n_streams++;
	/* our own active opens are the ones the proxy's sends reuse */
	if (!up && ws->n_outb < SIP_OUTBOUND_MAX)
		ws->outb[ws->n_outb++] = s;
	if (up)
		ws->ss.accepted++;
	return s;
}

void sip_stream_set_conn(struct sip_stream *s, void *conn)
{
	s->conn = conn;
}

uint64_t sip_stream_handle(const struct sip_stream *s)
{
	return s->handle;
}

/* ---- sending ---- */

static void stream_close(struct sip_stream *s);

struct sip_stream *sip_stream_lookup(struct worker_sip *ws, uint64_t handle)
{
	return lookup(ws, handle);
}

void sip_stream_close(struct sip_stream *s)
{
	stream_close(s);
}

struct worker_sip *sip_stream_worker(const struct sip_stream *s)
{
	return s->ws;
}

static void stream_close(struct sip_stream *s)
{
	if (s->closing || s->conn == NULL)
		return;
	s->closing = true;
	s->ws->ss.closed++;
	s->ops->close(s->conn);
}

static int queue(struct sip_stream *s, const char *buf, size_t len)
{
	size_t have = s->out_len - s->out_off;

	if (have + len > SIP_STREAM_OUT_MAX) {
		/* a peer that reads nothing: no unbounded memory for it */
		s->ws->ss.overflows++;
		stream_close(s);
		return -ENOBUFS;
	}
	if (s->out_off > 0) {
		memmove(s->out, s->out + s->out_off, have);
		s->out_len = have;
		s->out_off = 0;
	}
	if (s->out_len + len > s->out_cap) {
		size_t cap = s->out_cap ? s->out_cap : 4096;
		char *n;

		while (cap < s->out_len + len)
			cap *= 2;
		n = realloc(s->out, cap);
		if (n == NULL)
			return -ENOBUFS;
		s->out = n;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, buf, len);
	s->out_len += len;
	return 0;
}

static int flush(struct sip_stream *s)
{
	while (s->up && s->out_off < s->out_len) {
		int n = s->ops->write(s->conn, s->out + s->out_off, s->out_len - s->out_off);

		if (n < 0) {
			stream_close(s);
			return -EPIPE;
		}
		if (n == 0)
			break;	/* writable follows */
		s->out_off += (size_t)n;
	}
	if (s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	return 0;
}

static int stream_write(struct sip_stream *s, const char *buf, size_t len)
{
	size_t done = 0;

	s->io_ms = worker_sip_now_ms(s->ws);
	if (s->closing)
		return -EPIPE;
	if (s->up && s->out_len == s->out_off) {
		int n = s->ops->write(s->conn, buf, len);

		if (n < 0) {
			stream_close(s);
			return -EPIPE;
		}
		done = (size_t)n;
	}
	return done == len ? 0 : queue(s, buf + done, len - done);
}

/* A SIP message (not a keep-alive) onto the stream: captured, then written. */
int sip_stream_send_msg(struct sip_stream *s, const char *buf, size_t len)
{
	uint16_t lport = s->conn != NULL && s->ops->local_port != NULL ?
			 s->ops->local_port(s->conn) : 0;

	sip_capture(s->ws, true, s->transport, s->side, s->addr, s->port, lport, buf, len);
	return stream_write(s, buf, len);
}

void sip_stream_writable(struct sip_stream *s)
{
	if (!s->up && !s->closing)
		s->ws->ss.connected++;	/* our active open completed */
	s->up = true;
	(void)flush(s);
}

/* ---- mail between workers ---- */

static struct rte_mbuf *mail_pack(struct worker_sip *ws, const struct sip_mail *hdr,
				  const char *buf, size_t len)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(ws->w->net.pool);
	char *p;

	if (head == NULL)
		return NULL;
	p = rte_pktmbuf_append(head, sizeof(*hdr));
	if (p == NULL)
		goto fail;
	memcpy(p, hdr, sizeof(*hdr));
	if (net_mbuf_write(ws->w->net.pool, head, buf, len) != 0)
		goto fail;
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

static int mail(struct worker_sip *ws, unsigned to, const struct sip_mail *hdr, const char *buf,
		size_t len)
{
	struct rte_mbuf *m;

	if (to >= ws->w->dp->n_workers || ws->all[to] == NULL) {
		ws->ss.mail_lost++;
		return -EINVAL;
	}
	m = mail_pack(ws, hdr, buf, len);
	if (m == NULL || rte_ring_enqueue(ws->all[to]->mail, m) != 0) {
		rte_pktmbuf_free(m);
		ws->ss.mail_lost++;
		return -ENOBUFS;
	}
	ws->ss.mail_sent++;
	return 0;
}

void sip_stream_handoff(struct worker_sip *ws, unsigned owner, const struct sip_peer *from,
			const char *tls_name, const char *buf, size_t len)
{
	struct sip_mail h = { .kind = MAIL_DELIVER, .len = (uint32_t)len, .peer = *from };

	if (tls_name != NULL)
		snprintf(h.tls_name, sizeof(h.tls_name), "%s", tls_name);
	ws->handoffs++;
	(void)mail(ws, owner, &h, buf, len);
}

static void proxy_input(struct worker_sip *ws, const struct sip_peer *from, const char *tls_name,
			const char *buf, size_t len)
{
	const char *names[1] = { tls_name };
	struct sip_rx rx = { .from = *from, .tls_names = names,
			     .n_names = tls_name != NULL && tls_name[0] ? 1 : 0 };

	if (sip_probe_input(ws, buf, len))
		return;

	sip_proxy_input(ws->px, ws->w->net.snap, &rx, buf, len, worker_sip_now_ms(ws));
}

void sip_stream_poll(struct worker_sip *ws)
{
	struct rte_mbuf *ms[NET_BURST];
	unsigned n = rte_ring_dequeue_burst(ws->mail, (void **)ms, NET_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		struct sip_mail h;
		const struct sip_mail *hp = rte_pktmbuf_read(ms[i], 0, sizeof(h), &h);
		const char *buf;

		ws->ss.mail_received++;
		if (hp == NULL || hp->len > ws->lim.max_message ||
		    (buf = rte_pktmbuf_read(ms[i], sizeof(h), hp->len, ws->lin)) == NULL) {
			ws->ss.mail_lost++;
			rte_pktmbuf_free(ms[i]);
			continue;
		}
		if (hp != &h)
			memcpy(&h, hp, sizeof(h));
		h.tls_name[sizeof(h.tls_name) - 1] = '\0';
		if (h.kind == MAIL_DELIVER) {
			proxy_input(ws, &h.peer, h.tls_name, buf, h.len);
		} else {
			struct sip_stream *s = lookup(ws, h.peer.conn);

			if (s == NULL)
				ws->ss.stale_handle++;	/* closed meanwhile */
			else
				(void)sip_stream_send_msg(s, buf, h.len);
		}
		rte_pktmbuf_free(ms[i]);
	}
}

/* ---- receiving ---- */

static void deliver(struct sip_stream *s, const char *buf, size_t len)
{
	struct worker_sip *ws = s->ws;
	struct sip_peer from = { .side = s->side, .transport = s->transport, .port = s->port,
				 .addr = s->addr, .conn = s->handle };
	unsigned owner = worker_sip_owner(ws, buf, len);
	uint16_t lport = s->conn != NULL && s->ops->local_port != NULL ?
			 s->ops->local_port(s->conn) : 0;

	s->ws->ss.messages++;
	sip_capture(ws, false, s->transport, s->side, s->addr, s->port, lport, buf, len);
	if (owner != ws->w->idx) {
		sip_stream_handoff(ws, owner, &from, s->tls_name, buf, len);
		return;
	}
	proxy_input(ws, &from, s->tls_name, buf, len);
}

size_t sip_stream_data(struct sip_stream *s, const uint8_t *p, size_t len)
{
	struct worker_sip *ws = s->ws;
	size_t used = 0;

	if (s->closing || s->dead)
		return len;	/* going away: what it still sends is dropped */
	s->io_ms = worker_sip_now_ms(ws);
	s->busy = true;
	/* all of it, a buffer's worth at a time: what the transport hands us
	 * is never left waiting for a resume nobody would call */
	while (!s->dead && !s->closing) {
		struct sip_frame f;
		size_t take = RTE_MIN(len - used, ws->lim.max_message - s->in_len);

		memcpy(s->in + s->in_len, p + used, take);
		s->in_len += take;
		used += take;
		sip_frame(s->in, s->in_len, &ws->lim, &f);
		if (f.kind == SIP_FRAME_MORE) {
			/* the framer refuses before in[] can fill, so a full
			 * buffer never waits here */
			if (used == len || s->in_len == ws->lim.max_message)
				break;
			continue;
		}
		if (f.kind == SIP_FRAME_BAD) {
			/* no resynchronising a stream: close it, counted */
			ws->ss.bad_frames++;
			ws->frame_errors[f.err < SIP_E_COUNT ? f.err : 0]++;
			stream_close(s);
			break;
		}
		if (f.kind == SIP_FRAME_PING) {
			ws->ss.pings++;
			(void)stream_write(s, "\r\n", 2);	/* RFC 5626 pong */
		} else if (f.kind == SIP_FRAME_MESSAGE) {
			deliver(s, s->in, f.len);
		}
		if (s->dead)
			break;
		memmove(s->in, s->in + f.len, s->in_len - f.len);
		s->in_len -= f.len;
	}
	s->busy = false;
	if (s->dead) {
		stream_free(s);
		return len;
	}
	return s->closing ? len : used;
}

void sip_stream_closed(struct sip_stream *s, int err)
{
	if (s->ws->probe != NULL)
		sip_probe_stream_closed(s->ws, s, err);
	if (!s->up && err != 0)
		s->ws->ss.connect_failed++;
	if (s->in_len > 0 && !s->closing)
		s->ws->ss.truncated++;	/* the peer left in the middle of a message */
	s->conn = NULL;
	s->up = false;
	if (!s->closing)
		s->ws->ss.closed++;
	if (s->busy) {
		s->dead = true;	/* freed when sip_stream_data returns */
		return;
	}
	stream_free(s);
}

/* ---- the proxy's sends ---- */

static struct sip_stream *outbound(struct worker_sip *ws, const struct sip_peer *to)
{
	/* a worker opens few streams of its own (one per peer): a scan */
	for (unsigned i = 0; i < ws->n_outb; i++) {
		struct sip_stream *s = ws->outb[i];

		if (!s->closing && !s->dead && s->addr == to->addr && s->port == to->port &&
		    s->transport == to->transport && s->side == to->side)
			return s;
	}
	return NULL;
}

int sip_stream_send(struct worker_sip *ws, const struct sip_peer *to, const char *buf,
		    size_t len)
{
	struct sip_stream *s;

	if (to->conn != 0) {
		unsigned owner = handle_worker(to->conn);

		if (owner != ws->w->idx) {
			struct sip_mail h = { .kind = MAIL_SEND, .len = (uint32_t)len, .peer = *to };

			return mail(ws, owner, &h, buf, len);
		}
		s = lookup(ws, to->conn);
		if (s == NULL) {
			ws->ss.stale_handle++;
			return -ENOTCONN;
		}
		return sip_stream_send_msg(s, buf, len);
	}
	s = outbound(ws, to);
	if (s == NULL) {
		if (to->transport == UMEDGE_TRANSPORT_TCP) {
			s = sip_tcp_connect(ws, to->side, to->addr, to->port);
		} else if (ws->tls_connect != NULL) {
			s = ws->tls_connect(ws->tls_arg, to->side, to->addr, to->port);
		} else {
			ws->no_transport++;
			return -EPROTONOSUPPORT;
		}
		if (s == NULL)
			return -ENETUNREACH;
	}
	return sip_stream_send_msg(s, buf, len);
}

/* ---- connections by peer, for sip status ---- */

void sip_stream_tick(struct worker_sip *ws, uint64_t now_ms)
{
	unsigned half = __atomic_load_n(&ws->conn_pub, __ATOMIC_RELAXED) ^ 1;
	struct sip_conn_row *rows = ws->conn_rows[half];
	uint32_t n = 0;

	for (uint32_t i = 0; i < SIP_STREAMS_MAX; i++) {
		const struct sip_stream *s = ws->streams[i];
		uint32_t k;

		if (s == NULL || s->dead)
			continue;
		if (ws->keepalive_ms != 0 && !s->up_at_open && s->up && !s->closing &&
		    now_ms - s->io_ms >= ws->keepalive_ms) {
			/* RFC 5626 3.5.1: a CRLFCRLF ping keeps NATs and the peer's
			 * idle timers from dropping a flow we will need again */
			ws->ss.pings_sent++;
			(void)stream_write(ws->streams[i], "\r\n\r\n", 4);
		}
		for (k = 0; k < n; k++)
			if (rows[k].addr == s->addr && rows[k].transport == s->transport &&
			    rows[k].outbound == !s->up_at_open)
				break;
		if (k == n) {
			if (n == SIP_CONN_ROWS)
				continue;	/* more peers than rows: the first ones */
			rows[n++] = (struct sip_conn_row){ s->addr, s->transport, !s->up_at_open, 0 };
		}
		if (rows[k].n < UINT16_MAX)
			rows[k].n++;
	}
	ws->n_conn_rows[half] = n;
	__atomic_store_n(&ws->conn_pub, half, __ATOMIC_RELEASE);
	__atomic_fetch_add(&ws->conn_ver, 1, __ATOMIC_RELEASE);
}
