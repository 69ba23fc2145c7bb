/*
 * worker_tls.c: TLS listeners on the workers and the main lcore's side of
 * TLS (contexts per snapshot, crypto lcores, events, counters).
 *
 * Worker side (its own lcore only): the poll hook is chained in front of
 * the existing one; every iteration it resumes connections whose key
 * operation came back from a crypto lcore, and when the snapshot changed
 * it opens or closes the TLS listener. Closing a listener stops new
 * connections only; established sessions run to their end. Verified SIP
 * connections, accepted or opened towards a gateway for the proxy
 * (sip_tls_connect), become streams of the worker's SIP (sip_stream.c).
 */
#include "worker_tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "ctl.h"
#include "dp.h"
#include "snapshot.h"
#include "tls/tls.h"
#include "worker_sip.h"
#include "worker_sip_int.h"
#include "worker_tcp.h"

#define EVENTS_PER_S 5
#define EVENTS_BURST 20

struct worker_tls;

enum { KIND_LISTENER = 0, KIND_SIP, KIND_ECHO };

struct lis_arg {
	int kind;			/* KIND_LISTENER */
	struct worker_tls *wl;
	bool sip;			/* SIP streams, else echo */
};

/* A TLS connection carrying SIP: its stream (sip_stream.c) once open. */
struct sip_conn {
	int kind;			/* KIND_SIP */
	struct sip_stream *s;
};

struct worker_tls {
	struct worker *w;
	struct tls_worker tw;
	struct tls_listener sip_l, echo_l;
	struct lis_arg sip_arg, echo_arg;
	uint16_t sip_port;		/* listening now, 0: none */
	uint64_t snap_version;
	void (*next_poll)(struct net_ctx *ctx, void *arg);
	void *next_poll_arg;
	struct worker_sip *sip;		/* the same worker's SIP */
};

struct worker_tls_plane {
	struct dp *dp;
	struct worker_tls *wl[DP_MAX_WORKERS];
	unsigned n_crypto;
	struct tls_crypto_args crypto[TLS_OFFLOAD_MAX];
	unsigned crypto_lcore[TLS_OFFLOAD_MAX];
	bool launched;
	uint64_t seen_version;
	uint64_t ctx_builds, ctx_errors;
	char thumbprint[64];
	double tokens;
	uint64_t last_ms;
	uint64_t events_sent, events_suppressed;
};

/* ---- SIP over TLS: the stream below the proxy ---- */

static int tls_stream_write(void *conn, const void *buf, size_t len)
{
	return tls_conn_write(conn, buf, len);
}

static void tls_stream_close(void *conn)
{
	(void)tls_conn_close(conn);
}

static uint16_t tls_stream_local_port(const void *conn)
{
	return tls_conn_local_port(conn);
}

static const struct sip_stream_ops tls_stream_ops = { .write = tls_stream_write,
						      .close = tls_stream_close,
						      .local_port = tls_stream_local_port };

/* ---- application callbacks ---- */

static void app_open(struct tls_conn *t, void *user)
{
	struct lis_arg *la = user;

	if (la->kind == KIND_SIP) {
		/* our own connection to a gateway: verified, send what waits */
		struct sip_conn *c = user;

		if (c->s != NULL && sip_probe_wants(c->s)) {
			/* the connectivity test's own connection: what it saw */
			struct tls_conn_desc d;
			tls_conn_describe(t, &d);
			sip_probe_tls(c->s, &d, 0);
		}
		if (c->s != NULL)
			sip_stream_writable(c->s);
		return;
	}
	if (la->sip) {
		struct sip_conn *c = calloc(1, sizeof(*c));
		uint32_t ip;
		uint16_t port;

		if (c == NULL) {
			tls_conn_close(t);
			return;
		}
		/* the peer was verified to be the gateway whose FQDN it names */
		tls_conn_peer(t, &ip, &port);
		c->kind = KIND_SIP;
		c->s = sip_stream_open(la->wl->sip, &tls_stream_ops, t, SIP_SIDE_EXTERNAL,
				       UMEDGE_TRANSPORT_TLS, ip, port, tls_conn_peer_name(t), true);
		tls_conn_set_user(t, c);
		if (c->s == NULL)
			tls_conn_close(t);
	} else {
		static int echo_kind = KIND_ECHO;

		tls_conn_set_user(t, &echo_kind);
	}
}

static size_t app_data(struct tls_conn *t, void *user, const uint8_t *p, size_t len)
{
	int kind = *(int *)user;

	if (kind == KIND_SIP) {
		struct sip_conn *c = user;

		return c->s != NULL ? sip_stream_data(c->s, p, len) : len;
	}
	if (kind == KIND_ECHO) {
		int n = tls_conn_write(t, p, len);

		return n > 0 ? (size_t)n : 0;
	}
	return len;
}

