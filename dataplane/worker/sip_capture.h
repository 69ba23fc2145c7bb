/* SIP capture (`umedgectl capture sip`): the messages the workers receive
 * and send, decrypted when they came over TLS, written as pcap by the main
 * lcore. Workers copy into a per-worker byte ring (worker_sip_int.h);
 * here the main lcore starts and stops captures, drains the rings, takes
 * the keys out (unless asked to keep them) and writes the file, 0600.
 *
 * Requests (relayed by control, which resolves the gateway's name):
 *   capture.start {path, gateway, gateway_addr, seconds, count, keep_keys}
 *   capture.status, capture.stop
 * One capture at a time. Without seconds or count it stops after
 * SIP_CAPTURE_MAX_S. */
#ifndef UMEDGE_DP_SIP_CAPTURE_H
#define UMEDGE_DP_SIP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define SIP_CAPTURE_MAX_S 3600

struct worker_sip_plane;
struct sip_capture;

struct sip_capture *sip_capture_new(struct worker_sip_plane *p);
/* After the workers stopped: a running capture is finished (file closed). */
void sip_capture_free(struct sip_capture *c);
/* Main lcore, every tick: drain the rings, apply the limits. */
void sip_capture_poll(struct sip_capture *c);
/* Whether one runs (the main loop ticks faster meanwhile). */
bool sip_capture_running(const struct sip_capture *c);
/* capture.start, capture.status, capture.stop (ctl_req_fn). */
json_t *sip_capture_request(void *arg, const char *req, json_t *args, char *err,
			    size_t errlen);

#endif
