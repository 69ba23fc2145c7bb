/*
 * sip_call.h: the calls of one proxy and their media, free of I/O.
 *
 * A call is a record from its initial INVITE to its end (BYE, CANCEL, a
 * failed or timed-out INVITE, idle expiry): its Call-ID, gateway, dial
 * plan and mode as the policy decided them, and its media: the engine's
 * port on each side, the stream as the last offer/answer left it
 * (sdp.h), the offer waiting for its answer, and the media engine's
 * handle. Records live in a pool allocated once; an index by Call-ID
 * (sip_calls.h) finds them.
 *
 * The media engine is reached through struct sip_media_ops, so that this
 * layer runs in unit tests and fuzz targets as it runs on a worker (where
 * the ops install sessions in the worker's own media table).
 */
#ifndef UMEDGE_SIP_CALL_H
#define UMEDGE_SIP_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umedge/config.h"
#include "umedge/modes.h"

#include "sdp.h"
#include "sip_calls.h"
#include "sip_msg.h"
#include "sip_txn.h"

/* What the media engine gets for a call, per side (enum sip_side). */
struct sip_media {
	bool srtp;			  /* SRTP towards the gateway */
	bool rtcp_mux;
	enum umedge_srtp_suite suite;
	uint16_t local[2];		  /* the engine's RTP port on each side */
	uint32_t remote_addr[2];	  /* host order; 0 while on hold (c=0.0.0.0) */
	uint16_t remote_port[2];
	enum sdp_direction dir;
	const uint8_t *key_in;		  /* the gateway's key: SRTP from it */
	const uint8_t *key_out;		  /* the engine's key: SRTP to it */
	uint8_t key_len;
	bool rekey_in, rekey_out;	  /* which keys changed since the last apply */
};

/* A call's media counters, by direction: [0] gateway -> application,
 * [1] application -> gateway. */
struct sip_media_counters {
	uint64_t packets[2], bytes[2];	  /* RTCP included */
	uint64_t rtcp[2];		  /* of the packets, RTCP */
	uint64_t auth_fail, replay;	  /* SRTP refused from the gateway */
};

struct sip_media_ops {
	/* Claim a local RTP port (even; RTCP on + 1) on each side for a new
	 * call: 0, or a negative errno (-ENOSPC: none free). */
	int (*open)(void *arg, uint16_t local[2]);
	/* Install the call's media (*handle NULL) or update it: 0 or a
	 * negative errno. The keys are valid during the call only. */
	int (*apply)(void *arg, void **handle, const struct sip_media *m);
	/* Remove the media (handle may be NULL: ports only), wipe its keys
	 * and give the ports back; its last counters into *final (zeroed
	 * when there was no media). */
	void (*close)(void *arg, void *handle, const uint16_t local[2],
		      struct sip_media_counters *final);
	/* Milliseconds since the media last moved either way (since it was
	 * installed when it never did). */
	uint64_t (*idle_ms)(void *arg, const void *handle);
	/* The media's counters so far (handle may be NULL: zeroes). */
	void (*counters)(void *arg, const void *handle, struct sip_media_counters *out);
	void *arg;
};

enum sip_call_state {
	SIP_CALL_SETUP = 0,		  /* INVITE sent on, no answer yet */
	SIP_CALL_EARLY,			  /* early media (an answer in a 1xx) */
	SIP_CALL_ANSWERED,		  /* 2xx to the INVITE */
};

#define SIP_CALL_ID_MAX 128		  /* Call-ID kept for the operator */
#define SIP_CALL_URI_MAX 192
#define SIP_CALL_HDR_MAX 256
#define SIP_CALL_ROUTES_MAX 384

/* One side of an answered call, as the engine addresses it when it ends
 * the call itself (BYE both ways). */
struct sip_call_leg {
	struct sip_peer peer;		  /* the hop its messages came from */
	char target[SIP_CALL_URI_MAX];	  /* its Contact URI */
	char routes[SIP_CALL_ROUTES_MAX]; /* Route values towards it, "" none */
	uint32_t cseq;			  /* the highest CSeq it sent in the call */
};

struct sip_call {
	uint64_t key;			  /* Call-ID hash; 0: a free record */
	uint32_t id;			  /* the operator's handle, per proxy */
	char call_id[SIP_CALL_ID_MAX];
	char gateway[CONFIG_NAME_MAX];
	char dial_plan[CONFIG_NAME_MAX];  /* "" in legacy (start_secured) mode */
	enum umedge_security mode;
	enum umedge_srtp_suite suites[UMEDGE_SRTP_SUITE_COUNT];
	uint8_t n_suites;
	uint8_t caller;			  /* side of the initial INVITE */
	uint8_t gw_transport;		  /* enum umedge_transport */
	enum sip_call_state state;
	uint32_t invite_cseq;
	uint64_t created_ms, answered_ms;
	/* the dialog, from the 2xx to the INVITE */
	bool has_dialog;
	char from[SIP_CALL_HDR_MAX];	  /* the caller's From value, with its tag */
	char to[SIP_CALL_HDR_MAX];	  /* the callee's To value, with its tag */
	struct sip_call_leg leg[2];	  /* by side */
	/* media */
	bool has_ports;
	uint16_t local[2];
	void *media;			  /* the media engine's handle */
	struct sdp_stream cur;		  /* as the last exchange left it */
	bool has_cur;
	uint8_t cur_from;		  /* the side that made cur's offer */
	struct sdp_stream pend;		  /* an offer waiting for its answer */
	bool has_pend, pend_answered;
	uint8_t pend_from;
	uint8_t pend_method;		  /* enum sip_method: INVITE or UPDATE */
	uint32_t pend_cseq;
	uint64_t o_version[2];		  /* of the SDP last written to each side */
	uint64_t answer_version;	  /* of the pending offer's answer */
	/* a late offer (in a 2xx, answered in the ACK): the offer as written,
	 * for the 2xx's retransmissions (malloc'd; rare) */
	char *late_sdp;
	uint32_t late_len;
};

