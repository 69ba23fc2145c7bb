/*
 * TLS over two in-process TCP stacks: 1.3 and 1.2 with mutual
 * authentication, every rejection reason with its event, resumption by
 * ticket, a certificate swap while a session is live.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "test_tls_util.h"
#include "tls_internal.h"

static struct cf_pki PKI;		/* the gateways' CA, in trust */
static EVP_PKEY *eng_key, *gw_key;
static X509 *eng_cert, *gw_cert;
static struct tpem ENG, GW;
static char *TRUST;			/* engine's trust: the PKI root */

static void setup(void)
{
	tt_setup();
	cr_assert_eq(cf_pki_init(&PKI, "Test Root", time(NULL)), 0);
	eng_key = cf_key(CF_KEY_EC);
	gw_key = cf_key(CF_KEY_EC);
	eng_cert = tt_leaf(PKI.inter, PKI.int_key, eng_key, ENGINE_FQDN, "DNS:" ENGINE_FQDN);
	gw_cert = tt_leaf(PKI.inter, PKI.int_key, gw_key, "gateway one", "DNS:" GW_FQDN);
	tt_pem(&ENG, eng_cert, PKI.inter, eng_key);
	tt_pem(&GW, gw_cert, PKI.inter, gw_key);
	TRUST = tt_cert_pem(PKI.root, NULL);
}

static void teardown(void)
{
	tt_teardown();
	tt_pem_free(&ENG);
	tt_pem_free(&GW);
	free(TRUST);
	X509_free(eng_cert);
	X509_free(gw_cert);
	EVP_PKEY_free(eng_key);
	EVP_PKEY_free(gw_key);
	cf_pki_free(&PKI);
}

TestSuite(tls_handshake, .init = setup, .fini = teardown, .timeout = 60);

static struct tls_ctx *mkctx(const struct tpem *p, const char *trust, int maxv)
{
	struct tls_policy pol = { .max_version = maxv };
	char err[256] = "";
	struct tls_ctx *c = tls_ctx_new(p ? p->cert : NULL, p ? p->key : NULL, trust, &pol,
					NULL, err, sizeof(err));

	cr_assert_not_null(c, "tls_ctx_new: %s", err);
	return c;
}

static void publish_engine(void)
{
	tls_ctx_publish(mkctx(&ENG, TRUST, 0), NULL);
}

/* Connect as the gateway and echo n bytes through the engine. */
static struct tapp *echo_session(struct tls_ctx *gw, size_t n)
{
	struct tapp *a = tt_connect(gw, ENGINE_FQDN, n);
	uint8_t *buf = malloc(n);
	bool done;

	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	cr_assert(tt_run_until(&a->open, 2000), "handshake: %s", a->reason);
	tt_send(a, buf, n);
	for (unsigned i = 0; i < 20000 && a->rx_len < n; i++)
		tt_run(1);
	done = a->rx_len == n && memcmp(a->rx, buf, n) == 0;
	cr_assert(done, "echo %zu of %zu", a->rx_len, n);
	free(buf);
	return a;
}

static void close_session(struct tapp *a)
{
	tls_conn_close(a->t);
	cr_assert(tt_run_until(&a->closed, 5000));
	cr_assert_eq(a->err, 0, "err %d %s", a->err, a->reason);
}

Test(tls_handshake, tls13_mutual_echo)
{
	struct tls_ctx *gw = mkctx(&GW, TRUST, 0);

	publish_engine();
	struct tapp *a = echo_session(gw, 200000);
	cr_assert_str_eq(a->version, "TLSv1.3");
	cr_assert_eq(TS.n, 1);
	cr_assert(TS.apps[0].open);
	cr_assert_eq(TW[0].stats.handshakes_server, 1);
	cr_assert_eq(TW[1].stats.handshakes_client, 1);
	cr_assert_eq(TW[0].stats.tls13, 1);
	cr_assert_eq(TW[0].stats.bytes_in, 200000);
	close_session(a);
	tt_run(100);
	cr_assert(TS.apps[0].closed);
	cr_assert_eq(TW[0].stats.conns_open, 0);
	tapp_free(a);
	tls_ctx_unref(gw);
}

