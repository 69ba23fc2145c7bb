/* The channel to control: JSON lines over the control Unix socket. */
#include "ctl.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "umedge/ctlproto.h"
#include "snapshot.h"

#define CTL_RETRY_MS 1000
#define CTL_OUT_MAX (1u << 20)  /* control not reading: stop queueing stats */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Lines carry key material (media.add): every buffer jansson frees is
 * wiped first, as in control. */
static void *wiping_malloc(size_t n)
{
	return malloc(n);
}

static void wiping_free(void *p)
{
	if (p != NULL) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

void ctl_init(struct ctl *c, const char *path)
{
	json_set_alloc_funcs(wiping_malloc, wiping_free);
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = -1;
}

bool ctl_connected(const struct ctl *c)
{
	return c->state == CTL_READY;
}

void ctl_close(struct ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->state != CTL_DOWN)
		RTE_LOG(WARNING, USER1, "ctl: disconnected from %s, keeping snapshot %lu\n",
			c->path, (unsigned long)snapshot_version());
	c->state = CTL_DOWN;
	c->in_len = 0;
	c->out_len = 0;
	c->next_connect_ms = now_ms() + CTL_RETRY_MS;
}

static int ctl_queue(struct ctl *c, const char *s, size_t len)
{
	if (c->out_len + len + 1 > CTL_OUT_MAX)
		return -1;
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = (c->out_len + len + 1) * 2;
		char *p = realloc(c->out, cap);
		if (p == NULL)
			return -1;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return 0;
}

static int ctl_queue_json(struct ctl *c, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	int rc;

	if (s == NULL)
		return -1;
	rc = ctl_queue(c, s, strlen(s));
	explicit_bzero(s, strlen(s));
	free(s);
	return rc;
}

static int ctl_flush(struct ctl *c)
{
	size_t off = 0;

	while (off < c->out_len) {
		ssize_t n = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		off += (size_t)n;
	}
	memmove(c->out, c->out + off, c->out_len - off);
	c->out_len -= off;
	explicit_bzero(c->out + c->out_len, off); /* no stale replies (keys) */
	return 0;
}

static void ctl_connect(struct ctl *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_t *hello = NULL;
	int fd;

	c->next_connect_ms = now_ms() + CTL_RETRY_MS;
	/* non-blocking from the start: a Unix connect completes at once or
	 * fails (EAGAIN when control's backlog is full): never wait on control */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (!c->logged_down)
			RTE_LOG(WARNING, USER1, "ctl: cannot reach control at %s (%s); retrying every %d ms\n",
				c->path, strerror(errno), CTL_RETRY_MS);
		c->logged_down = true;
		close(fd);
		return;
	}
	c->fd = fd;
	c->logged_down = false;
	c->connects++;
	hello = json_pack("{s:s, s:i, s:i}", "cmd", "dataplane.hello", "pid", (int)getpid(),
			  "proto", CTLPROTO_VERSION);
	if (hello == NULL || ctl_queue_json(c, hello) != 0 || ctl_flush(c) != 0) {
		json_decref(hello);
		ctl_close(c);
		return;
	}
	json_decref(hello);
	c->state = CTL_HELLO_SENT;
	RTE_LOG(INFO, USER1, "ctl: connected to %s, hello sent\n", c->path);
}

static int ctl_handle_push(struct ctl *c, json_t *msg)
{
	char err[256] = "";
	json_t *v = json_object_get(msg, "version");
	json_t *obj = json_object_get(msg, "snapshot");

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		RTE_LOG(ERR, USER1, "ctl: snapshot push without a version, ignored\n");
		c->rejected++;
		return 0;
	}
	struct dp_snapshot *s = snapshot_from_json(obj, (uint64_t)json_integer_value(v),
						   err, sizeof(err));
	if (s == NULL) {
		RTE_LOG(ERR, USER1, "ctl: snapshot %lld rejected (%s), keeping %lu\n",
			(long long)json_integer_value(v), err, (unsigned long)snapshot_version());
		c->rejected++;
		return 0;
	}
	snapshot_publish(s);
	c->snapshots++;
	RTE_LOG(INFO, USER1, "ctl: snapshot %lu applied (%zu listeners, %zu dial plans, certificate %s)\n",
		(unsigned long)s->version, s->n_listeners, s->n_dial_plans,
		s->cert_pem != NULL ? s->thumbprint_sha1 : "none");
	return 0;
}

int ctl_on_request(struct ctl *c, const char *prefix, ctl_req_fn fn, void *arg)
{
	if (c->n_req == CTL_MAX_REQ_HANDLERS)
		return -1;
	c->req[c->n_req++] = (struct ctl_req_handler){ .prefix = prefix, .fn = fn, .arg = arg };
	return 0;
}

