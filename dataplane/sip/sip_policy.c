/*
 * sip_policy.c: see sip_policy.h. The words of every refusal are chosen
 * so that an operator can fix the gateway or the configuration from the
 * event alone: which gateway, from where, which dial plan, what was
 * expected and what was seen.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sip_msg_int.h"
#include "sip_policy.h"

bool sip_policy_transport_fits(enum umedge_security mode, enum umedge_transport tp)
{
	if (mode == UMEDGE_SEC_UNSECURED)
		return tp == UMEDGE_TRANSPORT_UDP || tp == UMEDGE_TRANSPORT_TCP;
	return tp == UMEDGE_TRANSPORT_TLS;
}

static const char *tp_name(unsigned tp)
{
	return tp < UMEDGE_TRANSPORT_COUNT ? umedge_transport_names[tp] : "?";
}

static void source_str(char *buf, size_t len, const struct sip_peer *p)
{
	char ip[INET_ADDRSTRLEN];

	sip_ipv4_str(ip, sizeof(ip), p->addr);
	snprintf(buf, len, "%s:%u", ip, p->port);
}

static void refuse(struct sip_policy_result *r, enum sip_policy_verdict v)
{
	r->verdict = v;
	switch (v) {
	case SIP_POLICY_UNKNOWN_GATEWAY:
		r->status = 403;
		r->reason = "Unknown Gateway";
		r->event = UMEDGE_EV_SipUnknownGateway;
		break;
	case SIP_POLICY_NO_HUNT_GROUP:
	case SIP_POLICY_NOT_ASSOCIATED:
		r->status = 404;
		r->reason = "No Dial Plan";
		r->event = UMEDGE_EV_SipNoDialPlan;
		break;
	case SIP_POLICY_TRANSPORT_MISMATCH:
		r->status = 403;
		r->reason = "Transport Not Allowed By Dial Plan";
		r->event = UMEDGE_EV_VoipSecurityMismatch;
		break;
	default:
		break;
	}
}

static void result_init(struct sip_policy_result *r)
{
	memset(r, 0, sizeof(*r));
	r->verdict = SIP_POLICY_ACCEPT;
}

static bool any_associated(const struct dp_snapshot *s)
{
	for (size_t i = 0; i < s->n_dial_plans; i++)
		if (s->dial_plans[i].associated)
			return true;
	return false;
}

static const struct snapshot_dial_plan *dial_plan(const struct dp_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_dial_plans; i++)
		if (strcmp(s->dial_plans[i].name, name) == 0)
			return &s->dial_plans[i];
	return NULL;
}

static const struct snapshot_gateway *gateway_by_addr(const struct dp_snapshot *s, uint32_t addr)
{
	for (size_t i = 0; i < s->n_gateways; i++)
		if (ntohl(s->gateways[i].addr) == addr)
			return &s->gateways[i];
	return NULL;
}

static const struct snapshot_gateway *gateway_by_fqdn(const struct dp_snapshot *s,
						      const char *const *names, unsigned n)
{
	for (size_t i = 0; i < s->n_gateways; i++)
		for (unsigned k = 0; k < n; k++)
			if (s->gateways[i].fqdn[0] != '\0' && names[k] != NULL &&
			    strcasecmp(s->gateways[i].fqdn, names[k]) == 0)
				return &s->gateways[i];
	return NULL;
}

/* The mismatch refusal, in words. */
static void mismatch(struct sip_policy_result *r, const char *gateway, const char *plan,
		     enum umedge_security mode, const struct sip_peer *from)
{
	char src[32];
	const char *want = mode == UMEDGE_SEC_UNSECURED ? "udp or tcp" : "mutual tls";

	source_str(src, sizeof(src), from);
	refuse(r, SIP_POLICY_TRANSPORT_MISMATCH);
	snprintf(r->warning, sizeof(r->warning),
		 "399 umedge \"dial plan %s is %s: SIP over %s required, got %s\"",
		 plan[0] ? plan : "(start_secured)", umedge_security_names[mode], want,
		 tp_name(from->transport));
	snprintf(r->detail, sizeof(r->detail),
		 "gateway=%s source=%s dial_plan=%s expected=%s transport=%s", gateway, src,
		 plan[0] ? plan : "(start_secured)", umedge_security_names[mode],
		 tp_name(from->transport));
}

void sip_policy_inbound(const struct dp_snapshot *s, const struct sip_peer *from,
			const char *const *tls_names, unsigned n_names, struct sip_str pilot,
			struct sip_policy_result *r)
{
	const struct snapshot_hunt_group *exact = NULL, *any = NULL;
	const struct snapshot_hunt_group *hg;
	const struct snapshot_gateway *gw;
	char src[32];

