/* config_emit: struct config -> YAML that config_parse reads back to an
 * equal model, through libyaml's emitter so quoting is always right. Lists
 * of items use flow style, one item a line, like docs/examples/umedge.yaml.
 * Keys at their default are left out unless they are what an operator looks
 * for first (modes, certificate policy, the association). */
#include "umedge/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "fsutil.h"

#define EMIT_HEADER "# written by umedge-control\n"

struct emit {
	yaml_emitter_t e;
	bool failed;
	char *buf;
	size_t len, cap;
};

static int emit_write(void *data, unsigned char *chunk, size_t size)
{
	struct emit *m = data;

	if (m->len + size + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 1024;
		char *b;

		while (cap < m->len + size + 1)
			cap *= 2;
		b = realloc(m->buf, cap);
		if (!b)
			return 0; /* libyaml: 0 is a write error */
		m->buf = b;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, chunk, size);
	m->len += size;
	m->buf[m->len] = '\0';
	return 1;
}

/* Emit ev (initialised by the caller: ok says whether that worked). The
 * first failure sticks, so callers check once at the end. */
static void put(struct emit *m, int ok, yaml_event_t *ev)
{
	if (!ok) {
		m->failed = true;
	} else if (m->failed) {
		yaml_event_delete(ev);
	} else if (!yaml_emitter_emit(&m->e, ev)) {
		/* yaml_emitter_emit owns ev from the call on, success or not. */
		m->failed = true;
	}
}

/* Would config_parse (or a YAML 1.1 reader) take plain s for something
 * other than this string: null, a boolean, a number? Then quote it. */
static bool looks_typed(const char *s)
{
	static const char *const words[] = {
		"", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False",
		"FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off",
		"Off", "OFF", "y", "Y", "n", "N", NULL
	};
	const char *p = s;

	for (int i = 0; words[i]; i++)
		if (strcmp(words[i], s) == 0)
			return true;
	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.')
		p++;
	return *p >= '0' && *p <= '9';
}

static void str(struct emit *m, const char *s)
{
	yaml_scalar_style_t style = looks_typed(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
						   : YAML_ANY_SCALAR_STYLE;
	yaml_event_t ev;

	put(m, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
					    (int)strlen(s), 1, 1, style), &ev);
}

/* Words from our own tables and numbers: always plain. */
static void word(struct emit *m, const char *s)
{
	yaml_event_t ev;

	put(m, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
					    (int)strlen(s), 1, 1,
					    YAML_PLAIN_SCALAR_STYLE), &ev);
}

static void num(struct emit *m, long v)
{
	char b[24];

	snprintf(b, sizeof(b), "%ld", v);
	word(m, b);
}

static void map_start(struct emit *m, bool flow)
{
	yaml_event_t ev;

	put(m, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE), &ev);
}

static void map_end(struct emit *m)
{
	yaml_event_t ev;

	put(m, yaml_mapping_end_event_initialize(&ev), &ev);
}

static void seq_start(struct emit *m, bool flow)
{
	yaml_event_t ev;

	put(m, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE), &ev);
}

static void seq_end(struct emit *m)
{
	yaml_event_t ev;

	put(m, yaml_sequence_end_event_initialize(&ev), &ev);
}

static void kv_str(struct emit *m, const char *k, const char *v)
{
	word(m, k);
	str(m, v);
}

static void kv_word(struct emit *m, const char *k, const char *v)
{
	word(m, k);
	word(m, v);
}

static void kv_num(struct emit *m, const char *k, long v)
{
	word(m, k);
	num(m, v);
}

static void emit_server(struct emit *m, const struct config_server *s)
{
	word(m, "server");
	map_start(m, false);
	kv_str(m, "fqdn", s->fqdn);
	kv_str(m, "state_dir", s->state_dir);
	if (strcmp(s->control_socket, CONFIG_DEFAULT_CONTROL_SOCKET) != 0)
		kv_str(m, "control_socket", s->control_socket);
	kv_num(m, "start_secured", s->start_secured);
	word(m, "dial_plans");
	seq_start(m, true);
	for (size_t i = 0; i < s->n_dial_plans; i++)
		str(m, s->dial_plans[i]);
	seq_end(m);
	map_end(m);
}

