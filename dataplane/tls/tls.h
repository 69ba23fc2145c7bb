/*
 * tls.h: mutual TLS on the workers' userspace TCP (issue 6).
 *
 * Three pieces:
 * - struct tls_ctx: the SSL_CTXs (server and client role) built on the main
 *   lcore from the snapshot's certificate, key and trust bundle. Immutable,
 *   refcounted; published to workers by RCU (tls_ctx_publish); an SSL keeps
 *   the SSL_CTX it was made from, so a swap never touches live sessions.
 * - struct tls_conn: one TLS session over one struct tcp_conn, through a BIO
 *   pair (ciphertext in from on_data, out to tcp_send with back-pressure).
 * - async offload: with SSL_MODE_ASYNC the private-key operations of a
 *   handshake run inside an OpenSSL async job; the key's method hands them to
 *   a crypto lcore over an rte_ring and pauses the job; the crypto lcore
 *   answers on the worker's completion ring and the worker resumes the
 *   handshake (tls_worker_poll). Outside a job, or with no crypto lcore, the
 *   operation runs inline.
 *
 * Non-blocking calls return 0, a positive count or "again", or -errno.
 */
#ifndef UMEDGE_TLS_H
#define UMEDGE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_conn;
struct tcp_stack;
struct rte_ring;
struct rte_rcu_qsbr;
struct json_t;

/* ---- context (main lcore) ---- */

/* Defaults: ECDHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2, OpenSSL's
 * TLS 1.3 suites. */
#define TLS_POLICY_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"
#define TLS_POLICY_CIPHERSUITES \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

struct tls_policy {
	const char *ciphers;		/* TLS 1.2 list, NULL: default */
	const char *ciphersuites;	/* TLS 1.3 list, NULL: default */
	int min_version, max_version;	/* TLS1_2_VERSION.., 0: 1.2 / 1.3 */
	bool async_keys;		/* private-key ops offloadable (SSL_MODE_ASYNC) */
	bool offload_handshake;		/* every handshake step on a crypto lcore */
};

struct tls_ctx;

/* Build from PEM strings (cert_pem: leaf then chain). prev, when given and
 * its trust bundle is the same, lends its session ticket keys so resumption
 * survives a certificate swap. NULL with a reason in err on failure. */
struct tls_ctx *tls_ctx_new(const char *cert_pem, const char *key_pem, const char *trust_pem,
			    const struct tls_policy *pol, const struct tls_ctx *prev,
			    char *err, size_t errlen);
struct tls_ctx *tls_ctx_ref(struct tls_ctx *ctx);
void tls_ctx_unref(struct tls_ctx *ctx);
const char *tls_ctx_thumbprint(const struct tls_ctx *ctx);	/* SHA-1, hex */
/* True when ctx was built from exactly these inputs. */
bool tls_ctx_same(const struct tls_ctx *ctx, const char *cert_pem, const char *key_pem,
		  const char *trust_pem);

/* Publication: the main lcore publishes (takes the caller's reference);
 * the previous context is released once every reader of qs was quiescent
 * (tls_ctx_reclaim). Readers: tls_ctx_current(), valid until their next
 * quiescent state; tls_conn_new takes its own reference. */
void tls_ctx_publish(struct tls_ctx *ctx, struct rte_rcu_qsbr *qs);
struct tls_ctx *tls_ctx_current(void);
void tls_ctx_reclaim(struct rte_rcu_qsbr *qs, bool wait);

/* ---- counters ---- */

#define TLS_FAIL_REASONS(X)                                      \
	X(NO_PEER_CERT, "no_peer_certificate")                   \
	X(UNTRUSTED, "untrusted")                                \
	X(CERT_INVALID, "certificate_invalid")                   \
	X(FQDN_MISMATCH, "fqdn_mismatch")                        \
	X(UNKNOWN_GATEWAY, "unknown_gateway")                    \
	X(PROTOCOL, "protocol")                                  \
	X(NO_LOCAL_CERT, "no_local_certificate")                 \
	X(CONN_LOST, "connection_lost")

