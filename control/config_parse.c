/* config_parse: YAML text -> struct config. Every value is checked where
 * it is read so the message can point at its line; cross-item checks
 * (duplicates, references) are config_validate's job, run at the end. */
#include "umedge/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_tree.h"
#include "fsutil.h"

static int parse_server(struct config_yctx *y, const struct config_ynode *n,
			struct config_server *s)
{
	static const char *const keys[] = {
		"fqdn", "state_dir", "control_socket", "start_secured", "dial_plans", NULL
	};
	const struct config_ynode *v;
	size_t count;
	long val;

	if (config_ymap_check(y, n, "server", keys) < 0)
		return -1;
	if (config_yrequire(y, n, "server", "fqdn", &v) < 0 ||
	    config_yfqdn(y, v, "server", "fqdn", s->fqdn, sizeof(s->fqdn)) < 0)
		return -1;
	if (config_yrequire(y, n, "server", "state_dir", &v) < 0 ||
	    config_ystr(y, v, "server", "state_dir", s->state_dir, sizeof(s->state_dir)) < 0)
		return -1;
	v = config_ymap_get(n, "control_socket");
	if (v && config_ystr(y, v, "server", "control_socket", s->control_socket,
			     sizeof(s->control_socket)) < 0)
		return -1;
	v = config_ymap_get(n, "start_secured");
	if (v) {
		if (config_yint(y, v, "server", "start_secured", 0, 1, &val) < 0)
			return -1;
		s->start_secured = (int)val;
	}
	v = config_ymap_get(n, "dial_plans");
	if (!v)
		return 0;
	if (config_yseq(y, v, "server", "dial_plans", CONFIG_LIST_MAX, &count) < 0)
		return -1;
	s->dial_plans_line = v->line;
	if (count == 0)
		return 0;
	s->dial_plans = calloc(count, sizeof(*s->dial_plans));
	if (!s->dial_plans)
		return config_yerr(y, 0, "out of memory");
	for (size_t i = 0; i < count; i++) {
		char key[48];

		snprintf(key, sizeof(key), "dial_plans[%zu]", i);
		if (config_yname(y, config_yitem(v, i), "server", key, s->dial_plans[i],
				 CONFIG_NAME_MAX) < 0)
			return -1;
		s->n_dial_plans++;
	}
	return 0;
}

static int parse_self_signed(struct config_yctx *y, const struct config_ynode *n,
			     struct config_certificates *c)
{
	static const char *const keys[] = { "key", "days", NULL };
	const struct config_ynode *v;
	long val;
	int k;

	if (config_ymap_check(y, n, "certificates.self_signed", keys) < 0)
		return -1;
	v = config_ymap_get(n, "key");
	if (v) {
		if (config_yenum(y, v, "self_signed key", umedge_key_type_names,
				 UMEDGE_KEY_COUNT, &k) < 0)
			return -1;
		c->self_signed_key = (enum umedge_key_type)k;
	}
	v = config_ymap_get(n, "days");
	if (v) {
		if (config_yint(y, v, "certificates.self_signed", "days", 1, 36500, &val) < 0)
			return -1;
		c->self_signed_days = (int)val;
	}
	return 0;
}

static int parse_certificates(struct config_yctx *y, const struct config_ynode *n,
			      struct config_certificates *c)
{
	static const char *const keys[] = {
		"store", "trust", "self_signed", "expiry_warning_days", NULL
	};
	const struct config_ynode *v;
	long val;

	if (config_ymap_check(y, n, "certificates", keys) < 0)
		return -1;
	if (config_yrequire(y, n, "certificates", "store", &v) < 0 ||
	    config_ystr(y, v, "certificates", "store", c->store, sizeof(c->store)) < 0)
		return -1;
	if (config_yrequire(y, n, "certificates", "trust", &v) < 0 ||
	    config_ystr(y, v, "certificates", "trust", c->trust, sizeof(c->trust)) < 0)
		return -1;
	v = config_ymap_get(n, "self_signed");
	if (v && parse_self_signed(y, v, c) < 0)
		return -1;
	v = config_ymap_get(n, "expiry_warning_days");
	if (v) {
		if (config_yint(y, v, "certificates", "expiry_warning_days", 0, 365, &val) < 0)
			return -1;
		c->expiry_warning_days = (int)val;
	}
	return 0;
}

