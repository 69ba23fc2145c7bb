/*
 * test_sip_txn.c: RFC 3261 section 17 transactions (and RFC 6026's
 * Accepted state) on an injected clock, through a recording transport:
 * every timer from A to M at the time the RFC gives, retransmissions only
 * on UDP, matching with and without the magic cookie, CANCEL to its
 * INVITE, the table's bound, and 10,000 concurrent transactions run to
 * their end with nothing left behind.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_txn.h"

/* ---- a recording transport and transaction user ---- */

#define MAX_SENT 256

struct sent {
	struct sip_peer to;
	uint64_t at;
	char buf[2048];
	size_t len;
};

static struct {
	uint64_t now;
	struct sent sent[MAX_SENT];
	unsigned n_sent;
	int send_rc;		  /* what send returns */
	unsigned responses, last_status;
	unsigned failures[4];
	unsigned terminated;
	struct sip_txn *last_failed;
} w;

static int rec_send(void *user, const struct sip_peer *to, const char *buf, size_t len)
{
	(void)user;
	if (w.send_rc != 0)
		return w.send_rc;
	if (w.n_sent < MAX_SENT) {
		struct sent *s = &w.sent[w.n_sent];

		s->to = *to;
		s->at = w.now;
		s->len = len < sizeof(s->buf) ? len : sizeof(s->buf);
		memcpy(s->buf, buf, s->len);
	}
	w.n_sent++;
	return 0;
}

static void rec_response(void *user, struct sip_txn *ct, const struct sip_msg *rsp,
			 const struct sip_peer *from)
{
	(void)user;
	(void)ct;
	(void)from;
	w.responses++;
	w.last_status = rsp->status;
}

static void rec_failure(void *user, struct sip_txn *ct, enum sip_txn_failure why)
{
	(void)user;
	w.failures[why]++;
	w.last_failed = ct;
}

static void rec_terminated(void *user, struct sip_txn *t)
{
	(void)user;
	(void)t;
	w.terminated++;
}

static const struct sip_txn_ops ops = { rec_send, rec_response, rec_failure, rec_terminated };
static const struct sip_txn_config cfg = SIP_TXN_CONFIG_DEFAULT_INIT;
static const struct sip_peer gw_udp = { SIP_SIDE_EXTERNAL, UMEDGE_TRANSPORT_UDP, 5060, 0xc000020a, 0 };
static const struct sip_peer gw_tls = { SIP_SIDE_EXTERNAL, UMEDGE_TRANSPORT_TLS, 5061, 0xc000020a, 7 };
static const struct sip_peer app_udp = { SIP_SIDE_INTERNAL, UMEDGE_TRANSPORT_UDP, 5060, 0xc6336414, 0 };

static struct sip_txn_table *table(const struct sip_txn_config *c)
{
	struct sip_txn_table *tt;

	memset(&w, 0, sizeof(w));
	w.now = 1000;
	tt = sip_txn_table_new(c != NULL ? c : &cfg, &ops, NULL, w.now);
	cr_assert_not_null(tt);
	return tt;
}

/* The clock moves 1 ms at a time, as a worker's loop would move it. */
static void run_until(struct sip_txn_table *tt, uint64_t t)
{
	while (w.now < t) {
		w.now++;
		sip_txn_advance(tt, w.now);
	}
}

/* Sends since index `from` whose first line starts with `what`. */
static unsigned sends_of(unsigned from, const char *what)
{
	unsigned n = 0;

	for (unsigned i = from; i < w.n_sent && i < MAX_SENT; i++)
		n += strncmp(w.sent[i].buf, what, strlen(what)) == 0;
	return n;
}

/* ---- messages ---- */

static char req_buf[4][2048];
static struct sip_msg req_msg[4];

