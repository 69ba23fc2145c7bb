/* The certificate store: list the store folder, load each file into a
 * candidate, fill its printable fields, have it checked and ranked.
 * Validity rules live in certstore_check.c, generation in certstore_gen.c. */
#include "certstore.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "fsutil.h"

/* What one PEM (or DER) buffer held. */
struct parsed {
	X509 *leaf;
	STACK_OF(X509) *chain;
	EVP_PKEY *key;
	bool key_encrypted; /* a key block we refuse to decrypt */
	bool key_bad;       /* a key block that did not decode */
	bool cert_bad;      /* a certificate block that did not decode */
};

static void parsed_free(struct parsed *p)
{
	X509_free(p->leaf);
	sk_X509_pop_free(p->chain, X509_free);
	EVP_PKEY_free(p->key);
	memset(p, 0, sizeof(*p));
}

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool has_suffix(const char *name, const char *suf)
{
	size_t n = strlen(name), m = strlen(suf);

	return n > m && strcmp(name + n - m, suf) == 0;
}

static bool is_cert_name(const char *name)
{
	return name[0] != '.' && (has_suffix(name, ".pem") || has_suffix(name, ".crt"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void certstore_list_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int certstore_list_dir(const char *dir, char ***paths, size_t *n)
{
	DIR *d = NULL;
	struct dirent *de;
	char **v = NULL;
	size_t used = 0, cap = 0;
	int rc = 0;

	*paths = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		char *path = NULL;

		if (!is_cert_name(de->d_name))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		/* Follow symlinks (a store may link to a managed file); skip
		 * folders, sockets and dangling links. */
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (used == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				free(path);
				rc = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		v[used++] = path;
	}
	if (errno != 0) {
		rc = -errno;
		goto out;
	}
	/* readdir order is arbitrary; sorting makes ranking ties deterministic. */
	if (used > 1)
		qsort(v, used, sizeof(*v), cmp_str);
	*paths = v;
	*n = used;
	v = NULL;
	used = 0;
out:
	certstore_list_free(v, used);
	closedir(d);
	return rc;
}

static bool is_key_block(const char *name)
{
	return has_suffix(name, "PRIVATE KEY") || strcmp(name, "PRIVATE KEY") == 0;
}

/* One PEM block into p: certificates in order (first is the leaf), the
 * first private key. Unknown blocks (parameters, CSRs) are ignored. */
static int take_block(struct parsed *p, const char *name, const char *header,
		      const unsigned char *data, long dlen)
{
	const unsigned char *q = data;

	if (strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0 ||
	    strcmp(name, PEM_STRING_X509_TRUSTED) == 0) {
		X509 *x = strcmp(name, PEM_STRING_X509_TRUSTED) == 0
				  ? d2i_X509_AUX(NULL, &q, dlen)
				  : d2i_X509(NULL, &q, dlen);

		if (!x) {
			p->cert_bad = true;
			return 0;
		}
		if (!p->leaf) {
			p->leaf = x;
			return 0;
		}
		if (!sk_X509_push(p->chain, x)) {
			X509_free(x);
			return -ENOMEM;
		}
		return 0;
	}
	if (!is_key_block(name))
		return 0;
	if (strcmp(name, PEM_STRING_PKCS8) == 0 || (header && strstr(header, "ENCRYPTED"))) {
		/* The daemon restarts unattended: there is nobody to type a passphrase. */
		p->key_encrypted = true;
		return 0;
	}
	if (p->key)
		return 0;
	p->key = d2i_AutoPrivateKey(NULL, &q, dlen);
	if (!p->key)
		p->key_bad = true;
	return 0;
}

/* Parse buf (PEM blocks, or one DER certificate) into p. 0 or -ENOMEM. */
static int parse_buffer(const char *buf, size_t len, struct parsed *p)
{
	BIO *bio = NULL;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->chain = sk_X509_new_null();
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!p->chain || !bio) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long dlen = 0;

		if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1)
			break;
		rc = take_block(p, name, header, data, dlen);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		if (rc < 0)
			goto out;
	}
	if (!p->leaf && !p->cert_bad && !p->key && !p->key_bad && !p->key_encrypted) {
		/* No PEM at all: a .crt is often plain DER. */
		const unsigned char *q = (const unsigned char *)buf;

		p->leaf = d2i_X509(NULL, &q, (long)len);
	}
out:
	/* End of input leaves a PEM "no start line" error queued; nobody wants it. */
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}

