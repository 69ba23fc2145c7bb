/* TLS on the workers: per worker, a TLS listener on the snapshot's TLS
 * port (SIP over TLS into the proxy, worker_sip.h) and the diagnostic
 * TLS echo port; on the main lcore, the contexts built from each
 * snapshot's certificate and trust, the crypto lcores, TlsPeerRejected
 * events and the "tls" counters. */
#ifndef UMEDGE_DP_WORKER_TLS_H
#define UMEDGE_DP_WORKER_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct dp;
struct ctl;
struct worker_tls_plane;
struct worker_sip_plane;

/* After the workers and their SIP exist, before they run: create the
 * offload rings (dataplane.crypto_lcores), attach each worker (chains its
 * poll hook, listens on tls_echo_port; SIP over TLS goes to that worker's
 * SIP streams). NULL on failure. */
struct worker_tls_plane *worker_tls_setup(struct dp *dp, struct worker_sip_plane *sip);
/* Launch the crypto lcores on EAL lcores the workers do not use. 0 or -1
 * when the EAL has too few. */
int worker_tls_launch(struct worker_tls_plane *p, volatile bool *quit);
/* Main lcore, every tick: a new certificate or trust bundle becomes the
 * context for new handshakes, retired ones are released, workers' events
 * go to control (at most a few per second). */
void worker_tls_tick(struct worker_tls_plane *p, struct ctl *ctl, uint64_t now_ms);
/* The "tls" object of the stats notification (new reference). */
json_t *worker_tls_stats(struct worker_tls_plane *p);
/* After the workers and crypto lcores stopped. */
void worker_tls_free(struct worker_tls_plane *p);

#endif
