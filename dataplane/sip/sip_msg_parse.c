/*
 * sip_msg_parse.c: one pass over a framed message: the start line, then
 * each header field (a CRLF followed by SP or HT is a fold, not an end),
 * its name looked up and its value located, then the body by
 * Content-Length. Only Content-Length is interpreted here (it bounds the
 * message) and Via values are counted (a limit); every other value waits
 * for its accessor. Every scan is bounded by the message length.
 */
#include <string.h>

#include "sip_msg.h"
#include "sip_msg_int.h"

const struct sip_limits sip_limits_default = SIP_LIMITS_DEFAULT_INIT;

/* The version of a start line: 0 "SIP/2.0", 1 another SIP/x.y (505), -1
 * not a version at all. "SIP" is case-insensitive like every ABNF literal. */
static int version(const char *p, const char *e)
{
	const char *q;

	if (e - p < 5 || (p[0] | 0x20) != 's' || (p[1] | 0x20) != 'i' || (p[2] | 0x20) != 'p' ||
	    p[3] != '/')
		return -1;
	if (e - p == 7 && p[4] == '2' && p[5] == '.' && p[6] == '0')
		return 0;
	q = p + 4;
	if (q == e || !sip_is_digit(*q))
		return -1;
	while (q < e && sip_is_digit(*q))
		q++;
	if (q == e || *q++ != '.' || q == e)
		return -1;
	while (q < e && sip_is_digit(*q))
		q++;
	return q == e ? 1 : -1;
}

