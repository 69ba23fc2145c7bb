/*
 * sip_proxy_calls.c: the proxy's calls and their media (sip_call.h): a
 * record per INVITE, the SDP of requests and responses through the
 * engine, refusals worded and counted, the call's end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "sip_proxy_int.h"

static struct sip_call_env px_call_env(const struct sip_proxy *px)
{
	return (struct sip_call_env){ px->io.media, { px->cfg.addr[0], px->cfg.addr[1] } };
}

struct sip_call *px_call_of(struct sip_proxy *px, const struct sip_msg *m)
{
	struct sip_str cid;

	return sip_msg_call_id(m, &cid) == 0 ? sip_call_find(&px->calls, cid) : NULL;
}

/* The call f's INVITE belongs to, if it still exists. */
struct sip_call *px_fwd_call(const struct fwd *f)
{
	return f->call != NULL && f->call->key != 0 && f->call->id == f->call_id ? f->call : NULL;
}

static const char *tp_lower(unsigned tp)
{
	return tp < UMEDGE_TRANSPORT_COUNT ? umedge_transport_names[tp] : "udp";
}

#define CALL_DETAIL 640

/* What the call events say of c, into detail (CALL_DETAIL bytes): its
 * length. */
static size_t call_detail(const struct sip_call *c, char *detail)
{
	int n = snprintf(detail, CALL_DETAIL,
			 "call=%u call_id=%.100s gateway=%s dial_plan=%s mode=%s transport=%s "
			 "srtp=%s",
			 c->id, c->call_id, c->gateway,
			 c->dial_plan[0] ? c->dial_plan : "(start_secured)",
			 umedge_security_names[c->mode], tp_lower(c->gw_transport),
			 c->has_cur && c->cur.srtp ? umedge_srtp_suite_names[c->cur.suite] : "none");

	return n < 0 ? 0 : (size_t)n < CALL_DETAIL ? (size_t)n : CALL_DETAIL - 1;
}

/* CallStarted, CallEnded, CallMediaTimeout: one per call, not rate-limited
 * per gateway (the worker's event budget still bounds them). */
static void call_event(struct sip_proxy *px, enum umedge_event_id id, const struct sip_call *c,
		       const char *more)
{
	char detail[CALL_DETAIL];
	size_t n;

	if (px->io.event == NULL)
		return;
	n = call_detail(c, detail);
	snprintf(detail + n, sizeof(detail) - n, "%s", more);
	px->io.event(px->io.arg, id, detail);
}

void px_call_end(struct sip_proxy *px, struct sip_call *c, const char *reason, unsigned status)
{
	struct sip_media_counters mc;
	char detail[CALL_DETAIL];
	uint64_t duration_s;
	size_t n;

	if (c == NULL)
		return;
	if (c->state != SIP_CALL_ANSWERED) {
		px->stats.calls_failed++;
		if (status >= 300 && status < 700)
			px->stats.calls_failed_by_code[status - 300]++;
		sip_call_end(&px->calls, c, px->io.media, NULL);
		return;
	}
	px->stats.calls_ended++;
	/* the event's words about the call first: the record goes with its
	 * media, which gives the last counters */
	n = call_detail(c, detail);
	duration_s = (px->now - c->answered_ms) / 1000;
	sip_call_end(&px->calls, c, px->io.media, &mc);
	if (px->io.event == NULL)
		return;
	snprintf(detail + n, sizeof(detail) - n,
		 " duration_s=%llu packets_in=%llu packets_out=%llu bytes_in=%llu bytes_out=%llu "
		 "auth_fail=%llu replay=%llu reason=%s",
		 (unsigned long long)duration_s, (unsigned long long)mc.packets[0],
		 (unsigned long long)mc.packets[1], (unsigned long long)mc.bytes[0],
		 (unsigned long long)mc.bytes[1], (unsigned long long)mc.auth_fail,
		 (unsigned long long)mc.replay, reason);
	px->io.event(px->io.arg, UMEDGE_EV_CallEnded, detail);
}

void px_call_request_seen(struct sip_call *c, uint8_t side, const struct sip_msg *m)
{
	struct sip_cseq cs;

	if (c != NULL && side < 2 && sip_msg_cseq(m, &cs) == 0 && cs.num > c->leg[side].cseq)
		c->leg[side].cseq = cs.num;
}