static void app_writable(struct tls_conn *t, void *user)
{
	struct sip_conn *c = user;

	if (*(int *)user == KIND_SIP && c->s != NULL)
		sip_stream_writable(c->s);
}

static void app_closed(struct tls_conn *t, void *user, int err, const char *reason)
{
	struct sip_conn *c = user;

	if (*(int *)user != KIND_SIP)
		return;
	if (c->s != NULL && sip_probe_wants(c->s)) {
		/* the connectivity test's own connection: why it ended */
		struct tls_conn_desc d;
		tls_conn_describe(t, &d);
		sip_probe_tls(c->s, &d, err != 0 ? err : -ECONNRESET);
	}
	if (c->s != NULL)
		sip_stream_closed(c->s, err);
	free(c);
}

static const struct tls_app_ops app_ops = {
	.on_open = app_open,
	.on_data = app_data,
	.on_writable = app_writable,
	.on_closed = app_closed,
};

/* ---- worker side ---- */

static const char *peer_fqdn(void *arg, uint32_t peer_ip)
{
	const struct lis_arg *la = arg;
	const struct dp_snapshot *s = la->wl->w->net.snap;
	uint32_t be = rte_cpu_to_be_32(peer_ip);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_gateways; i++)
		if (s->gateways[i].addr == be)
			return s->gateways[i].fqdn;
	/* ourselves (a frame looped back: test-connectivity --local): our
	 * own certificate, naming our FQDN */
	for (unsigned i = 0; i < NET_N_IFACES; i++)
		if (la->wl->w->net.ifaces[i].up && la->wl->w->net.ifaces[i].addr == be)
			return s->fqdn;
	return NULL;
}

static void sync_listener(struct worker_tls *wl, const struct dp_snapshot *s)
{
	struct tcp_stack *st = worker_tcp_stack(wl->w);
	uint16_t want = snapshot_listener_port(s, UMEDGE_TRANSPORT_TLS);

	wl->snap_version = s->version;
	if (st == NULL || want == wl->sip_port)
		return;
	if (wl->sip_port != 0)
		tcp_unlisten(st, wl->sip_port);	/* established sessions stay */
	wl->sip_port = 0;
	if (want != 0 && tls_listen(st, want, &wl->sip_l) == 0)
		wl->sip_port = want;
}

static void tls_poll_hook(struct net_ctx *ctx, void *arg)
{
	struct worker_tls *wl = arg;

	tls_worker_poll(&wl->tw);
	if (ctx->snap != NULL && ctx->snap->version != wl->snap_version)
		sync_listener(wl, ctx->snap);
	if (wl->next_poll != NULL)
		wl->next_poll(ctx, wl->next_poll_arg);
}

/* The proxy sends to a TLS gateway no connection of ours reaches yet:
 * open one from this worker, presenting the selected certificate and
 * expecting the gateway's configured FQDN in its certificate; messages
 * queue in the stream until the handshake is done. */
static struct sip_stream *sip_tls_connect(void *arg, uint8_t side, uint32_t addr, uint16_t port)
{
	struct worker_tls *wl = arg;
	struct worker *w = wl->w;
	struct tcp_stack *st = worker_tcp_stack(w);
	const char *fqdn = peer_fqdn(&wl->sip_arg, addr);
	struct sip_conn *c;
	struct tls_conn *t = NULL;
	uint32_t src;

	if (st == NULL || fqdn == NULL || fqdn[0] == '\0')
		return NULL;	/* not a gateway we know a name for: no TLS */
	if (worker_tcp_source(w, addr, &src) != 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->kind = KIND_SIP;
	c->s = sip_stream_open(wl->sip, &tls_stream_ops, NULL, side, UMEDGE_TRANSPORT_TLS, addr,
			       port, fqdn, false);
	if (c->s == NULL) {
		free(c);
		return NULL;
	}
	if (tls_connect(&wl->tw, NULL, st, addr, port, src, fqdn, &app_ops, c, &t) != 0) {
		sip_stream_closed(c->s, -ENETUNREACH);
		free(c);
		return NULL;
	}
	sip_stream_set_conn(c->s, t);
	return c->s;
}

static struct worker_tls *attach(struct worker *w, uint16_t echo_port, struct worker_sip *sip)
{
	int socket = (int)rte_lcore_to_socket_id(w->lcore);
	struct worker_tls *wl = rte_zmalloc_socket("worker_tls", sizeof(*wl),
						   RTE_CACHE_LINE_SIZE, socket);

