/*
 * siphash.h: SipHash-2-4, a keyed pseudo-random function (a MAC) for
 * short inputs. The key is 16 bytes; the tag 64 bits. Reference vectors
 * in tests/unit/test_tcp_cookie.c.
 */
#ifndef UMEDGE_SIPHASH_H
#define UMEDGE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *msg, size_t len);

#endif