/* v into out (cap bytes): false when it does not fit. */
static bool copy_str(char *out, size_t cap, const char *p, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static bool contact_uri(const struct sip_msg *m, char *out, size_t cap)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	struct sip_nameaddr na;

	return sip_list_next(m, SIP_HDR_CONTACT, &it, &item) == 1 &&
	       sip_nameaddr_parse(&na, item.value.p, item.value.len) == 0 &&
	       copy_str(out, cap, na.uri_str.p, na.uri_str.len);
}

static bool rr_is_us(const struct sip_proxy *px, struct sip_str v)
{
	struct sip_nameaddr na;

	return sip_nameaddr_parse(&na, v.p, v.len) == 0 && na.uri.ipv4 != 0 &&
	       (na.uri.ipv4 == px->cfg.addr[0] || na.uri.ipv4 == px->cfg.addr[1]);
}

/* The dialog of the 2xx to the call's INVITE (ct carries our copy of the
 * INVITE): what the engine needs to send BYE both ways on its own. */
static void capture_dialog(struct sip_proxy *px, struct sip_call *c, struct fwd *f,
			   struct sip_txn *ct, const struct sip_msg *rsp)
{
	static __thread struct sip_msg inv;
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	struct sip_str above[8], below[8], from, to;
	unsigned n_above = 0, n_below = 0, ours = 0;
	uint8_t caller = c->caller, callee = c->caller ^ 1;
	const char *req;
	size_t len;

	req = sip_txn_message(ct, &len);
	if (req == NULL || f->st == NULL || sip_msg_parse(&inv, req, len, &px->lim) != SIP_E_OK ||
	    !contact_uri(&inv, c->leg[caller].target, sizeof(c->leg[caller].target)) ||
	    !contact_uri(rsp, c->leg[callee].target, sizeof(c->leg[callee].target)))
		return;
	/* Record-Route top to bottom: the callee's side above our two values,
	 * the caller's below */
	while (sip_list_next(rsp, SIP_HDR_RECORD_ROUTE, &it, &item) == 1) {
		if (rr_is_us(px, item.value))
			ours++;
		else if (ours == 0 && n_above < 8)
			above[n_above++] = item.value;
		else if (ours > 0 && n_below < 8)
			below[n_below++] = item.value;
	}
	c->leg[caller].routes[0] = c->leg[callee].routes[0] = '\0';
	for (unsigned i = 0; i < n_below; i++) /* towards the caller: in order */
		snprintf(c->leg[caller].routes + strlen(c->leg[caller].routes),
			 sizeof(c->leg[caller].routes) - strlen(c->leg[caller].routes), "%s%.*s",
			 i ? ", " : "", (int)below[i].len, below[i].p);
	for (unsigned i = n_above; i-- > 0;) /* towards the callee: reversed */
		snprintf(c->leg[callee].routes + strlen(c->leg[callee].routes),
			 sizeof(c->leg[callee].routes) - strlen(c->leg[callee].routes), "%s%.*s",
			 i + 1 < n_above ? ", " : "", (int)above[i].len, above[i].p);
	c->leg[caller].peer = *sip_txn_peer(f->st);
	c->leg[callee].peer = *sip_txn_peer(ct);
	if (rsp->first[SIP_HDR_FROM] == 0 || rsp->first[SIP_HDR_TO] == 0)
		return;
	from = sip_msg_hdr_value(rsp, rsp->first[SIP_HDR_FROM]);
	to = sip_msg_hdr_value(rsp, rsp->first[SIP_HDR_TO]);
	if (!copy_str(c->from, sizeof(c->from), from.p, from.len) ||
	    !copy_str(c->to, sizeof(c->to), to.p, to.len))
		return;
	c->has_dialog = true;
}

/* A BYE to `side` of call c, as the other party would send it, with a
 * Reason (RFC 3326). Its answer is absorbed by its client transaction. */