	if (wl == NULL)
		return NULL;
	wl->w = w;
	wl->sip = sip;
	if (tls_worker_init(&wl->tw, w->idx, socket) != 0) {
		rte_free(wl);
		return NULL;
	}
	wl->sip_arg = (struct lis_arg){ KIND_LISTENER, wl, true };
	wl->echo_arg = (struct lis_arg){ KIND_LISTENER, wl, false };
	wl->sip_l = (struct tls_listener){ .tw = &wl->tw, .ops = &app_ops,
					   .peer_fqdn = peer_fqdn, .arg = &wl->sip_arg };
	wl->echo_l = (struct tls_listener){ .tw = &wl->tw, .ops = &app_ops,
					    .peer_fqdn = peer_fqdn, .arg = &wl->echo_arg };
	if (echo_port != 0 && worker_tcp_stack(w) != NULL &&
	    tls_listen(worker_tcp_stack(w), echo_port, &wl->echo_l) != 0)
		RTE_LOG(WARNING, USER1, "worker %u: TLS echo port %u not opened\n", w->idx,
			echo_port);
	if (sip != NULL) {
		sip->tls_connect = sip_tls_connect;
		sip->tls_arg = wl;
	}
	wl->next_poll = w->net.poll_hook;
	wl->next_poll_arg = w->net.poll_arg;
	w->net.poll_hook = tls_poll_hook;
	w->net.poll_arg = wl;
	return wl;
}

/* ---- main lcore ---- */

struct worker_tls_plane *worker_tls_setup(struct dp *dp, struct worker_sip_plane *sip)
{
	struct worker_tls_plane *p = calloc(1, sizeof(*p));
	const struct config_dataplane *d = dp->cfg != NULL ? &dp->cfg->dataplane : NULL;

	if (p == NULL)
		return NULL;
	p->dp = dp;
	p->n_crypto = d != NULL ? (unsigned)d->crypto_lcores : 0;
	p->tokens = EVENTS_BURST;
	if (tls_offload_init(p->n_crypto, (int)rte_socket_id()) != 0)
		goto fail;
	for (unsigned i = 0; i < dp->n_workers; i++) {
		p->wl[i] = attach(dp->workers[i], d != NULL ? d->tls_echo_port : 0,
				  worker_sip_get(sip, i));
		if (p->wl[i] == NULL)
			goto fail;
	}
	return p;
fail:
	worker_tls_free(p);
	return NULL;
}

int worker_tls_launch(struct worker_tls_plane *p, volatile bool *quit)
{
	unsigned lcore, k = 0;
	bool backoff = p->dp->idle == CONFIG_IDLE_BACKOFF;

	if (p->n_crypto == 0)
		return 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		bool used = false;

		for (unsigned i = 0; i < p->dp->n_workers; i++)
			used |= p->dp->workers[i]->lcore == lcore;
		if (used || k == p->n_crypto)
			continue;
		p->crypto[k] = (struct tls_crypto_args){ .idx = k, .quit = quit,
							 .backoff = backoff };
		p->crypto_lcore[k] = lcore;
		if (rte_eal_remote_launch(tls_crypto_main, &p->crypto[k], lcore) != 0)
			return -1;
		k++;
	}
	p->launched = true;
	if (k < p->n_crypto) {
		RTE_LOG(ERR, USER1, "%u crypto lcores configured, only %u free EAL lcores\n",
			p->n_crypto, k);
		/* no context offloads yet: shrink to what runs */
		p->n_crypto = k;
		tls_offload_limit(k);
		return -1;
	}
	return 0;
}

static void rebuild_ctx(struct worker_tls_plane *p, const struct dp_snapshot *s)
{
	struct tls_ctx *cur = tls_ctx_current(), *ctx;
	const struct config_dataplane *d = p->dp->cfg != NULL ? &p->dp->cfg->dataplane : NULL;
	struct tls_policy pol = {
		.async_keys = p->n_crypto > 0 && d != NULL && d->tls_offload == CONFIG_TLS_OFFLOAD_KEYS,
		.offload_handshake = p->n_crypto > 0 &&
				     (d == NULL || d->tls_offload == CONFIG_TLS_OFFLOAD_HANDSHAKE),
		.ciphers = d != NULL && d->tls_ciphers[0] ? d->tls_ciphers : NULL,
		.ciphersuites = d != NULL && d->tls_ciphersuites[0] ? d->tls_ciphersuites : NULL,
	};
	char err[256];

	p->seen_version = s->version;
	if (s->cert_pem == NULL || s->key_pem == NULL)
		return;	/* keep what we have; nothing yet: listeners refuse */
	if (tls_ctx_same(cur, s->cert_pem, s->key_pem, s->trust_pem))
		return;
	ctx = tls_ctx_new(s->cert_pem, s->key_pem, s->trust_pem, &pol, cur, err, sizeof(err));
	if (ctx == NULL) {
		p->ctx_errors++;
		RTE_LOG(ERR, USER1, "tls: snapshot %lu: certificate not usable: %s\n",
			(unsigned long)s->version, err);
		return;
	}
	p->ctx_builds++;
	snprintf(p->thumbprint, sizeof(p->thumbprint), "%s", tls_ctx_thumbprint(ctx));
	tls_ctx_publish(ctx, snapshot_qsbr());
	RTE_LOG(INFO, USER1, "tls: snapshot %lu: new handshakes use certificate %s\n",
		(unsigned long)s->version, p->thumbprint);
}

