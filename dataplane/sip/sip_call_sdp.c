/*
 * sip_call_sdp.c: a call's offers and answers through the engine (see
 * sip_call.h): the SDP library (sdp.h) rewrites them per security mode,
 * and each completed exchange goes to the media engine.
 */
#include "sip_call.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static void oa_of(const struct sip_call *c, const struct sip_call_env *env, uint8_t from,
		  struct sdp_oa *oa)
{
	memset(oa, 0, sizeof(*oa));
	oa->mode = c->mode;
	oa->suites = c->suites;
	oa->n_suites = c->n_suites;
	oa->from = from == 0 ? SDP_FROM_GATEWAY : SDP_FROM_APPLICATION;
	oa->addr[0] = env->addr[0];
	oa->addr[1] = env->addr[1];
	oa->port[0] = c->local[0];
	oa->port[1] = c->local[1];
	oa->prev = c->has_cur ? &c->cur : NULL;
}

struct sip_str sip_call_offered_proto(const struct sip_call_table *t)
{
	for (unsigned i = 0; i < t->sdp.n_media; i++)
		if (t->sdp.media[i].port != 0)
			return t->sdp.media[i].proto;
	return (struct sip_str){ "none", 4 };
}

enum sip_call_verdict sip_call_offer(struct sip_call_table *t, struct sip_call *c,
				     const struct sip_call_env *env, uint8_t from,
				     enum sip_method method, uint32_t cseq, struct sip_str body,
				     char *out, size_t cap, long *out_len, enum sdp_refusal *why)
{
	struct sdp_oa oa;
	enum sdp_refusal r;

	*why = SDP_R_OK;
	*out_len = -1;
	if (sdp_parse(&t->sdp, body.p, body.len) != SDP_E_OK) {
		*why = SDP_R_MALFORMED;
		return SIP_CALL_SDP_MALFORMED;
	}
	if (!c->has_ports) {
		if (env->ops->open(env->ops->arg, c->local) != 0)
			return SIP_CALL_SDP_NO_PORTS;
		c->has_ports = true;
	}
	oa_of(c, env, from, &oa);
	oa.o_version = c->o_version[from ^ 1] + 1;
	sdp_stream_wipe(&c->pend);
	c->has_pend = false;
	r = sdp_offer(&oa, &t->sdp, out, cap, out_len, &c->pend);
	if (r != SDP_R_OK) {
		sdp_stream_wipe(&c->pend);
		*why = r;
		return r == SDP_R_MALFORMED ? SIP_CALL_SDP_MALFORMED : SIP_CALL_SDP_REFUSED;
	}
	c->o_version[from ^ 1] = oa.o_version;
	c->has_pend = true;
	c->pend_answered = false;
	c->pend_from = from;
	c->pend_method = (uint8_t)method;
	c->pend_cseq = cseq;
	c->answer_version = c->o_version[from] + 1;
	return SIP_CALL_SDP_OK;
}

/* The media the engine runs for stream st, offered from side `from`. */
static void media_of(const struct sip_call *c, const struct sdp_stream *st, uint8_t from,
		     struct sip_media *m)
{
	memset(m, 0, sizeof(*m));
	m->srtp = st->srtp;
	m->rtcp_mux = st->rtcp_mux;
	m->suite = st->suite;
	m->local[0] = c->local[0];
	m->local[1] = c->local[1];
	m->remote_addr[from] = st->remote_addr;
	m->remote_port[from] = st->remote_port;
	m->remote_addr[from ^ 1] = st->answer_addr;
	m->remote_port[from ^ 1] = st->answer_port;
	m->dir = st->dir;
	m->key_in = st->key_gateway;
	m->key_out = st->key_engine;
	m->key_len = st->key_len;
	m->rekey_in = st->rekeyed_gateway;
	m->rekey_out = st->rekeyed_engine;
}

/* Would b change what the engine runs for a? */
static bool same_media(const struct sdp_stream *a, uint8_t a_from, const struct sdp_stream *b,
		       uint8_t b_from)
{
	return a_from == b_from && a->remote_addr == b->remote_addr &&
	       a->remote_port == b->remote_port && a->answer_addr == b->answer_addr &&
	       a->answer_port == b->answer_port && a->dir == b->dir &&
	       a->rtcp_mux == b->rtcp_mux && a->srtp == b->srtp &&
	       (!a->srtp || (a->suite == b->suite && a->key_len == b->key_len &&
			     CRYPTO_memcmp(a->key_gateway, b->key_gateway, a->key_len) == 0 &&
			     CRYPTO_memcmp(a->key_engine, b->key_engine, a->key_len) == 0));
}

enum sip_call_verdict sip_call_answer(struct sip_call_table *t, struct sip_call *c,
				      const struct sip_call_env *env, struct sip_str body,
				      char *out, size_t cap, long *out_len, enum sdp_refusal *why)
{
	struct sdp_stream *st = &t->tmp;
	struct sip_media m;
	struct sdp_oa oa;
	enum sdp_refusal r;
	enum sip_call_verdict v = SIP_CALL_SDP_OK;

	*why = SDP_R_OK;
	*out_len = -1;
	if (!c->has_pend)
		return SIP_CALL_SDP_NO_OFFER;
	if (sdp_parse(&t->sdp, body.p, body.len) != SDP_E_OK) {
		*why = SDP_R_MALFORMED;
		return SIP_CALL_SDP_MALFORMED;
	}
	oa_of(c, env, c->pend_from, &oa);
	oa.o_version = c->answer_version;
	*st = c->pend;
	r = sdp_answer(&oa, &t->sdp, out, cap, out_len, st);
	if (r != SDP_R_OK) {
		*why = r;
		v = r == SDP_R_MALFORMED ? SIP_CALL_SDP_MALFORMED : SIP_CALL_SDP_REFUSED;
		goto out;
	}
	if (c->pend_answered && c->has_cur && same_media(&c->cur, c->cur_from, st, c->pend_from))
		goto out; /* the same answer again */
	media_of(c, st, c->pend_from, &m);
	if (env->ops->apply(env->ops->arg, &c->media, &m) != 0) {
		v = SIP_CALL_SDP_MEDIA_FAILED;
		goto out;
	}
	sdp_stream_wipe(&c->cur);
	c->cur = *st;
	c->cur_from = c->pend_from;
	c->has_cur = true;
	c->pend_answered = true;
	c->o_version[c->pend_from] = c->answer_version;
out:
	sdp_stream_wipe(st);
	return v;
}

void sip_call_late_done(struct sip_call *c)
{
	if (c->late_sdp != NULL) {
		OPENSSL_cleanse(c->late_sdp, c->late_len);
		free(c->late_sdp);
		c->late_sdp = NULL;
		c->late_len = 0;
	}
}

void sip_call_offer_failed(struct sip_call *c)
{
	sdp_stream_wipe(&c->pend);
	c->has_pend = false;
	c->pend_answered = false;
	sip_call_late_done(c);
}
