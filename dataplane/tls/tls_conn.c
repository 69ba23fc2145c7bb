/*
 * tls_conn.c: one TLS session over one TCP connection.
 *
 * Ciphertext goes through a BIO pair: what TCP delivers is written into our
 * end (at most what the pair holds: the rest stays in TCP's receive buffer
 * and the window closes), what the SSL writes is read from our end straight
 * into tcp_send (what TCP does not take stays in the pair until
 * on_writable). Every SSL call is bracketed by tls_current_* so a key
 * operation inside an async job knows which worker and connection it
 * belongs to. While a job waits on a crypto lcore the connection is frozen:
 * no SSL call until tls_worker_poll resumes it, and if TCP goes away
 * meanwhile the connection is freed only after the job ended.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <rte_ring.h>

#include "tcp.h"
#include "tls_internal.h"

static void drive(struct tls_conn *t);
static void finish(struct tls_conn *t);

static void enter(struct tls_conn *t)
{
	tls_current_worker = t->tw;
	tls_current_conn = t;
}

static void leave(void)
{
	tls_current_worker = NULL;
	tls_current_conn = NULL;
}

static struct tls_conn *conn_new(struct tls_worker *tw, struct tls_ctx *ctx, bool server,
				 const char *expect_host, const struct tls_app_ops *ops,
				 void *user)
{
	struct tls_conn *t = calloc(1, sizeof(*t));
	BIO *ssl_bio = NULL;

	if (t == NULL)
		return NULL;
	t->pt = malloc(TLS_PT_SIZE);
	t->ssl = SSL_new(server ? ctx->server : ctx->client);
	if (t->pt == NULL || t->ssl == NULL)
		goto fail;
	if (BIO_new_bio_pair(&ssl_bio, TLS_BIO_SIZE, &t->net_bio, TLS_BIO_SIZE) != 1)
		goto fail;
	SSL_set_bio(t->ssl, ssl_bio, ssl_bio);
	if (SSL_set_ex_data(t->ssl, tls_verify_index(), t) != 1)
		goto fail;
	if (expect_host != NULL && strlen(expect_host) < sizeof(t->expect_host)) {
		strcpy(t->expect_host, expect_host);
		t->has_expect_host = true;
	}
	/* a step on a crypto lcore runs the handshake to its next wait in one
	 * go; an async job started there could not be resumed elsewhere */
	if (ctx->offload_handshake)
		SSL_clear_mode(t->ssl, SSL_MODE_ASYNC);
	if (server) {
		SSL_set_accept_state(t->ssl);
	} else {
		if (t->has_expect_host)
			SSL_set_tlsext_host_name(t->ssl, t->expect_host);
		SSL_set_connect_state(t->ssl);
	}
	t->tw = tw;
	t->ctx = tls_ctx_ref(ctx);
	t->server = server;
	t->ops = ops;
	t->user = user;
	tw->stats.conns_open++;
	return t;
fail:
	ERR_clear_error();
	SSL_free(t->ssl);	/* frees ssl_bio too once set */
	BIO_free(t->net_bio);
	free(t->pt);
	free(t);
	return NULL;
}

/* The SSL and buffers (t's own memory included); any thread. */
void tls_conn_release(struct tls_conn *t)
{
	SSL_free(t->ssl);
	BIO_free(t->net_bio);
	free(t->pt);
	free(t);
}

static void conn_free(struct tls_conn *t)
{
	t->tw->stats.conns_open--;
	tls_ctx_unref(t->ctx);
	t->ctx = NULL;
	/* OpenSSL 3.0's SSL_free costs a worker about 50 us: a crypto lcore
	 * does it when there is one */
	if (!tls_offload_release(t))
		tls_conn_release(t);
}

/* ---- ciphertext out ---- */

