/*
 * tcp_echo.c: diagnostic echo service (RFC 862) written only against the
 * public API, so it exercises what TLS and SIP will use. Back-pressure is
 * end to end: bytes the send buffer cannot take stay in the receive
 * buffer, the advertised window closes, and delivery resumes when the
 * send buffer drains.
 */
#include <stddef.h>

#include "tcp.h"

static int echo_accept(struct tcp_conn *c, void *listen_ctx)
{
	(void)c;
	(void)listen_ctx;
	return 0;
}

static size_t echo_data(struct tcp_conn *c, void *user, const uint8_t *data, size_t len)
{
	int n = tcp_send(c, data, len);

	(void)user;
	if (n < 0)
		return len;	/* cannot send any more: discard */
	return (size_t)n;
}

static void echo_writable(struct tcp_conn *c, void *user)
{
	(void)user;
	tcp_recv_resume(c);
}

static void echo_peer_fin(struct tcp_conn *c, void *user)
{
	(void)user;
	/* everything received was taken by tcp_send: close after it */
	(void)tcp_close(c);
}

static void echo_closed(struct tcp_conn *c, void *user, int err)
{
	(void)c;
	(void)user;
	(void)err;
}

static const struct tcp_callbacks echo_cb = {
	.on_accept = echo_accept,
	.on_data = echo_data,
	.on_writable = echo_writable,
	.on_peer_fin = echo_peer_fin,
	.on_closed = echo_closed,
};

int tcp_echo_listen(struct tcp_stack *st, uint16_t port)
{
	return tcp_listen(st, port, &echo_cb, NULL);
}
