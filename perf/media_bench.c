/* media_bench: the whole worker media path (RX burst, Ethernet, IPv4, UDP,
 * session lookup, SRTP protect/unprotect in place, header rewrite, ARP
 * lookup, TX burst) per worker core, with many sessions.
 *
 * In-process, one lcore, two net_ring ports (external 192.0.2.1/24,
 * internal 198.51.100.1/24), one worker (worker_poll, the daemon's loop)
 * with the media engine attached. A generator outside the timed region
 * writes bursts of 32 packets into one port's RX ring, round robin over the
 * sessions (each burst touches 32 different sessions, as many calls do):
 *   RTP->SRTP: plain RTP from the application to int_local;
 *   SRTP->RTP: SRTP from the gateway to ext_local, protected by a peer
 *              context per session (the same backend, keyed like the
 *              gateway).
 * Only worker_poll is timed. Results are Mpps per worker core (median and
 * best of ~0.1 s windows) and ns/packet, per SRTP engine (the burst engine
 * on intel-ipsec-mb, libsrtp2 on umedge's OpenSSL primitives), suite,
 * direction and session count.
 *
 * More sessions than port pairs (31,000 on one address pair): the
 * generator binds each packet's session to its pair (four pointer stores in
 * the worker's port table, outside the timed region) before the burst, so
 * the path works over the whole set of sessions' state; one address pair
 * could not hold that many sessions at once (docs/benchmarks.md).
 *
 * usage: media_bench [--seconds N] [--sessions N,N,...] [--all-suites]
 *                    [--engine both|ipsec_mb|libsrtp2] */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_udp.h>
#include <rte_version.h>

#include "bench_eal.h"
#include "bench_ring.h"
#include "bench_machine.h"
#include "dp.h"
#include "worker.h"
#include "media/media.h"
#include "media/srtp_backend.h"

#define BURST NET_BURST
#define PAYLOAD 160                   /* G.711, 20 ms */
#define RTP_LEN (12 + PAYLOAD)
#define PORT_BASE 2000
#define PORT_PAIRS 31000              /* even ports 2000..63998, both ifaces */
#define MAX_SESSIONS 1000000          /* beyond PORT_PAIRS: pairs rebound in turn */
#define WINDOWS_MAX 16384
#define WINDOW_BURSTS 64              /* ~2 ms: most windows see no preemption */

static struct media_worker *g_mw;
static struct srtp_mb *g_gen_mb;      /* the generator's manager */

/* The generator's gateway contexts on intel-ipsec-mb (a build without it
 * has the libsrtp2 engine only, and these are never asked for). */
#ifdef UMEDGE_HAVE_SRTP_MB
static int mpeer_new(enum umedge_srtp_suite suite, const uint8_t *key, struct srtp_mb_ctx **c)
{
	return srtp_mb_ctx_new(suite, key, true, c);
}

static int mpeer_protect(struct srtp_mb_ctx *c, uint8_t *rtp, int len)
{
	struct srtp_mb_pkt pk = { rtp, len, c, false, 0 };

	srtp_mb_protect(g_gen_mb, &pk, 1);
	return pk.rc == 0 ? pk.len : -1;
}

static void mpeer_free(struct srtp_mb_ctx *c)
{
	srtp_mb_ctx_free(c);
}

static struct srtp_mb *gen_mb_new(void)
{
	return srtp_mb_new();
}

static void gen_mb_free(struct srtp_mb *m)
{
	srtp_mb_free(m);
}
#else
static int mpeer_new(enum umedge_srtp_suite suite, const uint8_t *key, struct srtp_mb_ctx **c)
{
	(void)suite, (void)key, (void)c;
	return -1;
}

static int mpeer_protect(struct srtp_mb_ctx *c, uint8_t *rtp, int len)
{
	(void)c, (void)rtp, (void)len;
	return -1;
}

static void mpeer_free(struct srtp_mb_ctx *c)
{
	(void)c;
}

static struct srtp_mb *gen_mb_new(void)
{
	return NULL;
}

