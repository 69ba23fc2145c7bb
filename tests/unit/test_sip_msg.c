/*
 * test_sip_msg.c: the parser and its accessors on what gateways send and
 * on what an attacker sends: truncation at every byte, NUL bytes, huge,
 * negative and overflowing numbers, 1,000 Vias, unterminated quotes and
 * brackets, a 100 KB header line, and every limit with its own error.
 * Run under ASan in scripts/test: no over-read goes unseen.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_msg.h"
#include "sip_samples.h"

static struct sip_msg msg;
static char invite[4096];
static size_t invite_len;

static void setup(void)
{
	invite_len = sip_sample(invite, sizeof(invite), SIP_SAMPLE_INVITE_HEAD, SIP_SAMPLE_SDP_GW);
	cr_assert_gt(invite_len, 1000);
}

TestSuite(sip_msg, .init = setup);

#define expect_span(s, lit)                                                     \
	cr_expect((s).p != NULL && (s).len == strlen(lit) &&                    \
			  memcmp((s).p, lit, strlen(lit)) == 0,                 \
		  "got '%.*s', want '%s'", (int)(s).len, (s).p ? (s).p : "", lit)

/* A heap copy of exactly len bytes, so ASan sees any read past it. */
static char *exact(const char *p, size_t len)
{
	char *b = malloc(len ? len : 1);

	cr_assert_not_null(b);
	memcpy(b, p, len);
	return b;
}

static enum sip_error parse_check(const char *p, size_t len)
{
	char *b = exact(p, len);
	enum sip_error e = sip_msg_parse(&msg, b, len, NULL);

	if (e == SIP_E_OK)
		e = sip_msg_check(&msg);
	free(b);
	return e;
}

Test(sip_msg, gateway_invite_accessors)
{
	struct sip_via v;
	struct sip_nameaddr from, to;
	struct sip_cseq cs;
	struct sip_uri ru;
	struct sip_str cid, ct;
	unsigned mf;

	cr_assert_eq(sip_msg_parse(&msg, invite, invite_len, NULL), SIP_E_OK);
	cr_assert_eq(sip_msg_check(&msg), SIP_E_OK);
	cr_expect_eq(msg.method, SIP_METHOD_INVITE);
	cr_assert_eq(sip_msg_top_via(&msg, &v), 0);
	expect_span(v.transport, "TLS");
	expect_span(v.branch, "z9hG4bKac1906212011");
	cr_expect_eq(v.port, 5061);
	cr_expect_eq(v.ipv4, 0xc000020a);
	cr_expect(sip_via_branch_is_3261(&v));
	cr_assert_eq(sip_msg_from(&msg, &from), 0);
	expect_span(from.tag, "1c1906206532");
	expect_span(from.display, "\"Alice Caller\"");
	expect_span(from.uri.user_param, "phone");
	cr_assert_eq(sip_msg_to(&msg, &to), 0);
	cr_expect_null(to.tag.p);
	cr_assert_eq(sip_msg_call_id(&msg, &cid), 0);
	expect_span(cid, "1906206286151202317514@192.0.2.10");
	cr_assert_eq(sip_msg_cseq(&msg, &cs), 0);
	cr_expect_eq(cs.num, 1);
	cr_expect_eq(cs.method, SIP_METHOD_INVITE);
	cr_assert_eq(sip_msg_max_forwards(&msg, &mf), 0);
	cr_expect_eq(mf, 70);
	cr_assert_eq(sip_msg_ruri(&msg, &ru), 0);
	expect_span(ru.user, "+14255550100");
	expect_span(ru.host, "umedge.example.test");
	cr_expect_eq(ru.port, 5061);
	cr_assert_eq(sip_msg_content_type(&msg, &ct), 0);
	expect_span(ct, "application/sdp");
	cr_expect_eq(msg.body.len, strlen(SIP_SAMPLE_SDP_GW));
	cr_expect_eq(msg.len, invite_len);
	cr_expect_eq(sip_msg_expires(&msg, &(uint32_t){ 0 }), 1, "absent");
}

