/*
 * worker_sip_calls.c: the operator's calls verbs (calls.list, calls.show,
 * calls.drop) between control and the workers that own the calls.
 *
 * A call's records and media belong to one worker, which alone reads and
 * writes them. The main lcore asks through that worker's query ring; the
 * worker answers in its poll hook (rows copied into the query, or the
 * call dropped) and marks it answered. The main lcore waits a bounded
 * time; a query it gave up on is freed by the worker when it comes to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include "media.h"
#include "ng/ng.h"
#include "worker_sip.h"
#include "worker_sip_int.h"

#define QUERY_WAIT_MS 1000
#define LIST_ROWS_MAX 4096	/* per worker in one list */

enum { Q_WAITING = 0, Q_ANSWERED, Q_ABANDONED };

struct sip_call_row {
	uint32_t id;
	uint32_t session_id;		/* its media session's, 0: none */
	bool rtcp_mux;
	char call_id[SIP_CALL_ID_MAX];
	char gateway[CONFIG_NAME_MAX], dial_plan[CONFIG_NAME_MAX];
	uint8_t mode, transport, state, caller;
	bool srtp, has_media;
	bool ng;			/* a call made over rtpengine's ng */
	uint8_t suite;
	uint64_t age_ms, answered_ms;	/* since created, since answered (0: not) */
	uint16_t local[2];
	uint32_t remote_addr[2];	/* host order */
	uint16_t remote_port[2];
	uint32_t latched_addr;		/* the gateway's RTP source, network order, 0: none */
	uint16_t latched_port;
	struct media_dir_stats st[MEDIA_N_DIRS];
};

struct sip_query {
	enum { Q_LIST, Q_SHOW, Q_DROP } op;
	uint32_t id;
	int rc;
	uint32_t state;			/* Q_WAITING, Q_ANSWERED, Q_ABANDONED */
	uint32_t n, cap;
	bool truncated;
	struct sip_call_row rows[];
};

/* ---- worker side ---- */

static void row_of(const struct worker_sip *ws, const struct sip_call *c, uint64_t now,
		   struct sip_call_row *r)
{
	const struct media_session *s = c->media;

	memset(r, 0, sizeof(*r));
	r->id = c->id;
	memcpy(r->call_id, c->call_id, sizeof(r->call_id));
	memcpy(r->gateway, c->gateway, sizeof(r->gateway));
	memcpy(r->dial_plan, c->dial_plan, sizeof(r->dial_plan));
	r->mode = (uint8_t)c->mode;
	r->transport = c->gw_transport;
	r->state = (uint8_t)c->state;
	r->caller = c->caller;
	r->age_ms = now - c->created_ms;
	r->answered_ms = c->state == SIP_CALL_ANSWERED ? now - c->answered_ms : 0;
	r->local[0] = c->local[0];
	r->local[1] = c->local[1];
	if (c->has_cur) {
		r->srtp = c->cur.srtp;
		r->suite = (uint8_t)c->cur.suite;
		r->remote_addr[c->cur_from] = c->cur.remote_addr;
		r->remote_port[c->cur_from] = c->cur.remote_port;
		r->remote_addr[c->cur_from ^ 1] = c->cur.answer_addr;
		r->remote_port[c->cur_from ^ 1] = c->cur.answer_port;
	}
	if (s != NULL) {
		r->has_media = true;
		r->session_id = s->id;
		r->rtcp_mux = s->rtcp_mux;
		memcpy(r->st, s->st, sizeof(r->st));
		if (s->latched[0]) {
			r->latched_addr = s->gw_ip[0];
			r->latched_port = s->gw_port[0];
		}
	}
	(void)ws;
}

