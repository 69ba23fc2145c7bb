/*
 * libFuzzer target: the SIP message layer on hostile bytes. Parse (default
 * and tight limits), validate, every accessor over every list, URI
 * comparison, an empty edit list (must give the input back byte for byte),
 * the forwarding edits (the output must parse), and a response.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sip_msg m, fwd;
static char out[70000];

static void lists(void)
{
	static const enum sip_hdr_id ids[] = { SIP_HDR_VIA, SIP_HDR_ROUTE, SIP_HDR_RECORD_ROUTE,
					       SIP_HDR_CONTACT };

	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		struct sip_list_iter it = { 0, 0 };
		struct sip_list_item item;
		struct sip_nameaddr na, first;
		bool have_first = false;
		struct sip_via v;

		while (sip_list_next(&m, ids[k], &it, &item) == 1) {
			if (ids[k] == SIP_HDR_VIA) {
				if (sip_via_parse(&v, item.value.p, item.value.len) == 0)
					(void)sip_via_branch_is_3261(&v);
				continue;
			}
			if (sip_nameaddr_parse(&na, item.value.p, item.value.len) != 0)
				continue;
			/* equality is reflexive and symmetric */
			if (!sip_uri_equal(&na.uri, &na.uri))
				abort();
			if (have_first && sip_uri_equal(&na.uri, &first.uri) !=
						  sip_uri_equal(&first.uri, &na.uri))
				abort();
			first = na;
			have_first = true;
		}
	}
}

static void accessors(void)
{
	static const enum sip_hdr_id tags[] = { SIP_HDR_REQUIRE, SIP_HDR_PROXY_REQUIRE,
						SIP_HDR_SUPPORTED, SIP_HDR_UNSUPPORTED };
	struct sip_str s;
	struct sip_cseq cs;
	struct sip_nameaddr na;
	struct sip_via v;
	struct sip_uri u;
	unsigned mf;
	uint32_t exp;

	(void)sip_msg_check(&m);
	(void)sip_msg_call_id(&m, &s);
	(void)sip_msg_cseq(&m, &cs);
	(void)sip_msg_max_forwards(&m, &mf);
	(void)sip_msg_expires(&m, &exp);
	(void)sip_msg_from(&m, &na);
	(void)sip_msg_to(&m, &na);
	(void)sip_msg_content_type(&m, &s);
	(void)sip_msg_top_via(&m, &v);
	if (sip_msg_ruri(&m, &u) == 0 && !sip_uri_equal(&u, &u))
		abort();
	for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
		struct sip_list_iter it = { 0, 0 };

		for (int i = 0; i < 1000 && sip_msg_option_tag(&m, tags[k], &it, &s) == 1; i++)
			;
	}
	lists();
}

static void edits(void)
{
	struct sip_edits ed;
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	long n;
	unsigned mf;

	/* no edit: the message back, byte for byte */
	sip_edits_init(&ed, &m);
	n = sip_edits_apply(&ed, out, sizeof(out));
	if (n != (long)m.len || memcmp(out, m.buf, m.len) != 0)
		abort();
	if (sip_msg_check(&m) != SIP_E_OK)
		return;
	/* a valid message forwarded stays parseable */
	sip_edits_init(&ed, &m);
	if (m.is_request) {
		sip_edit_via_push(&ed, "SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKf", 40);
		if (sip_msg_max_forwards(&m, &mf) != 0 || mf > 0)
			sip_edit_max_forwards_dec(&ed);
		sip_edit_record_route_push(&ed, "<sip:198.51.100.1;lr>", 21);
		if (sip_list_next(&m, SIP_HDR_ROUTE, &it, &item) == 1)
			sip_edit_list_remove(&ed, &item);
		sip_edit_ruri(&ed, "sip:a@198.51.100.20", 19);
	} else if (m.n_vias > 1) {
		sip_edit_via_pop(&ed);
	}
	sip_edit_body(&ed, "v=0\r\n", 5);
	n = sip_edits_apply(&ed, out, sizeof(out));
	if (n < 0)
		abort();
	if (sip_msg_parse(&fwd, out, (size_t)n, m.lim) == SIP_E_OK && fwd.body.len != 5)
		abort();
	if (m.is_request) {
		static const struct sip_hdr_out extra[] = { { "Retry-After", "5" } };

		n = sip_reply_build(&m, 503, "Service Unavailable", "fz", extra, 1, out,
				    sizeof(out));
		if (n > 0 && (sip_msg_parse(&fwd, out, (size_t)n, NULL) == SIP_E_TOO_BIG))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sip_limits tight = { 2048, 16, 256, 4, 64 };
	/* a copy of exactly size bytes: ASan sees any read past the end */
	char *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (sip_msg_parse(&m, buf, size, NULL) == SIP_E_OK) {
		accessors();
		edits();
	}
	if (sip_msg_parse(&m, buf, size, &tight) == SIP_E_OK)
		accessors();
	{
		uint64_t h;

		(void)sip_call_id_hash(buf, size, &h); /* the RX core's scan */
	}
	{
		/* the capture's redaction: in place, never past size, length kept,
		 * and a second pass finds nothing new to change */
		char *again;
		(void)sip_redact_keys(buf, size);
		again = malloc(size ? size : 1);
		if (again == NULL)
			abort();
		memcpy(again, buf, size);
		(void)sip_redact_keys(again, size);
		if (memcmp(again, buf, size) != 0)
			abort();
		free(again);
	}
	free(buf);
	return 0;
}
