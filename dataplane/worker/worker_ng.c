/*
 * worker_ng.c: rtpengine's ng control protocol on the workers (ng.h).
 *
 * Kamailio sends ng datagrams to the dataplane's internal address. The
 * worker that receives one passes it to the worker owning its Call-ID
 * (the same owner a SIP message of that Call-ID has), which runs it on its
 * own ng engine: the call's media goes into that worker's own media table
 * through the same sip_media_ops as the proxy's calls. So ng needs no lock
 * and no ring beyond the hand-off, and its sessions spread over the
 * workers by Call-ID. The reply leaves from the ng port to the sender.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_seqlock.h>
#include <rte_udp.h>

#include "dispatch.h"
#include "ng/bencode.h"
#include "ng/ng.h"
#include "umedge/config.h"
#include "worker_sip_int.h"

#define NG_CACHE 64
#define NG_PUB_MAX 256		/* Call-IDs a worker publishes for list */
#define NG_PUB_MS 20		/* at most this stale after a change */

/* One worker's Call-IDs for the others' `list` (rtpengine's list shows
 * every call; each worker owns only its own). */
struct ng_pub {
	rte_seqlock_t lock;
	uint32_t n;
	char ids[NG_PUB_MAX][SIP_CALL_ID_MAX];
};

/* ng_list_fn: the other workers' published Call-IDs (ws's own come from
 * its engine). A list being republished is read again, a few times. */
static int64_t list_others(void *arg, struct benc_out *o, int64_t limit)
{
	struct worker_sip *ws = arg;
	int64_t n = 0;

	for (unsigned w = 0; w < ws->w->dp->n_workers && n < limit; w++) {
		struct worker_sip *other = ws->all[w];
		struct ng_pub *c = ws->ng_scratch;
		uint32_t sn;
		int tries = 0;

		if (other == NULL || other == ws || other->ng_pub == NULL)
			continue;
		do {
			sn = rte_seqlock_read_begin(&other->ng_pub->lock);
			c->n = other->ng_pub->n < NG_PUB_MAX ? other->ng_pub->n : NG_PUB_MAX;
			memcpy(c->ids, other->ng_pub->ids, (size_t)c->n * SIP_CALL_ID_MAX);
		} while (rte_seqlock_read_retry(&other->ng_pub->lock, sn) && ++tries < 8);
		for (uint32_t i = 0; i < c->n && n < limit; i++, n++) {
			c->ids[i][SIP_CALL_ID_MAX - 1] = '\0';
			benc_cstr(o, c->ids[i]);
		}
	}
	return n;
}

void worker_ng_poll(struct worker_sip *ws, uint64_t now_ms)
{
	const struct sip_call_table *t;
	uint64_t gen;
	uint32_t n = 0;

	if (ws->ng_pub == NULL || now_ms - ws->ng_pub_at_ms < NG_PUB_MS)
		return;
	gen = ng_generation(ws->ng);
	if (gen == ws->ng_pub_gen)
		return;
	t = ng_call_table(ws->ng);
	rte_seqlock_write_lock(&ws->ng_pub->lock);
	for (uint32_t i = 0; i < t->cap && n < NG_PUB_MAX; i++)
		if (t->pool[i].key != 0)
			memcpy(ws->ng_pub->ids[n++], t->pool[i].call_id, SIP_CALL_ID_MAX);
	ws->ng_pub->n = n;
	rte_seqlock_write_unlock(&ws->ng_pub->lock);
	ws->ng_pub_gen = gen;
	ws->ng_pub_at_ms = now_ms;
}

int worker_ng_init(struct worker_sip *ws, const struct config *cfg)
{
	struct ng_conf c;

	if (cfg == NULL || !cfg->ng.present)
		return 0;
	memset(&c, 0, sizeof(c));
	c.addr[SIP_SIDE_EXTERNAL] = rte_be_to_cpu_32(ws->w->dp->ifaces[NET_IFACE_EXTERNAL].addr);
	c.addr[SIP_SIDE_INTERNAL] = rte_be_to_cpu_32(ws->w->dp->ifaces[NET_IFACE_INTERNAL].addr);
	c.idle_ms = (uint64_t)cfg->ng.timeout_s * 1000;
	c.max_calls = cfg->ng.max_calls;
	c.cache = NG_CACHE;
	/* ids unique across the workers: worker index + 1, step the count */
	c.first_id = ws->w->idx + 1;
	c.id_step = ws->w->dp->n_workers;
	if (ws->w->dp->n_workers > 1) {
		c.list_more = list_others;
		c.list_arg = ws;
		ws->ng_pub = rte_zmalloc("ng_pub", sizeof(*ws->ng_pub), RTE_CACHE_LINE_SIZE);
		ws->ng_scratch = rte_zmalloc("ng_scratch", sizeof(*ws->ng_scratch), 0);
		if (ws->ng_pub == NULL || ws->ng_scratch == NULL)
			goto fail;
		rte_seqlock_init(&ws->ng_pub->lock);
	}
	ws->ng = ng_new(&c, &ws->media_ops);
	ws->ng_out = rte_malloc("ng_out", NG_REPLY_MAX, 0);
	ws->wall_offset_s = (int64_t)time(NULL) - (int64_t)(worker_sip_now_ms(ws) / 1000);
	if (ws->ng == NULL || ws->ng_out == NULL)
		goto fail;
	return 0;
fail:
	worker_ng_fini(ws);
	return -ENOMEM;
}

