/* The media path on a worker: a UDP datagram to one of the session's ports
 * is checked (SRTP unprotect) or protected in place, its IPv4/UDP headers
 * rewritten towards the other leg, and sent through the worker's IPv4
 * output (routing, ARP, TX buffer). No allocation, lock or log per packet
 * (libsrtp2 allocates once per new SSRC: docs/media.md).
 *
 * On the burst engine (srtp_mb.h) SRTP datagrams wait in the worker's
 * pending list, their sessions' crypto state prefetched, until the end of
 * the worker's loop or MEDIA_BURST of them; then each direction's packets
 * go to the crypto in one call, and the results are sent in arrival
 * order. Plain RTP and the libsrtp2 engine go through at once. */
#include "media.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_udp.h>

#include "net/cksum.h"

#define MEDIA_TAILROOM (SRTP_MAX_TRAILER_LEN + 4) /* libsrtp2's contract */
#define MEDIA_CMD_REMOVE ((uintptr_t)1)
#define RTP_MIN 12
#define RTCP_MIN 8

struct media_worker *media_worker_new(unsigned idx, int socket)
{
	char name[RTE_RING_NAMESIZE];
	struct media_worker *mw = rte_zmalloc_socket("media_worker", sizeof(*mw),
						     RTE_CACHE_LINE_SIZE, socket);

	if (mw == NULL)
		return NULL;
	mw->idx = idx;
	mw->next_udp = net_udp_unplugged;
	snprintf(name, sizeof(name), "umm%u_%d", idx, getpid());
	mw->cmd = rte_ring_create(name, MEDIA_CMD_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "umd%u_%d", idx, getpid());
	mw->done = rte_ring_create(name, MEDIA_CMD_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (mw->cmd == NULL || mw->done == NULL) {
		media_worker_free(mw);
		return NULL;
	}
#ifdef UMEDGE_HAVE_SRTP_MB
	if (media_srtp_burst() && (mw->mb = srtp_mb_new()) == NULL) {
		media_worker_free(mw);
		return NULL;
	}
#endif
	return mw;
}

void media_worker_free(struct media_worker *mw)
{
	if (mw == NULL)
		return;
	/* the loop ends with the list empty; a worker stopped in between must
	 * not leak what waited */
	for (unsigned i = 0; i < mw->n_pend; i++)
		rte_pktmbuf_free(mw->pend[i].m);
	mw->n_pend = 0;
#ifdef UMEDGE_HAVE_SRTP_MB
	srtp_mb_free(mw->mb);
#endif
	rte_ring_free(mw->cmd);
	rte_ring_free(mw->done);
	rte_free(mw);
}

static void media_poll_hook(struct net_ctx *ctx, void *arg)
{
	struct media_worker *mw = arg;

	(void)ctx;
	media_worker_poll(mw);
	if (mw->next_poll != NULL)
		mw->next_poll(ctx, mw->next_poll_arg);
}

void media_worker_attach(struct media_worker *mw, struct net_ctx *ctx)
{
	mw->next_udp = ctx->udp_input;
	mw->next_udp_arg = ctx->udp_arg;
	ctx->udp_input = media_udp_input;
	ctx->udp_arg = mw;
	mw->next_poll = ctx->poll_hook;
	mw->next_poll_arg = ctx->poll_arg;
	ctx->poll_hook = media_poll_hook;
	ctx->poll_arg = mw;
	mw->ctx = ctx;
}

void media_worker_install(struct media_worker *mw, struct media_session *s)
{
	mw->slot[NET_IFACE_EXTERNAL][s->ext_local] = s;
	mw->slot[NET_IFACE_EXTERNAL][s->ext_local + 1] = s;
	mw->slot[NET_IFACE_INTERNAL][s->int_local] = s;
	mw->slot[NET_IFACE_INTERNAL][s->int_local + 1] = s;
	mw->n_sessions++;
}

static void unlink_slot(struct media_worker *mw, unsigned iface, unsigned port,
			const struct media_session *s)
{
	if (port < MEDIA_PORTS && mw->slot[iface][port] == s)
		mw->slot[iface][port] = NULL;
}

void media_worker_unlink(struct media_worker *mw, struct media_session *s)
{
	/* the session's datagrams waiting for a burst go out first */
	media_worker_flush(mw);
	unlink_slot(mw, NET_IFACE_EXTERNAL, s->ext_local, s);
	unlink_slot(mw, NET_IFACE_EXTERNAL, s->ext_local + 1u, s);
	unlink_slot(mw, NET_IFACE_INTERNAL, s->int_local, s);
	unlink_slot(mw, NET_IFACE_INTERNAL, s->int_local + 1u, s);
	mw->n_sessions--;
}

void media_worker_poll(struct media_worker *mw)
{
	void *objs[16];

	media_worker_flush(mw);
	unsigned n = rte_ring_dequeue_burst(mw->cmd, objs, RTE_DIM(objs), NULL);
	for (unsigned i = 0; i < n; i++) {
		uintptr_t v = (uintptr_t)objs[i];
		struct media_session *s = (struct media_session *)(v & ~MEDIA_CMD_REMOVE);
		if (v & MEDIA_CMD_REMOVE)
			media_worker_unlink(mw, s);
		else
			media_worker_install(mw, s);
	}
	/* the main lcore keeps at most MEDIA_CMD_RING commands in flight, so
	 * the acknowledgements always fit */
	if (n > 0)
		rte_ring_enqueue_burst(mw->done, objs, n, NULL);
}

/* Rewrite the datagram (payload now plen octets) from src:sport to
 * dst:dport and send it. m starts at the IPv4 header. */
static void media_send(struct net_ctx *ctx, struct rte_mbuf *m, uint32_t plen, uint32_t src,
		       uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, m->l3_len);
	uint32_t ulen = (uint32_t)sizeof(*uh) + plen;
	uint32_t total = m->l3_len + ulen;
	uint32_t have = rte_pktmbuf_pkt_len(m);

