/*
 * sip_fixture.h: the snapshot the SIP proxy tests and its fuzz target
 * run against: gw1 (192.0.2.10, gw1.example.test) in a secured dial plan
 * with a catch-all hunt group, pbx2 (192.0.2.20) in an unsecured one for
 * pilot 4000, the application at 198.51.100.20:5060 over UDP. The tables
 * are the including file's own (static), so a test may change them.
 *
 * fx_media_ops: the media engine's side of the proxy for tests that run
 * without DPDK: it hands out port pairs (30000 up outside, 40000 up
 * inside), and records what the proxy installs and removes.
 */
#ifndef UMEDGE_SIP_FIXTURE_H
#define UMEDGE_SIP_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <stdio.h>

#include "sip_call.h"
#include "snapshot.h"

#define FX_GW1_ADDR 0xc000020au /* 192.0.2.10 */
#define FX_PBX_ADDR 0xc0000214u /* 192.0.2.20 */
#define FX_APP_ADDR 0xc6336414u /* 198.51.100.20 */

static struct snapshot_dial_plan plans[] = {
	{ .name = "dp-secure", .security = UMEDGE_SEC_SECURED, .associated = true },
	{ .name = "dp-plain", .security = UMEDGE_SEC_UNSECURED, .associated = true },
};
static struct snapshot_gateway gws[] = {
	{ .name = "gw1", .port = 5061, .fqdn = "gw1.example.test" },
	{ .name = "pbx2", .port = 5060, .fqdn = "pbx2.example.test" },
};
static struct snapshot_hunt_group hgs[] = {
	{ .gateway = "gw1", .pilot = "", .dial_plan = "dp-secure" },
	{ .gateway = "pbx2", .pilot = "4000", .dial_plan = "dp-plain" },
};

static inline void sip_fixture_snapshot(struct dp_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snprintf(snap->fqdn, sizeof(snap->fqdn), "um1.example.test");
	gws[0].addr = htonl(FX_GW1_ADDR);
	gws[1].addr = htonl(FX_PBX_ADDR);
	snap->dial_plans = plans;
	snap->n_dial_plans = sizeof(plans) / sizeof(plans[0]);
	snap->gateways = gws;
	snap->n_gateways = sizeof(gws) / sizeof(gws[0]);
	snap->hunt_groups = hgs;
	snap->n_hunt_groups = sizeof(hgs) / sizeof(hgs[0]);
	snap->has_application = true;
	snap->app_addr = htonl(FX_APP_ADDR);
	snap->app_port = 5060;
	snap->app_transport = UMEDGE_TRANSPORT_UDP;
}

static struct fx_media {
	unsigned opened, applied, closed, live;	/* live: handles given out */
	uint16_t pairs;
	bool fail_open, fail_apply;
	struct sip_media last;
	uint8_t key_in[46], key_out[46];	/* copies of last's keys */
	uintptr_t next_handle;
	uint64_t idle_ms;			/* what idle_ms answers */
	uint64_t packets;			/* each way, in the final counters */
} fx_media;

static inline int fx_media_open(void *arg, uint16_t local[2])
{
	(void)arg;
	if (fx_media.fail_open)
		return -ENOSPC;
	local[0] = (uint16_t)(30000 + 2 * fx_media.pairs);
	local[1] = (uint16_t)(40000 + 2 * fx_media.pairs);
	fx_media.pairs++;
	fx_media.opened++;
	return 0;
}

static inline int fx_media_apply(void *arg, void **handle, const struct sip_media *m)
{
	(void)arg;
	if (fx_media.fail_apply)
		return -ENOMEM;
	if (*handle == NULL) {
		*handle = (void *)++fx_media.next_handle;
		fx_media.live++;
	}
	fx_media.applied++;
	fx_media.last = *m;
	memcpy(fx_media.key_in, m->key_in, m->key_len);
	memcpy(fx_media.key_out, m->key_out, m->key_len);
	return 0;
}

static inline void fx_media_close(void *arg, void *handle, const uint16_t local[2],
				  struct sip_media_counters *final)
{
	(void)arg;
	(void)local;
	fx_media.closed++;
	if (handle != NULL) {
		fx_media.live--;
		final->packets[0] = final->packets[1] = fx_media.packets;
	}
}

static inline uint64_t fx_media_idle_ms(void *arg, const void *handle)
{
	(void)arg;
	(void)handle;
	return fx_media.idle_ms;
}

static inline void fx_media_counters(void *arg, const void *handle,
				     struct sip_media_counters *out)
{
	(void)arg;
	memset(out, 0, sizeof(*out));
	if (handle != NULL)
		out->packets[0] = out->packets[1] = fx_media.packets;
}

static const struct sip_media_ops fx_media_ops = { fx_media_open, fx_media_apply, fx_media_close,
						   fx_media_idle_ms, fx_media_counters, NULL };

#endif
