/* config_parse_dataplane: the dataplane: section (EAL arguments, workers,
 * interfaces, media port ranges, diagnostic echo ports). */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_tree.h"

static const char *const idle_names[] = {
	[CONFIG_IDLE_BACKOFF] = "backoff",
	[CONFIG_IDLE_BUSY] = "busy",
};

static const char *const tls_offload_names[] = {
	[CONFIG_TLS_OFFLOAD_HANDSHAKE] = "handshake",
	[CONFIG_TLS_OFFLOAD_KEYS] = "keys",
};

static const char *const srtp_engine_names[] = {
	[CONFIG_SRTP_ENGINE_AUTO] = "auto",
	[CONFIG_SRTP_ENGINE_IPSEC_MB] = "ipsec_mb",
	[CONFIG_SRTP_ENGINE_LIBSRTP2] = "libsrtp2",
};

static int parse_eal(struct config_yctx *y, const struct config_ynode *v,
		     struct config_dataplane *dp)
{
	size_t count;

	if (config_yseq(y, v, "dataplane", "eal", CONFIG_EAL_ARGS_MAX, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		char key[32], arg[CONFIG_EAL_ARG_MAX];

		snprintf(key, sizeof(key), "eal[%zu]", i);
		if (config_ystr(y, config_yitem(v, i), "dataplane", key, arg, sizeof(arg)) < 0)
			return -1;
		dp->eal[dp->n_eal] = strdup(arg);
		if (!dp->eal[dp->n_eal])
			return config_yerr(y, 0, "out of memory");
		dp->n_eal++;
	}
	return 0;
}

/* "a.b.c.d/len" */
static int parse_cidr(struct config_yctx *y, const struct config_ynode *v,
		      const char *where, struct config_interface *ifc)
{
	char buf[INET_ADDRSTRLEN + 4];
	const char *slash;
	size_t alen;
	long len = 0;

	if (config_ystr(y, v, where, "address", buf, sizeof(buf)) < 0)
		goto bad;
	slash = strchr(buf, '/');
	if (!slash || slash[1] == '\0' || strlen(slash + 1) > 2 ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1))
		goto bad;
	for (const char *p = slash + 1; *p; p++)
		len = len * 10 + (*p - '0');
	if (len < 1 || len > 32)
		goto bad;
	alen = (size_t)(slash - buf);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, &ifc->addr) != 1 ||
	    !inet_ntop(AF_INET, &ifc->addr, ifc->address, sizeof(ifc->address)))
		goto bad;
	ifc->prefix_len = (uint8_t)len;
	return 0;
bad:
	if (v->kind == CONFIG_YSCALAR && !config_ynull(v))
		return config_yerr(y, v->line,
				   "%s.address: expected an IPv4 address with a prefix length "
				   "like 192.0.2.1/24, got '%s'", where, v->text);
	return config_yerr(y, v->line,
			   "%s.address: expected an IPv4 address with a prefix length "
			   "like 192.0.2.1/24", where);
}

static int parse_interface(struct config_yctx *y, const struct config_ynode *n,
			   const char *where, struct config_interface *ifc)
{
	static const char *const keys[] = { "port", "address", "gateway", NULL };
	const struct config_ynode *v;
	char gw[INET_ADDRSTRLEN];
	uint32_t mask;
	long port;

	if (config_ymap_check(y, n, where, keys) < 0)
		return -1;
	/* DPDK port ids are small (RTE_MAX_ETHPORTS is 32 by default). */
	if (config_yrequire(y, n, where, "port", &v) < 0 ||
	    config_yint(y, v, where, "port", 0, 1023, &port) < 0)
		return -1;
	ifc->port_id = (uint16_t)port;
	if (config_yrequire(y, n, where, "address", &v) < 0 ||
	    parse_cidr(y, v, where, ifc) < 0)
		return -1;
	v = config_ymap_get(n, "gateway");
	if (!v)
		return 0;
	if (config_yipv4(y, v, where, "gateway", gw, &ifc->gateway) < 0)
		return -1;
	mask = ifc->prefix_len == 32 ? 0xffffffffu : ~(0xffffffffu >> ifc->prefix_len);
	/* An off-link next hop cannot be reached by ARP: a certain typo. */
	if ((ntohl(ifc->gateway.s_addr) & mask) != (ntohl(ifc->addr.s_addr) & mask))
		return config_yerr(y, v->line, "%s.gateway: %s is not inside %s/%u", where,
				   gw, ifc->address, ifc->prefix_len);
	ifc->has_gateway = true;
	return 0;
}

