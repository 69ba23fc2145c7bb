/*
 * libFuzzer target: the proxy core driven by a script: fuzzed messages
 * from either side and transport, generated calls from the gateway,
 * answers from the application to what the proxy sent it, clock steps and
 * a transport that fails; offers and answers (RTP, SRTP, malformed) in
 * requests and responses. Checks: no crash, no leak (ASan), the
 * transactions under their bound, none left once the clock has run past
 * every timer, and every media port pair given back once the proxy is
 * freed.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_fixture.h"
#include "sip_proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sdps[] = {
	"v=0\r\no=- 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
	"m=audio 20000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
	"v=0\r\no=- 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
	"m=audio 20002 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	"inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
	"v=0\r\no=- 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
	"m=audio 22000 RTP/AVP 0\r\na=inactive\r\n",
	"v=0\r\nm=audio x\r\n",
};

/* msg (n bytes, ending in "Content-Length: 0" and the empty line) with
 * an SDP body instead; the new length, or n when it does not fit. */
static size_t with_sdp(char *msg, size_t n, size_t cap, const char *sdp)
{
	char *cl = memmem(msg, n, "Content-Length: 0\r\n\r\n", 21);
	int k;

	if (cl == NULL || cl + 21 != msg + n)
		return n;
	k = snprintf(cl, cap - (size_t)(cl - msg),
		     "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		     strlen(sdp), sdp);
	return k > 0 && (size_t)k < cap - (size_t)(cl - msg) ? (size_t)(cl - msg) + (size_t)k : n;
}

static struct {
	int send_rc;
	char last_app[8192];
	size_t last_app_len;
} f;

static int fz_send(void *arg, const struct sip_peer *to, const char *buf, size_t len)
{
	(void)arg;
	if (to->side == SIP_SIDE_INTERNAL && len < sizeof(f.last_app) &&
	    memcmp(buf, "SIP/2.0", 7) != 0) {
		memcpy(f.last_app, buf, len);
		f.last_app_len = len;
	}
	return f.send_rc;
}

static void fz_event(void *arg, enum umedge_event_id id, const char *detail)
{
	(void)arg;
	(void)id;
	(void)detail;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sip_proxy_io io = { fz_send, fz_event, NULL, &fx_media_ops };
	static const char *const names[] = { "gw1.example.test" };
	static const char *const methods[] = { "INVITE", "BYE", "CANCEL", "ACK", "OPTIONS" };
	static const unsigned statuses[] = { 100, 180, 183, 200, 486, 487, 503, 603 };
	struct sip_proxy_config cfg = {
		.addr = { 0xcb007101u, 0xc6336401u }, .port = 5060, .tls_port = 5061,
		.txn = SIP_TXN_CONFIG_DEFAULT_INIT,
	};
	struct dp_snapshot snap;
	struct sip_proxy *px;
	uint64_t now = 1000;
	size_t i = 0;
	char buf[2048];

	memset(&f, 0, sizeof(f));
	memset(&fx_media, 0, sizeof(fx_media));
	sip_fixture_snapshot(&snap);
	cfg.txn.max_txns = 32;
	px = sip_proxy_new(&cfg, &io, now);
	if (px == NULL)
		abort();
	while (i + 3 <= size) {
		uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
		struct sip_rx rx = { { SIP_SIDE_EXTERNAL, UMEDGE_TRANSPORT_UDP, 5060, 0xc0000214u, 0 },
				     NULL, 0 };
		size_t n;

		i += 3;
		if (a & 1) {
			rx.from = (struct sip_peer){ SIP_SIDE_EXTERNAL, UMEDGE_TRANSPORT_TLS, 40000,
						     0xc000020au, 5 };
			rx.tls_names = names;
			rx.n_names = 1;
		}
		if (a & 2)
			rx.from = (struct sip_peer){ SIP_SIDE_INTERNAL, UMEDGE_TRANSPORT_UDP, 5060,
						     0xc6336414u, 0 };
		switch (op % 5) {
		case 0: /* fuzzed bytes */
			n = b;
			if (n > size - i)
				n = size - i;
			sip_proxy_input(px, &snap, &rx, (const char *)data + i, n, now);
			i += n;
			break;
		case 1: /* a generated request */
			n = (size_t)snprintf(buf, sizeof(buf),
					     "%s sip:%s@203.0.113.1 SIP/2.0\r\n"
					     "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bK%u%s\r\n"
					     "Max-Forwards: %u\r\nFrom: <sip:a@192.0.2.20>;tag=f%u\r\n"
					     "To: <sip:b@203.0.113.1>%s\r\nCall-ID: c%u\r\n"
					     "CSeq: %u %s\r\nContent-Length: 0\r\n\r\n",
					     methods[b % 5], b & 8 ? "4000" : "+1425", b % 7,
					     b & 16 ? ";rport" : "", a % 4, b % 3,
					     b & 32 ? ";tag=t1" : "", b % 5, b % 2 + 1,
					     methods[b % 5] == methods[3] ? "ACK" : methods[b % 5]);
			if (a & 64)
				n = with_sdp(buf, n, sizeof(buf), sdps[(a >> 2) % 4]);
			sip_proxy_input(px, &snap, &rx, buf, n, now);
			break;
		case 2: /* the application answers what it got last */
			if (f.last_app_len > 0) {
				static struct sip_msg req;
				char rsp[8192];
				long r;

				if (sip_msg_parse(&req, f.last_app, f.last_app_len, NULL) != SIP_E_OK)
					break;
				r = sip_reply_build(&req, statuses[b % 8], "X", "app", NULL, 0, rsp,
						    sizeof(rsp));
				if (r > 0 && (a & 64))
					r = (long)with_sdp(rsp, (size_t)r, sizeof(rsp),
							   sdps[(a >> 2) % 4]);
				if (r > 0) {
					rx.from = (struct sip_peer){ SIP_SIDE_INTERNAL,
								     UMEDGE_TRANSPORT_UDP, 5060,
								     0xc6336414u, 0 };
					sip_proxy_input(px, &snap, &rx, rsp, (size_t)r, now);
				}
			}
			break;
		case 3: /* the clock */
			now += (uint64_t)a * (b % 4 == 0 ? 1000 : 8);
			sip_proxy_advance(px, now);
			break;
		default: /* the transport, the snapshot */
			f.send_rc = a % 4 == 0 ? -113 : 0;
			plans[0].security = b % 3 == 0 ? UMEDGE_SEC_UNSECURED : UMEDGE_SEC_SECURED;
		}
		if (sip_proxy_transactions(px) > cfg.txn.max_txns)
			abort();
	}
	plans[0].security = UMEDGE_SEC_SECURED;
	f.send_rc = 0;
	/* past timer C and every end timer: nothing may be left */
	for (int k = 0; k < 10; k++) {
		now += 60000;
		sip_proxy_advance(px, now);
	}
	if (sip_proxy_transactions(px) != 0)
		abort();
	sip_proxy_free(px);
	if (fx_media.opened != fx_media.closed || fx_media.live != 0)
		abort(); /* a port pair or a session not given back */
	return 0;
}