Test(sip_msg, compact_forms_and_case)
{
	static const char m[] = "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\n"
				"v: SIP/2.0/UDP 192.0.2.2\r\n"
				"f: <sip:b@192.0.2.2>;tag=1\r\n"
				"t: sip:a@192.0.2.1\r\n"
				"i: c1\r\n"
				"cSeQ: 5 OPTIONS\r\n"
				"m: <sip:b@192.0.2.2>\r\n"
				"k: timer, 100rel\r\n"
				"c: text/plain\r\n"
				"e: gzip\r\n"
				"s: hello\r\n"
				"o: presence\r\n"
				"u: refer\r\n"
				"r: <sip:c@192.0.2.3>\r\n"
				"b: <sip:d@192.0.2.4>\r\n"
				"x: 90\r\n"
				"a: *;audio\r\n"
				"j: *;video\r\n"
				"d: proxy\r\n"
				"y: abc\r\n"
				"n: <http://192.0.2.9/c>\r\n"
				"L: 0\r\n\r\n";
	static const enum sip_hdr_id ids[] = {
		SIP_HDR_VIA, SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID, SIP_HDR_CSEQ,
		SIP_HDR_CONTACT, SIP_HDR_SUPPORTED, SIP_HDR_CONTENT_TYPE,
		SIP_HDR_CONTENT_ENCODING, SIP_HDR_SUBJECT, SIP_HDR_EVENT, SIP_HDR_ALLOW_EVENTS,
		SIP_HDR_REFER_TO, SIP_HDR_REFERRED_BY, SIP_HDR_SESSION_EXPIRES,
		SIP_HDR_ACCEPT_CONTACT, SIP_HDR_REJECT_CONTACT, SIP_HDR_REQUEST_DISPOSITION,
		SIP_HDR_IDENTITY, SIP_HDR_IDENTITY_INFO, SIP_HDR_CONTENT_LENGTH,
	};
	struct sip_list_iter it = { 0, 0 };
	struct sip_str tag;

	cr_assert_eq(parse_check(m, sizeof(m) - 1), SIP_E_OK);
	cr_assert_eq(sip_msg_parse(&msg, m, sizeof(m) - 1, NULL), SIP_E_OK);
	cr_expect_eq(msg.n_hdrs, sizeof(ids) / sizeof(ids[0]));
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		cr_expect_eq(msg.hdrs[i + 1].id, ids[i], "field %u", i + 1);
	cr_assert_eq(sip_msg_option_tag(&msg, SIP_HDR_SUPPORTED, &it, &tag), 1);
	expect_span(tag, "timer");
	cr_assert_eq(sip_msg_option_tag(&msg, SIP_HDR_SUPPORTED, &it, &tag), 1);
	expect_span(tag, "100rel");
	cr_expect_eq(sip_msg_option_tag(&msg, SIP_HDR_SUPPORTED, &it, &tag), 0);
}

/* Every name, in its canonical case, upper case and compact form, finds
 * its id; near misses find none. */
Test(sip_msg, header_names)
{
	for (int i = 1; i < SIP_HDR_COUNT; i++) {
		char up[64];
		size_t n = strlen(sip_hdr_names[i]);

		cr_expect_eq((int)sip_hdr_lookup(sip_hdr_names[i], n), i, "%s", sip_hdr_names[i]);
		for (size_t k = 0; k <= n; k++)
			up[k] = (char)(sip_hdr_names[i][k] >= 'a' && sip_hdr_names[i][k] <= 'z'
					       ? sip_hdr_names[i][k] - 32
					       : sip_hdr_names[i][k]);
		cr_expect_eq((int)sip_hdr_lookup(up, n), i, "%s", up);
		if (n > 2)
			cr_expect_eq(sip_hdr_lookup(sip_hdr_names[i], n - 1), SIP_HDR_OTHER, "%.*s",
			     (int)n - 1, sip_hdr_names[i]);
	}
	cr_expect_eq(sip_hdr_lookup("V", 1), SIP_HDR_VIA);
	cr_expect_eq(sip_hdr_lookup("q", 1), SIP_HDR_OTHER);
	cr_expect_eq(sip_hdr_lookup("Via-X", 5), SIP_HDR_OTHER);
	cr_expect_eq(sip_hdr_lookup("X-Request-Disposition-Long", 26), SIP_HDR_OTHER);
}

