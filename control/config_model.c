/* config_model: defaults, deep copy, free, comparison and lookups. */
#include "umedge/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->server.control_socket, sizeof(c->server.control_socket), "%s",
		 CONFIG_DEFAULT_CONTROL_SOCKET);
	c->server.start_secured = 0;
	c->certificates.self_signed_key = UMEDGE_KEY_RSA2048;
	c->certificates.self_signed_days = CONFIG_DEFAULT_SELF_SIGNED_DAYS;
	c->certificates.expiry_warning_days = CONFIG_DEFAULT_EXPIRY_WARNING_DAYS;
	c->application.port = UMEDGE_SIP_PORT;
	c->application.transport = UMEDGE_TRANSPORT_UDP;
	c->dataplane.workers = CONFIG_DEFAULT_WORKERS;
	c->dataplane.idle = CONFIG_IDLE_BACKOFF;
	c->dataplane.media_external.first = CONFIG_DEFAULT_MEDIA_EXTERNAL_FIRST;
	c->dataplane.media_idle_timeout_s = CONFIG_DEFAULT_MEDIA_IDLE_TIMEOUT_S;
	c->dataplane.media_external.last = CONFIG_DEFAULT_MEDIA_EXTERNAL_LAST;
	c->dataplane.media_internal.first = CONFIG_DEFAULT_MEDIA_INTERNAL_FIRST;
	c->dataplane.media_internal.last = CONFIG_DEFAULT_MEDIA_INTERNAL_LAST;
	c->dataplane.tcp.max_connections = CONFIG_DEFAULT_TCP_MAX_CONNECTIONS;
	c->dataplane.tcp.max_per_source = CONFIG_DEFAULT_TCP_MAX_PER_SOURCE;
	c->dataplane.tcp.half_open = CONFIG_DEFAULT_TCP_HALF_OPEN;
	c->dataplane.tcp.buffer_kib = CONFIG_DEFAULT_TCP_BUFFER_KIB;
	c->dataplane.sip.max_message_bytes = CONFIG_DEFAULT_SIP_MAX_MESSAGE;
	c->dataplane.sip.max_headers = CONFIG_DEFAULT_SIP_MAX_HEADERS;
	c->dataplane.sip.max_header_line_bytes = CONFIG_DEFAULT_SIP_MAX_HEADER_LINE;
	c->dataplane.sip.max_vias = CONFIG_DEFAULT_SIP_MAX_VIAS;
	c->dataplane.sip.t1_ms = CONFIG_DEFAULT_SIP_T1_MS;
	c->dataplane.sip.t2_ms = CONFIG_DEFAULT_SIP_T2_MS;
	c->dataplane.sip.t4_ms = CONFIG_DEFAULT_SIP_T4_MS;
	c->dataplane.sip.max_transactions = CONFIG_DEFAULT_SIP_MAX_TRANSACTIONS;
	c->dataplane.sip.keepalive_s = CONFIG_DEFAULT_SIP_KEEPALIVE_S;
	c->ng.timeout_s = CONFIG_DEFAULT_NG_TIMEOUT_S;
	c->ng.max_calls = CONFIG_DEFAULT_NG_MAX_CALLS;
	c->dataplane.sip.max_calls = CONFIG_DEFAULT_SIP_MAX_CALLS;
	c->dataplane.sip.media_timeout_s = CONFIG_DEFAULT_SIP_MEDIA_TIMEOUT_S;
	c->dataplane.sip.max_uri_bytes = CONFIG_DEFAULT_SIP_MAX_URI;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->server.dial_plans);
	free(c->dial_plans);
	free(c->gateways);
	free(c->hunt_groups);
	for (int i = 0; i < c->dataplane.n_eal && i < CONFIG_EAL_ARGS_MAX; i++)
		free(c->dataplane.eal[i]);
	free(c);
}

/* Copy n items of size bytes; NULL for none. Sets *ok false on failure. */
static void *dup_array(const void *src, size_t n, size_t size, bool *ok)
{
	void *p;

	if (n == 0 || !src)
		return NULL;
	p = calloc(n, size);
	if (!p) {
		*ok = false;
		return NULL;
	}
	memcpy(p, src, n * size);
	return p;
}

