/* The media engine's main-lcore half: requests, registry, ports, hand-off
 * to workers, idle scan, counters. */
#include "media_ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "dispatch.h"
#include "dp.h"
#include "srtp_backend.h"

#define MEDIA_ACK_WAIT_MS 2000
#define MEDIA_SCAN_MS 1000
#define MEDIA_CMD_REMOVE ((uintptr_t)1)

struct media_engine {
	struct media_engine_conf conf;
	struct media_worker *mw[DP_MAX_WORKERS];
	/* per local port pair (index port / 2): taken. Claimed by compare-and-
	 * swap, so the main lcore (media add) and the workers (their calls'
	 * media) take pairs at once without a lock. */
	uint8_t *used[NET_N_IFACES];
	/* where the next search starts, per side and owner (slot 0: any
	 * owner); a hint only, read and written relaxed */
	uint32_t cursor[NET_N_IFACES][DP_MAX_WORKERS + 1];
	struct media_session **sess;          /* registry, by insertion */
	size_t n_sess, cap_sess;
	uint32_t next_id;
	uint64_t hz;
	uint64_t next_scan_ms;
	uint64_t added, removed, idle_events;
	json_t *(*extra_list)(void *arg);	/* the calls' sessions */
	void *extra_arg;
};

void media_engine_on_list(struct media_engine *e, json_t *(*fn)(void *arg), void *arg)
{
	e->extra_list = fn;
	e->extra_arg = arg;
}

/* What media_srtp_engine_init() chose and why: start-up log and status. */
static char e_why[256];

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct media_engine *media_engine_new(const struct media_engine_conf *conf)
{
	struct media_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->conf = *conf;
	e->hz = rte_get_tsc_hz();
	e->next_id = 1;
	if (conf->n_workers < 1 || conf->n_workers > DP_MAX_WORKERS)
		goto fail;
	if (srtp_backend_register() != 0) {
		fprintf(stderr, "media: the SRTP backend did not register\n");
		goto fail;
	}
	if (media_srtp_engine_init(conf->srtp_engine, e_why, sizeof(e_why)) != 0) {
		fprintf(stderr, "umedge-dataplane: %s\n", e_why);
		goto fail;
	}
	printf("umedge-dataplane: %s\n", e_why);
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		e->used[i] = calloc(MEDIA_PORTS / 2, 1);
		if (e->used[i] == NULL)
			goto fail;
	}
	for (unsigned i = 0; i < conf->n_workers; i++) {
		e->mw[i] = media_worker_new(i, conf->socket);
		if (e->mw[i] == NULL)
			goto fail;
	}
	return e;
fail:
	media_engine_free(e);
	return NULL;
}

struct media_worker *media_engine_worker(struct media_engine *e, unsigned i)
{
	return i < e->conf.n_workers ? e->mw[i] : NULL;
}

void media_engine_free(struct media_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_sess; i++)
		media_session_free(e->sess[i]);
	free(e->sess);
	for (unsigned i = 0; i < DP_MAX_WORKERS; i++)
		media_worker_free(e->mw[i]);
	for (unsigned i = 0; i < NET_N_IFACES; i++)
		free(e->used[i]);
	free(e);
}

/* ports ----------------------------------------------------------------- */

