/*
 * Timer wheel: ordering, cancel, far future (several turns), long pauses,
 * callbacks that re-arm.
 */
#include <criterion/criterion.h>
#include <rte_memory.h>

#include "test_tcp_harness.h"

struct rec {
	struct twheel_node n;
	uint64_t fired_at;
	int count;
	int rearm;
};

static uint64_t clock_now;

static void fire(struct twheel_node *n, void *ctx)
{
	struct rec *r = (struct rec *)n;
	struct twheel *w = ctx;

	r->fired_at = clock_now;
	r->count++;
	if (r->rearm-- > 0)
		twheel_schedule(w, n, clock_now + 10);
}

static void step_to(struct twheel *w, uint64_t t)
{
	while (clock_now < t) {
		clock_now++;
		twheel_advance(w, clock_now, fire, w);
	}
}

TestSuite(tcp_wheel, .init = test_eal_init);

Test(tcp_wheel, fires_on_time)
{
	struct twheel w;
	struct rec r[3] = { 0 };

	clock_now = 100;
	cr_assert_eq(tcp_wheel_init(&w, 64, clock_now, SOCKET_ID_ANY), 0);
	twheel_schedule(&w, &r[0].n, 105);
	twheel_schedule(&w, &r[1].n, 100 + 64 * 3 + 5);	/* three turns later */
	twheel_schedule(&w, &r[2].n, 150);
	step_to(&w, 104);
	cr_assert_eq(r[0].count, 0);
	step_to(&w, 105);
	cr_assert_eq(r[0].count, 1);
	cr_assert_eq(r[0].fired_at, 105);
	step_to(&w, 400);
	cr_assert_eq(r[1].count, 1);
	cr_assert_eq(r[1].fired_at, 100 + 64 * 3 + 5);
	cr_assert_eq(r[2].fired_at, 150);
	cr_assert(!twheel_pending(&r[1].n));
	tcp_wheel_fini(&w);
}

Test(tcp_wheel, cancel_and_reschedule)
{
	struct twheel w;
	struct rec a = { 0 }, b = { 0 };

	clock_now = 0;
	cr_assert_eq(tcp_wheel_init(&w, 16, 0, SOCKET_ID_ANY), 0);
	twheel_schedule(&w, &a.n, 5);
	twheel_schedule(&w, &b.n, 5);
	twheel_cancel(&a.n);
	twheel_schedule(&w, &b.n, 8);
	step_to(&w, 7);
	cr_assert_eq(a.count + b.count, 0);
	step_to(&w, 20);
	cr_assert_eq(a.count, 0);
	cr_assert_eq(b.count, 1);
	cr_assert_eq(b.fired_at, 8);
	tcp_wheel_fini(&w);
}

Test(tcp_wheel, long_pause_and_past)
{
	struct twheel w;
	struct rec r[10] = { 0 };

	clock_now = 0;
	cr_assert_eq(tcp_wheel_init(&w, 16, 0, SOCKET_ID_ANY), 0);
	for (int i = 0; i < 10; i++)
		twheel_schedule(&w, &r[i].n, (uint64_t)i * 37 + 1);
	/* one call after a long gap fires everything due, once */
	clock_now = 1000;
	cr_assert_eq(twheel_advance(&w, clock_now, fire, &w), 10);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(r[i].count, 1);
	/* a deadline in the past fires on the next tick */
	twheel_schedule(&w, &r[0].n, 3);
	step_to(&w, 1001);
	cr_assert_eq(r[0].count, 2);
	tcp_wheel_fini(&w);
}

Test(tcp_wheel, rearm_from_callback)
{
	struct twheel w;
	struct rec r = { .rearm = 3 };

	clock_now = 0;
	cr_assert_eq(tcp_wheel_init(&w, 8, 0, SOCKET_ID_ANY), 0);
	twheel_schedule(&w, &r.n, 2);
	step_to(&w, 100);
	cr_assert_eq(r.count, 4);
	cr_assert_eq(r.fired_at, 32);
	tcp_wheel_fini(&w);
}