static enum sip_error status_line(struct sip_msg *m, const char *p, const char *e,
				  const char *sp)
{
	const char *c = sp + 1;
	int v = version(p, sp);

	if (v < 0)
		return SIP_E_START_LINE;
	if (v > 0)
		return SIP_E_VERSION;
	m->is_request = false;
	/* exactly three digits, then SP and the reason (which may be empty,
	 * RFC 4475 noreason) or the end of the line */
	if (e - c < 3 || !sip_is_digit(c[0]) || !sip_is_digit(c[1]) || !sip_is_digit(c[2]) ||
	    (e - c > 3 && c[3] != ' '))
		return SIP_E_STATUS;
	m->status = (uint16_t)((c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'));
	if (m->status < 100 || m->status > 699)
		return SIP_E_STATUS;
	m->reason = e - c > 3 ? sip_span(c + 4, e) : sip_span(e, e);
	for (const char *q = m->reason.p; q < e; q++)
		if (*q == '\r' || *q == '\n' || *q == '\0')
			return SIP_E_START_LINE;
	return SIP_E_OK;
}

static enum sip_error request_line(struct sip_msg *m, const char *p, const char *e,
				   const char *sp1)
{
	const char *sp2, *q;
	int v;

	m->is_request = true;
	for (q = p; q < sp1; q++)
		if (!sip_is_token(*q))
			return SIP_E_START_LINE;
	m->method_str = sip_span(p, sp1);
	m->method = sip_method_from(p, (size_t)(sp1 - p));
	/* single SPs (RFC 4475 lwsstart and trws are refused): the URI has
	 * no SP, the version none either */
	sp2 = memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return SIP_E_START_LINE;
	for (q = sp1 + 1; q < sp2; q++)
		if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
			return SIP_E_REQUEST_URI;
	m->ruri = sip_span(sp1 + 1, sp2);
	v = version(sp2 + 1, e);
	if (v < 0)
		return SIP_E_START_LINE;
	if (v > 0)
		return SIP_E_VERSION;
	if (m->ruri.len > m->lim->max_uri)
		return SIP_E_URI_TOO_LONG;
	return SIP_E_OK;
}

static enum sip_error start_line(struct sip_msg *m, const char *p, const char *e)
{
	const char *sp = memchr(p, ' ', (size_t)(e - p));

	if (sp == NULL || sp == p)
		return SIP_E_START_LINE;
	if (sp - p >= 4 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' &&
	    (p[2] | 0x20) == 'p' && p[3] == '/')
		return status_line(m, p, e, sp);
	return request_line(m, p, e, sp);
}

/* A Content-Length value: 1 to 9 digits (a message never comes near a
 * gigabyte; more digits, a sign or anything else is malformed). */
static int content_length(const char *p, const char *e, int64_t *out)
{
	int64_t v = 0;

	if (p == e || e - p > 9)
		return -1;
	for (; p < e; p++) {
		if (!sip_is_digit(*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return 0;
}

/* via-parm values in one Via field: commas outside quotes and <>. */
static unsigned count_values(const char *p, const char *e)
{
	unsigned n = 1;
	bool quoted = false;

	for (; p < e; p++) {
		if (quoted) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '"')
				quoted = false;
		} else if (*p == '"') {
			quoted = true;
		} else if (*p == ',') {
			n++;
		}
	}
	return n;
}

/* The field starting at p: its end (after the CRLF that is not a fold) in
 * *fe, or an error. */
static enum sip_error field_end(const char *s, const char *e, uint32_t max, const char **fe)
{
	const char *q = s, *nl;

	for (;;) {
		nl = memchr(q, '\n', (size_t)(e - q));
		if (nl == NULL)
			return (size_t)(e - s) > max ? SIP_E_HEADER_TOO_LONG
						     : SIP_E_NO_END_OF_HEADERS;
		if (nl == q || nl[-1] != '\r')
			return SIP_E_HEADER; /* a bare LF */
		q = nl + 1;
		if ((size_t)(q - s) > max)
			return SIP_E_HEADER_TOO_LONG;
		if (q < e && (*q == ' ' || *q == '\t'))
			continue; /* folded */
		*fe = q;
		return SIP_E_OK;
	}
}

static enum sip_error header(struct sip_msg *m, const char *s, const char *fe, uint8_t *last)
{
	const struct sip_limits *lim = m->lim;
	const char *c = s, *ne, *vs, *ve = fe - 2;
	struct sip_hdr *h;
	unsigned idx;
	enum sip_hdr_id id;

	while (c < ve && sip_is_token(*c))
		c++;
	ne = c;
	while (c < ve && (*c == ' ' || *c == '\t'))
		c++;
	if (ne == s || c == ve || *c != ':')
		return SIP_E_HEADER;
	if (m->n_hdrs == lim->max_headers || m->n_hdrs == SIP_HDRS_CAP)
		return SIP_E_TOO_MANY_HEADERS;
	vs = c + 1;
	while (vs < ve && sip_is_lws(*vs))
		vs++;
	while (ve > vs && sip_is_lws(ve[-1]))
		ve--;
	id = sip_hdr_lookup(s, (size_t)(ne - s));
	idx = ++m->n_hdrs;
	h = &m->hdrs[idx];
	h->id = (uint8_t)id;
	h->next = 0;
	h->name_len = (uint16_t)(ne - s);
	h->off = (uint32_t)(s - m->buf);
	h->end = (uint32_t)(fe - m->buf);
	h->val_off = (uint32_t)(vs - m->buf);
	h->val_len = (uint32_t)(ve - vs);
	if (m->first[id] == 0)
		m->first[id] = (uint8_t)idx;
	else
		m->hdrs[last[id]].next = (uint8_t)idx;
	last[id] = (uint8_t)idx;
	if (m->count[id] < 255)
		m->count[id]++;
	if (id == SIP_HDR_CONTENT_LENGTH) {
		/* two of them cannot both frame the body (RFC 4475 mcl01) */
		if (m->count[id] > 1 || content_length(vs, ve, &m->content_length) != 0)
			return SIP_E_CONTENT_LENGTH;
	} else if (id == SIP_HDR_VIA) {
		m->n_vias = (uint16_t)(m->n_vias + count_values(vs, ve));
		if (m->n_vias > lim->max_vias)
			return SIP_E_TOO_MANY_VIAS;
	}
	return SIP_E_OK;
}

enum sip_error sip_msg_parse(struct sip_msg *m, const char *buf, size_t len,
			     const struct sip_limits *lim)
{
	uint8_t last[SIP_HDR_COUNT];
	const char *p, *e, *nl;
	enum sip_error err, deferred = SIP_E_OK;

	if (lim == NULL)
		lim = &sip_limits_default;
	m->buf = buf;
	m->lim = lim;
	m->len = (uint32_t)(len > lim->max_message ? lim->max_message : len);
	m->is_request = false;
	m->method = SIP_METHOD_OTHER;
	m->method_str = m->ruri = m->reason = m->body = (struct sip_str){ NULL, 0 };
	m->status = 0;
	m->start_end = m->headers_end = 0;
	m->content_length = -1;
	m->n_hdrs = m->n_vias = 0;
	memset(m->first, 0, sizeof(m->first));
	memset(m->count, 0, sizeof(m->count));
	if (len > lim->max_message)
		return SIP_E_TOO_BIG;
	p = buf;
	e = buf + len;
	nl = memchr(p, '\n', len);
	if (nl == NULL)
		return SIP_E_NO_END_OF_HEADERS;
	if (nl == p || nl[-1] != '\r')
		return SIP_E_START_LINE;
	/* a version or Request-URI length we refuse still lets the fields
	 * be indexed, so that the 505 or 414 can be answered */
	err = start_line(m, p, nl - 1);
	if (err == SIP_E_VERSION || err == SIP_E_URI_TOO_LONG)
		deferred = err;
	else if (err != SIP_E_OK)
		return err;
	p = nl + 1;
	m->start_end = (uint32_t)(p - buf);
	for (;;) {
		const char *fe;

		if (e - p >= 2 && p[0] == '\r' && p[1] == '\n')
			break; /* the empty line */
		if (p == e || (e - p == 1 && *p == '\r'))
			return SIP_E_NO_END_OF_HEADERS;
		if (*p == ' ' || *p == '\t')
			return SIP_E_HEADER; /* a fold with no field */
		err = field_end(p, e, lim->max_header_line, &fe);
		if (err != SIP_E_OK)
			return err;
		err = header(m, p, fe, last);
		if (err != SIP_E_OK)
			return err;
		p = fe;
	}
	m->headers_end = (uint32_t)(p - buf);
	p += 2;
	if (m->content_length < 0) {
		m->body = sip_span(p, e);
	} else {
		if (m->content_length > e - p)
			return SIP_E_BODY_SHORT;
		m->body = sip_span(p, p + m->content_length);
		m->len = (uint32_t)(m->body.p + m->body.len - buf);
	}
	return deferred;
}