static void answer(struct worker_sip *ws, struct sip_query *q)
{
	const struct sip_call_table *t = sip_proxy_call_table(ws->px);
	uint64_t now = worker_sip_now_ms(ws);
	uint32_t expect = Q_WAITING;

	q->rc = -ENOENT;
	switch (q->op) {
	case Q_LIST:
		q->rc = 0;
		for (uint32_t i = 0; i < t->cap; i++) {
			if (t->pool[i].key == 0)
				continue;
			if (q->n == q->cap) {
				q->truncated = true;
				break;
			}
			row_of(ws, &t->pool[i], now, &q->rows[q->n++]);
		}
		/* and the calls made over ng: their media are sessions of this
		 * worker's too (media list shows them; calls list does not) */
		for (uint32_t i = 0; ws->ng != NULL && i < ng_call_table(ws->ng)->cap; i++) {
			const struct sip_call *c = &ng_call_table(ws->ng)->pool[i];
			if (c->key == 0)
				continue;
			if (q->n == q->cap) {
				q->truncated = true;
				break;
			}
			row_of(ws, c, now, &q->rows[q->n]);
			q->rows[q->n++].ng = true;
		}
		break;
	case Q_SHOW:
		for (uint32_t i = 0; i < t->cap; i++)
			if (t->pool[i].key != 0 && t->pool[i].id == q->id && q->cap > 0) {
				row_of(ws, &t->pool[i], now, &q->rows[q->n++]);
				q->rc = 0;
				break;
			}
		break;
	case Q_DROP:
		q->rc = sip_proxy_call_drop(ws->px, q->id, "dropped by the operator");
		break;
	}
	if (!__atomic_compare_exchange_n(&q->state, &expect, Q_ANSWERED, false, __ATOMIC_RELEASE,
					 __ATOMIC_ACQUIRE))
		free(q); /* the main lcore gave up on it */
}

void worker_sip_queries(struct worker_sip *ws)
{
	void *q;

	while (rte_ring_sc_dequeue(ws->query, &q) == 0)
		answer(ws, q);
}

/* ---- main lcore ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct sip_query *query_new(int op, uint32_t id, uint32_t cap)
{
	struct sip_query *q = calloc(1, sizeof(*q) + (size_t)cap * sizeof(q->rows[0]));

	if (q != NULL) {
		q->op = op;
		q->id = id;
		q->cap = cap;
	}
	return q;
}

/* Post q to worker ws: false when its ring is full (q not posted). */
static bool post(struct worker_sip *ws, struct sip_query *q)
{
	return rte_ring_sp_enqueue(ws->query, q) == 0;
}

/* Wait for q until deadline: true when answered (q is the caller's to
 * free); false when given up (the worker frees it). */
static bool await(struct sip_query *q, uint64_t deadline)
{
	uint32_t expect = Q_WAITING;

	while (now_ms() < deadline) {
		if (__atomic_load_n(&q->state, __ATOMIC_ACQUIRE) == Q_ANSWERED)
			return true;
		usleep(100);
	}
	if (__atomic_compare_exchange_n(&q->state, &expect, Q_ABANDONED, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return false;
	return true; /* answered at the last moment */
}

static json_t *addr_port(uint32_t addr, uint16_t port)
{
	char ip[INET_ADDRSTRLEN], buf[32];
	struct in_addr a = { htonl(addr) };

	if (addr == 0)
		return json_string("-");
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(buf, sizeof(buf), "%s:%u", ip, port);
	return json_string(buf);
}

static const char *const state_names[] = { "setup", "early", "answered" };

/* The list's row: flat, one line per call. */
static json_t *row_json(const struct sip_call_row *r, unsigned worker)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "id",
			 (json_int_t)r->id, "call_id", r->call_id, "gateway", r->gateway,
			 "dial_plan", r->dial_plan[0] ? r->dial_plan : "(start_secured)", "mode",
			 umedge_security_names[r->mode % UMEDGE_SEC_COUNT], "transport",
			 umedge_transport_names[r->transport % UMEDGE_TRANSPORT_COUNT], "suite",
			 r->srtp ? umedge_srtp_suite_names[r->suite % UMEDGE_SRTP_SUITE_COUNT]
				 : "none",
			 "state", state_names[r->state % 3], "age_s", (json_int_t)(r->age_ms / 1000),
			 "packets_in", (json_int_t)r->st[MEDIA_DIR_IN].packets, "packets_out",
			 (json_int_t)r->st[MEDIA_DIR_OUT].packets, "worker", (json_int_t)worker);
}