static void emit_certificates(struct emit *m, const struct config_certificates *c)
{
	word(m, "certificates");
	map_start(m, false);
	kv_str(m, "store", c->store);
	kv_str(m, "trust", c->trust);
	word(m, "self_signed");
	map_start(m, true);
	kv_word(m, "key", umedge_key_type_name(c->self_signed_key));
	kv_num(m, "days", c->self_signed_days);
	map_end(m);
	kv_num(m, "expiry_warning_days", c->expiry_warning_days);
	map_end(m);
}

static bool default_suites(const struct config_dial_plan *dp)
{
	if (dp->n_suites != UMEDGE_SRTP_SUITE_COUNT)
		return false;
	for (int i = 0; i < dp->n_suites; i++)
		if (dp->suites[i] != (enum umedge_srtp_suite)i)
			return false;
	return true;
}

static void emit_dial_plans(struct emit *m, const struct config *c)
{
	if (c->n_dial_plans == 0)
		return;
	word(m, "dial_plans");
	seq_start(m, false);
	for (size_t i = 0; i < c->n_dial_plans; i++) {
		const struct config_dial_plan *dp = &c->dial_plans[i];

		map_start(m, true);
		kv_str(m, "name", dp->name);
		kv_word(m, "voip_security", umedge_security_name(dp->security));
		if (!default_suites(dp)) {
			word(m, "srtp_suites");
			seq_start(m, true);
			for (int j = 0; j < dp->n_suites; j++)
				word(m, umedge_srtp_suite_name(dp->suites[j]));
			seq_end(m);
		}
		map_end(m);
	}
	seq_end(m);
}

static void emit_gateways(struct emit *m, const struct config *c)
{
	if (c->n_gateways == 0)
		return;
	word(m, "ip_gateways");
	seq_start(m, false);
	for (size_t i = 0; i < c->n_gateways; i++) {
		const struct config_gateway *gw = &c->gateways[i];

		map_start(m, true);
		kv_str(m, "name", gw->name);
		kv_word(m, "address", gw->address);
		if (gw->port)
			kv_num(m, "port", gw->port);
		if (gw->fqdn[0])
			kv_str(m, "fqdn", gw->fqdn);
		map_end(m);
	}
	seq_end(m);
}

static void emit_hunt_groups(struct emit *m, const struct config *c)
{
	if (c->n_hunt_groups == 0)
		return;
	word(m, "hunt_groups");
	seq_start(m, false);
	for (size_t i = 0; i < c->n_hunt_groups; i++) {
		const struct config_hunt_group *hg = &c->hunt_groups[i];

		map_start(m, true);
		kv_str(m, "gateway", hg->gateway);
		kv_str(m, "pilot", hg->pilot);
		kv_str(m, "dial_plan", hg->dial_plan);
		map_end(m);
	}
	seq_end(m);
}

static void emit_application(struct emit *m, const struct config_application *a)
{
	if (!a->present)
		return;
	word(m, "application");
	map_start(m, true);
	kv_word(m, "address", a->address);
	kv_num(m, "port", a->port);
	kv_word(m, "transport", umedge_transport_name(a->transport));
	map_end(m);
}

static void emit_metrics(struct emit *m, const struct config_metrics *mt)
{
	char listen[INET_ADDRSTRLEN + 8];

	if (!mt->present)
		return;
	word(m, "metrics");
	map_start(m, true);
	snprintf(listen, sizeof(listen), "%s:%u", mt->address, mt->port);
	kv_word(m, "listen", listen);
	map_end(m);
}

static void emit_ng(struct emit *m, const struct config_ng *g)
{
	char listen[INET_ADDRSTRLEN + 8];

	if (!g->present)
		return;
	word(m, "ng");
	map_start(m, true);
	snprintf(listen, sizeof(listen), "%s:%u", g->address, g->port);
	kv_word(m, "listen", listen);
	if (g->timeout_s != CONFIG_DEFAULT_NG_TIMEOUT_S)
		kv_num(m, "timeout_s", (long)g->timeout_s);
	if (g->max_calls != CONFIG_DEFAULT_NG_MAX_CALLS)
		kv_num(m, "max_calls", (long)g->max_calls);
	map_end(m);
}

static void emit_interface(struct emit *m, const char *key,
			   const struct config_interface *ifc)
{
	char cidr[INET_ADDRSTRLEN + 4], gw[INET_ADDRSTRLEN];

	word(m, key);
	map_start(m, true);
	kv_num(m, "port", ifc->port_id);
	snprintf(cidr, sizeof(cidr), "%s/%u", ifc->address, ifc->prefix_len);
	kv_word(m, "address", cidr);
	if (ifc->has_gateway) {
		if (!inet_ntop(AF_INET, &ifc->gateway, gw, sizeof(gw)))
			m->failed = true;
		else
			kv_word(m, "gateway", gw);
	}
	map_end(m);
}

