/* rtpengine's ng protocol (dataplane/ng/ng.c) over the SIP core's calls,
 * with the media engine's side recorded by sip_fixture.h: Kamailio's own
 * offer (as Kamailio 5.6's rtpengine module sent it here), the gateway's
 * answer, retransmitted cookies, query and delete with counters, list,
 * idle expiry, the mode rules, and every refusal in words. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "bencode.h"
#include "ng.h"
#include "sip_fixture.h"

#define EXT_ADDR 0xc0000201u /* 192.0.2.1 */
#define INT_ADDR 0xc6336401u /* 198.51.100.1 */

static struct ng_engine *ng;
static char out[NG_REPLY_MAX];
static size_t out_len;
static struct benc_node rn[512];
static struct benc_doc rd;
static uint64_t now_ms = 1000000;

static void setup(void)
{
	struct ng_conf c = { .addr = { EXT_ADDR, INT_ADDR }, .idle_ms = 60000, .max_calls = 8,
			     .cache = 4 };

	memset(&fx_media, 0, sizeof(fx_media));
	ng = ng_new(&c, &fx_media_ops);
	cr_assert_not_null(ng);
}

static void teardown(void)
{
	ng_free(ng);
	cr_expect_eq(fx_media.live, 0, "every session closed");
}

TestSuite(ng, .init = setup, .fini = teardown);

/* Send "cookie dict"; the reply's dictionary parsed into rd. */
static void send_ng(const char *cookie, const char *dict, size_t dict_len)
{
	char msg[4096];
	int n = snprintf(msg, sizeof(msg), "%s ", cookie);

	cr_assert(n > 0 && (size_t)n + dict_len < sizeof(msg));
	memcpy(msg + n, dict, dict_len);
	out_len = ng_input(ng, msg, (size_t)n + dict_len, now_ms, 1765080000, out, sizeof(out));
	cr_assert_gt(out_len, strlen(cookie) + 1, "a reply");
	cr_assert(memcmp(out, cookie, strlen(cookie)) == 0 && out[strlen(cookie)] == ' ');
	memset(&rd, 0, sizeof(rd));
	rd.nodes = rn;
	rd.cap = 512;
	cr_assert_eq(benc_parse(&rd, out + strlen(cookie) + 1, out_len - strlen(cookie) - 1),
		     BENC_E_OK, "the reply is bencode: %.*s", (int)out_len, out);
}

static void send_str(const char *cookie, const char *dict)
{
	send_ng(cookie, dict, strlen(dict));
}

