/*
 * sip_worker_bench: a call through one whole worker, in process: the
 * ceiling of a core with no load generator and no system call in the way.
 *
 * One worker (worker_poll, the daemon's loop, with SIP attached as in the
 * daemon) between two net_ring ports (bench_ring.h); a snapshot with the
 * gateway 192.0.2.10 (pilot 6000, an unsecured plan over UDP) and the
 * application 198.51.100.20:5060. The call of perf/sip_bench.py: INVITE,
 * 100, 180, 200, ACK, BYE, 200 without SDP. The benchmark plays both
 * peers: it writes the gateway's and the application's datagrams into the
 * RX rings, 32 calls at a time (a burst each step), and answers what the
 * worker sent. Only worker_poll is timed (TSC): RX, Ethernet, IPv4, UDP,
 * dispatch, the proxy, its transactions and timers, the replies built, TX.
 *
 * With --held N,N,...: the same, with that many other calls answered and
 * held open (their call records, dialogs and transactions in the worker's
 * tables) at each step: how the cost grows with the calls in progress.
 *
 * With --sdp: every INVITE carries an offer and every 200 an answer
 * (RTP/AVP, an unsecured plan), so each call also goes through the SDP
 * library and installs and removes a media session on the worker (the
 * media engine attached as in the daemon). After the last step, RTP flows
 * on the held calls' sessions, both ways, bursts of 32 round robin over
 * the calls (each packet from the port its side's SDP named): the media
 * path for call-made sessions, in Mpps, as perf/media_bench measures it
 * for sessions made by media.add.
 *
 * With --capture: the last step again with `umedgectl capture sip`
 * running (no filter, keys redacted, into a file under /tmp removed at
 * the end): what the worker's copies cost per call, and what the main
 * lcore's drain costs per message (redaction, pcap records, the file
 * writes). As in the daemon, the drain runs on another core every 5 ms
 * (a thread here, on a CPU other than the worker's when there is one).
 *
 * usage: sip_worker_bench [--calls N] [--rounds R] [--held N,N,...] [--sdp] [--capture]
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_udp.h>

#include "bench_eal.h"
#include "bench_machine.h"
#include "bench_ring.h"
#include "bench_sip.h"
#include "dp.h"
#include "media/media_ctl.h"
#include "sip/sip_msg.h"
#include "snapshot.h"
#include "umedge/config.h"
#include "worker.h"
#include "worker/sip_capture.h"
#include "worker/worker_sip.h"

#define BATCH 32
#define HDRS 42	/* Ethernet + IPv4 + UDP */
#define MAX_ROUNDS 9

static const char *snapshot_json =
	"{\"version\": 1, \"fqdn\": \"um1.example.test\", \"start_secured\": 0,"
	" \"listeners\": [{\"transport\": \"udp\", \"port\": 5060, \"dial_plans\": [\"fabrikam\"]}],"
	" \"dial_plans\": [{\"name\": \"fabrikam\", \"voip_security\": \"unsecured\","
	"                   \"associated\": true, \"srtp_suites\": []}],"
	" \"gateways\": [{\"name\": \"gw1\", \"address\": \"192.0.2.10\", \"port\": 0,"
	"                 \"fqdn\": \"gw1.example.test\"}],"
	" \"hunt_groups\": [{\"gateway\": \"gw1\", \"pilot\": \"6000\", \"dial_plan\": \"fabrikam\"}],"
	" \"application\": {\"address\": \"198.51.100.20\", \"port\": 5060, \"transport\": \"udp\"},"
	" \"trust_pem\": \"\"}";

static struct rte_mempool *pool;
static uint64_t timed;	/* TSC cycles in worker_poll */
static bool sdp;	/* --sdp: offers and answers, media sessions */
static struct sip_capture *capt;	/* --capture */
static uint64_t drain_tsc;	/* TSC cycles in sip_capture_poll (the drain thread's) */
static volatile bool drain_stop;

/* The held calls' media (--sdp): the engine's port on each side and the
 * peers' own, from the SDP each side got. */