struct config *config_dup(const struct config *c)
{
	struct config *d = NULL;
	bool ok = true;

	if (!c)
		goto out;
	d = malloc(sizeof(*d));
	if (!d)
		goto out;
	/* Plain fields first, then replace every pointer with a copy; clear the
	 * EAL slots so a failed copy never frees c's strings. */
	*d = *c;
	d->dataplane.n_eal = 0;
	memset(d->dataplane.eal, 0, sizeof(d->dataplane.eal));
	d->server.dial_plans = dup_array(c->server.dial_plans, c->server.n_dial_plans,
					 sizeof(*c->server.dial_plans), &ok);
	d->dial_plans = dup_array(c->dial_plans, c->n_dial_plans,
				  sizeof(*c->dial_plans), &ok);
	d->gateways = dup_array(c->gateways, c->n_gateways, sizeof(*c->gateways), &ok);
	d->hunt_groups = dup_array(c->hunt_groups, c->n_hunt_groups,
				   sizeof(*c->hunt_groups), &ok);
	for (int i = 0; ok && i < c->dataplane.n_eal && i < CONFIG_EAL_ARGS_MAX; i++) {
		d->dataplane.eal[i] = strdup(c->dataplane.eal[i] ? c->dataplane.eal[i] : "");
		if (!d->dataplane.eal[i])
			ok = false;
		else
			d->dataplane.n_eal++;
	}
	if (!ok) {
		config_free(d);
		d = NULL;
	}
out:
	return d;
}

static bool iface_equal(const struct config_interface *a, const struct config_interface *b)
{
	return a->port_id == b->port_id && a->addr.s_addr == b->addr.s_addr &&
	       strcmp(a->address, b->address) == 0 && a->prefix_len == b->prefix_len &&
	       a->has_gateway == b->has_gateway &&
	       (!a->has_gateway || a->gateway.s_addr == b->gateway.s_addr);
}

static bool dataplane_equal(const struct config_dataplane *a,
			    const struct config_dataplane *b)
{
	if (a->present != b->present)
		return false;
	if (!a->present)
		return true;
	if (a->n_eal != b->n_eal || a->workers != b->workers || a->idle != b->idle ||
	    !iface_equal(&a->external, &b->external) ||
	    !iface_equal(&a->internal, &b->internal) ||
	    a->media_external.first != b->media_external.first ||
	    a->media_external.last != b->media_external.last ||
	    a->media_internal.first != b->media_internal.first ||
	    a->media_internal.last != b->media_internal.last ||
	    a->media_idle_timeout_s != b->media_idle_timeout_s ||
	    a->udp_echo_port != b->udp_echo_port || a->tcp_echo_port != b->tcp_echo_port ||
	    a->tls_echo_port != b->tls_echo_port || a->crypto_lcores != b->crypto_lcores ||
	    a->tls_offload != b->tls_offload || a->srtp_engine != b->srtp_engine ||
	    strcmp(a->tls_ciphers, b->tls_ciphers) != 0 ||
	    strcmp(a->tls_ciphersuites, b->tls_ciphersuites) != 0 ||
	    memcmp(&a->tcp, &b->tcp, sizeof(a->tcp)) != 0 ||
	    memcmp(&a->sip, &b->sip, sizeof(a->sip)) != 0 ||
	    memcmp(&a->tcp_fault, &b->tcp_fault, sizeof(a->tcp_fault)) != 0 ||
	    a->tcp_dial.on != b->tcp_dial.on ||
	    (a->tcp_dial.on && (a->tcp_dial.addr.s_addr != b->tcp_dial.addr.s_addr ||
				a->tcp_dial.port != b->tcp_dial.port ||
				a->tcp_dial.connections != b->tcp_dial.connections ||
				a->tcp_dial.bytes != b->tcp_dial.bytes)))
		return false;
	for (int i = 0; i < a->n_eal && i < CONFIG_EAL_ARGS_MAX; i++)
		if (strcmp(a->eal[i], b->eal[i]) != 0)
			return false;
	return true;
}

