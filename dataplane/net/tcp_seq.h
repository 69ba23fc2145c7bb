/*
 * tcp_seq.h: sequence number arithmetic modulo 2^32 (RFC 9293 section 3.4).
 * Comparisons are valid while the two numbers are less than 2^31 apart.
 */
#ifndef UMEDGE_TCP_SEQ_H
#define UMEDGE_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool tcp_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool tcp_seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool tcp_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool tcp_seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

static inline uint32_t tcp_seq_max(uint32_t a, uint32_t b) { return tcp_seq_gt(a, b) ? a : b; }
static inline uint32_t tcp_seq_min(uint32_t a, uint32_t b) { return tcp_seq_lt(a, b) ? a : b; }

/* lo <= s < hi, in sequence space. */
static inline bool tcp_seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(s - lo) < (uint32_t)(hi - lo);
}

/* RFC 9293 segment acceptability test (3.10.7.4): does a segment of len
 * bytes (SYN/FIN counted) at seq overlap the receive window [nxt, nxt+wnd)? */
static inline bool tcp_seq_acceptable(uint32_t seq, uint32_t len,
				      uint32_t nxt, uint32_t wnd)
{
	if (len == 0) {
		if (wnd == 0)
			return seq == nxt;
		return tcp_seq_in(seq, nxt, nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return tcp_seq_in(seq, nxt, nxt + wnd) ||
	       tcp_seq_in(seq + len - 1, nxt, nxt + wnd);
}

#endif
