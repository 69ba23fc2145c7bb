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
	OPENSSL_cleanse(st->key_gateway, sizeof(st->key_gateway));
	OPENSSL_cleanse(st->key_engine, sizeof(st->key_engine));
	OPENSSL_cleanse(st->key_offered, sizeof(st->key_offered));
}

/* The first usable a=crypto line in the dial plan's order; on a re-offer
 * the suite in use first, when it is still offered and allowed. */
static enum sdp_refusal choose_suite(const struct sdp_oa *oa, const struct sdp *s,
				     const struct sdp_media *m, struct sdp_stream *st)
{
	struct sdp_crypto c[SDP_MAX_CRYPTO];
	enum umedge_srtp_suite order[UMEDGE_SRTP_SUITE_COUNT + 1];
	unsigned usable = 0, n = 0;
	enum sdp_refusal r = SDP_R_NO_COMMON_SUITE;

	for (unsigned k = 0; k < m->n_crypto; k++) {
		sdp_crypto_parse(&c[k], sdp_attr_value(&s->lines[m->crypto[k]]));
		usable += c[k].status == SDP_CRYPTO_USABLE;
	}
	if (usable == 0)
		r = SDP_R_NO_USABLE_CRYPTO;
	for (unsigned d = 0; oa->prev != NULL && oa->prev->srtp && d < oa->n_suites; d++)
		if (oa->suites[d] == oa->prev->suite)
			order[n++] = oa->prev->suite;
	for (unsigned d = 0; d < oa->n_suites && n < UMEDGE_SRTP_SUITE_COUNT + 1; d++)
		order[n++] = oa->suites[d];
	for (unsigned d = 0; usable > 0 && d < n && r != SDP_R_OK; d++)
		for (unsigned k = 0; k < m->n_crypto; k++)
			if (c[k].status == SDP_CRYPTO_USABLE && c[k].suite == (int)order[d]) {
				st->suite = order[d];
				st->tag = c[k].tag;
				st->key_len = c[k].keys[0].len;
				memcpy(st->key_gateway, c[k].keys[0].key_salt, st->key_len);
				r = SDP_R_OK;
				break;
			}
	for (unsigned k = 0; k < m->n_crypto; k++)
		sdp_crypto_wipe(&c[k]);
	return r;
}

/* A re-offer may keep the engine's key: same suite, no re-key asked. */
static bool keep_engine_key(const struct sdp_oa *oa, const struct sdp_stream *st)
{
	return oa->prev != NULL && oa->prev->srtp && !oa->rekey && oa->prev->suite == st->suite &&
	       oa->prev->key_len == st->key_len && st->key_len != 0;
}

static const uint8_t *key_of(const struct sdp_stream *s, bool engine)
{
	return engine ? s->key_engine : s->key_gateway;
}

/* Does the gateway's (or the engine's) key differ from the last
 * exchange's? Always on a first offer. */
static bool key_changed(const struct sdp_oa *oa, const struct sdp_stream *st, bool engine)
{
	const struct sdp_stream *p = oa->prev;

	return p == NULL || !p->srtp || p->suite != st->suite || p->key_len != st->key_len ||
	       CRYPTO_memcmp(key_of(p, engine), key_of(st, engine), st->key_len) != 0;
}

/* The application's re-offer to a secured gateway whose call has a suite:
 * that suite alone, with the engine's key (a fresh one if asked), under
 * the tag of its place in the dial plan, which the answer must echo. */
static int reoffer_to_gateway(const struct sdp_oa *oa, struct sdp_stream *st,
			      struct sdp_rewrite_media *rm, char crypto[][128])
{
	const struct sdp_stream *p = oa->prev;
	unsigned d;

	for (d = 0; d < oa->n_suites; d++)
		if (oa->suites[d] == p->suite)
			break;
	if (d == oa->n_suites || p->key_len == 0)
		return 1;	/* the suite left the dial plan: a full offer */
	if (oa->rekey) {
		if (sdp_crypto_new_key(p->suite, st->key_offered[d]) < 0)
			return -1;
	} else {
		memcpy(st->key_offered[d], p->key_engine, p->key_len);
	}
	if (sdp_crypto_format(crypto[0], 128, d + 1, p->suite, st->key_offered[d]) < 0)
		return -1;
	rm->savp = true;
	rm->crypto[0] = crypto[0];
	rm->n_crypto = 1;
	st->srtp = true;
	return 0;
}

/* To a secured gateway: the dial plan's suites in order, a fresh key
 * each; the answer picks one. 0 or -1. */
