#include "probe_args.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "media_args.h"
#include "policy.h"

/* The gateway's dial plans (through its hunt groups) as
 * [{dial_plan, voip_security, associated}], and whether any associated one
 * wants TLS, or wants UDP/TCP. */
static json_t *dial_plans(const struct config *cfg, const char *gw, bool *tls, bool *plain,
			  const struct config_dial_plan **srtp)
{
	json_t *out = json_array();

	*tls = *plain = false;
	*srtp = NULL;
	for (size_t i = 0; out != NULL && i < cfg->n_hunt_groups; i++) {
		const struct config_hunt_group *hg = &cfg->hunt_groups[i];
		const struct config_dial_plan *dp;
		bool assoc, seen = false;
		size_t k;
		json_t *e;

		if (strcmp(hg->gateway, gw) != 0)
			continue;
		dp = config_find_dial_plan(cfg, hg->dial_plan);
		if (dp == NULL)
			continue;
		json_array_foreach(out, k, e)
			seen |= strcmp(json_string_value(json_object_get(e, "dial_plan")),
				       dp->name) == 0;
		if (seen)
			continue;
		assoc = config_dial_plan_associated(cfg, dp->name);
		if (assoc && dp->security == UMEDGE_SEC_UNSECURED)
			*plain = true;
		else if (assoc)
			*tls = true;
		if (assoc && dp->security == UMEDGE_SEC_SECURED && *srtp == NULL)
			*srtp = dp; /* the first secured plan's suites for a test call */
		json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "dial_plan", dp->name,
						     "voip_security",
						     umedge_security_name(dp->security),
						     "associated", assoc));
	}
	return out;
}

/* --local TRANSPORT: our own listener, from our own external address
 * (the dataplane loops the packets back through its stack). */
static json_t *local_options(const struct config *cfg, const char *t, const json_t *tmo,
			     char *err, size_t errlen)
{
	struct policy pol;
	const struct policy_listener *l;
	enum umedge_transport tr;
	json_t *plans;

	if (strcmp(t, "udp") == 0)
		tr = UMEDGE_TRANSPORT_UDP;
	else if (strcmp(t, "tcp") == 0)
		tr = UMEDGE_TRANSPORT_TCP;
	else if (strcmp(t, "tls") == 0)
		tr = UMEDGE_TRANSPORT_TLS;
	else {
		snprintf(err, errlen, "--local is udp, tcp or tls, not '%s'", t);
		return NULL;
	}
	if (!cfg->dataplane.present) {
		snprintf(err, errlen, "the configuration has no dataplane: section");
		return NULL;
	}
	policy_resolve(cfg, &pol);
	l = &pol.listeners[tr];
	if (!l->enabled) {
		snprintf(err, errlen, "no %s listener is open: no associated dial plan's mode (or "
			 "start_secured) asks for one", t);
		return NULL;
	}
	plans = json_array();
	for (size_t i = 0; plans != NULL && i < l->n_plans; i++)
		json_array_append_new(plans, json_string(cfg->dial_plans[l->plans[i]].name));
	return json_pack("{s:s, s:s, s:i, s:s, s:i, s:{s:b, s:s, s:i, s:o*, s:b}}",
			 "transport", t, "addr", cfg->dataplane.external.address,
			 "port", (int)l->port, "fqdn", cfg->server.fqdn,
			 "timeout_ms", tmo != NULL ? (int)json_integer_value(tmo) * 1000 : 8000,
			 "context", "local", 1, "listener", t, "port", (int)l->port,
			 "dial_plans", plans, "by_start_secured", l->by_start_secured);
}