static bool server_equal(const struct config_server *a, const struct config_server *b)
{
	if (strcmp(a->fqdn, b->fqdn) != 0 || strcmp(a->state_dir, b->state_dir) != 0 ||
	    strcmp(a->control_socket, b->control_socket) != 0 ||
	    a->start_secured != b->start_secured || a->n_dial_plans != b->n_dial_plans)
		return false;
	for (size_t i = 0; i < a->n_dial_plans; i++)
		if (strcmp(a->dial_plans[i], b->dial_plans[i]) != 0)
			return false;
	return true;
}

static bool dial_plan_equal(const struct config_dial_plan *a,
			    const struct config_dial_plan *b)
{
	return strcmp(a->name, b->name) == 0 && a->security == b->security &&
	       a->n_suites == b->n_suites &&
	       memcmp(a->suites, b->suites, sizeof(a->suites[0]) * (size_t)a->n_suites) == 0;
}

static bool gateway_equal(const struct config_gateway *a, const struct config_gateway *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->address, b->address) == 0 &&
	       a->addr.s_addr == b->addr.s_addr && a->port == b->port &&
	       strcmp(a->fqdn, b->fqdn) == 0;
}

static bool hunt_group_equal(const struct config_hunt_group *a,
			     const struct config_hunt_group *b)
{
	return strcmp(a->gateway, b->gateway) == 0 && strcmp(a->pilot, b->pilot) == 0 &&
	       strcmp(a->dial_plan, b->dial_plan) == 0;
}

bool config_equal(const struct config *a, const struct config *b)
{
	const struct config_certificates *ca = &a->certificates, *cb = &b->certificates;
	const struct config_application *aa = &a->application, *ab = &b->application;

	if (!server_equal(&a->server, &b->server) ||
	    strcmp(ca->store, cb->store) != 0 || strcmp(ca->trust, cb->trust) != 0 ||
	    ca->self_signed_key != cb->self_signed_key ||
	    ca->self_signed_days != cb->self_signed_days ||
	    ca->expiry_warning_days != cb->expiry_warning_days)
		return false;
	if (aa->present != ab->present ||
	    (aa->present && (aa->addr.s_addr != ab->addr.s_addr || aa->port != ab->port ||
			     aa->transport != ab->transport)))
		return false;
	if (a->metrics.present != b->metrics.present ||
	    (a->metrics.present && (a->metrics.addr.s_addr != b->metrics.addr.s_addr ||
				    a->metrics.port != b->metrics.port)))
		return false;
	if (a->ng.present != b->ng.present ||
	    (a->ng.present && (a->ng.addr.s_addr != b->ng.addr.s_addr || a->ng.port != b->ng.port ||
			       a->ng.timeout_s != b->ng.timeout_s ||
			       a->ng.max_calls != b->ng.max_calls)))
		return false;
	if (a->n_dial_plans != b->n_dial_plans || a->n_gateways != b->n_gateways ||
	    a->n_hunt_groups != b->n_hunt_groups)
		return false;
	for (size_t i = 0; i < a->n_dial_plans; i++)
		if (!dial_plan_equal(&a->dial_plans[i], &b->dial_plans[i]))
			return false;
	for (size_t i = 0; i < a->n_gateways; i++)
		if (!gateway_equal(&a->gateways[i], &b->gateways[i]))
			return false;
	for (size_t i = 0; i < a->n_hunt_groups; i++)
		if (!hunt_group_equal(&a->hunt_groups[i], &b->hunt_groups[i]))
			return false;
	return dataplane_equal(&a->dataplane, &b->dataplane);
}

struct config_dial_plan *config_find_dial_plan(const struct config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_dial_plans; i++)
		if (strcmp(c->dial_plans[i].name, name) == 0)
			return &c->dial_plans[i];
	return NULL;
}

struct config_gateway *config_find_gateway(const struct config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_gateways; i++)
		if (strcmp(c->gateways[i].name, name) == 0)
			return &c->gateways[i];
	return NULL;
}

bool config_dial_plan_associated(const struct config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->server.n_dial_plans; i++)
		if (strcmp(c->server.dial_plans[i], name) == 0)
			return true;
	return false;
}