static json_t *list_row(const struct worker_sip_plane *p, const struct sip_call_row *r,
			unsigned worker)
{
	(void)p;
	return r->ng ? NULL : row_json(r, worker);
}

/* A call's media session in the shape of media.list's rows. */
static json_t *media_row(const struct worker_sip_plane *p, const struct sip_call_row *r,
			 unsigned worker)
{
	char ip[INET_ADDRSTRLEN], ep[2][INET_ADDRSTRLEN + 8];
	json_t *o;

	if (!r->has_media)
		return NULL;
	for (unsigned side = 0; side < 2; side++) {
		uint32_t a = worker_sip_local_addr(p, side);

		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		snprintf(ep[side], sizeof(ep[side]), "%s:%u", ip, r->local[side]);
	}
	o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:b, s:I, s:b, s:I}", "id",
		      (json_int_t)r->session_id, "security", r->srtp ? "srtp" : "rtp", "ext_local",
		      ep[0], "int_local", ep[1], "ext_remote",
		      addr_port(r->remote_addr[0], r->remote_port[0]), "int_remote",
		      addr_port(r->remote_addr[1], r->remote_port[1]), "rtcp_mux", r->rtcp_mux,
		      "worker", (json_int_t)worker, "installed", 1, "call", (json_int_t)r->id);
	if (o != NULL && r->ng) {
		/* made over ng: its Call-ID is the handle Kamailio knows */
		json_object_set_new(o, "call", json_null());
		json_object_set_new(o, "ng_call_id", json_string(r->call_id));
	}
	if (o != NULL)
		json_object_set_new(o, "suite",
				    r->srtp ? json_string(umedge_srtp_suite_names[r->suite %
									      UMEDGE_SRTP_SUITE_COUNT])
					    : json_null());
	return o;
}

static json_t *dir_json(const struct media_dir_stats *d)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "packets", (json_int_t)d->packets,
			 "bytes", (json_int_t)d->bytes, "rtcp_packets", (json_int_t)d->rtcp_packets,
			 "auth_fail", (json_int_t)d->auth_fail, "replay", (json_int_t)d->replay,
			 "dropped", (json_int_t)d->dropped);
}

/* show: the row and its legs, ports and media per direction. */
static json_t *show_json(const struct sip_call_row *r, unsigned worker)
{
	json_t *o = row_json(r, worker);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "caller", json_string(r->caller == 0 ? "gateway" : "application"));
	json_object_set_new(o, "answered_s", json_integer((json_int_t)(r->answered_ms / 1000)));
	json_object_set_new(
		o, "legs",
		json_pack("{s:{s:I, s:o}, s:{s:I, s:o}}", "gateway", "local_port",
			  (json_int_t)r->local[0], "remote", addr_port(r->remote_addr[0], r->remote_port[0]),
			  "application", "local_port", (json_int_t)r->local[1], "remote",
			  addr_port(r->remote_addr[1], r->remote_port[1])));
	json_object_set_new(o, "gateway_source",
			    addr_port(ntohl(r->latched_addr), r->latched_port));
	if (r->has_media)
		json_object_set_new(o, "media",
				    json_pack("{s:o, s:o}", "gateway_to_application",
					      dir_json(&r->st[MEDIA_DIR_IN]),
					      "application_to_gateway",
					      dir_json(&r->st[MEDIA_DIR_OUT])));
	return o;
}

static int cmp_id(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));

	return x < y ? -1 : x > y;
}

/* Every worker's calls, each row through fmt into one array sorted by
 * id (NULL rows skipped); NULL with err when a worker did not answer. */
