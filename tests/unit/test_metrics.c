/* The Prometheus exposition of control's status (control/metrics.c): the
 * series an operator relies on, label escaping, what is left out while no
 * dataplane is connected, and the format's rules checked on every output
 * (HELP and TYPE before samples, each family once, counters named _total,
 * no family whose name clashes with another's once _total is stripped, no
 * duplicate series). The integration test `operator` scrapes the live
 * endpoint with python3-prometheus-client's parser. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

#define STATUS_CONNECTED                                                                   \
	"{\"snapshot_version\": 4,"                                                        \
	" \"listeners\": [{\"transport\": \"tls\", \"port\": 5061, \"dial_plans\": [\"c\"]}]," \
	" \"dial_plans\": [{\"name\": \"c\", \"voip_security\": \"secured\", \"associated\": true}]," \
	" \"certificate\": {\"thumbprint_sha1\": \"ab12\", \"kind\": \"ca-issued\","         \
	"   \"subject\": \"CN=um1.example.test\", \"not_after\": \"2027-01-01T00:00:00Z\"},"    \
	" \"dataplane\": {\"connected\": true, \"snapshot_version\": 4,"                     \
	"   \"ports\": [{\"id\": 0, \"name\": \"net_tap0\", \"side\": \"external\", \"link\": true," \
	"               \"rx_packets\": 100, \"tx_packets\": 90, \"rx_dropped\": 2}],"        \
	"   \"workers\": [{\"lcore\": 1, \"rx_packets\": 60, \"tx_packets\": 50,"              \
	"                  \"busy_cycles\": 5000000000, \"tsc_hz\": 2500000000,"              \
	"                  \"drops\": {\"bad_checksum\": 3, \"ttl_expired\": 0}},"             \
	"                 {\"lcore\": 2, \"rx_packets\": 40, \"tx_packets\": 40,"              \
	"                  \"busy_cycles\": 0, \"tsc_hz\": 2500000000,"                       \
	"                  \"drops\": {\"bad_checksum\": 1, \"ttl_expired\": 5}}],"            \
	"   \"mbufs\": {\"in_use\": 1024, \"total\": 8191},"                                 \
	"   \"tcp\": {\"segs_in\": 11, \"segs_out\": 12, \"conns\": 2, \"established\": 1,"     \
	"            \"drops\": {\"bad_checksum\": 4}},"                                       \
	"   \"tls\": {\"handshakes_server\": 5, \"handshakes_client\": 1, \"tls13\": 6,"       \
	"            \"failures\": {\"untrusted\": 2, \"fqdn_mismatch\": 1}},"                 \
	"   \"sip\": {\"in\": {\"requests\": {\"INVITE\": 12, \"BYE\": 7},"                     \
	"                    \"responses\": {\"2xx\": 19, \"4xx\": 1}},"                       \
	"            \"out\": {\"requests\": {\"INVITE\": 12}, \"responses\": {\"2xx\": 19}},"  \
	"            \"errors\": {\"bad_start_line\": 1},"                                     \
	"            \"proxy\": {\"refused_policy\": 3, \"refused_sdp\": 1, \"calls_dropped\": 1}," \
	"            \"calls\": {\"in_progress\": 5, \"started\": 7, \"ended\": 2, \"failed\": 1," \
	"                       \"failed_by_code\": {\"486\": 1}},"                             \
	"            \"ng\": {\"calls\": 3, \"received\": 40, \"errors\": 2, \"malformed\": 1,"   \
	"                    \"deleted\": 6, \"expired\": 1,"                                   \
	"                    \"commands\": {\"offer\": 10, \"answer\": 9, \"ping\": 1}},"      \
	"            \"workers\": [{\"worker\": 0, \"calls\": 5, \"transactions\": 9}]},"        \
	"   \"media\": {\"sessions\": 5, \"rx_packets\": 1000, \"tx_packets\": 990,"            \
	"              \"decrypt_failures\": 4, \"replay_drops\": 2}}}"

/* 2026-12-02T00:00:00Z: 30 days before the certificate's not_after. */
#define NOW ((time_t)1796169600)

