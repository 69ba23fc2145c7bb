/* The certificate half of the control state: rescans, selection, the
 * certificate in use, expiry events. */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "fsutil.h"

#define CLOCK_RERANK_SECONDS 60

void control_cert_release(struct control_cert *cert)
{
	X509_free(cert->x509);
	sk_X509_pop_free(cert->chain, X509_free);
	free(cert->cert_pem);
	if (cert->key_pem) {
		OPENSSL_cleanse(cert->key_pem, strlen(cert->key_pem));
		free(cert->key_pem);
	}
	memset(cert, 0, sizeof(*cert));
}

static char *bio_to_string(BIO *bio)
{
	char *data, *s;
	long len = BIO_get_mem_data(bio, &data);

	if (len < 0)
		return NULL;
	s = malloc((size_t)len + 1);
	if (!s)
		return NULL;
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	return s;
}

/* Fill a control_cert from a candidate: PEM of leaf+chain and of the key. */
static int cert_take(struct control_cert *dst, const struct certstore_candidate *c,
		     const char *why)
{
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_secmem());
	int rc = -1;

	memset(dst, 0, sizeof(*dst));
	if (!cb || !kb)
		goto out;
	if (!PEM_write_bio_X509(cb, c->cert))
		goto out;
	for (int i = 0; c->chain && i < sk_X509_num(c->chain); i++)
		if (!PEM_write_bio_X509(cb, sk_X509_value(c->chain, i)))
			goto out;
	if (!PEM_write_bio_PrivateKey(kb, c->key, NULL, NULL, 0, NULL, NULL))
		goto out;
	dst->cert_pem = bio_to_string(cb);
	dst->key_pem = bio_to_string(kb);
	if (!dst->cert_pem || !dst->key_pem)
		goto out;
	if (!X509_up_ref(c->cert))
		goto out;
	dst->x509 = c->cert;
	dst->chain = c->chain ? X509_chain_up_ref(c->chain) : sk_X509_new_null();
	if (!dst->chain)
		goto out;
	dst->present = true;
	snprintf(dst->path, sizeof(dst->path), "%s", c->path);
	memcpy(dst->thumbprint, c->thumbprint, sizeof(dst->thumbprint));
	memcpy(dst->subject, c->subject, sizeof(dst->subject));
	memcpy(dst->issuer, c->issuer, sizeof(dst->issuer));
	memcpy(dst->serial, c->serial, sizeof(dst->serial));
	dst->not_before = c->not_before;
	dst->not_after = c->not_after;
	dst->kind = c->kind;
	snprintf(dst->why, sizeof(dst->why), "%s", why);
	rc = 0;
out:
	BIO_free(cb);
	BIO_free(kb);
	if (rc < 0)
		control_cert_release(dst);
	return rc;
}

static const char *kind_name(enum certstore_kind k)
{
	return k == CERTSTORE_SELF_SIGNED ? "self-signed" : "pki";
}

static json_t *cert_fields(const struct control_cert *c)
{
	char nb[32], na[32];

	certstore_iso8601(c->not_before, nb, sizeof(nb));
	certstore_iso8601(c->not_after, na, sizeof(na));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "subject", c->subject,
			 "issuer", c->issuer, "serial", c->serial, "thumbprint_sha1",
			 c->thumbprint, "not_before", nb, "not_after", na, "kind",
			 kind_name(c->kind), "path", c->path, "reason", c->why);
}

json_t *control_cert_json(const struct control *ctl)
{
	if (!ctl->cert.present)
		return json_null();
	return cert_fields(&ctl->cert);
}

static void count_valid(const struct certstore *s, size_t *n_valid)
{
	*n_valid = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->cands[i].valid)
			(*n_valid)++;
}

static void why_chosen(const struct certstore *s, const struct certstore_candidate *c,
		       enum certstore_trigger trigger, bool generated, char *buf, size_t len)
{
	size_t n_valid;

