/*
 * sip_msg_names.c: the tables of the SIP message layer (character classes,
 * methods, header names, errors) and the small span helpers.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sip_msg.h"
#include "sip_msg_int.h"

#define ALNUM(cls) ['a' ... 'z'] = (cls), ['A' ... 'Z'] = (cls), ['0' ... '9'] = (cls)
#define TOK_UNR (SIP_C_TOKEN | SIP_C_UNRESERVED)

/* Built from RFC 3261 25.1: alphanum is in every class but HNV/PARAM/USER
 * where unreserved covers it; the per-character lines add the marks. */
const uint8_t sip_cclass[256] = {
	ALNUM(SIP_C_TOKEN | SIP_C_UNRESERVED | SIP_C_HOST),
	['-'] = TOK_UNR | SIP_C_HOST,
	['.'] = TOK_UNR | SIP_C_HOST,
	['!'] = TOK_UNR,
	['*'] = TOK_UNR,
	['_'] = TOK_UNR,
	['~'] = TOK_UNR,
	['\''] = TOK_UNR,
	['%'] = SIP_C_TOKEN,
	['+'] = SIP_C_TOKEN | SIP_C_USER | SIP_C_PASSWORD | SIP_C_PARAM | SIP_C_HNV,
	['`'] = SIP_C_TOKEN,
	['('] = SIP_C_UNRESERVED,
	[')'] = SIP_C_UNRESERVED,
	['&'] = SIP_C_USER | SIP_C_PASSWORD | SIP_C_PARAM,
	['='] = SIP_C_USER | SIP_C_PASSWORD,
	['$'] = SIP_C_USER | SIP_C_PASSWORD | SIP_C_PARAM | SIP_C_HNV,
	[','] = SIP_C_USER | SIP_C_PASSWORD,
	[';'] = SIP_C_USER,
	['?'] = SIP_C_USER | SIP_C_HNV,
	['/'] = SIP_C_USER | SIP_C_PARAM | SIP_C_HNV,
	['['] = SIP_C_PARAM | SIP_C_HNV,
	[']'] = SIP_C_PARAM | SIP_C_HNV,
	[':'] = SIP_C_PARAM | SIP_C_HNV,
};

const char *const sip_method_names[SIP_METHOD_COUNT] = {
	"",	    "INVITE", "ACK",	"BYE",	     "CANCEL", "OPTIONS", "REGISTER",
	"INFO",	    "UPDATE", "PRACK",	"SUBSCRIBE", "NOTIFY", "REFER",	  "MESSAGE",
};

enum sip_method sip_method_from(const char *p, size_t len)
{
	for (int i = 1; i < SIP_METHOD_COUNT; i++)
		if (strlen(sip_method_names[i]) == len && memcmp(sip_method_names[i], p, len) == 0)
			return (enum sip_method)i;
	return SIP_METHOD_OTHER;
}

const char *const sip_hdr_names[SIP_HDR_COUNT] = {
	"",
#define SIP_HDR_NAME(id, name, compact) name,
	SIP_HEADERS(SIP_HDR_NAME)
#undef SIP_HDR_NAME
};

static const char sip_hdr_compact[SIP_HDR_COUNT] = {
	0,
#define SIP_HDR_COMPACT(id, name, compact) compact,
	SIP_HEADERS(SIP_HDR_COMPACT)
#undef SIP_HDR_COMPACT
};

/* The ids by name length, so that a lookup compares at most six names
 * (a loop over all of them was a quarter of the parse). test_sip_msg
 * checks that every name and compact form is found. */
