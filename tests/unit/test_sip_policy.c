/*
 * test_sip_policy.c: every dial plan's security mode on a snapshot made by
 * hand: gateways by address and by certificate FQDN, dial plans by hunt
 * group (exact pilot before the catch-all), association, the transport
 * against the mode, a call keeping its mode after a change, the legacy
 * start_secured, the outbound rule, and the words of every refusal.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "sip_policy.h"

static struct snapshot_dial_plan plans[] = {
	{ .name = "dp-secure", .security = UMEDGE_SEC_SECURED, .associated = true },
	{ .name = "dp-sig", .security = UMEDGE_SEC_SIP_SECURED, .associated = true },
	{ .name = "dp-plain", .security = UMEDGE_SEC_UNSECURED, .associated = true },
	{ .name = "dp-off", .security = UMEDGE_SEC_UNSECURED, .associated = false },
};

static struct snapshot_gateway gws[] = {
	{ .name = "gw1", .port = 5061, .fqdn = "gw1.example.test" },
	{ .name = "pbx2", .port = 5060, .fqdn = "pbx2.example.test" },
};

static struct snapshot_hunt_group hgs[] = {
	{ .gateway = "gw1", .pilot = "+14255550100", .dial_plan = "dp-secure" },
	{ .gateway = "gw1", .pilot = "", .dial_plan = "dp-sig" },
	{ .gateway = "pbx2", .pilot = "4000", .dial_plan = "dp-plain" },
	{ .gateway = "pbx2", .pilot = "4999", .dial_plan = "dp-off" },
};

static struct dp_snapshot snap;

static void setup(void)
{
	memset(&snap, 0, sizeof(snap));
	strcpy(snap.fqdn, "um1.example.test");
	gws[0].addr = htonl(0xc000020a); /* 192.0.2.10 */
	gws[1].addr = htonl(0xc0000214); /* 192.0.2.20 */
	snap.dial_plans = plans;
	snap.n_dial_plans = 4;
	snap.gateways = gws;
	snap.n_gateways = 2;
	snap.hunt_groups = hgs;
	snap.n_hunt_groups = 4;
	plans[0].associated = plans[1].associated = plans[2].associated = true;
	plans[3].associated = false;
}

TestSuite(sip_policy, .init = setup);

static const struct sip_peer tls_gw1 = { 0, UMEDGE_TRANSPORT_TLS, 40000, 0xc000020a, 3 };
static const struct sip_peer udp_gw1 = { 0, UMEDGE_TRANSPORT_UDP, 5060, 0xc000020a, 0 };
static const struct sip_peer udp_pbx2 = { 0, UMEDGE_TRANSPORT_UDP, 5060, 0xc0000214, 0 };
static const struct sip_peer tcp_pbx2 = { 0, UMEDGE_TRANSPORT_TCP, 41000, 0xc0000214, 5 };
static const char *const gw1_names[] = { "gw1.example.test" };

static struct sip_str s(const char *p)
{
	return (struct sip_str){ p, (uint32_t)strlen(p) };
}

