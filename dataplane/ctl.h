/* The channel to control (ctlproto.h): dataplane.hello, snapshot pushes in,
 * stats notifications out. Non-blocking, driven by the main lcore; when
 * control is away the dataplane keeps its last snapshot and reconnects. */
#ifndef UMEDGE_DP_CTL_H
#define UMEDGE_DP_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum ctl_state { CTL_DOWN = 0, CTL_HELLO_SENT, CTL_READY };

struct ctl {
	char path[108];
	int fd;
	enum ctl_state state;
	char *in;                  /* partial line */
	size_t in_len, in_cap;
	char *out;                 /* bytes not yet written */
	size_t out_len, out_cap;
	uint64_t next_connect_ms;
	uint64_t connects, snapshots, rejected;
	bool logged_down;
};

void ctl_init(struct ctl *c, const char *path);
/* Connect when due, flush, read and handle what arrived; waits at most
 * timeout_ms for the socket. */
void ctl_poll(struct ctl *c, int timeout_ms);
/* Queue {"notify":"stats","stats":stats}; dropped when not connected. Does
 * not take the reference. */
void ctl_send_stats(struct ctl *c, json_t *stats);
bool ctl_connected(const struct ctl *c);
void ctl_close(struct ctl *c);

/* Handle one received line (exposed for tests). Returns 0, or -1 when the
 * connection must be dropped. */
int ctl_handle_line(struct ctl *c, const char *line, size_t len);

#endif
