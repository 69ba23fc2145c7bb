/* Internet checksum helpers (RFC 1071, incremental update RFC 1624). */
#ifndef UMEDGE_NET_CKSUM_H
#define UMEDGE_NET_CKSUM_H

#include <stdint.h>

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
