/* bencode (dataplane/ng/bencode.c): ng messages as rtpengine and Kamailio
 * write them, round trips through the writer, and a hostile table. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "bencode.h"

static struct benc_node nodes[64];

static enum benc_error parse(struct benc_doc *d, const char *s)
{
	memset(d, 0, sizeof(*d));
	d->nodes = nodes;
	d->cap = 64;
	return benc_parse(d, s, strlen(s));
}

Test(bencode, an_offer_as_kamailio_sends_it)
{
	/* keys unsorted, as rtpengine's clients write them */
	const char *m = "d7:command5:offer7:call-id5:abc@x8:from-tag2:ft3:sdp10:v=0\r\no=-\r\n"
			"5:flagsl13:trust-addresse9:directionl8:internal8:externale"
			"18:transport-protocol8:RTP/SAVP7:replacel6:origin18:session-connectione"
			"4:seqni-42ee";
	struct benc_doc d;
	uint32_t len, v, i;
	const char *s;

	cr_assert_eq(parse(&d, m), BENC_E_OK, "%s at %u", benc_error_name(parse(&d, m)),
		     d.err_off);
	cr_expect_eq(d.nodes[0].type, BENC_DICT);
	cr_expect_eq(d.nodes[0].count, 9);
	s = benc_get_str(&d, 0, "command", &len);
	cr_expect(s != NULL && len == 5 && memcmp(s, "offer", 5) == 0);
	s = benc_get_str(&d, 0, "sdp", &len);
	cr_expect(s != NULL && len == 10 && memcmp(s, "v=0\r\no=-\r\n", 10) == 0);
	v = benc_get(&d, 0, "direction");
	cr_assert_neq(v, 0);
	cr_expect_eq(d.nodes[v].type, BENC_LIST);
	i = benc_first(&d, v);
	cr_expect(benc_is(&d, i, "internal"));
	i = benc_sibling(&d, v, i);
	cr_expect(benc_is(&d, i, "external"));
	cr_expect_eq(benc_sibling(&d, v, i), 0);
	v = benc_get(&d, 0, "seqn");
	cr_expect(v != 0 && d.nodes[v].type == BENC_INT && d.nodes[v].i == -42);
	cr_expect_eq(benc_get(&d, 0, "to-tag"), 0);
	cr_expect_eq(benc_get_str(&d, 0, "flags", &len), NULL, "a list, not a string");
	cr_expect_eq(benc_get(&d, v, "x"), 0, "not a dictionary");
}

Test(bencode, walks_a_dictionary_in_order)
{
	struct benc_doc d;
	const char *keys[] = { "b", "a", "nested" };
	unsigned n = 0;

	cr_assert_eq(parse(&d, "d1:bi1e1:a0:6:nestedd1:xl1:y1:zeee"), BENC_E_OK);
	for (uint32_t k = benc_first(&d, 0); k != 0; k = benc_sibling(&d, 0, k)) {
		cr_assert_lt(n, 3);
		cr_expect(benc_is(&d, k, keys[n]), "key %u", n);
		n++;
	}
	cr_expect_eq(n, 3);
	cr_expect_eq(d.nodes[benc_get(&d, 0, "a")].len, 0, "the empty string");
	uint32_t nested = benc_get(&d, 0, "nested");
	uint32_t x = benc_get(&d, nested, "x");
	cr_expect_eq(d.nodes[x].count, 2);
}

