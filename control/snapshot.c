/* The snapshot pushed to the dataplane: complete, versioned, built from the
 * running state only (ctlproto.h documents the shape). */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "fsutil.h"

#define TRUST_BUNDLE_MAX (4u << 20)

static int is_cert_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && len > 4 &&
	       (strcmp(n + len - 4, ".pem") == 0 || strcmp(n + len - 4, ".crt") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every certificate of the trust folder, re-encoded as PEM (so keys or junk
 * in those files never travel), in name order. A missing folder is empty. */
int control_trust_bundle(const char *trust_dir, char **pem_out)
{
	DIR *d = opendir(trust_dir);
	BIO *out = BIO_new(BIO_s_mem());
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	char *data;
	long len;
	int rc = -ENOMEM;

	if (!out)
		goto out;
	while (d && (de = readdir(d))) {
		if (!is_cert_name(de->d_name))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(names, ncap * sizeof(*nn));
			if (!nn)
				goto out;
			names = nn;
			cap = ncap;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto out;
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[2048];
		BIO *in;
		X509 *x;

		snprintf(path, sizeof(path), "%s/%s", trust_dir, names[i]);
		in = BIO_new_file(path, "r");
		if (!in)
			continue;
		while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL))) {
			PEM_write_bio_X509(out, x);
			X509_free(x);
			if (BIO_pending(out) > (int)TRUST_BUNDLE_MAX)
				break;
		}
		BIO_free(in);
	}
	len = BIO_get_mem_data(out, &data);
	*pem_out = malloc((size_t)len + 1);
	if (!*pem_out)
		goto out;
	if (len > 0)
		memcpy(*pem_out, data, (size_t)len); /* an empty trust/ gives no data */
	(*pem_out)[len] = '\0';
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
	BIO_free(out);
	return rc;
}

static json_t *gateways_json(const struct config *c)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < c->n_gateways; i++) {
		const struct config_gateway *g = &c->gateways[i];
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s}", "name", g->name,
						     "address", g->address, "port", g->port, "fqdn",
						     g->fqdn));
	}
	return arr;
}

static json_t *hunt_groups_json(const struct config *c)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < c->n_hunt_groups; i++) {
		const struct config_hunt_group *h = &c->hunt_groups[i];
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "gateway", h->gateway,
						     "pilot", h->pilot, "dial_plan", h->dial_plan));
	}
	return arr;
}

static json_t *application_json(const struct config *c)
{
	const struct config_application *a = &c->application;

	if (!a->present)
		return json_null();
	return json_pack("{s:s, s:i, s:s}", "address", a->address, "port", a->port, "transport",
			 umedge_transport_name(a->transport));
}

json_t *control_snapshot_json(const struct control *ctl)
{
	const struct control_cert *cert = &ctl->cert;
	json_t *cj = json_null();

	if (cert->present)
		cj = json_pack("{s:s, s:s, s:s}", "thumbprint_sha1", cert->thumbprint, "cert_pem",
			       cert->cert_pem, "key_pem", cert->key_pem);
	return json_pack("{s:I, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "version",
			 (json_int_t)ctl->snapshot_version, "fqdn", ctl->cfg->server.fqdn,
			 "start_secured", ctl->cfg->server.start_secured, "listeners",
			 policy_listeners_json(ctl->cfg, &ctl->policy), "dial_plans",
			 policy_dial_plans_json(ctl->cfg), "gateways", gateways_json(ctl->cfg),
			 "hunt_groups", hunt_groups_json(ctl->cfg), "application",
			 application_json(ctl->cfg), "certificate", cj, "trust_pem",
			 ctl->trust_pem ? ctl->trust_pem : "");
}
