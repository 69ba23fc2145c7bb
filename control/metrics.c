/* The Prometheus text exposition of control's status. Table-driven: each
 * series names the status path it reads, so a counter the dataplane adds
 * needs one line here. Names follow Prometheus conventions: `_total` for
 * counters, the unit in the name, labels for what an operator filters by. */
#include "metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

#define METRICS_PICKS_MAX 12

/* One family whose samples are picked from fixed status paths: without a
 * label a single sample, with one, a sample per item. */
struct metric_pick {
	const char *name, *type, *help, *label;
	struct {
		const char *value, *path;
	} items[METRICS_PICKS_MAX];
};

/* One family whose samples are an object's members: the key is the label. */
struct metric_object {
	const char *name, *help, *path, *label;
};

static const struct metric_pick dp_picks[] = {
	{ "umedge_mbufs_in_use", "gauge", "Packet buffers in use.", NULL,
	  { { NULL, "mbufs.in_use" } } },
	{ "umedge_mbufs", "gauge", "Packet buffers in the pool.", NULL,
	  { { NULL, "mbufs.total" } } },
	{ "umedge_dataplane_snapshot_version", "gauge",
	  "Version of the configuration snapshot the dataplane runs.", NULL,
	  { { NULL, "snapshot_version" } } },
	{ "umedge_stack_replies_total", "counter",
	  "Replies the stack sent itself (ARP, ICMP echo, diagnostic UDP echo).", "kind",
	  { { "arp", "counters.arp_replies" }, { "icmp_echo", "counters.icmp_echo" },
	    { "udp_echo", "counters.udp_echo" } } },
	{ "umedge_ip_fragments_total", "counter",
	  "IPv4 datagrams reassembled from fragments, or sent fragmented.", "op",
	  { { "reassembled", "counters.reassembled" }, { "fragmented", "counters.fragmented" } } },
	/* TCP */
	{ "umedge_tcp_segments_total", "counter", "TCP segments, by direction.", "direction",
	  { { "in", "tcp.segs_in" }, { "out", "tcp.segs_out" } } },
	{ "umedge_tcp_bytes_total", "counter", "TCP payload bytes, by direction.", "direction",
	  { { "in", "tcp.bytes_in" }, { "out", "tcp.bytes_out" } } },
	{ "umedge_tcp_retransmits_total", "counter", "TCP segments retransmitted.", NULL,
	  { { NULL, "tcp.retransmits" } } },
	{ "umedge_tcp_rto_expiries_total", "counter", "TCP retransmission timeouts.", NULL,
	  { { NULL, "tcp.rto_events" } } },
	{ "umedge_tcp_fast_retransmits_total", "counter", "TCP fast retransmits.", NULL,
	  { { NULL, "tcp.fast_retransmits" } } },
	{ "umedge_tcp_rst_sent_total", "counter", "TCP resets sent.", NULL,
	  { { NULL, "tcp.rst_sent" } } },
	{ "umedge_tcp_syn_cookies_total", "counter", "SYN cookies sent, and validated.", "op",
	  { { "sent", "tcp.syn_cookies_sent" }, { "validated", "tcp.syn_cookies_ok" } } },
	{ "umedge_tcp_connections_opened_total", "counter", "TCP connections opened.", "open",
	  { { "active", "tcp.conns_active_open" }, { "passive", "tcp.conns_passive_open" } } },
	{ "umedge_tcp_connections_ended_total", "counter", "TCP connections ended, by how.", "how",
	  { { "closed", "tcp.conns_closed" }, { "reset", "tcp.conns_reset" },
	    { "timeout", "tcp.conns_timeout" }, { "aborted", "tcp.conns_aborted" } } },
	{ "umedge_tcp_connections", "gauge", "TCP connections now.", NULL,
	  { { NULL, "tcp.conns" } } },
	{ "umedge_tcp_connections_by_state", "gauge", "TCP connections now, by state.", "state",
	  { { "established", "tcp.established" },
	    { "half_open", "tcp.half_open" }, { "time_wait", "tcp.time_wait" },
	    { "closing", "tcp.closing" } } },
	/* TLS */
	{ "umedge_tls_handshakes_total", "counter", "TLS handshakes completed, by our role.",
	  "role",
	  { { "server", "tls.handshakes_server" }, { "client", "tls.handshakes_client" } } },
	{ "umedge_tls_handshakes_by_version_total", "counter",
	  "TLS handshakes completed, by protocol version.", "version",
	  { { "1.3", "tls.tls13" }, { "1.2", "tls.tls12" } } },
	{ "umedge_tls_resumptions_total", "counter", "TLS sessions resumed.", NULL,
	  { { NULL, "tls.resumptions" } } },
	{ "umedge_tls_connections", "gauge", "TLS connections now.", NULL,
	  { { NULL, "tls.connections" } } },
	{ "umedge_tls_bytes_total", "counter", "TLS application bytes, by direction.",
	  "direction", { { "in", "tls.bytes_in" }, { "out", "tls.bytes_out" } } },
	{ "umedge_tls_context_errors_total", "counter",
	  "TLS contexts that could not be built from a snapshot.", NULL,
	  { { NULL, "tls.context_errors" } } },
	/* SIP */
	{ "umedge_sip_calls_in_progress", "gauge", "Calls in progress.", NULL,
	  { { NULL, "sip.calls.in_progress" } } },
	{ "umedge_sip_calls_started_total", "counter", "Calls started (INVITE accepted).", NULL,
	  { { NULL, "sip.calls.started" } } },
	{ "umedge_sip_calls_ended_total", "counter", "Calls ended after their answer.", NULL,
	  { { NULL, "sip.calls.ended" } } },
	{ "umedge_sip_calls_failed_total", "counter", "Calls that failed before their answer.",
	  NULL, { { NULL, "sip.calls.failed" } } },
	{ "umedge_sip_calls_ended_by_engine_total", "counter",
	  "Calls the engine ended itself, by reason.", "reason",
	  { { "media_timeout", "sip.proxy.calls_media_timeout" },
	    { "operator", "sip.proxy.calls_dropped" }, { "expired", "sip.proxy.calls_expired" },
	    { "table_full", "sip.proxy.calls_table_full" } } },
	{ "umedge_sip_refusals_total", "counter",
	  "SIP requests the engine refused or dropped, by reason.", "reason",
	  { { "policy", "sip.proxy.refused_policy" }, { "sdp", "sip.proxy.refused_sdp" },
	    { "malformed_sdp", "sip.proxy.malformed_sdp" },
	    { "media_unavailable", "sip.proxy.media_unavailable" },
	    { "loop", "sip.proxy.loops" }, { "too_many_hops", "sip.proxy.too_many_hops" },
	    { "bad_extension", "sip.proxy.bad_extension" },
	    { "malformed", "sip.proxy.malformed" }, { "forged_route", "sip.proxy.forged_routes" },
	    { "dropped", "sip.proxy.dropped" } } },
	{ "umedge_sip_options_answered_total", "counter",
	  "OPTIONS the engine answered itself (keep-alives, probes).", NULL,
	  { { NULL, "sip.proxy.options_answered" } } },
	{ "umedge_sip_stream_connections_total", "counter",
	  "SIP TCP and TLS connections, by what happened.", "event",
	  { { "accepted", "sip.streams.accepted" }, { "refused", "sip.streams.refused" },
	    { "connected", "sip.streams.connected" },
	    { "connect_failed", "sip.streams.connect_failed" },
	    { "closed", "sip.streams.closed" } } },
	{ "umedge_sip_stream_errors_total", "counter",
	  "SIP stream framing errors, by kind.", "kind",
	  { { "bad_frame", "sip.streams.bad_frames" }, { "truncated", "sip.streams.truncated" },
	    { "overflow", "sip.streams.overflows" } } },
	{ "umedge_sip_events_lost_total", "counter",
	  "Call events over the per-worker budget, not reported.", NULL,
	  { { NULL, "sip.events_lost" } } },
	{ "umedge_sip_events_suppressed_total", "counter",
	  "Refusal events held back by the one-a-second limit.", NULL,
	  { { NULL, "sip.proxy.events_suppressed" } } },
	/* rtpengine's ng protocol (docs/ng.md), when configured */
	{ "umedge_ng_calls", "gauge", "Calls made over ng, now.", NULL,
	  { { NULL, "sip.ng.calls" } } },
	{ "umedge_ng_datagrams_total", "counter", "ng datagrams received.", NULL,
	  { { NULL, "sip.ng.received" } } },
	{ "umedge_ng_retransmits_total", "counter",
	  "ng commands answered again from the cookie cache.", NULL,
	  { { NULL, "sip.ng.retransmits" } } },
	{ "umedge_ng_errors_total", "counter", "ng datagrams refused or answered with an error, "
	  "by kind.", "kind",
	  { { "error_reply", "sip.ng.errors" }, { "malformed", "sip.ng.malformed" },
	    { "no_cookie", "sip.ng.dropped" }, { "too_big", "sip.ng.too_big" },
	    { "send_failed", "sip.ng.send_errors" } } },
	{ "umedge_ng_calls_ended_total", "counter", "Calls made over ng that ended, by how.",
	  "how", { { "deleted", "sip.ng.deleted" }, { "media_idle", "sip.ng.expired" } } },
	/* media */
	{ "umedge_media_sessions", "gauge", "Media sessions now.", NULL,
	  { { NULL, "media.sessions" } } },
	{ "umedge_media_sessions_added_total", "counter", "Media sessions added.", NULL,
	  { { NULL, "media.sessions_added" } } },
	{ "umedge_media_sessions_removed_total", "counter", "Media sessions removed.", NULL,
	  { { NULL, "media.sessions_removed" } } },
	{ "umedge_media_packets_total", "counter", "Media packets relayed, by direction.",
	  "direction", { { "in", "media.rx_packets" }, { "out", "media.tx_packets" } } },
	{ "umedge_media_srtp_auth_failures_total", "counter",
	  "SRTP packets that failed authentication (dropped).", NULL,
	  { { NULL, "media.decrypt_failures" } } },
	{ "umedge_media_srtp_replays_total", "counter", "SRTP replays dropped.", NULL,
	  { { NULL, "media.replay_drops" } } },
	{ "umedge_media_drops_total", "counter",
	  "Media packets dropped, by reason (including auth failures and replays).", "reason",
	  { { "auth_failure", "media.decrypt_failures" }, { "replay", "media.replay_drops" },
	    { "no_session", "media.no_session" }, { "foreign_source", "media.foreign_source" },
	    { "bad_packet", "media.bad_packet" }, { "srtp_error", "media.srtp_error" } } },
	{ "umedge_media_idle_events_total", "counter", "MediaSessionIdle events raised.", NULL,
	  { { NULL, "media.idle_events" } } },
	{ "umedge_media_srtp_bursts_total", "counter",
	  "Calls into the burst SRTP engine (intel-ipsec-mb).", NULL,
	  { { NULL, "media.srtp_engine.bursts" } } },
	{ "umedge_media_srtp_burst_packets_total", "counter",
	  "SRTP packets the burst engine took (over bursts: the mean burst).", NULL,
	  { { NULL, "media.srtp_engine.burst_packets" } } },
};