static void flush_out(struct tls_conn *t)
{
	/* while a handshake step runs on a crypto lcore, the SSL writes into
	 * the other end of this BIO pair */
	while (t->tcp != NULL && !t->step_out) {
		char *p;
		int n = BIO_nread0(t->net_bio, &p);
		int s;

		if (n <= 0)
			break;
		s = tcp_send(t->tcp, p, (size_t)n);
		if (s < 0) {
			/* TCP refuses data (closing): drop what is queued */
			BIO_nread(t->net_bio, &p, n);
			continue;
		}
		if (s > 0)
			BIO_nread(t->net_bio, &p, s);
		if (s < n) {
			t->want_tcp_writable = true;
			break;
		}
	}
}

/* ---- failures ---- */

static enum tls_fail classify_verify(int e)
{
	switch (e) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
		return TLS_FAIL_FQDN_MISMATCH;
	case X509_V_ERR_APPLICATION_VERIFICATION:
		return TLS_FAIL_UNKNOWN_GATEWAY;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_CERT_REVOKED:
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
		return TLS_FAIL_CERT_INVALID;
	default:
		return TLS_FAIL_UNTRUSTED;
	}
}

static void emit_event(struct tls_conn *t)
{
	struct tls_event *ev;

	if (t->fail == TLS_FAIL_CONN_LOST)
		return;
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL) {
		t->tw->stats.events_dropped++;
		return;
	}
	ev->peer_ip = t->peer_ip;
	ev->peer_port = t->peer_port;
	ev->fail = t->fail;
	snprintf(ev->subject, sizeof(ev->subject), "%s", t->peer_subject);
	snprintf(ev->thumbprint_sha1, sizeof(ev->thumbprint_sha1), "%s", t->peer_thumbprint);
	snprintf(ev->reason, sizeof(ev->reason), "%s", t->reason);
	if (t->tw->events == NULL || rte_ring_enqueue(t->tw->events, ev) != 0) {
		free(ev);
		t->tw->stats.events_dropped++;
	}
}

static void fail(struct tls_conn *t, enum tls_fail why)
{
	if (t->failed)
		return;
	t->failed = true;
	t->fail = why;
	t->close_err = -EPROTO;
	t->tw->stats.failures[why]++;
	emit_event(t);
	/* the alert the SSL queued goes out before the FIN */
	flush_out(t);
	if (t->tcp != NULL)
		tcp_close(t->tcp);
}

/* e: the first OpenSSL error of the thread that ran the handshake. */
static void handshake_failed(struct tls_conn *t, unsigned long e)
{
	char ip[16];
	enum tls_fail why;

	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", t->peer_ip >> 24, (t->peer_ip >> 16) & 255,
		 (t->peer_ip >> 8) & 255, t->peer_ip & 255);
	if (t->verify_err != 0) {
		why = classify_verify(t->verify_err);
		if (why == TLS_FAIL_FQDN_MISMATCH)
			snprintf(t->reason, sizeof(t->reason),
				 "certificate does not name the gateway FQDN %.140s", t->expect_host);
		else if (why == TLS_FAIL_UNKNOWN_GATEWAY)
			snprintf(t->reason, sizeof(t->reason), "no gateway configured at %s", ip);
		else
			snprintf(t->reason, sizeof(t->reason), "%s: %s", tls_fail_names[why],
				 X509_verify_cert_error_string(t->verify_err));
	} else if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		   ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		why = TLS_FAIL_NO_PEER_CERT;
		snprintf(t->reason, sizeof(t->reason), "peer sent no certificate");
	} else if (SSL_get_certificate(t->ssl) == NULL) {
		why = TLS_FAIL_NO_LOCAL_CERT;
		snprintf(t->reason, sizeof(t->reason), "no certificate in use yet");
	} else {
		char buf[160] = "handshake failed";

		why = TLS_FAIL_PROTOCOL;
		if (e != 0)
			ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(t->reason, sizeof(t->reason), "protocol: %s", buf);
	}
	ERR_clear_error();
	fail(t, why);
}

/* ---- the state machine ---- */

