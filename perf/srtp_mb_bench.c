/*
 * srtp_mb_bench: SRTP protect of AES_CM_128_HMAC_SHA1_80 RTP, ns per
 * packet, with umedge's burst path on intel-ipsec-mb (media/srtp_mb.c) at
 * bursts of 1, 8, 32 and 64 packets of 64 sessions, next to stock
 * libsrtp2 and libsrtp2 on umedge's OpenSSL primitives (today's path,
 * media/srtp_backend.c) in the same run, one packet per call as they
 * work. Payloads of 80, 172 and 1200 octets. One thread, CPU time, the
 * median of 9 rounds of --packets packets each.
 *
 * usage: srtp_mb_bench [--packets N]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#include "srtp_backend.h"
#include "srtp_mb.h"

#define SESSIONS 64
#define ROUNDS 9
#define PKT_MAX 1300

static const int payloads[] = { 80, 172, 1200 };
static const unsigned bursts[] = { 1, 8, 32, 64 };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static uint8_t pkts[SESSIONS][PKT_MAX + 64];
static uint8_t master[SESSIONS][30];

static int make(uint8_t *b, unsigned s, uint16_t seq, int payload)
{
	memset(b, 0, 12);
	b[0] = 0x80;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[8] = 0x5a;
	b[11] = (uint8_t)s;
	memset(b + 12, 0xd5, (size_t)payload);
	return 12 + payload;
}

/* libsrtp2, one packet per call, SESSIONS sessions in turn */
static double lib_ns(int payload, long packets)
{
	srtp_t s[SESSIONS];
	double r[ROUNDS];
	uint16_t seq = 0;

	for (unsigned i = 0; i < SESSIONS; i++) {
		srtp_policy_t pol;
		memset(&pol, 0, sizeof(pol));
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
		pol.ssrc.type = ssrc_any_outbound;
		pol.key = master[i];
		pol.window_size = 128;
		if (srtp_create(&s[i], &pol) != srtp_err_status_ok)
			return -1;
	}
	for (int k = 0; k < ROUNDS; k++) {
		double t0 = now_ns();
		for (long n = 0; n < packets; n++) {
			unsigned i = (unsigned)n % SESSIONS;
			int len = make(pkts[i], i, seq, payload);
			if (i == SESSIONS - 1)
				seq++;
			if (srtp_protect(s[i], pkts[i], &len) != srtp_err_status_ok)
				return -1;
		}
		r[k] = (now_ns() - t0) / (double)packets;
	}
	for (unsigned i = 0; i < SESSIONS; i++)
		srtp_dealloc(s[i]);
	return median(r, ROUNDS);
}

static double mb_ns(struct srtp_mb *mb, int payload, unsigned burst, long packets)
{
	struct srtp_mb_ctx *ctx[SESSIONS];
	struct srtp_mb_pkt p[64];
	double r[ROUNDS], res = -1;
	uint16_t seq = 0;

	for (unsigned i = 0; i < SESSIONS; i++)
		if (srtp_mb_ctx_new(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, master[i], true, &ctx[i]))
			return -1;
	for (int k = 0; k < ROUNDS; k++) {
		double t0 = now_ns();
		for (long n = 0; n < packets; n += burst) {
			for (unsigned j = 0; j < burst; j++) {
				unsigned i = (unsigned)(n + j) % SESSIONS;
				p[j] = (struct srtp_mb_pkt){ pkts[i], make(pkts[i], i, seq, payload),
							     ctx[i], false, 0 };
				if (i == SESSIONS - 1)
					seq++;
			}
			srtp_mb_protect(mb, p, burst);
			for (unsigned j = 0; j < burst; j++)
				if (p[j].rc != 0)
					goto out;
		}
		r[k] = (now_ns() - t0) / (double)packets;
	}
	res = median(r, ROUNDS);
out:
	for (unsigned i = 0; i < SESSIONS; i++)
		srtp_mb_ctx_free(ctx[i]);
	return res;
}

int main(int argc, char **argv)
{
	long packets = 200000;
	double stock[3], ossl[3];
	struct srtp_mb *mb;
	char load[64] = "?";
	FILE *f;

	if (argc == 3 && strcmp(argv[1], "--packets") == 0)
		packets = atol(argv[2]);
	if (packets < 64 || argc == 2 || argc > 3) {
		fprintf(stderr, "usage: srtp_mb_bench [--packets N >= 64]\n");
		return 2;
	}
	packets -= packets % 64;
	for (unsigned i = 0; i < SESSIONS; i++)
		for (int k = 0; k < 30; k++)
			master[i][k] = (uint8_t)(i * 31 + k * 7 + 1);
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	mb = srtp_mb_init() == 0 ? srtp_mb_new() : NULL;
	if (mb == NULL) {
		fprintf(stderr, "srtp_mb_bench: intel-ipsec-mb cannot run on this CPU\n");
		return 1;
	}
	f = fopen("/proc/loadavg", "r");
	if (f != NULL) {
		if (fgets(load, sizeof(load), f) != NULL)
			load[strcspn(load, "\n")] = '\0';
		fclose(f);
	}
	printf("srtp_mb_bench: AES_CM_128_HMAC_SHA1_80 protect, ns per packet (CPU time), %d "
	       "sessions, median of %d rounds of %ld packets\n", SESSIONS, ROUNDS, packets);
	printf("intel-ipsec-mb %s, code path %s; loadavg %s\n", srtp_mb_version(),
	       srtp_mb_arch(), load);
	/* stock first: sessions made before the backend's registration keep
	 * libsrtp2's own primitives */
	for (int i = 0; i < 3; i++)
		stock[i] = lib_ns(payloads[i], packets);
	if (srtp_backend_register() != 0)
		return 1;
	for (int i = 0; i < 3; i++)
		ossl[i] = lib_ns(payloads[i], packets);
	printf("%-28s %10s %10s %10s\n", "payload octets", "80", "172", "1200");
	printf("%-28s %10.0f %10.0f %10.0f\n", "libsrtp2 stock (NSS)", stock[0], stock[1], stock[2]);
	printf("%-28s %10.0f %10.0f %10.0f\n", "libsrtp2 + umedge OpenSSL", ossl[0], ossl[1],
	       ossl[2]);
	for (unsigned b = 0; b < sizeof(bursts) / sizeof(bursts[0]); b++) {
		double v[3];
		char label[40];
		for (int i = 0; i < 3; i++)
			v[i] = mb_ns(mb, payloads[i], bursts[b], packets);
		snprintf(label, sizeof(label), "intel-ipsec-mb, burst %u", bursts[b]);
		printf("%-28s %10.0f %10.0f %10.0f\n", label, v[0], v[1], v[2]);
		if (bursts[b] == 32)
			printf("%-28s %9.1fx %9.1fx %9.1fx\n", "  burst 32 vs umedge OpenSSL",
			       ossl[0] / v[0], ossl[1] / v[1], ossl[2] / v[2]);
	}
	srtp_mb_free(mb);
	return 0;
}
