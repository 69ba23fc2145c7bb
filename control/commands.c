#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#define EVENTS_DEFAULT_LIMIT 50
#define EVENTS_MAX_LIMIT 10000

/* Commands that change the configuration: a refusal is a ConfigRejected. */
#define CMD_MUTATES 1

typedef json_t *(*command_fn)(struct control *ctl, const json_t *args, char *err, size_t errlen);

/* String argument or NULL. */
static const char *arg_str(const json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static const char *need_str(const json_t *args, const char *key, char *err, size_t errlen)
{
	const char *v = arg_str(args, key);

	if (!v || !*v)
		snprintf(err, errlen, "missing argument '%s'", key);
	return v && *v ? v : NULL;
}

static int copy_name(char *dst, size_t cap, const char *what, const char *v, char *err,
		     size_t errlen)
{
	if (strlen(v) >= cap) {
		snprintf(err, errlen, "%s '%.40s...' is too long (at most %zu characters)", what, v,
			 cap - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Apply a modified copy; the result is the named object's fresh view. */
static json_t *commit(struct control *ctl, struct config *next, const char *origin, char *err,
		      size_t errlen)
{
	if (control_apply(ctl, next, origin, true, err, errlen) < 0)
		return NULL;
	return json_pack("{s:I}", "snapshot_version", (json_int_t)ctl->snapshot_version);
}

/* Append one element to a config array (*arr of *n, elements of size). */
static int array_push(void *arr_p, size_t *n, size_t size, const void *item, char *err,
		      size_t errlen)
{
	void **arr = arr_p;
	char *grown = realloc(*arr, (*n + 1) * size);

	if (!grown) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(grown + *n * size, item, size);
	*arr = grown;
	(*n)++;
	return 0;
}

/* Remove element idx of a config array, keeping the order. */
static void array_remove(void *arr, size_t *n, size_t size, size_t idx)
{
	char *a = arr;

	memmove(a + idx * size, a + (idx + 1) * size, (*n - idx - 1) * size);
	(*n)--;
}

static struct config *dup_running(struct control *ctl, char *err, size_t errlen)
{
	struct config *c = config_dup(ctl->cfg);

	if (!c)
		snprintf(err, errlen, "out of memory");
	return c;
}

static json_t *cmd_status(struct control *ctl, const json_t *args, char *err, size_t errlen)
{
	return control_status_json(ctl);
}

/* sip.status: the listeners control resolved and what the workers' SIP
 * reported last (status.dataplane.sip), in one object. */
static json_t *cmd_sip_status(struct control *ctl, const json_t *args, char *err, size_t errlen)
{
	const json_t *dp = ctl->dp_stats ? json_object_get(ctl->dp_stats, "sip") : NULL;
	json_t *r = json_is_object(dp) ? json_deep_copy(dp) : json_object();

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_object_set_new(r, "dataplane_connected", json_boolean(ctl->dp_connected));
	json_object_set_new(r, "listeners", policy_listeners_json(ctl->cfg, &ctl->policy));
	return r;
}

/* ---- dial plans ---- */

static json_t *cmd_dialplan_list(struct control *ctl, const json_t *args, char *err,
				 size_t errlen)
{
	return policy_dial_plans_json(ctl->cfg);
}

static json_t *cmd_dialplan_show(struct control *ctl, const json_t *args, char *err,
				 size_t errlen)
{
	const char *name = need_str(args, "name", err, errlen);
	const struct config_dial_plan *dp;
	json_t *j, *hg;

	if (!name)
		return NULL;
	dp = config_find_dial_plan(ctl->cfg, name);
	if (!dp) {
		snprintf(err, errlen, "no dial plan '%s'", name);
		return NULL;
	}
	j = policy_dial_plan_json(ctl->cfg, dp);
	hg = json_array();
	for (size_t i = 0; i < ctl->cfg->n_hunt_groups; i++) {
		const struct config_hunt_group *h = &ctl->cfg->hunt_groups[i];
		if (strcmp(h->dial_plan, name) == 0)
			json_array_append_new(hg, json_pack("{s:s, s:s}", "gateway", h->gateway,
							    "pilot", h->pilot));
	}
	json_object_set_new(j, "hunt_groups", hg);
	return j;
}

/* Parse "A,B" or a JSON array of suite names into dp. */
static int parse_suites(const json_t *v, struct config_dial_plan *dp, char *err, size_t errlen)
{
	const char *names[UMEDGE_SRTP_SUITE_COUNT * 2];
	char buf[512];
	size_t n = 0;

	if (json_is_string(v)) {
		char *save = NULL, *tok;

		if (snprintf(buf, sizeof(buf), "%s", json_string_value(v)) >= (int)sizeof(buf)) {
			snprintf(err, errlen, "srtp suite list too long");
			return -1;
		}
		for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (n == sizeof(names) / sizeof(names[0])) {
				snprintf(err, errlen, "too many srtp suites");
				return -1;
			}
			names[n++] = tok;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e) {
			if (!json_is_string(e) || n == sizeof(names) / sizeof(names[0])) {
				snprintf(err, errlen, "srtp_suites must be a list of suite names");
				return -1;
			}
			names[n++] = json_string_value(e);
		}
	} else {
		snprintf(err, errlen, "srtp_suites must be a list of suite names");
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "empty srtp suite list");
		return -1;
	}
	dp->n_suites = 0;
	for (size_t i = 0; i < n; i++) {
		int s = umedge_srtp_suite_parse(names[i]);

		if (s < 0) {
			snprintf(err, errlen,
				 "unknown SRTP suite '%s' (expected AES_CM_128_HMAC_SHA1_80, "
				 "AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, "
				 "AEAD_AES_128_GCM, AEAD_AES_256_GCM)",
				 names[i]);
			return -1;
		}
		for (int k = 0; k < dp->n_suites; k++) {
			if ((int)dp->suites[k] == s) {
				snprintf(err, errlen, "SRTP suite '%s' listed twice", names[i]);
				return -1;
			}
		}
		dp->suites[dp->n_suites++] = (enum umedge_srtp_suite)s;
	}
	return 0;
}

static int parse_mode(const char *v, enum umedge_security *out, char *err, size_t errlen)
{
	int m = umedge_security_parse(v);

	if (m < 0) {
		snprintf(err, errlen,
			 "unknown voip_security '%s' (expected unsecured, sip_secured, secured)", v);
		return -1;
	}
	*out = (enum umedge_security)m;
	return 0;
}

static void default_suites(struct config_dial_plan *dp)
{
	dp->n_suites = UMEDGE_SRTP_SUITE_COUNT;
	for (int i = 0; i < UMEDGE_SRTP_SUITE_COUNT; i++)
		dp->suites[i] = (enum umedge_srtp_suite)i;
}

static json_t *cmd_dialplan_add(struct control *ctl, const json_t *args, char *err,
				size_t errlen)
{
	const char *name = need_str(args, "name", err, errlen);
	const char *mode = arg_str(args, "voip_security");
	const json_t *suites = json_object_get(args, "srtp_suites");
	struct config_dial_plan dp = { 0 };
	struct config *next;

	if (!name)
		return NULL;
	if (!mode) {
		snprintf(err, errlen, "missing --security (unsecured, sip_secured or secured)");
		return NULL;
	}
	if (config_find_dial_plan(ctl->cfg, name)) {
		snprintf(err, errlen, "dial plan '%s' already exists", name);
		return NULL;
	}
	if (copy_name(dp.name, sizeof(dp.name), "dial plan name", name, err, errlen) < 0 ||
	    parse_mode(mode, &dp.security, err, errlen) < 0)
		return NULL;
	default_suites(&dp);
	if (suites && parse_suites(suites, &dp, err, errlen) < 0)
		return NULL;
	next = dup_running(ctl, err, errlen);
	if (!next)
		return NULL;
	if (array_push(&next->dial_plans, &next->n_dial_plans, sizeof(dp), &dp, err, errlen) < 0) {
		config_free(next);
		return NULL;
	}
	return commit(ctl, next, "dialplan add", err, errlen);
}

static json_t *cmd_dialplan_set(struct control *ctl, const json_t *args, char *err,
				size_t errlen)
{
	const char *name = need_str(args, "name", err, errlen);
	const char *mode = arg_str(args, "voip_security");
	const json_t *suites = json_object_get(args, "srtp_suites");
	struct config_dial_plan *dp;
	struct config *next;

	if (!name)
		return NULL;
	if (!mode && !suites) {
		snprintf(err, errlen, "nothing to set: give --security and/or --srtp-suites");
		return NULL;
	}
	next = dup_running(ctl, err, errlen);
	if (!next)
		return NULL;
	dp = config_find_dial_plan(next, name);
	if (!dp) {
		snprintf(err, errlen, "no dial plan '%s'", name);
		goto fail;
	}
	if (mode && parse_mode(mode, &dp->security, err, errlen) < 0)
		goto fail;
	if (suites && parse_suites(suites, dp, err, errlen) < 0)
		goto fail;
	return commit(ctl, next, "dialplan set", err, errlen);
fail:
	config_free(next);
	return NULL;
}

static json_t *cmd_dialplan_remove(struct control *ctl, const json_t *args, char *err,
				   size_t errlen)
{
	const char *name = need_str(args, "name", err, errlen);
	struct config *next;
	size_t i;

	if (!name)
		return NULL;
	if (!config_find_dial_plan(ctl->cfg, name)) {
		snprintf(err, errlen, "no dial plan '%s'", name);
		return NULL;
	}
	if (config_dial_plan_associated(ctl->cfg, name)) {
		snprintf(err, errlen,
			 "dial plan '%s' is associated with this server: dissociate it first", name);
		return NULL;
	}
	for (i = 0; i < ctl->cfg->n_hunt_groups; i++) {
		if (strcmp(ctl->cfg->hunt_groups[i].dial_plan, name) == 0) {
			snprintf(err, errlen,
				 "dial plan '%s' is used by hunt group %s/%s: remove it first", name,
				 ctl->cfg->hunt_groups[i].gateway, ctl->cfg->hunt_groups[i].pilot);
			return NULL;
		}
	}
	next = dup_running(ctl, err, errlen);
	if (!next)
		return NULL;
	for (i = 0; i < next->n_dial_plans; i++)
		if (strcmp(next->dial_plans[i].name, name) == 0)
			break;
	array_remove(next->dial_plans, &next->n_dial_plans, sizeof(next->dial_plans[0]), i);
	return commit(ctl, next, "dialplan remove", err, errlen);
}

/* ---- server association ---- */

static json_t *cmd_server_associate(struct control *ctl, const json_t *args, char *err,
				    size_t errlen)
{
	const char *name = need_str(args, "dial_plan", err, errlen);
	struct config *next;
	char plan[CONFIG_NAME_MAX];

	if (!name)
		return NULL;
	if (!config_find_dial_plan(ctl->cfg, name)) {
		snprintf(err, errlen, "no dial plan '%s'", name);
		return NULL;
	}
	if (config_dial_plan_associated(ctl->cfg, name)) {
		snprintf(err, errlen, "dial plan '%s' is already associated", name);
		return NULL;
	}
	next = dup_running(ctl, err, errlen);
	if (!next)
		return NULL;
	snprintf(plan, sizeof(plan), "%s", name);
	if (array_push(&next->server.dial_plans, &next->server.n_dial_plans, sizeof(plan), plan, err,
		       errlen) < 0) {
		config_free(next);
		return NULL;
	}
	return commit(ctl, next, "server associate", err, errlen);
}

static json_t *cmd_server_dissociate(struct control *ctl, const json_t *args, char *err,
				     size_t errlen)
{
	const char *name = need_str(args, "dial_plan", err, errlen);
	struct config *next;
	size_t i;

	if (!name)
		return NULL;
	if (!config_dial_plan_associated(ctl->cfg, name)) {
		snprintf(err, errlen, "dial plan '%s' is not associated", name);
		return NULL;
	}
	next = dup_running(ctl, err, errlen);
	if (!next)
		return NULL;
	for (i = 0; i < next->server.n_dial_plans; i++)
		if (strcmp(next->server.dial_plans[i], name) == 0)
			break;
	array_remove(next->server.dial_plans, &next->server.n_dial_plans,
		     sizeof(next->server.dial_plans[0]), i);
	return commit(ctl, next, "server dissociate", err, errlen);
}

/* ---- gateways ---- */

static json_t *gateway_json(const struct config_gateway *g)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "name", g->name, "address", g->address, "port",
			 g->port, "fqdn", g->fqdn);
}

