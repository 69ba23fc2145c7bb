/*
 * tls_ctx.c: the server and client SSL_CTX built from the snapshot's PEM
 * strings, refcounted, published to the workers by RCU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <rte_rcu_qsbr.h>

#include "tls_internal.h"

static void set_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[160] = "";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
	ERR_clear_error();
}

static void sha256_str(const char *s, EVP_MD_CTX *md)
{
	size_t n = s != NULL ? strlen(s) : 0;

	/* the length first, so ("ab","c") and ("a","bc") differ */
	EVP_DigestUpdate(md, &n, sizeof(n));
	if (n > 0)
		EVP_DigestUpdate(md, s, n);
}

static int digest_inputs(const char *cert, const char *key, const char *trust,
			 unsigned char all[32], unsigned char tr[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	if (md == NULL)
		return -1;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	sha256_str(cert, md);
	sha256_str(key, md);
	sha256_str(trust, md);
	if (EVP_DigestFinal_ex(md, all, NULL) != 1)
		goto out;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	sha256_str(trust, md);
	if (EVP_DigestFinal_ex(md, tr, NULL) != 1)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* Every certificate of trust_pem becomes an anchor; PARTIAL_CHAIN lets a
 * pinned (non-root) gateway certificate anchor too. */
static X509_STORE *trust_store(const char *trust_pem, char *err, size_t errlen)
{
	X509_STORE *st = X509_STORE_new();
	BIO *b = NULL;
	STACK_OF(X509_INFO) *infos = NULL;

	if (st == NULL)
		goto fail;
	X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
	if (trust_pem == NULL || trust_pem[0] == '\0')
		return st;	/* empty: every peer is untrusted */
	b = BIO_new_mem_buf(trust_pem, -1);
	if (b == NULL)
		goto fail;
	infos = PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
	if (infos == NULL) {
		set_err(err, errlen, "trust bundle");
		goto fail;
	}
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);

		if (xi->x509 != NULL && X509_STORE_add_cert(st, xi->x509) != 1) {
			/* a duplicate is harmless */
			ERR_clear_error();
		}
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(b);
	return st;
fail:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(b);
	X509_STORE_free(st);
	return NULL;
}

static int load_cert_chain(SSL_CTX *sc, X509 *leaf, STACK_OF(X509) *chain, EVP_PKEY *key)
{
	if (SSL_CTX_use_certificate(sc, leaf) != 1)
		return -1;
	if (SSL_CTX_use_PrivateKey(sc, key) != 1)
		return -1;
	if (SSL_CTX_check_private_key(sc) != 1)
		return -1;
	for (int i = 0; i < sk_X509_num(chain); i++) {
		if (SSL_CTX_add1_chain_cert(sc, sk_X509_value(chain, i)) != 1)
			return -1;
	}
	return 0;
}

static SSL_CTX *ctx_role(bool server, const struct tls_policy *pol, X509 *leaf,
			 STACK_OF(X509) *chain, EVP_PKEY *key, X509_STORE *store,
			 char *err, size_t errlen)
{
	SSL_CTX *sc = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	int minv = pol->min_version ? pol->min_version : TLS1_2_VERSION;
	int maxv = pol->max_version ? pol->max_version : TLS1_3_VERSION;

	if (sc == NULL) {
		set_err(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(sc, minv) != 1 ||
	    SSL_CTX_set_max_proto_version(sc, maxv) != 1) {
		set_err(err, errlen, "protocol versions");
		goto fail;
	}
	if (SSL_CTX_set_cipher_list(sc, pol->ciphers ? pol->ciphers : TLS_POLICY_CIPHERS) != 1) {
		set_err(err, errlen, "cipher list");
		goto fail;
	}
	if (SSL_CTX_set_ciphersuites(sc, pol->ciphersuites ? pol->ciphersuites
							   : TLS_POLICY_CIPHERSUITES) != 1) {
		set_err(err, errlen, "TLS 1.3 cipher suites");
		goto fail;
	}
	SSL_CTX_set_options(sc, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
				SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* no SSL_MODE_RELEASE_BUFFERS: it frees and allocates the record
	 * buffers around every read and write, an allocation per record on the
	 * data path; keeping them costs about 34 KiB per connection */
	SSL_CTX_set_mode(sc, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (pol->async_keys)
		SSL_CTX_set_mode(sc, SSL_MODE_ASYNC);
	if (leaf != NULL && load_cert_chain(sc, leaf, chain, key) != 0) {
		set_err(err, errlen, "certificate or key");
		goto fail;
	}
	X509_STORE_up_ref(store);
	SSL_CTX_set_cert_store(sc, store);
	SSL_CTX_set_verify(sc, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   tls_verify_cb);
	SSL_CTX_set_verify_depth(sc, 8);
	if (server) {
		static const unsigned char sid_ctx[] = "umedge-sip-tls";

		/* stateless tickets only: resumption costs no server memory */
		SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_num_tickets(sc, 1);
		if (SSL_CTX_set_session_id_context(sc, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
			set_err(err, errlen, "session id context");
			goto fail;
		}
	} else {
		SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_CLIENT |
						   SSL_SESS_CACHE_NO_INTERNAL_STORE);
	}
	return sc;
fail:
	SSL_CTX_free(sc);
	return NULL;
}

static int parse_cert_pem(const char *pem, X509 **leaf, STACK_OF(X509) **chain)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x;
	int rc = -1;

	*leaf = NULL;
	*chain = sk_X509_new_null();
	if (b == NULL || *chain == NULL)
		goto out;
	*leaf = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (*leaf == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(*chain, x) <= 0) {
			X509_free(x);
			goto out;
		}
	}
	ERR_clear_error();	/* end of input */
	rc = 0;
out:
	BIO_free(b);
	return rc;
}

static EVP_PKEY *parse_key_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k;

	if (b == NULL)
		return NULL;
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	return k;
}

struct tls_ctx *tls_ctx_new(const char *cert_pem, const char *key_pem, const char *trust_pem,
			    const struct tls_policy *pol, const struct tls_ctx *prev,
			    char *err, size_t errlen)
{
	struct tls_policy def = { 0 };
	struct tls_ctx *ctx = calloc(1, sizeof(*ctx));
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	X509_STORE *store = NULL;

	if (pol == NULL)
		pol = &def;
	if (ctx == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&ctx->refs, 1);
	ctx->offload_handshake = pol != NULL && pol->offload_handshake;
	if (digest_inputs(cert_pem, key_pem, trust_pem, ctx->inputs_sha256,
			  ctx->trust_sha256) != 0) {
		set_err(err, errlen, "digest");
		goto fail;
	}
	if (cert_pem != NULL && key_pem != NULL) {
		if (parse_cert_pem(cert_pem, &leaf, &chain) != 0) {
			set_err(err, errlen, "certificate PEM");
			goto fail;
		}
		key = parse_key_pem(key_pem);
		if (key == NULL) {
			set_err(err, errlen, "key PEM");
			goto fail;
		}
		if (pol->async_keys) {
			EVP_PKEY *w = tls_offload_wrap_key(key);

			if (w == NULL) {
				set_err(err, errlen, "offload key method");
				goto fail;
			}
			EVP_PKEY_free(key);
			key = w;
		}
		tls_cert_thumbprint(leaf, ctx->thumbprint, sizeof(ctx->thumbprint));
	}
	store = trust_store(trust_pem, err, errlen);
	if (store == NULL)
		goto fail;
	/* our own certificate verifies our own connections (the engine testing
	 * its listeners from its own address, which the wire cannot carry);
	 * anyone else presenting it would need our key, and must still name
	 * the FQDN of the gateway at its address */
	if (leaf != NULL && X509_STORE_add_cert(store, leaf) != 1)
		ERR_clear_error();
	ctx->server = ctx_role(true, pol, leaf, chain, key, store, err, errlen);
	if (ctx->server == NULL)
		goto fail;
	ctx->client = ctx_role(false, pol, leaf, chain, key, store, err, errlen);
	if (ctx->client == NULL)
		goto fail;
	if (prev != NULL && memcmp(prev->trust_sha256, ctx->trust_sha256, 32) == 0) {
		unsigned char keys[80];

		/* same trust: tickets issued before the swap stay good */
		if (SSL_CTX_get_tlsext_ticket_keys(prev->server, keys, sizeof(keys)) == 1)
			SSL_CTX_set_tlsext_ticket_keys(ctx->server, keys, sizeof(keys));
		OPENSSL_cleanse(keys, sizeof(keys));
	}
	X509_STORE_free(store);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	return ctx;
fail:
	X509_STORE_free(store);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	SSL_CTX_free(ctx->server);
	SSL_CTX_free(ctx->client);
	free(ctx);
	return NULL;
}

struct tls_ctx *tls_ctx_ref(struct tls_ctx *ctx)
{
	if (ctx != NULL)
		atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
	return ctx;
}

void tls_ctx_unref(struct tls_ctx *ctx)
{
	if (ctx == NULL || atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1)
		return;
	SSL_CTX_free(ctx->server);
	SSL_CTX_free(ctx->client);
	free(ctx);
}

const char *tls_ctx_thumbprint(const struct tls_ctx *ctx)
{
	return ctx->thumbprint;
}

bool tls_ctx_same(const struct tls_ctx *ctx, const char *cert_pem, const char *key_pem,
		  const char *trust_pem)
{
	unsigned char all[32], tr[32];

	if (ctx == NULL || digest_inputs(cert_pem, key_pem, trust_pem, all, tr) != 0)
		return false;
	return memcmp(all, ctx->inputs_sha256, 32) == 0;
}

/* ---- publication ---- */

#define RETIRED_MAX 16

static struct tls_ctx *_Atomic current;
static struct {
	struct tls_ctx *ctx;
	uint64_t token;
} retired[RETIRED_MAX];
static unsigned n_retired;

struct tls_ctx *tls_ctx_current(void)
{
	return atomic_load_explicit(&current, memory_order_acquire);
}

void tls_ctx_reclaim(struct rte_rcu_qsbr *qs, bool wait)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n_retired; i++) {
		if (qs == NULL || rte_rcu_qsbr_check(qs, retired[i].token, wait) == 1)
			tls_ctx_unref(retired[i].ctx);
		else
			retired[k++] = retired[i];
	}
	n_retired = k;
}

void tls_ctx_publish(struct tls_ctx *ctx, struct rte_rcu_qsbr *qs)
{
	struct tls_ctx *old = atomic_exchange_explicit(&current, ctx, memory_order_acq_rel);

	if (old == NULL)
		return;
	if (qs == NULL) {
		tls_ctx_unref(old);
		return;
	}
	if (n_retired == RETIRED_MAX)
		tls_ctx_reclaim(qs, true);
	retired[n_retired].ctx = old;
	retired[n_retired].token = rte_rcu_qsbr_start(qs);
	n_retired++;
}