/* A request from the gateway (slot 0..3), parsed. */
static const struct sip_msg *request(int slot, const char *method, const char *branch,
				     unsigned cseq, const char *cseq_method)
{
	int n = snprintf(req_buf[slot], sizeof(req_buf[slot]),
			 "%s sip:+14255550100@203.0.113.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.10:5060%s%s\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:+12065550123@192.0.2.10>;tag=f1\r\n"
			 "To: <sip:+14255550100@203.0.113.1>\r\n"
			 "Call-ID: c1@192.0.2.10\r\n"
			 "CSeq: %u %s\r\n"
			 "Content-Length: 0\r\n\r\n",
			 method, branch ? ";branch=" : "", branch ? branch : "", cseq,
			 cseq_method ? cseq_method : method);

	cr_assert_eq(sip_msg_parse(&req_msg[slot], req_buf[slot], (size_t)n, NULL), SIP_E_OK);
	cr_assert_eq(sip_msg_check(&req_msg[slot]), SIP_E_OK);
	return &req_msg[slot];
}

/* A response to request slot, as bytes. */
static size_t response(char *out, size_t cap, int slot, unsigned status, const char *to_tag)
{
	long n = sip_reply_build(&req_msg[slot], status, status == 200 ? "OK" : "Whatever",
				 to_tag, NULL, 0, out, cap);

	cr_assert_gt(n, 0);
	return (size_t)n;
}

/* Our request towards the application (client side), as bytes. */
static size_t our_request(char *out, size_t cap, const char *method, const char *branch)
{
	int n = snprintf(out, cap,
			 "%s sip:4255550100@198.51.100.20 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 198.51.100.1;branch=%s\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKgw1\r\n"
			 "Route: <sip:198.51.100.20;lr>\r\n"
			 "Max-Forwards: 69\r\n"
			 "From: <sip:+12065550123@192.0.2.10>;tag=f1\r\n"
			 "To: <sip:+14255550100@203.0.113.1>\r\n"
			 "Call-ID: c1@192.0.2.10\r\n"
			 "CSeq: 1 %s\r\n"
			 "Content-Length: 0\r\n\r\n",
			 method, branch, method);

	return (size_t)n;
}

/* The application's response to our request, parsed into m. */
static void app_response(struct sip_msg *m, char *buf, size_t cap, const char *branch,
			 const char *method, unsigned status)
{
	int n = snprintf(buf, cap,
			 "SIP/2.0 %u X\r\n"
			 "Via: SIP/2.0/UDP 198.51.100.1;branch=%s\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKgw1\r\n"
			 "From: <sip:+12065550123@192.0.2.10>;tag=f1\r\n"
			 "To: <sip:+14255550100@203.0.113.1>;tag=app9\r\n"
			 "Call-ID: c1@192.0.2.10\r\n"
			 "CSeq: 1 %s\r\n"
			 "Content-Length: 0\r\n\r\n",
			 status, branch, method);

	cr_assert_eq(sip_msg_parse(m, buf, (size_t)n, NULL), SIP_E_OK);
}

/* ---- server transactions ---- */

Test(sip_txn, server_non_invite_udp_timer_j)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *st, *again;
	char rsp[1024];
	size_t n;

	cr_assert_eq(sip_txn_server_recv(tt, request(0, "OPTIONS", "z9hG4bKo1", 1, NULL), &gw_udp,
					 &st),
		     SIP_TXN_RX_NEW);
	cr_expect_eq(sip_txn_state(st), SIP_TXN_TRYING);
	/* a retransmission before any response: absorbed, nothing sent */
	cr_expect_eq(sip_txn_server_recv(tt, &req_msg[0], &gw_udp, &again), SIP_TXN_RX_ABSORBED);
	cr_expect_eq(w.n_sent, 0);
	n = response(rsp, sizeof(rsp), 0, 200, "t1");
	cr_assert_eq(sip_txn_server_respond(st, rsp, n), 0);
	cr_expect_eq(w.n_sent, 1);
	cr_expect_eq(w.sent[0].to.addr, gw_udp.addr);
	cr_expect_eq(sip_txn_state(st), SIP_TXN_COMPLETED);
	/* a retransmission now gets the 200 again */
	cr_expect_eq(sip_txn_server_recv(tt, &req_msg[0], &gw_udp, &again), SIP_TXN_RX_ABSORBED);
	cr_expect_eq(w.n_sent, 2);
	cr_expect_eq(sip_txn_server_respond(st, rsp, n), -EINVAL, "one final only");
	/* timer J = 64*T1 */
	run_until(tt, 1000 + 32000 - 1);
	cr_expect_eq(sip_txn_count(tt), 1);
	run_until(tt, 1000 + 32000);
	cr_expect_eq(sip_txn_count(tt), 0);
	cr_expect_eq(w.terminated, 1);
	sip_txn_table_free(tt);
}

