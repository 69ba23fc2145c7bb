/* The control daemon's state and its transitions: the running
 * configuration, the certificate in use, expiry bookkeeping and the snapshot
 * version. Everything the CLI can change goes through here, so each change
 * is validated, persisted, evented and pushed in one place. Single-threaded:
 * only the server loop calls in. */
#ifndef UMEDGE_STATE_H
#define UMEDGE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "umedge/config.h"
#include "certstore.h"
#include "events.h"
#include "expiry.h"
#include "policy.h"

/* The certificate in use: a copy, so a rescan never pulls it away. */
struct control_cert {
	bool present;
	char path[1024];
	char thumbprint[CERTSTORE_THUMB_HEX];
	char subject[CERTSTORE_NAME_MAX];
	char issuer[CERTSTORE_NAME_MAX];
	char serial[CERTSTORE_SERIAL_MAX];
	time_t not_before, not_after;
	enum certstore_kind kind;
	char why[200];       /* why it was chosen */
	X509 *x509;          /* owned reference */
	STACK_OF(X509) *chain; /* owned */
	char *cert_pem;      /* leaf then chain, for snapshots */
	char *key_pem;       /* secret: wiped on release, never logged */
	bool expiry_reranked; /* the re-rank at not_after has been done */
};

struct control {
	char config_path[CONFIG_PATH_MAX];
	struct config *cfg;          /* running configuration (owned) */
	struct policy policy;        /* resolved from cfg */
	struct events_log ev;
	struct control_cert cert;
	char *trust_pem;             /* trust folder bundle for snapshots */
	json_t *rejected;            /* "path|thumb|reason" already reported */
	uint64_t store_fp, trust_fp;
	bool fp_known;
	struct expiry_state expiry;
	char expiry_path[CONFIG_PATH_MAX + 32];
	time_t next_clock_rank;
	uint64_t snapshot_version;
	time_t (*clock)(void);
	/* Called after every change that alters the snapshot. */
	void (*on_change)(struct control *ctl, void *ctx);
	void *on_change_ctx;
	/* Last stats the dataplane notified (owned), and whether it is there. */
	json_t *dp_stats;
	bool dp_connected;
	uint64_t n_rejected; /* ConfigRejected events emitted so far */
};

/* Load the configuration, open the event log, select the certificate
 * (generating one if nothing is valid). 0, or -1 with err set. */
int control_open(struct control *ctl, const char *config_path, char *err, size_t errlen);
void control_close(struct control *ctl);

/* Replace the running configuration with next (taken, freed on failure).
 * Validates; when persist, writes the file atomically first. Emits
 * ConfigRejected on failure (running state and file untouched), else
 * ConfigChanged plus mode/association events, and pushes a snapshot.
 * 0 or -1 with err set. */
int control_apply(struct control *ctl, struct config *next, const char *origin, bool persist,
		  char *err, size_t errlen);

/* Re-read the configuration file (`config reload`). */
int control_reload(struct control *ctl, char *err, size_t errlen);

/* Rescan the store and apply the selection rules. 0 or -1 with err. */
int control_cert_refresh(struct control *ctl, enum certstore_trigger trigger, char *err,
			 size_t errlen);

/* Once a second: notice store/trust changes, re-rank as time passes, raise
 * expiry events. */
void control_tick(struct control *ctl);

/* Internal to the state module (state.c, state_cert.c, snapshot.c). */
void control_cert_release(struct control_cert *cert);
void control_expiry_check(struct control *ctl);
int control_trust_bundle(const char *trust_dir, char **pem_out);

json_t *control_status_json(const struct control *ctl);
json_t *control_cert_json(const struct control *ctl);
/* Candidates as `cert list` shows them (new reference) or NULL with err. */
json_t *control_cert_list_json(const struct control *ctl, char *err, size_t errlen);
/* The complete snapshot for the dataplane (contains the private key). */
json_t *control_snapshot_json(const struct control *ctl);

#endif
