/* srtp_bench: SRTP protect/unprotect cost per packet, per suite and
 * payload size, for
 *   stock    Debian's libsrtp2 as shipped (NSS primitives),
 *   umedge   the same libsrtp2 with the OpenSSL backend registered
 *            (dataplane/media/srtp_backend.h),
 *   raw      the cipher and MAC work alone, straight on OpenSSL, contexts
 *            keyed once: the floor. AES-CM suites: AES-ECB over counter
 *            blocks + HMAC-SHA1 from precomputed ipad/opad SHA-1 states.
 *            GCM suites: EVP AES-GCM, IV set per packet.
 *   raw-evp  AES-CM suites only: the same work through the usual EVP calls
 *            (AES-CTR context re-armed with the IV per packet, EVP_MAC
 *            HMAC re-initialised per packet), for reference.
 * in one run, on one core, with the machine it ran on.
 *
 * libsrtp2's type replacement is process-global, so the stock figures come
 * from a child process forked before the backend is registered; the parent
 * asks it for one measurement at a time over a pipe, so that measurements
 * never overlap and stock, umedge and raw of one case run back to back.
 *
 * Time is the measuring thread's CPU time (--wall: wall-clock time). Each
 * figure is the median over --sweeps sweeps (all cases measured once
 * per sweep, so a burst of load on a shared machine hits one sweep) of the
 * median over --rounds rounds of --batch packets; each
 * packet is copied from a template into the work buffer first (all
 * implementations pay that copy). Unprotect rounds decrypt packets the
 * matching sender protected just before, untimed. */
#include <endian.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "umedge/fdio.h"
#include "srtp_backend.h"
#include "srtp_bench.h"

#define TARGET_SPEEDUP 4.0
#define TARGET_RAW_RATIO 2.0

enum impl { IMPL_STOCK, IMPL_UMEDGE, IMPL_RAW, IMPL_RAW_EVP, IMPL_COUNT };

static const char *const impl_names[IMPL_COUNT] = { "stock", "umedge", "raw", "raw-evp" };
static const char *const op_names[OP_COUNT] = { "protect", "unprotect" };
static const int payloads[] = { 80, 172, 1200 };
#define N_PAYLOADS ((int)(sizeof(payloads) / sizeof(payloads[0])))

/* The burst engine's columns: bursts of 1, 8, 32, 64, then raw
 * intel-ipsec-mb at 32. */
static const unsigned bursts[] = { 1, 8, 32, 64 };
#define N_BURSTS ((int)(sizeof(bursts) / sizeof(bursts[0])))
#define MB_COLS (N_BURSTS + 1)
#define MB_RAW N_BURSTS
#define MB_REF_BURST 32

#define SWEEPS_MAX 15

#ifdef HAVE_SRTP_MB
static bool mb_ok;	/* intel-ipsec-mb runs here */
#endif

/* CPU time of this thread by default: on a shared machine, time spent
 * descheduled is not the cost of a packet. --wall switches to wall time. */
static clockid_t bench_clock = CLOCK_THREAD_CPUTIME_ID;

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

void bench_fill_key(uint8_t *key, size_t n, int salt)
{
	for (size_t i = 0; i < n; i++)
		key[i] = (uint8_t)(0x3c + i * 37 + (size_t)salt * 101);
}

static const uint32_t bench_ssrc = 0x2b0c9d11;

int bench_make_rtp(uint8_t *buf, int payload)
{
	memset(buf, 0, HDR);
	buf[0] = 0x80;
	buf[4] = 0x00;
	buf[5] = 0x01;
	buf[8] = (uint8_t)(bench_ssrc >> 24);
	buf[9] = (uint8_t)(bench_ssrc >> 16);
	buf[10] = (uint8_t)(bench_ssrc >> 8);
	buf[11] = (uint8_t)bench_ssrc;
	for (int i = 0; i < payload; i++)
		buf[HDR + i] = (uint8_t)(i * 13 + 7);
	return HDR + payload;
}

void bench_set_seq(uint8_t *buf, uint16_t seq)
{
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
}

/* ---- libsrtp2, stock or umedge: whatever this process has registered ---- */

