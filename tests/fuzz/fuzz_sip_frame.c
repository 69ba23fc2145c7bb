/*
 * libFuzzer target: the stream framer fed in pieces. The first bytes of
 * the input choose the piece sizes; the rest is the stream. Whatever the
 * cut, the framer must find the same messages, pings and pongs, in the
 * same order, as when it sees the whole stream at once, and never claim
 * more bytes than it has.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 4096

struct event {
	enum sip_frame_kind kind;
	uint32_t len;
};

static const struct sip_limits lim = { 4096, 64, 1024, 16, 256 };

/* Frame what is in buf[0..*have), consuming; events appended. Returns
 * false once the stream is bad. */
static bool drain(char *buf, size_t *have, struct event *ev, unsigned *n)
{
	struct sip_msg m;

	for (;;) {
		struct sip_frame f;

		sip_frame(buf, *have, &lim, &f);
		if (f.kind == SIP_FRAME_MORE)
			return true;
		if (*n < MAX_EVENTS)
			ev[(*n)++] = (struct event){ f.kind, f.len };
		if (f.kind == SIP_FRAME_BAD)
			return false;
		if (f.len == 0 || f.len > *have)
			abort();
		if (f.kind == SIP_FRAME_MESSAGE)
			(void)sip_msg_parse(&m, buf, f.len, &lim);
		memmove(buf, buf + f.len, *have - f.len);
		*have -= f.len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event whole[MAX_EVENTS], cut[MAX_EVENTS];
	unsigned nw = 0, nc = 0, ncuts;
	const uint8_t *cuts;
	const char *stream;
	size_t slen, have, fed = 0;
	char *buf;

	if (size < 1)
		return 0;
	ncuts = data[0] % 16 + 1;
	if (size < 1 + ncuts)
		return 0;
	cuts = data + 1;
	stream = (const char *)data + 1 + ncuts;
	slen = size - 1 - ncuts;
	buf = malloc(slen ? slen : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, stream, slen);
	have = slen;
	drain(buf, &have, whole, &nw);
	/* the same bytes in pieces */
	have = 0;
	for (unsigned i = 0; fed < slen; i++) {
		size_t piece = (size_t)cuts[i % ncuts] + 1;

		if (piece > slen - fed)
			piece = slen - fed;
		memcpy(buf + have, stream + fed, piece);
		have += piece;
		fed += piece;
		if (!drain(buf, &have, cut, &nc))
			break;
	}
	if (nw != nc || memcmp(whole, cut, nw * sizeof(whole[0])) != 0)
		abort();
	free(buf);
	return 0;
}