	count_valid(s, &n_valid);
	if (generated) {
		snprintf(buf, len, "no valid certificate in the store at %s: generated self-signed",
			 trigger == CERTSTORE_TRIGGER_STARTUP ? "start-up" : "store change");
		return;
	}
	snprintf(buf, len, "rank 1 of %zu valid: %s, latest expiry first", n_valid,
		 c->kind == CERTSTORE_PKI ? "CA-issued before self-signed"
					  : "self-signed (no valid CA-issued certificate)");
}

/* Report invalid candidates once per (path, thumbprint, reason). */
static void report_rejected(struct control *ctl, const struct certstore *s)
{
	json_t *seen = json_object();

	if (!seen)
		return;
	for (size_t i = 0; i < s->n; i++) {
		const struct certstore_candidate *c = &s->cands[i];
		char key[1400];

		if (c->valid)
			continue;
		snprintf(key, sizeof(key), "%s|%s|%s", c->path, c->thumbprint, c->reason);
		json_object_set_new(seen, key, json_true());
		if (json_object_get(ctl->rejected, key))
			continue;
		events_emitf(&ctl->ev, UMEDGE_EV_CertificateRejected, "{s:s, s:s, s:s, s:s}", "path",
			     c->path, "reason", c->reason, "thumbprint_sha1", c->thumbprint,
			     "subject", c->subject);
	}
	json_decref(ctl->rejected);
	ctl->rejected = seen;
}

static void emit_in_use(struct control *ctl, const struct control_cert *old)
{
	json_t *f = cert_fields(&ctl->cert);

	events_emit(&ctl->ev, UMEDGE_EV_CertificateSelected, json_deep_copy(f));
	if (old && old->present) {
		json_object_set_new(f, "old_thumbprint_sha1", json_string(old->thumbprint));
		json_object_set_new(f, "old_subject", json_string(old->subject));
		json_object_set_new(f, "old_serial", json_string(old->serial));
		events_emit(&ctl->ev, UMEDGE_EV_CertificateChanged, f);
	} else {
		json_decref(f);
	}
}

int control_cert_refresh(struct control *ctl, enum certstore_trigger trigger, char *err,
			 size_t errlen)
{
	const struct config_certificates *cc = &ctl->cfg->certificates;
	struct certstore *s = NULL;
	const struct certstore_candidate *chosen = NULL;
	struct control_cert next, old;
	enum certstore_action action;
	time_t now = ctl->clock();
	bool generated = false, changed = false;
	char why[200];
	char *trust = NULL;
	int rc = -1;

	/* Remember what we looked at, so the tick only reacts to new changes. */
	if (certstore_dir_fingerprint(cc->store, &ctl->store_fp) < 0)
		ctl->store_fp = 0;
	if (certstore_dir_fingerprint(cc->trust, &ctl->trust_fp) < 0)
		ctl->trust_fp = 0;
	ctl->fp_known = true;
	ctl->next_clock_rank = now + CLOCK_RERANK_SECONDS;
	if (ctl->cert.present && now >= ctl->cert.not_after)
		ctl->cert.expiry_reranked = true;

	if (fsutil_mkdir_p(cc->store, 0700) < 0) {
		snprintf(err, errlen, "%s: cannot create the certificate store", cc->store);
		goto out;
	}
	if (certstore_scan(cc->store, cc->trust, now, &s, err, errlen) < 0)
		goto out;
	report_rejected(ctl, s);
	action = certstore_select(s, ctl->cert.present ? ctl->cert.thumbprint : NULL, trigger,
				  &chosen);
	if (action == CERTSTORE_GENERATE) {
		char path[1100];

		if (certstore_generate_self_signed(cc->store, ctl->cfg->server.fqdn,
						   cc->self_signed_key, cc->self_signed_days, now,
						   path, sizeof(path), err, errlen) < 0)
			goto out;
		certstore_free(s);
		s = NULL;
		if (certstore_scan(cc->store, cc->trust, now, &s, err, errlen) < 0)
			goto out;
		chosen = certstore_best(s);
		if (!chosen) {
			snprintf(err, errlen, "%s: the generated certificate is not valid", path);
			goto out;
		}
		generated = true;
		events_emitf(&ctl->ev, UMEDGE_EV_SelfSignedCertificateGenerated,
			     "{s:s, s:s, s:s, s:s, s:i}", "path", path, "subject",
			     chosen->subject, "thumbprint_sha1", chosen->thumbprint, "key",
			     umedge_key_type_name(cc->self_signed_key), "days",
			     cc->self_signed_days);
		/* The store changed under us; don't treat our own write as news. */
		if (certstore_dir_fingerprint(cc->store, &ctl->store_fp) < 0)
			ctl->store_fp = 0;
	}
	if (control_trust_bundle(cc->trust, &trust) == 0) {
		/* Trust changes matter to the dataplane (peer verification). */
		changed = !ctl->trust_pem || strcmp(trust, ctl->trust_pem) != 0;
		free(ctl->trust_pem);
		ctl->trust_pem = trust;
		trust = NULL;
	}
	if (action != CERTSTORE_KEEP_CURRENT && chosen &&
	    (!ctl->cert.present || strcmp(chosen->thumbprint, ctl->cert.thumbprint) != 0)) {
		why_chosen(s, chosen, trigger, generated, why, sizeof(why));
		if (cert_take(&next, chosen, why) < 0) {
			snprintf(err, errlen, "%s: cannot load the certificate for use", chosen->path);
			goto out;
		}
		old = ctl->cert;
		ctl->cert = next;
		emit_in_use(ctl, &old);
		control_cert_release(&old);
		control_expiry_check(ctl);
		changed = true;
	}
	/* Start-up has no snapshot yet (version 0): the first push carries it. */
	if (changed && ctl->snapshot_version > 0) {
		ctl->snapshot_version++;
		if (ctl->on_change)
			ctl->on_change(ctl, ctl->on_change_ctx);
	}
	rc = 0;
out:
	free(trust);
	certstore_free(s);
	return rc;
}

