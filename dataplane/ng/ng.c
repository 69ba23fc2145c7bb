/*
 * ng.c: rtpengine's ng commands over the SIP proxy's call records and
 * SDP offer/answer (ng.h). Replies are shaped as rtpengine 10.5 writes
 * them: "result" "ok" or "error" with "error-reason", "warning" for what
 * is accepted but not done.
 */
#include "ng.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bencode.h"
#include "sdp.h"

#define NG_NODES 512
#define NG_TAG_MAX 256		/* sip_call's from/to fields hold the tags */
#define NG_LIST_DEFAULT 32
#define SIDE_EXT 0		/* sip_call's side index: the gateway side */
#define SIDE_INT 1

static const char *const command_names[NG_CMD_COUNT] = {
#define NG_CMD_NAME(id, name) name,
	NG_COMMANDS(NG_CMD_NAME)
#undef NG_CMD_NAME
};

const char *ng_command_name(enum ng_command c)
{
	return (unsigned)c < NG_CMD_COUNT ? command_names[c] : "?";
}

struct ng_cached {
	char cookie[NG_COOKIE_MAX];
	uint8_t cookie_len;
	uint32_t len;
	char *reply;		/* NG_REPLY_MAX bytes of the engine's */
};

struct ng_engine {
	struct ng_conf conf;
	const struct sip_media_ops *ops;
	struct sip_call_env env;
	struct sip_call_table t;
	struct ng_stats st;
	struct ng_cached *cache;
	uint32_t cache_next;
	struct benc_node nodes[NG_NODES];
	struct benc_doc doc;
	char sdp[NG_REPLY_MAX];		/* the rewritten SDP */
	int64_t wall_offset_s;		/* Unix time - monotonic seconds */
	uint64_t now_ms;
	char warning[160];		/* for the reply being built */
	uint64_t gen;			/* calls came or went */
};

struct ng_engine *ng_new(const struct ng_conf *conf, const struct sip_media_ops *ops)
{
	struct ng_engine *ng;

	if (conf == NULL || ops == NULL || conf->max_calls == 0)
		return NULL;
	ng = calloc(1, sizeof(*ng));
	if (ng == NULL)
		return NULL;
	ng->conf = *conf;
	if (ng->conf.cache == 0)
		ng->conf.cache = 64;
	ng->ops = ops;
	ng->env.ops = ops;
	ng->env.addr[0] = conf->addr[0];
	ng->env.addr[1] = conf->addr[1];
	ng->cache = calloc(ng->conf.cache, sizeof(*ng->cache));
	if (ng->cache == NULL ||
	    sip_call_table_init(&ng->t, conf->max_calls, conf->first_id, conf->id_step) != 0) {
		free(ng->cache);
		free(ng);
		return NULL;
	}
	for (uint32_t i = 0; i < ng->conf.cache; i++) {
		ng->cache[i].reply = malloc(NG_REPLY_MAX);
		if (ng->cache[i].reply == NULL) {
			ng_free(ng);
			return NULL;
		}
	}
	ng->doc.nodes = ng->nodes;
	ng->doc.cap = NG_NODES;
	ng->doc.max_depth = 8;
	return ng;
}

void ng_free(struct ng_engine *ng)
{
	if (ng == NULL)
		return;
	for (uint32_t i = 0; ng->t.pool != NULL && i < ng->t.cap; i++)
		if (ng->t.pool[i].key != 0)
			sip_call_end(&ng->t, &ng->t.pool[i], ng->ops, NULL);
	sip_call_table_fini(&ng->t);
	for (uint32_t i = 0; ng->cache != NULL && i < ng->conf.cache; i++) {
		if (ng->cache[i].reply != NULL)
			OPENSSL_cleanse(ng->cache[i].reply, NG_REPLY_MAX); /* SDES keys */
		free(ng->cache[i].reply);
	}
	free(ng->cache);
	OPENSSL_cleanse(ng->sdp, sizeof(ng->sdp));
	free(ng);
}

const struct ng_stats *ng_stats(const struct ng_engine *ng)
{
	return &ng->st;
}

const struct sip_call_table *ng_call_table(const struct ng_engine *ng)
{
	return &ng->t;
}

