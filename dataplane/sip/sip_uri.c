/*
 * sip_uri.c: SIP, SIPS and tel URIs (RFC 3261 19.1 and 25.1, RFC 3966),
 * parsed into spans, and their comparison (RFC 3261 19.1.4, RFC 3966 4).
 * Other schemes are kept opaque: a proxy answers them 416.
 */
#include <string.h>

#include "sip_msg.h"
#include "sip_msg_int.h"

uint32_t sip_ipv4_parse(const char *p, size_t len)
{
	uint32_t a = 0;
	unsigned parts = 0, v = 0, digits = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || p[i] == '.') {
			if (digits == 0 || v > 255)
				return 0;
			a = (a << 8) | v;
			parts++;
			v = digits = 0;
			continue;
		}
		if (!sip_is_digit(p[i]) || ++digits > 3)
			return 0;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return parts == 4 ? a : 0;
}

static bool esc_eq(struct sip_str a, struct sip_str b, bool icase);

/* [p, e) holds only characters of cls or %HEXHEX escapes. */
static bool chars_ok(const char *p, const char *e, unsigned cls)
{
	for (; p < e; p++) {
		if (*p == '%') {
			if (e - p < 3 || sip_hexval(p[1]) < 0 || sip_hexval(p[2]) < 0)
				return false;
			p += 2;
		} else if (!sip_is(*p, cls)) {
			return false;
		}
	}
	return true;
}

/* One uri-parameter: remember the ones a proxy reads. */
static void uri_param(struct sip_uri *u, struct sip_str name, struct sip_str value)
{
	if (SIP_IEQ(name, "transport"))
		u->transport = value;
	else if (SIP_IEQ(name, "maddr"))
		u->maddr = value;
	else if (SIP_IEQ(name, "user"))
		u->user_param = value;
	else if (SIP_IEQ(name, "ttl"))
		u->ttl = value;
	else if (SIP_IEQ(name, "method"))
		u->method = value;
	else if (SIP_IEQ(name, "lr"))
		u->lr = true;
}

/* uri-parameters in [p, e) (after the first ';'): pname [ "=" pvalue ].
 * A name appears once (RFC 3261 19.1.1), and there are at most
 * SIP_URI_MAX_PARAMS: comparison is quadratic in them. */
static int uri_params(struct sip_uri *u, const char *p, const char *e)
{
	struct sip_str names[SIP_URI_MAX_PARAMS];
	unsigned n = 0;

	while (p <= e) {
		const char *s = p, *eq;
		const char *end = memchr(p, ';', (size_t)(e - p));
		struct sip_str name;

		if (end == NULL)
			end = e;
		eq = memchr(s, '=', (size_t)(end - s));
		if (eq == s || end == s)
			return -1; /* empty name (";;" or ";=x") */
		if (!chars_ok(s, eq ? eq : end, SIP_C_PARAM | SIP_C_UNRESERVED))
			return -1;
		if (eq != NULL && (eq + 1 == end ||
				   !chars_ok(eq + 1, end, SIP_C_PARAM | SIP_C_UNRESERVED)))
			return -1;
		name = sip_span(s, eq ? eq : end);
		if (n == SIP_URI_MAX_PARAMS)
			return -1;
		for (unsigned i = 0; i < n; i++)
			if (esc_eq(names[i], name, true))
				return -1;
		names[n++] = name;
		if (u != NULL)
			uri_param(u, name,
				  eq ? sip_span(eq + 1, end) : (struct sip_str){ NULL, 0 });
		p = end + 1;
	}
	return 0;
}

/* headers in [p, e) (after '?'): hname "=" hvalue *( "&" ... ), at most
 * SIP_URI_MAX_PARAMS of them. */
static int uri_headers(const char *p, const char *e)
{
	unsigned n = 0;

	while (p <= e) {
		const char *end = memchr(p, '&', (size_t)(e - p));
		const char *eq;

		if (end == NULL)
			end = e;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p || ++n > SIP_URI_MAX_PARAMS)
			return -1;
		if (!chars_ok(p, eq, SIP_C_HNV | SIP_C_UNRESERVED) ||
		    !chars_ok(eq + 1, end, SIP_C_HNV | SIP_C_UNRESERVED))
			return -1;
		p = end + 1;
	}
	return 0;
}

