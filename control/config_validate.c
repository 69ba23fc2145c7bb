/* config_validate: checks across items (duplicates, references) and the
 * ranges a CLI edit could break. config_parse runs it last; the CLI runs it
 * on a changed copy before committing. Items parsed from a file carry a line
 * and get "file:line: "; items made by the CLI (line 0) get a plain message. */
#include "umedge/config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool config_name_valid(const char *s)
{
	size_t len = strlen(s);

	return len >= 1 && len < CONFIG_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == len;
}

/* RFC 1035/1123 host name. */
bool config_fqdn_valid(const char *s)
{
	size_t label = 0, total = strlen(s);

	if (total == 0 || total > 253)
		return false;
	for (const char *p = s; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
		if (label == 0 && *p == '-')
			return false;
		label++;
	}
}

bool config_pilot_valid(const char *s)
{
	size_t len = strlen(s);

	return len >= 1 && len < CONFIG_PILOT_MAX && strspn(s, "0123456789+*#") == len;
}

/* The text and the binary address agree (the CLI may set either). */
static bool address_ok(const char *text, struct in_addr addr)
{
	struct in_addr parsed;

	return inet_pton(AF_INET, text, &parsed) == 1 && parsed.s_addr == addr.s_addr;
}

static int verr(const struct config *c, char *err, size_t errlen, int line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int verr(const struct config *c, char *err, size_t errlen, int line,
		const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!err || errlen == 0)
		return -1;
	if (c->path[0] && line > 0)
		snprintf(err, errlen, "%s:%d: %s", c->path, line, msg);
	else
		snprintf(err, errlen, "%s", msg);
	return -1;
}

static int check_required(const struct config *c, char *err, size_t errlen)
{
	if (!c->server.fqdn[0])
		return verr(c, err, errlen, 0, "server.fqdn is required");
	if (!config_fqdn_valid(c->server.fqdn))
		return verr(c, err, errlen, 0, "server.fqdn '%s' is not a valid DNS name",
			    c->server.fqdn);
	if (!c->server.control_socket[0])
		return verr(c, err, errlen, 0, "server.control_socket is required");
	if (!c->server.state_dir[0])
		return verr(c, err, errlen, 0, "server.state_dir is required");
	if (!c->certificates.store[0])
		return verr(c, err, errlen, 0, "certificates.store is required");
	if (!c->certificates.trust[0])
		return verr(c, err, errlen, 0, "certificates.trust is required");
	if (c->server.start_secured != 0 && c->server.start_secured != 1)
		return verr(c, err, errlen, 0, "server.start_secured must be 0 or 1");
	if (c->certificates.self_signed_days < 1 || c->certificates.self_signed_days > 36500)
		return verr(c, err, errlen, 0,
			    "certificates.self_signed.days must be 1..36500");
	if (c->certificates.expiry_warning_days < 0 ||
	    c->certificates.expiry_warning_days > 365)
		return verr(c, err, errlen, 0,
			    "certificates.expiry_warning_days must be 0..365");
	if ((unsigned)c->certificates.self_signed_key >= UMEDGE_KEY_COUNT)
		return verr(c, err, errlen, 0, "certificates.self_signed.key is unknown");
	return 0;
}

static int check_dial_plans(const struct config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n_dial_plans; i++) {
		const struct config_dial_plan *dp = &c->dial_plans[i];

		if (!config_name_valid(dp->name))
			return verr(c, err, errlen, dp->line, "dial plan name '%s' is not valid",
				    dp->name);
		if ((unsigned)dp->security >= UMEDGE_SEC_COUNT)
			return verr(c, err, errlen, dp->line,
				    "dial plan '%s' has an unknown voip_security", dp->name);
		if (dp->n_suites < 0 || dp->n_suites > UMEDGE_SRTP_SUITE_COUNT ||
		    (dp->security == UMEDGE_SEC_SECURED && dp->n_suites == 0))
			return verr(c, err, errlen, dp->line,
				    "dial plan '%s' is secured but offers no SRTP suite",
				    dp->name);
		for (int k = 0; k < dp->n_suites; k++) {
			if ((unsigned)dp->suites[k] >= UMEDGE_SRTP_SUITE_COUNT)
				return verr(c, err, errlen, dp->line,
					    "dial plan '%s' has an unknown SRTP suite", dp->name);
			for (int l = 0; l < k; l++)
				if (dp->suites[l] == dp->suites[k])
					return verr(c, err, errlen, dp->line,
						    "dial plan '%s' lists SRTP suite %s twice",
						    dp->name, umedge_srtp_suite_name(dp->suites[k]));
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->dial_plans[j].name, dp->name) == 0)
				return verr(c, err, errlen, dp->line,
					    "duplicate dial plan '%s' (first at line %d)",
					    dp->name, c->dial_plans[j].line);
	}
	return 0;
}

