/* CLI commands: one handler per verb of the control protocol. Handlers read
 * "args", act through the state module and return a result or an error. */
#ifndef UMEDGE_COMMANDS_H
#define UMEDGE_COMMANDS_H

#include <stddef.h>

#include <jansson.h>

#include "state.h"

/* Run request->cmd. Returns the answer line ({"ok":..}) as a new reference;
 * never NULL unless out of memory. */
json_t *commands_dispatch(struct control *ctl, const json_t *request);

#endif