Test(tls_handshake, tls12_mutual_echo)
{
	struct tls_ctx *gw = mkctx(&GW, TRUST, TLS1_2_VERSION);

	publish_engine();
	struct tapp *a = echo_session(gw, 50000);
	cr_assert_str_eq(a->version, "TLSv1.2");
	cr_assert_eq(TW[0].stats.tls12, 1);
	cr_assert_str_eq(SSL_get_cipher_name(a->t->ssl), "ECDHE-ECDSA-AES256-GCM-SHA384");
	close_session(a);
	tapp_free(a);
	tls_ctx_unref(gw);
}

/* The gateway's handshake fails; the engine counts and reports why. */
static struct tls_event *rejected(struct tls_ctx *gw, enum tls_fail why)
{
	struct tapp *a = tt_connect(gw, ENGINE_FQDN, 1024);
	uint64_t hs = TW[0].stats.handshakes_server, fails = TW[0].stats.failures[why];
	unsigned unopened = TS.closed_unopened;
	struct tls_event *ev;

	tt_run_until(&a->closed, 3000);
	tt_run(200);
	cr_assert(a->closed, "gateway side still open");
	cr_assert_eq(TW[0].stats.failures[why], fails + 1, "reason %s: %lu (last: %s)",
		     tls_fail_names[why], (unsigned long)TW[0].stats.failures[why],
		     TS.last_reason);
	cr_assert_eq(TW[0].stats.handshakes_server, hs);
	cr_assert_eq(TS.closed_unopened, unopened + 1);
	ev = tt_event();
	cr_assert_not_null(ev, "no event");
	cr_assert_eq(ev->fail, why);
	cr_assert_eq(ev->peer_ip, ADDR_B);
	cr_assert_eq(TW[0].stats.conns_open, 0);
	tapp_free(a);
	return ev;
}

Test(tls_handshake, no_client_certificate)
{
	struct tls_ctx *gw = mkctx(NULL, TRUST, 0);
	struct tls_event *ev;

	publish_engine();
	ev = rejected(gw, TLS_FAIL_NO_PEER_CERT);
	cr_assert_str_eq(ev->reason, "peer sent no certificate");
	cr_assert_str_eq(ev->subject, "");
	free(ev);
	tls_ctx_unref(gw);
}

Test(tls_handshake, untrusted_client)
{
	struct cf_pki other;
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x;
	struct tpem p;
	char thumb[64];
	struct tls_event *ev;

	cr_assert_eq(cf_pki_init(&other, "Other Root", time(NULL)), 0);
	x = tt_leaf(other.inter, other.int_key, k, "rogue", "DNS:" GW_FQDN);
	tt_pem(&p, x, other.inter, k);
	/* the gateway trusts our root, so only the engine rejects */
	char *gtrust = tt_cert_pem(PKI.root, NULL);
	struct tls_ctx *gw = mkctx(&p, gtrust, 0);

	publish_engine();
	ev = rejected(gw, TLS_FAIL_UNTRUSTED);
	tls_cert_thumbprint(x, thumb, sizeof(thumb));
	cr_assert_str_eq(ev->thumbprint_sha1, thumb);
	cr_assert_str_eq(ev->subject, "CN=rogue");
	cr_assert(strstr(ev->reason, "untrusted: unable to get local issuer") != NULL, "%s",
		  ev->reason);
	free(ev);
	free(gtrust);
	tls_ctx_unref(gw);
	tt_pem_free(&p);
	X509_free(x);
	EVP_PKEY_free(k);
	cf_pki_free(&other);
}

Test(tls_handshake, wrong_fqdn)
{
	struct tls_ctx *gw = mkctx(&GW, TRUST, 0);
	struct tls_event *ev;

	TS.gw_fqdn = "gw2.example.test";
	publish_engine();
	ev = rejected(gw, TLS_FAIL_FQDN_MISMATCH);
	cr_assert_str_eq(ev->reason, "certificate does not name the gateway FQDN gw2.example.test");
	cr_assert_str_eq(ev->subject, "CN=gateway one");
	free(ev);
	tls_ctx_unref(gw);
}

Test(tls_handshake, unknown_gateway)
{
	struct tls_ctx *gw = mkctx(&GW, TRUST, 0);
	struct tls_event *ev;

	TS.gw_fqdn = NULL;
	publish_engine();
	ev = rejected(gw, TLS_FAIL_UNKNOWN_GATEWAY);
	cr_assert_str_eq(ev->reason, "no gateway configured at 198.51.100.1");
	free(ev);
	tls_ctx_unref(gw);
}

