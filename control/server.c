#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "capture_args.h"
#include "commands.h"
#include "fsutil.h"
#include "jsonl.h"
#include "media_args.h"
#include "metrics.h"
#include "probe_args.h"
#include "umedge/ctlproto.h"

#define SERVER_MAX_CLIENTS 64
#define SERVER_MAX_BACKLOG (16u << 20) /* unsent bytes before a slow peer is dropped */
#define SERVER_REQUEST_MAX (1u << 20)  /* CLI requests are small */
#define SERVER_MAX_PENDING 64          /* CLI requests waiting on the dataplane */

enum client_kind { CLIENT_CLI = 0, CLIENT_FOLLOWER, CLIENT_DATAPLANE };

struct client {
	bool used;
	enum client_kind kind;
	uint64_t gen; /* bumped on close, so a late reply finds no stale client */
	struct jsonl_conn io;
};

/* A CLI request relayed to the dataplane, waiting for its reply. */
struct pending {
	bool used;
	uint64_t id;
	int client;         /* slot of the CLI client */
	uint64_t gen;       /* its generation when the request came */
	long long deadline; /* monotonic ms */
};

struct server {
	struct control *ctl;
	int lfd, sfd;
	struct client clients[SERVER_MAX_CLIENTS];
	struct pending pending[SERVER_MAX_PENDING];
	uint64_t next_req_id;
	struct metrics_http metrics;
	bool stop;
};

static long long mono_ms(void);
static void client_send(struct server *srv, struct client *c, const json_t *msg);

static void pending_finish(struct server *srv, struct pending *p, json_t *answer)
{
	struct client *c = &srv->clients[p->client];

	if (c->used && c->gen == p->gen)
		client_send(srv, c, answer);
	p->used = false;
}

static void pending_fail_all(struct server *srv, const char *why)
{
	json_t *e = json_pack("{s:b, s:s}", "ok", 0, "error", why);

	for (int i = 0; i < SERVER_MAX_PENDING; i++)
		if (srv->pending[i].used)
			pending_finish(srv, &srv->pending[i], e);
	json_decref(e);
}

static void client_close(struct server *srv, struct client *c)
{
	uint64_t gen = c->gen + 1;
	bool was_dp = c->kind == CLIENT_DATAPLANE;

	close(c->io.fd);
	jsonl_release(&c->io);
	memset(c, 0, sizeof(*c));
	c->gen = gen;
	if (was_dp) {
		srv->ctl->dp_connected = false;
		events_emitf(&srv->ctl->ev, UMEDGE_EV_DataplaneDisconnected, "{s:I}",
			     "snapshot_version", (json_int_t)srv->ctl->snapshot_version);
		pending_fail_all(srv, "the dataplane disconnected before answering");
	}
}

static struct client *dataplane_client(struct server *srv)
{
	for (int i = 0; i < SERVER_MAX_CLIENTS; i++)
		if (srv->clients[i].used && srv->clients[i].kind == CLIENT_DATAPLANE)
			return &srv->clients[i];
	return NULL;
}

/* Relay a CLI request the dataplane answers (media sessions, calls). Arguments are
 * checked and completed here, so the dataplane gets finished data. */
