/*
 * sip_capture.c: SIP capture into pcap (sip_capture.h).
 *
 * Worker side (sip_capture_copy): one record per message into the
 * worker's byte ring, a single-producer single-consumer ring: the worker
 * owns head, the main lcore tail. A record that would not fit before the
 * end of the ring is preceded by a filler (or, with less room than a
 * header, by nothing: the reader skips such a tail end too). Records carry
 * the capture's generation, so what a worker wrote just as one capture
 * ended is never read into the next.
 *
 * Main lcore: each record becomes one pcap packet (lib/pcap.c) with the
 * engine's address on the message's side and the peer's, TCP sequence
 * numbers counted per flow so that Wireshark's stream view lines up.
 */
#include "sip_capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "pcap.h"
#include "worker_sip.h"
#include "worker_sip_int.h"

#define CAP_FLOWS 4096		/* TCP flows whose sequence numbers are tracked */
#define CAP_MAX_COUNT 10000000u
#define CAP_MAX_SECONDS 86400u
#define CAP_FILE_BUFFER (256u << 10)

struct cap_rec {
	uint32_t rec_len;	/* the whole record, a multiple of 8 */
	uint32_t len;		/* message bytes after the header; 0 and gen 0: a filler */
	uint32_t gen;
	uint8_t out, transport, side, pad;
	uint64_t tsc;
	uint32_t peer;		/* host order */
	uint16_t peer_port, local_port;
};

struct cap_flow {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t next_seq;
	bool used;
};

struct sip_capture {
	struct worker_sip_plane *p;
	uint32_t gen;		/* of the running or last capture */
	bool running, ever;
	/* the running or last capture */
	char path[PATH_MAX];
	char gateway[CONFIG_NAME_MAX];
	uint32_t peer;		/* host order, 0: every peer */
	uint64_t max_count, limit_s;
	uint64_t start_tsc, deadline_tsc, stop_tsc;
	uint64_t wall_us0;
	double us_per_tsc;
	bool keep_keys;
	FILE *f;
	uint64_t messages, bytes, redacted, dropped;
	uint64_t drops0[DP_MAX_WORKERS];
	char stopped_by[16];
	char error[200];
	struct cap_flow flows[CAP_FLOWS];
	uint8_t scratch[PCAP_RECORD_OVERHEAD + 65536];
};

/* ---- worker side ---- */

void sip_capture_copy(struct worker_sip *ws, uint32_t gen, bool out, uint8_t transport,
		      uint8_t side, uint32_t peer, uint16_t peer_port, uint16_t local_port,
		      const char *buf, size_t len)
{
	struct sip_capture_tap *t = &ws->cap;
	uint32_t want = __atomic_load_n(&t->peer, __ATOMIC_RELAXED);
	uint64_t head = t->head;
	size_t need = (sizeof(struct cap_rec) + len + 7) & ~(size_t)7;
	size_t off = head & (SIP_CAPTURE_RING - 1), room = SIP_CAPTURE_RING - off;
	size_t skip = room < need ? room : 0;
	struct cap_rec *r;

	if (want != 0 && want != peer)
		return;
	/* the consumer's tail is read only when our copy says the ring is
	 * full: its cache line stays on the main lcore most of the time */
	if (SIP_CAPTURE_RING - (head - t->tail_seen) < skip + need)
		t->tail_seen = __atomic_load_n(&t->tail, __ATOMIC_ACQUIRE);
	if (need > SIP_CAPTURE_RING / 4 || SIP_CAPTURE_RING - (head - t->tail_seen) < skip + need) {
		t->drops++;
		return;
	}
	if (skip != 0) {
		if (skip >= sizeof(*r)) {
			r = (struct cap_rec *)(t->ring + off);
			*r = (struct cap_rec){ .rec_len = (uint32_t)skip };
		}
		head += skip;
		off = 0;
	}
	r = (struct cap_rec *)(t->ring + off);
	*r = (struct cap_rec){ .rec_len = (uint32_t)need, .len = (uint32_t)len, .gen = gen,
			       .out = out, .transport = transport, .side = side,
			       .tsc = ws->w->net.now, .peer = peer, .peer_port = peer_port,
			       .local_port = local_port };
	memcpy(r + 1, buf, len);
	__atomic_store_n(&t->head, head + need, __ATOMIC_RELEASE);
}

/* ---- main lcore ---- */

