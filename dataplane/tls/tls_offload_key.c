/*
 * tls_offload_key.c: private-key methods that offload.
 *
 * OpenSSL 3.0 still runs a legacy RSA or EC_KEY through its own method
 * table when the method is not the default one, so a copy of the key with
 * an RSA_METHOD (priv_enc, priv_dec) or EC_KEY_METHOD (sign) of ours puts
 * every private-key operation of a handshake through this file. Inside an
 * async job the operation goes to a crypto lcore (tls_offload_submit);
 * outside one it runs inline with the default method. These APIs are
 * deprecated in 3.0 (a provider is the successor): the deprecation
 * warnings are silenced in this file only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "tls_internal.h"

static RSA_METHOD *rsa_meth;
static EC_KEY_METHOD *ec_meth;

typedef int (*ec_sign_fn)(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
			  unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r,
			  EC_KEY *eckey);

void tls_offload_compute(struct tls_offload_req *req)
{
	const RSA_METHOD *def = RSA_PKCS1_OpenSSL();

	switch (req->op) {
	case TLS_OP_RSA_PRIV_ENC:
		req->result = RSA_meth_get_priv_enc(def)(req->flen, req->from, req->to,
							 req->rsa, req->padding);
		break;
	case TLS_OP_RSA_PRIV_DEC:
		req->result = RSA_meth_get_priv_dec(def)(req->flen, req->from, req->to,
							 req->rsa, req->padding);
		break;
	case TLS_OP_ECDSA_SIGN: {
		ec_sign_fn sign = NULL;

		EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), &sign, NULL, NULL);
		req->result = sign(req->type, req->dgst, req->dlen, req->sig, req->siglen,
				   req->kinv, req->r, req->ec);
		break;
	}
	case TLS_OP_HANDSHAKE:
		tls_conn_step(req->token);
		break;
	case TLS_OP_RELEASE:
		tls_conn_release(req->token);
		break;
	}
}

static int rsa_op(enum tls_op op, int flen, const unsigned char *from, unsigned char *to,
		  RSA *rsa, int padding)
{
	struct tls_offload_req req = {
		.op = op, .flen = flen, .from = from, .to = to, .rsa = rsa, .padding = padding,
	};

	if (!tls_offload_submit(&req))
		tls_offload_compute(&req);
	return req.result;
}

static int rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	return rsa_op(TLS_OP_RSA_PRIV_ENC, flen, from, to, rsa, padding);
}

static int rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	return rsa_op(TLS_OP_RSA_PRIV_DEC, flen, from, to, rsa, padding);
}

static int ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
		   unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey)
{
	struct tls_offload_req req = {
		.op = TLS_OP_ECDSA_SIGN, .type = type, .dgst = dgst, .dlen = dlen, .sig = sig,
		.siglen = siglen, .kinv = kinv, .r = r, .ec = eckey,
	};

	if (!tls_offload_submit(&req))
		tls_offload_compute(&req);
	return req.result;
}

static int methods_init(void)
{
	if (rsa_meth == NULL) {
		rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL());
		if (rsa_meth == NULL)
			return -1;
		RSA_meth_set1_name(rsa_meth, "umedge offload RSA");
		RSA_meth_set_priv_enc(rsa_meth, rsa_priv_enc);
		RSA_meth_set_priv_dec(rsa_meth, rsa_priv_dec);
	}
	if (ec_meth == NULL) {
		ec_sign_fn sign = NULL;
		int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;
		ECDSA_SIG *(*sign_sig)(const unsigned char *, int, const BIGNUM *,
				       const BIGNUM *, EC_KEY *) = NULL;

		ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
		if (ec_meth == NULL)
			return -1;
		EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), &sign, &setup, &sign_sig);
		EC_KEY_METHOD_set_sign(ec_meth, ec_sign, setup, sign_sig);
	}
	return 0;
}

EVP_PKEY *tls_offload_wrap_key(EVP_PKEY *pkey)
{
	EVP_PKEY *w = NULL;

	if (methods_init() != 0)
		return NULL;
	w = EVP_PKEY_new();
	if (w == NULL)
		return NULL;
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA: {
		RSA *rsa = EVP_PKEY_get1_RSA(pkey);

		if (rsa == NULL || RSA_set_method(rsa, rsa_meth) != 1 ||
		    EVP_PKEY_assign_RSA(w, rsa) != 1) {
			RSA_free(rsa);
			goto fail;
		}
		break;
	}
	case EVP_PKEY_EC: {
		EC_KEY *ec = EVP_PKEY_get1_EC_KEY(pkey);

		if (ec == NULL || EC_KEY_set_method(ec, ec_meth) != 1 ||
		    EVP_PKEY_assign_EC_KEY(w, ec) != 1) {
			EC_KEY_free(ec);
			goto fail;
		}
		break;
	}
	default:
		goto fail;	/* Ed25519 and others: no offload */
	}
	return w;
fail:
	EVP_PKEY_free(w);
	return NULL;
}