static const struct metric_object dp_objects[] = {
	{ "umedge_tcp_drops_total", "TCP segments dropped, by reason.", "tcp.drops", "reason" },
	{ "umedge_tls_failures_total", "TLS handshakes that failed, by reason.", "tls.failures",
	  "reason" },
	{ "umedge_sip_requests_received_total", "SIP requests received, by method.",
	  "sip.in.requests", "method" },
	{ "umedge_sip_requests_sent_total", "SIP requests sent, by method.", "sip.out.requests",
	  "method" },
	{ "umedge_sip_responses_received_total", "SIP responses received, by class.",
	  "sip.in.responses", "class" },
	{ "umedge_sip_responses_sent_total", "SIP responses sent, by class.",
	  "sip.out.responses", "class" },
	{ "umedge_sip_message_errors_total", "SIP messages refused by the parser, by error.",
	  "sip.errors", "error" },
	{ "umedge_sip_calls_failed_by_status_total",
	  "Calls that failed before their answer, by final status.", "sip.calls.failed_by_code",
	  "status" },
	{ "umedge_ng_commands_total", "ng commands received, by command.", "sip.ng.commands",
	  "command" },
};

/* Member at a dotted path ("sip.calls.started"), or NULL. */
static const json_t *at(const json_t *o, const char *path)
{
	char key[64];

	while (o != NULL && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		path += n + (dot ? 1 : 0);
	}
	return o;
}

