/*
 * sdp_crypto.c: a=crypto (RFC 4568 section 9.1) for the suites the media
 * engine has (RFC 4568, RFC 6188, RFC 7714 names). Base64 is OpenSSL's;
 * decoded keys are wiped by sdp_crypto_wipe().
 */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sdp.h"
#include "sip_msg_int.h"

unsigned sdp_suite_key_salt_len(enum umedge_srtp_suite suite)
{
	return (unsigned)umedge_srtp_key_salt_len(suite);
}

const char *sdp_crypto_status_text(enum sdp_crypto_status st)
{
	static const char *const text[] = {
		"usable",
		"malformed a=crypto",
		"crypto suite not supported",
		"key of the wrong length or bad base64",
		"session parameter not supported",
		"MKI not supported",
		"several keys not supported",
		"key lifetime beyond 2^48 packets",
	};

	return (unsigned)st < sizeof(text) / sizeof(text[0]) ? text[st] : "unusable";
}

void sdp_crypto_wipe(struct sdp_crypto *c)
{
	OPENSSL_cleanse(c->keys, sizeof(c->keys));
}

static bool digits(const char *p, const char *e, unsigned max_len, uint64_t *v)
{
	uint64_t x = 0;

	if (p == e || (unsigned)(e - p) > max_len)
		return false;
	for (; p < e; p++) {
		if (!sip_is_digit(*p))
			return false;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	return true;
}

/* base64 key||salt into k: false when it is not base64 of a sane size. */
static bool decode_key(struct sdp_crypto_key *k, const char *p, const char *e)
{
	unsigned char in[92], out[72];
	size_t n = (size_t)(e - p), padded;
	int got, pad = 0;

	if (n == 0 || n > 88)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(sip_is(p[i], SIP_C_HOST) || p[i] == '+' || p[i] == '/' ||
		      (p[i] == '=' && i >= n - 2)) ||
		    p[i] == '-' || p[i] == '.')
			return false;
	memcpy(in, p, n);
	/* some peers leave the padding out */
	padded = (n + 3) & ~(size_t)3;
	while (n < padded)
		in[n++] = '=';
	got = EVP_DecodeBlock(out, in, (int)n);
	if (got < 0)
		return false;
	if (n >= 1 && in[n - 1] == '=')
		pad++;
	if (n >= 2 && in[n - 2] == '=')
		pad++;
	got -= pad;
	if (got <= 0 || got > SDP_KEY_SALT_MAX) {
		OPENSSL_cleanse(out, sizeof(out));
		return false;
	}
	memcpy(k->key_salt, out, (size_t)got);
	k->len = (uint8_t)got;
	OPENSSL_cleanse(out, sizeof(out));
	return true;
}

/* key-info after "inline:": key||salt ["|" lifetime] ["|" MKI:length] */
static enum sdp_crypto_status key_info(struct sdp_crypto_key *k, const char *p, const char *e)
{
	const char *bar = memchr(p, '|', (size_t)(e - p));
	const char *kend = bar != NULL ? bar : e;

	memset(k, 0, sizeof(*k));
	if (!decode_key(k, p, kend))
		return SDP_CRYPTO_BAD_KEY;
	while (bar != NULL) {
		const char *f = bar + 1, *colon;

		bar = memchr(f, '|', (size_t)(e - f));
		kend = bar != NULL ? bar : e;
		colon = memchr(f, ':', (size_t)(kend - f));
		if (colon != NULL) {
			uint64_t mki, len;

			if (!digits(f, colon, 10, &mki) || !digits(colon + 1, kend, 3, &len) ||
			    len == 0 || len > 128 || mki > 0xffffffffu)
				return SDP_CRYPTO_MALFORMED;
			k->mki = (uint32_t)mki;
			k->mki_len = (uint32_t)len;
		} else if (kend - f > 2 && f[0] == '2' && f[1] == '^') {
			uint64_t n;

			if (!digits(f + 2, kend, 3, &n))
				return SDP_CRYPTO_MALFORMED;
			if (n > 48)
				return SDP_CRYPTO_LIFETIME;
			k->lifetime = (uint64_t)1 << n;
		} else {
			uint64_t n;

			if (!digits(f, kend, 20, &n)) {
				/* a decimal past 2^64 is past 2^48 too */
				for (const char *q = f; q < kend; q++)
					if (!sip_is_digit(*q) || kend == f)
						return SDP_CRYPTO_MALFORMED;
				return SDP_CRYPTO_LIFETIME;
			}
			if (n > ((uint64_t)1 << 48))
				return SDP_CRYPTO_LIFETIME;
			k->lifetime = n;
		}
	}
	return SDP_CRYPTO_USABLE;
}

