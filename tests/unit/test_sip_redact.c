/* sip_redact_keys: the secrets of a captured message blanked in place,
 * everything else byte for byte, on real-world shapes and hostile bytes. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "sip_msg.h"

static char *redact(const char *in, unsigned want)
{
	size_t len = strlen(in);
	char *buf = malloc(len + 1);

	cr_assert_not_null(buf);
	memcpy(buf, in, len + 1);
	cr_expect_eq(sip_redact_keys(buf, len), want, "secrets blanked in:\n%s", in);
	cr_expect_eq(strlen(buf), len, "length kept");
	return buf;
}

Test(sip_redact, sdes_keys_blanked_rest_kept)
{
	const char *in =
		"INVITE sip:5000@192.0.2.1 SIP/2.0\r\n"
		"Call-ID: a@b\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 222\r\n"
		"\r\n"
		"v=0\r\n"
		"m=audio 49170 RTP/SAVP 0\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32\r\n"
		"a=crypto:2 AEAD_AES_128_GCM inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldY;inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTA= KDR=1\r\n";
	char *out = redact(in, 3);

	cr_expect_not_null(strstr(out, "inline:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX|2^20|1:32\r\n"),
			   "%s", out);
	cr_expect_not_null(strstr(out, "AEAD_AES_128_GCM inline:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX;"
				       "inline:XXXXXXXXXXXXXXXXXXXXXXXXXXXX KDR=1\r\n"),
			   "%s", out);
	cr_expect_null(strstr(out, "WVNf"));
	cr_expect_null(strstr(out, "QUJD"));
	cr_expect_null(strstr(out, "MTIz"));
	/* all before the keys untouched */
	cr_expect_eq(memcmp(out, in, strstr(in, "inline:") - in + 7), 0);
	free(out);
}

Test(sip_redact, key_mgmt_k_line_and_digest_response)
{
	const char *in =
		"REGISTER sip:example.test SIP/2.0\r\n"
		"Authorization: Digest username=\"gw1\", realm=\"example.test\", nonce=\"abc\",\r\n"
		" uri=\"sip:example.test\", response=\"6629fae49393a05397450978507c4ef1\"\r\n"
		"Proxy-Authorization: Digest username=\"gw1\",response=0123abcd,nc=00000001\r\n"
		"Content-Length: 40\r\n"
		"\r\n"
		"k=clear:hunter2\r\n"
		"a=key-mgmt:mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyO\r\n"
		"k=prompt\r\n";
	char *out = redact(in, 4);

	cr_expect_not_null(strstr(out, "response=\"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\"\r\n"), "%s", out);
	cr_expect_not_null(strstr(out, "response=XXXXXXXX,nc=00000001"), "%s", out);
	cr_expect_not_null(strstr(out, "username=\"gw1\", realm=\"example.test\""), "%s", out);
	cr_expect_not_null(strstr(out, "k=clear:XXXXXXX\r\n"), "%s", out);
	cr_expect_not_null(strstr(out, "a=key-mgmt:mikey XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\r\n"), "%s", out);
	cr_expect_not_null(strstr(out, "k=prompt\r\n"), "no key in k=prompt: kept");
	free(out);
}

Test(sip_redact, look_alikes_in_the_wrong_place_untouched)
{
	/* a=crypto in a header, Authorization in the body, words that only
	 * contain the markers: nothing is a secret there */
	const char *in =
		"MESSAGE sip:x SIP/2.0\r\n"
		"Subject: a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:notakey\r\n"
		"X-Note: myresponse=1\r\n"
		"Content-Length: 60\r\n"
		"\r\n"
		"Authorization: Digest response=\"abc\"\r\n"
		"b=crypto:1 inline:zzz\r\n";
	char *out = redact(in, 0);

	cr_expect_str_eq(out, in);
	free(out);
}

Test(sip_redact, hostile_bytes)
{
	/* truncated at every byte of a message with every kind of secret, and
	 * NULs and bare CRs inside: never past the end, length always kept */
	static const char msg[] =
		"INVITE sip:a SIP/2.0\r\nAuthorization: Digest response=\"abc\r\n\r\n"
		"a=crypto:1 X inline:KEY|1\r\na=key-mgmt:m DATA\rk=b:S\na=crypto:";
	char buf[sizeof(msg)];

	for (size_t len = 0; len < sizeof(msg); len++) {
		memcpy(buf, msg, sizeof(msg));
		buf[len] = '#';	/* a canary right past the end */
		(void)sip_redact_keys(buf, len);
		cr_assert_eq(buf[len], '#', "wrote past %zu", len);
		cr_assert_eq(memcmp(buf + len + 1, msg + len + 1, sizeof(msg) - len - 1), 0);
	}
	memcpy(buf, msg, sizeof(msg));
	buf[30] = '\0';
	buf[80] = '\0';
	(void)sip_redact_keys(buf, sizeof(msg) - 1);
	cr_expect_eq(sip_redact_keys(buf, 0), 0);
}
