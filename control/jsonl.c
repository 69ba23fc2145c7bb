#include "jsonl.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

void jsonl_init(struct jsonl_conn *c, int fd, size_t max_line)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->max_line = max_line;
}

void jsonl_release(struct jsonl_conn *c)
{
	free(c->rbuf);
	free(c->wbuf);
	c->rbuf = c->wbuf = NULL;
	c->rlen = c->rcap = c->wlen = c->wcap = 0;
}

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t ncap = *cap ? *cap : 4096;
	char *nbuf;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	nbuf = realloc(*buf, ncap);
	if (!nbuf)
		return -ENOMEM;
	*buf = nbuf;
	*cap = ncap;
	return 0;
}

int jsonl_fill(struct jsonl_conn *c)
{
	for (;;) {
		ssize_t n;
		int rc;

		if (c->rlen > c->max_line && !memchr(c->rbuf, '\n', c->rlen))
			return -EMSGSIZE;
		rc = grow(&c->rbuf, &c->rcap, c->rlen + 65536);
		if (rc < 0)
			return rc;
		n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (n == 0)
			return 1;
		c->rlen += (size_t)n;
		/* Stop once a line is complete: one message at a time is enough. */
		if (memchr(c->rbuf + c->rlen - (size_t)n, '\n', (size_t)n))
			return 0;
	}
}

int jsonl_next(struct jsonl_conn *c, json_t **out, char *err, size_t errlen)
{
	char *nl = c->rlen ? memchr(c->rbuf, '\n', c->rlen) : NULL;
	size_t len;
	json_error_t jerr;
	json_t *msg;
	int rc = 0;

	if (!nl)
		return 1;
	len = (size_t)(nl - c->rbuf);
	msg = json_loadb(c->rbuf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg) {
		snprintf(err, errlen, "malformed request: %s", jerr.text);
		rc = -EBADMSG;
	} else if (!json_is_object(msg)) {
		snprintf(err, errlen, "malformed request: not a JSON object");
		json_decref(msg);
		rc = -EBADMSG;
	} else {
		*out = msg;
	}
	memmove(c->rbuf, nl + 1, c->rlen - len - 1);
	c->rlen -= len + 1;
	return rc;
}

int jsonl_queue(struct jsonl_conn *c, const json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	size_t len;
	int rc;

	if (!s)
		return -ENOMEM;
	len = strlen(s);
	rc = grow(&c->wbuf, &c->wcap, c->wlen + len + 1);
	if (rc == 0) {
		memcpy(c->wbuf + c->wlen, s, len);
		c->wbuf[c->wlen + len] = '\n';
		c->wlen += len + 1;
	}
	/* The line may carry key material for the dataplane: wipe our copy. */
	memset(s, 0, len);
	free(s);
	return rc;
}

int jsonl_flush(struct jsonl_conn *c)
{
	size_t off = 0;
	int rc = 0;

	while (off < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + off, c->wlen - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				rc = 1;
				break;
			}
			rc = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (off > 0) {
		memset(c->wbuf, 0, off);
		memmove(c->wbuf, c->wbuf + off, c->wlen - off);
		c->wlen -= off;
	}
	return rc;
}

int jsonl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int jsonl_recv(struct jsonl_conn *c, json_t **out, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;

	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int rc = jsonl_next(c, out, err, errlen);
		int wait;

		if (rc <= 0)
			return rc;
		wait = -1;
		if (timeout_ms >= 0) {
			long long left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			wait = (int)left;
		}
		rc = poll(&pfd, 1, wait);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (rc == 0)
			return -ETIMEDOUT;
		rc = jsonl_fill(c);
		if (rc != 0) {
			if (rc == 1 && c->rlen && memchr(c->rbuf, '\n', c->rlen))
				continue;
			return rc;
		}
	}
}
