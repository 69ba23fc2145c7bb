/*
 * sdp_parse.c: one pass over a session description: each line indexed
 * with its offsets, o= and c= read, each m= section opened and the
 * attributes media anchoring needs read. Bounded by the buffer and by
 * SDP_MAX_*; what it does not read it keeps as it came.
 */
#include <string.h>
#include <strings.h>

#include "sdp.h"
#include "sip_msg_int.h"

static const struct {
	const char *name, *text;
} sdp_errors[SDP_E_COUNT] = {
#define SDP_ERROR_ROW(id, name, text) { name, text },
	SDP_ERRORS(SDP_ERROR_ROW)
#undef SDP_ERROR_ROW
};

const char *sdp_error_name(enum sdp_error e)
{
	return (unsigned)e < SDP_E_COUNT ? sdp_errors[e].name : "sdp_unknown";
}

const char *sdp_error_text(enum sdp_error e)
{
	return (unsigned)e < SDP_E_COUNT ? sdp_errors[e].text : "malformed SDP";
}

struct sip_str sdp_attr_value(const struct sdp_line *l)
{
	const char *colon = memchr(l->value.p, ':', l->value.len);

	if (l->type != 'a' || colon == NULL)
		return (struct sip_str){ NULL, 0 };
	return sip_span(colon + 1, l->value.p + l->value.len);
}

/* The next space-separated field of [*p, e), or an empty span. */
static struct sip_str field(const char **p, const char *e)
{
	const char *s = *p, *q;

	while (s < e && *s == ' ')
		s++;
	q = s;
	while (q < e && *q != ' ')
		q++;
	*p = q;
	return sip_span(s, q);
}

static bool visible(struct sip_str s)
{
	for (uint32_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] <= ' ' || (unsigned char)s.p[i] >= 0x7f)
			return false;
	return s.len > 0;
}

/* o= session id and version: 1 to 20 digits (a 64-bit NTP-style value) */
static bool all_digits(struct sip_str s)
{
	for (uint32_t i = 0; i < s.len; i++)
		if (!sip_is_digit(s.p[i]))
			return false;
	return s.len > 0 && s.len <= 20;
}

