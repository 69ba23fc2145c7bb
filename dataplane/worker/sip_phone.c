/*
 * sip_phone.c: the test call of `umedgectl test-connectivity --phone`.
 *
 * Worker 0 is a user agent client for one call: an INVITE to the number
 * through the gateway, on the probe's transport, with an SDP offer of
 * PCMU on an external media port pair of its own (RTP/AVP, or RTP/SAVP
 * with an SDES key in the secured mode). Provisional answers stop the UDP
 * retransmissions; an answer that does not come in time is CANCELled; a
 * refusal is ACKed and reported. Once answered and ACKed, rtp_phone sends
 * the tone for the asked seconds and measures what comes back; then BYE.
 * A BYE from the gateway ends the call early. The media port pair is
 * taken so that dispatch brings its datagrams to this worker, and the
 * media path hands them here (media_worker.local_rx) because no session
 * owns them. Nothing of this runs on the proxy's path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <rte_byteorder.h>
#include <rte_udp.h>

#include "media/media.h"
#include "media/media_ctl.h"
#include "sip_probe_int.h"

#define T1_MS 500
#define T2_MS 4000
#define CANCEL_WAIT_MS 4000	/* for the 487 after our CANCEL */
#define BYE_WAIT_MS 4000	/* for the answer to our BYE */
#define TAIL_MS 400		/* after the tone: the echo's last packets */

static uint64_t now_us(const struct worker_sip *ws)
{
	uint64_t per_us = ws->tsc_per_ms / 1000;

	return ws->w->net.now / (per_us ? per_us : 1);
}

static const char *via_proto(const struct sip_probe *pr)
{
	return pr->transport == UMEDGE_TRANSPORT_TLS ? "TLS"
	       : pr->transport == UMEDGE_TRANSPORT_TCP ? "TCP" : "UDP";
}

static const char *uri_transport(const struct sip_probe *pr)
{
	return pr->transport == UMEDGE_TRANSPORT_TLS ? ";transport=tls"
	       : pr->transport == UMEDGE_TRANSPORT_TCP ? ";transport=tcp" : "";
}

static uint16_t our_sip_port(const struct sip_probe *pr)
{
	return pr->transport == UMEDGE_TRANSPORT_TLS ? UMEDGE_SIPS_PORT : UMEDGE_SIP_PORT;
}

static uint32_t rand32(void)
{
	uint32_t v = 0;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint32_t)rte_rdtsc() * 2654435761u;
	return v;
}

/* ---- media: the datagrams in and out ---- */

static void media_out(void *arg, bool rtcp, const uint8_t *buf, size_t len)
{
	struct worker_sip *ws = arg;
	struct sip_phone *ph = &ws->probe->ph;
	struct net_ctx *ctx = &ws->w->net;

	(void)udp_send(ctx, ctx->ifaces[NET_IFACE_EXTERNAL].addr,
		       (uint16_t)(ph->port + (rtcp ? 1 : 0)), rte_cpu_to_be_32(ph->remote_addr),
		       rtcp ? ph->remote_rtcp : ph->remote_port, buf, len);
}

/* media_worker.local_rx: a datagram to our port pair (m at IPv4). */
static void media_in(void *arg, struct net_ctx *ctx, struct rte_mbuf *m, uint16_t dport)
{
	struct worker_sip *ws = arg;
	struct sip_probe *pr = ws->probe;
	struct sip_phone *ph = &pr->ph;
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	const struct rte_udp_hdr *uh =
		rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, m->l3_len);
	uint8_t copy[RTP_PHONE_PKT_MAX];
	uint32_t len = rte_be_to_cpu_16(uh->dgram_len);
	const void *p;

	(void)ctx;
	/* early media before the answer: not measured (no keys yet) */
	if (ph->state != PHONE_TALKING || len <= sizeof(*uh) ||
	    len - sizeof(*uh) > sizeof(copy))
		goto out;
	len -= (uint32_t)sizeof(*uh);
	p = rte_pktmbuf_read(m, m->l3_len + (uint32_t)sizeof(*uh), len, copy);
	if (p == NULL)
		goto out;
	if (p != copy)
		memcpy(copy, p, len);
	if (ph->media_from[0] == '\0' && !(dport & 1)) {
		char a[INET_ADDRSTRLEN];
		probe_ipstr(rte_be_to_cpu_32(ip->src_addr), a, sizeof(a));
		snprintf(ph->media_from, sizeof(ph->media_from), "%s:%u", a,
			 rte_be_to_cpu_16(uh->src_port));
	}
	rtp_phone_input(&ph->rtp, copy, len, (dport & 1) != 0, now_us(ws));
