/*
 * libFuzzer target: RTCP compound packets (rtpq_rtcp_parse) and the RFC
 * 3550 reception statistics fed with the input as packets. A report built
 * from what was parsed must parse back to the same fields; the loss and
 * jitter never leave their ranges.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp_quality.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtpq_rtcp got, back;
	struct rtpq_rx s;
	uint8_t *buf = malloc(size ? size : 1), out[64];
	size_t n;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);	/* exactly size bytes: ASan sees overreads */
	if (rtpq_rtcp_parse(buf, size, size >= 12 ? (uint32_t)buf[8] << 24 | buf[11] : 0,
			    &got) == 0) {
		n = rtpq_rtcp_report(out, sizeof(out), got.ssrc, got.has_sr ? &got.sr : NULL,
				     got.has_block ? &got.block : NULL);
		if (n == 0 || rtpq_rtcp_parse(out, n, got.block.ssrc, &back) != 0 ||
		    back.ssrc != got.ssrc || back.has_sr != got.has_sr ||
		    back.has_block != got.has_block ||
		    (got.has_block && (back.block.lost != got.block.lost ||
				       back.block.lsr != got.block.lsr)))
			abort();
		(void)rtpq_rtt_ms(rtpq_ntp_mid(got.sr.ntp), got.block.lsr, got.block.dlsr);
	}
	/* the bytes as (seq, timestamp) pairs of one source */
	if (size >= 2) {
		rtpq_rx_init(&s, 1, (uint16_t)(buf[0] << 8 | buf[1]));
		for (size_t i = 2; i + 4 <= size; i += 4) {
			uint16_t seq = (uint16_t)(buf[i] << 8 | buf[i + 1]);
			uint32_t ts = (uint32_t)buf[i + 2] << 8 | buf[i + 3];
			(void)rtpq_rx_packet(&s, seq, ts * 160, ts * 160 + buf[i + 3]);
		}
		if (s.jitter < 0 || s.jitter > 4294967296.0 ||
		    rtpq_rx_fraction_lost(&s) > 255)
			abort();
	}
	free(buf);
	return 0;
}