static int lib_session(srtp_t *s, enum umedge_srtp_suite suite, uint8_t *key)
{
	srtp_policy_t pol;

	memset(&pol, 0, sizeof(pol));
	if (srtp_backend_suite_policy(suite, &pol.rtp, &pol.rtcp) != 0)
		return -1;
	pol.ssrc.type = ssrc_specific;
	pol.ssrc.value = bench_ssrc;
	pol.key = key;
	pol.window_size = 128;
	return srtp_create(s, &pol) == srtp_err_status_ok ? 0 : -1;
}

static int bench_libsrtp(enum umedge_srtp_suite suite, int payload, enum op op,
			 const struct opts *o, double *ns)
{
	uint8_t key[SRTP_MAX_KEY_LEN], tmpl[PKT_MAX];
	struct pkt *batch = NULL, work;
	double *samples = calloc((size_t)o->rounds, sizeof(double));
	srtp_t tx = NULL, rx = NULL;
	uint16_t seq = 1;
	int len, ret = -1;

	bench_fill_key(key, sizeof(key), (int)suite);
	len = bench_make_rtp(tmpl, payload);
	if (samples == NULL || lib_session(&tx, suite, key) != 0 || lib_session(&rx, suite, key) != 0)
		goto out;
	if (op == OP_UNPROTECT) {
		batch = malloc((size_t)o->batch * sizeof(*batch));
		if (batch == NULL)
			goto out;
	}
	for (int r = -1; r < o->rounds; r++) { /* round -1 warms up */
		double t0, t1;

		if (op == OP_PROTECT) {
			t0 = bench_now_ns();
			for (int i = 0; i < o->batch; i++) {
				memcpy(work.buf, tmpl, (size_t)len);
				bench_set_seq(work.buf, seq++);
				work.len = len;
				if (srtp_protect(tx, work.buf, &work.len) != srtp_err_status_ok)
					goto out;
			}
			t1 = bench_now_ns();
		} else {
			for (int i = 0; i < o->batch; i++) {
				memcpy(batch[i].buf, tmpl, (size_t)len);
				bench_set_seq(batch[i].buf, seq++);
				batch[i].len = len;
				if (srtp_protect(tx, batch[i].buf, &batch[i].len) != srtp_err_status_ok)
					goto out;
			}
			t0 = bench_now_ns();
			for (int i = 0; i < o->batch; i++) {
				memcpy(work.buf, batch[i].buf, (size_t)batch[i].len);
				work.len = batch[i].len;
				if (srtp_unprotect(rx, work.buf, &work.len) != srtp_err_status_ok)
					goto out;
			}
			t1 = bench_now_ns();
		}
		if (r >= 0)
			samples[r] = (t1 - t0) / o->batch;
	}
	*ns = bench_median(samples, o->rounds);
	ret = 0;
out:
	if (tx)
		srtp_dealloc(tx);
	if (rx)
		srtp_dealloc(rx);
	free(batch);
	free(samples);
	return ret;
}

/* ---- raw OpenSSL: the same cipher and MAC work, no SRTP bookkeeping ---- */