Test(sip_msg, lists_split_outside_quotes_and_brackets)
{
	static const char m[] =
		"INVITE sip:a@192.0.2.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK1, SIP/2.0/TCP [2001:db8::1]:5070"
		";branch=z9hG4bK2;received=192.0.2.9;rport=7;maddr=192.0.2.8;ttl=3\r\n"
		"Via: SIP/2.0/UDP 192.0.2.3;rport;branch=z9hG4bK3\r\n"
		"Record-Route: <sip:x@192.0.2.5;lr>, \"a, b\" <sip:y@192.0.2.6;lr>,\r\n"
		" <sip:z@192.0.2.7;lr>;x=\"1,2\"\r\n"
		"Contact: \"x,<y>\" <sip:c,d@192.0.2.2?Subject=a>\r\n"
		"From: <sip:b@192.0.2.2>;tag=1\r\nTo: <sip:a@192.0.2.1>\r\n"
		"Call-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	struct sip_via v;
	unsigned n = 0;

	enum sip_error err = parse_check(m, sizeof(m) - 1);

	cr_assert_eq(err, SIP_E_OK, "%s", sip_error_name(err));
	cr_assert_eq(sip_msg_parse(&msg, m, sizeof(m) - 1, NULL), SIP_E_OK);
	cr_expect_eq(msg.n_vias, 3);
	cr_assert_eq(sip_list_next(&msg, SIP_HDR_VIA, &it, &item), 1);
	cr_expect(item.first_in_hdr && !item.last_in_hdr);
	cr_assert_eq(sip_list_next(&msg, SIP_HDR_VIA, &it, &item), 1);
	cr_expect(!item.first_in_hdr && item.last_in_hdr);
	cr_assert_eq(sip_via_parse(&v, item.value.p, item.value.len), 0);
	expect_span(v.host, "[2001:db8::1]");
	cr_expect_eq(v.port, 5070);
	expect_span(v.received, "192.0.2.9");
	cr_expect_eq(v.rport_value, 7);
	expect_span(v.maddr, "192.0.2.8");
	cr_expect_eq(v.ttl, 3);
	cr_assert_eq(sip_list_next(&msg, SIP_HDR_VIA, &it, &item), 1);
	cr_assert_eq(sip_via_parse(&v, item.value.p, item.value.len), 0);
	cr_expect(v.rport);
	cr_expect_eq(v.rport_value, -1);
	cr_expect_eq(sip_list_next(&msg, SIP_HDR_VIA, &it, &item), 0);
	it = (struct sip_list_iter){ 0, 0 };
	while (sip_list_next(&msg, SIP_HDR_RECORD_ROUTE, &it, &item) == 1)
		n++;
	cr_expect_eq(n, 3);
	it = (struct sip_list_iter){ 0, 0 };
	cr_assert_eq(sip_list_next(&msg, SIP_HDR_CONTACT, &it, &item), 1);
	cr_expect_eq(sip_list_next(&msg, SIP_HDR_CONTACT, &it, &item), 0);
}

/* Every prefix of a real INVITE: never a crash or an over-read, never OK
 * short of the whole message (the body is bounded by Content-Length). */
Test(sip_msg, truncation_at_every_byte)
{
	for (size_t i = 0; i < invite_len; i++) {
		char *b = exact(invite, i);
		enum sip_error e = sip_msg_parse(&msg, b, i, NULL);

		cr_expect_neq(e, SIP_E_OK, "prefix %zu parsed", i);
		free(b);
	}
	cr_expect_eq(parse_check(invite, invite_len), SIP_E_OK);
}

/* A NUL at every position of the headers: a clear verdict, no crash; in
 * the start line, a name or a value the proxy reads, an error. */
Test(sip_msg, nul_bytes)
{
	size_t hend = (size_t)(strstr(invite, "\r\n\r\n") - invite);

	for (size_t i = 0; i < hend; i++) {
		char *b = exact(invite, invite_len);
		enum sip_error e;

		b[i] = '\0';
		e = sip_msg_parse(&msg, b, invite_len, NULL);
		if (e == SIP_E_OK)
			e = sip_msg_check(&msg);
		if (i < (size_t)(strchr(invite, '\r') - invite))
			cr_expect_neq(e, SIP_E_OK, "NUL at %zu in the start line", i);
		free(b);
	}
}

struct hostile {
	const char *what;
	const char *field;	  /* replaces the CSeq line of a valid OPTIONS */
	enum sip_error err;
};