enum tls_fail {
#define TLS_FAIL_ENUM(n, s) TLS_FAIL_##n,
	TLS_FAIL_REASONS(TLS_FAIL_ENUM)
#undef TLS_FAIL_ENUM
	TLS_FAIL_COUNT
};
extern const char *const tls_fail_names[TLS_FAIL_COUNT];

/* Per worker, summed by the main lcore (tls_stats_add). */
struct tls_stats {
	uint64_t handshakes;		/* completed, both roles */
	uint64_t handshakes_server, handshakes_client;
	uint64_t resumptions;		/* of which abbreviated */
	uint64_t tls13, tls12;
	uint64_t failures[TLS_FAIL_COUNT];
	uint64_t async_offloads;	/* key ops sent to a crypto lcore */
	uint64_t async_inline;		/* key ops computed on the worker */
	uint64_t async_ring_full;	/* offload refused, computed inline */
	uint64_t hs_offloads;		/* handshake steps sent to a crypto lcore */
	uint64_t async_completions;
	uint64_t async_inflight;	/* gauge: offloads - completions */
	uint64_t conns_open;		/* gauge */
	uint64_t bytes_in, bytes_out;	/* plaintext */
	uint64_t events_dropped;
};
void tls_stats_add(struct tls_stats *dst, const struct tls_stats *src);
struct json_t *tls_stats_json(const struct tls_stats *s);

/* ---- per worker ---- */

/* A rejected peer, for the TlsPeerRejected event (worker -> main lcore). */
struct tls_event {
	uint32_t peer_ip;		/* host order */
	uint16_t peer_port;
	char subject[256];
	char thumbprint_sha1[64];
	char reason[192];
	enum tls_fail fail;
};

struct tls_worker {
	unsigned idx;
	struct rte_ring *done;		/* struct tls_conn * back from crypto lcores */
	struct rte_ring *events;	/* struct tls_event * to the main lcore */
	unsigned rr;			/* next crypto lcore */
	struct tls_stats stats;
};

/* socket: NUMA node for the rings. 0 or -errno. */
int tls_worker_init(struct tls_worker *tw, unsigned idx, int socket);
void tls_worker_fini(struct tls_worker *tw);
/* Resume connections whose offloaded operation completed. Returns how many.
 * Call every loop iteration. */
unsigned tls_worker_poll(struct tls_worker *tw);
/* Main lcore: take one event (free() it), NULL when none. */
struct tls_event *tls_worker_event(struct tls_worker *tw);

/* ---- connections ---- */

struct tls_conn;

/* The application above TLS (SIP, the echo service, tests). */
struct tls_app_ops {
	/* Handshake done and the peer verified. */
	void (*on_open)(struct tls_conn *t, void *user);
	/* Plaintext. Return how many bytes were consumed; the rest is offered
	 * again after on_writable (reading stops meanwhile). */
	size_t (*on_data)(struct tls_conn *t, void *user, const uint8_t *p, size_t len);
	/* Room to write again after tls_conn_write accepted less than asked. */
	void (*on_writable)(struct tls_conn *t, void *user);
	/* Last callback; t is invalid after it returns. err 0 on a clean
	 * close, else -errno; reason: a failure text or NULL. */
	void (*on_closed)(struct tls_conn *t, void *user, int err, const char *reason);
};

/* Encrypt and queue up to len bytes. Returns bytes accepted (0: no room,
 * on_writable follows), -ENOTCONN before the handshake ends, -EPIPE. */
int tls_conn_write(struct tls_conn *t, const void *p, size_t len);
/* close_notify, then TCP half-close. on_closed follows. */
int tls_conn_close(struct tls_conn *t);
/* RST the TCP connection and release t: no callback follows (if a key
 * operation is out, t goes when it comes back). */
