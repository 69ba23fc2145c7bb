/*
 * Async offload: with SSL_MODE_ASYNC the private-key operations of both
 * roles leave the worker for a crypto thread (standing in for a crypto
 * lcore), the job pauses, and tls_worker_poll resumes it. RSA-2048 and
 * ECDSA P-256; inline when no crypto core exists; a connection reset while
 * its job is out is freed only when the job comes back. With
 * offload_handshake every handshake step runs on the crypto thread instead,
 * failures still classified, and the same rule for a reset while out.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/ssl.h>
#include <rte_memory.h>

#include "test_tls_util.h"
#include "tls_internal.h"

static struct cf_pki PKI;
static char *TRUST;
static pthread_t crypto;
static atomic_bool stop, hold;
static bool crypto_running;
static bool offload_hs;		/* party(): whole handshake steps */

static void *crypto_thread(void *arg)
{
	while (!atomic_load(&stop)) {
		if (atomic_load(&hold) || tls_crypto_poll(0, 16) == 0)
			usleep(50);
	}
	return NULL;
}

static void setup(void)
{
	tt_setup();
	cr_assert_eq(cf_pki_init(&PKI, "Test Root", time(NULL)), 0);
	TRUST = tt_cert_pem(PKI.root, NULL);
}

static void start_crypto(void)
{
	cr_assert_eq(tls_offload_init(1, SOCKET_ID_ANY), 0);
	cr_assert_eq(tls_offload_count(), 1);
	atomic_store(&stop, false);
	cr_assert_eq(pthread_create(&crypto, NULL, crypto_thread, NULL), 0);
	crypto_running = true;
}

static void teardown(void)
{
	tt_teardown();		/* the crypto thread finishes what is out */
	if (crypto_running) {
		atomic_store(&stop, true);
		pthread_join(crypto, NULL);
		crypto_running = false;
	}
	tls_offload_fini();
	free(TRUST);
	cf_pki_free(&PKI);
}

TestSuite(tls_async, .init = setup, .fini = teardown, .timeout = 60);

struct party {
	EVP_PKEY *key;
	X509 *cert;
	struct tpem pem;
	struct tls_ctx *ctx;
};

static void party(struct party *p, enum cf_keytype kt, const char *name, bool async)
{
	struct tls_policy pol = { .async_keys = async && !offload_hs,
				  .offload_handshake = offload_hs };
	char err[256] = "";
	char san[300];

	snprintf(san, sizeof(san), "DNS:%s", name);
	p->key = cf_key(kt);
	p->cert = tt_leaf(PKI.inter, PKI.int_key, p->key, name, san);
	tt_pem(&p->pem, p->cert, PKI.inter, p->key);
	p->ctx = tls_ctx_new(p->pem.cert, p->pem.key, TRUST, &pol, NULL, err, sizeof(err));
	cr_assert_not_null(p->ctx, "%s", err);
}

static void party_free(struct party *p)
{
	tls_ctx_unref(p->ctx);
	tt_pem_free(&p->pem);
	X509_free(p->cert);
	EVP_PKEY_free(p->key);
}

/* eng serves, gw connects, one OPTIONS-sized message goes there and back. */
static struct tapp *open_and_echo(struct party *eng, struct party *gw)
{
	static const uint8_t msg[] = "OPTIONS sip:um1.example.test SIP/2.0\r\n\r\n";
	struct tapp *a;

	tls_ctx_publish(tls_ctx_ref(eng->ctx), NULL);
	a = tt_connect(gw->ctx, ENGINE_FQDN, 1000);
	cr_assert(tt_run_until(&a->open, 3000), "handshake: %s / %s", a->reason, TS.last_reason);
	tt_send(a, msg, sizeof(msg));
	for (unsigned i = 0; i < 1000 && a->rx_len < sizeof(msg); i++)
		tt_run(1);
	cr_assert_eq(a->rx_len, sizeof(msg));
	cr_assert_eq(memcmp(a->rx, msg, sizeof(msg)), 0);
	return a;
}

