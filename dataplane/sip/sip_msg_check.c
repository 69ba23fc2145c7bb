/*
 * sip_msg_check.c: what a proxy validates before it acts on a message
 * (RFC 3261 16.3 and the well-formedness of the fields it reads). The
 * result is an error code whose status and reason phrase name the
 * problem ("400 Missing Call-ID"); a response with one is dropped.
 */
#include <string.h>

#include "sip_msg.h"
#include "sip_msg_int.h"

static enum sip_error check_ruri(const struct sip_msg *m)
{
	struct sip_uri u;
	const char *p = m->ruri.p, *e = p + m->ruri.len, *q;

	if (sip_uri_parse(&u, p, m->ruri.len) != 0) {
		/* a well-formed scheme we do not serve is 416, not 400 */
		for (q = p; q < e && *q != ':'; q++)
			if (!sip_is(*q, SIP_C_HOST) && *q != '+')
				return SIP_E_REQUEST_URI;
		if (q == p || q == e)
			return SIP_E_REQUEST_URI;
		u.scheme_str = sip_span(p, q);
		if (SIP_IEQ(u.scheme_str, "sip") || SIP_IEQ(u.scheme_str, "sips") ||
		    SIP_IEQ(u.scheme_str, "tel"))
			return SIP_E_REQUEST_URI;
		return SIP_E_URI_SCHEME;
	}
	if (u.scheme == SIP_URI_OTHER)
		return SIP_E_URI_SCHEME;
	/* headers have no place in a Request-URI (RFC 3261 19.1.5, RFC 4475
	 * escruri): refused rather than forwarded */
	if (u.headers.p != NULL)
		return SIP_E_REQUEST_URI;
	return SIP_E_OK;
}

static enum sip_error check_list(const struct sip_msg *m, enum sip_hdr_id id, enum sip_error bad)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	int rc;

	while ((rc = sip_list_next(m, id, &it, &item)) > 0) {
		if (id == SIP_HDR_VIA) {
			struct sip_via v;

			if (sip_via_parse(&v, item.value.p, item.value.len) != 0)
				return bad;
		} else {
			struct sip_nameaddr na;

			if (id == SIP_HDR_CONTACT && item.value.len == 1 && item.value.p[0] == '*')
				continue;
			if (sip_nameaddr_parse(&na, item.value.p, item.value.len) != 0 ||
			    na.uri_str.len > m->lim->max_uri)
				return bad;
			/* Route and Record-Route take name-addr only (RFC 3261 20.30) */
			if ((id == SIP_HDR_ROUTE || id == SIP_HDR_RECORD_ROUTE) && !na.angle)
				return bad;
		}
	}
	return rc < 0 ? bad : SIP_E_OK;
}

/* A field that must be there once: missing, duplicate, or fine. */
static enum sip_error once(const struct sip_msg *m, enum sip_hdr_id id, enum sip_error missing)
{
	if (m->count[id] == 0)
		return missing;
	if (m->count[id] > 1)
		return SIP_E_DUPLICATE;
	return SIP_E_OK;
}

enum sip_error sip_msg_check(const struct sip_msg *m)
{
	struct sip_nameaddr na;
	struct sip_cseq cseq;
	struct sip_str s;
	unsigned mf;
	enum sip_error err;

	if (m->is_request && (err = check_ruri(m)) != SIP_E_OK)
		return err;
	if (m->count[SIP_HDR_VIA] == 0)
		return SIP_E_MISSING_VIA;
	if ((err = check_list(m, SIP_HDR_VIA, SIP_E_VIA)) != SIP_E_OK)
		return err;
	if ((err = once(m, SIP_HDR_FROM, SIP_E_MISSING_FROM)) != SIP_E_OK)
		return err;
	if (sip_msg_from(m, &na) != 0)
		return SIP_E_FROM;
	if ((err = once(m, SIP_HDR_TO, SIP_E_MISSING_TO)) != SIP_E_OK)
		return err;
	if (sip_msg_to(m, &na) != 0)
		return SIP_E_TO;
	if ((err = once(m, SIP_HDR_CALL_ID, SIP_E_MISSING_CALL_ID)) != SIP_E_OK)
		return err;
	if (sip_msg_call_id(m, &s) != 0)
		return SIP_E_CALL_ID;
	if ((err = once(m, SIP_HDR_CSEQ, SIP_E_MISSING_CSEQ)) != SIP_E_OK)
		return err;
	if (sip_msg_cseq(m, &cseq) != 0)
		return SIP_E_CSEQ;
	if (m->is_request && !sip_str_eq(cseq.method_str, m->method_str))
		return SIP_E_CSEQ_METHOD;
	if (m->count[SIP_HDR_MAX_FORWARDS] > 1)
		return SIP_E_DUPLICATE;
	if (m->count[SIP_HDR_MAX_FORWARDS] == 1 && sip_msg_max_forwards(m, &mf) != 0)
		return SIP_E_MAX_FORWARDS;
	if ((err = check_list(m, SIP_HDR_ROUTE, SIP_E_ROUTE)) != SIP_E_OK)
		return err;
	if ((err = check_list(m, SIP_HDR_RECORD_ROUTE, SIP_E_ROUTE)) != SIP_E_OK)
		return err;
	return check_list(m, SIP_HDR_CONTACT, SIP_E_CONTACT);
}