Test(sip_txn, server_non_invite_reliable_ends_at_once)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *st;
	char rsp[1024];
	size_t n;

	cr_assert_eq(sip_txn_server_recv(tt, request(0, "OPTIONS", "z9hG4bKo2", 1, NULL), &gw_tls,
					 &st),
		     SIP_TXN_RX_NEW);
	n = response(rsp, sizeof(rsp), 0, 200, "t1");
	cr_assert_eq(sip_txn_server_respond(st, rsp, n), 0);
	cr_expect_eq(w.sent[0].to.conn, 7, "back on the connection it came on");
	run_until(tt, w.now + 1);
	cr_expect_eq(sip_txn_count(tt), 0);
	sip_txn_table_free(tt);
}

/* 486 over UDP: G at T1, 2T1, 4T1, then T2 until H at 64*T1 (no ACK). */
Test(sip_txn, server_invite_timers_g_and_h)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *st;
	char rsp[1024];
	size_t n;
	uint64_t t0;
	static const uint64_t g[] = { 500, 1500, 3500, 7500, 11500, 15500, 19500,
				      23500, 27500, 31500 };

	cr_assert_eq(sip_txn_server_recv(tt, request(0, "INVITE", "z9hG4bKi1", 1, NULL), &gw_udp,
					 &st),
		     SIP_TXN_RX_NEW);
	cr_expect_eq(sip_txn_state(st), SIP_TXN_PROCEEDING);
	n = response(rsp, sizeof(rsp), 0, 486, "t1");
	t0 = w.now;
	cr_assert_eq(sip_txn_server_respond(st, rsp, n), 0);
	run_until(tt, t0 + 32000);
	cr_expect_eq(sip_txn_count(tt), 0, "H ended it");
	cr_expect_eq(sip_txn_stats(tt)->timeouts_h, 1);
	cr_assert_eq(w.n_sent, 1 + sizeof(g) / sizeof(g[0]));
	cr_expect_eq(sends_of(0, "SIP/2.0 486 "), w.n_sent, "every one the 486");
	for (unsigned i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		cr_expect_eq(w.sent[i + 1].at - t0, g[i], "G #%u at %llu", i,
			     (unsigned long long)(w.sent[i + 1].at - t0));
	sip_txn_table_free(tt);
}

/* The ACK stops G; I absorbs ACK retransmissions for T4, then the end. */
Test(sip_txn, server_invite_ack_confirms_timer_i)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *st, *x;
	char rsp[1024];
	size_t n;
	uint64_t t0;

	cr_assert_eq(sip_txn_server_recv(tt, request(0, "INVITE", "z9hG4bKi2", 1, NULL), &gw_udp,
					 &st),
		     SIP_TXN_RX_NEW);
	n = response(rsp, sizeof(rsp), 0, 603, "t1");
	cr_assert_eq(sip_txn_server_respond(st, rsp, n), 0);
	run_until(tt, w.now + 600); /* one G */
	cr_expect_eq(w.n_sent, 2);
	/* the ACK for a non-2xx has the INVITE's branch */
	cr_expect_eq(sip_txn_server_recv(tt, request(1, "ACK", "z9hG4bKi2", 1, NULL), &gw_udp, &x),
		     SIP_TXN_RX_ABSORBED);
	cr_expect_eq(sip_txn_state(st), SIP_TXN_CONFIRMED);
	t0 = w.now;
	cr_expect_eq(sip_txn_server_recv(tt, &req_msg[1], &gw_udp, &x), SIP_TXN_RX_ABSORBED);
	run_until(tt, t0 + 5000 - 1);
	cr_expect_eq(w.n_sent, 2, "no G after the ACK");
	cr_expect_eq(sip_txn_count(tt), 1);
	run_until(tt, t0 + 5000);
	cr_expect_eq(sip_txn_count(tt), 0, "timer I = T4");
	sip_txn_table_free(tt);
}