/* "first-last", both 1..65535, first even (RTP even, RTCP odd above it). */
static int parse_range(struct config_yctx *y, const struct config_ynode *v,
		       const char *key, struct config_port_range *r)
{
	char buf[16];
	unsigned long a, b;
	char *end;

	if (config_ystr(y, v, "dataplane.media_ports", key, buf, sizeof(buf)) < 0)
		return -1;
	if (buf[0] < '0' || buf[0] > '9')
		goto bad;
	a = strtoul(buf, &end, 10);
	if (*end != '-' || end[1] < '0' || end[1] > '9')
		goto bad;
	b = strtoul(end + 1, &end, 10);
	if (*end != '\0')
		goto bad;
	if (a < 1 || a > 65535 || b < 1 || b > 65535 || a > b)
		return config_yerr(y, v->line,
				   "dataplane.media_ports.%s: %s must be first-last with "
				   "1 <= first <= last <= 65535", key, buf);
	if (a % 2 != 0)
		return config_yerr(y, v->line,
				   "dataplane.media_ports.%s: first port %lu must be even "
				   "(RTP even, RTCP odd)", key, a);
	r->first = (uint16_t)a;
	r->last = (uint16_t)b;
	return 0;
bad:
	return config_yerr(y, v->line,
			   "dataplane.media_ports.%s: expected a range like 20000-29999, got '%s'",
			   key, buf);
}

static int parse_media_ports(struct config_yctx *y, const struct config_ynode *n,
			     struct config_dataplane *dp)
{
	static const char *const keys[] = { "external", "internal", NULL };
	const struct config_ynode *v;

	if (config_ymap_check(y, n, "dataplane.media_ports", keys) < 0)
		return -1;
	v = config_ymap_get(n, "external");
	if (v && parse_range(y, v, "external", &dp->media_external) < 0)
		return -1;
	v = config_ymap_get(n, "internal");
	if (v && parse_range(y, v, "internal", &dp->media_internal) < 0)
		return -1;
	return 0;
}

static int parse_echo(struct config_yctx *y, const struct config_ynode *n,
		      const char *key, uint16_t *port)
{
	const struct config_ynode *v = config_ymap_get(n, key);
	long val;

	if (!v)
		return 0;
	if (config_yint(y, v, "dataplane", key, 0, 65535, &val) < 0)
		return -1;
	*port = (uint16_t)val;
	return 0;
}

/* dataplane.tcp: { max_connections, max_per_source, half_open, buffer_kib } */
static int parse_tcp(struct config_yctx *y, const struct config_ynode *n,
		     struct config_tcp *t)
{
	static const char *const keys[] = {
		"max_connections", "max_per_source", "half_open", "buffer_kib", NULL
	};
	static const struct {
		const char *key;
		long min, max;
		size_t off;
	} f[] = {
		{ "max_connections", 16, 65536, offsetof(struct config_tcp, max_connections) },
		{ "max_per_source", 0, 65536, offsetof(struct config_tcp, max_per_source) },
		{ "half_open", 1, 65536, offsetof(struct config_tcp, half_open) },
		{ "buffer_kib", 4, 1024, offsetof(struct config_tcp, buffer_kib) },
	};
	long val;

	if (config_ymap_check(y, n, "dataplane.tcp", keys) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const struct config_ynode *v = config_ymap_get(n, f[i].key);
		if (!v)
			continue;
		if (config_yint(y, v, "dataplane.tcp", f[i].key, f[i].min, f[i].max, &val) < 0)
			return -1;
		*(uint32_t *)((char *)t + f[i].off) = (uint32_t)val;
	}
	return 0;
}

/* dataplane.sip: { max_message_bytes, max_headers, max_header_line_bytes,
 * max_vias, max_uri_bytes, t1_ms, t2_ms, t4_ms, max_transactions,
 * keepalive_s, max_calls, media_timeout_s } */