static void emit_range(struct emit *m, const char *key, const struct config_port_range *r)
{
	char b[16];

	snprintf(b, sizeof(b), "%u-%u", r->first, r->last);
	kv_word(m, key, b);
}

/* dataplane.tcp always (limits an operator looks for); sip when not the
 * defaults; tcp_fault and tcp_dial only when set. */
static void emit_tcp(struct emit *m, const struct config_dataplane *dp)
{
	const struct config_tcp *t = &dp->tcp;
	char b[32];

	word(m, "tcp");
	map_start(m, true);
	kv_num(m, "max_connections", (long)t->max_connections);
	kv_num(m, "max_per_source", (long)t->max_per_source);
	kv_num(m, "half_open", (long)t->half_open);
	kv_num(m, "buffer_kib", (long)t->buffer_kib);
	map_end(m);
	if (dp->sip.max_message_bytes != CONFIG_DEFAULT_SIP_MAX_MESSAGE ||
	    dp->sip.max_headers != CONFIG_DEFAULT_SIP_MAX_HEADERS ||
	    dp->sip.max_header_line_bytes != CONFIG_DEFAULT_SIP_MAX_HEADER_LINE ||
	    dp->sip.max_vias != CONFIG_DEFAULT_SIP_MAX_VIAS ||
	    dp->sip.max_uri_bytes != CONFIG_DEFAULT_SIP_MAX_URI ||
	    dp->sip.t1_ms != CONFIG_DEFAULT_SIP_T1_MS || dp->sip.t2_ms != CONFIG_DEFAULT_SIP_T2_MS ||
	    dp->sip.t4_ms != CONFIG_DEFAULT_SIP_T4_MS ||
	    dp->sip.max_transactions != CONFIG_DEFAULT_SIP_MAX_TRANSACTIONS ||
	    dp->sip.keepalive_s != CONFIG_DEFAULT_SIP_KEEPALIVE_S ||
	    dp->sip.max_calls != CONFIG_DEFAULT_SIP_MAX_CALLS ||
	    dp->sip.media_timeout_s != CONFIG_DEFAULT_SIP_MEDIA_TIMEOUT_S) {
		word(m, "sip");
		map_start(m, true);
		kv_num(m, "max_message_bytes", (long)dp->sip.max_message_bytes);
		kv_num(m, "max_headers", (long)dp->sip.max_headers);
		kv_num(m, "max_header_line_bytes", (long)dp->sip.max_header_line_bytes);
		kv_num(m, "max_vias", (long)dp->sip.max_vias);
		kv_num(m, "max_uri_bytes", (long)dp->sip.max_uri_bytes);
		kv_num(m, "t1_ms", (long)dp->sip.t1_ms);
		kv_num(m, "t2_ms", (long)dp->sip.t2_ms);
		kv_num(m, "t4_ms", (long)dp->sip.t4_ms);
		kv_num(m, "max_transactions", (long)dp->sip.max_transactions);
		kv_num(m, "keepalive_s", (long)dp->sip.keepalive_s);
		kv_num(m, "max_calls", (long)dp->sip.max_calls);
		kv_num(m, "media_timeout_s", (long)dp->sip.media_timeout_s);
		map_end(m);
	}
	if (dp->tcp_fault.drop_ppm || dp->tcp_fault.reorder_ppm) {
		word(m, "tcp_fault");
		map_start(m, true);
		snprintf(b, sizeof(b), "%.6g", dp->tcp_fault.drop_ppm / 1e6);
		kv_word(m, "drop", b);
		snprintf(b, sizeof(b), "%.6g", dp->tcp_fault.reorder_ppm / 1e6);
		kv_word(m, "reorder", b);
		map_end(m);
	}
	if (dp->tcp_dial.on) {
		word(m, "tcp_dial");
		map_start(m, true);
		if (!inet_ntop(AF_INET, &dp->tcp_dial.addr, b, sizeof(b)))
			m->failed = true;
		kv_word(m, "address", b);
		kv_num(m, "port", dp->tcp_dial.port);
		kv_num(m, "connections", (long)dp->tcp_dial.connections);
		kv_num(m, "bytes", (long)dp->tcp_dial.bytes);
		map_end(m);
	}
}

