#include "policy.h"

#include <string.h>

enum umedge_security policy_default_mode(const struct config *c)
{
	return c->server.start_secured ? UMEDGE_SEC_SECURED : UMEDGE_SEC_UNSECURED;
}

static void listener_add_plan(struct policy_listener *l, size_t idx)
{
	if (l->n_plans < sizeof(l->plans) / sizeof(l->plans[0]))
		l->plans[l->n_plans++] = idx;
}

void policy_resolve(const struct config *c, struct policy *p)
{
	struct policy_listener *udp = &p->listeners[UMEDGE_TRANSPORT_UDP];
	struct policy_listener *tcp = &p->listeners[UMEDGE_TRANSPORT_TCP];
	struct policy_listener *tls = &p->listeners[UMEDGE_TRANSPORT_TLS];

	memset(p, 0, sizeof(*p));
	udp->transport = UMEDGE_TRANSPORT_UDP;
	udp->port = UMEDGE_SIP_PORT;
	tcp->transport = UMEDGE_TRANSPORT_TCP;
	tcp->port = UMEDGE_SIP_PORT;
	tls->transport = UMEDGE_TRANSPORT_TLS;
	tls->port = UMEDGE_SIPS_PORT;

	for (size_t i = 0; i < c->n_dial_plans; i++) {
		const struct config_dial_plan *dp = &c->dial_plans[i];

		if (!config_dial_plan_associated(c, dp->name))
			continue;
		p->any_associated = true;
		if (dp->security == UMEDGE_SEC_UNSECURED) {
			udp->enabled = tcp->enabled = true;
			listener_add_plan(udp, i);
			listener_add_plan(tcp, i);
		} else {
			tls->enabled = true;
			listener_add_plan(tls, i);
		}
	}
	if (p->any_associated)
		return;
	if (policy_default_mode(c) == UMEDGE_SEC_SECURED) {
		tls->enabled = tls->by_start_secured = true;
	} else {
		udp->enabled = udp->by_start_secured = true;
		tcp->enabled = tcp->by_start_secured = true;
	}
}

json_t *policy_listeners_json(const struct config *c, const struct policy *p)
{
	json_t *arr = json_array();

	for (int t = 0; t < UMEDGE_TRANSPORT_COUNT && arr; t++) {
		const struct policy_listener *l = &p->listeners[t];
		json_t *plans;

		if (!l->enabled)
			continue;
		plans = json_array();
		for (size_t i = 0; i < l->n_plans; i++)
			json_array_append_new(plans, json_string(c->dial_plans[l->plans[i]].name));
		json_array_append_new(arr, json_pack("{s:s, s:i, s:o, s:b}", "transport",
						     umedge_transport_name(l->transport), "port",
						     l->port, "dial_plans", plans,
						     "by_start_secured", l->by_start_secured));
	}
	return arr;
}

json_t *policy_dial_plan_json(const struct config *c, const struct config_dial_plan *dp)
{
	json_t *suites = json_array();

	for (int i = 0; i < dp->n_suites; i++)
		json_array_append_new(suites, json_string(umedge_srtp_suite_name(dp->suites[i])));
	return json_pack("{s:s, s:s, s:b, s:o}", "name", dp->name, "voip_security",
			 umedge_security_name(dp->security), "associated",
			 config_dial_plan_associated(c, dp->name), "srtp_suites", suites);
}

json_t *policy_dial_plans_json(const struct config *c)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < c->n_dial_plans && arr; i++)
		json_array_append_new(arr, policy_dial_plan_json(c, &c->dial_plans[i]));
	return arr;
}

int policy_diff(const struct config *old_cfg, const struct config *new_cfg,
		struct events_log *log)
{
	int n = 0;

	if (!old_cfg)
		return 0;
	for (size_t i = 0; i < new_cfg->n_dial_plans; i++) {
		const struct config_dial_plan *ndp = &new_cfg->dial_plans[i];
		const struct config_dial_plan *odp = config_find_dial_plan(old_cfg, ndp->name);
		bool was = config_dial_plan_associated(old_cfg, ndp->name);
		bool is = config_dial_plan_associated(new_cfg, ndp->name);

		if (odp && odp->security != ndp->security) {
			events_emitf(log, UMEDGE_EV_SecurityModeChanged,
				     "{s:s, s:s, s:s, s:b}", "dial_plan", ndp->name, "old",
				     umedge_security_name(odp->security), "new",
				     umedge_security_name(ndp->security), "associated", is);
			n++;
		}
		if (was != is) {
			events_emitf(log, UMEDGE_EV_DialPlanAssociationChanged,
				     "{s:s, s:b, s:s}", "dial_plan", ndp->name, "associated", is,
				     "voip_security", umedge_security_name(ndp->security));
			n++;
		}
	}
	/* A reloaded file may drop an associated dial plan outright. */
	for (size_t i = 0; i < old_cfg->n_dial_plans; i++) {
		const struct config_dial_plan *odp = &old_cfg->dial_plans[i];

		if (config_find_dial_plan(new_cfg, odp->name) ||
		    !config_dial_plan_associated(old_cfg, odp->name))
			continue;
		events_emitf(log, UMEDGE_EV_DialPlanAssociationChanged, "{s:s, s:b, s:s, s:b}",
			     "dial_plan", odp->name, "associated", 0, "voip_security",
			     umedge_security_name(odp->security), "removed", 1);
		n++;
	}
	if (old_cfg->server.start_secured != new_cfg->server.start_secured) {
		events_emitf(log, UMEDGE_EV_SecurityModeChanged, "{s:n, s:s, s:s, s:s}",
			     "dial_plan", "setting", "start_secured", "old",
			     umedge_security_name(policy_default_mode(old_cfg)), "new",
			     umedge_security_name(policy_default_mode(new_cfg)));
		n++;
	}
	return n;
}