struct sip_capture *sip_capture_new(struct worker_sip_plane *p)
{
	struct sip_capture *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->p = p;
	return c;
}

bool sip_capture_running(const struct sip_capture *c)
{
	return c != NULL && c->running;
}

static struct cap_flow *flow(struct sip_capture *c, uint32_t src, uint32_t dst, uint16_t sport,
			     uint16_t dport, bool add)
{
	uint32_t h = (src * 2654435761u) ^ (dst * 40503u) ^ ((uint32_t)sport << 16 | dport);

	for (unsigned i = 0; i < 16; i++) {
		struct cap_flow *f = &c->flows[(h + i) & (CAP_FLOWS - 1)];
		if (f->used && f->src == src && f->dst == dst && f->sport == sport &&
		    f->dport == dport)
			return f;
		if (!f->used) {
			if (!add)
				return NULL;
			*f = (struct cap_flow){ .src = src, .dst = dst, .sport = sport,
						.dport = dport, .next_seq = 1, .used = true };
			return f;
		}
	}
	return NULL; /* a crowded neighbourhood: this flow's numbers start at 1 each time */
}

static void finish(struct sip_capture *c, const char *why, const char *error);

static void write_rec(struct sip_capture *c, const struct cap_rec *r, char *msg)
{
	uint32_t local = rte_be_to_cpu_32(worker_sip_local_addr(c->p, r->side));
	struct pcap_pkt pk = {
		.src = r->out ? local : r->peer, .dst = r->out ? r->peer : local,
		.sport = r->out ? r->local_port : r->peer_port,
		.dport = r->out ? r->peer_port : r->local_port,
		.l4 = r->transport == UMEDGE_TRANSPORT_UDP ? PCAP_UDP : PCAP_TCP,
	};
	size_t n;

	if (c->max_count != 0 && c->messages >= c->max_count)
		return; /* past the count: the workers had not seen the stop yet */
	pk.ts_us = c->wall_us0 + (uint64_t)((double)(r->tsc - c->start_tsc) * c->us_per_tsc);
	if (r->tsc < c->start_tsc)
		pk.ts_us = c->wall_us0;
	if (pk.l4 == PCAP_TCP) {
		struct cap_flow *f = flow(c, pk.src, pk.dst, pk.sport, pk.dport, true);
		struct cap_flow *b = flow(c, pk.dst, pk.src, pk.dport, pk.sport, false);
		pk.seq = f != NULL ? f->next_seq : 1;
		pk.ack = b != NULL ? b->next_seq : 1;
		if (f != NULL)
			f->next_seq += r->len;
	}
	if (!c->keep_keys)
		c->redacted += sip_redact_keys(msg, r->len);
	n = pcap_record(c->scratch, sizeof(c->scratch), &pk, msg, r->len);
	if (n == 0 || fwrite(c->scratch, 1, n, c->f) != n) {
		char e[160];
		/* the path is in the status beside it */
		snprintf(e, sizeof(e), "write: %s", n == 0 ? "record too big" : strerror(errno));
		finish(c, "error", e);
		return;
	}
	c->messages++;
	c->bytes += n;
}

static void drain(struct sip_capture *c, struct worker_sip *ws)
{
	struct sip_capture_tap *t = &ws->cap;
	uint64_t head, tail = t->tail;

	if (t->ring == NULL)
		return;
	head = __atomic_load_n(&t->head, __ATOMIC_ACQUIRE);
	while (tail != head) {
		size_t off = tail & (SIP_CAPTURE_RING - 1), room = SIP_CAPTURE_RING - off;
		struct cap_rec *r = (struct cap_rec *)(t->ring + off);

		if (room < sizeof(*r)) {
			tail += room; /* too short for a header: the writer skipped it */
			continue;
		}
		if (r->rec_len < sizeof(*r) || r->rec_len > room || r->rec_len > head - tail) {
			tail = head; /* cannot happen; never loop on it */
			break;
		}
		if (r->gen == c->gen && r->len != 0 && c->running)
			write_rec(c, r, (char *)(r + 1));
		tail += r->rec_len;
	}
	__atomic_store_n(&t->tail, tail, __ATOMIC_RELEASE);
}

static void drain_all(struct sip_capture *c)
{
	for (unsigned i = 0; i < worker_sip_n_workers(c->p); i++)
		drain(c, worker_sip_get(c->p, i));
}