static json_t *cmd_gateway_list(struct control *ctl, const json_t *args, char *err,
				size_t errlen)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < ctl->cfg->n_gateways; i++)
		json_array_append_new(arr, gateway_json(&ctl->cfg->gateways[i]));
	return arr;
}

static json_t *cmd_gateway_add(struct control *ctl, const json_t *args, char *err,
			       size_t errlen)
{
	const char *name = need_str(args, "name", err, errlen);
	const char *addr = name ? need_str(args, "address", err, errlen) : NULL;
	const char *fqdn = addr ? need_str(args, "fqdn", err, errlen) : NULL;
	json_t *port = json_object_get(args, "port");
	struct config_gateway g = { 0 };
	struct config *next;

	if (!fqdn)
		return NULL;
	if (config_find_gateway(ctl->cfg, name)) {
		snprintf(err, errlen, "gateway '%s' already exists", name);
		return NULL;
	}
	if (copy_name(g.name, sizeof(g.name), "gateway name", name, err, errlen) < 0 ||
	    copy_name(g.fqdn, sizeof(g.fqdn), "fqdn", fqdn, err, errlen) < 0)
		return NULL;
	if (inet_pton(AF_INET, addr, &g.addr) != 1) {
		snprintf(err, errlen, "invalid IPv4 address '%s'", addr);
		return NULL;
	}
	inet_ntop(AF_INET, &g.addr, g.address, sizeof(g.address));
	if (port) {
		if (!json_is_integer(port) || json_integer_value(port) < 1 ||
		    json_integer_value(port) > 65535) {
			snprintf(err, errlen, "port must be 1..65535");
			return NULL;
		}
		g.port = (uint16_t)json_integer_value(port);
	}
	next = dup_running(ctl, err, errlen);
	if (!next)
		return NULL;
	if (array_push(&next->gateways, &next->n_gateways, sizeof(g), &g, err, errlen) < 0) {
		config_free(next);
		return NULL;
	}
	return commit(ctl, next, "gateway add", err, errlen);
}

