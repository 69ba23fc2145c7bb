/*
 * worker_sip_media.c: the media of the calls a worker's proxy owns, in
 * that worker's own media table (media.h). The proxy (sip_call.h) asks
 * through struct sip_media_ops; everything here runs on the worker's
 * lcore, so the session is installed, updated and unlinked without a
 * command ring or a lock. Port pairs are claimed so that dispatch brings
 * their packets to this worker (media_ports_take with this owner).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "media.h"
#include "media_ctl.h"
#include "worker_sip_int.h"

/* Call sessions' ids: the top bit set, the worker, a sequence; media add's
 * ids (the main lcore's) stay below 2^31. */
static uint32_t call_session_id(struct worker_sip *ws)
{
	return 0x80000000u | (ws->w->idx & 0x7f) << 24 | (++ws->media_seq & 0xffffff);
}

static int wm_open(void *arg, uint16_t local[2])
{
	struct worker_sip *ws = arg;
	int owner = (int)ws->w->idx;

	if (ws->media == NULL)
		return -ENODEV;
	if (media_ports_take(ws->media, NET_IFACE_EXTERNAL, owner, &local[SIP_SIDE_EXTERNAL]) != 0)
		goto full;
	if (media_ports_take(ws->media, NET_IFACE_INTERNAL, owner, &local[SIP_SIDE_INTERNAL]) != 0) {
		media_ports_put(ws->media, NET_IFACE_EXTERNAL, local[SIP_SIDE_EXTERNAL]);
		goto full;
	}
	return 0;
full:
	ws->media_no_ports++;
	return -ENOSPC;
}

#define POOL_SPARE 16	/* re-keys build the new session before the old goes */

int worker_sip_media_init(struct worker_sip *ws, uint32_t n)
{
	int socket = (int)rte_lcore_to_socket_id(ws->w->lcore);

	n += POOL_SPARE;
	ws->media_pool = rte_zmalloc_socket("call_media", (size_t)n * sizeof(*ws->media_pool),
					    RTE_CACHE_LINE_SIZE, socket);
	ws->media_free = rte_malloc_socket("call_media_free", (size_t)n * sizeof(uint32_t), 0,
					   socket);
	if (ws->media_pool == NULL || ws->media_free == NULL) {
		worker_sip_media_fini(ws);
		return -ENOMEM;
	}
	for (uint32_t i = n; i-- > 0;)
		ws->media_free[ws->media_n_free++] = i;
	return 0;
}

void worker_sip_media_fini(struct worker_sip *ws)
{
	rte_free(ws->media_pool);
	rte_free(ws->media_free);
	ws->media_pool = NULL;
	ws->media_free = NULL;
	ws->media_n_free = 0;
}

static struct media_session *pool_get(struct worker_sip *ws)
{
	return ws->media_n_free > 0 ? &ws->media_pool[ws->media_free[--ws->media_n_free]] : NULL;
}

/* s back to the pool: its SRTP contexts deallocated, its keys wiped. */
static void pool_put(struct worker_sip *ws, struct media_session *s)
{
	media_session_fini(s);
	ws->media_free[ws->media_n_free++] = (uint32_t)(s - ws->media_pool);
}

static void params_of(const struct sip_media *m, struct media_session_params *p)
{
	memset(p, 0, sizeof(*p));
	p->srtp = m->srtp;
	p->rtcp_mux = m->rtcp_mux;
	p->suite = m->suite;
	p->ext_local = m->local[SIP_SIDE_EXTERNAL];
	p->int_local = m->local[SIP_SIDE_INTERNAL];
	p->ext_remote_ip = rte_cpu_to_be_32(m->remote_addr[SIP_SIDE_EXTERNAL]);
	p->ext_remote_port = m->remote_port[SIP_SIDE_EXTERNAL];
	p->int_remote_ip = rte_cpu_to_be_32(m->remote_addr[SIP_SIDE_INTERNAL]);
	p->int_remote_port = m->remote_port[SIP_SIDE_INTERNAL];
	if (m->srtp && m->key_len <= MEDIA_KEY_MAX) {
		memcpy(p->rx_key, m->key_in, m->key_len);
		memcpy(p->tx_key, m->key_out, m->key_len);
	}
}

