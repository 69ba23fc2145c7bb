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

#define CTL_MAX_REQ_HANDLERS 8

/* A handler of control's requests {"req": NAME, "id": N, "args": {...}}
 * whose NAME starts with a prefix ("media."): returns the result (a new
 * reference) or NULL with err set; ctl sends the one reply. */
typedef json_t *(*ctl_req_fn)(void *arg, const char *req, json_t *args, char *err,
			      size_t errlen);

struct ctl_req_handler {
	const char *prefix;
	ctl_req_fn fn;
	void *arg;
};

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
	struct ctl_req_handler req[CTL_MAX_REQ_HANDLERS];
	unsigned n_req;
};

void ctl_init(struct ctl *c, const char *path);
/* Connect when due, flush, read and handle what arrived; waits at most
 * timeout_ms for the socket. */
void ctl_poll(struct ctl *c, int timeout_ms);
/* Queue {"notify":"stats","stats":stats}; dropped when not connected. Does
 * not take the reference. */
void ctl_send_stats(struct ctl *c, json_t *stats);
bool ctl_connected(const struct ctl *c);
/* Route requests whose name starts with prefix (a static string) to fn.
 * 0, or -1 when the table is full. */
int ctl_on_request(struct ctl *c, const char *prefix, ctl_req_fn fn, void *arg);
/* Queue {"notify":"event","id":id,"fields":fields} for the next ctl_poll
 * to send; dropped when not connected. Does not take the reference. */
void ctl_send_event(struct ctl *c, const char *id, json_t *fields);
void ctl_close(struct ctl *c);

/* Handle one received line (exposed for tests). Returns 0, or -1 when the
 * connection must be dropped. */
int ctl_handle_line(struct ctl *c, const char *line, size_t len);

#endif