/* A label value with \, " and newline escaped, as the format requires. */
static void label_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void number(FILE *f, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(f, " %lld\n", (long long)json_integer_value(v));
	else
		fprintf(f, " %.17g\n", json_number_value(v));
}

static void render_pick(FILE *f, const json_t *dp, const struct metric_pick *m)
{
	bool headed = false;

	for (int i = 0; i < METRICS_PICKS_MAX && m->items[i].path; i++) {
		const json_t *v = at(dp, m->items[i].path);
		if (!json_is_number(v))
			continue; /* an older dataplane, or a layer that is off */
		if (!headed)
			head(f, m->name, m->type, m->help);
		headed = true;
		fputs(m->name, f);
		if (m->label) {
			fprintf(f, "{%s=", m->label);
			label_value(f, m->items[i].value);
			fputc('}', f);
		}
		number(f, v);
	}
}

static void render_object(FILE *f, const json_t *dp, const struct metric_object *m)
{
	const json_t *o = at(dp, m->path), *v;
	const char *key;
	bool headed = false;

	json_object_foreach((json_t *)o, key, v) {
		if (!json_is_number(v))
			continue;
		if (!headed)
			head(f, m->name, "counter", m->help);
		headed = true;
		fprintf(f, "%s{%s=", m->name, m->label);
		label_value(f, key);
		fputc('}', f);
		number(f, v);
	}
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static void render_ports(FILE *f, const json_t *dp)
{
	static const struct {
		const char *name, *type, *help, *key;
	} cols[] = {
		{ "umedge_port_up", "gauge", "Link state of a DPDK port (1 up).", "link" },
		{ "umedge_port_received_packets_total", "counter",
		  "Packets the port received (ethdev).", "rx_packets" },
		{ "umedge_port_sent_packets_total", "counter", "Packets the port sent (ethdev).",
		  "tx_packets" },
		{ "umedge_port_dropped_packets_total", "counter",
		  "Packets the port dropped before the stack (missed, no mbuf, errors).",
		  "rx_dropped" },
	};
	const json_t *ports = json_object_get(dp, "ports");

	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		bool headed = false;
		size_t i;
		const json_t *p;
		json_array_foreach(ports, i, p) {
			const json_t *v = json_object_get(p, cols[c].key);
			if (!json_is_string(json_object_get(p, "name")) ||
			    !(json_is_integer(v) || json_is_boolean(v)))
				continue;
			if (!headed)
				head(f, cols[c].name, cols[c].type, cols[c].help);
			headed = true;
			fprintf(f, "%s{port=", cols[c].name);
			label_value(f, str_or(p, "name", "?"));
			fputs(",side=", f);
			label_value(f, str_or(p, "side", "?"));
			fprintf(f, "} %lld\n", json_is_boolean(v) ? (long long)json_is_true(v)
								   : (long long)json_integer_value(v));
		}
	}
}

