#include "ctl_format.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

/* Scalars as text; arrays of strings joined by commas. */
static void value_text(const json_t *v, char *buf, size_t len)
{
	size_t i, off = 0;
	json_t *e;

	buf[0] = '\0';
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	} else if (json_is_null(v) || !v) {
		snprintf(buf, len, "-");
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			char one[256];
			value_text(e, one, sizeof(one));
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
						i ? "," : "", one);
		}
		if (json_array_size(v) == 0)
			snprintf(buf, len, "-");
	} else {
		char *s = json_dumps(v, JSON_COMPACT);
		snprintf(buf, len, "%s", s ? s : "?");
		free(s);
	}
}

/* A table with the given columns over an array of objects. */
static void table(FILE *f, const json_t *arr, const char *const *cols, const char *const *heads,
		  int ncols)
{
	size_t widths[16] = { 0 };
	size_t i;
	json_t *row;
	char buf[1024];

	for (int c = 0; c < ncols; c++)
		widths[c] = strlen(heads[c]);
	json_array_foreach(arr, i, row) {
		for (int c = 0; c < ncols; c++) {
			value_text(json_object_get(row, cols[c]), buf, sizeof(buf));
			if (strlen(buf) > widths[c])
				widths[c] = strlen(buf);
		}
	}
	/* The last column is not padded: no trailing blanks. */
	for (int c = 0; c < ncols; c++)
		fprintf(f, "%-*s%s", c + 1 < ncols ? (int)widths[c] : 0, heads[c],
			c + 1 < ncols ? "  " : "\n");
	json_array_foreach(arr, i, row) {
		for (int c = 0; c < ncols; c++) {
			value_text(json_object_get(row, cols[c]), buf, sizeof(buf));
			fprintf(f, "%-*s%s", c + 1 < ncols ? (int)widths[c] : 0, buf,
				c + 1 < ncols ? "  " : "\n");
		}
	}
	if (json_array_size(arr) == 0)
		fprintf(f, "(none)\n");
}

/* "key: value" lines for an object, in its order. */
static void block(FILE *f, const json_t *obj, const char *indent)
{
	const char *k;
	json_t *v;
	char buf[2048];

	json_object_foreach((json_t *)obj, k, v) {
		if (json_is_object(v)) {
			fprintf(f, "%s%s:\n", indent, k);
			block(f, v, "  ");
			continue;
		}
		value_text(v, buf, sizeof(buf));
		fprintf(f, "%s%-16s %s\n", indent, k, buf);
	}
}

static json_int_t jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* One line of the dataplane's TCP (summed over workers), then its drops. */
static void print_tcp(FILE *f, const json_t *t)
{
	const char *k;
	json_t *v;
	int n = 0;

	if (!json_is_object(t))
		return;
	fprintf(f, "\ntcp           %" JSON_INTEGER_FORMAT " established, %" JSON_INTEGER_FORMAT
		" half-open, %" JSON_INTEGER_FORMAT " time-wait (of %" JSON_INTEGER_FORMAT
		"); segments in %" JSON_INTEGER_FORMAT " out %" JSON_INTEGER_FORMAT
		"; retransmits %" JSON_INTEGER_FORMAT ", rto %" JSON_INTEGER_FORMAT
		", resets sent %" JSON_INTEGER_FORMAT ", syn cookies %" JSON_INTEGER_FORMAT "\n",
		jint(t, "established"), jint(t, "half_open"), jint(t, "time_wait"),
		jint(t, "max_conns"), jint(t, "segs_in"), jint(t, "segs_out"),
		jint(t, "retransmits"), jint(t, "rto_events"), jint(t, "rst_sent"),
		jint(t, "syn_cookies_sent"));
	json_object_foreach(json_object_get(t, "drops"), k, v) {
		if (json_integer_value(v) == 0)
			continue;
		fprintf(f, "%s %s=%" JSON_INTEGER_FORMAT, n++ ? "" : "tcp drops:", k,
			json_integer_value(v));
	}
	if (n)
		fprintf(f, "\n");
}

/* The dataplane's TLS: handshakes, resumptions, failures by reason, async
 * offload, connections. */
