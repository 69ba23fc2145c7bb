/*
 * sip_msg_int.h: character classes and span helpers shared by the files of
 * the SIP message layer. Not part of its interface.
 */
#ifndef UMEDGE_SIP_MSG_INT_H
#define UMEDGE_SIP_MSG_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sip_msg.h"

/* Character classes of RFC 3261 section 25.1, one table lookup each. */
enum {
	SIP_C_TOKEN = 1 << 0,	  /* token: alphanum - . ! % * _ + ` ' ~ */
	SIP_C_UNRESERVED = 1 << 1, /* alphanum mark */
	SIP_C_USER = 1 << 2,	  /* user-unreserved: & = + $ , ; ? / */
	SIP_C_PASSWORD = 1 << 3,  /* & = + $ , */
	SIP_C_PARAM = 1 << 4,	  /* param-unreserved: [ ] / : & + $ */
	SIP_C_HNV = 1 << 5,	  /* hnv-unreserved: [ ] / ? : + $ */
	SIP_C_HEX = 1 << 6,
	SIP_C_HOST = 1 << 7,	  /* alphanum - . */
};

extern const uint8_t sip_cclass[256];

static inline bool sip_is(char c, unsigned cls)
{
	return (sip_cclass[(unsigned char)c] & cls) != 0;
}

static inline bool sip_is_token(char c)
{
	return sip_is(c, SIP_C_TOKEN);
}

static inline bool sip_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool sip_is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline char sip_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static inline struct sip_str sip_span(const char *p, const char *e)
{
	return (struct sip_str){ p, (uint32_t)(e - p) };
}

static inline int sip_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = sip_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Case-insensitive compare with a literal whose length is known. */
static inline bool sip_ieq_n(struct sip_str s, const char *lit, uint32_t n)
{
	if (s.len != n || s.p == NULL)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (sip_lower(s.p[i]) != lit[i])
			return false;
	return true;
}

/* lit must be lower case */
#define SIP_IEQ(s, lit) sip_ieq_n((s), "" lit, sizeof(lit) - 1)

/* An output buffer that fills up to its capacity and then only records
 * that it overflowed (sip_reply.c, sdp_write.c). */
struct sip_out {
	char *p;
	size_t n, cap;
	bool overflow;
};

static inline void sip_out_put(struct sip_out *o, const char *s, size_t n)
{
	if (o->overflow || n > o->cap - o->n) {
		o->overflow = true;
		return;
	}
	if (n > 0)
		memcpy(o->p + o->n, s, n);
	o->n += n;
}

static inline void sip_out_str(struct sip_out *o, const char *s)
{
	sip_out_put(o, s, strlen(s));
}

/* Header field i of m as received, name to CRLF. */
static inline void sip_out_field(struct sip_out *o, const struct sip_msg *m, unsigned i)
{
	sip_out_put(o, m->buf + m->hdrs[i].off, m->hdrs[i].end - m->hdrs[i].off);
}

/* Skip linear white space (folds included) forwards and backwards. */
static inline const char *sip_skip_lws(const char *p, const char *e)
{
	while (p < e && sip_is_lws(*p))
		p++;
	return p;
}

static inline const char *sip_trim_lws(const char *p, const char *e)
{
	while (e > p && sip_is_lws(e[-1]))
		e--;
	return e;
}

/* Generic parameters ";name[=value]" in [p, e): calls fn for each with the
 * name and the value (p NULL when there is none). A value is a token, a
 * host (with ':' and '[]') or a quoted string. Returns 0, or -1 on
 * malformed input or when fn returns non-zero. */
typedef int (*sip_param_fn)(void *arg, struct sip_str name, struct sip_str value);
int sip_params_walk(const char *p, const char *e, sip_param_fn fn, void *arg);

/* The end of a quoted string starting at p (p[0] == '"'): the byte after
 * the closing quote, or NULL when it does not close before e. */
const char *sip_quoted_end(const char *p, const char *e);

/* FNV-1a, for hash tables keyed by strings (not a MAC: see siphash.h). */
#define SIP_FNV_BASIS 0xcbf29ce484222325ull

static inline uint64_t sip_fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A host-order IPv4 address as a dotted quad ("0.0.0.0" if it cannot). */
void sip_ipv4_str(char *buf, size_t len, uint32_t addr);

#endif