static void forward_to_dataplane(struct server *srv, struct client *c, const char *cmd,
				 const json_t *args)
{
	struct client *dp = dataplane_client(srv);
	char err[CONFIG_ERR_MAX] = "";
	json_t *fwd_args = NULL, *req = NULL, *e;
	struct pending *p = NULL;

	if (strcmp(cmd, "media.add") == 0)
		fwd_args = media_args_add(args, err, sizeof(err));
	else if (strcmp(cmd, "capture.start") == 0 && args != NULL)
		fwd_args = capture_args_start(srv->ctl->cfg, args, err, sizeof(err));
	else if (strcmp(cmd, "capture.start") == 0)
		snprintf(err, sizeof(err), "capture.start needs a path");
	else if (strcmp(cmd, "probe.options") == 0 && args != NULL)
		fwd_args = probe_args_options(srv->ctl->cfg, args, err, sizeof(err));
	else if (strcmp(cmd, "probe.options") == 0)
		snprintf(err, sizeof(err), "which gateway? --gateway NAME");
	else if ((strcmp(cmd, "media.show") == 0 || strcmp(cmd, "media.remove") == 0 ||
		  strcmp(cmd, "calls.show") == 0 || strcmp(cmd, "calls.drop") == 0) &&
		 media_args_id(args, err, sizeof(err)) < 0)
		fwd_args = NULL;
	else
		fwd_args = json_deep_copy(args ? args : json_object());
	if (!fwd_args)
		goto fail;
	if (!dp) {
		snprintf(err, sizeof(err), "the dataplane is not connected");
		goto fail;
	}
	for (int i = 0; i < SERVER_MAX_PENDING && !p; i++)
		if (!srv->pending[i].used)
			p = &srv->pending[i];
	if (!p) {
		snprintf(err, sizeof(err), "too many requests waiting on the dataplane");
		goto fail;
	}
	*p = (struct pending){ .used = true, .id = ++srv->next_req_id,
			       .client = (int)(c - srv->clients), .gen = c->gen,
			       .deadline = mono_ms() + CTLPROTO_REQUEST_TIMEOUT_MS };
	req = json_pack("{s:s, s:I, s:O}", "req", cmd, "id", (json_int_t)p->id, "args", fwd_args);
	if (!req) {
		p->used = false;
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	client_send(srv, dp, req);
	json_decref(req);
	json_decref(fwd_args);
	return;
fail:
	json_decref(fwd_args);
	e = json_pack("{s:b, s:s}", "ok", 0, "error", err[0] ? err : "failed");
	client_send(srv, c, e);
	json_decref(e);
}

static void handle_reply(struct server *srv, json_t *msg)
{
	json_int_t id = json_integer_value(json_object_get(msg, "reply"));
	json_t *ans;

	for (int i = 0; i < SERVER_MAX_PENDING; i++) {
		struct pending *p = &srv->pending[i];

		if (!p->used || (json_int_t)p->id != id)
			continue;
		if (json_is_true(json_object_get(msg, "ok")))
			ans = json_pack("{s:b, s:O}", "ok", 1, "result",
					json_object_get(msg, "result") ? json_object_get(msg, "result")
								       : json_null());
		else
			ans = json_pack("{s:b, s:s}", "ok", 0, "error",
					json_string_value(json_object_get(msg, "error"))
						? json_string_value(json_object_get(msg, "error"))
						: "the dataplane refused");
		if (ans)
			pending_finish(srv, p, ans);
		else
			p->used = false;
		json_decref(ans);
		return;
	}
}

static void pending_expire(struct server *srv)
{
	long long now = mono_ms();
	json_t *e = NULL;

	for (int i = 0; i < SERVER_MAX_PENDING; i++) {
		if (!srv->pending[i].used || srv->pending[i].deadline > now)
			continue;
		if (!e)
			e = json_pack("{s:b, s:s}", "ok", 0, "error",
				      "the dataplane did not answer in time");
		pending_finish(srv, &srv->pending[i], e);
	}
	json_decref(e);
}

static void client_send(struct server *srv, struct client *c, const json_t *msg)
{
	if (jsonl_queue(&c->io, msg) < 0 || c->io.wlen > SERVER_MAX_BACKLOG) {
		client_close(srv, c);
		return;
	}
	if (jsonl_flush(&c->io) < 0)
		client_close(srv, c);
}

static void push_snapshot(struct server *srv, struct client *c)
{
	json_t *snap = control_snapshot_json(srv->ctl);
	json_t *msg;

	if (!snap)
		return;
	msg = json_pack("{s:s, s:I, s:o}", "push", "snapshot", "version",
			(json_int_t)srv->ctl->snapshot_version, "snapshot", snap);
	if (msg)
		client_send(srv, c, msg);
	json_decref(msg);
}

static void on_change(struct control *ctl, void *ctx)
{
	struct server *srv = ctx;

	for (int i = 0; i < SERVER_MAX_CLIENTS; i++)
		if (srv->clients[i].used && srv->clients[i].kind == CLIENT_DATAPLANE)
			push_snapshot(srv, &srv->clients[i]);
}

static void on_event(const json_t *ev, void *ctx)
{
	struct server *srv = ctx;
	json_t *msg;
	int i;

	/* most events have no follower: build nothing for them */
	for (i = 0; i < SERVER_MAX_CLIENTS; i++)
		if (srv->clients[i].used && srv->clients[i].kind == CLIENT_FOLLOWER)
			break;
	if (i == SERVER_MAX_CLIENTS)
		return;
	msg = json_pack("{s:O}", "event", (json_t *)ev);
	if (!msg)
		return;
	for (; i < SERVER_MAX_CLIENTS; i++)
		if (srv->clients[i].used && srv->clients[i].kind == CLIENT_FOLLOWER)
			client_send(srv, &srv->clients[i], msg);
	json_decref(msg);
}

static void handle_hello(struct server *srv, struct client *c)
{
	json_t *ok = json_pack("{s:b, s:{s:i}}", "ok", 1, "result", "proto", CTLPROTO_VERSION);

	/* One dataplane at a time: a newcomer replaces a stale connection. */
	for (int i = 0; i < SERVER_MAX_CLIENTS; i++)
		if (srv->clients[i].used && srv->clients[i].kind == CLIENT_DATAPLANE &&
		    &srv->clients[i] != c)
			client_close(srv, &srv->clients[i]);
	c->kind = CLIENT_DATAPLANE;
	c->io.max_line = CTLPROTO_LINE_MAX;
	srv->ctl->dp_connected = true;
	events_emitf(&srv->ctl->ev, UMEDGE_EV_DataplaneConnected, "{s:I}", "snapshot_version",
		     (json_int_t)srv->ctl->snapshot_version);
	client_send(srv, c, ok);
	json_decref(ok);
	if (c->used)
		push_snapshot(srv, c);
}

/* Only the ids the dataplane owns: it can't impersonate control's events. */
static void dataplane_event(struct server *srv, const json_t *msg)
{
	static const enum umedge_event_id allowed[] = {
		UMEDGE_EV_TlsPeerRejected, UMEDGE_EV_MediaSessionIdle, UMEDGE_EV_SipUnknownGateway,
		UMEDGE_EV_SipNoDialPlan,   UMEDGE_EV_VoipSecurityMismatch, UMEDGE_EV_CallStarted,
		UMEDGE_EV_CallEnded,	   UMEDGE_EV_CallMediaTimeout,
	};
	const char *id = json_string_value(json_object_get(msg, "id"));
	json_t *fields = json_object_get(msg, "fields");

	if (!id || (fields && !json_is_object(fields)))
		return;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if (strcmp(events_name(allowed[i]), id) == 0) {
			/* msg keeps its own reference until it is freed */
			events_emit(&srv->ctl->ev, allowed[i],
				    fields ? json_incref(fields) : json_object());
			return;
		}
	}
}