static json_t *cmd_gateway_remove(struct control *ctl, const json_t *args, char *err,
				  size_t errlen)
{
	const char *name = need_str(args, "name", err, errlen);
	struct config *next;
	size_t i;

	if (!name)
		return NULL;
	if (!config_find_gateway(ctl->cfg, name)) {
		snprintf(err, errlen, "no gateway '%s'", name);
		return NULL;
	}
	for (i = 0; i < ctl->cfg->n_hunt_groups; i++) {
		if (strcmp(ctl->cfg->hunt_groups[i].gateway, name) == 0) {
			snprintf(err, errlen, "gateway '%s' has hunt group %s: remove it first", name,
				 ctl->cfg->hunt_groups[i].pilot);
			return NULL;
		}
	}
	next = dup_running(ctl, err, errlen);
	if (!next)
		return NULL;
	for (i = 0; i < next->n_gateways; i++)
		if (strcmp(next->gateways[i].name, name) == 0)
			break;
	array_remove(next->gateways, &next->n_gateways, sizeof(next->gateways[0]), i);
	return commit(ctl, next, "gateway remove", err, errlen);
}

/* ---- hunt groups ---- */

static json_t *cmd_huntgroup_list(struct control *ctl, const json_t *args, char *err,
				  size_t errlen)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < ctl->cfg->n_hunt_groups; i++) {
		const struct config_hunt_group *h = &ctl->cfg->hunt_groups[i];
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "gateway", h->gateway,
						     "pilot", h->pilot, "dial_plan", h->dial_plan));
	}
	return arr;
}