struct raw {
	int gcm;
	int evp;     /* AES-CM: the plain EVP variant */
	int tag_len;
	uint8_t salt[16];
	EVP_CIPHER_CTX *cipher; /* ECB (floor), CTR (evp) or GCM */
	EVP_MAC_CTX *mac;       /* evp variant */
	SHA_CTX ipad, opad;     /* floor variant */
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static int raw_init(struct raw *r, enum umedge_srtp_suite suite, int evp)
{
	uint8_t key[32], auth_key[20], pad[64];
	int key_octets = (suite == UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80 ||
			  suite == UMEDGE_SRTP_AEAD_AES_256_GCM) ? 32 : 16;
	const EVP_CIPHER *c;

	memset(r, 0, sizeof(*r));
	bench_fill_key(key, sizeof(key), 1);
	bench_fill_key(auth_key, sizeof(auth_key), 2);
	bench_fill_key(r->salt, 14, 3);
	r->evp = evp;
	r->gcm = suite == UMEDGE_SRTP_AEAD_AES_128_GCM || suite == UMEDGE_SRTP_AEAD_AES_256_GCM;
	r->tag_len = r->gcm ? 16 : suite == UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32 ? 4 : 10;
	r->cipher = EVP_CIPHER_CTX_new();
	if (r->cipher == NULL)
		return -1;
	if (r->gcm) {
		c = key_octets == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
		return EVP_EncryptInit_ex(r->cipher, c, NULL, key, NULL) == 1 ? 0 : -1;
	}
	if (evp) {
		OSSL_PARAM params[2];
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

		c = key_octets == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
		if (EVP_EncryptInit_ex(r->cipher, c, NULL, key, NULL) != 1 || mac == NULL)
			return -1;
		r->mac = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
		params[1] = OSSL_PARAM_construct_end();
		if (r->mac == NULL || EVP_MAC_init(r->mac, auth_key, sizeof(auth_key), params) != 1)
			return -1;
		return 0;
	}
	c = key_octets == 16 ? EVP_aes_128_ecb() : EVP_aes_256_ecb();
	if (EVP_EncryptInit_ex(r->cipher, c, NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(r->cipher, 0) != 1)
		return -1;
	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < 20; i++)
		pad[i] ^= auth_key[i];
	if (SHA1_Init(&r->ipad) != 1 || SHA1_Update(&r->ipad, pad, sizeof(pad)) != 1)
		return -1;
	memset(pad, 0x5c, sizeof(pad));
	for (int i = 0; i < 20; i++)
		pad[i] ^= auth_key[i];
	if (SHA1_Init(&r->opad) != 1 || SHA1_Update(&r->opad, pad, sizeof(pad)) != 1)
		return -1;
	return 0;
}

static void raw_free(struct raw *r)
{
	EVP_CIPHER_CTX_free(r->cipher);
	EVP_MAC_CTX_free(r->mac);
	OPENSSL_cleanse(r, sizeof(*r));
}

/* HMAC-SHA1 over pkt[0..len) || ROC into md. */
static int raw_hmac(struct raw *r, const uint8_t *pkt, int len, uint8_t md[20])
{
	static const uint8_t roc[4];
	size_t mdlen = 0;
	SHA_CTX w;

	if (r->evp)
		return EVP_MAC_init(r->mac, NULL, 0, NULL) == 1 &&
		       EVP_MAC_update(r->mac, pkt, (size_t)len) == 1 &&
		       EVP_MAC_update(r->mac, roc, sizeof(roc)) == 1 &&
		       EVP_MAC_final(r->mac, md, &mdlen, 20) == 1 ? 0 : -1;
	w = r->ipad;
	if (SHA1_Update(&w, pkt, (size_t)len) != 1 || SHA1_Update(&w, roc, sizeof(roc)) != 1 ||
	    SHA1_Final(md, &w) != 1)
		return -1;
	w = r->opad;
	if (SHA1_Update(&w, md, 20) != 1 || SHA1_Final(md, &w) != 1)
		return -1;
	return 0;
}

#pragma GCC diagnostic pop

/* AES counter mode over the payload; iv is the first counter block. The
 * floor variant writes the counter blocks with two 64-bit stores each and
 * runs AES-ECB over them, as the backend does. */
static int raw_ctr(struct raw *r, const uint8_t iv[16], uint8_t *p, int n)
{
	uint8_t ks[1024];
	uint64_t hi, lo;
	int outl;

	if (r->evp)
		return EVP_EncryptInit_ex(r->cipher, NULL, NULL, NULL, iv) == 1 &&
		       EVP_EncryptUpdate(r->cipher, p, &outl, p, n) == 1 ? 0 : -1;
	memcpy(&hi, iv, 8);
	memcpy(&lo, iv + 8, 8);
	lo = be64toh(lo);
	while (n > 0) {
		int blocks = (n + 15) / 16, take, k = 0;

		if (blocks > 64)
			blocks = 64;
		for (int b = 0; b < blocks; b++, lo++) {
			uint64_t be = htobe64(lo); /* no carry into hi: fine for a bench */

			memcpy(ks + 16 * b, &hi, 8);
			memcpy(ks + 16 * b + 8, &be, 8);
		}
		if (EVP_EncryptUpdate(r->cipher, ks, &outl, ks, blocks * 16) != 1)
			return -1;
		take = n < blocks * 16 ? n : blocks * 16;
		for (; k + 16 <= take; k += 16) {
			uint64_t a[2], b[2];

			memcpy(a, p + k, 16);
			memcpy(b, ks + k, 16);
			a[0] ^= b[0];
			a[1] ^= b[1];
			memcpy(p + k, a, 16);
		}
		for (; k < take; k++)
			p[k] ^= ks[k];
		p += take;
		n -= take;
	}
	return 0;
}

/* RFC 3711 4.1.1 IV for AES-CM, RFC 7714 8.1 IV for GCM (ROC 0). */
static void raw_iv(const struct raw *r, const uint8_t *pkt, uint8_t *iv)
{
	memcpy(iv, r->salt, 16);
	if (r->gcm) {
		for (int k = 0; k < 4; k++)
			iv[2 + k] ^= pkt[8 + k];
		iv[10] ^= pkt[2];
		iv[11] ^= pkt[3];
		return;
	}
	iv[14] = iv[15] = 0;
	for (int k = 0; k < 4; k++)
		iv[4 + k] ^= pkt[8 + k];
	iv[12] ^= pkt[2];
	iv[13] ^= pkt[3];
}

static int raw_protect(struct raw *r, uint8_t *pkt, int *len)
{
	uint8_t iv[16], md[20];
	int outl;

	raw_iv(r, pkt, iv);
	if (r->gcm) {
		if (EVP_EncryptInit_ex(r->cipher, NULL, NULL, NULL, iv) != 1 ||
		    EVP_EncryptUpdate(r->cipher, NULL, &outl, pkt, HDR) != 1 ||
		    EVP_EncryptUpdate(r->cipher, pkt + HDR, &outl, pkt + HDR, *len - HDR) != 1 ||
		    EVP_EncryptFinal_ex(r->cipher, md, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(r->cipher, EVP_CTRL_GCM_GET_TAG, 16, pkt + *len) != 1)
			return -1;
		*len += 16;
		return 0;
	}
	if (raw_ctr(r, iv, pkt + HDR, *len - HDR) != 0 || raw_hmac(r, pkt, *len, md) != 0)
		return -1;
	memcpy(pkt + *len, md, (size_t)r->tag_len);
	*len += r->tag_len;
	return 0;
}

static int raw_unprotect(struct raw *r, uint8_t *pkt, int *len)
{
	uint8_t iv[16], md[20];
	int outl, n = *len - r->tag_len;

	raw_iv(r, pkt, iv);
	if (r->gcm) {
		if (EVP_DecryptInit_ex(r->cipher, NULL, NULL, NULL, iv) != 1 ||
		    EVP_CIPHER_CTX_ctrl(r->cipher, EVP_CTRL_GCM_SET_TAG, 16, pkt + n) != 1 ||
		    EVP_DecryptUpdate(r->cipher, NULL, &outl, pkt, HDR) != 1 ||
		    EVP_DecryptUpdate(r->cipher, pkt + HDR, &outl, pkt + HDR, n - HDR) != 1 ||
		    EVP_DecryptFinal_ex(r->cipher, md, &outl) != 1)
			return -1;
		*len = n;
		return 0;
	}
	if (raw_hmac(r, pkt, n, md) != 0 || CRYPTO_memcmp(md, pkt + n, (size_t)r->tag_len) != 0)
		return -1;
	if (raw_ctr(r, iv, pkt + HDR, n - HDR) != 0)
		return -1;
	*len = n;
	return 0;
}

static int bench_raw(enum umedge_srtp_suite suite, int payload, enum op op, int evp,
		     const struct opts *o, double *ns)
{
	double *samples = calloc((size_t)o->rounds, sizeof(double));
	struct pkt *batch = NULL, work;
	uint8_t tmpl[PKT_MAX];
	uint16_t seq = 1;
	struct raw r;
	int len, ret = -1;

	if (samples == NULL)
		return -1;
	if (raw_init(&r, suite, evp) != 0)
		goto out;
	len = bench_make_rtp(tmpl, payload);
	if (op == OP_UNPROTECT) {
		/* As many distinct protected packets as libsrtp2's rounds read
		 * (same memory footprint); no replay state, so reused. */
		batch = malloc((size_t)o->batch * sizeof(*batch));
		if (batch == NULL)
			goto out;
		for (int i = 0; i < o->batch; i++) {
			memcpy(batch[i].buf, tmpl, (size_t)len);
			bench_set_seq(batch[i].buf, seq++);
			batch[i].len = len;
			if (raw_protect(&r, batch[i].buf, &batch[i].len) != 0)
				goto out;
		}
	}
	for (int rd = -1; rd < o->rounds; rd++) {
		double t0 = bench_now_ns(), t1;

		for (int i = 0; i < o->batch; i++) {
			if (op == OP_PROTECT) {
				memcpy(work.buf, tmpl, (size_t)len);
				bench_set_seq(work.buf, seq++);
				work.len = len;
				if (raw_protect(&r, work.buf, &work.len) != 0)
					goto out;
			} else {
				memcpy(work.buf, batch[i].buf, (size_t)batch[i].len);
				work.len = batch[i].len;
				if (raw_unprotect(&r, work.buf, &work.len) != 0)
					goto out;
			}
		}
		t1 = bench_now_ns();
		if (rd >= 0)
			samples[rd] = (t1 - t0) / o->batch;
	}
	*ns = bench_median(samples, o->rounds);
	ret = 0;
out:
	raw_free(&r);
	free(batch);
	free(samples);
	return ret;
}

/* ---- the stock side, in a child process ---- */

struct stock_req {
	int suite, payload, op;
};

static void stock_server(int req_fd, int resp_fd, const struct opts *o)
{
	struct stock_req q;

	if (srtp_init() != srtp_err_status_ok)
		_exit(1);
	while (fdio_read_all(req_fd, &q, sizeof(q)) == 0) {
		double ns = -1.0;

		if (bench_libsrtp((enum umedge_srtp_suite)q.suite, q.payload, (enum op)q.op, o, &ns) != 0)
			ns = -1.0;
		if (fdio_write_all(resp_fd, &ns, sizeof(ns)) != 0)
			_exit(1);
	}
	_exit(0);
}

/* The burst engine's columns of one case; -1 without it. */
static int measure_mb(enum umedge_srtp_suite suite, int payload, enum op op,
		      const struct opts *o, double *v)
{
	for (int c = 0; c < MB_COLS; c++)
		v[c] = -1.0;
#ifdef HAVE_SRTP_MB
	if (!mb_ok)
		return 0;
	for (int b = 0; b < N_BURSTS; b++)
		if (bench_mb(suite, payload, op, bursts[b], o, &v[b]) != 0)
			return -1;
	if (bench_mb_raw(suite, payload, op, MB_REF_BURST, o, &v[MB_RAW]) != 0)
		return -1;
#else
	(void)suite, (void)payload, (void)op, (void)o;
#endif
	return 0;
}

/* One sweep: every case, stock (asked of the child), umedge, raw, raw-evp,
 * then the burst engine's columns, back to back. */
static int measure_sweep(const struct opts *o, int req_fd, int resp_fd,
			 double r[UMEDGE_SRTP_SUITE_COUNT][N_PAYLOADS][OP_COUNT][IMPL_COUNT],
			 double m[UMEDGE_SRTP_SUITE_COUNT][N_PAYLOADS][OP_COUNT][MB_COLS])
{
	for (int s = 0; s < UMEDGE_SRTP_SUITE_COUNT; s++) {
		enum umedge_srtp_suite suite = (enum umedge_srtp_suite)s;
		int gcm = s == UMEDGE_SRTP_AEAD_AES_128_GCM || s == UMEDGE_SRTP_AEAD_AES_256_GCM;

		for (int p = 0; p < N_PAYLOADS; p++) {
			for (int op = 0; op < OP_COUNT; op++) {
				struct stock_req q = { s, payloads[p], op };
				double *v = r[s][p][op];

				if (fdio_write_all(req_fd, &q, sizeof(q)) != 0 ||
				    fdio_read_all(resp_fd, &v[IMPL_STOCK], sizeof(double)) != 0 ||
				    v[IMPL_STOCK] < 0) {
					fprintf(stderr, "stock measurement failed\n");
					return -1;
				}
				if (bench_libsrtp(suite, payloads[p], (enum op)op, o, &v[IMPL_UMEDGE]) != 0 ||
				    bench_raw(suite, payloads[p], (enum op)op, 0, o, &v[IMPL_RAW]) != 0) {
					fprintf(stderr, "measurement failed\n");
					return -1;
				}
				v[IMPL_RAW_EVP] = -1.0; /* GCM: raw is already the EVP path */
				if ((!gcm && bench_raw(suite, payloads[p], (enum op)op, 1, o,
						       &v[IMPL_RAW_EVP]) != 0) ||
				    measure_mb(suite, payloads[p], (enum op)op, o, m[s][p][op]) != 0) {
					fprintf(stderr, "measurement failed\n");
					return -1;
				}
			}
		}
	}
	return 0;
}

/* ---- machine description ---- */

static void print_machine(FILE *f, const struct opts *o)
{
	char *line = NULL, model[256] = "?", load[128] = "?";
	size_t cap = 0;
	int has_aes = 0, has_sha = 0, has_avx2 = 0, has_vaes = 0;
	struct utsname u;
	time_t t = time(NULL);
	char when[64];
	FILE *c = fopen("/proc/cpuinfo", "r");

	if (c != NULL) {
		/* getline: the flags line is longer than any fixed buffer */
		while (getline(&line, &cap, c) > 0) {
			if (strncmp(line, "model name", 10) == 0 && model[0] == '?') {
				char *v = strchr(line, ':');

				if (v != NULL) {
					snprintf(model, sizeof(model), "%s", v + 2);
					model[strcspn(model, "\n")] = '\0';
				}
			}
			if (strncmp(line, "flags", 5) == 0) {
				has_aes |= strstr(line, " aes") != NULL;
				has_sha |= strstr(line, " sha_ni") != NULL;
				has_avx2 |= strstr(line, " avx2") != NULL;
				has_vaes |= strstr(line, " vaes") != NULL;
			}
		}
		free(line);
		fclose(c);
	}
	c = fopen("/proc/loadavg", "r");
	if (c != NULL) {
		if (fgets(load, sizeof(load), c) != NULL)
			load[strcspn(load, "\n")] = '\0';
		fclose(c);
	}
	if (uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "?");
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	fprintf(f, "srtp_bench  %s\n", when);
	fprintf(f, "cpu        %s (%ld cores online; aes=%d sha_ni=%d avx2=%d vaes=%d)\n", model,
		sysconf(_SC_NPROCESSORS_ONLN), has_aes, has_sha, has_avx2, has_vaes);
	fprintf(f, "kernel     %s %s\n", u.sysname, u.release);
	fprintf(f, "openssl    %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(f, "libsrtp2   %s (stock: Debian build, NSS primitives)\n",
		srtp_get_version_string());
#ifdef HAVE_SRTP_MB
	fprintf(f, "ipsec-mb   %s\n", mb_ok ? bench_mb_describe() : "cannot run on this CPU");
#else
	fprintf(f, "ipsec-mb   not in this build\n");
#endif
	fprintf(f, "loadavg    %s\n", load);
	fprintf(f, "method     one thread%s, %s; median of %d sweeps, each the median of %d rounds"
		" x %d packets; RTP header 12 octets\n",
		o->cpu >= 0 ? " pinned" : " (not pinned)",
		bench_clock == CLOCK_MONOTONIC ? "wall time" : "thread CPU time", o->sweeps,
		o->rounds, o->batch);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--rounds N] [--batch N] [--sweeps N (<= %d)] [--cpu N] [--wall]\n",
		argv0, SWEEPS_MAX);
}

