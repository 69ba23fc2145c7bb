/*
 * RTO estimator against RFC 6298.
 */
#include <criterion/criterion.h>

#include "tcp_internal.h"

Test(tcp_rto, initial_value)
{
	struct tcp_rto r;

	tcp_rto_init(&r, 1000, 200, 60000);
	cr_assert_eq(tcp_rto_get(&r), 1000);	/* (2.1) */
}

Test(tcp_rto, first_sample)
{
	struct tcp_rto r;

	/* (2.2): SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4 RTTVAR) */
	tcp_rto_init(&r, 1000, 1, 60000);
	tcp_rto_sample(&r, 100000);		/* 100 ms */
	cr_assert_eq(r.srtt_us, 100000);
	cr_assert_eq(r.rttvar_us, 50000);
	cr_assert_eq(tcp_rto_get(&r), 300);
}

Test(tcp_rto, later_samples)
{
	struct tcp_rto r;

	tcp_rto_init(&r, 1000, 1, 60000);
	tcp_rto_sample(&r, 100000);
	/* (2.3): RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms,
	 * SRTT = 7/8 * 100 + 1/8 * 200 = 112.5 ms, RTO = 112.5 + 250 */
	tcp_rto_sample(&r, 200000);
	cr_assert_eq(r.rttvar_us, 62500);
	cr_assert_eq(r.srtt_us, 112500);
	cr_assert_eq(tcp_rto_get(&r), 363);	/* 362.5 rounded up */
}

Test(tcp_rto, granularity_floor)
{
	struct tcp_rto r;

	/* constant RTT: RTTVAR decays to 0, then G (1 ms) is the floor */
	tcp_rto_init(&r, 1000, 1, 60000);
	for (int i = 0; i < 200; i++)
		tcp_rto_sample(&r, 10000);
	cr_assert_eq(r.srtt_us, 10000);
	cr_assert_eq(tcp_rto_get(&r), 11);
}

Test(tcp_rto, minimum_and_maximum)
{
	struct tcp_rto r;

	/* (2.4) lower bound, (2.5) upper bound */
	tcp_rto_init(&r, 1000, 1000, 60000);
	tcp_rto_sample(&r, 1000);
	cr_assert_eq(tcp_rto_get(&r), 1000);
	tcp_rto_sample(&r, 100000000);	/* 100 s */
	cr_assert_eq(tcp_rto_get(&r), 60000);
}

Test(tcp_rto, backoff_doubles_and_caps)
{
	struct tcp_rto r;

	tcp_rto_init(&r, 1000, 200, 60000);
	tcp_rto_backoff(&r);
	cr_assert_eq(tcp_rto_get(&r), 2000);
	tcp_rto_backoff(&r);
	cr_assert_eq(tcp_rto_get(&r), 4000);
	for (int i = 0; i < 100; i++)
		tcp_rto_backoff(&r);
	cr_assert_eq(tcp_rto_get(&r), 60000);
	/* (5.7): a new sample ends the back-off */
	tcp_rto_sample(&r, 100000);
	cr_assert_eq(tcp_rto_get(&r), 300);
}