static void gen_mb_free(struct srtp_mb *m)
{
	(void)m;
}
#endif

struct bench_session {
	struct media_session *s;
	uint16_t port;                /* local and remote, both legs */
	srtp_t peer;                  /* the gateway's sender context (libsrtp2 engine) */
	struct srtp_mb_ctx *mpeer;    /* the same on intel-ipsec-mb (burst engine: smaller) */
	uint16_t seq_in, seq_out;
	uint32_t ts;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A burst of 32 packets for sessions next..next+31 into one RX ring:
 * srtp_in: SRTP from the gateway; else RTP from the application. */
static unsigned generate(struct rte_mempool *pool, struct bench_session *bs, unsigned n_sess,
			 unsigned *next, bool srtp_in)
{
	struct rte_mbuf *m[BURST];
	unsigned iface = srtp_in ? NET_IFACE_EXTERNAL : NET_IFACE_INTERNAL;
	size_t hdr = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
		     sizeof(struct rte_udp_hdr);

	if (rte_pktmbuf_alloc_bulk(pool, m, BURST) != 0)
		return 0;
	for (unsigned i = 0; i < BURST; i++) {
		struct bench_session *b = &bs[*next];
		if (n_sess > PORT_PAIRS) {
			/* this session takes its pair now (generator's time) */
			g_mw->slot[NET_IFACE_EXTERNAL][b->port] = b->s;
			g_mw->slot[NET_IFACE_EXTERNAL][b->port + 1] = b->s;
			g_mw->slot[NET_IFACE_INTERNAL][b->port] = b->s;
			g_mw->slot[NET_IFACE_INTERNAL][b->port + 1] = b->s;
		}
		uint8_t *rtp = rte_pktmbuf_mtod_offset(m[i], uint8_t *, hdr);
		uint16_t seq = srtp_in ? b->seq_in++ : b->seq_out++;
		uint32_t ssrc = rte_cpu_to_be_32(0x10000u + *next + (srtp_in ? 0 : 0x100000u));
		int len = RTP_LEN;

		*next = (*next + 1) % n_sess;
		rtp[0] = 0x80;
		rtp[1] = 0;
		rtp[2] = (uint8_t)(seq >> 8);
		rtp[3] = (uint8_t)seq;
		uint32_t ts = rte_cpu_to_be_32(b->ts += 160);
		memcpy(rtp + 4, &ts, 4);
		memcpy(rtp + 8, &ssrc, 4);
		memset(rtp + 12, 0xd5, PAYLOAD);
		if (srtp_in && b->mpeer != NULL) {
			len = mpeer_protect(b->mpeer, rtp, len);
			if (len < 0)
				len = RTP_LEN; /* the engine will count it */
			bench_ring_frame(m[i], iface, b->port, b->port, (uint16_t)len);
		} else if (srtp_in) {
			if (srtp_protect(b->peer, rtp, &len) != srtp_err_status_ok)
				len = RTP_LEN; /* the engine will count it */
			bench_ring_frame(m[i], iface, b->port, b->port, (uint16_t)len);
		} else {
			bench_ring_frame(m[i], iface, b->port, b->port, (uint16_t)len);
		}
	}
	unsigned k = rte_ring_enqueue_burst(bench_ring.rx[iface], (void **)m, BURST, NULL);
	if (k < BURST)
		rte_pktmbuf_free_bulk(m + k, BURST - k);
	return k;
}

struct result {
	uint64_t packets, sent;
	double ns[WINDOWS_MAX];       /* windows the thread kept its core through */
	double all[WINDOWS_MAX];      /* every window */
	unsigned n_windows, n_preempted, n_all;
};

static long switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return -1;
	return ru.ru_nivcsw + ru.ru_nvcsw;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct result run(struct worker *w, struct rte_mempool *pool, struct bench_session *bs,
			 unsigned n_sess, bool srtp_in, double seconds)
{
	struct result r;
	unsigned next = 0;
	double t0 = now_s();

	memset(&r, 0, sizeof(r));
	while (now_s() - t0 < seconds) {
		uint64_t wp = 0, wc = 0;
		long sw0 = switches();
		for (unsigned it = 0; it < WINDOW_BURSTS; it++) {
			generate(pool, bs, n_sess, &next, srtp_in);
			uint64_t c0 = rte_rdtsc_precise();
			wp += worker_poll(w);
			wc += rte_rdtsc_precise() - c0;
			r.sent += bench_ring_drain();
		}
		r.packets += wp;
		/* the machine is shared: a window in which another thread took
		 * the core measures that thread, not the path */
		double ns = wp ? (double)wc / (double)rte_get_tsc_hz() * 1e9 / (double)wp : 0;
		if (wp > 0 && r.n_all < WINDOWS_MAX)
			r.all[r.n_all++] = ns;
		if (switches() != sw0)
			r.n_preempted++;
		else if (wp > 0 && r.n_windows < WINDOWS_MAX)
			r.ns[r.n_windows++] = ns;
	}
	/* too few clean windows (a busy machine): every window, marked '*' */
	if (r.n_windows * 10 < r.n_all) {
		memcpy(r.ns, r.all, sizeof(r.ns));
		r.n_windows = r.n_all;
		r.n_preempted = UINT_MAX;
	}
	qsort(r.ns, r.n_windows, sizeof(r.ns[0]), cmp_double);
	return r;
}

static void random_key(uint8_t *k, size_t len)
{
	for (size_t i = 0; i < len; i++)
		k[i] = (uint8_t)rand();
}

static int make_peer(srtp_t *ctx, enum umedge_srtp_suite suite, const uint8_t *key)
{
	return srtp_backend_create(ctx, suite, key, ssrc_any_outbound);
}

static int build_sessions(struct media_worker *mw, struct bench_session *bs, unsigned n,
			  enum umedge_srtp_suite suite)
{
	for (unsigned i = 0; i < n; i++) {
		struct media_session_params p;
		memset(&p, 0, sizeof(p));
		p.srtp = true;
		p.suite = suite;
		uint16_t port = (uint16_t)(PORT_BASE + 2 * (i % PORT_PAIRS));
		p.ext_local = p.int_local = port;
		p.ext_remote_ip = bench_ring.peer_ip[NET_IFACE_EXTERNAL];
		p.int_remote_ip = bench_ring.peer_ip[NET_IFACE_INTERNAL];
		p.ext_remote_port = p.int_remote_port = port;
		random_key(p.rx_key, sizeof(p.rx_key));
		random_key(p.tx_key, sizeof(p.tx_key));
		memset(&bs[i], 0, sizeof(bs[i]));
		bs[i].port = port;
		if (media_session_new(&p, i + 1, &bs[i].s) != 0)
			return -1;
		if (media_srtp_burst() ? mpeer_new(suite, p.rx_key, &bs[i].mpeer) != 0 :
					 make_peer(&bs[i].peer, suite, p.rx_key) != 0)
			return -1;
		if (n <= PORT_PAIRS)
			media_worker_install(mw, bs[i].s);
	}
	return 0;
}

static void free_sessions(struct media_worker *mw, struct bench_session *bs, unsigned n)
{
	if (n > PORT_PAIRS) {
		memset(mw->slot, 0, sizeof(mw->slot));
		mw->n_sessions = 0;
	}
	for (unsigned i = 0; i < n; i++) {
		if (bs[i].s != NULL) {
			if (n <= PORT_PAIRS)
				media_worker_unlink(mw, bs[i].s);
			media_session_free(bs[i].s);
		}
		if (bs[i].peer != NULL)
			srtp_dealloc(bs[i].peer);
		mpeer_free(bs[i].mpeer);
	}
}

/* Heap octets in use (libsrtp2 and OpenSSL allocate with malloc). */
static long heap_in_use(void)
{
	return (long)mallinfo2().uordblks;
}

/* One RTP->SRTP burst for session 0, decrypted by a stock-keyed inbound
 * context: the path really produces SRTP the gateway accepts. */
static bool check_output(struct worker *w, struct rte_mempool *pool, struct bench_session *bs,
			 enum umedge_srtp_suite suite, const uint8_t *tx_key)
{
	srtp_t in;
	unsigned next = 0;
	struct rte_mbuf *m[BURST];
	bool good = true;

