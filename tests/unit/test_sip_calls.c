/* The set of calls in flight: add, refresh, remove, expire, and a long
 * random churn checked against a plain array (backward-shift deletion
 * must never lose an entry another probe run needs). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "sip_calls.h"

Test(sip_calls, add_refresh_remove_expire)
{
	struct sip_calls c;
	uint32_t v;

	cr_assert_eq(sip_calls_init(&c, 100), 0);
	cr_expect(sip_calls_add(&c, 42, 7, 1000));
	cr_expect(sip_calls_add(&c, 42, 8, 2000), "a refresh");
	cr_expect_eq(c.n, 1);
	cr_expect(sip_calls_find(&c, 42, &v) && v == 7, "the value stays through a refresh");
	cr_expect(!sip_calls_find(&c, 44, &v));
	cr_expect(sip_calls_add(&c, 43, 9, 1000));
	cr_expect_eq(sip_calls_expire(&c, 5000, 3500, NULL, NULL), 1, "43 idle since 1000");
	cr_expect(sip_calls_remove(&c, 42));
	cr_expect(!sip_calls_remove(&c, 42));
	cr_expect(!sip_calls_remove(&c, 43));
	cr_expect_eq(c.n, 0);
	sip_calls_fini(&c);
}

Test(sip_calls, bounded)
{
	struct sip_calls c;
	unsigned stored = 0;

	cr_assert_eq(sip_calls_init(&c, 10), 0);
	for (uint64_t k = 1; k <= 1000; k++)
		stored += sip_calls_add(&c, k * 0x9e3779b97f4a7c15ull, (uint32_t)k, 0);
	cr_expect_eq(stored, c.max);
	cr_expect_geq(c.max, 10);
	cr_expect_lt(c.max, c.mask + 1, "never full: probes always end");
	sip_calls_fini(&c);
}

static unsigned gone_n;

static void count_gone(void *arg, uint32_t val)
{
	bool *in = arg;

	cr_assert(in[val], "expired %u, which was not in", val);
	in[val] = false;
	gone_n++;
}

Test(sip_calls, random_churn_against_a_reference)
{
	enum { KEYS = 300, ROUNDS = 200000 };
	static uint64_t keys[KEYS];
	static bool in[KEYS];
	struct sip_calls c;
	unsigned n = 0;

	srand(7);
	/* few distinct home slots: long probe runs, many shifts */
	for (unsigned i = 0; i < KEYS; i++)
		keys[i] = ((uint64_t)rand() << 32 | (uint64_t)rand()) | 2;
	cr_assert_eq(sip_calls_init(&c, 256), 0);
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned i = (unsigned)rand() % KEYS;

		if (rand() % 3 == 0) {
			cr_assert_eq(sip_calls_remove(&c, keys[i]), in[i], "round %u key %u", r, i);
			n -= in[i];
			in[i] = false;
		} else if (sip_calls_add(&c, keys[i], i, r)) {
			n += !in[i];
			in[i] = true;
		} else {
			cr_assert(!in[i] && c.n == c.max);
		}
		cr_assert_eq(c.n, n);
	}
	/* everything still there is found, then expiry empties the set */
	for (unsigned i = 0; i < KEYS; i++)
		if (in[i]) {
			uint32_t v = KEYS;

			cr_assert(sip_calls_find(&c, keys[i], &v) && v == i, "key %u", i);
			cr_assert(sip_calls_add(&c, keys[i], i, ROUNDS));
		}
	gone_n = 0;
	cr_expect_eq(sip_calls_expire(&c, 10ull * ROUNDS, 1, count_gone, in), n);
	cr_expect_eq(gone_n, n);
	cr_expect_eq(c.n, 0);
	sip_calls_fini(&c);
}