static ssize_t find_hunt_group(const struct config *c, const char *gw, const char *pilot)
{
	for (size_t i = 0; i < c->n_hunt_groups; i++)
		if (strcmp(c->hunt_groups[i].gateway, gw) == 0 &&
		    strcmp(c->hunt_groups[i].pilot, pilot) == 0)
			return (ssize_t)i;
	return -1;
}

static json_t *cmd_huntgroup_add(struct control *ctl, const json_t *args, char *err,
				 size_t errlen)
{
	const char *gw = need_str(args, "gateway", err, errlen);
	const char *pilot = gw ? need_str(args, "pilot", err, errlen) : NULL;
	const char *plan = pilot ? need_str(args, "dial_plan", err, errlen) : NULL;
	struct config_hunt_group h = { 0 };
	struct config *next;

	if (!plan)
		return NULL;
	if (!config_find_gateway(ctl->cfg, gw)) {
		snprintf(err, errlen, "no gateway '%s'", gw);
		return NULL;
	}
	if (!config_find_dial_plan(ctl->cfg, plan)) {
		snprintf(err, errlen, "no dial plan '%s'", plan);
		return NULL;
	}
	if (find_hunt_group(ctl->cfg, gw, pilot) >= 0) {
		snprintf(err, errlen, "hunt group %s/%s already exists", gw, pilot);
		return NULL;
	}
	if (copy_name(h.gateway, sizeof(h.gateway), "gateway", gw, err, errlen) < 0 ||
	    copy_name(h.pilot, sizeof(h.pilot), "pilot", pilot, err, errlen) < 0 ||
	    copy_name(h.dial_plan, sizeof(h.dial_plan), "dial plan", plan, err, errlen) < 0)
		return NULL;
	next = dup_running(ctl, err, errlen);
	if (!next)
		return NULL;
	if (array_push(&next->hunt_groups, &next->n_hunt_groups, sizeof(h), &h, err, errlen) < 0) {
		config_free(next);
		return NULL;
	}
	return commit(ctl, next, "huntgroup add", err, errlen);
}

