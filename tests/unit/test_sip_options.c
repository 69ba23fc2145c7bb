/*
 * The SIP OPTIONS responder: framing by Content-Length, 200 OK with the
 * request's Via/From/To/Call-ID/CSeq and a To tag, 501 for other methods,
 * and a table of hostile and malformed requests that must be refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sip/options.h"

#define REQ(method, extra)                                              \
	method " sip:um1.example.test SIP/2.0\r\n"                      \
	"Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-1\r\n"          \
	"Via: SIP/2.0/TLS 192.0.2.9;branch=z9hG4bK-0\r\n"                \
	"From: \"GW\" <sip:gw1.example.test>;tag=a1\r\n"                 \
	"To: <sip:um1.example.test>\r\n"                                 \
	"Call-ID: c1@gw1\r\n"                                            \
	"CSeq: 7 " method "\r\n" extra                                   \
	"Content-Length: 0\r\n\r\n"

static int answer(const char *req, char *out, size_t cap)
{
	int n = sip_frame(req, strlen(req));

	if (n <= 0)
		return n;
	return sip_options_answer(req, (size_t)n, "t1", out, cap);
}

Test(sip_options, ok_200_copies_headers_and_tags_to)
{
	char out[2048];
	int n = answer(REQ("OPTIONS", "Max-Forwards: 70\r\n"), out, sizeof(out));

	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert_str_eq(out,
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-1\r\n"
		"Via: SIP/2.0/TLS 192.0.2.9;branch=z9hG4bK-0\r\n"
		"From: \"GW\" <sip:gw1.example.test>;tag=a1\r\n"
		"To: <sip:um1.example.test>;tag=t1\r\n"
		"Call-ID: c1@gw1\r\n"
		"CSeq: 7 OPTIONS\r\n"
		"Allow: OPTIONS\r\nServer: umedge\r\nContent-Length: 0\r\n\r\n");
}

Test(sip_options, compact_forms_and_existing_tag)
{
	const char *req = "OPTIONS sip:x SIP/2.0\r\nv: SIP/2.0/TLS a\r\nf: <sip:a>;tag=1\r\n"
			  "t: <sip:b;tag=nottag>;tag=9\r\ni: id\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
	char out[1024];
	int n = answer(req, out, sizeof(out));

	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert(strstr(out, "To: <sip:b;tag=nottag>;tag=9\r\n") != NULL, "%s", out);
}

Test(sip_options, other_methods_get_501_ack_nothing)
{
	char out[2048];
	int n = answer(REQ("INVITE", ""), out, sizeof(out));

	cr_assert_gt(n, 0);
	cr_assert(strncmp(out, "SIP/2.0 501 Not Implemented\r\n", 29) == 0);
	cr_assert_eq(answer(REQ("ACK", ""), out, sizeof(out)), 0);
}

Test(sip_options, framing)
{
	const char *full = REQ("OPTIONS", "");
	size_t len = strlen(full);
	char two[4096];

	for (size_t i = 0; i < len; i++)
		cr_assert_eq(sip_frame(full, i), 0, "prefix %zu", i);
	cr_assert_eq(sip_frame(full, len), (int)len);
	snprintf(two, sizeof(two), "%s%s", full, full);
	cr_assert_eq(sip_frame(two, strlen(two)), (int)len);
	/* a body is part of the message */
	const char *body = "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\n"
			   "CSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nabcdNEXT";
	cr_assert_eq(sip_frame(body, strlen(body)), (int)strlen(body) - 4);
}

Test(sip_options, too_small_output)
{
	char out[64];

	cr_assert_eq(answer(REQ("OPTIONS", ""), out, sizeof(out)), -ENOSPC);
}

static const struct {
	const char *what, *req;
} hostile[] = {
	{ "response", "SIP/2.0 200 OK\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "no version", "OPTIONS sip:x\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "SIP/3.0", "OPTIONS sip:x SIP/3.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "bare LF", "OPTIONS sip:x SIP/2.0\nVia: v\nFrom: f\nTo: t\nCall-ID: i\nCSeq: 1 OPTIONS\n\n" },
	{ "no Via", "OPTIONS sip:x SIP/2.0\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "two From", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nf: g\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "no Call-ID", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "empty Call-ID", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID:\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "CSeq method", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 INVITE\r\n\r\n" },
	{ "CSeq number", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: x OPTIONS\r\n\r\n" },
	{ "folded", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\n  w\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "no colon", "OPTIONS sip:x SIP/2.0\r\nVia v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "NUL", "OPTIONS sip:x SIP/2.0\r\nVia: v\0\r\n\r\n" },
	{ "control char", "OPTIONS sip:x SIP/2.0\r\nVia: v\x01\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n" },
	{ "bad length", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\nContent-Length: -1\r\n\r\n" },
	{ "huge length", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\nContent-Length: 99999\r\n\r\n" },
	{ "two lengths", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\nl: 0\r\nContent-Length: 1\r\n\r\nx" },
	{ "space method", " OPTIONS sip:x SIP/2.0\r\n\r\n" },
	{ "method chars", "OPT<IONS sip:x SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: i\r\nCSeq: 1 OPT<IONS\r\n\r\n" },
	{ "empty", "\r\n\r\n" },
};

Test(sip_options, hostile_inputs_refused)
{
	char out[2048];

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const char *r = hostile[i].req;
		size_t len = strlen(r) + (strcmp(hostile[i].what, "NUL") == 0 ? 12 : 0);
		int f = sip_frame(r, len);
		int a = f > 0 ? sip_options_answer(r, (size_t)f, "t", out, sizeof(out))
			      : sip_options_answer(r, len, "t", out, sizeof(out));

		cr_expect(f < 0 || a < 0, "%s: framed %d answered %d", hostile[i].what, f, a);
	}
}

Test(sip_options, oversize_is_refused)
{
	static char big[SIP_MSG_MAX + 100];

	memset(big, 'a', sizeof(big));
	memcpy(big, "OPTIONS sip:x SIP/2.0\r\nX: ", 26);
	cr_assert_eq(sip_frame(big, sizeof(big)), -EMSGSIZE);
}
