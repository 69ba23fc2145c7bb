/*
 * sip_call.c: see sip_call.h. The records: a pool with a free list, found
 * by Call-ID through the index; the Call-ID kept in the record is compared
 * too, so two Call-IDs with one hash never share a call.
 */
#include "sip_call.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sip_msg_int.h"

uint64_t sip_call_key(struct sip_str call_id)
{
	return sip_fnv1a(call_id.p, call_id.len, SIP_FNV_BASIS);
}

int sip_call_table_init(struct sip_call_table *t, uint32_t max_calls, uint32_t first_id,
			uint32_t id_step)
{
	memset(t, 0, sizeof(*t));
	if (max_calls == 0)
		max_calls = 1;
	t->cap = max_calls;
	t->next_id = first_id ? first_id : 1;
	t->id_step = id_step ? id_step : 1;
	t->pool = calloc(max_calls, sizeof(*t->pool));
	t->free_list = calloc(max_calls, sizeof(*t->free_list));
	if (t->pool == NULL || t->free_list == NULL ||
	    sip_calls_init(&t->index, max_calls) != 0) {
		sip_call_table_fini(t);
		return -1;
	}
	for (uint32_t i = max_calls; i-- > 0;)
		t->free_list[t->n_free++] = i;
	return 0;
}

void sip_call_table_fini(struct sip_call_table *t)
{
	if (t->pool != NULL)
		OPENSSL_cleanse(t->pool, (size_t)t->cap * sizeof(*t->pool));
	OPENSSL_cleanse(&t->tmp, sizeof(t->tmp));
	free(t->pool);
	free(t->free_list);
	sip_calls_fini(&t->index);
	t->pool = NULL;
	t->free_list = NULL;
}

static bool same_id(const struct sip_call *c, struct sip_str call_id)
{
	size_t n = call_id.len < SIP_CALL_ID_MAX - 1 ? call_id.len : SIP_CALL_ID_MAX - 1;

	return strlen(c->call_id) == n && memcmp(c->call_id, call_id.p, n) == 0;
}

struct sip_call *sip_call_find(struct sip_call_table *t, struct sip_str call_id)
{
	uint32_t i;
	struct sip_call *c;

	if (call_id.p == NULL || !sip_calls_find(&t->index, sip_call_key(call_id), &i))
		return NULL;
	c = &t->pool[i];
	return same_id(c, call_id) ? c : NULL;
}

struct sip_call *sip_call_new(struct sip_call_table *t, struct sip_str call_id, uint64_t now_ms)
{
	uint64_t key = sip_call_key(call_id);
	struct sip_call *c;
	uint32_t i, other;

	if (t->n_free == 0 || sip_calls_find(&t->index, key, &other))
		return NULL; /* full, or another call has this hash */
	i = t->free_list[t->n_free - 1];
	if (!sip_calls_add(&t->index, key, i, now_ms))
		return NULL;
	t->n_free--;
	c = &t->pool[i];
	memset(c, 0, sizeof(*c));
	c->key = key;
	c->id = t->next_id;
	t->next_id += t->id_step;
	if (t->next_id < t->id_step) /* wrapped: start again at the first id */
		t->next_id = (c->id - 1) % t->id_step + 1;
	{
		size_t n = call_id.len < SIP_CALL_ID_MAX - 1 ? call_id.len : SIP_CALL_ID_MAX - 1;

		memcpy(c->call_id, call_id.p, n);
		c->call_id[n] = '\0';
	}
	c->created_ms = now_ms;
	return c;
}

void sip_call_touch(struct sip_call_table *t, struct sip_call *c, uint64_t now_ms)
{
	(void)sip_calls_add(&t->index, c->key, (uint32_t)(c - t->pool), now_ms);
}

void sip_call_set_answered(struct sip_call_table *t, struct sip_call *c, uint64_t now_ms)
{
	if (c->state != SIP_CALL_ANSWERED) {
		c->state = SIP_CALL_ANSWERED;
		c->answered_ms = now_ms;
		t->answered++;
	}
}

static void release(struct sip_call_table *t, struct sip_call *c,
		    const struct sip_media_ops *ops, struct sip_media_counters *final)
{
	struct sip_media_counters none;

	if (final == NULL)
		final = &none;
	memset(final, 0, sizeof(*final));
	if (ops != NULL && (c->media != NULL || c->has_ports))
		ops->close(ops->arg, c->media, c->local, final);
	if (c->state == SIP_CALL_ANSWERED)
		t->answered--;
	if (c->late_sdp != NULL) {
		OPENSSL_cleanse(c->late_sdp, c->late_len); /* it holds our key */
		free(c->late_sdp);
	}
	/* keys in the streams: wiped with the rest of the record */
	OPENSSL_cleanse(c, sizeof(*c));
	t->free_list[t->n_free++] = (uint32_t)(c - t->pool);
}

void sip_call_end(struct sip_call_table *t, struct sip_call *c, const struct sip_media_ops *ops,
		  struct sip_media_counters *final)
{
	if (c == NULL || c->key == 0)
		return;
	(void)sip_calls_remove(&t->index, c->key);
	release(t, c, ops, final);
}

struct sip_call *sip_call_by_id(struct sip_call_table *t, uint32_t id)
{
	/* a scan: for the operator's verbs, not for messages */
	for (uint32_t i = 0; i < t->cap; i++)
		if (t->pool[i].key != 0 && t->pool[i].id == id)
			return &t->pool[i];
	return NULL;
}

struct expiry {
	struct sip_call_table *t;
	const struct sip_media_ops *ops;
};

static void expired(void *arg, uint32_t i)
{
	struct expiry *x = arg;

	release(x->t, &x->t->pool[i], x->ops, NULL);
}

unsigned sip_call_expire(struct sip_call_table *t, const struct sip_media_ops *ops,
			 uint64_t now_ms, uint64_t idle_ms)
{
	struct expiry x = { t, ops };

	return sip_calls_expire(&t->index, now_ms, idle_ms, expired, &x);
}