Test(tls_handshake, cn_fallback_without_san)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = tt_leaf(PKI.inter, PKI.int_key, k, GW_FQDN, NULL);
	struct tpem p;

	tt_pem(&p, x, PKI.inter, k);
	struct tls_ctx *gw = mkctx(&p, TRUST, 0);
	publish_engine();
	struct tapp *a = echo_session(gw, 1000);
	cr_assert(TS.apps[0].open);
	close_session(a);
	tapp_free(a);
	/* a SAN without the FQDN hides the CN: rejected */
	X509 *y = tt_leaf(PKI.inter, PKI.int_key, k, GW_FQDN, "DNS:other.example.test");
	struct tpem q;
	tt_pem(&q, y, PKI.inter, k);
	struct tls_ctx *gw2 = mkctx(&q, TRUST, 0);
	free(rejected(gw2, TLS_FAIL_FQDN_MISMATCH));
	tls_ctx_unref(gw2);
	tt_pem_free(&q);
	X509_free(y);
	tls_ctx_unref(gw);
	tt_pem_free(&p);
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(tls_handshake, pinned_self_signed_gateway)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = tt_leaf(NULL, NULL, k, "pinned gw", "DNS:" GW_FQDN);
	struct tpem p;
	char *trust;

	tt_pem(&p, x, NULL, k);
	trust = tt_cert_pem(PKI.root, x);	/* root and the pinned certificate */
	struct tls_ctx *gw = mkctx(&p, TRUST, 0);
	tls_ctx_publish(mkctx(&ENG, trust, 0), NULL);
	struct tapp *a = echo_session(gw, 1000);
	close_session(a);
	tapp_free(a);
	/* pinned certificate removed from trust: new handshakes fail */
	tls_ctx_publish(mkctx(&ENG, TRUST, 0), NULL);
	free(rejected(gw, TLS_FAIL_UNTRUSTED));
	free(trust);
	tls_ctx_unref(gw);
	tt_pem_free(&p);
	X509_free(x);
	EVP_PKEY_free(k);
}

static SSL_SESSION *ticket_of(struct tapp *a)
{
	SSL_SESSION *s = SSL_get1_session(a->t->ssl);

	cr_assert_not_null(s);
	cr_assert(SSL_SESSION_is_resumable(s));
	return s;
}

/* Resume with s (TLS 1.3 tickets are single use); returns the fresh
 * ticket the resumed connection got. */
static SSL_SESSION *resume(struct tls_ctx *gw, SSL_SESSION *s, bool expect)
{
	struct tapp *a = tt_connect(gw, ENGINE_FQDN, 100);
	SSL_SESSION *next;
	static const uint8_t ping[] = "ping";

	cr_assert(SSL_SESSION_is_resumable(s), "session no longer resumable");
	cr_assert_eq(SSL_set_session(a->t->ssl, s), 1);
	SSL_SESSION_free(s);
	cr_assert(tt_run_until(&a->open, 2000));
	tt_send(a, ping, 4);	/* the new ticket comes with the reply */
	tt_run(50);
	cr_assert_eq(a->rx_len, 4);
	cr_assert(!a->closed, "%s / %s", a->reason, TS.last_reason);
	cr_assert_eq(tls_conn_resumed(a->t), expect);
	next = ticket_of(a);
	close_session(a);
	tapp_free(a);
	return next;
}

Test(tls_handshake, resumption_by_ticket_survives_cert_swap)
{
	struct tls_ctx *gw = mkctx(&GW, TRUST, 0);
	struct tls_ctx *e1 = mkctx(&ENG, TRUST, 0);

	tls_ctx_publish(tls_ctx_ref(e1), NULL);
	struct tapp *a = echo_session(gw, 1000);
	SSL_SESSION *s = ticket_of(a);
	close_session(a);
	tapp_free(a);
	s = resume(gw, s, true);
	cr_assert_eq(TW[0].stats.resumptions, 1);
	/* new certificate, same trust: old tickets still resume */
	EVP_PKEY *k2 = cf_key(CF_KEY_EC);
	X509 *c2 = tt_leaf(PKI.inter, PKI.int_key, k2, ENGINE_FQDN, "DNS:" ENGINE_FQDN);
	struct tpem e2p;
	char err[256];
	tt_pem(&e2p, c2, PKI.inter, k2);
	struct tls_ctx *e2 = tls_ctx_new(e2p.cert, e2p.key, TRUST, NULL, e1, err, sizeof(err));
	cr_assert_not_null(e2, "%s", err);
	tls_ctx_publish(e2, NULL);
	s = resume(gw, s, true);
	cr_assert_eq(TW[0].stats.resumptions, 2);
	/* new trust: tickets issued under the old one are refused */
	char *trust2 = tt_cert_pem(PKI.root, PKI.inter);
	struct tls_ctx *e3 = tls_ctx_new(e2p.cert, e2p.key, trust2, NULL, e2, err, sizeof(err));
	cr_assert_not_null(e3, "%s", err);
	tls_ctx_publish(e3, NULL);
	s = resume(gw, s, false);
	cr_assert_eq(TW[0].stats.resumptions, 2);
	SSL_SESSION_free(s);
	free(trust2);
	tt_pem_free(&e2p);
	X509_free(c2);
	EVP_PKEY_free(k2);
	tls_ctx_unref(e1);
	tls_ctx_unref(gw);
}