	result_init(r);
	source_str(src, sizeof(src), from);
	gw = from->transport == UMEDGE_TRANSPORT_TLS ? gateway_by_fqdn(s, tls_names, n_names)
						     : gateway_by_addr(s, from->addr);
	if (gw == NULL) {
		refuse(r, SIP_POLICY_UNKNOWN_GATEWAY);
		snprintf(r->detail, sizeof(r->detail), "source=%s transport=%s%s%s", src,
			 tp_name(from->transport), n_names ? " certificate=" : "",
			 n_names && tls_names[0] ? tls_names[0] : "");
		return;
	}
	r->gateway = gw;
	if (!any_associated(s)) {
		/* legacy: start_secured decides for every gateway */
		r->legacy = true;
		r->mode = s->start_secured ? UMEDGE_SEC_SECURED : UMEDGE_SEC_UNSECURED;
		if (!sip_policy_transport_fits(r->mode, (enum umedge_transport)from->transport))
			mismatch(r, gw->name, "", r->mode, from);
		return;
	}
	for (size_t i = 0; i < s->n_hunt_groups; i++) {
		hg = &s->hunt_groups[i];
		if (strcmp(hg->gateway, gw->name) != 0)
			continue;
		if (hg->pilot[0] == '\0') {
			if (any == NULL)
				any = hg;
		} else if (pilot.p != NULL && strlen(hg->pilot) == pilot.len &&
			   memcmp(hg->pilot, pilot.p, pilot.len) == 0) {
			exact = hg;
			break;
		}
	}
	hg = exact != NULL ? exact : any;
	if (hg == NULL) {
		refuse(r, SIP_POLICY_NO_HUNT_GROUP);
		snprintf(r->detail, sizeof(r->detail),
			 "gateway=%s source=%s pilot=%.*s reason=no hunt group for this gateway "
			 "and number",
			 gw->name, src, (int)(pilot.p ? (pilot.len > 40 ? 40 : pilot.len) : 0), pilot.p ? pilot.p : "");
		return;
	}
	r->dial_plan = dial_plan(s, hg->dial_plan);
	if (r->dial_plan == NULL || !r->dial_plan->associated) {
		refuse(r, SIP_POLICY_NOT_ASSOCIATED);
		snprintf(r->detail, sizeof(r->detail),
			 "gateway=%s source=%s pilot=%.*s dial_plan=%s reason=dial plan not "
			 "associated with this server",
			 gw->name, src, (int)(pilot.p ? (pilot.len > 40 ? 40 : pilot.len) : 0), pilot.p ? pilot.p : "",
			 hg->dial_plan);
		return;
	}
	r->mode = r->dial_plan->security;
	if (!sip_policy_transport_fits(r->mode, (enum umedge_transport)from->transport))
		mismatch(r, gw->name, r->dial_plan->name, r->mode, from);
}

void sip_policy_in_dialog(enum umedge_security mode, const char *gateway,
			  const char *dial_plan, const struct sip_peer *from,
			  struct sip_policy_result *r)
{
	result_init(r);
	r->mode = mode;
	if (!sip_policy_transport_fits(mode, (enum umedge_transport)from->transport))
		mismatch(r, gateway, dial_plan, mode, from);
}

bool sip_policy_outbound(const struct dp_snapshot *s, struct sip_str host, uint32_t ipv4,
			 struct sip_policy_result *r, enum umedge_transport *tp)
{
	const struct snapshot_gateway *gw = NULL;

	result_init(r);
	for (size_t i = 0; gw == NULL && i < s->n_gateways; i++) {
		const struct snapshot_gateway *g = &s->gateways[i];

		if ((ipv4 != 0 && ntohl(g->addr) == ipv4) ||
		    (host.p != NULL && strlen(g->name) == host.len &&
		     strncasecmp(g->name, host.p, host.len) == 0) ||
		    (host.p != NULL && g->fqdn[0] && strlen(g->fqdn) == host.len &&
		     strncasecmp(g->fqdn, host.p, host.len) == 0))
			gw = g;
	}
	if (gw == NULL)
		return false;
	r->gateway = gw;
	if (!any_associated(s)) {
		r->legacy = true;
		r->mode = s->start_secured ? UMEDGE_SEC_SECURED : UMEDGE_SEC_UNSECURED;
	} else {
		/* the most secure associated dial plan among the gateway's
		 * hunt groups; the first in configuration order on a tie */
		for (size_t i = 0; i < s->n_hunt_groups; i++) {
			const struct snapshot_dial_plan *dp;

			if (strcmp(s->hunt_groups[i].gateway, gw->name) != 0)
				continue;
			dp = dial_plan(s, s->hunt_groups[i].dial_plan);
			if (dp == NULL || !dp->associated)
				continue;
			if (r->dial_plan == NULL || dp->security > r->dial_plan->security)
				r->dial_plan = dp;
		}
		r->mode = r->dial_plan != NULL ? r->dial_plan->security : UMEDGE_SEC_UNSECURED;
		if (r->dial_plan == NULL) {
			refuse(r, SIP_POLICY_NOT_ASSOCIATED);
			snprintf(r->detail, sizeof(r->detail),
				 "gateway=%s reason=no dial plan of this gateway is associated "
				 "with this server",
				 gw->name);
		}
	}
	*tp = r->mode == UMEDGE_SEC_UNSECURED ? UMEDGE_TRANSPORT_UDP : UMEDGE_TRANSPORT_TLS;
	return true;
}