static void print_tls(FILE *f, const json_t *t)
{
	const json_t *a = json_object_get(t, "async");
	const char *k;
	json_t *v;
	int n = 0;

	if (!json_is_object(t))
		return;
	fprintf(f, "tls           %" JSON_INTEGER_FORMAT " handshakes (%" JSON_INTEGER_FORMAT
		" resumed), %" JSON_INTEGER_FORMAT " failed, %" JSON_INTEGER_FORMAT
		" connections; offload %s: handshake steps %" JSON_INTEGER_FORMAT
		", key ops %" JSON_INTEGER_FORMAT ", in flight %" JSON_INTEGER_FORMAT
		", inline %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
		" crypto lcores); certificate %s\n",
		jint(t, "handshakes"), jint(t, "resumptions"), jint(t, "failures_total"),
		jint(t, "connections"), str(t, "offload"), jint(a, "handshake_steps"),
		jint(a, "offloads"), jint(a, "in_flight"), jint(a, "inline"),
		jint(t, "crypto_lcores"), str(t, "certificate"));
	json_object_foreach(json_object_get(t, "failures"), k, v) {
		if (json_integer_value(v) == 0)
			continue;
		fprintf(f, "%s %s=%" JSON_INTEGER_FORMAT, n++ ? "" : "tls failures:", k,
			json_integer_value(v));
	}
	if (n)
		fprintf(f, "\n");
}

/* The media engine: sessions and which SRTP engine runs them. */
static void print_media(FILE *f, const json_t *m)
{
	const json_t *e = json_object_get(m, "srtp_engine");
	json_int_t bursts = json_integer_value(json_object_get(e, "bursts"));

	if (!json_is_object(m))
		return;
	fprintf(f, "\nmedia         %" JSON_INTEGER_FORMAT " sessions, SRTP on %s",
		json_integer_value(json_object_get(m, "sessions")), str(e, "name"));
	if (json_object_get(e, "arch") != NULL)
		fprintf(f, " %s (%s code path), bursts of up to %" JSON_INTEGER_FORMAT,
			str(e, "version"), str(e, "arch"),
			json_integer_value(json_object_get(e, "max_burst")));
	fprintf(f, "\n");
	if (bursts > 0)
		fprintf(f, "              %" JSON_INTEGER_FORMAT " bursts, %.1f packets each\n", bursts,
			(double)json_integer_value(json_object_get(e, "burst_packets")) /
				(double)bursts);
	else if (json_object_get(e, "detail") != NULL)
		fprintf(f, "              %s\n", str(e, "detail"));
}

static void status(FILE *f, const json_t *r)
{
	static const char *const lcols[] = { "transport", "port", "dial_plans" };
	static const char *const lheads[] = { "TRANSPORT", "PORT", "DIAL PLANS" };
	static const char *const dcols[] = { "name", "voip_security", "associated", "srtp_suites" };
	static const char *const dheads[] = { "DIAL PLAN", "VOIP SECURITY", "ASSOCIATED",
					      "SRTP SUITES" };
	const json_t *cert = json_object_get(r, "certificate");
	const json_t *dp = json_object_get(r, "dataplane");

	fprintf(f, "server        %s (start_secured %d)\n", str(r, "fqdn"),
		(int)json_integer_value(json_object_get(r, "start_secured")));
	fprintf(f, "config        %s\n", str(r, "config"));
	if (json_is_object(cert))
		fprintf(f, "certificate   %s  %s  %s, expires %s\n", str(cert, "thumbprint_sha1"),
			str(cert, "subject"), str(cert, "kind"), str(cert, "not_after"));
	else
		fprintf(f, "certificate   none\n");
	fprintf(f, "dataplane     %s\n",
		json_is_true(json_object_get(dp, "connected")) ? "connected" : "not connected");
	fprintf(f, "snapshot      v%" JSON_INTEGER_FORMAT "\n\n",
		json_integer_value(json_object_get(r, "snapshot_version")));
	table(f, json_object_get(r, "listeners"), lcols, lheads, 3);
	fprintf(f, "\n");
	table(f, json_object_get(r, "dial_plans"), dcols, dheads, 4);
	if (json_is_array(json_object_get(dp, "ports"))) {
		static const char *const pcols[] = { "id", "name", "link", "rx_packets",
						     "tx_packets", "rx_dropped" };
		static const char *const pheads[] = { "PORT", "NAME", "LINK", "RX", "TX",
						      "RX DROPPED" };
		const char *k;
		json_t *v;

		fprintf(f, "\n");
		table(f, json_object_get(dp, "ports"), pcols, pheads, 6);
		print_tcp(f, json_object_get(dp, "tcp"));
		print_tls(f, json_object_get(dp, "tls"));
		print_media(f, json_object_get(dp, "media"));
		if (json_object_size(json_object_get(dp, "drops"))) {
			fprintf(f, "\ndrops:");
			json_object_foreach(json_object_get(dp, "drops"), k, v)
				fprintf(f, " %s=%" JSON_INTEGER_FORMAT, k, json_integer_value(v));
			fprintf(f, "\n");
		}
	}
}