/* One sample per usable entry of a per-worker array (an object with an
 * integer id under idkey): the value under key, over tsc_hz when per_hz. */
static void per_worker(FILE *f, const json_t *arr, const char *idkey, const char *name,
		       const char *type, const char *help, const char *key, bool per_hz)
{
	const json_t *w;
	bool headed = false;
	size_t i;

	json_array_foreach(arr, i, w) {
		const json_t *id = json_object_get(w, idkey), *v = json_object_get(w, key);
		if (!json_is_integer(id) || !json_is_integer(v))
			continue;
		if (!headed)
			head(f, name, type, help);
		headed = true;
		fprintf(f, "%s{%s=\"%lld\"}", name, idkey, json_integer_value(id));
		if (per_hz) {
			double hz = (double)json_integer_value(json_object_get(w, "tsc_hz"));
			fprintf(f, " %.6f\n", hz > 0 ? (double)json_integer_value(v) / hz : 0.0);
		} else {
			fprintf(f, " %lld\n", json_integer_value(v));
		}
	}
}

static void render_workers(FILE *f, const json_t *dp)
{
	const json_t *workers = json_object_get(dp, "workers"), *w, *v;
	const char *key;
	bool headed = false;
	size_t i;

	per_worker(f, workers, "lcore", "umedge_worker_received_packets_total", "counter",
		   "Packets a worker's stack took in.", "rx_packets", false);
	per_worker(f, workers, "lcore", "umedge_worker_sent_packets_total", "counter",
		   "Packets a worker's stack sent.", "tx_packets", false);
	per_worker(f, workers, "lcore", "umedge_worker_busy_seconds_total", "counter",
		   "Time a worker spent on polls that found work.", "busy_cycles", true);
	json_array_foreach(workers, i, w) {
		const json_t *id = json_object_get(w, "lcore");
		if (!json_is_integer(id))
			continue;
		json_object_foreach(json_object_get(w, "drops"), key, v) {
			if (!json_is_integer(v))
				continue;
			if (!headed)
				head(f, "umedge_worker_drops_total", "counter",
				     "Packets a worker's stack dropped, by reason.");
			headed = true;
			fprintf(f, "umedge_worker_drops_total{lcore=\"%lld\",reason=",
				json_integer_value(id));
			label_value(f, key);
			fprintf(f, "} %lld\n", json_integer_value(v));
		}
	}
	workers = at(dp, "sip.workers");
	per_worker(f, workers, "worker", "umedge_sip_worker_calls", "gauge",
		   "Calls a worker owns now.", "calls", false);
	per_worker(f, workers, "worker", "umedge_sip_worker_transactions", "gauge",
		   "SIP transactions a worker holds now.", "transactions", false);
}