/* {"req": NAME, "id": N, "args": {...}}: exactly one reply. */
static void ctl_handle_req(struct ctl *c, const char *req, json_t *msg)
{
	json_t *id = json_object_get(msg, "id");
	json_t *args = json_object_get(msg, "args");
	json_t *res = NULL, *reply;
	char err[256] = "";

	if (!json_is_integer(id))
		return; /* nothing to answer to */
	for (unsigned i = 0; i < c->n_req && res == NULL && err[0] == '\0'; i++) {
		if (strncmp(req, c->req[i].prefix, strlen(c->req[i].prefix)) != 0)
			continue;
		res = c->req[i].fn(c->req[i].arg, req, args, err, sizeof(err));
		if (res == NULL && err[0] == '\0')
			snprintf(err, sizeof(err), "%s failed", req);
	}
	if (res == NULL && err[0] == '\0')
		snprintf(err, sizeof(err), "the dataplane does not serve %s", req);
	if (res != NULL)
		reply = json_pack("{s:O, s:b, s:o}", "reply", id, "ok", 1, "result", res);
	else
		reply = json_pack("{s:O, s:b, s:s}", "reply", id, "ok", 0, "error", err);
	/* queued only: ctl_poll flushes after reading (we are inside ctl_read) */
	if (reply == NULL || ctl_queue_json(c, reply) != 0)
		RTE_LOG(ERR, USER1, "ctl: reply to %s not queued\n", req);
	json_decref(reply);
}

void ctl_send_event(struct ctl *c, const char *id, json_t *fields)
{
	if (c->state != CTL_READY)
		return;
	json_t *msg = json_pack("{s:s, s:s, s:O}", "notify", "event", "id", id, "fields", fields);
	if (msg == NULL)
		return;
	/* queued only: the next ctl_poll (at once, the socket being writable)
	 * sends a tick's events in one write, and control reads them in one
	 * wake-up instead of one per event */
	(void)ctl_queue_json(c, msg);
	json_decref(msg);
}

int ctl_handle_line(struct ctl *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg = json_loadb(line, len, 0, &jerr);
	int rc = 0;

	if (!json_is_object(msg)) {
		RTE_LOG(ERR, USER1, "ctl: unreadable line from control: %s\n", jerr.text);
		rc = -1;
		goto out;
	}
	const char *push = json_string_value(json_object_get(msg, "push"));
	const char *req = json_string_value(json_object_get(msg, "req"));
	json_t *ok = json_object_get(msg, "ok");
	if (push != NULL && strcmp(push, "snapshot") == 0) {
		rc = ctl_handle_push(c, msg);
	} else if (req != NULL && c->state == CTL_READY) {
		ctl_handle_req(c, req, msg);
	} else if (ok != NULL && c->state == CTL_HELLO_SENT) {
		if (!json_is_true(ok)) {
			RTE_LOG(ERR, USER1, "ctl: control refused hello: %s\n",
				json_is_string(json_object_get(msg, "error")) ?
				json_string_value(json_object_get(msg, "error")) : "?");
			rc = -1;
			goto out;
		}
		c->state = CTL_READY;
		RTE_LOG(INFO, USER1, "ctl: control accepted hello\n");
	}
	/* anything else (answers, future pushes) is ignored */
out:
	json_decref(msg);
	return rc;
}

static int ctl_read(struct ctl *c)
{
	for (;;) {
		if (c->in_cap - c->in_len < 65536) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 131072;
			if (cap > CTLPROTO_LINE_MAX * 2u)
				cap = CTLPROTO_LINE_MAX * 2u;
			if (cap <= c->in_len) {
				RTE_LOG(ERR, USER1, "ctl: line longer than %u bytes\n", CTLPROTO_LINE_MAX);
				return -1;
			}
			char *p = realloc(c->in, cap);
			if (p == NULL)
				return -1;
			c->in = p;
			c->in_cap = cap;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n == 0)
			return -1; /* control went away */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		size_t start = 0, scan = c->in_len;
		c->in_len += (size_t)n;
		for (size_t i = scan; i < c->in_len; i++) {
			if (c->in[i] != '\n')
				continue;
			if (ctl_handle_line(c, c->in + start, i - start) != 0)
				return -1;
			start = i + 1;
		}
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		explicit_bzero(c->in + c->in_len, start); /* no stale requests (keys) */
		if (c->in_len > CTLPROTO_LINE_MAX) {
			RTE_LOG(ERR, USER1, "ctl: line longer than %u bytes\n", CTLPROTO_LINE_MAX);
			return -1;
		}
	}
}

void ctl_poll(struct ctl *c, int timeout_ms)
{
	if (c->fd < 0) {
		if (now_ms() >= c->next_connect_ms)
			ctl_connect(c);
		if (c->fd < 0) {
			poll(NULL, 0, timeout_ms);
			return;
		}
	}
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	if (c->out_len > 0)
		pfd.events |= POLLOUT;
	int n = poll(&pfd, 1, timeout_ms);
	if (n <= 0)
		return;
	if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
		if (ctl_read(c) != 0) {
			ctl_close(c);
			return;
		}
	}
	if (c->out_len > 0 && ctl_flush(c) != 0)
		ctl_close(c);
}

void ctl_send_stats(struct ctl *c, json_t *stats)
{
	if (c->state != CTL_READY || stats == NULL)
		return;
	json_t *msg = json_pack("{s:s, s:O}", "notify", "stats", "stats", stats);
	if (msg == NULL)
		return;
	if (ctl_queue_json(c, msg) == 0 && ctl_flush(c) != 0)
		ctl_close(c);
	json_decref(msg);
}