void worker_ng_fini(struct worker_sip *ws)
{
	ng_free(ws->ng); /* its calls' media back to the pool */
	rte_free(ws->ng_out);
	rte_free(ws->ng_pub);
	rte_free(ws->ng_scratch);
	ws->ng = NULL;
	ws->ng_out = NULL;
	ws->ng_pub = NULL;
	ws->ng_scratch = NULL;
}

void worker_ng_input(struct worker_sip *ws, struct net_ctx *ctx, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	const struct rte_udp_hdr *uh =
		rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, m->l3_len);
	uint32_t len = (uint32_t)rte_be_to_cpu_16(uh->dgram_len) - (uint32_t)sizeof(*uh);
	unsigned nw = ws->w->dp->n_workers;
	const char *buf, *cid;
	size_t n, r;
	uint64_t now_ms = worker_sip_now_ms(ws);

	if (len > ws->lim.max_message) {
		ws->ng_too_big++;
		goto out;
	}
	buf = rte_pktmbuf_read(m, m->l3_len + (uint32_t)sizeof(*uh), len, ws->lin);
	if (buf == NULL)
		goto out;
	if (nw > 1 && ng_call_id(buf, len, &cid, &n)) {
		struct sip_str s = { cid, n };
		unsigned owner = dispatch_owner(dispatch_sip_key(sip_call_key(s)), nw);
		if (owner != ws->w->idx) {
			ws->ng_handoffs++;
			dispatch_handoff(ws->w, owner, m, true);
			return;
		}
	}
	r = ng_input(ws->ng, buf, len, now_ms, ws->wall_offset_s + (int64_t)(now_ms / 1000),
		     ws->ng_out, NG_REPLY_MAX);
	if (r > 0 && udp_send(ctx, ctx->ifaces[NET_IFACE_INTERNAL].addr, ctx->udp.ng_port,
			      ip->src_addr, rte_be_to_cpu_16(uh->src_port), ws->ng_out, r) != 0)
		ws->ng_send_errors++;
out:
	rte_pktmbuf_free(m); /* buf may point into it: freed last */
}

void worker_ng_tick(struct worker_sip *ws, uint64_t now_ms)
{
	if (ws->ng != NULL)
		(void)ng_expire(ws->ng, now_ms);
}

static uint64_t rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

json_t *worker_ng_stats(struct worker_sip *const *ws, unsigned n)
{
	struct ng_stats sum = { 0 };
	uint64_t handoffs = 0, too_big = 0, send_errors = 0, calls = 0;
	json_t *cmds;
	bool on = false;

	for (unsigned i = 0; i < n; i++) {
		const struct ng_stats *st;
		if (ws[i] == NULL || ws[i]->ng == NULL)
			continue;
		on = true;
		/* one writer each (the worker), read whole words */
		st = ng_stats(ws[i]->ng);
		sum.received += rd(&st->received);
		sum.dropped += rd(&st->dropped);
		sum.retransmits += rd(&st->retransmits);
		sum.errors += rd(&st->errors);
		sum.malformed += rd(&st->malformed);
		sum.expired += rd(&st->expired);
		sum.deleted += rd(&st->deleted);
		for (unsigned c = 0; c < NG_CMD_COUNT; c++)
			sum.commands[c] += rd(&st->commands[c]);
		handoffs += rd(&ws[i]->ng_handoffs);
		too_big += rd(&ws[i]->ng_too_big);
		send_errors += rd(&ws[i]->ng_send_errors);
		calls += ng_calls(ws[i]->ng);
	}
	if (!on)
		return NULL;
	cmds = json_object();
	for (unsigned c = 0; cmds != NULL && c < NG_CMD_COUNT; c++)
		json_object_set_new(cmds, ng_command_name((enum ng_command)c),
				    json_integer((json_int_t)sum.commands[c]));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o*}",
			 "calls", (json_int_t)calls, "received", (json_int_t)sum.received,
			 "dropped", (json_int_t)sum.dropped,
			 "retransmits", (json_int_t)sum.retransmits,
			 "errors", (json_int_t)sum.errors, "malformed", (json_int_t)sum.malformed,
			 "expired", (json_int_t)sum.expired, "deleted", (json_int_t)sum.deleted,
			 "handoffs", (json_int_t)handoffs, "too_big", (json_int_t)too_big,
			 "send_errors", (json_int_t)send_errors, "commands", cmds);
}