json_t *probe_args_options(const struct config *cfg, const json_t *args, char *err,
			   size_t errlen)
{
	static const char *const known[] = { "gateway", "secured", "timeout", "local", "phone",
					     "seconds", NULL };
	const char *phone = json_string_value(json_object_get(args, "phone"));
	const json_t *secs = json_object_get(args, "seconds");
	const char *local = json_string_value(json_object_get(args, "local"));
	const char *name = json_string_value(json_object_get(args, "gateway"));
	const char *secured = json_string_value(json_object_get(args, "secured"));
	const json_t *tmo = json_object_get(args, "timeout");
	const struct config_gateway *g;
	const struct config_dial_plan *srtp_plan;
	bool tls_plans, plain_plans, use_tls, srtp;
	json_t *suites;
	json_t *plans = NULL, *notes = NULL, *out = NULL;
	const char *by;
	char note[512];
	uint16_t port;

	if (media_args_known(args, known, err, errlen) < 0)
		return NULL;
	if (tmo != NULL && (!json_is_integer(tmo) || json_integer_value(tmo) < 1 ||
			    json_integer_value(tmo) > PROBE_ARGS_TIMEOUT_MAX_S)) {
		snprintf(err, errlen, "--timeout must be 1..%d seconds", PROBE_ARGS_TIMEOUT_MAX_S);
		return NULL;
	}
	if ((json_object_get(args, "phone") != NULL && phone == NULL) ||
	    (secs != NULL && phone == NULL)) {
		snprintf(err, errlen, "--seconds goes with --phone NUMBER");
		return NULL;
	}
	if (secs != NULL && (!json_is_integer(secs) || json_integer_value(secs) < 1 ||
			     json_integer_value(secs) > PROBE_ARGS_SECONDS_MAX)) {
		snprintf(err, errlen, "--seconds must be 1..%d", PROBE_ARGS_SECONDS_MAX);
		return NULL;
	}
	if (json_object_get(args, "local") != NULL) {
		if (local == NULL || name != NULL || secured != NULL || phone != NULL) {
			snprintf(err, errlen, "--local takes no --gateway, --secured or --phone");
			return NULL;
		}
		return local_options(cfg, local, tmo, err, errlen);
	}
	g = name != NULL ? config_find_gateway(cfg, name) : NULL;
	if (g == NULL) {
		snprintf(err, errlen, name ? "unknown gateway '%s' (umedgectl gateway list)"
					   : "which gateway? --gateway NAME%s", name ? name : "");
		return NULL;
	}
	if (secured != NULL && strcmp(secured, "true") != 0 && strcmp(secured, "false") != 0) {
		snprintf(err, errlen, "--secured is true or false, not '%s'", secured);
		return NULL;
	}
	plans = dial_plans(cfg, g->name, &tls_plans, &plain_plans, &srtp_plan);
	notes = json_array();
	if (plans == NULL || notes == NULL)
		goto oom;
	if (secured != NULL) {
		use_tls = strcmp(secured, "true") == 0;
		by = "--secured";
	} else if (tls_plans || plain_plans) {
		use_tls = tls_plans;
		by = "dial plan";
	} else {
		use_tls = cfg->server.start_secured == 1;
		by = "start_secured";
	}
	if (secured != NULL && use_tls && !tls_plans && plain_plans) {
		snprintf(note, sizeof(note), "%s's associated dial plans are unsecured: its calls "
			 "use SIP over UDP/TCP on 5060, not TLS; tested with TLS as asked", g->name);
		json_array_append_new(notes, json_string(note));
	} else if (secured != NULL && !use_tls && tls_plans && !plain_plans) {
		snprintf(note, sizeof(note), "%s's associated dial plans are secured: its calls "
			 "need mutual TLS on 5061, and UDP from it is refused with 403; tested with "
			 "UDP as asked", g->name);
		json_array_append_new(notes, json_string(note));
	} else if (secured != NULL && !use_tls && tls_plans) {
		snprintf(note, sizeof(note), "UDP serves only %s's unsecured dial plans; its secured "
			 "ones need mutual TLS on 5061", g->name);
		json_array_append_new(notes, json_string(note));
	}
	if (secured == NULL && tls_plans && plain_plans)
		json_array_append_new(notes, json_string("dial plans of both kinds: tested with TLS "
							 "(--secured false tests UDP)"));
	if (!tls_plans && !plain_plans && json_array_size(plans) == 0)
		json_array_append_new(notes, json_string("no hunt group names this gateway: its calls "
							 "are refused with 404"));
	/* the configured port is the port of the gateway's own mode */
	port = use_tls ? UMEDGE_SIPS_PORT : UMEDGE_SIP_PORT;
	if (g->port != 0 && (secured == NULL || use_tls == tls_plans))
		port = g->port;
	/* the call's media follows the mode: SRTP when the gateway's TLS is the
	 * secured mode's, or when --secured true is all there is to go by */
	srtp = use_tls && (srtp_plan != NULL || (!tls_plans && secured != NULL));
	if (phone != NULL && use_tls && tls_plans && srtp_plan == NULL)
		json_array_append_new(notes, json_string("sip_secured: the test call's media is "
							 "RTP (SRTP is the secured mode's)"));
	out = json_pack("{s:s, s:s, s:i, s:s, s:i, s:{s:s, s:s, s:o, s:s, s:o}}",
			"transport", use_tls ? "tls" : "udp", "addr", g->address, "port", (int)port,
			"fqdn", g->fqdn,
			"timeout_ms", tmo != NULL ? (int)json_integer_value(tmo) * 1000
				      : phone != NULL ? PROBE_ARGS_CALL_TIMEOUT_S * 1000 : 8000,
			"context", "gateway", g->name, "fqdn", g->fqdn, "dial_plans", plans,
			"transport_by", by, "notes", notes);
	if (out != NULL && phone != NULL) {
		/* offered as the secured dial plan offers them (all, without one) */
		suites = json_array();
		for (int i = 0; suites != NULL && i < (srtp_plan ? srtp_plan->n_suites
						       : UMEDGE_SRTP_SUITE_COUNT); i++)
			json_array_append_new(suites, json_string(umedge_srtp_suite_name(
				srtp_plan ? srtp_plan->suites[i] : (enum umedge_srtp_suite)i)));
		json_object_set_new(out, "phone",
				    json_pack("{s:s, s:i, s:b, s:o*}", "number", phone, "seconds",
					      secs != NULL ? (int)json_integer_value(secs) : 5,
					      "srtp", srtp, "suites", suites));
	}
	if (out == NULL)
		snprintf(err, errlen, "out of memory");
	return out;
oom:
	json_decref(plans);
	json_decref(notes);
	snprintf(err, errlen, "out of memory");
	return NULL;
}