int media_ports_take(struct media_engine *e, unsigned iface, int owner, uint16_t *port)
{
	uint32_t first = (e->conf.first[iface] + 1u) & ~1u;
	uint32_t last = e->conf.last[iface];
	unsigned slot = owner >= 0 && owner < DP_MAX_WORKERS ? (unsigned)owner + 1 : 0;
	uint32_t *cursor = &e->cursor[iface][slot];

	if (iface >= NET_N_IFACES || last == 0 || first + 1 > last)
		return -ENOSPC;
	uint32_t pairs = (last - first + 1) / 2;
	uint32_t start = __atomic_load_n(cursor, __ATOMIC_RELAXED) % pairs;
	for (uint32_t k = 0; k < pairs; k++) {
		uint32_t i = (start + k) % pairs;
		uint32_t p = first + 2 * i;
		uint8_t *u = &e->used[iface][p / 2];
		uint8_t free_ = 0;

		if (__atomic_load_n(u, __ATOMIC_RELAXED) != 0)
			continue;
		if (owner >= 0 &&
		    dispatch_owner(dispatch_media_key((uint16_t)p), e->conf.n_workers) !=
			    (unsigned)owner)
			continue;
		if (!__atomic_compare_exchange_n(u, &free_, 1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;	/* another core took it first */
		/* round robin: a freed pair is not reused at once (late packets) */
		__atomic_store_n(cursor, (i + 1) % pairs, __ATOMIC_RELAXED);
		*port = (uint16_t)p;
		return 0;
	}
	return -ENOSPC;
}

void media_ports_put(struct media_engine *e, unsigned iface, uint16_t port)
{
	if (iface < NET_N_IFACES)
		__atomic_store_n(&e->used[iface][port / 2], 0, __ATOMIC_RELEASE);
}

/* registry -------------------------------------------------------------- */

static struct media_session *find(const struct media_engine *e, json_int_t id, size_t *at)
{
	for (size_t i = 0; i < e->n_sess; i++)
		if ((json_int_t)e->sess[i]->id == id) {
			if (at != NULL)
				*at = i;
			return e->sess[i];
		}
	return NULL;
}

static int reg_add(struct media_engine *e, struct media_session *s)
{
	if (e->n_sess == e->cap_sess) {
		size_t cap = e->cap_sess ? e->cap_sess * 2 : 256;
		struct media_session **p = realloc(e->sess, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		e->sess = p;
		e->cap_sess = cap;
	}
	e->sess[e->n_sess++] = s;
	return 0;
}

static void reg_del(struct media_engine *e, size_t at)
{
	memmove(&e->sess[at], &e->sess[at + 1], (e->n_sess - at - 1) * sizeof(e->sess[0]));
	e->n_sess--;
}

/* Free a session the worker no longer holds (or never held). */
static void destroy(struct media_engine *e, struct media_session *s)
{
	size_t at;

	if (find(e, s->id, &at) == s)
		reg_del(e, at);
	media_ports_put(e, NET_IFACE_EXTERNAL, s->ext_local);
	media_ports_put(e, NET_IFACE_INTERNAL, s->int_local);
	media_session_free(s);
	e->removed++;
}

/* An acknowledgement from a worker: an add took effect, or a removed
 * session can be freed. */
static void completed(struct media_engine *e, void *obj)
{
	uintptr_t v = (uintptr_t)obj;
	struct media_session *s = (struct media_session *)(v & ~MEDIA_CMD_REMOVE);

	if (v & MEDIA_CMD_REMOVE)
		destroy(e, s);
	else
		s->installed = true;
}

static void drain(struct media_engine *e, unsigned w, void *want, bool *seen)
{
	void *objs[16];
	unsigned n;

	while ((n = rte_ring_dequeue_burst(e->mw[w]->done, objs, RTE_DIM(objs), NULL)) > 0)
		for (unsigned i = 0; i < n; i++) {
			if (objs[i] == want)
				*seen = true;
			completed(e, objs[i]);
		}
}

/* Hand a command to the session's worker and wait (bounded) for it. */
static int command(struct media_engine *e, struct media_session *s, bool remove)
{
	void *obj = (void *)((uintptr_t)s | (remove ? MEDIA_CMD_REMOVE : 0));
	struct media_worker *mw = e->mw[s->worker];
	bool seen = false;

	if (rte_ring_enqueue(mw->cmd, obj) != 0)
		return -EBUSY;
	uint64_t deadline = mono_ms() + MEDIA_ACK_WAIT_MS;
	for (;;) {
		drain(e, s->worker, obj, &seen);
		if (seen)
			return 0;
		if (mono_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(20);
	}
}

/* requests -------------------------------------------------------------- */

static int parse_endpoint(const char *v, uint32_t *ip, uint16_t *port)
{
	char a[INET_ADDRSTRLEN + 1];
	const char *colon = v != NULL ? strrchr(v, ':') : NULL;
	struct in_addr in;
	char *end;
	long p;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(a))
		return -1;
	memcpy(a, v, (size_t)(colon - v));
	a[colon - v] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (inet_pton(AF_INET, a, &in) != 1 || *end != '\0' || end == colon + 1 || p < 1 ||
	    p > 65534)
		return -1;
	*ip = in.s_addr;
	*port = (uint16_t)p;
	return 0;
}

/* Base64 of exactly len octets (SDES inline key: master key || salt). */
static int decode_key(const char *b64, uint8_t *out, size_t len)
{
	uint8_t raw[MEDIA_KEY_MAX + 3];
	size_t blen = b64 != NULL ? strlen(b64) : 0;
	size_t pad = 0;
	int n, rc = -1;

	if (blen != ((len + 2) / 3) * 4)
		goto out;
	while (pad < 2 && pad < blen && b64[blen - 1 - pad] == '=')
		pad++;
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen);
	if (n < 0 || (size_t)n - pad != len)
		goto out;
	memcpy(out, raw, len);
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

static void fmt_ep(char *buf, size_t len, uint32_t ip, uint16_t port)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, (unsigned)port);
}

static json_t *ep_json(uint32_t ip, uint16_t port)
{
	char b[INET_ADDRSTRLEN + 8];

	fmt_ep(b, sizeof(b), ip, port);
	return json_string(b);
}

/* A key string of args, wiped in place before args is freed. */
static void wipe_string(json_t *args, const char *field)
{
	json_t *v = json_object_get(args, field);

	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
}

static json_t *media_add(struct media_engine *e, json_t *args, char *err, size_t errlen)
{
	struct media_session_params p;
	struct media_session *s = NULL;
	const char *sec = json_string_value(json_object_get(args, "security"));
	const char *suite_name = json_string_value(json_object_get(args, "suite"));
	/* umedgectl's --rtcp-mux arrives as "rtcp-mux"; "rtcp_mux" is accepted too */
	json_t *mux = json_object_get(args, "rtcp-mux") ? json_object_get(args, "rtcp-mux")
						       : json_object_get(args, "rtcp_mux");
	json_t *res = NULL;
	bool ext_taken = false, int_taken = false;
	int rc;

	memset(&p, 0, sizeof(p));
	if (parse_endpoint(json_string_value(json_object_get(args, "ext_remote")),
			   &p.ext_remote_ip, &p.ext_remote_port) != 0 ||
	    parse_endpoint(json_string_value(json_object_get(args, "int_remote")),
			   &p.int_remote_ip, &p.int_remote_port) != 0) {
		snprintf(err, errlen, "ext_remote and int_remote must be IPv4:PORT (1..65534)");
		goto out;
	}
	if (sec == NULL || (strcmp(sec, "srtp") != 0 && strcmp(sec, "rtp") != 0)) {
		snprintf(err, errlen, "security must be srtp or rtp");
		goto out;
	}
	if (mux != NULL && !json_is_boolean(mux)) {
		snprintf(err, errlen, "rtcp_mux must be true or false");
		goto out;
	}
	p.rtcp_mux = json_is_true(mux);
	p.srtp = strcmp(sec, "srtp") == 0;
	if (p.srtp) {
		int suite = suite_name != NULL ? umedge_srtp_suite_parse(suite_name) : -1;
		int klen = suite >= 0 ? srtp_backend_suite_master_len((enum umedge_srtp_suite)suite)
				      : -1;
		if (klen < 0) {
			snprintf(err, errlen, "unknown or missing SRTP suite");
			goto out;
		}
		p.suite = (enum umedge_srtp_suite)suite;
		if (decode_key(json_string_value(json_object_get(args, "ext_rx_key")), p.rx_key,
			       (size_t)klen) != 0 ||
		    decode_key(json_string_value(json_object_get(args, "ext_tx_key")), p.tx_key,
			       (size_t)klen) != 0) {
			snprintf(err, errlen, "ext_rx_key and ext_tx_key must be base64 of %d octets",
				 klen);
			goto out;
		}
	}
	if (media_ports_take(e, NET_IFACE_EXTERNAL, -1, &p.ext_local) != 0) {
		snprintf(err, errlen, "no free external media port pair");
		goto out;
	}
	ext_taken = true;
	unsigned owner = dispatch_owner(dispatch_media_key(p.ext_local), e->conf.n_workers);
	if (media_ports_take(e, NET_IFACE_INTERNAL, (int)owner, &p.int_local) != 0) {
		snprintf(err, errlen, "no free internal media port pair on worker %u", owner);
		goto out;
	}
	int_taken = true;
	rc = media_session_new(&p, e->next_id, &s);
	if (rc != 0) {
		snprintf(err, errlen, "cannot build the session (%s)", strerror(-rc));
		goto out;
	}
	s->worker = owner;
	if (reg_add(e, s) != 0) {
		snprintf(err, errlen, "out of memory");
		media_session_free(s);
		s = NULL;
		goto out;
	}
	e->next_id++;
	e->added++;
	ext_taken = int_taken = false; /* the session holds them now */
	rc = command(e, s, false);
	if (rc != 0) {
		/* a worker that does not answer keeps the session queued; it is
		 * listed and can be removed once the worker runs again */
		snprintf(err, errlen, "worker %u did not take session %u (%s)", owner, s->id,
			 strerror(-rc));
		goto out;
	}
	res = json_object();
	json_object_set_new(res, "id", json_integer(s->id));
	json_object_set_new(res, "ext_local",
			    ep_json(e->conf.local_addr[NET_IFACE_EXTERNAL], s->ext_local));
	json_object_set_new(res, "int_local",
			    ep_json(e->conf.local_addr[NET_IFACE_INTERNAL], s->int_local));
	json_object_set_new(res, "security", json_string(sec));
	json_object_set_new(res, "rtcp_mux", json_boolean(s->rtcp_mux));
	json_object_set_new(res, "worker", json_integer(s->worker));
	if (p.srtp) {
		json_object_set_new(res, "suite", json_string(umedge_srtp_suite_name(s->suite)));
		/* copies: the request's strings are wiped before it is freed */
		json_object_set_new(res, "ext_rx_key",
				    json_string(json_string_value(json_object_get(args, "ext_rx_key"))));
		json_object_set_new(res, "ext_tx_key",
				    json_string(json_string_value(json_object_get(args, "ext_tx_key"))));
	} else {
		json_object_set_new(res, "suite", json_null());
	}
out:
	if (ext_taken)
		media_ports_put(e, NET_IFACE_EXTERNAL, p.ext_local);
	if (int_taken)
		media_ports_put(e, NET_IFACE_INTERNAL, p.int_local);
	OPENSSL_cleanse(&p, sizeof(p));
	return res;
}

static json_t *summary(const struct media_engine *e, const struct media_session *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "security", json_string(s->srtp ? "srtp" : "rtp"));
	json_object_set_new(o, "suite", s->srtp ? json_string(umedge_srtp_suite_name(s->suite))
						: json_null());
	json_object_set_new(o, "ext_local",
			    ep_json(e->conf.local_addr[NET_IFACE_EXTERNAL], s->ext_local));
	json_object_set_new(o, "int_local",
			    ep_json(e->conf.local_addr[NET_IFACE_INTERNAL], s->int_local));
	json_object_set_new(o, "ext_remote", ep_json(s->ext_remote_ip, s->ext_remote_port));
	json_object_set_new(o, "int_remote", ep_json(s->int_remote_ip, s->int_remote_port));
	json_object_set_new(o, "rtcp_mux", json_boolean(s->rtcp_mux));
	json_object_set_new(o, "worker", json_integer(s->worker));
	json_object_set_new(o, "installed", json_boolean(s->installed));
	return o;
}