struct sip_call_table {
	struct sip_calls index;		  /* Call-ID hash -> record */
	struct sip_call *pool;
	uint32_t *free_list;
	uint32_t cap, n_free;
	uint32_t next_id, id_step;	  /* ids unique across the workers */
	uint32_t answered;		  /* records in SIP_CALL_ANSWERED */
	struct sdp sdp;			  /* scratch: the SDP in hand */
	struct sdp_stream tmp;		  /* scratch: an answer being checked */
};

/* Ids first, first + step, ... (a worker's index + 1, the worker count). */
int sip_call_table_init(struct sip_call_table *t, uint32_t max_calls, uint32_t first_id,
			uint32_t id_step);
/* The media of every record must have been closed (sip_call_end). */
void sip_call_table_fini(struct sip_call_table *t);

uint64_t sip_call_key(struct sip_str call_id);
/* The call with this Call-ID, or NULL. */
struct sip_call *sip_call_find(struct sip_call_table *t, struct sip_str call_id);
/* A new record (state SETUP), or NULL when the table is full. */
struct sip_call *sip_call_new(struct sip_call_table *t, struct sip_str call_id, uint64_t now_ms);
/* The call is alive (signalling seen): it does not age out. */
void sip_call_touch(struct sip_call_table *t, struct sip_call *c, uint64_t now_ms);
void sip_call_set_answered(struct sip_call_table *t, struct sip_call *c, uint64_t now_ms);
/* End the call: media closed through ops (its last counters in *final,
 * may be NULL), keys wiped, record freed. */
void sip_call_end(struct sip_call_table *t, struct sip_call *c, const struct sip_media_ops *ops,
		  struct sip_media_counters *final);
/* The call with this operator id, or NULL. */
struct sip_call *sip_call_by_id(struct sip_call_table *t, uint32_t id);
/* End calls no signalling touched for idle_ms; returns how many. */
unsigned sip_call_expire(struct sip_call_table *t, const struct sip_media_ops *ops,
			 uint64_t now_ms, uint64_t idle_ms);

/* ---- offer and answer (sip_call_sdp.c) ---- */

enum sip_call_verdict {
	SIP_CALL_SDP_OK = 0,
	SIP_CALL_SDP_MALFORMED,		  /* 400 */
	SIP_CALL_SDP_REFUSED,		  /* 488: the mode's media rules */
	SIP_CALL_SDP_NO_PORTS,		  /* 503: no port pair free */
	SIP_CALL_SDP_MEDIA_FAILED,	  /* 500: the engine refused the session */
	SIP_CALL_SDP_NO_OFFER,		  /* an answer to nothing we wait for */
};

/* Where the engine's SDP points: its address per side (host order). */
struct sip_call_env {
	const struct sip_media_ops *ops;
	uint32_t addr[2];
};

/* An offer from side `from` in a request (INVITE, UPDATE) numbered cseq:
 * the offer for the other side into out (*out_len). On a refusal *why
 * says why (sdp.h) and the call's last exchange stays. */
enum sip_call_verdict sip_call_offer(struct sip_call_table *t, struct sip_call *c,
				     const struct sip_call_env *env, uint8_t from,
				     enum sip_method method, uint32_t cseq, struct sip_str body,
				     char *out, size_t cap, long *out_len, enum sdp_refusal *why);
/* The answer to the pending offer, in a response: the answer for the
 * offerer into out, and the media installed or updated. The same answer
 * again (a retransmitted 2xx, or the 2xx after a 183) is written the same
 * and changes nothing. */
enum sip_call_verdict sip_call_answer(struct sip_call_table *t, struct sip_call *c,
				      const struct sip_call_env *env, struct sip_str body,
				      char *out, size_t cap, long *out_len, enum sdp_refusal *why);
/* The request carrying the pending offer failed: the last exchange stays. */
void sip_call_offer_failed(struct sip_call *c);
/* A late offer's kept copy goes (a new offer, or it failed). */
void sip_call_late_done(struct sip_call *c);
/* The first m= profile of the SDP in hand ("RTP/AVP"), for events. */
struct sip_str sip_call_offered_proto(const struct sip_call_table *t);

#endif
