/*
 * sip_parse_bench: the SIP message layer's cost per message, next to two
 * well-kept parsers from Debian measured in the same run on the same
 * messages: libosip2 and libre.
 *
 * Each case is a parse plus what a proxy reads: top Via branch, From tag,
 * To tag, Call-ID, CSeq, Max-Forwards, the first Route and the
 * Request-URI user. The three parsers return a digest of those values,
 * which must agree (so each is seen to read the same fields). umedge has
 * two more columns: with sip_msg_check() (the proxy's validation) and with
 * the forwarding edits applied into an output buffer.
 *
 * Thread CPU time, median of rounds; one core. Prints the machine first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_machine.h"
#include "sdp.h"
#include "sip_msg.h"
#include "sip_parse_ref.h"
#include "sip_samples.h"

#define MAX_ROUNDS 31

static struct sip_msg m;
static char fwd_out[8192];
static volatile long sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The fields a proxy reads, as the reference parsers digest them. */
static long um_fields(void)
{
	struct sip_list_iter it = { 0, 0 };
	struct sip_list_item item;
	struct sip_nameaddr na;
	struct sip_via v;
	struct sip_cseq cs;
	struct sip_str s;
	struct sip_uri u;
	unsigned mf;
	long d = 0;

	if (sip_msg_top_via(&m, &v) == 0)
		d += v.branch.len;
	if (sip_msg_from(&m, &na) == 0)
		d += na.tag.len;
	if (sip_msg_to(&m, &na) == 0)
		d += na.tag.len;
	if (sip_msg_call_id(&m, &s) == 0)
		d += s.len;
	if (sip_msg_cseq(&m, &cs) == 0)
		d += cs.num;
	if (sip_msg_max_forwards(&m, &mf) == 0)
		d += mf;
	if (sip_list_next(&m, SIP_HDR_ROUTE, &it, &item) == 1 &&
	    sip_nameaddr_parse(&na, item.value.p, item.value.len) == 0)
		d += na.uri.host.len;
	if (m.is_request && sip_msg_ruri(&m, &u) == 0)
		d += u.user.len;
	return d;
}

enum um_mode { UM_PARSE, UM_CHECK, UM_FORWARD };

static long um_run(const char *buf, size_t len, enum um_mode mode)
{
	struct sip_edits ed;
	long d;

	if (sip_msg_parse(&m, buf, len, NULL) != SIP_E_OK)
		return -1;
	if (mode == UM_CHECK && sip_msg_check(&m) != SIP_E_OK)
		return -1;
	d = um_fields();
	if (mode != UM_FORWARD)
		return d;
	/* what a record-routing proxy does to forward it */
	sip_edits_init(&ed, &m);
	if (!m.is_request) {
		sip_edit_via_pop(&ed);
	} else {
		sip_edit_via_push(&ed, "SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKum.3f9a0c11.0;rport",
				  58);
		sip_edit_max_forwards_dec(&ed);
		if (m.method == SIP_METHOD_INVITE)
			sip_edit_record_route_push(&ed, "<sip:198.51.100.1;lr;um=w0>", 27);
		else {
			struct sip_list_iter it = { 0, 0 };
			struct sip_list_item item;

			if (sip_list_next(&m, SIP_HDR_ROUTE, &it, &item) == 1)
				sip_edit_list_remove(&ed, &item);
		}
	}
	if (sip_edits_apply(&ed, fwd_out, sizeof(fwd_out)) < 0)
		return -1;
	return d;
}

struct msg_case {
	const char *name;
	char buf[4096];
	size_t len;
	void *re_buf;
};

enum parser { P_UMEDGE, P_UMEDGE_CHECK, P_UMEDGE_FWD, P_OSIP, P_RE, P_COUNT };

static const char *const parser_names[P_COUNT] = { "umedge", "umedge+check", "umedge+forward",
						   "libosip2", "libre" };

