/* Policy: what the security modes of the associated dial plans require of
 * the dataplane (listeners), and what changed between two configurations. */
#ifndef UMEDGE_POLICY_H
#define UMEDGE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "umedge/config.h"
#include "events.h"

struct policy_listener {
	bool enabled;
	enum umedge_transport transport;
	uint16_t port;
	/* Indices into config->dial_plans of the associated dial plans served
	 * here; empty when start_secured decided. */
	size_t plans[64];
	size_t n_plans;
	bool by_start_secured; /* opened because no dial plan is associated */
};

struct policy {
	struct policy_listener listeners[UMEDGE_TRANSPORT_COUNT]; /* by transport */
	bool any_associated;
};

/* The effective mode of a dial plan for this server: its own mode. The mode
 * used when nothing is associated comes from start_secured. */
enum umedge_security policy_default_mode(const struct config *c);

/* Resolve listeners: TLS 5061 when any associated dial plan is sip_secured
 * or secured; UDP and TCP 5060 when any is unsecured; with none associated,
 * start_secured 1 opens TLS 5061 (secured), 0 opens UDP and TCP 5060. */
void policy_resolve(const struct config *c, struct policy *p);

/* status.listeners: [{transport, port, dial_plans: [...]}] (new reference). */
json_t *policy_listeners_json(const struct config *c, const struct policy *p);

/* status.dial_plans: [{name, voip_security, associated, srtp_suites}]. */
json_t *policy_dial_plans_json(const struct config *c);
json_t *policy_dial_plan_json(const struct config *c, const struct config_dial_plan *dp);

/* Emit SecurityModeChanged / DialPlanAssociationChanged for every
 * difference between old and new (old may be NULL: nothing emitted).
 * Returns how many events were emitted. */
int policy_diff(const struct config *old_cfg, const struct config *new_cfg,
		struct events_log *log);

#endif