static void call_bye(struct sip_proxy *px, struct sip_call *c, uint8_t side, const char *why)
{
	const struct sip_call_leg *leg = &c->leg[side];
	bool to_caller = side == c->caller;
	uint32_t cseq = ++c->leg[side ^ 1].cseq; /* the sender's CSeq space */
	char buf[4096], ip[INET_ADDRSTRLEN];
	struct sip_txn *bye;
	int n;

	sip_ipv4_str(ip, sizeof(ip), px->cfg.addr[side]);
	n = snprintf(buf, sizeof(buf),
		     "BYE %s SIP/2.0\r\n"
		     "Via: SIP/2.0/%s %s:%u;branch=z9hG4bKum%u.bye%llx;rport\r\n"
		     "%s%s%s"
		     "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u BYE\r\n"
		     "Reason: SIP;cause=200;text=\"%s\"\r\nContent-Length: 0\r\n\r\n",
		     leg->target, leg->peer.transport == UMEDGE_TRANSPORT_TLS ? "TLS"
				  : leg->peer.transport == UMEDGE_TRANSPORT_TCP ? "TCP" : "UDP",
		     ip, leg->peer.transport == UMEDGE_TRANSPORT_TLS ? px->cfg.tls_port : px->cfg.port,
		     px->cfg.worker, (unsigned long long)++px->seq, leg->routes[0] ? "Route: " : "",
		     leg->routes, leg->routes[0] ? "\r\n" : "", to_caller ? c->to : c->from,
		     to_caller ? c->from : c->to, c->call_id, cseq, why);
	if (n > 0 && (size_t)n < sizeof(buf))
		(void)sip_txn_client_start(px->tt, buf, (size_t)n, &leg->peer, NULL, &bye);
}

int px_call_drop(struct sip_proxy *px, struct sip_call *c, const char *reason)
{
	if (c == NULL)
		return -ENOENT;
	if (c->state != SIP_CALL_ANSWERED || !c->has_dialog)
		return -EBUSY;
	call_bye(px, c, SIP_SIDE_EXTERNAL, reason);
	call_bye(px, c, SIP_SIDE_INTERNAL, reason);
	px_call_end(px, c, reason, 0);
	return 0;
}

int sip_proxy_call_drop(struct sip_proxy *px, uint32_t id, const char *reason)
{
	int rc = px_call_drop(px, sip_call_by_id(&px->calls, id), reason);

	if (rc == 0)
		px->stats.calls_dropped++;
	return rc;
}

void px_calls_check_media(struct sip_proxy *px, uint64_t elapsed_ms)
{
	const struct sip_media_ops *ops = px->io.media;
	uint64_t n = (uint64_t)px->calls.cap * elapsed_ms / MEDIA_CHECK_MS + 1;

	if (px->cfg.media_timeout_ms == 0 || ops->idle_ms == NULL)
		return;
	if (n > px->calls.cap)
		n = px->calls.cap;
	for (; n > 0; n--) {
		struct sip_call *c = &px->calls.pool[px->media_cursor];
		char more[64];

		px->media_cursor = (px->media_cursor + 1) % px->calls.cap;

		/* answered, media running, not on hold (a=inactive, c=0.0.0.0) */
		if (c->key == 0 || c->state != SIP_CALL_ANSWERED || c->media == NULL ||
		    !c->has_dialog || !c->has_cur || c->cur.dir == SDP_INACTIVE ||
		    ops->idle_ms(ops->arg, c->media) < px->cfg.media_timeout_ms)
			continue;
		px->stats.calls_media_timeout++;
		snprintf(more, sizeof(more), " timeout_s=%llu",
			 (unsigned long long)(px->cfg.media_timeout_ms / 1000));
		call_event(px, UMEDGE_EV_CallMediaTimeout, c, more);
		(void)px_call_drop(px, c, "media timeout");
	}
}

/* What an SDP refusal is answered with. */
struct sdp_no {
	unsigned status;
	const char *reason;
	struct sip_hdr_out warn;
	char text[256];
};

/* An offer or answer the call cannot take: counted, worded, and for a
 * mode's media rules an event. */
static void px_sdp_refused(struct sip_proxy *px, const struct sip_call *c, enum sip_call_verdict v,
			enum sdp_refusal why, struct sdp_no *no)
{
	const char *plan = c != NULL && c->dial_plan[0] ? c->dial_plan : "(start_secured)";
	const char *gw = c != NULL ? c->gateway : "-";
	char detail[512];

