/* The certificate store: validity, ranking, generation, selection,
 * change detection and export, with certificates made by certfactory. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certfactory.h"
#include "certstore.h"

#define DAY 86400L
/* A fixed clock: 2027-01-15T08:00:00Z. */
#define NOW ((time_t)1800000000)

static char *root_dir, *store_dir, *trust_dir;
static struct cf_pki pki;
static struct certstore *cs;

static void setup(void)
{
	root_dir = cf_tmpdir();
	cr_assert_not_null(root_dir);
	store_dir = cf_path(root_dir, "store");
	trust_dir = cf_path(root_dir, "trust");
	cr_assert_eq(mkdir(store_dir, 0700), 0);
	cr_assert_eq(mkdir(trust_dir, 0700), 0);
	cr_assert_eq(cf_pki_init(&pki, "Test Root", NOW), 0);
	/* Only the root is trusted; intermediates travel in the store files. */
	char *p = cf_path(trust_dir, "root.pem");
	cr_assert_eq(cf_write_pem(p, pki.root, NULL, 0, NULL), 0);
	free(p);
	cs = NULL;
}

static void teardown(void)
{
	certstore_free(cs);
	cf_pki_free(&pki);
	cf_rmtree(root_dir);
	free(root_dir);
	free(store_dir);
	free(trust_dir);
}

TestSuite(certstore, .init = setup, .fini = teardown);

