/*
 * tls_bench: TLS handshakes through the engine's own code (tcp_stack +
 * tls_conn + async offload), per worker core.
 *
 * The "worker" is the main thread: a TCP stack with a TLS listener, polled
 * in a loop like a worker lcore. The gateways are a second thread with its
 * own stack, connected by two rte_rings (segments both ways), opening
 * CONC connections at a time; each one completes mutual TLS and closes.
 * With offload, a third thread is the crypto lcore, in one of the engine's
 * two modes: `keys` (the private-key operation, SSL_MODE_ASYNC) or
 * `handshake` (every handshake step).
 *
 * Alongside the storm, a media stream of 172-byte RTP packets arrives at a
 * fixed rate (each stamped with its scheduled arrival time, so a long
 * worker iteration delays the ones behind it; the clock of the stream
 * leaves out the gateways' turns, which share this thread); the worker protects each
 * with SRTP (AES_CM_128_HMAC_SHA1_80, umedge's OpenSSL backend) at the top
 * of its iteration, like RX, and the latency is arrival to protected.
 *
 * Printed, for RSA-2048 and ECDSA P-256 engine keys:
 *   - `openssl speed` sign/s of this machine, measured in this run;
 *   - full and resumed handshakes/s on the worker core, inline and in both
 *     offload modes, and full handshakes per busy second of the signing
 *     core over that sign/s bound;
 *   - the longest and the 99.9th percentile time of a working worker loop
 *     iteration (the gap between two polls) during the storm;
 *   - media latency through the worker: p50, p99, max.
 *
 * usage: tls_bench [SECONDS per figure, default 2] [CONC, default 32]
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_version.h>

#include <srtp2/srtp.h>

#include "srtp_backend.h"
#include "tcp.h"
#include "tls.h"
#include "tls_internal.h"

#define ADDR_S 0xc0000201u	/* 192.0.2.1: the engine */
#define ADDR_C 0xc000020au	/* 192.0.2.10: the gateway */
#define PORT 5061
#define GAP_BUCKETS 100000	/* 1 us buckets, up to 100 ms */
#define MAX_CONC 256
#define MEDIA_PPS 20000		/* 400 calls' worth of 20 ms packets */
#define MEDIA_Q 65536

enum mode { M_INLINE, M_KEYS, M_STEPS };
static const char *const mode_names[] = { "inline", "1 crypto core, keys",
					  "1 crypto core, handshake" };

struct seg {
	struct rte_mbuf *m;
};

static struct rte_mempool *pool;
static struct rte_ring *to_server, *to_client;
static uint64_t hz;

/* ---- certificates ---- */

static EVP_PKEY *keygen(bool rsa)
{
	return rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
		   : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static X509 *mkcert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, bool ca)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	char san[300];

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)rand());
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	snprintf(san, sizeof(san), "DNS:%s", cn);
	ext = X509V3_EXT_conf_nid(NULL, &v3, ca ? NID_basic_constraints : NID_subject_alt_name,
				  ca ? "critical,CA:TRUE" : san);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, issuer ? ikey : key, EVP_sha256());
	return x;
}

