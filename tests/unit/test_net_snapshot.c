/* Snapshots from control's JSON, publication with RCU, the channel's line
 * handling. */
#include <string.h>

#include <criterion/criterion.h>
#include <rte_rcu_qsbr.h>

#include "ctl.h"
#include "snapshot.h"
#include "test_net_harness.h"

TestSuite(snapshot, .init = h_setup, .fini = h_teardown);

static const char *good =
	"{\"version\": 3, \"fqdn\": \"um1.example.test\", \"start_secured\": 1,"
	" \"listeners\": [{\"transport\": \"udp\", \"port\": 5060, \"dial_plans\": [\"f\"]},"
	"                 {\"transport\": \"tls\", \"port\": 5061, \"dial_plans\": [\"c\"]}],"
	" \"dial_plans\": [{\"name\": \"c\", \"voip_security\": \"secured\", \"associated\": true,"
	"                   \"srtp_suites\": [\"AEAD_AES_128_GCM\"]}],"
	" \"gateways\": [{\"name\": \"gw1\", \"address\": \"192.0.2.10\", \"port\": 0, \"fqdn\": \"gw1.example.test\"}],"
	" \"hunt_groups\": [{\"gateway\": \"gw1\", \"pilot\": \"5000\", \"dial_plan\": \"c\"}],"
	" \"application\": {\"address\": \"198.51.100.20\", \"port\": 5060, \"transport\": \"udp\"},"
	" \"certificate\": {\"thumbprint_sha1\": \"ab\", \"cert_pem\": \"C\", \"key_pem\": \"K\"},"
	" \"trust_pem\": \"\"}";

static struct dp_snapshot *parse(const char *text, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	struct dp_snapshot *s;

	cr_assert_not_null(o, "%s", jerr.text);
	s = snapshot_from_json(o, 3, err, errlen);
	json_decref(o);
	return s;
}

Test(snapshot, parses_control_snapshot)
{
	char err[256];
	struct dp_snapshot *s = parse(good, err, sizeof(err));

	cr_assert_not_null(s, "%s", err);
	cr_assert_eq(s->version, 3);
	cr_assert_str_eq(s->fqdn, "um1.example.test");
	cr_assert(s->start_secured);
	cr_assert_eq(s->n_listeners, 2);
	cr_assert(snapshot_port_open(s->udp_open, 5060));
	cr_assert(!snapshot_port_open(s->udp_open, 5061));
	cr_assert(snapshot_port_open(s->tcp_open, 5061), "TLS listens on TCP");
	cr_assert_eq(s->n_dial_plans, 1);
	cr_assert_eq(s->dial_plans[0].security, UMEDGE_SEC_SECURED);
	cr_assert_eq(s->dial_plans[0].n_suites, 1);
	cr_assert_eq(s->n_gateways, 1);
	cr_assert_eq(s->gateways[0].addr, h_ip("192.0.2.10"));
	cr_assert(s->has_application);
	cr_assert_str_eq(s->key_pem, "K");
	snapshot_free(s);
}

