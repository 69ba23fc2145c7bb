/*
 * tcp.h: userspace TCP for the worker cores (issue 5).
 *
 * One struct tcp_stack per worker, share-nothing: no locks, no syscalls, no
 * allocation per segment. The worker feeds received segments to tcp_input(),
 * calls tcp_stack_poll() every loop iteration to run timers, and provides an
 * output callback that prepends IPv4/Ethernet and transmits. Upper layers
 * (TLS, SIP, the echo service) use tcp_listen/tcp_connect/tcp_send/tcp_close
 * and receive events through struct tcp_callbacks.
 *
 * Return codes follow the project convention: 0 = done, positive = again,
 * negative errno = error. Addresses and ports are in host byte order.
 */
#ifndef UMEDGE_TCP_H
#define UMEDGE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;
struct json_t;

struct tcp_stack;
struct tcp_conn;

/* Output: called with one finished TCP segment (data starts at the TCP
 * header, headroom left for IPv4+Ethernet). Takes ownership of m whatever it
 * returns; return 0 if queued, negative errno if dropped (counted). */
typedef int (*tcp_output_fn)(void *ctx, struct rte_mbuf *m, uint32_t src_ip,
			     uint32_t dst_ip);

/* Ephemeral port filter for active opens: true if segments of the
 * connection (remote -> local:port) would be dispatched to this worker.
 * The whole 4-tuple is given because dispatch hashes it (host order). */
typedef bool (*tcp_port_ok_fn)(uint16_t local_port, uint32_t local_ip, uint32_t remote_ip,
			       uint16_t remote_port, void *ctx);

/* Fault injection for tests, all off (0) by default. Fractions are in parts
 * per million of segments; decisions come from a PRNG seeded with seed. */
struct tcp_fault_config {
	uint32_t rx_drop_ppm;
	uint32_t rx_reorder_ppm;
	uint32_t tx_drop_ppm;
	uint32_t tx_reorder_ppm;
	uint64_t seed;
};

struct tcp_config {
	/* Clock: `now` passed to the stack counts hz units per second (TSC hz
	 * or 1e9 for nanoseconds). Required. */
	uint64_t hz;
	struct rte_mempool *pool;	/* segments are built from it */
	tcp_output_fn output;
	void *output_ctx;
	tcp_port_ok_fn port_ok;		/* NULL: every port is ok */
	void *port_ok_ctx;
	int socket_id;			/* NUMA socket for the pools */
	bool tx_cksum_offload;		/* set ol_flags, leave pseudo-header sum */

	uint32_t max_conns;		/* connection pool size (incl. TIME_WAIT) */
	uint32_t max_half_open;		/* SYN_RECEIVED entries before SYN cookies */
	uint32_t max_per_source;	/* connections per remote address, 0 = no limit */
	uint32_t max_listeners;
	uint32_t snd_buf;		/* bytes per connection, rounded up to 2^n */
	uint32_t rcv_buf;		/* bytes per connection, rounded up to 2^n */
	uint16_t mss;			/* our MSS, also the segment size cap */
	uint16_t ephemeral_lo, ephemeral_hi;

	uint32_t rto_init_ms, rto_min_ms, rto_max_ms;
	uint32_t delack_ms;
	uint32_t time_wait_ms;		/* 2 * MSL */
	uint32_t fin_wait2_ms;
	uint32_t syn_retries;		/* SYN and SYN-ACK retransmissions */
	uint32_t max_retries;		/* data retransmissions before -ETIMEDOUT */
	uint32_t keepalive_idle_ms;	/* 0 = keepalive off */
	uint32_t keepalive_intvl_ms;
	uint32_t keepalive_probes;
	uint32_t challenge_ack_per_s;	/* RFC 5961 rate limit, per worker */
	uint32_t max_ooo_ranges;	/* out-of-order ranges kept per connection */
	uint64_t secret_seed;		/* 0: random cookie/ISN secret */

	struct tcp_fault_config fault;
};