/* Scan the store at t into cs (replacing a previous scan). */
static void scan_at(time_t t)
{
	char err[256] = "";

	certstore_free(cs);
	cs = NULL;
	cr_assert_eq(certstore_scan(store_dir, trust_dir, t, &cs, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(cs);
}

static const struct certstore_candidate *cand(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < cs->n; i++) {
		size_t m = strlen(cs->cands[i].path);

		if (m > n && cs->cands[i].path[m - n - 1] == '/' &&
		    strcmp(cs->cands[i].path + m - n, name) == 0)
			return &cs->cands[i];
	}
	cr_assert_fail("no candidate %s", name);
	return NULL;
}

/* Write a store file: cert (+chain) and, per mode, its key inside or beside. */
enum keyplace { KEY_IN_FILE, KEY_BESIDE, KEY_NONE };

static void put(const char *name, X509 *cert, X509 *chain, EVP_PKEY *key, enum keyplace kp)
{
	char *p = cf_path(store_dir, name);

	cr_assert_not_null(cert);
	cr_assert_eq(cf_write_pem(p, cert, chain ? &chain : NULL, chain ? 1 : 0,
				  kp == KEY_IN_FILE ? key : NULL), 0);
	if (kp == KEY_BESIDE) {
		char *dot = strrchr(p, '.');

		strcpy(dot, ".key");
		cr_assert_eq(cf_write_key(p, key, NULL), 0);
	}
	free(p);
}

/* A leaf under the root, valid 30 days either side of NOW unless told. */
static void put_pki(const char *name, enum cf_eku eku, time_t nb, time_t na)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_leaf(pki.root, pki.root_key, k, "edge.example.test", nb, na, eku);

	put(name, x, NULL, k, KEY_IN_FILE);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void put_self(const char *name, time_t nb, time_t na)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_self(k, "edge.example.test", nb, na, CF_EKU_BOTH);

	put(name, x, NULL, k, KEY_BESIDE);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void assert_invalid(const char *name, const char *reason_prefix)
{
	const struct certstore_candidate *c = cand(name);

	cr_assert_not(c->valid, "%s should be invalid", name);
	cr_assert_eq(c->rank, 0);
	cr_assert_eq(strncmp(c->reason, reason_prefix, strlen(reason_prefix)), 0,
		     "%s: reason \"%s\", expected \"%s...\"", name, c->reason, reason_prefix);
}

/* ---- validity ---- */

Test(certstore, valid_pki_fields)
{
	EVP_PKEY *k = cf_key(CF_KEY_RSA);
	X509 *x = cf_leaf(pki.root, pki.root_key, k, "edge.example.test", NOW - DAY,
			  NOW + 90 * DAY, CF_EKU_BOTH);
	unsigned char md[20];
	unsigned int mdlen = 0;
	char hex[41];
	BIGNUM *bn;
	char *serial;

	put("pki.pem", x, NULL, k, KEY_IN_FILE);
	scan_at(NOW);
	const struct certstore_candidate *c = cand("pki.pem");
	cr_assert(c->valid, "reason: %s", c->reason);
	cr_assert_str_empty(c->reason);
	cr_assert_eq(c->kind, CERTSTORE_PKI);
	cr_assert_eq(c->rank, 1);
	cr_assert_str_eq(c->subject, "CN=edge.example.test");
	cr_assert_str_eq(c->issuer, "CN=Test Root");
	cr_assert_eq(c->not_before, NOW - DAY);
	cr_assert_eq(c->not_after, NOW + 90 * DAY);
	cr_assert_str_eq(c->key_path, c->path);
	X509_digest(x, EVP_sha1(), md, &mdlen);
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	cr_assert_str_eq(c->thumbprint, hex);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	serial = BN_bn2hex(bn);
	cr_assert_str_eq(c->serial, serial);
	for (const char *s = c->serial; *s; s++)
		cr_assert(!(*s >= 'a' && *s <= 'f'), "serial not upper-case: %s", c->serial);
	cr_assert_eq(certstore_best(cs), c);
	cr_assert_eq(certstore_find(cs, hex), c);
	OPENSSL_free(serial);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(certstore, valid_self_signed_key_beside)
{
	put_self("self.crt", NOW - DAY, NOW + 30 * DAY);
	scan_at(NOW);
	const struct certstore_candidate *c = cand("self.crt");
	cr_assert(c->valid, "reason: %s", c->reason);
	cr_assert_eq(c->kind, CERTSTORE_SELF_SIGNED);
	cr_assert(strstr(c->key_path, "/self.key"), "key_path %s", c->key_path);
}

Test(certstore, self_signed_in_trust_folder_stays_self_signed)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_self(k, "pinned.example.test", NOW - DAY, NOW + DAY, CF_EKU_BOTH);
	char *p = cf_path(trust_dir, "pinned.pem");

	put("self.pem", x, NULL, k, KEY_IN_FILE);
	cr_assert_eq(cf_write_pem(p, x, NULL, 0, NULL), 0);
	scan_at(NOW);
	cr_assert(cand("self.pem")->valid);
	cr_assert_eq(cand("self.pem")->kind, CERTSTORE_SELF_SIGNED);
	free(p);
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(certstore, pinned_leaf_in_trust_folder_is_trusted)
{
	struct cf_pki other;
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x;
	char *p = cf_path(trust_dir, "pinned.pem");

	cr_assert_eq(cf_pki_init(&other, "Other Root", NOW), 0);
	x = cf_leaf(other.root, other.root_key, k, "edge", NOW - DAY, NOW + DAY, CF_EKU_BOTH);
	put("pinned.pem", x, NULL, k, KEY_IN_FILE);
	cr_assert_eq(cf_write_pem(p, x, NULL, 0, NULL), 0);
	scan_at(NOW);
	cr_assert(cand("pinned.pem")->valid, "reason: %s", cand("pinned.pem")->reason);
	cr_assert_eq(cand("pinned.pem")->kind, CERTSTORE_PKI);
	free(p);
	X509_free(x);
	EVP_PKEY_free(k);
	cf_pki_free(&other);
}

Test(certstore, expired)
{
	put_pki("old.pem", CF_EKU_BOTH, NOW - 60 * DAY, NOW - DAY);
	put_pki("edge.pem", CF_EKU_BOTH, NOW - 60 * DAY, NOW); /* not_after itself is expired */
	scan_at(NOW);
	assert_invalid("old.pem", "expired");
	cr_assert_str_eq(cand("old.pem")->reason, "expired");
	cr_assert(cand("old.pem")->expired_only);
	cr_assert(cand("edge.pem")->expired_only);
	cr_assert_null(certstore_best(cs));
	/* The same certificates were fine a day earlier. */
	scan_at(NOW - DAY - 1);
	cr_assert(cand("old.pem")->valid, "reason: %s", cand("old.pem")->reason);
}

Test(certstore, not_yet_valid)
{
	put_pki("future.pem", CF_EKU_BOTH, NOW + DAY, NOW + 60 * DAY);
	scan_at(NOW);
	assert_invalid("future.pem", "not yet valid");
	cr_assert_not(cand("future.pem")->expired_only);
}

Test(certstore, wrong_key_in_file_and_beside)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC), *other = cf_key(CF_KEY_EC);
	X509 *x = cf_leaf(pki.root, pki.root_key, k, "edge", NOW - DAY, NOW + DAY, CF_EKU_BOTH);

	put("infile.pem", x, NULL, other, KEY_IN_FILE);
	put("beside.pem", x, NULL, other, KEY_BESIDE);
	scan_at(NOW);
	assert_invalid("infile.pem", "private key does not match the certificate");
	assert_invalid("beside.pem", "private key does not match the certificate");
	cr_assert_not(cand("beside.pem")->expired_only);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

Test(certstore, untrusted_issuer)
{
	struct cf_pki other;
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x;

	cr_assert_eq(cf_pki_init(&other, "Other Root", NOW), 0);
	x = cf_leaf(other.root, other.root_key, k, "edge", NOW - DAY, NOW + DAY, CF_EKU_BOTH);
	put("stranger.pem", x, NULL, k, KEY_IN_FILE);
	scan_at(NOW);
	assert_invalid("stranger.pem", "untrusted issuer: ");
	cr_assert(strstr(cand("stranger.pem")->reason, "unable to get local issuer certificate"),
		  "%s", cand("stranger.pem")->reason);
	cr_assert_eq(cand("stranger.pem")->kind, CERTSTORE_PKI);
	X509_free(x);
	EVP_PKEY_free(k);
	cf_pki_free(&other);
}

Test(certstore, expired_and_untrusted_is_not_expired_only)
{
	struct cf_pki other;
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x;

	cr_assert_eq(cf_pki_init(&other, "Other Root", NOW), 0);
	x = cf_leaf(other.root, other.root_key, k, "edge", NOW - 9 * DAY, NOW - DAY, CF_EKU_BOTH);
	put("both.pem", x, NULL, k, KEY_IN_FILE);
	scan_at(NOW);
	assert_invalid("both.pem", "expired; untrusted issuer: ");
	cr_assert_not(cand("both.pem")->expired_only);
	X509_free(x);
	EVP_PKEY_free(k);
	cf_pki_free(&other);
}

Test(certstore, chain_via_intermediate_in_same_file)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_leaf(pki.inter, pki.int_key, k, "edge", NOW - DAY, NOW + DAY, CF_EKU_BOTH);

	put("chained.pem", x, pki.inter, k, KEY_IN_FILE);
	put("nochain.pem", x, NULL, k, KEY_IN_FILE);
	scan_at(NOW);
	cr_assert(cand("chained.pem")->valid, "reason: %s", cand("chained.pem")->reason);
	cr_assert_eq(sk_X509_num(cand("chained.pem")->chain), 1);
	assert_invalid("nochain.pem", "untrusted issuer: ");
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(certstore, expired_intermediate_breaks_chain)
{
	struct cf_spec s = {
		.cn = "Old Intermediate", .not_before = NOW - 90 * DAY, .not_after = NOW - DAY,
		.ca = true, .issuer = pki.root, .issuer_key = pki.root_key,
	};
	EVP_PKEY *ik = cf_key(CF_KEY_EC), *k = cf_key(CF_KEY_EC);
	X509 *inter = cf_cert(&s, ik);
	X509 *x = cf_leaf(inter, ik, k, "edge", NOW - 2 * DAY, NOW + DAY, CF_EKU_BOTH);

	put("leaf.pem", x, inter, k, KEY_IN_FILE);
	scan_at(NOW);
	assert_invalid("leaf.pem", "untrusted issuer: certificate has expired");
	cr_assert_not(cand("leaf.pem")->expired_only);
	X509_free(x);
	X509_free(inter);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ik);
}

