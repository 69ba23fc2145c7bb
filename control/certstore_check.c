/* Is a candidate fit for TLS server and client roles at a given time
 * (design "Certificates" point 1), and how candidates rank (point 2). */
#include "certstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "fsutil.h"

/* Add every certificate of one trust file; bad files are skipped, so one
 * stray file can't take the whole trust folder down. */
static void trust_add_file(X509_STORE *st, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x;
	int added = 0;

	if (fsutil_read_file(path, CERTSTORE_MAX_FILE, &buf, &len) < 0)
		goto out;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!bio)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		/* A duplicate is refused with an error we don't care about. */
		X509_STORE_add_cert(st, x);
		X509_free(x);
		added++;
	}
	if (added == 0) {
		/* A .crt may be DER. */
		const unsigned char *q = (const unsigned char *)buf;

		x = d2i_X509(NULL, &q, (long)len);
		if (x) {
			X509_STORE_add_cert(st, x);
			X509_free(x);
		}
	}
out:
	ERR_clear_error();
	BIO_free(bio);
	free(buf);
}

X509_STORE *certstore_trust_load(const char *trust_dir)
{
	X509_STORE *st = X509_STORE_new();
	char **paths = NULL;
	size_t n = 0;

	if (!st)
		return NULL;
	if (!trust_dir || trust_dir[0] == '\0')
		return st;
	/* Unreadable folder: trust nothing; each PKI candidate then says why. */
	if (certstore_list_dir(trust_dir, &paths, &n) < 0)
		return st;
	for (size_t i = 0; i < n; i++)
		trust_add_file(st, paths[i]);
	certstore_list_free(paths, n);
	return st;
}

/* Leaf dates are judged by certstore_check_candidate itself, so that an
 * expired leaf reads "expired" and not "untrusted issuer"; everything
 * else in the chain must be valid at the check time. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	int e = X509_STORE_CTX_get_error(ctx);

	if (!ok && X509_STORE_CTX_get_error_depth(ctx) == 0 &&
	    (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID))
		return 1;
	return ok;
}

/* Chain c's leaf (with the intermediates of its file) to the trust store at
 * now. 0 when it chains; otherwise why in why. */
static int check_chain(const struct certstore_candidate *c, X509_STORE *trust, time_t now,
		       char *why, size_t whylen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int rc = -1;

	if (!ctx) {
		snprintf(why, whylen, "out of memory verifying the chain");
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, trust, c->cert, c->chain) != 1) {
		snprintf(why, whylen, "cannot set up chain verification");
		goto out;
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(vp, now); /* sets X509_V_FLAG_USE_CHECK_TIME */
	/* Pinned peer or intermediate certificates in the trust folder are
	 * anchors in their own right, not only self-signed roots. */
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_USE_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
		goto out;
	}
	snprintf(why, whylen, "untrusted issuer: %s",
		 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* Key and usage checks; the first failure goes to why. 0 when fit. */
static int check_key_and_usage(const struct certstore_candidate *c, char *why, size_t whylen)
{
	uint32_t flags, ku, xku;
	const uint32_t both = XKU_SSL_SERVER | XKU_SSL_CLIENT;

	if (!c->key) {
		snprintf(why, whylen, "no private key");
		return -1;
	}
	if (X509_check_private_key(c->cert, c->key) != 1) {
		ERR_clear_error();
		snprintf(why, whylen, "private key does not match the certificate");
		return -1;
	}
	flags = X509_get_extension_flags(c->cert);
	if (flags & EXFLAG_INVALID) {
		snprintf(why, whylen, "malformed certificate extensions");
		return -1;
	}
	ku = X509_get_key_usage(c->cert); /* UINT32_MAX when absent: anything goes */
	if (ku != UINT32_MAX && !(ku & KU_DIGITAL_SIGNATURE)) {
		snprintf(why, whylen, "key usage lacks digitalSignature");
		return -1;
	}
	/* One certificate serves both TLS roles (we accept and we dial), so an
	 * EKU, when present, must name both. */
	if (flags & EXFLAG_XKUSAGE) {
		xku = X509_get_extended_key_usage(c->cert);
		if ((xku & both) != both) {
			snprintf(why, whylen, "EKU lacks serverAuth/clientAuth");
			return -1;
		}
	}
	return 0;
}

void certstore_check_candidate(struct certstore_candidate *c, X509_STORE *trust, time_t now)
{
	char why[CERTSTORE_REASON_MAX] = "";
	const char *when = NULL;

	c->valid = false;
	c->expired_only = false;
	if (!c->cert) {
		if (c->reason[0] == '\0')
			snprintf(c->reason, sizeof(c->reason), "no certificate");
		return;
	}
	c->kind = X509_self_signed(c->cert, 1) == 1 ? CERTSTORE_SELF_SIGNED : CERTSTORE_PKI;
	ERR_clear_error();

	/* Everything but the dates first, so expired_only is exact: a
	 * certificate that is expired and also broken must not be kept. */
	if (c->reason[0] != '\0')
		snprintf(why, sizeof(why), "%s", c->reason); /* the loader's, e.g. key problems */
	else if (check_key_and_usage(c, why, sizeof(why)) == 0 && c->kind == CERTSTORE_PKI)
		check_chain(c, trust, now, why, sizeof(why));

	/* not_after itself counts as expired, as in expiry.c. */
	if (now < c->not_before)
		when = "not yet valid";
	else if (now >= c->not_after)
		when = "expired";

	if (when && why[0])
		snprintf(c->reason, sizeof(c->reason), "%s; %.140s", when, why);
	else if (when)
		snprintf(c->reason, sizeof(c->reason), "%s", when);
	else
		snprintf(c->reason, sizeof(c->reason), "%s", why);
	c->expired_only = when && why[0] == '\0' && now >= c->not_after;
	c->valid = c->reason[0] == '\0';
}

int certstore_rank_compare(const void *a, const void *b)
{
	const struct certstore_candidate *x = a, *y = b;

	if (x->valid != y->valid)
		return x->valid ? -1 : 1;
	if (x->valid) {
		if (x->kind != y->kind)
			return x->kind == CERTSTORE_PKI ? -1 : 1;
		if (x->not_after != y->not_after)
			return x->not_after > y->not_after ? -1 : 1;
	}
	return strcmp(x->path, y->path);
}