void tls_conn_abort(struct tls_conn *t);
void tls_conn_set_user(struct tls_conn *t, void *user);
bool tls_conn_resumed(const struct tls_conn *t);
const char *tls_conn_version(const struct tls_conn *t);
/* The peer's IPv4 address and port (host order); 0 once TCP is gone. */
void tls_conn_peer(const struct tls_conn *t, uint32_t *ip, uint16_t *port);
/* What an operator's connectivity test reports of a connection, at any
 * point of its life (the peer's leaf as the verification saw it, even
 * when it was refused). */
struct tls_conn_desc {
	bool open;			/* handshake done and the peer verified */
	char version[16], cipher[64];
	char peer_subject[256], peer_issuer[256], peer_names[256];
	char peer_thumbprint[64], peer_not_after[24];
	char local_thumbprint[64];	/* the certificate we presented */
	char expect_host[256];		/* the FQDN the peer had to name */
	const char *fail;		/* tls_fail_names[], NULL: none */
	char reason[192];
};
void tls_conn_describe(const struct tls_conn *t, struct tls_conn_desc *d);

/* Our TCP port of the connection, 0 once its TCP is gone. */
uint16_t tls_conn_local_port(const struct tls_conn *t);
/* The name the peer's certificate was verified to carry: the gateway's
 * FQDN (server role) or the expected host (client role); "" if none. */
const char *tls_conn_peer_name(const struct tls_conn *t);
/* The SHA-1 thumbprint of the certificate this side presented. */
const char *tls_conn_local_thumbprint(const struct tls_conn *t);

/* A TLS listener (server role) on a worker's stack. */
struct tls_listener {
	struct tls_worker *tw;
	const struct tls_app_ops *ops;
	/* The FQDN the certificate of a peer at this address (host order)
	 * must name; NULL: no gateway there (rejected). */
	const char *(*peer_fqdn)(void *arg, uint32_t peer_ip);
	void *arg;			/* also each connection's first user */
	struct tls_ctx *ctx;		/* NULL: the published one (tests pin one) */
	uint64_t refused;		/* accepts refused (no certificate yet) */
};
/* Accept TLS on port with the published context (tls_ctx_current()).
 * 0 or -EEXIST / -ENOSPC (tcp_listen). tcp_unlisten stops it; established
 * sessions go on. */
int tls_listen(struct tcp_stack *st, uint16_t port, struct tls_listener *l);
/* Client role: TCP connect then handshake with ctx (NULL: the published
 * one), verifying the server against expect_host. 0 or -errno
 * (tcp_connect); the connection is in *out. */
int tls_connect(struct tls_worker *tw, struct tls_ctx *ctx, struct tcp_stack *st, uint32_t dst_ip,
		uint16_t dst_port, uint32_t src_ip, const char *expect_host,
		const struct tls_app_ops *ops, void *user, struct tls_conn **out);

/* ---- async offload (crypto lcores) ---- */

#define TLS_OFFLOAD_MAX 8
#define TLS_OFFLOAD_RING_SIZE 1024

/* Create n request rings (n = 0: inline). Main lcore, before workers run. */
int tls_offload_init(unsigned n, int socket);
void tls_offload_fini(void);
unsigned tls_offload_count(void);
/* Use only the first n rings (fewer crypto lcores could be launched).
 * Before any offloading context exists. */
void tls_offload_limit(unsigned n);
/* A crypto lcore's loop over request ring idx until *quit; backoff sleeps
 * when idle (shared hosts). Signature fits rte_eal_remote_launch with a
 * struct tls_crypto_args. */
struct tls_crypto_args {
	unsigned idx;
	volatile bool *quit;
	bool backoff;
	uint64_t ops;			/* done, read by stats */
};
int tls_crypto_main(void *arg);
/* One pass: compute up to max queued requests of ring idx. */
unsigned tls_crypto_poll(unsigned idx, unsigned max);

#endif