static int check_association(const struct config *c, char *err, size_t errlen)
{
	const struct config_server *s = &c->server;

	for (size_t i = 0; i < s->n_dial_plans; i++) {
		if (!config_find_dial_plan(c, s->dial_plans[i]))
			return verr(c, err, errlen, s->dial_plans_line,
				    "server.dial_plans names unknown dial plan '%s'",
				    s->dial_plans[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->dial_plans[j], s->dial_plans[i]) == 0)
				return verr(c, err, errlen, s->dial_plans_line,
					    "server.dial_plans names '%s' twice",
					    s->dial_plans[i]);
	}
	return 0;
}

static int check_gateways(const struct config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n_gateways; i++) {
		const struct config_gateway *gw = &c->gateways[i];

		if (!config_name_valid(gw->name))
			return verr(c, err, errlen, gw->line, "IP gateway name '%s' is not valid",
				    gw->name);
		if (!address_ok(gw->address, gw->addr))
			return verr(c, err, errlen, gw->line,
				    "IP gateway '%s' has no valid IPv4 address", gw->name);
		if (gw->fqdn[0] && !config_fqdn_valid(gw->fqdn))
			return verr(c, err, errlen, gw->line,
				    "IP gateway '%s': fqdn '%s' is not a valid DNS name",
				    gw->name, gw->fqdn);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->gateways[j].name, gw->name) == 0)
				return verr(c, err, errlen, gw->line,
					    "duplicate IP gateway '%s' (first at line %d)",
					    gw->name, c->gateways[j].line);
	}
	return 0;
}

static int check_hunt_groups(const struct config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n_hunt_groups; i++) {
		const struct config_hunt_group *hg = &c->hunt_groups[i];

		if (!config_find_gateway(c, hg->gateway))
			return verr(c, err, errlen, hg->line,
				    "hunt group %s names unknown IP gateway '%s'",
				    hg->pilot, hg->gateway);
		if (!config_find_dial_plan(c, hg->dial_plan))
			return verr(c, err, errlen, hg->line,
				    "hunt group %s names unknown dial plan '%s'",
				    hg->pilot, hg->dial_plan);
		if (!config_pilot_valid(hg->pilot))
			return verr(c, err, errlen, hg->line,
				    "hunt group pilot '%s' is not valid", hg->pilot);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->hunt_groups[j].gateway, hg->gateway) == 0 &&
			    strcmp(c->hunt_groups[j].pilot, hg->pilot) == 0)
				return verr(c, err, errlen, hg->line,
					    "duplicate hunt group %s on gateway '%s' "
					    "(first at line %d)", hg->pilot, hg->gateway,
					    c->hunt_groups[j].line);
	}
	return 0;
}

static int check_application(const struct config *c, char *err, size_t errlen)
{
	const struct config_application *a = &c->application;

	if (!a->present)
		return 0;
	if (!address_ok(a->address, a->addr))
		return verr(c, err, errlen, 0, "application.address is not a valid IPv4 address");
	if (a->port == 0)
		return verr(c, err, errlen, 0, "application.port must be 1..65535");
	if ((unsigned)a->transport >= UMEDGE_TRANSPORT_COUNT)
		return verr(c, err, errlen, 0, "application.transport is unknown");
	return 0;
}