static uint64_t rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static json_t *dir_json(const struct media_engine *e, const struct media_dir_stats *st)
{
	uint64_t last = rd(&st->last_tsc);
	json_t *o = json_object();

	json_object_set_new(o, "packets", json_integer((json_int_t)rd(&st->packets)));
	json_object_set_new(o, "bytes", json_integer((json_int_t)rd(&st->bytes)));
	json_object_set_new(o, "rtcp_packets", json_integer((json_int_t)rd(&st->rtcp_packets)));
	json_object_set_new(o, "decrypt_failures", json_integer((json_int_t)rd(&st->auth_fail)));
	json_object_set_new(o, "replay_drops", json_integer((json_int_t)rd(&st->replay)));
	json_object_set_new(o, "other_drops", json_integer((json_int_t)rd(&st->dropped)));
	if (last == 0) {
		json_object_set_new(o, "last_packet", json_null());
	} else {
		uint64_t now = rte_rdtsc();
		double ago = now > last ? (double)(now - last) / (double)e->hz : 0.0;
		time_t t = time(NULL) - (time_t)ago;
		struct tm tm;
		char b[32];
		gmtime_r(&t, &tm);
		strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(o, "last_packet", json_string(b));
		json_object_set_new(o, "last_packet_ago_s", json_real(ago));
	}
	return o;
}

