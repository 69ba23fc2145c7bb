/*
 * sip_calls.h: the calls in flight of one proxy, for sip status: a set of
 * Call-ID hashes with the time each was last confirmed. A call enters on a
 * 2xx to INVITE, leaves on the answer to its BYE, and, since a transaction-
 * stateful proxy sees no dialog end it missed, ages out when idle too long.
 * Bounded: past its capacity a call is counted as untracked, never stored.
 */
#ifndef UMEDGE_SIP_CALLS_H
#define UMEDGE_SIP_CALLS_H

#include <stdbool.h>
#include <stdint.h>

struct sip_calls {
	uint64_t *keys;		/* 0: empty slot */
	uint64_t *last_ms;
	uint32_t mask;		/* capacity - 1, a power of two */
	uint32_t n, max;	/* stored; at most max (3/4 of capacity) */
};

/* Room for at least max_calls. 0 or -1 (no memory). */
int sip_calls_init(struct sip_calls *c, uint32_t max_calls);
void sip_calls_fini(struct sip_calls *c);
/* Add or refresh the call. false: full (not stored). */
bool sip_calls_add(struct sip_calls *c, uint64_t key, uint64_t now_ms);
/* true when the call was there. */
bool sip_calls_remove(struct sip_calls *c, uint64_t key);
/* Remove calls not refreshed since now_ms - idle_ms; returns how many. */
unsigned sip_calls_expire(struct sip_calls *c, uint64_t now_ms, uint64_t idle_ms);

#endif
