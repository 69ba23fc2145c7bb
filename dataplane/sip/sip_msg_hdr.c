/*
 * sip_msg_hdr.c: the typed accessors, parsed when a caller asks: lists of
 * comma-separated values, Via, name-addr / addr-spec, CSeq, Call-ID,
 * Max-Forwards, Expires, option tags.
 */
#include <string.h>

#include "sip_msg.h"
#include "sip_msg_int.h"

/* A decimal with leading zeros allowed (RFC 4475 wsinv: "0068"), at most
 * max; -1 when it is not one or is larger. */
static int bounded_uint(struct sip_str s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	uint32_t i = 0;

	if (s.p == NULL || s.len == 0)
		return -1;
	for (; i < s.len; i++) {
		if (!sip_is_digit(s.p[i]))
			return -1;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* ---- lists ---- */

int sip_list_next(const struct sip_msg *m, enum sip_hdr_id id, struct sip_list_iter *it,
		  struct sip_list_item *item)
{
	if (it->hdr == 0) {
		it->hdr = m->first[id];
		if (it->hdr == 0)
			return 0;
		it->pos = m->hdrs[it->hdr].val_off;
	}
	for (;;) {
		const struct sip_hdr *h = &m->hdrs[it->hdr];
		uint32_t vend = h->val_off + h->val_len;
		const char *s, *q, *e = m->buf + vend;
		int angle = 0;

		if (it->pos > vend || h->val_len == 0) {
			it->hdr = h->next;
			if (it->hdr == 0) {
				it->pos = 0;
				return 0;
			}
			it->pos = m->hdrs[it->hdr].val_off;
			continue;
		}
		s = m->buf + it->pos;
		for (q = s; q < e; q++) {
			if (*q == '"') {
				q = sip_quoted_end(q, e);
				if (q == NULL)
					return -1;
				q--;
			} else if (*q == '<') {
				angle = 1;
			} else if (*q == '>') {
				angle = 0;
			} else if (*q == ',' && !angle) {
				break;
			}
		}
		if (angle)
			return -1;
		item->first_in_hdr = it->pos == h->val_off;
		item->last_in_hdr = q == e;
		item->hdr = it->hdr;
		s = sip_skip_lws(s, q);
		item->value = sip_span(s, sip_trim_lws(s, q));
		it->pos = (uint32_t)(q - m->buf) + 1;
		return item->value.len == 0 ? -1 : 1;
	}
}

/* ---- Via ---- */

static int via_param(void *arg, struct sip_str name, struct sip_str value)
{
	struct sip_via *v = arg;
	uint64_t n;

	if (SIP_IEQ(name, "branch")) {
		if (value.p == NULL || value.p[0] == '"')
			return -1;
		v->branch = value;
	} else if (SIP_IEQ(name, "received")) {
		if (value.p == NULL || value.p[0] == '"')
			return -1;
		v->received = value;
	} else if (SIP_IEQ(name, "maddr")) {
		if (value.p == NULL || value.p[0] == '"')
			return -1;
		v->maddr = value;
	} else if (SIP_IEQ(name, "ttl")) {
		if (bounded_uint(value, 255, &n) != 0)
			return -1;
		v->ttl = (int32_t)n;
	} else if (SIP_IEQ(name, "rport")) {
		v->rport = true;
		if (value.p != NULL) {
			if (bounded_uint(value, 65535, &n) != 0 || n == 0)
				return -1;
			v->rport_value = (int32_t)n;
		}
	}
	return 0;
}

int sip_via_parse(struct sip_via *v, const char *p, size_t len)
{
	const char *e = p + len, *q;
	struct sip_str parts[3];

	memset(v, 0, sizeof(*v));
	v->rport_value = -1;
	v->ttl = -1;
	/* sent-protocol: name SLASH version SLASH transport, SLASH = SWS / SWS */
	for (int i = 0; i < 3; i++) {
		p = sip_skip_lws(p, e);
		q = p;
		while (p < e && sip_is_token(*p))
			p++;
		if (p == q)
			return -1;
		parts[i] = sip_span(q, p);
		if (i < 2) {
			p = sip_skip_lws(p, e);
			if (p == e || *p != '/')
				return -1;
			p++;
		}
	}
	if (!SIP_IEQ(parts[0], "sip") || !SIP_IEQ(parts[1], "2.0"))
		return -1;
	v->transport = parts[2];
	/* LWS sent-by: host [ COLON port ] */
	q = p;
	p = sip_skip_lws(p, e);
	if (p == q)
		return -1;
	q = p;
	if (p < e && *p == '[') {
		while (p < e && (*p == '[' || *p == ':' || *p == '.' || sip_hexval(*p) >= 0))
			p++;
		if (p == e || *p != ']')
			return -1;
		p++;
	} else {
		while (p < e && sip_is(*p, SIP_C_HOST))
			p++;
	}
	if (p == q)
		return -1;
	v->host = sip_span(q, p);
	v->ipv4 = sip_ipv4_parse(q, (size_t)(p - q));
	p = sip_skip_lws(p, e);
	if (p < e && *p == ':') {
		uint64_t port;

		p = sip_skip_lws(p + 1, e);
		q = p;
		while (p < e && sip_is_digit(*p))
			p++;
		if (bounded_uint(sip_span(q, p), 65535, &port) != 0 || port == 0)
			return -1;
		v->port = (uint16_t)port;
	}
	q = sip_skip_lws(p, e);
	if (q < e)
		v->params = sip_span(q + 1, e);
	return sip_params_walk(p, e, via_param, v);
}

bool sip_via_branch_is_3261(const struct sip_via *v)
{
	return v->branch.len > 7 && memcmp(v->branch.p, "z9hG4bK", 7) == 0;
}

/* ---- name-addr / addr-spec ---- */

static int header_param(void *arg, struct sip_str name, struct sip_str value)
{
	struct sip_nameaddr *na = arg;

	if (SIP_IEQ(name, "tag")) {
		if (value.p == NULL || value.p[0] == '"')
			return -1;
		na->tag = value;
	}
	return 0;
}

static int header_params(struct sip_nameaddr *na, const char *p, const char *e)
{
	const char *q = sip_skip_lws(p, e);

	if (q < e)
		na->params = sip_span(q + 1, e);
	return sip_params_walk(p, e, header_param, na);
}

int sip_nameaddr_parse(struct sip_nameaddr *na, const char *p, size_t len)
{
	const char *e = p + len, *q, *lt;

	memset(na, 0, sizeof(*na));
	p = sip_skip_lws(p, e);
	e = sip_trim_lws(p, e);
	if (p == e)
		return -1;
	if (*p == '"') {
		q = sip_quoted_end(p, e);
		if (q == NULL)
			return -1;
		na->display = sip_span(p, q);
		p = sip_skip_lws(q, e);
		if (p == e || *p != '<')
			return -1;
	}
	lt = memchr(p, '<', (size_t)(e - p));
	if (lt != NULL) {
		const char *gt, *de = sip_trim_lws(p, lt);

		/* display-name as tokens; no LWS before '<' is a known
		 * grammar bug that everyone accepts (RFC 4475 lwsdisp) */
		if (na->display.p == NULL && de > p) {
			for (q = p; q < de; q++)
				if (!sip_is_token(*q) && !sip_is_lws(*q))
					return -1;
			na->display = sip_span(p, de);
		}
		gt = memchr(lt, '>', (size_t)(e - lt));
		if (gt == NULL)
			return -1;
		na->angle = true;
		na->uri_str = sip_span(lt + 1, gt);
		if (sip_uri_parse(&na->uri, na->uri_str.p, na->uri_str.len) != 0)
			return -1;
		return header_params(na, gt + 1, e);
	}
	/* addr-spec: the URI ends at the first ';', whose parameters are the
	 * header's (RFC 3261 20.10); a URI with ',', '?' or ';' of its own
	 * must be in <> (RFC 3261 20, RFC 4475 regbadct) */
	q = memchr(p, ';', (size_t)(e - p));
	{
		const char *ue = sip_trim_lws(p, q ? q : e);

		for (const char *c = p; c < ue; c++)
			if (sip_is_lws(*c) || *c == '>' || *c == '"' || *c == '?' || *c == ',')
				return -1;
		na->uri_str = sip_span(p, ue);
	}
	if (sip_uri_parse(&na->uri, na->uri_str.p, na->uri_str.len) != 0)
		return -1;
	return header_params(na, q ? q : e, e);
}

/* ---- single-valued headers ---- */

/* The value of the one field of id: 0, 1 absent, -1 present twice. */
static int single(const struct sip_msg *m, enum sip_hdr_id id, struct sip_str *v)
{
	unsigned i = m->first[id];

	if (i == 0)
		return 1;
	if (m->hdrs[i].next != 0)
		return -1;
	*v = sip_msg_hdr_value(m, i);
	return 0;
}

int sip_msg_call_id(const struct sip_msg *m, struct sip_str *out)
{
	struct sip_str v;
	int rc = single(m, SIP_HDR_CALL_ID, &v);

	if (rc != 0)
		return rc;
	/* callid = word [ "@" word ]: visible characters, no white space */
	if (v.len == 0)
		return -1;
	for (uint32_t i = 0; i < v.len; i++)
		if ((unsigned char)v.p[i] <= ' ' || (unsigned char)v.p[i] >= 0x7f)
			return -1;
	*out = v;
	return 0;
}

int sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *out)
{
	struct sip_str v;
	const char *p, *e, *q;
	uint64_t n;
	int rc = single(m, SIP_HDR_CSEQ, &v);

	if (rc != 0)
		return rc;
	p = v.p;
	e = v.p + v.len;
	for (q = p; q < e && sip_is_digit(*q); q++)
		;
	if (bounded_uint(sip_span(p, q), 0xffffffffu, &n) != 0 || q == e || !sip_is_lws(*q))
		return -1;
	p = sip_skip_lws(q, e);
	for (q = p; q < e && sip_is_token(*q); q++)
		;
	if (q == p || q != e)
		return -1;
	out->num = (uint32_t)n;
	out->method_str = sip_span(p, q);
	out->method = sip_method_from(p, (size_t)(q - p));
	return 0;
}

int sip_msg_max_forwards(const struct sip_msg *m, unsigned *out)
{
	struct sip_str v;
	uint64_t n;
	int rc = single(m, SIP_HDR_MAX_FORWARDS, &v);

	if (rc != 0)
		return rc;
	if (bounded_uint(v, 255, &n) != 0)
		return -1;
	*out = (unsigned)n;
	return 0;
}

int sip_msg_expires(const struct sip_msg *m, uint32_t *out)
{
	struct sip_str v;
	uint64_t n = 0;
	int rc = single(m, SIP_HDR_EXPIRES, &v);

	if (rc != 0)
		return rc;
	if (v.len == 0)
		return -1;
	/* delta-seconds; larger than 2^32-1 saturates (RFC 4475 scalar02) */
	for (uint32_t i = 0; i < v.len; i++) {
		if (!sip_is_digit(v.p[i]))
			return -1;
		if (n <= 0xffffffffu)
			n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = n > 0xffffffffu ? 0xffffffffu : (uint32_t)n;
	return 0;
}

static int nameaddr_single(const struct sip_msg *m, enum sip_hdr_id id, struct sip_nameaddr *out)
{
	struct sip_str v;
	int rc = single(m, id, &v);

	if (rc != 0)
		return rc;
	if (sip_nameaddr_parse(out, v.p, v.len) != 0 || out->uri_str.len > m->lim->max_uri)
		return -1;
	return 0;
}

int sip_msg_from(const struct sip_msg *m, struct sip_nameaddr *out)
{
	return nameaddr_single(m, SIP_HDR_FROM, out);
}

int sip_msg_to(const struct sip_msg *m, struct sip_nameaddr *out)
{
	return nameaddr_single(m, SIP_HDR_TO, out);
}

int sip_msg_content_type(const struct sip_msg *m, struct sip_str *out)
{
	struct sip_str v;
	int rc = single(m, SIP_HDR_CONTENT_TYPE, &v);

	if (rc != 0)
		return rc;
	if (v.len == 0)
		return -1;
	*out = v;
	return 0;
}

int sip_msg_top_via(const struct sip_msg *m, struct sip_via *out)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	int rc = sip_list_next(m, SIP_HDR_VIA, &it, &item);

	if (rc == 0)
		return 1;
	if (rc < 0)
		return -1;
	return sip_via_parse(out, item.value.p, item.value.len) == 0 ? 0 : -1;
}

int sip_msg_ruri(const struct sip_msg *m, struct sip_uri *out)
{
	if (!m->is_request || m->ruri.p == NULL)
		return 1;
	return sip_uri_parse(out, m->ruri.p, m->ruri.len) == 0 ? 0 : -1;
}

int sip_msg_option_tag(const struct sip_msg *m, enum sip_hdr_id id, struct sip_list_iter *it,
		       struct sip_str *tag)
{
	struct sip_list_item item;
	int rc = sip_list_next(m, id, it, &item);

	if (rc <= 0)
		return rc;
	for (uint32_t i = 0; i < item.value.len; i++)
		if (!sip_is_token(item.value.p[i]))
			return -1;
	*tag = item.value;
	return 1;
}