/* A call's session (made on its worker, not registered here): its row of
 * media list (new reference), or NULL. */
static json_t *call_session_row(struct media_engine *e, json_t *id)
{
	json_t *rows, *row, *found = NULL;
	size_t i;

	if (!json_is_integer(id) || json_integer_value(id) < 0x80000000LL ||
	    e->extra_list == NULL)
		return NULL;
	rows = e->extra_list(e->extra_arg);
	json_array_foreach(rows, i, row) {
		if (json_equal(json_object_get(row, "id"), id)) {
			found = json_incref(row);
			break;
		}
	}
	json_decref(rows);
	return found;
}

static json_t *media_show(struct media_engine *e, json_t *args, char *err, size_t errlen)
{
	json_t *id = json_object_get(args, "id");
	struct media_session *s = json_is_integer(id) ? find(e, json_integer_value(id), NULL)
						      : NULL;

	if (s == NULL) {
		/* a call's session: its row, the call's own verbs for more */
		json_t *row = call_session_row(e, id);

		if (row != NULL)
			return row;
		snprintf(err, errlen, "no media session %lld",
			 json_is_integer(id) ? (long long)json_integer_value(id) : -1LL);
		return NULL;
	}
	json_t *o = summary(e, s);
	/* the gateway's source as latched by the worker (read racily: two
	 * words a worker may be rewriting; display only) */
	json_object_set_new(o, "gateway_rtp",
			    ep_json(__atomic_load_n(&s->gw_ip[0], __ATOMIC_RELAXED),
				    __atomic_load_n(&s->gw_port[0], __ATOMIC_RELAXED)));
	json_object_set_new(o, "gateway_rtcp",
			    ep_json(__atomic_load_n(&s->gw_ip[1], __ATOMIC_RELAXED),
				    __atomic_load_n(&s->gw_port[1], __ATOMIC_RELAXED)));
	json_object_set_new(o, "gateway_to_app", dir_json(e, &s->st[MEDIA_DIR_IN]));
	json_object_set_new(o, "app_to_gateway", dir_json(e, &s->st[MEDIA_DIR_OUT]));
	json_object_set_new(o, "idle", json_boolean(s->idle_raised));
	return o;
}