static int parse_suites(struct config_yctx *y, const struct config_ynode *v,
			const char *where, struct config_dial_plan *dp)
{
	size_t count;
	int s;

	if (config_yseq(y, v, where, "srtp_suites", CONFIG_LIST_MAX, &count) < 0)
		return -1;
	if (count == 0)
		return config_yerr(y, v->line, "%s.srtp_suites: list at least one suite", where);
	dp->n_suites = 0;
	for (size_t i = 0; i < count; i++) {
		const struct config_ynode *it = config_yitem(v, i);

		if (config_yenum(y, it, "SRTP suite", umedge_srtp_suite_names,
				 UMEDGE_SRTP_SUITE_COUNT, &s) < 0)
			return -1;
		/* Distinct suites cannot outnumber the array, so no overflow. */
		for (int j = 0; j < dp->n_suites; j++)
			if (dp->suites[j] == (enum umedge_srtp_suite)s)
				return config_yerr(y, it->line, "%s.srtp_suites: '%s' listed twice",
						   where, it->text);
		dp->suites[dp->n_suites++] = (enum umedge_srtp_suite)s;
	}
	return 0;
}

static int parse_dial_plan(struct config_yctx *y, const struct config_ynode *n,
			   size_t idx, void *item)
{
	struct config_dial_plan *dp = item;
	static const char *const keys[] = { "name", "voip_security", "srtp_suites", NULL };
	const struct config_ynode *v;
	char where[48];
	int sec;

	snprintf(where, sizeof(where), "dial_plans[%zu]", idx);
	if (config_ymap_check(y, n, where, keys) < 0)
		return -1;
	dp->line = n->line;
	if (config_yrequire(y, n, where, "name", &v) < 0 ||
	    config_yname(y, v, where, "name", dp->name, sizeof(dp->name)) < 0)
		return -1;
	if (config_yrequire(y, n, where, "voip_security", &v) < 0 ||
	    config_yenum(y, v, "voip_security", umedge_security_names, UMEDGE_SEC_COUNT,
			 &sec) < 0)
		return -1;
	dp->security = (enum umedge_security)sec;
	/* Every plan gets the full offer list unless told otherwise, so a plan
	 * switched to secured later has suites to offer. */
	for (int i = 0; i < UMEDGE_SRTP_SUITE_COUNT; i++)
		dp->suites[i] = (enum umedge_srtp_suite)i;
	dp->n_suites = UMEDGE_SRTP_SUITE_COUNT;
	v = config_ymap_get(n, "srtp_suites");
	if (v && parse_suites(y, v, where, dp) < 0)
		return -1;
	return 0;
}

static int parse_gateway(struct config_yctx *y, const struct config_ynode *n,
			 size_t idx, void *item)
{
	struct config_gateway *gw = item;
	static const char *const keys[] = { "name", "address", "port", "fqdn", NULL };
	const struct config_ynode *v;
	char where[48];

	snprintf(where, sizeof(where), "ip_gateways[%zu]", idx);
	if (config_ymap_check(y, n, where, keys) < 0)
		return -1;
	gw->line = n->line;
	if (config_yrequire(y, n, where, "name", &v) < 0 ||
	    config_yname(y, v, where, "name", gw->name, sizeof(gw->name)) < 0)
		return -1;
	if (config_yrequire(y, n, where, "address", &v) < 0 ||
	    config_yipv4(y, v, where, "address", gw->address, &gw->addr) < 0)
		return -1;
	v = config_ymap_get(n, "port");
	if (v && config_yport(y, v, where, "port", &gw->port) < 0)
		return -1;
	v = config_ymap_get(n, "fqdn");
	if (v && config_yfqdn(y, v, where, "fqdn", gw->fqdn, sizeof(gw->fqdn)) < 0)
		return -1;
	return 0;
}

static int parse_hunt_group(struct config_yctx *y, const struct config_ynode *n,
			    size_t idx, void *item)
{
	struct config_hunt_group *hg = item;
	static const char *const keys[] = { "gateway", "pilot", "dial_plan", NULL };
	const struct config_ynode *v;
	char where[48];

	snprintf(where, sizeof(where), "hunt_groups[%zu]", idx);
	if (config_ymap_check(y, n, where, keys) < 0)
		return -1;
	hg->line = n->line;
	if (config_yrequire(y, n, where, "gateway", &v) < 0 ||
	    config_yname(y, v, where, "gateway", hg->gateway, sizeof(hg->gateway)) < 0)
		return -1;
	if (config_yrequire(y, n, where, "pilot", &v) < 0 ||
	    config_ystr(y, v, where, "pilot", hg->pilot, sizeof(hg->pilot)) < 0)
		return -1;
	if (!config_pilot_valid(hg->pilot))
		return config_yerr(y, v->line,
				   "%s.pilot: '%s' is not a pilot number (digits, '+', '*', '#')",
				   where, hg->pilot);
	if (config_yrequire(y, n, where, "dial_plan", &v) < 0 ||
	    config_yname(y, v, where, "dial_plan", hg->dial_plan, sizeof(hg->dial_plan)) < 0)
		return -1;
	return 0;
}