/* verify: tls_verify_after's result, from the thread that ran the step. */
static void opened(struct tls_conn *t, int verify)
{
	struct tls_stats *st = &t->tw->stats;

	if (verify != X509_V_OK) {
		t->verify_err = verify;
		handshake_failed(t, 0);
		return;
	}
	t->open = true;
	st->handshakes++;
	if (t->server)
		st->handshakes_server++;
	else
		st->handshakes_client++;
	if (SSL_session_reused(t->ssl))
		st->resumptions++;
	if (SSL_version(t->ssl) == TLS1_3_VERSION)
		st->tls13++;
	else
		st->tls12++;
	if (t->ops->on_open != NULL)
		t->ops->on_open(t, t->user);
}

/* Crypto lcore (tls_offload_compute): one handshake step, run until the
 * SSL waits for the peer, finishes or fails. The worker reads the results
 * after t came back on its completion ring. */
void tls_conn_step(struct tls_conn *t)
{
	ERR_clear_error();
	t->step_rc = SSL_do_handshake(t->ssl);
	t->step_err = t->step_rc == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, t->step_rc);
	t->step_errcode = ERR_peek_error();
	t->step_verify = t->step_rc == 1 ? tls_verify_after(t) : X509_V_OK;
	ERR_clear_error();
}

static void handshake(struct tls_conn *t)
{
	unsigned long e;
	int rc, err, verify = X509_V_OK;

	if (t->step_ready) {
		/* a step came back from a crypto lcore */
		t->step_ready = false;
		rc = t->step_rc;
		err = t->step_err;
		e = t->step_errcode;
		verify = t->step_verify;
	} else if (t->ctx->offload_handshake && tls_offload_step(t)) {
		return;
	} else {
		ERR_clear_error();
		enter(t);
		rc = SSL_do_handshake(t->ssl);
		leave();
		err = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, rc);
		e = ERR_peek_error();
		if (rc == 1)
			verify = tls_verify_after(t);
	}
	if (rc == 1) {
		opened(t, verify);
		return;
	}
	switch (err) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		break;
	case SSL_ERROR_WANT_ASYNC:
		t->async_wait = true;
		break;
	default:
		handshake_failed(t, e);
		break;
	}
}

/* Offer pending plaintext to the application. True when all was taken. */
static bool deliver(struct tls_conn *t)
{
	while (t->pt_len > 0 && !t->closing && !t->failed) {
		size_t n = t->ops->on_data(t, t->user, t->pt + t->pt_off, t->pt_len);

		if (n == 0)
			return false;
		if (n > t->pt_len)
			n = t->pt_len;
		t->pt_off += n;
		t->pt_len -= n;
	}
	return true;
}

static void read_loop(struct tls_conn *t)
{
	for (;;) {
		size_t got = 0;
		int rc;

		if (!deliver(t) || t->closing || t->failed)
			return;
		ERR_clear_error();
		enter(t);
		rc = SSL_read_ex(t->ssl, t->pt, TLS_PT_SIZE, &got);
		leave();
		if (rc == 1) {
			t->tw->stats.bytes_in += got;
			t->pt_off = 0;
			t->pt_len = got;
			continue;
		}
		switch (SSL_get_error(t->ssl, rc)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			return;
		case SSL_ERROR_WANT_ASYNC:
			t->async_wait = true;
			return;
		case SSL_ERROR_ZERO_RETURN:
			tls_conn_close(t);	/* answer the close_notify */
			return;
		default: {
			unsigned long e = ERR_peek_error();
			char buf[160] = "protocol error after handshake";

			if (e != 0)
				ERR_error_string_n(e, buf, sizeof(buf));
			ERR_clear_error();
			snprintf(t->reason, sizeof(t->reason), "protocol: %s", buf);
			/* an alert from the peer: with TLS 1.3 a server judges our
			 * certificate after our Finished, so "unknown ca" lands here */
			if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
			    ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET) {
				fail(t, TLS_FAIL_PROTOCOL);
				return;
			}
			t->fail = TLS_FAIL_PROTOCOL;
			t->close_err = -EPROTO;
			t->failed = true;
			flush_out(t);
			if (t->tcp != NULL)
				tcp_close(t->tcp);
			return;
		}
		}
	}
}

