/*
 * tcp_rto.c: retransmission timeout estimator, RFC 6298. SRTT and RTTVAR
 * are kept in microseconds so sub-millisecond RTTs (LAN, tests) still
 * average correctly; the RTO itself is in milliseconds (the wheel's tick,
 * which is the clock granularity G).
 */
#include "tcp_internal.h"

#define TCP_RTO_G_US 1000u

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void tcp_rto_init(struct tcp_rto *r, uint32_t init_ms, uint32_t min_ms, uint32_t max_ms)
{
	r->srtt_us = 0;
	r->rttvar_us = 0;
	r->min_ms = min_ms;
	r->max_ms = max_ms;
	r->rto_ms = clamp(init_ms, min_ms, max_ms);
	r->backoff = 0;
	r->has_sample = false;
}

void tcp_rto_sample(struct tcp_rto *r, uint32_t rtt_us)
{
	uint64_t var4, rto_us;

	if (!r->has_sample) {
		/* (2.2) first measurement */
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
		r->has_sample = true;
	} else {
		/* (2.3) RTTVAR first, with the old SRTT; beta 1/4, alpha 1/8 */
		uint32_t delta = r->srtt_us > rtt_us ? r->srtt_us - rtt_us
						      : rtt_us - r->srtt_us;
		r->rttvar_us = (uint32_t)(((uint64_t)r->rttvar_us * 3 + delta) / 4);
		r->srtt_us = (uint32_t)(((uint64_t)r->srtt_us * 7 + rtt_us) / 8);
	}
	var4 = (uint64_t)r->rttvar_us * 4;
	rto_us = r->srtt_us + (var4 > TCP_RTO_G_US ? var4 : TCP_RTO_G_US);
	/* round up to whole ticks so the timer never fires early */
	rto_us = (rto_us + 999) / 1000;
	r->rto_ms = clamp(rto_us > UINT32_MAX ? UINT32_MAX : (uint32_t)rto_us,
			  r->min_ms, r->max_ms);
	/* (5.7) a new sample after back-off restarts from the computed value */
	r->backoff = 0;
}

void tcp_rto_backoff(struct tcp_rto *r)
{
	/* (5.5) double, bounded by the maximum */
	if (tcp_rto_get(r) < r->max_ms && r->backoff < 31)
		r->backoff++;
}

uint32_t tcp_rto_get(const struct tcp_rto *r)
{
	uint64_t v = (uint64_t)r->rto_ms << r->backoff;

	return v > r->max_ms ? r->max_ms : (uint32_t)v;
}