	no->warn.name = "Warning";
	no->warn.value = no->text;
	switch (v) {
	case SIP_CALL_SDP_NO_PORTS:
		px->stats.media_unavailable++;
		no->status = 503;
		no->reason = "No Media Ports";
		snprintf(no->text, sizeof(no->text), "399 umedge \"no media port free\"");
		return;
	case SIP_CALL_SDP_MEDIA_FAILED:
		px->stats.media_unavailable++;
		no->status = 500;
		no->reason = "Media Set-up Failed";
		snprintf(no->text, sizeof(no->text), "399 umedge \"the media engine refused the session\"");
		return;
	case SIP_CALL_SDP_MALFORMED:
		px->stats.malformed_sdp++;
		no->status = 400;
		no->reason = "Bad SDP";
		snprintf(no->text, sizeof(no->text), "399 umedge \"%s\"", sdp_refusal_text(why));
		return;
	case SIP_CALL_SDP_NO_OFFER:
		px->stats.refused_sdp++;
		no->status = 488;
		no->reason = "Not Acceptable Here";
		snprintf(no->text, sizeof(no->text),
			 "399 umedge \"an offer in a response (late offer) is not supported\"");
		return;
	default:
		break;
	}
	px->stats.refused_sdp++;
	no->status = 488;
	no->reason = "Not Acceptable Here";
	snprintf(no->text, sizeof(no->text), "399 umedge \"dial plan %s is %s: %s\"", plan,
		 c != NULL ? umedge_security_names[c->mode] : "-", sdp_refusal_text(why));
	if (c == NULL || why == SDP_R_NO_AUDIO)
		return; /* not the mode's doing */
	{
		struct sip_str proto = sip_call_offered_proto(&px->calls);

		snprintf(detail, sizeof(detail),
			 "gateway=%s dial_plan=%s expected=%s offered=%.*s reason=%s", gw, plan,
			 umedge_security_names[c->mode], (int)(proto.len > 32 ? 32 : proto.len),
			 proto.p, sdp_refusal_text(why));
		px_event(px, UMEDGE_EV_VoipSecurityMismatch, gw, detail);
	}
}

/* An offer in the 2xx to an INVITE that had none (RFC 3264 late offer):
 * through the engine like any offer, its answer expected in the ACK
 * (forward_ack). The offer as written is kept for the 2xx's
 * retransmissions. false: refused (the far side's dialog ended, the
 * caller answered). */
static bool late_offer(struct sip_proxy *px, struct fwd *f, struct sip_txn *ct,
		       const struct sip_msg *rsp, struct sip_call *c, uint32_t cseq)
{
	struct sip_call_env env = px_call_env(px);
	enum sdp_refusal why = SDP_R_OK;
	enum sip_call_verdict v;
	struct sdp_no no;
	long n;

	if (f->answered)
		return false; /* a refused late offer's 2xx again */
	v = sip_call_offer(&px->calls, c, &env, sip_txn_peer(ct)->side, SIP_METHOD_INVITE, cseq,
			   rsp->body, px->sdp_out, px->lim.max_message, &n, &why);
	if (v == SIP_CALL_SDP_OK) {
		sip_call_late_done(c); /* an earlier late offer's copy */
		c->late_sdp = malloc((size_t)n);
		if (c->late_sdp != NULL) {
			memcpy(c->late_sdp, px->sdp_out, (size_t)n);
			c->late_len = (uint32_t)n;
			sip_edit_body(&px->ed, c->late_sdp, c->late_len);
			return true;
		}
		sip_call_offer_failed(c);
		v = SIP_CALL_SDP_MEDIA_FAILED;
	}
	px_sdp_refused(px, c, v, why, &no);
	px_send_in_dialog(px, ct, rsp, "ACK");
	if (cseq == c->invite_cseq && c->state != SIP_CALL_ANSWERED) {
		px_send_in_dialog(px, ct, rsp, "BYE");
		px_call_end(px, c, "refused", 488);
	}
	px_answer_upstream(px, f, ct, no.status == 400 ? 488 : no.status,
			   no.status == 400 ? "Not Acceptable Here" : no.reason, &no.warn, 1);
	return false;
}

