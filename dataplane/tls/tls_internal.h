/* tls_internal.h: types shared by the tls_*.c files (and unit tests). */
#ifndef UMEDGE_TLS_INTERNAL_H
#define UMEDGE_TLS_INTERNAL_H

#include <stdatomic.h>

#include <openssl/ssl.h>

#include "tls.h"

struct tls_ctx {
	atomic_uint refs;
	SSL_CTX *server, *client;
	char thumbprint[64];
	unsigned char inputs_sha256[32];	/* cert, key and trust */
	unsigned char trust_sha256[32];
	bool offload_handshake;		/* handshake steps go to crypto lcores */
};

/* A crypto lcore's work: a private-key operation (the record lives on the
 * paused async job's stack) or a handshake step (in the connection). */
enum tls_op {
	TLS_OP_RSA_PRIV_ENC, TLS_OP_RSA_PRIV_DEC, TLS_OP_ECDSA_SIGN,
	TLS_OP_HANDSHAKE,		/* one handshake step of token */
	TLS_OP_RELEASE,			/* free token (closed, no reply) */
};

struct tls_offload_req {
	enum tls_op op;
	/* RSA */
	int flen;
	const unsigned char *from;
	unsigned char *to;
	void *rsa;
	int padding;
	/* ECDSA: ECDSA_sign's arguments */
	int type;
	const unsigned char *dgst;
	int dlen;
	unsigned char *sig;
	unsigned int *siglen;
	const void *kinv, *r;
	void *ec;
	/* result */
	int result;
	atomic_int done;
	struct tls_conn *token;
	struct rte_ring *reply;
};

/* Per-connection state. The BIO pair: ssl_bio is the SSL's end, net_bio
 * ours: ciphertext in is written to net_bio, ciphertext out read from it. */
struct tls_conn {
	SSL *ssl;
	BIO *net_bio;
	struct tcp_conn *tcp;		/* NULL once TCP is gone */
	struct tls_worker *tw;
	struct tls_ctx *ctx;		/* reference */
	const struct tls_app_ops *ops;
	void *user;
	bool server;
	bool open;			/* handshake done */
	bool async_wait;		/* a key op or a handshake step is on a
					 * crypto lcore: no SSL or BIO call */
	bool step_out;			/* ... and it is a handshake step */
	bool step_ready;		/* its result waits in step_* */
	bool failed;			/* closing after a failure */
	bool closing;			/* close_notify sent / asked */
	bool tcp_closed;		/* TCP on_closed came: free when idle */
	bool peer_fin;
	bool want_tcp_writable;		/* tcp_send took less than offered */
	bool app_wants_writable;	/* tls_conn_write took less */
	bool in_drive;
	bool abandoned;			/* tls_conn_abort: no more callbacks */
	int close_err;
	enum tls_fail fail;
	char reason[192];
	char expect_host[256];
	bool has_expect_host;
	uint32_t peer_ip;
	uint16_t peer_port;
	/* verification record, filled by the verify callback */
	int verify_err;			/* X509_V_ERR_*, 0 none */
	char peer_subject[256];
	char peer_thumbprint[64];
	char peer_issuer[256];
	char peer_not_after[24];	/* "2027-03-01T00:00:00Z" */
	char peer_names[256];		/* DNS SANs, or the CN without them */
	/* result of a handshake step run on a crypto lcore (written there,
	 * read by the worker after the completion ring) */
	int step_rc, step_err, step_verify;
	unsigned long step_errcode;	/* its thread's ERR_peek_error() */
	struct tls_offload_req hs_req;
	/* plaintext read but not yet consumed by the application */
	uint8_t *pt;
	size_t pt_off, pt_len;
};

#define TLS_BIO_SIZE (34u * 1024)
#define TLS_PT_SIZE (16u * 1024)

/* tls_verify.c */
int tls_verify_index(void);	/* SSL ex_data slot holding the tls_conn */
int tls_verify_cb(int ok, X509_STORE_CTX *xs);
void tls_cert_thumbprint(X509 *x, char *out, size_t outlen);
void tls_cert_subject(X509 *x, char *out, size_t outlen);
/* After a full handshake or resumption: check the peer again (resumed
 * sessions skip the verify callback). 0 or a failure reason. */
int tls_verify_after(struct tls_conn *t);

/* tls_offload_key.c: a copy of pkey whose private-key operations offload
 * when called inside an async job. NULL on failure. */
EVP_PKEY *tls_offload_wrap_key(EVP_PKEY *pkey);

/* tls_offload.c: the worker whose SSL call is running on this thread (set
 * around every SSL call by tls_conn), for the key methods. */
struct tls_offload_req;
extern __thread struct tls_worker *tls_current_worker;
extern __thread struct tls_conn *tls_current_conn;
/* Hand req to a crypto lcore and pause the job until it is done. Returns
 * false when it could not be offloaded (compute inline). */
bool tls_offload_submit(struct tls_offload_req *req);

/* Compute req with OpenSSL's default methods (crypto lcore or inline). */
void tls_offload_compute(struct tls_offload_req *req);
/* Worker: send the next handshake step of t (t->hs_req) to a crypto lcore.
 * False when it cannot go (the worker runs it itself). */
bool tls_offload_step(struct tls_conn *t);
/* Crypto lcore: run one handshake step of t, results into t->step_*. */
void tls_conn_step(struct tls_conn *t);
/* Worker: hand a finished connection to a crypto lcore to be freed. False
 * when there is none or its ring is full (free it yourself). */
bool tls_offload_release(struct tls_conn *t);
/* Free t's SSL, BIOs and t itself (any thread). */
void tls_conn_release(struct tls_conn *t);

#endif
