/* umedgectl: the operator CLI. Builds one request, sends it over the control
 * socket, prints the answer as a table (or JSON with --json). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ctl_format.h"
#include "fsutil.h"
#include "jsonl.h"
#include "umedge/config.h"
#include "umedge/ctlproto.h"

#define CTL_TIMEOUT_MS 30000

static const char usage_text[] =
	"usage: umedgectl [--socket PATH] [--config FILE] [--json] COMMAND\n"
	"\n"
	"  status\n"
	"  sip status   (listeners, transactions per worker, messages, refusals, drops)\n"
	"  dialplan list | show NAME | remove NAME\n"
	"  dialplan add NAME --security MODE [--srtp-suites LIST]\n"
	"  dialplan set NAME [--security MODE] [--srtp-suites LIST]\n"
	"  server associate|dissociate DIALPLAN\n"
	"  gateway list | remove NAME\n"
	"  gateway add NAME --address IP --fqdn FQDN [--port N]\n"
	"  huntgroup list\n"
	"  huntgroup add --gateway NAME --pilot NUMBER --dial-plan NAME\n"
	"  huntgroup remove --gateway NAME --pilot NUMBER\n"
	"  cert show | list | reload\n"
	"  cert export [--der] --out FILE\n"
	"  events [--follow] [--limit N]\n"
	"  config reload\n"
	"  media add --ext-remote IP:PORT --int-remote IP:PORT --security srtp|rtp\n"
	"            [--suite SUITE] [--ext-rx-key B64] [--ext-tx-key B64] [--rtcp-mux]\n"
	"  media list | show ID | remove ID\n"
	"  calls list | show ID | drop ID\n"
	"  diag tcp-connect IP:PORT [--connections N] [--bytes N]   (engine-opened TCP echo check)\n"
	"  diag tcp-conns   (the workers' TCP connections and their counters)\n"
	"  capture sip --out FILE.pcap [--gateway NAME] [--seconds N | --count N] [--keep-keys]\n"
	"              (SIP the workers see, TLS decrypted, as pcap 0600; keys redacted;\n"
	"               runs until the limit, Ctrl-C, or an hour)\n"
	"  capture status | stop\n"
	"  test-connectivity --gateway NAME [--secured true|false] [--timeout S]\n"
	"                    [--phone NUMBER [--seconds N]]\n"
	"              (SIP OPTIONS to the gateway from the dataplane: reachability, answer,\n"
	"               and for TLS the handshake and certificates; with --phone a test\n"
	"               call in the gateway's mode: a tone as RTP or SRTP for N seconds\n"
	"               (5), packets, loss, jitter and round trip; exit 0 only on a pass)\n"
	"  test-connectivity --local [--timeout S]\n"
	"              (each listener the modes open, tested by the engine from its own\n"
	"               external address)\n"
	"\n"
	"MODE: unsecured, sip_secured, secured. LIST: comma-separated SRTP suites.\n"
	"The socket is --socket, else $UMEDGE_SOCKET, else server.control_socket of\n"
	"--config FILE, else " CTLPROTO_DEFAULT_SOCKET ".\n";

/* What a verb accepts: positional argument name and --options. */
struct verb {
	const char *words;     /* "dialplan add" */
	const char *cmd;       /* protocol command */
	const char *positional; /* args key of the one positional ("id#": a number), or NULL */
	const char *opts[8];   /* "--security=voip_security", "--port=port#" (number), "--follow!"
				* (flag), "--keep-keys!keep_keys" (flag with its key) */
	const char *required[4];
};