out:
	rte_pktmbuf_free(m);
}

/* ---- SIP: the requests we send ---- */

static int build_invite(struct worker_sip *ws, struct sip_probe *pr)
{
	struct sip_phone *ph = &pr->ph;
	const struct dp_snapshot *snap = ws->w->net.snap;
	const char *our = snap != NULL && snap->fqdn[0] ? snap->fqdn : "umedge.invalid";
	uint32_t local = rte_be_to_cpu_32(ws->w->net.ifaces[NET_IFACE_EXTERNAL].addr);
	char la[INET_ADDRSTRLEN], ra[INET_ADDRSTRLEN], sdp[1024], crypto[640] = "";
	const char *host = pr->fqdn[0] ? pr->fqdn : ra;
	size_t co = 0;
	int n = -1, sn;

	probe_ipstr(local, la, sizeof(la));
	probe_ipstr(pr->addr, ra, sizeof(ra));
	snprintf(ph->tag, sizeof(ph->tag), "%08x", rand32());
	/* a key for each suite of the mode, tags 1.. in the dial plan's order */
	for (unsigned i = 0; ph->srtp && i < ph->n_suites; i++) {
		char line[160];
		if (sdp_crypto_new_key(ph->suites[i], ph->keys[i]) < 0 ||
		    sdp_crypto_format(line, sizeof(line), i + 1, ph->suites[i], ph->keys[i]) < 0 ||
		    snprintf(crypto + co, sizeof(crypto) - co, "a=crypto:%s\r\n", line) >=
			    (int)(sizeof(crypto) - co)) {
			OPENSSL_cleanse(line, sizeof(line));
			goto fail;
		}
		co += strlen(crypto + co);
		OPENSSL_cleanse(line, sizeof(line));
	}
	sn = snprintf(sdp, sizeof(sdp),
		      "v=0\r\n"
		      "o=umedge %u 1 IN IP4 %s\r\n"
		      "s=umedge test call\r\n"
		      "c=IN IP4 %s\r\n"
		      "t=0 0\r\n"
		      "m=audio %u %s 0\r\n"
		      "a=rtpmap:0 PCMU/8000\r\n"
		      "a=ptime:20\r\n"
		      "a=sendrecv\r\n"
		      "%s",
		      rand32() & 0x7fffffff, la, la, ph->port, ph->srtp ? "RTP/SAVP" : "RTP/AVP",
		      crypto);
	OPENSSL_cleanse(crypto, sizeof(crypto));
	if (sn < 0 || (size_t)sn >= sizeof(sdp))
		goto fail;
	for (unsigned tries = 0; tries < 256; tries++) {
		snprintf(pr->call_id, sizeof(pr->call_id), "umcall-%08x%08x@%.60s", rand32(),
			 rand32(), our);
		n = snprintf(pr->msg, sizeof(pr->msg),
			     "INVITE sip:%s@%s:%u%s SIP/2.0\r\n"
			     "Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-umcall-%08x;rport\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: \"umedge test\" <sip:umedge@%s>;tag=%s\r\n"
			     "To: <sip:%s@%s>\r\n"
			     "Call-ID: %s\r\n"
			     "CSeq: 1 INVITE\r\n"
			     "Contact: <sip:umedge@%s:%u%s>\r\n"
			     "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
			     "User-Agent: umedge test-connectivity\r\n"
			     "Content-Type: application/sdp\r\n"
			     "Content-Length: %d\r\n\r\n%s",
			     ph->number, host, pr->port, uri_transport(pr), via_proto(pr), la,
			     our_sip_port(pr), rand32(), our, ph->tag, ph->number, host,
			     pr->call_id, la, our_sip_port(pr), uri_transport(pr), sn, sdp);
		if (n < 0 || (size_t)n >= sizeof(pr->msg))
			goto fail;
		if (worker_sip_owner(ws, pr->msg, (size_t)n) == ws->w->idx)
			break;
	}
	OPENSSL_cleanse(sdp, sizeof(sdp));
	pr->msg_len = (size_t)n;
	return sip_msg_parse(&ph->inv, pr->msg, pr->msg_len, &ws->lim) == SIP_E_OK ? 0 : -1;
fail:
	OPENSSL_cleanse(crypto, sizeof(crypto));
	OPENSSL_cleanse(sdp, sizeof(sdp));
	return -1;
}

