/* srtp_bench's shared pieces: options, the packet template, the clock
 * (srtp_bench.c), and the burst engine's columns (srtp_bench_mb.c). */
#ifndef UMEDGE_SRTP_BENCH_H
#define UMEDGE_SRTP_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "umedge/modes.h"

#define HDR 12
#define PKT_MAX 1600

enum op { OP_PROTECT, OP_UNPROTECT, OP_COUNT };

struct opts {
	int rounds;
	int batch;
	int sweeps;
	int cpu; /* -1: not pinned */
};

struct pkt {
	int len;
	uint8_t buf[PKT_MAX];
};

double bench_now_ns(void);
double bench_median(double *v, int n);
void bench_fill_key(uint8_t *key, size_t n, int salt);
/* An RTP header (PCMU, no CSRC, no extension) and payload. */
int bench_make_rtp(uint8_t *buf, int payload);
void bench_set_seq(uint8_t *buf, uint16_t seq);

/* srtp_bench_mb.c: 0 when intel-ipsec-mb runs here (then the two below
 * measure); its version and code path. */
int bench_mb_init(void);
const char *bench_mb_describe(void);
/* ns per packet: the burst engine (media/srtp_mb.c) at this burst, and
 * raw intel-ipsec-mb doing the same cipher and MAC jobs without SRTP's
 * bookkeeping (index, replay window, streams), at the same burst. */
int bench_mb(enum umedge_srtp_suite suite, int payload, enum op op, unsigned burst,
	     const struct opts *o, double *ns);
int bench_mb_raw(enum umedge_srtp_suite suite, int payload, enum op op, unsigned burst,
		 const struct opts *o, double *ns);

#endif