static void name_line(const X509_NAME *name, char *out, size_t outlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	out[0] = '\0';
	if (!bio)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0)
			snprintf(out, outlen, "%.*s", (int)n, data);
	}
	BIO_free(bio);
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* Printable fields of the leaf: subject, issuer, serial, thumbprint, dates. */
static void fill_fields(struct certstore_candidate *c)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	BIGNUM *bn = NULL;
	char *hex = NULL;

	name_line(X509_get_subject_name(c->cert), c->subject, sizeof(c->subject));
	name_line(X509_get_issuer_name(c->cert), c->issuer, sizeof(c->issuer));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c->cert), NULL);
	if (bn)
		hex = BN_bn2hex(bn);
	if (hex)
		snprintf(c->serial, sizeof(c->serial), "%s", hex);
	if (X509_digest(c->cert, EVP_sha1(), md, &mdlen) == 1 && mdlen == 20) {
		for (unsigned int i = 0; i < mdlen; i++)
			snprintf(c->thumbprint + 2 * i, 3, "%02x", md[i]);
	}
	c->not_before = asn1_time(X509_get0_notBefore(c->cert));
	c->not_after = asn1_time(X509_get0_notAfter(c->cert));
	OPENSSL_free(hex);
	BN_free(bn);
	ERR_clear_error();
}

/* The STEM.key path of a certificate path (stem = name without its suffix). */
static int key_path_of(const char *path, char *out, size_t outlen)
{
	const char *dot = strrchr(path, '.');
	size_t stem = dot ? (size_t)(dot - path) : strlen(path);

	if ((size_t)snprintf(out, outlen, "%.*s.key", (int)stem, path) >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

/* The key from STEM.key when the certificate file has none. Leaves a
 * reason in c when the key file exists but is unusable. */
static int load_key_file(struct certstore_candidate *c)
{
	char kpath[sizeof(c->key_path)];
	struct parsed kp;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(&kp, 0, sizeof(kp));
	if (key_path_of(c->path, kpath, sizeof(kpath)) < 0)
		return 0;
	rc = fsutil_read_file(kpath, CERTSTORE_MAX_FILE, &buf, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		snprintf(c->reason, sizeof(c->reason), "key file unreadable: %s", strerror(-rc));
		return 0;
	}
	rc = parse_buffer(buf, len, &kp);
	if (rc < 0)
		goto out;
	snprintf(c->key_path, sizeof(c->key_path), "%s", kpath);
	if (kp.key) {
		c->key = kp.key;
		kp.key = NULL;
	} else if (kp.key_encrypted) {
		snprintf(c->reason, sizeof(c->reason), "private key is encrypted");
	} else {
		snprintf(c->reason, sizeof(c->reason), "key file holds no readable private key");
	}
out:
	parsed_free(&kp);
	free(buf);
	return rc;
}

/* Load one store file into c. Problems become c->reason; only allocation
 * failure is an error (-ENOMEM). */
static int load_candidate(struct certstore_candidate *c, const char *path)
{
	struct parsed p;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	snprintf(c->path, sizeof(c->path), "%s", path);
	rc = fsutil_read_file(path, CERTSTORE_MAX_FILE, &buf, &len);
	if (rc == -EFBIG) {
		snprintf(c->reason, sizeof(c->reason), "file larger than %u bytes",
			 CERTSTORE_MAX_FILE);
		return 0;
	}
	if (rc < 0) {
		snprintf(c->reason, sizeof(c->reason), "unreadable: %s", strerror(-rc));
		return 0;
	}
	rc = parse_buffer(buf, len, &p);
	if (rc < 0)
		goto out;
	if (!p.leaf) {
		snprintf(c->reason, sizeof(c->reason), "%s",
			 p.cert_bad ? "certificate does not decode" : "no certificate found");
		goto out;
	}
	c->cert = p.leaf;
	c->chain = p.chain;
	p.leaf = NULL;
	p.chain = NULL;
	fill_fields(c);
	if (p.key) {
		c->key = p.key;
		p.key = NULL;
		snprintf(c->key_path, sizeof(c->key_path), "%s", path);
	} else {
		rc = load_key_file(c);
		if (rc < 0)
			goto out;
	}
	/* A key beside the certificate wins over a broken one inside it. */
	if (!c->key && c->reason[0] == '\0') {
		if (p.key_encrypted)
			snprintf(c->reason, sizeof(c->reason), "private key is encrypted");
		else if (p.key_bad)
			snprintf(c->reason, sizeof(c->reason), "private key does not decode");
		else
			snprintf(c->reason, sizeof(c->reason), "no private key (in the file or STEM.key)");
	}
out:
	parsed_free(&p);
	free(buf);
	return rc;
}

int certstore_scan(const char *store_dir, const char *trust_dir, time_t now,
		   struct certstore **out, char *err, size_t errlen)
{
	struct certstore *s = NULL;
	X509_STORE *trust = NULL;
	char **paths = NULL;
	size_t n = 0;
	int rc = -1, r;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	r = certstore_list_dir(store_dir, &paths, &n);
	if (r < 0 && r != -ENOENT) {
		set_err(err, errlen, "certificate store %s: %s", store_dir, strerror(-r));
		goto out;
	}
	if (n > 0) {
		s->cands = calloc(n, sizeof(*s->cands));
		if (!s->cands) {
			set_err(err, errlen, "out of memory");
			goto out;
		}
	}
	trust = certstore_trust_load(trust_dir);
	if (!trust) {
		set_err(err, errlen, "out of memory loading the trust folder");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct certstore_candidate *c = &s->cands[i];

		/* Count it first so certstore_free releases a half-loaded one. */
		s->n++;
		if (load_candidate(c, paths[i]) < 0) {
			set_err(err, errlen, "out of memory loading %s", paths[i]);
			goto out;
		}
		certstore_check_candidate(c, trust, now);
	}
	if (s->n > 1)
		qsort(s->cands, s->n, sizeof(*s->cands), certstore_rank_compare);
	for (size_t i = 0, rank = 1; i < s->n; i++)
		s->cands[i].rank = s->cands[i].valid ? (int)rank++ : 0;
	*out = s;
	s = NULL;
	rc = 0;
out:
	X509_STORE_free(trust);
	certstore_list_free(paths, n);
	certstore_free(s);
	return rc;
}

void certstore_free(struct certstore *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		X509_free(s->cands[i].cert);
		sk_X509_pop_free(s->cands[i].chain, X509_free);
		EVP_PKEY_free(s->cands[i].key);
	}
	free(s->cands);
	free(s);
}

const struct certstore_candidate *certstore_best(const struct certstore *s)
{
	/* Sorted: the first one is rank 1 when anything is valid. */
	if (!s || s->n == 0 || !s->cands[0].valid)
		return NULL;
	return &s->cands[0];
}

const struct certstore_candidate *certstore_find(const struct certstore *s,
						 const char *thumbprint)
{
	if (!s || !thumbprint || thumbprint[0] == '\0')
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (s->cands[i].cert && strcasecmp(s->cands[i].thumbprint, thumbprint) == 0)
			return &s->cands[i];
	return NULL;
}

/* Order-independent mix of one listing entry, so readdir order is moot. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t entry_hash(const char *name, const struct stat *st)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a over the name */

	for (const char *p = name; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	h = mix64(h ^ (uint64_t)st->st_size);
	h = mix64(h ^ (uint64_t)st->st_mtim.tv_sec);
	h = mix64(h ^ (uint64_t)st->st_mtim.tv_nsec);
	h = mix64(h ^ (uint64_t)st->st_ino);
	/* ctime catches a chmod of a key file and same-size rewrites. */
	h = mix64(h ^ (uint64_t)st->st_ctim.tv_sec ^ ((uint64_t)st->st_ctim.tv_nsec << 20));
	return h;
}

int certstore_dir_fingerprint(const char *dir, uint64_t *out)
{
	DIR *d;
	struct dirent *de;
	uint64_t acc = 0, count = 0;
	int rc = 0;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;

		if (!is_cert_name(de->d_name) &&
		    !(de->d_name[0] != '.' && has_suffix(de->d_name, ".key")))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			continue; /* vanished or dangling: absent from the listing */
		acc += mix64(entry_hash(de->d_name, &st));
		count++;
	}
	if (errno != 0)
		rc = -errno;
	else
		*out = mix64(acc ^ count);
	closedir(d);
	return rc;
}