static int host_port(struct sip_uri *u, const char *p, const char *e, const char **out)
{
	const char *h = p;

	if (p < e && *p == '[') {
		for (p++; p < e && *p != ']'; p++)
			if (sip_hexval(*p) < 0 && *p != ':' && *p != '.')
				return -1;
		if (p == e || p - h < 3)
			return -1;
		p++;
	} else {
		while (p < e && sip_is(*p, SIP_C_HOST))
			p++;
		if (p == h || *h == '.' || *h == '-')
			return -1;
	}
	u->host = sip_span(h, p);
	u->ipv4 = sip_ipv4_parse(h, (size_t)(p - h));
	if (p < e && *p == ':') {
		unsigned v = 0, digits = 0;

		for (p++; p < e && sip_is_digit(*p); p++) {
			if (++digits > 5)
				return -1;
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (digits == 0 || v == 0 || v > 65535)
			return -1;
		u->port = (uint16_t)v;
	}
	*out = p;
	return 0;
}

static int sip_uri(struct sip_uri *u, const char *p, const char *e)
{
	const char *at = memchr(p, '@', (size_t)(e - p)), *q, *pe;

	if (at != NULL) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *ue = colon ? colon : at;

		if (ue == p || !chars_ok(p, ue, SIP_C_UNRESERVED | SIP_C_USER))
			return -1;
		u->user = sip_span(p, ue);
		if (colon != NULL) {
			if (!chars_ok(colon + 1, at, SIP_C_UNRESERVED | SIP_C_PASSWORD))
				return -1;
			u->password = sip_span(colon + 1, at);
		}
		p = at + 1;
	}
	if (host_port(u, p, e, &q) != 0 || q > e)
		return -1;
	pe = memchr(q, '?', (size_t)(e - q));
	if (pe == NULL)
		pe = e;
	if (q < pe) {
		if (*q != ';')
			return -1;
		u->params = sip_span(q + 1, pe);
		if (uri_params(u, q + 1, pe) != 0)
			return -1;
	}
	if (pe < e) {
		u->headers = sip_span(pe + 1, e);
		if (uri_headers(pe + 1, e) != 0)
			return -1;
	}
	return 0;
}

static bool tel_char(char c)
{
	return sip_hexval(c) >= 0 || c == '*' || c == '#' || c == '-' || c == '.' || c == '(' ||
	       c == ')';
}

static int tel_uri(struct sip_uri *u, const char *p, const char *e)
{
	const char *s = p, *q = memchr(p, ';', (size_t)(e - p));

	if (q == NULL)
		q = e;
	if (p < q && *p == '+')
		p++;
	if (p == q)
		return -1;
	for (; p < q; p++)
		if (!tel_char(*p))
			return -1;
	u->user = sip_span(s, q);
	if (q < e) {
		u->params = sip_span(q + 1, e);
		return uri_params(NULL, q + 1, e);
	}
	return 0;
}

int sip_uri_parse(struct sip_uri *u, const char *p, size_t len)
{
	const char *e = p + len, *q;

	memset(u, 0, sizeof(*u));
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	for (q = p; q < e && *q != ':'; q++)
		if (!sip_is(*q, SIP_C_HOST) && *q != '+')
			return -1;
	if (q == p || q == e || !sip_is(*p, SIP_C_HOST) || sip_is_digit(*p) || *p == '-' ||
	    *p == '.' || q + 1 == e)
		return -1;
	u->scheme_str = sip_span(p, q);
	if (SIP_IEQ(u->scheme_str, "sip"))
		u->scheme = SIP_URI_SIP;
	else if (SIP_IEQ(u->scheme_str, "sips"))
		u->scheme = SIP_URI_SIPS;
	else if (SIP_IEQ(u->scheme_str, "tel"))
		u->scheme = SIP_URI_TEL;
	u->opaque = sip_span(q + 1, e);
	switch (u->scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		return sip_uri(u, q + 1, e);
	case SIP_URI_TEL:
		return tel_uri(u, q + 1, e);
	default:
		for (q++; q < e; q++)
			if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f || *q == '<' ||
			    *q == '>' || *q == '"')
				return -1;
		return 0;
	}
}

/* ---- comparison ---- */

/* The next character of a span, escapes decoded; -1 at its end. */
static int next_char(struct sip_str s, uint32_t *i)
{
	int c;

	if (*i >= s.len)
		return -1;
	c = (unsigned char)s.p[*i];
	if (c == '%' && *i + 2 < s.len && sip_hexval(s.p[*i + 1]) >= 0 &&
	    sip_hexval(s.p[*i + 2]) >= 0) {
		c = sip_hexval(s.p[*i + 1]) * 16 + sip_hexval(s.p[*i + 2]);
		*i += 3;
	} else {
		(*i)++;
	}
	return c;
}

/* Equal after unescaping; icase folds ASCII letters. Absent equals only
 * absent. */
static bool esc_eq(struct sip_str a, struct sip_str b, bool icase)
{
	uint32_t i = 0, j = 0;

	if ((a.p == NULL) != (b.p == NULL))
		return false;
	for (;;) {
		int x = next_char(a, &i), y = next_char(b, &j);

		if (icase) {
			x = x >= 0 ? sip_lower((char)x) : x;
			y = y >= 0 ? sip_lower((char)y) : y;
		}
		if (x != y)
			return false;
		if (x < 0)
			return true;
	}
}