static const struct verb verbs[] = {
	{ "status", "status", NULL, { NULL }, { NULL } },
	{ "sip status", "sip.status", NULL, { NULL }, { NULL } },
	{ "dialplan list", "dialplan.list", NULL, { NULL }, { NULL } },
	{ "dialplan show", "dialplan.show", "name", { NULL }, { "name" } },
	{ "dialplan add", "dialplan.add", "name",
	  { "--security=voip_security", "--srtp-suites=srtp_suites" },
	  { "name", "voip_security" } },
	{ "dialplan set", "dialplan.set", "name",
	  { "--security=voip_security", "--srtp-suites=srtp_suites" }, { "name" } },
	{ "dialplan remove", "dialplan.remove", "name", { NULL }, { "name" } },
	{ "server associate", "server.associate", "dial_plan", { NULL }, { "dial_plan" } },
	{ "server dissociate", "server.dissociate", "dial_plan", { NULL }, { "dial_plan" } },
	{ "gateway list", "gateway.list", NULL, { NULL }, { NULL } },
	{ "gateway add", "gateway.add", "name",
	  { "--address=address", "--fqdn=fqdn", "--port=port#" },
	  { "name", "address", "fqdn" } },
	{ "gateway remove", "gateway.remove", "name", { NULL }, { "name" } },
	{ "huntgroup list", "huntgroup.list", NULL, { NULL }, { NULL } },
	{ "huntgroup add", "huntgroup.add", NULL,
	  { "--gateway=gateway", "--pilot=pilot", "--dial-plan=dial_plan" },
	  { "gateway", "pilot", "dial_plan" } },
	{ "huntgroup remove", "huntgroup.remove", NULL, { "--gateway=gateway", "--pilot=pilot" },
	  { "gateway", "pilot" } },
	{ "cert show", "cert.show", NULL, { NULL }, { NULL } },
	{ "cert list", "cert.list", NULL, { NULL }, { NULL } },
	{ "cert export", "cert.export", NULL, { "--der!", "--out=out" }, { "out" } },
	{ "cert reload", "cert.reload", NULL, { NULL }, { NULL } },
	{ "events", "events", NULL, { "--follow!", "--limit=limit#" }, { NULL } },
	{ "config reload", "config.reload", NULL, { NULL }, { NULL } },
	{ "media add", "media.add", NULL,
	  { "--ext-remote=ext_remote", "--int-remote=int_remote", "--security=security",
	    "--suite=suite", "--ext-rx-key=ext_rx_key", "--ext-tx-key=ext_tx_key", "--rtcp-mux!" },
	  { "ext_remote", "int_remote", "security" } },
	{ "media list", "media.list", NULL, { NULL }, { NULL } },
	{ "media show", "media.show", "id#", { NULL }, { "id" } },
	{ "media remove", "media.remove", "id#", { NULL }, { "id" } },
	{ "calls list", "calls.list", NULL, { NULL }, { NULL } },
	{ "calls show", "calls.show", "id#", { NULL }, { "id" } },
	{ "calls drop", "calls.drop", "id#", { NULL }, { "id" } },
	{ "diag tcp-connect", "diag.tcp-connect", "target",
	  { "--connections=connections#", "--bytes=bytes#" }, { "target" } },
	{ "diag tcp-conns", "diag.tcp-conns", NULL, { NULL }, { NULL } },
	{ "capture sip", "capture.start", NULL,
	  { "--out=path", "--gateway=gateway", "--seconds=seconds#", "--count=count#",
	    "--keep-keys!keep_keys" },
	  { "path" } },
	{ "capture status", "capture.status", NULL, { NULL }, { NULL } },
	{ "test-connectivity", "probe.options", NULL,
	  { "--gateway=gateway", "--secured=secured", "--timeout=timeout#", "--local!",
	    "--phone=phone", "--seconds=seconds#" },
	  { NULL } },
	{ "capture stop", "capture.stop", NULL, { NULL }, { NULL } },
};

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "umedgectl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(umedgectl --help for usage)\n");
	return 2;
}

/* Match the leading words of argv against a verb. */
static const struct verb *find_verb(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char words[64];
		char *save = NULL, *w;
		int k = 0;
		bool match = true;

		snprintf(words, sizeof(words), "%s", verbs[i].words);
		for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save), k++) {
			if (k >= argc || strcmp(argv[k], w) != 0) {
				match = false;
				break;
			}
		}
		if (match) {
			*used = k;
			return &verbs[i];
		}
	}
	return NULL;
}

