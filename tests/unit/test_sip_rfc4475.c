/*
 * test_sip_rfc4475.c: every RFC 4475 torture message, byte-exact from the
 * RFC's archive (tests/data/rfc4475), through sip_msg_parse() and
 * sip_msg_check(): the valid ones parse with the fields the RFC describes,
 * the invalid ones are refused with the error they illustrate. Then each
 * one that parses goes through an empty edit list and must come out
 * byte-identical.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_msg.h"

#ifndef RFC4475_DIR
#error RFC4475_DIR must name tests/data/rfc4475
#endif

static char *load(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s.dat", RFC4475_DIR, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_gt(n, 0);
	rewind(f);
	buf = malloc((size_t)n);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Parse, then check when the parse passed; the first error. */
static enum sip_error verdict(struct sip_msg *m, const char *buf, size_t len)
{
	enum sip_error e = sip_msg_parse(m, buf, len, NULL);

	return e != SIP_E_OK ? e : sip_msg_check(m);
}

static struct sip_msg msg;

struct expect {
	const char *name;
	enum sip_error err;	  /* of parse, or of check when parse is OK */
};

/* What each message must give. valid: OK; invalid: the error naming the
 * fault the RFC illustrates; semantic: OK from the parser and the proxy's
 * own decision (416, 505...) where the message layer makes it. */
static const struct expect table[] = {
	/* 3.1.1 valid */
	{ "wsinv", SIP_E_OK },
	{ "intmeth", SIP_E_OK },
	{ "esc01", SIP_E_OK },
	{ "escnull", SIP_E_OK },
	{ "esc02", SIP_E_OK },
	{ "lwsdisp", SIP_E_OK },
	{ "longreq", SIP_E_OK },
	{ "dblreq", SIP_E_OK },
	{ "semiuri", SIP_E_OK },
	{ "transports", SIP_E_OK },
	{ "mpart01", SIP_E_OK },
	{ "unreason", SIP_E_OK },
	{ "noreason", SIP_E_OK },
	/* 3.1.2 invalid */
	{ "badinv01", SIP_E_VIA },
	{ "clerr", SIP_E_BODY_SHORT },
	{ "ncl", SIP_E_CONTENT_LENGTH },
	{ "scalar02", SIP_E_CSEQ },
	{ "scalarlg", SIP_E_CSEQ },
	{ "quotbal", SIP_E_TO },
	{ "ltgtruri", SIP_E_REQUEST_URI },
	{ "lwsruri", SIP_E_START_LINE },
	{ "lwsstart", SIP_E_START_LINE },
	{ "trws", SIP_E_START_LINE },
	{ "escruri", SIP_E_REQUEST_URI },
	{ "baddate", SIP_E_OK },	  /* LENIENT-OK: Date is not ours to judge */
	{ "regbadct", SIP_E_CONTACT },
	{ "badaspec", SIP_E_TO },
	{ "baddn", SIP_E_NO_END_OF_HEADERS }, /* the archive has no empty line */
	{ "badvers", SIP_E_VERSION },
	{ "mismatch01", SIP_E_CSEQ_METHOD },
	{ "mismatch02", SIP_E_CSEQ_METHOD },
	{ "bigcode", SIP_E_STATUS },
	/* 3.2 and 3.3 */
	{ "badbranch", SIP_E_OK },	  /* parses; the branch is not RFC 3261 */
	{ "insuf", SIP_E_MISSING_FROM },
	{ "unkscm", SIP_E_URI_SCHEME },
	{ "novelsc", SIP_E_URI_SCHEME },
	{ "unksm2", SIP_E_OK },
	{ "bext01", SIP_E_OK },		  /* 420 is the proxy's: tags below */
	{ "invut", SIP_E_OK },
	{ "regaut01", SIP_E_OK },
	{ "multi01", SIP_E_DUPLICATE },
	{ "mcl01", SIP_E_CONTENT_LENGTH },
	{ "bcast", SIP_E_OK },
	{ "zeromf", SIP_E_OK },		  /* 483 is the proxy's: Max-Forwards 0 */
	{ "cparam01", SIP_E_OK },
	{ "cparam02", SIP_E_OK },
	{ "regescrt", SIP_E_OK },
	{ "sdp01", SIP_E_OK },
	{ "inv2543", SIP_E_OK },
};

