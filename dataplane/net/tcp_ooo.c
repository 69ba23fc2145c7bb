/*
 * tcp_ooo.c: the out-of-order queue. Out-of-order payload is copied into
 * the receive ring at its offset from rcv_nxt, so the queue only remembers
 * which sequence ranges are filled: a small sorted array of disjoint
 * ranges. Its size bounds the work per segment and defeats the attack of
 * many one-byte holes.
 */
#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

void tcp_ooo_init(struct tcp_ooo *o, uint16_t max)
{
	o->n = 0;
	o->max = max > TCP_OOO_MAX ? TCP_OOO_MAX : max;
	if (o->max == 0)
		o->max = 1;
}

int tcp_ooo_add(struct tcp_ooo *o, uint32_t start, uint32_t end)
{
	uint16_t i, j;

	if (!tcp_seq_lt(start, end))
		return 0;
	/* first range ending at or after start: it may touch or overlap */
	for (i = 0; i < o->n; i++)
		if (tcp_seq_ge(o->r[i].end, start))
			break;
	/* ranges i..j-1 overlap or touch [start, end): merge them */
	for (j = i; j < o->n && tcp_seq_le(o->r[j].start, end); j++) {
		start = tcp_seq_min(start, o->r[j].start);
		end = tcp_seq_max(end, o->r[j].end);
	}
	if (j == i) {
		if (o->n >= o->max)
			return -ENOSPC;
		memmove(&o->r[i + 1], &o->r[i], (o->n - i) * sizeof(o->r[0]));
		o->n++;
	} else if (j > i + 1) {
		memmove(&o->r[i + 1], &o->r[j], (o->n - j) * sizeof(o->r[0]));
		o->n -= j - i - 1;
	}
	o->r[i].start = start;
	o->r[i].end = end;
	return 0;
}

uint32_t tcp_ooo_advance(struct tcp_ooo *o, uint32_t nxt)
{
	uint16_t i = 0;

	while (i < o->n && tcp_seq_le(o->r[i].start, nxt)) {
		nxt = tcp_seq_max(nxt, o->r[i].end);
		i++;
	}
	if (i > 0) {
		memmove(&o->r[0], &o->r[i], (o->n - i) * sizeof(o->r[0]));
		o->n -= i;
	}
	return nxt;
}

uint32_t tcp_ooo_bytes(const struct tcp_ooo *o)
{
	uint32_t sum = 0;

	for (uint16_t i = 0; i < o->n; i++)
		sum += o->r[i].end - o->r[i].start;
	return sum;
}
