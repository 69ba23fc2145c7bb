/*
 * libFuzzer target: rtpengine's ng commands (dataplane/ng/ng.c) over the
 * SIP core's calls, the media engine's side recorded by sip_fixture.h.
 * The input is a run of datagrams, each after a two-octet length; between
 * them the clock moves and idle calls expire. Every reply must carry the
 * request's cookie and a bencoded dictionary with a result; once the
 * engine is freed, every media session it opened must be closed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "ng.h"
#include "sip_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[NG_REPLY_MAX];
	static struct benc_node nodes[1024];
	struct ng_conf c = { .addr = { 0xc0000201u, 0xc6336401u }, .idle_ms = 5000,
			     .max_calls = 4, .cache = 4 };
	struct ng_engine *ng;
	uint64_t now = 1000000;

	memset(&fx_media, 0, sizeof(fx_media));
	ng = ng_new(&c, &fx_media_ops);
	if (ng == NULL)
		abort();
	for (size_t i = 0; i + 2 <= size;) {
		size_t n = (size_t)data[i] << 8 | data[i + 1], r;
		char *msg;
		i += 2;
		if (n > size - i)
			n = size - i;
		msg = malloc(n ? n : 1); /* exactly n bytes: ASan sees overreads */
		if (msg == NULL)
			break;
		memcpy(msg, data + i, n);
		i += n;
		r = ng_input(ng, msg, n, now, 1765080000, out, sizeof(out));
		if (r > 0) {
			const char *sp = memchr(msg, ' ', n);
			size_t cl = sp != NULL ? (size_t)(sp - msg) : 0;
			struct benc_doc d = { .nodes = nodes, .cap = 1024 };
			if (sp == NULL || r <= cl + 1 || memcmp(out, msg, cl) != 0 || out[cl] != ' ' ||
			    benc_parse(&d, out + cl + 1, r - cl - 1) != BENC_E_OK ||
			    nodes[0].type != BENC_DICT || benc_get(&d, 0, "result") == 0)
				abort();
		}
		free(msg);
		now += 1000;
		fx_media.idle_ms += 1000;
		(void)ng_expire(ng, now);
	}
	ng_free(ng);
	if (fx_media.live != 0)
		abort();
	return 0;
}