/* The next space-separated word of [*q, e); *q moves past it. */
static struct sip_str word(const char **q, const char *e)
{
	const char *p = *q, *s;

	while (p < e && *p == ' ')
		p++;
	s = p;
	while (p < e && *p != ' ')
		p++;
	*q = p;
	return sip_span(s, p);
}

void sdp_crypto_parse(struct sdp_crypto *c, struct sip_str value)
{
	const char *p = value.p, *e, *q;
	enum sdp_crypto_status worst = SDP_CRYPTO_USABLE;
	struct sip_str w;
	uint64_t tag;

	memset(c, 0, sizeof(*c));
	c->suite = -1;
	c->status = SDP_CRYPTO_MALFORMED;
	if (p == NULL)
		return;
	e = p + value.len;
	q = p;
	w = word(&q, e); /* tag */
	if (!digits(w.p, w.p + w.len, 9, &tag))
		return;
	c->tag = (uint32_t)tag;
	c->suite_str = word(&q, e);
	if (c->suite_str.len == 0)
		return;
	for (int i = 0; i < UMEDGE_SRTP_SUITE_COUNT; i++)
		if (strlen(umedge_srtp_suite_names[i]) == c->suite_str.len &&
		    memcmp(umedge_srtp_suite_names[i], c->suite_str.p, c->suite_str.len) == 0)
			c->suite = i;
	/* key-params: "inline:..." separated by ';' */
	w = word(&q, e);
	if (w.len == 0)
		return;
	p = w.p;
	for (const char *kp = p; kp < q;) {
		const char *ke = memchr(kp, ';', (size_t)(q - kp));
		enum sdp_crypto_status st;

		if (ke == NULL)
			ke = q;
		if (ke - kp < 8 || strncasecmp(kp, "inline:", 7) != 0)
			return; /* malformed */
		if (c->n_keys == SDP_CRYPTO_MAX_KEYS) {
			worst = SDP_CRYPTO_MANY_KEYS;
			break;
		}
		st = key_info(&c->keys[c->n_keys], kp + 7, ke);
		if (st == SDP_CRYPTO_MALFORMED) {
			sdp_crypto_wipe(c);
			return;
		}
		c->n_keys++;
		if (worst == SDP_CRYPTO_USABLE)
			worst = st;
		kp = ke + 1;
	}
	/* session parameters: only WSH (a window size hint) is harmless */
	while (q < e && *q == ' ')
		q++;
	if (q < e)
		c->session_params = sip_span(q, e);
	for (const char *sp = q; sp < e;) {
		const char *se = memchr(sp, ' ', (size_t)(e - sp));

		if (se == NULL)
			se = e;
		if (se > sp && !(se - sp > 4 && strncmp(sp, "WSH=", 4) == 0) &&
		    worst == SDP_CRYPTO_USABLE)
			worst = SDP_CRYPTO_SESSION_PARAM;
		sp = se + 1;
	}
	/* the first reason an operator must act on: suite, key, lifetime,
	 * then what the media engine cannot honour */
	if (c->suite < 0)
		c->status = SDP_CRYPTO_UNKNOWN_SUITE;
	else if (worst == SDP_CRYPTO_BAD_KEY || worst == SDP_CRYPTO_LIFETIME)
		c->status = worst;
	else if (c->keys[0].len != sdp_suite_key_salt_len((enum umedge_srtp_suite)c->suite))
		c->status = SDP_CRYPTO_BAD_KEY;
	else if (c->n_keys > 1 || worst == SDP_CRYPTO_MANY_KEYS)
		c->status = SDP_CRYPTO_MANY_KEYS;
	else if (c->keys[0].mki_len != 0)
		c->status = SDP_CRYPTO_MKI;
	else
		c->status = worst; /* USABLE or SESSION_PARAM */
	if (c->status != SDP_CRYPTO_USABLE)
		sdp_crypto_wipe(c);
}