	if (srtp_backend_create(&in, suite, tx_key, ssrc_any_inbound) != 0)
		return false;
	generate(pool, bs, 1, &next, false);
	worker_poll(w);
	unsigned n = rte_ring_dequeue_burst(bench_ring.tx[NET_IFACE_EXTERNAL], (void **)m, BURST, NULL);
	good = n == BURST;
	for (unsigned i = 0; i < n; i++) {
		size_t off = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr);
		struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m[i], struct rte_udp_hdr *, off);
		int len = rte_be_to_cpu_16(uh->dgram_len) - 8;
		good = good && srtp_unprotect(in, uh + 1, &len) == srtp_err_status_ok &&
		       len == RTP_LEN;
	}
	rte_pktmbuf_free_bulk(m, n);
	srtp_dealloc(in);
	return good;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "all-suites", no_argument, NULL, 'a' },
		{ "engine", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned counts[8] = { 1000, 10000, MAX_SESSIONS }, n_counts = 3;
	double seconds = 2;
	bool all = false;
	enum config_srtp_engine engines[2] = { CONFIG_SRTP_ENGINE_IPSEC_MB,
					       CONFIG_SRTP_ENGINE_LIBSRTP2 };
	unsigned n_engines = 2;
	int opt;

	while ((opt = getopt_long(argc, argv, "s:n:ae:", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'n': {
			n_counts = 0;
			for (char *t = strtok(optarg, ","); t != NULL && n_counts < 8;
			     t = strtok(NULL, ","))
				counts[n_counts++] = (unsigned)atoi(t);
			break;
		}
		case 'a':
			all = true;
			break;
		case 'e':
			n_engines = 1;
			if (strcmp(optarg, "libsrtp2") == 0)
				engines[0] = CONFIG_SRTP_ENGINE_LIBSRTP2;
			else if (strcmp(optarg, "both") == 0)
				n_engines = 2;
			else if (strcmp(optarg, "ipsec_mb") != 0)
				goto usage;
			break;
		default:
		usage:
			fprintf(stderr, "usage: media_bench [--seconds N] [--sessions N,N,...] "
					"[--all-suites] [--engine both|ipsec_mb|libsrtp2]\n");
			return 2;
		}
	}
	for (unsigned i = 0; i < n_counts; i++)
		if (counts[i] < 1 || counts[i] > MAX_SESSIONS) {
			fprintf(stderr, "media_bench: 1..%u sessions\n", MAX_SESSIONS);
			return 2;
		}

	unsigned max_count = 1;
	for (unsigned i = 0; i < n_counts; i++)
		max_count = counts[i] > max_count ? counts[i] : max_count;
	/* the sessions (rte_zmalloc) on top of the pools */
	if (bench_eal_init("media_bench", "mediabench",
			   512 + (unsigned)((uint64_t)max_count * 2 * sizeof(struct media_session) >>
					    20)) != 0)
		return 1;
	if (srtp_backend_register() != 0) {
		fprintf(stderr, "media_bench: SRTP backend\n");
		return 1;
	}
	struct dp dp;
	memset(&dp, 0, sizeof(dp));
	dp.n_workers = 1;
	dp.idle = CONFIG_IDLE_BUSY;
	dp.pool = rte_pktmbuf_pool_create("mb_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp.pool_indirect = rte_pktmbuf_pool_create("mb_ind", 1023, 32, 0, 0, 0);
	if (dp.pool == NULL || dp.pool_indirect == NULL || bench_ring_setup(&dp, dp.pool) != 0) {
		fprintf(stderr, "media_bench: set-up failed\n");
		return 1;
	}
	for (unsigned i = 0; i < NET_N_IFACES; i++) {
		dp.udp.media_first[i] = 1024;
		dp.udp.media_last[i] = 65535;
	}
	struct worker *w = worker_new(&dp, 0, rte_lcore_id());
	struct media_worker *mw = NULL;
	struct bench_session *bs = calloc(max_count, sizeof(*bs));
	if (w == NULL || bs == NULL) {
		fprintf(stderr, "media_bench: worker set-up failed\n");
		return 1;
	}
	dp.workers[0] = w;
	/* the stack's own hooks, put back before each engine's media worker */
	struct net_ctx hooks = w->net;
	bench_ring_arp_learn(w, dp.pool, NET_IFACE_EXTERNAL);
	bench_ring_arp_learn(w, dp.pool, NET_IFACE_INTERNAL);
	bench_ring_drain();

	const enum umedge_srtp_suite suites[] = {
		UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, UMEDGE_SRTP_AEAD_AES_128_GCM,
		UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32, UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80,
		UMEDGE_SRTP_AEAD_AES_256_GCM };
	unsigned n_suites = all ? 5 : 2;

	bench_print_machine("media_bench", OpenSSL_version(OPENSSL_VERSION));
	bench_print_isa();
	printf("setup: two net_ring ports, one worker core (worker_poll), %d-octet RTP payload "
	       "(%d-octet RTP), bursts of %d, round robin over the sessions,\n"
	       "       %.1f s per figure; only worker_poll is timed (TSC), in windows of %d bursts;\n"
	       "       windows in which the thread was switched out are discarded (shared machine);\n"
	       "       median and best of the rest; 'kept' = windows kept / all ('all N*': fewer\n"
	       "       than 10%% were clean, every window used)\n",
	       PAYLOAD, RTP_LEN, BURST, seconds, WINDOW_BURSTS);
	for (unsigned ei = 0; ei < n_engines; ei++) {
	char why[256];
	const char *ename = engines[ei] == CONFIG_SRTP_ENGINE_LIBSRTP2 ? "libsrtp2" : "ipsec-mb";

	if (media_srtp_engine_init(engines[ei], why, sizeof(why)) != 0) {
		printf("\nengine %s: %s: not measured\n", ename, why);
		continue;
	}
	printf("\nengine %s: %s\n", ename, why);
	w->net.udp_input = hooks.udp_input;
	w->net.udp_arg = hooks.udp_arg;
	w->net.poll_hook = hooks.poll_hook;
	w->net.poll_arg = hooks.poll_arg;
	mw = media_worker_new(0, 0);
	g_gen_mb = media_srtp_burst() ? gen_mb_new() : NULL;
	if (mw == NULL || (media_srtp_burst() && g_gen_mb == NULL)) {
		fprintf(stderr, "media_bench: media worker set-up failed\n");
		return 1;
	}
	g_mw = mw;
	media_worker_attach(mw, &w->net);
	printf("%-9s %-24s %9s %-10s %7s %8s %9s %8s %7s %11s\n", "engine", "suite", "sessions",
	       "direction", "Mpps", "ns/pkt", "best Mpps", "best ns", "out/in", "kept");
	srand(42);
	for (unsigned si = 0; si < n_suites; si++) {
		for (unsigned ci = 0; ci < n_counts; ci++) {
			unsigned n = counts[ci];
			uint64_t drops0 = 0;
			long heap0 = heap_in_use();
			if (build_sessions(mw, bs, n, suites[si]) != 0) {
				fprintf(stderr, "media_bench: %u sessions could not be built\n", n);
				return 1;
			}
			/* the first RTP->SRTP burst must decrypt at the gateway */
			if (ci == 0 && n <= PORT_PAIRS) {
				uint8_t key[MEDIA_KEY_MAX];
				/* rebuild session 0 with a known TX key */
				struct media_session_params p;
				memset(&p, 0, sizeof(p));
				media_worker_unlink(mw, bs[0].s);
				media_session_free(bs[0].s);
				p.srtp = true;
				p.suite = suites[si];
				p.ext_local = p.int_local = PORT_BASE;
				p.ext_remote_ip = bench_ring.peer_ip[0];
				p.int_remote_ip = bench_ring.peer_ip[1];
				p.ext_remote_port = p.int_remote_port = PORT_BASE;
				random_key(key, sizeof(key));
				memcpy(p.tx_key, key, sizeof(key));
				random_key(p.rx_key, sizeof(p.rx_key));
				if (media_session_new(&p, 1, &bs[0].s) != 0)
					return 1;
				media_worker_install(mw, bs[0].s);
				if (!check_output(w, dp.pool, bs, suites[si], key)) {
					fprintf(stderr, "media_bench: RTP->SRTP output does not decrypt\n");
					return 1;
				}
				/* session 0's peer must share its RX key again */
				if (bs[0].peer != NULL) {
					srtp_dealloc(bs[0].peer);
					if (make_peer(&bs[0].peer, suites[si], p.rx_key) != 0)
						return 1;
				} else {
					mpeer_free(bs[0].mpeer);
					if (mpeer_new(suites[si], p.rx_key, &bs[0].mpeer) != 0)
						return 1;
				}
			}
			for (int dir = 0; dir < 2; dir++) {
				bool srtp_in = dir == 1;

				run(w, dp.pool, bs, n, srtp_in, seconds / 4); /* warm-up, new SSRCs */
				drops0 = mw->cnt.auth_fail + mw->cnt.replay + mw->cnt.srtp_error +
					 mw->cnt.no_session + mw->cnt.foreign + mw->cnt.bad_packet;
				struct result r = run(w, dp.pool, bs, n, srtp_in, seconds);
				uint64_t drops = mw->cnt.auth_fail + mw->cnt.replay +
						 mw->cnt.srtp_error + mw->cnt.no_session +
						 mw->cnt.foreign + mw->cnt.bad_packet - drops0;
				double med = r.n_windows ? r.ns[r.n_windows / 2] : 0;
				double best = r.n_windows ? r.ns[0] : 0;
				char kept[32];
				if (r.n_preempted == UINT_MAX)
					snprintf(kept, sizeof(kept), "all %u*", r.n_windows);
				else
					snprintf(kept, sizeof(kept), "%u/%u", r.n_windows,
						 r.n_windows + r.n_preempted);
				printf("%-9s %-24s %9u %-10s %7.2f %8.1f %9.2f %8.1f %7.3f %11s%s\n",
				       ename, umedge_srtp_suite_name(suites[si]), n,
				       srtp_in ? "SRTP->RTP" : "RTP->SRTP", 1e3 / med, med,
				       1e3 / best, best,
				       r.packets ? (double)r.sent / (double)r.packets : 0.0, kept,
				       drops ? "  (drops!)" : "");
				fflush(stdout);
			}
			if (ci == n_counts - 1)
				printf("%-9s %-24s %9u memory: %.0f octets of heap per session (the "
				       "engine's two contexts with their SSRC streams and the generator's "
				       "peer context) + %zu of struct media_session\n",
				       ename, umedge_srtp_suite_name(suites[si]), n,
				       (double)(heap_in_use() - heap0) / n, sizeof(struct media_session));
			free_sessions(mw, bs, n);
		}
	}
	if (media_srtp_burst())
		printf("burst engine: %.1f packets per burst on average\n",
		       mw->cnt.bursts ? (double)mw->cnt.burst_packets / (double)mw->cnt.bursts : 0.0);
	media_worker_free(mw);
	gen_mb_free(g_gen_mb);
	g_gen_mb = NULL;
	}
	{
		double load[3];

		if (getloadavg(load, 3) == 3)
			printf("loadavg at end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
	}
	printf("session state: %zu octets of struct media_session, plus the engine's contexts\n",
	       sizeof(struct media_session));
	worker_free(w);
	free(bs);
	bench_eal_cleanup();
	return 0;
}