/* ACK (cseq 1) or BYE (cseq 2) in the dialog: to its remote target, along
 * its route set, with the answer's To. Into ph->req. */
static int build_in_dialog(struct worker_sip *ws, struct sip_probe *pr, const char *method,
			   unsigned cseq)
{
	struct sip_phone *ph = &pr->ph;
	const struct dp_snapshot *snap = ws->w->net.snap;
	const char *our = snap != NULL && snap->fqdn[0] ? snap->fqdn : "umedge.invalid";
	uint32_t local = rte_be_to_cpu_32(ws->w->net.ifaces[NET_IFACE_EXTERNAL].addr);
	char la[INET_ADDRSTRLEN];
	int n;

	probe_ipstr(local, la, sizeof(la));
	n = snprintf(ph->req, sizeof(ph->req),
		     "%s %s SIP/2.0\r\n"
		     "Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-umcall-%08x;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "%s"
		     "From: \"umedge test\" <sip:umedge@%s>;tag=%s\r\n"
		     "To: %s\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u %s\r\n"
		     "User-Agent: umedge test-connectivity\r\n"
		     "Content-Length: 0\r\n\r\n",
		     method, ph->target, via_proto(pr), la, our_sip_port(pr), rand32(), ph->routes,
		     our, ph->tag, ph->to, pr->call_id, cseq, method);
	if (n < 0 || (size_t)n >= sizeof(ph->req))
		return -1;
	ph->req_len = (size_t)n;
	return 0;
}

static void send_req(struct worker_sip *ws, struct sip_probe *pr)
{
	(void)probe_send(ws, pr, pr->ph.req, pr->ph.req_len);
}

static void reply(struct worker_sip *ws, struct sip_probe *pr, const struct sip_msg *req,
		  unsigned status, const char *reason)
{
	char out[PROBE_MSG_MAX];
	long n = sip_reply_build(req, status, reason, NULL, NULL, 0, out, sizeof(out));

	if (n > 0)
		(void)probe_send(ws, pr, out, (size_t)n);
}

/* ---- the call ---- */

int sip_phone_start(struct worker_sip *ws, struct sip_probe *pr, uint64_t now_ms)
{
	struct sip_phone *ph = &pr->ph;

	(void)now_ms;
	if (ws->media == NULL || ws->mw == NULL) {
		probe_fail(ws, pr, "the engine has no media ports (dataplane.media in the "
			   "configuration): no test call");
		return -1;
	}
	if (media_ports_take(ws->media, NET_IFACE_EXTERNAL, (int)ws->w->idx, &ph->port) != 0) {
		ph->port = 0;
		probe_fail(ws, pr, "no free external media port pair for the test call");
		return -1;
	}
	ws->mw->local_rx = media_in;
	ws->mw->local_arg = ws;
	ws->mw->local_port = ph->port;
	ph->state = PHONE_INVITING;
	if (build_invite(ws, pr) != 0) {
		probe_fail(ws, pr, "could not build the INVITE");
		return -1;
	}
	return 0;
}

/* The value of the first field id (a copy, cut to len). */
static bool field(const struct sip_msg *m, enum sip_hdr_id id, char *out, size_t len)
{
	unsigned i = sip_msg_hdr_first(m, id);
	struct sip_str v;

	if (i == 0)
		return false;
	v = sip_msg_hdr_value(m, i);
	if (v.len >= len)
		return false;
	memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return true;
}

/* The dialog from its 2xx (RFC 3261 12.1.2): To with the tag, the Contact
 * as remote target, the Record-Route reversed as the route set. */
