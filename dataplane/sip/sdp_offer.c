/*
 * sdp_offer.c: an offer through the engine (RFC 3264), per security mode:
 * the first audio stream is anchored (the others are refused with port 0),
 * the profile and the keys are checked against the dial plan's mode, and
 * the offer for the other side is written with the engine's address and
 * port. Pure: the caller gives the mode, the suites, the addresses and the
 * ports; the result is the SDP and the media parameters, or a refusal.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "sdp.h"

const char *sdp_refusal_text(enum sdp_refusal r)
{
	static const char *const text[] = {
		"accepted",
		"RTP offered to a secured dial plan: SRTP (RTP/SAVP with a=crypto) required",
		"SRTP offered to a dial plan that is not secured: RTP/AVP required",
		"no a=crypto line the engine can use",
		"no SRTP suite in common with the dial plan",
		"malformed SDP",
		"no audio stream",
		"SRTP offered on the application side",
	};

	return (unsigned)r < sizeof(text) / sizeof(text[0]) ? text[r] : "refused";
}

void sdp_stream_wipe(struct sdp_stream *st)
{
	OPENSSL_cleanse(st->key_offerer, sizeof(st->key_offerer));
	OPENSSL_cleanse(st->key_engine, sizeof(st->key_engine));
}

/* The first usable a=crypto line in the dial plan's order. */
static enum sdp_refusal choose_suite(const struct sdp_oa *oa, const struct sdp *s,
				     const struct sdp_media *m, struct sdp_stream *st)
{
	struct sdp_crypto c[SDP_MAX_CRYPTO];
	unsigned usable = 0;
	enum sdp_refusal r = SDP_R_NO_COMMON_SUITE;

	for (unsigned k = 0; k < m->n_crypto; k++) {
		sdp_crypto_parse(&c[k], sdp_attr_value(&s->lines[m->crypto[k]]));
		usable += c[k].status == SDP_CRYPTO_USABLE;
	}
	if (usable == 0)
		r = SDP_R_NO_USABLE_CRYPTO;
	for (unsigned d = 0; usable > 0 && d < oa->n_suites && r != SDP_R_OK; d++)
		for (unsigned k = 0; k < m->n_crypto; k++)
			if (c[k].status == SDP_CRYPTO_USABLE && c[k].suite == (int)oa->suites[d]) {
				st->suite = oa->suites[d];
				st->tag = c[k].tag;
				st->key_len = c[k].keys[0].len;
				memcpy(st->key_offerer, c[k].keys[0].key_salt, st->key_len);
				r = SDP_R_OK;
				break;
			}
	for (unsigned k = 0; k < m->n_crypto; k++)
		sdp_crypto_wipe(&c[k]);
	return r;
}

enum sdp_refusal sdp_offer(const struct sdp_oa *oa, const struct sdp *offer, char *out,
			   size_t cap, long *out_len, struct sdp_stream *st)
{
	unsigned to = oa->from == SDP_FROM_GATEWAY ? SDP_TO_APPLICATION : SDP_TO_GATEWAY;
	const struct sdp_media *m = NULL;
	struct sdp_rewrite rw;
	char crypto[UMEDGE_SRTP_SUITE_COUNT][128];
	int audio = -1;
	enum sdp_refusal r = SDP_R_OK;

	memset(st, 0, sizeof(*st));
	memset(&rw, 0, sizeof(rw));
	*out_len = -1;
	for (unsigned i = 0; i < offer->n_media && audio < 0; i++)
		if (offer->media[i].port != 0 && offer->media[i].type.len == 5 &&
		    memcmp(offer->media[i].type.p, "audio", 5) == 0 && offer->media[i].n_fmts > 0)
			audio = (int)i;
	if (audio < 0)
		return SDP_R_NO_AUDIO;
	m = &offer->media[audio];
	st->stream = (unsigned)audio;
	st->remote_addr = m->c.ipv4;
	st->remote_port = m->port;
	st->dir = m->c.hold ? SDP_INACTIVE : m->dir;
	st->rtcp_mux = m->rtcp_mux;
	st->telephone_event = m->telephone_event;
	st->n_pts = m->n_fmts;
	memcpy(st->pts, m->fmts, m->n_fmts);
	if (m->c.ip6 || (m->c.ipv4 == 0 && !m->c.hold))
		return SDP_R_MALFORMED; /* IPv4 media only on this engine */
	if (oa->from == SDP_FROM_APPLICATION) {
		if (m->savp)
			return SDP_R_SRTP_FROM_APPLICATION;
	} else if (oa->mode == UMEDGE_SEC_SECURED) {
		if (!m->savp)
			return SDP_R_RTP_TO_SECURED;
		r = choose_suite(oa, offer, m, st);
		if (r != SDP_R_OK)
			return r;
		st->srtp = true;
		if (sdp_crypto_new_key(st->suite, st->key_engine) < 0) {
			sdp_stream_wipe(st);
			return SDP_R_MALFORMED;
		}
	} else if (m->savp) {
		return SDP_R_SRTP_TO_UNSECURED;
	}
	/* the offer for the other side */
	rw.addr = oa->addr[to];
	rw.o_version = oa->o_version;
	rw.media[audio].port = oa->port[to];
	if (oa->from == SDP_FROM_APPLICATION && oa->mode == UMEDGE_SEC_SECURED) {
		/* to a secured gateway: the dial plan's suites in order, a fresh
		 * key each; the answer picks one */
		rw.media[audio].savp = true;
		for (unsigned d = 0; d < oa->n_suites && d < UMEDGE_SRTP_SUITE_COUNT; d++) {
			uint8_t key[SDP_KEY_SALT_MAX];

			if (sdp_crypto_new_key(oa->suites[d], key) < 0 ||
			    sdp_crypto_format(crypto[d], sizeof(crypto[d]), d + 1, oa->suites[d],
					      key) < 0) {
				OPENSSL_cleanse(key, sizeof(key));
				OPENSSL_cleanse(crypto, sizeof(crypto));
				return SDP_R_MALFORMED;
			}
			if (d == 0) {
				/* the first suite's key is the default one; the
				 * answer may pick another (sdp_answer, to come) */
				st->suite = oa->suites[0];
				st->key_len = (uint8_t)sdp_suite_key_salt_len(oa->suites[0]);
				memcpy(st->key_engine, key, st->key_len);
			}
			OPENSSL_cleanse(key, sizeof(key));
			rw.media[audio].crypto[d] = crypto[d];
			rw.media[audio].n_crypto = d + 1;
		}
		st->srtp = true;
	}
	*out_len = sdp_write(offer, &rw, out, cap);
	OPENSSL_cleanse(crypto, sizeof(crypto));
	if (*out_len < 0) {
		sdp_stream_wipe(st);
		return SDP_R_MALFORMED;
	}
	return SDP_R_OK;
}
