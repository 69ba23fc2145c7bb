/*
 * tls_verify.c: mutual authentication. The peer's chain must end at a
 * trust-store certificate and its leaf must name the FQDN configured for
 * the gateway at the peer's address (DNS SAN, or the CN when the
 * certificate has no DNS SAN: X509_check_host's own rule). The callback
 * records the first failure, the leaf's subject and thumbprint for the
 * TlsPeerRejected event.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls_internal.h"

static int ex_index = -1;

int tls_verify_index(void)
{
	/* first called on the main lcore, before any worker runs */
	if (ex_index < 0)
		ex_index = SSL_get_ex_new_index(0, (void *)"umedge tls_conn", NULL, NULL, NULL);
	return ex_index;
}

void tls_cert_thumbprint(X509 *x, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t o = 0;

	out[0] = '\0';
	if (x == NULL || X509_digest(x, EVP_sha1(), md, &n) != 1)
		return;
	for (unsigned i = 0; i < n && o + 3 <= outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02X", md[i]);
}

/* A name as RFC 2253 text, cut to outlen. */
static void name_text(const X509_NAME *n, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long len;

	out[0] = '\0';
	if (b == NULL || X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) < 0)
		goto out;
	len = BIO_get_mem_data(b, &p);
	if (len < 0)
		goto out;
	if ((size_t)len >= outlen)
		len = (long)outlen - 1;
	memcpy(out, p, (size_t)len);
	out[len] = '\0';
out:
	BIO_free(b);
}

void tls_cert_subject(X509 *x, char *out, size_t outlen)
{
	out[0] = '\0';
	if (x != NULL)
		name_text(X509_get_subject_name(x), out, outlen);
}

/* The names a host check looks at: the DNS SANs, or the CN without any. */
static void dns_names(X509 *x, char *out, size_t outlen)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS || o + 3 >= outlen)
			continue;
		o += (size_t)snprintf(out + o, outlen - o, "%s%.*s", o ? ", " : "",
				      ASN1_STRING_length(g->d.dNSName),
				      (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		if (o >= outlen)
			o = outlen - 1;
	}
	GENERAL_NAMES_free(gens);
	if (o == 0)
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out,
					  (int)outlen);
}

/* What the operator's connectivity test reports of the peer's leaf. */
static void record_leaf(struct tls_conn *t, X509 *leaf)
{
	struct tm tm;

	tls_cert_subject(leaf, t->peer_subject, sizeof(t->peer_subject));
	tls_cert_thumbprint(leaf, t->peer_thumbprint, sizeof(t->peer_thumbprint));
	if (leaf == NULL)
		return;
	name_text(X509_get_issuer_name(leaf), t->peer_issuer, sizeof(t->peer_issuer));
	dns_names(leaf, t->peer_names, sizeof(t->peer_names));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) == 1)
		strftime(t->peer_not_after, sizeof(t->peer_not_after), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int check_host(struct tls_conn *t, X509 *leaf)
{
	if (!t->has_expect_host)
		return X509_V_ERR_APPLICATION_VERIFICATION;
	if (X509_check_host(leaf, t->expect_host, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
			    NULL) != 1)
		return X509_V_ERR_HOSTNAME_MISMATCH;
	return X509_V_OK;
}

int tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_conn *t = ssl != NULL ? SSL_get_ex_data(ssl, tls_verify_index()) : NULL;
	int depth = X509_STORE_CTX_get_error_depth(xs);

	if (t == NULL)
		return ok;
	if (t->peer_thumbprint[0] == '\0') {
		STACK_OF(X509) *chain = X509_STORE_CTX_get0_untrusted(xs);
		X509 *leaf = X509_STORE_CTX_get0_cert(xs);

		if (leaf == NULL && chain != NULL && sk_X509_num(chain) > 0)
			leaf = sk_X509_value(chain, 0);
		record_leaf(t, leaf);
	}
	if (!ok) {
		if (t->verify_err == 0)
			t->verify_err = X509_STORE_CTX_get_error(xs);
		return 0;
	}
	if (depth == 0) {
		int e = check_host(t, X509_STORE_CTX_get_current_cert(xs));

		if (e != X509_V_OK) {
			if (t->verify_err == 0)
				t->verify_err = e;
			X509_STORE_CTX_set_error(xs, e);
			return 0;
		}
	}
	return 1;
}

int tls_verify_after(struct tls_conn *t)
{
	X509 *leaf = SSL_get0_peer_certificate(t->ssl);

	if (leaf == NULL)
		return X509_V_ERR_APPLICATION_VERIFICATION;
	if (t->peer_thumbprint[0] == '\0')
		record_leaf(t, leaf);
	if (SSL_get_verify_result(t->ssl) != X509_V_OK)
		return (int)SSL_get_verify_result(t->ssl);
	/* a resumed session was verified for the gateway that got the ticket;
	 * the address may belong to another gateway now */
	return check_host(t, leaf);
}
