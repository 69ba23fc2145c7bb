/* The stack's checksum helpers agree with DPDK's on every length and
 * alignment, and the incremental update with a full recomputation. */
#include <stdlib.h>

#include <criterion/criterion.h>
#include <rte_ip.h>

#include "net/cksum.h"
#include "net/net.h"

Test(cksum, agrees_with_rte_raw_cksum)
{
	uint8_t buf[1600];

	srand(1071);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len < 300; len++)
			cr_assert_eq(cksum_fold(cksum_add(buf + off, len, 0)),
				     rte_raw_cksum(buf + off, len), "off %zu len %zu", off, len);
	memset(buf, 0xff, sizeof(buf));
	cr_assert_eq(cksum_fold(cksum_add(buf, sizeof(buf), 0)), rte_raw_cksum(buf, sizeof(buf)));
	/* a running sum over pieces equals the sum over the whole (even splits) */
	uint64_t s = cksum_add(buf, 200, 0);
	s = cksum_add(buf + 200, 1400, s);
	cr_assert_eq(cksum_fold(s), rte_raw_cksum(buf, 1600));
}

Test(cksum, incremental_update)
{
	uint16_t words[10];

	srand(1624);
	for (unsigned t = 0; t < 1000; t++) {
		for (unsigned i = 0; i < 10; i++)
			words[i] = (uint16_t)rand();
		words[3] = 0;
		uint16_t hc = (uint16_t)~rte_raw_cksum(words, sizeof(words));
		words[3] = hc;
		uint16_t old = words[5], new_ = (uint16_t)rand();
		words[5] = new_;
		uint16_t upd = cksum_adjust16(hc, old, new_);
		words[3] = upd;
		cr_assert_eq(rte_raw_cksum(words, sizeof(words)), 0xffff, "round %u", t);
	}
}

Test(cksum, ipv4_header_field_by_field)
{
	uint8_t hdr[60];

	srand(791);
	for (unsigned t = 0; t < 2000; t++) {
		for (unsigned i = 0; i < sizeof(hdr); i++)
			hdr[i] = (uint8_t)rand();
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)hdr;
		ip->version_ihl = (uint8_t)(0x45 + t % 11); /* IHL 5..15: with options */
		uint16_t mine = ipv4_cksum(ip);
		ip->hdr_checksum = 0;
		cr_assert_eq(mine, rte_ipv4_cksum(ip), "round %u ihl %u", t, ip->version_ihl & 15);
		ip->hdr_checksum = mine;
		cr_assert_eq(rte_raw_cksum(ip, rte_ipv4_hdr_len(ip)), 0xffff);
	}
}