static const struct hostile numbers[] = {
	{ "CSeq 2^32", "CSeq: 4294967296 OPTIONS", SIP_E_CSEQ },
	{ "CSeq 2^32-1", "CSeq: 4294967295 OPTIONS", SIP_E_OK },
	{ "CSeq leading zeros", "CSeq: 000000000000000000001 OPTIONS", SIP_E_OK },
	{ "CSeq negative", "CSeq: -1 OPTIONS", SIP_E_CSEQ },
	{ "CSeq huge", "CSeq: 99999999999999999999999999999999999999 OPTIONS", SIP_E_CSEQ },
	{ "CSeq no method", "CSeq: 1", SIP_E_CSEQ },
	{ "Max-Forwards 256", "CSeq: 1 OPTIONS\r\nMax-Forwards: 256", SIP_E_MAX_FORWARDS },
	{ "Max-Forwards -1", "CSeq: 1 OPTIONS\r\nMax-Forwards: -1", SIP_E_MAX_FORWARDS },
	{ "Max-Forwards huge", "CSeq: 1 OPTIONS\r\nMax-Forwards: 18446744073709551617",
	  SIP_E_MAX_FORWARDS },
	{ "Content-Length negative", "CSeq: 1 OPTIONS\r\nContent-Length: -1",
	  SIP_E_CONTENT_LENGTH },
	{ "Content-Length huge", "CSeq: 1 OPTIONS\r\nContent-Length: 18446744073709551616",
	  SIP_E_CONTENT_LENGTH },
	{ "Content-Length hex", "CSeq: 1 OPTIONS\r\nContent-Length: 0x10", SIP_E_CONTENT_LENGTH },
	{ "Content-Length twice", "CSeq: 1 OPTIONS\r\nl: 0\r\nContent-Length: 0",
	  SIP_E_CONTENT_LENGTH },
	{ "Via port 65536", "CSeq: 1 OPTIONS\r\nVia: SIP/2.0/UDP 192.0.2.1:65536",
	  SIP_E_VIA },
	{ "Via port 0", "CSeq: 1 OPTIONS\r\nVia: SIP/2.0/UDP 192.0.2.1:0", SIP_E_VIA },
	{ "Via rport 99999", "CSeq: 1 OPTIONS\r\nVia: SIP/2.0/UDP 192.0.2.1;rport=99999",
	  SIP_E_VIA },
	{ "Via ttl 256", "CSeq: 1 OPTIONS\r\nVia: SIP/2.0/UDP 192.0.2.1;ttl=256", SIP_E_VIA },
	{ "Via version", "CSeq: 1 OPTIONS\r\nVia: SIP/3.0/UDP 192.0.2.1", SIP_E_VIA },
	{ "Via no host", "CSeq: 1 OPTIONS\r\nVia: SIP/2.0/UDP", SIP_E_VIA },
	{ "Via open IPv6", "CSeq: 1 OPTIONS\r\nVia: SIP/2.0/UDP [2001:db8::1", SIP_E_VIA },
	{ "Via quote", "CSeq: 1 OPTIONS\r\nVia: SIP/2.0/UDP 192.0.2.1;x=\"abc", SIP_E_VIA },
	{ "Contact open quote", "CSeq: 1 OPTIONS\r\nContact: \"abc <sip:a@192.0.2.1>",
	  SIP_E_CONTACT },
	{ "Contact open bracket", "CSeq: 1 OPTIONS\r\nContact: <sip:a@192.0.2.1",
	  SIP_E_CONTACT },
	{ "Route addr-spec", "CSeq: 1 OPTIONS\r\nRoute: sip:a@192.0.2.1;lr", SIP_E_ROUTE },
	{ "Route open bracket", "CSeq: 1 OPTIONS\r\nRoute: <sip:a@192.0.2.1;lr", SIP_E_ROUTE },
	{ "Route empty value", "CSeq: 1 OPTIONS\r\nRoute: <sip:a@192.0.2.1;lr>,,", SIP_E_ROUTE },
	{ "URI port huge", "CSeq: 1 OPTIONS\r\nContact: <sip:a@192.0.2.1:123456789>",
	  SIP_E_CONTACT },
	{ "Call-ID twice", "CSeq: 1 OPTIONS\r\nCall-ID: x", SIP_E_DUPLICATE },
	{ "header without colon", "CSeq: 1 OPTIONS\r\nNoColonHere", SIP_E_HEADER },
	{ "header name with space", "CSeq: 1 OPTIONS\r\nBad Name: x", SIP_E_HEADER },
	{ "bare LF", "CSeq: 1 OPTIONS\nVia: SIP/2.0/UDP 192.0.2.1", SIP_E_HEADER },
	{ "empty name", "CSeq: 1 OPTIONS\r\n: x", SIP_E_HEADER },
};

Test(sip_msg, hostile_fields)
{
	static char m[1024];

	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		int n = snprintf(m, sizeof(m),
				 "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK1\r\n"
				 "From: <sip:b@192.0.2.2>;tag=1\r\nTo: <sip:a@192.0.2.1>\r\n"
				 "Call-ID: c\r\n%s\r\n\r\n",
				 numbers[i].field);
		enum sip_error e = parse_check(m, (size_t)n);

		cr_expect_eq(e, numbers[i].err, "%s: got %s, want %s", numbers[i].what,
			     sip_error_name(e), sip_error_name(numbers[i].err));
	}
}