static void drive(struct tls_conn *t)
{
	if (t->in_drive)
		return;
	t->in_drive = true;
	if (!t->async_wait && !t->failed && t->tcp != NULL) {
		if (!t->open)
			handshake(t);
		if (t->open && !t->async_wait)
			read_loop(t);
	}
	flush_out(t);
	t->in_drive = false;
}

/* TCP is gone: tell the application and free, unless a job still runs. */
static void finish(struct tls_conn *t)
{
	if (t->async_wait)
		return;
	if (!t->abandoned && t->ops->on_closed != NULL)
		t->ops->on_closed(t, t->user, t->close_err,
				  t->reason[0] ? t->reason : NULL);
	conn_free(t);
}

/* ---- TCP callbacks ---- */

static size_t tcp_on_data(struct tcp_conn *c, void *user, const uint8_t *data, size_t len)
{
	struct tls_conn *t = user;
	size_t used = 0;

	if (t->failed || t->closing)
		return len;	/* nothing more is read: discard */
	while (used < len && !t->async_wait && t->pt_len == 0) {
		int n = BIO_write(t->net_bio, data + used, (int)RTE_MIN(len - used, (size_t)INT32_MAX));

		if (n <= 0)
			break;
		used += (size_t)n;
		drive(t);
		if (t->failed || t->closing)
			return len;
	}
	return used;
}

static void tcp_on_writable(struct tcp_conn *c, void *user)
{
	struct tls_conn *t = user;

	t->want_tcp_writable = false;
	flush_out(t);
	if (t->want_tcp_writable)
		return;
	drive(t);	/* an SSL that wanted to write, pending plaintext */
	if (t->app_wants_writable && t->open && !t->closing && !t->failed) {
		t->app_wants_writable = false;
		if (t->ops->on_writable != NULL)
			t->ops->on_writable(t, t->user);
	}
	if (t->tcp != NULL && t->pt_len == 0 && !t->async_wait)
		tcp_recv_resume(t->tcp);
}

static void tcp_on_peer_fin(struct tcp_conn *c, void *user)
{
	struct tls_conn *t = user;

	t->peer_fin = true;
	if (!t->open && !t->failed && !t->async_wait) {
		snprintf(t->reason, sizeof(t->reason), "peer closed during the handshake");
		fail(t, TLS_FAIL_CONN_LOST);
		return;
	}
	if (!t->closing && !t->failed)
		tls_conn_close(t);
}

/* TCP went away before the handshake ended. */
static void lost(struct tls_conn *t)
{
	if (t->open || t->failed)
		return;
	t->failed = true;
	t->fail = TLS_FAIL_CONN_LOST;
	t->tw->stats.failures[TLS_FAIL_CONN_LOST]++;
	if (t->reason[0] == '\0')
		snprintf(t->reason, sizeof(t->reason), "connection lost during the handshake");
}

static void tcp_on_closed(struct tcp_conn *c, void *user, int err)
{
	struct tls_conn *t = user;

	t->tcp = NULL;
	t->tcp_closed = true;
	if (err != 0 && t->close_err == 0)
		t->close_err = err;
	/* a step out may yet finish the handshake or find why it failed (a
	 * rejected gateway that hangs up at once is still a rejection) */
	if (!t->step_out)
		lost(t);
	finish(t);
}

static void tcp_on_connected(struct tcp_conn *c, void *user)
{
	struct tls_conn *t = user;
	struct tcp_conn_info info;

	t->tcp = c;
	tcp_conn_get_info(c, &info);
	t->peer_ip = info.remote_ip;
	t->peer_port = info.remote_port;
	drive(t);
}

static int tcp_on_accept(struct tcp_conn *c, void *listen_ctx)
{
	struct tls_listener *l = listen_ctx;
	struct tls_ctx *ctx = l->ctx != NULL ? l->ctx : tls_ctx_current();
	struct tcp_conn_info info;
	const char *host;
	struct tls_conn *t;

	if (ctx == NULL) {
		l->refused++;
		l->tw->stats.failures[TLS_FAIL_NO_LOCAL_CERT]++;
		return -1;
	}
	tcp_conn_get_info(c, &info);
	host = l->peer_fqdn != NULL ? l->peer_fqdn(l->arg, info.remote_ip) : NULL;
	t = conn_new(l->tw, ctx, true, host, l->ops, l->arg);
	if (t == NULL) {
		l->refused++;
		return -1;
	}
	t->tcp = c;
	t->peer_ip = info.remote_ip;
	t->peer_port = info.remote_port;
	tcp_set_user(c, t);
	return 0;
}

static const struct tcp_callbacks tls_tcp_callbacks = {
	.on_accept = tcp_on_accept,
	.on_connected = tcp_on_connected,
	.on_data = tcp_on_data,
	.on_writable = tcp_on_writable,
	.on_peer_fin = tcp_on_peer_fin,
	.on_closed = tcp_on_closed,
};

/* ---- public ---- */

int tls_listen(struct tcp_stack *st, uint16_t port, struct tls_listener *l)
{
	tls_verify_index();
	return tcp_listen(st, port, &tls_tcp_callbacks, l);
}

int tls_connect(struct tls_worker *tw, struct tls_ctx *ctx, struct tcp_stack *st, uint32_t dst_ip,
		uint16_t dst_port, uint32_t src_ip, const char *expect_host,
		const struct tls_app_ops *ops, void *user, struct tls_conn **out)
{
	struct tcp_conn *c = NULL;
	struct tls_conn *t;
	int rc;

	tls_verify_index();
	if (ctx == NULL)
		ctx = tls_ctx_current();
	if (ctx == NULL)
		return -ENOENT;
	t = conn_new(tw, ctx, false, expect_host, ops, user);
	if (t == NULL)
		return -ENOMEM;
	rc = tcp_connect(st, dst_ip, dst_port, src_ip, &tls_tcp_callbacks, t, &c);
	if (rc != 0) {
		conn_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int tls_conn_write(struct tls_conn *t, const void *p, size_t len)
{
	BIO *wb = SSL_get_wbio(t->ssl);
	size_t g, room, written = 0;
	int rc;

	if (t->failed || t->closing || t->tcp == NULL)
		return -EPIPE;
	if (!t->open)
		return -ENOTCONN;
	if (len == 0)
		return 0;
	g = BIO_ctrl_get_write_guarantee(wb);
	/* room for the record overhead: the SSL must never see a full BIO
	 * in the middle of a write (it would insist on the same buffer) */
	if (g < 1024) {
		t->app_wants_writable = true;
		return 0;
	}
	room = g - 64 * (g / 16384 + 2);
	if (len > room)
		len = room;
	ERR_clear_error();
	enter(t);
	rc = SSL_write_ex(t->ssl, p, len, &written);
	leave();
	if (rc != 1) {
		int e = SSL_get_error(t->ssl, rc);

		ERR_clear_error();
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_ASYNC) {
			t->app_wants_writable = true;
			return 0;
		}
		return -EPIPE;
	}
	t->tw->stats.bytes_out += written;
	flush_out(t);
	if (t->want_tcp_writable)
		t->app_wants_writable = true;
	return (int)written;
}

int tls_conn_close(struct tls_conn *t)
{
	if (t->closing)
		return 0;
	t->closing = true;
	if (t->open && !t->failed && t->tcp != NULL) {
		enter(t);
		SSL_shutdown(t->ssl);	/* close_notify, no waiting for theirs */
		leave();
		ERR_clear_error();
	}
	flush_out(t);
	if (t->tcp != NULL)
		return tcp_close(t->tcp);
	return -ENOTCONN;
}

void tls_conn_abort(struct tls_conn *t)
{
	struct tcp_conn *c = t->tcp;

	t->abandoned = true;
	t->tcp = NULL;
	t->tcp_closed = true;
	if (c != NULL)
		tcp_abort(c);
	finish(t);	/* now, or when the job out comes back */
}

void tls_conn_set_user(struct tls_conn *t, void *user)
{
	t->user = user;
}

bool tls_conn_resumed(const struct tls_conn *t)
{
	return SSL_session_reused(t->ssl) == 1;
}

const char *tls_conn_version(const struct tls_conn *t)
{
	return SSL_get_version(t->ssl);
}

void tls_conn_describe(const struct tls_conn *t, struct tls_conn_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->open = t->open && !t->failed;
	if (t->ssl != NULL && t->open) {
		const char *c = SSL_get_cipher_name(t->ssl);
		snprintf(d->version, sizeof(d->version), "%s", SSL_get_version(t->ssl));
		snprintf(d->cipher, sizeof(d->cipher), "%s", c != NULL ? c : "");
	}
	if (t->ssl != NULL)
		tls_cert_thumbprint(SSL_get_certificate(t->ssl), d->local_thumbprint,
				    sizeof(d->local_thumbprint));
	snprintf(d->peer_subject, sizeof(d->peer_subject), "%s", t->peer_subject);
	snprintf(d->peer_issuer, sizeof(d->peer_issuer), "%s", t->peer_issuer);
	snprintf(d->peer_names, sizeof(d->peer_names), "%s", t->peer_names);
	snprintf(d->peer_thumbprint, sizeof(d->peer_thumbprint), "%s", t->peer_thumbprint);
	snprintf(d->peer_not_after, sizeof(d->peer_not_after), "%s", t->peer_not_after);
	if (t->has_expect_host)
		snprintf(d->expect_host, sizeof(d->expect_host), "%s", t->expect_host);
	if (t->failed)
		d->fail = tls_fail_names[t->fail];
	snprintf(d->reason, sizeof(d->reason), "%s", t->reason);
}

uint16_t tls_conn_local_port(const struct tls_conn *t)
{
	struct tcp_conn_info ci;

	if (t->tcp == NULL)
		return 0;
	tcp_conn_get_info(t->tcp, &ci);
	return ci.local_port;
}

void tls_conn_peer(const struct tls_conn *t, uint32_t *ip, uint16_t *port)
{
	struct tcp_conn_info ci;

	*ip = 0;
	*port = 0;
	if (t->tcp == NULL)
		return;
	tcp_conn_get_info(t->tcp, &ci);
	*ip = ci.remote_ip;
	*port = ci.remote_port;
}

const char *tls_conn_peer_name(const struct tls_conn *t)
{
	return t->has_expect_host ? t->expect_host : "";
}

const char *tls_conn_local_thumbprint(const struct tls_conn *t)
{
	return t->ctx->thumbprint;
}

/* ---- resumption after an offloaded operation ---- */

unsigned tls_worker_poll(struct tls_worker *tw)
{
	struct tls_conn *done[32];
	unsigned n;

	if (tw->done == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(tw->done, (void **)done, RTE_DIM(done), NULL);
	for (unsigned i = 0; i < n; i++) {
		struct tls_conn *t = done[i];

		tw->stats.async_completions++;
		tw->stats.async_inflight--;
		t->async_wait = false;
		if (t->step_out) {
			/* a handshake step: the SSL is back, its result waits */
			t->step_out = false;
			t->step_ready = true;
			if (t->tcp_closed) {
				/* count what the step found, then go */
				if (!t->open && !t->failed && !t->abandoned)
					handshake(t);
				lost(t);
				finish(t);
				continue;
			}
		} else if (t->tcp_closed) {
			/* let the job run to its end, then free */
			int rc = 1;

			enter(t);
			if (!t->open)
				rc = SSL_do_handshake(t->ssl);
			leave();
			if (rc != 1 && SSL_get_error(t->ssl, rc) == SSL_ERROR_WANT_ASYNC)
				t->async_wait = true;	/* another op went out: wait again */
			ERR_clear_error();
			if (!t->async_wait)
				finish(t);
			continue;
		}
		drive(t);
		if (t->tcp != NULL && !t->async_wait && t->pt_len == 0)
			tcp_recv_resume(t->tcp);
	}
	return n;
}
