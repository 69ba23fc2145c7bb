/* libFuzzer target: the worker's SIP responder on hostile bytes, framed
 * as a TLS stream would frame them and unframed. Every answer must be a
 * bounded response that the message layer itself parses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *buf, size_t len)
{
	static struct sip_msg rsp;
	char out[16384 * 2];
	enum sip_error err;
	long r = sip_options_answer(buf, len, NULL, "fz", out, sizeof(out), &err);

	if (r > 0 && (sip_msg_parse(&rsp, out, (size_t)r, NULL) != SIP_E_OK || rsp.is_request))
		abort();
	(void)sip_options_answer(buf, len, NULL, "fz", out, 64, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct sip_frame f;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	sip_frame(buf, size, NULL, &f);
	if (f.kind == SIP_FRAME_MESSAGE) {
		if (f.len > size)
			abort();
		check(buf, f.len);
	}
	check(buf, size);
	free(buf);
	return 0;
}