static void send_event(struct worker_tls_plane *p, struct ctl *ctl, const struct tls_event *ev)
{
	char peer[32];
	json_t *f;

	if (p->tokens < 1) {
		p->events_suppressed++;
		return;
	}
	p->tokens -= 1;
	snprintf(peer, sizeof(peer), "%u.%u.%u.%u:%u", ev->peer_ip >> 24,
		 (ev->peer_ip >> 16) & 255, (ev->peer_ip >> 8) & 255, ev->peer_ip & 255,
		 ev->peer_port);
	f = json_pack("{s:s, s:s, s:s, s:s, s:s}", "peer", peer, "subject", ev->subject,
		      "thumbprint_sha1", ev->thumbprint_sha1, "reason", ev->reason,
		      "failure", tls_fail_names[ev->fail]);
	if (f == NULL)
		return;
	ctl_send_event(ctl, "TlsPeerRejected", f);
	p->events_sent++;
	json_decref(f);
}

void worker_tls_tick(struct worker_tls_plane *p, struct ctl *ctl, uint64_t now_ms)
{
	const struct dp_snapshot *s = snapshot_current();

	if (s != NULL && s->version != p->seen_version)
		rebuild_ctx(p, s);
	tls_ctx_reclaim(snapshot_qsbr(), false);
	if (p->last_ms != 0)
		p->tokens += (double)(now_ms - p->last_ms) * EVENTS_PER_S / 1000.0;
	if (p->tokens > EVENTS_BURST)
		p->tokens = EVENTS_BURST;
	p->last_ms = now_ms;
	for (unsigned i = 0; i < p->dp->n_workers; i++) {
		struct tls_event *ev;

		while (p->wl[i] != NULL && (ev = tls_worker_event(&p->wl[i]->tw)) != NULL) {
			send_event(p, ctl, ev);
			free(ev);
		}
	}
}

json_t *worker_tls_stats(struct worker_tls_plane *p)
{
	struct tls_stats sum;
	uint64_t ops = 0;
	json_t *o;

	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; i < p->dp->n_workers; i++) {
		if (p->wl[i] == NULL)
			continue;
		tls_stats_add(&sum, &p->wl[i]->tw.stats);
	}
	for (unsigned k = 0; k < p->n_crypto; k++)
		ops += __atomic_load_n(&p->crypto[k].ops, __ATOMIC_RELAXED);
	o = tls_stats_json(&sum);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "crypto_lcores", json_integer((json_int_t)p->n_crypto));
	json_object_set_new(o, "offload",
			    json_string(p->n_crypto == 0 ? "none"
					: p->dp->cfg != NULL &&
					  p->dp->cfg->dataplane.tls_offload == CONFIG_TLS_OFFLOAD_KEYS
					? "keys" : "handshake"));
	json_object_set_new(json_object_get(o, "async"), "crypto_ops",
			    json_integer((json_int_t)ops));
	json_object_set_new(o, "certificate", json_string(p->thumbprint));
	json_object_set_new(o, "contexts_built", json_integer((json_int_t)p->ctx_builds));
	json_object_set_new(o, "context_errors", json_integer((json_int_t)p->ctx_errors));
	json_object_set_new(o, "events_sent", json_integer((json_int_t)p->events_sent));
	json_object_set_new(o, "events_suppressed",
			    json_integer((json_int_t)p->events_suppressed));
	return o;
}

void worker_tls_free(struct worker_tls_plane *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < DP_MAX_WORKERS; i++) {
		if (p->wl[i] == NULL)
			continue;
		/* the worker's TCP stack goes later without callbacks; its
		 * TLS connections are not freed one by one at exit */
		tls_worker_fini(&p->wl[i]->tw);
		rte_free(p->wl[i]);
	}
	tls_ctx_publish(NULL, NULL);
	tls_ctx_reclaim(NULL, true);
	tls_offload_fini();
	free(p);
}
