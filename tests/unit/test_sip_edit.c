/*
 * test_sip_edit.c: forwarding edits (an exact-output table), responses
 * built from requests, and the stream framer fed in random-sized pieces.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_msg.h"
#include "sip_samples.h"

static struct sip_msg msg;
static char out[8192];

#define HDRS                                                                       \
	"From: <sip:b@192.0.2.2>;tag=1\r\nTo: <sip:a@192.0.2.1>\r\n"               \
	"Call-ID: c\r\nCSeq: 1 INVITE\r\n"

enum op {
	VIA_PUSH,
	VIA_POP,
	RR_PUSH,
	ROUTE_PUSH,
	ROUTE_REMOVE_1, /* the first Route value */
	ROUTE_REMOVE_2, /* the second */
	RURI,
	MF_DEC,
	BODY,
	HDR_ADD,
	HDR_REMOVE_TO,
};

struct edit_case {
	const char *what;
	const char *in;
	enum op op;
	const char *arg;
	const char *want;	  /* NULL: the edit list must refuse */
};

static const struct edit_case cases[] = {
	{ "Via on top", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  VIA_PUSH, "SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKx",
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.1;branch=z9hG4bKx\r\n"
	  "Via: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n" },
	{ "Via on top, below other fields", "INVITE sip:a@192.0.2.1 SIP/2.0\r\n" HDRS
	  "v: SIP/2.0/UDP 192.0.2.2\r\n\r\n",
	  VIA_PUSH, "SIP/2.0/UDP 203.0.113.1",
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\n" HDRS
	  "Via: SIP/2.0/UDP 203.0.113.1\r\nv: SIP/2.0/UDP 192.0.2.2\r\n\r\n" },
	{ "top Via of a response, own field", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 203.0.113.1\r\n"
	  "Via: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  VIA_POP, NULL, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n" },
	{ "top Via of a response, first of a list", "SIP/2.0 200 OK\r\n"
	  "Via: SIP/2.0/UDP 203.0.113.1 ,  SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  VIA_POP, NULL, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n" },
	{ "top Via, folded list", "SIP/2.0 200 OK\r\n"
	  "Via: SIP/2.0/UDP 203.0.113.1,\r\n SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  VIA_POP, NULL, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n" },
	{ "Record-Route on top of others", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Record-Route: <sip:192.0.2.9;lr>\r\n" HDRS "\r\n",
	  RR_PUSH, "<sip:203.0.113.1;lr>",
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Record-Route: <sip:203.0.113.1;lr>\r\nRecord-Route: <sip:192.0.2.9;lr>\r\n" HDRS "\r\n" },
	{ "Record-Route, first one", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  RR_PUSH, "<sip:203.0.113.1;lr>",
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nRecord-Route: <sip:203.0.113.1;lr>\r\n"
	  "Via: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n" },
	{ "Route pushed", "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:192.0.2.9;lr>\r\n" HDRS "\r\n",
	  ROUTE_PUSH, "<sip:203.0.113.1;lr>",
	  "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:203.0.113.1;lr>\r\nRoute: <sip:192.0.2.9;lr>\r\n" HDRS "\r\n" },
	{ "first Route of a list", "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:203.0.113.1;lr>, <sip:192.0.2.9;lr>\r\n" HDRS "\r\n",
	  ROUTE_REMOVE_1, NULL,
	  "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:192.0.2.9;lr>\r\n" HDRS "\r\n" },
	{ "second Route of a list", "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:203.0.113.1;lr> ,<sip:192.0.2.9;lr>,<sip:192.0.2.8;lr>\r\n" HDRS "\r\n",
	  ROUTE_REMOVE_2, NULL,
	  "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:203.0.113.1;lr>,<sip:192.0.2.8;lr>\r\n" HDRS "\r\n" },
	{ "last Route of a list", "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:203.0.113.1;lr>, \"x, y\" <sip:192.0.2.9;lr>\r\n" HDRS "\r\n",
	  ROUTE_REMOVE_2, NULL,
	  "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:203.0.113.1;lr>\r\n" HDRS "\r\n" },
	{ "the only Route", "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:203.0.113.1;lr>\r\n" HDRS "\r\n",
	  ROUTE_REMOVE_1, NULL,
	  "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n" },
	{ "Route in its own field", "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:203.0.113.1;lr>\r\nRoute: <sip:192.0.2.9;lr>\r\n" HDRS "\r\n",
	  ROUTE_REMOVE_2, NULL,
	  "ACK sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "Route: <sip:203.0.113.1;lr>\r\n" HDRS "\r\n" },
	{ "Request-URI", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  RURI, "sip:+14255550100@198.51.100.20:5060",
	  "INVITE sip:+14255550100@198.51.100.20:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "\r\n" },
	{ "Max-Forwards 70", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nMax-Forwards: 70\r\n"
	  "Via: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  MF_DEC, NULL,
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nMax-Forwards: 69\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "\r\n" },
	{ "Max-Forwards 10 with zeros", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nMax-Forwards:  0010 \r\n"
	  "Via: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  MF_DEC, NULL,
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nMax-Forwards:  9 \r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "\r\n" },
	{ "Max-Forwards absent", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  MF_DEC, NULL,
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "Max-Forwards: 70\r\n\r\n" },
	{ "Max-Forwards 0", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nMax-Forwards: 0\r\n"
	  "Via: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  MF_DEC, NULL, NULL },
	{ "body replaced", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "l: 5\r\nContent-Type: text/plain\r\n\r\nhello",
	  BODY, "v=0\r\n",
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "l: 5\r\nContent-Type: text/plain\r\n\r\nv=0\r\n" },
	{ "body replaced, longer", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "Content-Length: 5\r\n\r\nhello",
	  BODY, "v=0\r\no=- 1 1 IN IP4 203.0.113.1\r\n",
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "Content-Length: 33\r\n\r\nv=0\r\no=- 1 1 IN IP4 203.0.113.1\r\n" },
	{ "body added, Content-Length absent", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "\r\n",
	  BODY, "v=0\r\n",
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "Content-Length: 5\r\n\r\nv=0\r\n" },
	{ "body removed", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "Content-Length: 5\r\n\r\nhello",
	  BODY, "",
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "Content-Length: 0\r\n\r\n" },
	{ "field added", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS "\r\n",
	  HDR_ADD, "399 umedge \"x\"",
	  "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
	  "Warning: 399 umedge \"x\"\r\n\r\n" },
	{ "folded field removed", "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n"
	  "To:\r\n <sip:a@192.0.2.1>\r\n\r\n",
	  HDR_REMOVE_TO, NULL, "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n\r\n" },
};

static void expect_branch(struct sip_str b, const char *want)
{
	cr_expect(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0, "branch %.*s",
		  (int)b.len, b.p);
}

static void nth_value(enum sip_hdr_id id, unsigned n, struct sip_list_item *item)
{
	struct sip_list_iter it = { 0, 0 };

	for (unsigned i = 0; i <= n; i++)
		cr_assert_eq(sip_list_next(&msg, id, &it, item), 1);
}

static void apply_op(struct sip_edits *ed, enum op op, const char *arg)
{
	struct sip_list_item item;
	uint32_t n = arg ? (uint32_t)strlen(arg) : 0;

	switch (op) {
	case VIA_PUSH:
		sip_edit_via_push(ed, arg, n);
		break;
	case VIA_POP:
		sip_edit_via_pop(ed);
		break;
	case RR_PUSH:
		sip_edit_record_route_push(ed, arg, n);
		break;
	case ROUTE_PUSH:
		sip_edit_route_push(ed, arg, n);
		break;
	case ROUTE_REMOVE_1:
	case ROUTE_REMOVE_2:
		nth_value(SIP_HDR_ROUTE, op == ROUTE_REMOVE_1 ? 0 : 1, &item);
		sip_edit_list_remove(ed, &item);
		break;
	case RURI:
		sip_edit_ruri(ed, arg, n);
		break;
	case MF_DEC:
		sip_edit_max_forwards_dec(ed);
		break;
	case BODY:
		sip_edit_body(ed, arg, n);
		break;
	case HDR_ADD:
		sip_edit_header_add(ed, "Warning", arg, n);
		break;
	case HDR_REMOVE_TO:
		sip_edit_header_remove(ed, sip_msg_hdr_first(&msg, SIP_HDR_TO));
		break;
	}
}

Test(sip_edit, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct edit_case *c = &cases[i];
		struct sip_edits ed;
		long n;

		cr_assert_eq(sip_msg_parse(&msg, c->in, strlen(c->in), NULL), SIP_E_OK, "%s",
			     c->what);
		sip_edits_init(&ed, &msg);
		apply_op(&ed, c->op, c->arg);
		n = sip_edits_apply(&ed, out, sizeof(out));
		if (c->want == NULL) {
			cr_expect_eq(n, -1, "%s: refused", c->what);
			continue;
		}
		cr_expect_eq(n, (long)strlen(c->want), "%s: length %ld", c->what, n);
		cr_expect_eq(sip_edits_size(&ed), n, "%s", c->what);
		cr_expect(n > 0 && memcmp(out, c->want, (size_t)n) == 0, "%s:\n%.*s", c->what,
			  (int)(n > 0 ? n : 0), out);
	}
}

/* What a proxy does to a gateway's INVITE, all at once; the result parses
 * and says what the edits meant. */
Test(sip_edit, forward_an_invite)
{
	static char in[4096];
	static const char sdp[] = "v=0\r\no=- 1 2 IN IP4 198.51.100.1\r\ns=-\r\n";
	size_t len = sip_sample(in, sizeof(in), SIP_SAMPLE_INVITE_HEAD, SIP_SAMPLE_SDP_GW);
	struct sip_edits ed;
	struct sip_msg fwd;
	struct sip_via v;
	struct sip_uri u;
	unsigned mf;
	long n;

	cr_assert_eq(sip_msg_parse(&msg, in, len, NULL), SIP_E_OK);
	sip_edits_init(&ed, &msg);
	sip_edit_via_push(&ed, "SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKum1", 42);
	sip_edit_max_forwards_dec(&ed);
	sip_edit_record_route_push(&ed, "<sip:198.51.100.1;lr>", 21);
	sip_edit_ruri(&ed, "sip:4255550100@198.51.100.20", 28);
	sip_edit_body(&ed, sdp, sizeof(sdp) - 1);
	n = sip_edits_apply(&ed, out, sizeof(out));
	cr_assert_gt(n, 0);
	cr_assert_eq(sip_msg_parse(&fwd, out, (size_t)n, NULL), SIP_E_OK);
	cr_assert_eq(sip_msg_check(&fwd), SIP_E_OK);
	cr_assert_eq(sip_msg_top_via(&fwd, &v), 0);
	expect_branch(v.branch, "z9hG4bKum1");
	cr_expect_eq(fwd.n_vias, 2);
	cr_assert_eq(sip_msg_max_forwards(&fwd, &mf), 0);
	cr_expect_eq(mf, 69);
	cr_expect_eq(fwd.count[SIP_HDR_RECORD_ROUTE], 1);
	cr_assert_eq(sip_msg_ruri(&fwd, &u), 0);
	cr_expect_eq(u.ipv4, 0xc6336414);
	cr_expect_eq(fwd.body.len, sizeof(sdp) - 1);
	cr_expect_eq(memcmp(fwd.body.p, sdp, sizeof(sdp) - 1), 0);
	/* the fields no edit touched are byte-identical */
	for (unsigned i = 1; i <= msg.n_hdrs; i++) {
		struct sip_str name = sip_msg_hdr_name(&msg, i);
		const char *f = msg.buf + msg.hdrs[i].off;
		size_t flen = msg.hdrs[i].end - msg.hdrs[i].off;

		if (msg.hdrs[i].id == SIP_HDR_MAX_FORWARDS ||
		    msg.hdrs[i].id == SIP_HDR_CONTENT_LENGTH)
			continue;
		cr_expect_not_null(memmem(out, (size_t)n, f, flen), "%.*s changed", (int)name.len,
				   name.p);
	}
}

Test(sip_edit, refusals)
{
	static const char m[] = "INVITE sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\r\n" HDRS
				"\r\n";
	struct sip_edits ed;

	cr_assert_eq(sip_msg_parse(&msg, m, sizeof(m) - 1, NULL), SIP_E_OK);
	/* overlapping edits */
	sip_edits_init(&ed, &msg);
	sip_edit_delete(&ed, 10, 10);
	sip_edit_replace(&ed, 15, 2, "x", 1);
	cr_expect_eq(sip_edits_apply(&ed, out, sizeof(out)), -1);
	/* beyond the message */
	sip_edits_init(&ed, &msg);
	sip_edit_delete(&ed, msg.len, 1);
	cr_expect_eq(sip_edits_apply(&ed, out, sizeof(out)), -1);
	/* too many */
	sip_edits_init(&ed, &msg);
	for (int i = 0; i <= SIP_EDITS_MAX; i++)
		sip_edit_insert(&ed, 0, "", 0);
	cr_expect(ed.error);
	cr_expect_eq(sip_edits_apply(&ed, out, sizeof(out)), -1);
	/* the arena full */
	sip_edits_init(&ed, &msg);
	{
		static char big[SIP_EDITS_TEXT];

		memset(big, 'a', sizeof(big));
		sip_edit_header_add(&ed, "X", big, sizeof(big));
		cr_expect(ed.error);
	}
	/* output too small, by one */
	sip_edits_init(&ed, &msg);
	sip_edit_via_push(&ed, "SIP/2.0/UDP 203.0.113.1", 23);
	cr_expect_eq(sip_edits_apply(&ed, out, (size_t)sip_edits_size(&ed) - 1), -1);
	cr_expect_eq(sip_edits_apply(&ed, out, (size_t)sip_edits_size(&ed)),
		     sip_edits_size(&ed));
	/* inserts at one offset keep their order, before a delete there */
	sip_edits_init(&ed, &msg);
	sip_edit_delete(&ed, 0, 6);
	sip_edit_insert(&ed, 0, "A", 1);
	sip_edit_insert(&ed, 0, "B", 1);
	cr_assert_gt(sip_edits_apply(&ed, out, sizeof(out)), 0);
	cr_expect_eq(memcmp(out, "AB sip:", 7), 0);
}

/* ---- responses ---- */

Test(sip_reply, from_a_request)
{
	static const char req[] = "INVITE sip:a@192.0.2.1 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK1\r\n"
				  "v: SIP/2.0/TCP 192.0.2.3;branch=z9hG4bK2, SIP/2.0/UDP 192.0.2.4\r\n"
				  "Max-Forwards: 70\r\n"
				  "From: \"B\" <sip:b@192.0.2.2>;tag=1\r\n"
				  "To:\r\n <sip:a@192.0.2.1>\r\n"
				  "Call-ID: c@192.0.2.2\r\nCSeq: 7 INVITE\r\n"
				  "Content-Length: 4\r\n\r\nbody";
	static const struct sip_hdr_out extra[] = {
		{ "Warning", "399 umedge \"TLS required by dial plan dp1\"" },
		{ "Retry-After", "5" },
	};
	static const char want[] = "SIP/2.0 503 Service Unavailable\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK1\r\n"
				   "v: SIP/2.0/TCP 192.0.2.3;branch=z9hG4bK2, SIP/2.0/UDP 192.0.2.4\r\n"
				   "From: \"B\" <sip:b@192.0.2.2>;tag=1\r\n"
				   "To: <sip:a@192.0.2.1>;tag=um1\r\n"
				   "Call-ID: c@192.0.2.2\r\nCSeq: 7 INVITE\r\n"
				   "Warning: 399 umedge \"TLS required by dial plan dp1\"\r\n"
				   "Retry-After: 5\r\n"
				   "Content-Length: 0\r\n\r\n";
	struct sip_msg rsp;
	long n;

	cr_assert_eq(sip_msg_parse(&msg, req, sizeof(req) - 1, NULL), SIP_E_OK);
	n = sip_reply_build(&msg, 503, "Service Unavailable", "um1", extra, 2, out, sizeof(out));
	cr_assert_eq(n, (long)sizeof(want) - 1, "%ld:\n%.*s", n, (int)(n > 0 ? n : 0), out);
	cr_expect_eq(memcmp(out, want, sizeof(want) - 1), 0, "%.*s", (int)n, out);
	cr_assert_eq(sip_msg_parse(&rsp, out, (size_t)n, NULL), SIP_E_OK);
	cr_expect_eq(sip_msg_check(&rsp), SIP_E_OK);
	cr_expect_eq(rsp.status, 503);
	/* 100 Trying gets no tag; a To with a tag keeps its own */
	n = sip_reply_build(&msg, 100, "Trying", "um1", NULL, 0, out, sizeof(out));
	cr_assert_gt(n, 0);
	cr_expect_null(memmem(out, (size_t)n, "tag=um1", 7));
	/* too small, no request, CR in a reason: refused */
	cr_expect_eq(sip_reply_build(&msg, 200, "OK", "t", NULL, 0, out, 50), -1);
	cr_expect_eq(sip_reply_build(&msg, 200, "OK\r\nX: y", "t", NULL, 0, out, sizeof(out)), -1);
	cr_expect_eq(sip_reply_build(&msg, 99, "Low", "t", NULL, 0, out, sizeof(out)), -1);
	cr_assert_eq(sip_msg_parse(&rsp, want, sizeof(want) - 1, NULL), SIP_E_OK);
	cr_expect_eq(sip_reply_build(&rsp, 200, "OK", "t", NULL, 0, out, sizeof(out)), -1);
}

/* ---- stream framing ---- */

static struct sip_frame frame(const char *p, size_t len)
{
	struct sip_frame f;

	sip_frame(p, len, NULL, &f);
	return f;
}

#define FRAME(lit) frame(lit, sizeof(lit) - 1)

Test(sip_frame, verdicts)
{
	static const char m[] = "OPTIONS sip:a@b SIP/2.0\r\nl: 4\r\n\r\nabcd";
	struct sip_frame f;

	cr_expect_eq(frame("", 0).kind, SIP_FRAME_MORE);
	cr_expect_eq(frame("\r", 1).kind, SIP_FRAME_MORE);
	cr_expect_eq(frame("\r\n", 2).kind, SIP_FRAME_MORE);
	cr_expect_eq(frame("\r\n\r", 3).kind, SIP_FRAME_MORE);
	f = frame("\r\n\r\n", 4);
	cr_expect(f.kind == SIP_FRAME_PING && f.len == 4);
	f = frame("\r\nOPT", 5);
	cr_expect(f.kind == SIP_FRAME_PONG && f.len == 2);
	cr_expect_eq(frame("\rX", 2).kind, SIP_FRAME_BAD);
	for (size_t i = 1; i < sizeof(m) - 1; i++)
		cr_expect_eq(frame(m, i).kind, SIP_FRAME_MORE, "prefix %zu", i);
	f = frame(m, sizeof(m) - 1);
	cr_expect(f.kind == SIP_FRAME_MESSAGE && f.len == sizeof(m) - 1);
	f = FRAME("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n");
	cr_expect(f.kind == SIP_FRAME_BAD && f.err == SIP_E_CONTENT_LENGTH, "mandatory");
	f = FRAME("OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\nab");
	cr_expect(f.kind == SIP_FRAME_BAD && f.err == SIP_E_CONTENT_LENGTH, "twice");
	f = FRAME("OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n");
	cr_expect(f.kind == SIP_FRAME_BAD && f.err == SIP_E_CONTENT_LENGTH, "negative");
	f = FRAME("OPTIONS sip:a@b SIP/2.0\r\nl: 99999999999\r\n\r\n");
	cr_expect(f.kind == SIP_FRAME_BAD, "huge");
	f = FRAME("OPTIONS sip:a@b SIP/2.0\r\nl: 100000\r\n\r\n");
	cr_expect(f.kind == SIP_FRAME_BAD && f.err == SIP_E_TOO_BIG, "over the limit");
	f = FRAME("OPTIONS sip:a@b SIP/2.0\r\nX-L: 5\r\nContent-Length:\r\n 2\r\n\r\nab");
	cr_expect(f.kind == SIP_FRAME_MESSAGE && f.len == 58, "folded value, X-L not it");
}

Test(sip_frame, nothing_buffered_without_bound)
{
	static char junk[20000];
	struct sip_limits lim = sip_limits_default;
	struct sip_frame f;

	memset(junk, 'A', sizeof(junk));
	lim.max_message = 4096;
	sip_frame(junk, 4095, &lim, &f);
	cr_expect_eq(f.kind, SIP_FRAME_MORE);
	sip_frame(junk, 4096, &lim, &f);
	cr_expect(f.kind == SIP_FRAME_BAD && f.err == SIP_E_TOO_BIG);
	sip_frame(junk, sizeof(junk), NULL, &f);
	cr_expect(f.kind == SIP_FRAME_BAD && f.err == SIP_E_TOO_BIG);
}

/* A stream of messages, pings and pongs cut into random pieces: the
 * framer finds every one, in order, whatever the cut. */
Test(sip_frame, random_pieces)
{
	static char stream[65536], rx[65536];
	char inv[4096];
	size_t ilen = sip_sample(inv, sizeof(inv), SIP_SAMPLE_INVITE_HEAD, SIP_SAMPLE_SDP_GW);
	size_t len = 0;
	unsigned want_msgs = 0, want_pings = 0;

	srand(4475);
	for (int i = 0; i < 30; i++) {
		switch (rand() % 4) {
		case 0:
			memcpy(stream + len, inv, ilen);
			len += ilen;
			want_msgs++;
			break;
		case 1:
			memcpy(stream + len, SIP_SAMPLE_BYE, strlen(SIP_SAMPLE_BYE));
			len += strlen(SIP_SAMPLE_BYE);
			want_msgs++;
			break;
		case 2:
			memcpy(stream + len, "\r\n\r\n", 4);
			len += 4;
			want_pings++;
			break;
		default:
			memcpy(stream + len, "\r\n", 2); /* a pong, before a message */
			len += 2;
			memcpy(stream + len, SIP_SAMPLE_ACK, strlen(SIP_SAMPLE_ACK));
			len += strlen(SIP_SAMPLE_ACK);
			want_msgs++;
		}
	}
	for (int round = 0; round < 20; round++) {
		size_t fed = 0, have = 0;
		unsigned msgs = 0, pings = 0;

		while (fed < len || have > 0) {
			struct sip_frame f;
			size_t piece = (size_t)(rand() % 700) + 1;

			if (piece > len - fed)
				piece = len - fed;
			memcpy(rx + have, stream + fed, piece);
			have += piece;
			fed += piece;
			for (;;) {
				sip_frame(rx, have, NULL, &f);
				cr_assert_neq(f.kind, SIP_FRAME_BAD, "round %d", round);
				if (f.kind == SIP_FRAME_MORE)
					break;
				if (f.kind == SIP_FRAME_MESSAGE) {
					cr_assert_eq(sip_msg_parse(&msg, rx, f.len, NULL), SIP_E_OK);
					msgs++;
				}
				pings += f.kind == SIP_FRAME_PING;
				memmove(rx, rx + f.len, have - f.len);
				have -= f.len;
			}
			if (fed == len && have > 0) {
				/* only a trailing partial ping/pong may remain */
				cr_assert_leq(have, 3);
				break;
			}
		}
		cr_expect_eq(msgs, want_msgs, "round %d", round);
		cr_expect_eq(pings, want_pings, "round %d", round);
	}
}
