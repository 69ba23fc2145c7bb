/* Certificates made to order for tests: a root CA, an intermediate, leaves
 * and self-signed certificates with any dates and EKU, written as PEM files
 * the way operators lay out a store. Every function returns NULL / -1 on
 * failure; tests cr_assert on the result. */
#ifndef UMEDGE_TEST_CERTFACTORY_H
#define UMEDGE_TEST_CERTFACTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum cf_keytype {
	CF_KEY_EC = 0, /* P-256: fast, the default for tests */
	CF_KEY_RSA,    /* 2048 bits */
};

enum cf_eku {
	CF_EKU_BOTH = 0,     /* serverAuth + clientAuth */
	CF_EKU_NONE,         /* no EKU extension at all */
	CF_EKU_SERVER_ONLY,  /* serverAuth only */
	CF_EKU_CLIENT_ONLY,  /* clientAuth only */
};

struct cf_spec {
	const char *cn;
	time_t not_before, not_after;
	enum cf_eku eku;        /* leaves only; CAs get none */
	bool ca;                /* CA:TRUE, keyCertSign+cRLSign */
	bool no_key_usage;      /* leave keyUsage out */
	bool ku_no_signature;   /* keyUsage without digitalSignature */
	X509 *issuer;           /* NULL: self-signed with key */
	EVP_PKEY *issuer_key;
};

EVP_PKEY *cf_key(enum cf_keytype type);

/* A certificate for key as spec says. Caller frees. */
X509 *cf_cert(const struct cf_spec *spec, EVP_PKEY *key);

/* Shorthands. */
X509 *cf_leaf(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, const char *cn,
	      time_t not_before, time_t not_after, enum cf_eku eku);
X509 *cf_self(EVP_PKEY *key, const char *cn, time_t not_before, time_t not_after,
	      enum cf_eku eku);

/* A root CA and an intermediate under it, valid for years around now. */
struct cf_pki {
	EVP_PKEY *root_key, *int_key;
	X509 *root, *inter;
};
int cf_pki_init(struct cf_pki *p, const char *root_cn, time_t now);
void cf_pki_free(struct cf_pki *p);

/* path gets cert, then chain[0..nchain), then key (PKCS#8) when not NULL. */
int cf_write_pem(const char *path, X509 *cert, X509 *const *chain, size_t nchain,
		 EVP_PKEY *key);
/* path gets key alone; passphrase non-NULL encrypts it (AES-256-CBC). */
int cf_write_key(const char *path, EVP_PKEY *key, const char *passphrase);
int cf_write_bytes(const char *path, const void *data, size_t len);

/* "dir/name" into a static-free malloc'd string. */
char *cf_path(const char *dir, const char *name);

/* A fresh folder under /tmp (mkdtemp), malloc'd; cf_rmtree removes it. */
char *cf_tmpdir(void);
void cf_rmtree(const char *dir);

#endif
