/* The self-signed fallback (design "Certificates" point 3): a fresh key and
 * certificate for the server FQDN, written into the store folder. */
#include "certstore.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "fsutil.h"

__attribute__((format(printf, 3, 4))) static void gen_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	unsigned long e = ERR_peek_last_error();

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* Add OpenSSL's own words when it has some: they name the real cause. */
	n = strlen(err);
	if (e != 0 && n + 3 < errlen) {
		snprintf(err + n, errlen - n, ": ");
		ERR_error_string_n(e, err + n + 2, errlen - n - 2);
	}
	ERR_clear_error();
}

/* A hostname we are willing to put in a certificate: LDH labels and dots. */
static bool fqdn_ok(const char *fqdn)
{
	size_t n = strlen(fqdn);

	if (n == 0 || n > 253 || fqdn[0] == '.' || fqdn[0] == '-')
		return false;
	for (const char *p = fqdn; *p; p++) {
		char ch = *p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

static EVP_PKEY *make_key(enum umedge_key_type type)
{
	switch (type) {
	case UMEDGE_KEY_RSA2048:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case UMEDGE_KEY_ECDSA_P256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	default:
		return NULL;
	}
}

/* 16 random bytes, top bit clear so the INTEGER is positive, never zero. */
static int set_serial(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	int rc = -1;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		goto out;
	raw[0] &= 0x7f;
	raw[0] |= 0x01 << 6; /* keep 16 bytes long: no leading zero octet */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (!bn)
		goto out;
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	if (!ai || X509_set_serialNumber(x, ai) != 1)
		goto out;
	rc = 0;
out:
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
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

/* subjectAltName dNSName:fqdn, built directly so fqdn is never parsed as
 * configuration syntax. */
static int add_san(X509 *x, const char *fqdn)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gen = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	int rc = -1;

	if (!gens || !gen || !ia5 || ASN1_STRING_set(ia5, fqdn, (int)strlen(fqdn)) != 1)
		goto out;
	GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
	ia5 = NULL;
	if (!sk_GENERAL_NAME_push(gens, gen))
		goto out;
	gen = NULL;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	rc = 0;
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return rc;
}

static X509 *make_cert(EVP_PKEY *key, enum umedge_key_type type, const char *fqdn,
		       int days, time_t now)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	X509 *ret = NULL;

	if (!x || X509_set_version(x, X509_VERSION_3) != 1 || set_serial(x) < 0)
		goto out;
	if (!X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now))
		goto out;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				       (const unsigned char *)fqdn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1)
		goto out;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, &ctx, NID_key_usage,
		    type == UMEDGE_KEY_RSA2048 ? "critical,digitalSignature,keyEncipherment"
					       : "critical,digitalSignature") < 0 ||
	    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") < 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 || add_san(x, fqdn) < 0)
		goto out;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto out;
	ret = x;
	x = NULL;
out:
	X509_free(x);
	return ret;
}

/* PEM of cert or key into a malloc'd buffer. */
static int to_pem(X509 *x, EVP_PKEY *key, char **out, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -1;

	if (!bio)
		goto out;
	if (x && PEM_write_bio_X509(bio, x) != 1)
		goto out;
	/* PKCS#8, unencrypted: the daemon starts unattended. */
	if (key && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto out;
	*out = malloc((size_t)n);
	if (!*out)
		goto out;
	memcpy(*out, data, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

int certstore_generate_self_signed(const char *store_dir, const char *fqdn,
				   enum umedge_key_type key_type, int days, time_t now,
				   char *path_out, size_t path_len, char *err, size_t errlen)
{
	char crt_path[1024], key_path[1024], stamp[32];
	char *cert_pem = NULL, *key_pem = NULL;
	size_t cert_len = 0, key_len = 0;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	struct tm tm;
	bool key_written = false;
	int rc = -1, r;

	ERR_clear_error();
	if (!store_dir || !fqdn || !fqdn_ok(fqdn)) {
		gen_err(err, errlen, "not a usable FQDN for a certificate: \"%s\"", fqdn ? fqdn : "");
		goto out;
	}
	/* The CN is limited to 64 characters (RFC 5280 ub-common-name). */
	if (strlen(fqdn) > 64) {
		gen_err(err, errlen, "FQDN longer than 64 characters cannot be a subject CN");
		goto out;
	}
	if (days <= 0 || days > 36500) {
		gen_err(err, errlen, "validity of %d days is out of range (1..36500)", days);
		goto out;
	}
	if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0) {
		gen_err(err, errlen, "cannot format the time %lld", (long long)now);
		goto out;
	}
	if ((size_t)snprintf(crt_path, sizeof(crt_path), "%s/umedge-self-signed-%s.crt",
			     store_dir, stamp) >= sizeof(crt_path) ||
	    (size_t)snprintf(key_path, sizeof(key_path), "%s/umedge-self-signed-%s.key",
			     store_dir, stamp) >= sizeof(key_path)) {
		gen_err(err, errlen, "store folder path too long");
		goto out;
	}
	r = fsutil_mkdir_p(store_dir, 0700);
	if (r < 0) {
		gen_err(err, errlen, "cannot create store folder %s: %s", store_dir, strerror(-r));
		goto out;
	}
	key = make_key(key_type);
	if (!key) {
		gen_err(err, errlen, "key generation (%s) failed",
			(unsigned)key_type < UMEDGE_KEY_COUNT ? umedge_key_type_names[key_type]
							      : "unknown key type");
		goto out;
	}
	x = make_cert(key, key_type, fqdn, days, now);
	if (!x) {
		gen_err(err, errlen, "building the self-signed certificate failed");
		goto out;
	}
	if (to_pem(x, NULL, &cert_pem, &cert_len) < 0 ||
	    to_pem(NULL, key, &key_pem, &key_len) < 0) {
		gen_err(err, errlen, "PEM encoding failed");
		goto out;
	}
	/* Key first: a watcher that sees the .crt must also find its key. */
	r = fsutil_write_atomic(key_path, key_pem, key_len, 0600);
	if (r < 0) {
		gen_err(err, errlen, "cannot write %s: %s", key_path, strerror(-r));
		goto out;
	}
	key_written = true;
	r = fsutil_write_atomic(crt_path, cert_pem, cert_len, 0644);
	if (r < 0) {
		gen_err(err, errlen, "cannot write %s: %s", crt_path, strerror(-r));
		goto out;
	}
	if (path_out && path_len > 0)
		snprintf(path_out, path_len, "%s", crt_path);
	rc = 0;
out:
	if (rc < 0 && key_written)
		unlink(key_path); /* an orphan key is clutter and a secret */
	if (key_pem) {
		OPENSSL_cleanse(key_pem, key_len);
		free(key_pem);
	}
	free(cert_pem);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}