/* The value of parameter name in a ';' (or '&') separated list; found
 * says whether it is there (a valueless one has value.p NULL). */
static struct sip_str find_param(struct sip_str list, struct sip_str name, char sep, bool *found)
{
	const char *p = list.p, *e;

	*found = false;
	if (p == NULL)
		return (struct sip_str){ NULL, 0 };
	e = p + list.len;
	while (p < e) {
		const char *end = memchr(p, sep, (size_t)(e - p)), *eq;

		if (end == NULL)
			end = e;
		eq = memchr(p, '=', (size_t)(end - p));
		if (esc_eq(sip_span(p, eq ? eq : end), name, true)) {
			*found = true;
			return eq ? sip_span(eq + 1, end) : (struct sip_str){ NULL, 0 };
		}
		p = end + 1;
	}
	return (struct sip_str){ NULL, 0 };
}

static bool special_param(struct sip_str name)
{
	static const char *const names[] = { "user", "ttl", "method", "maddr", "transport" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sip_str n = { names[i], (uint32_t)strlen(names[i]) };

		if (esc_eq(name, n, true))
			return true;
	}
	return false;
}

/* Every parameter of a against b: one in both must match; one of the
 * special five (or every one when all) must also be in both. */
static bool params_cover(struct sip_str a, struct sip_str b, char sep, bool all)
{
	const char *p = a.p, *e;

	if (p == NULL)
		return true;
	e = p + a.len;
	while (p < e) {
		const char *end = memchr(p, sep, (size_t)(e - p)), *eq;
		struct sip_str name, va, vb;
		bool found;

		if (end == NULL)
			end = e;
		eq = memchr(p, '=', (size_t)(end - p));
		name = sip_span(p, eq ? eq : end);
		va = eq ? sip_span(eq + 1, end) : (struct sip_str){ NULL, 0 };
		vb = find_param(b, name, sep, &found);
		if (!found) {
			if (all || special_param(name))
				return false;
		} else if (!esc_eq(va, vb, true)) {
			return false;
		}
		p = end + 1;
	}
	return true;
}

/* URI headers may repeat a name: equal as multisets of name=value. */
static unsigned split_headers(struct sip_str h, struct sip_str *name, struct sip_str *value)
{
	const char *p = h.p, *e;
	unsigned n = 0;

	if (p == NULL)
		return 0;
	e = p + h.len;
	while (p <= e && n < SIP_URI_MAX_PARAMS) {
		const char *end = memchr(p, '&', (size_t)(e - p)), *eq;

		if (end == NULL)
			end = e;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			eq = end;
		name[n] = sip_span(p, eq);
		value[n] = sip_span(eq < end ? eq + 1 : end, end);
		n++;
		p = end + 1;
	}
	return n;
}

static bool headers_equal(struct sip_str a, struct sip_str b)
{
	struct sip_str an[SIP_URI_MAX_PARAMS], av[SIP_URI_MAX_PARAMS];
	struct sip_str bn[SIP_URI_MAX_PARAMS], bv[SIP_URI_MAX_PARAMS];
	unsigned na = split_headers(a, an, av), nb = split_headers(b, bn, bv);

	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++) {
		unsigned in_a = 0, in_b = 0;

		for (unsigned j = 0; j < na; j++) {
			in_a += esc_eq(an[i], an[j], true) && esc_eq(av[i], av[j], true);
			in_b += esc_eq(an[i], bn[j], true) && esc_eq(av[i], bv[j], true);
		}
		if (in_a != in_b)
			return false;
	}
	return true;
}

/* tel numbers: visual separators do not count (RFC 3966 4). */
static bool tel_number_eq(struct sip_str a, struct sip_str b)
{
	uint32_t i = 0, j = 0;

	for (;;) {
		while (i < a.len && strchr("-.()", a.p[i]) != NULL)
			i++;
		while (j < b.len && strchr("-.()", b.p[j]) != NULL)
			j++;
		if (i == a.len || j == b.len)
			return i == a.len && j == b.len;
		if (sip_lower(a.p[i++]) != sip_lower(b.p[j++]))
			return false;
	}
}

bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	switch (a->scheme) {
	case SIP_URI_TEL:
		return tel_number_eq(a->user, b->user) &&
		       params_cover(a->params, b->params, ';', true) &&
		       params_cover(b->params, a->params, ';', true);
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		break;
	default:
		return sip_str_ieq_str(a->scheme_str, b->scheme_str) &&
		       sip_str_eq(a->opaque, b->opaque);
	}
	return esc_eq(a->user, b->user, false) && esc_eq(a->password, b->password, false) &&
	       sip_str_ieq_str(a->host, b->host) && a->port == b->port &&
	       params_cover(a->params, b->params, ';', false) &&
	       params_cover(b->params, a->params, ';', false) &&
	       headers_equal(a->headers, b->headers);
}
