/* The metrics endpoint: libmicrohttpd in external-select mode on its epoll
 * fd, run from control's poll loop, so a scrape reads control's state on
 * the one thread that owns it. We open the listening socket ourselves to
 * report bind errors in words (errno), and hand it to MHD. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "state.h"

#define METRICS_RETRY_S 10
#define METRICS_CONN_LIMIT 32
#define METRICS_CONN_TIMEOUT_S 10

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body,
			     size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	/* MHD takes body and free()s it */
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result text_reply(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	char *body = strdup(msg);

	if (body == NULL)
		return MHD_NO;
	return reply(conn, status, body, strlen(body), "text/plain; charset=utf-8");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **req_cls)
{
	struct metrics_http *h = cls;
	json_t *status;
	char *text;
	size_t len = 0;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return text_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (strcmp(url, "/") == 0)
		return text_reply(conn, MHD_HTTP_OK, "umedge-control: metrics at /metrics\n");
	if (strcmp(url, "/metrics") != 0)
		return text_reply(conn, MHD_HTTP_NOT_FOUND, "not found: metrics are at /metrics\n");
	status = control_status_json(h->ctl);
	text = status ? metrics_render(status, h->ctl->ev.counts, h->ctl->clock(), &len) : NULL;
	json_decref(status);
	if (text == NULL)
		return text_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	h->scrapes++;
	return reply(conn, MHD_HTTP_OK, text, len, METRICS_CONTENT_TYPE);
}

static int open_listener(const struct config_metrics *m, char *err, size_t errlen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(m->port),
				  .sin_addr = m->addr };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* a restarted control rebinds at once, past TIME_WAIT */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "cannot listen on %s:%u: %s", m->address, m->port,
			 strerror(errno));
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int start(struct metrics_http *h, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info;
	int lfd = open_listener(&h->want, err, errlen);

	if (lfd < 0)
		return -1;
	h->daemon = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, h,
				     MHD_OPTION_LISTEN_SOCKET, lfd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONN_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_CONN_TIMEOUT_S,
				     MHD_OPTION_END);
	if (h->daemon == NULL) {
		close(lfd);
		snprintf(err, errlen, "the HTTP server (libmicrohttpd) did not start");
		return -1;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || info->epoll_fd < 0) {
		metrics_http_stop(h);
		snprintf(err, errlen, "the HTTP server (libmicrohttpd) has no epoll fd");
		return -1;
	}
	h->fd = info->epoll_fd;
	h->serving = h->want;
	return 0;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (h->daemon != NULL)
		MHD_stop_daemon(h->daemon); /* closes the listening socket it was given */
	h->daemon = NULL;
	h->fd = -1;
	h->run_at = 0;
	memset(&h->serving, 0, sizeof(h->serving));
}

static bool same(const struct config_metrics *a, const struct config_metrics *b)
{
	return a->present == b->present &&
	       (!a->present || (a->addr.s_addr == b->addr.s_addr && a->port == b->port));
}

void metrics_http_sync(struct metrics_http *h, struct control *ctl, time_t now)
{
	char err[200];

	h->ctl = ctl;
	if (!same(&h->want, &ctl->cfg->metrics)) {
		h->want = ctl->cfg->metrics;
		h->retry_at = 0;
		h->failed[0] = '\0';
		metrics_http_stop(h);
		if (!h->want.present)
			fprintf(stderr, "umedge-control: metrics endpoint off\n");
	}
	if (!h->want.present || h->daemon != NULL || now < h->retry_at)
		return;
	if (start(h, err, sizeof(err)) < 0) {
		h->retry_at = now + METRICS_RETRY_S;
		if (strcmp(err, h->failed) != 0) {
			char listen[INET_ADDRSTRLEN + 8];
			snprintf(h->failed, sizeof(h->failed), "%s", err);
			snprintf(listen, sizeof(listen), "%s:%u", h->want.address, h->want.port);
			fprintf(stderr, "umedge-control: metrics: %s (retrying every %d s)\n", err,
				METRICS_RETRY_S);
			events_emitf(&ctl->ev, UMEDGE_EV_MetricsUnavailable, "{s:s, s:s}", "listen",
				     listen, "reason", err);
		}
		return;
	}
	h->failed[0] = '\0';
	fprintf(stderr, "umedge-control: metrics on http://%s:%u/metrics\n", h->want.address,
		h->want.port);
}

int metrics_http_fd(const struct metrics_http *h)
{
	return h->fd;
}

void metrics_http_run(struct metrics_http *h, bool ready, long long now_ms)
{
	MHD_UNSIGNED_LONG_LONG wait_ms;

	if (h->daemon == NULL || (!ready && (h->run_at == 0 || now_ms < h->run_at)))
		return;
	MHD_run(h->daemon);
	h->run_at = MHD_get_timeout(h->daemon, &wait_ms) == MHD_YES
			    ? now_ms + (long long)(wait_ms < 1000 ? wait_ms : 1000)
			    : 0;
}