uint64_t ng_generation(const struct ng_engine *ng)
{
	return ng->gen + ng->st.expired + ng->st.deleted;
}

uint32_t ng_calls(const struct ng_engine *ng)
{
	return ng->t.cap - ng->t.n_free;
}

/* ---- replies ---- */

static void reply_error(struct ng_engine *ng, struct benc_out *o, const char *why)
{
	ng->st.errors++;
	benc_dict(o);
	benc_kv_str(o, "result", "error");
	benc_kv_str(o, "error-reason", why);
	benc_end(o);
}

static void reply_ok_open(struct ng_engine *ng, struct benc_out *o)
{
	benc_dict(o);
	benc_kv_str(o, "result", "ok");
	if (ng->warning[0] != '\0')
		benc_kv_str(o, "warning", ng->warning);
}

static void warn(struct ng_engine *ng, const char *w)
{
	size_t n = strlen(ng->warning);

	snprintf(ng->warning + n, sizeof(ng->warning) - n, "%s%s", n ? "; " : "", w);
}

/* ---- request fields ---- */

static struct sip_str str_of(const struct benc_doc *d, const char *key)
{
	uint32_t len = 0;
	const char *p = benc_get_str(d, 0, key, &len);

	return (struct sip_str){ p, p != NULL ? len : 0 };
}

/* a string of a list under key equal to lit */
static bool list_has(const struct benc_doc *d, const char *key, const char *lit)
{
	uint32_t l = benc_get(d, 0, key);

	for (uint32_t i = benc_first(d, l); i != 0; i = benc_sibling(d, l, i))
		if (benc_is(d, i, lit))
			return true;
	return false;
}

static bool tag_is(const char *tag, struct sip_str s)
{
	return s.p != NULL && strlen(tag) == s.len && memcmp(tag, s.p, s.len) == 0;
}