static json_t *cmd_huntgroup_remove(struct control *ctl, const json_t *args, char *err,
				    size_t errlen)
{
	const char *gw = need_str(args, "gateway", err, errlen);
	const char *pilot = gw ? need_str(args, "pilot", err, errlen) : NULL;
	struct config *next;
	ssize_t i;

	if (!pilot)
		return NULL;
	if (find_hunt_group(ctl->cfg, gw, pilot) < 0) {
		snprintf(err, errlen, "no hunt group %s/%s", gw, pilot);
		return NULL;
	}
	next = dup_running(ctl, err, errlen);
	if (!next)
		return NULL;
	i = find_hunt_group(next, gw, pilot);
	array_remove(next->hunt_groups, &next->n_hunt_groups, sizeof(next->hunt_groups[0]),
		     (size_t)i);
	return commit(ctl, next, "huntgroup remove", err, errlen);
}

/* ---- certificates ---- */

static json_t *cmd_cert_show(struct control *ctl, const json_t *args, char *err,
			     size_t errlen)
{
	if (!ctl->cert.present) {
		snprintf(err, errlen, "no certificate in use");
		return NULL;
	}
	return control_cert_json(ctl);
}

static json_t *cmd_cert_list(struct control *ctl, const json_t *args, char *err,
			     size_t errlen)
{
	return control_cert_list_json(ctl, err, errlen);
}

static json_t *cmd_cert_export(struct control *ctl, const json_t *args, char *err,
			       size_t errlen)
{
	if (!ctl->cert.present) {
		snprintf(err, errlen, "no certificate in use");
		return NULL;
	}
	/* Only the certificate and its chain: the key never leaves. */
	return json_pack("{s:s, s:s}", "thumbprint_sha1", ctl->cert.thumbprint, "pem",
			 ctl->cert.cert_pem);
}

static json_t *cmd_cert_reload(struct control *ctl, const json_t *args, char *err,
			       size_t errlen)
{
	if (control_cert_refresh(ctl, CERTSTORE_TRIGGER_STORE_CHANGED, err, errlen) < 0)
		return NULL;
	return control_cert_json(ctl);
}