/* The integer members of o on one line, after a label; zeros left out
 * unless all is asked. */
static void counters_line(FILE *f, const char *label, const json_t *o, bool all)
{
	const char *k;
	json_t *v;
	int n = 0;

	fprintf(f, "%-13s", label);
	json_object_foreach((json_t *)o, k, v) {
		if (!json_is_integer(v) || (!all && json_integer_value(v) == 0))
			continue;
		fprintf(f, " %s=%" JSON_INTEGER_FORMAT, k, json_integer_value(v));
		n++;
	}
	fprintf(f, "%s\n", n ? "" : " none");
}

static void sip_status(FILE *f, const json_t *r)
{
	static const char *const lcols[] = { "transport", "port", "dial_plans" };
	static const char *const lheads[] = { "TRANSPORT", "PORT", "DIAL PLANS" };
	static const char *const wcols[] = { "worker", "calls", "transactions", "requests",
					     "responses" };
	static const char *const wheads[] = { "WORKER", "CALLS", "TRANSACTIONS", "REQUESTS IN",
					      "RESPONSES IN" };
	const json_t *px = json_object_get(r, "proxy");

	table(f, json_object_get(r, "listeners"), lcols, lheads, 3);
	if (!json_is_true(json_object_get(r, "dataplane_connected")) || !json_is_object(px)) {
		fprintf(f, "\ndataplane     not connected: no SIP counters\n");
		return;
	}
	fprintf(f, "\n");
	table(f, json_object_get(r, "workers"), wcols, wheads, 5);
	if (json_array_size(json_object_get(r, "connections")) > 0) {
		static const char *const ccols[] = { "peer", "gateway", "transport", "direction",
						     "connections" };
		static const char *const cheads[] = { "PEER", "GATEWAY", "TRANSPORT", "DIRECTION",
						      "CONNECTIONS" };

		fprintf(f, "\n");
		table(f, json_object_get(r, "connections"), ccols, cheads, 5);
	}
	fprintf(f, "\n");
	counters_line(f, "requests in", json_object_get(json_object_get(r, "in"), "requests"), false);
	counters_line(f, "requests out", json_object_get(json_object_get(r, "out"), "requests"),
		      false);
	counters_line(f, "responses in", json_object_get(json_object_get(r, "in"), "responses"),
		      false);
	counters_line(f, "responses out",
		      json_object_get(json_object_get(r, "out"), "responses"), false);
	counters_line(f, "proxy", px, false);
	counters_line(f, "udp", json_object_get(r, "udp"), true);
	counters_line(f, "streams", json_object_get(r, "streams"), false);
	counters_line(f, "refused", json_object_get(r, "errors"), false);
}

void ctl_format_event(FILE *f, const json_t *ev)
{
	const char *k;
	json_t *v;
	char buf[1024];

	fprintf(f, "%s %-7s %s", str(ev, "time"), str(ev, "severity"), str(ev, "id"));
	json_object_foreach(json_object_get(ev, "fields"), k, v) {
		value_text(v, buf, sizeof(buf));
		fprintf(f, " %s=%s%s%s", k, strchr(buf, ' ') ? "\"" : "", buf,
			strchr(buf, ' ') ? "\"" : "");
	}
	fprintf(f, "\n");
}