	if (total > have)
		rte_pktmbuf_append(m, (uint16_t)(total - have)); /* tailroom checked */
	else if (total < have)
		rte_pktmbuf_trim(m, (uint16_t)(have - total));
	ip->total_length = rte_cpu_to_be_16((uint16_t)total);
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->fragment_offset = 0;
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)ulen);
	uh->dgram_cksum = 0;
	uint64_t sum = (uint64_t)src + dst + rte_cpu_to_be_16(IPPROTO_UDP) + uh->dgram_len;
	uint16_t c = (uint16_t)~cksum_fold(cksum_add(uh, ulen, sum));
	uh->dgram_cksum = c == 0 ? 0xffff : c;
	ipv4_output(ctx, m);
}

/* An SRTP refusal, in the burst engine's terms (srtp_mb_pkt.rc): -EBADMSG
 * authentication, -EALREADY/-ESTALE replay, anything else an error. */
static void count_refusal(struct media_worker *mw, struct media_dir_stats *st, int rc)
{
	switch (rc) {
	case -EBADMSG:
		mw->cnt.auth_fail++;
		st->auth_fail++;
		break;
	case -EALREADY:
	case -ESTALE:
		mw->cnt.replay++;
		st->replay++;
		break;
	default:
		mw->cnt.srtp_error++;
		st->dropped++;
		break;
	}
}

/* libsrtp2's refusals, counted alike. */
static void count_srtp_error(struct media_worker *mw, struct media_dir_stats *st,
			     srtp_err_status_t e)
{
	count_refusal(mw, st,
		      e == srtp_err_status_auth_fail ? -EBADMSG :
		      e == srtp_err_status_replay_fail || e == srtp_err_status_replay_old ? -EALREADY :
											-EIO);
}

static void media_forwarded(struct media_worker *mw, struct net_ctx *ctx,
			    struct media_dir_stats *st, uint32_t plen, bool rtcp)
{
	mw->cnt.tx_packets++;
	st->packets++;
	st->bytes += plen;
	st->rtcp_packets += rtcp;
	st->last_tsc = ctx->now;
}

static void media_gateway_deliver(struct media_worker *mw, struct net_ctx *ctx,
				  struct media_session *s, struct rte_mbuf *m, uint8_t *pkt,
				  int len, bool rtcp);
static void media_app_deliver(struct media_worker *mw, struct net_ctx *ctx,
			      struct media_session *s, struct rte_mbuf *m, int len, bool rtcp);

/* A datagram for the next burst; the burst goes when full. */
static void media_pend(struct media_worker *mw, struct net_ctx *ctx, struct media_session *s,
		       struct rte_mbuf *m, uint8_t *pkt, int len, bool in, bool rtcp)
{
#ifdef UMEDGE_HAVE_SRTP_MB
	/* what the burst will read of the session's context: in cache by then */
	srtp_mb_prefetch(in ? s->mb_rx : s->mb_tx, rtcp);
#endif
	mw->ctx = ctx;
	mw->pend[mw->n_pend++] = (struct media_pending){ m, s, pkt, len, in, rtcp };
	if (mw->n_pend == MEDIA_BURST)
		media_worker_flush(mw);
}

