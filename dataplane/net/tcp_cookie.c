/*
 * tcp_cookie.c: SYN cookies. When the half-open table is full the listener
 * answers a SYN with a SYN-ACK whose ISN carries everything it needs and
 * keeps no state; the returning ACK (ack - 1 = cookie) rebuilds the
 * connection. Layout of the 32-bit cookie:
 *
 *   31..30  time counter (now / 64 s) modulo 4
 *   29..27  index of the peer's MSS (rounded down in a table)
 *   26..24  index of the peer's window scale (rounded down; 0 = none)
 *   23..0   MAC: SipHash-2-4 (secret) over 4-tuple, peer ISN, full counter,
 *           both indexes
 *
 * The full counter is rebuilt from its low bits as the most recent value not
 * newer than now; the MAC covers the full value, so a cookie is valid for
 * TCP_COOKIE_MAX_AGE periods after the one it was made in (2-3 minutes).
 * Rounding the peer's window scale down only under-estimates its window.
 */
#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

static const uint16_t cookie_mss[8] = { 216, 536, 1024, 1220, 1360, 1400, 1440, 1460 };
static const int8_t cookie_ws[8] = { -1, 0, 1, 2, 4, 7, 8, 9 };

static uint32_t cookie_mac(const uint8_t key[16], const struct tcp_cookie_in *in,
			   uint64_t count, unsigned mi, unsigned wi)
{
	uint8_t msg[32];
	size_t n = 0;

	memcpy(msg + n, &in->saddr, 4); n += 4;
	memcpy(msg + n, &in->daddr, 4); n += 4;
	memcpy(msg + n, &in->sport, 2); n += 2;
	memcpy(msg + n, &in->dport, 2); n += 2;
	memcpy(msg + n, &in->peer_isn, 4); n += 4;
	memcpy(msg + n, &count, 8); n += 8;
	msg[n++] = (uint8_t)mi;
	msg[n++] = (uint8_t)wi;
	return (uint32_t)siphash24(key, msg, n) & 0xffffff;
}

uint32_t tcp_cookie_make(const uint8_t key[16], const struct tcp_cookie_in *in,
			 uint64_t count, uint16_t mss, int wscale)
{
	unsigned mi = 0, wi = 0;

	for (unsigned i = 0; i < 8; i++) {
		if (cookie_mss[i] <= mss)
			mi = i;
		if (wscale >= 0 && cookie_ws[i] >= 0 && cookie_ws[i] <= wscale)
			wi = i;
	}
	return ((uint32_t)(count & 3) << 30) | (mi << 27) | (wi << 24) |
	       cookie_mac(key, in, count, mi, wi);
}

int tcp_cookie_check(const uint8_t key[16], const struct tcp_cookie_in *in,
		     uint64_t count, uint32_t cookie, uint16_t *mss, int *wscale)
{
	unsigned low = cookie >> 30, mi = (cookie >> 27) & 7, wi = (cookie >> 24) & 7;
	uint64_t age = (count - low) & 3;
	uint64_t made;

	if (age > count)
		return -EINVAL;	/* from before the clock started */
	made = count - age;
	if (cookie_mac(key, in, made, mi, wi) != (cookie & 0xffffff))
		return -EINVAL;
	if (age > TCP_COOKIE_MAX_AGE)
		return -ETIME;
	*mss = cookie_mss[mi];
	*wscale = cookie_ws[wi];
	return 0;
}
