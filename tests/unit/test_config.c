/* test_config: the YAML configuration model. The documented example, the
 * defaults, a table of hostile and malformed inputs with the exact
 * "file:line:" each must produce, emit -> parse round trips, atomic save
 * and deep copy. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "umedge/config.h"

#define EXAMPLE_CORE								\
	"server:\n"								\
	"  fqdn: um1.example.test\n"						\
	"  state_dir: /var/lib/umedge\n"					\
	"  control_socket: /run/umedge/control.sock\n"				\
	"  start_secured: 0\n"							\
	"  dial_plans: [contoso, fabrikam]\n"					\
	"certificates:\n"							\
	"  store: /etc/umedge/certs\n"						\
	"  trust: /etc/umedge/trust\n"						\
	"  self_signed: { key: rsa2048, days: 365 }\n"				\
	"  expiry_warning_days: 30\n"						\
	"dial_plans:\n"								\
	"  - { name: contoso, voip_security: secured, srtp_suites: [AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM] }\n" \
	"  - { name: fabrikam, voip_security: unsecured }\n"			\
	"  - { name: northwind, voip_security: sip_secured }\n"			\
	"ip_gateways:\n"							\
	"  - { name: gw1, address: 192.0.2.10, fqdn: gw1.example.test }\n"	\
	"hunt_groups:\n"							\
	"  - { gateway: gw1, pilot: \"5000\", dial_plan: contoso }\n"		\
	"  - { gateway: gw1, pilot: \"6000\", dial_plan: fabrikam }\n"		\
	"application: { address: 198.51.100.20, port: 5060, transport: udp }\n"

/* docs/examples/umedge.yaml turns the Prometheus endpoint on. */
#define EXAMPLE_METRICS "metrics: { listen: 127.0.0.1:9469 }\n"
/* ... and rtpengine's ng on the internal side. */
#define EXAMPLE_NG "ng: { listen: 198.51.100.1:2223 }\n"

#define EXAMPLE_DATAPLANE							\
	"dataplane:\n"								\
	"  eal: [--vdev, \"net_tap0,iface=umx0\", --vdev, \"net_tap1,iface=umi0\"]\n" \
	"  workers: 1\n"							\
	"  idle: backoff            # busy | backoff\n"			\
	"  external: { port: 0, address: 192.0.2.1/24, gateway: 192.0.2.254 }\n" \
	"  internal: { port: 1, address: 198.51.100.1/24 }\n"			\
	"  media_ports: { external: 20000-29999, internal: 30000-39999 }\n"	\
	"  udp_echo_port: 7         # diagnostic RFC 862 echo, absent/0 = off\n" \
	"  tcp_echo_port: 7\n"

/* Lines 1..6: the smallest valid file. */
#define MINIMAL									\
	"server:\n"								\
	"  fqdn: um1.example.test\n"						\
	"  state_dir: /var/lib/umedge\n"					\
	"certificates:\n"							\
	"  store: /etc/umedge/certs\n"						\
	"  trust: /etc/umedge/trust\n"

/* Lines 7..: a minimal dataplane section. */
#define DP_MINIMAL								\
	"dataplane:\n"								\
	"  external: { port: 0, address: 192.0.2.1/24 }\n"			\
	"  internal: { port: 1, address: 198.51.100.1/24 }\n"

static struct config *parse_ok(const char *yaml)
{
	char err[CONFIG_ERR_MAX] = "";
	struct config *c = NULL;

	int rc = config_parse("t.yaml", yaml, strlen(yaml), &c, err, sizeof(err));
	cr_assert_eq(rc, 0, "unexpected error: %s\n--- input ---\n%s", err, yaml);
	cr_assert_not_null(c);
	return c;
}

static void check_example_core(const struct config *c)
{
	cr_expect_str_eq(c->path, "t.yaml");
	cr_expect_str_eq(c->server.fqdn, "um1.example.test");
	cr_expect_str_eq(c->server.state_dir, "/var/lib/umedge");
	cr_expect_str_eq(c->server.control_socket, "/run/umedge/control.sock");
	cr_expect_eq(c->server.start_secured, 0);
	cr_assert_eq(c->server.n_dial_plans, 2);
	cr_expect_str_eq(c->server.dial_plans[0], "contoso");
	cr_expect_str_eq(c->server.dial_plans[1], "fabrikam");
	cr_expect_eq(c->server.dial_plans_line, 6);

	cr_expect_str_eq(c->certificates.store, "/etc/umedge/certs");
	cr_expect_str_eq(c->certificates.trust, "/etc/umedge/trust");
	cr_expect_eq(c->certificates.self_signed_key, UMEDGE_KEY_RSA2048);
	cr_expect_eq(c->certificates.self_signed_days, 365);
	cr_expect_eq(c->certificates.expiry_warning_days, 30);

	cr_assert_eq(c->n_dial_plans, 3);
	cr_expect_str_eq(c->dial_plans[0].name, "contoso");
	cr_expect_eq(c->dial_plans[0].security, UMEDGE_SEC_SECURED);
	cr_assert_eq(c->dial_plans[0].n_suites, 2);
	cr_expect_eq(c->dial_plans[0].suites[0], UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80);
	cr_expect_eq(c->dial_plans[0].suites[1], UMEDGE_SRTP_AEAD_AES_128_GCM);
	cr_expect_eq(c->dial_plans[0].line, 13);
	cr_expect_str_eq(c->dial_plans[1].name, "fabrikam");
	cr_expect_eq(c->dial_plans[1].security, UMEDGE_SEC_UNSECURED);
	cr_expect_eq(c->dial_plans[1].n_suites, UMEDGE_SRTP_SUITE_COUNT);
	cr_expect_str_eq(c->dial_plans[2].name, "northwind");
	cr_expect_eq(c->dial_plans[2].security, UMEDGE_SEC_SIP_SECURED);
	cr_expect_eq(c->dial_plans[2].line, 15);

	cr_assert_eq(c->n_gateways, 1);
	cr_expect_str_eq(c->gateways[0].name, "gw1");
	cr_expect_str_eq(c->gateways[0].address, "192.0.2.10");
	cr_expect_eq(c->gateways[0].addr.s_addr, inet_addr("192.0.2.10"));
	cr_expect_eq(c->gateways[0].port, 0);
	cr_expect_str_eq(c->gateways[0].fqdn, "gw1.example.test");
	cr_expect_eq(c->gateways[0].line, 17);

	cr_assert_eq(c->n_hunt_groups, 2);
	cr_expect_str_eq(c->hunt_groups[1].pilot, "6000");
	cr_expect_str_eq(c->hunt_groups[1].dial_plan, "fabrikam");
	cr_expect_str_eq(c->hunt_groups[0].gateway, "gw1");
	cr_expect_str_eq(c->hunt_groups[0].pilot, "5000");
	cr_expect_str_eq(c->hunt_groups[0].dial_plan, "contoso");
	cr_expect_eq(c->hunt_groups[0].line, 19);

	cr_expect(c->application.present);
	cr_expect_str_eq(c->application.address, "198.51.100.20");
	cr_expect_eq(c->application.addr.s_addr, inet_addr("198.51.100.20"));
	cr_expect_eq(c->application.port, 5060);
	cr_expect_eq(c->application.transport, UMEDGE_TRANSPORT_UDP);

	cr_expect_not_null(config_find_dial_plan(c, "northwind"));
	cr_expect_null(config_find_dial_plan(c, "nope"));
	cr_expect_not_null(config_find_gateway(c, "gw1"));
	cr_expect_null(config_find_gateway(c, "gw2"));
	cr_expect(config_dial_plan_associated(c, "fabrikam"));
	cr_expect_not(config_dial_plan_associated(c, "northwind"));
}

Test(config, example_parses)
{
	struct config *c = parse_ok(EXAMPLE_CORE);

	check_example_core(c);
	cr_expect_not(c->dataplane.present);
	config_free(c);
}

