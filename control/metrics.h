/* Prometheus metrics: control's view (`status`, with the dataplane's last
 * counters) rendered in the Prometheus text exposition format 0.0.4, and
 * the HTTP endpoint that serves it (libmicrohttpd, driven from the
 * control loop: no thread, no lock).
 *
 * Dataplane counters are the dataplane's own absolute values, so they stay
 * monotonic across control restarts while the dataplane lives; the series
 * are left out while no dataplane is connected (umedge_dataplane_connected
 * says so) rather than served stale. Event counts are control's own and
 * restart with it. */
#ifndef UMEDGE_CONTROL_METRICS_H
#define UMEDGE_CONTROL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "umedge/config.h"
#include "umedge/events.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The exposition of status (as control_status_json builds it) and the
 * event counts, at wall-clock time now. malloc'd text (caller frees) and
 * its length, or NULL when memory ran out. */
char *metrics_render(const json_t *status, const uint64_t event_counts[UMEDGE_EV_COUNT],
		     time_t now, size_t *len);

struct control;
struct MHD_Daemon;

struct metrics_http {
	struct control *ctl;          /* what is served (not owned) */
	struct MHD_Daemon *daemon;    /* NULL while not serving */
	int fd;                       /* MHD's epoll fd, -1 while not serving */
	long long run_at;             /* monotonic ms: MHD wants a run by then, 0 none */
	struct config_metrics want;   /* what the configuration asks for */
	struct config_metrics serving;
	time_t retry_at;              /* after a failed start */
	char failed[256];             /* why the last start failed, "" if it did not */
	uint64_t scrapes;
};

#define METRICS_HTTP_INIT { .fd = -1 }

/* Follow the configuration: start, stop or move the endpoint when
 * ctl->cfg->metrics differs from what is served, and retry a failed start
 * every 10 s. Failures go to stderr and raise MetricsUnavailable once per
 * reason. Call once per loop turn. */
void metrics_http_sync(struct metrics_http *h, struct control *ctl, time_t now);
void metrics_http_stop(struct metrics_http *h);
/* The fd to poll for input: -1 when not serving. */
int metrics_http_fd(const struct metrics_http *h);
/* Accept, read, answer what is ready, and expire idle connections (when
 * ready, or now_ms reached run_at): never blocks. */
void metrics_http_run(struct metrics_http *h, bool ready, long long now_ms);

#endif
