/*
 * Sequence arithmetic (wrap-around), the out-of-order range queue and the
 * byte ring.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tcp_internal.h"

Test(tcp_seq, compare_plain)
{
	cr_assert(tcp_seq_lt(1, 2));
	cr_assert(!tcp_seq_lt(2, 2));
	cr_assert(tcp_seq_le(2, 2));
	cr_assert(tcp_seq_gt(3, 2));
	cr_assert(tcp_seq_ge(3, 3));
}

Test(tcp_seq, compare_wraps)
{
	cr_assert(tcp_seq_lt(0xfffffff0u, 0x10u));
	cr_assert(tcp_seq_gt(0x10u, 0xfffffff0u));
	cr_assert(tcp_seq_lt(0xffffffffu, 0u));
	cr_assert_eq(tcp_seq_max(0xfffffff0u, 5u), 5u);
	cr_assert_eq(tcp_seq_min(0xfffffff0u, 5u), 0xfffffff0u);
	/* half the space apart is the limit */
	cr_assert(tcp_seq_lt(0u, 0x7fffffffu));
	cr_assert(tcp_seq_gt(0u, 0x80000001u));
}

Test(tcp_seq, in_range_wraps)
{
	cr_assert(tcp_seq_in(0xfffffffeu, 0xfffffff0u, 0x10u));
	cr_assert(tcp_seq_in(0x5u, 0xfffffff0u, 0x10u));
	cr_assert(!tcp_seq_in(0x10u, 0xfffffff0u, 0x10u));
	cr_assert(!tcp_seq_in(0xffffffefu, 0xfffffff0u, 0x10u));
}

Test(tcp_seq, acceptability_table)
{
	/* RFC 9293 3.10.7.4, the four cases */
	cr_assert(tcp_seq_acceptable(100, 0, 100, 0));
	cr_assert(!tcp_seq_acceptable(101, 0, 100, 0));
	cr_assert(tcp_seq_acceptable(150, 0, 100, 100));
	cr_assert(!tcp_seq_acceptable(200, 0, 100, 100));
	cr_assert(!tcp_seq_acceptable(100, 10, 100, 0));
	cr_assert(tcp_seq_acceptable(90, 20, 100, 100));	/* tail inside */
	cr_assert(tcp_seq_acceptable(199, 20, 100, 100));	/* head inside */
	cr_assert(!tcp_seq_acceptable(80, 20, 100, 100));	/* all old */
	cr_assert(!tcp_seq_acceptable(200, 1, 100, 100));
	/* across zero */
	cr_assert(tcp_seq_acceptable(2, 10, 0xfffffff0u, 0x100));
	cr_assert(tcp_seq_acceptable(0xffffffe8u, 0x10, 0xfffffff0u, 0x100));
}

Test(tcp_ooo, merge_and_advance)
{
	struct tcp_ooo o;

	tcp_ooo_init(&o, 8);
	cr_assert_eq(tcp_ooo_add(&o, 300, 400), 0);
	cr_assert_eq(tcp_ooo_add(&o, 100, 200), 0);
	cr_assert_eq(o.n, 2);
	cr_assert_eq(o.r[0].start, 100);
	cr_assert_eq(tcp_ooo_add(&o, 200, 300), 0);	/* bridges both */
	cr_assert_eq(o.n, 1);
	cr_assert_eq(o.r[0].start, 100);
	cr_assert_eq(o.r[0].end, 400);
	cr_assert_eq(tcp_ooo_bytes(&o), 300);
	cr_assert_eq(tcp_ooo_advance(&o, 50), 50);	/* hole before */
	cr_assert_eq(tcp_ooo_advance(&o, 100), 400);
	cr_assert_eq(o.n, 0);
}

Test(tcp_ooo, overlap_duplicates)
{
	struct tcp_ooo o;

	tcp_ooo_init(&o, 8);
	cr_assert_eq(tcp_ooo_add(&o, 100, 200), 0);
	cr_assert_eq(tcp_ooo_add(&o, 150, 180), 0);
	cr_assert_eq(tcp_ooo_add(&o, 90, 210), 0);
	cr_assert_eq(o.n, 1);
	cr_assert_eq(o.r[0].start, 90);
	cr_assert_eq(o.r[0].end, 210);
	cr_assert_eq(tcp_ooo_add(&o, 10, 10), 0);	/* empty */
	cr_assert_eq(o.n, 1);
	/* advance past the middle of a range */
	cr_assert_eq(tcp_ooo_advance(&o, 150), 210);
}

