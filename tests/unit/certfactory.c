/* Test certificates made with OpenSSL at any dates (see certfactory.h). */
#include "certfactory.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

EVP_PKEY *cf_key(enum cf_keytype type)
{
	if (type == CF_KEY_RSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int rc = -1;

	if (ext && X509_add_ext(x, ext, -1) == 1)
		rc = 0;
	X509_EXTENSION_free(ext);
	return rc;
}

static const char *eku_value(enum cf_eku eku)
{
	switch (eku) {
	case CF_EKU_BOTH:
		return "serverAuth,clientAuth";
	case CF_EKU_SERVER_ONLY:
		return "serverAuth";
	case CF_EKU_CLIENT_ONLY:
		return "clientAuth";
	default:
		return NULL;
	}
}

static int add_exts(X509 *x, const struct cf_spec *s, X509 *issuer)
{
	X509V3_CTX ctx;
	const char *eku = eku_value(s->eku);

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "CA:FALSE") < 0)
		return -1;
	if (!s->no_key_usage) {
		const char *ku = s->ca ? "critical,keyCertSign,cRLSign"
			       : s->ku_no_signature ? "critical,keyEncipherment"
						    : "critical,digitalSignature,keyEncipherment";

		if (add_ext(x, &ctx, NID_key_usage, ku) < 0)
			return -1;
	}
	if (!s->ca && eku && add_ext(x, &ctx, NID_ext_key_usage, eku) < 0)
		return -1;
	if (add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0)
		return -1;
	/* "keyid" of the issuer; for a self-signed one that is its own SKI. */
	if (add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") < 0)
		return -1;
	return 0;
}

X509 *cf_cert(const struct cf_spec *s, EVP_PKEY *key)
{
	X509 *x = X509_new(), *ret = NULL;
	X509 *issuer;
	EVP_PKEY *signer = s->issuer ? s->issuer_key : key;
	unsigned char raw[12];
	BIGNUM *bn = NULL;

	if (!x || X509_set_version(x, X509_VERSION_3) != 1)
		goto out;
	issuer = s->issuer ? s->issuer : x;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		goto out;
	raw[0] = (raw[0] & 0x7f) | 0x10;
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto out;
	if (!ASN1_TIME_set(X509_getm_notBefore(x), s->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), s->not_after))
		goto out;
	if (X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
				       (const unsigned char *)s->cn, -1, -1, 0) != 1)
		goto out;
	if (X509_set_issuer_name(x, X509_get_subject_name(issuer)) != 1 ||
	    X509_set_pubkey(x, key) != 1)
		goto out;
	if (add_exts(x, s, issuer) < 0)
		goto out;
	if (X509_sign(x, signer, EVP_sha256()) <= 0)
		goto out;
	ret = x;
	x = NULL;
out:
	BN_free(bn);
	X509_free(x);
	return ret;
}

X509 *cf_leaf(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, const char *cn,
	      time_t not_before, time_t not_after, enum cf_eku eku)
{
	struct cf_spec s = {
		.cn = cn, .not_before = not_before, .not_after = not_after, .eku = eku,
		.issuer = issuer, .issuer_key = issuer_key,
	};

	return cf_cert(&s, key);
}

X509 *cf_self(EVP_PKEY *key, const char *cn, time_t not_before, time_t not_after,
	      enum cf_eku eku)
{
	return cf_leaf(NULL, NULL, key, cn, not_before, not_after, eku);
}

int cf_pki_init(struct cf_pki *p, const char *root_cn, time_t now)
{
	struct cf_spec root = {
		.cn = root_cn, .not_before = now - 10 * 365 * 86400L,
		.not_after = now + 10 * 365 * 86400L, .ca = true,
	};
	struct cf_spec inter = root;
	char icn[128];

	memset(p, 0, sizeof(*p));
	snprintf(icn, sizeof(icn), "%s Intermediate", root_cn);
	p->root_key = cf_key(CF_KEY_EC);
	p->int_key = cf_key(CF_KEY_EC);
	if (!p->root_key || !p->int_key)
		return -1;
	p->root = cf_cert(&root, p->root_key);
	if (!p->root)
		return -1;
	inter.cn = icn;
	inter.issuer = p->root;
	inter.issuer_key = p->root_key;
	p->inter = cf_cert(&inter, p->int_key);
	return p->inter ? 0 : -1;
}

void cf_pki_free(struct cf_pki *p)
{
	X509_free(p->root);
	X509_free(p->inter);
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->int_key);
	memset(p, 0, sizeof(*p));
}

int cf_write_pem(const char *path, X509 *cert, X509 *const *chain, size_t nchain,
		 EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	int rc = -1;

	if (!f)
		return -1;
	if (cert && PEM_write_X509(f, cert) != 1)
		goto out;
	for (size_t i = 0; i < nchain; i++)
		if (PEM_write_X509(f, chain[i]) != 1)
			goto out;
	if (key && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	rc = 0;
out:
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int cf_write_key(const char *path, EVP_PKEY *key, const char *passphrase)
{
	FILE *f = fopen(path, "w");
	int rc = -1, ok;

	if (!f)
		return -1;
	if (passphrase)
		ok = PEM_write_PKCS8PrivateKey(f, key, EVP_aes_256_cbc(), passphrase,
					       (int)strlen(passphrase), NULL, NULL);
	else
		ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	rc = ok == 1 ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int cf_write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -1;
	if (len > 0 && fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

char *cf_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

char *cf_tmpdir(void)
{
	char tmpl[] = "/tmp/umedge-cert-test-XXXXXX";

	if (!mkdtemp(tmpl))
		return NULL;
	return strdup(tmpl);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void cf_rmtree(const char *dir)
{
	/* Depth first, not following links: only what the test made goes. */
	if (dir && strncmp(dir, "/tmp/", 5) == 0)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
