/* Checks and completes `capture sip` arguments in control, so the
 * dataplane receives finished data: the gateway's name resolved to its
 * address (the dataplane has no names), limits in range. */
#ifndef UMEDGE_CAPTURE_ARGS_H
#define UMEDGE_CAPTURE_ARGS_H

#include <stddef.h>

#include <jansson.h>

#include "umedge/config.h"

#define CAPTURE_ARGS_MAX_SECONDS 86400
#define CAPTURE_ARGS_MAX_COUNT 10000000

/* capture.start: {path, gateway?, seconds?, count?, keep_keys?} checked
 * against cfg; the completed copy (new reference, with gateway_addr), or
 * NULL with err set. */
json_t *capture_args_start(const struct config *cfg, const json_t *args, char *err,
			   size_t errlen);

#endif
