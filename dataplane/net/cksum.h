/* Internet checksum helpers (RFC 1071, incremental update RFC 1624).
 *
 * cksum_add sums 8 bytes per step into a 64-bit accumulator; DPDK 22.11's
 * rte_raw_cksum goes 16 bits at a time (its loop was udp_input's hot spot
 * under perf in perf/forward_bench). Sums are in the host's
 * view of network-order words, as rte_raw_cksum's: fold, then compare with
 * 0xffff (verify) or complement (store). */
#ifndef UMEDGE_NET_CKSUM_H
#define UMEDGE_NET_CKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t cksum_add(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *p = buf;

	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		sum += (v & 0xffffffffu) + (v >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		sum += v;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;
		memcpy(&v, p, 2);
		sum += v;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		uint16_t v = 0;
		memcpy(&v, p, 1); /* the odd byte is the high-order half of a word */
		sum += v;
	}
	return sum;
}

static inline uint16_t cksum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* New checksum (network order) after a 16-bit word of the covered data
 * changes from old to new (both network order): HC' = ~(~HC + ~m + m'). */
static inline uint16_t cksum_adjust16(uint16_t hc, uint16_t old, uint16_t new_)
{
	uint32_t sum = (uint16_t)~hc;

	sum += (uint16_t)~old;
	sum += new_;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif
