/*
 * sip_probe.c: the connectivity probe (sip_probe.h).
 *
 * The main lcore fills the request of worker 0's probe and arms it; the
 * worker starts it from its poll hook, sends the OPTIONS on its own stack
 * and takes the answer out of its input before the proxy sees it (the
 * Call-ID is chosen so that the RX core and the stream layer deliver the
 * answer to this worker); then it publishes the result and the main lcore
 * reads it. The state word orders the hand-overs:
 *   IDLE/DONE -(main: request written)-> ARMED -(worker)-> RUNNING
 *   -(worker: result written)-> DONE
 */
#include "sip_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>

#include "tls/tls.h"
#include "sip_probe_int.h"
#include "worker_sip.h"

#define PROBE_T1_MS 500
#define PROBE_T2_MS 4000
#define PROBE_TIMEOUT_MIN_MS 1000
#define PROBE_TIMEOUT_MAX_MS 60000
#define PROBE_TIMEOUT_DEFAULT_MS 8000

struct sip_probe_plane {
	struct worker_sip_plane *p;
	struct sip_probe *pr;		/* worker 0's */
	uint64_t next_id;
	json_t *context;		/* passed back with the result (control's) */
};

/* ---- worker side ---- */

static void done(struct sip_probe *pr)
{
	__atomic_store_n(&pr->state, PROBE_DONE, __ATOMIC_RELEASE);
}

static void finish_stream(struct worker_sip *ws, struct sip_probe *pr);

void probe_finish(struct worker_sip *ws, struct sip_probe *pr)
{
	sip_phone_release(ws, pr);
	finish_stream(ws, pr);
	done(pr); /* the last touch of pr before the main lcore may reuse it */
}

void probe_fail(struct worker_sip *ws, struct sip_probe *pr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pr->error, sizeof(pr->error), fmt, ap);
	va_end(ap);
	probe_finish(ws, pr);
}

void probe_ipstr(uint32_t host, char *out, size_t len)
{
	struct in_addr a = { .s_addr = rte_cpu_to_be_32(host) };

	if (inet_ntop(AF_INET, &a, out, (socklen_t)len) == NULL)
		snprintf(out, len, "?");
}

const char *probe_tname(uint8_t t)
{
	return t == UMEDGE_TRANSPORT_TLS ? "TLS" : t == UMEDGE_TRANSPORT_TCP ? "TCP" : "UDP";
}

/* OPTIONS to the gateway (RFC 3261 11), its Call-ID owned by this worker. */
static int build(struct worker_sip *ws, struct sip_probe *pr)
{
	const struct dp_snapshot *snap = ws->w->net.snap;
	const char *our = snap != NULL && snap->fqdn[0] ? snap->fqdn : "umedge.invalid";
	uint32_t local = rte_be_to_cpu_32(ws->w->net.ifaces[NET_IFACE_EXTERNAL].addr);
	char la[INET_ADDRSTRLEN], ra[INET_ADDRSTRLEN];
	const char *host = pr->fqdn[0] ? pr->fqdn : ra;
	uint8_t rnd[12];
	int n = -1;

	probe_ipstr(local, la, sizeof(la));
	probe_ipstr(pr->addr, ra, sizeof(ra));
	for (unsigned tries = 0; tries < 256; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -1;
		snprintf(pr->call_id, sizeof(pr->call_id),
			 "umprobe-%02x%02x%02x%02x%02x%02x%02x%02x@%.60s", rnd[0], rnd[1], rnd[2],
			 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], our);
		n = snprintf(pr->msg, sizeof(pr->msg),
			     "OPTIONS sip:%s:%u%s SIP/2.0\r\n"
			     "Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-umprobe-%02x%02x%02x%02x;rport\r\n"
			     "Max-Forwards: 70\r\n"
			     "From: <sip:umedge@%s>;tag=%02x%02x%02x%02x\r\n"
			     "To: <sip:%s>\r\n"
			     "Call-ID: %s\r\n"
			     "CSeq: 1 OPTIONS\r\n"
			     "Contact: <sip:umedge@%s:%u%s>\r\n"
			     "Accept: application/sdp\r\n"
			     "User-Agent: umedge test-connectivity\r\n"
			     "Content-Length: 0\r\n\r\n",
			     host, pr->port,
			     pr->transport == UMEDGE_TRANSPORT_TLS ? ";transport=tls"
			     : pr->transport == UMEDGE_TRANSPORT_TCP ? ";transport=tcp" : "",
			     probe_tname(pr->transport), la,
			     pr->transport == UMEDGE_TRANSPORT_TLS ? UMEDGE_SIPS_PORT : UMEDGE_SIP_PORT,
			     rnd[8], rnd[9], rnd[10], rnd[11], our, rnd[8], rnd[11], rnd[10], rnd[9],
			     host, pr->call_id, la,
			     pr->transport == UMEDGE_TRANSPORT_TLS ? UMEDGE_SIPS_PORT : UMEDGE_SIP_PORT,
			     pr->transport == UMEDGE_TRANSPORT_TLS ? ";transport=tls"
			     : pr->transport == UMEDGE_TRANSPORT_TCP ? ";transport=tcp" : "");
		if (n < 0 || (size_t)n >= sizeof(pr->msg))
			return -1;
		if (worker_sip_owner(ws, pr->msg, (size_t)n) == ws->w->idx)
			break;
	}
	pr->msg_len = (size_t)n;
	return 0;
}

