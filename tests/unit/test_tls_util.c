/* test_tls_util.c: see test_tls_util.h. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <rte_mbuf.h>

#include "test_tls_util.h"

struct pair TP;
struct tls_worker TW[2];
struct tserver TS;
struct tls_listener TL;

X509 *tt_leaf(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, const char *cn,
	      const char *san)
{
	time_t now = time(NULL);
	X509 *x = issuer ? cf_leaf(issuer, issuer_key, key, cn, now - 3600, now + 86400 * 30,
				   CF_EKU_BOTH)
			 : cf_self(key, cn, now - 3600, now + 86400 * 30, CF_EKU_BOTH);

	cr_assert_not_null(x);
	if (san != NULL) {
		X509V3_CTX ctx;
		X509_EXTENSION *ext;

		X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
		ext = X509V3_EXT_nconf_nid(NULL, &ctx, NID_subject_alt_name, san);
		cr_assert_not_null(ext);
		cr_assert_eq(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
		cr_assert_gt(X509_sign(x, issuer ? issuer_key : key, EVP_sha256()), 0);
	}
	return x;
}

static char *bio_string(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

char *tt_cert_pem(X509 *a, X509 *b)
{
	BIO *bio = BIO_new(BIO_s_mem());

	cr_assert_eq(PEM_write_bio_X509(bio, a), 1);
	if (b != NULL)
		cr_assert_eq(PEM_write_bio_X509(bio, b), 1);
	return bio_string(bio);
}

void tt_pem(struct tpem *p, X509 *leaf, X509 *chain, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());

	p->cert = tt_cert_pem(leaf, chain);
	cr_assert_eq(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	p->key = bio_string(bio);
}

void tt_pem_free(struct tpem *p)
{
	free(p->cert);
	if (p->key != NULL)
		memset(p->key, 0, strlen(p->key));
	free(p->key);
	p->cert = p->key = NULL;
}

/* ---- applications ---- */

static struct tapp *server_app(struct tls_conn *t)
{
	struct tapp *a;

	cr_assert_lt(TS.n, 64);
	a = &TS.apps[TS.n++];
	memset(a, 0, sizeof(*a));
	a->kind = 1;
	a->t = t;
	a->echo = true;
	tls_conn_set_user(t, a);
	return a;
}

static void on_open(struct tls_conn *t, void *user)
{
	struct tapp *a = user;

	if (a->kind == 2)
		a = server_app(t);
	a->open = true;
	snprintf(a->version, sizeof(a->version), "%s", tls_conn_version(t));
	snprintf(a->thumb, sizeof(a->thumb), "%s", tls_conn_local_thumbprint(t));
}

static void app_push(struct tapp *a)
{
	while (a->t != NULL && a->open && !a->closed && a->tx_off < a->tx_len) {
		int n = tls_conn_write(a->t, a->tx + a->tx_off, a->tx_len - a->tx_off);

		if (n <= 0)
			break;
		a->tx_off += (size_t)n;
	}
}

static size_t on_data(struct tls_conn *t, void *user, const uint8_t *p, size_t len)
{
	struct tapp *a = user;

	if (a->echo) {
		int n = tls_conn_write(t, p, len);

		return n > 0 ? (size_t)n : 0;
	}
	if (a->rx_len + len > a->rx_cap)
		len = a->rx_cap - a->rx_len;
	memcpy(a->rx + a->rx_len, p, len);
	a->rx_len += len;
	return len;
}

static void on_writable(struct tls_conn *t, void *user)
{
	app_push(user);
}

static void on_closed(struct tls_conn *t, void *user, int err, const char *reason)
{
	struct tapp *a = user;

	if (a->kind == 2) {
		TS.closed_unopened++;
		snprintf(TS.last_reason, sizeof(TS.last_reason), "%s", reason ? reason : "");
		return;
	}
	a->closed = true;
	a->err = err;
	a->t = NULL;
	snprintf(a->reason, sizeof(a->reason), "%s", reason ? reason : "");
}

const struct tls_app_ops tapp_ops = {
	.on_open = on_open,
	.on_data = on_data,
	.on_writable = on_writable,
	.on_closed = on_closed,
};

static const char *peer_fqdn(void *arg, uint32_t ip)
{
	return ip == ADDR_B ? TS.gw_fqdn : NULL;
}

void tt_setup(void)
{
	struct tcp_config ca, cb;

	test_eal_init();
	test_config(&ca, &TP, 0);
	test_config(&cb, &TP, 1);
	ca.snd_buf = cb.snd_buf = 64 * 1024;
	ca.rcv_buf = cb.rcv_buf = 64 * 1024;
	pair_init(&TP, &ca, &cb);
	cr_assert_eq(tls_worker_init(&TW[0], 0, SOCKET_ID_ANY), 0);
	cr_assert_eq(tls_worker_init(&TW[1], 1, SOCKET_ID_ANY), 0);
	memset(&TS, 0, sizeof(TS));
	TS.kind = 2;
	TS.gw_fqdn = GW_FQDN;
	TL = (struct tls_listener){ .tw = &TW[0], .ops = &tapp_ops, .peer_fqdn = peer_fqdn,
				    .arg = &TS };
	cr_assert_eq(tls_listen(TP.s[0], TLS_PORT, &TL), 0);
}

void tt_teardown(void)
{
	/* let closing sessions finish, so every SSL is freed with its owner */
	for (unsigned i = 0; i < 3000 && (TW[0].stats.conns_open || TW[1].stats.conns_open); i++)
		tt_run(1);
	pair_fini(&TP);
	tls_worker_fini(&TW[0]);
	tls_worker_fini(&TW[1]);
	tls_ctx_publish(NULL, NULL);
}

struct tapp *tt_connect(struct tls_ctx *ctx, const char *expect_host, size_t rx_cap)
{
	struct tapp *a = calloc(1, sizeof(*a));

	cr_assert_not_null(a);
	a->kind = 1;
	a->rx_cap = rx_cap;
	a->rx = rx_cap ? malloc(rx_cap) : NULL;
	cr_assert_eq(tls_connect(&TW[1], ctx, TP.s[1], ADDR_A, TLS_PORT, ADDR_B, expect_host,
				 &tapp_ops, a, &a->t), 0);
	return a;
}

void tapp_free(struct tapp *a)
{
	free(a->rx);
	free(a);
}

static bool inflight(void)
{
	return TW[0].stats.async_inflight > 0 || TW[1].stats.async_inflight > 0;
}

bool tt_run_until(const bool *flag, unsigned max_ms)
{
	unsigned waits = 0;

	pair_pump(&TP);
	for (unsigned i = 0; i < max_ms && !*flag;) {
		unsigned n = tls_worker_poll(&TW[0]) + tls_worker_poll(&TW[1]);

		if (n > 0) {
			pair_pump(&TP);
			continue;
		}
		if (inflight() && waits < 200000) {
			waits++;
			usleep(20);	/* the crypto thread works; time stands */
			continue;
		}
		pair_run(&TP, 1);
		i++;
	}
	return *flag;
}

void tt_run(unsigned ms)
{
	bool never = false;

	tt_run_until(&never, ms);
}

void tt_send(struct tapp *a, const uint8_t *p, size_t n)
{
	a->tx = p;
	a->tx_len = n;
	a->tx_off = 0;
	app_push(a);
}

struct tls_event *tt_event(void)
{
	return tls_worker_event(&TW[0]);
}