int main(int argc, char **argv)
{
	struct opts o = { .rounds = 15, .batch = 2000, .sweeps = 3, .cpu = -1 };
	static double all[SWEEPS_MAX][UMEDGE_SRTP_SUITE_COUNT][N_PAYLOADS][OP_COUNT][IMPL_COUNT];
	static double res[UMEDGE_SRTP_SUITE_COUNT][N_PAYLOADS][OP_COUNT][IMPL_COUNT];
	static double mball[SWEEPS_MAX][UMEDGE_SRTP_SUITE_COUNT][N_PAYLOADS][OP_COUNT][MB_COLS];
	static double mbres[UMEDGE_SRTP_SUITE_COUNT][N_PAYLOADS][OP_COUNT][MB_COLS];
	int req[2], resp[2], status = 0, rc;
	pid_t child;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			o.rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			o.batch = atoi(argv[++i]);
		else if (strcmp(argv[i], "--sweeps") == 0 && i + 1 < argc)
			o.sweeps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--wall") == 0)
			bench_clock = CLOCK_MONOTONIC;
		else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc)
			o.cpu = atoi(argv[++i]);
		else {
			usage(argv[0]);
			return 2;
		}
	}
	if (o.rounds < 1 || o.batch < 1 || o.sweeps < 1 || o.sweeps > SWEEPS_MAX) {
		usage(argv[0]);
		return 2;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			perror("sched_setaffinity");
			return 1;
		}
	}

	/* The stock side first, before anything is registered here. */
	if (pipe(req) != 0 || pipe(resp) != 0) {
		perror("pipe");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		close(req[1]);
		close(resp[0]);
		stock_server(req[0], resp[1], &o);
	}
	close(req[0]);
	close(resp[1]);

	rc = srtp_backend_register();
	if (rc != 0) {
		fprintf(stderr, "srtp_backend_register: %s\n", strerror(-rc));
		kill(child, SIGTERM);
		return 1;
	}