/* Turn the verb's options and positional into the args object. */
static int build_args(const struct verb *v, int argc, char **argv, json_t *args)
{
	bool have_pos = false;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool known = false;

		if (strncmp(a, "--", 2) != 0) {
			size_t plen;

			if (!v->positional || have_pos)
				return usage_error("unexpected argument '%s'", a);
			plen = strcspn(v->positional, "#");
			if (v->positional[plen] == '#') {
				char key[32], *end;
				long n;

				snprintf(key, sizeof(key), "%.*s", (int)plen, v->positional);
				errno = 0;
				n = strtol(a, &end, 10);
				if (errno || *end || end == a)
					return usage_error("'%s' is not a number", a);
				json_object_set_new(args, key, json_integer(n));
			} else {
				json_object_set_new(args, v->positional, json_string(a));
			}
			have_pos = true;
			continue;
		}
		for (int o = 0; o < 8 && v->opts[o]; o++) {
			const char *spec = v->opts[o];
			size_t nlen = strcspn(spec, "=!");
			char key[64];
			size_t klen;
			bool numeric;

			if (strlen(a) != nlen || strncmp(a, spec, nlen) != 0)
				continue;
			known = true;
			if (spec[nlen] == '!') {
				json_object_set_new(args, spec[nlen + 1] ? spec + nlen + 1 : a + 2,
						    json_true());
				break;
			}
			klen = strcspn(spec + nlen + 1, "#");
			numeric = spec[nlen + 1 + klen] == '#';
			snprintf(key, sizeof(key), "%.*s", (int)klen, spec + nlen + 1);
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			i++;
			if (numeric) {
				char *end;
				long n;

				errno = 0;
				n = strtol(argv[i], &end, 10);
				if (errno || *end || end == argv[i])
					return usage_error("'%s' is not a number", argv[i]);
				json_object_set_new(args, key, json_integer(n));
			} else {
				json_object_set_new(args, key, json_string(argv[i]));
			}
			break;
		}
		if (!known)
			return usage_error("unknown option '%s' for this command", a);
	}
	for (int r = 0; r < 4 && v->required[r]; r++) {
		if (!json_object_get(args, v->required[r])) {
			char what[80];
			const char *k = v->required[r];

			snprintf(what, sizeof(what), "an option for '%s'", k);
			if (v->positional && strncmp(k, v->positional, strcspn(v->positional, "#")) == 0)
				snprintf(what, sizeof(what), "%s", k);
			for (int o = 0; o < 8 && v->opts[o]; o++) {
				/* "--out=path": say --out, the option the operator types */
				const char *eq = strchr(v->opts[o], '=');
				if (eq != NULL && strncmp(eq + 1, k, strlen(k)) == 0 &&
				    (eq[1 + strlen(k)] == '\0' || eq[1 + strlen(k)] == '#'))
					snprintf(what, sizeof(what), "%.*s", (int)(eq - v->opts[o]),
						 v->opts[o]);
			}
			fprintf(stderr, "umedgectl: %s: missing %s\n", v->words, what);
			return 2;
		}
	}
	return 0;
}

/* The dataplane writes a capture: it needs the path as seen from here. */
static int absolute_path(json_t *args, const char *key)
{
	const char *p = json_string_value(json_object_get(args, key));
	char cwd[4096], *full = NULL;

	if (p == NULL || p[0] == '/')
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL || asprintf(&full, "%s/%s", cwd, p) < 0) {
		fprintf(stderr, "umedgectl: cannot make %s an absolute path\n", p);
		return -1;
	}
	json_object_set_new(args, key, json_string(full));
	free(full);
	return 0;
}

/* server.control_socket from a configuration file, for --config. */
static int socket_from_config(const char *path, char *out, size_t len)
{
	struct config *cfg = NULL;
	char err[CONFIG_ERR_MAX];

	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "umedgectl: %s\n", err);
		return -1;
	}
	snprintf(out, len, "%s", cfg->server.control_socket);
	config_free(cfg);
	return 0;
}

