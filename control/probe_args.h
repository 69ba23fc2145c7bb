/* `umedgectl test-connectivity` in control: the gateway resolved to its
 * address, FQDN and port, the transport its dial plans' modes call for
 * (or --secured), and notes when the operator's choice contradicts them;
 * the dataplane gets finished data (probe.options, dataplane/worker/
 * sip_probe.h) and hands the context back with its result. */
#ifndef UMEDGE_PROBE_ARGS_H
#define UMEDGE_PROBE_ARGS_H

#include <stddef.h>

#include <jansson.h>

#include "umedge/config.h"

#define PROBE_ARGS_TIMEOUT_MAX_S 60
#define PROBE_ARGS_SECONDS_MAX 60	/* a test call's tone */
#define PROBE_ARGS_CALL_TIMEOUT_S 20	/* for the answer, when not given */

/* probe.options {gateway, secured?: "true"|"false", timeout?: seconds,
 * phone?: NUMBER, seconds?: N} (a test call in the gateway's mode: RTP,
 * or SRTP when it is secured),
 * or {local: "udp"|"tcp"|"tls", timeout?}: our own listener of that
 * transport from our external address; checked against cfg; the
 * completed request (new reference), or NULL with err set. */
json_t *probe_args_options(const struct config *cfg, const json_t *args, char *err,
			   size_t errlen);

#endif