/* capture.status / capture.stop: what the capture wrote. */
static void capture(FILE *f, const json_t *r)
{
	const char *state = str(r, "state");
	const char *err = json_object_get(r, "error") ? str(r, "error") : "";

	if (strcmp(state, "idle") == 0) {
		fprintf(f, "no capture has run since the dataplane started\n");
		return;
	}
	if (strcmp(state, "running") == 0)
		fprintf(f, "capture: running\n");
	else
		fprintf(f, "capture: done, stopped by %s%s%s\n", str(r, "stopped_by"),
			err[0] ? ": " : "", err);
	fprintf(f, "  file       %s (mode 0600)\n", str(r, "path"));
	if (json_object_get(r, "gateway"))
		fprintf(f, "  gateway    %s\n", str(r, "gateway"));
	fprintf(f, "  messages   %lld (%lld bytes of pcap)\n", jint(r, "messages"),
		jint(r, "bytes"));
	fprintf(f, "  dropped    %lld%s\n", jint(r, "dropped"),
		jint(r, "dropped") ? " (capture ring full: the workers were faster than the "
				     "file)" : "");
	if (strcmp(str(r, "keys"), "kept") == 0)
		fprintf(f, "  keys       KEPT: the file holds SDES keys and credentials\n");
	else
		fprintf(f, "  keys       redacted (%lld secrets blanked)\n", jint(r, "redacted"));
	fprintf(f, "  seconds    %.1f\n", json_number_value(json_object_get(r, "seconds")));
}

static const char *yes_no(const json_t *v)
{
	return json_is_true(v) ? "yes" : json_is_false(v) ? "NO" : "not known";
}

static void ms_field(FILE *f, const char *label, const json_t *v, const char *none)
{
	if (json_is_number(v))
		fprintf(f, "%s%.1f ms", label, json_number_value(v));
	else if (none != NULL)
		fprintf(f, "%s%s", label, none);
}

/* The test call's part of the report. */
static void probe_call(FILE *f, const json_t *r, const json_t *c)
{
	const json_t *m = json_object_get(c, "media"), *g = json_object_get(m, "gateway_report");

	if (json_is_true(json_object_get(r, "passed")))
		fprintf(f, "  result        PASS: call to %s answered %lld %s, media both ways\n",
			str(c, "number"), jint(c, "status"), str(c, "reason"));
	else
		fprintf(f, "  result        FAIL: %s\n", str(r, "error"));
	if (json_is_true(json_object_get(r, "reachable"))) {
		fprintf(f, "  call          ");
		ms_field(f, "first answer ", json_object_get(r, "rtt_ms"), NULL);
		ms_field(f, ", ringing at ", json_object_get(c, "ringing_ms"), NULL);
		ms_field(f, ", answered at ", json_object_get(c, "answered_ms"), NULL);
		if (json_is_true(json_object_get(c, "cancelled")))
			fprintf(f, ", cancelled");
		if (json_is_true(json_object_get(c, "hung_up_by_gateway")))
			fprintf(f, ", the gateway hung up");
		else if (json_is_integer(json_object_get(c, "bye_status")))
			fprintf(f, ", BYE answered %lld", jint(c, "bye_status"));
		else if (json_is_number(json_object_get(c, "answered_ms")))
			fprintf(f, ", BYE not answered");
		fprintf(f, "\n");
	}
	if (!json_is_object(m) || jint(m, "packets_sent") == 0)
		return;
	fprintf(f, "  media         %s%s%s to %s for %.1f s, from %s\n", str(m, "security"),
		strcmp(str(m, "security"), "SRTP") == 0 ? " " : "",
		strcmp(str(m, "security"), "SRTP") == 0 ? str(m, "suite") : "", str(m, "to"),
		json_number_value(json_object_get(m, "seconds")),
		json_object_get(m, "from") ? str(m, "from") : "nowhere");
	fprintf(f, "  packets       sent %lld, received %lld (%s), lost %lld (%.1f %%)\n",
		jint(m, "packets_sent"), jint(m, "packets_received"),
		json_is_true(json_object_get(m, "echo")) ? "our own, echoed" : "the gateway's",
		jint(m, "lost"), json_number_value(json_object_get(m, "loss_percent")));
	fprintf(f, "  jitter        %.2f ms (RFC 3550)\n",
		json_number_value(json_object_get(m, "jitter_ms")));
	fprintf(f, "  round trip   ");
	ms_field(f, " RTCP ", json_object_get(m, "rtt_ms"), "none from the gateway");
	if (json_is_number(json_object_get(m, "rtt_ms")))
		fprintf(f, " (%lld reports)", jint(m, "rtt_samples"));
	ms_field(f, "; echo ", json_object_get(m, "echo_rtt_ms"), NULL);
	ms_field(f, ", max ", json_object_get(m, "echo_rtt_max_ms"), NULL);
	fprintf(f, "\n");
	if (json_is_object(g))
		fprintf(f, "  gateway says  lost %lld (%.1f %%), jitter %.2f ms\n", jint(g, "lost"),
			json_number_value(json_object_get(g, "loss_percent")),
			json_number_value(json_object_get(g, "jitter_ms")));
	if (jint(m, "auth_failures") + jint(m, "replays") + jint(m, "malformed") > 0)
		fprintf(f, "  refused       %lld failed SRTP authentication, %lld replays, %lld "
			"malformed or from another source\n", jint(m, "auth_failures"),
			jint(m, "replays"), jint(m, "malformed"));
}