/* Messages the workers dropped since this capture started (ring full). */
static uint64_t drops_since_start(const struct sip_capture *c)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < worker_sip_n_workers(c->p); i++)
		n += __atomic_load_n(&worker_sip_get(c->p, i)->cap.drops, __ATOMIC_RELAXED) -
		     c->drops0[i];
	return n;
}

static void finish(struct sip_capture *c, const char *why, const char *error)
{
	unsigned n = worker_sip_n_workers(c->p);

	if (!c->running)
		return;
	for (unsigned i = 0; i < n; i++)
		__atomic_store_n(&worker_sip_get(c->p, i)->cap.gen, 0, __ATOMIC_RELEASE);
	if (error == NULL) {
		/* what was already in the rings belongs in the file */
		drain_all(c);
		if (!c->running)
			return; /* finished by a write error meanwhile */
	}
	c->running = false;
	c->stop_tsc = rte_rdtsc();
	c->dropped = drops_since_start(c);
	snprintf(c->stopped_by, sizeof(c->stopped_by), "%s", why);
	if (error != NULL)
		snprintf(c->error, sizeof(c->error), "%s", error);
	if (c->f != NULL) {
		if ((fflush(c->f) != 0 || fsync(fileno(c->f)) != 0) && c->error[0] == '\0')
			snprintf(c->error, sizeof(c->error), "write: %s", strerror(errno));
		if (fclose(c->f) != 0 && c->error[0] == '\0')
			snprintf(c->error, sizeof(c->error), "close: %s", strerror(errno));
		c->f = NULL;
	}
	RTE_LOG(INFO, USER1, "capture: %s: %llu messages, %llu dropped, stopped by %s%s%s\n",
		c->path, (unsigned long long)c->messages, (unsigned long long)c->dropped, why,
		c->error[0] ? ": " : "", c->error);
}

void sip_capture_poll(struct sip_capture *c)
{
	if (!sip_capture_running(c))
		return;
	drain_all(c);
	if (!c->running)
		return;
	if (c->max_count != 0 && c->messages >= c->max_count)
		finish(c, "count", NULL);
	else if (rte_rdtsc() >= c->deadline_tsc)
		finish(c, c->limit_s != 0 ? "time" : "time limit", NULL);
}

void sip_capture_free(struct sip_capture *c)
{
	if (c == NULL)
		return;
	finish(c, "shutdown", NULL);
	for (unsigned i = 0; i < worker_sip_n_workers(c->p); i++) {
		struct worker_sip *ws = worker_sip_get(c->p, i);
		rte_free(ws->cap.ring);
		ws->cap.ring = NULL;
	}
	free(c);
}

static json_t *status(const struct sip_capture *c)
{
	uint64_t end = c->running ? rte_rdtsc() : c->stop_tsc;
	double secs = (double)(end - c->start_tsc) / (double)rte_get_tsc_hz();
	uint64_t dropped = c->running ? drops_since_start(c) : c->dropped;

	if (!c->ever)
		return json_pack("{s:s}", "state", "idle");
	return json_pack("{s:s, s:s, s:s*, s:I, s:I, s:I, s:s, s:I, s:f, s:I, s:I, s:s*, s:s*}",
			 "state", c->running ? "running" : "done", "path", c->path, "gateway",
			 c->gateway[0] ? c->gateway : NULL, "messages", (json_int_t)c->messages,
			 "bytes", (json_int_t)c->bytes, "dropped", (json_int_t)dropped, "keys",
			 c->keep_keys ? "kept" : "redacted", "redacted", (json_int_t)c->redacted,
			 "seconds", secs, "limit_seconds", (json_int_t)c->limit_s, "limit_count",
			 (json_int_t)c->max_count, "stopped_by",
			 c->running ? NULL : c->stopped_by, "error", c->error[0] ? c->error : NULL);
}

