/* sip_calls.c: open addressing with linear probing and backward-shift
 * deletion (no tombstones, so lookups stay short after churn). */
#include "sip_calls.h"

#include <stdlib.h>

static uint32_t slot_of(const struct sip_calls *c, uint64_t key)
{
	return (uint32_t)((key ^ (key >> 29)) * 0x9e3779b97f4a7c15ull >> 32) & c->mask;
}

int sip_calls_init(struct sip_calls *c, uint32_t max_calls)
{
	uint32_t cap = 16;

	while (cap / 4 * 3 < max_calls && cap < (1u << 30))
		cap <<= 1;
	c->keys = calloc(cap, sizeof(*c->keys));
	c->last_ms = calloc(cap, sizeof(*c->last_ms));
	c->val = calloc(cap, sizeof(*c->val));
	c->mask = cap - 1;
	c->n = 0;
	c->max = cap / 4 * 3;
	if (c->keys == NULL || c->last_ms == NULL || c->val == NULL) {
		sip_calls_fini(c);
		return -1;
	}
	return 0;
}

void sip_calls_fini(struct sip_calls *c)
{
	free(c->keys);
	free(c->last_ms);
	free(c->val);
	c->keys = NULL;
	c->last_ms = NULL;
	c->val = NULL;
	c->n = 0;
}

bool sip_calls_add(struct sip_calls *c, uint64_t key, uint32_t val, uint64_t now_ms)
{
	uint32_t i;

	key += key == 0;	/* 0 marks an empty slot */
	for (i = slot_of(c, key); c->keys[i] != 0; i = (i + 1) & c->mask) {
		if (c->keys[i] == key) {
			c->last_ms[i] = now_ms;
			return true;
		}
	}
	if (c->n >= c->max)
		return false;
	c->keys[i] = key;
	c->last_ms[i] = now_ms;
	c->val[i] = val;
	c->n++;
	return true;
}

/* Empty slot i and pull back the entries of its probe run behind it. */
static void delete_at(struct sip_calls *c, uint32_t i)
{
	uint32_t j = i;

	c->keys[i] = 0;
	c->n--;
	for (;;) {
		j = (j + 1) & c->mask;
		if (c->keys[j] == 0)
			return;
		uint32_t home = slot_of(c, c->keys[j]);
		/* j's entry may move to i only if i lies on its way from home */
		if (((j - home) & c->mask) >= ((j - i) & c->mask)) {
			c->keys[i] = c->keys[j];
			c->last_ms[i] = c->last_ms[j];
			c->val[i] = c->val[j];
			c->keys[j] = 0;
			i = j;
		}
	}
}

bool sip_calls_find(const struct sip_calls *c, uint64_t key, uint32_t *val)
{
	key += key == 0;
	for (uint32_t i = slot_of(c, key); c->keys[i] != 0; i = (i + 1) & c->mask) {
		if (c->keys[i] == key) {
			*val = c->val[i];
			return true;
		}
	}
	return false;
}

bool sip_calls_remove(struct sip_calls *c, uint64_t key)
{
	key += key == 0;
	for (uint32_t i = slot_of(c, key); c->keys[i] != 0; i = (i + 1) & c->mask) {
		if (c->keys[i] == key) {
			delete_at(c, i);
			return true;
		}
	}
	return false;
}

unsigned sip_calls_expire(struct sip_calls *c, uint64_t now_ms, uint64_t idle_ms,
			  void (*gone)(void *arg, uint32_t val), void *arg)
{
	unsigned n_gone = 0;

	for (uint32_t i = 0; i <= c->mask; i++) {
		/* a backward shift may bring an unchecked entry into i: look again */
		while (c->keys[i] != 0 && now_ms - c->last_ms[i] > idle_ms) {
			uint32_t v = c->val[i];

			delete_at(c, i);
			if (gone != NULL)
				gone(arg, v);
			n_gone++;
		}
	}
	return n_gone;
}
