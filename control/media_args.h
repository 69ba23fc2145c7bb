/* Checks and completes `media add` arguments in control, so the dataplane
 * receives finished data: addresses parsed, suite known, keys of the right
 * length (generated from a CSPRNG when not given). */
#ifndef UMEDGE_MEDIA_ARGS_H
#define UMEDGE_MEDIA_ARGS_H

#include <stddef.h>

#include <jansson.h>

#include "umedge/modes.h"

/* Master key + salt length in bytes of a suite's SDES inline key. */
size_t media_args_key_len(enum umedge_srtp_suite suite);

/* Validate args of media.add and return the completed copy (new
 * reference), or NULL with err set. */
json_t *media_args_add(const json_t *args, char *err, size_t errlen);

/* Every key of args is one of known (NULL-terminated): 0, or -1 with
 * "unknown argument 'x'" in err. Shared by the relayed verbs' checks
 * (capture_args.c, probe_args.c). */
int media_args_known(const json_t *args, const char *const *known, char *err, size_t errlen);

/* Validate the id of media.show / media.remove. 0 or -1 with err. */
int media_args_id(const json_t *args, char *err, size_t errlen);

#endif
