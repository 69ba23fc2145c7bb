/*
 * ng.h: rtpengine's ng control protocol, so that an existing Kamailio or
 * OpenSIPS (module rtpengine) drives umedge's media engine unchanged.
 *
 * Sans-I/O: ng_input() takes one datagram ("COOKIE bencoded-dict") and a
 * clock, and writes the reply. Commands ping, offer, answer, delete,
 * query and list. A call is a struct sip_call of the SIP proxy's kind
 * (sip_call.h) in a table of the engine's own: the same offer/answer
 * through the SDP library per security mode, the same media through
 * struct sip_media_ops. There is no second session model.
 *
 * Sides: the ng interface names "external" (the gateway side, SRTP
 * possible) and "internal" (the application side, RTP) map to the
 * engine's two sides; `direction` gives the offer's [from, to]. Without
 * it, an RTP/SAVP offer comes from the external side, anything else from
 * the internal one. The mode follows the profiles: RTP/AVP from the
 * internal side with transport-protocol RTP/SAVP (or RTP/SAVP from the
 * external side with transport-protocol RTP/AVP) is `secured` (SDES keys
 * drawn by the engine); RTP/AVP both ways is `unsecured`.
 *
 * Retransmissions: a cookie seen lately gets its first reply again, the
 * command is not run twice (rtpengine's behaviour).
 */
#ifndef UMEDGE_NG_H
#define UMEDGE_NG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_call.h"

#define NG_REPLY_MAX 8192	/* a reply: one UDP datagram, SDP included */
#define NG_COOKIE_MAX 64

#define NG_COMMANDS(X)        \
	X(PING, "ping")       \
	X(OFFER, "offer")     \
	X(ANSWER, "answer")   \
	X(DELETE, "delete")   \
	X(QUERY, "query")     \
	X(LIST, "list")       \
	X(OTHER, "other")

enum ng_command {
#define NG_CMD_ENUM(id, name) NG_CMD_##id,
	NG_COMMANDS(NG_CMD_ENUM)
#undef NG_CMD_ENUM
	NG_CMD_COUNT
};

const char *ng_command_name(enum ng_command c);

struct benc_out;
/* list's call-ids from elsewhere (the other workers'): write at most limit
 * bencoded strings into o; returns how many. */
typedef int64_t (*ng_list_fn)(void *arg, struct benc_out *o, int64_t limit);

struct ng_conf {
	uint32_t addr[2];	/* the engine's address per side, host order:
				   [0] external (gateway), [1] internal */
	uint64_t idle_ms;	/* media idle this long: the call goes */
	uint32_t max_calls;
	uint32_t cache;		/* replies kept for retransmitted cookies */
	uint32_t first_id, id_step; /* call ids (the operator's), per worker */
	ng_list_fn list_more;	/* NULL: list shows this engine's calls only */
	void *list_arg;
};

struct ng_stats {
	uint64_t received;	/* datagrams */
	uint64_t dropped;	/* no cookie: nothing to answer to */
	uint64_t retransmits;	/* answered from the cache */
	uint64_t commands[NG_CMD_COUNT];
	uint64_t errors;	/* "result": "error" replies */
	uint64_t malformed;	/* bencode refused */
	uint64_t expired;	/* calls ended by media inactivity */
	uint64_t deleted;
};

struct ng_engine;

/* NULL on bad configuration or no memory. ops is kept. */
struct ng_engine *ng_new(const struct ng_conf *conf, const struct sip_media_ops *ops);
/* Every call ended (media closed through ops), then freed. */
void ng_free(struct ng_engine *ng);

/* One datagram; the reply into out (cap at least NG_REPLY_MAX): its
 * length, or 0 when nothing can be answered (no cookie). wall_s is the
 * Unix time, for the timestamps rtpengine's replies carry. */
size_t ng_input(struct ng_engine *ng, const char *msg, size_t len, uint64_t now_ms,
		int64_t wall_s, char *out, size_t cap);

/* End calls whose media stayed idle conf->idle_ms (offers never answered:
 * since the offer); returns how many. */
unsigned ng_expire(struct ng_engine *ng, uint64_t now_ms);

const struct ng_stats *ng_stats(const struct ng_engine *ng);
/* The calls, for the operator's listings (read on the owning worker). */
const struct sip_call_table *ng_call_table(const struct ng_engine *ng);
uint32_t ng_calls(const struct ng_engine *ng);
/* Changes each time a call comes or goes (for those who publish lists). */
uint64_t ng_generation(const struct ng_engine *ng);

/* The Call-ID of a message, without running it (so that the worker that
 * owns the call can be found): true with [*p, *p + *n), false when it has
 * none or does not parse. */
bool ng_call_id(const char *msg, size_t len, const char **p, size_t *n);

#endif