static void handshake_echo(enum cf_keytype kt, bool offload)
{
	struct party eng, gw;

	if (offload)
		start_crypto();
	party(&eng, kt, ENGINE_FQDN, true);
	party(&gw, kt, GW_FQDN, true);
	struct tapp *a = open_and_echo(&eng, &gw);
	if (offload) {
		/* the server signs once (CertificateVerify), the client once */
		cr_assert_geq(TW[0].stats.async_offloads, 1);
		cr_assert_geq(TW[1].stats.async_offloads, 1);
		cr_assert_eq(TW[0].stats.async_inline, 0);
		cr_assert_eq(TW[0].stats.async_completions, TW[0].stats.async_offloads);
	} else {
		cr_assert_eq(TW[0].stats.async_offloads, 0);
		cr_assert_geq(TW[0].stats.async_inline, 1);
	}
	cr_assert_eq(TW[0].stats.async_inflight, 0);
	cr_assert_eq(TW[1].stats.async_inflight, 0);
	tls_conn_close(a->t);
	cr_assert(tt_run_until(&a->closed, 3000));
	tapp_free(a);
	party_free(&eng);
	party_free(&gw);
}

Test(tls_async, ecdsa_offloaded)
{
	handshake_echo(CF_KEY_EC, true);
}

Test(tls_async, rsa_offloaded)
{
	handshake_echo(CF_KEY_RSA, true);
}

Test(tls_async, rsa_inline_without_crypto_core)
{
	handshake_echo(CF_KEY_RSA, false);
}

Test(tls_async, tls12_offloaded)
{
	struct party eng, gw;
	struct tls_policy pol = { .async_keys = true, .max_version = TLS1_2_VERSION };
	char err[256];

	start_crypto();
	party(&eng, CF_KEY_RSA, ENGINE_FQDN, true);
	party(&gw, CF_KEY_EC, GW_FQDN, true);
	struct tls_ctx *g12 = tls_ctx_new(gw.pem.cert, gw.pem.key, TRUST, &pol, NULL, err,
					  sizeof(err));
	cr_assert_not_null(g12);
	tls_ctx_publish(tls_ctx_ref(eng.ctx), NULL);
	struct tapp *a = tt_connect(g12, ENGINE_FQDN, 100);
	cr_assert(tt_run_until(&a->open, 3000), "%s", TS.last_reason);
	cr_assert_str_eq(a->version, "TLSv1.2");
	tt_run(20);
	cr_assert_geq(TW[0].stats.async_offloads, 1);
	cr_assert_eq(TW[0].stats.handshakes_server, 1);
	tls_conn_close(a->t);
	cr_assert(tt_run_until(&a->closed, 3000));
	tapp_free(a);
	tls_ctx_unref(g12);
	party_free(&eng);
	party_free(&gw);
}

/* Many handshakes at once: jobs pause side by side, all complete. */
Test(tls_async, twenty_concurrent_handshakes)
{
	struct party eng, gw;
	struct tapp *a[20];

	start_crypto();
	party(&eng, CF_KEY_EC, ENGINE_FQDN, true);
	party(&gw, CF_KEY_EC, GW_FQDN, true);
	tls_ctx_publish(tls_ctx_ref(eng.ctx), NULL);
	for (int i = 0; i < 20; i++)
		a[i] = tt_connect(gw.ctx, ENGINE_FQDN, 100);
	for (int i = 0; i < 20; i++)
		cr_assert(tt_run_until(&a[i]->open, 3000), "conn %d", i);
	tt_run(20);
	cr_assert_eq(TW[0].stats.handshakes_server, 20);
	cr_assert_geq(TW[0].stats.async_offloads, 20);
	cr_assert_eq(TW[0].stats.async_inflight, 0);
	for (int i = 0; i < 20; i++) {
		tls_conn_close(a[i]->t);
		cr_assert(tt_run_until(&a[i]->closed, 3000));
		tapp_free(a[i]);
	}
	party_free(&eng);
	party_free(&gw);
}

/* The peer resets while the engine's signature (or, with steps, a whole
 * handshake step) is on the crypto core: the connection waits for it,
 * then goes, exactly once. */
