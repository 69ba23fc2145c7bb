/* A worker's TCP: one stack per worker (net/tcp.h) plugged into its IPv4
 * layer, the diagnostic echo and dial services, and the entry point higher
 * layers (TLS, SIP) use to open connections. Everything except
 * worker_tcp_collect runs on the worker's own lcore. */
#ifndef UMEDGE_DP_WORKER_TCP_H
#define UMEDGE_DP_WORKER_TCP_H

#include <stdint.h>

#include <jansson.h>

#include "net/tcp.h"

struct worker;

/* Diagnostic dial client (dataplane.tcp_dial): outcome counters. */
struct worker_tcp_dial_stats {
	uint64_t started, connected, ok, failed, mismatches;
	uint64_t bytes_sent, bytes_verified;
};

/* What `umedgectl status` shows under dataplane.tcp, summed over workers. */
struct worker_tcp_sum {
	struct tcp_stats stats;
	struct tcp_gauges gauges;
	struct worker_tcp_dial_stats dial;
	unsigned n_stacks;
};

/* Create the worker's stack from dp->cfg (limits, fault injection), set the
 * net_ctx hooks (tcp_input, poll_hook), listen on dataplane.tcp_echo_port.
 * 0 or a negative errno. Called from worker_new; without dp->cfg (a bare
 * struct dp in a benchmark) the worker has no TCP. */
int worker_tcp_init(struct worker *w);
/* Free the stack and every mbuf it holds (worker stopped). */
void worker_tcp_fini(struct worker *w);

/* The worker's stack, for higher layers registering listeners. */
struct tcp_stack *worker_tcp_stack(struct worker *w);

/* The address of the interface that routes to dst_ip (both host order):
 * the source of an active open. 0 or -ENETUNREACH. */
int worker_tcp_source(const struct worker *w, uint32_t dst_ip, uint32_t *src_ip);

/* Active open from this worker to dst_ip:dst_port (host order), from the
 * address of the interface that routes to dst_ip, on a local port whose
 * segments dispatch back to this worker. Same returns as tcp_connect, and
 * -ENETUNREACH when no interface routes to dst_ip. */
int worker_tcp_connect(struct worker *w, uint32_t dst_ip, uint16_t dst_port,
		       const struct tcp_callbacks *cb, void *user, struct tcp_conn **out);

/* The ctl request handler for "diag." (main lcore): diag.tcp-connect with
 * args {target: "IP:PORT", connections: 1..64 per worker (1), bytes (65536)}
 * has the workers open that many connections to target, each sending
 * `bytes` pseudo-random bytes and checking the echo, like dataplane.tcp_dial.
 * Answers at once; outcomes are counted under status dataplane.tcp.dial.
 * diag.tcp-conns lists the workers' connections with their counters (up to
 * 256 per worker; the workers copy them in their poll hook, the main lcore
 * waits at most 200 ms). arg is the struct dp. */
json_t *worker_tcp_diag_request(void *arg, const char *req, json_t *args, char *err,
				size_t errlen);

/* Add worker w's counters and gauges to sum (main lcore, while it runs). */
void worker_tcp_collect(const struct worker *w, struct worker_tcp_sum *sum);
/* The dataplane.tcp object of the stats notification. */
json_t *worker_tcp_sum_json(const struct worker_tcp_sum *sum);

#endif