/* RFC 6026: 2xx -> Accepted; INVITE retransmissions absorbed without a
 * resend, 2xx retransmissions from the user sent, the ACK of the 2xx is
 * the user's, L ends it. */
Test(sip_txn, server_invite_accepted_timer_l)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *st, *x;
	char rsp[1024];
	size_t n;
	uint64_t t0;

	cr_assert_eq(sip_txn_server_recv(tt, request(0, "INVITE", "z9hG4bKi3", 1, NULL), &gw_udp,
					 &st),
		     SIP_TXN_RX_NEW);
	n = response(rsp, sizeof(rsp), 0, 180, "t1");
	cr_assert_eq(sip_txn_server_respond(st, rsp, n), 0);
	/* a retransmitted INVITE in Proceeding gets the 180 again */
	cr_expect_eq(sip_txn_server_recv(tt, &req_msg[0], &gw_udp, &x), SIP_TXN_RX_ABSORBED);
	cr_expect_eq(w.n_sent, 2);
	n = response(rsp, sizeof(rsp), 0, 200, "t1");
	t0 = w.now;
	cr_assert_eq(sip_txn_server_respond(st, rsp, n), 0);
	cr_expect_eq(sip_txn_state(st), SIP_TXN_ACCEPTED);
	cr_expect_eq(sip_txn_server_recv(tt, &req_msg[0], &gw_udp, &x), SIP_TXN_RX_ABSORBED);
	cr_expect_eq(w.n_sent, 3, "Accepted absorbs the INVITE without a resend");
	cr_expect_eq(sip_txn_server_respond(st, rsp, n), 0, "2xx retransmission passes");
	cr_expect_eq(w.n_sent, 4);
	cr_expect_eq(sip_txn_server_respond(st, rsp, response(rsp, sizeof(rsp), 0, 486, "t1")),
		     -EINVAL);
	/* the ACK of a 2xx has its own branch: end to end */
	cr_expect_eq(sip_txn_server_recv(tt, request(1, "ACK", "z9hG4bKack", 1, NULL), &gw_udp,
					 &x),
		     SIP_TXN_RX_ACK_2XX);
	run_until(tt, t0 + 32000);
	cr_expect_eq(sip_txn_count(tt), 0, "timer L");
	sip_txn_table_free(tt);
}

Test(sip_txn, matching_rules)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *a, *b, *x;
	struct sip_peer other = gw_udp;

	/* same branch, other method: two transactions (CANCEL is its own) */
	cr_assert_eq(sip_txn_server_recv(tt, request(0, "INVITE", "z9hG4bKm1", 1, NULL), &gw_udp,
					 &a),
		     SIP_TXN_RX_NEW);
	cr_assert_eq(sip_txn_server_recv(tt, request(1, "CANCEL", "z9hG4bKm1", 1, NULL), &gw_udp,
					 &b),
		     SIP_TXN_RX_NEW);
	cr_expect_neq(a, b);
	cr_expect_eq(sip_txn_find_invite(tt, &req_msg[1]), a, "CANCEL finds its INVITE");
	/* same branch from another sent-by: another transaction */
	other.addr++;
	{
		static char buf[2048];
		struct sip_msg m;
		int n = snprintf(buf, sizeof(buf), "%s", req_buf[0]);
		char *via = strstr(buf, "192.0.2.10:5060");

		memcpy(via, "192.0.2.11", 10);
		cr_assert_eq(sip_msg_parse(&m, buf, (size_t)n, NULL), SIP_E_OK);
		cr_expect_eq(sip_txn_server_recv(tt, &m, &other, &x), SIP_TXN_RX_NEW);
	}
	/* RFC 2543: no magic cookie, matched on the request's fields */
	cr_assert_eq(sip_txn_server_recv(tt, request(2, "INVITE", NULL, 5, NULL), &gw_udp, &a),
		     SIP_TXN_RX_NEW);
	cr_expect_eq(sip_txn_server_recv(tt, &req_msg[2], &gw_udp, &x), SIP_TXN_RX_ABSORBED);
	cr_expect_eq(sip_txn_server_recv(tt, request(3, "INVITE", "1234", 6, NULL), &gw_udp, &x),
		     SIP_TXN_RX_NEW, "another CSeq is another transaction");
	cr_expect_eq(sip_txn_count(tt), 5);
	sip_txn_table_free(tt);
	cr_expect_eq(w.terminated, 5, "freeing the table ends every transaction");
}