Test(rfc4475, every_message_as_the_rfc_says)
{
	char line[1024];
	unsigned listed = 0;
	FILE *mf;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t len;
		char *buf = load(table[i].name, &len);
		enum sip_error e = verdict(&msg, buf, len);

		cr_expect_eq(e, table[i].err, "%s: got %s, want %s", table[i].name,
			     sip_error_name(e), sip_error_name(table[i].err));
		free(buf);
	}
	/* the table covers the manifest, all 49 */
	snprintf(line, sizeof(line), "%s/MANIFEST.tsv", RFC4475_DIR);
	mf = fopen(line, "r");
	cr_assert_not_null(mf);
	cr_assert_not_null(fgets(line, sizeof(line), mf)); /* header */
	while (fgets(line, sizeof(line), mf) != NULL) {
		bool found = false;

		*strchr(line, '\t') = '\0';
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			found = found || strcmp(table[i].name, line) == 0;
		cr_expect(found, "%s is not in the table", line);
		listed++;
	}
	fclose(mf);
	cr_expect_eq(listed, 49);
	cr_expect_eq(sizeof(table) / sizeof(table[0]), 49);
}

Test(rfc4475, status_and_reason_of_refusals)
{
	cr_expect_eq(sip_error_status(SIP_E_VERSION), 505);
	cr_expect_eq(sip_error_status(SIP_E_URI_SCHEME), 416);
	cr_expect_eq(sip_error_status(SIP_E_MISSING_CALL_ID), 400);
	cr_expect_str_eq(sip_error_reason(SIP_E_MISSING_CALL_ID), "Missing Call-ID");
	cr_expect_str_eq(sip_error_reason(SIP_E_CSEQ_METHOD), "CSeq Method Mismatch");
	cr_expect_str_eq(sip_error_name(SIP_E_TOO_MANY_VIAS), "too_many_vias");
}

/* Parse or fail the test. */
static void parse_ok(const char *name, char **buf)
{
	size_t len;

	*buf = load(name, &len);
	cr_assert_eq(sip_msg_parse(&msg, *buf, len, NULL), SIP_E_OK, "%s", name);
}

static struct sip_str hdr(enum sip_hdr_id id)
{
	unsigned i = sip_msg_hdr_first(&msg, id);

	cr_assert_neq(i, 0, "no %s", sip_hdr_names[id]);
	return sip_msg_hdr_value(&msg, i);
}

#define expect_span(s, lit)                                                     \
	cr_expect((s).p != NULL && (s).len == strlen(lit) &&                    \
			  memcmp((s).p, lit, strlen(lit)) == 0,                 \
		  "got '%.*s', want '%s'", (int)(s).len, (s).p ? (s).p : "", lit)

Test(rfc4475, wsinv_fields)
{
	char *buf;
	struct sip_nameaddr na;
	struct sip_cseq cseq;
	struct sip_via v;
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	unsigned mf, n = 0;

	parse_ok("wsinv", &buf);
	cr_expect_eq(msg.method, SIP_METHOD_INVITE);
	cr_expect_eq(sip_msg_max_forwards(&msg, &mf), 0);
	cr_expect_eq(mf, 68);
	cr_assert_eq(sip_msg_cseq(&msg, &cseq), 0);
	cr_expect_eq(cseq.num, 9);
	cr_expect_eq(cseq.method, SIP_METHOD_INVITE);
	cr_expect_eq(msg.content_length, 150);
	cr_expect_eq(msg.body.len, 150);
	cr_assert_eq(sip_msg_to(&msg, &na), 0);
	expect_span(na.tag, "1918181833n");
	expect_span(na.uri.user, "vivekg");
	cr_assert_eq(sip_msg_from(&msg, &na), 0);
	expect_span(na.display, "\"J Rosenberg \\\\\\\"\"");
	expect_span(na.tag, "98asjd8");
	expect_span(hdr(SIP_HDR_OTHER), "newfangled value\r\n continued newfangled value");
	/* three Vias over two fields, folded everywhere */
	while (sip_list_next(&msg, SIP_HDR_VIA, &it, &item) == 1) {
		cr_assert_eq(sip_via_parse(&v, item.value.p, item.value.len), 0);
		n++;
	}
	cr_expect_eq(n, 3);
	expect_span(v.transport, "UDP");
	expect_span(v.host, "192.168.255.111");
	expect_span(v.branch, "z9hG4bK30239");
	cr_assert_eq(sip_msg_top_via(&msg, &v), 0);
	expect_span(v.host, "192.0.2.2");
	expect_span(v.branch, "390skdjuw");
	cr_expect_not(sip_via_branch_is_3261(&v));
	/* the unusual unknown value is kept opaque */
	for (unsigned i = 1; i <= msg.n_hdrs; i++)
		if (sip_msg_hdr_name(&msg, i).len == 29)
			expect_span(sip_msg_hdr_value(&msg, i), ";;,,;;,;");
	free(buf);
}

