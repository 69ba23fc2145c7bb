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

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND(v0, v1, v2, v3) do { \
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32); \
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32); \
} while (0)

/* SipHash-2-4 as specified by Aumasson and Bernstein. */
uint64_t tcp_siphash(const uint8_t key[16], const void *msg, size_t len)
{
	const uint8_t *p = msg;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, full = len & ~(size_t)7;

	for (i = 0; i < full; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t j = 0; j < (len & 7); j++)
		b |= (uint64_t)p[full + j] << (8 * j);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

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
	return (uint32_t)tcp_siphash(key, msg, n) & 0xffffff;
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
