/*
 * SipHash vectors and SYN cookie encode/verify.
 */
#include <errno.h>

#include <criterion/criterion.h>

#include "tcp_internal.h"

static const uint8_t key[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

Test(tcp_cookie, siphash_reference_vectors)
{
	uint8_t msg[15];

	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	/* from the SipHash paper / reference implementation (key 00..0f) */
	cr_assert_eq(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	cr_assert_eq(siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
}

static struct tcp_cookie_in sample(void)
{
	struct tcp_cookie_in in = {
		.saddr = 0xc6336401u, .daddr = 0xc0000201u,
		.sport = 40000, .dport = 5061, .peer_isn = 0x12345678u,
	};
	return in;
}

Test(tcp_cookie, round_trip)
{
	struct tcp_cookie_in in = sample();
	uint16_t mss;
	int ws;
	uint32_t c = tcp_cookie_make(key, &in, 1000, 1460, 7);

	cr_assert_eq(tcp_cookie_check(key, &in, 1000, c, &mss, &ws), 0);
	cr_assert_eq(mss, 1460);
	cr_assert_eq(ws, 7);
	/* still valid two periods later */
	cr_assert_eq(tcp_cookie_check(key, &in, 1002, c, &mss, &ws), 0);
}

Test(tcp_cookie, options_round_down)
{
	struct tcp_cookie_in in = sample();
	uint16_t mss;
	int ws;
	uint32_t c = tcp_cookie_make(key, &in, 5, 1300, 14);

	cr_assert_eq(tcp_cookie_check(key, &in, 5, c, &mss, &ws), 0);
	cr_assert_eq(mss, 1220);
	cr_assert_eq(ws, 9);
	c = tcp_cookie_make(key, &in, 5, 536, -1);
	cr_assert_eq(tcp_cookie_check(key, &in, 5, c, &mss, &ws), 0);
	cr_assert_eq(mss, 536);
	cr_assert_eq(ws, -1);
}

Test(tcp_cookie, expired)
{
	struct tcp_cookie_in in = sample();
	uint16_t mss;
	int ws;
	uint32_t c = tcp_cookie_make(key, &in, 1000, 1460, 7);

	cr_assert_eq(tcp_cookie_check(key, &in, 1003, c, &mss, &ws), -ETIME);
	/* four periods on the low bits repeat: the MAC catches it */
	cr_assert_eq(tcp_cookie_check(key, &in, 1004, c, &mss, &ws), -EINVAL);
	/* not from the future */
	cr_assert_neq(tcp_cookie_check(key, &in, 999, c, &mss, &ws), 0);
}

Test(tcp_cookie, tampered)
{
	struct tcp_cookie_in in = sample(), other;
	uint16_t mss;
	int ws;
	uint32_t c = tcp_cookie_make(key, &in, 77, 1460, 7);
	uint8_t key2[16] = { 1 };

	for (int bit = 0; bit < 32; bit++)
		cr_assert_neq(tcp_cookie_check(key, &in, 77, c ^ (1u << bit), &mss, &ws), 0,
			      "bit %d", bit);
	other = in;
	other.sport++;
	cr_assert_eq(tcp_cookie_check(key, &other, 77, c, &mss, &ws), -EINVAL);
	other = in;
	other.peer_isn++;
	cr_assert_eq(tcp_cookie_check(key, &other, 77, c, &mss, &ws), -EINVAL);
	cr_assert_eq(tcp_cookie_check(key2, &in, 77, c, &mss, &ws), -EINVAL);
}
