/*
 * sip_core_bench: what a call costs the proxy core alone (sip_proxy.h),
 * free of I/O: the messages of perf/sip_bench.py's call (INVITE, 100,
 * 180, 200, ACK, BYE, 200, no SDP; a gateway of an unsecured dial plan
 * and the application) go through sip_proxy_input, its timers through
 * sip_proxy_advance on a clock stepped per call, so transactions live and
 * end as they do under load. The peers' messages are built outside the
 * timed part; what is timed is the proxy: parsing, policy, transactions,
 * call records, the messages it builds and hands to its transport (a
 * copy). Thread CPU time; median of rounds.
 *
 * The figure is the ceiling of the core: perf/sip_bench.py measures a
 * worker with its network stack and ports around it.
 *
 * usage: sip_core_bench [--calls N] [--rounds R] [--step-ms S]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_machine.h"
#include "bench_sip.h"
#include "sip_fixture.h"
#include "sip_proxy.h"

#define MAX_ROUNDS 15
#define EXT_ADDR 0xcb007101u /* 203.0.113.1 */
#define INT_ADDR 0xc6336401u /* 198.51.100.1 */

/* what the proxy sent last to each side */
static struct {
	char buf[2][8192];
	size_t len[2];
	unsigned sent;
} out;

static int bench_send(void *arg, const struct sip_peer *to, const char *buf, size_t len)
{
	(void)arg;
	if (len < sizeof(out.buf[0])) {
		memcpy(out.buf[to->side & 1], buf, len);
		out.len[to->side & 1] = len;
	}
	out.sent++;
	return 0;
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static const struct sip_rx from_pbx = {
	{ SIP_SIDE_EXTERNAL, UMEDGE_TRANSPORT_UDP, 5060, FX_PBX_ADDR, 0 }, NULL, 0
};
static const struct sip_rx from_app = {
	{ SIP_SIDE_INTERNAL, UMEDGE_TRANSPORT_UDP, 5060, FX_APP_ADDR, 0 }, NULL, 0
};

/* The application's answer to what the proxy sent it last. */
static size_t app_answer(char *buf, size_t cap, unsigned status, const char *reason,
			 const char *tag, bool dialog)
{
	long r = bench_sip_app_reply(out.buf[SIP_SIDE_INTERNAL], out.len[SIP_SIDE_INTERNAL], status,
				     reason, tag, dialog, buf, cap);

	return r > 0 ? (size_t)r : 0;
}

/* One call; returns the proxy's CPU time for it (ns), or -1 when a step
 * did not produce what the next one needs. */
static double one_call(struct sip_proxy *px, const struct dp_snapshot *snap, unsigned k,
		       uint64_t now)
{
	static char inv[2048], ans[3][4096], ack[2048], bye[2048], bye_ok[4096];
	static struct sip_msg ok_msg;
	char routes[512], tag[32];
	size_t n_inv, n_ack, n_bye, n_ans[3], n_byeok;
	double t, spent = 0;

	n_inv = (size_t)snprintf(
		inv, sizeof(inv),
		"INVITE sip:4000@203.0.113.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-b%u;rport\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:+12065550123@192.0.2.20>;tag=f%u\r\n"
		"To: <sip:4000@203.0.113.1>\r\nCall-ID: bench-%u@192.0.2.20\r\nCSeq: 1 INVITE\r\n"
		"Contact: <sip:+12065550123@192.0.2.20:5060>\r\nSubject: bench\r\n"
		"Content-Length: 0\r\n\r\n",
		k, k, k);
	t = cpu_ns();
	sip_proxy_input(px, snap, &from_pbx, inv, n_inv, now);
	spent += cpu_ns() - t;
	snprintf(tag, sizeof(tag), "a%u", k);
	n_ans[0] = app_answer(ans[0], sizeof(ans[0]), 180, "Ringing", tag, true);
	n_ans[1] = app_answer(ans[1], sizeof(ans[1]), 200, "OK", tag, true);
	if (n_ans[0] == 0 || n_ans[1] == 0) {
		fprintf(stderr, "no INVITE at the application: %.*s\n", (int)out.len[1], out.buf[1]);
		return -1;
	}
	t = cpu_ns();
	sip_proxy_input(px, snap, &from_app, ans[0], n_ans[0], now);
	sip_proxy_input(px, snap, &from_app, ans[1], n_ans[1], now);
	spent += cpu_ns() - t;
	/* the gateway's ACK and BYE, routed by the 200's Record-Route */
	if (sip_msg_parse(&ok_msg, out.buf[SIP_SIDE_EXTERNAL], out.len[SIP_SIDE_EXTERNAL], NULL) !=
		    SIP_E_OK ||
	    ok_msg.status != 200) {
		fprintf(stderr, "no 200 at the gateway: %.*s\n", (int)out.len[0], out.buf[0]);
		return -1;
	}
	bench_sip_routes(&ok_msg, routes, sizeof(routes));
	n_ack = (size_t)snprintf(
		ack, sizeof(ack),
		"ACK sip:4000@198.51.100.20:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-a%u;rport\r\nRoute: %s\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:+12065550123@192.0.2.20>;tag=f%u\r\n"
		"To: <sip:4000@203.0.113.1>;tag=%s\r\nCall-ID: bench-%u@192.0.2.20\r\n"
		"CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		k, routes, k, tag, k);
	n_bye = (size_t)snprintf(
		bye, sizeof(bye),
		"BYE sip:4000@198.51.100.20:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-y%u;rport\r\nRoute: %s\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:+12065550123@192.0.2.20>;tag=f%u\r\n"
		"To: <sip:4000@203.0.113.1>;tag=%s\r\nCall-ID: bench-%u@192.0.2.20\r\n"
		"CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
		k, routes, k, tag, k);
	t = cpu_ns();
	sip_proxy_input(px, snap, &from_pbx, ack, n_ack, now);
	sip_proxy_input(px, snap, &from_pbx, bye, n_bye, now);
	spent += cpu_ns() - t;
	n_byeok = app_answer(bye_ok, sizeof(bye_ok), 200, "OK", NULL, false);
	if (n_byeok == 0)
		return -1;
	t = cpu_ns();
	sip_proxy_input(px, snap, &from_app, bye_ok, n_byeok, now);
	spent += cpu_ns() - t;
	return spent;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct sip_proxy_io io = { bench_send, NULL, NULL, &fx_media_ops };
	struct sip_proxy_config cfg = {
		.addr = { EXT_ADDR, INT_ADDR },
		.port = 5060,
		.tls_port = 5061,
		.route_key = "bench route key",
		.txn = SIP_TXN_CONFIG_DEFAULT_INIT,
		.max_calls = 8192, /* dataplane.sip.max_calls' default */
	};
	unsigned calls = 20000, rounds = 7, step_ms = 16;
	double per_call[MAX_ROUNDS], adv[MAX_ROUNDS];
	struct dp_snapshot snap;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
			calls = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--step-ms") == 0 && i + 1 < argc)
			step_ms = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--calls N] [--rounds R (1-%d)] [--step-ms S]\n",
				argv[0], MAX_ROUNDS);
			return 2;
		}
	}
	if (calls < 100 || rounds < 1 || rounds > MAX_ROUNDS || step_ms < 1 || step_ms > 1000) {
		fprintf(stderr, "sip_core_bench: --calls >= 100, --rounds 1-%d, --step-ms 1-1000\n",
			MAX_ROUNDS);
		return 2;
	}
	bench_print_host("sip_core_bench");
	printf("method     %u calls a round (INVITE, 100, 180, 200, ACK, BYE, 200; no SDP;\n"
	       "           a gateway of an unsecured plan over UDP to the application), the\n"
	       "           clock %u ms a call so transactions end by their timers (advance\n"
	       "           timed too); thread CPU time of the proxy's calls only; median of %u\n\n",
	       calls, step_ms, rounds);
	/* transactions linger 32 s after their call (RFC 3261 timers J, L,
	 * M): room for them, as dataplane.sip.max_transactions gives */
	cfg.txn.max_txns = 65536;
	sip_fixture_snapshot(&snap);
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t now = 1000;
		struct sip_proxy *px = sip_proxy_new(&cfg, &io, now);
		double spent = 0, spent_adv = 0, t;
		unsigned sent0 = out.sent;

		if (px == NULL) {
			fprintf(stderr, "sip_core_bench: sip_proxy_new failed\n");
			return 1;
		}
		for (unsigned k = 0; k < calls; k++) {
			double c = one_call(px, &snap, r * calls + k, now);

			if (c < 0) {
				fprintf(stderr, "sip_core_bench: call %u did not complete\n", k);
				return 1;
			}
			spent += c;
			now += step_ms;
			t = cpu_ns();
			sip_proxy_advance(px, now);
			spent_adv += cpu_ns() - t;
		}
		if (sip_proxy_stats(px)->calls_started != calls ||
		    sip_proxy_stats(px)->calls_ended != calls) {
			fprintf(stderr, "sip_core_bench: %llu calls started, %llu ended of %u\n",
				(unsigned long long)sip_proxy_stats(px)->calls_started,
				(unsigned long long)sip_proxy_stats(px)->calls_ended, calls);
			return 1;
		}
		per_call[r] = (spent + spent_adv) / calls;
		adv[r] = spent_adv / calls;
		if (r == 0)
			printf("messages   %.1f sent by the proxy a call; %u transactions alive at the "
			       "end\n",
			       (double)(out.sent - sent0) / calls, sip_proxy_transactions(px));
		sip_proxy_free(px);
	}
	qsort(per_call, rounds, sizeof(per_call[0]), cmp_d);
	qsort(adv, rounds, sizeof(adv[0]), cmp_d);
	printf("per call   %.0f ns (of which timers %.0f ns): %.0f calls per core-second, "
	       "%.0f messages (6 in, 7 out) per core-second\n",
	       per_call[rounds / 2], adv[rounds / 2], 1e9 / per_call[rounds / 2],
	       13e9 / per_call[rounds / 2]);
	printf("spread     best %.0f ns, worst %.0f ns a call\n", per_call[0], per_call[rounds - 1]);
	return 0;
}
