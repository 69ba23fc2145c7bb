/* config_validate: checks across items (duplicates, references) and the
 * ranges a CLI edit could break. config_parse runs it last; the CLI runs it
 * on a changed copy before committing. Items parsed from a file carry a line
 * and get "file:line: "; items made by the CLI (line 0) get a plain message. */
#include "umedge/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

		if (!dp->name[0])
			return verr(c, err, errlen, dp->line, "dial plan without a name");
		if ((unsigned)dp->security >= UMEDGE_SEC_COUNT)
			return verr(c, err, errlen, dp->line,
				    "dial plan '%s' has an unknown voip_security", dp->name);
		if (dp->n_suites < 0 || dp->n_suites > UMEDGE_SRTP_SUITE_COUNT ||
		    (dp->security == UMEDGE_SEC_SECURED && dp->n_suites == 0))
			return verr(c, err, errlen, dp->line,
				    "dial plan '%s' is secured but offers no SRTP suite",
				    dp->name);
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

		if (!gw->name[0])
			return verr(c, err, errlen, gw->line, "IP gateway without a name");
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
		if (!hg->pilot[0])
			return verr(c, err, errlen, hg->line, "hunt group without a pilot");
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
	if (dp->n_eal < 0 || dp->n_eal > CONFIG_EAL_ARGS_MAX)
		return verr(c, err, errlen, dp->line, "dataplane.eal has too many arguments");
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
	    check_dataplane(c, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	return rc;
}
