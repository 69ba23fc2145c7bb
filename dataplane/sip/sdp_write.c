/*
 * sdp_write.c: a parsed SDP written again for the other side of the
 * engine: o= with the engine's address and version, c= with the engine's
 * address, m= with the engine's port and the side's profile, the side's
 * a=crypto lines, no ICE or DTLS attributes (the engine anchors the media
 * itself) and no a=rtcp (the engine's RTCP port is the RTP port + 1 or
 * muxed). Every other line goes out as it came, with CRLF.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sdp.h"
#include "sip_msg_int.h"

static void putf(struct sip_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct sip_out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		o->overflow = true;
		return;
	}
	sip_out_put(o, buf, (size_t)n);
}

/* Attributes the engine removes: ICE and DTLS belong to the media path it
 * replaces; a=rtcp names a port it does not use; crypto it writes itself. */
static bool dropped(struct sip_str v)
{
	static const char *const names[] = {
		"candidate", "ice-ufrag", "ice-pwd", "ice-options", "ice-lite", "ice-mismatch",
		"end-of-candidates", "remote-candidates", "fingerprint", "setup", "rtcp", "crypto",
	};
	const char *colon = memchr(v.p, ':', v.len);
	size_t n = colon ? (size_t)(colon - v.p) : v.len;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp(v.p, names[i], n) == 0)
			return true;
	return false;
}

/* The m= line with our port and profile; the formats as they came. */
static void media_line(struct sip_out *o, const struct sdp_media *m, const struct sdp_line *l,
		       const struct sdp_rewrite_media *rm)
{
	const char *p = m->proto.p + m->proto.len, *e = l->value.p + l->value.len;
	bool rtp = m->proto.len >= 4 && strncasecmp(m->proto.p, "RTP/", 4) == 0;

	sip_out_str(o, "m=");
	sip_out_put(o, m->type.p, m->type.len);
	putf(o, " %u ", rm->port);
	if (rtp)
		sip_out_str(o, rm->savp ? "RTP/SAVP" : "RTP/AVP");
	else
		sip_out_put(o, m->proto.p, m->proto.len);
	sip_out_put(o, p, (size_t)(e - p));
	sip_out_str(o, "\r\n");
}

static void line_as_is(struct sip_out *o, const struct sdp *s, const struct sdp_line *l)
{
	sip_out_put(o, s->buf + l->off, (size_t)(l->value.p + l->value.len - s->buf) - l->off);
	sip_out_str(o, "\r\n");
}

long sdp_write(const struct sdp *s, const struct sdp_rewrite *rw, char *outbuf, size_t cap)
{
	struct sip_out o = { outbuf, 0, cap, false };
	char addr[INET_ADDRSTRLEN];

	sip_ipv4_str(addr, sizeof(addr), rw->addr);
	for (unsigned i = 0; i < s->n_lines; i++) {
		const struct sdp_line *l = &s->lines[i];
		const struct sdp_media *m = l->media ? &s->media[l->media - 1] : NULL;
		const struct sdp_rewrite_media *rm = l->media ? &rw->media[l->media - 1] : NULL;

		switch (l->type) {
		case 'o':
			sip_out_str(&o, "o=");
			sip_out_put(&o, s->o_user.p, s->o_user.len);
			sip_out_str(&o, " ");
			sip_out_put(&o, s->o_sess_id.p, s->o_sess_id.len);
			putf(&o, " %llu IN IP4 %s\r\n", (unsigned long long)rw->o_version, addr);
			break;
		case 'c': {
			const struct sdp_connection *c = m ? &m->c : &s->c;

			/* hold (0.0.0.0) stays hold */
			putf(&o, "c=IN IP4 %s\r\n", c->hold ? "0.0.0.0" : addr);
			break;
		}
		case 'm':
			media_line(&o, m, l, rm);
			break;
		case 'a':
			if (!dropped(l->value))
				line_as_is(&o, s, l);
			break;
		default:
			line_as_is(&o, s, l);
			break;
		}
		/* after a section's last line, even one not written (a dropped
		 * ICE attribute, a rewritten c=): the side's crypto lines */
		if (m != NULL && i == m->last) {
			for (unsigned k = 0; k < rm->n_crypto; k++) {
				sip_out_str(&o, "a=crypto:");
				sip_out_str(&o, rm->crypto[k]);
				sip_out_str(&o, "\r\n");
			}
		}
	}
	return o.overflow ? -1 : (long)o.n;
}

int sdp_crypto_format(char *out, size_t cap, unsigned tag, enum umedge_srtp_suite suite,
		      const uint8_t *key_salt)
{
	unsigned len = sdp_suite_key_salt_len(suite);
	unsigned char b64[96];
	int n;

	if (len == 0)
		return -1;
	n = EVP_EncodeBlock(b64, key_salt, (int)len);
	n = snprintf(out, cap, "%u %s inline:%.*s", tag, umedge_srtp_suite_names[suite], n,
		     (const char *)b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int sdp_crypto_new_key(enum umedge_srtp_suite suite, uint8_t *key_salt)
{
	unsigned len = sdp_suite_key_salt_len(suite);

	return len != 0 && RAND_bytes(key_salt, (int)len) == 1 ? (int)len : -1;
}