static int write_export(const json_t *result, const char *out, bool der)
{
	const char *pem = json_string_value(json_object_get(result, "pem"));
	unsigned char *buf = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	int len, rc = 1, w;

	if (!pem) {
		fprintf(stderr, "umedgectl: no certificate in the answer\n");
		return 1;
	}
	if (!der) {
		w = fsutil_write_atomic(out, pem, strlen(pem), 0644);
		goto written;
	}
	bio = BIO_new_mem_buf(pem, -1);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	len = x ? i2d_X509(x, &buf) : -1;
	if (len <= 0) {
		fprintf(stderr, "umedgectl: cannot convert the certificate to DER\n");
		goto out;
	}
	w = fsutil_write_atomic(out, buf, (size_t)len, 0644);
written:
	if (w < 0) {
		fprintf(stderr, "umedgectl: %s: %s\n", out, strerror(-w));
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(buf);
	X509_free(x);
	BIO_free(bio);
	return rc;
}

static void print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	printf("%s\n", s ? s : "null");
	free(s);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One more request on the open connection (args stolen, NULL: none): the
 * result (new reference), or NULL with the reason printed. */
static json_t *ask(struct jsonl_conn *io, const char *cmd, json_t *args)
{
	json_t *req = json_pack("{s:s, s:o}", "cmd", cmd, "args", args ? args : json_object());
	json_t *ans = NULL, *res = NULL;
	char err[256];
	int rc;

	if (req == NULL || jsonl_queue(io, req) < 0 || jsonl_flush(io) != 0) {
		fprintf(stderr, "umedgectl: cannot send %s\n", cmd);
		goto out;
	}
	rc = jsonl_recv(io, &ans, CTL_TIMEOUT_MS, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "umedgectl: no answer to %s: %s\n", cmd,
			rc == 1 ? "connection closed" : rc == -EBADMSG ? err : strerror(-rc));
		goto out;
	}
	if (!json_is_true(json_object_get(ans, "ok"))) {
		const char *e = json_string_value(json_object_get(ans, "error"));
		fprintf(stderr, "umedgectl: %s\n", e ? e : "request failed");
		goto out;
	}
	res = json_incref(json_object_get(ans, "result"));
out:
	json_decref(ans);
	json_decref(req);
	return res;
}

static bool running(const json_t *st)
{
	const char *s = json_string_value(json_object_get(st, "state"));

	return s != NULL && strcmp(s, "running") == 0;
}

/* `capture sip` runs in the dataplane: follow it until it stops (its limit,
 * or Ctrl-C here, which stops it), then say what it wrote. 0 when the file
 * is complete. */
static int capture_follow(struct jsonl_conn *io, bool as_json, const json_t *started)
{
	struct sigaction sa = { .sa_handler = on_interrupt };
	json_t *st = json_incref((json_t *)started);
	int rc = 1;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!as_json)
		fprintf(stderr, "capturing SIP to %s%s%s (Ctrl-C stops)...\n",
			json_string_value(json_object_get(st, "path")),
			json_object_get(st, "gateway") ? ", gateway " : "",
			json_object_get(st, "gateway")
				? json_string_value(json_object_get(st, "gateway")) : "");
	while (st != NULL && running(st)) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		if (!interrupted)
			nanosleep(&ts, NULL);
		json_decref(st);
		st = ask(io, interrupted ? "capture.stop" : "capture.status", NULL);
	}
	if (st == NULL)
		return 1;
	if (as_json)
		print_json(st);
	else
		ctl_format_result(stdout, "capture.status", st);
	rc = json_object_get(st, "error") != NULL ? 1 : 0;
	json_decref(st);
	return rc;
}

/* test-connectivity: the dataplane answers within its timeout; poll its
 * result (new reference), NULL when it could not be had. */