/* Fill with defaults (RFC values; the caller sets hz, pool, output). */
void tcp_config_defaults(struct tcp_config *cfg);

/* Create/free a worker's stack. tcp_stack_new returns NULL on bad
 * configuration or out of memory (control path, may allocate). */
struct tcp_stack *tcp_stack_new(const struct tcp_config *cfg, uint64_t now);
void tcp_stack_free(struct tcp_stack *st);

/* Received segment: m's data starts at the TCP header and its pkt_len is the
 * TCP length from the IPv4 header (padding trimmed). Takes ownership of m. */
void tcp_input(struct tcp_stack *st, struct rte_mbuf *m, uint32_t src_ip,
	       uint32_t dst_ip, uint64_t now);

/* Run due timers and release held (reordered) segments; call every loop
 * iteration. Cheap when no millisecond has passed. */
void tcp_stack_poll(struct tcp_stack *st, uint64_t now);

/* Seams with the IPv4 layer (addresses in its network order are read from
 * the header). tcp_input_ipv4: m starts at a checked IPv4 header; strips it
 * and link padding, then tcp_input. Takes ownership of m. */
void tcp_input_ipv4(struct tcp_stack *st, struct rte_mbuf *m, uint64_t now);
/* Prepend a 20-byte IPv4 header (DF, TTL 64, id 0) to a segment from the
 * output callback, with its checksum (or RTE_MBUF_F_TX_IP_CKSUM when the
 * segment asks for TCP checksum offload); sets l3_len. 0 or -ENOSPC. */
int tcp_ipv4_prepend(struct rte_mbuf *m, uint32_t src_ip, uint32_t dst_ip);

/* ---- upper-layer API ---- */

/* Reasons given to on_closed. */
#define TCP_CLOSED_OK 0			/* both directions closed cleanly */

struct tcp_callbacks {
	/* Passive open completed (3-way handshake done). The connection's
	 * user pointer starts as the listener's ctx; change it with
	 * tcp_set_user(). Return 0 to keep it, negative to refuse (RST). */
	int (*on_accept)(struct tcp_conn *c, void *listen_ctx);
	/* Active open completed. */
	void (*on_connected)(struct tcp_conn *c, void *user);
	/* In-order bytes. Return how many were consumed (0..len); the rest
	 * stays buffered, the window shrinks, and delivery resumes after
	 * tcp_recv_resume(). */
	size_t (*on_data)(struct tcp_conn *c, void *user, const uint8_t *data,
			  size_t len);
	/* Send space became free after tcp_send accepted less than asked. */
	void (*on_writable)(struct tcp_conn *c, void *user);
	/* Peer sent FIN: no more data will come (we may still send). */
	void (*on_peer_fin)(struct tcp_conn *c, void *user);
	/* Connection gone: err 0 after a clean close, else -ECONNRESET,
	 * -ECONNREFUSED, -ETIMEDOUT, -ECONNABORTED. Last callback; c is
	 * invalid after it returns. */
	void (*on_closed)(struct tcp_conn *c, void *user, int err);
};

/* Listen on a local port (any local address). 0 or -EEXIST, -ENOSPC. */
int tcp_listen(struct tcp_stack *st, uint16_t port,
	       const struct tcp_callbacks *cb, void *listen_ctx);
int tcp_unlisten(struct tcp_stack *st, uint16_t port);

/* Active open. Picks an ephemeral port accepted by cfg.port_ok. On success
 * stores the connection in *out and returns 0; on_connected or on_closed
 * follow. -EADDRNOTAVAIL (no port), -ENOBUFS (pool full), -ENOMEM (mbuf). */
int tcp_connect(struct tcp_stack *st, uint32_t dst_ip, uint16_t dst_port,
		uint32_t src_ip, const struct tcp_callbacks *cb, void *user,
		struct tcp_conn **out);

/* Copy up to len bytes into the send buffer and transmit what the windows
 * allow. Returns bytes accepted (0 = buffer full: on_writable follows), or
 * -ENOTCONN / -EPIPE. */