static uint64_t counts[UMEDGE_EV_COUNT];

static char *render(const char *status_text, time_t now)
{
	json_error_t e;
	json_t *status = json_loads(status_text, 0, &e);
	size_t len = 0;
	char *text;

	cr_assert_not_null(status, "status JSON: %s", e.text);
	text = metrics_render(status, counts, now, &len);
	json_decref(status);
	cr_assert_not_null(text);
	cr_assert_eq(strlen(text), len);
	return text;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define expect_line(text, line) cr_expect(has_line(text, line), "missing: %s", line)

static void base_name(const char *name, char *out, size_t size)
{
	size_t n = strlen(name);

	if (n > 6 && strcmp(name + n - 6, "_total") == 0)
		n -= 6;
	snprintf(out, size, "%.*s", (int)n, name);
}

/* The exposition format's rules, on every line. */
static void check_format(const char *text)
{
	char families[256][96], typed[96] = "", help[96] = "", type[16] = "";
	char *series[2048];
	size_t n_fam = 0, n_series = 0;
	char *copy = strdup(text), *save = NULL;

	cr_assert_not_null(copy);
	cr_assert(strlen(text) > 0 && text[strlen(text) - 1] == '\n', "ends with a newline");
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[96], base[96];
		if (sscanf(l, "# HELP %95s", help) == 1)
			continue;
		if (sscanf(l, "# TYPE %95s %15s", typed, type) == 2) {
			cr_assert_str_eq(typed, help, "TYPE %s follows its HELP", typed);
			base_name(typed, base, sizeof(base));
			for (size_t i = 0; i < n_fam; i++)
				cr_assert_str_neq(families[i], base, "family %s declared twice", base);
			cr_assert_lt(n_fam, 256);
			snprintf(families[n_fam++], sizeof(families[0]), "%s", base);
			if (strcmp(type, "counter") == 0)
				cr_expect(strstr(typed, "_total") != NULL, "counter %s ends _total", typed);
			else
				cr_expect_str_eq(type, "gauge", "%s: type %s", typed, type);
			continue;
		}
		cr_assert_neq(l[0], '#', "stray comment: %s", l);
		cr_assert_eq(sscanf(l, "%95[a-zA-Z0-9_:]", name), 1, "sample line: %s", l);
		cr_assert_str_eq(name, typed, "sample %s under TYPE %s", l, typed);
		/* the value: a number after the last space */
		const char *sp = strrchr(l, ' ');
		char *end;
		cr_assert_not_null(sp, "%s", l);
		strtod(sp + 1, &end);
		cr_assert(end != sp + 1 && *end == '\0', "value of %s", l);
		for (size_t i = 0; i < n_series; i++)
			cr_assert(strncmp(series[i], l, (size_t)(sp - l)) != 0 ||
					  series[i][sp - l] != ' ',
				  "series twice: %s", l);
		cr_assert_lt(n_series, 2048);
		series[n_series++] = l;
	}
	free(copy);
}