static json_t *list(struct worker_sip_plane *p, unsigned n_workers,
		    json_t *(*fmt)(const struct worker_sip_plane *p, const struct sip_call_row *r,
				   unsigned worker),
		    char *err, size_t errlen)
{
	struct sip_query *q[DP_MAX_WORKERS] = { NULL };
	uint64_t deadline = now_ms() + QUERY_WAIT_MS;
	json_t *arr = json_array(), *rows[LIST_ROWS_MAX * 2];
	size_t n = 0;
	bool failed = false;

	for (unsigned w = 0; w < n_workers; w++) {
		struct worker_sip *ws = worker_sip_get(p, w);

		q[w] = query_new(Q_LIST, 0, LIST_ROWS_MAX);
		if (q[w] == NULL || ws == NULL || !post(ws, q[w])) {
			free(q[w]);
			q[w] = NULL;
			failed = true;
		}
	}
	for (unsigned w = 0; w < n_workers; w++) {
		if (q[w] == NULL)
			continue;
		if (!await(q[w], deadline)) {
			q[w] = NULL;
			failed = true;
			continue;
		}
		for (uint32_t i = 0; i < q[w]->n && n < sizeof(rows) / sizeof(rows[0]); i++)
			if ((rows[n] = fmt(p, &q[w]->rows[i], w)) != NULL)
				n++;
		free(q[w]);
	}
	if (failed) {
		snprintf(err, errlen, "a worker did not answer: calls list incomplete");
		for (size_t i = 0; i < n; i++)
			json_decref(rows[i]);
		json_decref(arr);
		return NULL;
	}
	qsort(rows, n, sizeof(rows[0]), cmp_id);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, rows[i]);
	return arr;
}

static json_t *one(struct worker_sip_plane *p, unsigned n_workers, int op, json_t *args,
		   char *err, size_t errlen)
{
	json_int_t id = json_integer_value(json_object_get(args, "id"));
	unsigned w = id >= 1 ? (unsigned)((id - 1) % n_workers) : 0;
	struct worker_sip *ws = worker_sip_get(p, w);
	struct sip_query *q;
	json_t *out = NULL;

	if (id < 1 || id > UINT32_MAX || ws == NULL) {
		snprintf(err, errlen, "a call id is a positive number");
		return NULL;
	}
	q = query_new(op, (uint32_t)id, 1);
	if (q == NULL || !post(ws, q)) {
		free(q);
		snprintf(err, errlen, "worker %u is busy: try again", w);
		return NULL;
	}
	if (!await(q, now_ms() + QUERY_WAIT_MS)) {
		snprintf(err, errlen, "worker %u did not answer", w);
		return NULL;
	}
	if (q->rc == -ENOENT)
		snprintf(err, errlen, "no call %lld", (long long)id);
	else if (q->rc == -EBUSY)
		snprintf(err, errlen, "call %lld is not answered yet: it ends with its set-up",
			 (long long)id);
	else if (op == Q_SHOW)
		out = show_json(&q->rows[0], w);
	else
		out = json_pack("{s:I, s:s}", "dropped", (json_int_t)id, "reason",
				"BYE sent to both sides");
	free(q);
	return out;
}

json_t *worker_sip_calls_request(void *arg, const char *req, json_t *args, char *err,
				 size_t errlen)
{
	struct worker_sip_plane *p = arg;
	unsigned n = worker_sip_n_workers(p);

	if (strcmp(req, "calls.list") == 0)
		return list(p, n, list_row, err, errlen);
	if (strcmp(req, "calls.show") == 0)
		return one(p, n, Q_SHOW, args, err, errlen);
	if (strcmp(req, "calls.drop") == 0)
		return one(p, n, Q_DROP, args, err, errlen);
	snprintf(err, errlen, "unknown request %s", req);
	return NULL;
}

void worker_sip_queries_fini(struct worker_sip *ws)
{
	void *q;

	/* the workers stopped: nobody waits for these any more */
	while (ws->query != NULL && rte_ring_sc_dequeue(ws->query, &q) == 0)
		free(q);
}

json_t *worker_sip_media_rows(void *arg)
{
	struct worker_sip_plane *p = arg;
	char err[128];

	return list(p, worker_sip_n_workers(p), media_row, err, sizeof(err));
}