#ifdef HAVE_SRTP_MB
	mb_ok = bench_mb_init() == 0;
#endif
	print_machine(stdout, &o);
	fflush(stdout);

	for (int w = 0; w < o.sweeps; w++)
		if (measure_sweep(&o, req[1], resp[0], all[w], mball[w]) != 0) {
			kill(child, SIGTERM);
			return 1;
		}
	close(req[1]);
	close(resp[0]);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "stock child exited abnormally\n");

	/* Each figure: the median over the sweeps of each sweep's median. */
	for (int s = 0; s < UMEDGE_SRTP_SUITE_COUNT; s++)
		for (int p = 0; p < N_PAYLOADS; p++)
			for (int op = 0; op < OP_COUNT; op++)
				for (int i = 0; i < IMPL_COUNT; i++) {
					double v[SWEEPS_MAX];

					for (int w = 0; w < o.sweeps; w++)
						v[w] = all[w][s][p][op][i];
					res[s][p][op][i] = bench_median(v, o.sweeps);
				}
	for (int s = 0; s < UMEDGE_SRTP_SUITE_COUNT; s++)
		for (int p = 0; p < N_PAYLOADS; p++)
			for (int op = 0; op < OP_COUNT; op++)
				for (int c = 0; c < MB_COLS; c++) {
					double v[SWEEPS_MAX];

					for (int w = 0; w < o.sweeps; w++)
						v[w] = mball[w][s][p][op][c];
					mbres[s][p][op][c] = bench_median(v, o.sweeps);
				}

	printf("\nns/packet (lower is better); x = stock/umedge speed-up; /raw = umedge over raw\n");
	printf("%-24s %5s %-9s %9s %9s %9s %9s %7s %6s\n", "suite", "bytes", "op", "stock",
	       "umedge", "raw", "raw-evp", "x", "/raw");
	for (int s = 0; s < UMEDGE_SRTP_SUITE_COUNT; s++)
		for (int p = 0; p < N_PAYLOADS; p++)
			for (int op = 0; op < OP_COUNT; op++) {
				const double *r = res[s][p][op];
				char evp[16] = "-";

				if (r[IMPL_RAW_EVP] >= 0)
					snprintf(evp, sizeof(evp), "%.0f", r[IMPL_RAW_EVP]);
				printf("%-24s %5d %-9s %9.0f %9.0f %9.0f %9s %6.1fx %6.2f\n",
				       umedge_srtp_suite_name((enum umedge_srtp_suite)s), payloads[p],
				       op_names[op], r[IMPL_STOCK], r[IMPL_UMEDGE], r[IMPL_RAW], evp,
				       r[IMPL_STOCK] / r[IMPL_UMEDGE], r[IMPL_UMEDGE] / r[IMPL_RAW]);
			}

	if (mbres[0][0][0][0] > 0) {
		printf("\nthe burst engine (media/srtp_mb.c on intel-ipsec-mb), ns/packet at bursts of "
		       "1, 8, 32, 64;\nraw-mb = raw intel-ipsec-mb, the same jobs at burst %d; "
		       "x = umedge (libsrtp2 + OpenSSL) / b%d; /raw-mb = b%d / raw-mb\n",
		       MB_REF_BURST, MB_REF_BURST, MB_REF_BURST);
		printf("%-24s %5s %-9s %7s %7s %7s %7s %7s %7s %7s %6s %7s\n", "suite", "bytes",
		       "op", "stock", "umedge", "b1", "b8", "b32", "b64", "raw-mb", "x", "/raw-mb");
		for (int s = 0; s < UMEDGE_SRTP_SUITE_COUNT; s++)
			for (int p = 0; p < N_PAYLOADS; p++)
				for (int op = 0; op < OP_COUNT; op++) {
					const double *r = res[s][p][op], *m = mbres[s][p][op];

					printf("%-24s %5d %-9s %7.0f %7.0f %7.0f %7.0f %7.0f %7.0f %7.0f "
					       "%5.1fx %7.2f\n",
					       umedge_srtp_suite_name((enum umedge_srtp_suite)s),
					       payloads[p], op_names[op], r[IMPL_STOCK], r[IMPL_UMEDGE],
					       m[0], m[1], m[2], m[3], m[MB_RAW],
					       r[IMPL_UMEDGE] / m[2], m[2] / m[MB_RAW]);
				}
	}

	printf("\npackets/s per core\n");
	printf("%-24s %5s %-9s %10s %10s %10s %10s\n", "suite", "bytes", "op", impl_names[0],
	       impl_names[1], impl_names[2], impl_names[3]);
	for (int s = 0; s < UMEDGE_SRTP_SUITE_COUNT; s++)
		for (int p = 0; p < N_PAYLOADS; p++)
			for (int op = 0; op < OP_COUNT; op++) {
				const double *r = res[s][p][op];

				printf("%-24s %5d %-9s", umedge_srtp_suite_name((enum umedge_srtp_suite)s),
				       payloads[p], op_names[op]);
				for (int i = 0; i < IMPL_COUNT; i++) {
					if (r[i] > 0)
						printf(" %10.0f", 1e9 / r[i]);
					else
						printf(" %10s", "-");
				}
				printf("\n");
			}

	printf("\ntarget: AES_CM_128_HMAC_SHA1_80, 172 octets: >= %.0fx stock, <= %.0fx raw\n",
	       TARGET_SPEEDUP, TARGET_RAW_RATIO);
	for (int op = 0; op < OP_COUNT; op++) {
		const double *r = res[UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80][1][op];
		double x = r[IMPL_STOCK] / r[IMPL_UMEDGE], q = r[IMPL_UMEDGE] / r[IMPL_RAW];
		double qe = r[IMPL_UMEDGE] / r[IMPL_RAW_EVP];

		printf("  %-9s %.1fx stock (%s), %.2fx raw (%s), %.2fx raw-evp\n", op_names[op], x,
		       x >= TARGET_SPEEDUP ? "met" : "MISSED", q,
		       q <= TARGET_RAW_RATIO ? "met" : "MISSED", qe);
		printf("            per sweep (stock/umedge/raw ns):");
		for (int w = 0; w < o.sweeps; w++) {
			const double *a = all[w][UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80][1][op];

			printf(" %.0f/%.0f/%.0f", a[IMPL_STOCK], a[IMPL_UMEDGE], a[IMPL_RAW]);
		}
		printf("\n");
	}
	{
		char load[128] = "?";
		FILE *c = fopen("/proc/loadavg", "r");

		if (c != NULL) {
			if (fgets(load, sizeof(load), c) != NULL)
				load[strcspn(load, "\n")] = '\0';
			fclose(c);
		}
		printf("loadavg at end: %s\n", load);
	}
	return 0;
}