static void emit_dataplane(struct emit *m, const struct config_dataplane *dp)
{
	if (!dp->present)
		return;
	word(m, "dataplane");
	map_start(m, false);
	if (dp->n_eal > 0) {
		word(m, "eal");
		seq_start(m, true);
		for (int i = 0; i < dp->n_eal && i < CONFIG_EAL_ARGS_MAX; i++)
			str(m, dp->eal[i]);
		seq_end(m);
	}
	kv_num(m, "workers", dp->workers);
	kv_word(m, "idle", dp->idle == CONFIG_IDLE_BUSY ? "busy" : "backoff");
	emit_interface(m, "external", &dp->external);
	emit_interface(m, "internal", &dp->internal);
	word(m, "media_ports");
	map_start(m, true);
	emit_range(m, "external", &dp->media_external);
	emit_range(m, "internal", &dp->media_internal);
	map_end(m);
	if (dp->media_idle_timeout_s != CONFIG_DEFAULT_MEDIA_IDLE_TIMEOUT_S)
		kv_num(m, "media_idle_timeout_s", (long)dp->media_idle_timeout_s);
	if (dp->udp_echo_port)
		kv_num(m, "udp_echo_port", dp->udp_echo_port);
	if (dp->tcp_echo_port)
		kv_num(m, "tcp_echo_port", dp->tcp_echo_port);
	if (dp->tls_echo_port)
		kv_num(m, "tls_echo_port", dp->tls_echo_port);
	if (dp->crypto_lcores)
		kv_num(m, "crypto_lcores", dp->crypto_lcores);
	if (dp->tls_offload != CONFIG_TLS_OFFLOAD_HANDSHAKE)
		kv_word(m, "tls_offload", "keys");
	if (dp->srtp_engine != CONFIG_SRTP_ENGINE_AUTO)
		kv_word(m, "srtp_engine",
			dp->srtp_engine == CONFIG_SRTP_ENGINE_IPSEC_MB ? "ipsec_mb" : "libsrtp2");
	if (dp->tls_ciphers[0])
		kv_str(m, "tls_ciphers", dp->tls_ciphers);
	if (dp->tls_ciphersuites[0])
		kv_str(m, "tls_ciphersuites", dp->tls_ciphersuites);
	emit_tcp(m, dp);
	map_end(m);
}

char *config_emit(const struct config *c)
{
	struct emit m = { .failed = false };
	yaml_event_t ev;
	char *out = NULL;

	if (!yaml_emitter_initialize(&m.e))
		return NULL;
	yaml_emitter_set_output(&m.e, emit_write, &m);
	yaml_emitter_set_unicode(&m.e, 1);
	yaml_emitter_set_indent(&m.e, 2);
	yaml_emitter_set_width(&m.e, -1); /* one item a line, however long */
	if (emit_write(&m, (unsigned char *)EMIT_HEADER, strlen(EMIT_HEADER)) != 1)
		m.failed = true;
	put(&m, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING), &ev);
	put(&m, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1), &ev);
	map_start(&m, false);
	emit_server(&m, &c->server);
	emit_certificates(&m, &c->certificates);
	emit_dial_plans(&m, c);
	emit_gateways(&m, c);
	emit_hunt_groups(&m, c);
	emit_application(&m, &c->application);
	emit_metrics(&m, &c->metrics);
	emit_ng(&m, &c->ng);
	emit_dataplane(&m, &c->dataplane);
	map_end(&m);
	put(&m, yaml_document_end_event_initialize(&ev, 1), &ev);
	put(&m, yaml_stream_end_event_initialize(&ev), &ev);
	if (!m.failed && !yaml_emitter_flush(&m.e))
		m.failed = true;
	if (!m.failed) {
		out = m.buf;
		m.buf = NULL;
	}
	free(m.buf);
	yaml_emitter_delete(&m.e);
	return out;
}

int config_save(const struct config *c, const char *path, char *err, size_t errlen)
{
	char *text = config_emit(c);
	int rc = -1, w;

	if (!text) {
		/* libyaml refuses only invalid UTF-8; otherwise memory ran out. */
		snprintf(err, errlen, "%s: cannot write the configuration as YAML "
			 "(out of memory, or a string that is not UTF-8)", path);
		goto out;
	}
	w = fsutil_write_atomic(path, text, strlen(text), 0640);
	if (w < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-w));
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}