int certstore_export_ex(const struct certstore_candidate *c, bool der, bool with_chain,
			unsigned char **out, size_t *len)
{
	BIO *bio = NULL;
	unsigned char *buf = NULL, *p;
	char *data;
	long n;
	int rc = -1, dlen;

	*out = NULL;
	*len = 0;
	if (!c || !c->cert || (der && with_chain))
		return -1;
	if (der) {
		dlen = i2d_X509(c->cert, NULL);
		if (dlen <= 0)
			goto out;
		buf = malloc((size_t)dlen);
		if (!buf)
			goto out;
		p = buf;
		if (i2d_X509(c->cert, &p) != dlen)
			goto out;
		*len = (size_t)dlen;
	} else {
		bio = BIO_new(BIO_s_mem());
		if (!bio || PEM_write_bio_X509(bio, c->cert) != 1)
			goto out;
		for (int i = 0; with_chain && c->chain && i < sk_X509_num(c->chain); i++)
			if (PEM_write_bio_X509(bio, sk_X509_value(c->chain, i)) != 1)
				goto out;
		n = BIO_get_mem_data(bio, &data);
		if (n <= 0)
			goto out;
		buf = malloc((size_t)n);
		if (!buf)
			goto out;
		memcpy(buf, data, (size_t)n);
		*len = (size_t)n;
	}
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int certstore_export(const struct certstore_candidate *c, bool der,
		     unsigned char **out, size_t *len)
{
	return certstore_export_ex(c, der, false, out, len);
}

void certstore_iso8601(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!buf || len == 0)
		return;
	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}
