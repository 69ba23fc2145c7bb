/* tls_stats.c: TLS counters, summed over workers, to JSON. */
#include <jansson.h>

#include "tls.h"

const char *const tls_fail_names[TLS_FAIL_COUNT] = {
#define TLS_FAIL_NAME(n, s) [TLS_FAIL_##n] = s,
	TLS_FAIL_REASONS(TLS_FAIL_NAME)
#undef TLS_FAIL_NAME
};

void tls_stats_add(struct tls_stats *dst, const struct tls_stats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	_Static_assert(sizeof(struct tls_stats) % sizeof(uint64_t) == 0, "u64 only");
	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

#define J(v) json_integer((json_int_t)(v))

struct json_t *tls_stats_json(const struct tls_stats *s)
{
	json_t *o = json_object(), *f = json_object(), *a = json_object();
	uint64_t total = 0;

	if (o == NULL || f == NULL || a == NULL)
		goto fail;
	for (int i = 0; i < TLS_FAIL_COUNT; i++) {
		json_object_set_new(f, tls_fail_names[i], J(s->failures[i]));
		total += s->failures[i];
	}
	json_object_set_new(o, "handshakes", J(s->handshakes));
	json_object_set_new(o, "handshakes_server", J(s->handshakes_server));
	json_object_set_new(o, "handshakes_client", J(s->handshakes_client));
	json_object_set_new(o, "resumptions", J(s->resumptions));
	json_object_set_new(o, "tls13", J(s->tls13));
	json_object_set_new(o, "tls12", J(s->tls12));
	json_object_set_new(o, "failures_total", J(total));
	json_object_set_new(o, "failures", f);
	json_object_set_new(a, "offloads", J(s->async_offloads));
	json_object_set_new(a, "handshake_steps", J(s->hs_offloads));
	json_object_set_new(a, "inline", J(s->async_inline));
	json_object_set_new(a, "ring_full", J(s->async_ring_full));
	json_object_set_new(a, "completions", J(s->async_completions));
	json_object_set_new(a, "in_flight", J(s->async_inflight));
	json_object_set_new(o, "async", a);
	json_object_set_new(o, "connections", J(s->conns_open));
	json_object_set_new(o, "bytes_in", J(s->bytes_in));
	json_object_set_new(o, "bytes_out", J(s->bytes_out));
	json_object_set_new(o, "events_dropped", J(s->events_dropped));
	return o;
fail:
	json_decref(o);
	json_decref(f);
	json_decref(a);
	return NULL;
}