Test(sip_txn, table_bound_and_503)
{
	struct sip_txn_config small = cfg;
	struct sip_txn_table *tt;
	struct sip_txn *st;
	char branch[32];

	small.max_txns = 4;
	tt = table(&small);
	for (int i = 0; i < 4; i++) {
		snprintf(branch, sizeof(branch), "z9hG4bKb%d", i);
		cr_assert_eq(sip_txn_server_recv(tt, request(0, "OPTIONS", branch, 1, NULL),
						 &gw_tls, &st),
			     SIP_TXN_RX_NEW);
	}
	cr_expect_eq(sip_txn_server_recv(tt, request(0, "OPTIONS", "z9hG4bKb9", 1, NULL), &gw_tls,
					 &st),
		     SIP_TXN_RX_FULL);
	cr_expect_eq(sip_txn_stats(tt)->table_full, 1);
	/* the caller can still answer 503 statelessly from the request */
	sip_txn_table_free(tt);
}

/* ---- client transactions ---- */

/* No answer over UDP: A at T1, 2T1, 4T1... and B at 64*T1. */
Test(sip_txn, client_invite_timers_a_and_b)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *ct;
	char req[2048];
	size_t n = our_request(req, sizeof(req), "INVITE", "z9hG4bKc1");
	uint64_t t0 = w.now;
	static const uint64_t a[] = { 500, 1500, 3500, 7500, 15500, 31500 };

	cr_assert_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), 0);
	cr_expect_eq(sip_txn_state(ct), SIP_TXN_CALLING);
	run_until(tt, t0 + 32000);
	cr_expect_eq(w.failures[SIP_TXN_TIMER_B], 1);
	cr_expect_eq(sip_txn_count(tt), 0);
	cr_assert_eq(w.n_sent, 1 + 6);
	for (unsigned i = 0; i < 6; i++)
		cr_expect_eq(w.sent[i + 1].at - t0, a[i], "A #%u", i);
	sip_txn_table_free(tt);
}

Test(sip_txn, client_invite_reliable_no_retransmission)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *ct;
	char req[2048];
	size_t n = our_request(req, sizeof(req), "INVITE", "z9hG4bKc2");
	struct sip_peer app_tcp = app_udp;

	app_tcp.transport = UMEDGE_TRANSPORT_TCP;
	cr_assert_eq(sip_txn_client_start(tt, req, n, &app_tcp, NULL, &ct), 0);
	run_until(tt, w.now + 32000);
	cr_expect_eq(w.n_sent, 1);
	cr_expect_eq(w.failures[SIP_TXN_TIMER_B], 1);
	sip_txn_table_free(tt);
}

/* 180 stops A; 486 gets our ACK (hop by hop), again for each
 * retransmitted 486; D ends it after 32 s. */