void control_expiry_check(struct control *ctl)
{
	const struct control_cert *c = &ctl->cert;
	char na[32];
	int days = 0, rc;
	enum expiry_event e;

	if (!c->present)
		return;
	e = expiry_check(&ctl->expiry, c->thumbprint, c->not_after, ctl->clock(),
			 ctl->cfg->certificates.expiry_warning_days, &days);
	if (e == EXPIRY_NONE)
		return;
	certstore_iso8601(c->not_after, na, sizeof(na));
	if (e == EXPIRY_SOON)
		events_emitf(&ctl->ev, UMEDGE_EV_CertificateExpiringSoon,
			     "{s:i, s:s, s:s, s:s, s:s}", "days_left", days, "not_after", na,
			     "thumbprint_sha1", c->thumbprint, "subject", c->subject, "path",
			     c->path);
	else
		events_emitf(&ctl->ev, UMEDGE_EV_CertificateExpired, "{s:i, s:s, s:s, s:s, s:s}",
			     "days_expired", days, "not_after", na, "thumbprint_sha1",
			     c->thumbprint, "subject", c->subject, "path", c->path);
	rc = expiry_state_save(ctl->expiry_path, &ctl->expiry);
	if (rc < 0)
		fprintf(stderr, "umedge-control: %s: %s\n", ctl->expiry_path, strerror(-rc));
}

json_t *control_cert_list_json(const struct control *ctl, char *err, size_t errlen)
{
	const struct config_certificates *cc = &ctl->cfg->certificates;
	struct certstore *s = NULL;
	json_t *arr;

	if (certstore_scan(cc->store, cc->trust, ctl->clock(), &s, err, errlen) < 0)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < s->n; i++) {
		const struct certstore_candidate *c = &s->cands[i];
		char na[32];

		certstore_iso8601(c->not_after, na, sizeof(na));
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:o, s:b}", "path",
				       c->path, "thumbprint_sha1", c->thumbprint, "kind",
				       kind_name(c->kind), "subject", c->subject, "not_after",
				       c->cert ? na : "", "valid", c->valid, "reason",
				       c->valid ? NULL : c->reason, "rank",
				       c->valid ? json_integer(c->rank) : json_null(), "in_use",
				       ctl->cert.present &&
					       strcmp(c->thumbprint, ctl->cert.thumbprint) == 0));
	}
	certstore_free(s);
	return arr;
}