static int parse_sip(struct config_yctx *y, const struct config_ynode *n, struct config_sip *s)
{
	static const char *const keys[] = {
		"max_message_bytes", "max_headers", "max_header_line_bytes", "max_vias",
		"max_uri_bytes", "t1_ms", "t2_ms", "t4_ms", "max_transactions", "keepalive_s",
		"max_calls", "media_timeout_s", NULL
	};
	static const struct {
		const char *key;
		long min, max;
		size_t off;
	} f[] = {
		{ "max_message_bytes", 1024, 65535, offsetof(struct config_sip, max_message_bytes) },
		{ "max_headers", 16, 255, offsetof(struct config_sip, max_headers) },
		{ "max_header_line_bytes", 256, 65535,
		  offsetof(struct config_sip, max_header_line_bytes) },
		{ "max_vias", 2, 255, offsetof(struct config_sip, max_vias) },
		{ "max_uri_bytes", 64, 8192, offsetof(struct config_sip, max_uri_bytes) },
		{ "t1_ms", 50, 5000, offsetof(struct config_sip, t1_ms) },
		{ "t2_ms", 50, 60000, offsetof(struct config_sip, t2_ms) },
		{ "t4_ms", 100, 60000, offsetof(struct config_sip, t4_ms) },
		{ "max_transactions", 64, 1000000, offsetof(struct config_sip, max_transactions) },
		{ "keepalive_s", 0, 3600, offsetof(struct config_sip, keepalive_s) },
		{ "max_calls", 64, 1000000, offsetof(struct config_sip, max_calls) },
		{ "media_timeout_s", 0, 86400, offsetof(struct config_sip, media_timeout_s) },
	};
	long val;

	if (config_ymap_check(y, n, "dataplane.sip", keys) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const struct config_ynode *v = config_ymap_get(n, f[i].key);
		if (!v)
			continue;
		if (config_yint(y, v, "dataplane.sip", f[i].key, f[i].min, f[i].max, &val) < 0)
			return -1;
		*(uint32_t *)((char *)s + f[i].off) = (uint32_t)val;
	}
	return 0;
}

/* A fraction 0..0.5 ("0.02") into parts per million. */
static int parse_fraction(struct config_yctx *y, const struct config_ynode *v,
			  const char *key, uint32_t *ppm)
{
	char buf[32];
	char *end;
	double d;

	if (config_ystr(y, v, "dataplane.tcp_fault", key, buf, sizeof(buf)) < 0)
		return -1;
	d = strtod(buf, &end);
	if (end == buf || *end != '\0' || !(d >= 0.0 && d <= 0.5))
		return config_yerr(y, v->line,
				   "dataplane.tcp_fault.%s: expected a fraction 0..0.5 like 0.02, "
				   "got '%s'", key, buf);
	*ppm = (uint32_t)(d * 1e6 + 0.5);
	return 0;
}

static int parse_tcp_fault(struct config_yctx *y, const struct config_ynode *n,
			   struct config_tcp_fault *f)
{
	static const char *const keys[] = { "drop", "reorder", NULL };
	const struct config_ynode *v;

	if (config_ymap_check(y, n, "dataplane.tcp_fault", keys) < 0)
		return -1;
	v = config_ymap_get(n, "drop");
	if (v && parse_fraction(y, v, "drop", &f->drop_ppm) < 0)
		return -1;
	v = config_ymap_get(n, "reorder");
	if (v && parse_fraction(y, v, "reorder", &f->reorder_ppm) < 0)
		return -1;
	return 0;
}

/* dataplane.tcp_dial: { address, port, connections, bytes } */
static int parse_tcp_dial(struct config_yctx *y, const struct config_ynode *n,
			  struct config_tcp_dial *d)
{
	static const char *const keys[] = { "address", "port", "connections", "bytes", NULL };
	const struct config_ynode *v;
	char addr[INET_ADDRSTRLEN];
	long val;

	if (config_ymap_check(y, n, "dataplane.tcp_dial", keys) < 0)
		return -1;
	if (config_yrequire(y, n, "dataplane.tcp_dial", "address", &v) < 0 ||
	    config_yipv4(y, v, "dataplane.tcp_dial", "address", addr, &d->addr) < 0)
		return -1;
	if (config_yrequire(y, n, "dataplane.tcp_dial", "port", &v) < 0 ||
	    config_yint(y, v, "dataplane.tcp_dial", "port", 1, 65535, &val) < 0)
		return -1;
	d->port = (uint16_t)val;
	d->connections = 1;
	v = config_ymap_get(n, "connections");
	if (v) {
		if (config_yint(y, v, "dataplane.tcp_dial", "connections", 1, 10000, &val) < 0)
			return -1;
		d->connections = (uint32_t)val;
	}
	v = config_ymap_get(n, "bytes");
	if (v) {
		if (config_yint(y, v, "dataplane.tcp_dial", "bytes", 0, 1L << 30, &val) < 0)
			return -1;
		d->bytes = (uint32_t)val;
	}
	d->on = true;
	return 0;
}