static int number(struct sip_str s, unsigned long max, unsigned long *v)
{
	unsigned long x = 0;

	if (s.len == 0 || s.len > 10)
		return -1;
	for (uint32_t i = 0; i < s.len; i++) {
		if (!sip_is_digit(s.p[i]))
			return -1;
		x = x * 10 + (unsigned long)(s.p[i] - '0');
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

/* c=IN IP4 192.0.2.1[/ttl[/n]] or c=IN IP6 addr */
static int connection(struct sdp_connection *c, struct sip_str v)
{
	const char *p = v.p, *e = v.p + v.len;
	struct sip_str net = field(&p, e), type = field(&p, e), addr = field(&p, e);
	const char *slash;

	if (!SIP_IEQ(net, "in") || addr.len == 0 || field(&p, e).len != 0)
		return -1;
	slash = memchr(addr.p, '/', addr.len);
	if (slash != NULL)
		addr.len = (uint32_t)(slash - addr.p);
	memset(c, 0, sizeof(*c));
	c->present = true;
	c->addr = addr;
	if (SIP_IEQ(type, "ip4")) {
		c->ipv4 = sip_ipv4_parse(addr.p, addr.len);
		c->hold = addr.len == 7 && memcmp(addr.p, "0.0.0.0", 7) == 0;
		if (c->ipv4 == 0 && !c->hold)
			return -1; /* FQDNs are not resolved on the workers */
	} else if (SIP_IEQ(type, "ip6")) {
		c->ip6 = true;
	} else {
		return -1;
	}
	return 0;
}

/* m=<media> <port>[/<n>] <proto> <fmt>... */
static int media_line(struct sdp_media *m, struct sip_str v)
{
	const char *p = v.p, *e = v.p + v.len, *slash;
	struct sip_str port;
	unsigned long x;

	m->type = field(&p, e);
	port = field(&p, e);
	m->proto = field(&p, e);
	if (m->type.len == 0 || port.len == 0 || m->proto.len == 0)
		return -1;
	m->n_ports = 1;
	slash = memchr(port.p, '/', port.len);
	if (slash != NULL) {
		if (number(sip_span(slash + 1, port.p + port.len), 65535, &x) != 0 || x == 0)
			return -1;
		m->n_ports = (uint16_t)x;
		port.len = (uint32_t)(slash - port.p);
	}
	if (number(port, 65535, &x) != 0)
		return -1;
	m->port = (uint16_t)x;
	m->savp = m->proto.len >= 8 && strncasecmp(m->proto.p, "RTP/SAVP", 8) == 0;
	if (m->proto.len < 4 || strncasecmp(m->proto.p, "RTP/", 4) != 0)
		return 0; /* not RTP: formats are not payload types */
	for (;;) {
		struct sip_str f = field(&p, e);

		if (f.len == 0)
			break;
		if (number(f, 127, &x) != 0 || m->n_fmts == SDP_MAX_FORMATS)
			return -1;
		m->fmts[m->n_fmts++] = (uint8_t)x;
	}
	return m->n_fmts > 0 ? 0 : -1;
}

/* An attribute the engine reads; the rest are kept as they are. */
static int attribute(struct sdp *s, struct sdp_media *m, uint16_t line, struct sip_str v)
{
	const char *colon = memchr(v.p, ':', v.len);
	struct sip_str name = colon ? sip_span(v.p, colon) : v;
	struct sip_str val = colon ? sip_span(colon + 1, v.p + v.len) : (struct sip_str){ NULL, 0 };
	enum sdp_direction *dir = m != NULL ? &m->dir : &s->dir;
	unsigned long x;

	if (SIP_IEQ(name, "sendrecv"))
		*dir = SDP_SENDRECV;
	else if (SIP_IEQ(name, "sendonly"))
		*dir = SDP_SENDONLY;
	else if (SIP_IEQ(name, "recvonly"))
		*dir = SDP_RECVONLY;
	else if (SIP_IEQ(name, "inactive"))
		*dir = SDP_INACTIVE;
	else if (m == NULL)
		return 0;
	else if (SIP_IEQ(name, "rtcp-mux"))
		m->rtcp_mux = true;
	else if (SIP_IEQ(name, "rtcp")) {
		const char *p = val.p;

		if (val.p == NULL || number(field(&p, val.p + val.len), 65535, &x) != 0)
			return -1;
		m->rtcp_port = (uint16_t)x;
	} else if (SIP_IEQ(name, "ptime") || SIP_IEQ(name, "maxptime")) {
		if (number(val, 10000, &x) != 0)
			return -1;
		if (name.len == 5)
			m->ptime = (uint16_t)x;
		else
			m->maxptime = (uint16_t)x;
	} else if (SIP_IEQ(name, "rtpmap")) {
		const char *p = val.p;
		struct sip_str pt, enc;

		if (val.p == NULL)
			return -1;
		pt = field(&p, val.p + val.len);
		enc = field(&p, val.p + val.len);
		if (number(pt, 127, &x) != 0 || enc.len == 0)
			return -1;
		if (enc.len >= 16 && strncasecmp(enc.p, "telephone-event/", 16) == 0) {
			/* several (one per clock rate, as Linphone offers): the
			 * first at 8000 Hz, the narrowband calls' own, else the
			 * first */
			bool k8 = enc.len >= 20 && strncmp(enc.p + 16, "8000", 4) == 0 &&
				  (enc.len == 20 || enc.p[20] == '/');

			if (m->telephone_event < 0 || (k8 && !m->telephone_event_8k)) {
				m->telephone_event = (int16_t)x;
				m->telephone_event_8k = k8;
			}
		}
	} else if (SIP_IEQ(name, "crypto")) {
		if (m->n_crypto == SDP_MAX_CRYPTO)
			return -2;
		m->crypto[m->n_crypto++] = line;
	}
	return 0;
}

enum sdp_error sdp_parse(struct sdp *s, const char *buf, size_t len)
{
	const char *p = buf, *e = buf + len;
	struct sdp_media *m = NULL;
	unsigned seen = 0; /* 1: v, 2: o, 4: s */

	memset(s, 0, offsetof(struct sdp, lines));
	s->n_lines = 0;
	s->n_media = 0;
	s->dir = SDP_SENDRECV;
	memset(&s->c, 0, sizeof(s->c));
	memset(&s->o_user, 0, sizeof(struct sip_str) * 4);
	s->buf = buf;
	s->len = (uint32_t)len;
	if (len == 0)
		return SDP_E_EMPTY;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl != NULL ? nl : e, *next = nl != NULL ? nl + 1 : e;
		struct sdp_line *l;
		struct sip_str v;
		int rc;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) { /* an empty line: tolerated, skipped */
			p = next;
			continue;
		}
		/* type=value, and no NUL anywhere (RFC 8866 text is UTF-8
		 * without NUL, CR or LF) */
		if (le - p < 2 || p[1] != '=' || p[0] < 'a' || p[0] > 'z' ||
		    memchr(p, '\0', (size_t)(le - p)) != NULL)
			return SDP_E_LINE;
		if (s->n_lines == SDP_MAX_LINES)
			return SDP_E_TOO_MANY_LINES;
		v = sip_span(p + 2, le);
		l = &s->lines[s->n_lines];
		l->type = p[0];
		l->value = v;
		l->off = (uint32_t)(p - buf);
		l->end = (uint32_t)(next - buf);
		l->media = (uint8_t)s->n_media;
		switch (p[0]) {
		case 'v':
			if (s->n_lines != 0 || v.len != 1 || v.p[0] != '0')
				return s->n_lines != 0 ? SDP_E_ORDER : SDP_E_VERSION;
			seen |= 1;
			break;
		case 'o': {
			const char *q = v.p, *qe = v.p + v.len;
			struct sip_str f[6];

			if (seen != 1)
				return SDP_E_ORDER;
			for (int i = 0; i < 6; i++)
				f[i] = field(&q, qe);
			if (f[5].len == 0 || field(&q, qe).len != 0 || !visible(f[0]) ||
			    !all_digits(f[1]) || !all_digits(f[2]) || !visible(f[5]))
				return SDP_E_ORIGIN;
			s->o_user = f[0];
			s->o_sess_id = f[1];
			s->o_sess_version = f[2];
			s->o_addr = f[5];
			seen |= 2;
			break;
		}
		case 's':
			if (seen != 3)
				return SDP_E_ORDER;
			seen |= 4;
			break;
		case 'c':
			if (connection(m != NULL ? &m->c : &s->c, v) != 0)
				return SDP_E_CONNECTION;
			break;
		case 'm':
			if (seen != 7)
				return SDP_E_ORDER;
			if (s->n_media == SDP_MAX_MEDIA)
				return SDP_E_TOO_MANY_MEDIA;
			m = &s->media[s->n_media++];
			memset(m, 0, sizeof(*m));
			m->dir = s->dir;
			m->telephone_event = -1;
			m->m_line = s->n_lines;
			l->media = s->n_media;
			if (media_line(m, v) != 0)
				return SDP_E_MEDIA;
			break;
		case 'a':
			rc = attribute(s, m, s->n_lines, v);
			if (rc == -2)
				return SDP_E_TOO_MANY_CRYPTO;
			if (rc != 0)
				return SDP_E_ATTRIBUTE;
			break;
		default:
			break; /* b=, t=, i=, k=, ...: kept as they are */
		}
		if (m != NULL)
			m->last = s->n_lines;
		s->n_lines++;
		p = next;
	}
	if (seen != 7)
		return SDP_E_ORDER;
	for (unsigned i = 0; i < s->n_media; i++) {
		struct sdp_media *mm = &s->media[i];

		mm->first = mm->m_line;
		if (!mm->c.present)
			mm->c = s->c;
		if (!mm->c.present && mm->port != 0)
			return SDP_E_NO_CONNECTION;
	}
	return SDP_E_OK;
}