static json_t *media_remove(struct media_engine *e, json_t *args, char *err, size_t errlen)
{
	json_t *id = json_object_get(args, "id");
	struct media_session *s = json_is_integer(id) ? find(e, json_integer_value(id), NULL)
						      : NULL;
	int rc;

	if (s == NULL || s->removing) {
		json_t *row = s == NULL ? call_session_row(e, id) : NULL;

		if (row != NULL && json_is_string(json_object_get(row, "ng_call_id"))) {
			/* made over ng: the SIP proxy that made it deletes it */
			snprintf(err, errlen,
				 "media session %lld was made over ng (Call-ID %.100s): the "
				 "controlling proxy's delete removes it, or its idle timeout",
				 (long long)json_integer_value(id),
				 json_string_value(json_object_get(row, "ng_call_id")));
			json_decref(row);
			return NULL;
		}
		if (row != NULL) {
			/* the call owns it: ending the call removes it, with BYEs */
			snprintf(err, errlen,
				 "media session %lld belongs to call %lld: end the call with "
				 "umedgectl calls drop %lld",
				 (long long)json_integer_value(id),
				 (long long)json_integer_value(json_object_get(row, "call")),
				 (long long)json_integer_value(json_object_get(row, "call")));
			json_decref(row);
			return NULL;
		}
		snprintf(err, errlen, "no media session %lld",
			 json_is_integer(id) ? (long long)json_integer_value(id) : -1LL);
		return NULL;
	}
	json_int_t sid = s->id;
	s->removing = true;
	/* the acknowledgement frees it (completed) */
	rc = command(e, s, true);
	if (rc != 0) {
		snprintf(err, errlen, "worker did not release session %lld (%s); it goes when the worker answers",
			 (long long)sid, strerror(-rc));
		return NULL;
	}
	return json_pack("{s:I, s:b}", "id", sid, "removed", 1);
}

