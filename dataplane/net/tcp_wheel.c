/*
 * tcp_wheel.c: single-level hashed timer wheel with 1 ms ticks. Each slot
 * holds an intrusive list; a node far in the future sits in the slot of
 * its expiry modulo the wheel size and is skipped until its turn. The
 * caller advances the wheel with its own clock: no syscalls.
 */
#include <errno.h>

#include <rte_malloc.h>

#include "tcp_internal.h"

int tcp_wheel_init(struct tcp_wheel *w, uint32_t nslots, uint64_t now, int socket_id)
{
	if (nslots == 0 || (nslots & (nslots - 1)) != 0)
		return -EINVAL;
	w->slots = rte_zmalloc_socket("tcp_wheel", nslots * sizeof(*w->slots), 0, socket_id);
	if (w->slots == NULL)
		return -ENOMEM;
	w->mask = nslots - 1;
	w->cur = now;
	return 0;
}

void tcp_wheel_fini(struct tcp_wheel *w)
{
	rte_free(w->slots);
	w->slots = NULL;
}

static void link_node(struct tcp_wheel *w, struct tcp_tnode *n)
{
	struct tcp_tnode **head = &w->slots[n->expire & w->mask];

	n->next = *head;
	if (n->next != NULL)
		n->next->pprev = &n->next;
	n->pprev = head;
	*head = n;
}

void tcp_wheel_cancel(struct tcp_tnode *n)
{
	if (n->pprev == NULL)
		return;
	*n->pprev = n->next;
	if (n->next != NULL)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

void tcp_wheel_schedule(struct tcp_wheel *w, struct tcp_tnode *n, uint64_t expire)
{
	tcp_wheel_cancel(n);
	/* never in the past: the slot for the past may already be processed */
	n->expire = expire < w->cur ? w->cur : expire;
	link_node(w, n);
}

unsigned tcp_wheel_advance(struct tcp_wheel *w, uint64_t now, tcp_wheel_fn fn, void *ctx)
{
	uint64_t first = w->cur, ticks, t;
	unsigned fired = 0;

	if (now < first)
		return 0;
	ticks = now - first + 1;
	/* after a long pause one turn visits every slot */
	if (ticks > (uint64_t)w->mask + 1)
		ticks = (uint64_t)w->mask + 1;
	/* nodes scheduled by callbacks land after now */
	w->cur = now + 1;
	for (t = 0; t < ticks; t++) {
		struct tcp_tnode **head = &w->slots[(first + t) & w->mask];
		struct tcp_tnode *list = *head, *n;

		*head = NULL;
		if (list != NULL)
			list->pprev = &list;
		while ((n = list) != NULL) {
			list = n->next;
			if (list != NULL)
				list->pprev = &list;
			n->next = NULL;
			n->pprev = NULL;
			if (n->expire <= now) {
				fired++;
				fn(n, ctx);
			} else {
				link_node(w, n);
			}
		}
	}
	return fired;
}
