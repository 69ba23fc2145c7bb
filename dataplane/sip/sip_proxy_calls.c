/*
 * sip_proxy_calls.c: the proxy's calls and their media (sip_call.h): a
 * record per INVITE, the SDP of requests and responses through the
 * engine, refusals worded and counted, the call's end.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

void px_call_end(struct sip_proxy *px, struct sip_call *c, bool failed)
{
	if (c == NULL)
		return;
	if (c->state == SIP_CALL_ANSWERED)
		px->stats.calls_ended++;
	else if (failed)
		px->stats.calls_failed++;
	sip_call_end(&px->calls, c, px->io.media);
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
	if (ours)
		v = sip_call_answer(&px->calls, c, &env, rsp->body, px->sdp_out, px->lim.max_message,
				    &n, &why);
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
		px_call_end(px, c, true);
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
void px_call_progress(struct sip_proxy *px, const struct sip_msg *rsp)
{
	struct sip_call *c;
	struct sip_cseq cs;

	if (rsp->status < 200 || sip_msg_cseq(rsp, &cs) != 0 || cs.method != SIP_METHOD_INVITE ||
	    (c = px_call_of(px, rsp)) == NULL || cs.num != c->invite_cseq)
		return;
	if (rsp->status < 300) {
		if (c->state != SIP_CALL_ANSWERED)
			px->stats.calls_started++;
		sip_call_set_answered(&px->calls, c, px->now);
	} else if (c->state != SIP_CALL_ANSWERED) {
		px_call_end(px, c, true);
	}
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