static const struct {
	const char *line;
	enum sip_error err;
} start_lines[] = {
	{ "OPTIONS sip:a@192.0.2.1 SIP/2.0", SIP_E_OK },
	{ "OPTIONS sip:a@192.0.2.1 SIP/2.1", SIP_E_VERSION },
	{ "OPTIONS sip:a@192.0.2.1 sip/2.0", SIP_E_OK },
	{ "OPTIONS sip:a@192.0.2.1 HTTP/1.1", SIP_E_START_LINE },
	{ "OPTIONS sip:a@192.0.2.1", SIP_E_START_LINE },
	{ "OPTIONS", SIP_E_START_LINE },
	{ "", SIP_E_START_LINE },
	{ " OPTIONS sip:a@192.0.2.1 SIP/2.0", SIP_E_START_LINE },
	{ "OPT<ONS sip:a@192.0.2.1 SIP/2.0", SIP_E_START_LINE },
	{ "OPTIONS tel:+1-425-555-0100;phone-context=example.test SIP/2.0", SIP_E_OK },
	{ "OPTIONS sips:a@192.0.2.1 SIP/2.0", SIP_E_OK },
	{ "OPTIONS mailto:a@example.test SIP/2.0", SIP_E_URI_SCHEME },
	{ "OPTIONS sip:a@192.0.2.1?Route=x SIP/2.0", SIP_E_REQUEST_URI },
	{ "OPTIONS sip:@192.0.2.1 SIP/2.0", SIP_E_REQUEST_URI },
	{ "OPTIONS sip:a@ SIP/2.0", SIP_E_REQUEST_URI },
	{ "OPTIONS sip:a@192.0.2.1;;lr SIP/2.0", SIP_E_REQUEST_URI },
	{ "OPTIONS sip:a%4@192.0.2.1 SIP/2.0", SIP_E_REQUEST_URI },
	{ "OPTIONS sip:a@[2001:db8::1 SIP/2.0", SIP_E_REQUEST_URI },
	{ "SIP/2.0 200 OK", SIP_E_OK },
	{ "SIP/2.0 099 Low", SIP_E_STATUS },
	{ "SIP/2.0 700 High", SIP_E_STATUS },
	{ "SIP/2.0 2000 OK", SIP_E_STATUS },
	{ "SIP/2.0 -20 OK", SIP_E_STATUS },
	{ "SIP/2.0 20", SIP_E_STATUS },
	{ "SIP/2.0 200", SIP_E_OK },
	{ "SIP/3.0 200 OK", SIP_E_VERSION },
};

Test(sip_msg, start_lines)
{
	static char m[1024];

	for (size_t i = 0; i < sizeof(start_lines) / sizeof(start_lines[0]); i++) {
		const char *l = start_lines[i].line;
		bool req = strncmp(l, "SIP/", 4) != 0;
		int n = snprintf(m, sizeof(m),
				 "%s\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK1\r\n"
				 "From: <sip:b@192.0.2.2>;tag=1\r\nTo: <sip:a@192.0.2.1>\r\n"
				 "Call-ID: c\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n",
				 l, req ? "OPTIONS" : "INVITE");
		enum sip_error e = parse_check(m, (size_t)n);

		cr_expect_eq(e, start_lines[i].err, "'%s': got %s, want %s", l, sip_error_name(e),
			     sip_error_name(start_lines[i].err));
	}
}