json_t *media_ctl_request(struct media_engine *e, const char *req, json_t *args, char *err,
			  size_t errlen)
{
	json_t *res = NULL;

	if (args != NULL && !json_is_object(args)) {
		snprintf(err, errlen, "args must be an object");
		return NULL;
	}
	if (strcmp(req, "media.add") == 0) {
		res = media_add(e, args, err, errlen);
		wipe_string(args, "ext_rx_key");
		wipe_string(args, "ext_tx_key");
	} else if (strcmp(req, "media.list") == 0) {
		res = json_array();
		for (size_t i = 0; i < e->n_sess; i++)
			json_array_append_new(res, summary(e, e->sess[i]));
		if (e->extra_list != NULL) {
			json_t *more = e->extra_list(e->extra_arg);

			if (more == NULL) {
				json_decref(res);
				snprintf(err, errlen, "a worker did not answer: media list incomplete");
				return NULL;
			}
			json_array_extend(res, more);
			json_decref(more);
		}
	} else if (strcmp(req, "media.show") == 0) {
		res = media_show(e, args, err, errlen);
	} else if (strcmp(req, "media.remove") == 0) {
		res = media_remove(e, args, err, errlen);
	} else {
		snprintf(err, errlen, "unknown request %s", req);
	}
	return res;
}

/* idle scan ------------------------------------------------------------- */

static void idle_scan(struct media_engine *e)
{
	uint64_t now = rte_rdtsc();
	uint64_t limit = (uint64_t)e->conf.idle_timeout_s * e->hz;

	for (size_t i = 0; i < e->n_sess; i++) {
		struct media_session *s = e->sess[i];
		uint64_t last = RTE_MAX(rd(&s->st[0].last_tsc), rd(&s->st[1].last_tsc));
		last = RTE_MAX(last, s->created_tsc);
		/* a worker's burst time can be a little ahead of ours */
		if (last >= now || now - last < limit || !s->installed)
			continue;
		if (s->idle_raised && s->idle_mark == last)
			continue; /* this idle period was reported */
		s->idle_raised = true;
		s->idle_mark = last;
		e->idle_events++;
		if (e->conf.notify == NULL)
			continue;
		json_t *f = json_object();
		json_object_set_new(f, "session", json_integer(s->id));
		json_object_set_new(f, "ext_local",
				    ep_json(e->conf.local_addr[NET_IFACE_EXTERNAL], s->ext_local));
		json_object_set_new(f, "int_local",
				    ep_json(e->conf.local_addr[NET_IFACE_INTERNAL], s->int_local));
		json_object_set_new(f, "idle_s", json_integer((json_int_t)((now - last) / e->hz)));
		e->conf.notify(e->conf.notify_arg, "MediaSessionIdle", f);
		json_decref(f);
	}
}