static int dialog_of(struct sip_probe *pr, const struct sip_msg *m)
{
	struct sip_phone *ph = &pr->ph;
	struct sip_list_iter it = { 0 };
	struct sip_list_item item, rr[8];
	struct sip_nameaddr na;
	unsigned n = 0;
	size_t off = 0;
	int r;

	if (!field(m, SIP_HDR_TO, ph->to, sizeof(ph->to)))
		return -1;
	if (sip_list_next(m, SIP_HDR_CONTACT, &it, &item) == 1 &&
	    sip_nameaddr_parse(&na, item.value.p, item.value.len) == 0 &&
	    na.uri_str.len < sizeof(ph->target)) {
		memcpy(ph->target, na.uri_str.p, na.uri_str.len);
		ph->target[na.uri_str.len] = '\0';
	} else {
		/* no Contact: the Request-URI of the INVITE */
		snprintf(ph->target, sizeof(ph->target), "%.*s", (int)ph->inv.ruri.len,
			 ph->inv.ruri.p);
	}
	memset(&it, 0, sizeof(it));
	while (n < 8 && (r = sip_list_next(m, SIP_HDR_RECORD_ROUTE, &it, &rr[n])) == 1)
		n++;
	ph->routes[0] = '\0';
	while (n-- > 0) {
		int w = snprintf(ph->routes + off, sizeof(ph->routes) - off, "Route: %.*s\r\n",
				 (int)rr[n].value.len, rr[n].value.p);
		if (w < 0 || (size_t)w >= sizeof(ph->routes) - off)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* The answer's SDP: where the gateway wants PCMU, and its key. 0 or -1
 * with pr->error saying why. */
static int media_of(struct sip_probe *pr, const struct sip_msg *m, uint8_t *rx_key,
		    const uint8_t **tx_key)
{
	struct sip_phone *ph = &pr->ph;
	const struct sdp_media *md = NULL;
	struct sdp_crypto c;
	char a[INET_ADDRSTRLEN];
	bool pcmu = false, keyed = false;
	enum sdp_error e;

	if (m->body.len == 0) {
		snprintf(pr->error, sizeof(pr->error), "the gateway answered without SDP");
		return -1;
	}
	e = sdp_parse(&ph->sdp, m->body.p, m->body.len);
	if (e != SDP_E_OK) {
		snprintf(pr->error, sizeof(pr->error), "the gateway's SDP answer is malformed: %s",
			 sdp_error_text(e));
		return -1;
	}
	for (unsigned i = 0; i < ph->sdp.n_media && md == NULL; i++)
		if (sip_str_ieq(ph->sdp.media[i].type, "audio"))
			md = &ph->sdp.media[i];
	if (md == NULL || md->port == 0 || md->c.ipv4 == 0) {
		snprintf(pr->error, sizeof(pr->error), "the gateway's SDP answer %s",
			 md == NULL ? "has no audio stream" : md->port == 0 ?
			 "refuses the audio stream (port 0)" : "gives no IPv4 media address");
		return -1;
	}
	for (unsigned i = 0; i < md->n_fmts; i++)
		pcmu |= md->fmts[i] == 0;
	if (!pcmu) {
		snprintf(pr->error, sizeof(pr->error), "the gateway's SDP answer does not keep "
			 "PCMU (payload type 0), the test tone's codec");
		return -1;
	}
	if (md->savp != ph->srtp) {
		snprintf(pr->error, sizeof(pr->error), "the gateway answered %.*s to our %s offer",
			 (int)md->proto.len, md->proto.p, ph->srtp ? "RTP/SAVP" : "RTP/AVP");
		return -1;
	}
	/* RFC 4568 6.1: the answer keeps one offered line, its tag and suite */
	for (unsigned i = 0; ph->srtp && i < md->n_crypto && !keyed; i++) {
		sdp_crypto_parse(&c, sdp_attr_value(&ph->sdp.lines[md->crypto[i]]));
		if (c.status == SDP_CRYPTO_USABLE && c.tag >= 1 && c.tag <= ph->n_suites &&
		    c.suite == (int)ph->suites[c.tag - 1] && c.n_keys == 1 &&
		    c.keys[0].len == sdp_suite_key_salt_len(ph->suites[c.tag - 1])) {
			memcpy(rx_key, c.keys[0].key_salt, c.keys[0].len);
			ph->suite = ph->suites[c.tag - 1];
			*tx_key = ph->keys[c.tag - 1];
			keyed = true;
		}
		sdp_crypto_wipe(&c);
	}
	if (ph->srtp && !keyed) {
		snprintf(pr->error, sizeof(pr->error), "the gateway's SDP answer has no usable "
			 "a=crypto line with a tag and suite we offered");
		return -1;
	}
	ph->remote_addr = md->c.ipv4;
	ph->remote_port = md->port;
	ph->remote_rtcp = md->rtcp_mux ? md->port
			  : md->rtcp_port != 0 ? md->rtcp_port : (uint16_t)(md->port + 1);
	probe_ipstr(ph->remote_addr, a, sizeof(a));
	snprintf(ph->media_to, sizeof(ph->media_to), "%s:%u", a, ph->remote_port);
	return 0;
}

static void hang_up(struct worker_sip *ws, struct sip_probe *pr, uint64_t now_ms)
{
	struct sip_phone *ph = &pr->ph;

	if (ph->rtp.started)
		rtp_phone_bye(&ph->rtp, now_us(ws), media_out, ws);
	ph->state = PHONE_HANGING_UP;
	ph->end_ms = now_ms + BYE_WAIT_MS;
	ph->rtx_every = T1_MS;
	ph->rtx_ms = now_ms + T1_MS;
	if (build_in_dialog(ws, pr, "BYE", 2) == 0)
		send_req(ws, pr);
}

static void answered(struct worker_sip *ws, struct sip_probe *pr, const struct sip_msg *m,
		     uint64_t now_ms)
{
	struct sip_phone *ph = &pr->ph;
	uint8_t rx_key[SDP_KEY_SALT_MAX];
	struct rtp_phone_conf c = { .srtp = ph->srtp, .rx_key = rx_key, .ssrc = rand32(),
				    .pt = 0, .ntp_at_zero = ph->ntp_at_zero };
	int rc;

	ph->answered = true;
	ph->status = m->status;
	snprintf(ph->reason, sizeof(ph->reason), "%.*s",
		 (int)(m->reason.len < sizeof(ph->reason) ? m->reason.len : sizeof(ph->reason) - 1),
		 m->reason.p);
	ph->answer_ms = (double)(now_ms - pr->start_ms);
	probe_header_text(m, "Server", pr->server, sizeof(pr->server));
	if (pr->server[0] == '\0')
		probe_header_text(m, "User-Agent", pr->server, sizeof(pr->server));
	if (dialog_of(pr, m) != 0 || build_in_dialog(ws, pr, "ACK", 1) != 0) {
		probe_fail(ws, pr, "the gateway's 2xx cannot be acknowledged (To, Contact or "
			   "Record-Route too long or missing)");
		return;
	}
	send_req(ws, pr);
	rc = media_of(pr, m, rx_key, &c.tx_key);
	c.suite = ph->suite;
	if (rc == 0) {
		rc = rtp_phone_start(&ph->rtp, &c, now_us(ws));
		if (rc != 0)
			snprintf(pr->error, sizeof(pr->error), "cannot set up %s with the "
				 "gateway's key (libsrtp2 refused it)",
				 umedge_srtp_suite_name(ph->suite));
	}
	OPENSSL_cleanse(rx_key, sizeof(rx_key));
	if (rc != 0) {
		/* the call is up but its media cannot be: hang up, say why */
		hang_up(ws, pr, now_ms);
		return;
	}
	ph->state = PHONE_TALKING;
	ph->media_end_ms = now_ms + (uint64_t)ph->seconds * 1000;
	/* the ACK may be lost on UDP: the 2xx is retransmitted, the ACK again
	 * from ph->req until the BYE replaces it */
}

static void request_in(struct worker_sip *ws, struct sip_probe *pr, const struct sip_msg *m,
		       uint64_t now_ms)
{
	struct sip_phone *ph = &pr->ph;

	switch (m->method) {
	case SIP_METHOD_ACK:
		return;
	case SIP_METHOD_BYE:
		reply(ws, pr, m, 200, "OK");
		if (ph->state == PHONE_TALKING || ph->state == PHONE_HANGING_UP) {
			ph->by_gateway = ph->state == PHONE_TALKING;
			probe_finish(ws, pr);
		}
		return;
	case SIP_METHOD_OPTIONS:
	case SIP_METHOD_INFO:
		reply(ws, pr, m, 200, "OK");
		return;
	case SIP_METHOD_INVITE:
		/* a re-INVITE: the test call keeps its session (RFC 3261 14.2) */
		reply(ws, pr, m, 488, "Not Acceptable Here");
		return;
	default:
		reply(ws, pr, m, 501, "Not Implemented");
		return;
	}
	(void)now_ms;
}

static void invite_answer(struct worker_sip *ws, struct sip_probe *pr, const struct sip_msg *m,
			  uint64_t now_ms)
{
	struct sip_phone *ph = &pr->ph;
	char ack[PROBE_MSG_MAX];
	long n;

	if (!pr->answered) {
		/* the INVITE's round trip: to its first answer */
		pr->answered = true;
		pr->rtt_ms = (double)(now_ms - pr->sent_ms);
	}
	pr->status = m->status;
	snprintf(pr->reason, sizeof(pr->reason), "%.*s",
		 (int)(m->reason.len < sizeof(pr->reason) ? m->reason.len : sizeof(pr->reason) - 1),
		 m->reason.p);
	if (m->status < 200) {
		pr->provisional = true;
		if ((m->status == 180 || m->status == 183) && !ph->ringing) {
			ph->ringing = true;
			ph->ring_ms = (double)(now_ms - pr->start_ms);
		}
		return;
	}
	if (m->status < 300) {
		if (ph->state == PHONE_INVITING || ph->state == PHONE_CANCELLING) {
			bool late = ph->state == PHONE_CANCELLING;
			answered(ws, pr, m, now_ms);
			/* answered while our CANCEL crossed it: hang up at once */
			if (late && ph->state == PHONE_TALKING)
				ph->media_end_ms = now_ms;
		} else if (ph->state == PHONE_TALKING) {
			send_req(ws, pr); /* a retransmitted 2xx: the ACK again */
		}
		return;
	}
	if (ph->state != PHONE_INVITING && ph->state != PHONE_CANCELLING)
		return;
	n = sip_ack_build(&ph->inv, m, ack, sizeof(ack));
	if (n > 0)
		(void)probe_send(ws, pr, ack, (size_t)n);
	ph->status = m->status;
	snprintf(ph->reason, sizeof(ph->reason), "%.*s",
		 (int)(m->reason.len < sizeof(ph->reason) ? m->reason.len : sizeof(ph->reason) - 1),
		 m->reason.p);
	probe_header_text(m, "Server", pr->server, sizeof(pr->server));
	if (ph->cancelled && m->status == 487)
		probe_fail(ws, pr, "the gateway did not answer the call in %.1f s: cancelled "
			   "(487 %s)", pr->timeout_ms / 1000.0, ph->reason);
	else
		probe_fail(ws, pr, "the gateway refused the call: %u %s", m->status, ph->reason);
}

void sip_phone_input(struct worker_sip *ws, struct sip_probe *pr, const struct sip_msg *m)
{
	struct sip_phone *ph = &pr->ph;
	uint64_t now_ms = worker_sip_now_ms(ws);
	struct sip_cseq cs;

	if (m->is_request) {
		request_in(ws, pr, m, now_ms);
		return;
	}
	if (sip_msg_cseq(m, &cs) != 0)
		return;
	if (cs.method == SIP_METHOD_INVITE) {
		invite_answer(ws, pr, m, now_ms);
	} else if (cs.method == SIP_METHOD_BYE && ph->state == PHONE_HANGING_UP && m->status >= 200) {
		ph->bye_answered = true;
		ph->bye_status = m->status;
		probe_finish(ws, pr);
	}
	/* 200 to our CANCEL: the 487 follows */
}

/* RFC 3261 timer A/E for a request on UDP: T1 doubling to T2 (as E). */
static void retransmit(struct worker_sip *ws, struct sip_probe *pr, uint64_t now_ms,
		       const char *msg, size_t len)
{
	struct sip_phone *ph = &pr->ph;

	if (pr->transport != UMEDGE_TRANSPORT_UDP || now_ms < ph->rtx_ms)
		return;
	(void)probe_send(ws, pr, msg, len);
	ph->rtx_every = ph->rtx_every * 2 > T2_MS ? T2_MS : ph->rtx_every * 2;
	ph->rtx_ms = now_ms + ph->rtx_every;
}

void sip_phone_poll(struct worker_sip *ws, struct sip_probe *pr, uint64_t now_ms)
{
	struct sip_phone *ph = &pr->ph;
	char secs[16];
	long n;

	snprintf(secs, sizeof(secs), "%.1f", pr->timeout_ms / 1000.0);
	switch (ph->state) {
	case PHONE_INVITING:
		if (now_ms < pr->deadline_ms) {
			/* timer A, until something comes back */
			if (pr->transport == UMEDGE_TRANSPORT_UDP && !pr->provisional &&
			    now_ms >= pr->rtx_ms) {
				(void)probe_send(ws, pr, pr->msg, pr->msg_len);
				pr->sends++;
				pr->rtx_every = pr->rtx_every * 2;
				pr->rtx_ms = now_ms + pr->rtx_every;
			}
			return;
		}
		if (pr->transport == UMEDGE_TRANSPORT_TLS && !pr->tls_up) {
			probe_fail(ws, pr, "the TLS handshake did not complete in %s s", secs);
			return;
		}
		if (!pr->provisional) {
			probe_fail(ws, pr, "no answer to the INVITE in %s s%s", secs,
				   pr->transport == UMEDGE_TRANSPORT_UDP
				   ? " (sent on UDP, retransmitted)" : "");
			return;
		}
		/* it rings (or tries) but nobody answers: CANCEL (RFC 3261 9.1) */
		n = sip_cancel_build(&ph->inv, ph->req, sizeof(ph->req));
		if (n <= 0) {
			probe_fail(ws, pr, "the call was not answered in %s s", secs);
			return;
		}
		ph->req_len = (size_t)n;
		ph->cancelled = true;
		ph->state = PHONE_CANCELLING;
		ph->cancel_ms = now_ms + CANCEL_WAIT_MS;
		ph->rtx_every = T1_MS;
		ph->rtx_ms = now_ms + T1_MS;
		send_req(ws, pr);
		return;
	case PHONE_CANCELLING:
		if (now_ms >= ph->cancel_ms)
			probe_fail(ws, pr, "the gateway did not answer the call in %s s, and not "
				   "our CANCEL either", secs);
		else
			retransmit(ws, pr, now_ms, ph->req, ph->req_len);
		return;
	case PHONE_TALKING:
		rtp_phone_tick(&ph->rtp, now_us(ws), now_ms < ph->media_end_ms, media_out, ws);
		if (now_ms >= ph->media_end_ms + TAIL_MS)
			hang_up(ws, pr, now_ms);
		return;
	case PHONE_HANGING_UP:
		if (now_ms >= ph->end_ms)
			probe_finish(ws, pr); /* the BYE unanswered: said in the result */
		else
			retransmit(ws, pr, now_ms, ph->req, ph->req_len);
		return;
	default:
		return;
	}
}

void sip_phone_release(struct worker_sip *ws, struct sip_probe *pr)
{
	struct sip_phone *ph = &pr->ph;

	if (ph->rtp.started) {
		rtp_phone_report(&ph->rtp, &ph->rep);
		ph->talk_s = (double)(now_us(ws) - ph->rtp.start_us) / 1e6;
		rtp_phone_stop(&ph->rtp);
	}
	if (ph->port != 0) {
		if (ws->mw != NULL && ws->mw->local_port == ph->port) {
			ws->mw->local_port = 0;
			ws->mw->local_rx = NULL;
			ws->mw->local_arg = NULL;
		}
		media_ports_put(ws->media, NET_IFACE_EXTERNAL, ph->port);
		ph->port = 0;
	}
	OPENSSL_cleanse(ph->keys, sizeof(ph->keys));
}

/* ---- main lcore: the result ---- */

bool sip_phone_passed(const struct sip_probe *pr)
{
	const struct sip_phone *ph = &pr->ph;

	return ph->answered && pr->error[0] == '\0' && ph->rep.received > 0;
}

const char *sip_phone_verdict(const struct sip_probe *pr, char *out, size_t len)
{
	const struct sip_phone *ph = &pr->ph;

	if (pr->error[0] != '\0')
		snprintf(out, len, "%s", pr->error);
	else if (!ph->answered)
		snprintf(out, len, "the call was not answered");
	else if (ph->rep.received == 0 && ph->rep.auth_fail > 0)
		snprintf(out, len, "media came back but none of it authenticated (%llu SRTP "
			 "authentication failures): the gateway does not use the key it answered",
			 (unsigned long long)ph->rep.auth_fail);
	else if (ph->rep.received == 0)
		snprintf(out, len, "the call was answered but no media came back (%llu packets "
			 "sent to %s)", (unsigned long long)ph->rep.sent, ph->media_to);
	else
		out[0] = '\0';
	return out;
}

static json_t *ms_or_null(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

json_t *sip_phone_json(const struct sip_probe *pr)
{
	const struct sip_phone *ph = &pr->ph;
	const struct rtp_phone_report *r = &ph->rep;
	json_t *media;

	media = json_pack("{s:s, s:s, s:s*, s:s*, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			  "s:I, s:f, s:f, s:b, s:o, s:o, s:o, s:o, s:o, s:I}",
			  "security", ph->srtp ? "SRTP" : "RTP",
			  "suite", ph->srtp ? umedge_srtp_suite_name(ph->suite) : "none",
			  "to", ph->media_to[0] ? ph->media_to : NULL,
			  "from", ph->media_from[0] ? ph->media_from : NULL,
			  "seconds", ph->talk_s,
			  "packets_sent", (json_int_t)r->sent,
			  "packets_received", (json_int_t)r->received,
			  "expected", (json_int_t)r->expected, "lost", (json_int_t)r->lost,
			  "rtcp_sent", (json_int_t)r->rtcp_sent,
			  "rtcp_received", (json_int_t)r->rtcp_received,
			  "auth_failures", (json_int_t)r->auth_fail,
			  "replays", (json_int_t)r->replay,
			  "malformed", (json_int_t)(r->bad + r->other_ssrc),
			  "loss_percent", r->loss_pct, "jitter_ms", r->jitter_ms,
			  "echo", r->echo,
			  "rtt_ms", ms_or_null(r->rtcp_rtt_ms),
			  "rtt_min_ms", ms_or_null(r->rtcp_rtt_min_ms),
			  "rtt_max_ms", ms_or_null(r->rtcp_rtt_max_ms),
			  "echo_rtt_ms", ms_or_null(r->echo_rtt_ms),
			  "echo_rtt_max_ms", ms_or_null(r->echo_rtt_max_ms),
			  "rtt_samples", (json_int_t)r->rtcp_rtt_samples);
	if (media != NULL && r->peer_report)
		json_object_set_new(media, "gateway_report",
				    json_pack("{s:f, s:i, s:f}", "loss_percent", r->peer_loss_pct,
					      "lost", (int)r->peer_lost, "jitter_ms",
					      r->peer_jitter_ms));
	return json_pack("{s:s, s:i, s:s*, s:o, s:o, s:b, s:o, s:b, s:i, s:o}",
			 "number", ph->number, "status", (int)ph->status,
			 "reason", ph->reason[0] ? ph->reason : NULL,
			 "ringing_ms", ph->ringing ? json_real(ph->ring_ms) : json_null(),
			 "answered_ms", ph->answered ? json_real(ph->answer_ms) : json_null(),
			 "hung_up_by_gateway", ph->by_gateway,
			 "bye_status", ph->bye_answered ? json_integer(ph->bye_status) : json_null(),
			 "cancelled", ph->cancelled, "seconds_asked", (int)ph->seconds,
			 "media", media != NULL ? media : json_null());
}