bool px_ack_answer(struct sip_proxy *px, const struct sip_msg *m, uint8_t from)
{
	struct sip_call *c = px_call_of(px, m);
	struct sip_call_env env = px_call_env(px);
	enum sdp_refusal why;
	enum sip_call_verdict v;
	struct sip_cseq cs;
	struct sdp_no no;
	long n;

	if (c == NULL || !c->has_pend || c->pend_answered || c->pend_from != (from ^ 1) ||
	    sip_msg_cseq(m, &cs) != 0 || cs.num != c->pend_cseq) {
		px->stats.refused_sdp++; /* SDP in an ACK no late offer waits for */
		return false;
	}
	/* the offer's copy stays: a 2xx retransmitted after this ACK (it
	 * crossed it) must carry the same offer again */
	v = sip_call_answer(&px->calls, c, &env, m->body, px->sdp_out, px->lim.max_message, &n,
			    &why);
	if (v == SIP_CALL_SDP_OK) {
		sip_edit_body(&px->ed, px->sdp_out, (uint32_t)n);
		return true;
	}
	/* an ACK cannot be refused: the call ends, both ways */
	px_sdp_refused(px, c, v, why, &no);
	sip_call_offer_failed(c);
	(void)px_call_drop(px, c, "media refused");
	return false;
}

/* The SDP of a response to INVITE or UPDATE: the answer to the call's
 * pending offer, rewritten (edits in px->ed). false: the response stops
 * here (refused; a refused 2xx has been dealt with). */
bool px_response_media(struct sip_proxy *px, struct fwd *f, struct sip_txn *ct,
			   const struct sip_msg *rsp)
{
	struct sip_call *c = px_call_of(px, rsp);
	struct sip_call_env env = px_call_env(px);
	enum sip_call_verdict v = SIP_CALL_SDP_NO_OFFER;
	enum sdp_refusal why = SDP_R_OK;
	struct sip_cseq cs;
	struct sdp_no no;
	bool ours;
	long n;

	if (sip_msg_cseq(rsp, &cs) != 0 ||
	    (cs.method != SIP_METHOD_INVITE && cs.method != SIP_METHOD_UPDATE))
		return true;
	ours = c != NULL && c->has_pend && cs.num == c->pend_cseq && cs.method == c->pend_method;
	if (c != NULL)
		sip_call_touch(&px->calls, c, px->now);
	if (!px_has_sdp(rsp)) {
		if (ours && rsp->status >= 300)
			sip_call_offer_failed(c);
		return true;
	}
	if (rsp->status >= 300)
		return true;
	if (ours && c->pend_from == sip_txn_peer(ct)->side && rsp->status < 300 &&
	    c->late_sdp != NULL) {
		/* the late offer's 2xx again: the same offer */
		sip_edit_body(&px->ed, c->late_sdp, c->late_len);
		return true;
	}
	if (ours)
		v = sip_call_answer(&px->calls, c, &env, rsp->body, px->sdp_out, px->lim.max_message,
				    &n, &why);
	else if (c != NULL && rsp->status >= 200 && cs.method == SIP_METHOD_INVITE)
		return late_offer(px, f, ct, rsp, c, cs.num);
	if (v == SIP_CALL_SDP_OK) {
		sip_edit_body(&px->ed, px->sdp_out, (uint32_t)n);
		if (rsp->status < 200 && c->state == SIP_CALL_SETUP)
			c->state = SIP_CALL_EARLY;
		return true;
	}
	px_sdp_refused(px, c, v, why, &no);
	if (rsp->status < 200 || f->answered)
		return false; /* a provisional stops here; a 2xx again is absorbed */
	/* the far side's dialog exists now: ACK it; an initial INVITE's call
	 * ends there (BYE), a re-offer's call keeps its last exchange */
	px_send_in_dialog(px, ct, rsp, "ACK");
	if (c == NULL || cs.num == c->invite_cseq) {
		px_send_in_dialog(px, ct, rsp, "BYE");
		px_call_end(px, c, "refused", 488);
	} else {
		sip_call_offer_failed(c);
	}
	if (no.status == 400) {
		no.status = 488; /* the far side's answer was bad, not the caller's offer */
		no.reason = "Not Acceptable Here";
	}
	px_answer_upstream(px, f, ct, no.status, no.reason, &no.warn, 1);
	return false;
}

/* After a final response to INVITE went on: the call is answered, or its
 * INVITE failed and it ends. */