void media_worker_flush(struct media_worker *mw)
{
#ifdef UMEDGE_HAVE_SRTP_MB
	unsigned n = mw->n_pend, ni = 0, no = 0;

	if (n == 0)
		return;
	mw->n_pend = 0;
	mw->cnt.bursts++;
	mw->cnt.burst_packets += n;
	for (unsigned i = 0; i < n; i++) {
		const struct media_pending *q = &mw->pend[i];

		if (q->in)
			mw->in[ni++] = (struct srtp_mb_pkt){ q->pkt, q->len, q->s->mb_rx, q->rtcp, 0 };
		else
			mw->out[no++] = (struct srtp_mb_pkt){ q->pkt, q->len, q->s->mb_tx, q->rtcp, 0 };
	}
	if (ni > 0)
		srtp_mb_unprotect(mw->mb, mw->in, ni);
	if (no > 0)
		srtp_mb_protect(mw->mb, mw->out, no);
	ni = no = 0;
	for (unsigned i = 0; i < n; i++) {
		struct media_pending *q = &mw->pend[i];
		const struct srtp_mb_pkt *x = q->in ? &mw->in[ni++] : &mw->out[no++];

		if (x->rc != 0) {
			count_refusal(mw, &q->s->st[q->in ? MEDIA_DIR_IN : MEDIA_DIR_OUT], x->rc);
			rte_pktmbuf_free(q->m);
		} else if (q->in) {
			media_gateway_deliver(mw, mw->ctx, q->s, q->m, q->pkt, x->len, q->rtcp);
		} else {
			media_app_deliver(mw, mw->ctx, q->s, q->m, x->len, q->rtcp);
		}
	}
#else
	(void)mw;
#endif
}

/* Does the datagram come from the gateway address leg (RTP 0, RTCP 1)
 * has latched? */
static bool media_from_latched(const struct media_session *s, const struct rte_mbuf *m,
			       const uint8_t *pkt, unsigned leg)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)(pkt - sizeof(*uh));

	return ip->src_addr == s->gw_ip[leg] && rte_be_to_cpu_16(uh->src_port) == s->gw_port[leg];
}

/* Gateway -> application: check, decrypt, latch, relay as RTP. */
static void media_from_gateway(struct media_worker *mw, struct net_ctx *ctx,
			       struct media_session *s, struct rte_mbuf *m, uint8_t *pkt,
			       int len, bool rtcp)
{
	if (s->mb_rx != NULL) {
		media_pend(mw, ctx, s, m, pkt, len, true, rtcp);
		return;
	}
	if (s->srtp) {
		srtp_err_status_t e = rtcp ? srtp_unprotect_rtcp(s->rx, pkt, &len) :
					     srtp_unprotect(s->rx, pkt, &len);
		if (e != srtp_err_status_ok) {
			count_srtp_error(mw, &s->st[MEDIA_DIR_IN], e);
			rte_pktmbuf_free(m);
			return;
		}
	} else if (s->latched[rtcp] && !media_from_latched(s, m, pkt, rtcp)) {
		/* plain RTP proves nothing: the first source stays */
		mw->cnt.foreign++;
		s->st[MEDIA_DIR_IN].dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	media_gateway_deliver(mw, ctx, s, m, pkt, len, rtcp);
}

/* Checked (and decrypted): learn the gateway's address, relay to the
 * application. */
static void media_gateway_deliver(struct media_worker *mw, struct net_ctx *ctx,
				  struct media_session *s, struct rte_mbuf *m, uint8_t *pkt,
				  int len, bool rtcp)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)(pkt - sizeof(*uh));
	struct media_dir_stats *st = &s->st[MEDIA_DIR_IN];
	unsigned leg = rtcp;

	if (!s->latched[leg] || !media_from_latched(s, m, pkt, leg)) {
		/* authenticated (SRTP) or the first packet (RTP): learn it */
		s->gw_ip[leg] = ip->src_addr;
		s->gw_port[leg] = rte_be_to_cpu_16(uh->src_port);
		s->latched[leg] = true;
	}
	uint16_t off = rtcp && !s->rtcp_mux;
	media_forwarded(mw, ctx, st, (uint32_t)len, rtcp);
	media_send(ctx, m, (uint32_t)len, ctx->ifaces[NET_IFACE_INTERNAL].addr,
		   (uint16_t)(s->int_local + off), s->int_remote_ip,
		   (uint16_t)(s->int_remote_port + off));
}