Test(sip_txn, client_invite_non_2xx_ack_and_timer_d)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *ct;
	char req[2048], rbuf[1024];
	struct sip_msg rsp, ack;
	size_t n = our_request(req, sizeof(req), "INVITE", "z9hG4bKc3");
	struct sip_cseq cs;
	struct sip_nameaddr to;
	uint64_t t0;

	cr_assert_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), 0);
	app_response(&rsp, rbuf, sizeof(rbuf), "z9hG4bKc3", "INVITE", 180);
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0);
	cr_expect_eq(sip_txn_state(ct), SIP_TXN_PROCEEDING);
	cr_expect_eq(w.last_status, 180);
	run_until(tt, w.now + 40000);
	cr_expect_eq(w.n_sent, 1, "no A in Proceeding, no B either");
	cr_expect_eq(sip_txn_count(tt), 1);
	app_response(&rsp, rbuf, sizeof(rbuf), "z9hG4bKc3", "INVITE", 486);
	t0 = w.now;
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0);
	cr_expect_eq(w.last_status, 486);
	cr_assert_eq(w.n_sent, 2);
	cr_assert_eq(sip_msg_parse(&ack, w.sent[1].buf, w.sent[1].len, NULL), SIP_E_OK);
	cr_expect_eq(sip_msg_check(&ack), SIP_E_OK);
	cr_expect_eq(ack.method, SIP_METHOD_ACK);
	cr_expect_eq(ack.n_vias, 1, "only our Via");
	cr_assert_eq(sip_msg_cseq(&ack, &cs), 0);
	cr_expect_eq(cs.num, 1);
	cr_assert_eq(sip_msg_to(&ack, &to), 0);
	cr_expect(to.tag.len == 4 && memcmp(to.tag.p, "app9", 4) == 0, "the response's To tag");
	cr_expect_eq(ack.count[SIP_HDR_ROUTE], 1, "the INVITE's Route");
	/* a retransmitted 486: absorbed, ACKed again, not delivered */
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0);
	cr_expect_eq(w.n_sent, 3);
	cr_expect_eq(sends_of(1, "ACK sip:4255550100@198.51.100.20 SIP/2.0"), 2);
	cr_expect_eq(w.responses, 2);
	run_until(tt, t0 + 32000);
	cr_expect_eq(sip_txn_count(tt), 0, "timer D");
	sip_txn_table_free(tt);
}

/* 200: Accepted (RFC 6026), every 2xx delivered, M ends it. */
Test(sip_txn, client_invite_2xx_accepted_timer_m)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *ct;
	char req[2048], rbuf[1024];
	struct sip_msg rsp;
	size_t n = our_request(req, sizeof(req), "INVITE", "z9hG4bKc4");
	uint64_t t0;

	cr_assert_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), 0);
	app_response(&rsp, rbuf, sizeof(rbuf), "z9hG4bKc4", "INVITE", 200);
	t0 = w.now;
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0);
	cr_expect_eq(sip_txn_state(ct), SIP_TXN_ACCEPTED);
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0);
	cr_expect_eq(w.responses, 2, "the 2xx retransmission goes to the user");
	cr_expect_eq(w.n_sent, 1, "no ACK from the transaction for a 2xx");
	run_until(tt, t0 + 32000);
	cr_expect_eq(sip_txn_count(tt), 0, "timer M");
	/* a 200 after the end is a stray */
	cr_expect_eq(sip_txn_client_recv(tt, &rsp, &app_udp), -ENOENT);
	sip_txn_table_free(tt);
}

/* Timer C: a 180 and then nothing: the user hears of it, the INVITE
 * waits 64*T1 for its 487 and then ends. */
Test(sip_txn, client_invite_timer_c)
{
	struct sip_txn_config c = cfg;
	struct sip_txn_table *tt;
	struct sip_txn *ct;
	char req[2048], rbuf[1024];
	struct sip_msg rsp;
	size_t n = our_request(req, sizeof(req), "INVITE", "z9hG4bKc5");
	uint64_t t0;

	c.timer_c_ms = 181000;
	tt = table(&c);
	t0 = w.now;
	cr_assert_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), 0);
	app_response(&rsp, rbuf, sizeof(rbuf), "z9hG4bKc5", "INVITE", 180);
	run_until(tt, t0 + 1000);
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0); /* C restarts */
	run_until(tt, t0 + 1000 + 181000 - 1);
	cr_expect_eq(w.failures[SIP_TXN_TIMER_C], 0);
	run_until(tt, t0 + 1000 + 181000);
	cr_expect_eq(w.failures[SIP_TXN_TIMER_C], 1);
	cr_expect_eq(w.last_failed, ct);
	cr_expect_eq(sip_txn_count(tt), 1, "waiting for the 487");
	run_until(tt, t0 + 1000 + 181000 + 32000);
	cr_expect_eq(sip_txn_count(tt), 0);
	cr_expect_eq(w.failures[SIP_TXN_TIMER_B], 0, "reported once");
	sip_txn_table_free(tt);
}

