/* Policy: listeners resolved from the associated dial plans' modes, and the
 * events a change between two configurations raises. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "policy.h"

#define BASE_YAML \
	"server:\n" \
	"  fqdn: um1.example.test\n" \
	"  state_dir: /tmp/umedge-policy-test\n" \
	"  start_secured: %d\n" \
	"  dial_plans: [%s]\n" \
	"certificates:\n" \
	"  store: /tmp/umedge-policy-test/certs\n" \
	"  trust: /tmp/umedge-policy-test/trust\n" \
	"dial_plans:\n" \
	"  - { name: contoso, voip_security: %s }\n" \
	"  - { name: fabrikam, voip_security: unsecured }\n" \
	"  - { name: northwind, voip_security: sip_secured }\n"

static struct config *make(int start_secured, const char *assoc, const char *contoso_mode)
{
	char buf[2048], err[CONFIG_ERR_MAX];
	struct config *c = NULL;

	snprintf(buf, sizeof(buf), BASE_YAML, start_secured, assoc, contoso_mode);
	cr_assert_eq(config_parse("test.yaml", buf, strlen(buf), &c, err, sizeof(err)), 0,
		     "parse: %s", err);
	return c;
}

static const struct policy_listener *L(const struct policy *p, enum umedge_transport t)
{
	return &p->listeners[t];
}

Test(policy, mixed_modes_open_both_listener_sets)
{
	struct config *c = make(0, "contoso, fabrikam", "secured");
	struct policy p;

	policy_resolve(c, &p);
	cr_assert(p.any_associated);
	cr_assert(L(&p, UMEDGE_TRANSPORT_TLS)->enabled);
	cr_assert_eq(L(&p, UMEDGE_TRANSPORT_TLS)->port, 5061);
	cr_assert_eq(L(&p, UMEDGE_TRANSPORT_TLS)->n_plans, 1);
	cr_assert_str_eq(c->dial_plans[L(&p, UMEDGE_TRANSPORT_TLS)->plans[0]].name, "contoso");
	cr_assert(L(&p, UMEDGE_TRANSPORT_UDP)->enabled);
	cr_assert(L(&p, UMEDGE_TRANSPORT_TCP)->enabled);
	cr_assert_eq(L(&p, UMEDGE_TRANSPORT_UDP)->port, 5060);
	cr_assert_str_eq(c->dial_plans[L(&p, UMEDGE_TRANSPORT_UDP)->plans[0]].name, "fabrikam");
	config_free(c);
}

Test(policy, sip_secured_alone_opens_only_tls)
{
	struct config *c = make(0, "northwind", "secured");
	struct policy p;

	policy_resolve(c, &p);
	cr_assert(L(&p, UMEDGE_TRANSPORT_TLS)->enabled);
	cr_assert_not(L(&p, UMEDGE_TRANSPORT_UDP)->enabled);
	cr_assert_not(L(&p, UMEDGE_TRANSPORT_TCP)->enabled);
	config_free(c);
}

Test(policy, no_association_start_secured_decides)
{
	struct config *c0 = make(0, "", "secured");
	struct config *c1 = make(1, "", "secured");
	struct policy p;

	policy_resolve(c0, &p);
	cr_assert_not(p.any_associated);
	cr_assert(L(&p, UMEDGE_TRANSPORT_UDP)->enabled && L(&p, UMEDGE_TRANSPORT_UDP)->by_start_secured);
	cr_assert(L(&p, UMEDGE_TRANSPORT_TCP)->enabled);
	cr_assert_not(L(&p, UMEDGE_TRANSPORT_TLS)->enabled);
	cr_assert_eq(policy_default_mode(c0), UMEDGE_SEC_UNSECURED);

	policy_resolve(c1, &p);
	cr_assert(L(&p, UMEDGE_TRANSPORT_TLS)->enabled && L(&p, UMEDGE_TRANSPORT_TLS)->by_start_secured);
	cr_assert_not(L(&p, UMEDGE_TRANSPORT_UDP)->enabled);
	cr_assert_eq(policy_default_mode(c1), UMEDGE_SEC_SECURED);
	config_free(c0);
	config_free(c1);
}

Test(policy, start_secured_ignored_when_associated)
{
	struct config *c = make(1, "fabrikam", "secured");
	struct policy p;

	policy_resolve(c, &p);
	cr_assert_not(L(&p, UMEDGE_TRANSPORT_TLS)->enabled);
	cr_assert(L(&p, UMEDGE_TRANSPORT_UDP)->enabled);
	config_free(c);
}

Test(policy, listeners_json_shape)
{
	struct config *c = make(0, "contoso, fabrikam", "secured");
	struct policy p;
	json_t *j;

	policy_resolve(c, &p);
	j = policy_listeners_json(c, &p);
	cr_assert_eq(json_array_size(j), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *l = json_array_get(j, i);
		cr_assert(json_is_string(json_object_get(l, "transport")));
		cr_assert(json_is_integer(json_object_get(l, "port")));
		cr_assert(json_is_array(json_object_get(l, "dial_plans")));
	}
	json_decref(j);
	config_free(c);
}

struct capture {
	int n;
	char ids[16][48];
	json_t *last;
};

static void sink(const json_t *ev, void *ctx)
{
	struct capture *cap = ctx;

	if (cap->n < 16)
		snprintf(cap->ids[cap->n], 48, "%s", json_string_value(json_object_get(ev, "id")));
	cap->n++;
	json_decref(cap->last);
	cap->last = json_deep_copy(ev);
}

static void open_log(struct events_log *log, struct capture *cap, char *dir)
{
	cr_assert_not_null(mkdtemp(dir));
	memset(log, 0, sizeof(*log));
	cr_assert_eq(events_open(log, dir, false), 0);
	log->sink = sink;
	log->sink_ctx = cap;
}

Test(policy, diff_reports_mode_and_association_changes)
{
	char dir[] = "/tmp/umedge-policy-XXXXXX";
	struct capture cap = { 0 };
	struct events_log log;
	struct config *a = make(0, "contoso, fabrikam", "secured");
	struct config *b = make(0, "contoso", "sip_secured");
	json_t *tail;

	open_log(&log, &cap, dir);
	cr_assert_eq(policy_diff(a, b, &log), 2);
	cr_assert_str_eq(cap.ids[0], "SecurityModeChanged");
	cr_assert_str_eq(cap.ids[1], "DialPlanAssociationChanged");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(cap.last, "fields"),
							   "dial_plan")),
			 "fabrikam");
	/* The same events are on disk, one JSON object a line. */
	tail = events_tail(&log, 10);
	cr_assert_eq(json_array_size(tail), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tail, 0), "id")),
			 "SecurityModeChanged");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tail, 0), "severity")),
			 "info");
	json_decref(tail);
	cr_assert_eq(policy_diff(b, b, &log), 0);
	cr_assert_eq(policy_diff(NULL, b, &log), 0);
	events_close(&log);
	json_decref(cap.last);
	config_free(a);
	config_free(b);
	unlink(log.path);
	rmdir(dir);
}

