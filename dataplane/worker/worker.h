/* Worker lcores: run-to-completion loops over RX bursts. */
#ifndef UMEDGE_DP_WORKER_H
#define UMEDGE_DP_WORKER_H

#include <signal.h>

#include "dp.h"

/* Allocate and set up worker idx (rings, stack). Returns NULL on failure. */
struct worker *worker_new(struct dp *dp, unsigned idx, unsigned lcore);
/* Free a stopped worker and every mbuf it still holds. */
void worker_free(struct worker *w);
/* The signals the TAP PMD raises per packet (SIGIO, the real-time ones):
 * blocked everywhere but in the workers, which poll the ports. */
void worker_rx_signals(sigset_t *set);
/* lcore entry point; arg is the struct worker. Returns at dp->quit. */
int worker_main(void *arg);
/* One pass of the loop (exposed for tests and benchmarks): returns the
 * number of packets handled. */
unsigned worker_poll(struct worker *w);

#endif
