/* The control socket: serves umedgectl requests, event followers and the
 * dataplane's snapshot channel from one poll loop. */
#ifndef UMEDGE_SERVER_H
#define UMEDGE_SERVER_H

#include "state.h"

/* Bind the socket at path (0660, parent created), refusing to steal it from
 * a live daemon. Then serve until SIGTERM/SIGINT; SIGHUP reloads the
 * configuration. Returns 0 on a clean stop, -1 with err set. */
int server_run(struct control *ctl, const char *path, char *err, size_t errlen);

#endif
