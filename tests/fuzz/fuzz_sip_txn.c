/*
 * libFuzzer target: the transaction layer driven by a script. Each step
 * is one byte of operation and its arguments: a received request (fuzzed
 * bytes, or a generated one with a fuzzed branch and method), a response
 * sent on a live server transaction, a request started as a client
 * transaction, a response received for one, a clock step, a transport
 * that starts or stops failing. Checks: no crash, no leak (ASan), the
 * count never over the bound, every transaction made is ended once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_txn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIVE 64

static struct {
	struct sip_txn *live[LIVE];
	unsigned made, ended;
	int send_rc;
} f;

static int fz_send(void *u, const struct sip_peer *to, const char *buf, size_t len)
{
	(void)u;
	(void)to;
	(void)buf;
	(void)len;
	return f.send_rc;
}

static void forget(struct sip_txn *t)
{
	for (int i = 0; i < LIVE; i++)
		if (f.live[i] == t)
			f.live[i] = NULL;
}

static void fz_terminated(void *u, struct sip_txn *t)
{
	(void)u;
	forget(t);
	f.ended++;
}

static void remember(struct sip_txn *t)
{
	for (int i = 0; i < LIVE; i++)
		if (f.live[i] == NULL) {
			f.live[i] = t;
			return;
		}
}

static const char *const methods[] = { "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO" };

static size_t gen_request(char *out, size_t cap, uint8_t m, uint8_t b, int ours)
{
	return (size_t)snprintf(out, cap,
				"%s sip:a@198.51.100.20 SIP/2.0\r\n"
				"Via: SIP/2.0/UDP %s;branch=%s%u\r\n"
				"From: <sip:b@192.0.2.10>;tag=f\r\nTo: <sip:a@198.51.100.20>\r\n"
				"Call-ID: c%u\r\nCSeq: %u %s\r\nContent-Length: 0\r\n\r\n",
				methods[m % 6], ours ? "198.51.100.1" : "192.0.2.10",
				b & 1 ? "z9hG4bK" : "x", b % 16, b % 4, b % 8 + 1, methods[m % 6]);
}

static size_t gen_response(char *out, size_t cap, uint8_t m, uint8_t b, unsigned status)
{
	return (size_t)snprintf(out, cap,
				"SIP/2.0 %u X\r\nVia: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK%u\r\n"
				"From: <sip:b@192.0.2.10>;tag=f\r\nTo: <sip:a@198.51.100.20>;tag=t\r\n"
				"Call-ID: c%u\r\nCSeq: %u %s\r\nContent-Length: 0\r\n\r\n",
				status, b % 16, b % 4, b % 8 + 1, methods[m % 6]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sip_txn_ops ops = { fz_send, NULL, NULL, fz_terminated };
	struct sip_txn_config cfg = SIP_TXN_CONFIG_DEFAULT_INIT;
	static struct sip_msg m;
	struct sip_txn_table *tt;
	uint64_t now = 0;
	size_t i = 0;
	char buf[2048];

	memset(&f, 0, sizeof(f));
	cfg.max_txns = 16;
	cfg.timer_c_ms = 40000;
	tt = sip_txn_table_new(&cfg, &ops, NULL, now);
	if (tt == NULL)
		abort();
	while (i + 3 <= size) {
		uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
		struct sip_peer peer = { a & 1, (uint8_t)(a % 3), 5060, 0xc000020a, a % 3 ? 9 : 0 };
		struct sip_txn *t = NULL;
		size_t n;

		i += 3;
		switch (op % 7) {
		case 0: /* fuzzed bytes as a received request or response */
			n = b;
			if (n > size - i)
				n = size - i;
			if (sip_msg_parse(&m, (const char *)data + i, n, NULL) == SIP_E_OK &&
			    sip_msg_check(&m) == SIP_E_OK) {
				if (m.is_request) {
					if (sip_txn_server_recv(tt, &m, &peer, &t) == SIP_TXN_RX_NEW)
						remember(t);
				} else {
					(void)sip_txn_client_recv(tt, &m, &peer);
				}
			}
			i += n;
			break;
		case 1: /* a generated request received */
			n = gen_request(buf, sizeof(buf), a, b, 0);
			if (sip_msg_parse(&m, buf, n, NULL) == SIP_E_OK &&
			    sip_txn_server_recv(tt, &m, &peer, &t) == SIP_TXN_RX_NEW)
				remember(t);
			if (m.method == SIP_METHOD_CANCEL)
				(void)sip_txn_find_invite(tt, &m);
			break;
		case 2: { /* a response on a live server transaction */
			static const unsigned st[] = { 100, 180, 200, 202, 404, 486, 503, 603 };
			struct sip_txn *s = f.live[a % LIVE];
			struct sip_msg req;

			if (s == NULL || sip_txn_kind(s) > SIP_TXN_SERVER)
				break;
			n = gen_request(buf, sizeof(buf), sip_txn_kind(s) == SIP_TXN_SERVER_INVITE ? 0 : 4,
					b, 0);
			if (sip_msg_parse(&req, buf, n, NULL) != SIP_E_OK)
				abort();
			{
				char rsp[2048];
				long r = sip_reply_build(&req, st[b % 8], "X", "t", NULL, 0, rsp,
							 sizeof(rsp));

				if (r > 0)
					(void)sip_txn_server_respond(s, rsp, (size_t)r);
			}
			break;
		}
		case 3: /* a client transaction */
			n = gen_request(buf, sizeof(buf), a, (uint8_t)(b | 1), 1);
			if (sip_txn_client_start(tt, buf, n, &peer, NULL, &t) == 0)
				remember(t);
			break;
		case 4: { /* a response for one */
			static const unsigned st[] = { 100, 180, 183, 200, 401, 486, 487, 500 };

			n = gen_response(buf, sizeof(buf), a, (uint8_t)(b | 1), st[a % 8]);
			if (sip_msg_parse(&m, buf, n, NULL) == SIP_E_OK)
				(void)sip_txn_client_recv(tt, &m, &peer);
			break;
		}
		case 5: /* the clock */
			now += (uint64_t)a * (b % 8 == 0 ? 1000 : 16);
			sip_txn_advance(tt, now);
			break;
		default: /* the transport */
			f.send_rc = a % 4 == 0 ? -104 : 0;
			if (b % 8 == 0 && f.live[a % LIVE] != NULL)
				sip_txn_terminate(f.live[a % LIVE]);
		}
		if (sip_txn_count(tt) > cfg.max_txns)
			abort();
	}
	f.made = (unsigned)sip_txn_stats(tt)->created;
	sip_txn_advance(tt, now + 300000);
	sip_txn_table_free(tt);
	if (f.ended != f.made)
		abort();
	return 0;
}