static const char *rstr(const char *key)
{
	static char buf[4096];
	uint32_t len = 0;
	const char *s = benc_get_str(&rd, 0, key, &len);

	if (s == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	return buf;
}

/* a bencoded string of s */
static void bstr(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(dst);
	snprintf(dst + n, cap - n, "%zu:%s", strlen(s), s);
}

static const char *offer_sdp = "v=0\r\no=user1 53655765 2353687637 IN IP4 198.51.100.20\r\n"
			       "s=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
			       "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
			       "a=candidate:1 1 udp 2122260223 198.51.100.20 6000 typ host\r\n";

/* Kamailio 5.6's offer for rtpengine_manage("direction=internal
 * direction=external RTP/SAVP SDES-only-AES_CM_128_HMAC_SHA1_80 ICE=remove
 * replace-origin replace-session-connection rtcp-mux-demux trust-address"),
 * its keys in its order */
static void kamailio_offer(const char *cookie)
{
	char d[4096] = "d8:supportsl10:load limite3:sdp";

	bstr(d, sizeof(d), offer_sdp);
	strcat(d, "3:ICE6:remove9:directionl8:internal8:externale5:flagsl13:trust-addresse"
		  "7:replacel6:origin18:session-connectione18:transport-protocol8:RTP/SAVP"
		  "8:rtcp-muxl5:demuxe4:SDESl28:only-AES_CM_128_HMAC_SHA1_80e"
		  "7:call-id17:1-12398@127.0.0.113:received-froml3:IP412:198.51.100.2e"
		  "8:from-tag15:12398SIPpTag0017:command5:offere");
	send_str(cookie, d);
}

static const char *gw_answer_sdp =
	"v=0\r\no=gw 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
	"m=audio 7000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoxMjM0\r\n";

static void gateway_answer(const char *cookie)
{
	char d[4096] = "d3:sdp";

	bstr(d, sizeof(d), gw_answer_sdp);
	strcat(d, "7:call-id17:1-12398@127.0.0.18:from-tag15:12398SIPpTag001"
		  "6:to-tag5:gwtag7:command6:answer7:replacel6:origin18:session-connectionee");
	send_str(cookie, d);
}

Test(ng, ping)
{
	send_str("5323_1", "d7:command4:pinge");
	cr_expect_eq(out_len, strlen("5323_1 d6:result4:ponge"));
	cr_expect(memcmp(out, "5323_1 d6:result4:ponge", out_len) == 0);
}

Test(ng, kamailios_offer_and_the_gateways_answer)
{
	const char *sdp;

	kamailio_offer("0_12392_1");
	cr_assert_str_eq(rstr("result"), "ok", "%s", rstr("error-reason"));
	sdp = rstr("sdp");
	cr_expect(strstr(sdp, "m=audio 30000 RTP/SAVP 0\r\n") != NULL, "%s", sdp);
	cr_expect(strstr(sdp, "c=IN IP4 192.0.2.1\r\n") != NULL, "towards the gateway: %s", sdp);
	cr_expect(strstr(sdp, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != NULL, "%s", sdp);
	cr_expect(strstr(sdp, "AEAD") == NULL, "SDES-only kept one suite: %s", sdp);
	cr_expect(strstr(sdp, "candidate") == NULL, "ICE removed");
	cr_expect(strstr(sdp, "198.51.100.20") == NULL, "origin and connection replaced: %s", sdp);
	cr_expect_eq(fx_media.opened, 1);
	cr_expect_eq(fx_media.applied, 0, "nothing runs before the answer");

	gateway_answer("0_12392_2");
	cr_assert_str_eq(rstr("result"), "ok", "%s", rstr("error-reason"));
	sdp = rstr("sdp");
	cr_expect(strstr(sdp, "m=audio 40000 RTP/AVP 0\r\n") != NULL, "%s", sdp);
	cr_expect(strstr(sdp, "c=IN IP4 198.51.100.1\r\n") != NULL, "towards the application");
	cr_expect(strstr(sdp, "crypto") == NULL);
	cr_expect_eq(fx_media.applied, 1);
	cr_expect(fx_media.last.srtp && fx_media.last.suite == UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80);
	cr_expect_eq(fx_media.last.remote_addr[0], 0xc000020au);
	cr_expect_eq(fx_media.last.remote_port[0], 7000);
	cr_expect_eq(fx_media.last.remote_addr[1], FX_APP_ADDR);
	cr_expect_eq(fx_media.last.remote_port[1], 6000);
	cr_expect(memcmp(fx_media.key_in, "ABCDEFGHIJKLMNOPQRSTUVWXYZ1234", 30) == 0,
		  "the gateway's key decrypts what it sends");
	cr_expect_eq(ng_calls(ng), 1);
}

Test(ng, a_retransmitted_cookie_gets_the_same_reply_and_runs_nothing)
{
	char first[NG_REPLY_MAX];
	size_t n;

	kamailio_offer("c1");
	n = out_len;
	memcpy(first, out, n);
	kamailio_offer("c1");
	cr_expect_eq(out_len, n);
	cr_expect(memcmp(out, first, n) == 0, "the same keys, the same ports");
	cr_expect_eq(fx_media.opened, 1);
	cr_expect_eq(ng_stats(ng)->retransmits, 1);
	/* a new cookie is a new command: a re-offer of the same call */
	kamailio_offer("c2");
	cr_expect_str_eq(rstr("result"), "ok");
	cr_expect_eq(fx_media.opened, 1, "the call keeps its ports");
}

Test(ng, query_delete_and_list)
{
	uint32_t tags, ft, medias, m, streams, s, stats, totals, rtp;

	kamailio_offer("q1");
	gateway_answer("q2");
	fx_media.packets = 150;
	send_str("q3", "d7:command5:query7:call-id17:1-12398@127.0.0.1e");
	cr_assert_str_eq(rstr("result"), "ok", "%s", rstr("error-reason"));
	cr_expect_eq(rd.nodes[benc_get(&rd, 0, "created")].i, 1765080000);
	tags = benc_get(&rd, 0, "tags");
	cr_assert_eq(rd.nodes[tags].count, 2, "the caller's and the callee's");
	ft = benc_get(&rd, tags, "12398SIPpTag001");
	cr_assert_neq(ft, 0);
	cr_expect(benc_is(&rd, benc_get(&rd, ft, "in dialogue with"), "gwtag"), "%.*s",
		  (int)out_len, out);
	medias = benc_get(&rd, ft, "medias");
	m = benc_first(&rd, medias);
	cr_expect(benc_is(&rd, benc_get(&rd, m, "protocol"), "RTP/AVP"), "the caller's side");
	streams = benc_get(&rd, m, "streams");
	s = benc_first(&rd, streams);
	cr_expect_eq(rd.nodes[benc_get(&rd, s, "local port")].i, 40000);
	stats = benc_get(&rd, s, "stats");
	cr_expect_eq(rd.nodes[benc_get(&rd, stats, "packets")].i, 150);
	cr_expect(benc_is(&rd, benc_get(&rd, benc_get(&rd, s, "endpoint"), "address"),
			  "198.51.100.20"));
	m = benc_first(&rd, benc_get(&rd, benc_get(&rd, tags, "gwtag"), "medias"));
	cr_expect(benc_is(&rd, benc_get(&rd, m, "protocol"), "RTP/SAVP"), "the gateway's side");
	s = benc_first(&rd, benc_get(&rd, m, "streams"));
	cr_expect_eq(rd.nodes[benc_get(&rd, s, "local port")].i, 30000);
	totals = benc_get(&rd, 0, "totals");
	rtp = benc_get(&rd, totals, "RTP");
	cr_expect_eq(rd.nodes[benc_get(&rd, rtp, "packets")].i, 300);

	send_str("l1", "d7:command4:liste");
	cr_expect_eq(rd.nodes[benc_get(&rd, 0, "calls")].count, 1);
	cr_expect(benc_is(&rd, benc_first(&rd, benc_get(&rd, 0, "calls")),
			  "1-12398@127.0.0.1"));

	/* the BYE from the callee: tags swapped */
	send_str("d1", "d7:command6:delete7:call-id17:1-12398@127.0.0.18:from-tag5:gwtag"
		       "6:to-tag15:12398SIPpTag001e");
	cr_expect_str_eq(rstr("result"), "ok");
	cr_expect_eq(rstr("warning"), NULL);
	cr_expect_neq(benc_get(&rd, 0, "totals"), 0, "the last counters");
	cr_expect_eq(fx_media.closed, 1);
	cr_expect_eq(ng_calls(ng), 0);
	send_str("q4", "d7:command5:query7:call-id17:1-12398@127.0.0.1e");
	cr_expect_str_eq(rstr("result"), "error");
	cr_expect_str_eq(rstr("error-reason"), "Unknown call-id");
	send_str("d2", "d7:command6:delete7:call-id17:1-12398@127.0.0.18:from-tag5:gwtage");
	cr_expect_str_eq(rstr("result"), "ok");
	cr_expect_str_eq(rstr("warning"), "Call-ID not found or tags didn't match");
	send_str("d3", "d7:command6:delete7:call-id17:1-12398@127.0.0.1"
		       "5:flagsl5:fatale8:from-tag5:gwtage");
	cr_expect_str_eq(rstr("result"), "error");
}

Test(ng, media_idle_ends_the_call)
{
	kamailio_offer("e1");
	gateway_answer("e2");
	fx_media.idle_ms = 59000;
	cr_expect_eq(ng_expire(ng, now_ms), 0);
	fx_media.idle_ms = 60000;
	cr_expect_eq(ng_expire(ng, now_ms), 1);
	cr_expect_eq(fx_media.closed, 1);
	send_str("e3", "d7:command5:query7:call-id17:1-12398@127.0.0.1e");
	cr_expect_str_eq(rstr("error-reason"), "Unknown call-id");
	/* an offer never answered: aged from the offer */
	kamailio_offer("e4");
	cr_expect_eq(ng_expire(ng, now_ms + 59999), 0);
	cr_expect_eq(ng_expire(ng, now_ms + 60000), 1);
	cr_expect_eq(ng_stats(ng)->expired, 2);
}

Test(ng, the_modes_follow_the_profiles)
{
	char d[4096] = "d7:command5:offer7:call-id2:u18:from-tag1:a3:sdp";
	const char *sdp;

	/* RTP/AVP from the application, no transport-protocol: RTP both ways */
	bstr(d, sizeof(d), offer_sdp);
	strcat(d, "e");
	send_str("m1", d);
	cr_assert_str_eq(rstr("result"), "ok", "%s", rstr("error-reason"));
	sdp = rstr("sdp");
	cr_expect(strstr(sdp, "RTP/AVP") != NULL && strstr(sdp, "crypto") == NULL, "%s", sdp);
	cr_expect(strstr(sdp, "c=IN IP4 192.0.2.1\r\n") != NULL);

	/* RTP/SAVP from the gateway, to the application as RTP/AVP */
	strcpy(d, "d7:command5:offer7:call-id2:g18:from-tag1:b9:directionl8:external8:internale"
		  "18:transport-protocol7:RTP/AVP3:sdp");
	bstr(d, sizeof(d), gw_answer_sdp);
	strcat(d, "e");
	send_str("m2", d);
	cr_assert_str_eq(rstr("result"), "ok", "%s", rstr("error-reason"));
	sdp = rstr("sdp");
	cr_expect(strstr(sdp, "m=audio 40002 RTP/AVP 0") != NULL, "%s", sdp);
	cr_expect(strstr(sdp, "c=IN IP4 198.51.100.1\r\n") != NULL);
	cr_expect(strstr(sdp, "crypto") == NULL);
}

Test(ng, refusals_in_words)
{
	static const struct {
		const char *dict, *why;
	} table[] = {
		{ "d7:command5:offere", "offer needs sdp, call-id and from-tag" },
		{ "d7:command6:answer7:call-id1:x8:from-tag1:a3:sdp3:v=0e",
		  "answer needs sdp, call-id, from-tag and to-tag" },
		{ "d7:command6:answer7:call-id1:x8:from-tag1:a6:to-tag1:b3:sdp3:v=0e",
		  "Unknown call-id" },
		{ "d7:command7:explodee", "Unrecognized command" },
		{ "d7:command5:query7:call-id1:xe", "Unknown call-id" },
		{ "d7:command4:list5:limiti0ee", "limit must be a positive integer" },
		{ "d7:command5:offer7:call-id1:x8:from-tag1:a3:sdp3:v=09:directionl8:internal"
		  "8:internalee", "direction: two different interfaces, internal and external" },
		{ "d7:command5:offer7:call-id1:x8:from-tag1:a3:sdp3:v=03:ICE5:forcee",
		  "ICE: only ICE=remove (umedge anchors the media and removes ICE)" },
		{ "d7:command5:offer7:call-id1:x8:from-tag1:a3:sdp4:junke",
		  "the SDP does not parse" },
		{ "li1ee", "Failed to decode dictionary (not a dictionary at 0)" },
		{ "d7:command", "Failed to decode dictionary (the document ends inside a value at 10)" },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char cookie[16];
		snprintf(cookie, sizeof(cookie), "r%zu", i);
		send_str(cookie, table[i].dict);
		cr_expect_str_eq(rstr("result"), "error", "%s", table[i].dict);
		cr_expect_str_eq(rstr("error-reason"), table[i].why, "%s: %s", table[i].dict, rstr("error-reason"));
	}
	/* SRTP from the application side; RTP from the gateway made SRTP */
	char d[4096] = "d7:command5:offer7:call-id1:y8:from-tag1:a9:directionl8:internal"
		       "8:externale3:sdp";
	bstr(d, sizeof(d), gw_answer_sdp);
	strcat(d, "e");
	send_str("r2", d);
	cr_expect_str_eq(rstr("error-reason"), "the internal side is RTP: it cannot offer RTP/SAVP");
	strcpy(d, "d7:command5:offer7:call-id1:y8:from-tag1:a18:transport-protocol8:RTP/SAVP"
		  "4:SDESl3:offe3:sdp");
	bstr(d, sizeof(d), offer_sdp);
	strcat(d, "e");
	send_str("r3", d);
	cr_expect_str_eq(rstr("error-reason"),
			 "SDES=off: without SDES no SRTP keys can be exchanged");
	cr_expect_eq(ng_calls(ng), 0, "refused offers leave no call");
	cr_expect_eq(fx_media.live, 0);

	/* no cookie: nothing to answer */
	cr_expect_eq(ng_input(ng, "d7:command4:pinge", 17, now_ms, 0, out, sizeof(out)), 0);
	cr_expect_eq(ng_input(ng, "", 0, now_ms, 0, out, sizeof(out)), 0);
	cr_expect_eq(ng_stats(ng)->dropped, 2);
}

Test(ng, record_call_is_a_warning)
{
	char d[4096] = "d7:command5:offer7:call-id1:z8:from-tag1:a11:record call3:yes3:sdp";

	bstr(d, sizeof(d), offer_sdp);
	strcat(d, "e");
	send_str("w1", d);
	cr_expect_str_eq(rstr("result"), "ok");
	cr_expect_str_eq(rstr("warning"), "record-call is not supported: the call is not recorded");
}

Test(ng, the_call_id_for_the_owner)
{
	const char *p;
	size_t n;
	const char *m = "abc d7:call-id4:xyz17:command4:pinge";

	cr_assert(ng_call_id(m, strlen(m), &p, &n));
	cr_expect(n == 4 && memcmp(p, "xyz1", 4) == 0);
	cr_expect_not(ng_call_id("abc d7:command4:pinge", 21, &p, &n));
	cr_expect_not(ng_call_id("abcd", 4, &p, &n));
}

/* The other workers' calls, as worker_ng.c hands them to list. */
static int64_t two_more(void *arg, struct benc_out *o, int64_t limit)
{
	int64_t n = 0;

	(void)arg;
	for (; n < 2 && n < limit; n++)
		benc_cstr(o, n == 0 ? "elsewhere-1" : "elsewhere-2");
	return n;
}

Test(ng, list_takes_the_other_workers_calls_up_to_its_limit)
{
	struct ng_conf c = { .addr = { EXT_ADDR, INT_ADDR }, .idle_ms = 60000, .max_calls = 8,
			     .list_more = two_more };
	struct ng_engine *other = ng_new(&c, &fx_media_ops), *mine = ng;

	cr_assert_not_null(other);
	ng = other;
	kamailio_offer("o1");
	send_str("o2", "d7:command4:liste");
	cr_expect_eq(rd.nodes[benc_get(&rd, 0, "calls")].count, 3, "its own and two more");
	send_str("o3", "d7:command4:list5:limiti2ee");
	cr_expect_eq(rd.nodes[benc_get(&rd, 0, "calls")].count, 2, "the limit holds");
	ng_free(other);
	ng = mine;
}
