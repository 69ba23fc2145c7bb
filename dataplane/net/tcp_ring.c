/*
 * tcp_ring.c: power-of-two byte ring used as the send buffer (kept until
 * acknowledged, for retransmission) and the receive buffer (in-order bytes
 * the app has not taken yet, followed by out-of-order bytes at their offset).
 */
#include <string.h>

#include "tcp_internal.h"

void tcp_ring_init(struct tcp_ring *r, uint8_t *mem, uint32_t size)
{
	r->data = mem;
	r->size = size;
	r->mask = size - 1;
	r->head = 0;
	r->len = 0;
}

void tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n)
{
	uint32_t pos = (r->head + off) & r->mask;
	uint32_t first = r->size - pos;

	if (first > n)
		first = n;
	memcpy(r->data + pos, src, first);
	if (n > first)
		memcpy(r->data, (const uint8_t *)src + first, n - first);
}

void tcp_ring_read_at(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
	uint32_t pos = (r->head + off) & r->mask;
	uint32_t first = r->size - pos;

	if (first > n)
		first = n;
	memcpy(dst, r->data + pos, first);
	if (n > first)
		memcpy((uint8_t *)dst + first, r->data, n - first);
}

uint32_t tcp_ring_append(struct tcp_ring *r, const void *src, uint32_t n)
{
	uint32_t room = r->size - r->len;

	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	tcp_ring_write_at(r, r->len, src, n);
	r->len += n;
	return n;
}

void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	r->head = (r->head + n) & r->mask;
	r->len -= n;
}

uint32_t tcp_ring_peek(const struct tcp_ring *r, const uint8_t **p)
{
	uint32_t first = r->size - r->head;

	*p = r->data + r->head;
	return r->len < first ? r->len : first;
}