static void handle_message(struct server *srv, struct client *c, json_t *msg)
{
	const char *cmd = json_string_value(json_object_get(msg, "cmd"));
	const char *notify = json_string_value(json_object_get(msg, "notify"));
	json_t *answer;

	if (notify) {
		if (c->kind == CLIENT_DATAPLANE && strcmp(notify, "stats") == 0) {
			json_t *stats = json_object_get(msg, "stats");
			if (json_is_object(stats)) {
				json_decref(srv->ctl->dp_stats);
				srv->ctl->dp_stats = json_incref(stats);
			}
		} else if (c->kind == CLIENT_DATAPLANE && strcmp(notify, "event") == 0) {
			dataplane_event(srv, msg);
		}
		return;
	}
	if (c->kind == CLIENT_DATAPLANE && json_object_get(msg, "reply")) {
		handle_reply(srv, msg);
		return;
	}
	if (cmd && strcmp(cmd, "dataplane.hello") == 0) {
		handle_hello(srv, c);
		return;
	}
	if (cmd && (strncmp(cmd, "media.", 6) == 0 || strncmp(cmd, "diag.", 5) == 0 ||
		    strncmp(cmd, "calls.", 6) == 0 || strncmp(cmd, "capture.", 8) == 0 ||
		    strncmp(cmd, "probe.", 6) == 0)) {
		const json_t *args = json_object_get(msg, "args");

		if (args && !json_is_object(args)) {
			answer = json_pack("{s:b, s:s}", "ok", 0, "error", "\"args\" must be an object");
			client_send(srv, c, answer);
			json_decref(answer);
			return;
		}
		forward_to_dataplane(srv, c, cmd, args);
		return;
	}
	answer = commands_dispatch(srv->ctl, msg);
	if (!answer)
		answer = json_pack("{s:b, s:s}", "ok", 0, "error", "out of memory");
	client_send(srv, c, answer);
	json_decref(answer);
	if (c->used && cmd && strcmp(cmd, "events") == 0 &&
	    json_is_true(json_object_get(json_object_get(msg, "args"), "follow")))
		c->kind = CLIENT_FOLLOWER;
}

static void client_readable(struct server *srv, struct client *c)
{
	char err[256];
	json_t *msg;
	int rc = jsonl_fill(&c->io);

	for (;;) {
		int r = jsonl_next(&c->io, &msg, err, sizeof(err));

		if (r == 1)
			break;
		if (r < 0) {
			json_t *e = json_pack("{s:b, s:s}", "ok", 0, "error", err);
			client_send(srv, c, e);
			json_decref(e);
		} else {
			handle_message(srv, c, msg);
			json_decref(msg);
		}
		if (!c->used)
			return;
	}
	if (rc == -EMSGSIZE) {
		json_t *e = json_pack("{s:b, s:s}", "ok", 0, "error", "request line too long");
		client_send(srv, c, e);
		json_decref(e);
	}
	if (rc != 0 && c->used)
		client_close(srv, c);
}