int tcp_send(struct tcp_conn *c, const void *buf, size_t len);

/* Free send space in bytes. */
size_t tcp_send_space(const struct tcp_conn *c);

/* The application can take more data: deliver what is buffered. */
void tcp_recv_resume(struct tcp_conn *c);

/* Graceful close of our direction (FIN after buffered data). Receiving
 * continues until the peer's FIN; on_closed follows. 0 or -ENOTCONN. */
int tcp_close(struct tcp_conn *c);

/* Send RST and release now. No callback follows; c is invalid. */
void tcp_abort(struct tcp_conn *c);

void tcp_set_user(struct tcp_conn *c, void *user);
void *tcp_get_user(const struct tcp_conn *c);

struct tcp_conn_info {
	uint32_t local_ip, remote_ip;
	uint16_t local_port, remote_port;
	const char *state;
};
void tcp_conn_get_info(const struct tcp_conn *c, struct tcp_conn_info *info);

/* Call fn for every connection of the stack (TIME_WAIT included), on the
 * stack's own thread, outside callbacks (diagnostics: walks the whole pool).
 * Returns the number visited. */
unsigned tcp_stack_foreach(const struct tcp_stack *st,
			   void (*fn)(const struct tcp_conn *c, void *arg), void *arg);

/* ---- counters ---- */

/* Per worker; sum workers with tcp_stats_add. */
struct tcp_stats {
	uint64_t segs_in, segs_out, bytes_in, bytes_out;
	uint64_t retransmits, rto_events, fast_retransmits, zero_window_probes;
	uint64_t keepalive_probes, delayed_acks, challenge_acks, rst_sent;
	uint64_t conns_active_open, conns_passive_open, conns_established;
	uint64_t conns_closed, conns_reset, conns_timeout, conns_aborted;
	uint64_t syn_cookies_sent, syn_cookies_ok, time_wait_recycled;
	uint64_t fault_rx_dropped, fault_tx_dropped;
	uint64_t fault_rx_reordered, fault_tx_reordered;
	/* drops by reason */
	uint64_t drop_bad_checksum, drop_truncated, drop_bad_offset;
	uint64_t drop_bad_options, drop_bad_flags, drop_no_listener;
	uint64_t drop_out_of_window, drop_bad_ack, drop_syn_cookie_fail;
	uint64_t drop_conn_limit, drop_source_limit;
	uint64_t drop_rst_challenged, drop_rst_ignored, drop_syn_challenged;
	uint64_t drop_ooo_full, drop_no_mbuf, drop_output;
	uint64_t drop_refused;
};

struct tcp_conn_stats {
	uint64_t segs_in, segs_out, bytes_in, bytes_out;
	uint64_t retransmits, rto_events, fast_retransmits, dupacks;
	uint64_t ooo_segs, zero_window_probes, challenge_acks;
};

const struct tcp_stats *tcp_stack_stats(const struct tcp_stack *st);
const struct tcp_conn_stats *tcp_conn_stats(const struct tcp_conn *c);
void tcp_stats_add(struct tcp_stats *dst, const struct tcp_stats *src);

/* Connection counts of a stack right now (read by another thread for
 * status: each value is read once, the set is not atomic). */
struct tcp_gauges {
	uint32_t conns, max_conns;	/* in use (TIME_WAIT included), pool size */
	uint32_t half_open, established, time_wait, closing;
	uint32_t listeners;
};
void tcp_stack_gauges(const struct tcp_stack *st, struct tcp_gauges *g);

/* New JSON objects for `umedgectl status` (NULL on allocation failure). */
struct json_t *tcp_stats_json(const struct tcp_stats *s);
struct json_t *tcp_conn_json(const struct tcp_conn *c);
/* Stack summary: counters, connections per state, limits. */
struct json_t *tcp_stack_json(const struct tcp_stack *st);

/* ---- diagnostic echo service (RFC 862), off unless configured ---- */
int tcp_echo_listen(struct tcp_stack *st, uint16_t port);

#endif