Test(policy, diff_reports_start_secured)
{
	char dir[] = "/tmp/umedge-policy-XXXXXX";
	struct capture cap = { 0 };
	struct events_log log;
	struct config *a = make(0, "", "secured");
	struct config *b = make(1, "", "secured");

	open_log(&log, &cap, dir);
	cr_assert_eq(policy_diff(a, b, &log), 1);
	cr_assert_str_eq(cap.ids[0], "SecurityModeChanged");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(cap.last, "fields"),
							   "new")),
			 "secured");
	events_close(&log);
	json_decref(cap.last);
	config_free(a);
	config_free(b);
	unlink(log.path);
	rmdir(dir);
}

Test(events, tail_limits_and_skips_garbage)
{
	char dir[] = "/tmp/umedge-events-XXXXXX";
	struct capture cap = { 0 };
	struct events_log log;
	json_t *tail;

	open_log(&log, &cap, dir);
	for (int i = 0; i < 20; i++)
		events_emitf(&log, UMEDGE_EV_ConfigChanged, "{s:i}", "n", i);
	cr_assert_eq(write(log.fd, "not json\n", 9), 9);
	events_emitf(&log, UMEDGE_EV_ConfigRejected, "{s:s}", "reason", "x");
	tail = events_tail(&log, 5);
	/* 5 lines, one of which is garbage and skipped. */
	cr_assert_eq(json_array_size(tail), 4);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tail, 3), "id")),
			 "ConfigRejected");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(tail, 3), "severity")),
			 "error");
	json_decref(tail);
	cr_assert_eq(cap.n, 21);
	events_close(&log);
	json_decref(cap.last);
	unlink(log.path);
	rmdir(dir);
}