static int parse_application(struct config_yctx *y, const struct config_ynode *n,
			     struct config_application *a)
{
	static const char *const keys[] = { "address", "port", "transport", NULL };
	const struct config_ynode *v;
	int t;

	if (config_ymap_check(y, n, "application", keys) < 0)
		return -1;
	if (config_ynull(n))
		return 0; /* "application:" with nothing: not configured */
	if (config_yrequire(y, n, "application", "address", &v) < 0 ||
	    config_yipv4(y, v, "application", "address", a->address, &a->addr) < 0)
		return -1;
	v = config_ymap_get(n, "port");
	if (v && config_yport(y, v, "application", "port", &a->port) < 0)
		return -1;
	v = config_ymap_get(n, "transport");
	if (v) {
		if (config_yenum(y, v, "transport", umedge_transport_names,
				 UMEDGE_TRANSPORT_COUNT, &t) < 0)
			return -1;
		a->transport = (enum umedge_transport)t;
	}
	a->present = true;
	return 0;
}

/* "ADDRESS:PORT" under where.listen */
static int parse_listen(struct config_yctx *y, const struct config_ynode *v, const char *where,
			const char *example, struct in_addr *addr, char *address, uint16_t *port)
{
	char text[64], *colon, *end;
	unsigned long p;

	if (config_ystr(y, v, where, "listen", text, sizeof(text)) < 0)
		return -1;
	colon = strrchr(text, ':');
	if (colon == NULL || colon == text)
		return config_yerr(y, v->line, "%s.listen: '%s' is not ADDRESS:PORT "
				   "(for example %s)", where, text, example);
	*colon = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || p < 1 || p > 65535)
		return config_yerr(y, v->line, "%s.listen: port '%s' is not 1..65535", where,
				   colon + 1);
	if (inet_pton(AF_INET, text, addr) != 1 ||
	    inet_ntop(AF_INET, addr, address, INET_ADDRSTRLEN) == NULL)
		return config_yerr(y, v->line, "%s.listen: '%s' is not an IPv4 address", where,
				   text);
	*port = (uint16_t)p;
	return 0;
}

/* metrics: { listen: ADDRESS:PORT } */
static int parse_metrics(struct config_yctx *y, const struct config_ynode *n,
			 struct config_metrics *m)
{
	static const char *const keys[] = { "listen", NULL };
	const struct config_ynode *v;

	if (config_ymap_check(y, n, "metrics", keys) < 0)
		return -1;
	if (config_ynull(n))
		return 0; /* "metrics:" with nothing: off */
	if (config_yrequire(y, n, "metrics", "listen", &v) < 0 ||
	    parse_listen(y, v, "metrics", "127.0.0.1:9469", &m->addr, m->address, &m->port) < 0)
		return -1;
	m->present = true;
	return 0;
}

/* ng: { listen: ADDRESS:PORT, timeout_s, max_calls } */
static int parse_ng(struct config_yctx *y, const struct config_ynode *n, struct config_ng *g)
{
	static const char *const keys[] = { "listen", "timeout_s", "max_calls", NULL };
	const struct config_ynode *v;
	long val;

	if (config_ymap_check(y, n, "ng", keys) < 0)
		return -1;
	if (config_ynull(n))
		return 0; /* "ng:" with nothing: off */
	if (config_yrequire(y, n, "ng", "listen", &v) < 0 ||
	    parse_listen(y, v, "ng", "198.51.100.1:2223", &g->addr, g->address, &g->port) < 0)
		return -1;
	if ((v = config_ymap_get(n, "timeout_s")) != NULL) {
		if (config_yint(y, v, "ng", "timeout_s", 1, 86400, &val) < 0)
			return -1;
		g->timeout_s = (uint32_t)val;
	}
	if ((v = config_ymap_get(n, "max_calls")) != NULL) {
		if (config_yint(y, v, "ng", "max_calls", 64, 1000000, &val) < 0)
			return -1;
		g->max_calls = (uint32_t)val;
	}
	g->present = true;
	return 0;
}

typedef int (*item_parser)(struct config_yctx *y, const struct config_ynode *n,
			   size_t idx, void *item);

/* A top-level list of mappings, one item parser each. The count grows as
 * items succeed, so config_free of a half-parsed config stays safe. */
