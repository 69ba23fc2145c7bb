/* libFuzzer target: the control protocol as a hostile client speaks it,
 * each line's args also through the relayed verbs' checks (capture,
 * test-connectivity, media add), and each line as the dataplane's stats
 * under the metrics renderer.
 * Bytes are framed into JSON lines exactly as the server does and each
 * request is dispatched against a real control state (a throw-away folder,
 * its own self-signed certificate). Nothing may crash or leak, and the
 * running configuration must always stay valid. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_args.h"
#include "commands.h"
#include "jsonl.h"
#include "media_args.h"
#include "metrics.h"
#include "probe_args.h"
#include "state.h"
#include "umedge/ctlproto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct control ctl;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/umedge-fuzz-ctl-XXXXXX";
	char path[256], err[CONFIG_ERR_MAX];
	FILE *f;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/umedge.yaml", dir);
	f = fopen(path, "w");
	if (!f)
		abort();
	fprintf(f,
		"server: { fqdn: um1.example.test, state_dir: %s/state, start_secured: 0,"
		" dial_plans: [contoso] }\n"
		"certificates: { store: %s/certs, trust: %s/trust, self_signed: { key: ecdsa-p256 } }\n"
		"dial_plans:\n"
		"  - { name: contoso, voip_security: secured }\n"
		"  - { name: fabrikam, voip_security: unsecured }\n"
		"ip_gateways:\n"
		"  - { name: gw1, address: 192.0.2.10, fqdn: gw1.example.test }\n"
		"hunt_groups:\n"
		"  - { gateway: gw1, pilot: \"5000\", dial_plan: contoso }\n",
		dir, dir, dir);
	fclose(f);
	if (control_open(&ctl, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	/* The fuzzer must not see the syslog or the disk fill up. */
	ctl.ev.use_syslog = false;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonl_conn io;
	char err[256];
	json_t *msg;

	jsonl_init(&io, -1, CTLPROTO_LINE_MAX);
	io.rbuf = malloc(size + 1);
	if (!io.rbuf)
		return 0;
	memcpy(io.rbuf, data, size);
	io.rbuf[size] = '\n';
	io.rlen = io.rcap = size + 1;
	for (int i = 0; i < 64; i++) {
		int rc = jsonl_next(&io, &msg, err, sizeof(err));
		json_t *ans;

		if (rc == 1)
			break;
		if (rc < 0)
			continue;
		/* the same line as a dataplane's stats: the metrics page renders
		 * from whatever shape it has */
		if (json_is_object(msg)) {
			json_t *st = control_status_json(&ctl), *dp = json_deep_copy(msg);
			size_t len;
			char *text;
			json_object_set_new(dp, "connected", json_true());
			json_object_set_new(st, "dataplane", dp);
			text = metrics_render(st, ctl.ev.counts, 1796169600, &len);
			if (text == NULL || strlen(text) != len)
				abort();
			free(text);
			json_decref(st);
		}
		/* the relayed verbs' arguments, checked and completed in control */
		{
			json_t *args = json_object_get(msg, "args"), *done;
			if (json_is_object(args)) {
				done = capture_args_start(ctl.cfg, args, err, sizeof(err));
				json_decref(done);
				done = probe_args_options(ctl.cfg, args, err, sizeof(err));
				json_decref(done);
				done = media_args_add(args, err, sizeof(err));
				json_decref(done);
			}
		}
		ans = commands_dispatch(&ctl, msg);
		if (!ans || !json_is_boolean(json_object_get(ans, "ok")))
			abort();
		json_decref(ans);
		json_decref(msg);
		if (config_validate(ctl.cfg, err, sizeof(err)) < 0)
			abort();
	}
	jsonl_release(&io);
	/* Keep the event log from growing without bound across runs. */
	if (ftruncate(ctl.ev.fd, 0) < 0)
		abort();
	return 0;
}
