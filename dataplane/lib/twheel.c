/*
 * twheel.c: see twheel.h. Moved out of the TCP stack so that the SIP
 * transaction timers run on the same wheel.
 */
#include <errno.h>
#include <stddef.h>

#include "twheel.h"

int twheel_init(struct twheel *w, struct twheel_node **slots, uint32_t nslots, uint64_t now)
{
	if (slots == NULL || nslots == 0 || (nslots & (nslots - 1)) != 0)
		return -EINVAL;
	w->slots = slots;
	w->mask = nslots - 1;
	w->cur = now;
	return 0;
}

static void link_node(struct twheel *w, struct twheel_node *n)
{
	struct twheel_node **head = &w->slots[n->expire & w->mask];

	n->next = *head;
	if (n->next != NULL)
		n->next->pprev = &n->next;
	n->pprev = head;
	*head = n;
}

void twheel_cancel(struct twheel_node *n)
{
	if (n->pprev == NULL)
		return;
	*n->pprev = n->next;
	if (n->next != NULL)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
}

void twheel_schedule(struct twheel *w, struct twheel_node *n, uint64_t expire)
{
	twheel_cancel(n);
	/* never in the past: the slot for the past may already be processed */
	n->expire = expire < w->cur ? w->cur : expire;
	link_node(w, n);
}

unsigned twheel_advance(struct twheel *w, uint64_t now, twheel_fn fn, void *ctx)
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
		struct twheel_node **head = &w->slots[(first + t) & w->mask];
		struct twheel_node *list = *head, *n;

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
