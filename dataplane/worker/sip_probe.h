/* The connectivity probe behind `umedgectl test-connectivity`: one SIP
 * OPTIONS to a gateway, sent from the dataplane (worker 0, on its own
 * stack), over UDP, TCP, or a fresh mutual-TLS connection presenting the
 * certificate in use. It reports whether and how the gateway answered and,
 * for TLS, the handshake as the engine saw it: version, cipher, the
 * gateway's certificate, or why it was refused, in words an operator can
 * act on.
 *
 * Requests (relayed by control, which resolves the gateway):
 *   probe.options {transport, addr, port, fqdn, timeout_ms, context}
 *     -> {id, state: "running"}
 *   probe.status {id} -> {state: "running"} or the result (state "done")
 * One probe at a time; the result stays until the next one starts. */
#ifndef UMEDGE_DP_SIP_PROBE_H
#define UMEDGE_DP_SIP_PROBE_H

#include <stddef.h>

#include <jansson.h>

struct worker_sip_plane;
struct sip_probe_plane;

struct sip_probe_plane *sip_probe_new(struct worker_sip_plane *p);
/* After the workers stopped. */
void sip_probe_free(struct sip_probe_plane *pp);
/* probe.options, probe.status (ctl_req_fn, main lcore). */
json_t *sip_probe_request(void *arg, const char *req, json_t *args, char *err, size_t errlen);

#endif