Test(tls_handshake, swap_keeps_live_session)
{
	struct tls_ctx *gw = mkctx(&GW, TRUST, 0);
	struct tls_ctx *e1 = mkctx(&ENG, TRUST, 0);
	char t1[64];

	snprintf(t1, sizeof(t1), "%s", tls_ctx_thumbprint(e1));
	tls_ctx_publish(e1, NULL);
	struct tapp *a = echo_session(gw, 1000);
	cr_assert_str_eq(TS.apps[0].thumb, t1);

	EVP_PKEY *k2 = cf_key(CF_KEY_RSA);
	X509 *c2 = tt_leaf(PKI.inter, PKI.int_key, k2, ENGINE_FQDN, "DNS:" ENGINE_FQDN);
	struct tpem e2p;
	tt_pem(&e2p, c2, PKI.inter, k2);
	struct tls_ctx *e2 = mkctx(&e2p, TRUST, 0);
	tls_ctx_publish(e2, NULL);	/* e1 freed: the live SSL keeps its SSL_CTX */

	/* the old session goes on */
	static uint8_t more[30000];
	memset(more, 0x5a, sizeof(more));
	a->rx_len = 0;
	a->rx_cap = sizeof(more);
	a->rx = realloc(a->rx, a->rx_cap);
	tt_send(a, more, sizeof(more));
	for (unsigned i = 0; i < 5000 && a->rx_len < sizeof(more); i++)
		tt_run(1);
	cr_assert_eq(a->rx_len, sizeof(more));
	cr_assert_str_eq(tls_conn_local_thumbprint(TS.apps[0].t), t1);
	/* a new one gets the new certificate */
	struct tapp *b = echo_session(gw, 100);
	cr_assert_str_neq(TS.apps[1].thumb, t1);
	X509 *peer = SSL_get0_peer_certificate(b->t->ssl);
	char pt[64];
	tls_cert_thumbprint(peer, pt, sizeof(pt));
	cr_assert_str_eq(pt, TS.apps[1].thumb);
	close_session(a);
	close_session(b);
	tapp_free(a);
	tapp_free(b);
	tt_pem_free(&e2p);
	X509_free(c2);
	EVP_PKEY_free(k2);
	tls_ctx_unref(gw);
}

Test(tls_handshake, no_engine_certificate_refuses)
{
	struct tls_ctx *gw = mkctx(&GW, TRUST, 0);
	struct tapp *a = tt_connect(gw, ENGINE_FQDN, 100);

	tt_run_until(&a->closed, 2000);
	cr_assert(a->closed);
	cr_assert_eq(TL.refused, 1);
	tapp_free(a);
	tls_ctx_unref(gw);
}

Test(tls_handshake, bad_pem_is_an_error)
{
	char err[256] = "";
	struct tls_ctx *c = tls_ctx_new("garbage", ENG.key, TRUST, NULL, NULL, err, sizeof(err));

	cr_assert_null(c);
	cr_assert(strstr(err, "certificate PEM") != NULL, "%s", err);
	c = tls_ctx_new(ENG.cert, GW.key, TRUST, NULL, NULL, err, sizeof(err));
	cr_assert_null(c, "mismatched key accepted");
	cr_assert(tls_ctx_same(NULL, NULL, NULL, NULL) == false);
	c = mkctx(&ENG, TRUST, 0);
	cr_assert(tls_ctx_same(c, ENG.cert, ENG.key, TRUST));
	cr_assert(!tls_ctx_same(c, ENG.cert, ENG.key, ""));
	tls_ctx_unref(c);
}

