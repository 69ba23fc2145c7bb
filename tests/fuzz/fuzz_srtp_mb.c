/*
 * libFuzzer target: the burst SRTP engine (dataplane/media/srtp_mb.c).
 * The input is a suite and up to 64 packets (flags, length, bytes):
 *   1. as they come, unprotected in one burst: every result is one of the
 *      documented refusals or a success no longer than the packet;
 *   2. protected in one burst, then unprotected in one burst by a context
 *      with the same key: every packet the sender took must come back
 *      authentic and byte for byte (the sender and the receiver keep
 *      libsrtp2's index and windows alike).
 * Input: [suite] then records [flags: bit 0 RTCP][len hi][len lo][bytes].
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srtp_mb.h"

#define N_MAX 64
#define LEN_MAX 1500

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool known_refusal(int rc)
{
	return rc == -EINVAL || rc == -EBADMSG || rc == -EALREADY || rc == -ESTALE ||
	       rc == -ENOSPC || rc == -EKEYEXPIRED || rc == -ENOTSUP;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct srtp_mb *mb;
	static uint8_t orig[N_MAX][LEN_MAX + SRTP_MB_TRAILER], buf[N_MAX][LEN_MAX + SRTP_MB_TRAILER];
	struct srtp_mb_pkt p[N_MAX];
	int olen[N_MAX], plen[N_MAX];
	bool rtcp[N_MAX], sent[N_MAX];
	uint8_t master[46];
	struct srtp_mb_ctx *in = NULL, *out = NULL, *in2 = NULL;
	enum umedge_srtp_suite suite;
	unsigned n = 0;
	size_t at = 1;

	if (mb == NULL) {
		if (srtp_mb_init() != 0 || (mb = srtp_mb_new()) == NULL)
			return 0;	/* this CPU cannot run it: nothing to fuzz */
	}
	if (size < 1)
		return 0;
	suite = (enum umedge_srtp_suite)(data[0] % UMEDGE_SRTP_SUITE_COUNT);
	while (n < N_MAX && at + 3 <= size) {
		size_t len = (size_t)data[at + 1] << 8 | data[at + 2];

		rtcp[n] = data[at] & 1;
		at += 3;
		if (len > LEN_MAX)
			len = LEN_MAX;
		if (len > size - at)
			len = size - at;
		memcpy(orig[n], data + at, len);
		olen[n] = (int)len;
		at += len;
		n++;
	}
	for (int k = 0; k < 46; k++)
		master[k] = (uint8_t)(k * 11 + 3);
	if (srtp_mb_ctx_new(suite, master, false, &in) != 0 ||
	    srtp_mb_ctx_new(suite, master, true, &out) != 0 ||
	    srtp_mb_ctx_new(suite, master, false, &in2) != 0)
		abort();

	/* 1: hostile packets as they are */
	for (unsigned i = 0; i < n; i++) {
		memcpy(buf[i], orig[i], (size_t)olen[i]);
		p[i] = (struct srtp_mb_pkt){ buf[i], olen[i], in, rtcp[i], 0 };
	}
	srtp_mb_unprotect(mb, p, n);
	for (unsigned i = 0; i < n; i++)
		if (!(p[i].rc == 0 && p[i].len >= 0 && p[i].len <= olen[i]) &&
		    !known_refusal(p[i].rc))
			abort();

	/* 2: protected, then back */
	for (unsigned i = 0; i < n; i++) {
		memcpy(buf[i], orig[i], (size_t)olen[i]);
		p[i] = (struct srtp_mb_pkt){ buf[i], olen[i], out, rtcp[i], 0 };
	}
	srtp_mb_protect(mb, p, n);
	for (unsigned i = 0; i < n; i++) {
		sent[i] = p[i].rc == 0;
		if (!sent[i] && !known_refusal(p[i].rc))
			abort();
		if (sent[i] && (p[i].len <= olen[i] || p[i].len > olen[i] + SRTP_MB_TRAILER))
			abort();
		plen[i] = p[i].len;
	}
	unsigned m = 0;
	int which[N_MAX];
	for (unsigned i = 0; i < n; i++)
		if (sent[i]) {
			p[m] = (struct srtp_mb_pkt){ buf[i], plen[i], in2, rtcp[i], 0 };
			which[m++] = (int)i;
		}
	srtp_mb_unprotect(mb, p, m);
	for (unsigned j = 0; j < m; j++) {
		int i = which[j];

		if (p[j].rc != 0 || p[j].len != olen[i] ||
		    memcmp(buf[i], orig[i], (size_t)olen[i]) != 0)
			abort();
	}
	srtp_mb_ctx_free(in);
	srtp_mb_ctx_free(out);
	srtp_mb_ctx_free(in2);
	return 0;
}