static int parse_list(struct config_yctx *y, const struct config_ynode *root,
		      const char *key, size_t size, void **arr, size_t *n,
		      item_parser fn)
{
	const struct config_ynode *v = config_ymap_get(root, key);
	size_t count;

	if (!v)
		return 0;
	if (config_yseq(y, v, "", key, CONFIG_LIST_MAX, &count) < 0)
		return -1;
	if (count == 0)
		return 0;
	*arr = calloc(count, size);
	if (!*arr)
		return config_yerr(y, 0, "out of memory");
	for (size_t i = 0; i < count; i++) {
		if (fn(y, config_yitem(v, i), i, (char *)*arr + i * size) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int parse_root(struct config_yctx *y, const struct config_ynode *root,
		      struct config *c)
{
	static const char *const keys[] = {
		"server", "certificates", "dial_plans", "ip_gateways", "hunt_groups",
		"application", "metrics", "ng", "dataplane", NULL
	};
	const struct config_ynode *v;
	void *arr = NULL;
	int rc;

	if (!root || config_ynull(root))
		return config_yerr(y, 1, "the configuration is empty");
	if (config_ymap_check(y, root, "", keys) < 0)
		return -1;
	if (config_yrequire(y, root, "", "server", &v) < 0 ||
	    parse_server(y, v, &c->server) < 0)
		return -1;
	if (config_yrequire(y, root, "", "certificates", &v) < 0 ||
	    parse_certificates(y, v, &c->certificates) < 0)
		return -1;
	/* parse_list hands back what it allocated even on failure, so that
	 * config_free releases the items parsed so far. */
	rc = parse_list(y, root, "dial_plans", sizeof(*c->dial_plans), &arr,
			&c->n_dial_plans, parse_dial_plan);
	c->dial_plans = arr;
	if (rc < 0)
		return -1;
	arr = NULL;
	rc = parse_list(y, root, "ip_gateways", sizeof(*c->gateways), &arr,
			&c->n_gateways, parse_gateway);
	c->gateways = arr;
	if (rc < 0)
		return -1;
	arr = NULL;
	rc = parse_list(y, root, "hunt_groups", sizeof(*c->hunt_groups), &arr,
			&c->n_hunt_groups, parse_hunt_group);
	c->hunt_groups = arr;
	if (rc < 0)
		return -1;
	v = config_ymap_get(root, "application");
	if (v && parse_application(y, v, &c->application) < 0)
		return -1;
	v = config_ymap_get(root, "ng");
	if (v && parse_ng(y, v, &c->ng) < 0)
		return -1;
	c->ng.line = v != NULL ? config_ymap_key_line(root, "ng") : 0;
	v = config_ymap_get(root, "metrics");
	if (v && parse_metrics(y, v, &c->metrics) < 0)
		return -1;
	v = config_ymap_get(root, "dataplane");
	if (v && config_parse_dataplane(y, v, config_ymap_key_line(root, "dataplane"),
					&c->dataplane) < 0)
		return -1;
	return 0;
}

int config_parse(const char *name, const char *buf, size_t len,
		 struct config **out, char *err, size_t errlen)
{
	struct config_yctx y = { .name = name ? name : "<config>", .err = err,
				 .errlen = errlen };
	struct config_ynode *root = NULL;
	struct config *c = NULL;
	int rc = -1;

	if (len > CONFIG_FILE_MAX) {
		config_yerr(&y, 0, "too large (%zu bytes, limit %d)", len, CONFIG_FILE_MAX);
		goto out;
	}
	if (config_ytree_load(&y, buf ? buf : "", buf ? len : 0, &root) < 0)
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c) {
		config_yerr(&y, 0, "out of memory");
		goto out;
	}
	config_defaults(c);
	/* validate prefixes its messages with c->path; it must name the input. */
	snprintf(c->path, sizeof(c->path), "%s", y.name);
	if (parse_root(&y, root, c) < 0)
		goto out;
	if (config_validate(c, err, errlen) < 0)
		goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	config_free(c);
	config_ytree_free(root);
	return rc;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = fsutil_read_file(path, CONFIG_FILE_MAX, &buf, &len);
	if (rc == -EFBIG) {
		snprintf(err, errlen, "%s: too large (limit %d bytes)", path, CONFIG_FILE_MAX);
		rc = -1;
		goto out;
	}
	if (rc == -EINVAL) {
		snprintf(err, errlen, "%s: not a regular file", path);
		rc = -1;
		goto out;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		rc = -1;
		goto out;
	}
	rc = config_parse(path, buf, len, out, err, errlen);
out:
	free(buf);
	return rc;
}