Test(metrics, series_from_status)
{
	char *t;

	memset(counts, 0, sizeof(counts));
	counts[UMEDGE_EV_CertificateExpiringSoon] = 2;
	counts[UMEDGE_EV_TlsPeerRejected] = 3;
	t = render(STATUS_CONNECTED, NOW);
	check_format(t);
	expect_line(t, "umedge_dataplane_connected 1");
	expect_line(t, "umedge_config_snapshot_version 4");
	expect_line(t, "umedge_listener{transport=\"tls\",port=\"5061\"} 1");
	expect_line(t, "umedge_dial_plan_info{dial_plan=\"c\",voip_security=\"secured\","
		       "associated=\"true\"} 1");
	expect_line(t, "umedge_certificate_days_left{thumbprint_sha1=\"ab12\",kind=\"ca-issued\","
		       "subject=\"CN=um1.example.test\"} 30.000");
	expect_line(t, "umedge_certificate_not_after_seconds{thumbprint_sha1=\"ab12\","
		       "kind=\"ca-issued\",subject=\"CN=um1.example.test\"} 1798761600");
	expect_line(t, "umedge_events_total{event=\"CertificateExpiringSoon\",severity=\"warning\"} 2");
	expect_line(t, "umedge_events_total{event=\"TlsPeerRejected\",severity=\"warning\"} 3");
	expect_line(t, "umedge_events_total{event=\"CallStarted\",severity=\"info\"} 0");
	expect_line(t, "umedge_port_up{port=\"net_tap0\",side=\"external\"} 1");
	expect_line(t, "umedge_port_received_packets_total{port=\"net_tap0\",side=\"external\"} 100");
	expect_line(t, "umedge_port_dropped_packets_total{port=\"net_tap0\",side=\"external\"} 2");
	expect_line(t, "umedge_worker_received_packets_total{lcore=\"2\"} 40");
	expect_line(t, "umedge_worker_busy_seconds_total{lcore=\"1\"} 2.000000");
	expect_line(t, "umedge_worker_drops_total{lcore=\"1\",reason=\"bad_checksum\"} 3");
	expect_line(t, "umedge_worker_drops_total{lcore=\"2\",reason=\"ttl_expired\"} 5");
	expect_line(t, "umedge_mbufs_in_use 1024");
	expect_line(t, "umedge_tcp_segments_total{direction=\"in\"} 11");
	expect_line(t, "umedge_tcp_connections 2");
	expect_line(t, "umedge_tcp_connections_by_state{state=\"established\"} 1");
	expect_line(t, "umedge_tcp_drops_total{reason=\"bad_checksum\"} 4");
	expect_line(t, "umedge_tls_handshakes_total{role=\"server\"} 5");
	expect_line(t, "umedge_tls_handshakes_by_version_total{version=\"1.3\"} 6");
	expect_line(t, "umedge_tls_failures_total{reason=\"untrusted\"} 2");
	expect_line(t, "umedge_tls_failures_total{reason=\"fqdn_mismatch\"} 1");
	expect_line(t, "umedge_sip_requests_received_total{method=\"INVITE\"} 12");
	expect_line(t, "umedge_sip_requests_received_total{method=\"BYE\"} 7");
	expect_line(t, "umedge_sip_responses_received_total{class=\"2xx\"} 19");
	expect_line(t, "umedge_sip_requests_sent_total{method=\"INVITE\"} 12");
	expect_line(t, "umedge_sip_message_errors_total{error=\"bad_start_line\"} 1");
	expect_line(t, "umedge_sip_refusals_total{reason=\"policy\"} 3");
	expect_line(t, "umedge_sip_refusals_total{reason=\"sdp\"} 1");
	expect_line(t, "umedge_sip_calls_in_progress 5");
	expect_line(t, "umedge_sip_calls_started_total 7");
	expect_line(t, "umedge_sip_calls_failed_by_status_total{status=\"486\"} 1");
	expect_line(t, "umedge_sip_calls_ended_by_engine_total{reason=\"operator\"} 1");
	expect_line(t, "umedge_sip_worker_calls{worker=\"0\"} 5");
	expect_line(t, "umedge_ng_calls 3");
	expect_line(t, "umedge_ng_datagrams_total 40");
	expect_line(t, "umedge_ng_commands_total{command=\"offer\"} 10");
	expect_line(t, "umedge_ng_errors_total{kind=\"malformed\"} 1");
	expect_line(t, "umedge_ng_calls_ended_total{how=\"media_idle\"} 1");
	expect_line(t, "umedge_media_sessions 5");
	expect_line(t, "umedge_media_packets_total{direction=\"in\"} 1000");
	expect_line(t, "umedge_media_srtp_auth_failures_total 4");
	expect_line(t, "umedge_media_srtp_replays_total 2");
	expect_line(t, "umedge_media_drops_total{reason=\"replay\"} 2");
	/* a counter the dataplane did not send is left out, not made up */
	cr_expect_null(strstr(t, "umedge_tcp_rst_sent_total"));
	cr_expect_null(strstr(t, "umedge_media_idle_events_total"));
	cr_expect_null(strstr(t, "umedge_ng_retransmits_total"));
	free(t);
}