Test(config, example_with_dataplane_parses)
{
	struct config *c = parse_ok(EXAMPLE_CORE EXAMPLE_DATAPLANE);
	const struct config_dataplane *dp = &c->dataplane;

	check_example_core(c);
	cr_assert(dp->present);
	cr_expect_eq(dp->line, 22);
	cr_assert_eq(dp->n_eal, 4);
	cr_expect_str_eq(dp->eal[0], "--vdev");
	cr_expect_str_eq(dp->eal[1], "net_tap0,iface=umx0");
	cr_expect_str_eq(dp->eal[2], "--vdev");
	cr_expect_str_eq(dp->eal[3], "net_tap1,iface=umi0");
	cr_expect_eq(dp->workers, 1);
	cr_expect_eq(dp->idle, CONFIG_IDLE_BACKOFF);
	cr_expect_eq(dp->external.port_id, 0);
	cr_expect_str_eq(dp->external.address, "192.0.2.1");
	cr_expect_eq(dp->external.addr.s_addr, inet_addr("192.0.2.1"));
	cr_expect_eq(dp->external.prefix_len, 24);
	cr_expect(dp->external.has_gateway);
	cr_expect_eq(dp->external.gateway.s_addr, inet_addr("192.0.2.254"));
	cr_expect_eq(dp->internal.port_id, 1);
	cr_expect_str_eq(dp->internal.address, "198.51.100.1");
	cr_expect_eq(dp->internal.prefix_len, 24);
	cr_expect_not(dp->internal.has_gateway);
	cr_expect_eq(dp->media_external.first, 20000);
	cr_expect_eq(dp->media_external.last, 29999);
	cr_expect_eq(dp->media_internal.first, 30000);
	cr_expect_eq(dp->media_internal.last, 39999);
	cr_expect_eq(dp->udp_echo_port, 7);
	cr_expect_eq(dp->tcp_echo_port, 7);
	cr_expect_eq(dp->tcp.max_connections, 512);
	cr_expect_eq(dp->tcp.max_per_source, 256);
	cr_expect_eq(dp->tcp.half_open, 128);
	cr_expect_eq(dp->tcp.buffer_kib, 32);
	cr_expect_eq(dp->sip.max_message_bytes, 16384);
	cr_expect_eq(dp->sip.max_headers, 128);
	cr_expect_eq(dp->sip.max_header_line_bytes, 4096);
	cr_expect_eq(dp->sip.max_vias, 70);
	cr_expect_eq(dp->sip.max_uri_bytes, 1024);
	cr_expect_eq(dp->sip.t1_ms, 500);
	cr_expect_eq(dp->sip.t2_ms, 4000);
	cr_expect_eq(dp->sip.t4_ms, 5000);
	cr_expect_eq(dp->sip.max_transactions, 16384);
	cr_expect_eq(dp->sip.keepalive_s, 30);
	cr_expect_eq(dp->sip.max_calls, 8192);
	cr_expect_eq(dp->sip.media_timeout_s, 60);
	cr_expect_eq(dp->tcp_fault.drop_ppm, 0);
	cr_expect_eq(dp->tcp_fault.reorder_ppm, 0);
	cr_expect(!dp->tcp_dial.on);
	config_free(c);
}

Test(config, dataplane_tcp_settings)
{
	struct config *c = parse_ok(MINIMAL DP_MINIMAL
		"  tcp: { max_connections: 2048, max_per_source: 0, half_open: 16, buffer_kib: 8 }\n"
		"  tcp_fault: { drop: 0.02, reorder: 0.005 }\n"
		"  tcp_dial: { address: 192.0.2.10, port: 9000, connections: 20, bytes: 1048576 }\n"
		"  sip: { max_message_bytes: 8192, max_headers: 64, max_header_line_bytes: 1024,\n"
		"         max_vias: 20, max_uri_bytes: 256, t1_ms: 100, t2_ms: 800, t4_ms: 1000,\n"
		"         max_transactions: 512, keepalive_s: 0, max_calls: 100,\n"
		"         media_timeout_s: 0 }\n");
	const struct config_dataplane *dp = &c->dataplane;
	char *yaml = config_emit(c);
	struct config *back = NULL;
	char err[CONFIG_ERR_MAX] = "";

	cr_expect_eq(dp->tcp.max_connections, 2048);
	cr_expect_eq(dp->tcp.max_per_source, 0);
	cr_expect_eq(dp->tcp.half_open, 16);
	cr_expect_eq(dp->tcp.buffer_kib, 8);
	cr_expect_eq(dp->tcp_fault.drop_ppm, 20000);
	cr_expect_eq(dp->tcp_fault.reorder_ppm, 5000);
	cr_expect(dp->tcp_dial.on);
	cr_expect_eq(ntohl(dp->tcp_dial.addr.s_addr), 0xc000020a);
	cr_expect_eq(dp->tcp_dial.port, 9000);
	cr_expect_eq(dp->tcp_dial.connections, 20);
	cr_expect_eq(dp->tcp_dial.bytes, 1048576);
	cr_expect_eq(dp->sip.max_message_bytes, 8192);
	cr_expect_eq(dp->sip.max_headers, 64);
	cr_expect_eq(dp->sip.max_header_line_bytes, 1024);
	cr_expect_eq(dp->sip.max_vias, 20);
	cr_expect_eq(dp->sip.max_uri_bytes, 256);
	cr_expect_eq(dp->sip.t1_ms, 100);
	cr_expect_eq(dp->sip.t2_ms, 800);
	cr_expect_eq(dp->sip.t4_ms, 1000);
	cr_expect_eq(dp->sip.max_transactions, 512);
	cr_expect_eq(dp->sip.keepalive_s, 0);
	cr_expect_eq(dp->sip.max_calls, 100);
	cr_expect_eq(dp->sip.media_timeout_s, 0);
	cr_assert_not_null(yaml);
	cr_assert_eq(config_parse("back.yaml", yaml, strlen(yaml), &back, err, sizeof(err)), 0,
		     "%s\n%s", err, yaml);
	cr_expect(config_equal(c, back), "%s", yaml);
	free(yaml);
	config_free(back);
	config_free(c);
}

/* docs/examples/umedge.yaml, found from __FILE__ (absolute, or relative to
 * the build root, two levels above meson's test workdir) or from the
 * source root when run by hand from there. */
static void example_path(char *out, size_t size)
{
	const char *tail = strstr(__FILE__, "tests/unit/test_config.c");
	const int plen = tail ? (int)(tail - __FILE__) : 0;
	const char *const up[] = { "", "../../" };

	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		snprintf(out, size, "%s%.*sdocs/examples/umedge.yaml", up[i], plen, __FILE__);
		if (access(out, R_OK) == 0)
			return;
	}
	snprintf(out, size, "docs/examples/umedge.yaml");
}

