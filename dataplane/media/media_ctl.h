/* The media engine on the main lcore: media.* requests from control, the
 * session registry, local port pairs, the hand-off to the owning worker,
 * the idle scan and the counters. Nothing here runs on a worker. */
#ifndef UMEDGE_MEDIA_CTL_H
#define UMEDGE_MEDIA_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "umedge/config.h"
#include "media.h"

struct media_engine;

struct media_engine_conf {
	unsigned n_workers;
	int socket;
	uint32_t local_addr[NET_N_IFACES];            /* network order */
	uint16_t first[NET_N_IFACES], last[NET_N_IFACES]; /* media_ports */
	unsigned idle_timeout_s;                      /* 0: no idle events */
	enum config_srtp_engine srtp_engine;          /* dataplane.srtp_engine */
	/* how events reach control ({"notify":"event",...}); may be NULL */
	void (*notify)(void *arg, const char *id, json_t *fields);
	void *notify_arg;
};

/* Registers the SRTP backend (once per process) and allocates the per-worker
 * state. NULL on failure. */
struct media_engine *media_engine_new(const struct media_engine_conf *conf);
/* The media state of worker i, to attach to its net_ctx. */
struct media_worker *media_engine_worker(struct media_engine *e, unsigned i);
/* Free every session and the per-worker state; workers must have stopped. */
void media_engine_free(struct media_engine *e);

/* Handle one request ("media.add", "media.list", "media.show",
 * "media.remove"). Returns the result (new reference) or NULL with err set.
 * Waits (bounded) for the owning worker's acknowledgement. */
json_t *media_ctl_request(struct media_engine *e, const char *req, json_t *args, char *err,
			  size_t errlen);
/* Once per main-loop tick: late acknowledgements, the idle scan (once a
 * second). now_ms is CLOCK_MONOTONIC milliseconds. */
void media_engine_tick(struct media_engine *e, uint64_t now_ms);
/* Sessions made elsewhere (the calls' media, on their workers) for
 * media.list: fn returns an array of rows to append (new reference) or
 * NULL. */
void media_engine_on_list(struct media_engine *e, json_t *(*fn)(void *arg), void *arg);
/* The "media" object of the stats notification (new reference). */
json_t *media_engine_stats(const struct media_engine *e);

/* Take a free even port pair on iface whose owner is `owner` (or any owner
 * when owner < 0): 0 or -ENOSPC. Safe from any lcore at once (a pair is
 * claimed by compare-and-swap): the main lcore for media add, a worker for
 * the media of a call it owns. media_ports_put gives it back. */
int media_ports_take(struct media_engine *e, unsigned iface, int owner, uint16_t *port);
void media_ports_put(struct media_engine *e, unsigned iface, uint16_t port);

#endif