Test(rfc4475, intmeth_esc_and_semiuri)
{
	char *buf;
	struct sip_uri u, w;
	struct sip_nameaddr na;

	parse_ok("intmeth", &buf);
	cr_expect_eq(msg.method, SIP_METHOD_OTHER);
	expect_span(msg.method_str, "!interesting-Method0123456789_*+`.%indeed'~");
	cr_assert_eq(sip_msg_ruri(&msg, &u), 0);
	expect_span(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	expect_span(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	expect_span(u.host, "example.com");
	cr_assert_eq(sip_msg_to(&msg, &na), 0); /* quoted NUL, BEL and DEL */
	free(buf);

	parse_ok("esc01", &buf);
	cr_assert_eq(sip_msg_ruri(&msg, &u), 0);
	expect_span(u.user, "sips%3Auser%40example.com");
	expect_span(u.host, "example.net");
	cr_assert_eq(sip_msg_to(&msg, &na), 0);
	cr_assert_eq(sip_uri_parse(&w, "sip:user@example.com", 20), 0);
	cr_expect(sip_uri_equal(&na.uri, &w), "%%75se%%72 is user");
	free(buf);

	parse_ok("esc02", &buf);
	cr_expect_eq(msg.method, SIP_METHOD_OTHER, "RE%%47IST%%45R is not REGISTER");
	cr_expect_eq(msg.count[SIP_HDR_CONTACT], 2, "C%%6Fntact is not Contact");
	free(buf);

	parse_ok("semiuri", &buf);
	cr_assert_eq(sip_msg_ruri(&msg, &u), 0);
	expect_span(u.user, "user;par=u%40example.net");
	expect_span(u.host, "example.com");
	cr_expect_eq(u.params.p, NULL);
	free(buf);
}

Test(rfc4475, framing_lengths_and_long_values)
{
	char *buf;
	size_t len;
	struct sip_str s;
	struct sip_msg *m = &msg;

	parse_ok("longreq", &buf);
	cr_expect_eq(m->n_vias, 34);
	cr_expect_eq(sip_msg_call_id(m, &s), 0);
	cr_expect_eq(s.len, 141);
	free(buf);

	/* one datagram, two messages: the first ends at its Content-Length */
	buf = load("dblreq", &len);
	cr_assert_eq(sip_msg_parse(m, buf, len, NULL), SIP_E_OK);
	cr_expect_eq(m->method, SIP_METHOD_REGISTER);
	cr_expect_eq(m->body.len, 0);
	cr_expect_lt(m->len, len);
	cr_expect_eq(memcmp(buf + m->len, "\r\nINVITE", 8), 0);
	free(buf);

	/* binary body with NULs and bare CR LF */
	parse_ok("mpart01", &buf);
	cr_expect_eq(m->method, SIP_METHOD_MESSAGE);
	cr_expect_eq(m->body.len, 553);
	cr_expect_eq(m->body.p + m->body.len, buf + m->len);
	free(buf);

	/* no Content-Length on UDP: the body is the rest */
	buf = load("inv2543", &len);
	cr_assert_eq(sip_msg_parse(m, buf, len, NULL), SIP_E_OK);
	cr_expect_eq(m->content_length, -1);
	cr_expect_eq(m->body.p + m->body.len, buf + len);
	cr_expect_eq(m->first[SIP_HDR_MAX_FORWARDS], 0);
	free(buf);
}

Test(rfc4475, responses)
{
	char *buf;
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	struct sip_via v;

	parse_ok("unreason", &buf);
	cr_expect(!msg.is_request);
	cr_expect_eq(msg.status, 200);
	/* the start line is 88 bytes with its CRLF; the reason follows
	 * "SIP/2.0 200 " */
	cr_expect_eq(msg.reason.len, 88 - 2 - 12);
	cr_expect_eq((unsigned char)msg.reason.p[msg.reason.len - 1], 0xb5);
	free(buf);

	parse_ok("noreason", &buf);
	cr_expect_eq(msg.status, 100);
	cr_expect_eq(msg.reason.len, 0);
	cr_expect_not_null(msg.reason.p);
	free(buf);

	parse_ok("bcast", &buf);
	cr_assert_eq(sip_list_next(&msg, SIP_HDR_VIA, &it, &item), 1);
	cr_assert_eq(sip_list_next(&msg, SIP_HDR_VIA, &it, &item), 1);
	cr_assert_eq(sip_via_parse(&v, item.value.p, item.value.len), 0);
	cr_expect_eq(v.ipv4, 0xffffffffu);
	free(buf);
}

Test(rfc4475, semantics_left_to_the_proxy)
{
	char *buf;
	struct sip_list_iter it = { 0, 0 };
	struct sip_str tag;
	struct sip_via v;
	struct sip_nameaddr na;
	unsigned mf = 99;
	uint32_t exp;

	parse_ok("bext01", &buf);
	cr_assert_eq(sip_msg_option_tag(&msg, SIP_HDR_REQUIRE, &it, &tag), 1);
	expect_span(tag, "nothingSupportsThis");
	cr_assert_eq(sip_msg_option_tag(&msg, SIP_HDR_REQUIRE, &it, &tag), 1);
	expect_span(tag, "nothingSupportsThisEither");
	cr_expect_eq(sip_msg_option_tag(&msg, SIP_HDR_REQUIRE, &it, &tag), 0);
	it = (struct sip_list_iter){ 0, 0 };
	cr_assert_eq(sip_msg_option_tag(&msg, SIP_HDR_PROXY_REQUIRE, &it, &tag), 1);
	expect_span(tag, "noProxiesSupportThis");
	free(buf);

	parse_ok("zeromf", &buf);
	cr_expect_eq(sip_msg_max_forwards(&msg, &mf), 0);
	cr_expect_eq(mf, 0);
	free(buf);

	parse_ok("badbranch", &buf);
	cr_assert_eq(sip_msg_top_via(&msg, &v), 0);
	expect_span(v.branch, "z9hG4bK");
	cr_expect_not(sip_via_branch_is_3261(&v));
	free(buf);

	parse_ok("scalar02", &buf);
	cr_expect_eq(sip_msg_expires(&msg, &exp), 0);
	cr_expect_eq(exp, 0xffffffffu, "10**100 saturates");
	cr_expect_eq(sip_msg_max_forwards(&msg, &mf), -1, "300 is not a Max-Forwards");
	free(buf);

	parse_ok("unksm2", &buf);
	cr_assert_eq(sip_msg_to(&msg, &na), 0);
	cr_expect_eq(na.uri.scheme, SIP_URI_OTHER);
	expect_span(na.uri.scheme_str, "isbn");
	free(buf);

	parse_ok("cparam01", &buf);
	it = (struct sip_list_iter){ 0, 0 };
	{
		struct sip_list_item item;

		cr_assert_eq(sip_list_next(&msg, SIP_HDR_CONTACT, &it, &item), 1);
		cr_assert_eq(sip_nameaddr_parse(&na, item.value.p, item.value.len), 0);
		cr_expect_eq(na.uri.params.p, NULL, "unknownparam is a contact-param");
		expect_span(na.params, "unknownparam");
	}
	free(buf);

	parse_ok("cparam02", &buf);
	it = (struct sip_list_iter){ 0, 0 };
	{
		struct sip_list_item item;

		cr_assert_eq(sip_list_next(&msg, SIP_HDR_CONTACT, &it, &item), 1);
		cr_assert_eq(sip_nameaddr_parse(&na, item.value.p, item.value.len), 0);
		expect_span(na.uri.params, "unknownparam");
		cr_expect_eq(na.params.p, NULL);
	}
	free(buf);

	/* baddn with its empty line restored: refused for the display name */
	{
		size_t len;
		char *b = load("baddn", &len), *full = malloc(len + 2);

		memcpy(full, b, len);
		memcpy(full + len, "\r\n", 2);
		cr_assert_eq(sip_msg_parse(&msg, full, len + 2, NULL), SIP_E_OK);
		cr_expect_eq(sip_msg_check(&msg), SIP_E_FROM);
		free(b);
		free(full);
	}
}

Test(rfc4475, no_edit_is_byte_identical)
{
	static char out[65536];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct sip_edits ed;
		size_t len;
		char *buf = load(table[i].name, &len);
		long n;

		if (sip_msg_parse(&msg, buf, len, NULL) != SIP_E_OK) {
			free(buf);
			continue;
		}
		sip_edits_init(&ed, &msg);
		n = sip_edits_apply(&ed, out, sizeof(out));
		cr_expect_eq(n, (long)msg.len, "%s", table[i].name);
		cr_expect_eq(memcmp(out, buf, msg.len), 0, "%s", table[i].name);
		free(buf);
	}
}