Test(metrics, dataplane_series_left_out_while_disconnected)
{
	const char *status = "{\"snapshot_version\": 2, \"listeners\": [], \"dial_plans\": [],"
			     " \"certificate\": null,"
			     " \"dataplane\": {\"connected\": false, \"ports\": [{\"name\": \"p\","
			     " \"side\": \"external\", \"link\": true, \"rx_packets\": 5}],"
			     " \"media\": {\"sessions\": 3}}}";
	char *t;

	memset(counts, 0, sizeof(counts));
	t = render(status, NOW);
	check_format(t);
	expect_line(t, "umedge_dataplane_connected 0");
	cr_expect_null(strstr(t, "umedge_port_"), "no stale port series");
	cr_expect_null(strstr(t, "umedge_media_"), "no stale media series");
	cr_expect_null(strstr(t, "umedge_certificate_"), "no certificate, no series");
	free(t);
}

Test(metrics, label_values_escaped_and_expired_certificate_negative)
{
	const char *status = "{\"certificate\": {\"thumbprint_sha1\": \"ff\", \"kind\": \"self-signed\","
			     " \"subject\": \"CN=a\\\"b\\\\c\\nd\", \"not_after\": \"2026-11-30T00:00:00Z\"},"
			     " \"dial_plans\": [{\"name\": \"x\\\"y\", \"voip_security\": \"secured\"}]}";
	char *t;

	memset(counts, 0, sizeof(counts));
	t = render(status, NOW);
	check_format(t);
	expect_line(t, "umedge_certificate_days_left{thumbprint_sha1=\"ff\",kind=\"self-signed\","
		       "subject=\"CN=a\\\"b\\\\c\\nd\"} -2.000");
	expect_line(t, "umedge_dial_plan_info{dial_plan=\"x\\\"y\",voip_security=\"secured\","
		       "associated=\"false\"} 1");
	expect_line(t, "umedge_dataplane_connected 0");
	free(t);
}

Test(metrics, hostile_status_shapes)
{
	/* wrong types everywhere: nothing is rendered from them, nothing crashes */
	static const char *const cases[] = {
		"{}",
		"{\"dataplane\": 5, \"listeners\": {}, \"dial_plans\": \"x\", \"certificate\": []}",
		"{\"certificate\": {\"not_after\": \"yesterday\"}}",
		"{\"certificate\": {\"not_after\": \"2027-01-01T00:00:00Zjunk\"}}",
		("{\"dataplane\": {\"connected\": true, \"ports\": 3, \"workers\": [1, \"a\", {}],"
		 " \"tcp\": [], \"sip\": {\"in\": {\"requests\": {\"INVITE\": \"many\"}}},"
		 " \"media\": {\"sessions\": null}}}"),
		("{\"dataplane\": {\"connected\": true, \"workers\": [{\"lcore\": 1,"
		 " \"drops\": {\"a\\\"b\": 1}, \"tsc_hz\": 0}]}}"),
	};

	memset(counts, 0, sizeof(counts));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = render(cases[i], NOW);
		check_format(t);
		cr_expect_null(strstr(t, "umedge_certificate_"), "case %zu: no certificate", i);
		cr_expect_null(strstr(t, "umedge_sip_requests_received_total"), "case %zu", i);
		free(t);
	}
}
