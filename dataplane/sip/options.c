/*
 * options.c: see options.h. Strict on purpose: one request line
 * "METHOD SP URI SP SIP/2.0", CRLF line ends, no folded headers, exactly
 * one From, To, Call-ID and CSeq, at least one Via, a CSeq whose method is
 * the request's, a Content-Length that matches the body. Compact header
 * forms (v, f, t, i, l) are accepted. Nothing is allocated.
 */
#include "options.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADERS 64
#define MAX_VIA 16

struct span {
	const char *p;
	size_t n;
};

struct sip_req {
	struct span method, uri;
	struct span via[MAX_VIA];
	unsigned n_via;
	struct span from, to, call_id, cseq;
	unsigned n_from, n_to, n_call_id, n_cseq;
	long content_length;
	bool has_cl;
};

static const char *find_crlf(const char *p, const char *end)
{
	for (; p + 1 < end; p++) {
		if (p[0] == '\r' && p[1] == '\n')
			return p;
		if (p[0] == '\n' || p[0] == '\0')
			return NULL;	/* bare LF or NUL: refused */
	}
	return NULL;
}

static bool is_token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       strchr("-.!%*_+`'~", c) != NULL;
}

static bool name_is(struct span n, const char *full, const char *compact)
{
	return (n.n == strlen(full) && strncasecmp(n.p, full, n.n) == 0) ||
	       (compact != NULL && n.n == 1 && (n.p[0] | 0x20) == compact[0]);
}

static struct span trim(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (struct span){ p, (size_t)(end - p) };
}

static int parse_content_length(struct span v, long *out)
{
	long n = 0;

	if (v.n == 0 || v.n > 5)
		return -EINVAL;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -EINVAL;
		n = n * 10 + (v.p[i] - '0');
	}
	*out = n;
	return 0;
}

/* Headers of msg: the end of the header block (after the empty line) in
 * *body, or NULL if not complete. Fills r when given. */
static int parse_head(const char *msg, size_t len, struct sip_req *r, const char **body)
{
	const char *end = msg + len, *p = msg, *eol;
	unsigned n_headers = 0;

	*body = NULL;
	eol = find_crlf(p, end);
	if (eol == NULL)
		return len > SIP_MSG_MAX ? -EMSGSIZE : 0;
	/* request line */
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (sp1 == NULL || sp1 == p)
		return -EINVAL;
	for (const char *q = p; q < sp1; q++)
		if (!is_token_char(*q))
			return -EINVAL;
	const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1 || (size_t)(eol - sp2 - 1) != 7 ||
	    memcmp(sp2 + 1, "SIP/2.0", 7) != 0)
		return -EINVAL;
	for (const char *q = sp1 + 1; q < sp2; q++)
		if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
			return -EINVAL;
	if (r != NULL) {
		memset(r, 0, sizeof(*r));
		r->method = (struct span){ p, (size_t)(sp1 - p) };
		r->uri = (struct span){ sp1 + 1, (size_t)(sp2 - sp1 - 1) };
		r->content_length = -1;
	}
	p = eol + 2;
	for (;;) {
		eol = find_crlf(p, end);
		if (eol == NULL)
			return (size_t)(end - msg) > SIP_MSG_MAX ? -EMSGSIZE : 0;
		if (eol == p) {
			*body = eol + 2;
			return 0;
		}
		if (*p == ' ' || *p == '\t')
			return -EINVAL;	/* folding: not here */
		if (++n_headers > MAX_HEADERS)
			return -EINVAL;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			return -EINVAL;
		struct span name = trim(p, colon), val = trim(colon + 1, eol);
		if (name.n == 0)
			return -EINVAL;
		for (size_t i = 0; i < name.n; i++)
			if (!is_token_char(name.p[i]))
				return -EINVAL;
		for (size_t i = 0; i < val.n; i++)
			if ((unsigned char)val.p[i] < ' ' && val.p[i] != '\t')
				return -EINVAL;
		if (name_is(name, "Content-Length", "l")) {
			long cl;

			if (parse_content_length(val, &cl) != 0)
				return -EINVAL;
			if (r != NULL) {
				if (r->has_cl && r->content_length != cl)
					return -EINVAL;
				r->has_cl = true;
				r->content_length = cl;
			}
		} else if (r != NULL) {
			if (name_is(name, "Via", "v")) {
				if (r->n_via == MAX_VIA)
					return -EINVAL;
				r->via[r->n_via++] = val;
			} else if (name_is(name, "From", "f")) {
				r->from = val;
				r->n_from++;
			} else if (name_is(name, "To", "t")) {
				r->to = val;
				r->n_to++;
			} else if (name_is(name, "Call-ID", "i")) {
				r->call_id = val;
				r->n_call_id++;
			} else if (name_is(name, "CSeq", NULL)) {
				r->cseq = val;
				r->n_cseq++;
			}
		}
		p = eol + 2;
	}
}