Test(tcp_ooo, bounded)
{
	struct tcp_ooo o;

	tcp_ooo_init(&o, 4);
	for (uint32_t i = 0; i < 4; i++)
		cr_assert_eq(tcp_ooo_add(&o, 1000 + i * 10, 1005 + i * 10), 0);
	cr_assert_eq(tcp_ooo_add(&o, 2000, 2001), -ENOSPC);
	cr_assert_eq(tcp_ooo_add(&o, 1005, 1010), 0);	/* merging is fine */
	cr_assert_eq(o.n, 3);
}

Test(tcp_ooo, wraps)
{
	struct tcp_ooo o;

	tcp_ooo_init(&o, 8);
	cr_assert_eq(tcp_ooo_add(&o, 0x10, 0x20), 0);
	cr_assert_eq(tcp_ooo_add(&o, 0xfffffff8u, 0x4), 0);
	cr_assert_eq(o.r[0].start, 0xfffffff8u);
	cr_assert_eq(tcp_ooo_add(&o, 0x4, 0x10), 0);
	cr_assert_eq(o.n, 1);
	cr_assert_eq(tcp_ooo_advance(&o, 0xfffffff0u), 0xfffffff0u);
	cr_assert_eq(tcp_ooo_advance(&o, 0xfffffff8u), 0x20);
}

Test(tcp_ooo, random_against_bitmap)
{
	struct tcp_ooo o;
	uint8_t have[512];
	uint64_t s = 12345;

	for (int round = 0; round < 50; round++) {
		uint32_t base = 0xffffff00u + (uint32_t)round * 7;	/* crosses zero */

		tcp_ooo_init(&o, TCP_OOO_MAX);
		memset(have, 0, sizeof(have));
		for (int i = 0; i < 40; i++) {
			s ^= s << 13; s ^= s >> 7; s ^= s << 17;
			uint32_t a = 1 + (uint32_t)(s % 500), len = 1 + (uint32_t)((s >> 20) % 10);

			if (a + len > 511)
				len = 511 - a;
			if (tcp_ooo_add(&o, base + a, base + a + len) == 0)
				memset(have + a, 1, len);
		}
		for (uint16_t i = 1; i < o.n; i++)
			cr_assert(tcp_seq_lt(o.r[i - 1].end, o.r[i].start));
		uint32_t bytes = 0;
		for (int i = 0; i < 512; i++)
			bytes += have[i];
		cr_assert_eq(tcp_ooo_bytes(&o), bytes);
		/* from 0: advance to the end of the run that starts at 1 */
		uint32_t expect = 1;
		while (expect < 512 && have[expect])
			expect++;
		cr_assert_eq(tcp_ooo_advance(&o, base + 1), base + expect);
	}
}

Test(tcp_ring, wrap_read_write)
{
	uint8_t mem[16], out[16];
	struct tcp_ring r;
	const uint8_t *p;

	tcp_ring_init(&r, mem, 16);
	cr_assert_eq(tcp_ring_append(&r, "0123456789", 10), 10);
	tcp_ring_consume(&r, 8);
	cr_assert_eq(tcp_ring_append(&r, "abcdefghijklmnop", 16), 14);
	cr_assert_eq(r.len, 16);
	cr_assert_eq(tcp_ring_free(&r), 0);
	tcp_ring_read_at(&r, 0, out, 16);
	cr_assert_eq(memcmp(out, "89abcdefghijklmn", 16), 0);
	cr_assert_eq(tcp_ring_peek(&r, &p), 8);	/* up to the physical end */
	cr_assert_eq(memcmp(p, "89abcdef", 8), 0);
	tcp_ring_write_at(&r, 6, "XYZW", 4);
	tcp_ring_read_at(&r, 4, out, 8);
	cr_assert_eq(memcmp(out, "cdXYZWij", 8), 0);
}
