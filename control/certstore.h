/* The certificate store: candidates loaded from the store folder, checked
 * against the trust folder, ranked, and the self-signed fallback.
 * Pure with respect to time: every function takes `now`, so tests inject
 * the clock. See design "Certificates", points 1 to 3 and 7. */
#ifndef UMEDGE_CERTSTORE_H
#define UMEDGE_CERTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "umedge/modes.h"

#define CERTSTORE_THUMB_HEX 41   /* SHA-1, 40 hex digits + NUL */
#define CERTSTORE_REASON_MAX 160
#define CERTSTORE_NAME_MAX 512   /* one-line RFC 2253 DN */
#define CERTSTORE_SERIAL_MAX 80  /* hex of up to 20 bytes (RFC 5280), + slack */
#define CERTSTORE_MAX_FILE (1u << 20) /* a store file larger than this is rejected */

enum certstore_kind {
	CERTSTORE_PKI = 0,         /* CA-issued: chains to the trust folder */
	CERTSTORE_SELF_SIGNED,
};

/* One store file and what was found in it. Owns its OpenSSL objects. */
struct certstore_candidate {
	char path[1024];           /* certificate file */
	char key_path[1024];       /* where the key was found ("" if none) */
	X509 *cert;                /* leaf; NULL when the file could not be read */
	STACK_OF(X509) *chain;     /* intermediates after the leaf, may be empty */
	EVP_PKEY *key;             /* NULL when none was found */
	char subject[CERTSTORE_NAME_MAX];
	char issuer[CERTSTORE_NAME_MAX];
	char serial[CERTSTORE_SERIAL_MAX];       /* upper-case hex, no separators */
	char thumbprint[CERTSTORE_THUMB_HEX];    /* SHA-1 of DER, lower-case hex */
	time_t not_before, not_after;
	enum certstore_kind kind;  /* self-signed: issued by itself and its own key verifies it */
	bool valid;
	/* Why not valid; "" when valid. Date problems lead ("expired",
	 * "not yet valid", then "; " and any other problem), e.g.
	 * "untrusted issuer: <OpenSSL verify error>",
	 * "EKU lacks serverAuth/clientAuth", "private key is encrypted". */
	char reason[CERTSTORE_REASON_MAX];
	/* Invalid for no reason but being past not_after (now >= not_after,
	 * the same boundary expiry.c uses). */
	bool expired_only;
	int rank;                  /* 1 = best valid; 0 = invalid */
};

struct certstore {
	struct certstore_candidate *cands; /* sorted: valid by rank, then invalid by path */
	size_t n;
};

/* Load every *.pem / *.crt file of store_dir (key in the same file or in
 * STEM.key), validate each against the trust folder (roots and pinned
 * certificates in *.pem / *.crt) at time now, and rank the valid ones:
 * PKI before self-signed, then latest not_after first, then path.
 * Files that fail are kept as invalid candidates with a reason.
 * A missing store folder is an empty store (start-up then generates); a
 * missing or unreadable trust folder trusts nothing (PKI candidates fail).
 * Dot files and non-regular files are ignored.
 * Returns 0, or -1 with err set when the store folder itself can't be read. */
int certstore_scan(const char *store_dir, const char *trust_dir, time_t now,
		   struct certstore **out, char *err, size_t errlen);

void certstore_free(struct certstore *s);

/* The rank-1 candidate, or NULL when none is valid. */
const struct certstore_candidate *certstore_best(const struct certstore *s);

/* Candidate with this thumbprint, or NULL. */
const struct certstore_candidate *certstore_find(const struct certstore *s,
						 const char *thumbprint);

/* Generate a self-signed certificate for fqdn (subject CN and SAN dNSName),
 * valid from now-1h for `days`, serverAuth+clientAuth EKU, and write it into
 * store_dir as umedge-self-signed-YYYYmmddTHHMMSSZ.crt (0644) with the key
 * beside it as .key (0600), both atomically. path_out gets the .crt path. */
int certstore_generate_self_signed(const char *store_dir, const char *fqdn,
				   enum umedge_key_type key_type, int days, time_t now,
				   char *path_out, size_t path_len, char *err, size_t errlen);

/* A cheap fingerprint of a folder's listing (names, sizes, mtimes, inodes of
 * *.pem, *.crt, *.key), to notice changes by polling. Returns 0 or -errno. */
int certstore_dir_fingerprint(const char *dir, uint64_t *out);

/* PEM or DER of the leaf alone (no key, no chain: what a gateway pins or
 * imports), malloc'd, free() it. 0 or -1. */
int certstore_export(const struct certstore_candidate *c, bool der,
		     unsigned char **out, size_t *len);

/* As certstore_export; with_chain appends the intermediates (PEM only:
 * DER holds one certificate, so der && with_chain fails). */
int certstore_export_ex(const struct certstore_candidate *c, bool der, bool with_chain,
			unsigned char **out, size_t *len);

/* ISO 8601 UTC ("2026-11-26T12:00:00Z") of t into buf (>= 21 bytes). */
void certstore_iso8601(time_t t, char *buf, size_t len);

/* Selection (design point 5): what to put in use.
 *  - a valid candidate exists: the best one;
 *  - none, but the one in use (current_thumb) is still in the store and only
 *    expired, and this is not start-up nor a store change: keep it;
 *  - otherwise, at start-up or after a store change: generate self-signed;
 *  - otherwise keep whatever is in use.
 * *chosen: the candidate to use (USE), the one in use when it is still in
 * the store (KEEP_CURRENT, else NULL), NULL for GENERATE. */
enum certstore_trigger {
	CERTSTORE_TRIGGER_STARTUP = 0,
	CERTSTORE_TRIGGER_STORE_CHANGED, /* store or trust folder changed, or `cert reload` */
	CERTSTORE_TRIGGER_CLOCK,         /* periodic re-rank: time moved on */
};

enum certstore_action {
	CERTSTORE_USE = 0,      /* use *chosen (may equal the current one) */
	CERTSTORE_KEEP_CURRENT, /* nothing valid; keep what is in use (maybe expired) */
	CERTSTORE_GENERATE,     /* nothing valid: generate self-signed, rescan, use */
};

enum certstore_action certstore_select(const struct certstore *s, const char *current_thumb,
				       enum certstore_trigger trigger,
				       const struct certstore_candidate **chosen);

/* --- Between the module's files (certstore.c, certstore_check.c) and tests --- */

/* Load every certificate of the *.pem / *.crt files of trust_dir into a new
 * store (roots, and pinned certificates accepted as partial-chain anchors).
 * A missing or NULL folder gives an empty store. NULL only on allocation
 * failure. Caller frees with X509_STORE_free. */
X509_STORE *certstore_trust_load(const char *trust_dir);

/* Decide kind, valid, reason and expired_only of a loaded candidate at now
 * (design point 1). c->cert may be NULL (then it stays invalid with the
 * reason the loader gave). Does not touch rank. */
void certstore_check_candidate(struct certstore_candidate *c, X509_STORE *trust, time_t now);

/* Full paths of the regular *.pem / *.crt files of dir (dot files skipped),
 * sorted, malloc'd; free with certstore_list_free. 0 or -errno. */
int certstore_list_dir(const char *dir, char ***paths, size_t *n);
void certstore_list_free(char **paths, size_t n);

/* qsort order of the store: valid ones by ranking (PKI first, later
 * not_after first, then path), then invalid ones by path. */
int certstore_rank_compare(const void *a, const void *b);

#endif