/* A message with n Via fields (one per line, or all in one line). */
static size_t many_vias(char *m, size_t cap, unsigned n, bool one_line)
{
	size_t len = (size_t)snprintf(m, cap, "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\n%s",
				      one_line ? "Via: " : "");

	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(m + len, cap - len,
					one_line ? "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK%u%s"
						 : "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK%u\r\n",
					i, i + 1 < n ? "," : "\r\n");
	len += (size_t)snprintf(m + len, cap - len,
				"From: <sip:b@192.0.2.2>;tag=1\r\nTo: <sip:a@192.0.2.1>\r\n"
				"Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	cr_assert_lt(len, cap);
	return len;
}

Test(sip_msg, limits_each_with_its_error)
{
	static char m[200000];
	struct sip_limits lim = sip_limits_default;
	size_t len;
	char *b;

	/* 1,000 Vias: over the default message size; with room, over the
	 * header count (one per line) or the Via count (one line) */
	len = many_vias(m, sizeof(m), 1000, false);
	cr_expect_eq(sip_msg_parse(&msg, m, len, NULL), SIP_E_TOO_BIG);
	lim.max_message = 65535;
	cr_expect_eq(sip_msg_parse(&msg, m, len, &lim), SIP_E_TOO_MANY_VIAS);
	lim.max_vias = 1000;
	cr_expect_eq(sip_msg_parse(&msg, m, len, &lim), SIP_E_TOO_MANY_HEADERS);
	lim.max_headers = SIP_HDRS_CAP;
	cr_expect_eq(sip_msg_parse(&msg, m, len, &lim), SIP_E_TOO_MANY_HEADERS);
	len = many_vias(m, sizeof(m), 1000, true);
	cr_expect_eq(sip_msg_parse(&msg, m, len, &lim), SIP_E_HEADER_TOO_LONG);
	lim.max_header_line = 65535;
	lim.max_vias = 999;
	cr_expect_eq(sip_msg_parse(&msg, m, len, &lim), SIP_E_TOO_MANY_VIAS);
	lim.max_vias = 1000;
	cr_expect_eq(sip_msg_parse(&msg, m, len, &lim), SIP_E_OK);
	cr_expect_eq(msg.n_vias, 1000);
	cr_expect_eq(sip_msg_check(&msg), SIP_E_OK);
	len = many_vias(m, sizeof(m), 71, false);
	cr_expect_eq(sip_msg_parse(&msg, m, len, NULL), SIP_E_TOO_MANY_VIAS);
	len = many_vias(m, sizeof(m), 70, false);
	cr_expect_eq(sip_msg_parse(&msg, m, len, NULL), SIP_E_OK);

	/* a header line of 100 KB, unterminated and terminated */
	len = (size_t)snprintf(m, sizeof(m), "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nX-Big: ");
	memset(m + len, 'x', 100000);
	len += 100000;
	b = exact(m, len);
	lim = sip_limits_default;
	lim.max_message = 150000;
	cr_expect_eq(sip_msg_parse(&msg, b, len, &lim), SIP_E_HEADER_TOO_LONG);
	cr_expect_eq(sip_msg_parse(&msg, b, len, NULL), SIP_E_TOO_BIG);
	free(b);
	memcpy(m + len, "\r\n\r\n", 4);
	b = exact(m, len + 4);
	cr_expect_eq(sip_msg_parse(&msg, b, len + 4, &lim), SIP_E_HEADER_TOO_LONG);
	free(b);

	/* a folded line counts whole */
	len = (size_t)snprintf(m, sizeof(m), "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nX-Fold: a");
	for (int i = 0; i < 3000; i++)
		len += (size_t)snprintf(m + len, sizeof(m) - len, "\r\n b");
	len += (size_t)snprintf(m + len, sizeof(m) - len, "\r\n\r\n");
	cr_expect_eq(sip_msg_parse(&msg, m, len, NULL), SIP_E_HEADER_TOO_LONG);

	/* Request-URI length */
	lim = sip_limits_default;
	lim.max_uri = 16;
	cr_expect_eq(sip_msg_parse(&msg, invite, invite_len, &lim), SIP_E_URI_TOO_LONG);
	cr_expect_eq(sip_error_status(SIP_E_URI_TOO_LONG), 414);
}

Test(sip_msg, unterminated_quotes_and_brackets)
{
	static const char *const values[] = {
		"\"Alice <sip:a@192.0.2.1>;tag=1", "<sip:a@192.0.2.1;tag=1",
		"\"Alice\\\" <sip:a@192.0.2.1>", "\"Alice\\", "<", "\"", "<>", "\"\" <>",
		"sip:a@192.0.2.1;tag=\"x", "<sip:a@192.0.2.1>;tag",
	};
	static char m[1024];

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		int n = snprintf(m, sizeof(m),
				 "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK1\r\n"
				 "From: %s\r\nTo: <sip:a@192.0.2.1>\r\n"
				 "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n",
				 values[i]);

		cr_expect_eq(parse_check(m, (size_t)n), SIP_E_FROM, "From: %s", values[i]);
	}
}

