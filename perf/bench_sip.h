/* The SIP peers the call benchmarks play (sip_core_bench, sip_worker_bench):
 * the application answering what the proxy sent it, and the Route set a
 * gateway takes from a 2xx. */
#ifndef UMEDGE_BENCH_SIP_H
#define UMEDGE_BENCH_SIP_H

#include <stdbool.h>
#include <stddef.h>

#include "sip_msg.h"

/* m's Record-Route values, in order, joined by ", " into buf. */
void bench_sip_routes(const struct sip_msg *m, char *buf, size_t cap);
/* The application's answer to request req: status, reason, its To tag (may
 * be NULL); with dialog, the request's Record-Route and the application's
 * Contact. The length in out, or <= 0. */
long bench_sip_app_reply(const char *req, size_t len, unsigned status, const char *reason,
			 const char *tag, bool dialog, char *out, size_t cap);

/* A message built with "Content-Length: 0" (out, len bytes) given body
 * (Content-Type ctype) instead. The new length, or -1 when cap is short. */
long bench_sip_with_body(char *out, size_t len, size_t cap, const char *ctype, const char *body);
/* The port of the first "m=audio " line of a message's SDP, or 0. */
unsigned bench_sip_sdp_port(const char *msg);

#endif