static char *pem_of(X509 *x, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *s;
	long n;

	if (x != NULL)
		PEM_write_bio_X509(b, x);
	if (k != NULL)
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	s = malloc((size_t)n + 1);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

struct party {
	char *cert, *key;
};

static void party(struct party *p, bool rsa, const char *cn, X509 *ca, EVP_PKEY *cakey)
{
	EVP_PKEY *k = keygen(rsa);
	X509 *x = mkcert(k, cn, ca, cakey, false);

	p->cert = pem_of(x, NULL);
	p->key = pem_of(NULL, k);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* ---- the two stacks ---- */

static int out_server(void *ctx, struct rte_mbuf *m, uint32_t s, uint32_t d)
{
	if (rte_ring_sp_enqueue(to_client, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

static int out_client(void *ctx, struct rte_mbuf *m, uint32_t s, uint32_t d)
{
	if (rte_ring_sp_enqueue(to_server, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

static struct tcp_stack *stack(bool server)
{
	struct tcp_config c;

	tcp_config_defaults(&c);
	c.hz = hz;
	c.pool = pool;
	c.output = server ? out_server : out_client;
	c.max_conns = 2048;
	c.max_half_open = 1024;
	c.max_per_source = 0;
	c.time_wait_ms = 50;
	c.snd_buf = c.rcv_buf = 16 * 1024;
	return tcp_stack_new(&c, rte_rdtsc());
}

static unsigned drain(struct rte_ring *r, struct tcp_stack *st, uint32_t src, uint32_t dst)
{
	struct rte_mbuf *m[32];
	unsigned n = rte_ring_sc_dequeue_burst(r, (void **)m, 32, NULL);
	uint64_t now = rte_rdtsc();

	for (unsigned i = 0; i < n; i++)
		tcp_input(st, m[i], src, dst, now);
	return n;
}

/* ---- the gateways (client thread) ---- */

struct client {
	struct tls_ctx *ctx;
	struct tcp_stack *st;
	struct tls_worker tw;
	unsigned conc;
	bool resume;
	SSL_SESSION *sess[MAX_CONC];
	struct tls_conn *slot[MAX_CONC];
	uint64_t opened, failed;
};

struct cslot {
	struct client *cl;
	unsigned i;
};
static struct cslot cslots[MAX_CONC];

static void c_open(struct tls_conn *t, void *user)
{
	struct cslot *s = user;
	struct client *cl = s->cl;

	cl->opened++;
	if (!cl->resume) {
		tls_conn_close(t);
		return;
	}
	/* the ticket comes after the server's Finished: one byte there and
	 * back, so it has arrived before the session is taken */
	tls_conn_write(t, "x", 1);
}

static size_t c_data(struct tls_conn *t, void *user, const uint8_t *p, size_t len)
{
	struct cslot *s = user;
	struct client *cl = s->cl;

	if (cl->sess[s->i] == NULL)
		cl->sess[s->i] = SSL_get1_session(t->ssl);
	tls_conn_close(t);
	return len;
}

static void c_closed(struct tls_conn *t, void *user, int err, const char *reason)
{
	struct cslot *s = user;

	s->cl->slot[s->i] = NULL;
	if (err != 0 && reason != NULL) {
		s->cl->failed++;
		if (getenv("TLS_BENCH_DEBUG") != NULL)
			fprintf(stderr, "gateway side: %s\n", reason);
	}
}

static const struct tls_app_ops c_ops = {
	.on_open = c_open, .on_data = c_data, .on_closed = c_closed,
};

static void c_start(struct client *cl, unsigned i)
{
	struct tls_conn *t = NULL;

	if (tls_connect(&cl->tw, cl->ctx, cl->st, ADDR_S, PORT, ADDR_C, "um1.example.test",
			&c_ops, &cslots[i], &t) != 0)
		return;
	if (cl->resume && cl->sess[i] != NULL) {
		/* TLS 1.3 tickets are single use: take the next one */
		SSL_set_session(t->ssl, cl->sess[i]);
		SSL_SESSION_free(cl->sess[i]);
		cl->sess[i] = NULL;
	}
	cl->slot[i] = t;
}

/* The gateways' turn, in the worker's thread between two worker
 * iterations (two threads on 2 shared cpus would measure the scheduler):
 * not counted as worker time. */
static void client_step(struct client *cl)
{
	drain(to_client, cl->st, ADDR_S, ADDR_C);
	tcp_stack_poll(cl->st, rte_rdtsc());
	tls_worker_poll(&cl->tw);
	for (unsigned i = 0; i < cl->conc; i++)
		if (cl->slot[i] == NULL)
			c_start(cl, i);
}

/* ---- the crypto core ---- */

static atomic_bool crypto_stop;

static uint64_t crypto_busy;	/* TSC cycles spent computing */
static atomic_bool crypto_pinned;	/* on a cpu of its own: poll like an lcore */

static void *crypto_main(void *arg)
{
	while (!atomic_load(&crypto_stop)) {
		uint64_t t0 = rte_rdtsc();

		if (tls_crypto_poll(0, 16) == 0) {
			if (atomic_load(&crypto_pinned))
				rte_pause();
			else
				usleep(10);	/* sharing the worker's cpu */
		}
		else
			__atomic_fetch_add(&crypto_busy, rte_rdtsc() - t0, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The crypto core on its own cpu, as a crypto lcore is (a thread created
 * by the EAL main thread would inherit its cpu 0 and take turns with the
 * worker). */
static void pin_crypto(pthread_t t)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	atomic_store(&crypto_pinned, false);
	if (n < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	if (pthread_setaffinity_np(t, sizeof(set), &set) != 0)
		fprintf(stderr, "could not pin the crypto thread to cpu 1\n");
	else
		atomic_store(&crypto_pinned, true);
}

static long preemptions(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nivcsw;
}

/* ---- the media stream ---- */

struct media {
	srtp_t s;
	uint64_t period, next;		/* TSC */
	uint64_t q[MEDIA_Q];		/* scheduled arrival times */
	unsigned head, tail;
	uint16_t seq;
	uint64_t lat[GAP_BUCKETS];	/* 1 us buckets */
	uint64_t n, max, dropped;
};

static struct media media;
/* The gateways run in this thread between worker iterations; the media
 * clock leaves their time out, as if they ran elsewhere */
static uint64_t gw_cycles;

static uint64_t wclock(void)
{
	return rte_rdtsc() - gw_cycles;
}

static void media_start(uint64_t now)
{
	static uint8_t key[30];
	srtp_policy_t pol;

	if (media.s != NULL)
		srtp_dealloc(media.s);
	memset(&media, 0, sizeof(media));
	memset(&pol, 0, sizeof(pol));
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	if (srtp_backend_suite_policy(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, &pol.rtp, &pol.rtcp) != 0)
		exit(1);
	pol.ssrc.type = ssrc_any_outbound;
	pol.key = key;
	pol.window_size = 128;
	if (srtp_create(&media.s, &pol) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_create failed\n");
		exit(1);
	}
	media.period = hz / MEDIA_PPS;
	media.next = now;
}

/* The "network": every packet whose arrival time has come is queued with
 * that time (runs between worker iterations, not timed). */
static void media_arrive(uint64_t now)
{
	while (media.next <= now) {
		if (media.tail - media.head < MEDIA_Q)
			media.q[media.tail++ % MEDIA_Q] = media.next;
		else
			media.dropped++;
		media.next += media.period;
	}
}

/* The worker's RX: protect every queued packet, record its latency. */
static unsigned media_poll(bool counting)
{
	uint8_t pkt[256];
	unsigned n = 0;

	while (media.head != media.tail) {
		uint64_t t0 = media.q[media.head++ % MEDIA_Q], lat;
		int len = 12 + 160;

		memset(pkt, 0, 12 + 160);
		pkt[0] = 0x80;
		pkt[1] = 0;
		pkt[2] = (uint8_t)(media.seq >> 8);
		pkt[3] = (uint8_t)media.seq;
		media.seq++;
		pkt[8] = 0x12;
		pkt[11] = 0x34;
		if (srtp_protect(media.s, pkt, &len) != srtp_err_status_ok)
			media.dropped++;
		lat = wclock() - t0;
		n++;
		if (!counting)
			continue;
		uint64_t us = lat * 1000000 / hz;

		media.lat[us < GAP_BUCKETS ? us : GAP_BUCKETS - 1]++;
		media.n++;
		if (lat > media.max)
			media.max = lat;
	}
	return n;
}

static double media_pct(double p)
{
	uint64_t acc = 0, want = (uint64_t)((double)media.n * p);

	for (unsigned b = 0; b < GAP_BUCKETS; b++) {
		acc += media.lat[b];
		if (acc > want)
			return b + 1;
	}
	return GAP_BUCKETS;
}

/* ---- the worker (this thread) ---- */

static size_t s_data(struct tls_conn *t, void *user, const uint8_t *p, size_t len)
{
	int n = tls_conn_write(t, p, len);

	return n > 0 ? (size_t)n : 0;
}

static const struct tls_app_ops s_ops = { .on_data = s_data };

static const char *s_fqdn(void *arg, uint32_t ip)
{
	return "gw1.example.test";
}

struct result {
	double hs_per_s;
	double gap_max_us, gap_p999_us;
	double hs_per_worker_cpu_s, hs_per_crypto_cpu_s;
	uint64_t preempted, iterations;
	uint64_t offloads, failures, resumed;
	double media_p50_us, media_p99_us, media_max_us;
	uint64_t media_n;
};


static void run(const struct party *eng, const struct party *gw, const char *trust,
		enum mode mode, bool resume, double secs, unsigned conc, struct result *res)
{
	bool offload = mode != M_INLINE;
	struct tls_policy pol = { .async_keys = mode == M_KEYS,
				  .offload_handshake = mode == M_STEPS };
	struct tls_ctx *sctx, *cctx;
	struct tls_worker tw;
	struct tcp_stack *sst = stack(true);
	struct client cl;
	struct tls_listener l;
	pthread_t xt;
	char err[256];
	static uint64_t gaps[GAP_BUCKETS];
	uint64_t start, end, warm, hs0 = 0, n_gaps = 0, gap_max = 0;
	bool counting = false;

	memset(&cl, 0, sizeof(cl));
	memset(gaps, 0, sizeof(gaps));
	sctx = tls_ctx_new(eng->cert, eng->key, trust, &pol, NULL, err, sizeof(err));
	cctx = tls_ctx_new(gw->cert, gw->key, trust, NULL, NULL, err, sizeof(err));
	if (sctx == NULL || cctx == NULL || sst == NULL) {
		fprintf(stderr, "set-up: %s\n", sst == NULL ? "TCP stack" : err);
		exit(1);
	}
	tls_worker_init(&tw, 0, SOCKET_ID_ANY);
	tls_worker_init(&cl.tw, 1, SOCKET_ID_ANY);
	l = (struct tls_listener){ .tw = &tw, .ops = &s_ops, .peer_fqdn = s_fqdn, .ctx = sctx };
	tls_listen(sst, PORT, &l);
	cl.ctx = cctx;
	cl.st = stack(false);
	cl.conc = conc;
	cl.resume = resume;
	for (unsigned i = 0; i < conc; i++)
		cslots[i] = (struct cslot){ &cl, i };
	if (offload) {
		tls_offload_init(1, SOCKET_ID_ANY);
		atomic_store(&crypto_stop, false);
		pthread_create(&xt, NULL, crypto_main, NULL);
		pin_crypto(xt);
	}

	uint64_t busy = 0, x0 = 0, preempted = 0;

	start = rte_rdtsc();
	gw_cycles = 0;
	media_start(wclock());
	warm = start + hz / 2;	/* half a second to fill the pipe */
	end = warm + (uint64_t)(secs * (double)hz);
	for (;;) {
		uint64_t now = rte_rdtsc(), t1;
		long cs0;
		unsigned work;

		if (!counting && now >= warm) {
			counting = true;
			hs0 = tw.stats.handshakes_server;
			warm = now;
			end = now + (uint64_t)(secs * (double)hz);
			x0 = __atomic_load_n(&crypto_busy, __ATOMIC_RELAXED);
		}
		if (now >= end)
			break;
		/* one worker loop iteration: RX, timers, resumed jobs. An
		 * iteration during which the scheduler took the CPU away (a
		 * shared machine) is not a measure of the worker's work */
		uint64_t g0 = rte_rdtsc();

		client_step(&cl);
		gw_cycles += rte_rdtsc() - g0;
		media_arrive(wclock());
		cs0 = preemptions();
		now = rte_rdtsc();
		media_poll(counting);
		work = drain(to_server, sst, ADDR_C, ADDR_S);
		tcp_stack_poll(sst, now);
		work += tls_worker_poll(&tw);
		t1 = rte_rdtsc();
		if (!counting || work == 0)
			continue;
		if (preemptions() != cs0)
			preempted++;	/* kept, but counted: the gap includes it */
		busy += t1 - now;
		uint64_t us = (t1 - now) * 1000000 / hz;
		gaps[us < GAP_BUCKETS ? us : GAP_BUCKETS - 1]++;
		n_gaps++;
		if (t1 - now > gap_max)
			gap_max = t1 - now;
	}
	uint64_t hs = tw.stats.handshakes_server - hs0;
	double busy_s = (double)busy / (double)hz;
	double x_s = (double)(__atomic_load_n(&crypto_busy, __ATOMIC_RELAXED) - x0) / (double)hz;

	res->hs_per_s = (double)hs * (double)hz / (double)(end - warm);
	res->hs_per_worker_cpu_s = busy_s > 0 ? (double)hs / busy_s : 0;
	res->hs_per_crypto_cpu_s = offload && x_s > 0 ? (double)hs / x_s : 0;
	res->gap_max_us = (double)gap_max * 1e6 / (double)hz;
	res->preempted = preempted;
	res->iterations = n_gaps;
	res->offloads = tw.stats.async_offloads + tw.stats.hs_offloads;
	res->media_p50_us = media_pct(0.5);
	res->media_p99_us = media_pct(0.99);
	res->media_max_us = (double)media.max * 1e6 / (double)hz;
	res->media_n = media.n;
	res->resumed = tw.stats.resumptions;
	res->failures = 0;
	for (int i = 0; i < TLS_FAIL_COUNT; i++)
		res->failures += tw.stats.failures[i];
	for (struct tls_event *ev; (ev = tls_worker_event(&tw)) != NULL; free(ev))
		if (getenv("TLS_BENCH_DEBUG") != NULL)
			fprintf(stderr, "engine side: %s (%s)\n", ev->reason, tls_fail_names[ev->fail]);
	uint64_t acc = 0, want = n_gaps - n_gaps / 1000;	/* p99.9 of working iterations */
	res->gap_p999_us = 0;
	for (unsigned b = 0; b < GAP_BUCKETS; b++) {
		acc += gaps[b];
		if (acc >= want) {
			res->gap_p999_us = b + 1;
			break;
		}
	}

	if (offload) {
		/* let the jobs still out come back before the crypto core stops */
		for (int i = 0; i < 100000 && tw.stats.async_inflight > 0; i++)
			tls_worker_poll(&tw);
		atomic_store(&crypto_stop, true);
		pthread_join(xt, NULL);
	}
	/* the stacks go without callbacks; connections still open leak with
	 * their SSLs (a benchmark process, a few hundred at most) */
	tcp_stack_free(sst);
	tcp_stack_free(cl.st);
	struct rte_mbuf *m = NULL;
	while (rte_ring_dequeue(to_server, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(to_client, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	for (unsigned i = 0; i < conc; i++)
		SSL_SESSION_free(cl.sess[i]);
	if (offload)
		tls_offload_fini();
	tls_worker_fini(&tw);
	tls_worker_fini(&cl.tw);
	tls_ctx_unref(sctx);
	tls_ctx_unref(cctx);
}

static void row(const char *what, const struct result *r, double bound)
{
	char pct[16] = "-", xs[16] = "-";
	/* the bound: the core that signs (the worker inline, else the crypto core) */
	double per_signing_core = r->hs_per_crypto_cpu_s > 0 ? r->hs_per_crypto_cpu_s
							     : r->hs_per_worker_cpu_s;

	if (bound > 0)
		snprintf(pct, sizeof(pct), "%.0f%%", 100 * per_signing_core / bound);
	if (r->hs_per_crypto_cpu_s > 0)
		snprintf(xs, sizeof(xs), "%.0f", r->hs_per_crypto_cpu_s);
	printf("  %-34s %6.0f %9.0f %9s %7s %9.0f %9.0f %7.0f %7.0f %8.0f %8" PRIu64 " %7" PRIu64
	       " %4" PRIu64 "  %" PRIu64 "/%" PRIu64 "\n",
	       what, r->hs_per_s, r->hs_per_worker_cpu_s, xs, pct, r->gap_max_us, r->gap_p999_us,
	       r->media_p50_us, r->media_p99_us, r->media_max_us, r->offloads, r->resumed,
	       r->failures, r->iterations, r->preempted);
}

static double speed_sign(const char *alg)
{
	char cmd[128], line[256];
	double v = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "openssl speed -seconds 2 -mr %s 2>/dev/null", alg);
	f = popen(cmd, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned a, b, c;
		double sign, verify;

		/* +F2:n:2048:sign/s:verify/s (RSA), +F4:n:256:... (ECDSA) */
		if ((strncmp(line, "+F2:", 4) == 0 || strncmp(line, "+F4:", 4) == 0) &&
		    sscanf(line + 4, "%u:%u:%lf:%lf", &a, &b, &sign, &verify) == 4)
			v = sign;
		(void)c;
	}
	pclose(f);
	return v;
}

static void machine(void)
{
	struct utsname u;
	time_t t = time(NULL);
	char when[32];

	uname(&u);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	double load[3] = { 0, 0, 0 };

	getloadavg(load, 3);
	printf("tls_bench %s on %s %s %s, %ld cpus, load average %.2f, %s, %s\n", when,
	       u.nodename, u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN), load[0],
	       rte_version(), OpenSSL_version(OPENSSL_VERSION));
}

int main(int argc, char **argv)
{
	char *eal[] = { "tls_bench", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			"--log-level=*:error", "-l", "0", "--no-telemetry", NULL };
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	unsigned conc = argc > 2 ? (unsigned)atoi(argv[2]) : 8;
	/* TLS_BENCH_MODE=0|1|2: only inline, keys or handshake (profiling) */
	int only = getenv("TLS_BENCH_MODE") != NULL ? atoi(getenv("TLS_BENCH_MODE")) : -1;

	if (conc == 0 || conc > MAX_CONC || secs <= 0) {
		fprintf(stderr, "usage: tls_bench [SECONDS] [CONC 1..%d]\n", MAX_CONC);
		return 2;
	}
	if (rte_eal_init(10, eal) < 0)
		return 1;
	if (srtp_init() != srtp_err_status_ok || srtp_backend_register() != 0) {
		fprintf(stderr, "libsrtp2 / umedge SRTP backend: initialisation failed\n");
		return 1;
	}
	hz = rte_get_tsc_hz();
	pool = rte_pktmbuf_pool_create("tls_bench", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	to_server = rte_ring_create("tb_s", 16384, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	to_client = rte_ring_create("tb_c", 16384, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || to_server == NULL || to_client == NULL)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	machine();
	printf("worker = this thread; gateways = the same thread between worker iterations (not "
	       "timed), %u connections at a time, mutual "
	       "TLS 1.3, ECDSA P-256 gateway key; crypto core = 1 thread; %.1f s per figure\n"
	       "offload keys: the private-key operation through SSL_MODE_ASYNC; offload "
	       "handshake: every handshake step on the crypto core\n"
	       "hs/s: wall clock (all threads share 2 cpus with whatever else runs); "
	       "/wrk-busy-s, /cry-busy-s: handshakes per busy second\nof the worker / crypto "
	       "thread (time in iterations that did work / in computations); of sign: per busy "
	       "second of the\nsigning core over openssl speed sign/s; iter: one working worker "
	       "loop iteration, us (preempted ones included, and counted);\nmed: latency of a "
	       "media stream of %d RTP packets/s through the same worker (arrival to SRTP "
	       "protected), us\n\n",
	       conc, secs, MEDIA_PPS);

	for (int k = 0; k < 2; k++) {
		bool rsa = k == 0;
		EVP_PKEY *cak = keygen(false);
		X509 *ca = mkcert(cak, "bench root", NULL, NULL, true);
		char *trust = pem_of(ca, NULL);
		struct party eng, gw;
		struct result r[2][3];
		double bound = speed_sign(rsa ? "rsa2048" : "ecdsap256");
		char what[64];

		party(&eng, rsa, "um1.example.test", ca, cak);
		party(&gw, false, "gw1.example.test", ca, cak);
		memset(r, 0, sizeof(r));
		for (int resume = 0; resume < 2; resume++)
			for (int m = M_INLINE; m <= M_STEPS; m++)
				if (only < 0 || only == m)
					run(&eng, &gw, trust, (enum mode)m, resume, secs, conc,
					    &r[resume][m]);

		printf("engine key %s: openssl speed sign/s (1 core) %.0f\n",
		       rsa ? "RSA-2048" : "ECDSA P-256", bound);
		printf("  %-34s %6s %9s %9s %7s %9s %9s %7s %7s %8s %8s %7s %4s%s\n", "", "hs/s",
		       "/wrk-busy", "/cry-busy", "of sign", "iter max", "iter p999", "med p50",
		       "med p99", "med max", "offloads", "resumed", "fail", "  iters/preempted");
		for (int resume = 0; resume < 2; resume++)
			for (int m = M_INLINE; m <= M_STEPS; m++) {
				snprintf(what, sizeof(what), "%s, %s", resume ? "resumed" : "full",
					 mode_names[m]);
				row(what, &r[resume][m], resume ? 0 : bound);
			}
		printf("\n");
		free(trust);
		X509_free(ca);
		EVP_PKEY_free(cak);
		free(eng.cert);
		free(eng.key);
		free(gw.cert);
		free(gw.key);
	}
	rte_eal_cleanup();
	return 0;
}