/* Non-INVITE: E doubles to T2, in Proceeding it is T2; F at 64*T1. */
Test(sip_txn, client_non_invite_timers_e_and_f)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *ct;
	char req[2048], rbuf[1024];
	struct sip_msg rsp;
	size_t n = our_request(req, sizeof(req), "BYE", "z9hG4bKc6");
	uint64_t t0 = w.now;
	static const uint64_t e[] = { 500, 1500, 3500, 7500, 11500 };

	cr_assert_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), 0);
	run_until(tt, t0 + 11500);
	cr_assert_eq(w.n_sent, 6);
	for (unsigned i = 0; i < 5; i++)
		cr_expect_eq(w.sent[i + 1].at - t0, e[i], "E #%u", i);
	app_response(&rsp, rbuf, sizeof(rbuf), "z9hG4bKc6", "BYE", 100);
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0);
	run_until(tt, t0 + 32000);
	cr_expect_eq(w.failures[SIP_TXN_TIMER_F], 1);
	cr_expect_eq(sip_txn_count(tt), 0);
	sip_txn_table_free(tt);
}

Test(sip_txn, client_non_invite_final_timer_k)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *ct;
	char req[2048], rbuf[1024];
	struct sip_msg rsp;
	size_t n = our_request(req, sizeof(req), "BYE", "z9hG4bKc7");
	uint64_t t0;

	cr_assert_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), 0);
	app_response(&rsp, rbuf, sizeof(rbuf), "z9hG4bKc7", "BYE", 200);
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0);
	t0 = w.now;
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0);
	cr_expect_eq(w.responses, 1, "retransmitted final absorbed");
	run_until(tt, t0 + 5000);
	cr_expect_eq(sip_txn_count(tt), 0, "timer K = T4");
	cr_expect_eq(w.n_sent, 1);
	sip_txn_table_free(tt);
}

Test(sip_txn, client_refusals_and_transport_errors)
{
	struct sip_txn_table *tt = table(NULL);
	struct sip_txn *ct;
	char req[2048];
	size_t n = our_request(req, sizeof(req), "INVITE", "z9hG4bKc8");

	cr_expect_eq(sip_txn_client_start(tt, "junk", 4, &app_udp, NULL, &ct), -EINVAL);
	n = our_request(req, sizeof(req), "INVITE", "nocookie");
	cr_expect_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), -EINVAL);
	n = our_request(req, sizeof(req), "INVITE", "z9hG4bKc8");
	w.send_rc = -EHOSTUNREACH;
	cr_expect_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), -EHOSTUNREACH);
	cr_expect_eq(sip_txn_count(tt), 0);
	w.send_rc = 0;
	cr_assert_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), 0);
	cr_expect_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), -EEXIST);
	/* the transport fails on a retransmission: the user hears, it ends */
	w.send_rc = -ECONNRESET;
	run_until(tt, w.now + 500);
	cr_expect_eq(w.failures[SIP_TXN_TRANSPORT], 1);
	run_until(tt, w.now + 1);
	cr_expect_eq(sip_txn_count(tt), 0);
	sip_txn_table_free(tt);
}

/* 10,000 concurrent transactions of every kind, run to their end by the
 * timers alone: nothing left, every one counted out. */