/* Many sessions echoing at once through 2% loss and 2% reordering each
 * way: back-pressure between TLS and TCP never deadlocks. */
Test(tls_handshake, concurrent_echo_with_loss)
{
	enum { N = 16, SIZE = 256 * 1024 };
	struct tls_ctx *gw = mkctx(&GW, TRUST, 0);
	struct tapp *a[N];
	uint8_t *buf = malloc(SIZE);
	unsigned done = 0;

	for (int side = 0; side < 2; side++) {
		struct tcp_fault_config *f = &TP.s[side]->cfg.fault;

		f->rx_drop_ppm = f->tx_drop_ppm = 10000;
		f->rx_reorder_ppm = f->tx_reorder_ppm = 10000;
	}
	for (size_t i = 0; i < SIZE; i++)
		buf[i] = (uint8_t)(i * 13 + (i >> 9));
	publish_engine();
	for (int i = 0; i < N; i++)
		a[i] = tt_connect(gw, ENGINE_FQDN, SIZE);
	for (int i = 0; i < N; i++) {
		cr_assert(tt_run_until(&a[i]->open, 20000), "handshake %d", i);
		tt_send(a[i], buf, SIZE);
	}
	for (unsigned ms = 0; ms < 600000 && done < N; ms += 10) {
		tt_run(10);
		done = 0;
		for (int i = 0; i < N; i++)
			done += a[i]->rx_len == SIZE;
	}
	for (int i = 0; i < N && done < N; i++)
		if (a[i]->rx_len != SIZE)
			cr_log_error("session %d: rx %zu tx_off %zu closed %d err %d (%s) qdrops %u", i,
				     a[i]->rx_len, a[i]->tx_off, a[i]->closed, a[i]->err, a[i]->reason,
				     TP.qdrops);
	if (done < N) {
		for (int side = 0; side < 2; side++) {
			json_t *j = tcp_stack_json(TP.s[side]);
			char *txt = json_dumps(j, JSON_COMPACT);

			cr_log_error("stack %d: %s", side, txt);
			free(txt);
			json_decref(j);
		}
		for (int i = 0; i < N; i++) {
			struct tls_conn *t = a[i]->t;
			if (t == NULL || a[i]->rx_len == SIZE)
				continue;
			cr_log_error("client %d rx %zu tx_off %zu", i, a[i]->rx_len, a[i]->tx_off);
			cr_log_error("client %d: pt %zu async %d wtw %d aww %d out %zu inroom %zu "
				     "sslpend %d open %d closing %d sendspace %zu", i, t->pt_len,
				     t->async_wait, t->want_tcp_writable, t->app_wants_writable,
				     (size_t)BIO_ctrl_pending(t->net_bio),
				     (size_t)BIO_ctrl_get_write_guarantee(t->net_bio),
				     SSL_pending(t->ssl), t->open, t->closing,
				     t->tcp ? tcp_send_space(t->tcp) : 0);
			break;
		}
		for (unsigned i = 0; i < TS.n; i++) {
			struct tls_conn *t = TS.apps[i].t;
			if (t == NULL || TS.apps[i].closed ||
			    (t->pt_len == 0 && BIO_ctrl_pending(t->net_bio) == 0 &&
			     BIO_ctrl_get_write_guarantee(t->net_bio) == TLS_BIO_SIZE))
				continue;
			cr_log_error("server %u: pt %zu async %d wtw %d aww %d out %zu inroom %zu "
				     "sslpend %d sendspace %zu", i, t->pt_len, t->async_wait,
				     t->want_tcp_writable, t->app_wants_writable,
				     (size_t)BIO_ctrl_pending(t->net_bio),
				     (size_t)BIO_ctrl_get_write_guarantee(t->net_bio),
				     SSL_pending(t->ssl), t->tcp ? tcp_send_space(t->tcp) : 0);
			break;
		}
		for (unsigned i = 0; i < TS.n; i++)
			if (TS.apps[i].closed && TS.apps[i].err != 0) {
				cr_log_error("server app %u: err %d %s", i, TS.apps[i].err,
					     TS.apps[i].reason);
				break;
			}
	}
	cr_assert_eq(done, N, "%u of %d sessions echoed everything", done, N);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(memcmp(a[i]->rx, buf, SIZE), 0);
		close_session(a[i]);
		tapp_free(a[i]);
	}
	cr_assert_gt(TP.s[0]->stats.fault_rx_dropped, 0);
	free(buf);
	tls_ctx_unref(gw);
}