/* probe.status: the connectivity test's report. */
static void probe(FILE *f, const json_t *r)
{
	const json_t *ctx = json_object_get(r, "context"), *t = json_object_get(r, "tls"), *v;
	const json_t *call = json_object_get(r, "call");
	bool local = json_is_true(json_object_get(ctx, "local"));
	const char *peer = local ? "listener" : "gateway";
	size_t i;

	if (local)
		fprintf(f, "test-connectivity --local: our %s listener at %s", str(r, "transport"),
			str(r, "target"));
	else
		fprintf(f, "test-connectivity %s: %s to %s", str(ctx, "gateway"),
			str(r, "transport"), str(r, "target"));
	if (local) {
		fprintf(f, " (for ");
		json_array_foreach(json_object_get(ctx, "dial_plans"), i, v)
			fprintf(f, "%s%s", i ? ", " : "", json_string_value(v));
		fprintf(f, "%s)", json_is_true(json_object_get(ctx, "by_start_secured"))
					  ? "start_secured" : "");
	} else if (json_array_size(json_object_get(ctx, "dial_plans")) > 0) {
		fprintf(f, " (");
		json_array_foreach(json_object_get(ctx, "dial_plans"), i, v)
			fprintf(f, "%s%s %s%s", i ? ", " : "", str(v, "dial_plan"),
				str(v, "voip_security"),
				json_is_true(json_object_get(v, "associated")) ? "" : " not associated");
		fprintf(f, ")");
	}
	fprintf(f, "\n");
	if (call != NULL)
		probe_call(f, r, call);
	else if (json_is_true(json_object_get(r, "passed")))
		fprintf(f, "  result        PASS: OPTIONS answered %lld %s in %.1f ms\n",
			jint(r, "status"), str(r, "reason"),
			json_number_value(json_object_get(r, "rtt_ms")));
	else
		fprintf(f, "  result        FAIL: %s\n", str(r, "error"));
	if (json_object_get(r, "server"))
		fprintf(f, "  %-8s says %s\n", peer, str(r, "server"));
	if (t != NULL) {
		if (json_object_get(t, "version"))
			fprintf(f, "  tls           %s, %s, handshake %.1f ms\n", str(t, "version"),
				str(t, "cipher"),
				json_number_value(json_object_get(r, "handshake_ms")));
		if (json_object_get(t, "peer_subject")) {
			fprintf(f, "  %-8s cert %s\n", peer, str(t, "peer_subject"));
			fprintf(f, "                issued by %s\n", str(t, "peer_issuer"));
			fprintf(f, "                names %s\n", str(t, "peer_names"));
			fprintf(f, "                SHA-1 %s, not after %s\n",
				str(t, "peer_thumbprint_sha1"), str(t, "peer_not_after"));
			fprintf(f, "                chains to trust/: %s; names %s: %s\n",
				yes_no(json_object_get(t, "chains_to_trust")), str(t, "fqdn"),
				yes_no(json_object_get(t, "names_fqdn")));
		}
		if (json_object_get(t, "our_thumbprint_sha1"))
			fprintf(f, "  our cert      SHA-1 %s\n", str(t, "our_thumbprint_sha1"));
		if (json_object_get(t, "failure")) {
			const char *fl = str(t, "failure"), *rs = str(t, "reason");
			if (strncmp(rs, fl, strlen(fl)) == 0)
				fprintf(f, "  tls failure   %s\n", rs);
			else
				fprintf(f, "  tls failure   %s: %s\n", fl, rs);
		}
	}
	json_array_foreach(json_object_get(ctx, "notes"), i, v)
		fprintf(f, "note: %s\n", json_string_value(v));
}