Test(certstore, missing_eku_is_accepted)
{
	put_pki("noeku.pem", CF_EKU_NONE, NOW - DAY, NOW + DAY);
	scan_at(NOW);
	cr_assert(cand("noeku.pem")->valid, "reason: %s", cand("noeku.pem")->reason);
}

Test(certstore, eku_lacking_a_role_is_rejected)
{
	put_pki("server.pem", CF_EKU_SERVER_ONLY, NOW - DAY, NOW + DAY);
	put_pki("client.pem", CF_EKU_CLIENT_ONLY, NOW - DAY, NOW + DAY);
	scan_at(NOW);
	assert_invalid("server.pem", "EKU lacks serverAuth/clientAuth");
	assert_invalid("client.pem", "EKU lacks serverAuth/clientAuth");
}

Test(certstore, key_usage_without_digital_signature_is_rejected)
{
	struct cf_spec s = {
		.cn = "edge", .not_before = NOW - DAY, .not_after = NOW + DAY,
		.ku_no_signature = true, .issuer = pki.root, .issuer_key = pki.root_key,
	};
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_cert(&s, k);

	put("ku.pem", x, NULL, k, KEY_IN_FILE);
	scan_at(NOW);
	assert_invalid("ku.pem", "key usage lacks digitalSignature");
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(certstore, garbage_files)
{
	static const char junk[] = "this is not a certificate\n\x01\x02\xff";
	static const char bad_pem[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	char *a = cf_path(store_dir, "garbage.pem"), *b = cf_path(store_dir, "empty.crt");
	char *c = cf_path(store_dir, "badblock.pem");

	cr_assert_eq(cf_write_bytes(a, junk, sizeof(junk)), 0);
	cr_assert_eq(cf_write_bytes(b, "", 0), 0);
	cr_assert_eq(cf_write_bytes(c, bad_pem, strlen(bad_pem)), 0);
	scan_at(NOW);
	cr_assert_eq(cs->n, 3);
	assert_invalid("garbage.pem", "no certificate found");
	assert_invalid("empty.crt", "no certificate found");
	assert_invalid("badblock.pem", "certificate does not decode");
	cr_assert_null(cand("garbage.pem")->cert);
	free(a);
	free(b);
	free(c);
}

Test(certstore, no_key)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_leaf(pki.root, pki.root_key, k, "edge", NOW - DAY, NOW + DAY, CF_EKU_BOTH);

	put("nokey.pem", x, NULL, k, KEY_NONE);
	scan_at(NOW);
	assert_invalid("nokey.pem", "no private key");
	cr_assert_str_empty(cand("nokey.pem")->key_path);
	/* Fields are filled all the same, for `cert show`. */
	cr_assert_str_eq(cand("nokey.pem")->subject, "CN=edge");
	cr_assert_eq(strlen(cand("nokey.pem")->thumbprint), 40);
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(certstore, encrypted_key)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_leaf(pki.root, pki.root_key, k, "edge", NOW - DAY, NOW + DAY, CF_EKU_BOTH);
	char *kp = cf_path(store_dir, "enc.key");

	put("enc.pem", x, NULL, k, KEY_NONE);
	cr_assert_eq(cf_write_key(kp, k, "secret"), 0);
	scan_at(NOW);
	assert_invalid("enc.pem", "private key is encrypted");
	free(kp);
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(certstore, garbage_key_file)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_leaf(pki.root, pki.root_key, k, "edge", NOW - DAY, NOW + DAY, CF_EKU_BOTH);
	char *kp = cf_path(store_dir, "gk.key");

	put("gk.pem", x, NULL, k, KEY_NONE);
	cr_assert_eq(cf_write_bytes(kp, "nonsense", 8), 0);
	scan_at(NOW);
	assert_invalid("gk.pem", "key file holds no readable private key");
	free(kp);
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(certstore, oversize_file)
{
	size_t n = CERTSTORE_MAX_FILE + 1;
	char *big = malloc(n);
	char *p = cf_path(store_dir, "big.pem");

	memset(big, 'A', n);
	cr_assert_eq(cf_write_bytes(p, big, n), 0);
	scan_at(NOW);
	assert_invalid("big.pem", "file larger than");
	free(big);
	free(p);
}

Test(certstore, ignores_other_files_and_handles_missing_folders)
{
	char *p = cf_path(store_dir, "notes.txt");
	char *q = cf_path(store_dir, ".hidden.pem");
	char *missing = cf_path(root_dir, "nope");
	char err[256] = "";

	cr_assert_eq(cf_write_bytes(p, "x", 1), 0);
	cr_assert_eq(cf_write_bytes(q, "x", 1), 0);
	scan_at(NOW);
	cr_assert_eq(cs->n, 0);
	certstore_free(cs);
	cs = NULL;
	/* A missing store is an empty store; a missing trust folder trusts nothing. */
	cr_assert_eq(certstore_scan(missing, missing, NOW, &cs, err, sizeof(err)), 0);
	cr_assert_eq(cs->n, 0);
	cr_assert_null(certstore_best(cs));
	certstore_free(cs);
	cs = NULL;
	/* A store path that is a file can't be read. */
	cr_assert_eq(certstore_scan(p, trust_dir, NOW, &cs, err, sizeof(err)), -1);
	cr_assert_null(cs);
	cr_assert(strstr(err, "notes.txt"), "err: %s", err);
	free(p);
	free(q);
	free(missing);
}

/* Hostile or unusual store files: each is a clear invalid candidate, or
 * skipped, or (for the legitimate odd layouts) valid. */
Test(certstore, hostile_and_odd_files)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_leaf(pki.root, pki.root_key, k, "edge", NOW - DAY, NOW + DAY, CF_EKU_BOTH);
	static const char legacy_enc[] =
		"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
		"DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n"
		"-----END EC PRIVATE KEY-----\n";
	static const char bad_key[] =
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	unsigned char *der = NULL, *pem = NULL, rnd[65536];
	size_t pemlen = 0;
	int derlen;
	char *p;
	BIO *bio;
	char *data;
	long n;

	/* cert PEM as bytes, to cut and append to */
	bio = BIO_new(BIO_s_mem());
	cr_assert(PEM_write_bio_X509(bio, x));
	n = BIO_get_mem_data(bio, &data);
	pem = malloc((size_t)n + sizeof(legacy_enc));
	memcpy(pem, data, (size_t)n);
	pemlen = (size_t)n;
	BIO_free(bio);

	p = cf_path(store_dir, "trunc.pem");
	cr_assert_eq(cf_write_bytes(p, pem, pemlen / 2), 0);
	free(p);
	p = cf_path(store_dir, "legacyenc.pem");
	memcpy(pem + pemlen, legacy_enc, sizeof(legacy_enc) - 1);
	cr_assert_eq(cf_write_bytes(p, pem, pemlen + sizeof(legacy_enc) - 1), 0);
	free(p);
	p = cf_path(store_dir, "badkey.pem");
	memcpy(pem + pemlen, bad_key, sizeof(bad_key) - 1);
	cr_assert_eq(cf_write_bytes(p, pem, pemlen + sizeof(bad_key) - 1), 0);
	free(p);
	p = cf_path(store_dir, "keyonly.pem");
	cr_assert_eq(cf_write_key(p, k, NULL), 0);
	free(p);
	p = cf_path(store_dir, "random.crt");
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (unsigned char)(i * 2654435761u >> 13);
	cr_assert_eq(cf_write_bytes(p, rnd, sizeof(rnd)), 0);
	free(p);
	p = cf_path(store_dir, "folder.pem");
	cr_assert_eq(mkdir(p, 0700), 0);
	free(p);
	p = cf_path(store_dir, "dangling.pem");
	cr_assert_eq(symlink("/nonexistent/umedge.pem", p), 0);
	free(p);
	/* Legitimate: a DER .crt with its key beside, and a traditional key. */
	derlen = i2d_X509(x, &der);
	cr_assert_gt(derlen, 0);
	p = cf_path(store_dir, "der.crt");
	cr_assert_eq(cf_write_bytes(p, der, (size_t)derlen), 0);
	free(p);
	p = cf_path(store_dir, "der.key");
	cr_assert_eq(cf_write_key(p, k, NULL), 0);
	free(p);
	p = cf_path(store_dir, "trad.pem");
	bio = BIO_new(BIO_s_mem());
	cr_assert(PEM_write_bio_X509(bio, x));
	cr_assert(PEM_write_bio_PrivateKey_traditional(bio, k, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(bio, &data);
	cr_assert(strstr(data, "BEGIN EC PRIVATE KEY"));
	cr_assert_eq(cf_write_bytes(p, data, (size_t)n), 0);
	BIO_free(bio);
	free(p);

	scan_at(NOW);
	cr_assert_eq(cs->n, 7, "folder and dangling link are skipped");
	assert_invalid("trunc.pem", "no certificate found");
	assert_invalid("legacyenc.pem", "private key is encrypted");
	assert_invalid("badkey.pem", "private key does not decode");
	assert_invalid("keyonly.pem", "no certificate found");
	assert_invalid("random.crt", "no certificate found");
	cr_assert(cand("der.crt")->valid, "reason: %s", cand("der.crt")->reason);
	cr_assert(cand("trad.pem")->valid, "reason: %s", cand("trad.pem")->reason);
	OPENSSL_free(der);
	free(pem);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* ---- ranking ---- */

Test(certstore, ranking_order)
{
	put_self("a-self-short.pem", NOW - DAY, NOW + 10 * DAY);
	put_pki("b-pki-short.pem", CF_EKU_BOTH, NOW - DAY, NOW + 20 * DAY);
	put_self("c-self-long.pem", NOW - DAY, NOW + 400 * DAY);
	put_pki("d-pki-long.pem", CF_EKU_BOTH, NOW - DAY, NOW + 300 * DAY);
	put_pki("e-expired.pem", CF_EKU_BOTH, NOW - 60 * DAY, NOW - DAY);
	scan_at(NOW);
	cr_assert_eq(cs->n, 5);
	cr_assert_eq(cand("d-pki-long.pem")->rank, 1);
	cr_assert_eq(cand("b-pki-short.pem")->rank, 2);
	cr_assert_eq(cand("c-self-long.pem")->rank, 3);
	cr_assert_eq(cand("a-self-short.pem")->rank, 4);
	cr_assert_eq(cand("e-expired.pem")->rank, 0);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(cs->cands[i].rank, (int)i + 1);
	cr_assert_not(cs->cands[4].valid);
	cr_assert_eq(certstore_best(cs), cand("d-pki-long.pem"));
}

Test(certstore, ranking_ties_by_path)
{
	put_pki("z.pem", CF_EKU_BOTH, NOW - DAY, NOW + 20 * DAY);
	put_pki("y.pem", CF_EKU_BOTH, NOW - DAY, NOW + 20 * DAY);
	scan_at(NOW);
	cr_assert_eq(cand("y.pem")->rank, 1);
	cr_assert_eq(cand("z.pem")->rank, 2);
}

/* ---- generation ---- */

static void check_generated(enum umedge_key_type type, int base_id)
{
	char *gen_store = cf_path(root_dir, "new/store");
	char path[1024], err[256] = "";
	char keypath[1024];
	struct stat st;
	const struct certstore_candidate *c;
	GENERAL_NAMES *san;
	const ASN1_IA5STRING *dns;
	int crit = -1;

	cr_assert_eq(certstore_generate_self_signed(gen_store, "edge.example.test", type, 825,
						    NOW, path, sizeof(path), err, sizeof(err)),
		     0, "%s", err);
	cr_assert(strstr(path, "/umedge-self-signed-20270115T080000Z.crt"), "%s", path);
	cr_assert_eq(stat(gen_store, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);
	snprintf(keypath, sizeof(keypath), "%s", path);
	strcpy(strrchr(keypath, '.'), ".key");
	cr_assert_eq(stat(keypath, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);

	certstore_free(cs);
	cs = NULL;
	cr_assert_eq(certstore_scan(gen_store, trust_dir, NOW, &cs, err, sizeof(err)), 0);
	cr_assert_eq(cs->n, 1);
	c = certstore_best(cs);
	cr_assert_not_null(c, "reason: %s", cs->cands[0].reason);
	cr_assert_eq(c->kind, CERTSTORE_SELF_SIGNED);
	cr_assert_str_eq(c->subject, "CN=edge.example.test");
	cr_assert_str_eq(c->issuer, "CN=edge.example.test");
	cr_assert_eq(c->not_before, NOW - 3600);
	cr_assert_eq(c->not_after, NOW + 825 * DAY);
	cr_assert_str_eq(c->key_path, keypath);
	cr_assert_eq(EVP_PKEY_get_base_id(c->key), base_id);
	/* 16 random bytes, positive: 32 hex digits, no leading zero byte. */
	cr_assert_eq(strlen(c->serial), 32, "serial %s", c->serial);
	san = X509_get_ext_d2i(c->cert, NID_subject_alt_name, &crit, NULL);
	cr_assert_not_null(san);
	cr_assert_eq(sk_GENERAL_NAME_num(san), 1);
	cr_assert_eq(sk_GENERAL_NAME_value(san, 0)->type, GEN_DNS);
	dns = sk_GENERAL_NAME_value(san, 0)->d.dNSName;
	cr_assert_eq(ASN1_STRING_length(dns), (int)strlen("edge.example.test"));
	cr_assert_eq(memcmp(ASN1_STRING_get0_data(dns), "edge.example.test", 17), 0);
	GENERAL_NAMES_free(san);
	cr_assert_not_null(X509_get0_subject_key_id(c->cert));
	cr_assert_eq(X509_get_signature_nid(c->cert),
		     base_id == EVP_PKEY_RSA ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256);
	cr_assert_eq(X509_get_key_usage(c->cert) & KU_KEY_ENCIPHERMENT,
		     base_id == EVP_PKEY_RSA ? (uint32_t)KU_KEY_ENCIPHERMENT : 0u);
	cr_assert_not(X509_check_ca(c->cert));
	free(gen_store);
}

Test(certstore, generate_rsa)
{
	check_generated(UMEDGE_KEY_RSA2048, EVP_PKEY_RSA);
}

Test(certstore, generate_ecdsa)
{
	check_generated(UMEDGE_KEY_ECDSA_P256, EVP_PKEY_EC);
}

Test(certstore, generate_refuses_bad_input)
{
	char path[1024] = "", err[256] = "";

	cr_assert_eq(certstore_generate_self_signed(store_dir, "bad name/..", UMEDGE_KEY_ECDSA_P256,
						    30, NOW, path, sizeof(path), err, sizeof(err)),
		     -1);
	cr_assert(strstr(err, "FQDN"), "%s", err);
	cr_assert_eq(certstore_generate_self_signed(store_dir, "edge", UMEDGE_KEY_ECDSA_P256, 0,
						    NOW, path, sizeof(path), err, sizeof(err)),
		     -1);
	cr_assert(strstr(err, "days"), "%s", err);
	cr_assert_eq(certstore_generate_self_signed(store_dir, "edge", UMEDGE_KEY_COUNT, 30, NOW,
						    path, sizeof(path), err, sizeof(err)),
		     -1);
	cr_assert(strstr(err, "key generation"), "%s", err);
	scan_at(NOW);
	cr_assert_eq(cs->n, 0); /* nothing left behind */
}

/* ---- selection ---- */

Test(certstore, select_startup_nothing_valid_generates)
{
	const struct certstore_candidate *ch = (void *)1;

	put_pki("old.pem", CF_EKU_BOTH, NOW - 60 * DAY, NOW - DAY);
	scan_at(NOW);
	cr_assert_eq(certstore_select(cs, NULL, CERTSTORE_TRIGGER_STARTUP, &ch), CERTSTORE_GENERATE);
	cr_assert_null(ch);
	/* Even when the expired one was in use before the restart. */
	cr_assert_eq(certstore_select(cs, cand("old.pem")->thumbprint, CERTSTORE_TRIGGER_STARTUP, &ch),
		     CERTSTORE_GENERATE);
}

Test(certstore, select_clock_keeps_expired_in_use)
{
	const struct certstore_candidate *ch = NULL;

	put_pki("old.pem", CF_EKU_BOTH, NOW - 60 * DAY, NOW - DAY);
	scan_at(NOW);
	cr_assert_eq(certstore_select(cs, cand("old.pem")->thumbprint, CERTSTORE_TRIGGER_CLOCK, &ch),
		     CERTSTORE_KEEP_CURRENT);
	cr_assert_eq(ch, cand("old.pem"));
}

Test(certstore, select_store_changed_nothing_valid_generates)
{
	const struct certstore_candidate *ch = (void *)1;

	put_pki("old.pem", CF_EKU_BOTH, NOW - 60 * DAY, NOW - DAY);
	scan_at(NOW);
	cr_assert_eq(certstore_select(cs, cand("old.pem")->thumbprint,
				      CERTSTORE_TRIGGER_STORE_CHANGED, &ch),
		     CERTSTORE_GENERATE);
	cr_assert_null(ch);
}

Test(certstore, select_valid_other_replaces_expired_in_use)
{
	const struct certstore_candidate *ch = NULL;

	put_pki("old.pem", CF_EKU_BOTH, NOW - 60 * DAY, NOW - DAY);
	put_self("other.pem", NOW - DAY, NOW + 30 * DAY);
	scan_at(NOW);
	cr_assert_eq(certstore_select(cs, cand("old.pem")->thumbprint, CERTSTORE_TRIGGER_CLOCK, &ch),
		     CERTSTORE_USE);
	cr_assert_eq(ch, cand("other.pem"));
}

Test(certstore, select_clock_with_current_gone_or_broken_keeps)
{
	const struct certstore_candidate *ch = (void *)1;

	put_pki("future.pem", CF_EKU_BOTH, NOW + DAY, NOW + 60 * DAY);
	scan_at(NOW);
	cr_assert_eq(certstore_select(cs, "00112233445566778899aabbccddeeff00112233",
				      CERTSTORE_TRIGGER_CLOCK, &ch),
		     CERTSTORE_KEEP_CURRENT);
	cr_assert_null(ch);
	cr_assert_eq(certstore_select(cs, NULL, CERTSTORE_TRIGGER_CLOCK, &ch),
		     CERTSTORE_KEEP_CURRENT);
	cr_assert_null(ch);
}

Test(certstore, select_generated_then_used)
{
	const struct certstore_candidate *ch = NULL;
	char path[1024], err[256];

	scan_at(NOW);
	cr_assert_eq(certstore_select(cs, NULL, CERTSTORE_TRIGGER_STARTUP, &ch), CERTSTORE_GENERATE);
	cr_assert_eq(certstore_generate_self_signed(store_dir, "edge.example.test",
						    UMEDGE_KEY_ECDSA_P256, 30, NOW, path,
						    sizeof(path), err, sizeof(err)),
		     0, "%s", err);
	scan_at(NOW);
	cr_assert_eq(certstore_select(cs, NULL, CERTSTORE_TRIGGER_STARTUP, &ch), CERTSTORE_USE);
	cr_assert_str_eq(ch->path, path);
}

/* ---- change detection ---- */

Test(certstore, dir_fingerprint_tracks_changes)
{
	uint64_t f0, f1, f2, f3, f4;
	char *p = cf_path(store_dir, "a.pem"), *t = cf_path(store_dir, "a.tmp");
	char *txt = cf_path(store_dir, "readme.txt");

	cr_assert_eq(certstore_dir_fingerprint(store_dir, &f0), 0);
	put_self("a.pem", NOW - DAY, NOW + DAY);
	cr_assert_eq(certstore_dir_fingerprint(store_dir, &f1), 0);
	cr_assert_neq(f0, f1, "add");
	cr_assert_eq(certstore_dir_fingerprint(store_dir, &f2), 0);
	cr_assert_eq(f1, f2, "stable");
	/* Replace by rename, as deploy tools do. */
	cr_assert_eq(cf_write_bytes(t, "different", 9), 0);
	cr_assert_eq(rename(t, p), 0);
	cr_assert_eq(certstore_dir_fingerprint(store_dir, &f3), 0);
	cr_assert_neq(f3, f2, "replace");
	/* Other files don't count. */
	cr_assert_eq(cf_write_bytes(txt, "x", 1), 0);
	cr_assert_eq(certstore_dir_fingerprint(store_dir, &f4), 0);
	cr_assert_eq(f4, f3, "unrelated file");
	/* Removing the .pem and its .key returns to the empty listing. */
	cr_assert_eq(unlink(p), 0);
	strcpy(strrchr(p, '.'), ".key");
	cr_assert_eq(certstore_dir_fingerprint(store_dir, &f4), 0);
	cr_assert_neq(f4, f3, "remove");
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(certstore_dir_fingerprint(store_dir, &f4), 0);
	cr_assert_eq(f4, f0, "back to empty");
	cr_assert_eq(certstore_dir_fingerprint("/nonexistent/umedge", &f4), -ENOENT);
	free(p);
	free(t);
	free(txt);
}

/* ---- export ---- */

Test(certstore, export_round_trips)
{
	EVP_PKEY *k = cf_key(CF_KEY_EC);
	X509 *x = cf_leaf(pki.inter, pki.int_key, k, "edge", NOW - DAY, NOW + DAY, CF_EKU_BOTH);
	const struct certstore_candidate *c;
	unsigned char *buf = NULL;
	const unsigned char *q;
	size_t len = 0;
	X509 *back;
	BIO *bio;

	put("chained.pem", x, pki.inter, k, KEY_IN_FILE);
	scan_at(NOW);
	c = cand("chained.pem");

	cr_assert_eq(certstore_export(c, false, &buf, &len), 0);
	cr_assert_null(memmem(buf, len, "PRIVATE KEY", 11), "no key in an export");
	bio = BIO_new_mem_buf(buf, (int)len);
	back = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	cr_assert_not_null(back);
	cr_assert_eq(X509_cmp(back, x), 0);
	X509_free(back);
	cr_assert_null(PEM_read_bio_X509(bio, NULL, NULL, NULL), "leaf only");
	BIO_free(bio);
	free(buf);

	cr_assert_eq(certstore_export(c, true, &buf, &len), 0);
	q = buf;
	back = d2i_X509(NULL, &q, (long)len);
	cr_assert_not_null(back);
	cr_assert_eq(q, buf + len);
	cr_assert_eq(X509_cmp(back, x), 0);
	X509_free(back);
	free(buf);

	cr_assert_eq(certstore_export_ex(c, false, true, &buf, &len), 0);
	bio = BIO_new_mem_buf(buf, (int)len);
	back = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	cr_assert_eq(X509_cmp(back, x), 0);
	X509_free(back);
	back = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	cr_assert_not_null(back);
	cr_assert_eq(X509_cmp(back, pki.inter), 0);
	X509_free(back);
	BIO_free(bio);
	free(buf);

	cr_assert_eq(certstore_export_ex(c, true, true, &buf, &len), -1);
	cr_assert_null(buf);
	X509_free(x);
	EVP_PKEY_free(k);
}

Test(certstore, iso8601)
{
	char buf[32];

	certstore_iso8601(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	certstore_iso8601(NOW, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2027-01-15T08:00:00Z");
}
