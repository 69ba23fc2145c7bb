/*
 * sip_calls.h: the index of one proxy's calls: Call-ID hash -> a value
 * (the slot of the call's record, sip_call.h), with the time each was last
 * confirmed, so that calls whose end the proxy missed age out. Bounded:
 * past its capacity nothing more is stored.
 */
#ifndef UMEDGE_SIP_CALLS_H
#define UMEDGE_SIP_CALLS_H

#include <stdbool.h>
#include <stdint.h>

struct sip_calls {
	uint64_t *keys;		/* 0: empty slot */
	uint64_t *last_ms;
	uint32_t *val;
	uint32_t mask;		/* capacity - 1, a power of two */
	uint32_t n, max;	/* stored; at most max (3/4 of capacity) */
};

/* Room for at least max_calls. 0 or -1 (no memory). */
int sip_calls_init(struct sip_calls *c, uint32_t max_calls);
void sip_calls_fini(struct sip_calls *c);
/* Add the call with its value, or refresh it (the value is kept). false:
 * full (not stored). */
bool sip_calls_add(struct sip_calls *c, uint64_t key, uint32_t val, uint64_t now_ms);
/* The value stored for key: true when there. */
bool sip_calls_find(const struct sip_calls *c, uint64_t key, uint32_t *val);
/* true when the call was there. */
bool sip_calls_remove(struct sip_calls *c, uint64_t key);
/* Remove calls not refreshed since now_ms - idle_ms, telling gone (may be
 * NULL) each one's value; returns how many. */
unsigned sip_calls_expire(struct sip_calls *c, uint64_t now_ms, uint64_t idle_ms,
			  void (*gone)(void *arg, uint32_t val), void *arg);

#endif