void ctl_format_result(FILE *f, const char *cmd, const json_t *r)
{
	if (strcmp(cmd, "probe.status") == 0) {
		probe(f, r);
	} else if (strcmp(cmd, "capture.status") == 0 || strcmp(cmd, "capture.stop") == 0) {
		capture(f, r);
	} else if (strcmp(cmd, "status") == 0) {
		status(f, r);
	} else if (strcmp(cmd, "sip.status") == 0) {
		sip_status(f, r);
	} else if (strcmp(cmd, "dialplan.list") == 0) {
		static const char *const c[] = { "name", "voip_security", "associated",
						 "srtp_suites" };
		static const char *const h[] = { "NAME", "VOIP SECURITY", "ASSOCIATED",
						 "SRTP SUITES" };
		table(f, r, c, h, 4);
	} else if (strcmp(cmd, "gateway.list") == 0) {
		static const char *const c[] = { "name", "address", "port", "fqdn" };
		static const char *const h[] = { "NAME", "ADDRESS", "PORT", "FQDN" };
		table(f, r, c, h, 4);
	} else if (strcmp(cmd, "huntgroup.list") == 0) {
		static const char *const c[] = { "gateway", "pilot", "dial_plan" };
		static const char *const h[] = { "GATEWAY", "PILOT", "DIAL PLAN" };
		table(f, r, c, h, 3);
	} else if (strcmp(cmd, "cert.list") == 0) {
		static const char *const c[] = { "rank", "kind", "valid", "not_after",
						 "thumbprint_sha1", "path", "reason" };
		static const char *const h[] = { "RANK", "KIND", "VALID", "NOT AFTER",
						 "SHA-1", "PATH", "REASON" };
		table(f, r, c, h, 7);
	} else if (strcmp(cmd, "media.list") == 0) {
		static const char *const c[] = { "id", "security", "suite", "ext_local", "ext_remote",
						 "int_local", "int_remote" };
		static const char *const h[] = { "ID", "SECURITY", "SUITE", "EXT LOCAL", "EXT REMOTE",
						 "INT LOCAL", "INT REMOTE" };
		table(f, r, c, h, 7);
	} else if (strcmp(cmd, "calls.list") == 0) {
		static const char *const c[] = { "id", "call_id", "gateway", "dial_plan", "mode",
						 "transport", "suite", "state", "age_s",
						 "packets_in", "packets_out" };
		static const char *const h[] = { "ID", "CALL-ID", "GATEWAY", "DIAL PLAN", "MODE",
						 "TRANSPORT", "SUITE", "STATE", "AGE S",
						 "PKTS IN", "PKTS OUT" };
		table(f, r, c, h, 11);
	} else if (strcmp(cmd, "events") == 0) {
		size_t i;
		json_t *ev;
		json_array_foreach(r, i, ev)
			ctl_format_event(f, ev);
	} else if (json_is_object(r)) {
		block(f, r, "");
	} else if (json_is_array(r)) {
		char *s = json_dumps(r, JSON_INDENT(2));
		fprintf(f, "%s\n", s ? s : "");
		free(s);
	}
}