static int wm_apply(void *arg, void **handle, const struct sip_media *m)
{
	struct worker_sip *ws = arg;
	struct media_session *old = *handle, *s = NULL;
	struct media_session_params p;
	int rc;

	if (ws->media == NULL)
		return -ENODEV;
	params_of(m, &p);
	if (old != NULL && !m->rekey_in && !m->rekey_out && old->srtp == m->srtp &&
	    (!m->srtp || old->suite == m->suite) && old->rtcp_mux == m->rtcp_mux) {
		/* the keys stay: its SRTP state (rollover counters, replay
		 * windows) goes on, at the new addresses */
		media_session_readdress(old, &p);
		ws->media_updated++;
		rc = 0;
		goto out;
	}
	s = pool_get(ws);
	rc = s != NULL ? media_session_init(s, &p, call_session_id(ws)) : -ENOMEM;
	if (rc != 0) {
		if (s != NULL)
			ws->media_free[ws->media_n_free++] = (uint32_t)(s - ws->media_pool);
		ws->media_failed++;
		goto out;
	}
	s->worker = ws->w->idx;
	if (old != NULL) {
		/* new keys: a new session on the same ports, at once */
		media_worker_unlink(ws->mw, old);
		pool_put(ws, old);
		ws->media_updated++;
	} else {
		ws->media_installed++;
	}
	media_worker_install(ws->mw, s);
	s->installed = true;
	*handle = s;
out:
	OPENSSL_cleanse(&p, sizeof(p));
	return rc;
}

/* A session's counters in the proxy's shape. */
void worker_sip_media_counters(const struct media_session *s, struct sip_media_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return;
	out->packets[0] = s->st[MEDIA_DIR_IN].packets;
	out->packets[1] = s->st[MEDIA_DIR_OUT].packets;
	out->bytes[0] = s->st[MEDIA_DIR_IN].bytes;
	out->bytes[1] = s->st[MEDIA_DIR_OUT].bytes;
	out->rtcp[0] = s->st[MEDIA_DIR_IN].rtcp_packets;
	out->rtcp[1] = s->st[MEDIA_DIR_OUT].rtcp_packets;
	out->auth_fail = s->st[MEDIA_DIR_IN].auth_fail;
	out->replay = s->st[MEDIA_DIR_IN].replay;
}

static void wm_close(void *arg, void *handle, const uint16_t local[2],
		     struct sip_media_counters *final)
{
	struct worker_sip *ws = arg;
	struct media_session *s = handle;

	worker_sip_media_counters(s, final);
	if (ws->media == NULL)
		return;
	if (s != NULL) {
		media_worker_unlink(ws->mw, s);
		pool_put(ws, s); /* SRTP contexts deallocated, keys wiped */
		ws->media_removed++;
	}
	media_ports_put(ws->media, NET_IFACE_EXTERNAL, local[SIP_SIDE_EXTERNAL]);
	media_ports_put(ws->media, NET_IFACE_INTERNAL, local[SIP_SIDE_INTERNAL]);
}

static uint64_t wm_idle_ms(void *arg, const void *handle)
{
	const struct worker_sip *ws = arg;
	const struct media_session *s = handle;
	uint64_t last = s->created_tsc, now = rte_rdtsc();

	for (unsigned d = 0; d < MEDIA_N_DIRS; d++)
		if (s->st[d].last_tsc > last)
			last = s->st[d].last_tsc;
	return now > last ? (now - last) / ws->tsc_per_ms : 0;
}

static void wm_counters(void *arg, const void *handle, struct sip_media_counters *out)
{
	(void)arg;
	worker_sip_media_counters(handle, out);
}

void worker_sip_media_ops(struct worker_sip *ws, struct sip_media_ops *ops)
{
	ops->open = wm_open;
	ops->apply = wm_apply;
	ops->close = wm_close;
	ops->idle_ms = wm_idle_ms;
	ops->counters = wm_counters;
	ops->arg = ws;
}