static long run_one(enum parser p, struct msg_case *c)
{
	switch (p) {
	case P_UMEDGE:
		return um_run(c->buf, c->len, UM_PARSE);
	case P_UMEDGE_CHECK:
		return um_run(c->buf, c->len, UM_CHECK);
	case P_UMEDGE_FWD:
		return um_run(c->buf, c->len, UM_FORWARD);
	case P_OSIP:
		return ref_osip_parse(c->buf, c->len);
	default:
		return ref_re_parse(c->re_buf);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ns per message: the median over rounds of n iterations each. */
static double measure(enum parser p, struct msg_case *c, unsigned rounds, unsigned n)
{
	double r[MAX_ROUNDS];

	for (unsigned k = 0; k < rounds; k++) {
		double t0 = now_ns();
		long acc = 0;

		for (unsigned i = 0; i < n; i++)
			acc += run_one(p, c);
		r[k] = (now_ns() - t0) / n;
		sink += acc;
	}
	qsort(r, rounds, sizeof(r[0]), cmp_double);
	return r[rounds / 2];
}

/* ns for the RX core's ownership scan (sip_call_id_hash), the cost a
 * SIP datagram pays before it reaches its call's worker: median over
 * rounds of n scans. */
static double measure_callid(struct msg_case *c, unsigned rounds, unsigned n)
{
	double r[MAX_ROUNDS];

	for (unsigned k = 0; k < rounds; k++) {
		double t0 = now_ns();
		uint64_t acc = 0, h = 0;

		for (unsigned i = 0; i < n; i++) {
			if (sip_call_id_hash(c->buf, c->len, &h))
				acc += h;
		}
		r[k] = (now_ns() - t0) / n;
		sink += (long)acc;
	}
	qsort(r, rounds, sizeof(r[0]), cmp_double);
	return r[rounds / 2];
}

/* ---- SDP offer/answer through the engine (issue 20's figure) ---- */

enum sdp_op { SDP_OP_OFFER, SDP_OP_ANSWER, SDP_OP_REOFFER, SDP_OP_COUNT };

static const char *const sdp_op_names[SDP_OP_COUNT] = {
	"offer (gateway, secured: parse, suite, fresh key, rewrite)",
	"answer (application: parse, rewrite with our a=crypto)",
	"re-offer (gateway, same key: parse, keep keys, rewrite)",
};

static const char sdp_gw[] = SIP_SAMPLE_SDP_GW, sdp_app[] = SIP_SAMPLE_SDP_APP;
static const enum umedge_srtp_suite bench_suites[] = { UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80,
						       UMEDGE_SRTP_AEAD_AES_128_GCM };
static struct sdp sdp_in;
static struct sdp_stream sdp_first;
static char sdp_out[4096];

static struct sdp_oa bench_oa(const struct sdp_stream *prev)
{
	return (struct sdp_oa){ .mode = UMEDGE_SEC_SECURED, .suites = bench_suites, .n_suites = 2,
				.from = SDP_FROM_GATEWAY, .addr = { 0xcb007101, 0xc6336401 },
				.port = { 20000, 30000 }, .o_version = 2, .prev = prev };
}

/* One operation; the length written, or -1. */
static long sdp_run(enum sdp_op op)
{
	struct sdp_oa oa = bench_oa(op == SDP_OP_REOFFER ? &sdp_first : NULL);
	struct sdp_stream st;
	long n = -1;

	if (op == SDP_OP_ANSWER) {
		st = sdp_first;
		if (sdp_parse(&sdp_in, sdp_app, sizeof(sdp_app) - 1) != SDP_E_OK ||
		    sdp_answer(&oa, &sdp_in, sdp_out, sizeof(sdp_out), &n, &st) != SDP_R_OK)
			n = -1;
	} else if (sdp_parse(&sdp_in, sdp_gw, sizeof(sdp_gw) - 1) != SDP_E_OK ||
		   sdp_offer(&oa, &sdp_in, sdp_out, sizeof(sdp_out), &n, &st) != SDP_R_OK) {
		n = -1;
	}
	sdp_stream_wipe(&st);
	return n;
}

static double measure_sdp(enum sdp_op op, unsigned rounds, unsigned n)
{
	double r[MAX_ROUNDS];

	for (unsigned k = 0; k < rounds; k++) {
		double t0 = now_ns();
		long acc = 0;

		for (unsigned i = 0; i < n; i++)
			acc += sdp_run(op);
		r[k] = (now_ns() - t0) / n;
		sink += acc;
	}
	qsort(r, rounds, sizeof(r[0]), cmp_double);
	return r[rounds / 2];
}

/* 0, or 1 when an operation fails (the figures would mean nothing). */
static int sdp_section(unsigned rounds, double scale)
{
	struct sdp_oa oa = bench_oa(NULL);
	long n;
	unsigned iters = (unsigned)(100000 * scale) ? (unsigned)(100000 * scale) : 1;

	if (sdp_parse(&sdp_in, sdp_gw, sizeof(sdp_gw) - 1) != SDP_E_OK ||
	    sdp_offer(&oa, &sdp_in, sdp_out, sizeof(sdp_out), &n, &sdp_first) != SDP_R_OK) {
		printf("sdp        the gateway's offer was refused: no figures\n");
		return 1;
	}
	printf("\nSDP through the engine, %zu-byte gateway offer, %zu-byte application answer\n",
	       sizeof(sdp_gw) - 1, sizeof(sdp_app) - 1);
	for (unsigned op = 0; op < SDP_OP_COUNT; op++) {
		if (sdp_run((enum sdp_op)op) < 0) {
			printf("  %s: FAILED\n", sdp_op_names[op]);
			return 1;
		}
		printf("  %-62s %8.1f ns\n", sdp_op_names[op],
		       measure_sdp((enum sdp_op)op, rounds, iters));
	}
	sdp_stream_wipe(&sdp_first);
	return 0;
}

static void header(unsigned rounds, double scale)
{
	bench_print_host("sip_parse_bench");
	printf("references libosip2 (osip_message_parse), libre (sip_msg_decode), Debian 12\n");
	printf("method     parse + top Via branch, From/To tags, Call-ID, CSeq, Max-Forwards,\n"
	       "           first Route, Request-URI user; thread CPU time, median of %u rounds"
	       " (scale %.2f)\n\n",
	       rounds, scale);
}

int main(int argc, char **argv)
{
	static struct msg_case cases[4];
	unsigned rounds = 9;
	double scale = 1.0;
	int status = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			rounds = (unsigned)atoi(argv[++i]);
		} else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
			scale = atof(argv[++i]);
		} else {
			fprintf(stderr, "usage: %s [--rounds N (1-%d)] [--scale F]\n", argv[0],
				MAX_ROUNDS);
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || scale <= 0 || scale > 100) {
		fprintf(stderr, "sip_parse_bench: --rounds 1-%d, --scale (0, 100]\n", MAX_ROUNDS);
		return 2;
	}
	if (ref_osip_init() != 0 || ref_re_init() != 0) {
		fprintf(stderr, "sip_parse_bench: reference parser init failed\n");
		return 1;
	}
	cases[0].name = "invite";
	cases[0].len = sip_sample(cases[0].buf, sizeof(cases[0].buf), SIP_SAMPLE_INVITE_HEAD,
				  SIP_SAMPLE_SDP_GW);
	cases[1].name = "200ok";
	cases[1].len = sip_sample(cases[1].buf, sizeof(cases[1].buf), SIP_SAMPLE_200_HEAD,
				  SIP_SAMPLE_SDP_APP);
	cases[2].name = "ack";
	cases[2].len = (size_t)snprintf(cases[2].buf, sizeof(cases[2].buf), "%s", SIP_SAMPLE_ACK);
	cases[3].name = "bye";
	cases[3].len = (size_t)snprintf(cases[3].buf, sizeof(cases[3].buf), "%s", SIP_SAMPLE_BYE);
	header(rounds, scale);
	printf("%-8s %6s  %-15s %10s %12s %12s\n", "message", "bytes", "parser", "ns/msg",
	       "msgs/s/core", "vs umedge");
	for (unsigned c = 0; c < 4; c++) {
		struct msg_case *mc = &cases[c];
		double ns[P_COUNT];
		long digest[P_COUNT];

		mc->re_buf = ref_re_buffer(mc->buf, mc->len);
		if (mc->re_buf == NULL) {
			fprintf(stderr, "sip_parse_bench: libre buffer\n");
			return 1;
		}
		for (unsigned p = 0; p < P_COUNT; p++) {
			unsigned n = (unsigned)((p >= P_OSIP ? 20000 : 400000) * scale);

			digest[p] = run_one(p, mc);
			ns[p] = measure(p, mc, rounds, n ? n : 1);
		}
		for (unsigned p = 0; p < P_COUNT; p++) {
			printf("%-8s %6zu  %-15s %10.1f %12.0f", mc->name, mc->len, parser_names[p],
			       ns[p], 1e9 / ns[p]);
			if (p >= P_OSIP)
				printf(" %11.1fx", ns[p] / ns[P_UMEDGE]);
			printf("\n");
		}
		for (unsigned p = 1; p < P_COUNT; p++) {
			if (digest[p] != digest[0]) {
				printf("  DIGEST MISMATCH: %s read %ld, umedge %ld\n",
				       parser_names[p], digest[p], digest[0]);
				status = 1;
			}
		}
		{
			double best = ns[P_OSIP] < ns[P_RE] ? ns[P_OSIP] : ns[P_RE];
			const char *bn = ns[P_OSIP] < ns[P_RE] ? "libosip2" : "libre";

			printf("  %s: umedge %.1fx faster than the faster reference (%s)",
			       mc->name, best / ns[P_UMEDGE], bn);
			if (c == 0)
				printf("; target 10x: %s", best / ns[P_UMEDGE] >= 10 ? "met" : "MISSED");
			printf("\n  %s: Call-ID owner scan on the RX core (dispatch): %.1f ns\n\n",
			       mc->name,
			       measure_callid(mc, rounds, (unsigned)(400000 * scale) ? (unsigned)(400000 * scale) : 1));
		}
		ref_re_buffer_free(mc->re_buf);
	}
	printf("digest     %s\n", status == 0 ? "all parsers read the same values" : "MISMATCH");
	status |= sdp_section(rounds, scale);
	return status;
}