/* ---- events and configuration ---- */

static json_t *cmd_events(struct control *ctl, const json_t *args, char *err, size_t errlen)
{
	json_t *limit = json_object_get(args, "limit");
	json_int_t n = EVENTS_DEFAULT_LIMIT;

	if (limit) {
		if (!json_is_integer(limit) || json_integer_value(limit) < 0 ||
		    json_integer_value(limit) > EVENTS_MAX_LIMIT) {
			snprintf(err, errlen, "limit must be 0..%d", EVENTS_MAX_LIMIT);
			return NULL;
		}
		n = json_integer_value(limit);
	}
	return events_tail(&ctl->ev, (size_t)n);
}

static json_t *cmd_config_reload(struct control *ctl, const json_t *args, char *err,
				 size_t errlen)
{
	if (control_reload(ctl, err, errlen) < 0)
		return NULL;
	return json_pack("{s:I}", "snapshot_version", (json_int_t)ctl->snapshot_version);
}

static const struct {
	const char *name;
	command_fn fn;
	int flags;
} commands[] = {
	{ "status", cmd_status, 0 },
	{ "sip.status", cmd_sip_status, 0 },
	{ "dialplan.list", cmd_dialplan_list, 0 },
	{ "dialplan.show", cmd_dialplan_show, 0 },
	{ "dialplan.add", cmd_dialplan_add, CMD_MUTATES },
	{ "dialplan.set", cmd_dialplan_set, CMD_MUTATES },
	{ "dialplan.remove", cmd_dialplan_remove, CMD_MUTATES },
	{ "server.associate", cmd_server_associate, CMD_MUTATES },
	{ "server.dissociate", cmd_server_dissociate, CMD_MUTATES },
	{ "gateway.list", cmd_gateway_list, 0 },
	{ "gateway.add", cmd_gateway_add, CMD_MUTATES },
	{ "gateway.remove", cmd_gateway_remove, CMD_MUTATES },
	{ "huntgroup.list", cmd_huntgroup_list, 0 },
	{ "huntgroup.add", cmd_huntgroup_add, CMD_MUTATES },
	{ "huntgroup.remove", cmd_huntgroup_remove, CMD_MUTATES },
	{ "cert.show", cmd_cert_show, 0 },
	{ "cert.list", cmd_cert_list, 0 },
	{ "cert.export", cmd_cert_export, 0 },
	{ "cert.reload", cmd_cert_reload, 0 },
	{ "events", cmd_events, 0 },
	{ "config.reload", cmd_config_reload, 0 },
};

json_t *commands_dispatch(struct control *ctl, const json_t *request)
{
	const char *cmd = json_string_value(json_object_get(request, "cmd"));
	const json_t *args = json_object_get(request, "args");
	char err[CONFIG_ERR_MAX] = "";
	json_t *result;

	if (!cmd)
		return json_pack("{s:b, s:s}", "ok", 0, "error", "request without \"cmd\"");
	if (args && !json_is_object(args))
		return json_pack("{s:b, s:s}", "ok", 0, "error", "\"args\" must be an object");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, cmd) != 0)
			continue;
		uint64_t rejected = ctl->n_rejected;

		result = commands[i].fn(ctl, args, err, sizeof(err));
		/* Refused before validation ran: still an event, so a
		 * misconfiguration is diagnosable from the log alone. */
		if (!result && (commands[i].flags & CMD_MUTATES) && ctl->n_rejected == rejected)
			events_emitf(&ctl->ev, UMEDGE_EV_ConfigRejected, "{s:s, s:s}", "origin",
				     cmd, "reason", err[0] ? err : "failed");
		if (!result)
			return json_pack("{s:b, s:s}", "ok", 0, "error",
					 err[0] ? err : "failed");
		return json_pack("{s:b, s:o}", "ok", 1, "result", result);
	}
	return json_pack("{s:b, s:s+}", "ok", 0, "error", "unknown command ", cmd);
}