static void set_tag(char *dst, struct sip_str s)
{
	size_t n = s.len < NG_TAG_MAX - 1 ? s.len : NG_TAG_MAX - 1;

	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* interface name -> side; -1 unknown */
static int side_of(const struct benc_doc *d, uint32_t i)
{
	if (benc_is(d, i, "external") || benc_is(d, i, "ext") || benc_is(d, i, "pub") ||
	    benc_is(d, i, "public"))
		return SIDE_EXT;
	if (benc_is(d, i, "internal") || benc_is(d, i, "int") || benc_is(d, i, "priv") ||
	    benc_is(d, i, "private"))
		return SIDE_INT;
	return -1;
}

/* The offer's side from `direction` [from, to]: 0/1, -1 absent, -2 bad. */
static int direction(const struct benc_doc *d)
{
	uint32_t l = benc_get(d, 0, "direction"), a, b;
	int from, to;

	if (l == 0)
		return -1;
	a = benc_first(d, l);
	b = a != 0 ? benc_sibling(d, l, a) : 0;
	if (d->nodes[l].type != BENC_LIST || a == 0 || b == 0)
		return -2;
	from = side_of(d, a);
	to = side_of(d, b);
	return from < 0 || to < 0 || from == to ? -2 : from;
}

/* transport-protocol: 0 RTP/AVP(F), 1 RTP/SAVP(F), -1 absent, -2 other */
static int transport_protocol(const struct benc_doc *d)
{
	uint32_t v = benc_get(d, 0, "transport-protocol");

	if (v == 0)
		return -1;
	if (benc_is(d, v, "RTP/AVP") || benc_is(d, v, "RTP/AVPF"))
		return 0;
	if (benc_is(d, v, "RTP/SAVP") || benc_is(d, v, "RTP/SAVPF"))
		return 1;
	return -2;
}

/* The suites the SDES list leaves, in umedge's order ("only-" lists
 * replace it, in their order; "no-" removes). 0 with "off". */
static unsigned sdes_suites(const struct benc_doc *d, enum umedge_srtp_suite *out, bool *off)
{
	uint32_t l = benc_get(d, 0, "SDES");
	bool only = false, no[UMEDGE_SRTP_SUITE_COUNT] = { false };
	unsigned n = 0;
	char name[64];

	*off = false;
	for (uint32_t i = benc_first(d, l); i != 0; i = benc_sibling(d, l, i)) {
		const struct benc_node *s = &d->nodes[i];
		int su;
		if (s->type != BENC_STR || s->len >= sizeof(name))
			continue;
		memcpy(name, s->s, s->len);
		name[s->len] = '\0';
		if (strcmp(name, "off") == 0 || strcmp(name, "no") == 0) {
			*off = true;
		} else if (strncmp(name, "only-", 5) == 0 &&
			   (su = umedge_srtp_suite_parse(name + 5)) >= 0) {
			bool dup = false;
			for (unsigned k = 0; k < n; k++)
				dup |= out[k] == (enum umedge_srtp_suite)su;
			if (!only)
				n = 0;
			only = true;
			if (!dup && n < UMEDGE_SRTP_SUITE_COUNT)
				out[n++] = (enum umedge_srtp_suite)su;
		} else if (strncmp(name, "no-", 3) == 0 &&
			   (su = umedge_srtp_suite_parse(name + 3)) >= 0) {
			no[su] = true;
		}
	}
	if (!only)
		for (int s = 0; s < UMEDGE_SRTP_SUITE_COUNT; s++)
			out[n++] = (enum umedge_srtp_suite)s;
	for (unsigned i = 0; i < n;)
		if (no[out[i]])
			memmove(&out[i], &out[i + 1], (--n - i) * sizeof(out[0]));
		else
			i++;
	return *off ? 0 : n;
}

/* The mode of a new call offered from side `from` (rules in ng.h). NULL
 * or why not. */
static const char *mode_of(bool savp, int tp, int from, enum umedge_security *mode)
{
	if (tp == -2)
		return "transport-protocol: only RTP/AVP and RTP/SAVP (and their F variants)";
	if (from == SIDE_INT) {
		if (savp)
			return "the internal side is RTP: it cannot offer RTP/SAVP";
		*mode = tp == 1 ? UMEDGE_SEC_SECURED : UMEDGE_SEC_UNSECURED;
		return NULL;
	}
	if (savp) {
		if (tp != 0)
			return "RTP/SAVP from the external side goes to the internal side as RTP/AVP: "
			       "give transport-protocol=RTP/AVP";
		*mode = UMEDGE_SEC_SECURED;
		return NULL;
	}
	if (tp == 1)
		return "the internal side is RTP: RTP/AVP from the external side cannot become "
		       "RTP/SAVP";
	*mode = UMEDGE_SEC_UNSECURED;
	return NULL;
}

/* What is accepted without being done, said in a warning. */
static const char *unsupported(struct ng_engine *ng, const struct benc_doc *d)
{
	uint32_t ice = benc_get(d, 0, "ICE");

	if (ice != 0 && !benc_is(d, ice, "remove") && !benc_is(d, ice, "default"))
		return "ICE: only ICE=remove (umedge anchors the media and removes ICE)";
	if (list_has(d, "flags", "record-call") || benc_is(d, benc_get(d, 0, "record call"), "yes") ||
	    benc_is(d, benc_get(d, 0, "record-call"), "yes") ||
	    benc_is(d, benc_get(d, 0, "record call"), "on"))
		warn(ng, "record-call is not supported: the call is not recorded");
	return NULL;
}

/* ---- commands ---- */

static void cmd_offer(struct ng_engine *ng, const struct benc_doc *d, struct benc_out *o,
		      bool answer)
{
	struct sip_str sdp = str_of(d, "sdp"), cid = str_of(d, "call-id");
	struct sip_str ft = str_of(d, "from-tag"), tt = str_of(d, "to-tag");
	struct sip_call *c;
	enum sip_call_verdict v;
	enum sdp_refusal why;
	const char *err;
	bool fresh = false;
	long len = -1;
	int from;

	if (sdp.p == NULL || cid.p == NULL || ft.p == NULL || (answer && tt.p == NULL) ||
	    cid.len == 0) {
		reply_error(ng, o, answer ? "answer needs sdp, call-id, from-tag and to-tag"
					  : "offer needs sdp, call-id and from-tag");
		return;
	}
	if ((err = unsupported(ng, d)) != NULL) {
		reply_error(ng, o, err);
		return;
	}
	c = sip_call_find(&ng->t, cid);
	if (answer) {
		if (c == NULL || !(tag_is(c->from, ft) || tag_is(c->from, tt))) {
			reply_error(ng, o, "Unknown call-id");
			return;
		}
		/* the answer from the callee (to-tag) or, on its re-offer, the caller */
		set_tag(c->to, tag_is(c->from, ft) ? tt : ft);
		v = sip_call_answer(&ng->t, c, &ng->env, sdp, ng->sdp, sizeof(ng->sdp) - 512, &len,
				    &why);
		if (v == SIP_CALL_SDP_OK)
			sip_call_set_answered(&ng->t, c, ng->now_ms);
		goto verdict;
	}
	from = direction(d);
	if (from == -2) {
		reply_error(ng, o, "direction: two different interfaces, internal and external");
		return;
	}
	if (c == NULL) {
		enum umedge_srtp_suite suites[UMEDGE_SRTP_SUITE_COUNT];
		bool off, savp = false;
		unsigned n;

		if (sdp_parse(&ng->t.sdp, sdp.p, sdp.len) != SDP_E_OK) {
			reply_error(ng, o, "the SDP does not parse");
			return;
		}
		for (unsigned i = 0; i < ng->t.sdp.n_media && !savp; i++)
			savp = ng->t.sdp.media[i].port != 0 && ng->t.sdp.media[i].savp;
		if (from < 0)
			from = savp ? SIDE_EXT : SIDE_INT;
		n = sdes_suites(d, suites, &off);
		c = sip_call_new(&ng->t, cid, ng->now_ms);
		if (c == NULL) {
			reply_error(ng, o, "too many calls (or a Call-ID of the same hash in use)");
			return;
		}
		fresh = true;
		ng->gen++;
		if ((err = mode_of(savp, transport_protocol(d), from, &c->mode)) != NULL ||
		    (c->mode == UMEDGE_SEC_SECURED && n == 0 &&
		     (err = off ? "SDES=off: without SDES no SRTP keys can be exchanged"
				: "SDES leaves no SRTP suite umedge has") != NULL)) {
			sip_call_end(&ng->t, c, ng->ops, NULL);
			reply_error(ng, o, err);
			return;
		}
		memcpy(c->suites, suites, n * sizeof(suites[0]));
		c->n_suites = (uint8_t)n;
		c->caller = (uint8_t)from;
		set_tag(c->from, ft);
	} else if (from < 0) {
		/* a re-offer: from whichever side's tag it carries */
		from = tag_is(c->from, ft) ? c->caller : c->caller ^ 1;
	}
	v = sip_call_offer(&ng->t, c, &ng->env, (uint8_t)from, SIP_METHOD_INVITE, 0, sdp, ng->sdp,
			   sizeof(ng->sdp) - 512, &len, &why);
	if (v != SIP_CALL_SDP_OK && fresh)
		sip_call_end(&ng->t, c, ng->ops, NULL);
	else if (v != SIP_CALL_SDP_OK)
		sip_call_offer_failed(c);
verdict:
	switch (v) {
	case SIP_CALL_SDP_OK:
		reply_ok_open(ng, o);
		benc_cstr(o, "sdp");
		benc_str(o, ng->sdp, (size_t)len);
		benc_end(o);
		break;
	case SIP_CALL_SDP_NO_PORTS:
		reply_error(ng, o, "no free media port pair");
		break;
	case SIP_CALL_SDP_MEDIA_FAILED:
		reply_error(ng, o, "the media engine refused the session");
		break;
	case SIP_CALL_SDP_NO_OFFER:
		reply_error(ng, o, "no offer waits for an answer in this call");
		break;
	default:
		reply_error(ng, o, sdp_refusal_text(why));
		break;
	}
	OPENSSL_cleanse(ng->sdp, len > 0 ? (size_t)len : 0);
}

static void addr_str(uint32_t host, char *out, size_t len)
{
	struct in_addr a = { .s_addr = htonl(host) };

	if (inet_ntop(AF_INET, &a, out, (socklen_t)len) == NULL)
		snprintf(out, len, "0.0.0.0");
}

static void stats_dict(struct benc_out *o, uint64_t packets, uint64_t bytes, uint64_t errors)
{
	benc_dict(o);
	benc_kv_int(o, "packets", (int64_t)packets);
	benc_kv_int(o, "bytes", (int64_t)bytes);
	benc_kv_int(o, "errors", (int64_t)errors);
	benc_end(o);
}

/* One side's monologue: its tag, its stream (what the engine receives on
 * that side's local port, from that side's endpoint). */
static void monologue(struct ng_engine *ng, struct benc_out *o, const struct sip_call *c,
		      int side, const struct sip_media_counters *k)
{
	const char *tag = side == c->caller ? c->from : c->to, *other;
	int dir = side == SIDE_EXT ? 0 : 1; /* counters: [0] gateway -> application */
	uint32_t raddr = 0;
	uint16_t rport = 0;
	char a[INET_ADDRSTRLEN];

	other = side == c->caller ? c->to : c->from;
	if (c->has_cur) {
		raddr = side == c->cur_from ? c->cur.remote_addr : c->cur.answer_addr;
		rport = side == c->cur_from ? c->cur.remote_port : c->cur.answer_port;
	} else if (c->has_pend && side == c->pend_from) {
		raddr = c->pend.remote_addr;
		rport = c->pend.remote_port;
	}
	addr_str(raddr, a, sizeof(a));
	benc_cstr(o, tag);
	benc_dict(o);
	benc_kv_str(o, "tag", tag);
	benc_kv_int(o, "created", (int64_t)(c->created_ms / 1000) + ng->wall_offset_s);
	if (other[0] != '\0')
		benc_kv_str(o, "in dialogue with", other);
	benc_cstr(o, "medias");
	benc_list(o);
	benc_dict(o);
	benc_kv_int(o, "index", 1);
	benc_kv_str(o, "type", "audio");
	benc_kv_str(o, "protocol",
		    side == SIDE_EXT && ((c->has_cur && c->cur.srtp) ||
					 (!c->has_cur && c->mode == UMEDGE_SEC_SECURED))
			    ? "RTP/SAVP" : "RTP/AVP");
	benc_cstr(o, "flags");
	benc_list(o);
	benc_cstr(o, "initialized");
	if (c->has_cur && c->cur.rtcp_mux)
		benc_cstr(o, "rtcp-mux");
	if (side == SIDE_EXT && c->has_cur && c->cur.srtp)
		benc_cstr(o, "SDES");
	benc_end(o);
	benc_cstr(o, "streams");
	benc_list(o);
	benc_dict(o);
	benc_kv_int(o, "local port", c->local[side]);
	benc_cstr(o, "endpoint");
	benc_dict(o);
	benc_kv_str(o, "family", "IPv4");
	benc_kv_str(o, "address", a);
	benc_kv_int(o, "port", rport);
	benc_end(o);
	benc_cstr(o, "stats");
	stats_dict(o, k->packets[dir], k->bytes[dir],
		   side == SIDE_EXT ? k->auth_fail + k->replay : 0);
	benc_end(o); /* the stream */
	benc_end(o); /* streams */
	benc_end(o); /* the media */
	benc_end(o); /* medias */
	benc_end(o); /* the monologue */
}

/* query's keys, and delete's (without "result"). */
static void call_report(struct ng_engine *ng, struct benc_out *o, const struct sip_call *c,
			const struct sip_media_counters *k)
{
	benc_kv_int(o, "created", (int64_t)(c->created_ms / 1000) + ng->wall_offset_s);
	benc_kv_int(o, "last signal",
		    (int64_t)((c->answered_ms ? c->answered_ms : c->created_ms) / 1000) +
			    ng->wall_offset_s);
	benc_cstr(o, "tags");
	benc_dict(o);
	monologue(ng, o, c, c->caller, k);
	if (c->to[0] != '\0')
		monologue(ng, o, c, c->caller ^ 1, k);
	benc_end(o);
	benc_cstr(o, "totals");
	benc_dict(o);
	benc_cstr(o, "RTP");
	stats_dict(o, k->packets[0] + k->packets[1] - k->rtcp[0] - k->rtcp[1],
		   k->bytes[0] + k->bytes[1], k->auth_fail + k->replay);
	benc_cstr(o, "RTCP");
	stats_dict(o, k->rtcp[0] + k->rtcp[1], 0, 0);
	benc_end(o);
}

static void cmd_query(struct ng_engine *ng, const struct benc_doc *d, struct benc_out *o)
{
	struct sip_call *c = sip_call_find(&ng->t, str_of(d, "call-id"));
	struct sip_media_counters k;

	if (c == NULL) {
		reply_error(ng, o, "Unknown call-id");
		return;
	}
	ng->ops->counters(ng->ops->arg, c->media, &k);
	reply_ok_open(ng, o);
	call_report(ng, o, c, &k);
	benc_end(o);
}

static void cmd_delete(struct ng_engine *ng, const struct benc_doc *d, struct benc_out *o)
{
	struct sip_str ft = str_of(d, "from-tag"), tt = str_of(d, "to-tag");
	struct sip_call *c = sip_call_find(&ng->t, str_of(d, "call-id"));
	struct sip_media_counters k;

	/* the tags must be the call's, when given (either order: a BYE from
	 * the callee carries them swapped) */
	if (c != NULL && ft.p != NULL && !tag_is(c->from, ft) && !tag_is(c->to, ft))
		c = NULL;
	if (c != NULL && tt.p != NULL && tt.len > 0 && !tag_is(c->from, tt) && !tag_is(c->to, tt))
		c = NULL;
	if (c == NULL) {
		if (list_has(d, "flags", "fatal")) {
			reply_error(ng, o, "Unknown call-id");
			return;
		}
		warn(ng, "Call-ID not found or tags didn't match");
		reply_ok_open(ng, o);
		benc_end(o);
		return;
	}
	ng->ops->counters(ng->ops->arg, c->media, &k);
	reply_ok_open(ng, o);
	if (!list_has(d, "flags", "fast"))
		call_report(ng, o, c, &k);
	benc_end(o);
	sip_call_end(&ng->t, c, ng->ops, NULL);
	ng->st.deleted++;
}

static void cmd_list(struct ng_engine *ng, const struct benc_doc *d, struct benc_out *o)
{
	uint32_t lim = benc_get(d, 0, "limit");
	int64_t limit = NG_LIST_DEFAULT, n = 0;

	if (lim != 0) {
		if (d->nodes[lim].type != BENC_INT || d->nodes[lim].i <= 0) {
			reply_error(ng, o, "limit must be a positive integer");
			return;
		}
		limit = d->nodes[lim].i;
	}
	reply_ok_open(ng, o);
	benc_cstr(o, "calls");
	benc_list(o);
	for (uint32_t i = 0; i < ng->t.cap && n < limit; i++)
		if (ng->t.pool[i].key != 0) {
			benc_cstr(o, ng->t.pool[i].call_id);
			n++;
		}
	if (ng->conf.list_more != NULL && n < limit)
		n += ng->conf.list_more(ng->conf.list_arg, o, limit - n);
	benc_end(o);
	benc_end(o);
}

static enum ng_command command_of(const struct benc_doc *d)
{
	uint32_t c = benc_get(d, 0, "command");

	for (int i = 0; i < NG_CMD_OTHER; i++)
		if (benc_is(d, c, command_names[i]))
			return (enum ng_command)i;
	return NG_CMD_OTHER;
}

/* ---- the datagram ---- */

static struct ng_cached *cached(struct ng_engine *ng, const char *cookie, size_t n)
{
	for (uint32_t i = 0; i < ng->conf.cache; i++)
		if (ng->cache[i].cookie_len == n && memcmp(ng->cache[i].cookie, cookie, n) == 0)
			return &ng->cache[i];
	return NULL;
}

size_t ng_input(struct ng_engine *ng, const char *msg, size_t len, uint64_t now_ms,
		int64_t wall_s, char *out, size_t cap)
{
	const char *sp = len > 0 ? memchr(msg, ' ', len < NG_COOKIE_MAX ? len : NG_COOKIE_MAX) : NULL;
	size_t clen = sp != NULL ? (size_t)(sp - msg) : 0;
	struct ng_cached *hit, *slot;
	struct benc_out o;
	enum benc_error e;
	char why[96];

	ng->st.received++;
	if (sp == NULL || clen == 0 || cap < clen + 1 + 64) {
		ng->st.dropped++;
		return 0;
	}
	ng->now_ms = now_ms;
	ng->wall_offset_s = wall_s - (int64_t)(now_ms / 1000);
	ng->warning[0] = '\0';
	hit = cached(ng, msg, clen);
	if (hit != NULL && hit->len <= cap) {
		ng->st.retransmits++;
		memcpy(out, hit->reply, hit->len);
		return hit->len;
	}
	benc_out_init(&o, out, cap < NG_REPLY_MAX ? cap : NG_REPLY_MAX);
	benc_raw(&o, msg, clen + 1);
	e = benc_parse(&ng->doc, sp + 1, len - clen - 1);
	if (e != BENC_E_OK || ng->nodes[0].type != BENC_DICT) {
		ng->st.malformed++;
		snprintf(why, sizeof(why), "Failed to decode dictionary (%s at %u)",
			 e != BENC_E_OK ? benc_error_text(e) : "not a dictionary", ng->doc.err_off);
		reply_error(ng, &o, why);
	} else {
		enum ng_command c = command_of(&ng->doc);
		ng->st.commands[c]++;
		switch (c) {
		case NG_CMD_PING:
			benc_dict(&o);
			benc_kv_str(&o, "result", "pong");
			benc_end(&o);
			break;
		case NG_CMD_OFFER:
		case NG_CMD_ANSWER:
			cmd_offer(ng, &ng->doc, &o, c == NG_CMD_ANSWER);
			break;
		case NG_CMD_DELETE:
			cmd_delete(ng, &ng->doc, &o);
			break;
		case NG_CMD_QUERY:
			cmd_query(ng, &ng->doc, &o);
			break;
		case NG_CMD_LIST:
			cmd_list(ng, &ng->doc, &o);
			break;
		default:
			reply_error(ng, &o, "Unrecognized command");
			break;
		}
	}
	if (o.overflow) {
		/* too big for a datagram: say so instead */
		benc_out_init(&o, out, cap);
		benc_raw(&o, msg, clen + 1);
		reply_error(ng, &o, "the reply does not fit in a datagram");
	}
	/* kept for a retransmission of the same cookie */
	slot = &ng->cache[ng->cache_next++ % ng->conf.cache];
	memcpy(slot->cookie, msg, clen);
	slot->cookie_len = (uint8_t)clen;
	slot->len = (uint32_t)o.len;
	memcpy(slot->reply, out, o.len);
	return o.len;
}

unsigned ng_expire(struct ng_engine *ng, uint64_t now_ms)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < ng->t.cap; i++) {
		struct sip_call *c = &ng->t.pool[i];
		uint64_t idle;
		if (c->key == 0)
			continue;
		idle = c->media != NULL ? ng->ops->idle_ms(ng->ops->arg, c->media)
					: now_ms - c->created_ms;
		if (idle >= ng->conf.idle_ms) {
			sip_call_end(&ng->t, c, ng->ops, NULL);
			n++;
		}
	}
	ng->st.expired += n;
	return n;
}

bool ng_call_id(const char *msg, size_t len, const char **p, size_t *n)
{
	const char *sp = len > 0 ? memchr(msg, ' ', len < NG_COOKIE_MAX ? len : NG_COOKIE_MAX) : NULL;
	struct benc_node nodes[NG_NODES / 4];
	struct benc_doc d = { .nodes = nodes, .cap = NG_NODES / 4, .max_depth = 8 };
	uint32_t l = 0;
	const char *s;

	if (sp == NULL || benc_parse(&d, sp + 1, len - (size_t)(sp - msg) - 1) != BENC_E_OK)
		return false;
	s = benc_get_str(&d, 0, "call-id", &l);
	if (s == NULL || l == 0)
		return false;
	*p = s;
	*n = l;
	return true;
}
