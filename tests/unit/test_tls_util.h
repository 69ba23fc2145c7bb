/*
 * test_tls_util.h: TLS over the two-stack TCP harness. Stack 0 (ADDR_A) is
 * the engine with a TLS listener on PORT; stack 1 (ADDR_B) is the gateway,
 * connecting with its own context. Certificates come from certfactory.
 */
#ifndef TEST_TLS_UTIL_H
#define TEST_TLS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certfactory.h"
#include "test_tcp_harness.h"
#include "tls.h"

#define TLS_PORT 5061
#define ENGINE_FQDN "um1.example.test"
#define GW_FQDN "gw1.example.test"

/* A certificate and key as the snapshot carries them. */
struct tpem {
	char *cert;	/* leaf then chain */
	char *key;
};

struct tapp {
	int kind;			/* 1: connection app */
	struct tls_conn *t;
	bool open, closed, echo;
	int err;
	char reason[192];
	char version[16];
	char thumb[64];			/* local thumbprint at open */
	uint8_t *rx;
	size_t rx_len, rx_cap;
	const uint8_t *tx;
	size_t tx_len, tx_off;
};

struct tserver {
	int kind;			/* 2: the listener */
	struct tapp apps[64];
	unsigned n;
	unsigned closed_unopened;	/* failed before on_open */
	char last_reason[192];
	const char *gw_fqdn;		/* what ADDR_B must name; NULL: unknown */
};

extern struct pair TP;
extern struct tls_worker TW[2];
extern struct tserver TS;
extern struct tls_listener TL;
extern const struct tls_app_ops tapp_ops;

/* Leaf for key signed by issuer (NULL: self-signed), with a DNS SAN when
 * san is not NULL. */
X509 *tt_leaf(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, const char *cn,
	      const char *san);
void tt_pem(struct tpem *p, X509 *leaf, X509 *chain, EVP_PKEY *key);
char *tt_cert_pem(X509 *a, X509 *b);	/* concatenated, b may be NULL */
void tt_pem_free(struct tpem *p);

/* EAL, stacks, workers, listener on stack 0 (ctx NULL: published). */
void tt_setup(void);
void tt_teardown(void);
struct tapp *tt_connect(struct tls_ctx *ctx, const char *expect_host, size_t rx_cap);
/* Run until *flag or max_ms of simulated time; polls the workers'
 * completion rings and waits for crypto without advancing the clock. */
bool tt_run_until(const bool *flag, unsigned max_ms);
void tt_run(unsigned ms);
void tt_send(struct tapp *a, const uint8_t *p, size_t n);
void tapp_free(struct tapp *a);
/* Pop the server's next TlsPeerRejected event (NULL if none). */
struct tls_event *tt_event(void);

#endif