static bool iface_ok(const struct config_interface *i)
{
	return address_ok(i->address, i->addr) && i->prefix_len >= 1 && i->prefix_len <= 32;
}

static bool range_ok(const struct config_port_range *r)
{
	return r->first >= 1 && r->first <= r->last && r->first % 2 == 0;
}

static int check_dataplane(const struct config *c, char *err, size_t errlen)
{
	const struct config_dataplane *dp = &c->dataplane;
	const struct config_port_range *e = &dp->media_external, *n = &dp->media_internal;

	if (!dp->present)
		return 0;
	if (dp->workers < 1 || dp->workers > 64)
		return verr(c, err, errlen, dp->line, "dataplane.workers must be 1..64");
	if (dp->crypto_lcores < 0 || dp->crypto_lcores > 8)
		return verr(c, err, errlen, dp->line, "dataplane.crypto_lcores must be 0..8");
	/* OpenSSL cipher-string syntax only; whether anything matches is
	 * checked where the list is used (the dataplane refuses the context) */
	if (strspn(dp->tls_ciphers, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789-_+!:@=.") != strlen(dp->tls_ciphers))
		return verr(c, err, errlen, dp->line,
			    "dataplane.tls_ciphers: only an OpenSSL cipher string is allowed");
	if (strspn(dp->tls_ciphersuites, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789_:") != strlen(dp->tls_ciphersuites))
		return verr(c, err, errlen, dp->line,
			    "dataplane.tls_ciphersuites: only TLS 1.3 suite names separated by ':'");
	if (dp->n_eal < 0 || dp->n_eal > CONFIG_EAL_ARGS_MAX)
		return verr(c, err, errlen, dp->line, "dataplane.eal has too many arguments");
	for (int i = 0; i < dp->n_eal; i++)
		if (!dp->eal[i] || !dp->eal[i][0] || strlen(dp->eal[i]) >= CONFIG_EAL_ARG_MAX)
			return verr(c, err, errlen, dp->line,
				    "dataplane.eal[%d] is empty or too long", i);
	if (!iface_ok(&dp->external) || !iface_ok(&dp->internal))
		return verr(c, err, errlen, dp->line,
			    "dataplane.external and dataplane.internal need an IPv4 "
			    "address and a prefix length 1..32");
	if (dp->external.port_id == dp->internal.port_id)
		return verr(c, err, errlen, dp->line,
			    "dataplane.external and dataplane.internal both use port %u",
			    dp->external.port_id);
	if (!range_ok(e) || !range_ok(n))
		return verr(c, err, errlen, dp->line,
			    "dataplane.media_ports: each range must be first-last with "
			    "first even and first <= last");
	/* The local port picks the stream and its worker: one port, one side. */
	if (e->first <= n->last && n->first <= e->last)
		return verr(c, err, errlen, dp->line,
			    "dataplane.media_ports: external %u-%u overlaps internal %u-%u",
			    e->first, e->last, n->first, n->last);
	/* half_open and max_per_source above max_connections are harmless:
	 * the pool is the limit then */
	if (dp->tcp.max_connections < 16 || dp->tcp.max_connections > 65536 ||
	    dp->tcp.half_open < 1 || dp->tcp.half_open > 65536 ||
	    dp->tcp.max_per_source > 65536 ||
	    dp->tcp.buffer_kib < 4 || dp->tcp.buffer_kib > 1024)
		return verr(c, err, errlen, dp->line,
			    "dataplane.tcp: need 16 <= max_connections <= 65536, "
			    "1 <= half_open <= 65536, max_per_source <= 65536, "
			    "4 <= buffer_kib <= 1024");
	if (dp->sip.max_message_bytes < 1024 || dp->sip.max_message_bytes > 65535 ||
	    dp->sip.max_headers < 16 || dp->sip.max_headers > 255 ||
	    dp->sip.max_header_line_bytes < 256 || dp->sip.max_header_line_bytes > 65535 ||
	    dp->sip.max_vias < 2 || dp->sip.max_vias > 255 ||
	    dp->sip.max_uri_bytes < 64 || dp->sip.max_uri_bytes > 8192)
		return verr(c, err, errlen, dp->line,
			    "dataplane.sip: need 1024 <= max_message_bytes <= 65535, "
			    "16 <= max_headers <= 255, 256 <= max_header_line_bytes <= 65535, "
			    "2 <= max_vias <= 255, 64 <= max_uri_bytes <= 8192");
	if (dp->sip.t1_ms < 50 || dp->sip.t1_ms > 5000 || dp->sip.t2_ms < dp->sip.t1_ms ||
	    dp->sip.t2_ms > 60000 || dp->sip.t4_ms < 100 || dp->sip.t4_ms > 60000 ||
	    dp->sip.max_transactions < 64 || dp->sip.max_transactions > 1000000 ||
	    dp->sip.keepalive_s > 3600 || dp->sip.max_calls < 64 || dp->sip.max_calls > 1000000 ||
	    dp->sip.media_timeout_s > 86400)
		return verr(c, err, errlen, dp->line,
			    "dataplane.sip: need 50 <= t1_ms <= 5000, t1_ms <= t2_ms <= 60000, "
			    "100 <= t4_ms <= 60000, 64 <= max_transactions <= 1000000, "
			    "keepalive_s <= 3600, 64 <= max_calls <= 1000000, "
			    "media_timeout_s <= 86400");
	return 0;
}

static int check_metrics(const struct config *c, char *err, size_t errlen)
{
	const struct config_metrics *m = &c->metrics;
	struct in_addr a;

	if (!m->present)
		return 0;
	if (inet_pton(AF_INET, m->address, &a) != 1 || a.s_addr != m->addr.s_addr)
		return verr(c, err, errlen, 0, "metrics.listen address is not a valid IPv4 address");
	if (m->port == 0)
		return verr(c, err, errlen, 0, "metrics.listen port must be 1..65535");
	return 0;
}

/* ng is served by the dataplane's workers on the internal side. */
static int check_ng(const struct config *c, char *err, size_t errlen)
{
	const struct config_ng *g = &c->ng;
	const struct config_port_range *r = &c->dataplane.media_internal;
	struct in_addr a;

	if (!g->present)
		return 0;
	if (inet_pton(AF_INET, g->address, &a) != 1 || a.s_addr != g->addr.s_addr || g->port == 0)
		return verr(c, err, errlen, g->line, "ng.listen is not a valid IPv4 address and port");
	if (!c->dataplane.present)
		return verr(c, err, errlen, g->line, "ng needs the dataplane: section (the workers serve "
			    "it on the internal side)");
	if (g->addr.s_addr != c->dataplane.internal.addr.s_addr)
		return verr(c, err, errlen, g->line, "ng.listen must be the dataplane's internal address "
			    "(%s): the workers serve ng on the internal side",
			    c->dataplane.internal.address);
	if (g->port == UMEDGE_SIP_PORT || g->port == UMEDGE_SIPS_PORT ||
	    (g->port >= r->first && g->port <= r->last))
		return verr(c, err, errlen, g->line, "ng.listen port %u is taken (SIP 5060/5061, or the "
			    "internal media ports %u-%u)", g->port, r->first, r->last);
	if (g->timeout_s < 1 || g->timeout_s > 86400 || g->max_calls < 64 ||
	    g->max_calls > 1000000)
		return verr(c, err, errlen, g->line, "ng: 1 <= timeout_s <= 86400, "
			    "64 <= max_calls <= 1000000");
	return 0;
}

int config_validate(const struct config *c, char *err, size_t errlen)
{
	int rc = -1;

	if (check_required(c, err, errlen) < 0 ||
	    check_dial_plans(c, err, errlen) < 0 ||
	    check_association(c, err, errlen) < 0 ||
	    check_gateways(c, err, errlen) < 0 ||
	    check_hunt_groups(c, err, errlen) < 0 ||
	    check_application(c, err, errlen) < 0 ||
	    check_metrics(c, err, errlen) < 0 ||
	    check_dataplane(c, err, errlen) < 0 ||
	    check_ng(c, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	return rc;
}