Test(sip_msg, missing_fields_named)
{
	static const struct {
		const char *drop;
		enum sip_error err;
	} cases[] = {
		{ "Via:", SIP_E_MISSING_VIA }, { "From:", SIP_E_MISSING_FROM },
		{ "To:", SIP_E_MISSING_TO },   { "Call-ID:", SIP_E_MISSING_CALL_ID },
		{ "CSeq:", SIP_E_MISSING_CSEQ },
	};
	static char m[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = strstr(memcpy(m, invite, invite_len + 1), cases[i].drop);
		char *e;
		size_t len;

		cr_assert_not_null(p);
		e = strstr(p, "\r\n") + 2;
		memmove(p, e, strlen(e) + 1);
		len = strlen(m);
		cr_expect_eq(parse_check(m, len), cases[i].err, "without %s", cases[i].drop);
	}
	cr_expect_str_eq(sip_error_reason(SIP_E_MISSING_CALL_ID), "Missing Call-ID");
}

Test(sip_msg, folding)
{
	static const char m[] = "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\n"
				"Via: SIP/2.0/UDP\r\n\t192.0.2.2\r\n ;branch=z9hG4bK1\r\n"
				"From:\r\n <sip:b@192.0.2.2>\r\n ;tag=1\r\nTo: <sip:a@192.0.2.1>\r\n"
				"Call-ID: c\r\nCSeq: 1\r\n OPTIONS\r\n\r\n";
	struct sip_via v;
	struct sip_nameaddr na;

	cr_assert_eq(parse_check(m, sizeof(m) - 1), SIP_E_OK);
	cr_assert_eq(sip_msg_parse(&msg, m, sizeof(m) - 1, NULL), SIP_E_OK);
	cr_assert_eq(sip_msg_top_via(&msg, &v), 0);
	expect_span(v.host, "192.0.2.2");
	expect_span(v.branch, "z9hG4bK1");
	cr_assert_eq(sip_msg_from(&msg, &na), 0);
	expect_span(na.tag, "1");
	/* a fold before the first field is not a field */
	cr_expect_eq(sip_msg_parse(&msg, "OPTIONS sip:a@b SIP/2.0\r\n x: y\r\n\r\n", 34, NULL),
		     SIP_E_HEADER);
}

/* ---- URIs ---- */

static struct sip_uri uri(const char *s)
{
	struct sip_uri u;

	cr_assert_eq(sip_uri_parse(&u, s, strlen(s)), 0, "%s", s);
	return u;
}

Test(sip_uri, parts)
{
	struct sip_uri u = uri("sips:alice:secret@[2001:db8::10]:5061;transport=tls;lr;"
			       "maddr=192.0.2.1;user=phone;ttl=5;method=INVITE;x?Subject=hi&P=1");

	cr_expect_eq(u.scheme, SIP_URI_SIPS);
	expect_span(u.user, "alice");
	expect_span(u.password, "secret");
	expect_span(u.host, "[2001:db8::10]");
	cr_expect_eq(u.port, 5061);
	expect_span(u.transport, "tls");
	cr_expect(u.lr);
	expect_span(u.maddr, "192.0.2.1");
	expect_span(u.user_param, "phone");
	expect_span(u.ttl, "5");
	expect_span(u.method, "INVITE");
	expect_span(u.headers, "Subject=hi&P=1");
	u = uri("sip:192.0.2.33");
	cr_expect_eq(u.ipv4, 0xc0000221);
	cr_expect_null(u.user.p);
	u = uri("tel:+1-425-555-0100;phone-context=example.test");
	cr_expect_eq(u.scheme, SIP_URI_TEL);
	expect_span(u.user, "+1-425-555-0100");
	u = uri("urn:service:sos");
	cr_expect_eq(u.scheme, SIP_URI_OTHER);
	expect_span(u.opaque, "service:sos");
}

Test(sip_uri, refused)
{
	static const char *const bad[] = {
		"", ":", "sip:", "sip:@h", "sip:a@", "sip:a@h:", "sip:a@h:0", "sip:a@h:65536",
		"sip:a@h;", "sip:a@h;;lr", "sip:a@h;=x", "sip:a@h?", "sip:a@h?x", "sip:a b@h",
		"sip:a@h h", "sip:a%@h", "sip:a%zz@h", "sip:[::1", "sip:[]", "sip:a@h:1x",
		"1sip:a@h", "tel:", "tel:+", "tel:12;", "tel:12 34", "x:<y>", "sip:a@.h",
		"sip:a@-h", "sip:a@h;lr;LR", "sip:a@h;transport=tcp;Transport=udp",
		"tel:1;ext=2;ext=3",
		"sip:h;a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p;q;r;s;t;u;v;w;x;y;z;A1;B1;C1;D1;E1;F1;G1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sip_uri u;

		cr_expect_eq(sip_uri_parse(&u, bad[i], strlen(bad[i])), -1, "'%s'", bad[i]);
	}
}