/* Unsigned integer argument in [0, max], 0 when absent. */
static int arg_uint(json_t *args, const char *key, uint64_t max, uint64_t *out, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(args, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		snprintf(err, errlen, "%s must be an integer 0..%llu", key, (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static json_t *start(struct sip_capture *c, json_t *args, char *err, size_t errlen)
{
	const char *path = json_string_value(json_object_get(args, "path"));
	const char *gw = json_string_value(json_object_get(args, "gateway"));
	const char *gw_addr = json_string_value(json_object_get(args, "gateway_addr"));
	json_t *keep = json_object_get(args, "keep_keys");
	unsigned n = worker_sip_n_workers(c->p);
	uint64_t seconds, count;
	struct in_addr a = { 0 };
	struct timespec now;
	uint8_t hdr[PCAP_FILE_HEADER_LEN];
	int fd = -1;

	if (c->running) {
		snprintf(err, errlen, "a capture is running (%llu messages so far to %s): "
			 "umedgectl capture stop first", (unsigned long long)c->messages, c->path);
		return NULL;
	}
	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof(c->path)) {
		snprintf(err, errlen, "path must be an absolute file name");
		return NULL;
	}
	if ((gw_addr != NULL && inet_pton(AF_INET, gw_addr, &a) != 1) ||
	    (gw != NULL && strlen(gw) >= sizeof(c->gateway))) {
		snprintf(err, errlen, "gateway_addr must be an IPv4 address");
		return NULL;
	}
	if ((keep != NULL && !json_is_boolean(keep)) ||
	    arg_uint(args, "seconds", CAP_MAX_SECONDS, &seconds, err, errlen) < 0 ||
	    arg_uint(args, "count", CAP_MAX_COUNT, &count, err, errlen) < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "keep_keys must be true or false");
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		struct worker_sip *ws = worker_sip_get(c->p, i);
		if (ws->cap.ring == NULL)
			ws->cap.ring = rte_malloc("sip_capture", SIP_CAPTURE_RING, RTE_CACHE_LINE_SIZE);
		if (ws->cap.ring == NULL) {
			snprintf(err, errlen, "no memory for the capture rings (%u KiB a worker)",
				 SIP_CAPTURE_RING >> 10);
			return NULL;
		}
	}
	/* the capture holds SIP as the engine sees it: only its owner reads it */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	c->f = fdopen(fd, "w");
	if (c->f == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	fd = -1;
	setvbuf(c->f, NULL, _IOFBF, CAP_FILE_BUFFER);
	pcap_file_header(hdr);
	if (fwrite(hdr, 1, sizeof(hdr), c->f) != sizeof(hdr)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->gateway, sizeof(c->gateway), "%s", gw != NULL ? gw : "");
	c->peer = rte_be_to_cpu_32(a.s_addr);
	c->keep_keys = json_is_true(keep);
	c->max_count = count;
	c->limit_s = seconds;
	c->messages = c->bytes = c->redacted = c->dropped = 0;
	c->stopped_by[0] = c->error[0] = '\0';
	memset(c->flows, 0, sizeof(c->flows));
	clock_gettime(CLOCK_REALTIME, &now);
	c->wall_us0 = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	c->start_tsc = rte_rdtsc();
	c->us_per_tsc = 1e6 / (double)rte_get_tsc_hz();
	c->deadline_tsc = c->start_tsc +
			  (seconds != 0 ? seconds : SIP_CAPTURE_MAX_S) * rte_get_tsc_hz();
	if (++c->gen == 0)
		c->gen = 1;
	for (unsigned i = 0; i < n; i++) {
		struct sip_capture_tap *t = &worker_sip_get(c->p, i)->cap;
		c->drops0[i] = __atomic_load_n(&t->drops, __ATOMIC_RELAXED);
		__atomic_store_n(&t->peer, c->peer, __ATOMIC_RELAXED);
		/* what an earlier capture left behind is not read */
		__atomic_store_n(&t->tail, __atomic_load_n(&t->head, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
		__atomic_store_n(&t->gen, c->gen, __ATOMIC_RELEASE);
	}
	c->running = c->ever = true;
	RTE_LOG(INFO, USER1, "capture: started to %s%s%s, keys %s\n", c->path,
		c->gateway[0] ? ", gateway " : "", c->gateway, c->keep_keys ? "kept" : "redacted");
	return status(c);
fail:
	if (c->f != NULL)
		fclose(c->f);
	c->f = NULL;
	if (fd >= 0)
		close(fd);
	return NULL;
}

json_t *sip_capture_request(void *arg, const char *req, json_t *args, char *err,
			    size_t errlen)
{
	struct sip_capture *c = arg;

	if (strcmp(req, "capture.start") == 0)
		return start(c, args, err, errlen);
	if (strcmp(req, "capture.status") == 0)
		return status(c);
	if (strcmp(req, "capture.stop") == 0) {
		if (!c->running && !c->ever) {
			snprintf(err, errlen, "no capture has run");
			return NULL;
		}
		finish(c, "operator", NULL);
		return status(c);
	}
	snprintf(err, errlen, "unknown request %s", req);
	return NULL;
}