void px_call_progress(struct sip_proxy *px, struct fwd *f, struct sip_txn *ct,
		      const struct sip_msg *rsp)
{
	struct sip_call *c;
	struct sip_cseq cs;

	if (rsp->status < 200 || sip_msg_cseq(rsp, &cs) != 0 || cs.method != SIP_METHOD_INVITE ||
	    (c = px_call_of(px, rsp)) == NULL || cs.num != c->invite_cseq)
		return;
	if (rsp->status >= 300) {
		if (c->state != SIP_CALL_ANSWERED)
			px_call_end(px, c, "failed", rsp->status);
		return;
	}
	if (c->state == SIP_CALL_ANSWERED)
		return; /* the 2xx again */
	px->stats.calls_started++;
	sip_call_set_answered(&px->calls, c, px->now);
	c->leg[c->caller].cseq = cs.num;
	capture_dialog(px, c, f, ct, rsp);
	call_event(px, UMEDGE_EV_CallStarted, c, "");
}

/* The SDP offer of a request, through the engine (edits in px->ed). false:
 * refused and answered. */
bool px_media_offer(struct sip_proxy *px, struct sip_txn *st, const struct sip_msg *m,
			struct sip_call *c, uint8_t from)
{
	struct sip_call_env env = px_call_env(px);
	enum sdp_refusal why;
	enum sip_call_verdict v;
	struct sip_cseq cs;
	struct sip_str ct;
	struct sdp_no no;
	long n;

	if (m->method == SIP_METHOD_PRACK || sip_msg_content_type(m, &ct) != 0 ||
	    ct.len < 15 || strncasecmp(ct.p, "application/sdp", 15) != 0) {
		static const struct sip_hdr_out w = {
			"Warning", "399 umedge \"SDP in a multipart body or in PRACK is not "
				   "supported\""
		};

		px->stats.refused_sdp++;
		px_reply(px, st, m, 488, "Not Acceptable Here", &w, 1);
		return false;
	}
	if (sip_msg_cseq(m, &cs) != 0)
		cs.num = 0;
	v = sip_call_offer(&px->calls, c, &env, from, m->method, cs.num, m->body, px->sdp_out,
			   px->lim.max_message, &n, &why);
	if (v != SIP_CALL_SDP_OK) {
		px_sdp_refused(px, c, v, why, &no);
		px_reply(px, st, m, no.status, no.reason, &no.warn, 1);
		return false;
	}
	sip_edit_body(&px->ed, px->sdp_out, (uint32_t)n);
	return true;
}

/* A new call: its record, with what the policy decided. NULL: refused
 * and answered (the table is full). */
struct sip_call *px_call_begin(struct sip_proxy *px, struct sip_txn *st,
				   const struct sip_msg *m, const struct sip_rx *rx,
				   const struct sip_peer *to, const struct sip_policy_result *pr)
{
	/* a secured call in legacy mode (no dial plan): the usual suites */
	static const enum umedge_srtp_suite legacy[] = { UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80,
							 UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32 };
	struct sip_str cid = { "", 0 };
	struct sip_cseq cs;
	struct sip_call *c;

	(void)sip_msg_call_id(m, &cid);
	c = sip_call_find(&px->calls, cid);
	if (c != NULL)
		return c; /* the INVITE again after a challenge, say */
	c = sip_call_new(&px->calls, cid, px->now);
	if (c == NULL) {
		px->stats.calls_table_full++;
		px_reply(px, st, m, 503, "Service Unavailable", px_retry_after, 1);
		return NULL;
	}
	snprintf(c->gateway, sizeof(c->gateway), "%s", pr->gateway ? pr->gateway->name : "-");
	if (pr->dial_plan != NULL) {
		snprintf(c->dial_plan, sizeof(c->dial_plan), "%s", pr->dial_plan->name);
		for (int i = 0; i < pr->dial_plan->n_suites && i < UMEDGE_SRTP_SUITE_COUNT; i++)
			c->suites[c->n_suites++] = pr->dial_plan->suites[i];
	}
	if (c->n_suites == 0)
		for (unsigned i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
			c->suites[c->n_suites++] = legacy[i];
	c->mode = pr->mode;
	c->caller = rx->from.side;
	c->gw_transport = rx->from.side == SIP_SIDE_EXTERNAL ? rx->from.transport : to->transport;
	c->invite_cseq = sip_msg_cseq(m, &cs) == 0 ? cs.num : 0;
	return c;
}