/* RFC 3261 19.1.4: the pairs it lists as equal and as not equal. */
Test(sip_uri, comparison_rfc3261)
{
	static const char *const equal[][2] = {
		{ "sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp" },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5" },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com;security=on" },
		{ "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on" },
		{ "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
		  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com" },
		{ "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		  "sip:alice@atlanta.com?priority=urgent&subject=project%20x" },
		{ "tel:+1-425-555-0100", "tel:+14255550100" },
		{ "tel:7042;phone-context=example.com", "tel:7042;PHONE-CONTEXT=Example.com" },
	};
	static const char *const unequal[][2] = {
		{ "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP" },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060" },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp" },
		{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp" },
		{ "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting" },
		{ "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4" },
		{ "sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off" },
		{ "sip:alice@atlanta.com", "sips:alice@atlanta.com" },
		{ "sip:alice:pw@atlanta.com", "sip:alice:PW@atlanta.com" },
		{ "tel:+14255550100", "tel:4255550100" },
		{ "tel:7042;phone-context=example.com", "tel:7042" },
	};

	for (size_t i = 0; i < sizeof(equal) / sizeof(equal[0]); i++) {
		struct sip_uri a = uri(equal[i][0]), b = uri(equal[i][1]);

		cr_expect(sip_uri_equal(&a, &b), "%s == %s", equal[i][0], equal[i][1]);
		cr_expect(sip_uri_equal(&b, &a), "%s == %s", equal[i][1], equal[i][0]);
	}
	for (size_t i = 0; i < sizeof(unequal) / sizeof(unequal[0]); i++) {
		struct sip_uri a = uri(unequal[i][0]), b = uri(unequal[i][1]);

		cr_expect(!sip_uri_equal(&a, &b), "%s != %s", unequal[i][0], unequal[i][1]);
		cr_expect(!sip_uri_equal(&b, &a), "%s != %s", unequal[i][1], unequal[i][0]);
	}
	/* ALICE vs alice: the user is case-sensitive even where all else is not */
	{
		struct sip_uri a = uri("sip:ALICE@atlanta.com"), b = uri("sip:alice@atlanta.com");

		cr_expect(!sip_uri_equal(&a, &b));
	}
}

/* The owner hash: one answer for one Call-ID, however the header is spelt;
 * nothing from the start line or the body. */
static bool cid(const char *m, uint64_t *h)
{
	return sip_call_id_hash(m, strlen(m), h);
}

Test(sip_callid, same_call_same_hash)
{
	uint64_t a, b, c, d, e;

	cr_assert(cid("INVITE sip:5000@x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCall-ID: abc@h\r\n\r\n", &a));
	cr_assert(cid("SIP/2.0 200 OK\r\ni:abc@h  \r\nCSeq: 1 INVITE\r\n\r\n", &b));
	cr_assert(cid("\r\n\r\nBYE sip:a@b SIP/2.0\r\nCALL-ID \t:  abc@h\r\n\r\n", &c));
	cr_assert(cid("ACK sip:a@b SIP/2.0\ncall-id: abc@h\n\n", &d));
	cr_assert(cid("ACK sip:a@b SIP/2.0\r\nCall-ID: abd@h\r\n\r\n", &e));
	cr_expect_eq(a, b);
	cr_expect_eq(a, c);
	cr_expect_eq(a, d);
	cr_expect_neq(a, e);
}

Test(sip_callid, not_found)
{
	uint64_t h = 7;

	cr_expect(!cid("", &h));
	cr_expect(!cid("Call-ID: abc\r\n\r\n", &h), "the start line is not a header");
	cr_expect(!cid("INVITE sip:a@b SIP/2.0\r\nCall-IDx: a\r\nI-Am: b\r\n\r\n", &h));
	cr_expect(!cid("INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\nCall-ID: body\r\n", &h));
	cr_expect(!cid("INVITE sip:a@b SIP/2.0\r\nCall-ID", &h), "no colon before the end");
	cr_expect_eq(h, 7);
	/* every prefix of a message: no read past its end (ASan) */
	const char *m = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: q\r\n\r\n";
	for (size_t i = 0; i <= strlen(m); i++) {
		char *c = malloc(i + 1);
		memcpy(c, m, i);
		(void)sip_call_id_hash(c, i, &h);
		free(c);
	}
}
