/*
 * test_sip_proxy.c: RFC 3665 flows through the proxy, free of I/O, on an
 * injected clock. The test plays the gateway (external side) and the
 * voice application (internal side); every message the proxy sends is
 * recorded, parsed and answered as the peer would.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_fixture.h"
#include "sip_proxy.h"

#define EXT_ADDR 0xcb007101u /* 203.0.113.1: us, external */
#define INT_ADDR 0xc6336401u /* 198.51.100.1: us, internal */
#define APP_ADDR 0xc6336414u /* 198.51.100.20 */
#define GW1_ADDR 0xc000020au /* 192.0.2.10, secured dial plans, TLS */
#define PBX_ADDR 0xc0000214u /* 192.0.2.20, unsecured, UDP */

#define MAX_SENT 64

static struct {
	uint64_t now;
	struct {
		struct sip_peer to;
		char buf[4096];
		size_t len;
	} sent[MAX_SENT];
	unsigned n;
	unsigned events[UMEDGE_EV_COUNT];
	char last_event[700];
} net;

static int net_send(void *arg, const struct sip_peer *to, const char *buf, size_t len)
{
	(void)arg;
	cr_assert_lt(net.n, MAX_SENT);
	cr_assert_lt(len, sizeof(net.sent[0].buf));
	net.sent[net.n].to = *to;
	memcpy(net.sent[net.n].buf, buf, len);
	net.sent[net.n].len = len;
	net.n++;
	return 0;
}

static void net_event(void *arg, enum umedge_event_id id, const char *detail)
{
	(void)arg;
	net.events[id]++;
	snprintf(net.last_event, sizeof(net.last_event), "%s", detail);
}

static struct dp_snapshot snap;
static struct sip_proxy *px;

static const char *const gw1_names[] = { "gw1.example.test" };
static const struct sip_rx from_pbx = { { SIP_SIDE_EXTERNAL, UMEDGE_TRANSPORT_UDP, 5060, PBX_ADDR, 0 },
					NULL, 0 };
static const struct sip_rx from_gw1_tls = { { SIP_SIDE_EXTERNAL, UMEDGE_TRANSPORT_TLS, 40001,
					      GW1_ADDR, 11 },
					    gw1_names, 1 };
static const struct sip_rx from_gw1_udp = { { SIP_SIDE_EXTERNAL, UMEDGE_TRANSPORT_UDP, 5060,
					      GW1_ADDR, 0 },
					    NULL, 0 };
static const struct sip_rx from_app = { { SIP_SIDE_INTERNAL, UMEDGE_TRANSPORT_UDP, 5060, APP_ADDR, 0 },
					NULL, 0 };

static void setup(void)
{
	static const struct sip_proxy_io io = { net_send, net_event, NULL, &fx_media_ops };
	struct sip_proxy_config cfg = {
		.addr = { EXT_ADDR, INT_ADDR },
		.port = 5060,
		.tls_port = 5061,
		.worker = 0,
		.route_key = "test route key!",
		.txn = SIP_TXN_CONFIG_DEFAULT_INIT,
		.media_timeout_ms = 30000,
	};

	memset(&net, 0, sizeof(net));
	memset(&fx_media, 0, sizeof(fx_media));
	net.now = 1000;
	sip_fixture_snapshot(&snap);
	px = sip_proxy_new(&cfg, &io, net.now);
	cr_assert_not_null(px);
}

static void teardown(void)
{
	if (getenv("SIP_PROXY_DUMP") != NULL)
		for (unsigned i = 0; i < net.n; i++)
			fprintf(stderr, "---- #%u to side %u addr %08x:%u tp %u conn %llu\n%.*s", i,
				net.sent[i].to.side, net.sent[i].to.addr, net.sent[i].to.port,
				net.sent[i].to.transport, (unsigned long long)net.sent[i].to.conn,
				(int)net.sent[i].len, net.sent[i].buf);
	sip_proxy_free(px);
}

TestSuite(sip_proxy, .init = setup, .fini = teardown);

static void input(const struct sip_rx *rx, const char *msg)
{
	sip_proxy_input(px, &snap, rx, msg, strlen(msg), net.now);
}

static void run_until(uint64_t t)
{
	while (net.now < t)
		sip_proxy_advance(px, ++net.now);
}

/* The i-th message sent, parsed into m. */
static struct sip_msg sent_msg[MAX_SENT];

static const struct sip_msg *sent(unsigned i)
{
	cr_assert_lt(i, net.n, "message %u not sent (%u sent)", i, net.n);
	cr_assert_eq(sip_msg_parse(&sent_msg[i], net.sent[i].buf, net.sent[i].len, NULL), SIP_E_OK,
		     "%.*s", (int)net.sent[i].len, net.sent[i].buf);
	return &sent_msg[i];
}

static bool starts(unsigned i, const char *p)
{
	return i < net.n && strncmp(net.sent[i].buf, p, strlen(p)) == 0;
}

static bool has(unsigned i, const char *p)
{
	return i < net.n && memmem(net.sent[i].buf, net.sent[i].len, p, strlen(p)) != NULL;
}

/* The peer's answer to the request sent as message i. */
static char answer_buf[4096];

static const char *answer(unsigned i, unsigned status, const char *reason, const char *tag,
			  const struct sip_hdr_out *extra, unsigned n_extra)
{
	long n = sip_reply_build(sent(i), status, reason, tag, extra, n_extra, answer_buf,
				 sizeof(answer_buf) - 1);

	cr_assert_gt(n, 0);
	answer_buf[n] = '\0';
	return answer_buf;
}

#define PBX_INVITE(branch, extra)                                                   \
	"INVITE sip:4000@203.0.113.1 SIP/2.0\r\n"                                   \
	"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=" branch "\r\n"                    \
	"Max-Forwards: 70\r\n"                                                      \
	"From: <sip:+12065550123@192.0.2.20>;tag=f1\r\n"                            \
	"To: <sip:4000@203.0.113.1>\r\n"                                            \
	"Call-ID: call1@192.0.2.20\r\n"                                             \
	"CSeq: 1 INVITE\r\n"                                                        \
	"Contact: <sip:+12065550123@192.0.2.20:5060>\r\n" extra                     \
	"Content-Length: 0\r\n\r\n"

/* RFC 3665 3.1 style: a call from the gateway answered by the
 * application, ACK, BYE from the application, all over UDP. */