/* Application -> gateway: encrypt, send to the latched gateway source. */
static void media_from_app(struct media_worker *mw, struct net_ctx *ctx,
			   struct media_session *s, struct rte_mbuf *m, uint8_t *pkt, int len,
			   bool rtcp)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	struct media_dir_stats *st = &s->st[MEDIA_DIR_OUT];

	if (ip->src_addr != s->int_remote_ip) {
		mw->cnt.foreign++;
		st->dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	if (s->srtp) {
		if (rte_pktmbuf_tailroom(m) < MEDIA_TAILROOM) {
			mw->cnt.bad_packet++;
			st->dropped++;
			rte_pktmbuf_free(m);
			return;
		}
		if (s->mb_tx != NULL) {
			media_pend(mw, ctx, s, m, pkt, len, false, rtcp);
			return;
		}
		srtp_err_status_t e = rtcp ? srtp_protect_rtcp(s->tx, pkt, &len) :
					     srtp_protect(s->tx, pkt, &len);
		if (e != srtp_err_status_ok) {
			count_srtp_error(mw, st, e);
			rte_pktmbuf_free(m);
			return;
		}
	}
	media_app_deliver(mw, ctx, s, m, len, rtcp);
}

/* Protected (or plain RTP): to the latched gateway source. */
static void media_app_deliver(struct media_worker *mw, struct net_ctx *ctx,
			      struct media_session *s, struct rte_mbuf *m, int len, bool rtcp)
{
	struct media_dir_stats *st = &s->st[MEDIA_DIR_OUT];
	unsigned leg = rtcp;

	media_forwarded(mw, ctx, st, (uint32_t)len, rtcp);
	media_send(ctx, m, (uint32_t)len, ctx->ifaces[NET_IFACE_EXTERNAL].addr,
		   (uint16_t)(s->ext_local + (rtcp && !s->rtcp_mux)), s->gw_ip[leg],
		   s->gw_port[leg]);
}

void media_udp_input(struct net_ctx *ctx, struct rte_mbuf *m, unsigned iface, void *arg)
{
	struct media_worker *mw = arg;
	struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, m->l3_len);
	uint16_t dport = rte_be_to_cpu_16(uh->dst_port);

	if (iface >= NET_N_IFACES || dport < ctx->udp.media_first[iface] ||
	    dport > ctx->udp.media_last[iface]) {
		mw->next_udp(ctx, m, iface, mw->next_udp_arg);
		return;
	}
	mw->cnt.rx_packets++;
	struct media_session *s = mw->slot[iface][dport];
	if (s == NULL) {
		if (mw->local_port != 0 && iface == NET_IFACE_EXTERNAL &&
		    (dport & ~1u) == mw->local_port) {
			mw->local_rx(mw->local_arg, ctx, m, dport);
			return;
		}
		mw->cnt.no_session++;
		rte_pktmbuf_free(m);
		return;
	}
	if (m->nb_segs != 1 && rte_pktmbuf_linearize(m) != 0) {
		mw->cnt.bad_packet++;
		rte_pktmbuf_free(m);
		return;
	}
	/* udp_input checked the UDP length against the IP payload */
	uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, m->l3_len);
	uint8_t *pkt = (uint8_t *)(uh + 1);
	int len = (int)rte_be_to_cpu_16(uh->dgram_len) - (int)sizeof(*uh);
	bool rtcp = (dport & 1) != 0 || (s->rtcp_mux && media_is_rtcp(pkt, (uint32_t)len));
	if ((dport & 1) != 0 && s->rtcp_mux) {
		mw->cnt.no_session++; /* rtcp-mux: port + 1 is not in use */
		rte_pktmbuf_free(m);
		return;
	}
	if (len < (rtcp ? RTCP_MIN : RTP_MIN)) {
		mw->cnt.bad_packet++;
		s->st[iface == NET_IFACE_EXTERNAL ? MEDIA_DIR_IN : MEDIA_DIR_OUT].dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	if (iface == NET_IFACE_EXTERNAL)
		media_from_gateway(mw, ctx, s, m, pkt, len, rtcp);
	else
		media_from_app(mw, ctx, s, m, pkt, len, rtcp);
}