static json_t *probe_wait(struct jsonl_conn *io, const json_t *started)
{
	json_int_t id = json_integer_value(json_object_get(started, "id"));
	json_t *st = NULL;

	/* the longest: an answer in 60 s, a 60 s call, CANCEL or BYE */
	for (int i = 0; i < 10 * (60 + 60 + 20); i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		json_decref(st);
		st = ask(io, "probe.status", json_pack("{s:I}", "id", id));
		if (st == NULL || !running(st))
			return st;
	}
	fprintf(stderr, "umedgectl: the connectivity test did not finish\n");
	json_decref(st);
	return NULL;
}

static int probe_print(const json_t *st, bool as_json)
{
	if (as_json)
		print_json(st);
	else
		ctl_format_result(stdout, "probe.status", st);
	return json_is_true(json_object_get(st, "passed")) ? 0 : 1;
}

static int probe_follow(struct jsonl_conn *io, bool as_json, const json_t *started)
{
	json_t *st = probe_wait(io, started);
	int rc = st != NULL ? probe_print(st, as_json) : 1;

	json_decref(st);
	return rc;
}

/* test-connectivity --local: one test per listener the modes open; 0 when
 * every one passed. */
static int probe_local(struct jsonl_conn *io, bool as_json, const json_t *args)
{
	json_t *status = ask(io, "status", NULL), *l, *all = json_array();
	size_t i;
	int rc = 0;

	if (status == NULL || all == NULL) {
		json_decref(all);
		json_decref(status);
		return 1;
	}
	if (json_array_size(json_object_get(status, "listeners")) == 0) {
		fprintf(stderr, "umedgectl: no listener is open: nothing to test\n");
		rc = 1;
	}
	json_array_foreach(json_object_get(status, "listeners"), i, l) {
		json_t *a = json_pack("{s:s}", "local", json_string_value(json_object_get(l,
											 "transport")));
		json_t *started, *st;

		if (a != NULL && json_object_get(args, "timeout"))
			json_object_set(a, "timeout", json_object_get(args, "timeout"));
		started = ask(io, "probe.options", a);
		st = started != NULL ? probe_wait(io, started) : NULL;
		json_decref(started);
		if (st == NULL) {
			rc = 1;
			continue;
		}
		if (!json_is_true(json_object_get(st, "passed")))
			rc = 1;
		if (as_json)
			json_array_append(all, st);
		else
			(void)probe_print(st, false);
		json_decref(st);
	}
	if (as_json)
		print_json(all);
	json_decref(all);
	json_decref(status);
	return rc;
}