Test(snapshot, hostile_snapshots_are_refused)
{
	static const char *bad[] = {
		"[]",
		"{\"listeners\": [{\"transport\": \"sctp\", \"port\": 1}]}",
		"{\"listeners\": [{\"transport\": \"udp\", \"port\": 70000}]}",
		"{\"listeners\": [{\"transport\": \"udp\", \"port\": -1}]}",
		"{\"listeners\": [{\"transport\": \"udp\", \"port\": 0}]}",
		"{\"listeners\": [{\"transport\": \"udp\", \"port\": \"5060\"}]}",
		"{\"dial_plans\": [{\"name\": \"x\", \"voip_security\": \"maybe\"}]}",
		"{\"dial_plans\": [{\"voip_security\": \"secured\"}]}",
		"{\"dial_plans\": [{\"name\": \"x\", \"voip_security\": \"secured\", \"srtp_suites\": [\"ROT13\"]}]}",
		"{\"dial_plans\": [{\"name\": \"x\", \"voip_security\": \"secured\", \"srtp_suites\":"
		" [\"AEAD_AES_128_GCM\",\"AEAD_AES_128_GCM\",\"AEAD_AES_128_GCM\",\"AEAD_AES_128_GCM\","
		"\"AEAD_AES_128_GCM\",\"AEAD_AES_128_GCM\"]}]}",
		"{\"gateways\": [{\"name\": \"g\", \"address\": \"300.1.1.1\"}]}",
		"{\"gateways\": [{\"name\": \"g\", \"address\": \"192.0.2.1\", \"fqdn\": 5}]}",
		"{\"hunt_groups\": [{\"gateway\": \"g\", \"pilot\": \"12345678901234567890123456789012345\", \"dial_plan\": \"d\"}]}",
		"{\"application\": {\"address\": \"x\", \"port\": 1, \"transport\": \"udp\"}}",
		"{\"certificate\": {\"cert_pem\": \"C\"}}",
		"{\"fqdn\": 7}",
	};
	char err[256];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		struct dp_snapshot *s = parse(bad[i], err, sizeof(err));
		cr_expect_null(s, "accepted: %s", bad[i]);
		cr_expect_neq(err[0], '\0', "no reason for: %s", bad[i]);
		snapshot_free(s);
	}
	/* absent sections are fine: an empty snapshot */
	struct dp_snapshot *s = parse("{}", err, sizeof(err));
	cr_assert_not_null(s);
	cr_assert_eq(s->n_listeners, 0);
	cr_assert_null(s->cert_pem);
	snapshot_free(s);
}

Test(snapshot, publish_swaps_after_grace_period)
{
	char err[256];

	cr_assert_eq(snapshot_init(1), 0);
	struct rte_rcu_qsbr *qs = snapshot_qsbr();
	rte_rcu_qsbr_thread_register(qs, 0);
	rte_rcu_qsbr_thread_online(qs, 0);

	cr_assert_null(snapshot_current());
	snapshot_publish(parse(good, err, sizeof(err)));
	const struct dp_snapshot *s1 = snapshot_current();
	cr_assert_eq(snapshot_version(), 3);

	/* a reader holds s1; a new one is published: s1 must survive */
	struct dp_snapshot *n = parse(good, err, sizeof(err));
	n->version = 4;
	snapshot_publish(n);
	cr_assert_eq(snapshot_version(), 4);
	snapshot_reclaim(false);
	cr_assert_str_eq(s1->fqdn, "um1.example.test", "still readable");
	/* the reader passes a quiescent state: now it can go */
	rte_rcu_qsbr_quiescent(qs, 0);
	snapshot_reclaim(false);
	rte_rcu_qsbr_thread_offline(qs, 0);
	rte_rcu_qsbr_thread_unregister(qs, 0);
	snapshot_fini();
}

Test(snapshot, channel_lines)
{
	struct ctl c;
	char line[4096];

	cr_assert_eq(snapshot_init(1), 0);
	ctl_init(&c, "/nonexistent");
	c.state = CTL_HELLO_SENT;
	const char *ok = "{\"ok\": true, \"result\": {\"proto\": 1}}";
	cr_assert_eq(ctl_handle_line(&c, ok, strlen(ok)), 0);
	cr_assert(ctl_connected(&c));
	snprintf(line, sizeof(line), "{\"push\": \"snapshot\", \"version\": 9, \"snapshot\": %s}", good);
	cr_assert_eq(ctl_handle_line(&c, line, strlen(line)), 0);
	cr_assert_eq(snapshot_version(), 9);
	/* a broken snapshot is refused and the last one kept */
	const char *badpush = "{\"push\": \"snapshot\", \"version\": 10, \"snapshot\": {\"fqdn\": 1}}";
	cr_assert_eq(ctl_handle_line(&c, badpush, strlen(badpush)), 0);
	cr_assert_eq(snapshot_version(), 9);
	cr_assert_eq(c.rejected, 1);
	/* unknown messages are ignored, garbage drops the connection */
	const char *other = "{\"event\": {}}";
	cr_assert_eq(ctl_handle_line(&c, other, strlen(other)), 0);
	cr_assert_eq(ctl_handle_line(&c, "{nope", 5), -1);
	snapshot_fini();
}