int probe_send(struct worker_sip *ws, struct sip_probe *pr, const char *msg, size_t len)
{
	struct net_ctx *ctx = &ws->w->net;
	struct sip_stream *s;
	int rc;

	if (pr->transport != UMEDGE_TRANSPORT_UDP) {
		s = pr->stream != 0 ? sip_stream_lookup(ws, pr->stream) : NULL;
		return s == NULL ? -ENOTCONN : sip_stream_send_msg(s, msg, len) != 0 ? -EIO : 0;
	}
	rc = udp_send(ctx, ctx->ifaces[NET_IFACE_EXTERNAL].addr, ctx->udp.sip_port,
		      rte_cpu_to_be_32(pr->addr), pr->port, msg, len);
	if (rc == 0)
		sip_capture(ws, true, UMEDGE_TRANSPORT_UDP, SIP_SIDE_EXTERNAL, pr->addr, pr->port,
			    ctx->udp.sip_port, msg, len);
	return rc;
}

/* the request itself (OPTIONS or INVITE) on UDP, counted */
static int send_udp(struct worker_sip *ws, struct sip_probe *pr)
{
	int rc = probe_send(ws, pr, pr->msg, pr->msg_len);

	if (rc == 0)
		pr->sends++;
	return rc;
}

static void finish_stream(struct worker_sip *ws, struct sip_probe *pr)
{
	struct sip_stream *s = pr->stream != 0 ? sip_stream_lookup(ws, pr->stream) : NULL;

	pr->stream = 0;
	if (s != NULL)
		sip_stream_close(s);
}

static void start(struct worker_sip *ws, struct sip_probe *pr, uint64_t now_ms)
{
	char ra[INET_ADDRSTRLEN], port[8];
	struct sip_stream *s = NULL;

	pr->start_ms = pr->sent_ms = now_ms;
	pr->deadline_ms = now_ms + pr->timeout_ms;
	pr->rtx_every = PROBE_T1_MS;
	pr->rtx_ms = now_ms + PROBE_T1_MS;
	probe_ipstr(pr->addr, ra, sizeof(ra));
	snprintf(port, sizeof(port), "%u", pr->port);
	__atomic_store_n(&pr->state, PROBE_RUNNING, __ATOMIC_RELAXED);
	if (pr->ph.number[0] != '\0') {
		if (sip_phone_start(ws, pr, now_ms) != 0)
			return; /* failed, with its reason */
	} else if (build(ws, pr) != 0) {
		probe_fail(ws, pr, "could not build the OPTIONS request");
		return;
	}
	if (pr->transport == UMEDGE_TRANSPORT_UDP) {
		int rc = send_udp(ws, pr);
		if (rc != 0) {
			pr->err = rc;
			probe_fail(ws, pr, "cannot send to %s: %s", ra,
			     rc == -ENETUNREACH ? "no route from the external side" : strerror(-rc));
		}
		return;
	}
	/* a connection of its own: a fresh handshake, not one the proxy reuses */
	if (pr->transport == UMEDGE_TRANSPORT_TLS && ws->tls_connect != NULL)
		s = ws->tls_connect(ws->tls_arg, SIP_SIDE_EXTERNAL, pr->addr, pr->port);
	else if (pr->transport == UMEDGE_TRANSPORT_TCP)
		s = sip_tcp_connect(ws, SIP_SIDE_EXTERNAL, pr->addr, pr->port);
	if (s == NULL) {
		probe_fail(ws, pr, "cannot open a %s connection to %s (no route, or no gateway FQDN "
		     "configured for that address)", probe_tname(pr->transport), ra);
		return;
	}
	pr->stream = sip_stream_handle(s);
	pr->sends++;
	if (sip_stream_send_msg(s, pr->msg, pr->msg_len) != 0) {
		finish_stream(ws, pr);
		probe_fail(ws, pr, "the %s connection to %s refused the request", probe_tname(pr->transport), ra);
	}
}


void sip_probe_poll(struct worker_sip *ws, uint64_t now_ms)
{
	struct sip_probe *pr = ws->probe;
	uint32_t st = __atomic_load_n(&pr->state, __ATOMIC_ACQUIRE);
	char secs[16];

	if (st == PROBE_ARMED) {
		start(ws, pr, now_ms);
		return;
	}
	if (st != PROBE_RUNNING)
		return;
	if (pr->ph.state != PHONE_OFF) {
		sip_phone_poll(ws, pr, now_ms);
		return;
	}
	if (now_ms >= pr->deadline_ms) {
		snprintf(secs, sizeof(secs), "%.1f", pr->timeout_ms / 1000.0);
		if (pr->transport == UMEDGE_TRANSPORT_TLS && !pr->tls_up)
			probe_fail(ws, pr, "the TLS handshake did not complete in %s s", secs);
		else if (pr->provisional)
			probe_fail(ws, pr, "a provisional answer, but no final one in %s s", secs);
		else
			probe_fail(ws, pr, "no answer to OPTIONS in %s s%s", secs,
			     pr->transport == UMEDGE_TRANSPORT_UDP ? " (sent on UDP, retransmitted)"
								   : "");
		return;
	}
	if (pr->transport == UMEDGE_TRANSPORT_UDP && !pr->provisional && now_ms >= pr->rtx_ms) {
		/* RFC 3261 timer E: T1 doubling to T2 */
		(void)send_udp(ws, pr);
		pr->sent_ms = now_ms;
		pr->rtx_every = pr->rtx_every * 2 > PROBE_T2_MS ? PROBE_T2_MS : pr->rtx_every * 2;
		pr->rtx_ms = now_ms + pr->rtx_every;
	}
}

void probe_header_text(const struct sip_msg *m, const char *name, char *out, size_t len)
{
	for (unsigned i = 1; i <= m->n_hdrs; i++) {
		struct sip_str n = sip_msg_hdr_name(m, i), v;
		if (!sip_str_ieq(n, name))
			continue;
		v = sip_msg_hdr_value(m, i);
		snprintf(out, len, "%.*s", (int)(v.len < len ? v.len : len - 1), v.p);
		return;
	}
}

bool sip_probe_input_slow(struct worker_sip *ws, const char *buf, size_t len)
{
	struct sip_probe *pr = ws->probe;
	uint64_t now_ms = worker_sip_now_ms(ws);
	struct sip_str cid;

	if (__atomic_load_n(&pr->state, __ATOMIC_ACQUIRE) != PROBE_RUNNING || len < 12 ||
	    (pr->ph.state == PHONE_OFF && memcmp(buf, "SIP/2.0 ", 8) != 0))
		return false;
	if (sip_msg_parse(&pr->m, buf, len, &ws->lim) != SIP_E_OK ||
	    sip_msg_call_id(&pr->m, &cid) != 0 || cid.len != strlen(pr->call_id) ||
	    memcmp(cid.p, pr->call_id, cid.len) != 0)
		return false;
	if (pr->ph.state != PHONE_OFF) {
		sip_phone_input(ws, pr, &pr->m);
		return true;
	}
	if (pr->m.status < 200) {
		pr->provisional = true;
		return true;
	}
	pr->answered = true;
	pr->status = pr->m.status;
	snprintf(pr->reason, sizeof(pr->reason), "%.*s",
		 (int)(pr->m.reason.len < sizeof(pr->reason) ? pr->m.reason.len
							      : sizeof(pr->reason) - 1),
		 pr->m.reason.p);
	probe_header_text(&pr->m, "Server", pr->server, sizeof(pr->server));
	if (pr->server[0] == '\0')
		probe_header_text(&pr->m, "User-Agent", pr->server, sizeof(pr->server));
	/* from the request this answer can belong to: the last (re)send, or,
	 * on a stream, the moment the connection could carry it */
	pr->rtt_ms = (double)(now_ms - pr->sent_ms);
	probe_finish(ws, pr);
	return true;
}

/* s is the connection of the probe that runs now. */
static bool own_stream(const struct sip_probe *pr, const struct sip_stream *s)
{
	return pr != NULL && pr->stream != 0 && sip_stream_handle(s) == pr->stream &&
	       __atomic_load_n(&pr->state, __ATOMIC_ACQUIRE) == PROBE_RUNNING;
}

bool sip_probe_wants(const struct sip_stream *s)
{
	return own_stream(sip_stream_worker(s)->probe, s);
}

void sip_probe_tls(const struct sip_stream *s, const struct tls_conn_desc *d, int err)
{
	struct worker_sip *ws = sip_stream_worker(s);
	struct sip_probe *pr = ws->probe;
	uint64_t now_ms = worker_sip_now_ms(ws);

	if (!own_stream(pr, s))
		return;
	pr->tls = *d;
	if (err == 0 && d->open) {
		pr->tls_up = true;
		pr->handshake_ms = (double)(now_ms - pr->start_ms);
		pr->sent_ms = now_ms; /* the queued OPTIONS leaves now */
		return;
	}
	pr->err = err;
	pr->stream = 0;
	probe_fail(ws, pr, "%s", !pr->tls_up ? "the TLS handshake failed"
				 : pr->ph.state == PHONE_OFF
				 ? "the gateway closed the TLS connection before answering"
				 : "the gateway closed the TLS connection during the call");
}

void sip_probe_stream_closed(struct worker_sip *ws, const struct sip_stream *s, int err)
{
	struct sip_probe *pr = ws->probe;

	if (!own_stream(pr, s))
		return;
	/* TLS reports first, with its reasons (sip_probe_tls); this is TCP's */
	pr->err = err;
	pr->stream = 0;
	probe_fail(ws, pr, "the %s connection closed %s", probe_tname(pr->transport),
		   pr->ph.state == PHONE_OFF ? "before an answer" : "during the call");
}

/* ---- main lcore ---- */

struct sip_probe_plane *sip_probe_new(struct worker_sip_plane *p)
{
	struct sip_probe_plane *pp = calloc(1, sizeof(*pp));
	struct worker_sip *ws0 = worker_sip_get(p, 0);

	if (pp == NULL || ws0 == NULL)
		goto fail;
	pp->pr = calloc(1, sizeof(*pp->pr));
	if (pp->pr == NULL)
		goto fail;
	pp->p = p;
	ws0->probe = pp->pr; /* before the workers run */
	return pp;
fail:
	free(pp);
	return NULL;
}

void sip_probe_free(struct sip_probe_plane *pp)
{
	if (pp == NULL)
		return;
	/* stopped in the middle of a call: its libsrtp2 contexts */
	if (pp->pr->ph.rtp.started)
		rtp_phone_stop(&pp->pr->ph.rtp);
	worker_sip_get(pp->p, 0)->probe = NULL;
	json_decref(pp->context);
	free(pp->pr);
	free(pp);
}

static const char *alert_words(const char *reason, const char **alert)
{
	static const struct {
		const char *needle, *alert, *words;
	} alerts[] = {
		{ "alert unknown ca", "unknown_ca",
		  "the gateway does not trust our certificate (alert unknown_ca): import the "
		  "exported certificate on the gateway (umedgectl cert export)" },
		{ "alert bad certificate", "bad_certificate",
		  "the gateway refused our certificate (alert bad_certificate): import the "
		  "exported certificate on the gateway (umedgectl cert export)" },
		{ "alert certificate unknown", "certificate_unknown",
		  "the gateway could not use our certificate (alert certificate_unknown): check "
		  "its trust store and our certificate's key usage" },
		{ "alert certificate expired", "certificate_expired",
		  "the gateway says our certificate expired (alert certificate_expired): put a "
		  "new one in the store" },
		{ "alert access denied", "access_denied",
		  "the gateway denied access to our certificate (alert access_denied)" },
		{ "alert certificate required", "certificate_required",
		  "the gateway wanted a client certificate we did not give (alert "
		  "certificate_required)" },
		{ "alert handshake failure", "handshake_failure",
		  "the gateway refused the handshake (alert handshake_failure): check the TLS "
		  "versions and ciphers both sides allow" },
		{ "alert protocol version", "protocol_version",
		  "the gateway does not speak our TLS versions (alert protocol_version)" },
	};

	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (strstr(reason, alerts[i].needle) != NULL) {
			*alert = alerts[i].alert;
			return alerts[i].words;
		}
	return NULL;
}

/* Why it failed, in words an operator can act on. */
static void explain(const struct sip_probe *pr, char *out, size_t len)
{
	const struct tls_conn_desc *d = &pr->tls;
	char ra[INET_ADDRSTRLEN];
	const char *alert = NULL, *w;

	probe_ipstr(pr->addr, ra, sizeof(ra));
	if (pr->err == -ECONNREFUSED) {
		snprintf(out, len, "connection refused: nothing listens on %s:%u (%s)", ra,
			 pr->port, probe_tname(pr->transport));
		return;
	}
	if (pr->err == -ETIMEDOUT && !pr->tls_up && (d->fail == NULL || !d->peer_thumbprint[0])) {
		snprintf(out, len, "no answer to the TCP connection to %s:%u", ra, pr->port);
		return;
	}
	if (pr->transport != UMEDGE_TRANSPORT_TLS || d->fail == NULL) {
		snprintf(out, len, "%s", pr->error);
		return;
	}
	if (strcmp(d->fail, "fqdn_mismatch") == 0)
		snprintf(out, len, "the gateway's certificate names %.250s, configured fqdn is %.250s",
			 d->peer_names[0] ? d->peer_names : d->peer_subject, d->expect_host);
	else if (strcmp(d->fail, "untrusted") == 0)
		snprintf(out, len, "the gateway's certificate (%.250s, issued by %.250s) does not chain to "
			 "trust/: put its CA, or the certificate itself, in the trust folder",
			 d->peer_subject, d->peer_issuer);
	else if (strcmp(d->fail, "certificate_invalid") == 0)
		snprintf(out, len, "the gateway's certificate is not valid (%s%s%s)",
			 strchr(d->reason, ':') ? strchr(d->reason, ':') + 2 : d->reason,
			 d->peer_not_after[0] ? ", not after " : "", d->peer_not_after);
	else if (strcmp(d->fail, "no_local_certificate") == 0)
		snprintf(out, len, "umedge has no certificate in use yet");
	else if ((w = alert_words(d->reason, &alert)) != NULL)
		snprintf(out, len, "%s", w);
	else if (strcmp(d->fail, "connection_lost") == 0)
		snprintf(out, len, "the gateway closed the connection during the TLS handshake "
			 "(%s)", d->reason);
	else
		snprintf(out, len, "the TLS handshake failed: %s", d->reason);
}

static bool passed(const struct sip_probe *pr)
{
	if (pr->ph.state != PHONE_OFF)
		return sip_phone_passed(pr);
	/* the transport and TLS work and the gateway answers us; 405 and 501:
	 * it does not do OPTIONS, but it is there and talks to us */
	return pr->answered && ((pr->status >= 200 && pr->status < 300) || pr->status == 405 ||
				pr->status == 501);
}

/* What the verification established: true, false, or null (not known). */
static json_t *verdicts(const struct sip_probe *pr, json_t **names)
{
	const struct tls_conn_desc *d = &pr->tls;

	*names = json_null();
	if (d->open || pr->tls_up) {
		/* verified by us, even if the gateway then refused us */
		*names = json_true();
		return json_true();
	}
	if (d->fail == NULL)
		return json_null();
	if (strcmp(d->fail, "fqdn_mismatch") == 0) {
		/* the name is checked on the leaf once its chain verified */
		*names = json_false();
		return json_true();
	}
	if (strcmp(d->fail, "untrusted") == 0 || strcmp(d->fail, "certificate_invalid") == 0)
		return json_false();
	return json_null();
}

static json_t *tls_json(const struct sip_probe *pr)
{
	const struct tls_conn_desc *d = &pr->tls;
	const char *alert = NULL;
	json_t *names, *chain = verdicts(pr, &names);

	if (d->fail != NULL)
		(void)alert_words(d->reason, &alert);
	return json_pack("{s:s*, s:s*, s:s*, s:s*, s:s*, s:s*, s:s*, s:o, s:o, s:s, s:s*, s:s*, "
			 "s:s*, s:s*}",
			 "version", d->version[0] ? d->version : NULL,
			 "cipher", d->cipher[0] ? d->cipher : NULL,
			 "peer_subject", d->peer_subject[0] ? d->peer_subject : NULL,
			 "peer_issuer", d->peer_issuer[0] ? d->peer_issuer : NULL,
			 "peer_names", d->peer_names[0] ? d->peer_names : NULL,
			 "peer_thumbprint_sha1", d->peer_thumbprint[0] ? d->peer_thumbprint : NULL,
			 "peer_not_after", d->peer_not_after[0] ? d->peer_not_after : NULL,
			 "chains_to_trust", chain, "names_fqdn", names, "fqdn", pr->fqdn,
			 "our_thumbprint_sha1", d->local_thumbprint[0] ? d->local_thumbprint : NULL,
			 "failure", d->fail, "alert", alert,
			 "reason", d->reason[0] ? d->reason : NULL);
}

static json_t *result(const struct sip_probe_plane *pp)
{
	const struct sip_probe *pr = pp->pr;
	char ra[INET_ADDRSTRLEN], target[32], why[1024] = "";
	bool ok = passed(pr);
	json_t *r;

	probe_ipstr(pr->addr, ra, sizeof(ra));
	snprintf(target, sizeof(target), "%s:%u", ra, pr->port);
	if (pr->ph.state != PHONE_OFF && pr->answered)
		(void)sip_phone_verdict(pr, why, sizeof(why));
	else if (!pr->answered)
		explain(pr, why, sizeof(why));
	else if (!ok)
		snprintf(why, sizeof(why), "the gateway answered %u %s: it is reachable, but "
			 "refuses our requests", pr->status, pr->reason);
	r = json_pack("{s:s, s:I, s:b, s:s, s:s, s:b, s:i, s:s*, s:s*, s:f, s:i, s:s*}",
		      "state", "done", "id", (json_int_t)pr->id, "passed", ok,
		      "transport", probe_tname(pr->transport), "target", target, "reachable", pr->answered,
		      "status", pr->answered ? (int)pr->status : 0,
		      "reason", pr->answered ? pr->reason : NULL,
		      "server", pr->server[0] ? pr->server : NULL, "rtt_ms", pr->rtt_ms,
		      "requests_sent", (int)pr->sends, "error", why[0] ? why : NULL);
	if (r != NULL && pr->transport == UMEDGE_TRANSPORT_TLS) {
		json_object_set_new(r, "tls", tls_json(pr));
		if (pr->tls_up)
			json_object_set_new(r, "handshake_ms", json_real(pr->handshake_ms));
	}
	if (r != NULL && pr->ph.state != PHONE_OFF)
		json_object_set_new(r, "call", sip_phone_json(pr));
	if (r != NULL && pp->context != NULL)
		json_object_set(r, "context", pp->context);
	return r;
}

/* The call's part of probe.options: {number, seconds, srtp, suites},
 * checked, and written into ph unless it is NULL (checked first, so that a
 * refused request leaves the last result alone). */
static int phone_args(const json_t *a, struct sip_phone *ph, char *err, size_t errlen)
{
	const char *num = json_string_value(json_object_get(a, "number"));
	const json_t *secs = json_object_get(a, "seconds"), *srtp = json_object_get(a, "srtp");
	const json_t *suites = json_object_get(a, "suites"), *v;
	size_t i;

	if (!json_is_object(a) || num == NULL || num[0] == '\0' ||
	    strlen(num) >= PHONE_NUMBER_MAX ||
	    strspn(num, "0123456789+*#abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_") !=
		    strlen(num)) {
		snprintf(err, errlen, "the phone number must be 1..%d characters of digits, "
			 "letters, + * # . - _", PHONE_NUMBER_MAX - 1);
		return -1;
	}
	if (secs != NULL && (!json_is_integer(secs) || json_integer_value(secs) < 1 ||
			     json_integer_value(secs) > PHONE_SECONDS_MAX)) {
		snprintf(err, errlen, "seconds must be 1..%d", PHONE_SECONDS_MAX);
		return -1;
	}
	if ((srtp != NULL && !json_is_boolean(srtp)) ||
	    (suites != NULL && (!json_is_array(suites) || json_array_size(suites) == 0 ||
				json_array_size(suites) > UMEDGE_SRTP_SUITE_COUNT))) {
		snprintf(err, errlen, "srtp is true or false, suites a list of SRTP suites");
		return -1;
	}
	json_array_foreach(suites, i, v)
		if (!json_is_string(v) || umedge_srtp_suite_parse(json_string_value(v)) < 0) {
			snprintf(err, errlen, "unknown SRTP suite in suites");
			return -1;
		}
	if (ph == NULL)
		return 0;
	ph->n_suites = 0;
	json_array_foreach(suites, i, v)
		ph->suites[ph->n_suites++] =
			(enum umedge_srtp_suite)umedge_srtp_suite_parse(json_string_value(v));
	if (ph->n_suites == 0)
		ph->suites[ph->n_suites++] = UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80;
	snprintf(ph->number, sizeof(ph->number), "%s", num);
	ph->seconds = secs != NULL ? (uint32_t)json_integer_value(secs) : 5;
	ph->srtp = json_is_true(srtp);
	return 0;
}

/* NTP time (RFC 5905 32.32) at microsecond 0 of worker 0's clock. */
static uint64_t ntp_at_zero(const struct worker_sip *ws)
{
	struct timespec ts;
	uint64_t per_us = ws->tsc_per_ms / 1000, now_us, ntp;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_us = rte_rdtsc() / (per_us ? per_us : 1);
	ntp = ((uint64_t)ts.tv_sec + 2208988800u) << 32 |
	      (((uint64_t)ts.tv_nsec << 32) / 1000000000u);
	return ntp - (((now_us / 1000000u) << 32) + (((now_us % 1000000u) << 32) / 1000000u));
}

static json_t *options(struct sip_probe_plane *pp, json_t *args, char *err, size_t errlen)
{
	struct sip_probe *pr = pp->pr;
	uint32_t st = __atomic_load_n(&pr->state, __ATOMIC_ACQUIRE);
	const char *t = json_string_value(json_object_get(args, "transport"));
	const char *addr = json_string_value(json_object_get(args, "addr"));
	const char *fqdn = json_string_value(json_object_get(args, "fqdn"));
	json_t *port = json_object_get(args, "port"), *tmo = json_object_get(args, "timeout_ms");
	const json_t *phone = json_object_get(args, "phone");
	struct in_addr a;

	if (st == PROBE_ARMED || st == PROBE_RUNNING) {
		snprintf(err, errlen, "a connectivity test is running: try again in a few seconds");
		return NULL;
	}
	if (t == NULL || (strcmp(t, "udp") != 0 && strcmp(t, "tcp") != 0 && strcmp(t, "tls") != 0)) {
		snprintf(err, errlen, "transport must be udp, tcp or tls");
		return NULL;
	}
	if (addr == NULL || inet_pton(AF_INET, addr, &a) != 1 || !json_is_integer(port) ||
	    json_integer_value(port) < 1 || json_integer_value(port) > 65535) {
		snprintf(err, errlen, "addr must be an IPv4 address and port 1..65535");
		return NULL;
	}
	if ((fqdn != NULL && strlen(fqdn) >= sizeof(pr->fqdn)) ||
	    (tmo != NULL && (!json_is_integer(tmo) ||
			     json_integer_value(tmo) < PROBE_TIMEOUT_MIN_MS ||
			     json_integer_value(tmo) > PROBE_TIMEOUT_MAX_MS))) {
		snprintf(err, errlen, "fqdn too long, or timeout_ms not %u..%u",
			 PROBE_TIMEOUT_MIN_MS, PROBE_TIMEOUT_MAX_MS);
		return NULL;
	}
	if (phone != NULL && phone_args(phone, NULL, err, errlen) != 0)
		return NULL;
	memset(pr, 0, sizeof(*pr));
	if (phone != NULL) {
		(void)phone_args(phone, &pr->ph, err, errlen);
		pr->ph.ntp_at_zero = ntp_at_zero(worker_sip_get(pp->p, 0));
	}
	pr->id = ++pp->next_id;
	pr->transport = strcmp(t, "udp") == 0 ? UMEDGE_TRANSPORT_UDP
			: strcmp(t, "tcp") == 0 ? UMEDGE_TRANSPORT_TCP : UMEDGE_TRANSPORT_TLS;
	pr->addr = rte_be_to_cpu_32(a.s_addr);
	pr->port = (uint16_t)json_integer_value(port);
	snprintf(pr->fqdn, sizeof(pr->fqdn), "%s", fqdn != NULL ? fqdn : "");
	pr->timeout_ms = tmo != NULL ? (uint32_t)json_integer_value(tmo) : PROBE_TIMEOUT_DEFAULT_MS;
	json_decref(pp->context);
	pp->context = json_incref(json_object_get(args, "context"));
	__atomic_store_n(&pr->state, PROBE_ARMED, __ATOMIC_RELEASE);
	return json_pack("{s:s, s:I}", "state", "running", "id", (json_int_t)pr->id);
}

json_t *sip_probe_request(void *arg, const char *req, json_t *args, char *err, size_t errlen)
{
	struct sip_probe_plane *pp = arg;
	json_t *id;

	if (strcmp(req, "probe.options") == 0)
		return options(pp, args, err, errlen);
	if (strcmp(req, "probe.status") != 0) {
		snprintf(err, errlen, "unknown request %s", req);
		return NULL;
	}
	id = json_object_get(args, "id");
	if (!json_is_integer(id) || (uint64_t)json_integer_value(id) != pp->pr->id ||
	    pp->pr->id == 0) {
		snprintf(err, errlen, "no connectivity test %lld (only the last one is kept)",
			 json_is_integer(id) ? (long long)json_integer_value(id) : 0LL);
		return NULL;
	}
	if (__atomic_load_n(&pp->pr->state, __ATOMIC_ACQUIRE) != PROBE_DONE)
		return json_pack("{s:s, s:I}", "state", "running", "id", json_integer_value(id));
	return result(pp);
}