#define H(id) SIP_HDR_##id
static const uint8_t hdr_by_len[20][7] = {
	[2] = { H(TO) },
	[3] = { H(VIA) },
	[4] = { H(FROM), H(CSEQ) },
	[5] = { H(ROUTE), H(ALLOW), H(EVENT) },
	[7] = { H(CALL_ID), H(CONTACT), H(SUBJECT), H(REQUIRE), H(EXPIRES), H(WARNING) },
	[8] = { H(REFER_TO), H(IDENTITY) },
	[9] = { H(SUPPORTED) },
	[11] = { H(UNSUPPORTED), H(REFERRED_BY), H(RETRY_AFTER) },
	[12] = { H(MAX_FORWARDS), H(RECORD_ROUTE), H(CONTENT_TYPE), H(ALLOW_EVENTS) },
	[13] = { H(PROXY_REQUIRE), H(IDENTITY_INFO) },
	[14] = { H(CONTENT_LENGTH), H(ACCEPT_CONTACT), H(REJECT_CONTACT) },
	[15] = { H(SESSION_EXPIRES) },
	[16] = { H(CONTENT_ENCODING) },
	[19] = { H(REQUEST_DISPOSITION) },
};
#undef H

enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len)
{
	if (len == 1) {
		char c = sip_lower(name[0]);

		for (int i = 1; i < SIP_HDR_COUNT; i++)
			if (sip_hdr_compact[i] == c)
				return (enum sip_hdr_id)i;
		return SIP_HDR_OTHER;
	}
	if (len >= sizeof(hdr_by_len) / sizeof(hdr_by_len[0]))
		return SIP_HDR_OTHER;
	for (const uint8_t *id = hdr_by_len[len]; *id != 0; id++) {
		const char *n = sip_hdr_names[*id];
		size_t k = 0;

		while (k < len && sip_lower(name[k]) == sip_lower(n[k]))
			k++;
		if (k == len)
			return (enum sip_hdr_id)*id;
	}
	return SIP_HDR_OTHER;
}

static const struct {
	const char *name;
	int status;
	const char *reason;
} sip_errors[SIP_E_COUNT] = {
#define SIP_ERROR_ROW(id, name, status, reason) { name, status, reason },
	SIP_ERRORS(SIP_ERROR_ROW)
#undef SIP_ERROR_ROW
};

const char *sip_error_name(enum sip_error e)
{
	return (unsigned)e < SIP_E_COUNT ? sip_errors[e].name : "unknown";
}

int sip_error_status(enum sip_error e)
{
	return (unsigned)e < SIP_E_COUNT ? sip_errors[e].status : 400;
}

const char *sip_error_reason(enum sip_error e)
{
	return (unsigned)e < SIP_E_COUNT ? sip_errors[e].reason : "Bad Request";
}

bool sip_str_ieq(struct sip_str s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.p == NULL || s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (sip_lower(s.p[i]) != sip_lower(lit[i]))
			return false;
	return true;
}

bool sip_str_eq(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool sip_str_ieq_str(struct sip_str a, struct sip_str b)
{
	if (a.len != b.len)
		return false;
	for (uint32_t i = 0; i < a.len; i++)
		if (sip_lower(a.p[i]) != sip_lower(b.p[i]))
			return false;
	return true;
}

void sip_ipv4_str(char *buf, size_t len, uint32_t addr)
{
	struct in_addr a = { htonl(addr) };

	if (inet_ntop(AF_INET, &a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "0.0.0.0");
}

const char *sip_quoted_end(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\') {
			if (++p == e)
				return NULL;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

int sip_params_walk(const char *p, const char *e, sip_param_fn fn, void *arg)
{
	for (;;) {
		struct sip_str name, value = { NULL, 0 };
		const char *s;

		p = sip_skip_lws(p, e);
		if (p == e)
			return 0;
		if (*p != ';')
			return -1;
		p = sip_skip_lws(p + 1, e);
		s = p;
		while (p < e && sip_is_token(*p))
			p++;
		if (p == s)
			return -1;
		name = sip_span(s, p);
		p = sip_skip_lws(p, e);
		if (p < e && *p == '=') {
			p = sip_skip_lws(p + 1, e);
			s = p;
			if (p < e && *p == '"') {
				p = sip_quoted_end(p, e);
				if (p == NULL)
					return -1;
			} else {
				while (p < e && (sip_is_token(*p) || *p == ':' || *p == '[' ||
						 *p == ']'))
					p++;
			}
			if (p == s)
				return -1;
			value = sip_span(s, p);
		}
		if (fn != NULL && fn(arg, name, value) != 0)
			return -1;
	}
}