Test(config, shipped_example_file_loads)
{
	char err[CONFIG_ERR_MAX] = "", path[1024];
	struct config *c = NULL,
		      *ref = parse_ok(EXAMPLE_CORE EXAMPLE_METRICS EXAMPLE_NG EXAMPLE_DATAPLANE);

	example_path(path, sizeof(path));
	int rc = config_load(path, &c, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	cr_expect(config_equal(c, ref), "docs/examples/umedge.yaml drifted from the brief");
	config_free(ref);
	cr_expect(c->dataplane.present);
	cr_expect_eq(c->dataplane.udp_echo_port, 7);
	cr_expect(c->metrics.present);
	cr_expect(c->ng.present && c->ng.port == 2223);
	config_free(c);
}

Test(config, tls_keys)
{
	struct config *c = parse_ok(MINIMAL DP_MINIMAL "  tls_echo_port: 7007\n"
				    "  crypto_lcores: 2\n"
				    "  tls_offload: keys\n"
				    "  tls_ciphers: ECDHE+AESGCM:!aNULL\n"
				    "  tls_ciphersuites: TLS_AES_256_GCM_SHA384\n");
	char *y;
	struct config *back;

	cr_expect_eq(c->dataplane.tls_echo_port, 7007);
	cr_expect_eq(c->dataplane.crypto_lcores, 2);
	cr_expect_eq(c->dataplane.tls_offload, CONFIG_TLS_OFFLOAD_KEYS);
	cr_expect_str_eq(c->dataplane.tls_ciphers, "ECDHE+AESGCM:!aNULL");
	cr_expect_str_eq(c->dataplane.tls_ciphersuites, "TLS_AES_256_GCM_SHA384");
	y = config_emit(c);
	cr_assert_not_null(y);
	back = parse_ok(y);
	cr_expect(config_equal(c, back), "emit/parse round trip: %s", y);
	free(y);
	config_free(back);
	config_free(c);
	c = parse_ok(MINIMAL DP_MINIMAL);
	cr_expect_eq(c->dataplane.tls_echo_port, 0);
	cr_expect_eq(c->dataplane.crypto_lcores, 0);
	cr_expect_eq(c->dataplane.tls_offload, CONFIG_TLS_OFFLOAD_HANDSHAKE);
	config_free(c);
}

Test(config, srtp_engine)
{
	static const char *const words[] = { "auto", "ipsec_mb", "libsrtp2" };

	for (int i = 0; i < 3; i++) {
		char buf[2048];
		struct config *c, *back;
		char *y;

		snprintf(buf, sizeof(buf), MINIMAL DP_MINIMAL "  srtp_engine: %s\n", words[i]);
		c = parse_ok(buf);
		cr_expect_eq(c->dataplane.srtp_engine, (enum config_srtp_engine)i);
		y = config_emit(c);
		cr_assert_not_null(y);
		back = parse_ok(y);
		cr_expect(config_equal(c, back), "emit/parse round trip: %s", y);
		free(y);
		config_free(back);
		config_free(c);
	}
}

Test(config, defaults)
{
	struct config *c = parse_ok(MINIMAL);

	cr_expect_str_eq(c->server.control_socket, "/run/umedge/control.sock");
	cr_expect_eq(c->server.start_secured, 0);
	cr_expect_eq(c->server.n_dial_plans, 0);
	cr_expect_null(c->server.dial_plans);
	cr_expect_eq(c->certificates.self_signed_key, UMEDGE_KEY_RSA2048);
	cr_expect_eq(c->certificates.self_signed_days, 365);
	cr_expect_eq(c->certificates.expiry_warning_days, 30);
	cr_expect_eq(c->n_dial_plans, 0);
	cr_expect_eq(c->n_gateways, 0);
	cr_expect_eq(c->n_hunt_groups, 0);
	cr_expect_not(c->application.present);
	cr_expect_not(c->dataplane.present);
	config_free(c);

	c = parse_ok(MINIMAL
		     "dial_plans:\n"
		     "  - { name: s, voip_security: secured }\n"
		     "ip_gateways:\n"
		     "  - { name: g, address: 192.0.2.10 }\n"
		     "application: { address: 198.51.100.20 }\n"
		     DP_MINIMAL);
	cr_assert_eq(c->dial_plans[0].n_suites, UMEDGE_SRTP_SUITE_COUNT);
	for (int i = 0; i < UMEDGE_SRTP_SUITE_COUNT; i++)
		cr_expect_eq(c->dial_plans[0].suites[i], (enum umedge_srtp_suite)i);
	cr_expect_eq(c->gateways[0].port, 0);
	cr_expect_str_eq(c->gateways[0].fqdn, "");
	cr_expect_eq(c->application.port, 5060);
	cr_expect_eq(c->application.transport, UMEDGE_TRANSPORT_UDP);
	cr_expect_eq(c->dataplane.workers, 1);
	cr_expect_eq(c->dataplane.idle, CONFIG_IDLE_BACKOFF);
	cr_expect_eq(c->dataplane.n_eal, 0);
	cr_expect_eq(c->dataplane.media_external.first, 20000);
	cr_expect_eq(c->dataplane.media_internal.last, 39999);
	cr_expect_eq(c->dataplane.udp_echo_port, 0);
	cr_expect_eq(c->dataplane.tcp_echo_port, 0);
	cr_expect_eq(c->dataplane.media_idle_timeout_s, 60);
	config_free(c);
}

Test(config, flow_and_block_styles_agree)
{
	struct config *a = parse_ok(EXAMPLE_CORE);
	struct config *b = parse_ok(
		"{server: {fqdn: um1.example.test, state_dir: /var/lib/umedge,\n"
		"  dial_plans: [contoso, fabrikam]},\n"
		" certificates: {store: /etc/umedge/certs, trust: /etc/umedge/trust},\n"
		" dial_plans: [\n"
		"  {name: contoso, voip_security: secured,\n"
		"   srtp_suites: [AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM]},\n"
		"  {name: fabrikam, voip_security: unsecured},\n"
		"  {name: northwind, voip_security: sip_secured}],\n"
		" ip_gateways: [{name: gw1, address: 192.0.2.10, fqdn: gw1.example.test}],\n"
		" hunt_groups: [{gateway: gw1, pilot: 5000, dial_plan: contoso},\n"
		"   {gateway: gw1, pilot: 6000, dial_plan: fabrikam}],\n"
		" application: {address: 198.51.100.20, port: 5060, transport: udp}}\n");
	struct config *c = parse_ok(
		"server:\n"
		"  fqdn: um1.example.test\n"
		"  state_dir: /var/lib/umedge\n"
		"  dial_plans:\n"
		"    - contoso\n"
		"    - fabrikam\n"
		"certificates:\n"
		"  store: /etc/umedge/certs\n"
		"  trust: /etc/umedge/trust\n"
		"dial_plans:\n"
		"  - name: contoso\n"
		"    voip_security: secured\n"
		"    srtp_suites:\n"
		"      - AES_CM_128_HMAC_SHA1_80\n"
		"      - AEAD_AES_128_GCM\n"
		"  - name: fabrikam\n"
		"    voip_security: unsecured\n"
		"  - name: northwind\n"
		"    voip_security: sip_secured\n"
		"ip_gateways:\n"
		"  - name: gw1\n"
		"    address: 192.0.2.10\n"
		"    fqdn: gw1.example.test\n"
		"hunt_groups:\n"
		"  - gateway: gw1\n"
		"    pilot: '5000'\n"
		"    dial_plan: contoso\n"
		"  - gateway: gw1\n"
		"    pilot: '6000'\n"
		"    dial_plan: fabrikam\n"
		"application:\n"
		"  address: 198.51.100.20\n"
		"  port: 5060\n"
		"  transport: udp\n");

	cr_expect(config_equal(a, b));
	cr_expect(config_equal(a, c));
	config_free(a);
	config_free(b);
	config_free(c);
}

/* --- hostile and malformed input ------------------------------------ */

struct bad {
	const char *what;
	const char *yaml;
	const char *err; /* exact message; a trailing '*' means "starts with" */
};

static const struct bad bad_inputs[] = {
	/* YAML itself */
	{ "tab indentation", "server:\n\tfqdn: a\n",
	  "t.yaml:2: malformed YAML: while scanning for the next token found character that cannot start any token" },
	{ "bad indentation", "server:\n  fqdn: a.example\n    state_dir: /x\n",
	  "t.yaml:3: malformed YAML: mapping values are not allowed in this context" },
	{ "dedent into nothing", "server:\n    fqdn: a.example\n  state_dir: /x\n",
	  "t.yaml:3: malformed YAML: while parsing a block mapping did not find expected key" },
	{ "unclosed flow", "server: { fqdn: a\n",
	  "t.yaml:2: malformed YAML: while parsing a flow mapping did not find expected ',' or '}'" },
	{ "unterminated quote", "server:\n  fqdn: \"abc\n",
	  "t.yaml:3: malformed YAML: while scanning a quoted scalar found unexpected end of stream" },
	{ "invalid UTF-8", "server:\n  fqdn: \xff\xfe\x80\n",
	  "t.yaml:2: malformed YAML: invalid leading UTF-8 octet" },
	{ "NUL via escape", MINIMAL "application: { address: \"198.51.100.20\\0\" }\n",
	  "t.yaml:7: NUL character in a string" },
	{ "empty file", "", "t.yaml:1: the configuration is empty" },
	{ "comments only", "# nothing here\n\n", "t.yaml:1: the configuration is empty" },
	{ "document marker only", "---\n", "t.yaml:1: the configuration is empty" },
	{ "root is a list", "- a\n- b\n", "t.yaml:1: the top level must be a mapping, not a list" },
	{ "root is a scalar", "hello\n", "t.yaml:1: the top level must be a mapping, not a scalar" },
	{ "two documents", MINIMAL "---\n" MINIMAL,
	  "t.yaml:7: only one YAML document is allowed" },
	{ "anchor", MINIMAL "dial_plans: &x []\n",
	  "t.yaml:7: anchors and aliases are not supported" },
	{ "alias bomb",
	  "a: &a [x, x, x, x, x, x, x, x, x]\n"
	  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	  "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
	  "t.yaml:1: anchors and aliases are not supported" },
	{ "bare alias", "server: *nothing\n",
	  "t.yaml:1: anchors and aliases are not supported" },
	{ "tag", MINIMAL "application: !!map { address: 198.51.100.20 }\n",
	  "t.yaml:7: YAML tags are not supported" },
	{ "complex key", MINIMAL "? [a]\n: b\n", "t.yaml:7: mapping keys must be scalars" },
	{ "deep flow nesting", "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	  "t.yaml:1: nested too deeply (limit 16 levels)" },
	{ "deep block nesting",
	  "a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n       h:\n        i:\n"
	  "         j:\n          k:\n           l:\n            m:\n             n:\n"
	  "              o:\n               p:\n                q: 1\n",
	  "t.yaml:17: nested too deeply (limit 16 levels)" },

	/* unknown and duplicate keys, at every level */
	{ "unknown top key", MINIMAL "foo: 1\n", "t.yaml:7: unknown key 'foo' at the top level" },
	{ "unknown server key", "server:\n  fqdn: a.example\n  colour: red\n",
	  "t.yaml:3: unknown key 'colour' in server" },
	{ "unknown certificates key", MINIMAL "  pin: x\n",
	  "t.yaml:7: unknown key 'pin' in certificates" },
	{ "unknown self_signed key", MINIMAL "  self_signed: { key: rsa2048, bits: 4096 }\n",
	  "t.yaml:7: unknown key 'bits' in certificates.self_signed" },
	{ "unknown dial plan key", MINIMAL "dial_plans:\n  - { name: a, voip_security: secured }\n"
	  "  - { name: b, voip_security: unsecured, foo: 1 }\n",
	  "t.yaml:9: unknown key 'foo' in dial_plans[1]" },
	{ "unknown gateway key", MINIMAL "ip_gateways:\n  - { name: g, address: 192.0.2.1, mode: x }\n",
	  "t.yaml:8: unknown key 'mode' in ip_gateways[0]" },
	{ "unknown hunt group key", MINIMAL "hunt_groups:\n  - { gateway: g, pilot: 1, dial_plan: d, x: 1 }\n",
	  "t.yaml:8: unknown key 'x' in hunt_groups[0]" },
	{ "unknown application key", MINIMAL "application: { address: 198.51.100.20, tls: 1 }\n",
	  "t.yaml:7: unknown key 'tls' in application" },
	{ "unknown dataplane key", MINIMAL DP_MINIMAL "  cores: 4\n",
	  "t.yaml:10: unknown key 'cores' in dataplane" },
	{ "unknown interface key", MINIMAL "dataplane:\n  external: { port: 0, address: 192.0.2.1/24, mtu: 9000 }\n",
	  "t.yaml:8: unknown key 'mtu' in dataplane.external" },
	{ "unknown media_ports key", MINIMAL DP_MINIMAL "  media_ports: { rtp: 1-2 }\n",
	  "t.yaml:10: unknown key 'rtp' in dataplane.media_ports" },
	{ "duplicate key", "server:\n  fqdn: a.example\n  fqdn: b.example\n",
	  "t.yaml:3: duplicate key 'fqdn' in server (first at line 2)" },
	{ "duplicate section", MINIMAL "server: {}\n",
	  "t.yaml:7: duplicate key 'server' at the top level (first at line 1)" },
	{ "duplicate key in flow item", MINIMAL "dial_plans:\n  - { name: a, name: b, voip_security: secured }\n",
	  "t.yaml:8: duplicate key 'name' in dial_plans[0] (first at line 8)" },

	/* missing required */
	{ "no server", "certificates: { store: /a, trust: /b }\n",
	  "t.yaml:1: missing required section 'server'" },
	{ "no certificates", "server: { fqdn: a.example, state_dir: /x }\n",
	  "t.yaml:1: missing required section 'certificates'" },
	{ "no fqdn", "server:\n  state_dir: /x\n", "t.yaml:2: missing required key 'fqdn' in server" },
	{ "no state_dir", "server:\n  fqdn: a.example\n",
	  "t.yaml:2: missing required key 'state_dir' in server" },
	{ "no store", "server: { fqdn: a.example, state_dir: /x }\ncertificates:\n  trust: /t\n",
	  "t.yaml:3: missing required key 'store' in certificates" },
	{ "no trust", "server: { fqdn: a.example, state_dir: /x }\ncertificates:\n  store: /s\n",
	  "t.yaml:3: missing required key 'trust' in certificates" },
	{ "null server", "server:\ncertificates: { store: /a, trust: /b }\n",
	  "t.yaml:1: missing required key 'fqdn' in server" },
	{ "empty fqdn value", "server:\n  fqdn:\n  state_dir: /x\n",
	  "t.yaml:2: server.fqdn: missing value" },
	{ "empty quoted path", "server:\n  fqdn: a.example\n  state_dir: \"\"\n",
	  "t.yaml:3: server.state_dir: must not be empty" },
	{ "dial plan without mode", MINIMAL "dial_plans:\n  - { name: a }\n",
	  "t.yaml:8: missing required key 'voip_security' in dial_plans[0]" },
	{ "gateway without address", MINIMAL "ip_gateways:\n  - { name: g }\n",
	  "t.yaml:8: missing required key 'address' in ip_gateways[0]" },
	{ "hunt group without pilot", MINIMAL "hunt_groups:\n  - { gateway: g, dial_plan: d }\n",
	  "t.yaml:8: missing required key 'pilot' in hunt_groups[0]" },
	{ "application without address", MINIMAL "application: { port: 5060 }\n",
	  "t.yaml:7: missing required key 'address' in application" },
	{ "dataplane without internal", MINIMAL "dataplane:\n  external: { port: 0, address: 192.0.2.1/24 }\n",
	  "t.yaml:8: missing required key 'internal' in dataplane" },

	/* unknown enumerations */
	{ "unknown mode", MINIMAL "dial_plans:\n  - { name: a, voip_security: x }\n",
	  "t.yaml:8: unknown voip_security 'x' (expected unsecured, sip_secured, secured)" },
	{ "mode as list", MINIMAL "dial_plans:\n  - { name: a, voip_security: [secured] }\n",
	  "t.yaml:8: voip_security: expected one of unsecured, sip_secured, secured, not a list" },
	{ "unknown suite", MINIMAL "dial_plans:\n  - { name: a, voip_security: secured, srtp_suites: [AES_CM_128_HMAC_SHA1_80, NULL_CIPHER] }\n",
	  "t.yaml:8: unknown SRTP suite 'NULL_CIPHER' (expected AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, AEAD_AES_128_GCM, AEAD_AES_256_GCM)" },
	{ "suite twice", MINIMAL "dial_plans:\n  - { name: a, voip_security: secured, srtp_suites: [AEAD_AES_128_GCM, AEAD_AES_128_GCM] }\n",
	  "t.yaml:8: dial_plans[0].srtp_suites: 'AEAD_AES_128_GCM' listed twice" },
	{ "no suites", MINIMAL "dial_plans:\n  - { name: a, voip_security: secured, srtp_suites: [] }\n",
	  "t.yaml:8: dial_plans[0].srtp_suites: list at least one suite" },
	{ "unknown key type", MINIMAL "  self_signed: { key: dsa }\n",
	  "t.yaml:7: unknown self_signed key 'dsa' (expected rsa2048, ecdsa-p256)" },
	{ "unknown transport", MINIMAL "application: { address: 198.51.100.20, transport: sctp }\n",
	  "t.yaml:7: unknown transport 'sctp' (expected udp, tcp, tls)" },
	{ "unknown idle", MINIMAL DP_MINIMAL "  idle: sleepy\n",
	  "t.yaml:10: unknown idle 'sleepy' (expected backoff, busy)" },

	/* duplicates and dangling references */
	{ "duplicate dial plan", MINIMAL "dial_plans:\n  - { name: a, voip_security: secured }\n"
	  "  - { name: a, voip_security: unsecured }\n",
	  "t.yaml:9: duplicate dial plan 'a' (first at line 8)" },
	{ "duplicate gateway", MINIMAL "ip_gateways:\n  - { name: g, address: 192.0.2.1 }\n"
	  "  - { name: g, address: 192.0.2.2 }\n",
	  "t.yaml:9: duplicate IP gateway 'g' (first at line 8)" },
	{ "duplicate hunt group", MINIMAL "dial_plans: [{ name: d, voip_security: secured }]\n"
	  "ip_gateways: [{ name: g, address: 192.0.2.1 }]\n"
	  "hunt_groups:\n  - { gateway: g, pilot: \"100\", dial_plan: d }\n"
	  "  - { gateway: g, pilot: \"100\", dial_plan: d }\n",
	  "t.yaml:11: duplicate hunt group 100 on gateway 'g' (first at line 10)" },
	{ "association to unknown plan",
	  "server:\n  fqdn: a.example\n  state_dir: /x\n  dial_plans: [nope]\n"
	  "certificates: { store: /s, trust: /t }\n",
	  "t.yaml:4: server.dial_plans names unknown dial plan 'nope'" },
	{ "association twice",
	  "server:\n  fqdn: a.example\n  state_dir: /x\n  dial_plans: [a, a]\n"
	  "certificates: { store: /s, trust: /t }\n"
	  "dial_plans: [{ name: a, voip_security: unsecured }]\n",
	  "t.yaml:4: server.dial_plans names 'a' twice" },
	{ "hunt group to unknown gateway", MINIMAL "dial_plans: [{ name: d, voip_security: secured }]\n"
	  "hunt_groups:\n  - { gateway: g, pilot: \"100\", dial_plan: d }\n",
	  "t.yaml:9: hunt group 100 names unknown IP gateway 'g'" },
	{ "hunt group to unknown plan", MINIMAL "ip_gateways: [{ name: g, address: 192.0.2.1 }]\n"
	  "hunt_groups:\n  - { gateway: g, pilot: \"100\", dial_plan: d }\n",
	  "t.yaml:9: hunt group 100 names unknown dial plan 'd'" },

	/* addresses, ports, numbers */
	{ "short IP", MINIMAL "ip_gateways:\n  - { name: g, address: 192.0.2 }\n",
	  "t.yaml:8: ip_gateways[0].address: '192.0.2' is not an IPv4 address" },
	{ "IP out of range", MINIMAL "application: { address: 300.1.1.1 }\n",
	  "t.yaml:7: application.address: '300.1.1.1' is not an IPv4 address" },
	{ "IPv6 not yet", MINIMAL "application: { address: \"2001:db8::1\" }\n",
	  "t.yaml:7: application.address: '2001:db8::1' is not an IPv4 address" },
	{ "host name as address", MINIMAL "ip_gateways:\n  - { name: g, address: gw.example }\n",
	  "t.yaml:8: ip_gateways[0].address: 'gw.example' is not an IPv4 address" },
	{ "metrics without listen", MINIMAL "metrics: { port: 9469 }\n",
	  "t.yaml:7: unknown key 'port' in metrics" },
	{ "metrics listen no port", MINIMAL "metrics: { listen: 127.0.0.1 }\n",
	  "t.yaml:7: metrics.listen: '127.0.0.1' is not ADDRESS:PORT (for example 127.0.0.1:9469)" },
	{ "metrics listen port only", MINIMAL "metrics: { listen: \":9469\" }\n",
	  "t.yaml:7: metrics.listen: ':9469' is not ADDRESS:PORT (for example 127.0.0.1:9469)" },
	{ "metrics listen port 0", MINIMAL "metrics: { listen: 127.0.0.1:0 }\n",
	  "t.yaml:7: metrics.listen: port '0' is not 1..65535" },
	{ "metrics listen port words", MINIMAL "metrics: { listen: \"127.0.0.1:http\" }\n",
	  "t.yaml:7: metrics.listen: port 'http' is not 1..65535" },
	{ "metrics listen port sign", MINIMAL "metrics: { listen: \"127.0.0.1:+80\" }\n",
	  "t.yaml:7: metrics.listen: port '+80' is not 1..65535" },
	{ "metrics listen big port", MINIMAL "metrics: { listen: \"127.0.0.1:99999999999999999999\" }\n",
	  "t.yaml:7: metrics.listen: port '99999999999999999999' is not 1..65535" },
	{ "metrics listen host name", MINIMAL "metrics: { listen: \"localhost:9469\" }\n",
	  "t.yaml:7: metrics.listen: 'localhost' is not an IPv4 address" },
	{ "metrics listen IPv6", MINIMAL "metrics: { listen: \"[::1]:9469\" }\n",
	  "t.yaml:7: metrics.listen: '[::1]' is not an IPv4 address" },
	{ "ng unknown key", MINIMAL DP_MINIMAL "ng: { listen: 198.51.100.1:2223, port: 1 }\n",
	  "t.yaml:10: unknown key 'port' in ng" },
	{ "ng without listen", MINIMAL DP_MINIMAL "ng: { timeout_s: 30 }\n",
	  "t.yaml:10: missing required key 'listen' in ng" },
	{ "ng listen no port", MINIMAL DP_MINIMAL "ng: { listen: 198.51.100.1 }\n",
	  "t.yaml:10: ng.listen: '198.51.100.1' is not ADDRESS:PORT (for example "
	  "198.51.100.1:2223)" },
	{ "ng timeout 0", MINIMAL DP_MINIMAL "ng: { listen: 198.51.100.1:2223, timeout_s: 0 }\n",
	  "t.yaml:10: ng.timeout_s: 0 is out of range (1..86400)" },
	{ "ng max_calls", MINIMAL DP_MINIMAL "ng: { listen: 198.51.100.1:2223, max_calls: 10 }\n",
	  "t.yaml:10: ng.max_calls: 10 is out of range (64..1000000)" },
	{ "ng external address", MINIMAL DP_MINIMAL "ng: { listen: 192.0.2.1:2223 }\n",
	  "t.yaml:10: ng.listen must be the dataplane's internal address (198.51.100.1): the workers "
	  "serve ng on the internal side" },
	{ "ng on a media port", MINIMAL DP_MINIMAL "ng: { listen: 198.51.100.1:30000 }\n",
	  "t.yaml:10: ng.listen port 30000 is taken (SIP 5060/5061, or the internal media ports "
	  "30000-39999)" },
	{ "ng on SIP", MINIMAL DP_MINIMAL "ng: { listen: 198.51.100.1:5060 }\n",
	  "t.yaml:10: ng.listen port 5060 is taken (SIP 5060/5061, or the internal media ports "
	  "30000-39999)" },
	{ "ng without a dataplane", MINIMAL "ng: { listen: 198.51.100.1:2223 }\n",
	  "t.yaml:7: ng needs the dataplane: section (the workers serve it on the internal side)" },
	{ "port 0", MINIMAL "application: { address: 198.51.100.20, port: 0 }\n",
	  "t.yaml:7: application.port: 0 is out of range (1..65535)" },
	{ "port 70000", MINIMAL "ip_gateways:\n  - { name: g, address: 192.0.2.1, port: 70000 }\n",
	  "t.yaml:8: ip_gateways[0].port: 70000 is out of range (1..65535)" },
	{ "huge number", MINIMAL "application: { address: 198.51.100.20, port: 99999999999999999999999 }\n",
	  "t.yaml:7: application.port: 99999999999999999999999 is out of range (1..65535)" },
	{ "negative port", MINIMAL "application: { address: 198.51.100.20, port: -1 }\n",
	  "t.yaml:7: application.port: -1 is out of range (1..65535)" },
	{ "hex port", MINIMAL "application: { address: 198.51.100.20, port: 0x13c4 }\n",
	  "t.yaml:7: application.port: expected an integer, got '0x13c4'" },
	{ "quoted port", MINIMAL "application: { address: 198.51.100.20, port: \"5060\" }\n",
	  "t.yaml:7: application.port: expected an integer, got '5060'" },
	{ "start_secured yes", "server:\n  fqdn: a.example\n  state_dir: /x\n  start_secured: yes\n",
	  "t.yaml:4: server.start_secured: expected an integer, got 'yes'" },
	{ "start_secured 2", "server:\n  fqdn: a.example\n  state_dir: /x\n  start_secured: 2\n",
	  "t.yaml:4: server.start_secured: 2 is out of range (0..1)" },
	{ "days 0", MINIMAL "  self_signed: { days: 0 }\n",
	  "t.yaml:7: certificates.self_signed.days: 0 is out of range (1..36500)" },
	{ "days too many", MINIMAL "  self_signed: { days: 36501 }\n",
	  "t.yaml:7: certificates.self_signed.days: 36501 is out of range (1..36500)" },
	{ "warning days", MINIMAL "  expiry_warning_days: 366\n",
	  "t.yaml:7: certificates.expiry_warning_days: 366 is out of range (0..365)" },
	{ "workers 0", MINIMAL DP_MINIMAL "  workers: 0\n",
	  "t.yaml:10: dataplane.workers: 0 is out of range (1..64)" },
	{ "workers 65", MINIMAL DP_MINIMAL "  workers: 65\n",
	  "t.yaml:10: dataplane.workers: 65 is out of range (1..64)" },
	{ "crypto_lcores 9", MINIMAL DP_MINIMAL "  crypto_lcores: 9\n",
	  "t.yaml:10: dataplane.crypto_lcores: 9 is out of range (0..8)" },
	{ "tls_offload word", MINIMAL DP_MINIMAL "  tls_offload: all\n",
	  "t.yaml:10: unknown tls_offload 'all' (expected handshake, keys)" },
	{ "srtp_engine word", MINIMAL DP_MINIMAL "  srtp_engine: nss\n",
	  "t.yaml:10: unknown srtp_engine 'nss' (expected auto, ipsec_mb, libsrtp2)" },
	{ "tls_ciphers shell", MINIMAL DP_MINIMAL "  tls_ciphers: \"ECDHE; rm\"\n",
	  "t.yaml:7: dataplane.tls_ciphers: only an OpenSSL cipher string is allowed" },
	{ "media idle timeout", MINIMAL DP_MINIMAL "  media_idle_timeout_s: 86401\n",
	  "t.yaml:10: dataplane.media_idle_timeout_s: 86401 is out of range (0..86400)" },
	{ "echo port 70000", MINIMAL DP_MINIMAL "  udp_echo_port: 70000\n",
	  "t.yaml:10: dataplane.udp_echo_port: 70000 is out of range (0..65535)" },
	{ "tcp max_connections 8", MINIMAL DP_MINIMAL "  tcp: { max_connections: 8 }\n",
	  "t.yaml:10: dataplane.tcp.max_connections: 8 is out of range (16..65536)" },
	{ "tcp unknown key", MINIMAL DP_MINIMAL "  tcp: { max_conns: 8 }\n",
	  "t.yaml:10: unknown key 'max_conns' in dataplane.tcp" },
	{ "tcp buffer_kib 2048", MINIMAL DP_MINIMAL "  tcp: { buffer_kib: 2048 }\n",
	  "t.yaml:10: dataplane.tcp.buffer_kib: 2048 is out of range (4..1024)" },
	{ "sip max_headers 256", MINIMAL DP_MINIMAL "  sip: { max_headers: 256 }\n",
	  "t.yaml:10: dataplane.sip.max_headers: 256 is out of range (16..255)" },
	{ "sip max_message_bytes 100", MINIMAL DP_MINIMAL "  sip: { max_message_bytes: 100 }\n",
	  "t.yaml:10: dataplane.sip.max_message_bytes: 100 is out of range (1024..65535)" },
	{ "sip t1_ms 10", MINIMAL DP_MINIMAL "  sip: { t1_ms: 10 }\n",
	  "t.yaml:10: dataplane.sip.t1_ms: 10 is out of range (50..5000)" },
	{ "sip t2 below t1", MINIMAL DP_MINIMAL "  sip: { t1_ms: 1000, t2_ms: 500 }\n",
	  "t.yaml:7: dataplane.sip: need 50 <= t1_ms <= 5000, t1_ms <= t2_ms <= 60000, "
	  "100 <= t4_ms <= 60000, 64 <= max_transactions <= 1000000, keepalive_s <= 3600, "
	  "64 <= max_calls <= 1000000, media_timeout_s <= 86400" },
	{ "sip max_transactions 10", MINIMAL DP_MINIMAL "  sip: { max_transactions: 10 }\n",
	  "t.yaml:10: dataplane.sip.max_transactions: 10 is out of range (64..1000000)" },
	{ "sip unknown key", MINIMAL DP_MINIMAL "  sip: { max_body: 1 }\n",
	  "t.yaml:10: unknown key 'max_body' in dataplane.sip" },
	{ "sip not a map", MINIMAL DP_MINIMAL "  sip: 5\n",
	  "t.yaml:10: dataplane.sip must be a mapping, not a scalar" },
	{ "tcp_fault drop 0.9", MINIMAL DP_MINIMAL "  tcp_fault: { drop: 0.9 }\n",
	  "t.yaml:10: dataplane.tcp_fault.drop: expected a fraction 0..0.5 like 0.02, got '0.9'" },
	{ "tcp_fault reorder words", MINIMAL DP_MINIMAL "  tcp_fault: { reorder: lots }\n",
	  "t.yaml:10: dataplane.tcp_fault.reorder: expected a fraction 0..0.5 like 0.02, got 'lots'" },
	{ "tcp_dial without port", MINIMAL DP_MINIMAL "  tcp_dial: { address: 192.0.2.10 }\n",
	  "t.yaml:10: missing required key 'port' in dataplane.tcp_dial" },
	{ "tcp_dial port 0", MINIMAL DP_MINIMAL "  tcp_dial: { address: 192.0.2.10, port: 0 }\n",
	  "t.yaml:10: dataplane.tcp_dial.port: 0 is out of range (1..65535)" },

	/* wrong shapes */
	{ "server is a list", "server: [a]\n", "t.yaml:1: server must be a mapping, not a list" },
	{ "dial_plans is a mapping", MINIMAL "dial_plans: { name: a }\n",
	  "t.yaml:7: dial_plans must be a list, not a mapping" },
	{ "dial plan is a scalar", MINIMAL "dial_plans: [a]\n",
	  "t.yaml:7: dial_plans[0] must be a mapping, not a scalar" },
	{ "fqdn is a mapping", "server:\n  fqdn: { a: b }\n",
	  "t.yaml:2: server.fqdn: expected a scalar, not a mapping" },
	{ "workers is a list", MINIMAL DP_MINIMAL "  workers: [1]\n",
	  "t.yaml:10: dataplane.workers: expected a scalar, not a list" },
	{ "eal is a string", MINIMAL DP_MINIMAL "  eal: --vdev\n",
	  "t.yaml:10: dataplane.eal must be a list, not a scalar" },
	{ "eal item null", MINIMAL DP_MINIMAL "  eal: [--vdev, ~]\n",
	  "t.yaml:10: dataplane.eal[1]: missing value" },

	/* names and strings */
	{ "bad name", MINIMAL "dial_plans:\n  - { name: \"a b\", voip_security: secured }\n",
	  "t.yaml:8: dial_plans[0].name: 'a b' is not a valid name (letters, digits, '_', '.', '-')" },
	{ "name too long", MINIMAL "dial_plans:\n  - { name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, voip_security: secured }\n",
	  "t.yaml:8: dial_plans[0].name: too long (64 characters, limit 63)" },
	{ "bad fqdn", "server:\n  fqdn: -bad.example\n",
	  "t.yaml:2: server.fqdn: '-bad.example' is not a valid DNS name" },
	{ "fqdn empty label", "server:\n  fqdn: a..example\n",
	  "t.yaml:2: server.fqdn: 'a..example' is not a valid DNS name" },
	{ "bad pilot", MINIMAL "hunt_groups:\n  - { gateway: g, pilot: 12a, dial_plan: d }\n",
	  "t.yaml:8: hunt_groups[0].pilot: '12a' is not a pilot number (digits, '+', '*', '#')" },
	{ "pilot too long", MINIMAL "hunt_groups:\n  - { gateway: g, pilot: \"123456789012345678901234567890123\", dial_plan: d }\n",
	  "t.yaml:8: hunt_groups[0].pilot: too long (33 characters, limit 32)" },
	{ "socket path too long", "server:\n  fqdn: a.example\n  state_dir: /x\n  control_socket: /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
	  "t.yaml:4: server.control_socket: too long (116 characters, limit 107)" },
	{ "unknown associated name shape", "server:\n  fqdn: a.example\n  state_dir: /x\n  dial_plans: [\"a b\"]\n",
	  "t.yaml:4: server.dial_plans[0]: 'a b' is not a valid name (letters, digits, '_', '.', '-')" },

	/* dataplane specifics */
	{ "cidr without length", MINIMAL "dataplane:\n  external: { port: 0, address: 192.0.2.1 }\n",
	  "t.yaml:8: dataplane.external.address: expected an IPv4 address with a prefix length like 192.0.2.1/24, got '192.0.2.1'" },
	{ "cidr /33", MINIMAL "dataplane:\n  external: { port: 0, address: 192.0.2.1/33 }\n",
	  "t.yaml:8: dataplane.external.address: expected an IPv4 address with a prefix length like 192.0.2.1/24, got '192.0.2.1/33'" },
	{ "gateway off link", MINIMAL "dataplane:\n  external: { port: 0, address: 192.0.2.1/24, gateway: 203.0.113.1 }\n",
	  "t.yaml:8: dataplane.external.gateway: 203.0.113.1 is not inside 192.0.2.1/24" },
	{ "same port id", MINIMAL "dataplane:\n  external: { port: 1, address: 192.0.2.1/24 }\n"
	  "  internal: { port: 1, address: 198.51.100.1/24 }\n",
	  "t.yaml:7: dataplane.external and dataplane.internal both use port 1" },
	{ "odd first media port", MINIMAL DP_MINIMAL "  media_ports: { external: 20001-29999 }\n",
	  "t.yaml:10: dataplane.media_ports.external: first port 20001 must be even (RTP even, RTCP odd)" },
	{ "reversed range", MINIMAL DP_MINIMAL "  media_ports: { internal: 40000-30000 }\n",
	  "t.yaml:10: dataplane.media_ports.internal: 40000-30000 must be first-last with 1 <= first <= last <= 65535" },
	{ "range beyond 65535", MINIMAL DP_MINIMAL "  media_ports: { internal: 60000-70000 }\n",
	  "t.yaml:10: dataplane.media_ports.internal: 60000-70000 must be first-last with 1 <= first <= last <= 65535" },
	{ "range garbage", MINIMAL DP_MINIMAL "  media_ports: { internal: 3000 }\n",
	  "t.yaml:10: dataplane.media_ports.internal: expected a range like 20000-29999, got '3000'" },
	{ "overlapping ranges", MINIMAL DP_MINIMAL "  media_ports: { external: 20000-30000, internal: 30000-39999 }\n",
	  "t.yaml:7: dataplane.media_ports: external 20000-30000 overlaps internal 30000-39999" },
	{ "too many EAL args", MINIMAL DP_MINIMAL
	  "  eal: [a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,"
	  "a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a]\n",
	  "t.yaml:10: dataplane.eal has 65 items (limit 64)" },
};

Test(config, hostile_inputs)
{
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		const struct bad *b = &bad_inputs[i];
		char err[CONFIG_ERR_MAX] = "";
		struct config *c = NULL;
		int rc = config_parse("t.yaml", b->yaml, strlen(b->yaml), &c, err, sizeof(err));

		cr_expect_eq(rc, -1, "%s: accepted", b->what);
		cr_expect_null(c, "%s: *out set on error", b->what);
		cr_expect_str_eq(err, b->err, "%s:\n  got      %s\n  expected %s", b->what,
				 err, b->err);
		config_free(c);
	}
}

Test(config, two_mib_file_is_refused)
{
	const size_t len = 2u * 1024 * 1024;
	char err[CONFIG_ERR_MAX] = "", path[] = "/tmp/test_config_big.XXXXXX";
	struct config *c = NULL;
	char *big = malloc(len);
	FILE *f;
	int fd;

	cr_assert_not_null(big);
	memset(big, '#', len);
	for (size_t i = 79; i < len; i += 80)
		big[i] = '\n';
	cr_expect_eq(config_parse("t.yaml", big, len, &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "t.yaml: too large (2097152 bytes, limit 1048576)");

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(big, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	cr_expect_eq(config_load(path, &c, err, sizeof(err)), -1);
	cr_expect(strstr(err, "too large") != NULL, "%s", err);
	cr_expect_null(c);
	unlink(path);
	free(big);
}

Test(config, missing_file)
{
	char err[CONFIG_ERR_MAX] = "";
	struct config *c = NULL;

	cr_expect_eq(config_load("/nonexistent/umedge.yaml", &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "/nonexistent/umedge.yaml: No such file or directory");
}

Test(config, long_flow_list_is_bounded)
{
	/* Half a megabyte of one-character items: refused by the node cap,
	 * quickly and without exhausting memory. */
	const size_t n = 300000;
	char err[CONFIG_ERR_MAX] = "";
	struct config *c = NULL;
	char *buf = malloc(n * 2 + 16);
	size_t len = 0;

	cr_assert_not_null(buf);
	len += (size_t)sprintf(buf, "eal: [");
	for (size_t i = 0; i < n; i++) {
		buf[len++] = 'a';
		buf[len++] = ',';
	}
	buf[len++] = ']';
	cr_expect_eq(config_parse("t.yaml", buf, len, &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "t.yaml:1: too many YAML nodes (limit 100000)");
	free(buf);
}

Test(config, small_error_buffer_is_safe)
{
	char err[8];
	struct config *c = NULL;

	cr_expect_eq(config_parse("t.yaml", "x: 1\n", 5, &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "t.yaml:");
	cr_expect_eq(config_parse("t.yaml", "x: 1\n", 5, &c, NULL, 0), -1);
}

/* --- validate after a CLI-style edit --------------------------------- */

Test(config, validate_reports_lines_only_for_file_items)
{
	char err[CONFIG_ERR_MAX] = "";
	struct config *c = parse_ok(EXAMPLE_CORE);
	struct config_hunt_group *hg;

	cr_expect_eq(config_validate(c, err, sizeof(err)), 0);
	/* An item added by the CLI has no line: plain message. */
	hg = realloc(c->hunt_groups, 2 * sizeof(*hg));
	cr_assert_not_null(hg);
	c->hunt_groups = hg;
	memset(&hg[1], 0, sizeof(hg[1]));
	strcpy(hg[1].gateway, "gw9");
	strcpy(hg[1].pilot, "6000");
	strcpy(hg[1].dial_plan, "contoso");
	c->n_hunt_groups = 2;
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "hunt group 6000 names unknown IP gateway 'gw9'");
	c->n_hunt_groups = 1;

	/* A file item broken by an edit keeps its line. */
	strcpy(c->hunt_groups[0].dial_plan, "gone");
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "t.yaml:19: hunt group 5000 names unknown dial plan 'gone'");
	strcpy(c->hunt_groups[0].dial_plan, "contoso");

	c->dial_plans[1].n_suites = 0; /* fabrikam switched to secured, no suites */
	c->dial_plans[1].security = UMEDGE_SEC_SECURED;
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "t.yaml:14: dial plan 'fabrikam' is secured but offers no SRTP suite");
	c->dial_plans[1].n_suites = 1;
	cr_expect_eq(config_validate(c, err, sizeof(err)), 0);

	/* Same model without a file: no prefix at all. */
	c->path[0] = '\0';
	strcpy(c->server.dial_plans[1], "contoso");
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "server.dial_plans names 'contoso' twice");
	config_free(c);
}

/* --- emit -> parse round trips --------------------------------------- */

static void round_trip(const char *yaml)
{
	char err[CONFIG_ERR_MAX] = "";
	struct config *a = parse_ok(yaml), *b = NULL;
	char *text = config_emit(a);

	cr_assert_not_null(text);
	int rc = config_parse("emitted.yaml", text, strlen(text), &b, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s\n--- emitted ---\n%s", err, text);
	cr_expect(config_equal(a, b), "not equal after round trip:\n%s", text);
	/* Emitting is a fixed point: same model, same text. */
	char *again = config_emit(b);
	cr_assert_not_null(again);
	cr_expect_str_eq(again, text);
	free(again);
	free(text);
	config_free(a);
	config_free(b);
}

Test(config, ng_section)
{
	struct config *c = parse_ok(MINIMAL DP_MINIMAL "ng: { listen: 198.51.100.1:2223 }\n");

	cr_expect(c->ng.present);
	cr_expect_str_eq(c->ng.address, "198.51.100.1");
	cr_expect_eq(c->ng.port, 2223);
	cr_expect_eq(c->ng.timeout_s, CONFIG_DEFAULT_NG_TIMEOUT_S);
	cr_expect_eq(c->ng.max_calls, CONFIG_DEFAULT_NG_MAX_CALLS);
	config_free(c);
	c = parse_ok(MINIMAL DP_MINIMAL);
	cr_expect_not(c->ng.present, "off unless configured");
	config_free(c);
	round_trip(MINIMAL DP_MINIMAL "ng: { listen: 198.51.100.1:2223 }\n");
	round_trip(MINIMAL DP_MINIMAL "ng: { listen: 198.51.100.1:2223, timeout_s: 30, "
		   "max_calls: 100000 }\n");
}

Test(config, round_trip_example)
{
	round_trip(EXAMPLE_CORE);
	round_trip(EXAMPLE_CORE EXAMPLE_DATAPLANE);
}

Test(config, round_trip_minimal_and_defaults)
{
	round_trip(MINIMAL);
	round_trip(MINIMAL DP_MINIMAL);
	round_trip(MINIMAL "metrics: { listen: 127.0.0.1:9469 }\n");
}

Test(config, metrics)
{
	struct config *c = parse_ok(MINIMAL "metrics: { listen: 0.0.0.0:9100 }\n");

	cr_expect(c->metrics.present);
	cr_expect_str_eq(c->metrics.address, "0.0.0.0");
	cr_expect_eq(c->metrics.addr.s_addr, inet_addr("0.0.0.0"));
	cr_expect_eq(c->metrics.port, 9100);
	config_free(c);
	c = parse_ok(MINIMAL "metrics:\n");
	cr_expect_not(c->metrics.present, "an empty metrics: leaves the endpoint off");
	config_free(c);
	c = parse_ok(MINIMAL);
	cr_expect_not(c->metrics.present, "off unless configured");
	config_free(c);
}

Test(config, round_trip_awkward_strings)
{
	round_trip("server:\n"
		   "  fqdn: x1.example\n"
		   "  state_dir: \"/var/lib/um edge: #1\"\n"
		   "  control_socket: \"null\"\n"
		   "  start_secured: 1\n"
		   "certificates:\n"
		   "  store: \"'quoted' \\\"twice\\\"\"\n"
		   "  trust: \"~\"\n"
		   "  self_signed: { key: ecdsa-p256, days: 36500 }\n"
		   "  expiry_warning_days: 0\n"
		   "dial_plans:\n"
		   "  - { name: \"123\", voip_security: secured, srtp_suites: [AEAD_AES_256_GCM] }\n"
		   "  - { name: \"true\", voip_security: unsecured, srtp_suites: [AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80] }\n"
		   "  - { name: -x, voip_security: sip_secured }\n"
		   "ip_gateways:\n"
		   "  - { name: g.1, address: 192.0.2.10, port: 5070 }\n"
		   "  - { name: g_2, address: 203.0.113.5, port: 5061, fqdn: G2.Example.TEST }\n"
		   "hunt_groups:\n"
		   "  - { gateway: g.1, pilot: \"*5000#\", dial_plan: \"123\" }\n"
		   "  - { gateway: g.1, pilot: \"+15551234\", dial_plan: \"true\" }\n"
		   "  - { gateway: g_2, pilot: \"#9\", dial_plan: -x }\n"
		   "application: { address: 198.51.100.20, port: 5080, transport: tcp }\n"
		   "dataplane:\n"
		   "  eal: [-l, \"0-1\", --vdev, \"net_tap0,iface=umx0\", \"--log-level=*:debug\", \"with space\", \"ütf-8\", \"[x]\", \"{y}\", \"- z\", \"a: b\", \"#c\", \"'\", \"\\\"\"]\n"
		   "  workers: 64\n"
		   "  idle: busy\n"
		   "  external: { port: 3, address: 192.0.2.1/32, gateway: 192.0.2.1 }\n"
		   "  internal: { port: 0, address: 198.51.100.1/1 }\n"
		   "  media_ports: { external: 2-3, internal: 65534-65535 }\n"
		   "  media_idle_timeout_s: 0\n"
		   "  udp_echo_port: 65535\n");
}

/* --- save ------------------------------------------------------------- */

Test(config, save_replaces_atomically)
{
	char dir[] = "/tmp/test_config_save.XXXXXX", path[256], err[CONFIG_ERR_MAX] = "";
	struct config *a = parse_ok(EXAMPLE_CORE EXAMPLE_DATAPLANE), *b = NULL;
	struct stat before, after;
	struct dirent *de;
	int entries = 0;
	FILE *f;
	DIR *d;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/umedge.yaml", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("old contents\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, 0666), 0);
	cr_assert_eq(stat(path, &before), 0);

	cr_assert_eq(config_save(a, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(path, &after), 0);
	cr_expect_neq(before.st_ino, after.st_ino, "file rewritten in place, not replaced");
	cr_expect_eq(after.st_mode & 07777, 0640);
	cr_assert_eq(config_load(path, &b, err, sizeof(err)), 0, "%s", err);
	cr_expect(config_equal(a, b));
	cr_expect_str_eq(b->path, path);

	d = opendir(dir);
	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		cr_expect_str_eq(de->d_name, "umedge.yaml", "left behind: %s", de->d_name);
		entries++;
	}
	closedir(d);
	cr_expect_eq(entries, 1);

	/* A failed save leaves nothing behind and reports the path. */
	snprintf(path, sizeof(path), "%s/missing/umedge.yaml", dir);
	cr_expect_eq(config_save(a, path, err, sizeof(err)), -1);
	cr_expect_str_eq(strstr(err, ": No such file or directory") ? "ok" : err, "ok");

	snprintf(path, sizeof(path), "%s/umedge.yaml", dir);
	unlink(path);
	rmdir(dir);
	config_free(a);
	config_free(b);
}

Test(config, emitted_text_has_header_and_flow_items)
{
	struct config *a = parse_ok(EXAMPLE_CORE);
	char *text = config_emit(a);

	cr_assert_not_null(text);
	cr_expect_eq(strncmp(text, "# written by umedge-control\n", 28), 0, "%s", text);
	cr_expect(strstr(text, "- {name: fabrikam, voip_security: unsecured}\n") != NULL,
		  "%s", text);
	cr_expect(strstr(text, "pilot: \"5000\"") != NULL, "%s", text);
	cr_expect(strstr(text, "control_socket") == NULL, "default emitted:\n%s", text);
	free(text);
	config_free(a);
}

/* --- dup / free ------------------------------------------------------- */

Test(config, dup_is_deep)
{
	struct config *a = parse_ok(EXAMPLE_CORE EXAMPLE_DATAPLANE);
	struct config *b = config_dup(a);

	cr_assert_not_null(b);
	cr_expect(config_equal(a, b));
	cr_expect_neq(a->dial_plans, b->dial_plans);
	cr_expect_neq(a->gateways, b->gateways);
	cr_expect_neq(a->hunt_groups, b->hunt_groups);
	cr_expect_neq(a->server.dial_plans, b->server.dial_plans);
	cr_expect_neq(a->dataplane.eal[1], b->dataplane.eal[1]);
	b->dial_plans[0].security = UMEDGE_SEC_UNSECURED;
	strcpy(b->server.dial_plans[0], "x");
	b->dataplane.eal[1][0] = 'X';
	cr_expect_not(config_equal(a, b));
	cr_expect_eq(a->dial_plans[0].security, UMEDGE_SEC_SECURED);
	cr_expect_str_eq(a->server.dial_plans[0], "contoso");
	cr_expect_str_eq(a->dataplane.eal[1], "net_tap0,iface=umx0");
	config_free(a);
	config_free(b);

	a = parse_ok(MINIMAL);
	b = config_dup(a);
	cr_assert_not_null(b);
	cr_expect(config_equal(a, b));
	config_free(a);
	config_free(b);
	config_free(NULL);
	cr_expect_null(config_dup(NULL));
}

Test(config, defaults_function)
{
	struct config c;

	config_defaults(&c);
	cr_expect_str_eq(c.path, "");
	cr_expect_str_eq(c.server.control_socket, CONFIG_DEFAULT_CONTROL_SOCKET);
	cr_expect_eq(c.certificates.self_signed_days, 365);
	cr_expect_eq(c.certificates.expiry_warning_days, 30);
	cr_expect_eq(c.dataplane.workers, 1);
	cr_expect_eq(c.dataplane.idle, CONFIG_IDLE_BACKOFF);
	cr_expect_eq(c.application.port, 5060);
}

Test(config, value_predicates)
{
	cr_expect(config_name_valid("contoso"));
	cr_expect(config_name_valid("a.b-c_9"));
	cr_expect_not(config_name_valid(""));
	cr_expect_not(config_name_valid("a b"));
	cr_expect_not(config_name_valid("ü"));
	cr_expect(config_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	cr_expect_not(config_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));

	cr_expect(config_fqdn_valid("um1.example.test"));
	cr_expect(config_fqdn_valid("localhost"));
	cr_expect(config_fqdn_valid("a-b.c"));
	cr_expect_not(config_fqdn_valid(""));
	cr_expect_not(config_fqdn_valid("a."));
	cr_expect_not(config_fqdn_valid(".a"));
	cr_expect_not(config_fqdn_valid("a-.b"));
	cr_expect_not(config_fqdn_valid("a_b.c"));
	cr_expect_not(config_fqdn_valid(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b"));

	cr_expect(config_pilot_valid("5000"));
	cr_expect(config_pilot_valid("+1*2#"));
	cr_expect_not(config_pilot_valid(""));
	cr_expect_not(config_pilot_valid("12a"));
	cr_expect_not(config_pilot_valid("123456789012345678901234567890123"));
}

Test(config, messages_carry_no_control_characters)
{
	const char *yaml = MINIMAL "\"evil\\e[31m\\nkey\": 1\n";
	char err[CONFIG_ERR_MAX] = "";
	struct config *c = NULL;

	cr_expect_eq(config_parse("t.yaml", yaml, strlen(yaml), &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "t.yaml:7: unknown key 'evil?[31m?key' at the top level");
}

/* What the CLI builds must be loadable after config_save: validate refuses
 * anything config_parse would refuse. */
Test(config, validate_refuses_what_parse_would)
{
	char err[CONFIG_ERR_MAX] = "";
	struct config *c = parse_ok(EXAMPLE_CORE EXAMPLE_DATAPLANE);

	c->path[0] = '\0';
	strcpy(c->dial_plans[2].name, "north wind");
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "dial plan name 'north wind' is not valid");
	strcpy(c->dial_plans[2].name, "northwind");

	strcpy(c->gateways[0].address, "192.0.2.11"); /* text and addr disagree */
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "IP gateway 'gw1' has no valid IPv4 address");
	strcpy(c->gateways[0].address, "192.0.2.10");

	strcpy(c->hunt_groups[0].pilot, "50 00");
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "hunt group pilot '50 00' is not valid");
	strcpy(c->hunt_groups[0].pilot, "5000");

	c->application.port = 0;
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "application.port must be 1..65535");
	c->application.port = 5060;

	c->dataplane.internal.prefix_len = 0;
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "dataplane.external and dataplane.internal need an IPv4 "
			 "address and a prefix length 1..32");
	c->dataplane.internal.prefix_len = 24;

	c->dial_plans[0].suites[1] = c->dial_plans[0].suites[0];
	cr_expect_eq(config_validate(c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "dial plan 'contoso' lists SRTP suite AES_CM_128_HMAC_SHA1_80 twice");
	c->dial_plans[0].suites[1] = UMEDGE_SRTP_AEAD_AES_128_GCM;

	cr_expect_eq(config_validate(c, err, sizeof(err)), 0, "%s", err);
	config_free(c);
}