static void accept_client(struct server *srv)
{
	int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < SERVER_MAX_CLIENTS; i++) {
		struct client *c = &srv->clients[i];
		if (c->used)
			continue;
		c->used = true;
		c->kind = CLIENT_CLI;
		jsonl_init(&c->io, fd, SERVER_REQUEST_MAX);
		return;
	}
	/* Full: say so rather than leave the caller hanging. */
	(void)!write(fd, "{\"ok\":false,\"error\":\"control server busy\"}\n", 43);
	close(fd);
}

static int open_socket(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	char *slash;
	struct stat st;
	int fd = -1, probe;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (fsutil_mkdir_p(dir, 0755) < 0) {
			snprintf(err, errlen, "%s: cannot create folder: %s", dir, strerror(errno));
			return -1;
		}
	}
	probe = jsonl_connect(path);
	if (probe >= 0) {
		close(probe);
		snprintf(err, errlen, "%s: another umedge-control is already serving it", path);
		return -1;
	}
	/* A stale socket of a daemon that died; never remove anything else. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, 16) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void handle_signal(struct server *srv)
{
	struct signalfd_siginfo si;
	char err[CONFIG_ERR_MAX];

	while (read(srv->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (control_reload(srv->ctl, err, sizeof(err)) < 0)
				fprintf(stderr, "umedge-control: reload rejected: %s\n", err);
		} else {
			srv->stop = true;
		}
	}
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int server_run(struct control *ctl, const char *path, char *err, size_t errlen)
{
	struct server srv = { .ctl = ctl, .lfd = -1, .sfd = -1, .metrics = METRICS_HTTP_INIT };
	struct pollfd pfds[SERVER_MAX_CLIENTS + 3];
	struct client *who[SERVER_MAX_CLIENTS + 3];
	long long next_tick = mono_ms() + 1000;
	int rc = -1;

	srv.lfd = open_socket(path, err, errlen);
	if (srv.lfd < 0)
		goto out;
	srv.sfd = open_signals();
	if (srv.sfd < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		goto out;
	}
	ctl->on_change = on_change;
	ctl->on_change_ctx = &srv;
	ctl->ev.sink = on_event;
	ctl->ev.sink_ctx = &srv;
	fprintf(stderr, "umedge-control: serving %s\n", path);
	while (!srv.stop) {
		int n = 0, timeout, first_client;
		long long now;

		metrics_http_sync(&srv.metrics, ctl, time(NULL));
		pfds[n] = (struct pollfd){ .fd = srv.lfd, .events = POLLIN };
		who[n++] = NULL;
		pfds[n] = (struct pollfd){ .fd = srv.sfd, .events = POLLIN };
		who[n++] = NULL;
		/* fd -1 is ignored by poll() */
		pfds[n] = (struct pollfd){ .fd = metrics_http_fd(&srv.metrics), .events = POLLIN };
		who[n++] = NULL;
		first_client = n;
		for (int i = 0; i < SERVER_MAX_CLIENTS; i++) {
			struct client *c = &srv.clients[i];
			if (!c->used)
				continue;
			pfds[n] = (struct pollfd){ .fd = c->io.fd,
						   .events = POLLIN | (c->io.wlen ? POLLOUT : 0) };
			who[n++] = c;
		}
		now = mono_ms();
		timeout = next_tick > now ? (int)(next_tick - now) : 0;
		if (srv.metrics.run_at > 0 && srv.metrics.run_at - now < timeout)
			timeout = srv.metrics.run_at > now ? (int)(srv.metrics.run_at - now) : 0;
		if (poll(pfds, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			goto out;
		}
		if (pfds[0].revents & POLLIN)
			accept_client(&srv);
		if (pfds[1].revents & POLLIN)
			handle_signal(&srv);
		metrics_http_run(&srv.metrics, pfds[2].revents != 0, mono_ms());
		for (int i = first_client; i < n; i++) {
			struct client *c = who[i];
			if (!c->used || !pfds[i].revents)
				continue;
			if (pfds[i].revents & POLLOUT && jsonl_flush(&c->io) < 0) {
				client_close(&srv, c);
				continue;
			}
			if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
				client_readable(&srv, c);
		}
		pending_expire(&srv);
		if (mono_ms() >= next_tick) {
			control_tick(ctl);
			next_tick = mono_ms() + 1000;
		}
	}
	rc = 0;
out:
	for (int i = 0; i < SERVER_MAX_CLIENTS; i++)
		if (srv.clients[i].used)
			client_close(&srv, &srv.clients[i]);
	metrics_http_stop(&srv.metrics);
	ctl->on_change = NULL;
	ctl->ev.sink = NULL;
	if (srv.lfd >= 0) {
		close(srv.lfd);
		unlink(path);
	}
	if (srv.sfd >= 0)
		close(srv.sfd);
	return rc;
}