void media_engine_tick(struct media_engine *e, uint64_t now_ms)
{
	bool seen = false;

	for (unsigned w = 0; w < e->conf.n_workers; w++)
		drain(e, w, NULL, &seen);
	if (e->conf.idle_timeout_s == 0 || now_ms < e->next_scan_ms)
		return;
	e->next_scan_ms = now_ms + MEDIA_SCAN_MS;
	idle_scan(e);
}

/* Which SRTP engine runs, and how full its bursts are. */
static json_t *srtp_engine_json(const struct media_counters *sum)
{
	json_t *o = json_object();

	if (!media_srtp_burst()) {
		json_object_set_new(o, "name", json_string("libsrtp2"));
		json_object_set_new(o, "detail", json_string(e_why));
		return o;
	}
	json_object_set_new(o, "name", json_string("intel-ipsec-mb"));
#ifdef UMEDGE_HAVE_SRTP_MB
	json_object_set_new(o, "version", json_string(srtp_mb_version()));
	json_object_set_new(o, "arch", json_string(srtp_mb_arch()));
#endif
	json_object_set_new(o, "max_burst", json_integer(MEDIA_BURST));
	json_object_set_new(o, "bursts", json_integer((json_int_t)sum->bursts));
	json_object_set_new(o, "burst_packets", json_integer((json_int_t)sum->burst_packets));
	return o;
}

json_t *media_engine_stats(const struct media_engine *e)
{
	struct media_counters sum;

	memset(&sum, 0, sizeof(sum));
	for (unsigned w = 0; w < e->conf.n_workers; w++) {
		const struct media_counters *c = &e->mw[w]->cnt;
		sum.rx_packets += rd(&c->rx_packets);
		sum.tx_packets += rd(&c->tx_packets);
		sum.auth_fail += rd(&c->auth_fail);
		sum.replay += rd(&c->replay);
		sum.no_session += rd(&c->no_session);
		sum.foreign += rd(&c->foreign);
		sum.bad_packet += rd(&c->bad_packet);
		sum.srtp_error += rd(&c->srtp_error);
		sum.bursts += rd(&c->bursts);
		sum.burst_packets += rd(&c->burst_packets);
	}
	json_t *o = json_object();
	json_object_set_new(o, "sessions", json_integer((json_int_t)e->n_sess));
	json_object_set_new(o, "rx_packets", json_integer((json_int_t)sum.rx_packets));
	json_object_set_new(o, "tx_packets", json_integer((json_int_t)sum.tx_packets));
	json_object_set_new(o, "decrypt_failures", json_integer((json_int_t)sum.auth_fail));
	json_object_set_new(o, "replay_drops", json_integer((json_int_t)sum.replay));
	json_object_set_new(o, "no_session", json_integer((json_int_t)sum.no_session));
	json_object_set_new(o, "foreign_source", json_integer((json_int_t)sum.foreign));
	json_object_set_new(o, "bad_packet", json_integer((json_int_t)sum.bad_packet));
	json_object_set_new(o, "srtp_error", json_integer((json_int_t)sum.srtp_error));
	json_object_set_new(o, "idle_events", json_integer((json_int_t)e->idle_events));
	json_object_set_new(o, "sessions_added", json_integer((json_int_t)e->added));
	json_object_set_new(o, "sessions_removed", json_integer((json_int_t)e->removed));
	json_object_set_new(o, "srtp_engine", srtp_engine_json(&sum));
	return o;
}
