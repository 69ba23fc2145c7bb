/* JSON lines over a stream socket (the control protocol framing, see
 * include/umedge/ctlproto.h). Works on blocking and non-blocking fds. */
#ifndef UMEDGE_JSONL_H
#define UMEDGE_JSONL_H

#include <stddef.h>

#include <jansson.h>

struct jsonl_conn {
	int fd;
	char *rbuf; /* received bytes not yet consumed */
	size_t rlen, rcap;
	char *wbuf; /* bytes queued for sending */
	size_t wlen, wcap;
	size_t max_line;
};

void jsonl_init(struct jsonl_conn *c, int fd, size_t max_line);
/* Frees buffers; does not close the fd. */
void jsonl_release(struct jsonl_conn *c);

/* Read what is available. 0: read something or would block; 1: peer
 * closed; -errno on error (-EMSGSIZE: a line longer than max_line). */
int jsonl_fill(struct jsonl_conn *c);

/* Take the next complete line. 0 and *out (new reference) on success;
 * 1 when no complete line is buffered; -EBADMSG with err set when the line
 * is not a JSON object (the line is consumed). */
int jsonl_next(struct jsonl_conn *c, json_t **out, char *err, size_t errlen);

/* Queue msg (not stolen) as one line. 0 or -errno. */
int jsonl_queue(struct jsonl_conn *c, const json_t *msg);

/* Write queued bytes. 0 when all written, 1 when some remain (would block),
 * -errno on error. */
int jsonl_flush(struct jsonl_conn *c);

/* Blocking helpers for clients: connect to a Unix socket path. fd or -errno. */
int jsonl_connect(const char *path);

/* Blocking: wait for and return the next line (new reference); with a
 * timeout in ms (-1: none). 0, 1 on EOF, -ETIMEDOUT, -errno. */
int jsonl_recv(struct jsonl_conn *c, json_t **out, int timeout_ms, char *err, size_t errlen);

#endif
