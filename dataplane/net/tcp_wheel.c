/*
 * tcp_wheel.c: the TCP stack's timer wheel is the shared one
 * (lib/twheel.c, 1 ms ticks); only its slots come from DPDK memory on the
 * stack's socket.
 */
#include <errno.h>

#include <rte_malloc.h>

#include "tcp_internal.h"

int tcp_wheel_init(struct twheel *w, uint32_t nslots, uint64_t now, int socket_id)
{
	struct twheel_node **slots;
	int rc;

	if (nslots == 0 || (nslots & (nslots - 1)) != 0)
		return -EINVAL;
	slots = rte_zmalloc_socket("tcp_wheel", nslots * sizeof(*slots), 0, socket_id);
	if (slots == NULL)
		return -ENOMEM;
	rc = twheel_init(w, slots, nslots, now);
	if (rc != 0)
		rte_free(slots);
	return rc;
}

void tcp_wheel_fini(struct twheel *w)
{
	rte_free(w->slots);
	w->slots = NULL;
}
