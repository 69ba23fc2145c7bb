/* libFuzzer target: SIP framing and the OPTIONS responder on hostile bytes.
 * Every answer must be a bounded, CRLF-terminated response. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[SIP_MSG_MAX * 2];
	const char *buf = (const char *)data;
	int n = sip_frame(buf, size);

	if (n > 0) {
		if ((size_t)n > size)
			abort();
		int r = sip_options_answer(buf, (size_t)n, "fz", out, sizeof(out));
		if (r > 0 && (r < 4 || memcmp(out + r - 4, "\r\n\r\n", 4) != 0))
			abort();
	}
	/* the answerer alone must also survive unframed input */
	(void)sip_options_answer(buf, size, "fz", out, 64);
	return 0;
}