/* A model built in memory (no file) emits a file that loads back. */
Test(config, built_in_memory_round_trips)
{
	char err[CONFIG_ERR_MAX] = "";
	struct config *c = calloc(1, sizeof(*c)), *back = NULL;
	char *text;

	cr_assert_not_null(c);
	config_defaults(c);
	strcpy(c->server.fqdn, "edge.example.test");
	strcpy(c->server.state_dir, "/tmp/state");
	strcpy(c->certificates.store, "/tmp/store");
	strcpy(c->certificates.trust, "/tmp/trust");
	c->dial_plans = calloc(1, sizeof(*c->dial_plans));
	cr_assert_not_null(c->dial_plans);
	strcpy(c->dial_plans[0].name, "only");
	c->dial_plans[0].security = UMEDGE_SEC_SECURED;
	c->dial_plans[0].suites[0] = UMEDGE_SRTP_AEAD_AES_256_GCM;
	c->dial_plans[0].n_suites = 1;
	c->n_dial_plans = 1;
	cr_assert_eq(config_validate(c, err, sizeof(err)), 0, "%s", err);

	text = config_emit(c);
	cr_assert_not_null(text);
	cr_assert_eq(config_parse("mem.yaml", text, strlen(text), &back, err, sizeof(err)), 0,
		     "%s\n%s", err, text);
	cr_expect(config_equal(c, back), "%s", text);
	free(text);
	config_free(back);
	config_free(c);
}

Test(config, load_refuses_a_directory)
{
	char err[CONFIG_ERR_MAX] = "";
	struct config *c = NULL;

	cr_expect_eq(config_load("/tmp", &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "/tmp: not a regular file");
	cr_expect_null(c);
}

Test(config, emit_refuses_invalid_utf8)
{
	char err[CONFIG_ERR_MAX] = "";
	struct config *c = parse_ok(MINIMAL);

	strcpy(c->server.state_dir, "/var/\xff");
	cr_expect_null(config_emit(c));
	cr_expect_eq(config_save(c, "/tmp/never-written.yaml", err, sizeof(err)), -1);
	cr_expect_str_eq(err, "/tmp/never-written.yaml: cannot write the configuration as "
			 "YAML (out of memory, or a string that is not UTF-8)");
	cr_expect_neq(access("/tmp/never-written.yaml", F_OK), 0);
	config_free(c);
}