/* "2027-12-06T18:30:28Z" -> seconds since the epoch, or -1. */
static long long iso_utc(const char *s)
{
	struct tm tm;
	const char *end;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	return (long long)timegm(&tm);
}

static void render_certificate(FILE *f, const json_t *cert, time_t now)
{
	long long not_after = iso_utc(json_string_value(json_object_get(cert, "not_after")));
	const char *labels[][2] = {
		{ "thumbprint_sha1", str_or(cert, "thumbprint_sha1", "") },
		{ "kind", str_or(cert, "kind", "") },
		{ "subject", str_or(cert, "subject", "") },
	};

	if (not_after < 0)
		return;
	head(f, "umedge_certificate_days_left", "gauge",
	     "Days until the certificate in use expires (negative once expired).");
	fputs("umedge_certificate_days_left{", f);
	for (size_t i = 0; i < 3; i++) {
		fprintf(f, "%s%s=", i ? "," : "", labels[i][0]);
		label_value(f, labels[i][1]);
	}
	fprintf(f, "} %.3f\n", (double)(not_after - (long long)now) / 86400.0);
	head(f, "umedge_certificate_not_after_seconds", "gauge",
	     "Expiry of the certificate in use, seconds since the epoch.");
	fputs("umedge_certificate_not_after_seconds{", f);
	for (size_t i = 0; i < 3; i++) {
		fprintf(f, "%s%s=", i ? "," : "", labels[i][0]);
		label_value(f, labels[i][1]);
	}
	fprintf(f, "} %lld\n", not_after);
}

static void render_control(FILE *f, const json_t *status,
			   const uint64_t event_counts[UMEDGE_EV_COUNT], time_t now)
{
	const json_t *dp = json_object_get(status, "dataplane"), *l, *d;
	size_t i;

	head(f, "umedge_dataplane_connected", "gauge",
	     "1 while the dataplane is connected to control.");
	fprintf(f, "umedge_dataplane_connected %d\n",
		json_is_true(json_object_get(dp, "connected")) ? 1 : 0);
	head(f, "umedge_config_snapshot_version", "gauge",
	     "Version of the latest snapshot control built.");
	fprintf(f, "umedge_config_snapshot_version %lld\n",
		json_integer_value(json_object_get(status, "snapshot_version")));
	head(f, "umedge_listener", "gauge",
	     "SIP listeners the associated dial plans' modes open (1 each).");
	json_array_foreach(json_object_get(status, "listeners"), i, l) {
		fputs("umedge_listener{transport=", f);
		label_value(f, str_or(l, "transport", "?"));
		fprintf(f, ",port=\"%lld\"} 1\n", json_integer_value(json_object_get(l, "port")));
	}
	head(f, "umedge_dial_plan_info", "gauge",
	     "Dial plans with their VoIP security mode and association (always 1).");
	json_array_foreach(json_object_get(status, "dial_plans"), i, d) {
		fputs("umedge_dial_plan_info{dial_plan=", f);
		label_value(f, str_or(d, "name", "?"));
		fputs(",voip_security=", f);
		label_value(f, str_or(d, "voip_security", "?"));
		fprintf(f, ",associated=\"%s\"} 1\n",
			json_is_true(json_object_get(d, "associated")) ? "true" : "false");
	}
	render_certificate(f, json_object_get(status, "certificate"), now);
	head(f, "umedge_events_total", "counter",
	     "Events raised since umedge-control started, by id.");
	for (int e = 0; e < UMEDGE_EV_COUNT; e++)
		fprintf(f, "umedge_events_total{event=\"%s\",severity=\"%s\"} %llu\n",
			events_name((enum umedge_event_id)e),
			events_severity((enum umedge_event_id)e),
			(unsigned long long)event_counts[e]);
}

char *metrics_render(const json_t *status, const uint64_t event_counts[UMEDGE_EV_COUNT],
		     time_t now, size_t *len)
{
	const json_t *dp = json_object_get(status, "dataplane");
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (f == NULL)
		return NULL;
	render_control(f, status, event_counts, now);
	if (json_is_true(json_object_get(dp, "connected"))) {
		render_ports(f, dp);
		render_workers(f, dp);
		for (size_t i = 0; i < sizeof(dp_picks) / sizeof(dp_picks[0]); i++)
			render_pick(f, dp, &dp_picks[i]);
		for (size_t i = 0; i < sizeof(dp_objects) / sizeof(dp_objects[0]); i++)
			render_object(f, dp, &dp_objects[i]);
	}
	if (ferror(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	*len = n;
	return text;
}