Test(sip_txn, ten_thousand_run_to_the_end)
{
	struct sip_txn_config big = cfg;
	struct sip_txn_table *tt;
	char req[2048], rsp[1024], branch[32];
	unsigned made = 0;

	big.max_txns = 10000;
	big.timer_c_ms = 0;
	tt = table(&big);
	for (unsigned i = 0; i < 10000; i++) {
		struct sip_txn *t;
		const struct sip_peer *p = i % 2 ? &gw_udp : &gw_tls;

		snprintf(branch, sizeof(branch), "z9hG4bKx%u", i);
		switch (i % 4) {
		case 0: /* server INVITE, 486, no ACK: H */
			cr_assert_eq(sip_txn_server_recv(tt, request(0, "INVITE", branch, 1, NULL),
							 p, &t),
				     SIP_TXN_RX_NEW);
			cr_assert_eq(sip_txn_server_respond(t, rsp,
							    response(rsp, sizeof(rsp), 0, 486, "t")),
				     0);
			break;
		case 1: /* server OPTIONS, 200: J */
			cr_assert_eq(sip_txn_server_recv(tt, request(0, "OPTIONS", branch, 1, NULL),
							 p, &t),
				     SIP_TXN_RX_NEW);
			cr_assert_eq(sip_txn_server_respond(t, rsp,
							    response(rsp, sizeof(rsp), 0, 200, "t")),
				     0);
			break;
		case 2: /* client INVITE, unanswered: B */
			cr_assert_eq(sip_txn_client_start(tt, req,
							  our_request(req, sizeof(req), "INVITE",
								      branch),
							  p, NULL, &t),
				     0);
			break;
		default: /* client BYE, unanswered: F */
			cr_assert_eq(sip_txn_client_start(tt, req,
							  our_request(req, sizeof(req), "BYE", branch),
							  p, NULL, &t),
				     0);
		}
		made++;
	}
	cr_expect_eq(sip_txn_count(tt), 10000);
	run_until(tt, w.now + 64 * 500 + 10);
	cr_expect_eq(sip_txn_count(tt), 0);
	cr_expect_eq(w.terminated, made);
	cr_expect_eq(sip_txn_stats(tt)->created, made);
	cr_expect_eq(sip_txn_stats(tt)->ended, made);
	cr_expect_eq(sip_txn_stats(tt)->timeouts_b, 2500);
	cr_expect_eq(sip_txn_stats(tt)->timeouts_f, 2500);
	sip_txn_table_free(tt);
}

Test(sip_txn, bad_configuration)
{
	struct sip_txn_config c = cfg;

	c.max_txns = 0;
	cr_expect_null(sip_txn_table_new(&c, &ops, NULL, 0));
	c = cfg;
	c.t2_ms = 100;
	cr_expect_null(sip_txn_table_new(&c, &ops, NULL, 0));
	cr_expect_null(sip_txn_table_new(&cfg, NULL, NULL, 0));
}

/* Timer C in Calling, then a 180: the end timer armed by C still ends the
 * transaction (found by fuzz_sip_proxy: a provisional after C used to
 * cancel it and leave the transaction forever). */
Test(sip_txn, provisional_after_timer_c_still_ends)
{
	struct sip_txn_config c = cfg;
	struct sip_txn_table *tt;
	struct sip_txn *ct;
	char req[2048], rbuf[1024];
	struct sip_msg rsp;
	size_t n = our_request(req, sizeof(req), "INVITE", "z9hG4bKc9");
	uint64_t t0;

	c.timer_c_ms = 2000;
	tt = table(&c);
	t0 = w.now;
	cr_assert_eq(sip_txn_client_start(tt, req, n, &app_udp, NULL, &ct), 0);
	run_until(tt, t0 + 2000);
	cr_expect_eq(w.failures[SIP_TXN_TIMER_C], 1);
	app_response(&rsp, rbuf, sizeof(rbuf), "z9hG4bKc9", "INVITE", 180);
	cr_assert_eq(sip_txn_client_recv(tt, &rsp, &app_udp), 0);
	run_until(tt, t0 + 2000 + 32000);
	cr_expect_eq(sip_txn_count(tt), 0);
	sip_txn_table_free(tt);
}