Test(bencode, the_writer_round_trips)
{
	char buf[512];
	struct benc_out o;
	struct benc_doc d;
	uint32_t len, v;
	const char *s;
	static const char bin[] = { 'a', 0, 'e', ':', 'd' };

	benc_out_init(&o, buf, sizeof(buf) - 1);
	benc_dict(&o);
	benc_kv_str(&o, "result", "ok");
	benc_kv_int(&o, "created", 1765080000);
	benc_kv_int(&o, "neg", INT64_MIN + 1);
	benc_cstr(&o, "bin");
	benc_str(&o, bin, sizeof(bin));
	benc_cstr(&o, "calls");
	benc_list(&o);
	benc_cstr(&o, "c1");
	benc_dict(&o);
	benc_end(&o);
	benc_end(&o);
	benc_end(&o);
	cr_assert_not(o.overflow);
	buf[o.len] = '\0';
	static const char want[] = "d6:result2:ok7:createdi1765080000e3:negi-9223372036854775807e"
				   "3:bin5:a\0e:d5:callsl2:c1deee";
	cr_expect_eq(o.len, sizeof(want) - 1);
	cr_expect(memcmp(buf, want, sizeof(want) - 1) == 0, "%.*s", (int)o.len, buf);
	memset(&d, 0, sizeof(d));
	d.nodes = nodes;
	d.cap = 64;
	cr_assert_eq(benc_parse(&d, buf, o.len), BENC_E_OK);
	s = benc_get_str(&d, 0, "bin", &len);
	cr_expect(s != NULL && len == 5 && memcmp(s, bin, 5) == 0, "binary bytes kept");
	v = benc_get(&d, 0, "neg");
	cr_expect_eq(d.nodes[v].i, INT64_MIN + 1);
	v = benc_get(&d, 0, "calls");
	cr_expect_eq(d.nodes[v].count, 2);

	/* a buffer too small: cut and said so, never overrun */
	char small[8];
	benc_out_init(&o, small, sizeof(small));
	benc_dict(&o);
	benc_kv_str(&o, "result", "pong");
	cr_expect(o.overflow);
	cr_expect_leq(o.len, sizeof(small));
}

Test(bencode, hostile_documents_are_refused_with_a_reason)
{
	static const struct {
		const char *doc;
		enum benc_error want;
	} table[] = {
		{ "", BENC_E_EMPTY },
		{ "d", BENC_E_TRUNCATED },
		{ "d7:command", BENC_E_TRUNCATED },
		{ "d7:command4:pin", BENC_E_TRUNCATED },
		{ "d7:command4:ping", BENC_E_TRUNCATED },
		{ "l", BENC_E_TRUNCATED },
		{ "i42", BENC_E_TRUNCATED },
		{ "x", BENC_E_SYNTAX },
		{ "d7:command4:pingx", BENC_E_KEY },
		{ "lx", BENC_E_SYNTAX },
		{ "d3:keye", BENC_E_SYNTAX },		/* a key without a value */
		{ "die1:ae", BENC_E_KEY },
		{ "dli1ee1:ae", BENC_E_KEY },
		{ "d1:ai1e1:ai2ee", BENC_E_DUP_KEY },
		{ "ie", BENC_E_INTEGER },
		{ "i-e", BENC_E_INTEGER },
		{ "i-0e", BENC_E_INTEGER },
		{ "i03e", BENC_E_INTEGER },
		{ "i1x2e", BENC_E_INTEGER },
		{ "i9223372036854775808e", BENC_E_INTEGER },
		{ "i99999999999999999999e", BENC_E_INTEGER },
		{ "i+1e", BENC_E_INTEGER },
		{ "01:a", BENC_E_STRING },
		{ "4x:abcd", BENC_E_STRING },
		{ "5:abcd", BENC_E_TRUNCATED },
		{ "99999999999999999999:a", BENC_E_STRING },
		{ "4294967296:a", BENC_E_TRUNCATED },
		{ "de trailing", BENC_E_TRAILING },
		{ "i1ei2e", BENC_E_TRAILING },
		{ "lllllllllllllllllllllllllllllllllllllllllleeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
		  BENC_E_DEPTH },
	};
	struct benc_doc d;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		enum benc_error e = parse(&d, table[i].doc);
		cr_expect_eq(e, table[i].want, "'%s': %s, not %s", table[i].doc,
			     benc_error_name(e), benc_error_name(table[i].want));
		cr_expect_str_neq(benc_error_text(e), "?");
	}
	/* more values than nodes */
	char many[400] = "l";
	for (int i = 0; i < 70; i++)
		strcat(many, "i1e");
	strcat(many, "e");
	cr_expect_eq(parse(&d, many), BENC_E_NODES);
	/* the limits hold at their edges */
	cr_expect_eq(parse(&d, "i9223372036854775807e"), BENC_E_OK);
	cr_expect_eq(parse(&d, "i-9223372036854775807e"), BENC_E_OK);
	cr_expect_eq(parse(&d, "0:"), BENC_E_OK);
	cr_expect_eq(parse(&d, "i0e"), BENC_E_OK);
}
