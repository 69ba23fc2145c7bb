/*
 * twheel.h: a single-level hashed timer wheel on the caller's clock, for
 * any unit of time (TCP and SIP use milliseconds). Nodes are intrusive;
 * the slot array is the caller's (TCP takes it from rte_zmalloc, the
 * sans-I/O SIP core from calloc), so this file needs no DPDK. A node far
 * in the future sits in the slot of its expiry modulo the wheel size and
 * is skipped until its turn. No allocation, no syscall.
 */
#ifndef UMEDGE_TWHEEL_H
#define UMEDGE_TWHEEL_H

#include <stdbool.h>
#include <stdint.h>

struct twheel_node {
	struct twheel_node *next, **pprev;
	uint64_t expire;
};

struct twheel {
	struct twheel_node **slots;
	uint32_t mask;
	uint64_t cur;		/* next tick to process */
};

typedef void (*twheel_fn)(struct twheel_node *n, void *ctx);

/* slots: nslots zeroed entries, nslots a power of two; the caller owns
 * them and frees them after the last use of w. 0 or -EINVAL. */
int twheel_init(struct twheel *w, struct twheel_node **slots, uint32_t nslots, uint64_t now);
/* (Re)arm n for expire; a time in the past fires at the next advance. */
void twheel_schedule(struct twheel *w, struct twheel_node *n, uint64_t expire);
void twheel_cancel(struct twheel_node *n);
static inline bool twheel_pending(const struct twheel_node *n)
{
	return n->pprev != NULL;
}
/* Fire every node with expire <= now; returns how many fired. A callback
 * may schedule or cancel any node, itself included. */
unsigned twheel_advance(struct twheel *w, uint64_t now, twheel_fn fn, void *ctx);

#endif