Test(sip_policy, accepted_with_their_mode)
{
	struct sip_policy_result r;

	sip_policy_inbound(&snap, &tls_gw1, gw1_names, 1, s("+14255550100"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_ACCEPT);
	cr_expect_eq(r.status, 0);
	cr_expect_str_eq(r.gateway->name, "gw1");
	cr_expect_str_eq(r.dial_plan->name, "dp-secure", "the exact pilot wins");
	cr_expect_eq(r.mode, UMEDGE_SEC_SECURED);
	sip_policy_inbound(&snap, &tls_gw1, gw1_names, 1, s("+14255550199"), &r);
	cr_expect_str_eq(r.dial_plan->name, "dp-sig", "the catch-all hunt group");
	cr_expect_eq(r.mode, UMEDGE_SEC_SIP_SECURED);
	sip_policy_inbound(&snap, &tcp_pbx2, NULL, 0, s("4000"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_ACCEPT);
	cr_expect_eq(r.mode, UMEDGE_SEC_UNSECURED);
	sip_policy_inbound(&snap, &udp_pbx2, NULL, 0, s("4000"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_ACCEPT);
}

Test(sip_policy, unknown_gateway_403)
{
	struct sip_policy_result r;
	struct sip_peer stranger = udp_gw1;
	static const char *const other[] = { "gw9.example.test" };

	stranger.addr = 0xcb007101; /* 203.0.113.1 */
	sip_policy_inbound(&snap, &stranger, NULL, 0, s("4000"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_UNKNOWN_GATEWAY);
	cr_expect_eq(r.status, 403);
	cr_expect_eq(r.event, UMEDGE_EV_SipUnknownGateway);
	cr_expect_str_eq(r.detail, "source=203.0.113.1:5060 transport=udp");
	/* over TLS the certificate decides, not the address */
	sip_policy_inbound(&snap, &tls_gw1, other, 1, s("+14255550100"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_UNKNOWN_GATEWAY);
	cr_expect_str_eq(r.detail,
			 "source=192.0.2.10:40000 transport=tls certificate=gw9.example.test");
}

Test(sip_policy, no_dial_plan_404)
{
	struct sip_policy_result r;

	sip_policy_inbound(&snap, &udp_pbx2, NULL, 0, s("5000"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_NO_HUNT_GROUP);
	cr_expect_eq(r.status, 404);
	cr_expect_eq(r.event, UMEDGE_EV_SipNoDialPlan);
	cr_expect_str_eq(r.detail, "gateway=pbx2 source=192.0.2.20:5060 pilot=5000 "
				   "reason=no hunt group for this gateway and number");
	sip_policy_inbound(&snap, &udp_pbx2, NULL, 0, s("4999"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_NOT_ASSOCIATED);
	cr_expect_eq(r.status, 404);
	cr_expect(strstr(r.detail, "dial_plan=dp-off reason=dial plan not associated") != NULL,
		  "%s", r.detail);
}

Test(sip_policy, transport_must_fit_the_mode)
{
	struct sip_policy_result r;
	struct sip_peer tls_pbx2 = tcp_pbx2;
	static const char *const pbx2_names[] = { "pbx2.example.test" };

	/* a secured dial plan over UDP */
	sip_policy_inbound(&snap, &udp_gw1, NULL, 0, s("+14255550100"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_TRANSPORT_MISMATCH);
	cr_expect_eq(r.status, 403);
	cr_expect_eq(r.event, UMEDGE_EV_VoipSecurityMismatch);
	cr_expect_str_eq(r.warning,
			 "399 umedge \"dial plan dp-secure is secured: SIP over mutual tls "
			 "required, got udp\"");
	cr_expect_str_eq(r.detail, "gateway=gw1 source=192.0.2.10:5060 dial_plan=dp-secure "
				   "expected=secured transport=udp");
	/* an unsecured dial plan over TLS */
	tls_pbx2.transport = UMEDGE_TRANSPORT_TLS;
	sip_policy_inbound(&snap, &tls_pbx2, pbx2_names, 1, s("4000"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_TRANSPORT_MISMATCH);
	cr_expect(strstr(r.warning, "is unsecured: SIP over udp or tcp required, got tls"), "%s",
		  r.warning);
	cr_expect(sip_policy_transport_fits(UMEDGE_SEC_SIP_SECURED, UMEDGE_TRANSPORT_TLS));
	cr_expect(!sip_policy_transport_fits(UMEDGE_SEC_SIP_SECURED, UMEDGE_TRANSPORT_TCP));
	cr_expect(sip_policy_transport_fits(UMEDGE_SEC_UNSECURED, UMEDGE_TRANSPORT_TCP));
}

/* A call keeps the mode it was set up with: a BYE over UDP for a call made
 * over TLS is refused even after the dial plan became unsecured. */
Test(sip_policy, mode_change_new_calls_only)
{
	struct sip_policy_result setup_r, r;

	sip_policy_inbound(&snap, &tls_gw1, gw1_names, 1, s("+14255550100"), &setup_r);
	cr_assert_eq(setup_r.verdict, SIP_POLICY_ACCEPT);
	plans[0].security = UMEDGE_SEC_UNSECURED; /* the operator changes the mode */
	sip_policy_in_dialog(setup_r.mode, "gw1", "dp-secure", &udp_gw1, &r);
	cr_expect_eq(r.verdict, SIP_POLICY_TRANSPORT_MISMATCH, "the call keeps secured");
	sip_policy_in_dialog(setup_r.mode, "gw1", "dp-secure", &tls_gw1, &r);
	cr_expect_eq(r.verdict, SIP_POLICY_ACCEPT);
	/* a new call gets the new mode */
	sip_policy_inbound(&snap, &udp_gw1, NULL, 0, s("+14255550100"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_ACCEPT);
	cr_expect_eq(r.mode, UMEDGE_SEC_UNSECURED);
	plans[0].security = UMEDGE_SEC_SECURED;
}

Test(sip_policy, legacy_start_secured)
{
	struct sip_policy_result r;

	for (int i = 0; i < 4; i++)
		plans[i].associated = false;
	snap.start_secured = true;
	sip_policy_inbound(&snap, &tls_gw1, gw1_names, 1, s("anything"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_ACCEPT);
	cr_expect(r.legacy);
	cr_expect_eq(r.mode, UMEDGE_SEC_SECURED);
	sip_policy_inbound(&snap, &udp_pbx2, NULL, 0, s("4000"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_TRANSPORT_MISMATCH);
	cr_expect(strstr(r.warning, "(start_secured)") != NULL, "%s", r.warning);
	snap.start_secured = false;
	sip_policy_inbound(&snap, &udp_pbx2, NULL, 0, s("4000"), &r);
	cr_expect_eq(r.verdict, SIP_POLICY_ACCEPT);
	cr_expect_eq(r.mode, UMEDGE_SEC_UNSECURED);
}

Test(sip_policy, outbound_by_name_fqdn_address)
{
	struct sip_policy_result r;
	enum umedge_transport tp;

	cr_assert(sip_policy_outbound(&snap, s("gw1"), 0, &r, &tp));
	cr_expect_str_eq(r.gateway->name, "gw1");
	cr_expect_str_eq(r.dial_plan->name, "dp-secure", "the most secure of its dial plans");
	cr_expect_eq(tp, UMEDGE_TRANSPORT_TLS);
	cr_assert(sip_policy_outbound(&snap, s("PBX2.example.test"), 0, &r, &tp));
	cr_expect_str_eq(r.gateway->name, "pbx2");
	cr_expect_eq(tp, UMEDGE_TRANSPORT_UDP);
	cr_assert(sip_policy_outbound(&snap, s("192.0.2.10"), 0xc000020a, &r, &tp));
	cr_expect_str_eq(r.gateway->name, "gw1");
	cr_expect(!sip_policy_outbound(&snap, s("gw9"), 0, &r, &tp));
	/* a gateway whose dial plans are all off: refused with the reason */
	plans[2].associated = false;
	cr_assert(sip_policy_outbound(&snap, s("pbx2"), 0, &r, &tp));
	cr_expect_eq(r.verdict, SIP_POLICY_NOT_ASSOCIATED);
}
