/* The snapshot: everything control tells the dataplane, immutable once
 * published. Workers read the current one through an RCU-protected pointer
 * (rte_rcu_qsbr); the main lcore swaps it and frees the old one once every
 * worker has been quiescent. */
#ifndef UMEDGE_DP_SNAPSHOT_H
#define UMEDGE_DP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "umedge/config.h"
#include "umedge/modes.h"

struct rte_rcu_qsbr;

struct snapshot_listener {
	enum umedge_transport transport;
	uint16_t port;
};

struct snapshot_dial_plan {
	char name[CONFIG_NAME_MAX];
	enum umedge_security security;
	bool associated;
	enum umedge_srtp_suite suites[UMEDGE_SRTP_SUITE_COUNT];
	int n_suites;
};

struct snapshot_gateway {
	char name[CONFIG_NAME_MAX];
	uint32_t addr;               /* network order */
	uint16_t port;
	char fqdn[CONFIG_FQDN_MAX];
};

struct snapshot_hunt_group {
	char gateway[CONFIG_NAME_MAX];
	char pilot[CONFIG_PILOT_MAX];
	char dial_plan[CONFIG_NAME_MAX];
};

struct dp_snapshot {
	uint64_t version;
	char fqdn[CONFIG_FQDN_MAX];
	/* the legacy mode, used while no dial plan is associated: secured (1)
	 * or unsecured (0) */
	bool start_secured;
	/* open ports, for the stack's demultiplexing: bit p set = port p */
	uint64_t udp_open[65536 / 64];
	uint64_t tcp_open[65536 / 64];
	struct snapshot_listener *listeners;
	size_t n_listeners;
	struct snapshot_dial_plan *dial_plans;
	size_t n_dial_plans;
	struct snapshot_gateway *gateways;
	size_t n_gateways;
	struct snapshot_hunt_group *hunt_groups;
	size_t n_hunt_groups;
	bool has_application;
	uint32_t app_addr;           /* network order */
	uint16_t app_port;
	enum umedge_transport app_transport;
	char thumbprint_sha1[64];
	char *cert_pem;              /* NULL: none yet */
	char *key_pem;               /* wiped on free */
	char *trust_pem;
};

static inline bool snapshot_port_open(const uint64_t *bits, uint16_t port)
{
	return (bits[port >> 6] >> (port & 63)) & 1;
}

/* The port of the snapshot's listener for transport, 0 when control opened
 * none (or s is NULL: no control yet). */
static inline uint16_t snapshot_listener_port(const struct dp_snapshot *s,
					      enum umedge_transport transport)
{
	for (size_t i = 0; s != NULL && i < s->n_listeners; i++)
		if (s->listeners[i].transport == transport)
			return s->listeners[i].port;
	return 0;
}

/* Build a snapshot from the "snapshot" object of a push (version from the
 * push). Returns NULL and a reason in err when the object is malformed. */
struct dp_snapshot *snapshot_from_json(const json_t *obj, uint64_t version,
				       char *err, size_t errlen);
void snapshot_free(struct dp_snapshot *s);

/* Publication (main lcore only). snapshot_init sizes the QSBR variable for
 * n_workers reader threads (ids 0..n_workers-1). */
int snapshot_init(unsigned n_workers);
struct rte_rcu_qsbr *snapshot_qsbr(void);
/* Publish s (takes ownership); the previous one is freed once all workers
 * have passed a quiescent state. */
void snapshot_publish(struct dp_snapshot *s);
/* Free retired snapshots whose grace period has ended; wait when asked. */
void snapshot_reclaim(bool wait);
/* Reader side: the current snapshot or NULL. Valid until the reader's next
 * quiescent state report. */
const struct dp_snapshot *snapshot_current(void);
uint64_t snapshot_version(void);
void snapshot_fini(void);

#endif