static int offer_to_gateway(const struct sdp_oa *oa, struct sdp_stream *st,
			    struct sdp_rewrite_media *rm, char crypto[][128])
{
	rm->savp = true;
	for (unsigned d = 0; d < oa->n_suites && d < UMEDGE_SRTP_SUITE_COUNT; d++) {
		/* kept for the answer, which picks one of them */
		if (sdp_crypto_new_key(oa->suites[d], st->key_offered[d]) < 0 ||
		    sdp_crypto_format(crypto[d], 128, d + 1, oa->suites[d], st->key_offered[d]) < 0)
			return -1;
		rm->crypto[d] = crypto[d];
		rm->n_crypto = d + 1;
	}
	st->srtp = true;
	return 0;
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
		if (keep_engine_key(oa, st)) {
			/* the same suite, no re-key asked: our key stays */
			memcpy(st->key_engine, oa->prev->key_engine, st->key_len);
		} else if (sdp_crypto_new_key(st->suite, st->key_engine) < 0) {
			sdp_stream_wipe(st);
			return SDP_R_MALFORMED;
		} else {
			st->rekeyed_engine = true;
		}
		st->rekeyed_gateway = key_changed(oa, st, false);
	} else if (m->savp) {
		return SDP_R_SRTP_TO_UNSECURED;
	}
	/* the offer for the other side */
	rw.addr = oa->addr[to];
	rw.o_version = oa->o_version;
	rw.media[audio].port = oa->port[to];
	if (oa->from == SDP_FROM_APPLICATION && oa->mode == UMEDGE_SEC_SECURED) {
		int k = oa->prev != NULL && oa->prev->srtp
				? reoffer_to_gateway(oa, st, &rw.media[audio], crypto)
				: 1;

		if (k > 0)
			k = offer_to_gateway(oa, st, &rw.media[audio], crypto);
		if (k < 0) {
			OPENSSL_cleanse(crypto, sizeof(crypto));
			sdp_stream_wipe(st);
			return SDP_R_MALFORMED;
		}
	}
	*out_len = sdp_write(offer, &rw, out, cap);
	OPENSSL_cleanse(crypto, sizeof(crypto));
	if (*out_len < 0) {
		sdp_stream_wipe(st);
		return SDP_R_MALFORMED;
	}
	return SDP_R_OK;
}

enum sdp_refusal sdp_answer(const struct sdp_oa *oa, const struct sdp *answer, char *out,
			    size_t cap, long *out_len, struct sdp_stream *st)
{
	/* the answer goes back to the offerer's side */
	unsigned back = oa->from == SDP_FROM_GATEWAY ? SDP_TO_GATEWAY : SDP_TO_APPLICATION;
	const struct sdp_media *m;
	struct sdp_rewrite rw;
	char crypto[128];
	bool secured = oa->mode == UMEDGE_SEC_SECURED;

	*out_len = -1;
	memset(&rw, 0, sizeof(rw));
	if (st->stream >= answer->n_media)
		return SDP_R_MALFORMED; /* RFC 3264: as many m= lines as the offer */
	m = &answer->media[st->stream];
	st->answer_addr = m->c.ipv4;
	st->answer_port = m->port;
	if (m->port != 0) {
		if (m->c.ip6 || (m->c.ipv4 == 0 && !m->c.hold))
			return SDP_R_MALFORMED;
		if (oa->from == SDP_FROM_GATEWAY) {
			/* the application answers: RTP only */
			if (m->savp)
				return SDP_R_SRTP_FROM_APPLICATION;
		} else if (secured) {
			/* the gateway picks one of the suites we offered */
			struct sdp_crypto c;
			unsigned d;

			if (!m->savp)
				return SDP_R_RTP_TO_SECURED;
			if (m->n_crypto != 1)
				return SDP_R_NO_USABLE_CRYPTO;
			sdp_crypto_parse(&c, sdp_attr_value(&answer->lines[m->crypto[0]]));
			if (c.status != SDP_CRYPTO_USABLE) {
				sdp_crypto_wipe(&c);
				return SDP_R_NO_USABLE_CRYPTO;
			}
			for (d = 0; d < oa->n_suites; d++)
				if (c.suite == (int)oa->suites[d] && c.tag == d + 1)
					break;
			if (d == oa->n_suites) {
				sdp_crypto_wipe(&c);
				return SDP_R_NO_COMMON_SUITE;
			}
			st->suite = oa->suites[d];
			st->tag = c.tag;
			st->key_len = c.keys[0].len;
			memcpy(st->key_gateway, c.keys[0].key_salt, st->key_len);
			memcpy(st->key_engine, st->key_offered[d], st->key_len);
			st->rekeyed_gateway = key_changed(oa, st, false);
			st->rekeyed_engine = key_changed(oa, st, true);
			OPENSSL_cleanse(st->key_offered, sizeof(st->key_offered));
			sdp_crypto_wipe(&c);
		} else if (m->savp) {
			return SDP_R_SRTP_TO_UNSECURED;
		}
	}
	/* the answer for the offerer, from the engine */
	rw.addr = oa->addr[back];
	rw.o_version = oa->o_version;
	rw.media[st->stream].port = m->port != 0 ? oa->port[back] : 0;
	if (oa->from == SDP_FROM_GATEWAY && secured && m->port != 0) {
		rw.media[st->stream].savp = true;
		if (sdp_crypto_format(crypto, sizeof(crypto), st->tag, st->suite, st->key_engine) < 0)
			return SDP_R_MALFORMED;
		rw.media[st->stream].crypto[0] = crypto;
		rw.media[st->stream].n_crypto = 1;
	}
	*out_len = sdp_write(answer, &rw, out, cap);
	OPENSSL_cleanse(crypto, sizeof(crypto));
	return *out_len < 0 ? SDP_R_MALFORMED : SDP_R_OK;
}
