/*
 * sip_reply.c: a response built from a request (RFC 3261 8.2.6): the
 * status line, the Via fields, From, To, Call-ID and CSeq copied as they
 * came (To gets our tag when it has none), the caller's extra fields and
 * an empty body. And the ACK and CANCEL of an INVITE.
 */
#include <stdio.h>
#include <string.h>

#include "sip_msg.h"
#include "sip_msg_int.h"

/* Reason phrases and extra fields go on the wire: no CR or LF in them. */
static bool one_line(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

bool sip_msg_answerable(const struct sip_msg *m, enum sip_error e)
{
	return m->is_request && m->method != SIP_METHOD_ACK && m->first[SIP_HDR_VIA] != 0 &&
	       m->first[SIP_HDR_FROM] != 0 && m->first[SIP_HDR_TO] != 0 &&
	       m->first[SIP_HDR_CALL_ID] != 0 && m->first[SIP_HDR_CSEQ] != 0 &&
	       e != SIP_E_TOO_BIG && e != SIP_E_TOO_MANY_HEADERS && e != SIP_E_HEADER_TOO_LONG &&
	       e != SIP_E_TOO_MANY_VIAS;
}

long sip_reply_build(const struct sip_msg *req, unsigned status, const char *reason,
		     const char *to_tag, const struct sip_hdr_out *extra, unsigned n_extra,
		     char *out, size_t cap)
{
	struct sip_out o = { out, 0, cap, false };
	struct sip_nameaddr to;
	char line[32];
	unsigned i;

	if (!req->is_request || status < 100 || status > 699 || !one_line(reason))
		return -1;
	if (req->first[SIP_HDR_VIA] == 0 || req->first[SIP_HDR_FROM] == 0 ||
	    req->first[SIP_HDR_TO] == 0 || req->first[SIP_HDR_CALL_ID] == 0 ||
	    req->first[SIP_HDR_CSEQ] == 0)
		return -1;
	snprintf(line, sizeof(line), "SIP/2.0 %u ", status);
	sip_out_str(&o, line);
	sip_out_str(&o, reason);
	sip_out_put(&o, "\r\n", 2);
	for (i = req->first[SIP_HDR_VIA]; i != 0; i = req->hdrs[i].next)
		sip_out_field(&o, req, i);
	sip_out_field(&o, req, req->first[SIP_HDR_FROM]);
	i = req->first[SIP_HDR_TO];
	/* a To we cannot parse is copied as it came: the 400 still reaches
	 * the peer, without a tag */
	if (to_tag != NULL && status > 100 && one_line(to_tag) &&
	    sip_nameaddr_parse(&to, req->buf + req->hdrs[i].val_off, req->hdrs[i].val_len) == 0 &&
	    to.tag.p == NULL) {
		struct sip_str v = sip_msg_hdr_value(req, i);

		sip_out_str(&o, "To: ");
		sip_out_put(&o, v.p, v.len);
		sip_out_str(&o, ";tag=");
		sip_out_str(&o, to_tag);
		sip_out_put(&o, "\r\n", 2);
	} else {
		sip_out_field(&o, req, i);
	}
	sip_out_field(&o, req, req->first[SIP_HDR_CALL_ID]);
	sip_out_field(&o, req, req->first[SIP_HDR_CSEQ]);
	for (unsigned k = 0; k < n_extra; k++) {
		if (!one_line(extra[k].name) || !one_line(extra[k].value))
			return -1;
		sip_out_str(&o, extra[k].name);
		sip_out_put(&o, ": ", 2);
		sip_out_str(&o, extra[k].value);
		sip_out_put(&o, "\r\n", 2);
	}
	sip_out_str(&o, "Content-Length: 0\r\n\r\n");
	return o.overflow ? -1 : (long)o.n;
}

/* ACK or CANCEL of an INVITE (RFC 3261 17.1.1.3, 9.1): its Request-URI,
 * its top Via only, its Route fields, From, To (from to_msg: the
 * response's for an ACK, the INVITE's own for a CANCEL), Call-ID, CSeq
 * with the INVITE's number. */
static long from_invite(const struct sip_msg *invite, const char *method,
			const struct sip_msg *to_msg, char *out, size_t cap)
{
	struct sip_out o = { out, 0, cap, false };
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item via;
	struct sip_cseq cs;
	char num[16];

	if (!invite->is_request || invite->method != SIP_METHOD_INVITE ||
	    invite->first[SIP_HDR_FROM] == 0 || invite->first[SIP_HDR_CALL_ID] == 0 ||
	    to_msg->first[SIP_HDR_TO] == 0 || sip_msg_cseq(invite, &cs) != 0 ||
	    sip_list_next(invite, SIP_HDR_VIA, &it, &via) != 1)
		return -1;
	sip_out_str(&o, method);
	sip_out_put(&o, " ", 1);
	sip_out_put(&o, invite->ruri.p, invite->ruri.len);
	sip_out_str(&o, " SIP/2.0\r\nVia: ");
	sip_out_put(&o, via.value.p, via.value.len);
	sip_out_put(&o, "\r\n", 2);
	for (unsigned i = invite->first[SIP_HDR_ROUTE]; i != 0; i = invite->hdrs[i].next)
		sip_out_field(&o, invite, i);
	sip_out_field(&o, invite, invite->first[SIP_HDR_FROM]);
	sip_out_field(&o, to_msg, to_msg->first[SIP_HDR_TO]);
	sip_out_field(&o, invite, invite->first[SIP_HDR_CALL_ID]);
	snprintf(num, sizeof(num), "%u ", cs.num);
	sip_out_str(&o, "CSeq: ");
	sip_out_str(&o, num);
	sip_out_str(&o, method);
	sip_out_str(&o, "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
	return o.overflow ? -1 : (long)o.n;
}

long sip_ack_build(const struct sip_msg *invite, const struct sip_msg *rsp, char *out,
		   size_t cap)
{
	return rsp->is_request ? -1 : from_invite(invite, "ACK", rsp, out, cap);
}

long sip_cancel_build(const struct sip_msg *invite, char *out, size_t cap)
{
	return from_invite(invite, "CANCEL", invite, out, cap);
}