struct held_media {
	uint16_t ext, in;	/* the engine's */
	uint16_t gw, app;	/* the gateway's and the application's */
};
static struct held_media *held_media;
static unsigned n_held_media, max_held_media;

static uint16_t gw_media_port(unsigned k)
{
	return (uint16_t)(7000 + 2 * (k % 4096));
}

static uint16_t app_media_port(unsigned k)
{
	return (uint16_t)(16000 + 2 * (k % 4096));
}

static const char *sdp_body(char *buf, size_t cap, const char *who, const char *ip,
			    uint16_t port)
{
	snprintf(buf, cap,
		 "v=0\r\no=%s 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\n",
		 who, ip, ip, port);
	return buf;
}

/* The call number k of one of our messages (its Call-ID wb-K@...). */
static unsigned call_number(const char *msg)
{
	const char *c = strstr(msg, "Call-ID: wb-");

	return c != NULL ? (unsigned)strtoul(c + 12, NULL, 10) : 0;
}

/* Send a datagram from the peer of iface to our 5060. */
static int peer_send(unsigned iface, const char *buf, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL || len > 1400) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	memcpy(rte_pktmbuf_mtod_offset(m, char *, HDRS), buf, len);
	bench_ring_frame(m, iface, 5060, 5060, (uint16_t)len);
	if (rte_ring_enqueue(bench_ring.rx[iface], m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

/* Poll until both RX rings are empty (timed). */
static void run(struct worker *w)
{
	do {
		uint64_t t0 = rte_rdtsc_precise();

		worker_poll(w);
		timed += rte_rdtsc_precise() - t0;
	} while (rte_ring_count(bench_ring.rx[0]) + rte_ring_count(bench_ring.rx[1]) > 0);
}

/* What the worker sent to iface's peer, one message at a time: its SIP
 * payload into buf (NUL-terminated), its length, or 0 when none is left. */
static size_t peer_recv(unsigned iface, char *buf, size_t cap)
{
	struct rte_mbuf *m;
	size_t len;
	const void *p;

	if (rte_ring_dequeue(bench_ring.tx[iface], (void **)&m) != 0)
		return 0;

	len = m->pkt_len > HDRS ? m->pkt_len - HDRS : 0;
	if (len >= cap)
		len = 0;
	p = len ? rte_pktmbuf_read(m, HDRS, (uint32_t)len, buf) : NULL;
	if (p != NULL && p != buf)
		memcpy(buf, p, len);
	buf[p != NULL ? len : 0] = '\0';

	rte_pktmbuf_free(m);
	return p != NULL ? len : 1; /* 1: a frame we skip (ARP, empty) */
}

/* The gateway's ACK or BYE for the 200 it got (Route from its Record-Route). */
static long in_dialog(const char *ok, size_t len, const char *method, unsigned cseq, char *out,
		      size_t cap)
{
	static struct sip_msg m;
	struct sip_str cid;
	struct sip_nameaddr from, to;
	char routes[512];
	const char *at;
	int id_len;

	if (sip_msg_parse(&m, ok, len, NULL) != SIP_E_OK || m.status != 200 ||
	    sip_msg_call_id(&m, &cid) != 0 || sip_msg_from(&m, &from) != 0 ||
	    sip_msg_to(&m, &to) != 0 || to.tag.p == NULL)
		return -1;
	bench_sip_routes(&m, routes, sizeof(routes));
	/* a branch is a token: the Call-ID before its '@' */
	at = memchr(cid.p, '@', cid.len);
	id_len = at != NULL ? (int)(at - cid.p) : (int)cid.len;
	return snprintf(out, cap,
			"%s sip:4000@198.51.100.20:5060 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-%s%.*s;rport\r\n"
			"Route: %s\r\nMax-Forwards: 70\r\n"
			"From: <sip:+12065550123@192.0.2.10>;tag=%.*s\r\n"
			"To: <sip:6000@192.0.2.1>;tag=%.*s\r\nCall-ID: %.*s\r\n"
			"CSeq: %u %s\r\nContent-Length: 0\r\n\r\n",
			method, method, id_len, cid.p, routes, (int)from.tag.len, from.tag.p,
			(int)to.tag.len, to.tag.p, (int)cid.len, cid.p, cseq, method);
}

static void invites(unsigned first)
{
	char msg[1400], body[512];
	long n;

	for (unsigned k = first; k < first + BATCH; k++) {
		n = snprintf(msg, sizeof(msg),
			     "INVITE sip:6000@192.0.2.1:5060 SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-i%u;rport\r\n"
			     "Max-Forwards: 70\r\nFrom: <sip:+12065550123@192.0.2.10>;tag=f%u\r\n"
			     "To: <sip:6000@192.0.2.1>\r\nCall-ID: wb-%u@192.0.2.10\r\n"
			     "CSeq: 1 INVITE\r\n"
			     "Contact: <sip:+12065550123@192.0.2.10:5060>\r\nSubject: bench\r\n"
			     "Content-Length: 0\r\n\r\n",
			     k, k, k);
		if (sdp)
			n = bench_sip_with_body(msg, (size_t)n, sizeof(msg), "application/sdp",
						sdp_body(body, sizeof(body), "gw", "192.0.2.10",
							 gw_media_port(k)));
		if (n > 0)
			peer_send(NET_IFACE_EXTERNAL, msg, (size_t)n);
	}
}

/* BATCH calls set up: INVITE, the application's 180 (ringing) and 200,
 * the gateway's ACK and, with bye, its BYE at once. Returns the 200s the
 * gateway got. */
static unsigned set_up(struct worker *w, unsigned first, bool ringing, bool bye,
		       struct held_media *hm)
{
	static char msg[4096], out[4096], body[512];
	unsigned answered = 0, k;
	size_t n;
	long r;

	invites(first);
	run(w);
	while ((n = peer_recv(NET_IFACE_INTERNAL, msg, sizeof(msg))) > 0) {
		if (strncmp(msg, "INVITE ", 7) != 0)
			continue;
		k = call_number(msg);
		if (hm != NULL && k - first < BATCH) {
			hm[k - first].in = (uint16_t)bench_sip_sdp_port(msg);
			hm[k - first].app = app_media_port(k);
		}
		if (ringing && (r = bench_sip_app_reply(msg, n, 180, "Ringing", "app", true, out,
							sizeof(out))) > 0)
			peer_send(NET_IFACE_INTERNAL, out, (size_t)r);
		r = bench_sip_app_reply(msg, n, 200, "OK", "app", true, out, sizeof(out));
		if (sdp && r > 0)
			r = bench_sip_with_body(out, (size_t)r, sizeof(out), "application/sdp",
						sdp_body(body, sizeof(body), "app", "198.51.100.20",
							 app_media_port(k)));
		if (r > 0)
			peer_send(NET_IFACE_INTERNAL, out, (size_t)r);
	}
	run(w);
	while ((n = peer_recv(NET_IFACE_EXTERNAL, msg, sizeof(msg))) > 0) {
		if (strncmp(msg, "SIP/2.0 200", 11) != 0)
			continue;
		k = call_number(msg);
		if (hm != NULL && k - first < BATCH) {
			hm[k - first].ext = (uint16_t)bench_sip_sdp_port(msg);
			hm[k - first].gw = gw_media_port(k);
		}
		answered++;
		if ((r = in_dialog(msg, n, "ACK", 1, out, sizeof(out))) > 0)
			peer_send(NET_IFACE_EXTERNAL, out, (size_t)r);
		if (bye && (r = in_dialog(msg, n, "BYE", 2, out, sizeof(out))) > 0)
			peer_send(NET_IFACE_EXTERNAL, out, (size_t)r);
	}
	run(w);
	return answered;
}

/* BATCH calls answered and ACKed, left up; returns how many. */
static unsigned hold_batch(struct worker *w, unsigned first)
{
	struct held_media hm[BATCH];
	unsigned up;

	memset(hm, 0, sizeof(hm));
	up = set_up(w, first, false, false, sdp ? hm : NULL);
	for (unsigned i = 0; sdp && i < BATCH; i++)
		if (hm[i].ext != 0 && hm[i].in != 0 && n_held_media < max_held_media)
			held_media[n_held_media++] = hm[i];
	bench_ring_drain();
	return up;
}

/* BATCH calls from INVITE to the BYE's 200; returns the calls completed. */
static unsigned batch(struct worker *w, unsigned first)
{
	static char msg[4096], out[4096];
	unsigned done = 0;
	size_t n;
	long r;

	set_up(w, first, true, true, NULL);
	/* the application: 200 to each BYE */
	while ((n = peer_recv(NET_IFACE_INTERNAL, msg, sizeof(msg))) > 0)
		if (strncmp(msg, "BYE ", 4) == 0 &&
		    (r = bench_sip_app_reply(msg, n, 200, "OK", NULL, false, out, sizeof(out))) > 0)
			peer_send(NET_IFACE_INTERNAL, out, (size_t)r);
	run(w);
	while ((n = peer_recv(NET_IFACE_EXTERNAL, msg, sizeof(msg))) > 0)
		done += strncmp(msg, "SIP/2.0 200", 11) == 0 && strstr(msg, " BYE\r\n") != NULL;
	return done;
}

/* RTP both ways on the held calls' sessions (--sdp), bursts of BATCH,
 * round robin over the calls, each packet from its side's SDP port:
 * worker_poll's ns per packet; *fwd gets the packets the worker sent on. */
static double media_round(struct worker *w, unsigned packets, unsigned *fwd)
{
	static uint32_t seq;
	unsigned sent = 0, got = 0, cursor = 0;

	timed = 0;
	while (sent < packets) {
		for (unsigned i = 0; i < BATCH; i++, cursor++) {
			unsigned call = (cursor / 2) % n_held_media;
			const struct held_media *h = &held_media[call];
			unsigned iface = cursor & 1 ? NET_IFACE_INTERNAL : NET_IFACE_EXTERNAL;
			struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
			uint8_t *rtp;
			uint32_t v;

			if (m == NULL)
				break;
			rtp = rte_pktmbuf_mtod_offset(m, uint8_t *, HDRS);
			seq++;
			rtp[0] = 0x80;
			rtp[1] = 0; /* PCMU */
			rtp[2] = (uint8_t)(seq >> 8);
			rtp[3] = (uint8_t)seq;
			v = rte_cpu_to_be_32(seq * 160);
			memcpy(rtp + 4, &v, 4);
			v = rte_cpu_to_be_32(0x5eed0000u + call * 2 + (iface == NET_IFACE_INTERNAL));
			memcpy(rtp + 8, &v, 4);
			memset(rtp + 12, 0xff, 160);
			if (iface == NET_IFACE_EXTERNAL)
				bench_ring_frame(m, iface, h->gw, h->ext, 172);
			else
				bench_ring_frame(m, iface, h->app, h->in, 172);
			if (rte_ring_enqueue(bench_ring.rx[iface], m) != 0) {
				rte_pktmbuf_free(m);
				break;
			}
			sent++;
		}
		run(w);
		got += bench_ring_drain();
	}
	*fwd = got;
	return (double)timed / (double)rte_get_tsc_hz() * 1e9 / (sent ? sent : 1);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* rounds rounds of calls calls (ids of step h): their worker_poll cost per
 * call, sorted. 0, or 1 when calls did not complete. */
static int step(struct worker *w, unsigned h, unsigned calls, unsigned rounds, double *per_call)
{
	for (unsigned r = 0; r < rounds; r++) {
		unsigned done = 0, base = (h * MAX_ROUNDS + r) * calls;

		timed = 0;
		for (unsigned k = 0; k < calls; k += BATCH)
			done += batch(w, base + k);
		if (done != calls) {
			/* transactions live 32 s after their call: a long run
			 * fills the table (1,000,000) and the proxy answers 503 */
			fprintf(stderr, "sip_worker_bench: round %u: %u of %u calls completed "
				"(a shorter run: --calls, --rounds)\n", r, done, calls);
			return 1;
		}
		per_call[r] = (double)timed / (double)rte_get_tsc_hz() * 1e9 / calls;
	}
	qsort(per_call, rounds, sizeof(per_call[0]), cmp_d);
	return 0;
}

/* The main lcore's part of a capture, on another core: drain every 5 ms
 * (CAPTURE_TICK_MS of the daemon). */
static void *drain_main(void *arg)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };

	(void)arg;
	while (!drain_stop) {
		uint64_t t0 = rte_rdtsc();
		sip_capture_poll(capt);
		drain_tsc += rte_rdtsc() - t0;
		nanosleep(&tick, NULL);
	}
	return NULL;
}

/* A thread for drain_main on a CPU other than ours, if we may use one. */
static int drain_thread(pthread_t *t, int *cpu_out)
{
	cpu_set_t one;
	int me = sched_getcpu();
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	*cpu_out = me;
	if (pthread_create(t, NULL, drain_main, NULL) != 0)
		return -1;
	/* EAL pinned this thread to its lcore: ask for each other CPU in turn */
	for (int c = 0; c < n && c < CPU_SETSIZE; c++) {
		if (c == me)
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		if (pthread_setaffinity_np(*t, sizeof(one), &one) == 0) {
			*cpu_out = c;
			break;
		}
	}
	return 0;
}

/* --capture: the last step's held calls, rounds of calls with a capture
 * running, against the same without. */
static int capture_step(struct worker_sip_plane *sipp, struct worker *w, unsigned n_held,
			unsigned calls, unsigned rounds, double *per_call)
{
	double off[MAX_ROUNDS];
	char path[64], err[256] = "";
	json_t *args, *st;
	long long msgs, dropped;
	pthread_t drainer;
	int drain_cpu, rc;

	snprintf(path, sizeof(path), "/tmp/umedge-swb-capture-%d.pcap", (int)getpid());
	if (step(w, n_held, calls, rounds, off) != 0)
		return 1;
	capt = sip_capture_new(sipp);
	args = json_pack("{s:s}", "path", path);
	st = capt != NULL && args != NULL ? sip_capture_request(capt, "capture.start", args, err,
							       sizeof(err))
					 : NULL;
	json_decref(args);
	json_decref(st);
	if (st == NULL) {
		fprintf(stderr, "sip_worker_bench: capture: %s\n", err);
		return 1;
	}
	drain_tsc = 0;
	drain_stop = false;
	if (drain_thread(&drainer, &drain_cpu) != 0) {
		fprintf(stderr, "sip_worker_bench: no drain thread\n");
		return 1;
	}
	rc = step(w, n_held + 1, calls, rounds, per_call);
	drain_stop = true;
	pthread_join(drainer, NULL);
	if (rc != 0)
		return 1;
	st = sip_capture_request(capt, "capture.stop", NULL, err, sizeof(err));
	msgs = json_integer_value(json_object_get(st, "messages"));
	dropped = json_integer_value(json_object_get(st, "dropped"));
	json_decref(st);
	unlink(path);
	printf("capture (all SIP, keys redacted, pcap to a file; drained every 5 ms on cpu %d, "
	       "the worker on cpu %d):\n"
	       "       per call %6.0f ns on the worker with it, %6.0f without (%+.0f ns, %+.1f%%);\n"
	       "       the drain %4.0f ns per message (%lld messages, %lld dropped)\n",
	       drain_cpu, sched_getcpu(), per_call[rounds / 2], off[rounds / 2],
	       per_call[rounds / 2] - off[rounds / 2],
	       100.0 * (per_call[rounds / 2] - off[rounds / 2]) / off[rounds / 2],
	       msgs > 0 ? (double)drain_tsc / (double)rte_get_tsc_hz() * 1e9 / (double)msgs : 0.0,
	       msgs, dropped);
	sip_capture_free(capt);
	capt = NULL;
	return msgs > 0 ? 0 : 1; /* drops are a figure, not a failure */
}

int main(int argc, char **argv)
{
	unsigned calls = 20000, rounds = 5, held[8] = { 0 }, n_held = 1, up = 0;
	unsigned media_packets = 1000000;
	bool capture = false;
	struct media_engine *media = NULL;
	double per_call[MAX_ROUNDS];
	char err[256];
	struct config cfg;
	struct dp dp;
	json_error_t jerr;
	json_t *j;
	struct dp_snapshot *snap;
	struct worker_sip_plane *sipp;
	struct worker *w;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
			calls = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--held") == 0 && i + 1 < argc) {
			n_held = 0;
			for (char *t = strtok(argv[++i], ","); t != NULL && n_held < 8;
			     t = strtok(NULL, ","))
				held[n_held++] = (unsigned)atoi(t);
		} else if (strcmp(argv[i], "--sdp") == 0) {
			sdp = true;
		} else if (strcmp(argv[i], "--media-packets") == 0 && i + 1 < argc) {
			media_packets = (unsigned)atoi(argv[++i]);
		} else if (strcmp(argv[i], "--capture") == 0) {
			capture = true;
		} else {
			fprintf(stderr, "usage: %s [--calls N] [--rounds R (1-%d)] [--held N,N,...] "
				"[--sdp [--media-packets N]] [--capture]\n", argv[0], MAX_ROUNDS);
			return 2;
		}
	}
	if (calls < BATCH || calls > 200000 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "sip_worker_bench: --calls %d..200000, --rounds 1-%d\n", BATCH,
			MAX_ROUNDS);
		return 2;
	}
	for (unsigned h = 0; h < n_held; h++)
		if (held[h] > 100000 || (h > 0 && held[h] < held[h - 1])) {
			fprintf(stderr, "sip_worker_bench: --held rising, at most 100000\n");
			return 2;
		}
	if (media_packets < BATCH || media_packets > 100000000) {
		fprintf(stderr, "sip_worker_bench: --media-packets %d..100000000\n", BATCH);
		return 2;
	}
	calls -= calls % BATCH;
	if (sdp) {
		max_held_media = held[n_held - 1] + BATCH;
		held_media = calloc(max_held_media, sizeof(*held_media));
		if (held_media == NULL)
			return 1;
	}
	if (bench_eal_init("sip_worker_bench", "sipworkerbench", 1024) != 0)
		return 1;
	/* the daemon's defaults, with room for every transaction of the run
	 * (they live 32 s after their call: RFC 3261 timers J, L, M) */
	config_defaults(&cfg);
	cfg.dataplane.present = true;
	cfg.dataplane.sip.max_transactions = 1000000;
	cfg.dataplane.sip.max_calls = 131072;
	memset(&dp, 0, sizeof(dp));
	dp.cfg = &cfg;
	dp.n_workers = 1;
	dp.idle = CONFIG_IDLE_BUSY;
	dp.udp.sip_port = UMEDGE_SIP_PORT;
	/* the media ports of perf/call_bench.py's engine */
	dp.udp.media_first[NET_IFACE_EXTERNAL] = 10000;
	dp.udp.media_last[NET_IFACE_EXTERNAL] = 39999;
	dp.udp.media_first[NET_IFACE_INTERNAL] = 40000;
	dp.udp.media_last[NET_IFACE_INTERNAL] = 64999;
	pool = rte_pktmbuf_pool_create("swb_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp.pool = pool;
	dp.pool_indirect = rte_pktmbuf_pool_create("swb_ind", 1023, 32, 0, 0, 0);
	j = json_loads(snapshot_json, 0, &jerr);
	if (pool == NULL || dp.pool_indirect == NULL || bench_ring_setup(&dp, pool) != 0 ||
	    j == NULL || snapshot_init(1) != 0) {
		fprintf(stderr, "sip_worker_bench: set-up failed\n");
		return 1;
	}
	snap = snapshot_from_json(j, 1, err, sizeof(err));
	json_decref(j);
	if (snap == NULL) {
		fprintf(stderr, "sip_worker_bench: snapshot: %s\n", err);
		return 1;
	}
	snapshot_publish(snap);
	w = worker_new(&dp, 0, rte_lcore_id());
	if (w == NULL) {
		fprintf(stderr, "sip_worker_bench: worker set-up failed\n");
		return 1;
	}
	dp.workers[0] = w;
	sipp = worker_sip_setup(&dp);
	if (sipp == NULL) {
		fprintf(stderr, "sip_worker_bench: SIP set-up failed\n");
		return 1;
	}
	if (sdp) {
		/* the media engine, attached as the daemon attaches it */
		struct media_engine_conf mc = { .n_workers = 1, .socket = (int)rte_socket_id() };

		for (unsigned i = 0; i < NET_N_IFACES; i++) {
			mc.local_addr[i] = dp.ifaces[i].addr;
			mc.first[i] = dp.udp.media_first[i];
			mc.last[i] = dp.udp.media_last[i];
		}
		media = media_engine_new(&mc);
		if (media == NULL) {
			fprintf(stderr, "sip_worker_bench: media engine set-up failed\n");
			return 1;
		}
		media_worker_attach(media_engine_worker(media, 0), &w->net);
		if (worker_sip_set_media(sipp, media) != 0) {
			fprintf(stderr, "sip_worker_bench: no memory for the calls' media\n");
			return 1;
		}
	}
	bench_ring_arp_learn(w, pool, NET_IFACE_EXTERNAL);
	bench_ring_arp_learn(w, pool, NET_IFACE_INTERNAL);
	bench_ring_drain();

	bench_print_machine("sip_worker_bench", NULL);
	printf("setup: one worker (worker_poll, SIP attached as in the daemon) between two "
	       "net_ring ports;\n       %u calls a round, %d at a time (INVITE, 100, 180, 200, "
	       "ACK, BYE, 200; %s),\n       the benchmark playing the gateway and the "
	       "application; only worker_poll timed (TSC);\n       median of %u rounds\n\n",
	       calls, BATCH,
	       sdp ? "SDP offer and answer, RTP/AVP, a media session per call" : "no SDP", rounds);
	{
		/* what a loop with nothing to do costs: paid per packet when
		 * packets come one per loop (end to end at low rates) */
		uint64_t t0 = rte_rdtsc_precise();

		for (unsigned i = 0; i < 100000; i++)
			worker_poll(w);
		printf("empty worker_poll: %.0f ns\n\n",
		       (double)(rte_rdtsc_precise() - t0) / (double)rte_get_tsc_hz() * 1e9 / 100000);
	}
	for (unsigned h = 0; h < n_held; h++) {
		/* the calls held open at this step (ids apart from the churn's) */
		while (up < held[h])
			up += hold_batch(w, 0x40000000u + up);
		if (step(w, h, calls, rounds, per_call) != 0)
			return 1;
		printf("held %6u  per call %6.0f ns: %6.0f calls per core-second, %7.0f messages "
		       "(6 in, 7 out) per core-second; best %.0f, worst %.0f ns\n",
		       up, per_call[rounds / 2], 1e9 / per_call[rounds / 2],
		       13e9 / per_call[rounds / 2], per_call[0], per_call[rounds - 1]);
	}
	if (capture && capture_step(sipp, w, n_held, calls, rounds, per_call) != 0)
		return 1;
	if (sdp && n_held_media > 0) {
		double ns[MAX_ROUNDS];
		unsigned fwd = 0;

		media_round(w, media_packets / 10, &fwd); /* warm-up */
		for (unsigned r = 0; r < rounds; r++) {
			ns[r] = media_round(w, media_packets, &fwd);
			if (fwd < media_packets - media_packets / 100) {
				fprintf(stderr, "sip_worker_bench: %u of %u RTP packets forwarded\n",
					fwd, media_packets);
				return 1;
			}
		}
		qsort(ns, rounds, sizeof(ns[0]), cmp_d);
		printf("media on the %u held calls' sessions (RTP<->RTP, 172-octet RTP, both ways, "
		       "bursts of %d):\n       %.0f ns per packet, %.2f Mpps per core "
		       "(best %.0f, worst %.0f ns); perf/media_bench measures the same path for "
		       "SRTP\n",
		       n_held_media, BATCH, ns[rounds / 2], 1e3 / ns[rounds / 2], ns[0],
		       ns[rounds - 1]);
	}
	worker_sip_free(sipp);
	media_engine_free(media);
	free(held_media);
	bench_eal_cleanup();
	return 0;
}
