/*
 * sip_tcp.c: SIP over TCP on a worker's own stack (net/tcp.h) feeding the
 * streams of sip_stream.c.
 *
 * Every worker listens on 5060: a connection belongs to the worker its
 * 4-tuple dispatches to. Who may connect is decided per connection from
 * the snapshot: on the external side while control opens TCP 5060 (an
 * unsecured dial plan, or start_secured 0 with none); on the internal side
 * while an application is configured. Others are refused with a RST.
 */
#include <errno.h>

#include <rte_byteorder.h>

#include "snapshot.h"
#include "worker_sip_int.h"
#include "worker_tcp.h"

static int tcp_write(void *conn, const void *buf, size_t len)
{
	return tcp_send(conn, buf, len);
}

static void tcp_close_conn(void *conn)
{
	(void)tcp_close(conn);
}

static uint16_t tcp_local_port(const void *conn)
{
	struct tcp_conn_info ci;

	tcp_conn_get_info(conn, &ci);
	return ci.local_port;
}

static const struct sip_stream_ops tcp_stream_ops = { .write = tcp_write,
						      .close = tcp_close_conn,
						      .local_port = tcp_local_port };

static int on_accept(struct tcp_conn *c, void *ctx)
{
	struct worker_sip *ws = ctx;
	const struct dp_snapshot *snap = ws->w->net.snap;
	struct tcp_conn_info ci;
	struct sip_stream *s;
	uint8_t side;

	tcp_conn_get_info(c, &ci);
	if (rte_cpu_to_be_32(ci.local_ip) == ws->w->net.ifaces[NET_IFACE_INTERNAL].addr) {
		side = SIP_SIDE_INTERNAL;
		if (snap == NULL || !snap->has_application)
			goto refuse;
	} else {
		side = SIP_SIDE_EXTERNAL;
		if (snapshot_listener_port(snap, UMEDGE_TRANSPORT_TCP) == 0)
			goto refuse;
	}
	s = sip_stream_open(ws, &tcp_stream_ops, c, side, UMEDGE_TRANSPORT_TCP, ci.remote_ip,
			    ci.remote_port, NULL, true);
	if (s == NULL)
		goto refuse;
	tcp_set_user(c, s);
	return 0;
refuse:
	ws->ss.refused++;
	return -1;
}

static void on_connected(struct tcp_conn *c, void *user)
{
	sip_stream_writable(user);
}

static size_t on_data(struct tcp_conn *c, void *user, const uint8_t *p, size_t len)
{
	return sip_stream_data(user, p, len);
}

static void on_writable(struct tcp_conn *c, void *user)
{
	sip_stream_writable(user);
}

static void on_peer_fin(struct tcp_conn *c, void *user)
{
	/* the peer is done: so are we (RFC 3261 18.3: either side may close) */
	(void)tcp_close(c);
}

static void on_closed(struct tcp_conn *c, void *user, int err)
{
	struct sip_stream *s = user;

	if (s == NULL)
		return;
	sip_stream_closed(s, err);
}

static const struct tcp_callbacks sip_tcp_cb = {
	.on_accept = on_accept,
	.on_connected = on_connected,
	.on_data = on_data,
	.on_writable = on_writable,
	.on_peer_fin = on_peer_fin,
	.on_closed = on_closed,
};

int sip_tcp_listen(struct worker_sip *ws)
{
	struct tcp_stack *st = worker_tcp_stack(ws->w);
	int rc;

	if (st == NULL)
		return 0;
	rc = tcp_listen(st, ws->w->net.udp.sip_port, &sip_tcp_cb, ws);
	ws->tcp_listening = rc == 0;
	return rc;
}

struct sip_stream *sip_tcp_connect(struct worker_sip *ws, uint8_t side, uint32_t addr,
				   uint16_t port)
{
	struct sip_stream *s;
	struct tcp_conn *c = NULL;

	s = sip_stream_open(ws, &tcp_stream_ops, NULL, side, UMEDGE_TRANSPORT_TCP, addr, port,
			    NULL, false);
	if (s == NULL)
		return NULL;
	if (worker_tcp_connect(ws->w, addr, port, &sip_tcp_cb, s, &c) != 0) {
		sip_stream_closed(s, -ENETUNREACH);
		return NULL;
	}
	sip_stream_set_conn(s, c);
	return s;
}