static void reset_while_out(bool steps)
{
	struct party eng, gw;

	offload_hs = steps;
	start_crypto();
	party(&eng, CF_KEY_RSA, ENGINE_FQDN, true);
	offload_hs = false;
	party(&gw, CF_KEY_RSA, GW_FQDN, false);
	tls_ctx_publish(tls_ctx_ref(eng.ctx), NULL);
	atomic_store(&hold, true);
	struct tapp *a = tt_connect(gw.ctx, ENGINE_FQDN, 100);
	for (unsigned i = 0; i < 200 && TW[0].stats.async_inflight == 0; i++)
		pair_run(&TP, 1);
	cr_assert_eq(TW[0].stats.async_inflight, 1);
	cr_assert_eq(TW[0].stats.hs_offloads, steps ? 1 : 0);
	cr_assert_eq(TW[0].stats.conns_open, 1);
	/* RST from the gateway */
	tls_conn_abort(a->t);
	a->t = NULL;
	pair_run(&TP, 5);
	cr_assert_eq(TW[0].stats.conns_open, 1, "freed under the job or step");
	cr_assert_eq(TS.closed_unopened, 0);
	atomic_store(&hold, false);
	tt_run(20);
	cr_assert_eq(TW[0].stats.async_inflight, 0);
	cr_assert_eq(TW[0].stats.conns_open, 0);
	cr_assert_eq(TS.closed_unopened, 1);
	cr_assert_eq(TW[0].stats.failures[TLS_FAIL_CONN_LOST], 1);
	tapp_free(a);
	party_free(&eng);
	party_free(&gw);
}

Test(tls_async, reset_while_job_out)
{
	reset_while_out(false);
}

/* ---- whole handshake steps on the crypto thread ---- */

static void steps_echo(enum cf_keytype kt)
{
	struct party eng, gw;

	offload_hs = true;
	start_crypto();
	party(&eng, kt, ENGINE_FQDN, true);
	party(&gw, kt, GW_FQDN, true);
	struct tapp *a = open_and_echo(&eng, &gw);
	/* TLS 1.3: the server's flight, then the client's certificate and
	 * Finished; the client: ServerHello to Finished. No key op is left
	 * for the worker, none goes through an async job */
	cr_assert_geq(TW[0].stats.hs_offloads, 2);
	cr_assert_geq(TW[1].stats.hs_offloads, 1);
	cr_assert_eq(TW[0].stats.async_offloads + TW[0].stats.async_inline, 0);
	cr_assert_eq(TW[0].stats.handshakes_server, 1);
	cr_assert_eq(TW[0].stats.async_completions, TW[0].stats.hs_offloads);
	cr_assert_eq(TW[0].stats.async_inflight, 0);
	tls_conn_close(a->t);
	cr_assert(tt_run_until(&a->closed, 3000));
	tapp_free(a);
	party_free(&eng);
	party_free(&gw);
	offload_hs = false;
}

Test(tls_async, ecdsa_handshake_steps_offloaded)
{
	steps_echo(CF_KEY_EC);
}

Test(tls_async, rsa_handshake_steps_offloaded)
{
	steps_echo(CF_KEY_RSA);
}

/* A failure found on the crypto thread (its own OpenSSL error queue) is
 * classified and reported by the worker like an inline one. */
Test(tls_async, handshake_step_failure_classified)
{
	struct party eng, gw;

	offload_hs = true;
	start_crypto();
	party(&eng, CF_KEY_EC, ENGINE_FQDN, true);
	party(&gw, CF_KEY_EC, "gw9.example.test", true);
	tls_ctx_publish(tls_ctx_ref(eng.ctx), NULL);
	struct tapp *a = tt_connect(gw.ctx, ENGINE_FQDN, 100);
	cr_assert(tt_run_until(&a->closed, 3000));
	tt_run(20);
	cr_assert_eq(TW[0].stats.failures[TLS_FAIL_FQDN_MISMATCH], 1);
	cr_assert(strstr(TS.last_reason, "does not name the gateway FQDN") != NULL, "%s",
		  TS.last_reason);
	cr_assert_geq(TW[0].stats.hs_offloads, 1);
	cr_assert_eq(TW[0].stats.async_inflight, 0);
	cr_assert_eq(TW[0].stats.conns_open, 0);
	tapp_free(a);
	party_free(&eng);
	party_free(&gw);
	offload_hs = false;
}

/* The same with a handshake step out: the SSL belongs to the crypto
 * thread until it comes back. */
Test(tls_async, reset_while_step_out)
{
	reset_while_out(true);
}
