/*
 * The worker's SIP responder on the message layer: 200 OK to OPTIONS with
 * the request's Via/From/To/Call-ID/CSeq and a To tag, 501 for other
 * methods, nothing for ACK and responses, and for what the message layer
 * refuses, its status and reason when a response can be formed, else a
 * refusal (the stream closes).
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

static long answer(const char *req, size_t len, char *out, size_t cap, enum sip_error *err)
{
	return sip_options_answer(req, len, NULL, "t1", out, cap, err);
}

Test(sip_options, ok_200_copies_headers_and_tags_to)
{
	static const char req[] = REQ("OPTIONS", "Max-Forwards: 70\r\n");
	enum sip_error err;
	char out[2048];
	long n = answer(req, sizeof(req) - 1, out, sizeof(out), &err);

	cr_assert_gt(n, 0);
	cr_expect_eq(err, SIP_E_OK);
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
	static const char req[] = "OPTIONS sip:x SIP/2.0\r\nv: SIP/2.0/TLS a\r\nf: <sip:a>;tag=1\r\n"
				  "t: <sip:b;tag=nottag>;tag=9\r\ni: id\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
	enum sip_error err;
	char out[1024];
	long n = answer(req, sizeof(req) - 1, out, sizeof(out), &err);

	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert(strstr(out, "\r\nt: <sip:b;tag=nottag>;tag=9\r\n") != NULL, "%s", out);
	cr_assert(strstr(out, "\r\nv: SIP/2.0/TLS a\r\n") != NULL, "%s", out);
}

Test(sip_options, other_methods_get_501_ack_and_responses_nothing)
{
	static const char inv[] = REQ("INVITE", ""), ack[] = REQ("ACK", "");
	static const char rsp[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a>;tag=1\r\n"
				  "To: <sip:b>\r\nCall-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n";
	enum sip_error err;
	char out[2048];
	long n = answer(inv, sizeof(inv) - 1, out, sizeof(out), &err);

	cr_assert_gt(n, 0);
	cr_assert(strncmp(out, "SIP/2.0 501 Not Implemented\r\n", 29) == 0);
	cr_assert_eq(answer(ack, sizeof(ack) - 1, out, sizeof(out), &err), 0);
	cr_assert_eq(answer(rsp, sizeof(rsp) - 1, out, sizeof(out), &err), 0);
}

Test(sip_options, too_small_output)
{
	static const char req[] = REQ("OPTIONS", "");
	enum sip_error err;
	char out[64];

	cr_assert_eq(answer(req, sizeof(req) - 1, out, sizeof(out), &err), -ENOSPC);
}

#define HDRS "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:f>;tag=1\r\nTo: <sip:t>\r\nCall-ID: i\r\n"

#define VIAS10 "v: SIP/2.0/UDP a,b,c,d,e,f,g,h,i,j\r\n"

static const struct {
	const char *what, *req;
	long want;		  /* a status, 0 (nothing) or -EINVAL */
	enum sip_error err;
} hostile[] = {
	{ "bad response", "SIP/2.0 2000 OK\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n", -EINVAL, SIP_E_STATUS },
	{ "no version", "OPTIONS sip:x\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n", -EINVAL, SIP_E_START_LINE },
	{ "SIP/3.0", "OPTIONS sip:x SIP/3.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n", 505, SIP_E_VERSION },
	{ "scheme", "OPTIONS urn:x:y SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n", 416, SIP_E_URI_SCHEME },
	{ "bare LF", "OPTIONS sip:x SIP/2.0\nVia: v\nFrom: f\n\n", -EINVAL, SIP_E_START_LINE },
	{ "no Via", "OPTIONS sip:x SIP/2.0\r\nFrom: <sip:f>;tag=1\r\nTo: <sip:t>\r\nCall-ID: i\r\n"
	  "CSeq: 1 OPTIONS\r\n\r\n", -EINVAL, SIP_E_MISSING_VIA },
	{ "bad Via", "OPTIONS sip:x SIP/2.0\r\nVia: v\r\nFrom: <sip:f>;tag=1\r\nTo: <sip:t>\r\n"
	  "Call-ID: i\r\nCSeq: 1 OPTIONS\r\n\r\n", 400, SIP_E_VIA },
	{ "two From", "OPTIONS sip:x SIP/2.0\r\n" HDRS "f: <sip:g>\r\nCSeq: 1 OPTIONS\r\n\r\n", 400,
	  SIP_E_DUPLICATE },
	{ "no Call-ID", "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:f>;tag=1\r\n"
	  "To: <sip:t>\r\nCSeq: 1 OPTIONS\r\n\r\n", -EINVAL, SIP_E_MISSING_CALL_ID },
	{ "empty Call-ID", "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:f>;tag=1\r\n"
	  "To: <sip:t>\r\nCall-ID:\r\nCSeq: 1 OPTIONS\r\n\r\n", 400, SIP_E_CALL_ID },
	{ "CSeq method", "OPTIONS sip:x SIP/2.0\r\n" HDRS "CSeq: 1 INVITE\r\n\r\n", 400,
	  SIP_E_CSEQ_METHOD },
	{ "CSeq number", "OPTIONS sip:x SIP/2.0\r\n" HDRS "CSeq: x OPTIONS\r\n\r\n", 400, SIP_E_CSEQ },
	{ "no colon", "OPTIONS sip:x SIP/2.0\r\nVia v\r\n" HDRS "CSeq: 1 OPTIONS\r\n\r\n", -EINVAL,
	  SIP_E_HEADER },
	{ "bad length", "OPTIONS sip:x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\nContent-Length: -1\r\n\r\n",
	  400, SIP_E_CONTENT_LENGTH },
	{ "short body", "OPTIONS sip:x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\nContent-Length: 9\r\n\r\nab",
	  400, SIP_E_BODY_SHORT },
	{ "space method", " OPTIONS sip:x SIP/2.0\r\n\r\n", -EINVAL, SIP_E_START_LINE },
	{ "method chars", "OPT<IONS sip:x SIP/2.0\r\n" HDRS "CSeq: 1 OPT<IONS\r\n\r\n", -EINVAL,
	  SIP_E_START_LINE },
	{ "empty", "\r\n\r\n", -EINVAL, SIP_E_START_LINE },
	{ "71 Vias", "OPTIONS sip:x SIP/2.0\r\n" HDRS "CSeq: 1 OPTIONS\r\n" VIAS10 VIAS10 VIAS10 VIAS10
	  VIAS10 VIAS10 VIAS10 "\r\n", -EINVAL, SIP_E_TOO_MANY_VIAS },
	{ "bad ACK", "ACK sip:x SIP/2.0\r\n" HDRS "CSeq: 1 INVITE\r\n\r\n", 0, SIP_E_CSEQ_METHOD },
};

Test(sip_options, refusals)
{
	char out[2048];

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		enum sip_error err = SIP_E_OK;
		long n = answer(hostile[i].req, strlen(hostile[i].req), out, sizeof(out), &err);

		cr_expect_eq(err, hostile[i].err, "%s: %s", hostile[i].what, sip_error_name(err));
		if (hostile[i].want <= 0) {
			cr_expect_eq(n, hostile[i].want, "%s: %ld", hostile[i].what, n);
			continue;
		}
		cr_assert_gt(n, 12, "%s: %ld", hostile[i].what, n);
		cr_expect_eq(strtol(out + 8, NULL, 10), hostile[i].want, "%s: %.*s", hostile[i].what,
			     (int)n, out);
		/* the reason names the problem */
		cr_expect(strstr(out, sip_error_reason(err)) != NULL || hostile[i].err == SIP_E_OK,
			  "%s: %.*s", hostile[i].what, (int)n, out);
	}
}
