#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

#define CLOCK_RERANK_SECONDS 60

static time_t real_clock(void)
{
	return time(NULL);
}

static void notify_change(struct control *ctl)
{
	ctl->snapshot_version++;
	if (ctl->on_change)
		ctl->on_change(ctl, ctl->on_change_ctx);
}

int control_open(struct control *ctl, const char *config_path, char *err, size_t errlen)
{
	struct config *cfg = NULL;
	int rc;

	memset(ctl, 0, sizeof(*ctl));
	ctl->ev.fd = -1;
	ctl->clock = real_clock;
	ctl->ev.clock = real_clock;
	if (snprintf(ctl->config_path, sizeof(ctl->config_path), "%s", config_path) >=
	    (int)sizeof(ctl->config_path)) {
		snprintf(err, errlen, "%s: path too long", config_path);
		return -1;
	}
	if (config_load(config_path, &cfg, err, errlen) < 0)
		return -1;
	ctl->cfg = cfg;
	policy_resolve(cfg, &ctl->policy);
	rc = events_open(&ctl->ev, cfg->server.state_dir, true);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot open event log: %s", cfg->server.state_dir,
			 strerror(-rc));
		goto fail;
	}
	snprintf(ctl->expiry_path, sizeof(ctl->expiry_path), "%s/expiry.json",
		 cfg->server.state_dir);
	rc = expiry_state_load(ctl->expiry_path, &ctl->expiry);
	if (rc < 0)
		fprintf(stderr, "umedge-control: %s: %s (starting with no expiry history)\n",
			ctl->expiry_path, strerror(-rc));
	ctl->rejected = json_object();
	if (!ctl->rejected) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	events_emitf(&ctl->ev, UMEDGE_EV_ControlStarted, "{s:s, s:s}", "config", config_path,
		     "fqdn", cfg->server.fqdn);
	if (control_cert_refresh(ctl, CERTSTORE_TRIGGER_STARTUP, err, errlen) < 0)
		goto fail;
	ctl->next_clock_rank = ctl->clock() + CLOCK_RERANK_SECONDS;
	ctl->snapshot_version = 1;
	return 0;
fail:
	control_close(ctl);
	return -1;
}

void control_close(struct control *ctl)
{
	events_close(&ctl->ev);
	config_free(ctl->cfg);
	ctl->cfg = NULL;
	control_cert_release(&ctl->cert);
	free(ctl->trust_pem);
	ctl->trust_pem = NULL;
	json_decref(ctl->rejected);
	ctl->rejected = NULL;
	json_decref(ctl->dp_stats);
	ctl->dp_stats = NULL;
}

int control_apply(struct control *ctl, struct config *next, const char *origin, bool persist,
		  char *err, size_t errlen)
{
	struct config *old = ctl->cfg;
	bool certs_moved;
	int rc;

	if (config_validate(next, err, errlen) < 0)
		goto reject;
	if (persist && config_save(next, ctl->config_path, err, errlen) < 0)
		goto reject;
	certs_moved = strcmp(old->certificates.store, next->certificates.store) != 0 ||
		      strcmp(old->certificates.trust, next->certificates.trust) != 0;
	ctl->cfg = next;
	policy_resolve(next, &ctl->policy);
	events_emitf(&ctl->ev, UMEDGE_EV_ConfigChanged, "{s:s, s:b}", "origin", origin,
		     "persisted", persist);
	policy_diff(old, next, &ctl->ev);
	config_free(old);
	if (certs_moved) {
		char cerr[CONFIG_ERR_MAX];

		ctl->fp_known = false;
		rc = control_cert_refresh(ctl, CERTSTORE_TRIGGER_STORE_CHANGED, cerr, sizeof(cerr));
		if (rc < 0)
			fprintf(stderr, "umedge-control: %s\n", cerr);
	}
	notify_change(ctl);
	return 0;
reject:
	ctl->n_rejected++;
	events_emitf(&ctl->ev, UMEDGE_EV_ConfigRejected, "{s:s, s:s}", "origin", origin,
		     "reason", err);
	config_free(next);
	return -1;
}

int control_reload(struct control *ctl, char *err, size_t errlen)
{
	struct config *next = NULL;

	if (config_load(ctl->config_path, &next, err, errlen) < 0) {
		ctl->n_rejected++;
		events_emitf(&ctl->ev, UMEDGE_EV_ConfigRejected, "{s:s, s:s}", "origin",
			     "config reload", "reason", err);
		return -1;
	}
	/* The file is the source: nothing to persist. */
	return control_apply(ctl, next, "config reload", false, err, errlen);
}

void control_tick(struct control *ctl)
{
	time_t now = ctl->clock();
	uint64_t sfp = 0, tfp = 0;
	char err[CONFIG_ERR_MAX];
	int rs, rt;

	rs = certstore_dir_fingerprint(ctl->cfg->certificates.store, &sfp);
	rt = certstore_dir_fingerprint(ctl->cfg->certificates.trust, &tfp);
	/* A missing folder fingerprints as an error: treat it as "empty". */
	if (rs < 0)
		sfp = 0;
	if (rt < 0)
		tfp = 0;
	if (ctl->fp_known && (sfp != ctl->store_fp || tfp != ctl->trust_fp)) {
		if (control_cert_refresh(ctl, CERTSTORE_TRIGGER_STORE_CHANGED, err, sizeof(err)) < 0)
			fprintf(stderr, "umedge-control: %s\n", err);
	} else if (now >= ctl->next_clock_rank ||
		   (ctl->cert.present && now >= ctl->cert.not_after && !ctl->cert.expiry_reranked)) {
		/* Time moved on, or the certificate in use just expired: re-rank. */
		if (control_cert_refresh(ctl, CERTSTORE_TRIGGER_CLOCK, err, sizeof(err)) < 0)
			fprintf(stderr, "umedge-control: %s\n", err);
	}
	control_expiry_check(ctl);
}

json_t *control_status_json(const struct control *ctl)
{
	json_t *dp;

	if (ctl->dp_stats) {
		dp = json_deep_copy(ctl->dp_stats);
		json_object_set_new(dp, "connected", json_boolean(ctl->dp_connected));
	} else {
		dp = json_pack("{s:b}", "connected", ctl->dp_connected);
	}
	return json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:I, s:o}", "fqdn", ctl->cfg->server.fqdn,
			 "config", ctl->config_path, "start_secured", ctl->cfg->server.start_secured,
			 "listeners", policy_listeners_json(ctl->cfg, &ctl->policy), "certificate",
			 control_cert_json(ctl), "dial_plans", policy_dial_plans_json(ctl->cfg),
			 "snapshot_version", (json_int_t)ctl->snapshot_version, "dataplane", dp);
}