static int follow(struct jsonl_conn *io, bool as_json)
{
	char err[256];

	for (;;) {
		json_t *msg = NULL;
		int rc = jsonl_recv(io, &msg, -1, err, sizeof(err));
		json_t *ev;

		if (rc == 1) {
			fprintf(stderr, "umedgectl: control closed the connection\n");
			return 1;
		}
		if (rc < 0) {
			fprintf(stderr, "umedgectl: %s\n", rc == -EBADMSG ? err : strerror(-rc));
			return 1;
		}
		ev = json_object_get(msg, "event");
		if (ev) {
			if (as_json) {
				char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
				printf("%s\n", s ? s : "{}");
				free(s);
			} else {
				ctl_format_event(stdout, ev);
			}
			fflush(stdout);
		}
		json_decref(msg);
	}
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *config = NULL;
	char cfg_sock[128];
	bool as_json = false;
	const struct verb *v;
	json_t *args = NULL, *req = NULL, *ans = NULL;
	struct jsonl_conn io = { .fd = -1 };
	char err[256];
	int i = 1, used = 0, rc = 1, fd;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			as_json = true;
		} else if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			sock = argv[++i];
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else {
			return usage_error("unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	v = find_verb(argc - i, argv + i, &used);
	if (!v)
		return usage_error("unknown command '%s'", argv[i]);
	args = json_object();
	rc = build_args(v, argc - i - used, argv + i + used, args);
	if (rc != 0)
		goto out;
	rc = 1;
	if (strcmp(v->cmd, "capture.start") == 0 && absolute_path(args, "path") < 0)
		goto out;
	if (!sock)
		sock = getenv(CTLPROTO_SOCKET_ENV);
	if ((!sock || !*sock) && config) {
		if (socket_from_config(config, cfg_sock, sizeof(cfg_sock)) < 0)
			goto out;
		sock = cfg_sock;
	}
	if (!sock || !*sock)
		sock = CTLPROTO_DEFAULT_SOCKET;
	fd = jsonl_connect(sock);
	if (fd < 0) {
		fprintf(stderr,
			"umedgectl: cannot connect to %s: %s (is umedge-control running? "
			"see --socket, $" CTLPROTO_SOCKET_ENV ")\n",
			sock, strerror(-fd));
		goto out;
	}
	jsonl_init(&io, fd, CTLPROTO_LINE_MAX);
	if (strcmp(v->cmd, "probe.options") == 0 && json_object_get(args, "local") != NULL) {
		if (json_object_get(args, "gateway") || json_object_get(args, "secured") ||
		    json_object_get(args, "phone") || json_object_get(args, "seconds")) {
			fprintf(stderr, "umedgectl: test-connectivity: --local takes no --gateway, "
				"--secured or --phone\n");
			rc = 2;
			goto out;
		}
		rc = probe_local(&io, as_json, args);
		goto out;
	}
	if (strcmp(v->cmd, "probe.options") == 0 && json_object_get(args, "gateway") == NULL) {
		fprintf(stderr, "umedgectl: test-connectivity: missing --gateway (or --local)\n");
		rc = 2;
		goto out;
	}
	/* `out` is where the CLI writes, not something control needs. */
	req = json_pack("{s:s, s:o}", "cmd", v->cmd, "args", json_deep_copy(args));
	if (req && strcmp(v->cmd, "cert.export") == 0)
		json_object_del(json_object_get(req, "args"), "out");
	if (!req || jsonl_queue(&io, req) < 0 || jsonl_flush(&io) != 0) {
		fprintf(stderr, "umedgectl: cannot send the request to %s\n", sock);
		goto out;
	}
	rc = jsonl_recv(&io, &ans, CTL_TIMEOUT_MS, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "umedgectl: no answer from %s: %s\n", sock,
			rc == 1 ? "connection closed" : rc == -EBADMSG ? err : strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = 1;
	if (!json_is_true(json_object_get(ans, "ok"))) {
		const char *e = json_string_value(json_object_get(ans, "error"));
		fprintf(stderr, "umedgectl: %s\n", e ? e : "request failed");
		goto out;
	}
	if (strcmp(v->cmd, "cert.export") == 0) {
		rc = write_export(json_object_get(ans, "result"),
				  json_string_value(json_object_get(args, "out")),
				  json_is_true(json_object_get(args, "der")));
		goto out;
	}
	if (strcmp(v->cmd, "capture.start") == 0) {
		rc = capture_follow(&io, as_json, json_object_get(ans, "result"));
		goto out;
	}
	if (strcmp(v->cmd, "probe.options") == 0) {
		rc = probe_follow(&io, as_json, json_object_get(ans, "result"));
		goto out;
	}
	if (as_json && strcmp(v->cmd, "events") == 0 &&
	    json_is_true(json_object_get(args, "follow"))) {
		/* A follower is a stream: JSON lines from the first event on. */
		size_t k;
		json_t *ev;

		json_array_foreach(json_object_get(ans, "result"), k, ev) {
			char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
			printf("%s\n", s ? s : "{}");
			free(s);
		}
	} else if (as_json) {
		print_json(json_object_get(ans, "result"));
	} else {
		ctl_format_result(stdout, v->cmd, json_object_get(ans, "result"));
	}
	fflush(stdout);
	rc = 0;
	if (strcmp(v->cmd, "events") == 0 && json_is_true(json_object_get(args, "follow")))
		rc = follow(&io, as_json);
out:
	json_decref(ans);
	json_decref(req);
	json_decref(args);
	if (io.fd >= 0)
		close(io.fd);
	jsonl_release(&io);
	return rc;
}
