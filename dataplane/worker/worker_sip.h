/* SIP on the workers: one sans-I/O proxy (sip/sip_proxy.h) per worker, fed
 * from the worker's UDP port 5060 on both sides, its sends turned into
 * datagrams, its timers run from the poll hook; on the main lcore, the
 * proxies' events relayed to control and the "sip" counters.
 *
 * Ownership: a call belongs to the worker its Call-ID hashes to
 * (dispatch_sip_key). The RX core already steers datagrams that way; a
 * message that still lands elsewhere (RSS, a reassembled datagram) is
 * handed to its owner before the proxy sees it. */
#ifndef UMEDGE_DP_WORKER_SIP_H
#define UMEDGE_DP_WORKER_SIP_H

#include <stdint.h>

#include <jansson.h>

#include "sip/sip_msg.h"
#include "umedge/config.h"

struct dp;
struct ctl;
struct worker_sip_plane;
struct worker_sip;

/* dataplane.sip of the configuration as the message layer's limits (the
 * defaults without a configuration). */
struct sip_limits worker_sip_limits(const struct config_dataplane *d);

/* After the workers exist, before they run and before the media engine
 * chains its UDP hook in front: a proxy per worker, one random route key
 * for all of them. NULL on failure. */
struct worker_sip_plane *worker_sip_setup(struct dp *dp);
/* The media engine the calls' media goes to, and each worker's pool of
 * sessions (after media set-up, before the workers run). 0 or -ENOMEM. */
struct media_engine;
int worker_sip_set_media(struct worker_sip_plane *p, struct media_engine *e);
/* Worker idx's SIP, for the TLS glue that feeds it streams. */
struct worker_sip *worker_sip_get(struct worker_sip_plane *p, unsigned idx);
/* Main lcore, every tick: the workers' events go to control. */
void worker_sip_tick(struct worker_sip_plane *p, struct ctl *ctl);
/* The "sip" object of the stats notification (new reference); main lcore
 * only (it names peers from the current snapshot). */
json_t *worker_sip_stats(struct worker_sip_plane *p);
/* /umedge/sip in DPDK telemetry (the same counters, flattened). */
int worker_sip_telemetry(const struct worker_sip_plane *p);
/* After the workers stopped. */
void worker_sip_free(struct worker_sip_plane *p);
unsigned worker_sip_n_workers(const struct worker_sip_plane *p);
/* calls.list, calls.show {id}, calls.drop {id} (ctl_req_fn, main lcore):
 * asked of the workers that own the calls, waited for (bounded). */
json_t *worker_sip_calls_request(void *arg, const char *req, json_t *args, char *err,
				 size_t errlen);
/* The calls' media sessions as media.list rows (each with its "call"),
 * for the media engine's list; NULL when a worker did not answer. */
json_t *worker_sip_media_rows(void *arg);
/* Our address on a side (enum sip_side), network order. */
uint32_t worker_sip_local_addr(const struct worker_sip_plane *p, unsigned side);

#endif
