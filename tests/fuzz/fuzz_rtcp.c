/*
 * libFuzzer target: RTCP compound packets (rtpq_rtcp_parse) and the RFC
 * 3550 reception statistics fed with the input as packets. A report built
 * from what was parsed must parse back to the same fields; the loss and
 * jitter never leave their ranges. Then the test call's endpoint
 * (rtp_phone_input), plain and SRTP, takes the input as datagrams (each
 * prefixed by its length octet; its low bit: the RTCP port) and must
 * count every one it does not measure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp_phone.h"
#include "rtp_quality.h"
#include "srtp_backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *arg, bool rtcp, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)rtcp;
	if (len == 0 || len > RTP_PHONE_PKT_MAX || buf[0] >> 6 != 2)
		abort(); /* only RTP/RTCP of ours goes out */
}

static void phone_datagrams(const uint8_t *data, size_t size)
{
	static const uint8_t key[30] = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzf";
	struct rtp_phone_conf c = { .ssrc = 0x55667788 };
	static struct rtp_phone ph;
	uint8_t dg[RTP_PHONE_PKT_MAX];
	struct rtp_phone_report r;

	if (srtp_backend_register() != 0)
		abort();
	for (int secure = 0; secure < 2; secure++) {
		uint64_t fed = 0, t = 1000;
		c.srtp = secure;
		c.suite = UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80;
		c.tx_key = c.rx_key = key;
		if (rtp_phone_start(&ph, &c, t) != 0)
			abort();
		for (size_t i = 0; i < size;) {
			size_t n = data[i] >> 1;
			bool rtcp = data[i] & 1;
			i++;
			if (n > size - i)
				n = size - i;
			memcpy(dg, data + i, n);
			rtp_phone_input(&ph, dg, n, rtcp, t += 7000);
			rtp_phone_tick(&ph, t, true, sink, NULL);
			fed++;
			i += n;
		}
		rtp_phone_report(&ph, &r);
		/* each datagram lands in exactly one counter */
		if (r.received + r.rtcp_received + r.bad + r.auth_fail + r.replay + r.other_ssrc !=
			    fed || r.loss_pct < 0 || r.loss_pct > 100.0)
			abort();
		rtp_phone_stop(&ph);
	}
}

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
	phone_datagrams(data, size);
	return 0;
}