int config_parse_dataplane(struct config_yctx *y, const struct config_ynode *n,
			   int line, struct config_dataplane *dp)
{
	static const char *const keys[] = {
		"eal", "workers", "idle", "external", "internal", "media_ports",
		"udp_echo_port", "tcp_echo_port", "tcp", "tcp_fault", "tcp_dial",
		"tls_echo_port", "crypto_lcores", "media_idle_timeout_s", "tls_ciphers",
		"tls_ciphersuites", "tls_offload", "srtp_engine", "sip", NULL
	};
	const struct config_ynode *v;
	long val;
	int idle, val_enum;

	if (config_ymap_check(y, n, "dataplane", keys) < 0)
		return -1;
	dp->line = line;
	v = config_ymap_get(n, "eal");
	if (v && parse_eal(y, v, dp) < 0)
		return -1;
	v = config_ymap_get(n, "workers");
	if (v) {
		if (config_yint(y, v, "dataplane", "workers", 1, 64, &val) < 0)
			return -1;
		dp->workers = (int)val;
	}
	v = config_ymap_get(n, "idle");
	if (v) {
		if (config_yenum(y, v, "idle", idle_names, 2, &idle) < 0)
			return -1;
		dp->idle = (enum config_idle)idle;
	}
	if (config_yrequire(y, n, "dataplane", "external", &v) < 0 ||
	    parse_interface(y, v, "dataplane.external", &dp->external) < 0)
		return -1;
	if (config_yrequire(y, n, "dataplane", "internal", &v) < 0 ||
	    parse_interface(y, v, "dataplane.internal", &dp->internal) < 0)
		return -1;
	v = config_ymap_get(n, "media_ports");
	if (v && parse_media_ports(y, v, dp) < 0)
		return -1;
	if (parse_echo(y, n, "udp_echo_port", &dp->udp_echo_port) < 0 ||
	    parse_echo(y, n, "tcp_echo_port", &dp->tcp_echo_port) < 0 ||
	    parse_echo(y, n, "tls_echo_port", &dp->tls_echo_port) < 0)
		return -1;
	v = config_ymap_get(n, "media_idle_timeout_s");
	if (v) {
		if (config_yint(y, v, "dataplane", "media_idle_timeout_s", 0, 86400, &val) < 0)
			return -1;
		dp->media_idle_timeout_s = (uint32_t)val;
	}
	v = config_ymap_get(n, "sip");
	if (v && parse_sip(y, v, &dp->sip) < 0)
		return -1;
	v = config_ymap_get(n, "tls_ciphers");
	if (v && config_ystr(y, v, "dataplane", "tls_ciphers", dp->tls_ciphers,
			     sizeof(dp->tls_ciphers)) < 0)
		return -1;
	v = config_ymap_get(n, "tls_ciphersuites");
	if (v && config_ystr(y, v, "dataplane", "tls_ciphersuites", dp->tls_ciphersuites,
			     sizeof(dp->tls_ciphersuites)) < 0)
		return -1;
	v = config_ymap_get(n, "crypto_lcores");
	if (v) {
		if (config_yint(y, v, "dataplane", "crypto_lcores", 0, 8, &val) < 0)
			return -1;
		dp->crypto_lcores = (int)val;
	}
	v = config_ymap_get(n, "tls_offload");
	if (v) {
		if (config_yenum(y, v, "tls_offload", tls_offload_names, 2, &val_enum) < 0)
			return -1;
		dp->tls_offload = (enum config_tls_offload)val_enum;
	}
	v = config_ymap_get(n, "srtp_engine");
	if (v) {
		if (config_yenum(y, v, "srtp_engine", srtp_engine_names, 3, &val_enum) < 0)
			return -1;
		dp->srtp_engine = (enum config_srtp_engine)val_enum;
	}
	v = config_ymap_get(n, "tcp");
	if (v && parse_tcp(y, v, &dp->tcp) < 0)
		return -1;
	v = config_ymap_get(n, "tcp_fault");
	if (v && parse_tcp_fault(y, v, &dp->tcp_fault) < 0)
		return -1;
	v = config_ymap_get(n, "tcp_dial");
	if (v && parse_tcp_dial(y, v, &dp->tcp_dial) < 0)
		return -1;
	dp->present = true;
	return 0;
}