int sip_frame(const char *buf, size_t len)
{
	struct sip_req r;
	const char *body;
	int rc = parse_head(buf, len > SIP_MSG_MAX ? SIP_MSG_MAX + 1 : len, &r, &body);
	size_t total;

	if (rc < 0)
		return rc;
	if (body == NULL)
		return 0;
	total = (size_t)(body - buf) + (size_t)(r.has_cl ? r.content_length : 0);
	if (total > SIP_MSG_MAX)
		return -EMSGSIZE;
	return total <= len ? (int)total : 0;
}

static bool has_tag(struct span to)
{
	/* ";tag=" outside a quoted display name or <...> URI */
	bool quoted = false, angle = false;

	for (size_t i = 0; i < to.n; i++) {
		char c = to.p[i];

		if (c == '"' && !angle)
			quoted = !quoted;
		else if (c == '<' && !quoted)
			angle = true;
		else if (c == '>' && !quoted)
			angle = false;
		else if (c == ';' && !quoted && !angle && i + 5 <= to.n &&
			 strncasecmp(to.p + i + 1, "tag=", 4) == 0)
			return true;
	}
	return false;
}

/* CSeq: "number SP method", method equal to the request's. */
static bool cseq_ok(struct span cseq, struct span method)
{
	size_t i = 0;

	while (i < cseq.n && cseq.p[i] >= '0' && cseq.p[i] <= '9')
		i++;
	if (i == 0 || i > 10 || i >= cseq.n || (cseq.p[i] != ' ' && cseq.p[i] != '\t'))
		return false;
	while (i < cseq.n && (cseq.p[i] == ' ' || cseq.p[i] == '\t'))
		i++;
	return cseq.n - i == method.n && memcmp(cseq.p + i, method.p, method.n) == 0;
}

struct out {
	char *p;
	size_t n, cap;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || o->n + n > o->cap) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void header(struct out *o, const char *name, struct span v)
{
	puts_(o, name);
	puts_(o, ": ");
	put(o, v.p, v.n);
	puts_(o, "\r\n");
}

int sip_options_answer(const char *msg, size_t len, const char *to_tag, char *out, size_t cap)
{
	struct sip_req r;
	const char *body;
	struct out o = { out, 0, cap, false };
	bool options;
	int rc = parse_head(msg, len, &r, &body);

	if (rc < 0 || body == NULL)
		return -EINVAL;
	if (r.n_via == 0 || r.n_from != 1 || r.n_to != 1 || r.n_call_id != 1 ||
	    r.n_cseq != 1 || r.call_id.n == 0 || !cseq_ok(r.cseq, r.method))
		return -EINVAL;
	if ((size_t)(body - msg) + (size_t)(r.has_cl ? r.content_length : 0) != len)
		return -EINVAL;
	if (r.method.n == 3 && memcmp(r.method.p, "ACK", 3) == 0)
		return 0;	/* never answered */
	options = r.method.n == 7 && memcmp(r.method.p, "OPTIONS", 7) == 0;
	puts_(&o, options ? "SIP/2.0 200 OK\r\n" : "SIP/2.0 501 Not Implemented\r\n");
	for (unsigned i = 0; i < r.n_via; i++)
		header(&o, "Via", r.via[i]);
	header(&o, "From", r.from);
	puts_(&o, "To: ");
	put(&o, r.to.p, r.to.n);
	if (!has_tag(r.to) && to_tag != NULL) {
		puts_(&o, ";tag=");
		puts_(&o, to_tag);
	}
	puts_(&o, "\r\n");
	header(&o, "Call-ID", r.call_id);
	header(&o, "CSeq", r.cseq);
	puts_(&o, "Allow: OPTIONS\r\nServer: umedge\r\nContent-Length: 0\r\n\r\n");
	if (o.overflow)
		return -ENOSPC;
	return (int)o.n;
}