Test(sip_proxy, call_from_gateway_and_bye_from_application)
{
	const struct sip_msg *inv, *m;
	struct sip_via v;
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item rr1, rr2;
	unsigned mf, k;
	char rr_both[256], bye[1024], ack[1024];

	input(&from_pbx, PBX_INVITE("z9hG4bKpbx1", ""));
	cr_assert_eq(net.n, 2);
	cr_expect(starts(0, "SIP/2.0 100 Trying"));
	cr_expect_eq(net.sent[0].to.addr, PBX_ADDR);
	inv = sent(1);
	cr_expect_eq(net.sent[1].to.side, SIP_SIDE_INTERNAL);
	cr_expect_eq(net.sent[1].to.addr, APP_ADDR);
	cr_expect_eq(inv->method, SIP_METHOD_INVITE);
	cr_expect_eq(inv->n_vias, 2);
	cr_assert_eq(sip_msg_top_via(inv, &v), 0);
	cr_expect_eq(v.ipv4, INT_ADDR);
	cr_expect(sip_via_branch_is_3261(&v));
	cr_assert_eq(sip_msg_max_forwards(inv, &mf), 0);
	cr_expect_eq(mf, 69);
	cr_assert_eq(sip_list_next(inv, SIP_HDR_RECORD_ROUTE, &it, &rr1), 1);
	cr_assert_eq(sip_list_next(inv, SIP_HDR_RECORD_ROUTE, &it, &rr2), 1);
	cr_expect(memmem(rr1.value.p, rr1.value.len, "198.51.100.1", 12), "internal on top");
	cr_expect(memmem(rr2.value.p, rr2.value.len, "203.0.113.1", 11));
	cr_expect(memmem(rr2.value.p, rr2.value.len, "um=0", 4), "the call's mode");
	/* 180 and 200 from the application, with its Contact and the RR */
	input(&from_app, answer(1, 180, "Ringing", "app1", NULL, 0));
	cr_assert_eq(net.n, 3);
	cr_expect(starts(2, "SIP/2.0 180 Ringing"));
	cr_expect_eq(sent(2)->n_vias, 1, "our Via taken off");
	cr_expect_eq(net.sent[2].to.addr, PBX_ADDR);
	snprintf(rr_both, sizeof(rr_both), "%.*s, %.*s", (int)rr1.value.len, rr1.value.p,
		 (int)rr2.value.len, rr2.value.p);
	{
		const struct sip_hdr_out ex[] = { { "Record-Route", rr_both },
						  { "Contact", "<sip:4000@198.51.100.20:5060>" } };

		input(&from_app, answer(1, 200, "OK", "app1", ex, 2));
	}
	cr_assert_eq(net.n, 4);
	m = sent(3);
	cr_expect_eq(m->status, 200);
	cr_expect_eq(sip_proxy_calls(px), 1, "answered: a call in flight");
	cr_expect_eq(m->count[SIP_HDR_RECORD_ROUTE], 1);
	/* the gateway's ACK, routed by the reversed Record-Route */
	snprintf(ack, sizeof(ack),
		 "ACK sip:4000@198.51.100.20:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKpbx2\r\n"
		 "Route: %.*s, %.*s\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:+12065550123@192.0.2.20>;tag=f1\r\n"
		 "To: <sip:4000@203.0.113.1>;tag=app1\r\n"
		 "Call-ID: call1@192.0.2.20\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		 (int)rr2.value.len, rr2.value.p, (int)rr1.value.len, rr1.value.p);
	input(&from_pbx, ack);
	cr_assert_eq(net.n, 5);
	m = sent(4);
	cr_expect_eq(m->method, SIP_METHOD_ACK);
	cr_expect_eq(net.sent[4].to.addr, APP_ADDR);
	cr_expect_eq(m->count[SIP_HDR_ROUTE], 0, "our Routes removed");
	cr_expect_eq(m->n_vias, 2);
	/* BYE from the application, Route as it saw the Record-Route */
	snprintf(bye, sizeof(bye),
		 "BYE sip:+12065550123@192.0.2.20:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bKapp2\r\n"
		 "Route: %s\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:4000@203.0.113.1>;tag=app1\r\n"
		 "To: <sip:+12065550123@192.0.2.20>;tag=f1\r\n"
		 "Call-ID: call1@192.0.2.20\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
		 rr_both);
	input(&from_app, bye);
	cr_assert_eq(net.n, 6);
	m = sent(5);
	cr_expect_eq(m->method, SIP_METHOD_BYE);
	cr_expect_eq(net.sent[5].to.side, SIP_SIDE_EXTERNAL);
	cr_expect_eq(net.sent[5].to.addr, PBX_ADDR);
	cr_expect_eq(m->count[SIP_HDR_ROUTE], 0);
	input(&from_pbx, answer(5, 200, "OK", NULL, NULL, 0));
	cr_assert_eq(net.n, 7);
	cr_expect(starts(6, "SIP/2.0 200 OK"));
	cr_expect_eq(net.sent[6].to.addr, APP_ADDR);
	cr_expect(has(6, "CSeq: 2 BYE"));
	cr_expect_eq(sip_proxy_calls(px), 0, "its BYE answered: ended");
	/* everything ends by the timers */
	run_until(net.now + 40000);
	cr_expect_eq(sip_proxy_transactions(px), 0);
	k = net.n;
	cr_expect_eq(k, 7, "no stray retransmission");
	/* the counters sip status shows: by method and by class */
	{
		const struct sip_proxy_stats *st = sip_proxy_stats(px);

		cr_expect_eq(st->in_requests[SIP_METHOD_INVITE], 1);
		cr_expect_eq(st->in_requests[SIP_METHOD_ACK], 1);
		cr_expect_eq(st->in_requests[SIP_METHOD_BYE], 1);
		cr_expect_eq(st->in_responses[1], 1);
		cr_expect_eq(st->in_responses[2], 2);
		cr_expect_eq(st->out_requests[SIP_METHOD_INVITE], 1);
		cr_expect_eq(st->out_requests[SIP_METHOD_BYE], 1);
		cr_expect_eq(st->out_responses[1], 2, "100 Trying and the 180");
		cr_expect_eq(st->out_responses[2], 2);
	}
}

/* 486 from the application: ACKed hop by hop, the 486 goes up, the
 * gateway's ACK is absorbed. */
Test(sip_proxy, busy)
{
	input(&from_pbx, PBX_INVITE("z9hG4bKpbx3", ""));
	cr_assert_eq(net.n, 2);
	input(&from_app, answer(1, 486, "Busy Here", "app3", NULL, 0));
	cr_assert_eq(net.n, 4);
	cr_expect(starts(2, "ACK sip:4000@203.0.113.1 SIP/2.0"), "%.*s", 40, net.sent[2].buf);
	cr_expect_eq(net.sent[2].to.addr, APP_ADDR);
	cr_expect(starts(3, "SIP/2.0 486 Busy Here"));
	cr_expect_eq(net.sent[3].to.addr, PBX_ADDR);
	input(&from_pbx,
	      "ACK sip:4000@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKpbx3\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:+12065550123@192.0.2.20>;tag=f1\r\n"
	      "To: <sip:4000@203.0.113.1>;tag=app3\r\nCall-ID: call1@192.0.2.20\r\n"
	      "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");
	cr_expect_eq(net.n, 4, "the ACK of a non-2xx stops here");
	run_until(net.now + 40000);
	cr_expect_eq(sip_proxy_transactions(px), 0);
}

/* CANCEL before the answer: 200 to the CANCEL, CANCEL to the application,
 * 487 to the INVITE; the application's 487 is ACKed and absorbed. */
Test(sip_proxy, cancel_before_answer)
{
	unsigned k;

	input(&from_pbx, PBX_INVITE("z9hG4bKpbx4", ""));
	input(&from_app, answer(1, 180, "Ringing", "app4", NULL, 0));
	cr_assert_eq(net.n, 3);
	input(&from_pbx,
	      "CANCEL sip:4000@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKpbx4\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:+12065550123@192.0.2.20>;tag=f1\r\n"
	      "To: <sip:4000@203.0.113.1>\r\nCall-ID: call1@192.0.2.20\r\n"
	      "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(net.n, 6);
	cr_expect(starts(3, "SIP/2.0 200 OK") && has(3, "CSeq: 1 CANCEL"));
	cr_expect(starts(4, "CANCEL sip:4000@203.0.113.1 SIP/2.0"));
	cr_expect_eq(net.sent[4].to.addr, APP_ADDR);
	cr_expect(has(4, "branch=z9hG4bKum0."), "the INVITE's branch");
	cr_expect(starts(5, "SIP/2.0 487 Request Terminated") && has(5, "CSeq: 1 INVITE"));
	cr_expect_eq(net.sent[5].to.addr, PBX_ADDR);
	/* the application answers the CANCEL and the INVITE */
	k = net.n;
	input(&from_app, answer(4, 200, "OK", "app4", NULL, 0));
	input(&from_app, answer(1, 487, "Request Terminated", "app4", NULL, 0));
	cr_expect_eq(net.n, k + 1);
	cr_expect(starts(k, "ACK "), "only our ACK of the 487");
	run_until(net.now + 40000);
	cr_expect_eq(sip_proxy_transactions(px), 0);
}

/* The application never answers: 408 to the gateway at timer B. */
Test(sip_proxy, no_answer_408)
{
	uint64_t t0 = net.now;

	input(&from_pbx, PBX_INVITE("z9hG4bKpbx5", ""));
	run_until(t0 + 32000);
	cr_assert_gt(net.n, 2);
	cr_expect(starts(net.n - 1, "SIP/2.0 408 Request Timeout"), "%.*s", 40,
		  net.sent[net.n - 1].buf);
	cr_expect_eq(net.sent[net.n - 1].to.addr, PBX_ADDR);
	cr_expect(has(net.n - 1, "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKpbx5"));
	run_until(net.now + 40000);
	cr_expect_eq(sip_proxy_transactions(px), 0);
}

Test(sip_proxy, refusals_with_their_events)
{
	struct sip_rx stranger = from_pbx;

	stranger.from.addr = 0xcb007163; /* 203.0.113.99 */
	input(&stranger, PBX_INVITE("z9hG4bKr1", ""));
	cr_expect(starts(1, "SIP/2.0 403 Unknown Gateway"));
	cr_expect_eq(net.events[UMEDGE_EV_SipUnknownGateway], 1);
	/* a secured dial plan reached over UDP */
	input(&from_gw1_udp,
	      "INVITE sip:+14255550100@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr2\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.10>;tag=f2\r\nTo: <sip:b@203.0.113.1>\r\n"
	      "Call-ID: r2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	cr_expect(starts(3, "SIP/2.0 403 Transport Not Allowed By Dial Plan"));
	cr_expect(has(3, "Warning: 399 umedge \"dial plan dp-secure is secured: SIP over mutual "
			 "tls required, got udp\""));
	cr_expect_eq(net.events[UMEDGE_EV_VoipSecurityMismatch], 1);
	cr_expect(strstr(net.last_event, "gateway=gw1") != NULL, "%s", net.last_event);
	/* no hunt group for the number */
	input(&from_pbx,
	      "OPTIONS sip:5555@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKr3\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.20>;tag=f3\r\nTo: <sip:b@203.0.113.1>\r\n"
	      "Call-ID: r3\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	cr_expect(starts(4, "SIP/2.0 404 No Dial Plan"));
	cr_expect_eq(net.events[UMEDGE_EV_SipNoDialPlan], 1);
	/* Max-Forwards 0 */
	input(&from_pbx, PBX_INVITE("z9hG4bKr4", "Max-Forwards: 0\r\n"));
	cr_expect(has(net.n - 1, "SIP/2.0 400 Duplicate Header Field"), "two Max-Forwards");
	input(&from_pbx,
	      "OPTIONS sip:4000@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKr5\r\n"
	      "Max-Forwards: 0\r\nFrom: <sip:a@192.0.2.20>;tag=f5\r\nTo: <sip:b@203.0.113.1>\r\n"
	      "Call-ID: r5\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	cr_expect(starts(net.n - 1, "SIP/2.0 483 Too Many Hops"));
	/* Proxy-Require */
	input(&from_pbx, PBX_INVITE("z9hG4bKr6", "Proxy-Require: foo, bar\r\n"));
	cr_expect(starts(net.n - 1, "SIP/2.0 420 Bad Extension"));
	cr_expect(has(net.n - 1, "Unsupported: foo, bar\r\n"));
	/* SDP that does not parse */
	input(&from_pbx,
	      "INVITE sip:4000@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKr7\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.20>;tag=f7\r\nTo: <sip:b@203.0.113.1>\r\n"
	      "Call-ID: r7\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
	      "Content-Length: 5\r\n\r\nv=0\r\n");
	cr_expect(starts(net.n - 1, "SIP/2.0 400 Bad SDP"));
	cr_expect(has(net.n - 1, "Warning: 399 umedge \"malformed SDP\""));
	cr_expect_eq(sip_proxy_stats(px)->malformed_sdp, 1);
	/* malformed: answered statelessly with the reason */
	input(&from_pbx,
	      "OPTIONS sip:4000@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKr8\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.20>;tag=f8\r\nTo: <sip:b@203.0.113.1>\r\n"
	      "Call-ID: r8\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	cr_expect(starts(net.n - 1, "SIP/2.0 400 CSeq Method Mismatch"));
	cr_expect_eq(sip_proxy_stats(px)->errors[SIP_E_CSEQ_METHOD], 1);
	/* the same refusal again at once: answered, but no second event */
	input(&stranger, PBX_INVITE("z9hG4bKr9", ""));
	cr_expect(starts(net.n - 1, "SIP/2.0 403 Unknown Gateway"));
	cr_expect_eq(net.events[UMEDGE_EV_SipUnknownGateway], 1);
	cr_expect_eq(sip_proxy_stats(px)->events_suppressed, 1);
}

/* A call set up over TLS keeps its mode: a BYE from the same gateway over
 * UDP is refused, with the event. */
Test(sip_proxy, in_dialog_transport_checked_against_the_call)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item rr1, rr2;
	char bye[1024];

	input(&from_gw1_tls,
	      "INVITE sip:+14255550100@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKt1\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"
	      "To: <sip:+14255550100@203.0.113.1>\r\nCall-ID: t1\r\nCSeq: 1 INVITE\r\n"
	      "Content-Length: 0\r\n\r\n");
	cr_assert_eq(net.n, 2);
	cr_expect_eq(net.sent[0].to.conn, 11, "100 Trying on the TLS connection");
	cr_assert_eq(sip_list_next(sent(1), SIP_HDR_RECORD_ROUTE, &it, &rr1), 1);
	cr_assert_eq(sip_list_next(sent(1), SIP_HDR_RECORD_ROUTE, &it, &rr2), 1);
	cr_expect(memmem(rr2.value.p, rr2.value.len, "5061;transport=tls;lr;um=2", 26), "%.*s",
		  (int)rr2.value.len, rr2.value.p);
	snprintf(bye, sizeof(bye),
		 "BYE sip:4000@198.51.100.20 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKt2\r\n"
		 "Route: %.*s, %.*s\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"
		 "To: <sip:+14255550100@203.0.113.1>;tag=app1\r\nCall-ID: t1\r\nCSeq: 2 BYE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 (int)rr2.value.len, rr2.value.p, (int)rr1.value.len, rr1.value.p);
	input(&from_gw1_udp, bye);
	cr_expect(starts(net.n - 1, "SIP/2.0 403 Transport Not Allowed By Dial Plan"), "%.*s", 60,
		  net.sent[net.n - 1].buf);
	cr_expect_eq(net.events[UMEDGE_EV_VoipSecurityMismatch], 1);
	/* over TLS it goes through */
	bye[strstr(bye, "UDP") - bye + 2] = 'S'; /* "TLS" */
	memcpy(strstr(bye, "branch=z9hG4bKt2") + 15, "3", 1);
	input(&from_gw1_tls, bye);
	cr_expect(starts(net.n - 1, "BYE sip:4000@198.51.100.20 SIP/2.0"));
	cr_expect_eq(net.sent[net.n - 1].to.addr, APP_ADDR);
}

/* The application calls out through gw1: TLS, the gateway's address. */
Test(sip_proxy, outbound_through_a_gateway)
{
	input(&from_app,
	      "INVITE sip:+12065550123@gw1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bKo1\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:4000@198.51.100.20>;tag=o1\r\n"
	      "To: <sip:+12065550123@gw1>\r\nCall-ID: o1\r\nCSeq: 1 INVITE\r\n"
	      "Contact: <sip:4000@198.51.100.20>\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(net.n, 2);
	cr_expect_eq(net.sent[1].to.side, SIP_SIDE_EXTERNAL);
	cr_expect_eq(net.sent[1].to.transport, UMEDGE_TRANSPORT_TLS);
	cr_expect_eq(net.sent[1].to.addr, GW1_ADDR);
	cr_expect_eq(net.sent[1].to.port, 5061);
	cr_expect(has(1, "Via: SIP/2.0/TLS 203.0.113.1:5061;branch="));
	/* a Request-URI that names no gateway */
	input(&from_app,
	      "OPTIONS sip:x@192.0.2.99 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bKo2\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:4000@198.51.100.20>;tag=o2\r\n"
	      "To: <sip:x@192.0.2.99>\r\nCall-ID: o2\r\nCSeq: 1 OPTIONS\r\n"
	      "Content-Length: 0\r\n\r\n");
	cr_expect(starts(net.n - 1, "SIP/2.0 404 Not A Gateway"));
}

/* The forwarded INVITE coming back to us unchanged is a loop: 482. */
Test(sip_proxy, loop_482)
{
	char again[4096];

	input(&from_pbx, PBX_INVITE("z9hG4bKl1", ""));
	cr_assert_eq(net.n, 2);
	memcpy(again, net.sent[1].buf, net.sent[1].len);
	again[net.sent[1].len] = '\0';
	input(&from_app, again);
	cr_expect(starts(net.n - 1, "SIP/2.0 482 Loop Detected"), "%.*s", 40,
		  net.sent[net.n - 1].buf);
	cr_expect_eq(sip_proxy_stats(px)->loops, 1);
}

/* The table full: 503 with Retry-After, statelessly. */
Test(sip_proxy, table_full_503)
{
	static const struct sip_proxy_io io = { net_send, net_event, NULL, &fx_media_ops };
	struct sip_proxy_config cfg = { .addr = { EXT_ADDR, INT_ADDR }, .port = 5060,
					.tls_port = 5061, .txn = SIP_TXN_CONFIG_DEFAULT_INIT };
	char inv[1024];

	sip_proxy_free(px);
	cfg.txn.max_txns = 2;
	px = sip_proxy_new(&cfg, &io, net.now);
	cr_assert_not_null(px);
	input(&from_pbx, PBX_INVITE("z9hG4bKf1", "")); /* server + client: full */
	snprintf(inv, sizeof(inv), "%s", PBX_INVITE("z9hG4bKf2", ""));
	memcpy(strstr(inv, "call1"), "call2", 5);
	input(&from_pbx, inv);
	cr_expect(starts(net.n - 1, "SIP/2.0 503 Service Unavailable"));
	cr_expect(has(net.n - 1, "Retry-After: 5\r\n"));
}

/* A gateway behind NAT: rport gets the source port, received the address
 * (RFC 3581), on the Via the application sees. */
Test(sip_proxy, rport_and_received)
{
	struct sip_rx nat = from_pbx;
	const struct sip_msg *inv;
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	struct sip_via v;

	nat.from.port = 40000;
	input(&nat, PBX_INVITE("z9hG4bKn1;rport", ""));
	cr_assert_eq(net.n, 2);
	cr_expect_eq(net.sent[0].to.port, 40000, "the 100 goes to the source port");
	inv = sent(1);
	cr_assert_eq(sip_list_next(inv, SIP_HDR_VIA, &it, &item), 1);
	cr_assert_eq(sip_list_next(inv, SIP_HDR_VIA, &it, &item), 1);
	cr_assert_eq(sip_via_parse(&v, item.value.p, item.value.len), 0);
	cr_expect_eq(v.rport_value, 40000);
	cr_expect(v.received.len == 10 && memcmp(v.received.p, "192.0.2.20", 10) == 0);
}

/* UDP retransmissions: the gateway's INVITE again gets the last
 * provisional, not a second INVITE downstream; the application's 200
 * again goes up again; the gateway's ACK again goes down again. */
Test(sip_proxy, udp_retransmissions)
{
	const struct sip_hdr_out ex[] = { { "Contact", "<sip:4000@198.51.100.20:5060>" } };
	char two_hundred[4096];
	unsigned k;

	input(&from_pbx, PBX_INVITE("z9hG4bKu1", ""));
	input(&from_app, answer(1, 180, "Ringing", "app5", NULL, 0));
	cr_assert_eq(net.n, 3);
	input(&from_pbx, PBX_INVITE("z9hG4bKu1", ""));
	cr_assert_eq(net.n, 4);
	cr_expect(starts(3, "SIP/2.0 180 Ringing"));
	cr_expect_eq(net.sent[3].to.addr, PBX_ADDR);
	snprintf(two_hundred, sizeof(two_hundred), "%s", answer(1, 200, "OK", "app5", ex, 1));
	input(&from_app, two_hundred);
	input(&from_app, two_hundred);
	cr_assert_eq(net.n, 6);
	cr_expect(starts(4, "SIP/2.0 200 OK") && starts(5, "SIP/2.0 200 OK"));
	k = net.n;
	for (int i = 0; i < 2; i++)
		input(&from_pbx,
		      "ACK sip:4000@198.51.100.20:5060 SIP/2.0\r\n"
		      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKu2\r\n"
		      "Max-Forwards: 70\r\nFrom: <sip:+12065550123@192.0.2.20>;tag=f1\r\n"
		      "To: <sip:4000@203.0.113.1>;tag=app5\r\nCall-ID: call1@192.0.2.20\r\n"
		      "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");
	cr_expect_eq(net.n, k + 2);
	cr_expect(starts(k, "ACK ") && starts(k + 1, "ACK "));
	cr_expect_eq(net.sent[k].to.addr, APP_ADDR);
}

/* msg with its "Content-Length: 0" and empty line replaced by tail. */
static void with_body(char *out, size_t cap, const char *msg, const char *tail)
{
	const char *cl = strstr(msg, "Content-Length: 0\r\n\r\n");

	cr_assert_not_null(cl);
	cr_assert_lt((size_t)(cl - msg) + strlen(tail), cap);
	snprintf(out, cap, "%.*s%s", (int)(cl - msg), msg, tail);
}

/* SDP in a 183 to an INVITE without an offer (a late offer needs the
 * 2xx) stops there; a malformed late offer in the 200 ends the
 * application's dialog (ACK, BYE) and the gateway gets 488. */
Test(sip_proxy, late_offer_malformed)
{
	char rsp[4096];

	input(&from_pbx, PBX_INVITE("z9hG4bKs1", ""));
	cr_assert_eq(net.n, 2);
	/* sip_reply_build gives Content-Length 0: the body is put in its place */
	with_body(rsp, sizeof(rsp), answer(1, 183, "Session Progress", "app6", NULL, 0),
		  "Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n");
	input(&from_app, rsp);
	cr_expect_eq(net.n, 2, "the 183 with SDP stops here");
	with_body(rsp, sizeof(rsp), answer(1, 200, "OK", "app6", NULL, 0),
		  "Contact: <sip:4000@198.51.100.20>\r\nContent-Type: application/sdp\r\n"
		  "Content-Length: 5\r\n\r\nv=0\r\n");
	input(&from_app, rsp);
	cr_assert_eq(net.n, 5);
	cr_expect(starts(2, "ACK sip:4000@198.51.100.20 SIP/2.0"), "%.*s", 50, net.sent[2].buf);
	cr_expect(has(2, "CSeq: 1 ACK"));
	cr_expect(starts(3, "BYE sip:4000@198.51.100.20 SIP/2.0"));
	cr_expect(has(3, "CSeq: 2 BYE"));
	cr_expect_eq(net.sent[3].to.addr, APP_ADDR);
	cr_expect(starts(4, "SIP/2.0 488 Not Acceptable Here"));
	cr_expect(has(4, "malformed SDP"));
	cr_expect_eq(net.sent[4].to.addr, PBX_ADDR);
	cr_expect_eq(sip_proxy_stats(px)->refused_sdp, 1);
	cr_expect_eq(sip_proxy_stats(px)->malformed_sdp, 1);
	cr_expect_eq(sip_proxy_stats(px)->calls_failed, 1);
	cr_expect_eq(fx_media.live, 0);
}

/* A dial plan's mode changed between two calls: the call already set up
 * keeps its mode, new calls get the new one. */
Test(sip_proxy, mode_change_between_and_during_calls)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item rr1, rr2;
	char bye[1024];

	input(&from_gw1_tls,
	      "INVITE sip:+14255550100@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKm1\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"
	      "To: <sip:+14255550100@203.0.113.1>\r\nCall-ID: m1\r\nCSeq: 1 INVITE\r\n"
	      "Content-Length: 0\r\n\r\n");
	cr_assert_eq(net.n, 2);
	cr_assert_eq(sip_list_next(sent(1), SIP_HDR_RECORD_ROUTE, &it, &rr1), 1);
	cr_assert_eq(sip_list_next(sent(1), SIP_HDR_RECORD_ROUTE, &it, &rr2), 1);
	/* the operator makes dp-secure unsecured */
	plans[0].security = UMEDGE_SEC_UNSECURED;
	input(&from_gw1_tls,
	      "INVITE sip:+14255550100@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKm2\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g2\r\n"
	      "To: <sip:+14255550100@203.0.113.1>\r\nCall-ID: m2\r\nCSeq: 1 INVITE\r\n"
	      "Content-Length: 0\r\n\r\n");
	cr_expect(starts(net.n - 1, "SIP/2.0 403 Transport Not Allowed By Dial Plan"),
		  "a new call over TLS is refused now");
	input(&from_gw1_udp,
	      "INVITE sip:+14255550100@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKm3\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g3\r\n"
	      "To: <sip:+14255550100@203.0.113.1>\r\nCall-ID: m3\r\nCSeq: 1 INVITE\r\n"
	      "Content-Length: 0\r\n\r\n");
	cr_expect(starts(net.n - 1, "INVITE "), "a new call over UDP passes");
	/* the first call's BYE over TLS still passes: it keeps secured */
	snprintf(bye, sizeof(bye),
		 "BYE sip:4000@198.51.100.20 SIP/2.0\r\n"
		 "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKm4\r\n"
		 "Route: %.*s, %.*s\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"
		 "To: <sip:+14255550100@203.0.113.1>;tag=app1\r\nCall-ID: m1\r\nCSeq: 2 BYE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 (int)rr2.value.len, rr2.value.p, (int)rr1.value.len, rr1.value.p);
	input(&from_gw1_tls, bye);
	cr_expect(starts(net.n - 1, "BYE sip:4000@198.51.100.20 SIP/2.0"));
	plans[0].security = UMEDGE_SEC_SECURED;
}

/* The mode in our Record-Route is signed: a gateway that rewrites um=2
 * (secured) to um=0 to send its BYE over UDP, or reuses the value in
 * another call, is refused. */
Test(sip_proxy, forged_route_mode_refused)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item rr1, rr2;
	char bye[1024], *um;

	input(&from_gw1_tls,
	      "INVITE sip:+14255550100@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKz1\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"
	      "To: <sip:+14255550100@203.0.113.1>\r\nCall-ID: z1\r\nCSeq: 1 INVITE\r\n"
	      "Content-Length: 0\r\n\r\n");
	cr_assert_eq(sip_list_next(sent(1), SIP_HDR_RECORD_ROUTE, &it, &rr1), 1);
	cr_assert_eq(sip_list_next(sent(1), SIP_HDR_RECORD_ROUTE, &it, &rr2), 1);
	snprintf(bye, sizeof(bye),
		 "BYE sip:4000@198.51.100.20 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKz2\r\n"
		 "Route: %.*s, %.*s\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"
		 "To: <sip:+14255550100@203.0.113.1>;tag=app1\r\nCall-ID: z1\r\nCSeq: 2 BYE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 (int)rr2.value.len, rr2.value.p, (int)rr1.value.len, rr1.value.p);
	while ((um = strstr(bye, "um=2.")) != NULL)
		um[3] = '0';
	input(&from_gw1_udp, bye);
	cr_expect(starts(net.n - 1, "SIP/2.0 403 Route Signature Invalid"), "%.*s", 50,
		  net.sent[net.n - 1].buf);
	cr_expect_eq(sip_proxy_stats(px)->forged_routes, 1);
	/* the genuine values in another call (Call-ID z9): refused too */
	snprintf(bye, sizeof(bye),
		 "BYE sip:4000@198.51.100.20 SIP/2.0\r\n"
		 "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKz3\r\n"
		 "Route: %.*s, %.*s\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"
		 "To: <sip:+14255550100@203.0.113.1>;tag=app1\r\nCall-ID: z9\r\nCSeq: 2 BYE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 (int)rr2.value.len, rr2.value.p, (int)rr1.value.len, rr1.value.p);
	input(&from_gw1_tls, bye);
	cr_expect(starts(net.n - 1, "SIP/2.0 403 Route Signature Invalid"));
	cr_expect_eq(sip_proxy_stats(px)->forged_routes, 2);
}

/* ---- at scale: a transport that only counts ---- */

static struct {
	unsigned invites_out, timeouts_408;
} counted;

static int count_send(void *arg, const struct sip_peer *to, const char *buf, size_t len)
{
	(void)arg;
	(void)len;
	if (to->side == SIP_SIDE_INTERNAL && strncmp(buf, "INVITE ", 7) == 0)
		counted.invites_out++;
	if (to->side == SIP_SIDE_EXTERNAL && strncmp(buf, "SIP/2.0 408 ", 12) == 0)
		counted.timeouts_408++;
	return 0;
}

/* 5,000 calls from the gateway that the application never answers:
 * 10,000 transactions at once (server and client), all answered 408 by
 * the timers and all gone afterwards. */
Test(sip_proxy, ten_thousand_transactions_run_to_the_end)
{
	static const struct sip_proxy_io io = { count_send, NULL, NULL, &fx_media_ops };
	struct sip_proxy_config cfg = { .addr = { EXT_ADDR, INT_ADDR }, .port = 5060,
					.tls_port = 5061, .txn = SIP_TXN_CONFIG_DEFAULT_INIT };
	char inv[1024];

	sip_proxy_free(px);
	cfg.txn.max_txns = 10000;
	memset(&counted, 0, sizeof(counted));
	px = sip_proxy_new(&cfg, &io, net.now);
	cr_assert_not_null(px);
	for (unsigned i = 0; i < 5000; i++) {
		int n = snprintf(inv, sizeof(inv),
				 "INVITE sip:4000@203.0.113.1 SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKbig%u\r\n"
				 "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.20>;tag=b%u\r\n"
				 "To: <sip:4000@203.0.113.1>\r\nCall-ID: big%u@192.0.2.20\r\n"
				 "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
				 i, i, i);

		sip_proxy_input(px, &snap, &from_pbx, inv, (size_t)n, net.now);
	}
	cr_expect_eq(sip_proxy_transactions(px), 10000);
	cr_expect_eq(counted.invites_out, 5000);
	run_until(net.now + 32000);
	cr_expect_eq(counted.timeouts_408, 5000);
	run_until(net.now + 40000);
	cr_expect_eq(sip_proxy_transactions(px), 0);
}

/* Over TCP to the application: no retransmission at all, the connection
 * the gateway's request came on carries the answers back. */
Test(sip_proxy, reliable_transports_no_retransmission)
{
	struct sip_rx pbx_tcp = from_pbx;
	struct sip_rx app_tcp = from_app;
	uint64_t t0 = net.now;

	pbx_tcp.from.transport = UMEDGE_TRANSPORT_TCP;
	pbx_tcp.from.conn = 21;
	app_tcp.from.transport = UMEDGE_TRANSPORT_TCP;
	app_tcp.from.conn = 22;
	snap.app_transport = UMEDGE_TRANSPORT_TCP;
	input(&pbx_tcp, PBX_INVITE("z9hG4bKtcp1", ""));
	cr_assert_eq(net.n, 2);
	cr_expect_eq(net.sent[0].to.conn, 21);
	cr_expect_eq(net.sent[1].to.transport, UMEDGE_TRANSPORT_TCP);
	cr_expect(has(1, "Via: SIP/2.0/TCP 198.51.100.1:5060;branch="));
	cr_expect(has(1, "transport=tcp;lr"), "the Record-Route names TCP");
	input(&app_tcp, answer(1, 486, "Busy Here", "t1", NULL, 0));
	cr_assert_eq(net.n, 4, "ACK to the application, 486 to the gateway");
	cr_expect_eq(net.sent[3].to.conn, 21);
	run_until(t0 + 64000);
	cr_expect_eq(net.n, 4, "nothing resent on TCP");
	cr_expect_eq(sip_proxy_transactions(px), 0);
}

/* OPTIONS to the engine itself: answered here for a known gateway (the
 * keep-alive of the TLS listener, now the proxy's), refused for a stranger;
 * an OPTIONS to a number is a request like any other. */
Test(sip_proxy, options_to_the_engine)
{
	struct sip_rx stranger = from_pbx;
#define OPTIONS_FMT                                                        \
	"OPTIONS %s SIP/2.0\r\n"                                           \
	"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK%s\r\n"             \
	"Max-Forwards: 70\r\nFrom: <sip:pbx2.example.test>;tag=o1\r\n"      \
	"To: <%s>\r\nCall-ID: %s@192.0.2.20\r\nCSeq: 1 OPTIONS\r\n"        \
	"Content-Length: 0\r\n\r\n"
	char msg[512];

	snprintf(msg, sizeof(msg), OPTIONS_FMT, "sip:203.0.113.1", "op1", "sip:203.0.113.1", "op1");
	input(&from_pbx, msg);
	cr_assert_eq(net.n, 1);
	cr_expect(starts(0, "SIP/2.0 200 OK"));
	cr_expect(has(0, "Allow: INVITE"));
	cr_expect(has(0, "Accept: application/sdp"));
	cr_expect_eq(sip_proxy_stats(px)->options_answered, 1);
	snprintf(msg, sizeof(msg), OPTIONS_FMT, "sip:um1.example.test;transport=udp", "op2",
		 "sip:um1.example.test", "op2");
	input(&from_pbx, msg);
	cr_assert_eq(net.n, 2);
	cr_expect(starts(1, "SIP/2.0 200 OK"), "by the server's FQDN");
	stranger.from.addr = 0xcb007163; /* 203.0.113.99 */
	snprintf(msg, sizeof(msg), OPTIONS_FMT, "sip:203.0.113.1", "op3", "sip:203.0.113.1", "op3");
	input(&stranger, msg);
	cr_assert_eq(net.n, 3);
	cr_expect(starts(2, "SIP/2.0 403 Unknown Gateway"));
	cr_expect_eq(net.events[UMEDGE_EV_SipUnknownGateway], 1);
	cr_expect_eq(sip_proxy_stats(px)->options_answered, 2);
	/* from our own external address: the engine testing its listeners
	 * (only frames the stack looped back carry it), answered without a
	 * gateway and without an event */
	stranger.from.addr = 0xcb007101; /* 203.0.113.1, ours */
	snprintf(msg, sizeof(msg), OPTIONS_FMT, "sip:um1.example.test", "op4",
		 "sip:um1.example.test", "op4");
	input(&stranger, msg);
	cr_assert_eq(net.n, 4);
	cr_expect(starts(3, "SIP/2.0 200 OK"), "our own OPTIONS");
	cr_expect_eq(net.events[UMEDGE_EV_SipUnknownGateway], 1, "no event for ourselves");
	cr_expect_eq(sip_proxy_stats(px)->options_answered, 3);
	/* but a request to a number from our own address is a request like
	 * any other: refused as from no gateway */
	snprintf(msg, sizeof(msg), OPTIONS_FMT, "sip:4000@203.0.113.1", "op5",
		 "sip:4000@203.0.113.1", "op5");
	input(&stranger, msg);
	cr_assert_eq(net.n, 5);
	cr_expect(starts(4, "SIP/2.0 403"), "a number, from ourselves: the policy decides");
	run_until(net.now + 40000);
	cr_expect_eq(sip_proxy_transactions(px), 0);
#undef OPTIONS_FMT
}

/* Our own refusal over UDP, ACKed the way SIPp does it (rport in the Via,
 * the INVITE's branch, our To tag): the ACK ends the retransmissions. */
Test(sip_proxy, own_refusal_acked_stops_retransmissions)
{
	struct sip_rx stranger = from_pbx;
	char ack[512], tag[64] = "";
	const char *t;
	unsigned k;

	stranger.from.addr = 0xcb007163; /* 203.0.113.99 */
	stranger.from.port = 5070;
	input(&stranger, "INVITE sip:6000@203.0.113.1:5060 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 203.0.113.99:5070;branch=z9hG4bK-1-1-0;rport\r\n"
			 "From: <sip:+1@203.0.113.99:5070>;tag=r1\r\n"
			 "To: <sip:6000@203.0.113.1:5060>\r\n"
			 "Call-ID: 1-1@203.0.113.99\r\nCSeq: 1 INVITE\r\n"
			 "Contact: <sip:+1@203.0.113.99:5070>\r\nMax-Forwards: 70\r\n"
			 "Content-Length: 0\r\n\r\n");
	cr_assert_eq(net.n, 2);
	cr_assert(starts(1, "SIP/2.0 403"));
	t = strstr(net.sent[1].buf, ";tag=um");
	cr_assert_not_null(t);
	sscanf(t, ";tag=%63[^\r\n;]", tag);
	snprintf(ack, sizeof(ack),
		 "ACK sip:6000@203.0.113.1:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.99:5070;branch=z9hG4bK-1-1-0;rport\r\n"
		 "From: <sip:+1@203.0.113.99:5070>;tag=r1\r\n"
		 "To: <sip:6000@203.0.113.1:5060>;tag=%s\r\n"
		 "Call-ID: 1-1@203.0.113.99\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n"
		 "Content-Length: 0\r\n\r\n", tag);
	input(&stranger, ack);
	k = net.n;
	run_until(net.now + 40000);
	cr_expect_eq(net.n, k, "no retransmission of the 403 after its ACK (%u sent)", net.n - k);
	cr_expect_eq(sip_proxy_transactions(px), 0);
}

/* The internal side speaks for the application only: another host there
 * gets 403 and calls nobody. */
Test(sip_proxy, internal_side_is_the_application_only)
{
	struct sip_rx other = from_app;

	other.from.addr = 0xc6336463; /* 198.51.100.99 */
	input(&other, "INVITE sip:+12065550199@192.0.2.20 SIP/2.0\r\n"
		      "Via: SIP/2.0/UDP 198.51.100.99:5060;branch=z9hG4bKint1\r\n"
		      "Max-Forwards: 70\r\nFrom: <sip:4000@198.51.100.99>;tag=i1\r\n"
		      "To: <sip:+12065550199@192.0.2.20>\r\nCall-ID: int1@198.51.100.99\r\n"
		      "CSeq: 1 INVITE\r\nContact: <sip:4000@198.51.100.99>\r\n"
		      "Content-Length: 0\r\n\r\n");
	cr_assert_geq(net.n, 1);
	cr_expect(starts(net.n - 1, "SIP/2.0 403 Not The Application"));
	for (unsigned i = 0; i < net.n; i++)
		cr_expect_eq(net.sent[i].to.side, SIP_SIDE_INTERNAL, "nothing towards a gateway");
	run_until(net.now + 40000);
	cr_expect_eq(sip_proxy_transactions(px), 0);
}

/* ---- calls with media: the SDP through the engine ---- */

#define GW_KEY "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

/* An SDP body: one audio stream at addr:port in profile proto. */
static const char *sdp_of(char *out, size_t cap, const char *addr, unsigned port,
			  const char *proto, const char *extra)
{
	snprintf(out, cap,
		 "v=0\r\no=- 7 7 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %u %s 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\n%s",
		 addr, addr, port, proto, extra);
	return out;
}

/* msg (ending in "Content-Length: 0" and the empty line) carrying sdp. */
static const char *with_sdp(char *out, size_t cap, const char *msg, const char *sdp)
{
	char tail[2048];

	snprintf(tail, sizeof(tail), "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(sdp), sdp);
	with_body(out, cap, msg, tail);
	return out;
}

/* The body of sent message i, parsed. */
static struct sdp sent_sdp;

static const struct sdp *sdp_sent(unsigned i)
{
	const struct sip_msg *m = sent(i);

	cr_assert_gt(m->body.len, 0, "message %u has no body", i);
	cr_assert_eq(sdp_parse(&sent_sdp, m->body.p, m->body.len), SDP_E_OK, "%.*s",
		     (int)m->body.len, m->body.p);
	return &sent_sdp;
}

#define GW1_INVITE(branch, cseq)                                                  \
	"INVITE sip:+14255550100@203.0.113.1 SIP/2.0\r\n"                         \
	"Via: SIP/2.0/TLS 192.0.2.10:5061;branch=" branch "\r\n"                  \
	"Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"           \
	"To: <sip:+14255550100@203.0.113.1>\r\nCall-ID: s1\r\nCSeq: " cseq " INVITE\r\n" \
	"Contact: <sip:a@192.0.2.10:5061;transport=tls>\r\nContent-Length: 0\r\n\r\n"

/* unsecured: RTP both ways, the engine's address and ports on each side,
 * the media installed on the answer and removed by the BYE. */
Test(sip_proxy, unsecured_call_media_anchored)
{
	char sdp[1024], msg[4096], bye[1024];
	const struct sdp *s;

	input(&from_pbx, with_sdp(msg, sizeof(msg), PBX_INVITE("z9hG4bKm1", ""),
				  sdp_of(sdp, sizeof(sdp), "192.0.2.20", 20000, "RTP/AVP", "")));
	cr_assert_eq(net.n, 2);
	s = sdp_sent(1);
	cr_expect_eq(s->c.ipv4, INT_ADDR, "the engine's internal address");
	cr_expect_eq(s->media[0].port, 40000);
	cr_expect(!s->media[0].savp);
	cr_expect_eq(fx_media.opened, 1);
	cr_expect_eq(fx_media.live, 0, "nothing installed before the answer");
	{
		const struct sip_hdr_out ex[] = { { "Contact", "<sip:4000@198.51.100.20:5060>" } };

		input(&from_app, with_sdp(msg, sizeof(msg), answer(1, 200, "OK", "app1", ex, 1),
					  sdp_of(sdp, sizeof(sdp), "198.51.100.20", 22000,
						 "RTP/AVP", "")));
	}
	cr_assert_eq(net.n, 3);
	s = sdp_sent(2);
	cr_expect_eq(s->c.ipv4, EXT_ADDR, "the engine's external address");
	cr_expect_eq(s->media[0].port, 30000);
	cr_expect_eq(fx_media.live, 1);
	cr_expect(!fx_media.last.srtp);
	cr_expect_eq(fx_media.last.remote_addr[SIP_SIDE_EXTERNAL], PBX_ADDR);
	cr_expect_eq(fx_media.last.remote_port[SIP_SIDE_EXTERNAL], 20000);
	cr_expect_eq(fx_media.last.remote_addr[SIP_SIDE_INTERNAL], APP_ADDR);
	cr_expect_eq(fx_media.last.remote_port[SIP_SIDE_INTERNAL], 22000);
	cr_expect_eq(fx_media.last.local[0], 30000);
	cr_expect_eq(fx_media.last.local[1], 40000);
	cr_expect_eq(sip_proxy_calls(px), 1);
	/* the 2xx again (lost ACK): the same answer, nothing re-installed */
	input(&from_app, msg);
	cr_assert_eq(net.n, 4);
	cr_expect_eq(net.sent[3].len, net.sent[2].len);
	cr_expect_eq(memcmp(net.sent[3].buf, net.sent[2].buf, net.sent[2].len), 0);
	cr_expect_eq(fx_media.applied, 1);
	/* BYE from the gateway: the media goes with it */
	snprintf(bye, sizeof(bye),
		 "BYE sip:4000@198.51.100.20:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKm2\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:+12065550123@192.0.2.20>;tag=f1\r\n"
		 "To: <sip:4000@203.0.113.1>;tag=app1\r\nCall-ID: call1@192.0.2.20\r\n"
		 "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n");
	input(&from_pbx, bye);
	cr_expect(starts(net.n - 1, "BYE sip:4000@198.51.100.20:5060"));
	cr_expect_eq(fx_media.live, 0);
	cr_expect_eq(fx_media.closed, 1);
	cr_expect_eq(sip_proxy_calls(px), 0);
	cr_expect_eq(sip_proxy_stats(px)->calls_ended, 1);
}

/* secured: the gateway's SDES offer becomes RTP/AVP for the application;
 * the gateway gets RTP/SAVP with the engine's own key under its tag. */
Test(sip_proxy, secured_call_sdes_to_rtp)
{
	char sdp[1024], msg[4096];
	const struct sdp *s;
	struct sdp_crypto cr;

	input(&from_gw1_tls,
	      with_sdp(msg, sizeof(msg), GW1_INVITE("z9hG4bKs1", "1"),
		       sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20002, "RTP/SAVP",
			      "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" GW_KEY "\r\n")));
	cr_assert_eq(net.n, 2);
	s = sdp_sent(1);
	cr_expect(!s->media[0].savp, "RTP/AVP to the application");
	cr_expect_eq(s->media[0].n_crypto, 0);
	cr_expect_eq(s->media[0].port, 40000);
	input(&from_app, with_sdp(msg, sizeof(msg), answer(1, 200, "OK", "app9", NULL, 0),
				  sdp_of(sdp, sizeof(sdp), "198.51.100.20", 22002, "RTP/AVP", "")));
	cr_assert_eq(net.n, 3);
	s = sdp_sent(2);
	cr_expect(s->media[0].savp, "RTP/SAVP to the gateway");
	cr_assert_eq(s->media[0].n_crypto, 1);
	sdp_crypto_parse(&cr, sdp_attr_value(&s->lines[s->media[0].crypto[0]]));
	cr_expect_eq(cr.status, SDP_CRYPTO_USABLE);
	cr_expect_eq(cr.tag, 3, "the gateway's tag");
	cr_expect_eq(cr.suite, UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80);
	cr_expect(fx_media.last.srtp);
	cr_expect_eq(fx_media.last.key_len, 30);
	cr_expect_eq(memcmp(fx_media.key_in, "YS___semctl", 11), 0, "the gateway's key");
	cr_expect_eq(memcmp(fx_media.key_out, cr.keys[0].key_salt, 30), 0,
		     "ours, as the answer says");
	cr_expect_eq(fx_media.last.remote_addr[SIP_SIDE_EXTERNAL], GW1_ADDR);
	sdp_crypto_wipe(&cr);
}

/* Media against the mode: 488, its Warning, the event; the ports go back. */
Test(sip_proxy, media_against_the_mode_488)
{
	char sdp[1024], msg[4096];

	input(&from_gw1_tls, with_sdp(msg, sizeof(msg), GW1_INVITE("z9hG4bKx1", "1"),
				      sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20004, "RTP/AVP", "")));
	cr_assert_eq(net.n, 2);
	cr_expect(starts(1, "SIP/2.0 488 Not Acceptable Here"));
	cr_expect(has(1, "Warning: 399 umedge \"dial plan dp-secure is secured: RTP offered to a "
			 "secured dial plan"));
	cr_expect_eq(net.events[UMEDGE_EV_VoipSecurityMismatch], 1);
	cr_expect(strstr(net.last_event, "gateway=gw1 dial_plan=dp-secure expected=secured "
					 "offered=RTP/AVP") != NULL, "%s", net.last_event);
	cr_expect_eq(fx_media.opened, 1);
	cr_expect_eq(fx_media.closed, 1);
	/* SRTP to an unsecured dial plan */
	input(&from_pbx, with_sdp(msg, sizeof(msg), PBX_INVITE("z9hG4bKx2", ""),
				  sdp_of(sdp, sizeof(sdp), "192.0.2.20", 20006, "RTP/SAVP",
					 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" GW_KEY "\r\n")));
	cr_expect(starts(net.n - 1, "SIP/2.0 488 Not Acceptable Here"));
	cr_expect(has(net.n - 1, "SRTP offered to a dial plan that is not secured"));
	cr_expect_eq(net.events[UMEDGE_EV_VoipSecurityMismatch], 2);
	/* a suite the dial plan does not allow */
	plans[0].suites[0] = UMEDGE_SRTP_AEAD_AES_128_GCM;
	plans[0].n_suites = 1;
	input(&from_gw1_tls,
	      with_sdp(msg, sizeof(msg), GW1_INVITE("z9hG4bKx3", "2"),
		       sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20008, "RTP/SAVP",
			      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" GW_KEY "\r\n")));
	plans[0].n_suites = 0;
	cr_expect(starts(net.n - 1, "SIP/2.0 488 Not Acceptable Here"));
	cr_expect(has(net.n - 1, "no SRTP suite in common"));
	/* the application offering SRTP */
	input(&from_app,
	      with_sdp(msg, sizeof(msg),
		       "INVITE sip:+12065550123@gw1 SIP/2.0\r\n"
		       "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bKx4\r\n"
		       "Max-Forwards: 70\r\nFrom: <sip:4000@198.51.100.20>;tag=o1\r\n"
		       "To: <sip:+12065550123@gw1>\r\nCall-ID: x4\r\nCSeq: 1 INVITE\r\n"
		       "Contact: <sip:4000@198.51.100.20>\r\nContent-Length: 0\r\n\r\n",
		       sdp_of(sdp, sizeof(sdp), "198.51.100.20", 22008, "RTP/SAVP",
			      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" GW_KEY "\r\n")));
	cr_expect(starts(net.n - 1, "SIP/2.0 488 Not Acceptable Here"));
	cr_expect(has(net.n - 1, "SRTP offered on the application side"));
	cr_expect_eq(sip_proxy_stats(px)->refused_sdp, 4);
	cr_expect_eq(fx_media.opened, fx_media.closed, "every port pair back");
	cr_expect_eq(fx_media.live, 0);
	/* no ports: 503 */
	fx_media.fail_open = true;
	input(&from_pbx, with_sdp(msg, sizeof(msg), PBX_INVITE("z9hG4bKx5", ""),
				  sdp_of(sdp, sizeof(sdp), "192.0.2.20", 20010, "RTP/AVP", "")));
	cr_expect(starts(net.n - 1, "SIP/2.0 503 No Media Ports"));
	cr_expect_eq(sip_proxy_stats(px)->media_unavailable, 1);
}

/* Early media, then a failure or a CANCEL: the media goes with the call. */
Test(sip_proxy, early_media_then_cancel_and_failure)
{
	char sdp[1024], msg[4096], ans[1024];

	input(&from_pbx, with_sdp(msg, sizeof(msg), PBX_INVITE("z9hG4bKe1", ""),
				  sdp_of(sdp, sizeof(sdp), "192.0.2.20", 20012, "RTP/AVP", "")));
	cr_assert_eq(net.n, 2);
	sdp_of(ans, sizeof(ans), "198.51.100.20", 22012, "RTP/AVP", "");
	input(&from_app, with_sdp(msg, sizeof(msg), answer(1, 183, "Session Progress", "e1", NULL, 0),
				  ans));
	cr_assert_eq(net.n, 3, "the 183 passes, with the engine's SDP");
	cr_expect_eq(sdp_sent(2)->media[0].port, 30000);
	cr_expect_eq(fx_media.live, 1, "early media installed");
	input(&from_pbx,
	      "CANCEL sip:4000@203.0.113.1 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKe1\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:+12065550123@192.0.2.20>;tag=f1\r\n"
	      "To: <sip:4000@203.0.113.1>\r\nCall-ID: call1@192.0.2.20\r\n"
	      "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
	cr_expect_eq(fx_media.live, 0, "the CANCEL removed it");
	cr_expect_eq(sip_proxy_stats(px)->calls_failed, 1);
	/* a new call answered 486 after early media */
	with_sdp(msg, sizeof(msg), PBX_INVITE("z9hG4bKe2", ""),
		 sdp_of(sdp, sizeof(sdp), "192.0.2.20", 20014, "RTP/AVP", ""));
	memcpy(strstr(msg, "call1@"), "call2@", 6);
	input(&from_pbx, msg);
	{
		unsigned inv = net.n - 1;

		cr_assert(starts(inv, "INVITE "));
		input(&from_app, with_sdp(msg, sizeof(msg),
					  answer(inv, 183, "Session Progress", "e2", NULL, 0), ans));
		cr_expect_eq(fx_media.live, 1);
		input(&from_app, answer(inv, 486, "Busy Here", "e2", NULL, 0));
	}
	cr_expect(starts(net.n - 1, "SIP/2.0 486 Busy Here"));
	cr_expect_eq(fx_media.live, 0);
	cr_expect_eq(fx_media.opened, fx_media.closed);
	cr_expect_eq(sip_proxy_stats(px)->calls_failed, 2);
}

/* An answered call with media set up from the gateway: returns the index
 * of the 2xx sent to the gateway. */
static unsigned answered_media_call(void)
{
	char sdp[1024], msg[4096];
	const struct sip_hdr_out ex[] = { { "Contact", "<sip:4000@198.51.100.20:5060>" } };

	input(&from_pbx, with_sdp(msg, sizeof(msg), PBX_INVITE("z9hG4bKd1", ""),
				  sdp_of(sdp, sizeof(sdp), "192.0.2.20", 20020, "RTP/AVP", "")));
	cr_assert_eq(net.n, 2);
	input(&from_app, with_sdp(msg, sizeof(msg), answer(1, 200, "OK", "appd", ex, 1),
				  sdp_of(sdp, sizeof(sdp), "198.51.100.20", 22020, "RTP/AVP", "")));
	cr_assert_eq(net.n, 3);
	cr_assert_eq(fx_media.live, 1);
	return 2;
}

/* The operator ends a call: BYE both ways as each party's peer would send
 * it, with a Reason; the media goes; CallEnded says why. */
Test(sip_proxy, drop_sends_bye_both_ways)
{
	const struct sip_msg *m;
	struct sip_nameaddr na;
	struct sip_cseq cs;
	unsigned k;

	answered_media_call();
	cr_expect_eq(net.events[UMEDGE_EV_CallStarted], 1);
	cr_expect(strstr(net.last_event, "call=1 call_id=call1@192.0.2.20 gateway=pbx2 "
					 "dial_plan=dp-plain mode=unsecured transport=udp") != NULL,
		  "%s", net.last_event);
	cr_expect_eq(sip_proxy_call_drop(px, 99, "x"), -ENOENT);
	k = net.n;
	fx_media.packets = 7;
	cr_assert_eq(sip_proxy_call_drop(px, 1, "dropped by the operator"), 0);
	cr_assert_eq(net.n, k + 2);
	for (unsigned i = k; i < k + 2; i++) {
		m = sent(i);
		cr_expect_eq(m->method, SIP_METHOD_BYE);
		cr_expect(has(i, "Reason: SIP;cause=200;text=\"dropped by the operator\""));
		cr_assert_eq(sip_msg_cseq(m, &cs), 0);
		if (net.sent[i].to.side == SIP_SIDE_EXTERNAL) {
			/* to the caller, as the application would: From its tag */
			cr_expect(starts(i, "BYE sip:+12065550123@192.0.2.20:5060 SIP/2.0"));
			cr_expect_eq(net.sent[i].to.addr, PBX_ADDR);
			cr_assert_eq(sip_msg_from(m, &na), 0);
			cr_expect(na.tag.len == 4 && memcmp(na.tag.p, "appd", 4) == 0);
			cr_expect_eq(cs.num, 1, "the application had sent nothing: CSeq 1");
		} else {
			cr_expect(starts(i, "BYE sip:4000@198.51.100.20:5060 SIP/2.0"));
			cr_expect_eq(net.sent[i].to.addr, APP_ADDR);
			cr_assert_eq(sip_msg_from(m, &na), 0);
			cr_expect(na.tag.len == 2 && memcmp(na.tag.p, "f1", 2) == 0);
			cr_expect_eq(cs.num, 2, "after the caller's INVITE (CSeq 1)");
		}
	}
	cr_expect_eq(fx_media.live, 0);
	cr_expect_eq(sip_proxy_calls(px), 0);
	cr_expect_eq(sip_proxy_stats(px)->calls_dropped, 1);
	cr_expect_eq(net.events[UMEDGE_EV_CallEnded], 1);
	cr_expect(strstr(net.last_event, "packets_in=7 packets_out=7") != NULL, "%s",
		  net.last_event);
	cr_expect(strstr(net.last_event, "reason=dropped by the operator") != NULL);
	/* the BYEs' answers are absorbed */
	input(&from_pbx, answer(k, 200, "OK", NULL, NULL, 0));
	input(&from_app, answer(k + 1, 200, "OK", NULL, NULL, 0));
	cr_expect_eq(net.n, k + 2);
}

/* Media silent past the timeout: the engine ends the call both ways and
 * raises CallMediaTimeout; on hold it does not. */
Test(sip_proxy, media_timeout_ends_the_call)
{
	unsigned k;

	answered_media_call();
	fx_media.idle_ms = 10000;
	k = net.n;
	run_until(net.now + 2000);
	cr_expect_eq(net.n, k, "10 s of silence: under the 30 s timeout");
	fx_media.idle_ms = 31000;
	/* within the second the media check takes to look at every call
	 * (stop there: the BYEs' own retransmissions follow) */
	for (unsigned t = 0; t < 1001 && net.n == k; t++)
		sip_proxy_advance(px, ++net.now);
	cr_assert_eq(net.n, k + 2, "BYE both ways");
	cr_expect(starts(k, "BYE ") && starts(k + 1, "BYE "));
	cr_expect(has(k, "text=\"media timeout\""));
	cr_expect_eq(net.events[UMEDGE_EV_CallMediaTimeout], 1);
	cr_expect_eq(net.events[UMEDGE_EV_CallEnded], 1);
	cr_expect_eq(sip_proxy_stats(px)->calls_media_timeout, 1);
	cr_expect_eq(fx_media.live, 0);
}

Test(sip_proxy, failures_counted_by_code)
{
	input(&from_pbx, PBX_INVITE("z9hG4bKf1", ""));
	input(&from_app, answer(1, 486, "Busy Here", "b1", NULL, 0));
	cr_expect_eq(sip_proxy_stats(px)->calls_failed, 1);
	cr_expect_eq(sip_proxy_stats(px)->calls_failed_by_code[486 - 300], 1);
	cr_expect_eq(net.events[UMEDGE_EV_CallEnded], 0, "never answered: no CallEnded");
}

#define GW_KEY2 "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk"

/* A re-INVITE from gw1 in call s1 (To tag "app9"), CSeq cseq, with sdp. */
static const char *gw1_reinvite(char *out, size_t cap, const char *branch, unsigned cseq,
				const char *sdp)
{
	char msg[2048];

	snprintf(msg, sizeof(msg),
		 "INVITE sip:4000@198.51.100.20:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=%s\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"
		 "To: <sip:+14255550100@203.0.113.1>;tag=app9\r\nCall-ID: s1\r\n"
		 "CSeq: %u INVITE\r\nContact: <sip:a@192.0.2.10:5061;transport=tls>\r\n"
		 "Content-Length: 0\r\n\r\n",
		 branch, cseq);
	return with_sdp(out, cap, msg, sdp);
}

/* A secured call answered (the gateway's key GW_KEY): index of the 200
 * sent to the gateway. */
static unsigned secured_call(void)
{
	char sdp[1024], msg[4096];
	const struct sip_hdr_out ex[] = { { "Contact", "<sip:4000@198.51.100.20:5060>" } };

	input(&from_gw1_tls,
	      with_sdp(msg, sizeof(msg), GW1_INVITE("z9hG4bKr1", "1"),
		       sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20100, "RTP/SAVP",
			      "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" GW_KEY "\r\n")));
	cr_assert_eq(net.n, 2);
	input(&from_app, with_sdp(msg, sizeof(msg), answer(1, 200, "OK", "app9", ex, 1),
				  sdp_of(sdp, sizeof(sdp), "198.51.100.20", 22100, "RTP/AVP", "")));
	cr_assert_eq(net.n, 3);
	cr_assert_eq(fx_media.applied, 1);
	return 2;
}

/* The application's answer to the re-INVITE sent as message i. */
static void app_answers(unsigned i, unsigned status, const char *dir)
{
	char sdp[1024], msg[4096];
	const struct sip_hdr_out ex[] = { { "Contact", "<sip:4000@198.51.100.20:5060>" } };

	if (status != 200) {
		input(&from_app, answer(i, status, "Not Here", "app9", NULL, 0));
		return;
	}
	input(&from_app, with_sdp(msg, sizeof(msg), answer(i, 200, "OK", "app9", ex, 1),
				  sdp_of(sdp, sizeof(sdp), "198.51.100.20", 22100, "RTP/AVP", dir)));
}

/* Re-INVITE to a new port and a new key: the session follows; the
 * engine's own key stays, so the gateway's answer carries the same one. */
Test(sip_proxy, reinvite_new_port_and_key)
{
	char sdp[1024], msg[4096];
	uint8_t engine_key[30];
	const struct sdp *s;
	struct sdp_crypto cr;
	unsigned k;

	secured_call();
	memcpy(engine_key, fx_media.key_out, 30);
	k = net.n;
	input(&from_gw1_tls, gw1_reinvite(msg, sizeof(msg), "z9hG4bKr2", 2,
					  sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20102, "RTP/SAVP",
						 "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" GW_KEY2
						 "\r\n")));
	cr_assert_eq(net.n, k + 2, "100 and the re-INVITE");
	s = sdp_sent(k + 1);
	cr_expect(!s->media[0].savp);
	cr_expect_eq(s->media[0].port, 40000, "the same engine port to the application");
	cr_expect(memmem(net.sent[k + 1].buf, net.sent[k + 1].len, "o=- ", 4) != NULL);
	app_answers(k + 1, 200, "");
	cr_assert_eq(net.n, k + 3);
	s = sdp_sent(k + 2);
	cr_assert_eq(s->media[0].n_crypto, 1);
	sdp_crypto_parse(&cr, sdp_attr_value(&s->lines[s->media[0].crypto[0]]));
	cr_expect_eq(memcmp(cr.keys[0].key_salt, engine_key, 30), 0, "the engine's key stays");
	sdp_crypto_wipe(&cr);
	cr_expect_eq(fx_media.applied, 2);
	cr_expect_eq(fx_media.live, 1, "the same session, updated");
	cr_expect_eq(fx_media.last.remote_port[SIP_SIDE_EXTERNAL], 20102);
	cr_expect(fx_media.last.rekey_in, "the gateway's new key");
	cr_expect(!fx_media.last.rekey_out);
	cr_expect_eq(memcmp(fx_media.key_in, "ABCDEFGH", 8), 0);
}

/* Hold (a=inactive) and resume; a refused re-INVITE keeps what was. */
Test(sip_proxy, hold_resume_and_refused_reinvite)
{
	char sdp[1024], msg[4096];
	const char *crypto = "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" GW_KEY "\r\n";
	unsigned k;

	secured_call();
	/* hold */
	k = net.n;
	input(&from_gw1_tls, gw1_reinvite(msg, sizeof(msg), "z9hG4bKh1", 2,
					  sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20100, "RTP/SAVP",
						 "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" GW_KEY
						 "\r\na=inactive\r\n")));
	cr_assert_eq(net.n, k + 2);
	cr_expect(has(k + 1, "a=inactive"), "the hold reaches the application");
	app_answers(k + 1, 200, "a=inactive\r\n");
	cr_expect_eq(fx_media.last.dir, SDP_INACTIVE);
	/* on hold, silence does not end the call */
	fx_media.idle_ms = 100000;
	k = net.n;
	run_until(net.now + 2000);
	cr_expect_eq(net.n, k, "no BYE while on hold");
	/* resume */
	input(&from_gw1_tls, gw1_reinvite(msg, sizeof(msg), "z9hG4bKh2", 3,
					  sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20100, "RTP/SAVP",
						 crypto)));
	cr_assert_eq(net.n, k + 2);
	fx_media.idle_ms = 0;
	app_answers(k + 1, 200, "");
	cr_expect_eq(fx_media.last.dir, SDP_SENDRECV);
	cr_expect_eq(fx_media.applied, 3);
	/* RTP offered in a secured call: 488, nothing changes */
	k = net.n;
	input(&from_gw1_tls, gw1_reinvite(msg, sizeof(msg), "z9hG4bKh3", 4,
					  sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20200, "RTP/AVP", "")));
	cr_expect(starts(net.n - 1, "SIP/2.0 488 Not Acceptable Here"));
	cr_expect_eq(fx_media.applied, 3);
	cr_expect_eq(fx_media.live, 1, "the call and its media stay");
	/* the application refuses a re-INVITE: the last exchange stays */
	k = net.n;
	input(&from_gw1_tls, gw1_reinvite(msg, sizeof(msg), "z9hG4bKh4", 5,
					  sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20300, "RTP/SAVP",
						 crypto)));
	cr_assert(starts(net.n - 1, "INVITE "));
	app_answers(net.n - 1, 488, NULL);
	cr_expect(starts(net.n - 1, "SIP/2.0 488"), "%.*s", 30, net.sent[net.n - 1].buf);
	cr_expect_eq(fx_media.applied, 3);
	cr_expect_eq(fx_media.last.remote_port[SIP_SIDE_EXTERNAL], 20100);
	cr_expect_eq(sip_proxy_calls(px), 1);
	/* and a later re-INVITE still works from the kept state */
	input(&from_gw1_tls, gw1_reinvite(msg, sizeof(msg), "z9hG4bKh5", 6,
					  sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20400, "RTP/SAVP",
						 crypto)));
	app_answers(net.n - 1, 200, "");
	cr_expect_eq(fx_media.applied, 4);
	cr_expect_eq(fx_media.last.remote_port[SIP_SIDE_EXTERNAL], 20400);
	cr_expect(!fx_media.last.rekey_in, "the same key as the kept exchange");
}

/* The ACK of the 2xx sent to gw1 as message i (call s1, To tag app9),
 * with sdp. */
static const char *gw1_ack(char *out, size_t cap, const char *sdp)
{
	const char *msg = "ACK sip:4000@198.51.100.20:5060 SIP/2.0\r\n"
			  "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKlateack\r\n"
			  "Max-Forwards: 70\r\nFrom: <sip:a@gw1.example.test>;tag=g1\r\n"
			  "To: <sip:+14255550100@203.0.113.1>;tag=app9\r\nCall-ID: s1\r\n"
			  "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";

	return with_sdp(out, cap, msg, sdp);
}

/* Late offer in a secured call: the INVITE has no SDP, the application
 * offers RTP/AVP in its 200, the gateway gets the plan's suites and
 * answers in its ACK; the 200 again carries the same offer. */
Test(sip_proxy, late_offer_secured)
{
	char sdp[1024], msg[4096], first[4096];
	const struct sip_hdr_out ex[] = { { "Contact", "<sip:4000@198.51.100.20:5060>" } };
	const struct sdp *s;
	size_t first_len;
	unsigned k;

	plans[0].suites[0] = UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80;
	plans[0].suites[1] = UMEDGE_SRTP_AEAD_AES_128_GCM;
	plans[0].n_suites = 2;
	input(&from_gw1_tls, GW1_INVITE("z9hG4bKl1", "1"));
	cr_assert_eq(net.n, 2);
	with_sdp(msg, sizeof(msg), answer(1, 200, "OK", "app9", ex, 1),
		 sdp_of(sdp, sizeof(sdp), "198.51.100.20", 22200, "RTP/AVP", ""));
	input(&from_app, msg);
	cr_assert_eq(net.n, 3);
	s = sdp_sent(2);
	cr_expect(s->media[0].savp);
	cr_expect_eq(s->media[0].n_crypto, 2, "the plan's two suites");
	cr_expect_eq(s->c.ipv4, EXT_ADDR);
	first_len = net.sent[2].len;
	memcpy(first, net.sent[2].buf, first_len);
	input(&from_app, msg);
	cr_assert_eq(net.n, 4);
	cr_expect(net.sent[3].len == first_len && memcmp(net.sent[3].buf, first, first_len) == 0,
		  "the 2xx again: the same offer, the same keys");
	cr_expect_eq(fx_media.live, 0, "nothing installed before the answer");
	/* the gateway answers in its ACK, AEAD_AES_128_GCM under tag 2 */
	k = net.n;
	input(&from_gw1_tls,
	      gw1_ack(msg, sizeof(msg),
		      sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20200, "RTP/SAVP",
			     "a=crypto:2 AEAD_AES_128_GCM inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYg==\r\n")));
	cr_assert_eq(net.n, k + 1);
	cr_expect(starts(k, "ACK "));
	s = sdp_sent(k);
	cr_expect(!s->media[0].savp, "RTP/AVP to the application");
	cr_expect_eq(s->c.ipv4, INT_ADDR);
	cr_expect_eq(fx_media.live, 1);
	cr_expect(fx_media.last.srtp);
	cr_expect_eq(fx_media.last.suite, UMEDGE_SRTP_AEAD_AES_128_GCM);
	cr_expect_eq(fx_media.last.remote_port[SIP_SIDE_EXTERNAL], 20200);
	cr_expect_eq(fx_media.last.remote_port[SIP_SIDE_INTERNAL], 22200);
	cr_expect_eq(memcmp(fx_media.key_in, "ABCDEFGH", 8), 0);
	/* the 200 once more, after the ACK: the same offer, the media as it was */
	k = net.n;
	with_sdp(msg, sizeof(msg), answer(1, 200, "OK", "app9", ex, 1),
		 sdp_of(sdp, sizeof(sdp), "198.51.100.20", 22200, "RTP/AVP", ""));
	input(&from_app, msg);
	cr_assert_eq(net.n, k + 1);
	cr_expect(net.sent[k].len == first_len && memcmp(net.sent[k].buf, first, first_len) == 0);
	cr_expect_eq(fx_media.applied, 1);
	plans[0].n_suites = 0;
}

/* Late offer answered against the mode (RTP in a secured call): the ACK
 * cannot be refused, so the call ends both ways. */
Test(sip_proxy, late_offer_refused_answer_ends_the_call)
{
	char sdp[1024], msg[4096];
	const struct sip_hdr_out ex[] = { { "Contact", "<sip:4000@198.51.100.20:5060>" } };
	unsigned k;

	input(&from_gw1_tls, GW1_INVITE("z9hG4bKl2", "1"));
	input(&from_app, with_sdp(msg, sizeof(msg), answer(1, 200, "OK", "app9", ex, 1),
				  sdp_of(sdp, sizeof(sdp), "198.51.100.20", 22200, "RTP/AVP", "")));
	cr_assert_eq(net.n, 3);
	k = net.n;
	input(&from_gw1_tls, gw1_ack(msg, sizeof(msg),
				     sdp_of(sdp, sizeof(sdp), "192.0.2.10", 20200, "RTP/AVP", "")));
	cr_expect_eq(net.events[UMEDGE_EV_VoipSecurityMismatch], 1);
	cr_expect_eq(fx_media.live, 0);
	cr_expect_eq(fx_media.opened, fx_media.closed);
	cr_expect_eq(sip_proxy_calls(px), 0);
	{
		unsigned byes = 0, acks = 0;

		for (unsigned i = k; i < net.n; i++) {
			byes += starts(i, "BYE ");
			acks += starts(i, "ACK ") && !has(i, "m=audio");
		}
		cr_expect_eq(byes, 2, "BYE both ways");
		cr_expect_eq(acks, 1, "the ACK goes on, without the refused SDP");
	}
}

/* A BYE from the application side ends the call's media too. */
Test(sip_proxy, bye_from_the_application_removes_the_media)
{
	answered_media_call();
	input(&from_app,
	      "BYE sip:+12065550123@192.0.2.20:5060 SIP/2.0\r\n"
	      "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bKappbye\r\n"
	      "Max-Forwards: 70\r\nFrom: <sip:4000@203.0.113.1>;tag=appd\r\n"
	      "To: <sip:+12065550123@192.0.2.20>;tag=f1\r\nCall-ID: call1@192.0.2.20\r\n"
	      "CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n");
	cr_expect(starts(net.n - 1, "BYE sip:+12065550123@192.0.2.20:5060"));
	cr_expect_eq(fx_media.live, 0);
	cr_expect_eq(fx_media.opened, fx_media.closed);
	cr_expect_eq(net.events[UMEDGE_EV_CallEnded], 1);
	cr_expect(strstr(net.last_event, "reason=bye") != NULL, "%s", net.last_event);
}
