/*
 * libFuzzer target: SDP and SDES parsing and writing. Every line is indexed
 * within the input, every a=crypto line parsed (keys decoded, checked
 * against the suite, wiped), and the SDP written for the other side must
 * parse again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp s;
	char *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (sdp_parse(&s, buf, size) == SDP_E_OK) {
		/* written for the other side, it parses again */
		static char out[70000];
		static struct sdp back;
		struct sdp_rewrite rw = { .addr = 0xc6336401, .o_version = 2 };
		long n;

		for (unsigned m = 0; m < s.n_media; m++)
			rw.media[m].port = (uint16_t)(30000 + 2 * m);
		n = sdp_write(&s, &rw, out, sizeof(out));
		if (n > 0 && s.n_media > 0 && sdp_parse(&back, out, (size_t)n) != SDP_E_OK &&
		    s.c.present)
			abort();
		/* through the offer rules of every mode, from both sides */
		static const enum umedge_srtp_suite suites[] = {
			UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, UMEDGE_SRTP_AEAD_AES_256_GCM
		};
		for (int mode = 0; mode < UMEDGE_SEC_COUNT; mode++)
			for (int from = 0; from < 2; from++) {
				struct sdp_oa oa = { (enum umedge_security)mode, suites, 2,
						     (enum sdp_from)from, { 0xcb007101, 0xc6336401 },
						     { 20000, 30000 }, 3, NULL, false };
				struct sdp_stream st;
				long on;

				if (sdp_offer(&oa, &s, out, sizeof(out), &on, &st) == SDP_R_OK) {
					if (on <= 0 || sdp_parse(&back, out, (size_t)on) != SDP_E_OK)
						abort();
					/* the same SDP as the answer to it */
					if (sdp_answer(&oa, &s, out, sizeof(out), &on, &st) ==
					    SDP_R_OK) {
						/* and again as a re-offer of that call,
						 * keeping keys and asking new ones */
						struct sdp_stream re;

						for (int rk = 0; rk < 2; rk++) {
							oa.prev = &st;
							oa.rekey = rk;
							if (sdp_offer(&oa, &s, out, sizeof(out), &on,
								      &re) == SDP_R_OK &&
							    (on <= 0 ||
							     sdp_parse(&back, out, (size_t)on) !=
								     SDP_E_OK))
								abort();
							sdp_stream_wipe(&re);
						}
					}
				}
				sdp_stream_wipe(&st);
			}
		for (unsigned i = 0; i < s.n_lines; i++) {
			if (s.lines[i].off >= s.lines[i].end || s.lines[i].end > size)
				abort();
			(void)sdp_attr_value(&s.lines[i]);
		}
		for (unsigned m = 0; m < s.n_media; m++)
			for (unsigned k = 0; k < s.media[m].n_crypto; k++) {
				struct sdp_crypto c;

				sdp_crypto_parse(&c, sdp_attr_value(&s.lines[s.media[m].crypto[k]]));
				if (c.status == SDP_CRYPTO_USABLE &&
				    (c.suite < 0 ||
				     c.keys[0].len != sdp_suite_key_salt_len((enum umedge_srtp_suite)c.suite)))
					abort();
				sdp_crypto_wipe(&c);
			}
	}
	/* a crypto value on its own, straight from the input */
	{
		struct sdp_crypto c;

		sdp_crypto_parse(&c, (struct sip_str){ size ? buf : "", (uint32_t)size });
		sdp_crypto_wipe(&c);
	}
	free(buf);
	return 0;
}
